// `strata distill`: train a student model on a teacher run's data set against the teacher's soft targets.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import * as st from '../index.js';
import { StrataError } from '../tensor/errors.js';
import { createModel, getModel, modelNames } from '../models/registry.js';
import type { ImageTask } from '../models/basic.js';
import { helpText, parseArgs, type FlagSpec } from './args.js';
import { loadRun } from './train.js';
import { needOut, runLoaders, testAccuracy } from './compress-common.js';

const SPEC: Record<string, FlagSpec> = {
  teacher: { type: 'string', help: 'run folder of the teacher (strata train)' },
  model: { type: 'string', help: `student model (${modelNames().join(', ')})` },
  temperature: { type: 'number', help: 'softmax temperature T', default: 4 },
  alpha: { type: 'number', help: 'weight of the soft-target loss (1 − alpha: the hard labels)', default: 0.9 },
  epochs: { type: 'int', help: 'training epochs', default: 1 },
  lr: { type: 'number', help: 'learning rate (Adam)', default: 1e-3 },
  'batch-size': { type: 'int', help: 'batch size', default: 64 },
  limit: { type: 'int', help: 'train on the first N training images only' },
  out: { type: 'string', help: 'run folder to write (a normal run: eval, predict and summary work on it)' },
  'data-dir': { type: 'string', help: 'dataset folder (default: the Debian package\'s)' },
  json: { type: 'boolean', help: 'print the result as JSON' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function cmdDistill(argv: string[]): Promise<number> {
  const a = parseArgs('distill', argv, SPEC);
  if (a.bool('help')) {
    process.stdout.write(helpText('usage: strata distill --teacher runs/T --model NAME [--temperature 4 --alpha 0.9] --epochs N --out runs/Z', SPEC));
    return 0;
  }
  const name = a.need('model');
  if (getModel(name).kind !== 'image') throw new StrataError('distill', `'${name}' is not an image model`);
  const epochs = a.num('epochs')!;
  if (epochs < 1) throw new StrataError('distill', `--epochs must be at least 1, got ${epochs}`);
  const out = needOut('distill', a.str('out'));
  const { model: teacher, config: tconfig } = loadRun(a.need('teacher'), 'model', 'distill');
  const task = tconfig.task as ImageTask;
  const student = createModel(name, task);
  const { train, test } = runLoaders('distill', tconfig, { batchSize: a.num('batch-size')!, dataDir: a.str('data-dir'), limit: a.num('limit') });
  const opts = { temperature: a.num('temperature')!, alpha: a.num('alpha')! };
  st.compress.distillationLoss(st.zeros([1, 2]), st.zeros([1, 2]), st.zeros([1], { dtype: 'int64' }), opts); // validates T and α before training
  const trainer = new st.train.Trainer({
    model: student, optimizer: new st.optim.Adam(student.parameters(), { lr: a.num('lr')! }),
    ...st.compress.distillation(teacher, student, opts),
    callbacks: [{ onEpochEnd: (_t, log) => void process.stderr.write(`epoch ${log.epoch}: loss ${log.train_loss.toFixed(4)}\n`) }],
  });
  await trainer.fit(train, { epochs });
  const s = await testAccuracy(student, tconfig, test);
  const t = await testAccuracy(teacher, tconfig, test);
  const config = { ...tconfig, model: name, modelConfig: {}, epochs, distill: { teacher: a.need('teacher'), teacherModel: tconfig.model, ...opts } };
  mkdirSync(out, { recursive: true });
  st.train.saveModel(join(out, 'model.safetensors'), student, { config, epoch: epochs, metrics: { test_accuracy: s.accuracy, teacher_test_accuracy: t.accuracy } });
  const res = { test_accuracy: s.accuracy, teacher_test_accuracy: t.accuracy, student_params: student.numParameters(), teacher_params: teacher.numParameters() };
  process.stdout.write(a.bool('json') ? JSON.stringify(res, null, 2) + '\n' : [
    `student ${name} (${res.student_params} parameters): ${(100 * s.accuracy).toFixed(2)}% test accuracy`,
    `teacher ${tconfig.model} (${res.teacher_params} parameters): ${(100 * t.accuracy).toFixed(2)}%`,
    `run folder: ${out}`,
  ].join('\n') + '\n');
  return 0;
}

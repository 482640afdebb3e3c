// `strata distill`: train a student model on a teacher run's data set against the teacher's soft targets.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import * as st from '../index.js';
import { createModel, getModel, modelNames } from '../models/registry.js';
import type { ImageTask } from '../models/basic.js';
import { flags, UsageError } from './args.js';
import { defineCommand } from './command.js';
import { loadRun } from './run-folder.js';
import { needOut, runLoaders, testAccuracy } from './compress-common.js';

export const command = defineCommand({
  name: 'distill',
  summary: "train a model against a run's soft targets (knowledge distillation, Hinton et al. 2015)",
  usage: '--teacher runs/T --model NAME [--temperature 4 --alpha 0.9] --epochs N --out runs/Z',
  flags: flags({
    teacher: { type: 'string', help: 'run folder of the teacher (strata train)', valueName: 'DIR' },
    model: { type: 'string', help: `student model (${modelNames().join(', ')})` },
    temperature: { type: 'number', help: 'softmax temperature T', default: 4, gt: 0 },
    alpha: { type: 'number', help: 'weight of the soft-target loss (1 − alpha: the hard labels)', default: 0.9, min: 0, max: 1 },
    epochs: { type: 'int', help: 'training epochs', default: 1, min: 1 },
    lr: { type: 'number', help: 'learning rate (Adam)', default: 1e-3, gt: 0 },
    'batch-size': { type: 'int', help: 'batch size', default: 64, min: 1 },
    limit: { type: 'int', help: 'train on the first N training images only', min: 1 },
    out: { type: 'string', help: 'run folder to write (a normal run: eval, predict and summary work on it)', valueName: 'DIR' },
    'data-dir': { type: 'string', help: 'dataset folder', valueName: 'DIR', defaultText: "the Debian package's" },
    json: { type: 'boolean', help: 'print the result as JSON' },
  }),
  async run(a) {
    const name = a.need('model');
    if (!modelNames().includes(name) || getModel(name).kind !== 'image') throw new UsageError('distill', `--model must be an image model (${modelNames().filter((n) => getModel(n).kind === 'image').join(', ')}), got '${name}'`);
    const epochs = a.get('epochs');
    const out = needOut('distill', a.get('out'));
    const { model: teacher, config: tconfig } = loadRun(a.need('teacher'), 'model', 'distill');
    const student = createModel(name, tconfig.task as ImageTask);
    const { train, test } = runLoaders('distill', tconfig, { batchSize: a.get('batch-size'), dataDir: a.get('data-dir'), limit: a.get('limit') });
    const opts = { temperature: a.get('temperature'), alpha: a.get('alpha') };
    const trainer = new st.train.Trainer({
      model: student, optimizer: new st.optim.Adam(student.parameters(), { lr: a.get('lr') }),
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
    process.stdout.write(a.get('json') ? JSON.stringify(res, null, 2) + '\n' : [
      `student ${name} (${res.student_params} parameters): ${(100 * s.accuracy).toFixed(2)}% test accuracy`,
      `teacher ${tconfig.model} (${res.teacher_params} parameters): ${(100 * t.accuracy).toFixed(2)}%`,
      `run folder: ${out}`,
    ].join('\n') + '\n');
    return 0;
  },
});

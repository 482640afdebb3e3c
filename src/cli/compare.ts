// `strata compare`: train structures on one budget and report which are worth their cost (or re-render a report).
import * as st from '../index.js';
import { StrataError } from '../tensor/errors.js';
import { helpText, parseArgs, type FlagSpec } from './args.js';

const SPEC: Record<string, FlagSpec> = {
  models: { type: 'string', help: 'comma-separated structures (e.g. mlp,cnn,lenet5,resnet20,mobilenet_v1)' },
  dataset: { type: 'string', help: 'image dataset', default: 'fashion-mnist' },
  epochs: { type: 'int', help: 'budget: epochs per run' },
  minutes: { type: 'number', help: 'budget: minutes of training per run' },
  seeds: { type: 'int', help: 'seeds per structure (mean ± std)', default: 1 },
  jobs: { type: 'int', help: 'trainings at a time (the threads are split between them)', default: 1 },
  recipe: { type: 'string', help: 'shared: one optimizer and schedule for all; per-model: each family\'s usual recipe', default: 'shared', choices: ['shared', 'per-model'] },
  out: { type: 'string', help: 'output folder (runs, results.json, results.csv, report.md, report.html); a rerun resumes' },
  report: { type: 'string', help: 're-render the reports of an existing compare folder' },
  subset: { type: 'int', help: 'train on the first N training images (quick runs)' },
  'batch-size': { type: 'int', help: 'batch size', default: 64 },
  augment: { type: 'boolean', help: 'random crops and flips on the training images' },
  'data-dir': { type: 'string', help: 'dataset folder' },
  threads: { type: 'int', help: 'threads in all (default: all cores)' },
  store: { type: 'string', help: 'run store for the runs (default: STRATA_STORE or ~/.strata/runs.db)' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function cmdCompare(argv: string[]): Promise<number> {
  const a = parseArgs('compare', argv, SPEC);
  if (a.bool('help')) {
    process.stdout.write(helpText('usage: strata compare --models A,B,... --dataset D (--epochs N | --minutes M) [--seeds K] [--jobs J] --out DIR\n       strata compare --report DIR', SPEC));
    return 0;
  }
  const reportDir = a.str('report');
  const out = reportDir ?? a.need('out');
  const results = reportDir
    ? st.lab.readResults(reportDir)
    : await st.lab.compare({
      models: a.need('models').split(',').map((m) => m.trim()).filter(Boolean), dataset: a.str('dataset')!, epochs: a.num('epochs'), minutes: a.num('minutes'),
      seeds: a.num('seeds'), jobs: a.num('jobs'), recipe: a.str('recipe') as 'shared' | 'per-model', out, store: a.str('store'), dataDir: a.str('data-dir'),
      subset: a.num('subset'), batchSize: a.num('batch-size'), augment: a.bool('augment'), threads: a.num('threads'),
    });
  if (!results.models.length) throw new StrataError('compare', `${out} holds no finished run`);
  const files = await st.lab.writeReport(out, results);
  for (const [axis, names] of Object.entries(results.pareto)) process.stdout.write(`Pareto-optimal on ${axis}: ${names.join(', ')}\n`);
  process.stdout.write(`report: ${files.find((f) => f.endsWith('report.html'))}\n`);
  return 0;
}

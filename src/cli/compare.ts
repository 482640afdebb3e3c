// `strata compare`: train structures on one budget and report which are worth their cost (or re-render a report).
import * as st from '../index.js';
import { StrataError } from '../tensor/errors.js';
import { flags, UsageError } from './args.js';
import { defineCommand } from './command.js';

export const command = defineCommand({
  name: 'compare',
  summary: 'train structures on one budget; Pareto reports (results.json/csv, report.md/html)',
  usage: '--models A,B,... --dataset D (--epochs N | --minutes M) [--seeds K] [--jobs J] --out DIR | --report DIR',
  description: 'Each run is a strata train in DIR/runs/MODEL-sSEED; a rerun keeps finished runs (resume).',
  flags: flags({
    models: { type: 'string', help: 'comma-separated structures (e.g. mlp,cnn,lenet5,resnet20,mobilenet_v1)', valueName: 'A,B,...' },
    dataset: { type: 'string', help: 'image dataset', default: 'fashion-mnist', valueName: 'NAME' },
    epochs: { type: 'int', help: 'budget: epochs per run', min: 1 },
    minutes: { type: 'number', help: 'budget: minutes of training per run', gt: 0 },
    seeds: { type: 'int', help: 'seeds per structure (mean ± std)', default: 1, min: 1 },
    jobs: { type: 'int', help: 'trainings at a time (the threads are split between them)', default: 1, min: 1, max: 64 },
    recipe: { type: 'string', help: "shared: one optimizer and schedule for all; per-model: each family's usual recipe", default: 'shared', choices: ['shared', 'per-model'] },
    out: { type: 'string', help: 'output folder (runs, results.json, results.csv, report.md, report.html)', valueName: 'DIR' },
    report: { type: 'string', help: 're-render the reports of an existing compare folder', valueName: 'DIR' },
    subset: { type: 'int', help: 'train on the first N training images (quick runs)', min: 1 },
    'batch-size': { type: 'int', help: 'batch size', default: 64, min: 1 },
    augment: { type: 'boolean', help: 'random crops and flips on the training images' },
    'data-dir': { type: 'string', help: 'dataset folder', valueName: 'DIR' },
    threads: { type: 'int', help: 'threads in all', min: 1, max: 1024, defaultText: 'all cores' },
    store: { type: 'string', help: 'run store for the runs', valueName: 'PATH', defaultText: 'STRATA_STORE or ~/.strata/runs.db' },
  }),
  async run(a) {
    const reportDir = a.get('report');
    if (!reportDir && a.get('epochs') === undefined && a.get('minutes') === undefined) throw new UsageError('compare', 'give the budget as exactly one of --epochs N or --minutes M');
    if (a.get('epochs') !== undefined && a.get('minutes') !== undefined) throw new UsageError('compare', 'give the budget as exactly one of --epochs N or --minutes M, not both');
    const out = reportDir ?? a.need('out');
    const results = reportDir
      ? st.lab.readResults(reportDir)
      : await st.lab.compare({
        models: a.need('models').split(',').map((m) => m.trim()).filter(Boolean), dataset: a.get('dataset'), epochs: a.get('epochs'), minutes: a.get('minutes'),
        seeds: a.get('seeds'), jobs: a.get('jobs'), recipe: a.get('recipe'), out, store: a.get('store'), dataDir: a.get('data-dir'),
        subset: a.get('subset'), batchSize: a.get('batch-size'), augment: a.get('augment'), threads: a.get('threads'),
      });
    if (!results.models.length) throw new StrataError('compare', `${out} holds no finished run`);
    const files = await st.lab.writeReport(out, results);
    for (const [axis, names] of Object.entries(results.pareto)) process.stdout.write(`Pareto-optimal on ${axis}: ${names.join(', ')}\n`);
    process.stdout.write(`report: ${files.find((f) => f.endsWith('report.html'))}\n`);
    return 0;
  },
});

// `strata eval`: a trained run on its test set (images: accuracy, macro F1, confusion matrix; text: loss, BLEU…).
import * as st from '../index.js';
import { DataLoader } from '../data/loader.js';
import { Trainer } from '../train/trainer.js';
import { flags } from './args.js';
import { applyRuntime, defineCommand, RUNTIME_FLAGS } from './command.js';
import { forwardFor, imageDataset, transformFor } from './datasets.js';
import { formatClassReport, loadRun } from './run-folder.js';
import { isTextDataset } from './text-datasets.js';
import { textEval } from './text.js';

export const command = defineCommand({
  name: 'eval',
  summary: 'a run on its test set: accuracy, macro F1 and the confusion matrix (text: loss, BLEU)',
  usage: '--checkpoint DIR [--weights model|best] [--json]',
  flags: flags({
    checkpoint: { type: 'string', help: 'run folder (or a .safetensors model file)', valueName: 'DIR' },
    weights: { type: 'string', help: 'which weights in the run folder', default: 'model', choices: ['model', 'best'] },
    'data-dir': { type: 'string', help: 'dataset folder', valueName: 'DIR', defaultText: "the Debian package's" },
    split: { type: 'string', help: 'text runs: the split to score', choices: ['train', 'validation', 'test'], defaultText: 'the one the run scored: validation for language models, else test' },
    json: { type: 'boolean', help: 'print JSON' },
    ...RUNTIME_FLAGS,
  }),
  async run(a) {
    applyRuntime(a.get('backend'), a.get('threads'));
    const { model, config } = loadRun(a.need('checkpoint'), a.get('weights'));
    if (isTextDataset(String(config.dataset))) return textEval({ split: a.get('split'), dataDir: a.get('data-dir'), json: a.get('json') }, model, config);
    const ds = imageDataset(String(config.dataset));
    const test = ds.load(false, a.get('data-dir'));
    const loader = new DataLoader(test, { batchSize: 500, transform: transformFor(ds, false, false) });
    // an int8 model has no float parameters; the evaluation-only optimizer gets a placeholder
    const params = model.parameters().length ? model.parameters() : [st.nn.Parameter(st.zeros([1]))];
    const trainer = new Trainer({ model, optimizer: new st.optim.SGD(params, { lr: 0 }), forward: forwardFor(model, config.task as st.models.ImageTask) });
    const r = await trainer.evaluate(loader);
    if (a.get('json')) {
      process.stdout.write(JSON.stringify({ accuracy: r.accuracy, loss: r.loss, macro_f1: r.macroF1, per_class: r.report, confusion: r.confusion }, null, 2) + '\n');
      return 0;
    }
    const lines = [`${config.model} on ${config.dataset} test set (${test.length} images)`, ...formatClassReport(r, test.classes ?? [])];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
});

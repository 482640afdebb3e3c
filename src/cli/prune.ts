// `strata prune`: magnitude-prune a trained run (one shot or Zhu & Gupta's gradual schedule), fine-tune with the masks, save sparse.
import * as st from '../index.js';
import { flags, UsageError } from './args.js';
import { defineCommand } from './command.js';
import { loadRun } from './run-folder.js';
import { needOut, runLoaders, testAccuracy, writeCompressedRun } from './compress-common.js';

export const command = defineCommand({
  name: 'prune',
  summary: 'magnitude-prune a run and fine-tune it with masks; sparse weights saved as CSR',
  usage: '--checkpoint runs/X --sparsity 0.9 [--finetune-epochs N] --out runs/Y',
  flags: flags({
    checkpoint: { type: 'string', help: 'run folder of the dense model (strata train)', valueName: 'DIR' },
    sparsity: { type: 'number', help: 'fraction of Conv2d/Linear weights set to zero', min: 0, lt: 1 },
    scope: { type: 'string', help: 'global: one magnitude threshold over all layers (Han et al.); layer: the same fraction per layer', default: 'global', choices: ['global', 'layer'] },
    gradual: { type: 'boolean', help: 'raise sparsity over the fine-tuning epochs on the cubic schedule (Zhu & Gupta 2017) instead of at once' },
    'finetune-epochs': { type: 'int', help: 'epochs of fine-tuning with the masks held', default: 0, min: 0 },
    lr: { type: 'number', help: 'fine-tuning learning rate (Adam)', default: 1e-4, gt: 0 },
    'batch-size': { type: 'int', help: 'fine-tuning batch size', default: 64, min: 1 },
    limit: { type: 'int', help: 'fine-tune on the first N training images only', min: 1 },
    structured: { type: 'boolean', help: 'remove whole filters/units (not implemented yet)' },
    ratio: { type: 'number', help: 'fraction of filters to remove with --structured (not implemented yet)', min: 0, lt: 1 },
    out: { type: 'string', help: 'run folder to write (weights ≥ 50% zeros stored as CSR)', valueName: 'DIR' },
    'data-dir': { type: 'string', help: 'dataset folder', valueName: 'DIR', defaultText: "the Debian package's" },
    json: { type: 'boolean', help: 'print the result as JSON' },
  }),
  async run(a) {
    if (a.get('structured') || a.get('ratio') !== undefined) throw new UsageError('prune', '--structured/--ratio (filter and unit removal) is not implemented yet; use unstructured --sparsity');
    const sparsity = a.get('sparsity');
    if (sparsity === undefined) throw new UsageError('prune', '--sparsity is required (e.g. --sparsity 0.9)');
    const epochs = a.get('finetune-epochs');
    const out = needOut('prune', a.get('out'));
    const { model, config } = loadRun(a.need('checkpoint'), 'model', 'prune');
    const { train, test } = runLoaders('prune', config, { batchSize: a.get('batch-size'), dataDir: a.get('data-dir'), limit: a.get('limit') });
    const dense = await testAccuracy(model, config, test);
    const scope = a.get('scope');
    const gradual = a.get('gradual') && epochs > 0;
    const target = (e: number) => (gradual ? st.compress.cubicSparsity(e + 1, { final: sparsity, end: epochs }) : sparsity);
    st.compress.prune(model, { sparsity: target(0), scope });
    if (epochs > 0) {
      const trainer = new st.train.Trainer({
        model, optimizer: new st.optim.Adam(model.parameters(), { lr: a.get('lr') }),
        callbacks: [
          { onEpochBegin: (_t, e) => void (e > 0 && gradual && st.compress.prune(model, { sparsity: target(e), scope })) },
          { onBatchEnd: () => st.compress.applyMasks(model) },
          { onEpochEnd: (_t, log) => void process.stderr.write(`epoch ${log.epoch}: loss ${log.train_loss.toFixed(4)}\n`) },
        ],
      });
      await trainer.fit(train, { epochs });
    }
    st.compress.removePruning(model);
    const after = await testAccuracy(model, config, test);
    const nz = st.compress.countNonZero(model);
    const metrics = { test_accuracy: after.accuracy, test_loss: after.loss, dense_test_accuracy: dense.accuracy, sparsity: 1 - nz.prunableNonZero / nz.prunable, nonzero_params: nz.nonZero, params: nz.params };
    const file = writeCompressedRun(out, model, { ...config, pruned: { sparsity, scope, gradual, finetuneEpochs: epochs } }, metrics);
    const bytes = st.compress.fileStats(file).bytes;
    if (a.get('json')) {
      process.stdout.write(JSON.stringify({ ...metrics, bytes }, null, 2) + '\n');
      return 0;
    }
    process.stdout.write([
      `sparsity of Conv2d/Linear weights: ${(100 * metrics.sparsity).toFixed(1)}% (${nz.nonZero} of ${nz.params} parameters non-zero, ${(nz.params / nz.nonZero).toFixed(1)}× fewer)`,
      `test accuracy: ${(100 * dense.accuracy).toFixed(2)}% dense → ${(100 * after.accuracy).toFixed(2)}% pruned`,
      `weights file: ${bytes} bytes (CSR for sparse weights)`,
      `run folder: ${out}`,
    ].join('\n') + '\n');
    return 0;
  },
});

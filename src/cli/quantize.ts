// `strata quantize`: an int8 copy of a trained run (dynamic or static post-training quantization).
import * as st from '../index.js';
import { flags, UsageError } from './args.js';
import { defineCommand } from './command.js';
import { loadRun } from './run-folder.js';
import { needOut, runLoaders, testAccuracy, writeCompressedRun } from './compress-common.js';

export const command = defineCommand({
  name: 'quantize',
  summary: 'an int8 copy of a run (dynamic or static post-training quantization, ATen int8 kernels)',
  usage: '--checkpoint runs/X --mode dynamic|static [--calibration-batches N] --out runs/Y',
  flags: flags({
    checkpoint: { type: 'string', help: 'run folder of the float model (strata train)', valueName: 'DIR' },
    mode: { type: 'string', help: 'dynamic: int8 Linear weights, activations quantized per batch; static: observers calibrated on training batches, int8 conv and linear', default: 'static', choices: ['dynamic', 'static', 'qat'] },
    'calibration-batches': { type: 'int', help: 'training batches the observers see (static)', default: 10, min: 1 },
    'batch-size': { type: 'int', help: 'calibration batch size', default: 64, min: 1 },
    out: { type: 'string', help: 'run folder to write (model.safetensors with int8 weights, config.json)', valueName: 'DIR' },
    'data-dir': { type: 'string', help: 'dataset folder', valueName: 'DIR', defaultText: "the Debian package's" },
    json: { type: 'boolean', help: 'print the report as JSON' },
  }),
  async run(a) {
    const mode = a.get('mode');
    if (mode === 'qat') throw new UsageError('quantize', '--mode qat (quantization-aware training) is not implemented yet; use static or dynamic');
    const out = needOut('quantize', a.get('out'));
    st.setBackend('native');
    const { model, config } = loadRun(a.need('checkpoint'), 'model', 'quantize');
    const { train, test } = runLoaders('quantize', config, { batchSize: a.get('batch-size'), dataDir: a.get('data-dir'), shuffle: true });
    const before = await testAccuracy(model, config, test);
    const calibration: st.Tensor[] = [];
    for (const b of train) {
      if (calibration.length >= a.get('calibration-batches')) break;
      calibration.push(st.keep(b.x));
    }
    const { model: q, report } = st.compress.quantize(model, { mode, calibration });
    for (const x of calibration) x.dispose();
    const after = await testAccuracy(q, config, test);
    const metrics = { test_accuracy: after.accuracy, test_loss: after.loss, float_test_accuracy: before.accuracy, quantize: report };
    const file = writeCompressedRun(out, q, config, metrics, report);
    const bytes = st.compress.fileStats(file).bytes;
    if (a.get('json')) {
      process.stdout.write(JSON.stringify({ ...metrics, file, bytes }, null, 2) + '\n');
      return 0;
    }
    process.stdout.write([
      `${mode} int8 (${report.engine} engine, ${report.layout}): ${report.int8Layers.length} int8 layers${report.fused.length ? `, fused ${report.fused.join(', ')}` : ''}`,
      ...report.keptFloat.map((k) => `  kept in float: ${k.name} (${k.type}): ${k.reason}`),
      `test accuracy: ${(100 * before.accuracy).toFixed(2)}% float → ${(100 * after.accuracy).toFixed(2)}% int8`,
      `weights file: ${bytes} bytes`,
      `run folder: ${out}`,
    ].join('\n') + '\n');
    return 0;
  },
});

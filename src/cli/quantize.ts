// `strata quantize`: an int8 copy of a trained run (dynamic or static post-training quantization).
import * as st from '../index.js';
import { StrataError } from '../tensor/errors.js';
import { helpText, parseArgs, type FlagSpec } from './args.js';
import { loadRun } from './train.js';
import { needOut, runLoaders, testAccuracy, writeCompressedRun } from './compress-common.js';

const SPEC: Record<string, FlagSpec> = {
  checkpoint: { type: 'string', help: 'run folder of the float model (strata train)' },
  mode: { type: 'string', help: 'dynamic: int8 Linear weights, activations quantized per batch; static: observers calibrated on training batches, int8 conv and linear', default: 'static', choices: ['dynamic', 'static', 'qat'] },
  'calibration-batches': { type: 'int', help: 'training batches the observers see (static)', default: 10 },
  'batch-size': { type: 'int', help: 'calibration batch size', default: 64 },
  out: { type: 'string', help: 'run folder to write (model.safetensors with int8 weights, config.json)' },
  'data-dir': { type: 'string', help: 'dataset folder (default: the Debian package\'s)' },
  json: { type: 'boolean', help: 'print the report as JSON' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function cmdQuantize(argv: string[]): Promise<number> {
  const a = parseArgs('quantize', argv, SPEC);
  if (a.bool('help')) {
    process.stdout.write(helpText('usage: strata quantize --checkpoint runs/X --mode dynamic|static --out runs/Y', SPEC));
    return 0;
  }
  const mode = a.str('mode') as st.compress.QuantizeMode;
  if (mode === 'qat') throw new StrataError('quantize', '--mode qat is not implemented yet (quantization-aware training); use static or dynamic');
  const n = a.num('calibration-batches')!;
  if (n < 1) throw new StrataError('quantize', `--calibration-batches must be at least 1, got ${n}`);
  const out = needOut('quantize', a.str('out'));
  st.setBackend('native');
  const { model, config } = loadRun(a.need('checkpoint'), 'model', 'quantize');
  const { train, test } = runLoaders('quantize', config, { batchSize: a.num('batch-size')!, dataDir: a.str('data-dir'), shuffle: true });
  const before = await testAccuracy(model, config, test);
  const calibration: st.Tensor[] = [];
  for (const b of train) {
    if (calibration.length >= n) break;
    calibration.push(st.keep(b.x));
  }
  const { model: q, report } = st.compress.quantize(model, { mode, calibration });
  for (const x of calibration) x.dispose();
  const after = await testAccuracy(q, config, test);
  const metrics = { test_accuracy: after.accuracy, test_loss: after.loss, float_test_accuracy: before.accuracy, quantize: report };
  const file = writeCompressedRun(out, q, config, metrics, report);
  if (a.bool('json')) {
    process.stdout.write(JSON.stringify({ ...metrics, file, bytes: st.compress.fileStats(file).bytes }, null, 2) + '\n');
    return 0;
  }
  process.stdout.write([
    `${mode} int8 (${report.engine} engine, ${report.layout}): ${report.int8Layers.length} int8 layers${report.fused.length ? `, fused ${report.fused.join(', ')}` : ''}`,
    ...report.keptFloat.map((k) => `  kept in float: ${k.name} (${k.type}): ${k.reason}`),
    `test accuracy: ${(100 * before.accuracy).toFixed(2)}% float → ${(100 * after.accuracy).toFixed(2)}% int8`,
    `weights file: ${st.compress.fileStats(file).bytes} bytes`,
    `run folder: ${out}`,
  ].join('\n') + '\n');
  return 0;
}

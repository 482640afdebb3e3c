// `strata export`: a trained run (or model file) to ONNX, through onnx.exportModel.
import * as st from '../index.js';
import { flags, UsageError, type Args } from './args.js';
import { defineCommand } from './command.js';
import { loadRun } from './run-folder.js';

const EXPORT_FLAGS = flags({
  checkpoint: { type: 'string', help: 'run folder written by strata train (or its .safetensors model file)', valueName: 'DIR' },
  weights: { type: 'string', help: 'which weights in the run folder', default: 'model', choices: ['model', 'best'] },
  format: { type: 'string', help: 'output format', default: 'onnx', choices: ['onnx'] },
  opset: { type: 'int', help: 'ONNX opset (17 is the one supported)', default: 17, check: (v: number) => (v === 17 ? null : `opset ${v} is not supported; strata exports opset 17`) },
  'dynamic-batch': { type: 'boolean', help: 'make dim 0 of inputs and outputs a symbolic batch (otherwise fixed at --batch)' },
  batch: { type: 'int', help: 'batch size of the traced example input', default: 1, min: 1 },
  out: { type: 'string', help: 'the .onnx file to write', valueName: 'FILE' },
});

export const command = defineCommand({
  name: 'export',
  summary: 'a trained run to ONNX (checked against ONNX Runtime in the tests)',
  usage: '--checkpoint DIR --format onnx [--opset 17] [--dynamic-batch] --out model.onnx',
  flags: EXPORT_FLAGS,
  run: exportRun,
});

function exportRun(a: Args<typeof EXPORT_FLAGS>): number {
  const out = a.need('out');
  if (!out.toLowerCase().endsWith('.onnx')) throw new UsageError('export', `--out: expected a .onnx file, got '${out}'`);
  const batch = a.get('batch');
  const { model, config } = loadRun(a.need('checkpoint'), a.get('weights'), 'export');
  const task = config.task as Record<string, unknown>;
  let inputs: st.Tensor[];
  if (typeof task.vocabSize === 'number') {
    inputs = [st.zeros([batch, Number(task.contextLength)], { dtype: 'int64' })];
  } else {
    const t = task as unknown as st.models.ImageTask;
    inputs = [st.randn([batch, t.inChannels, t.height, t.width]), ...Object.values(t.inputs ?? {}).map((s) => st.randn([batch, ...s]))];
  }
  const dynamicBatch = a.get('dynamic-batch');
  st.onnx.exportModel(model, inputs, out, { opset: a.get('opset'), dynamicBatch });
  process.stdout.write(`wrote ${out} (ONNX opset ${a.get('opset')}, ${String(config.model)}, input ${inputs.map((x) => `[${x.shape.join(', ')}]`).join(' ')}${dynamicBatch ? ', dynamic batch' : ''})\n`);
  return 0;
}

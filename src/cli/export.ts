// `strata export`: a trained run (or model file) to ONNX, through onnx.exportModel.
import * as st from '../index.js';
import { helpText, parseArgs, type FlagSpec } from './args.js';
import { loadRun } from './train.js';

const SPEC: Record<string, FlagSpec> = {
  checkpoint: { type: 'string', help: 'run folder written by strata train (or its .safetensors model file)' },
  weights: { type: 'string', help: 'which weights in the run folder', default: 'model', choices: ['model', 'best'] },
  format: { type: 'string', help: 'output format', default: 'onnx', choices: ['onnx'] },
  opset: { type: 'int', help: 'ONNX opset', default: 17 },
  'dynamic-batch': { type: 'boolean', help: 'make dim 0 of inputs and outputs a symbolic batch (otherwise fixed at --batch)' },
  batch: { type: 'int', help: 'batch size of the traced example input', default: 1 },
  out: { type: 'string', help: 'the .onnx file to write' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function cmdExport(argv: string[]): Promise<number> {
  const a = parseArgs('export', argv, SPEC);
  if (a.bool('help')) {
    process.stdout.write(helpText('usage: strata export --checkpoint RUN --format onnx [--opset 17] [--dynamic-batch] --out model.onnx', SPEC));
    return 0;
  }
  const out = a.need('out');
  const batch = a.num('batch')!;
  if (batch < 1) throw new st.StrataError('export', `--batch must be at least 1, got ${batch}`);
  const { model, config } = loadRun(a.need('checkpoint'), a.str('weights'), 'export');
  const task = config.task as Record<string, unknown>;
  let inputs: st.Tensor[];
  if (typeof task.vocabSize === 'number') {
    inputs = [st.zeros([batch, Number(task.contextLength)], { dtype: 'int64' })];
  } else {
    const t = task as unknown as st.models.ImageTask;
    inputs = [st.randn([batch, t.inChannels, t.height, t.width]), ...Object.values(t.inputs ?? {}).map((s) => st.randn([batch, ...s]))];
  }
  st.onnx.exportModel(model, inputs, out, { opset: a.num('opset'), dynamicBatch: a.bool('dynamic-batch') });
  process.stdout.write(`wrote ${out} (ONNX opset ${a.num('opset')}, ${String(config.model)}, input ${inputs.map((x) => `[${x.shape.join(', ')}]`).join(' ')}${a.bool('dynamic-batch') ? ', dynamic batch' : ''})\n`);
  return 0;
}

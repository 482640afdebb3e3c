// `strata convert IN OUT`: weight files between safetensors, torch.save and ONNX, through io.convertWeights.
import * as st from '../index.js';
import { flags, type Args } from './args.js';
import { defineCommand } from './command.js';

const CONVERT_FLAGS = flags({});

export const command = defineCommand({
  name: 'convert',
  summary: 'weight files between safetensors, torch.save (.pt) and ONNX',
  usage: 'IN OUT',
  description: 'Converts weights by file extension: .safetensors, .pt/.pth/.bin (torch.save), .onnx (read: its initializers).\n'
    + 'Pickles holding anything but tensors and plain containers are refused (no pickled code is run).',
  flags: CONVERT_FLAGS,
  positionals: { name: 'IN OUT', min: 2, max: 2 },
  run: convert,
});

function convert(a: Args<typeof CONVERT_FLAGS>): number {
  const [input, output] = a.positional;
  const r = st.io.convertWeights(input, output);
  process.stdout.write(`wrote ${output}: ${r.tensors} tensors, ${(r.bytes / 2 ** 20).toFixed(1)} MiB (${r.from} → ${r.to})\n`);
  return 0;
}

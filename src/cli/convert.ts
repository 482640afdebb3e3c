// `strata convert IN OUT`: weight files between safetensors, torch.save and ONNX, through io.convertWeights.
import * as st from '../index.js';
import { helpText, parseArgs, type FlagSpec } from './args.js';

const SPEC: Record<string, FlagSpec> = {
  help: { type: 'boolean', help: 'show this help' },
};
const USAGE = `usage: strata convert IN OUT

Converts weights by file extension: .safetensors, .pt/.pth/.bin (torch.save), .onnx (read: its initializers).
Pickles holding anything but tensors and plain containers are refused (no pickled code is run).`;

export async function cmdConvert(argv: string[]): Promise<number> {
  const a = parseArgs('convert', argv, SPEC);
  if (a.bool('help')) {
    process.stdout.write(helpText(USAGE, SPEC));
    return 0;
  }
  if (a.positional.length !== 2) throw new st.StrataError('convert', `expected two files, IN and OUT, got ${a.positional.length}; ${USAGE.split('\n')[0]}`);
  const [input, output] = a.positional;
  const r = st.io.convertWeights(input, output);
  process.stdout.write(`wrote ${output}: ${r.tensors} tensors, ${(r.bytes / 2 ** 20).toFixed(1)} MiB (${r.from} → ${r.to})\n`);
  return 0;
}

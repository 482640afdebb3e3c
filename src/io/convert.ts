// Converting weight files between safetensors, torch.save (.pt/.pth/.bin) and ONNX (initializers out of a model).
// The torch.save reader never runs pickled code: a pickle holding anything but tensors and plain containers is refused.
import { readFileSync, existsSync } from 'node:fs';
import { extname } from 'node:path';
import { StrataError, fmtShape } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { DType } from '../tensor/dtype.js';
import { tensor } from '../ops/creation.js';
import { loadSafetensors, saveSafetensors } from './safetensors.js';
import { loadTorch, saveTorch } from './torch.js';
import { decodeModel } from './onnx/proto.js';

export type WeightFormat = 'safetensors' | 'torch' | 'onnx';

/** The format of a path by its extension (.safetensors; .pt, .pth, .bin, .ckpt; .onnx). */
export function weightFormat(path: string, op = 'convert'): WeightFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.safetensors') return 'safetensors';
  if (['.pt', '.pth', '.bin', '.ckpt'].includes(ext)) return 'torch';
  if (ext === '.onnx') return 'onnx';
  throw new StrataError(op, `cannot tell the format of ${path} from its extension '${ext}'; use .safetensors, .pt/.pth/.bin (torch.save) or .onnx`);
}

const FROM_ONNX: Record<number, DType> = { 1: 'float32', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64' };

/** The initializers of an ONNX model (its weights), by name. */
export function loadOnnxInitializers(path: string): Record<string, Tensor> {
  const model = decodeModel(readFileSync(path));
  const out: Record<string, Tensor> = {};
  for (const t of (model.graph?.initializer ?? []) as Record<string, any>[]) {
    const dtype = FROM_ONNX[t.data_type];
    const shape = ((t.dims ?? []) as number[]).map(Number);
    if (!dtype) throw new StrataError('convert', `${path}: initializer ${t.name} has ONNX data type ${t.data_type}, which strata does not read (float32, float64, int32, int64, bool)`);
    if (t.data_location === 1) throw new StrataError('convert', `${path}: initializer ${t.name} lives in an external data file; convert needs the weights inside the .onnx file`);
    let data: ArrayLike<number> | ArrayLike<bigint>;
    if (t.raw_data && t.raw_data.length) {
      const raw: Uint8Array = Uint8Array.from(t.raw_data);
      data = dtype === 'float32' ? new Float32Array(raw.buffer) : dtype === 'float64' ? new Float64Array(raw.buffer)
        : dtype === 'int32' ? new Int32Array(raw.buffer) : dtype === 'int64' ? new BigInt64Array(raw.buffer) : Array.from(raw);
    } else {
      data = (t.float_data ?? t.double_data ?? t.int32_data ?? t.int64_data ?? []) as number[];
    }
    const n = shape.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new StrataError('convert', `${path}: initializer ${t.name} ${fmtShape(shape)} holds ${data.length} values, expected ${n}`);
    out[t.name] = tensor(Array.from(data as ArrayLike<number>, Number), { shape, dtype });
  }
  return out;
}

/**
 * Converts a weight file: safetensors ↔ torch.save, and ONNX → either (its initializers). Writing ONNX needs
 * a model, not a state dict: use onnx.exportModel / `strata export`. Returns what was written.
 * @example io.convertWeights('resnet18.pt', 'resnet18.safetensors')
 */
export function convertWeights(input: string, output: string): { tensors: number; bytes: number; from: WeightFormat; to: WeightFormat } {
  const from = weightFormat(input), to = weightFormat(output);
  if (!existsSync(input)) throw new StrataError('convert', `${input} does not exist`);
  if (to === 'onnx') {
    throw new StrataError('convert', `${output}: an ONNX file needs the model's graph, not only its weights; export a trained run with 'strata export --checkpoint RUN --format onnx --out ${output}' (or onnx.exportModel)`);
  }
  const sd = from === 'safetensors' ? loadSafetensors(input).tensors : from === 'torch' ? loadTorch(input) : loadOnnxInitializers(input);
  if (to === 'safetensors') saveSafetensors(output, sd);
  else saveTorch(output, sd);
  let bytes = 0;
  for (const t of Object.values(sd)) bytes += t.numel * (t.dtype === 'float64' || t.dtype === 'int64' ? 8 : t.dtype === 'bool' ? 1 : 4);
  const n = Object.keys(sd).length;
  for (const t of Object.values(sd)) t.dispose();
  return { tensors: n, bytes, from, to };
}

// ONNX's protobuf messages through protobufjs and ONNX's own onnx.proto (a copy of ONNX 1.12's, Apache-2.0,
// beside this file): building plain objects with the .proto's field names and encoding a ModelProto.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { StrataError } from '../../tensor/errors.js';
import type { DType } from '../../tensor/dtype.js';

/** TensorProto.DataType values for strata's dtypes. */
export const ONNX_DTYPE: Partial<Record<DType, number>> = {
  float32: 1, int32: 6, int64: 7, bool: 9, float64: 11,
};

/** AttributeProto.AttributeType values. */
export const ATTR = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

let root: protobuf.Root | null = null;

/** onnx.proto sits in src/io/onnx/ (shipped with the package); this module runs from dist/src/io/onnx/. */
function protoPath(): string {
  const candidates = ['../../../../src/io/onnx/onnx.proto', './onnx.proto'];
  for (const c of candidates) {
    const p = fileURLToPath(new URL(c, import.meta.url));
    try {
      readFileSync(p, { flag: 'r' }).subarray(0, 1);
      return p;
    } catch {
      // try the next
    }
  }
  throw new StrataError('onnx', `onnx.proto was not found beside ${fileURLToPath(import.meta.url)} (looked for ${candidates.join(', ')}); reinstall strata`);
}

function onnxRoot(): protobuf.Root {
  root ??= new protobuf.Root().loadSync(protoPath(), { keepCase: true });
  return root;
}

/** Encodes a ModelProto given as a plain object with onnx.proto's field names (snake_case). */
export function encodeModel(model: Record<string, unknown>): Uint8Array {
  const T = onnxRoot().lookupType('onnx.ModelProto');
  const err = T.verify(model);
  if (err) throw new StrataError('onnx.exportModel', `internal error: the ONNX model does not verify against onnx.proto: ${err}`);
  return T.encode(T.fromObject(model)).finish();
}

/** Decodes a ModelProto into a plain object (used by `strata convert` and the tests). */
export function decodeModel(bytes: Uint8Array): Record<string, any> {
  const T = onnxRoot().lookupType('onnx.ModelProto');
  return T.toObject(T.decode(bytes), { longs: Number, defaults: false }) as Record<string, any>;
}

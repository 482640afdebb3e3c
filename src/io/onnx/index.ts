// ONNX export (opset 17): `import { onnx } from 'strata'`: onnx.exportModel, onnx.exportModelBuffer, onnx.registerOnnxOp.
export { exportModel, exportModelBuffer, GraphBuilder } from './export.js';
export type { ExportOptions, AttrValue } from './export.js';
export { registerOnnxOp, onnxOps } from './ops.js';
export type { OnnxOpMapping } from './ops.js';
export type { TracedOp } from './trace.js';
export { decodeModel } from './proto.js';

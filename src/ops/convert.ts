// Dtype conversion, copies, detaching, moving between backends, and the in-place ops optimizers use.
import type { Backend, BackendName } from '../backends/backend.js';
import { backendByName, backendForDevice } from '../backends/registry.js';
import { Device, type DeviceLike } from '../tensor/device.js';
import { cudaDeviceCount, cudaUnavailableReason } from '../backends/native/index.js';
import { defineOp, record } from '../autograd/graph.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { checkDType, isFloating, type DType } from '../tensor/dtype.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { broadcastShapes, shapesEqual } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { backendOf, expectTensor, wrap } from './util.js';

const castDef = defineOp<{ from: DType }>({
  name: 'cast',
  backward: (ctx, [g]) => [isFloating(ctx.attrs.from) ? cast(g, ctx.attrs.from) : null],
});

/** x converted to dtype (a new tensor; x itself when the dtype already matches). */
export function cast(x: Tensor, dtype: DType): Tensor {
  const op = 'to';
  expectTensor(op, 'input', x);
  checkDType(op, dtype);
  if (x.dtype === dtype) return x;
  const out = wrap(x.backend, x.backend.cast(x, dtype), x.shape, dtype);
  if (isFloating(dtype)) record(castDef, [x], out, [], { from: x.dtype });
  return out;
}

const identityDef = defineOp({ name: 'clone', backward: (_ctx, [g]) => [g] });

/** A copy with its own storage (differentiable). */
export function clone(x: Tensor): Tensor {
  expectTensor('clone', 'input', x);
  const out = wrap(x.backend, x.backend.contiguous(x), x.shape, x.dtype);
  record(identityDef, [x], out, [], undefined);
  return out;
}

const contiguousDef = defineOp({ name: 'contiguous', backward: (_ctx, [g]) => [g] });

/** x itself if its storage is row-major, else a row-major copy. */
export function contiguous(x: Tensor): Tensor {
  expectTensor('contiguous', 'input', x);
  if (!x._isView) return x;
  const out = wrap(x.backend, x.backend.contiguous(x), x.shape, x.dtype);
  record(contiguousDef, [x], out, [], undefined);
  return out;
}

/** A tensor sharing x's storage but cut from the autograd graph. */
export function detach(x: Tensor): Tensor {
  expectTensor('detach', 'input', x);
  const b = x.backend;
  const h = b.view(x, x.shape);
  return h === null ? wrap(b, b.contiguous(x), x.shape, x.dtype) : wrap(b, h, x.shape, x.dtype, x);
}

const moveDef = defineOp<{ from: Backend }>({
  name: 'to',
  backward: (ctx, [g]) => [moveTo(g, ctx.attrs.from, false)],
});

/** x's storage copied to `target`'s device: one ATen copy within the native kernels, else through the host. */
function moveHandle(x: Tensor, target: Backend, nonBlocking: boolean) {
  if (target.name === x.backend.name && target.toDevice) return target.toDevice(x, target.device, nonBlocking);
  return target.fromData(x.backend.read(x), x.shape, x.dtype);
}

function moveTo(x: Tensor, target: Backend, nonBlocking: boolean): Tensor {
  if (target === x.backend) return x;
  const out = wrap(target, moveHandle(x, target, nonBlocking), x.shape, x.dtype);
  record(moveDef, [x], out, [], { from: x.backend });
  return out;
}

/** A copy of x on another backend (differentiable); native means the native kernels on the default device. */
export function toBackend(x: Tensor, name: BackendName): Tensor {
  expectTensor('to', 'input', x);
  return moveTo(x, backendByName(name), false);
}

/**
 * A copy of x on `device` (a device, or a backend object), x itself when it is there already
 * (differentiable). A CPU target keeps x's kernel library (js stays js); CUDA needs the native one.
 */
export function toDevice(x: Tensor, device: DeviceLike | Backend, opts: { nonBlocking?: boolean } = {}): Tensor {
  expectTensor('to', 'input', x);
  const target = typeof device === 'object' && !(device instanceof Device) ? device : backendForDevice('to', device, x.backend);
  return moveTo(x, target, opts.nonBlocking ?? false);
}

/** @internal Moves x's storage in place to `target` (Module.to). */
export function moveInPlace(x: Tensor, target: Backend): void {
  expectTensor('to', 'input', x);
  if (target === x.backend) return;
  x._rebind(target, moveHandle(x, target, false));
}

/** A copy of CPU tensor x in page-locked memory (x itself when pinned already). */
export function pinMemory(x: Tensor): Tensor {
  expectTensor('pinMemory', 'input', x);
  if (x.device.type !== 'cpu') throw new StrataError('pinMemory', `only CPU tensors can be pinned; this one is on ${x.device}`);
  if (!x.backend.pinMemory || cudaDeviceCount() === 0) throw new StrataError('pinMemory', `pinned memory needs the native backend with CUDA: ${cudaUnavailableReason()}`);
  if (x.backend.isPinned?.(x)) return x;
  return wrap(x.backend, x.backend.pinMemory(x), x.shape, x.dtype);
}

function checkInPlace(op: string, dst: Tensor): void {
  expectTensor(op, 'self', dst);
  if (isGradEnabled() && dst.requiresGrad) {
    throw new StrataError(op, dst.isLeaf
      ? `a leaf tensor of shape ${fmtShape(dst.shape)} that requires grad cannot be modified in place; do it inside st.noGrad(() => …)`
      : `in-place ops on tensors that are part of an autograd graph are not supported; use the out-of-place op`);
  }
}

function checkBroadcastTo(op: string, dst: Tensor, src: Tensor): void {
  const b = broadcastShapes(op, dst.shape, src.shape);
  if (!shapesEqual(b, dst.shape)) {
    throw new StrataError(op, `source of shape ${fmtShape(src.shape)} cannot be broadcast to the destination's shape ${fmtShape(dst.shape)}`);
  }
}

/** dst ← src (broadcast, converted to dst's dtype). */
export function copyInPlace(dst: Tensor, src: Tensor): void {
  const op = 'copy_';
  checkInPlace(op, dst);
  expectTensor(op, 'src', src);
  backendOf(op, dst, src);
  checkBroadcastTo(op, dst, src);
  dst.backend.copy_(dst, src);
  dst._version.v++;
}

export function fillInPlace(dst: Tensor, value: number): void {
  checkInPlace('fill_', dst);
  dst.backend.fill_(dst, value);
  dst._version.v++;
}

/** dst ← dst + alpha·other. */
export function addInPlace(dst: Tensor, other: Tensor | number, alpha = 1): void {
  const op = 'add_';
  checkInPlace(op, dst);
  if (other instanceof Tensor) {
    backendOf(op, dst, other);
    checkBroadcastTo(op, dst, other);
  }
  dst.backend.add_(dst, other, alpha);
  dst._version.v++;
}

/** dst ← dst · other. */
export function mulInPlace(dst: Tensor, other: Tensor | number): void {
  const op = 'mul_';
  checkInPlace(op, dst);
  if (other instanceof Tensor) {
    backendOf(op, dst, other);
    checkBroadcastTo(op, dst, other);
  }
  dst.backend.mul_(dst, other);
  dst._version.v++;
}

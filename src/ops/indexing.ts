// Indexing: index-select, gather, scatter-add, index-add, one-hot and embedding lookups.
// Index values are range-checked here (read back to JS) before any kernel runs.
import { defineOp, record } from '../autograd/graph.js';
import { StrataError, fmtShape } from '../tensor/errors.js';
import { checkNumel, normDim, numel, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { arange, zeros } from './creation.js';
import { cast } from './convert.js';
import { eq, mul, ne } from './elementwise.js';
import { pad, reshape, unsqueeze } from './shape.js';
import { backendOf, expectIndex, expectTensor, wrap } from './util.js';

// ---------------------------------------------------------------- checks

/** The smallest and largest index value (the values are read back: indices are small). */
function indexExtent(index: Tensor): { min: number; max: number } {
  const v = index.data() as ArrayLike<number | bigint>;
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const n = Number(v[i]);
    if (n < min) min = n;
    if (n > max) max = n;
  }
  return { min, max };
}

/** Throws unless every value of `index` lies in [0, size); `where` says what is indexed. */
function checkRange(op: string, index: Tensor, size: number, where: string): void {
  if (index.numel === 0) return;
  const { min, max } = indexExtent(index);
  if (min >= 0 && max < size) return;
  const bad = min < 0 ? min : max;
  const valid = size === 0 ? 'there are no valid indices (the size is 0)' : `valid indices are 0..${size - 1}`;
  throw new StrataError(op, `index ${bad} is out of range for ${where}: ${valid}`);
}

function dimWhere(d: number, x: Tensor, name = 'input'): string {
  return `dim ${d} (size ${x.shape[d]}) of the ${name} of shape ${fmtShape(x.shape)}`;
}

/** scatterAdd/indexAdd: x and src must share a dtype that addition is defined for. */
function checkAddDtypes(op: string, x: Tensor, src: Tensor): void {
  if (x.dtype !== src.dtype) {
    throw new StrataError(op, `src is ${src.dtype}${fmtShape(src.shape)} but the input is ${x.dtype}${fmtShape(x.shape)}; convert src with .to('${x.dtype}')`);
  }
  if (x.dtype === 'bool') throw new StrataError(op, 'bool tensors cannot be added into; convert them with .long() or .float()');
}

function checkIndexVector(op: string, index: Tensor): void {
  if (index.ndim > 1) throw new StrataError(op, `index must be 0-d or 1-d, got shape ${fmtShape(index.shape)}; flatten() it first`);
}

// ---------------------------------------------------------------- indexSelect

interface DimAttrs { dim: number }

const indexSelectDef = defineOp<DimAttrs>({
  name: 'indexSelect',
  backward: (ctx, [g]) => {
    const [index] = ctx.saved;
    const base = zeros(ctx.inputs[0].shape, { dtype: g.dtype, backend: g.backend });
    return [indexAddRaw(base, ctx.attrs.dim, index, g), null];
  },
});

/** indexSelect on checked arguments (ndim >= 1, dim normalised, indices in range). */
function indexSelectRaw(x: Tensor, dim: number, index: Tensor): Tensor {
  const shape = x.shape.slice();
  shape[dim] = index.numel;
  const out = wrap(x.backend, x.backend.indexSelect(x, dim, index), shape, x.dtype);
  record(indexSelectDef, [x, index], out, [index], { dim });
  return out;
}

/**
 * The slices of x at `index` along dim: x [..., n, ...], index [k] (int64 or int32; 0-d counts as [1])
 * → [..., k, ...]. A 0-d x takes one index (0) and gives a 0-d result.
 * @example st.indexSelect(x, 0, st.tensor([2, 0], { dtype: 'int64' }))   // rows 2 and 0
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const op = 'indexSelect';
  expectTensor(op, 'input', x);
  expectTensor(op, 'index', index);
  backendOf(op, x, index);
  expectIndex(op, index);
  checkIndexVector(op, index);
  const d = normDim(op, dim, x.ndim);
  if (x.ndim === 0) {
    if (index.numel !== 1) throw new StrataError(op, `a 0-d input takes exactly one index, got ${index.numel} (index shape ${fmtShape(index.shape)})`);
    checkRange(op, index, 1, 'a 0-d input of shape []');
    return reshape(indexSelectRaw(reshape(x, [1]), 0, reshape(index, [1])), []);
  }
  checkRange(op, index, x.shape[d], dimWhere(d, x));
  return indexSelectRaw(x, d, index);
}

// ---------------------------------------------------------------- gather

const gatherDef = defineOp<DimAttrs>({
  name: 'gather',
  backward: (ctx, [g]) => {
    const [index] = ctx.saved;
    const base = zeros(ctx.inputs[0].shape, { dtype: g.dtype, backend: g.backend });
    return [scatterAddRaw(base, ctx.attrs.dim, index, g), null];
  },
});

function gatherRaw(x: Tensor, dim: number, index: Tensor): Tensor {
  const out = wrap(x.backend, x.backend.gather(x, dim, index), index.shape, x.dtype);
  record(gatherDef, [x, index], out, [index], { dim });
  return out;
}

/**
 * Picks along dim: out[i][j] = x[index[i][j]][j] for dim 0, x[i][index[i][j]] for dim 1, and so on.
 * index has x's ndim and index.size(d) <= x.size(d) for d != dim; the result has index's shape.
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const op = 'gather';
  expectTensor(op, 'input', x);
  expectTensor(op, 'index', index);
  backendOf(op, x, index);
  expectIndex(op, index);
  const d = normDim(op, dim, x.ndim);
  if (index.ndim !== x.ndim) {
    throw new StrataError(op, `index must have the input's number of dims: index shape ${fmtShape(index.shape)}, input shape ${fmtShape(x.shape)}`);
  }
  if (x.ndim === 0) {
    checkRange(op, index, 1, 'a 0-d input of shape []');
    return reshape(gatherRaw(reshape(x, [1]), 0, reshape(index, [1])), []);
  }
  for (let i = 0; i < x.ndim; i++) {
    if (i !== d && index.shape[i] > x.shape[i]) {
      throw new StrataError(op, `index shape ${fmtShape(index.shape)} is larger than the input shape ${fmtShape(x.shape)} at dim ${i} (${index.shape[i]} > ${x.shape[i]}); index may only exceed the input along dim ${d}`);
    }
  }
  checkRange(op, index, x.shape[d], dimWhere(d, x));
  return gatherRaw(x, d, index);
}

// ---------------------------------------------------------------- scatterAdd

const scatterAddDef = defineOp<DimAttrs & { srcShape: Shape }>({
  name: 'scatterAdd',
  backward: (ctx, [g]) => {
    const [index] = ctx.saved;
    let gs: Tensor | null = null;
    if (ctx.needs(2)) {
      gs = gatherRaw(g, ctx.attrs.dim, index);
      const src = ctx.attrs.srcShape;
      // NOTE: src may be larger than index; its elements beyond index's extent were never added.
      if (src.some((s, i) => s !== index.shape[i])) {
        const pads: number[] = [];
        for (let i = src.length - 1; i >= 0; i--) pads.push(0, src[i] - index.shape[i]);
        gs = pad(gs, pads);
      }
    }
    return [ctx.needs(0) ? g : null, null, gs];
  },
});

function scatterAddRaw(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const out = wrap(x.backend, x.backend.scatterAdd(x, dim, index, src), x.shape, x.dtype);
  record(scatterAddDef, [x, index, src], out, [index], { dim, srcShape: src.shape.slice() });
  return out;
}

/**
 * A copy of x with src added at index along dim: out[index[i][j]][j] += src[i][j] for dim 0.
 * index, src and x have the same ndim; index.size(d) <= src.size(d) for every d and
 * index.size(d) <= x.size(d) for d != dim (only src's leading index.shape block is used).
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const op = 'scatterAdd';
  expectTensor(op, 'input', x);
  expectTensor(op, 'index', index);
  expectTensor(op, 'src', src);
  backendOf(op, x, index, src);
  expectIndex(op, index);
  checkAddDtypes(op, x, src);
  const d = normDim(op, dim, x.ndim);
  if (index.ndim !== x.ndim || src.ndim !== x.ndim) {
    throw new StrataError(op, `input, index and src must have the same number of dims: input ${fmtShape(x.shape)}, index ${fmtShape(index.shape)}, src ${fmtShape(src.shape)}`);
  }
  if (x.ndim === 0) {
    checkRange(op, index, 1, 'a 0-d input of shape []');
    return reshape(scatterAddRaw(reshape(x, [1]), 0, reshape(index, [1]), reshape(src, [1])), []);
  }
  for (let i = 0; i < x.ndim; i++) {
    if (index.shape[i] > src.shape[i]) {
      throw new StrataError(op, `index shape ${fmtShape(index.shape)} is larger than src shape ${fmtShape(src.shape)} at dim ${i} (${index.shape[i]} > ${src.shape[i]})`);
    }
    if (i !== d && index.shape[i] > x.shape[i]) {
      throw new StrataError(op, `index shape ${fmtShape(index.shape)} is larger than the input shape ${fmtShape(x.shape)} at dim ${i} (${index.shape[i]} > ${x.shape[i]}); index may only exceed the input along dim ${d}`);
    }
  }
  checkRange(op, index, x.shape[d], dimWhere(d, x));
  return scatterAddRaw(x, d, index, src);
}

// ---------------------------------------------------------------- indexAdd

const indexAddDef = defineOp<DimAttrs>({
  name: 'indexAdd',
  backward: (ctx, [g]) => {
    const [index] = ctx.saved;
    return [ctx.needs(0) ? g : null, null, ctx.needs(2) ? indexSelectRaw(g, ctx.attrs.dim, index) : null];
  },
});

function indexAddRaw(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const out = wrap(x.backend, x.backend.indexAdd(x, dim, index, src), x.shape, x.dtype);
  record(indexAddDef, [x, index, src], out, [index], { dim });
  return out;
}

/**
 * A copy of x with src's slices added at index along dim: out[..., index[j], ...] += src[..., j, ...].
 * x [..., n, ...], index [k] (0-d counts as [1]), src [..., k, ...] (x's shape elsewhere).
 * Repeated indices accumulate.
 */
export function indexAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const op = 'indexAdd';
  expectTensor(op, 'input', x);
  expectTensor(op, 'index', index);
  expectTensor(op, 'src', src);
  backendOf(op, x, index, src);
  expectIndex(op, index);
  checkIndexVector(op, index);
  checkAddDtypes(op, x, src);
  const d = normDim(op, dim, x.ndim);
  const k = index.numel;
  if (x.ndim === 0) {
    if (src.ndim !== 0 || k !== 1) {
      throw new StrataError(op, `a 0-d input takes one index and a 0-d src, got index shape ${fmtShape(index.shape)} and src shape ${fmtShape(src.shape)}`);
    }
    checkRange(op, index, 1, 'a 0-d input of shape []');
    return reshape(indexAddRaw(reshape(x, [1]), 0, reshape(index, [1]), reshape(src, [1])), []);
  }
  const want = x.shape.slice();
  want[d] = k;
  if (src.ndim !== x.ndim || src.shape.some((s, i) => s !== want[i])) {
    throw new StrataError(op, `src shape ${fmtShape(src.shape)} does not fit: with input shape ${fmtShape(x.shape)} and ${k} indices along dim ${d}, src must have shape ${fmtShape(want)}`);
  }
  checkRange(op, index, x.shape[d], dimWhere(d, x));
  return indexAddRaw(x, d, index, src);
}

// ---------------------------------------------------------------- oneHot

/**
 * int64 class indices of any shape → one-hot int64 of shape [..., numClasses].
 * numClasses = -1 takes the largest index + 1.
 * @example st.oneHot(st.tensor([0, 2], { dtype: 'int64' }), 3)   // [[1,0,0],[0,0,1]]
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  const op = 'oneHot';
  expectTensor(op, 'indices', indices);
  expectIndex(op, indices, 'indices');
  if (!Number.isInteger(numClasses) || numClasses < -1) {
    throw new StrataError(op, `numClasses must be a non-negative integer or -1 (infer from the data), got ${numClasses}`);
  }
  let c = numClasses;
  if (indices.numel === 0) {
    if (c === -1) throw new StrataError(op, `cannot infer numClasses from empty indices of shape ${fmtShape(indices.shape)}; pass numClasses`);
  } else {
    const { min, max } = indexExtent(indices);
    if (min < 0) throw new StrataError(op, `class index ${min} is negative in indices of shape ${fmtShape(indices.shape)}: class indices must be >= 0`);
    if (c === -1) c = max + 1;
    else if (max >= c) {
      throw new StrataError(op, `class index ${max} is out of range for numClasses ${c} in indices of shape ${fmtShape(indices.shape)}: valid indices are 0..${c - 1}`);
    }
  }
  checkNumel(op, indices.numel * c, `the one-hot of indices of shape ${fmtShape(indices.shape)} with ${c} classes`);
  const classes = arange(0, c, 1, { dtype: 'int64', backend: indices.backend });
  return cast(eq(unsqueeze(indices, -1), classes), 'int64');
}

// ---------------------------------------------------------------- embedding

interface EmbeddingAttrs { numWeights: number; paddingIdx: number }

const embeddingBackwardDef = defineOp<EmbeddingAttrs>({
  name: 'embeddingBackward',
  // d(gradW)/dg is the lookup itself, with the padding row's contribution dropped.
  backward: (ctx, [gg]) => {
    const [indices] = ctx.saved;
    let r = embeddingRaw(indices, gg, ctx.attrs.paddingIdx);
    if (ctx.attrs.paddingIdx >= 0) r = mul(r, unsqueeze(ne(indices, ctx.attrs.paddingIdx), -1));
    return [r, null];
  },
});

/** The gradient of an embedding lookup: g [*, D] summed into rows of a [numWeights, D] table. */
function embeddingBackward(g: Tensor, indices: Tensor, numWeights: number, paddingIdx: number): Tensor {
  const b = g.backend;
  const out = wrap(b, b.embeddingBackward(g, indices, numWeights, paddingIdx), [numWeights, g.shape[g.ndim - 1]], g.dtype);
  record(embeddingBackwardDef, [g, indices], out, [indices], { numWeights, paddingIdx });
  return out;
}

const embeddingDef = defineOp<EmbeddingAttrs>({
  name: 'embedding',
  backward: (ctx, [g]) => {
    const [indices] = ctx.saved;
    return [null, embeddingBackward(g, indices, ctx.attrs.numWeights, ctx.attrs.paddingIdx)];
  },
});

/** The lookup on checked arguments; paddingIdx -1 means none. */
function embeddingRaw(indices: Tensor, weight: Tensor, paddingIdx: number): Tensor {
  const b = weight.backend;
  const n = numel(indices.shape), dimW = weight.shape[1];
  const flatIdx = indices.ndim === 1 ? indices : reshape(indices, [n]);
  const rows = wrap(b, b.indexSelect(weight, 0, flatIdx), [n, dimW], weight.dtype);
  const shape = [...indices.shape, dimW];
  const out = wrap(b, b.view(rows, shape)!, shape, weight.dtype);
  rows.dispose();
  if (flatIdx !== indices) flatIdx.dispose();
  record(embeddingDef, [indices, weight], out, [indices], { numWeights: weight.shape[0], paddingIdx });
  return out;
}

/**
 * Rows of `weight` [num, dim] at int64 (or int32) `indices` of any shape → [...indices.shape, dim].
 * The row at paddingIdx (negative counts from the end) gets no gradient, as in torch.nn.Embedding.
 * @example st.embedding(st.tensor([[1, 3]], { dtype: 'int64' }), weight)   // [1, 2, dim]
 */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  const op = 'embedding';
  expectTensor(op, 'indices', indices);
  expectTensor(op, 'weight', weight);
  backendOf(op, indices, weight);
  expectIndex(op, indices, 'indices');
  if (weight.ndim !== 2) throw new StrataError(op, `weight must be 2-D [numEmbeddings, embeddingDim], got shape ${fmtShape(weight.shape)}`);
  const num = weight.shape[0];
  let p = -1;
  if (paddingIdx !== null && paddingIdx !== undefined) {
    if (!Number.isInteger(paddingIdx) || paddingIdx < -num || paddingIdx >= num) {
      throw new StrataError(op, `paddingIdx ${paddingIdx} is out of range for a weight of shape ${fmtShape(weight.shape)}: expected an integer in ${-num}..${num - 1}`);
    }
    p = paddingIdx < 0 ? paddingIdx + num : paddingIdx;
  }
  checkRange(op, indices, num, `a weight of shape ${fmtShape(weight.shape)} (indices of shape ${fmtShape(indices.shape)})`);
  return embeddingRaw(indices, weight, p);
}

// Strided, broadcasting elementwise loops, generated once per expression so each loop is monomorphic.
import type { Shape } from '../../tensor/shape.js';
import type { Store } from './storage.js';
import * as fns from './math.js';

/** One operand of a loop: an array, its offset and strides over the loop's shape (0 = broadcast). */
export interface Operand { data: Store | Float64Array; offset: number; strides: number[] }

type Kernel = (shape: number[], o: Operand, a: Operand, b: Operand | null, c: Operand | null, p0: number, p1: number, F: typeof fns) => void;

const cache = new Map<string, Kernel>();

/**
 * Merges adjacent dims whose strides line up in every operand, and drops size-1 dims, so that
 * contiguous and simply-broadcast loops run as one long inner loop.
 */
function coalesce(shape: readonly number[], ops: Operand[]): { shape: number[]; strides: number[][] } {
  const keep: number[] = [];
  for (let i = 0; i < shape.length; i++) if (shape[i] !== 1) keep.push(i);
  let sh = keep.map((i) => shape[i]);
  let st = ops.map((op) => keep.map((i) => op.strides[i]));
  if (sh.length === 0) return { shape: [1], strides: ops.map(() => [0]) };
  const outShape: number[] = [sh[sh.length - 1]];
  const outStrides = st.map((s) => [s[s.length - 1]]);
  for (let d = sh.length - 2; d >= 0; d--) {
    const innerSize = outShape[0];
    const mergeable = st.every((s, k) => s[d] === outStrides[k][0] * innerSize);
    if (mergeable) {
      outShape[0] *= sh[d];
    } else {
      outShape.unshift(sh[d]);
      st.forEach((s, k) => outStrides[k].unshift(s[d]));
    }
  }
  sh = outShape;
  st = outStrides;
  return { shape: sh, strides: st };
}

/**
 * Compiles `expr` (over a, b, c, p0, p1) into a strided loop writing o.
 * NOTE: `new Function` gives each expression its own loop; a shared loop calling a closure per
 * element would be megamorphic and several times slower.
 */
function compile(expr: string, arity: 1 | 2 | 3): Kernel {
  const names = ['a', 'b', 'c'].slice(0, arity);
  const decl = names.map((n) => `const ${n}D = ${n}.data; let ${n}P = ${n}.offset; const ${n}S = ${n}.strides;`).join('\n');
  const loads = names.map((n) => `const ${n} = ${n}D[${n}P + i * ${n}I];`).join(' ');
  const inner = names.map((n) => `const ${n}I = ${n}S[last];`).join(' ');
  const store = `oD[oP + i * oI] = ${expr};`;
  const advance = ['o', ...names].map((n) => `${n}P += ${n}S[d];`).join(' ');
  const rewind = ['o', ...names].map((n) => `${n}P -= ${n}S[d] * shape[d];`).join(' ');
  const src = `
    const oD = o.data; let oP = o.offset; const oS = o.strides;
    ${decl}
    const nd = shape.length, last = nd - 1, n = shape[last];
    const oI = oS[last]; ${inner}
    const idx = new Array(nd).fill(0);
    for (;;) {
      for (let i = 0; i < n; i++) { ${loads} ${store} }
      let d = last - 1;
      while (d >= 0) {
        idx[d]++; ${advance}
        if (idx[d] < shape[d]) break;
        ${rewind} idx[d] = 0; d--;
      }
      if (d < 0) break;
    }`;
  return new Function('shape', 'o', 'a', 'b', 'c', 'p0', 'p1', 'F', src) as Kernel;
}

/** Runs `expr` elementwise over `shape`, writing o. Operands' strides must already be broadcast to `shape`. */
export function map(expr: string, shape: Shape, o: Operand, a: Operand, b: Operand | null = null, c: Operand | null = null, p0 = 0, p1 = 0): void {
  let n = 1;
  for (const s of shape) n *= s;
  if (n === 0) return;
  const arity = c ? 3 : b ? 2 : 1;
  const key = `${arity}:${expr}`;
  let k = cache.get(key);
  if (!k) {
    k = compile(expr, arity as 1 | 2 | 3);
    cache.set(key, k);
  }
  const ops = [o, a, b, c].filter((x): x is Operand => x !== null);
  const { shape: cs, strides } = coalesce(shape, ops);
  const re = ops.map((op, i) => ({ data: op.data, offset: op.offset, strides: strides[i] }));
  k(cs, re[0], re[1], re[2] ?? null, re[3] ?? null, p0, p1, fns);
}

/** An operand holding one number, broadcast everywhere. */
export function scalarOperand(v: number, ndim: number): Operand {
  const data = new Float64Array(1);
  data[0] = v;
  return { data, offset: 0, strides: new Array<number>(ndim).fill(0) };
}

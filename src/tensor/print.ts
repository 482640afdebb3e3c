// Readable printing in PyTorch's style: aligned columns, summarised when large.
import type { Backend } from '../backends/backend.js';
import { CPU } from './device.js';
import { isFloating } from './dtype.js';
import type { Tensor } from './tensor.js';

const THRESHOLD = 1000;
const EDGE = 3;

export function formatTensor(t: Tensor): string {
  const flat = t.data();
  const n = flat.length;
  const summarise = n > THRESHOLD;
  const isFloat = isFloating(t.dtype);
  const vals: number[] = [];
  for (let i = 0; i < n; i++) vals.push(Number(flat[i]));
  const fmt = makeFormatter(vals, isFloat, t.dtype === 'bool');
  const width = Math.max(1, ...vals.slice(0, 2000).map((v) => fmt(v).length));
  const strides: number[] = [];
  let acc = 1;
  for (let i = t.shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= t.shape[i];
  }
  const indent = 'tensor('.length;
  const rec = (dim: number, off: number): string => {
    if (dim === t.shape.length) return fmt(vals[off]).padStart(width);
    const size = t.shape[dim];
    const idx: (number | null)[] = [];
    if (summarise && size > 2 * EDGE) {
      for (let i = 0; i < EDGE; i++) idx.push(i);
      idx.push(null);
      for (let i = size - EDGE; i < size; i++) idx.push(i);
    } else for (let i = 0; i < size; i++) idx.push(i);
    const parts = idx.map((i) => (i === null ? '...' : rec(dim + 1, off + i * strides[dim])));
    if (dim === t.shape.length - 1) return `[${parts.join(', ')}]`;
    const sep = ',' + '\n'.repeat(t.shape.length - dim - 1) + ' '.repeat(indent + dim + 1);
    return `[${parts.join(sep)}]`;
  };
  const body = t.shape.length === 0 ? fmt(vals[0]) : rec(0, 0);
  const extras: string[] = [];
  if (t.shape.length > 0 && n === 0) extras.push(`size=(${t.shape.join(', ')})`);
  if (t.dtype !== 'float32' && t.dtype !== 'int64' && t.dtype !== 'bool') extras.push(`dtype=${t.dtype}`);
  const dflt = defaultBackend();
  if (t.backend.name !== dflt.name) extras.push(`backend=${t.backend.name}`);
  if (!t.backend.device.equals(dflt.device)) extras.push(`device='${t.backend.device}'`);
  if (t.gradFn) extras.push(`gradFn=${t.gradFn.name}`);
  else if (t.requiresGrad) extras.push('requiresGrad=true');
  return `tensor(${body}${extras.length ? ', ' + extras.join(', ') : ''})`;
}

let defaultBackend = (): Backend => ({ name: 'native', device: CPU }) as Backend;
/** @internal */
export function _wirePrintDefault(f: () => Backend): void {
  defaultBackend = f;
}

function makeFormatter(vals: number[], isFloat: boolean, isBool: boolean): (v: number) => string {
  if (isBool) return (v) => (v ? 'true' : 'false');
  if (!isFloat) return (v) => String(v);
  const finite = vals.filter((v) => Number.isFinite(v));
  const allInt = finite.every((v) => Number.isInteger(v));
  const maxAbs = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const minAbs = finite.filter((v) => v !== 0).reduce((m, v) => Math.min(m, Math.abs(v)), Infinity);
  const special = (v: number) => (Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
  if (allInt && maxAbs < 1e8) return (v) => (Number.isFinite(v) ? v.toFixed(0) + '.' : special(v));
  if (maxAbs >= 1e8 || (minAbs < 1e-4 && minAbs !== Infinity) || maxAbs / Math.max(minAbs, 1e-300) > 1000 && maxAbs >= 1000) {
    return (v) => (Number.isFinite(v) ? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2') : special(v));
  }
  return (v) => (Number.isFinite(v) ? v.toFixed(4) : special(v));
}

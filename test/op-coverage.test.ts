// Issue 11 item 5: every op exported from src/ops has a float64 gradient-check case, or is listed below as not
// differentiable (with why). Coverage is read from the test sources: an op counts when it is called (st.op(…),
// F.op(…) or as a tensor method .op(…)) inside a test block that runs gradcheck, or in a top-level case table
// such a block iterates over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ops from '../src/ops/index.js';

// The repository's test/ folder (this file runs from dist/test/).
const testDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test');

/** Ops with no gradient to check, and why. */
export const NOT_DIFFERENTIABLE: Record<string, string> = {
  ...Object.fromEntries(['tensor', 'scalarTensor', 'full', 'zeros', 'ones', 'fullLike', 'zerosLike', 'onesLike', 'arange', 'linspace', 'eye',
    'rand', 'randn', 'randint', 'randperm', 'randLike', 'randnLike'].map((k) => [k, 'creates a tensor from numbers'])),
  ...Object.fromEntries(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor', 'logicalNot', 'isnan', 'isinf', 'all', 'any',
    'allclose', 'equal'].map((k) => [k, 'returns bools'])),
  ...Object.fromEntries(['argmax', 'argmin', 'argsort', 'nonzero', 'oneHot'].map((k) => [k, 'returns int64 indices'])),
  ...Object.fromEntries(['floor', 'ceil', 'round', 'trunc', 'sign', 'remainder', 'floorDivide'].map((k) => [k, 'piecewise constant: the gradient is 0 almost everywhere (tested by value in elementwise.test)'])),
  ...Object.fromEntries(['copyInPlace', 'fillInPlace', 'addInPlace', 'mulInPlace'].map((k) => [k, 'in-place update of leaves, outside autograd'])),
  ...Object.fromEntries(['autocast', 'autocastDtype', 'toAutocast', 'toFloat32'].map((k) => [k, 'mixed-precision plumbing: dtype casts and a mode switch, no float64 path to check'])),
  ...Object.fromEntries(['toDevice', 'moveInPlace', 'pinMemory'].map((k) => [k, 'moves storage between devices; values unchanged'])),
  detach: 'cuts the graph by definition',
  toBackend: 'moves storage; its gradient is the identity moved back (covered by parity tests)',
  cast: 'dtype conversion (float64 → float64 is the identity)',
  resolveBackend: 'helper, not an op', toTyped: 'helper, not an op', matmulShape: 'shape inference helper', poolOutputSize: 'shape inference helper',
  activationBackward: 'a backward kernel, checked through relu/tanh/sigmoid/gelu/silu',
  unreduce: 'backward helper of the reductions', sumToShape: 'backward helper of broadcasting',
};

function chunks(src: string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  for (const line of src.split('\n')) {
    if (/^\S/.test(line) && !/^[})\]]/.test(line) && cur.length) {
      out.push(cur.join('\n'));
      cur = [];
    }
    cur.push(line);
  }
  if (cur.length) out.push(cur.join('\n'));
  return out;
}

/** Names called inside gradcheck blocks (and the top-level tables they use), over every test file. */
function gradcheckedNames(): Set<string> {
  const names = new Set<string>();
  for (const f of readdirSync(testDir).filter((n) => n.endsWith('.test.ts'))) {
    const parts = chunks(readFileSync(join(testDir, f), 'utf8'));
    const tables = new Map<string, string>();
    for (const p of parts) {
      const m = /^(?:export )?const ([A-Za-z_]\w*)\b/.exec(p);
      if (m) tables.set(m[1], p);
    }
    for (const p of parts) {
      if (!/\bgradcheck\(/.test(p) || /^import /.test(p)) continue;
      const text = [p, ...[...tables].filter(([k]) => new RegExp(`\\b${k}\\b`).test(p) && !p.startsWith(`const ${k}`)).map(([, v]) => v)].join('\n');
      for (const m of text.matchAll(/(?:\bst\.|\bF\.|\bnn\.functional\.|\.)([a-zA-Z]\w*)\(/g)) names.add(m[1]);
    }
  }
  return names;
}

test('op coverage: every op exported from src/ops has a float64 gradient check (or is listed as not differentiable)', () => {
  const exported = Object.entries(ops).filter(([, v]) => typeof v === 'function').map(([k]) => k);
  const checked = gradcheckedNames();
  const missing = exported.filter((k) => !(k in NOT_DIFFERENTIABLE) && !checked.has(k));
  assert.deepEqual(missing, [], `ops without a gradcheck case: ${missing.join(', ')}; add a case to the op family's test (see test/helpers.ts gradcheck), or list the op in NOT_DIFFERENTIABLE with the reason`);
  const stale = Object.keys(NOT_DIFFERENTIABLE).filter((k) => !exported.includes(k));
  assert.deepEqual(stale, [], `NOT_DIFFERENTIABLE names ops that are not exported: ${stale.join(', ')}`);
});

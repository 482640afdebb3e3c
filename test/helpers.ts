// Test helpers: backends to run on, finite-difference gradient checks, cross-backend parity, approx equality.
import assert from 'node:assert/strict';
import * as st from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { backendByName } from '../src/backends/registry.js';

/** Backends under test: js always; native when the addon loads (required when STRATA_REQUIRE_NATIVE=1). */
export function backends(): ('js' | 'native')[] {
  const out: ('js' | 'native')[] = ['js'];
  try {
    backendByName('native');
    out.push('native');
  } catch (e) {
    if (process.env.STRATA_REQUIRE_NATIVE === '1') throw e;
  }
  return out;
}
export const hasNative = (): boolean => backends().includes('native');

/** Runs fn with `be` as the default backend (new tensors, models and lazily built layers go there). */
export function onBackend<R>(be: 'js' | 'native', fn: () => R): R {
  const prev = st.getBackend().name as 'js' | 'native';
  st.setBackend(be);
  try {
    return fn();
  } finally {
    st.setBackend(prev);
  }
}

/** Asserts that f throws a StrataError whose message contains every string and matches every RegExp. */
export function throwsWith(f: () => unknown, ...parts: (string | RegExp)[]): void {
  assert.throws(f, (e: Error) => {
    assert.ok(e instanceof st.StrataError, `expected a StrataError, got ${e}`);
    for (const p of parts) assert.ok(typeof p === 'string' ? e.message.includes(p) : p.test(e.message), `message ${JSON.stringify(e.message)} lacks ${p}`);
    return true;
  });
}

/** What fn writes to process.stdout (not passed through). */
export function captureStdout(fn: () => unknown): string {
  let text = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => {
    text += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    fn();
  } finally {
    process.stdout.write = write;
  }
  return text;
}

/** An image-classification task with square inputs. */
export const imageTask = (c: number, h: number, classes = 10): st.models.ImageTask => ({ inChannels: c, height: h, width: h, numClasses: classes });

/** A seeded batch of n random c×h×h images with labels (3i mod 10). */
export function imageBatch(be: 'js' | 'native', n: number, c: number, h: number, seed: number): { x: Tensor; y: Tensor } {
  const g = new st.Generator(seed);
  const x = st.randn([n, c, h, h], { backend: be, generator: g });
  const y = st.tensor(Array.from({ length: n }, (_, i) => (i * 3) % 10), { dtype: 'int64', backend: be });
  return { x, y };
}

/** Loads m's state dict into fresh and asserts both give the same outputs on x in eval mode; disposes both. */
export function assertSameAfterLoad(m: st.nn.Module, fresh: st.nn.Module, x: Tensor): void {
  fresh.loadStateDict(m.stateDict());
  m.eval();
  fresh.eval();
  st.noGrad(() => assertClose(fresh.forward(x) as Tensor, m.forward(x) as Tensor, { atol: 1e-6, rtol: 1e-5 }));
  m.dispose();
  fresh.dispose();
}

/** Flat numbers of a tensor. */
export function flat(t: Tensor): number[] {
  return Array.from(t.data() as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Asserts a tensor's values (nested array) within tolerance; NaN matches NaN. */
export function assertClose(actual: Tensor | number[], expected: number[] | Tensor, tol: { atol?: number; rtol?: number } = {}, msg = ''): void {
  const a = Array.isArray(actual) ? actual : flat(actual);
  const e = Array.isArray(expected) ? (expected as number[]).flat(Infinity as 1) as number[] : flat(expected);
  if (!Array.isArray(actual) && !Array.isArray(expected)) {
    assert.deepEqual(actual.shape, (expected as Tensor).shape, `${msg} shape`);
  }
  assert.equal(a.length, e.length, `${msg}: length ${a.length} vs ${e.length}`);
  const atol = tol.atol ?? 1e-5, rtol = tol.rtol ?? 1e-4;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(e[i]) && Number.isNaN(a[i])) continue;
    if (e[i] === a[i]) continue;
    const ok = Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]);
    if (!ok) assert.fail(`${msg} element ${i}: got ${a[i]}, expected ${e[i]} (atol ${atol}, rtol ${rtol})`);
  }
}

/** A deterministic float64 tensor with values away from kinks (|x| in [0.2, 1.2], random sign). */
export function smooth(shape: number[], seed = 1, backend: 'js' | 'native' = 'js', opts: { positive?: boolean } = {}): Tensor {
  const g = new st.Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = 0.2 + g.random();
    v[i] = opts.positive || g.random() < 0.5 ? m : -m;
  }
  return st.tensor(v, { shape, dtype: 'float64', backend });
}

/**
 * Finite-difference check of every input's gradient in float64: compares autograd's gradient of
 * L = Σ w·f(inputs) (w a fixed random projection) with central differences.
 */
export function gradcheck(
  f: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[],
  opts: { eps?: number; atol?: number; rtol?: number; name?: string } = {},
): void {
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 1e-4;
  const name = opts.name ?? 'gradcheck';
  for (const x of inputs) assert.equal(x.dtype, 'float64', `${name}: gradcheck needs float64 inputs`);
  const leaves = inputs.map((x) => x.detach().requiresGrad_());
  const outs0 = [f(...leaves)].flat();
  const g = new st.Generator(12345);
  const weights = outs0.map((o) => {
    const n = o.numel;
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = g.random() * 2 - 1;
    return st.tensor(w, { shape: o.shape.slice(), dtype: 'float64', backend: o.backend });
  });
  const loss = (outs: Tensor[]) => outs.reduce((acc: Tensor | null, o, i) => {
    const term = o.dtype === 'float64' ? o.mul(weights[i]).sum() : null;
    return term === null ? acc : acc === null ? term : acc.add(term);
  }, null)!;
  loss(outs0).backward();
  const analytic = leaves.map((l) => (l.grad ? flat(l.grad) : new Array(l.numel).fill(0)));
  st.noGrad(() => {
    inputs.forEach((x, k) => {
      const base = flat(x);
      for (let i = 0; i < base.length; i++) {
        const evalAt = (delta: number) => {
          const v = base.slice();
          v[i] += delta;
          const xs = inputs.map((y, j) => (j === k ? st.tensor(Float64Array.from(v), { shape: x.shape.slice(), dtype: 'float64', backend: x.backend }) : y));
          return loss([f(...xs)].flat()).item();
        };
        const numeric = (evalAt(eps) - evalAt(-eps)) / (2 * eps);
        const a = analytic[k][i];
        if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
          assert.fail(`${name}: d/d input${k}[${i}] analytic ${a} vs numeric ${numeric}`);
        }
      }
    });
  });
}

/**
 * Runs f on the js and native backends with the same inputs (given as js tensors; any dtype) and
 * compares outputs and, for float inputs, gradients of Σ w·f.
 */
export function parity(
  f: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[],
  opts: { atol?: number; rtol?: number; name?: string; grad?: boolean } = {},
): void {
  if (!hasNative()) return;
  const name = opts.name ?? 'parity';
  const results = (['js', 'native'] as const).map((be) => {
    const xs = inputs.map((x) => {
      const c = x.to(be).detach();
      if (opts.grad !== false && (x.dtype === 'float32' || x.dtype === 'float64')) c.requiresGrad_();
      return c;
    });
    const outs = [f(...xs)].flat();
    const floats = outs.filter((o) => o.dtype === 'float32' || o.dtype === 'float64');
    if (opts.grad !== false && floats.some((o) => o.requiresGrad)) {
      const g = new st.Generator(7);
      let total: Tensor | null = null;
      for (const o of floats) {
        if (!o.requiresGrad) continue;
        const w = new Float64Array(o.numel).map(() => g.random() * 2 - 1);
        const term = o.mul(st.tensor(w, { shape: o.shape.slice(), dtype: o.dtype, backend: be })).sum();
        total = total ? total.add(term) : term;
      }
      total!.backward();
    }
    return { outs: outs.map((o) => ({ shape: o.shape.slice(), dtype: o.dtype, v: flat(o) })), grads: xs.map((x) => (x.grad ? flat(x.grad) : null)) };
  });
  const [js, nat] = results;
  assert.equal(js.outs.length, nat.outs.length, `${name}: number of outputs`);
  js.outs.forEach((o, i) => {
    assert.deepEqual(nat.outs[i].shape, o.shape, `${name}: output ${i} shape`);
    assert.equal(nat.outs[i].dtype, o.dtype, `${name}: output ${i} dtype`);
    assertClose(nat.outs[i].v, o.v, opts, `${name}: output ${i} (native vs js)`);
  });
  js.grads.forEach((g, i) => {
    const n = nat.grads[i];
    assert.equal(n === null, g === null, `${name}: input ${i} gradient presence`);
    if (g && n) assertClose(n, g, opts, `${name}: grad of input ${i} (native vs js)`);
  });
}

export { st };

/** One optimizer step (SGD with lr unless `opt` is given) on `loss()` lowers it (same batch, before and after). */
export function trainStepLowers(model: st.nn.Module, loss: () => Tensor, lr = 0.05, opt?: st.optim.Optimizer<st.optim.GroupBase>): void {
  const o = opt ?? new st.optim.SGD(model.parameters(), { lr });
  const l0 = loss();
  o.zeroGrad();
  l0.backward();
  o.step();
  const l1 = st.noGrad(() => loss());
  assert.ok(l1.item() < l0.item(), `loss did not decrease: ${l0.item()} → ${l1.item()}`);
}

/** save → load into a fresh instance → same keys and same outputs (evaluation mode). */
export function roundTrip(a: st.nn.Module, b: st.nn.Module, run: (m: st.nn.Module) => Tensor, tol: { atol?: number; rtol?: number } = { atol: 1e-6 }): void {
  a.eval();
  b.eval();
  assert.deepEqual(Object.keys(b.stateDict()), Object.keys(a.stateDict()));
  b.loadStateDict(a.stateDict());
  st.noGrad(() => assertClose(run(b), flat(run(a)), tol));
}

/** What checkModule checks; `build` makes a fresh module on the current default backend. */
export interface ModuleCheck<M extends st.nn.Module> {
  build: () => M;
  /** The forward call under test (inputs are made by the caller on `be`). */
  run: (m: M) => Tensor;
  outputShape?: number[];
  numParameters?: number;
  /** The training loss (default: mean of the squared output); one step of `lr` SGD must lower it. */
  loss?: (m: M) => Tensor;
  lr?: number;
  /** Every parameter gets a finite gradient from the loss (default true). */
  everyParameterGrad?: boolean;
  /** Compare outputs of the same weights on js and native (default true when native loads). */
  parity?: boolean;
  /** Tolerance of the js↔native comparison (default 1e-5). */
  atol?: number;
}

/**
 * The layer harness (as Keras' layer_test): output shape, parameter count, state-dict round trip into a fresh
 * instance, one training step that lowers the loss, and js↔native parity of the same weights. `inputs(be)` makes
 * the inputs on a backend; `check` gets them.
 */
export function checkModule<M extends st.nn.Module, I>(be: 'js' | 'native', inputs: (be: 'js' | 'native') => I, check: (x: I) => ModuleCheck<M>): void {
  const x = inputs(be);
  const c = check(x);
  const m = onBackend(be, c.build);
  const y = st.noGrad(() => c.run(m));
  if (c.outputShape) assert.deepEqual(y.shape, c.outputShape, 'output shape');
  if (c.numParameters !== undefined) assert.equal(m.numParameters(), c.numParameters, 'parameter count');
  roundTrip(m, onBackend(be, c.build), c.run as (m: st.nn.Module) => Tensor, { atol: 1e-6, rtol: 1e-5 });
  m.train();
  const loss = () => (c.loss ? c.loss(m) : c.run(m).square().mean());
  if (c.everyParameterGrad ?? true) {
    m.zeroGrad();
    loss().backward();
    for (const [k, p] of m.namedParameters()) {
      assert.ok(p.grad, `${k} has a gradient`);
      assert.ok(flat(p.grad).every(Number.isFinite), `${k}'s gradient is finite`);
    }
    assert.ok(m.parameters().every((p) => p.grad === null) || m.parameters().some((p) => flat(p.grad!).some((v) => v !== 0)), 'some gradient is non-zero');
  }
  if (m.numParameters() > 0) trainStepLowers(m, loss, c.lr ?? 0.05);
  if ((c.parity ?? true) && hasNative()) {
    const other = be === 'js' ? 'native' : 'js';
    const m2 = onBackend(other, c.build);
    m2.loadStateDict(m.stateDict());
    m.eval();
    m2.eval();
    const y2 = st.noGrad(() => check(inputs(other)).run(m2));
    assertClose(y2, flat(st.noGrad(() => c.run(m))), { atol: c.atol ?? 1e-5, rtol: 1e-4 }, 'js↔native parity');
  }
}

/** `strata ARGV` in this process (no spawn): exit code, stdout and stderr. */
export async function strataInProcess(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const { run } = await import('../src/cli/main.js');
  const out = { stdout: '', stderr: '' };
  const saved = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = ((c: string) => ((out.stdout += c), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string) => ((out.stderr += c), true)) as typeof process.stderr.write;
  try {
    return { status: await run(argv), ...out };
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
  }
}

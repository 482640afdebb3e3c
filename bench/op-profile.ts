// Where a step's time goes: wraps every kernel of the current backend with a timer for a few runs and
// prints time per kernel (with call counts), and the time spent outside kernels (the TypeScript side).
import * as st from '../src/index.js';

export function observeOps(fn: () => unknown, reps: number): void {
  const b = st.getBackend() as unknown as Record<string, unknown>;
  const stats = new Map<string, { ms: number; calls: number }>();
  const originals = new Map<string, (...a: unknown[]) => unknown>();
  for (const [k, v] of Object.entries(b)) {
    if (typeof v !== 'function' || k === 'info' || k === 'stats') continue;
    const f = v as (...a: unknown[]) => unknown;
    originals.set(k, f);
    b[k] = (...args: unknown[]) => {
      // unary/binary kernels are told apart by their op name
      const name = k === 'unary' || k === 'binary' || k === 'reduce' || k === 'activationBackward' ? `${k}:${String(args[0])}` : k;
      const t = performance.now();
      try {
        return f(...args);
      } finally {
        const s = stats.get(name) ?? { ms: 0, calls: 0 };
        s.ms += performance.now() - t;
        s.calls++;
        stats.set(name, s);
      }
    };
  }
  const t0 = performance.now();
  try {
    for (let i = 0; i < reps; i++) fn();
  } finally {
    for (const [k, f] of originals) b[k] = f;
  }
  const total = (performance.now() - t0) / reps;
  const rows = [...stats.entries()].map(([k, s]) => ({ kernel: k, ms: s.ms / reps, calls: s.calls / reps })).sort((a, c) => c.ms - a.ms);
  const inKernels = rows.reduce((a, r) => a + r.ms, 0);
  console.log(`per step: ${total.toFixed(1)} ms, in kernels ${inKernels.toFixed(1)} ms, outside kernels ${(total - inKernels).toFixed(1)} ms`);
  for (const r of rows.slice(0, 25)) console.log(`${r.ms.toFixed(2).padStart(9)} ms ${String(r.calls).padStart(5)}×  ${r.kernel}`);
}

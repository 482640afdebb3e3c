// Shared by the benchmark scripts.

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** --name value pairs. */
export function parseFlags(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) out[argv[i].slice(2)] = argv[i + 1] ?? '';
  }
  return out;
}

/** Times fn (after warm-up runs) and prints one JSON line {workload, seconds (median), reps}, unless filtered out. */
export function measure(only: ReadonlySet<string>, name: string, fn: () => void, warmup: number, reps: number): void {
  if (only.size && !only.has(name)) return;
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    times.push((performance.now() - t) / 1000);
  }
  console.log(JSON.stringify({ workload: name, seconds: median(times), reps }));
}

/**
 * The environment a PyTorch peer runs with: the same thread count and the same OpenMP wait policy
 * strata's native backend uses (PASSIVE unless the user set one), so ratios compare kernels and
 * dispatch, not OpenMP spinning.
 */
export function peerEnv(threads: number): Record<string, string> {
  const env: Record<string, string> = { OMP_NUM_THREADS: String(threads) };
  if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) env.OMP_WAIT_POLICY = 'PASSIVE';
  return env;
}

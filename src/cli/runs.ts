// `strata runs`: list, show, remove, compare and import runs of the run store.
import * as st from '../index.js';
import { StrataError } from '../tensor/errors.js';
import { flags, UsageError, type Args } from './args.js';
import { defineCommand } from './command.js';

const USAGE = 'ls [--filter K=V,...] | show ID | rm ID... | compare ID ID... | import DIR...  [--store PATH] [--json]';
const RUNS_FLAGS = flags({
  store: { type: 'string', help: 'run store', valueName: 'PATH', defaultText: 'STRATA_STORE or ~/.strata/runs.db' },
  filter: { type: 'string', help: 'ls: KEY=VALUE[,KEY=VALUE...] on model, dataset, kind, status, group or a config key', valueName: 'K=V,...' },
  json: { type: 'boolean', help: 'print JSON' },
});

export const command = defineCommand({
  name: 'runs',
  summary: 'the run store: ls, show ID, rm ID, compare ID ID..., import DIR',
  usage: USAGE,
  flags: RUNS_FLAGS,
  positionals: { name: 'SUBCOMMAND [ID... | DIR...]', min: 1 },
  run: runsCommand,
});

const pct = (v: number | undefined) => (v === undefined ? '-' : `${(100 * v).toFixed(2)}%`);

function ids(args: string[], min: number): number[] {
  if (args.length < min) throw new UsageError('runs', `expected ${min === 1 ? 'a run id' : `at least ${min} run ids`}; usage: strata runs ${USAGE}`);
  return args.map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1) throw new UsageError('runs', `'${x}' is not a run id (a positive integer, as strata runs ls prints)`);
    return n;
  });
}

function runsCommand(a: Args<typeof RUNS_FLAGS>): number {
  const [sub, ...rest] = a.positional;
  if (!['ls', 'show', 'rm', 'compare', 'import'].includes(sub)) throw new UsageError('runs', `unknown subcommand '${sub}'; usage: strata runs ${USAGE}`);
  const out = (s: string) => process.stdout.write(s + '\n');
  const store = st.lab.RunStore.open(a.get('store'), { readonly: sub !== 'rm' && sub !== 'import' });
  try {
    switch (sub) {
      case 'ls': {
        const filter: Record<string, string> = {};
        for (const kv of (a.get('filter') ?? '').split(',').filter(Boolean)) {
          const eq = kv.indexOf('=');
          if (eq < 1) throw new UsageError('runs', `--filter takes KEY=VALUE pairs, got '${kv}'`);
          filter[kv.slice(0, eq)] = kv.slice(eq + 1);
        }
        const rows = store.list(filter);
        if (a.get('json')) return out(JSON.stringify(rows, null, 2)), 0;
        out(`${'id'.padStart(5)}  ${'kind'.padEnd(8)}${'model'.padEnd(20)}${'dataset'.padEnd(15)}${'status'.padEnd(10)}${'epochs'.padStart(6)}${'test acc'.padStart(10)}  started`);
        for (const r of rows) out(`${String(r.id).padStart(5)}  ${r.kind.padEnd(8)}${(r.model ?? '-').padEnd(20)}${(r.dataset ?? '-').padEnd(15)}${r.status.padEnd(10)}${String(r.final.epoch ?? '-').padStart(6)}${pct(r.final.test_accuracy).padStart(10)}  ${r.startedAt.slice(0, 19).replace('T', ' ')}`);
        return 0;
      }
      case 'show': {
        const [id] = ids(rest, 1);
        const r = store.get(id);
        if (!r) throw new StrataError('runs', `no run ${id} in ${store.path}; see strata runs ls`);
        if (a.get('json')) return out(JSON.stringify(r, null, 2)), 0;
        out(`run ${r.id}: ${r.name} (${r.kind}, ${r.status})`);
        for (const [k, v] of [['folder', r.runDir], ['group', r.group], ['git commit', r.gitCommit], ['host', r.host], ['device', r.device], ['started', r.startedAt], ['finished', r.finishedAt]] as const) if (v) out(`  ${k.padEnd(11)} ${v}`);
        out(`  config      ${JSON.stringify(r.config)}`);
        out(`  final       ${JSON.stringify(r.final)}`);
        for (const e of r.epochs) out(`  epoch ${String(e.epoch).padStart(3)}  train loss ${e.train_loss?.toFixed(4)}  test acc ${pct(e.test_accuracy ?? e.val_accuracy)}  ${e.epoch_seconds?.toFixed(1)} s`);
        return 0;
      }
      case 'rm': {
        for (const id of ids(rest, 1)) {
          if (!store.remove(id)) throw new StrataError('runs', `no run ${id} in ${store.path}`);
          out(`removed run ${id} (its folder is kept)`);
        }
        return 0;
      }
      case 'compare': {
        const runs = ids(rest, 2).map((id) => store.get(id) ?? (() => { throw new StrataError('runs', `no run ${id} in ${store.path}`); })());
        const keys = [...new Set(runs.flatMap((r) => Object.keys(r.config)))].filter((k) => k !== 'task' && new Set(runs.map((r) => JSON.stringify(r.config[k]))).size > 1);
        const metrics = ['test_accuracy', 'test_macro_f1', 'test_loss', 'train_seconds', 'peak_rss_bytes'];
        const head = ['', ...runs.map((r) => `run ${r.id}`)];
        const rows = [...keys.map((k) => [k, ...runs.map((r) => JSON.stringify(r.config[k]) ?? '-')]), ...metrics.map((m) => [m, ...runs.map((r) => (r.final[m] === undefined ? '-' : String(+r.final[m].toFixed(4))))])];
        if (a.get('json')) return out(JSON.stringify({ runs: runs.map((r) => r.id), differing: keys, rows }, null, 2)), 0;
        for (const row of [head, ...rows]) out(row.map((c, i) => (i ? c.padStart(16) : c.padEnd(16))).join(''));
        return 0;
      }
      case 'import': {
        if (!rest.length) throw new UsageError('runs', 'import needs a run folder');
        for (const dir of rest) out(`imported ${dir} as run ${store.importRun(dir)}`);
        return 0;
      }
      default:
        throw new UsageError('runs', `unknown subcommand '${sub}'`);
    }
  } finally {
    store.close();
  }
}

// The run store: every training run (train, compare, and later prune/quantize/distill) in one SQLite file,
// ~/.strata/runs.db (or --store PATH / STRATA_STORE), in WAL mode so several processes can record at once.
// The run folder stays the source of truth: importRun() re-adds a run from its config.json and metrics.jsonl.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { StrataError } from '../tensor/errors.js';

/** One run as listed. Metrics are numbers by name (test_accuracy, test_macro_f1, train_seconds...). */
export interface RunRow {
  id: number;
  kind: string;
  name: string;
  model: string | null;
  dataset: string | null;
  /** 'running', 'finished' or 'failed' (a killed run stays 'running'). */
  status: string;
  group: string | null;
  runDir: string | null;
  gitCommit: string | null;
  host: string | null;
  device: string | null;
  startedAt: string;
  finishedAt: string | null;
  config: Record<string, unknown>;
  final: Record<string, number>;
}

/** A run with its per-epoch metrics. */
export interface RunDetail extends RunRow {
  epochs: Record<string, number>[];
}

export interface NewRun {
  kind: string;
  name?: string;
  config: Record<string, unknown>;
  runDir?: string;
  /** A compare's output folder, grouping its runs. */
  group?: string;
  device?: string;
}

/** Filters for list(): `key=value` pairs on model, dataset, kind, status, group, or any config key. */
export type RunFilter = Record<string, string>;

type Db = {
  pragma(s: string): unknown;
  exec(s: string): void;
  prepare(s: string): { run(...a: unknown[]): { lastInsertRowid: number | bigint; changes: number }; get(...a: unknown[]): unknown; all(...a: unknown[]): unknown[] };
  transaction<T extends (...a: never[]) => unknown>(fn: T): T;
  close(): void;
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, name TEXT NOT NULL, model TEXT, dataset TEXT,
  status TEXT NOT NULL, grp TEXT, run_dir TEXT, git_commit TEXT, host TEXT, device TEXT,
  started_at TEXT NOT NULL, finished_at TEXT, config TEXT NOT NULL, final TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS epochs (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, epoch INTEGER NOT NULL, metrics TEXT NOT NULL,
  PRIMARY KEY (run_id, epoch));
CREATE INDEX IF NOT EXISTS runs_dir ON runs(run_dir);
`;

/** The store path: an explicit path, else STRATA_STORE, else ~/.strata/runs.db. */
export function defaultStorePath(path?: string): string {
  return resolve(path ?? (process.env.STRATA_STORE || join(homedir(), '.strata', 'runs.db')));
}

/** True when recording is switched off (STRATA_STORE=none). */
export function storeDisabled(path?: string): boolean {
  return path === undefined && process.env.STRATA_STORE === 'none';
}

function sqliteError(path: string, e: unknown): StrataError {
  const code = (e as { code?: string }).code ?? '';
  const msg = (e as Error).message;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new StrataError('store', `${path} is locked by another process (${code}); retry when it finishes, or record into another store with --store PATH`);
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StrataError('store', `${path} is not a readable run store (${code}: ${msg}); move it aside and re-add the runs from their folders with strata runs import DIR`);
  }
  return new StrataError('store', `${path}: ${msg}${code ? ` (${code})` : ''}`);
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim() || null;
  } catch {
    return null;
  }
}

function finiteOnly(m: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/** Runs fn, retrying for up to 5 s while SQLite reports the database busy or locked. */
function retryBusy<T>(fn: () => T): T {
  const t0 = Date.now();
  for (;;) {
    try {
      return fn();
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (!/^SQLITE_(BUSY|LOCKED)/.test(code) || Date.now() - t0 > 5000) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/**
 * A run store in SQLite (better-sqlite3, WAL journal, 5 s busy timeout).
 * @example const s = st.lab.RunStore.open(); const id = s.startRun({ kind: 'train', config }); s.logEpoch(id, log);
 */
export class RunStore {
  private constructor(private readonly db: Db, readonly path: string) {}

  /** Opens (creating if needed) the store at path (default: STRATA_STORE or ~/.strata/runs.db). */
  static open(path?: string, opts: { readonly?: boolean } = {}): RunStore {
    const p = defaultStorePath(path);
    if (opts.readonly && !existsSync(p)) throw new StrataError('store', `${p} does not exist; runs are recorded there by strata train (or pass --store PATH)`);
    let Database: new (p: string, o?: object) => Db;
    try {
      Database = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
    } catch (e) {
      throw new StrataError('store', `the run store needs the better-sqlite3 package (version 12), which did not load: ${(e as Error).message}; run npm install`);
    }
    let db: Db | undefined;
    try {
      mkdirSync(dirname(p), { recursive: true });
      db = new Database(p, { readonly: opts.readonly ?? false, timeout: 5000 });
      if (!opts.readonly) {
        // NOTE: switching a new database to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at once
        // (no busy handler) when another process opens the same new file at that moment (several trainings
        // started together): retry for up to the busy timeout.
        const d = db;
        retryBusy(() => d.pragma('journal_mode = WAL'));
        db.pragma('foreign_keys = ON');
        retryBusy(() => d.exec(SCHEMA));
      } else {
        db.prepare('SELECT count(*) FROM runs').get();
      }
      return new RunStore(db, p);
    } catch (e) {
      db?.close();
      if (e instanceof StrataError) throw e;
      throw sqliteError(p, e);
    }
  }

  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof StrataError) throw e;
      throw sqliteError(this.path, e);
    }
  }

  close(): void {
    this.db.close();
  }

  /** Records a new run as 'running'; returns its id. */
  startRun(r: NewRun): number {
    return this.guard(() => {
      const c = r.config;
      const name = r.name ?? [c.model, c.dataset].filter(Boolean).join('-') ?? r.kind;
      const info = this.db.prepare(`INSERT INTO runs (kind, name, model, dataset, status, grp, run_dir, git_commit, host, device, started_at, config)
        VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)`).run(
        r.kind, name || r.kind, c.model == null ? null : String(c.model), c.dataset == null ? null : String(c.dataset), r.group ?? null,
        r.runDir ? resolve(r.runDir) : null, gitCommit(), hostname(), r.device ?? null, new Date().toISOString(), JSON.stringify(c));
      return Number(info.lastInsertRowid);
    });
  }

  /** Records (or replaces) one epoch's metrics. */
  logEpoch(id: number, log: Record<string, unknown>): void {
    this.guard(() => this.db.prepare('INSERT OR REPLACE INTO epochs (run_id, epoch, metrics) VALUES (?, ?, ?)').run(id, Number(log.epoch), JSON.stringify(finiteOnly(log))));
  }

  /** Marks a run finished (or failed) and merges its final metrics. */
  finishRun(id: number, final: Record<string, unknown>, status: 'finished' | 'failed' = 'finished'): void {
    this.guard(() => {
      const row = this.db.prepare('SELECT final FROM runs WHERE id = ?').get(id) as { final: string } | undefined;
      const merged = { ...(row ? (JSON.parse(row.final) as object) : {}), ...finiteOnly(final) };
      this.db.prepare('UPDATE runs SET status = ?, finished_at = ?, final = ? WHERE id = ?').run(status, new Date().toISOString(), JSON.stringify(merged), id);
    });
  }

  /** Runs, newest first, matching every filter (model=cnn, dataset=fashion-mnist, status=finished, group=lab/x, or a config key). */
  list(filter: RunFilter = {}): RunRow[] {
    return this.guard(() => {
      const rows = (this.db.prepare('SELECT * FROM runs ORDER BY id DESC').all() as DbRow[]).map(toRow);
      return rows.filter((r) => Object.entries(filter).every(([k, v]) => {
        const own = k === 'group' ? r.group : (r as unknown as Record<string, unknown>)[k];
        const val = own !== undefined && k !== 'config' && k !== 'final' ? own : (r.config[k] ?? r.final[k]);
        return val !== undefined && val !== null && String(val) === v;
      }));
    });
  }

  /** One run with its epochs, or null. */
  get(id: number): RunDetail | null {
    return this.guard(() => {
      const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as DbRow | undefined;
      if (!row) return null;
      return { ...toRow(row), epochs: this.epochs(id) };
    });
  }

  /** The epochs of a run after a given epoch number (for live updates). */
  epochs(id: number, after = -Infinity): Record<string, number>[] {
    return this.guard(() => (this.db.prepare('SELECT metrics FROM epochs WHERE run_id = ? AND epoch > ? ORDER BY epoch').all(id, Number.isFinite(after) ? after : -1e9) as { metrics: string }[])
      .map((e) => JSON.parse(e.metrics) as Record<string, number>));
  }

  /** Deletes a run and its epochs (not its folder); false when there was none. */
  remove(id: number): boolean {
    return this.guard(() => this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0);
  }

  /**
   * Re-adds a run from its folder (config.json, metrics.jsonl, and results.json when a compare wrote one);
   * a run already recorded for that folder is replaced. Returns the new id.
   */
  importRun(dir: string, opts: { kind?: string; group?: string } = {}): number {
    const cfgPath = join(dir, 'config.json');
    if (!existsSync(cfgPath)) throw new StrataError('runs import', `${cfgPath} does not exist; import takes a run folder written by strata train`);
    let config: Record<string, unknown>;
    try {
      config = JSON.parse(readFileSync(cfgPath, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new StrataError('runs import', `${cfgPath} is not valid JSON (${(e as Error).message})`);
    }
    const metricsPath = join(dir, 'metrics.jsonl');
    const lines = existsSync(metricsPath) ? readFileSync(metricsPath, 'utf8').split('\n').filter((l) => l.trim()) : [];
    const epochs = lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return []; // a line cut short by a kill: the epochs before it still count
      }
    });
    const finalPath = join(dir, 'final.json');
    const final = existsSync(finalPath) ? (JSON.parse(readFileSync(finalPath, 'utf8')) as Record<string, unknown>) : (epochs[epochs.length - 1] ?? {});
    return this.guard(() => this.db.transaction(() => {
      this.db.prepare('DELETE FROM runs WHERE run_dir = ?').run(resolve(dir));
      const id = this.startRun({ kind: opts.kind ?? String(config.kind ?? 'train'), config, runDir: dir, group: opts.group, device: config.backend ? `${config.backend}` : undefined });
      for (const e of epochs) this.logEpoch(id, e);
      this.finishRun(id, final, epochs.length ? 'finished' : 'failed');
      return id;
    })());
  }
}

interface DbRow {
  id: number; kind: string; name: string; model: string | null; dataset: string | null; status: string; grp: string | null;
  run_dir: string | null; git_commit: string | null; host: string | null; device: string | null; started_at: string;
  finished_at: string | null; config: string; final: string;
}

function toRow(r: DbRow): RunRow {
  return {
    id: r.id, kind: r.kind, name: r.name, model: r.model, dataset: r.dataset, status: r.status, group: r.grp, runDir: r.run_dir,
    gitCommit: r.git_commit, host: r.host, device: r.device, startedAt: r.started_at, finishedAt: r.finished_at,
    config: JSON.parse(r.config) as Record<string, unknown>, final: JSON.parse(r.final) as Record<string, number>,
  };
}

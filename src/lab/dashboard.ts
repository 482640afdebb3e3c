// The dashboard's server: a local HTTP server over the run store. It serves a fixed set of routes (its own
// page and the store's data as JSON, plots as SVG rendered with Vega-Lite in Node, live epochs as server-sent
// events) and nothing from the file system, so no path can reach outside it. Binds 127.0.0.1 by default.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StrataError } from '../tensor/errors.js';
import { DASHBOARD_HTML } from './dashboard-app.js';
import { paretoFront } from './compare.js';
import { renderSvg } from './report.js';
import { RunStore, type RunDetail, type RunRow } from './store.js';

export interface DashboardOptions {
  store?: string;
  port?: number;
  host?: string;
  /** Milliseconds between polls of the store for live updates (default 1000). */
  pollMs?: number;
}

export interface Dashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const acc = (m: Record<string, number>) => 100 * (m.test_accuracy ?? m.val_accuracy ?? NaN);

function label(r: RunRow): string {
  return `#${r.id} ${r.name}`;
}

/** Curves of several runs overlaid: test (or validation) accuracy per epoch. */
function curvesSpec(runs: RunDetail[]): object {
  const values = runs.flatMap((r) => r.epochs.map((e) => ({ run: label(r), epoch: e.epoch, accuracy: acc(e), loss: e.train_loss })));
  return {
    $schema: SCHEMA, width: 420, height: 240, title: 'test accuracy per epoch', data: { values },
    mark: { type: 'line', point: true },
    encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'accuracy', type: 'quantitative', scale: { zero: false }, title: 'test accuracy (%)' }, color: { field: 'run', type: 'nominal' } },
  };
}

/** The cost axis most of the runs have: multiply-adds (a compare measured them), parameters, latency or training time. */
function costKey(runs: RunRow[]): string {
  let best = 'train_seconds';
  let most = -1;
  for (const k of ['macs', 'params', 'latency_ms', 'train_seconds']) {
    const n = runs.filter((r) => typeof r.final[k] === 'number').length;
    if (n > most) [best, most] = [k, n];
  }
  return best;
}

function paretoSpec(runs: RunRow[]): object {
  const key = costKey(runs);
  const pts = runs.filter((r) => Number.isFinite(acc(r.final)) && typeof r.final[key] === 'number');
  const front = new Set(paretoFront(pts, (r) => acc(r.final), (r) => r.final[key]));
  const values = pts.map((r) => ({ run: label(r), cost: r.final[key], accuracy: acc(r.final), front: front.has(r) ? 'Pareto-optimal' : 'dominated' }));
  const x = { field: 'cost', type: 'quantitative', scale: { type: key === 'train_seconds' ? 'linear' : 'log' }, title: key };
  const y = { field: 'accuracy', type: 'quantitative', scale: { zero: false }, title: 'test accuracy (%)' };
  return {
    $schema: SCHEMA, width: 420, height: 240, title: `accuracy vs ${key} (Pareto front marked)`, data: { values },
    layer: [
      { transform: [{ filter: "datum.front == 'Pareto-optimal'" }], mark: { type: 'line', strokeDash: [4, 3], color: '#d62728' }, encoding: { x, y, order: { field: 'cost' } } },
      { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, y, color: { field: 'front', type: 'nominal', scale: { domain: ['Pareto-optimal', 'dominated'], range: ['#d62728', '#7f7f7f'] }, title: null } } },
      { mark: { type: 'text', dy: -9, fontSize: 9 }, encoding: { x, y, text: { field: 'run' } } },
    ],
  };
}

/** Parallel coordinates: numeric hyper-parameters that differ between the runs, and accuracy, each scaled to [0, 1]. */
function parallelSpec(runs: RunRow[]): object {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.config)))].filter((k) => runs.every((r) => typeof r.config[k] === 'number') && new Set(runs.map((r) => r.config[k])).size > 1);
  const axes = [...keys, 'test_accuracy'];
  const val = (r: RunRow, k: string) => (k === 'test_accuracy' ? acc(r.final) : Number(r.config[k]));
  const range = Object.fromEntries(axes.map((k) => {
    const xs = runs.map((r) => val(r, k)).filter(Number.isFinite);
    return [k, [Math.min(...xs), Math.max(...xs)]];
  }));
  const values = runs.flatMap((r) => axes.map((k) => {
    const [lo, hi] = range[k];
    const v = val(r, k);
    return { run: label(r), axis: k, raw: v, scaled: hi > lo ? (v - lo) / (hi - lo) : 0.5 };
  }));
  return {
    $schema: SCHEMA, width: Math.max(240, 110 * axes.length), height: 220, title: 'hyper-parameters against accuracy (each axis scaled to its range)', data: { values },
    mark: { type: 'line', point: true },
    encoding: { x: { field: 'axis', type: 'nominal', sort: axes, title: null }, y: { field: 'scaled', type: 'quantitative', title: null, axis: null }, color: { field: 'run', type: 'nominal' }, detail: { field: 'run' }, tooltip: [{ field: 'run' }, { field: 'axis' }, { field: 'raw' }] },
  };
}

function parseIds(s: string | null): number[] {
  const ids = (s ?? '').split(',').filter(Boolean).map(Number);
  if (!ids.length || ids.some((i) => !Number.isInteger(i) || i < 1) || ids.length > 500) throw new HttpError(400, 'ids must be a comma-separated list of run ids');
  return ids;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * Starts the dashboard over a run store; resolves once it listens. Port 0 picks a free port.
 * @example const d = await st.lab.startDashboard({ port: 6006 }); console.log(d.url); await d.close();
 */
export async function startDashboard(opts: DashboardOptions = {}): Promise<Dashboard> {
  const store = RunStore.open(opts.store); // fails early and clearly on a damaged or locked store
  const pollMs = opts.pollMs ?? 1000;
  const streams = new Set<ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  const details = (ids: number[]) => ids.map((id) => store.get(id) ?? (() => { throw new HttpError(404, `no run ${id}`); })());
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(body);
  };
  const json = (res: ServerResponse, v: unknown) => send(res, 200, 'application/json; charset=utf-8', JSON.stringify(v));
  const svg = async (res: ServerResponse, spec: object) => send(res, 200, 'image/svg+xml', await renderSvg(spec as Record<string, unknown>));

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET') throw new HttpError(405, 'only GET');
    const u = new URL(req.url ?? '/', 'http://localhost');
    const path = u.pathname;
    if (path === '/' || path === '/index.html') {
      // the runs ride along with the page, so the table paints without a second request
      const runs = JSON.stringify(store.list()).replace(/</g, '\\u003c');
      return send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML.replace('<script>\n"use strict";', () => `<script>\n"use strict";\nvar INITIAL_RUNS = ${runs};`));
    }
    if (path === '/api/runs') return json(res, store.list());
    let m = /^\/api\/runs\/(\d+)$/.exec(path);
    if (m) return json(res, details([Number(m[1])])[0]);
    m = /^\/api\/runs\/(\d+)\/events$/.exec(path);
    if (m) {
      const id = Number(m[1]);
      const run = details([id])[0];
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      let last = run.epochs.length ? run.epochs[run.epochs.length - 1].epoch : -1;
      let status = run.status;
      streams.add(res);
      const timer = setInterval(() => {
        try {
          const fresh = store.epochs(id, last);
          const now = store.get(id)?.status ?? 'removed';
          if (fresh.length || now !== status) {
            if (fresh.length) last = fresh[fresh.length - 1].epoch;
            status = now;
            res.write(`data: ${JSON.stringify({ epochs: fresh, status })}\n\n`);
          }
        } catch {
          // a busy store: try again at the next poll
        }
      }, pollMs);
      timers.add(timer);
      req.on('close', () => {
        clearInterval(timer);
        timers.delete(timer);
        streams.delete(res);
      });
      return;
    }
    if (path === '/api/plot/curves.svg') return svg(res, curvesSpec(details(parseIds(u.searchParams.get('ids')))));
    if (path === '/api/plot/pareto.svg') return svg(res, paretoSpec(details(parseIds(u.searchParams.get('ids')))));
    if (path === '/api/plot/parallel.svg') return svg(res, parallelSpec(details(parseIds(u.searchParams.get('ids')))));
    throw new HttpError(404, 'not found');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (!res.headersSent) send(res, status, 'text/plain; charset=utf-8', e instanceof Error ? e.message : String(e));
      else res.end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      store.close();
      reject(new StrataError('dashboard', e.code === 'EADDRINUSE' ? `port ${opts.port} on ${host} is in use; pick another with --port` : `cannot listen on ${host}:${opts.port ?? 6006}: ${e.message}`));
    });
    server.listen(opts.port ?? 6006, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    close: () => new Promise<void>((resolve) => {
      for (const t of timers) clearInterval(t);
      for (const s of streams) s.end();
      server.closeAllConnections();
      server.close(() => {
        store.close();
        resolve();
      });
    }),
  };
}

// The dashboard end to end in a real browser: Debian's chromium driven by playwright-core, over a seeded store
// of 200 runs. Loads each page, checks the table and plots render, sorting, filtering, live updates (server-sent
// events) and that selecting runs opens the comparison; keeps a screenshot in test-artifacts/ (git-ignored).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as st from '../src/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'strata-dash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A raw GET (no client-side path normalisation), resolving with the status code. */
function rawGet(port: number, path: string): Promise<number> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('error', rej);
    req.end();
  });
}

function seed(path: string): number {
  const s = st.lab.RunStore.open(path);
  const models = ['mlp', 'cnn', 'lenet5', 'resnet20', 'mobilenet_v1'];
  let live = 0;
  for (let i = 0; i < 200; i++) {
    const model = models[i % models.length];
    const id = s.startRun({ kind: 'train', config: { model, dataset: 'fashion-mnist', lr: 1e-3 * (1 + (i % 7)), batchSize: 32 * (1 + (i % 3)), seed: i }, runDir: join(dir, `run${i}`), group: i < 20 ? 'lab/seeded' : undefined });
    for (let e = 1; e <= 5; e++) s.logEpoch(id, { epoch: e, train_loss: 1 / e, test_accuracy: 0.5 + 0.05 * e + (i % models.length) * 0.02, epoch_seconds: 2 });
    if (i === 199) live = id; // left running: the live page gets its next epochs
    else s.finishRun(id, { epoch: 5, test_accuracy: 0.75 + (i % models.length) * 0.02, test_macro_f1: 0.7, macs: 1e5 * (1 + (i % models.length)) ** 2, params: 1e4 * (1 + i % models.length) });
  }
  s.close();
  return live;
}

test('dashboard: runs table, live run page, compare page in headless chromium; no path traversal', { timeout: 120_000, skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium; setup.sh test installs it)` }, async () => {
  const storePath = join(dir, 'runs.db');
  const live = seed(storePath);
  const d = await st.lab.startDashboard({ store: storePath, port: 0, pollMs: 200 });
  assert.match(d.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'] });
  try {
    // the server serves only its routes
    for (const p of ['/../package.json', '/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/etc/passwd', '/index.html/../../package.json', '/node_modules/vega/package.json', '/api/runs/1/../../../../etc/passwd']) {
      assert.equal(await rawGet(d.port, p), 404, p);
    }
    assert.equal(await rawGet(d.port, '/api/plot/curves.svg?ids=1,abc'), 400);
    assert.equal(await rawGet(d.port, '/api/runs/99999'), 404);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const t0 = performance.now();
    await page.goto(d.url);
    await page.waitForFunction("document.querySelectorAll('#runs tbody tr').length === 200");
    const tableMs = performance.now() - t0;
    const fcp = (await page.evaluate("(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime ?? null")) as number | null;
    console.log(`dashboard first paint with 200 runs: first-contentful-paint ${fcp === null ? '-' : fcp.toFixed(0)} ms, table of 200 rows shown ${tableMs.toFixed(0)} ms after navigation (headless chromium, measured under load)`);

    // sort by test accuracy (descending on the second click), then filter
    await page.click('th[data-col="acc"]');
    await page.click('th[data-col="acc"]');
    const accs = await page.$$eval('#runs tbody tr td:nth-child(8)', (tds) => tds.map((t) => t.textContent ?? ''));
    const nums = accs.filter((a) => a !== '-').map(parseFloat);
    assert.deepEqual(nums, [...nums].sort((a, b) => b - a));
    await page.fill('#filter', 'resnet20');
    assert.equal(await page.$$eval('#runs tbody tr', (r) => r.length), 40);
    await page.fill('#filter', '');

    // a running run: its page shows the curves, then a new epoch arrives over server-sent events
    await page.goto(`${d.url}#/run/${live}`);
    await page.waitForSelector('#curves[data-rendered] svg');
    assert.equal(await page.textContent('#nepochs'), '5');
    const s = st.lab.RunStore.open(storePath);
    s.logEpoch(live, { epoch: 6, train_loss: 0.1, test_accuracy: 0.91, epoch_seconds: 2 });
    await page.waitForFunction("document.querySelector('#nepochs').textContent === '6'");
    s.finishRun(live, { test_accuracy: 0.91 });
    await page.waitForFunction("document.querySelector('#status').textContent === 'finished'");
    s.close();

    // select runs in the table and open the comparison
    await page.goto(d.url);
    await page.waitForSelector('#runs tbody tr');
    const boxes = await page.$$('input.sel');
    assert.equal(boxes.length, 200);
    for (const i of [0, 1, 2]) await boxes[i].check();
    assert.equal(await page.textContent('#compare'), 'compare selected (3)');
    await page.click('#compare');
    await page.waitForFunction('/^#\\/compare\\/\\d+,\\d+,\\d+$/.test(location.hash)');
    for (const id of ['curves', 'pareto', 'parallel']) await page.waitForSelector(`#${id}[data-rendered] svg`);
    // one point per run that has a cost (the live run has none): two symbols, and a parallel-coordinates line per run
    assert.equal(await page.$$eval('#pareto svg .mark-symbol.role-mark path', (p) => p.length), 2);
    assert.equal(await page.$$eval('#parallel svg .mark-line.role-mark path', (p) => p.length), 3);
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-artifacts', 'dashboard-compare.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await d.close();
  }
});

#!/usr/bin/env node
// Runs the compiled tests (dist/test/**/*.test.js) with node's test runner.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filter = process.argv.slice(2);
function walk(d) {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}
// only tests whose TypeScript source still exists (dist/ may hold stale output)
let files = walk(join(root, 'dist/test')).filter((f) => existsSync(f.replace(join(root, 'dist'), root).replace(/\.js$/, '.ts')));
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
// tests record no runs in the user's store (~/.strata/runs.db) unless STRATA_STORE says where
const env = { ...process.env, STRATA_STORE: process.env.STRATA_STORE ?? 'none' };
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files], { stdio: 'inherit', env });
process.exit(r.status ?? 1);

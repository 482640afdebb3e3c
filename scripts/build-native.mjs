#!/usr/bin/env node
// Builds the native addon (build/Release/strata.node) with node-gyp against libtorch.
// --if-possible: when libtorch or a compiler is missing, or the build fails, say so and exit 0
// (strata then runs on the js backend). Concurrent builds wait for each other (a lock file).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ifPossible = process.argv.includes('--if-possible');
const quiet = process.argv.includes('--quiet');
const log = (m) => { if (!quiet) console.error(`strata: ${m}`); };

function giveUp(msg) {
  if (ifPossible) {
    console.error(`strata: native addon not built (${msg}); strata will use the js backend. Fix and run: npm run build:native`);
    process.exit(0);
  }
  console.error(`strata: native addon build failed: ${msg}`);
  process.exit(1);
}

if (process.env.STRATA_SKIP_NATIVE) giveUp('STRATA_SKIP_NATIVE is set');

const found = spawnSync(process.execPath, [join(root, 'scripts/find-libtorch.mjs'), '--describe'], { encoding: 'utf8' });
if (found.status !== 0) giveUp((found.stderr || 'libtorch not found').trim());

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(root, 'node_modules/node-gyp/bin/node-gyp.js'),
    join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
  ];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}
const gyp = nodeGyp();
if (!gyp) giveUp('node-gyp not found (it ships with npm)');

// Sources newer than the addon? Then build (incrementally when configured already).
const out = join(root, 'build/Release/strata.node');
const srcDir = join(root, 'native/src');
const newest = Math.max(...readdirSync(srcDir).map((f) => statSync(join(srcDir, f)).mtimeMs), statSync(join(root, 'binding.gyp')).mtimeMs);
if (existsSync(out) && statSync(out).mtimeMs > newest && !process.argv.includes('--force')) {
  log(`native addon up to date (${found.stdout.trim()})`);
  process.exit(0);
}

// a crude lock: mkdir is atomic
const lock = join(root, 'build.lock');
const t0 = Date.now();
for (;;) {
  try {
    mkdirSync(lock);
    break;
  } catch {
    if (Date.now() - t0 > 15 * 60 * 1000) giveUp(`timed out waiting for ${lock}; remove it if no build is running`);
    spawnSync('sleep', ['1']);
  }
}
const unlock = () => rmSync(lock, { recursive: true, force: true });
process.on('exit', unlock);

log(`building the native addon: ${found.stdout.trim()}`);
const args = [gyp, existsSync(join(root, 'build/Makefile')) && !process.argv.includes('--force') ? 'build' : 'rebuild', '--release', `--jobs=${Math.max(1, cpus().length)}`];
const nodedir = process.env.npm_config_nodedir ?? (existsSync('/usr/include/node/node_api.h') && existsSync('/usr/include/node/common.gypi') ? '/usr' : null);
if (nodedir) args.push(`--nodedir=${nodedir}`);
if (args[1] === 'build') {
  // configure again only if binding.gyp changed since the Makefile was made
  if (statSync(join(root, 'binding.gyp')).mtimeMs > statSync(join(root, 'build/Makefile')).mtimeMs) args[1] = 'rebuild';
}
const r = spawnSync(process.execPath, args, { cwd: root, stdio: quiet ? ['ignore', 'ignore', 'pipe'] : ['ignore', 'inherit', 'inherit'], encoding: 'utf8' });
if (r.status !== 0) {
  if (quiet && r.stderr) process.stderr.write(r.stderr.split('\n').slice(-40).join('\n'));
  giveUp(`node-gyp exited with ${r.status}`);
}
// smoke-load the addon in a child, so a broken link is reported here, not at first use
try {
  execFileSync(process.execPath, ['-e', `require(${JSON.stringify(out)})`], { stdio: 'pipe' });
} catch (e) {
  giveUp(`the addon was built but does not load: ${String(e.stderr).split('\n')[0]}`);
}
log(`native addon built in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${out}`);

#!/usr/bin/env node
// `npm run example NAME [-- args]`: runs the compiled example dist/examples/NAME.js.
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const [name, ...args] = process.argv.slice(2);
const dir = join(root, 'dist/examples');
const list = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)) : [];
if (!name || !list.includes(name)) {
  console.error(`usage: npm run example NAME [-- args]\nexamples: ${list.join(', ')}`);
  process.exit(2);
}
process.exit(spawnSync(process.execPath, [join(dir, `${name}.js`), ...args], { stdio: 'inherit' }).status ?? 1);

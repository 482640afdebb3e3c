// Finds and loads the compiled addon (build/Release/strata.node); records why when it cannot.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The package root: the folder holding package.json above this file (dist/src/backends/native → root). */
export function packageRoot(): string {
  let d = here;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'binding.gyp'))) return d;
    d = resolve(d, '..');
  }
  return resolve(here, '../../../..');
}

export type Addon = Record<string, (...args: never[]) => unknown>;

let addon: Addon | null = null;
let error = 'not loaded yet';
let tried = false;

export function loadAddon(): Addon | null {
  if (tried) return addon;
  tried = true;
  const path = process.env.STRATA_ADDON ?? join(packageRoot(), 'build', 'Release', 'strata.node');
  if (!existsSync(path)) {
    error = `addon not built (${path} is missing)`;
    return null;
  }
  // NOTE: ATen's OpenMP threads busy-wait between parallel regions by default. When the cores are shared
  // with other processes, that spinning takes them from the threads doing the work: a transformer training
  // step ran 3-4× slower at 2 threads (PyTorch too). Unless a policy was chosen, idle threads sleep instead.
  // libgomp reads this once, when the addon loads it.
  if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) process.env.OMP_WAIT_POLICY = 'PASSIVE';
  try {
    addon = createRequire(import.meta.url)(path) as Addon;
    error = '';
  } catch (e) {
    error = `addon at ${path} failed to load: ${(e as Error).message.split('\n')[0]}`;
    addon = null;
  }
  return addon;
}

export function addonError(): string {
  return error;
}

export function addonTried(): boolean {
  return tried;
}

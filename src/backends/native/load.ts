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

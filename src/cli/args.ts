// A small argument parser: --name value, --name=value, boolean flags, positionals; unknown flags are errors.
import { StrataError } from '../tensor/errors.js';

export interface FlagSpec {
  /** 'string' | 'number' | 'int' | 'boolean' */
  type: 'string' | 'number' | 'int' | 'boolean';
  help: string;
  default?: string | number | boolean;
  choices?: readonly string[];
}

/** Parsed arguments: typed getters for flags, and the positional arguments. */
export class Parsed {
  readonly values = new Map<string, string | number | boolean>();
  readonly positional: string[] = [];
  constructor(readonly cmd: string) {}
  has(k: string): boolean {
    return this.values.has(k);
  }
  str(k: string): string | undefined {
    const v = this.values.get(k);
    return v === undefined ? undefined : String(v);
  }
  num(k: string): number | undefined {
    const v = this.values.get(k);
    return v === undefined ? undefined : Number(v);
  }
  bool(k: string): boolean {
    return this.values.get(k) === true;
  }
  /** A flag that must be present. */
  need(k: string): string {
    const v = this.str(k);
    if (v === undefined) throw new StrataError(this.cmd, `--${k} is required`);
    return v;
  }
}

/** Parses argv against the spec; throws a StrataError naming the command and the bad flag. */
export function parseArgs(cmd: string, argv: readonly string[], spec: Record<string, FlagSpec>): Parsed {
  const out = new Parsed(cmd);
  for (const [k, s] of Object.entries(spec)) if (s.default !== undefined) out.values.set(k, s.default);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out.positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const s = spec[name];
    if (!s) throw new StrataError(cmd, `unknown option --${name}; see strata ${cmd} --help`);
    if (s.type === 'boolean') {
      out.values.set(name, eq >= 0 ? a.slice(eq + 1) !== 'false' : true);
      continue;
    }
    const raw = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new StrataError(cmd, `--${name} needs a value`);
    if (s.type === 'string') {
      if (s.choices && !s.choices.includes(raw)) throw new StrataError(cmd, `--${name} must be one of ${s.choices.join(', ')}, got '${raw}'`);
      out.values.set(name, raw);
    } else {
      const v = Number(raw);
      if (!Number.isFinite(v) || (s.type === 'int' && !Number.isInteger(v))) throw new StrataError(cmd, `--${name} needs ${s.type === 'int' ? 'an integer' : 'a number'}, got '${raw}'`);
      out.values.set(name, v);
    }
  }
  return out;
}

/** The --help text of a command. */
export function helpText(usage: string, spec: Record<string, FlagSpec>): string {
  const rows = Object.entries(spec).map(([k, s]) => {
    const flag = `--${k}${s.type === 'boolean' ? '' : ` ${s.choices ? s.choices.join('|') : s.type === 'string' ? 'TEXT' : 'N'}`}`;
    return `  ${flag.padEnd(34)} ${s.help}${s.default !== undefined && s.type !== 'boolean' ? ` (default ${s.default})` : ''}`;
  });
  return `${usage}\n\noptions:\n${rows.join('\n')}\n`;
}

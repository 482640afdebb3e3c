// A small argument parser: --name value, --name=value, boolean flags, positionals; unknown flags are errors.
import { StrataError } from '../tensor/errors.js';

export interface FlagSpec {
  /** 'string' | 'number' | 'int' | 'boolean' */
  type: 'string' | 'number' | 'int' | 'boolean';
  help: string;
  default?: string | number | boolean;
  choices?: readonly string[];
}

export type Parsed = { [k: string]: string | number | boolean | undefined } & { _: string[] };

/** Parses argv against the spec; throws a StrataError naming the command and the bad flag. */
export function parseArgs(cmd: string, argv: readonly string[], spec: Record<string, FlagSpec>): Parsed {
  const out: Parsed = { _: [] };
  for (const [k, s] of Object.entries(spec)) if (s.default !== undefined) out[k] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      out._.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const s = spec[name];
    if (!s) throw new StrataError(cmd, `unknown option --${name}; see strata ${cmd} --help`);
    if (s.type === 'boolean') {
      out[name] = eq >= 0 ? a.slice(eq + 1) !== 'false' : true;
      continue;
    }
    const raw = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new StrataError(cmd, `--${name} needs a value`);
    if (s.type === 'string') {
      if (s.choices && !s.choices.includes(raw)) throw new StrataError(cmd, `--${name} must be one of ${s.choices.join(', ')}, got '${raw}'`);
      out[name] = raw;
    } else {
      const v = Number(raw);
      if (!Number.isFinite(v) || (s.type === 'int' && !Number.isInteger(v))) throw new StrataError(cmd, `--${name} needs ${s.type === 'int' ? 'an integer' : 'a number'}, got '${raw}'`);
      out[name] = v;
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

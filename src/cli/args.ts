// Command-line flags: a typed spec per command, argv split by node:util parseArgs, values checked against
// the spec (type, choices, range), typed getters, did-you-mean for unknown flags, and the help text.
import { parseArgs } from 'node:util';
import { StrataError } from '../tensor/errors.js';

export type FlagType = 'string' | 'number' | 'int' | 'boolean';

/** One flag: its type, help line, default and the values it accepts (checked before the command runs). */
export interface FlagSpec {
  type: FlagType;
  help: string;
  default?: string | number | boolean;
  /** Shown as the default in --help where the real default is computed (e.g. `runs/MODEL-DATASET`). */
  defaultText?: string;
  /** The values a string flag accepts. */
  choices?: readonly string[];
  /** Numbers: inclusive bounds (min, max) and exclusive bounds (gt, lt). */
  min?: number;
  max?: number;
  gt?: number;
  lt?: number;
  /** A one-letter alias, as -h for --help. */
  short?: string;
  /** String flags are refused when empty ("") unless this is set. */
  allowEmpty?: boolean;
  /** Further checks: returns what is wrong with the value (the message after `--name: `), or null. */
  check?: (value: never) => string | null;
  /** The placeholder in --help (default N for numbers, TEXT for strings). */
  valueName?: string;
}

export type Spec = Record<string, FlagSpec>;

type BaseValue<F extends FlagSpec> = F['type'] extends 'boolean'
  ? boolean
  : F['type'] extends 'string'
    ? F['choices'] extends readonly (infer C extends string)[] ? C : string
    : number;

/** The value type of each flag: booleans are always set; flags with a default are set; the rest may be undefined. */
export type FlagValues<S extends Spec> = {
  [K in keyof S]: S[K]['type'] extends 'boolean' ? boolean : S[K] extends { default: string | number } ? BaseValue<S[K]> : BaseValue<S[K]> | undefined;
};

/** A bad command line: printed without a stack trace, exit code 2. */
export class UsageError extends StrataError {}

/** Keeps a spec's literal types (so getters are typed from it). */
export function flags<const S extends Spec>(spec: S): S {
  return spec;
}

/** Parsed flags with getters typed from the spec, and the positional arguments. */
export class Args<S extends Spec = Spec> {
  constructor(
    readonly cmd: string,
    private readonly values: Record<string, unknown>,
    readonly positional: readonly string[],
    private readonly explicit: ReadonlySet<string>,
  ) {}

  /** A flag's value (its default when not given). */
  get<K extends keyof S & string>(name: K): FlagValues<S>[K] {
    return this.values[name] as FlagValues<S>[K];
  }

  /** A flag that must be present; a UsageError naming it otherwise. */
  need<K extends keyof S & string>(name: K): NonNullable<FlagValues<S>[K]> {
    const v = this.values[name];
    if (v === undefined) throw new UsageError(this.cmd, `--${name} is required`);
    return v as NonNullable<FlagValues<S>[K]>;
  }

  /** All values (defaults filled in), e.g. to hand a group of flags to a helper. */
  all(): FlagValues<S> {
    return { ...this.values } as FlagValues<S>;
  }

  /** Whether the flag was on the command line (not just its default). */
  given(name: keyof S & string): boolean {
    return this.explicit.has(name);
  }
}

/** Positional arguments a command takes: a name for help and how many. */
export interface PositionalSpec {
  name: string;
  help?: string;
  min?: number;
  max?: number;
}

/** The flag every command has. */
export const HELP_FLAG = { type: 'boolean', help: 'show this help', short: 'h' } as const satisfies FlagSpec;

const isNumberText = (s: string) => /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s.trim()) || /^[-+]?(Infinity|NaN)$/.test(s.trim());

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours), for did-you-mean. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest of `names` to `name` (a prefix, or at most a third of the letters wrong), or null. */
export function didYouMean(name: string, names: readonly string[]): string | null {
  let best: string | null = null, bestD = Infinity;
  for (const n of names) {
    const d = n.startsWith(name) || name.startsWith(n) ? 0.5 : distance(name, n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  return best !== null && bestD <= Math.max(1, Math.floor(name.length / 3)) ? best : null;
}

/** The range a number flag accepts, in words ("between 0 and 1", "at least 1"), or null without bounds. */
function rangeText(s: FlagSpec): string | null {
  const lo = s.min !== undefined ? `${s.min}` : s.gt !== undefined ? `${s.gt} (exclusive)` : null;
  const hi = s.max !== undefined ? `${s.max}` : s.lt !== undefined ? `${s.lt} (exclusive)` : null;
  if (lo !== null && hi !== null) return `between ${lo} and ${hi}`;
  if (s.min !== undefined) return `at least ${s.min}`;
  if (s.gt !== undefined) return s.gt === 0 ? 'positive' : `greater than ${s.gt}`;
  if (s.max !== undefined) return `at most ${s.max}`;
  if (s.lt !== undefined) return `less than ${s.lt}`;
  return null;
}

/** Checks one raw value against its flag; the typed value, or a UsageError naming the flag. */
function convert(cmd: string, name: string, s: FlagSpec, raw: string): string | number {
  if (s.type === 'string') {
    if (raw === '' && !s.allowEmpty) throw new UsageError(cmd, `--${name} is empty; give a value (see strata ${cmd} --help)`);
    if (s.choices && !s.choices.includes(raw)) {
      const near = didYouMean(raw, s.choices);
      throw new UsageError(cmd, `--${name} must be one of ${s.choices.join(', ')}, got '${raw}'${near ? `; did you mean '${near}'?` : ''}`);
    }
    return raw;
  }
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || (s.type === 'int' && !Number.isInteger(v))) {
    throw new UsageError(cmd, `--${name} needs ${s.type === 'int' ? 'an integer' : 'a number'}, got '${raw}'`);
  }
  const bad = (s.min !== undefined && v < s.min) || (s.max !== undefined && v > s.max) || (s.gt !== undefined && v <= s.gt) || (s.lt !== undefined && v >= s.lt);
  if (bad) throw new UsageError(cmd, `--${name} must be ${rangeText(s)}, got ${raw}`);
  return v;
}

/**
 * Splits argv with node:util parseArgs and checks it against the spec: unknown flags (with a
 * did-you-mean), a flag where a value belongs (`--out --epochs`), empty or mistyped values, choices and
 * ranges each throw a UsageError naming the flag. Negative numbers are taken as values (`--lr -1` is
 * then refused by its range, not read as a flag).
 */
export function parseCommandLine<S extends Spec>(cmd: string, argv: readonly string[], spec: S, positionals: PositionalSpec = { name: '', max: 0 }): Args<S> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [k, s] of Object.entries(spec)) options[k] = { type: s.type === 'boolean' ? 'boolean' : 'string', ...(s.short ? { short: s.short } : {}) };
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, unknown> = {};
  const explicit = new Set<string>();
  const positional: string[] = [];
  const taken = new Set<number>();
  for (const t of tokens) {
    if (taken.has(t.index)) continue;
    if (t.kind === 'positional') {
      positional.push(t.value);
      continue;
    }
    if (t.kind !== 'option') continue;
    const s = spec[t.name] as FlagSpec | undefined;
    if (!s) {
      if (t.rawName.startsWith('-') && !t.rawName.startsWith('--') && isNumberText(t.rawName)) {
        throw new UsageError(cmd, `'${t.rawName}' is not a flag; a negative value goes after its flag (--name=${t.rawName})`);
      }
      const near = didYouMean(t.name, Object.keys(spec));
      throw new UsageError(cmd, `unknown option ${t.rawName}${near ? `; did you mean --${near}?` : ''} (see strata ${cmd} --help)`);
    }
    if (s.type === 'boolean') {
      let v = true;
      if (t.inlineValue) {
        if (!['true', 'false', '1', '0'].includes(String(t.value))) throw new UsageError(cmd, `--${t.name} is on or off: --${t.name}, --${t.name}=true or --${t.name}=false, got '${t.value}'`);
        v = t.value === 'true' || t.value === '1';
      }
      values[t.name] = v;
      explicit.add(t.name);
      continue;
    }
    let raw = t.value;
    if (raw === undefined) {
      // parseArgs leaves `--lr -1` as two flags; a negative number is this flag's value
      const next = argv[t.index + 1];
      if (next !== undefined && next.startsWith('-') && isNumberText(next)) {
        raw = next;
        taken.add(t.index + 1);
      } else {
        throw new UsageError(cmd, next !== undefined && next.startsWith('-') ? `--${t.name} needs a value, got the flag ${next}` : `--${t.name} needs a value`);
      }
    } else if (!t.inlineValue && raw.startsWith('-') && raw.length > 1 && !isNumberText(raw)) {
      // `--out --epochs 1`: the next word is a flag, not --out's value
      throw new UsageError(cmd, `--${t.name} needs a value, got the flag ${raw} (write --${t.name}=${raw} if that is the value)`);
    }
    values[t.name] = convert(cmd, t.name, s, raw);
    explicit.add(t.name);
  }
  for (const [k, s] of Object.entries(spec)) {
    if (values[k] === undefined) values[k] = s.type === 'boolean' ? (s.default ?? false) : s.default;
    if (s.check && values[k] !== undefined && explicit.has(k)) {
      const msg = s.check(values[k] as never);
      if (msg) throw new UsageError(cmd, `--${k}: ${msg}`);
    }
  }
  const min = positionals.min ?? 0, max = positionals.max ?? Infinity;
  if (!values.help) {
    if (positional.length > max) {
      const extra = positional.slice(max);
      throw new UsageError(cmd, max === 0
        ? `unexpected argument '${extra[0]}'; strata ${cmd} takes flags only (see strata ${cmd} --help)`
        : `too many arguments: ${extra.map((x) => `'${x}'`).join(', ')} beyond ${positionals.name}`);
    }
    if (positional.length < min) throw new UsageError(cmd, `give ${positionals.name}`);
  }
  return new Args<S>(cmd, values, positional, explicit);
}

/** The --help text of a command: usage, then one aligned row per flag with its range and default. */
export function helpText(usage: string, spec: Spec, description?: string): string {
  const cols = Object.entries(spec).map(([k, s]) => {
    const value = s.type === 'boolean' ? '' : ` ${s.choices ? s.choices.join('|') : s.valueName ?? (s.type === 'string' ? 'TEXT' : 'N')}`;
    return `${s.short ? `-${s.short}, ` : ''}--${k}${value}`;
  });
  const width = Math.min(36, Math.max(...cols.map((c) => c.length)));
  const rows = Object.entries(spec).map(([, s], i) => {
    const notes: string[] = [];
    const range = s.type === 'number' || s.type === 'int' ? rangeText(s) : null;
    if (range) notes.push(range);
    const def = s.defaultText ?? (s.default !== undefined && s.type !== 'boolean' ? String(s.default) : undefined);
    if (def !== undefined) notes.push(`default ${def}`);
    const text = `${s.help}${notes.length ? ` (${notes.join('; ')})` : ''}`;
    const flag = cols[i];
    return flag.length > width ? `  ${flag}\n  ${' '.repeat(width)}  ${text}` : `  ${flag.padEnd(width)}  ${text}`;
  });
  return `${usage}\n${description ? `\n${description}\n` : ''}\noptions:\n${rows.join('\n')}\n`;
}

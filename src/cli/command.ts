// What a `strata` command is: a name, a one-line summary, its flag spec and a run function. One file per
// command exports one (defineCommand), and src/cli/commands.ts lists it.
import * as st from '../index.js';
import { flags, HELP_FLAG, parseCommandLine, type Args, type PositionalSpec, type Spec } from './args.js';

export interface Command<S extends Spec = Spec> {
  /** The word after `strata`. */
  name: string;
  /** One line for `strata --help`. */
  summary: string;
  /** The usage line of `strata NAME --help`, after `strata NAME `. */
  usage: string;
  /** A paragraph under the usage line (optional). */
  description?: string;
  /** The flags; --help/-h is added to every command. */
  flags: S;
  /** Positional arguments (none unless given). */
  positionals?: PositionalSpec;
  /** Runs the command; returns the exit code. Throw a StrataError (exit 1) or UsageError (exit 2) for bad input. */
  run(args: Args<S & { help: typeof HELP_FLAG }>): number | Promise<number>;
}

/** Declares a command, keeping its flag spec's literal types for typed getters. */
export function defineCommand<const S extends Spec>(c: Command<S>): Command<S> {
  return c;
}

/** The full spec of a command: its flags and --help. */
export function specOf<S extends Spec>(c: Command<S>): S & { help: typeof HELP_FLAG } {
  return { ...c.flags, help: HELP_FLAG };
}

/** Parses argv for a command and runs it (no help handling: see main.ts); for tests and library callers. */
export function invoke<S extends Spec>(c: Command<S>, argv: readonly string[]): number | Promise<number> {
  return c.run(parseCommandLine(c.name, argv, specOf(c), c.positionals));
}

/** Flags of commands that run models: which backend and how many threads. */
export const RUNTIME_FLAGS = flags({
  backend: { type: 'string', help: 'kernel backend', choices: ['native', 'js'], defaultText: 'native when built, else js' },
  threads: { type: 'int', help: 'threads for native kernels', min: 1, max: 1024, defaultText: 'all cores' },
});

/** Applies --backend and --threads. */
export function applyRuntime(backend: 'native' | 'js' | undefined, threads: number | undefined): void {
  if (backend) st.setBackend(backend);
  if (threads !== undefined) st.setNumThreads(threads);
}

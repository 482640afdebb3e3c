// What a `strata` command is: a name, a one-line summary, its flag spec and a run function. One file per
// command exports one (defineCommand), and src/cli/commands.ts lists it.
import * as st from '../index.js';
import { flags, HELP_FLAG, parseCommandLine, UsageError, type Args, type PositionalSpec, type Spec } from './args.js';

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

/** Flags of commands that run models: which backend, device, precision and how many threads. */
export const RUNTIME_FLAGS = flags({
  backend: { type: 'string', help: 'kernel backend', choices: ['native', 'js'], defaultText: 'native when built, else js' },
  device: {
    type: 'string', help: 'where tensors live: cpu, cuda, cuda:N, or auto (a GPU when there is one)', valueName: 'DEV', defaultText: 'STRATA_DEVICE or cpu',
    check: (v: string) => (v === 'auto' || st.isDeviceString(v) ? null : `expected cpu, cuda, cuda:N or auto, got '${v}'`),
  },
  precision: { type: 'string', help: 'fp32, or mixed precision (bf16; fp16 with loss scaling)', choices: ['fp32', 'bf16', 'fp16'], default: 'fp32' },
  threads: { type: 'int', help: 'threads for native kernels', min: 1, max: 1024, defaultText: 'all cores' },
});

interface Runtime { get(k: 'backend'): 'native' | 'js' | undefined; get(k: 'device'): string | undefined; get(k: 'precision'): string; get(k: 'threads'): number | undefined }

/**
 * Applies --backend, --device, --precision and --threads. A GPU that cannot be had is a StrataError saying
 * why (a CPU-only build, no driver) and how to get a CUDA build.
 */
export function applyRuntime(a: Runtime): void {
  const backend = a.get('backend'), device = a.get('device'), threads = a.get('threads');
  if (backend) st.setBackend(backend);
  if (device) {
    const d = device === 'auto' ? (st.cuda.isAvailable() ? 'cuda' : 'cpu') : device;
    if (backend === 'js' && d !== 'cpu') throw new UsageError('device', `--device ${device} needs --backend native (the js backend has the CPU only)`);
    st.setDefaultDevice(d);
  }
  st.train.setDefaultPrecision(a.get('precision') as st.train.Precision);
  if (threads !== undefined) st.setNumThreads(threads);
}

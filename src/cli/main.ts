// The `strata` command line: finds the command, parses its flags against its spec, runs it and turns
// errors into one line on stderr (exit 2 for a bad command line, 1 for other refused input).
import * as st from '../index.js';
import { didYouMean, helpText, parseCommandLine, UsageError } from './args.js';
import { specOf, type Command } from './command.js';
import * as registry from './commands.js';

const COMMANDS: readonly Command[] = Object.values(registry) as unknown as Command[];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: strata <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

strata <command> --help lists a command's options.
`;
}

/** The message of an error without its op prefix when the op is the command itself ("train: …" under "strata train: "). */
function message(cmd: string, e: Error & { op?: string }): string {
  return e.op === cmd && e.message.startsWith(`${cmd}: `) ? e.message.slice(cmd.length + 2) : e.message;
}

/** Runs a CLI command; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help') {
    process.stdout.write(usage());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${st.VERSION}\n`);
    return 0;
  }
  if (name === 'help') return rest[0] ? run([rest[0], '--help']) : run([]);
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    const near = didYouMean(name, COMMANDS.map((c) => c.name));
    process.stderr.write(`strata: unknown command '${name}'${near ? `; did you mean '${near}'?` : ''}\n\n${usage()}`);
    return 2;
  }
  try {
    const spec = specOf(cmd);
    const args = parseCommandLine(cmd.name, rest, spec, cmd.positionals);
    if (args.get('help')) {
      process.stdout.write(helpText(`usage: strata ${cmd.name} ${cmd.usage}`, spec, cmd.description ?? cmd.summary));
      return 0;
    }
    return await cmd.run(args);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`strata ${cmd.name}: ${message(cmd.name, e)}\n`);
      return 2;
    }
    if (e instanceof st.StrataError) {
      process.stderr.write(`strata ${cmd.name}: ${message(cmd.name, e)}\n`);
      return 1;
    }
    // a refused file operation (EACCES, ENOTDIR, ENOSPC…): its message names the path; no stack trace
    const code = (e as { code?: unknown }).code;
    if (e instanceof Error && typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
      process.stderr.write(`strata ${cmd.name}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

// `strata dashboard`: serve the run store's web app on localhost until interrupted.
import * as st from '../index.js';
import { helpText, parseArgs, type FlagSpec } from './args.js';

const SPEC: Record<string, FlagSpec> = {
  store: { type: 'string', help: 'run store (default: STRATA_STORE or ~/.strata/runs.db)' },
  port: { type: 'int', help: 'port (0: any free port)', default: 6006 },
  host: { type: 'string', help: 'address to bind (another than 127.0.0.1 exposes the store to the network)', default: '127.0.0.1' },
  help: { type: 'boolean', help: 'show this help' },
};

export async function cmdDashboard(argv: string[]): Promise<number> {
  const a = parseArgs('dashboard', argv, SPEC);
  if (a.bool('help')) {
    process.stdout.write(helpText('usage: strata dashboard [--store PATH] [--port 6006] [--host 127.0.0.1]', SPEC));
    return 0;
  }
  const d = await st.lab.startDashboard({ store: a.str('store'), port: a.num('port'), host: a.str('host') });
  process.stdout.write(`strata dashboard: ${d.url} (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => void d.close().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

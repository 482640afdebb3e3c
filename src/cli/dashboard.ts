// `strata dashboard`: serve the run store's web app on localhost until interrupted.
import * as st from '../index.js';
import { flags } from './args.js';
import { defineCommand } from './command.js';

export const command = defineCommand({
  name: 'dashboard',
  summary: 'a local web app over the run store: runs table, live curves, comparisons',
  usage: '[--store PATH] [--port 6006] [--host 127.0.0.1]',
  flags: flags({
    store: { type: 'string', help: 'run store', valueName: 'PATH', defaultText: 'STRATA_STORE or ~/.strata/runs.db' },
    port: { type: 'int', help: 'port (0: any free port)', default: 6006, min: 0, max: 65535 },
    host: { type: 'string', help: 'address to bind (another than 127.0.0.1 exposes the store to the network)', default: '127.0.0.1', valueName: 'ADDR' },
  }),
  async run(a) {
    const d = await st.lab.startDashboard({ store: a.get('store'), port: a.get('port'), host: a.get('host') });
    process.stdout.write(`strata dashboard: ${d.url} (Ctrl-C to stop)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => void d.close().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
});

// `strata info`: version, backend, libtorch/ATen version and thread count.
import * as st from '../index.js';
import { flags } from './args.js';
import { defineCommand } from './command.js';

export const command = defineCommand({
  name: 'info',
  summary: 'version, backend, libtorch/ATen version and thread count',
  usage: '[--json]',
  flags: flags({ json: { type: 'boolean', help: 'print JSON' } }),
  run(a) {
    const i = st.info();
    if (a.get('json')) {
      process.stdout.write(JSON.stringify(i, null, 2) + '\n');
      return 0;
    }
    const lines = [
      `strata ${i.version}`,
      `backend: ${i.backend.name}${i.backend.detail ? ` (${i.backend.detail.split(';')[0]})` : ''}`,
      `libtorch/ATen: ${i.backend.atenVersion ?? 'not in use (js backend)'}`,
      `threads: ${i.backend.threads}`,
      `node: ${i.node}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
});

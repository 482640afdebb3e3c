// `strata info`: version, backend, libtorch/ATen version, thread count and CUDA devices.
import * as st from '../index.js';
import { flags } from './args.js';
import { defineCommand } from './command.js';

export const command = defineCommand({
  name: 'info',
  summary: 'version, backend, libtorch/ATen version, threads and CUDA devices',
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
      ...(i.cuda.available
        ? i.cuda.devices.map((d) => `cuda:${d.index}: ${d.name}${d.totalMemory ? `, ${(d.totalMemory / 2 ** 30).toFixed(1)} GiB` : ''}${d.capability ? `, compute capability ${d.capability}` : ''}`)
        : [`cuda: none (${i.cuda.reason})`]),
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
});

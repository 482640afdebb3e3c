// lab: comparing model structures on equal footing (parameters, multiply-adds, memory, latency).
export { summary, formatSummary } from './summary.js';
export type { Summary, LayerRow } from './summary.js';
export { benchModel } from './bench.js';
export type { ModelBench } from './bench.js';

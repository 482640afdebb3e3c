// lab: comparing model structures on equal footing (parameters, multiply-adds, memory, latency), the run
// store, reports and the dashboard's server.
export { summary, formatSummary } from './summary.js';
export type { Summary, LayerRow } from './summary.js';
export { RunStore, defaultStorePath } from './store.js';
export type { RunRow, RunDetail, NewRun, RunFilter } from './store.js';
export { recordRun } from './record.js';
export type { RecordOptions } from './record.js';
export { compare, aggregate, paretoFront, measureCosts, readResults, recipeFor, COST_AXES } from './compare.js';
export type { CompareOptions, CompareResults, RunResult, ModelRow, ModelCosts, CostAxis } from './compare.js';
export { writeReport, renderSvg, paretoSpec, curvesSpec, reportMarkdown, resultsCsv } from './report.js';
export { startDashboard } from './dashboard.js';
export type { Dashboard, DashboardOptions } from './dashboard.js';

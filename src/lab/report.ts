// A compare's reports: results.csv, report.md and a self-contained report.html whose plots are Vega-Lite
// specs compiled and rendered to SVG in Node (no browser): accuracy against each cost with the Pareto front
// marked, and the learning curves.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { StrataError } from '../tensor/errors.js';
import { COST_AXES, type CompareResults, type CostAxis, type ModelRow } from './compare.js';

const AXIS_TITLE: Record<CostAxis, string> = { macs: 'multiply-adds per sample', params: 'parameters', latencyMs: 'latency at batch 1 (ms)' };

type VegaLiteSpec = Record<string, unknown>;

/** Renders a Vega-Lite spec to an SVG string with vega and vega-lite (no browser). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const req = createRequire(import.meta.url);
  let vega: typeof import('vega');
  let vl: typeof import('vega-lite');
  try {
    vega = req('vega') as typeof vega;
    vl = req('vega-lite') as typeof vl;
  } catch (e) {
    throw new StrataError('report', `plots need the vega and vega-lite packages, which did not load (${(e as Error).message}); run npm install`);
  }
  const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Accuracy against one cost, log scale, Pareto-optimal structures coloured and joined by the front line. */
export function paretoSpec(models: ModelRow[], axis: CostAxis): VegaLiteSpec {
  const values = models.map((m) => ({ model: m.model, cost: m[axis], accuracy: 100 * m.accuracyMean, std: 100 * m.accuracyStd, pareto: m.pareto.includes(axis) ? 'Pareto-optimal' : 'dominated' }));
  const x = { field: 'cost', type: 'quantitative', scale: { type: 'log' }, title: AXIS_TITLE[axis] };
  const y = { field: 'accuracy', type: 'quantitative', scale: { zero: false }, title: 'test accuracy (%)' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 360, height: 240, title: `accuracy vs ${AXIS_TITLE[axis]}`,
    data: { values },
    layer: [
      { transform: [{ filter: "datum.pareto == 'Pareto-optimal'" }], mark: { type: 'line', strokeDash: [4, 3], color: '#d62728' }, encoding: { x, y, order: { field: 'cost' } } },
      { mark: { type: 'point', filled: true, size: 70 }, encoding: { x, y, color: { field: 'pareto', type: 'nominal', scale: { domain: ['Pareto-optimal', 'dominated'], range: ['#d62728', '#7f7f7f'] }, title: null }, tooltip: [{ field: 'model' }, { field: 'cost' }, { field: 'accuracy' }] } },
      { mark: { type: 'text', dy: -9, fontSize: 10 }, encoding: { x, y, text: { field: 'model' } } },
    ],
  };
}

/** Test accuracy per epoch, one line per structure (mean over seeds). */
export function curvesSpec(models: ModelRow[]): VegaLiteSpec {
  const values = models.flatMap((m) => m.curve.map((c) => ({ model: m.model, epoch: c.epoch, accuracy: 100 * c.testAccuracy })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 360, height: 240, title: 'learning curves (test accuracy, mean over seeds)',
    data: { values }, mark: { type: 'line', point: true },
    encoding: { x: { field: 'epoch', type: 'quantitative', title: 'epoch' }, y: { field: 'accuracy', type: 'quantitative', scale: { zero: false }, title: 'test accuracy (%)' }, color: { field: 'model', type: 'nominal' } },
  };
}

/** Structures ranked by test accuracy per unit cost: accuracy (%) per million multiply-adds. */
export function ranked(models: ModelRow[]): ModelRow[] {
  return [...models].sort((a, b) => (100 * b.accuracyMean) / Math.max(b.macs / 1e6, 1e-9) - (100 * a.accuracyMean) / Math.max(a.macs / 1e6, 1e-9));
}

const fmtN = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : `${Math.round(n)}`);
const fmtB = (n: number | null) => (n === null ? '-' : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);
const pm = (m: number, s: number) => `${(100 * m).toFixed(2)} ± ${(100 * s).toFixed(2)}`;

const COLUMNS: [string, (m: ModelRow) => string][] = [
  ['model', (m) => m.model],
  ['test acc (%)', (m) => pm(m.accuracyMean, m.accuracyStd)],
  ['macro-F1 (%)', (m) => pm(m.macroF1Mean, m.macroF1Std)],
  ['acc % / M mult-adds', (m) => ((100 * m.accuracyMean) / Math.max(m.macs / 1e6, 1e-9)).toFixed(2)],
  ['params', (m) => fmtN(m.params)],
  ['mult-adds', (m) => fmtN(m.macs)],
  ['weights', (m) => fmtB(m.weightBytes)],
  ['activations / sample', (m) => fmtB(m.activationBytesPerSample)],
  ['peak train memory', (m) => fmtB(m.peakMemoryBytes)],
  ['train time (s)', (m) => m.trainSecondsMean.toFixed(1)],
  ['latency b=1 (ms)', (m) => m.latencyMs.toFixed(2)],
  ['throughput b=256 (/s)', (m) => m.throughput.toFixed(0)],
  ['Pareto on', (m) => m.pareto.join(', ') || '-'],
];

function budget(r: CompareResults): string {
  const o = r.options;
  return `${o.models.length} structures on ${o.dataset}, ${o.minutes !== undefined ? `${o.minutes} min` : `${o.epochs} epoch(s)`} per run, ${o.seeds ?? 1} seed(s), recipe ${o.recipe ?? 'shared'}${o.subset ? `, first ${o.subset} training images` : ''}; costs on ${r.models[0]?.device ?? '-'}`;
}

/** results.csv: one row per run with its structure's costs. */
export function resultsCsv(r: CompareResults): string {
  const head = ['model', 'seed', 'epochs', 'test_accuracy', 'test_macro_f1', 'train_seconds', 'peak_memory_bytes', 'params', 'macs', 'weight_bytes', 'activation_bytes_per_sample', 'latency_ms_b1', 'throughput_b256'];
  const byModel = new Map(r.models.map((m) => [m.model, m]));
  const rows = r.runs.map((x) => {
    const m = byModel.get(x.model)!;
    return [x.model, x.seed, x.epochs, x.testAccuracy, x.testMacroF1, x.trainSeconds.toFixed(2), x.peakMemoryBytes ?? '', m.params, m.macs, m.weightBytes, m.activationBytesPerSample, m.latencyMs.toFixed(3), m.throughput.toFixed(1)];
  });
  return [head, ...rows].map((row) => row.join(',')).join('\n') + '\n';
}

/** report.md: the budget, the Pareto-optimal structures per cost axis and the ranked table. */
export function reportMarkdown(r: CompareResults): string {
  const rows = ranked(r.models);
  return [
    `# Structure comparison: ${r.options.dataset}`, '', budget(r), '',
    '## Pareto-optimal structures', '',
    ...COST_AXES.map((a) => `- accuracy vs ${AXIS_TITLE[a]}: **${r.pareto[a].join(', ')}**`), '',
    '## Ranked by accuracy per unit cost (test accuracy % per million multiply-adds)', '',
    `| ${COLUMNS.map((c) => c[0]).join(' | ')} |`, `| ${COLUMNS.map(() => '---').join(' | ')} |`,
    ...rows.map((m) => `| ${COLUMNS.map((c) => c[1](m)).join(' | ')} |`), '',
    '![accuracy vs multiply-adds](pareto-macs.svg)', '',
  ].join('\n');
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Writes results.csv, report.md, report.html and the plots (pareto-*.svg, curves.svg) into out. */
export async function writeReport(out: string, r: CompareResults): Promise<string[]> {
  const svgs: Record<string, string> = {};
  for (const a of COST_AXES) svgs[`pareto-${a === 'latencyMs' ? 'latency' : a}`] = await renderSvg(paretoSpec(r.models, a));
  svgs.curves = await renderSvg(curvesSpec(r.models));
  const written: string[] = [];
  const put = (name: string, text: string) => {
    writeFileAtomic(join(out, name), text);
    written.push(join(out, name));
  };
  for (const [k, v] of Object.entries(svgs)) put(`${k}.svg`, v);
  put('results.csv', resultsCsv(r));
  put('report.md', reportMarkdown(r));
  const rows = ranked(r.models);
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>strata compare: ${esc(r.options.dataset)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}td:first-child,th:first-child{text-align:left}.plots{display:flex;flex-wrap:wrap;gap:16px}.pareto{color:#d62728;font-weight:600}</style></head><body>
<h1>Structure comparison: ${esc(r.options.dataset)}</h1><p>${esc(budget(r))}</p>
<h2>Pareto-optimal structures</h2><ul>${COST_AXES.map((a) => `<li>accuracy vs ${esc(AXIS_TITLE[a])}: <span class="pareto">${esc(r.pareto[a].join(', '))}</span></li>`).join('')}</ul>
<div class="plots">${Object.values(svgs).map((s) => `<figure>${s}</figure>`).join('\n')}</div>
<h2>Ranked by accuracy per unit cost</h2><table><thead><tr>${COLUMNS.map((c) => `<th>${esc(c[0])}</th>`).join('')}</tr></thead><tbody>
${rows.map((m) => `<tr>${COLUMNS.map((c) => `<td>${esc(c[1](m))}</td>`).join('')}</tr>`).join('\n')}
</tbody></table></body></html>
`;
  put('report.html', html);
  return written;
}

// Recording a training run in the run store, as a Trainer callback. A store that cannot be opened or
// written (damaged, locked, missing) costs a warning, never the run: the run folder stays the source of truth.
import type { Callback, EpochLog, Trainer } from '../train/trainer.js';
import { RunStore, storeDisabled, type NewRun } from './store.js';

export interface RecordOptions extends NewRun {
  /** Store path (default: STRATA_STORE or ~/.strata/runs.db; STRATA_STORE=none records nothing). */
  store?: string;
  /** Where warnings go (default stderr). The group defaults to STRATA_RUN_GROUP (set by strata compare for its runs). */
  warn?: (msg: string) => void;
}

/**
 * A callback that records the run: a row when training begins, each epoch's metrics, and at the end the
 * last epoch's metrics plus train_seconds and peak_rss_bytes (the process's peak resident memory).
 * @example trainer callbacks: [st.lab.recordRun({ kind: 'train', config, runDir: out })]
 */
export function recordRun(opts: RecordOptions): Callback {
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`warning: ${m}\n`));
  let store: RunStore | null = null;
  let id = -1;
  let t0 = 0;
  let failed = storeDisabled(opts.store);
  const safely = (what: string, fn: () => void) => {
    if (failed) return;
    try {
      fn();
    } catch (e) {
      failed = true;
      warn(`run not recorded in the store (${what}): ${(e as Error).message}; the run folder is kept${opts.runDir ? `, re-add it with strata runs import ${opts.runDir}` : ''}`);
      try { store?.close(); } catch { /* already broken */ }
      store = null;
    }
  };
  return {
    onTrainBegin: () => {
      t0 = performance.now();
      safely('open', () => {
        store = RunStore.open(opts.store);
        id = store.startRun({ ...opts, group: opts.group ?? process.env.STRATA_RUN_GROUP });
      });
    },
    onEpochEnd: (_t: Trainer, log: EpochLog) => safely('epoch', () => store!.logEpoch(id, log)),
    onTrainEnd: (_t: Trainer, history: EpochLog[]) => safely('finish', () => {
      const last = history[history.length - 1] ?? {};
      store!.finishRun(id, { ...last, train_seconds: (performance.now() - t0) / 1000, peak_rss_bytes: process.resourceUsage().maxRSS * 1024 });
      store!.close();
      store = null;
    }),
  };
}

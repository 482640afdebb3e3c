// Metrics across ranks: each rank evaluates its shard, the sums are all-reduced.
import { tensor } from '../ops/creation.js';
import { allReduce, getWorldSize, isInitialized, type ReduceOp } from './process-group.js';

/**
 * Reduces named numbers across ranks (sum by default; 'avg', 'max', 'min' too), e.g. the correct
 * predictions, samples and loss sums of each rank's evaluation shard. Without a group it returns them.
 * @example
 * const { correct, total } = await st.distributed.reduceMetrics({ correct: c, total: n });
 */
export async function reduceMetrics<K extends string>(values: Record<K, number>, op: ReduceOp = 'sum'): Promise<Record<K, number>> {
  if (!isInitialized() || getWorldSize() === 1) return { ...values };
  const keys = Object.keys(values) as K[];
  const t = tensor(keys.map((k) => values[k]), { dtype: 'float64', backend: 'native' });
  try {
    await allReduce(t, op).wait();
    const d = t.data();
    return Object.fromEntries(keys.map((k, i) => [k, d[i]])) as Record<K, number>;
  } finally {
    t.dispose();
  }
}

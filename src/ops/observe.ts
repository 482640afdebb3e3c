// An optional observer of the multiply-adds each matmul, linear and convolution performs (for model summaries).

/** Receives the op name and its multiply-add count. */
export type MacObserver = (op: string, macs: number) => void;

let observer: MacObserver | null = null;

/** Installs an observer for the duration of fn (nesting restores the previous one). */
export function observeMacs<R>(obs: MacObserver, fn: () => R): R {
  const prev = observer;
  observer = obs;
  try {
    return fn();
  } finally {
    observer = prev;
  }
}

/** Called by the ops that multiply-add; a no-op unless observed. */
export function reportMacs(op: string, macs: number): void {
  if (observer !== null) observer(op, macs);
}

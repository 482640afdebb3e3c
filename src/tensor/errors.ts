// StrataError: the one error type strata throws for bad input, naming the op and what would fix it.

/** Thrown for shape, dtype, backend and argument errors. `op` names the operation that refused. */
export class StrataError extends Error {
  readonly op: string;
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'StrataError';
    this.op = op;
  }
}

/** Formats a shape the way error messages print it: `[32,784]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function check(cond: unknown, op: string, message: string | (() => string)): asserts cond {
  if (!cond) throw new StrataError(op, typeof message === 'function' ? message() : message);
}

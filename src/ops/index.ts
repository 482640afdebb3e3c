// The op table: every differentiable operation, by family. Tensor methods and nn.functional call these.
export * from './creation.js';
export * from './convert.js';
export * from './elementwise.js';
export * from './activation.js';
export * from './reduce.js';
export * from './shape.js';
export * from './linalg.js';
export * from './indexing.js';
export * from './conv.js';
export * from './norm.js';
export * from './loss.js';
export * from './rnn.js';
export * from './attention.js';
export * from './autocast.js';

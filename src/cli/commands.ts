// Every `strata` command, one line each (keep the list alphabetical; `strata --help` lists them in this order).
export { command as ensemble } from './ensemble.js';
export { command as eval } from './eval.js';
export { command as generate } from './generate.js';
export { command as info } from './info.js';
export { command as predict } from './predict.js';
export { command as pretrain } from './pretrain.js';
export { command as probe } from './probe.js';
export { command as summary } from './summary.js';
export { command as train } from './train.js';

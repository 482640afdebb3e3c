// Every `strata` command, one line each (keep the list alphabetical; `strata --help` lists them in this order).
export { command as compare } from './compare.js';
export { command as convert } from './convert.js';
export { command as dashboard } from './dashboard.js';
export { command as distill } from './distill.js';
export { command as eval } from './eval.js';
export { command as export } from './export.js';
export { command as generate } from './generate.js';
export { command as info } from './info.js';
export { command as launch } from './launch.js';
export { command as predict } from './predict.js';
export { command as prune } from './prune.js';
export { command as quantize } from './quantize.js';
export { command as runs } from './runs.js';
export { command as summary } from './summary.js';
export { command as train } from './train.js';

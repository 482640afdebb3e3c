// `strata train`'s fine-tuning and few-label flags (--init, --freeze, --unfreeze-after, --lr-backbone,
// --label-fraction, --labels-per-class, --classes) over the public st.reuse API.
import * as st from '../index.js';
import { flags, UsageError, type Args } from './args.js';

type Sample = { x: st.data.NDArray; y: number };
type ClassDataset = st.data.Dataset<Sample> & { readonly classes?: readonly string[] };

export const FINETUNE_FLAGS = flags({
  init: { type: 'string', help: 'start from these weights: a run folder, .safetensors or PyTorch .pt/.pth; loads every tensor whose name and shape match and reports the rest' },
  freeze: { type: 'string', help: "freeze the parameters matching these globs (comma-separated, e.g. 'features.*')" },
  'unfreeze-after': { type: 'int', help: 'unfreeze the --freeze parameters after N epochs', min: 0 },
  'lr-backbone': { type: 'number', help: 'learning rate of the parameters loaded by --init (a parameter group; new ones use --lr)', gt: 0 },
  'label-fraction': { type: 'number', help: 'train on this fraction of the labels, stratified by class (e.g. 0.01)', gt: 0, max: 1 },
  'labels-per-class': { type: 'int', help: 'train on N labelled images per class', min: 1 },
  snapshots: { type: 'int', help: 'snapshot ensemble (Huang et al., 2017): K cosine learning-rate cycles over the epochs, saving snapshot-k.safetensors at the end of each (then strata ensemble --snapshots DIR)', min: 2 },
  classes: { type: 'string', help: "keep only these classes, renumbered from 0 (e.g. '0-4' or '5-9'), in training and test sets" },
});
type FtArgs = Args<typeof FINETUNE_FLAGS & { epochs: { type: 'int'; help: string }; minutes: { type: 'number'; help: string } }>;

/** The fine-tuning settings stored in config.json (null when unset). */
export function fineTuneConfig(a: FtArgs): Record<string, unknown> {
  if (a.given('label-fraction') && a.given('labels-per-class')) throw new UsageError('train', 'give one of --label-fraction and --labels-per-class, not both');
  if (a.given('unfreeze-after') && !a.given('freeze')) throw new UsageError('train', '--unfreeze-after needs --freeze (what to unfreeze)');
  const k = a.get('snapshots');
  if (k !== undefined && (a.get('epochs') ?? 0) % k !== 0) throw new UsageError('train', `--snapshots ${k}: --epochs must be a multiple of it (got --epochs ${a.get('epochs')})`);
  if (k !== undefined && a.given('minutes')) throw new UsageError('train', '--snapshots cycles over --epochs; drop --minutes');
  if (a.given('lr-backbone') && !a.given('init')) throw new UsageError('train', '--lr-backbone needs --init (the pre-trained part is what --init loads)');
  return {
    init: a.get('init') ?? null, freeze: a.get('freeze') ?? null, unfreezeAfter: a.get('unfreeze-after') ?? null,
    lrBackbone: a.get('lr-backbone') ?? null, labelFraction: a.get('label-fraction') ?? null,
    labelsPerClass: a.get('labels-per-class') ?? null, classes: a.get('classes') ?? null, snapshots: k ?? null,
  };
}

/** Applies --classes (to both splits) and --label-fraction / --labels-per-class (to the training split). */
export function fineTuneData(config: Record<string, unknown>, train: ClassDataset, test: ClassDataset, task: st.models.ImageTask): { train: ClassDataset; test: ClassDataset; task: st.models.ImageTask } {
  if (config.classes) {
    const keep = st.reuse.parseClassList(String(config.classes));
    const bad = keep.filter((c) => c >= task.numClasses);
    if (bad.length) throw new st.StrataError('train', `--classes ${config.classes}: the data set has classes 0-${task.numClasses - 1}, not ${bad.join(', ')}`);
    train = new st.reuse.ClassSubset(train, keep);
    test = new st.reuse.ClassSubset(test, keep);
    task = { ...task, numClasses: keep.length };
  }
  if (config.labelFraction != null || config.labelsPerClass != null) {
    const idx = st.reuse.labelSubsetIndices(st.reuse.labelsOf(train), {
      fraction: (config.labelFraction as number | null) ?? undefined, perClass: (config.labelsPerClass as number | null) ?? undefined, seed: Number(config.seed ?? 0),
    });
    const sub = new st.data.Subset(train, idx) as ClassDataset & { classes?: readonly string[] };
    if (train.classes) Object.defineProperty(sub, 'classes', { value: train.classes });
    train = sub;
  }
  return { train, test, task };
}

/** --init, --freeze, --lr-backbone and --unfreeze-after on a freshly built model: the optimizer's parameters and the callbacks. */
export function fineTuneModel(model: st.nn.Module, config: Record<string, unknown>, log: NodeJS.WritableStream | null): { params: st.Tensor[] | { params: st.Tensor[]; lr?: number }[]; callbacks: st.train.Callback[] } {
  const ft = st.reuse.prepareFineTune(model, {
    init: (config.init as string | null) ?? undefined, freeze: (config.freeze as string | null) ?? undefined, lrBackbone: (config.lrBackbone as number | null) ?? undefined,
  });
  if (ft.report && log) log.write(st.reuse.formatLoadReport(ft.report, String(config.init)) + '\n');
  if (ft.frozen.length && log) log.write(`frozen: ${ft.frozen.length} parameter(s) matching '${config.freeze}'\n`);
  const callbacks: st.train.Callback[] = [];
  const after = config.unfreezeAfter as number | null;
  if (after != null && ft.frozen.length) {
    callbacks.push(st.reuse.unfreezeAfter(model, ft.frozen, after, log ? (l) => log.write(l) : undefined));
    // a resumed run past the unfreezing epoch starts unfrozen
    callbacks.push({ onTrainBegin: (t: st.train.Trainer) => { if (t.epoch >= after) st.reuse.requiresGradByPattern(model, String(config.freeze), true); } });
  }
  return { params: ft.params, callbacks };
}

/** --snapshots K: the cyclic schedule (per step) and the callback writing snapshot-k.safetensors after each cycle. */
export function snapshotSchedule(config: Record<string, unknown>, optimizer: st.optim.Optimizer<st.optim.GroupBase>, stepsPerEpoch: number, save: (file: string, epoch: number) => void): { scheduler: st.optim.LRScheduler; callback: st.train.Callback } | null {
  const k = config.snapshots as number | null;
  if (!k) return null;
  const epochs = Number(config.epochs);
  const scheduler = new st.ensemble.CyclicCosineLR(optimizer, k, epochs * stepsPerEpoch);
  const per = epochs / k;
  return { scheduler, callback: { onEpochEnd: (_t: st.train.Trainer, log: st.train.EpochLog) => { if (log.epoch % per === 0) save(`snapshot-${log.epoch / per}.safetensors`, log.epoch); } } };
}

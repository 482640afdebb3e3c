// Knowledge distillation (Hinton et al. 2015): soft targets at temperature T mixed with the hard-label
// loss, and optional hint losses between chosen layers (FitNets); pieces to plug into the Trainer.
import { StrataError, fmtShape } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/grad-mode.js';
import { logSoftmax, softmax } from '../ops/activation.js';
import { crossEntropy, klDiv, mseLoss } from '../ops/loss.js';
import type { Module } from '../nn/module.js';
import type { Batch, TrainerOptions } from '../train/trainer.js';

export interface DistillOptions {
  /** Softmax temperature T (Hinton et al. use 1–20; default 4). */
  temperature?: number;
  /** Weight of the soft-target loss; 1 − alpha weighs the hard-label cross-entropy (default 0.9). */
  alpha?: number;
}

/**
 * α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·CE(s, y), averaged over the batch. The T² keeps the
 * soft-target gradients' scale independent of T (Hinton et al. 2015, §2).
 * student, teacher: logits [N, C]; target: class indices [N].
 */
export function distillationLoss(student: Tensor, teacher: Tensor, target: Tensor, opts: DistillOptions = {}): Tensor {
  const T = opts.temperature ?? 4, alpha = opts.alpha ?? 0.9;
  if (!(T > 0)) throw new StrataError('distill', `temperature must be > 0, got ${T}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new StrataError('distill', `alpha must be in [0, 1], got ${alpha}`);
  if (student.shape.join() !== teacher.shape.join()) throw new StrataError('distill', `student logits ${fmtShape(student.shape)} and teacher logits ${fmtShape(teacher.shape)} differ; both must predict the same classes`);
  const soft = klDiv(logSoftmax(student.div(T), 1), softmax(teacher.div(T), 1), 'batchmean').mul(alpha * T * T);
  return alpha === 1 ? soft : soft.add(crossEntropy(student, target).mul(1 - alpha));
}

export interface HintOptions {
  /** Student module name → teacher module name; their outputs must have one shape (add an adapter layer otherwise). */
  pairs: Record<string, string>;
  /** Weight of the mean-squared hint loss (default 1). */
  weight?: number;
}

function moduleAt(m: Module, name: string, who: string): Module {
  const found = [...m.namedModules()].find(([n]) => n === name)?.[1];
  if (!found) throw new StrataError('distill', `the ${who} has no module '${name}'`);
  return found;
}

/**
 * Trainer options that train `student` against `teacher`: pass them to new train.Trainer({ ...,
 * ...distillation(teacher, student, opts) }). The teacher runs in eval mode without gradients.
 * @example new st.train.Trainer({ model: student, optimizer, ...st.compress.distillation(teacher, student, { temperature: 4, alpha: 0.9 }) })
 */
export function distillation(teacher: Module, student: Module, opts: DistillOptions & { hints?: HintOptions } = {}): Pick<TrainerOptions, 'forward' | 'lossFn'> {
  teacher.eval();
  let teacherOut: Tensor | null = null;
  const feats = new Map<string, Tensor>();
  const hints = opts.hints;
  if (hints) {
    for (const [s, t] of Object.entries(hints.pairs)) {
      moduleAt(student, s, 'student').registerForwardHook((_m, _i, out) => feats.set(`s:${s}`, out as Tensor));
      moduleAt(teacher, t, 'teacher').registerForwardHook((_m, _i, out) => feats.set(`t:${t}`, out as Tensor));
    }
  }
  return {
    forward: (x: Tensor, _batch: Batch) => {
      teacherOut = noGrad(() => teacher.forward(x) as Tensor);
      return student.forward(x) as Tensor;
    },
    lossFn: (out: Tensor, y: Tensor) => {
      if (!teacherOut) throw new StrataError('distill', 'the loss ran before a forward');
      let loss = distillationLoss(out, teacherOut, y, opts);
      if (hints) {
        for (const [s, t] of Object.entries(hints.pairs)) {
          const fs = feats.get(`s:${s}`)!, ft = feats.get(`t:${t}`)!;
          if (fs.shape.join() !== ft.shape.join()) throw new StrataError('distill', `hint '${s}' ${fmtShape(fs.shape)} and '${t}' ${fmtShape(ft.shape)} differ in shape`);
          loss = loss.add(mseLoss(fs, ft.detach()).mul(hints.weight ?? 1));
        }
      }
      return loss;
    },
  };
}

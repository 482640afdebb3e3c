// keras.models.Sequential: add(), compile(), fit(), evaluate(), predict() over strata's Trainer.
import { StrataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloating } from '../tensor/dtype.js';
import { defaultGenerator } from '../tensor/random.js';
import { keep, tidy } from '../tensor/memory.js';
import { noGrad } from '../autograd/grad-mode.js';
import { Module } from '../nn/module.js';
import * as F from '../ops/index.js';
import { Adam, AdamW } from '../optim/adam.js';
import { SGD } from '../optim/sgd.js';
import { RMSprop, Adagrad } from '../optim/rmsprop.js';
import type { GroupBase, Optimizer } from '../optim/optimizer.js';
import { Trainer, type Batch, type EpochLog } from '../train/trainer.js';
import { ProgressLogger } from '../train/callbacks.js';
import { Layer } from './layers.js';
import { formatSummary, summary as labSummary } from '../lab/summary.js';

export type LossName = 'categorical_crossentropy' | 'sparse_categorical_crossentropy' | 'binary_crossentropy' | 'mse' | 'mae';

export interface CompileOptions {
  optimizer?: 'adam' | 'adamw' | 'sgd' | 'rmsprop' | 'adagrad' | Optimizer<GroupBase>;
  loss: LossName;
  metrics?: 'accuracy'[];
  learningRate?: number;
}

/** Batches of rows of x and y (whole-dataset tensors, as Keras' fit takes them). */
function* batches(x: Tensor, y: Tensor, batchSize: number, order: number[] | null): Generator<Batch> {
  const n = x.shape[0];
  for (let s = 0; s < n; s += batchSize) {
    const idx = F.tensor(order ? order.slice(s, s + batchSize) : Array.from({ length: Math.min(batchSize, n - s) }, (_, i) => s + i), { dtype: 'int64', backend: x.backend });
    yield { x: F.indexSelect(x, 0, idx), y: F.indexSelect(y, 0, idx) };
    idx.dispose();
  }
}

/**
 * A linear stack of Keras-style layers, trained with Keras' compile/fit/evaluate.
 * @example
 * const model = new keras.Sequential();
 * model.add(new keras.layers.Dense(64, { activation: 'relu', inputShape: [784] }));
 * model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
 */
export class Sequential extends Module {
  private count = 0;
  private compiled: CompileOptions | null = null;
  private optimizer: Optimizer<GroupBase> | null = null;

  add(layer: Layer | Module): this {
    (this as unknown as Record<string, Module>)[String(this.count++)] = layer;
    return this;
  }
  get layers(): Module[] {
    return this.children();
  }
  forward(x: Tensor): Tensor {
    return this.run(x, false);
  }
  /** The last layer's output before a softmax/sigmoid, which the cross-entropy losses fuse in. */
  private logits(x: Tensor): Tensor {
    return this.run(x, true);
  }
  /** Runs the layers, carrying Keras' padding mask from layer to layer (a plain Module drops it). */
  private run(x: Tensor, logits: boolean): Tensor {
    const ls = this.layers;
    let y = x;
    let mask: Tensor | null = null;
    ls.forEach((l, i) => {
      if (!(l instanceof Layer)) {
        y = l.forward(y);
        mask = null;
        return;
      }
      const out = logits && i === ls.length - 1 && this.fusesActivation(l) ? l.forwardLogits(y, mask) : l.forward(y, mask);
      mask = l.computeMask(y, mask);
      y = out;
    });
    return y;
  }
  private fusesActivation(last: Layer): boolean {
    const loss = this.compiled?.loss;
    return (last.activation === 'softmax' && (loss === 'categorical_crossentropy' || loss === 'sparse_categorical_crossentropy'))
      || (last.activation === 'sigmoid' && loss === 'binary_crossentropy');
  }

  /** Builds the layers by running a batch of zeros through them (needs the first layer's inputShape). */
  build(inputShape?: number[]): this {
    const shape = inputShape ?? (this.layers[0] as Layer | undefined)?.inputShape;
    if (!shape) throw new StrataError('Sequential', 'give the first layer an inputShape (or call build([…]))');
    noGrad(() => tidy(() => {
      this.forward(F.zeros([1, ...shape]));
    }));
    return this;
  }

  /**
   * Keras' model.summary(): the layer table (output shapes, parameters, multiply-adds) and totals, printed
   * and returned. Needs the input shape (the first layer's inputShape, or given here).
   * @example
   * model.summary(); // Dense [64] 50,240 … parameters: 50,890
   */
  summary(opts: { inputShape?: number[]; print?: (text: string) => void } = {}): string {
    const shape = opts.inputShape ?? (this.layers[0] as Layer | undefined)?.inputShape;
    if (!shape) throw new StrataError('summary', 'give the first layer an inputShape (or summary({ inputShape: […] }))');
    const text = formatSummary(labSummary(this, shape), 'Sequential');
    (opts.print ?? ((t: string) => process.stdout.write(t + '\n')))(text);
    return text;
  }

  compile(opts: CompileOptions): void {
    this.compiled = opts;
    if ((this.layers[0] as Layer | undefined)?.inputShape) this.build();
    const params = this.parameters();
    if (params.length === 0) throw new StrataError('compile', 'the model has no parameters yet: give the first layer an inputShape so it can be built');
    const lr = opts.learningRate;
    const o = opts.optimizer ?? 'rmsprop';
    this.optimizer = typeof o !== 'string' ? o
      : o === 'adam' ? new Adam(params, { lr: lr ?? 1e-3 })
      : o === 'adamw' ? new AdamW(params, { lr: lr ?? 1e-3 })
      : o === 'sgd' ? new SGD(params, { lr: lr ?? 0.01 })
      : o === 'rmsprop' ? new RMSprop(params, { lr: lr ?? 1e-3, alpha: 0.9, eps: 1e-7 })
      : new Adagrad(params, { lr: lr ?? 1e-3 });
  }

  /**
   * The compiled loss of logits and targets. NOTE: 'categorical_crossentropy' with class-index targets
   * (as the seeds pass them) is treated as the sparse version; one-hot float targets use soft labels.
   */
  private lossOf(out: Tensor, y: Tensor): Tensor {
    const loss = this.compiled!.loss;
    const last = this.layers[this.layers.length - 1];
    const fused = last instanceof Layer && this.fusesActivation(last);
    const C = out.shape[out.ndim - 1];
    switch (loss) {
      case 'categorical_crossentropy': case 'sparse_categorical_crossentropy': {
        const logits = fused ? out : F.log(F.clamp(out, 1e-7, 1));
        const flat = F.reshape(logits, [-1, C]);
        if (isFloating(y.dtype) && y.shape[y.ndim - 1] === C && y.ndim === out.ndim) return F.crossEntropy(flat, F.reshape(y, [-1, C]));
        return F.crossEntropy(flat, F.reshape(y.dtype === 'int64' ? y : y.long(), [-1]));
      }
      case 'binary_crossentropy':
        return fused ? F.binaryCrossEntropyWithLogits(out, y.float()) : F.binaryCrossEntropy(out, y.float());
      case 'mse': return F.mseLoss(out, y.float());
      case 'mae': return F.l1Loss(out, y.float());
    }
  }

  /** Trains on whole-dataset tensors x [N, …] and y [N, …]; returns the history (Keras' History.history). */
  async fit(x: Tensor, y: Tensor, opts: { batchSize?: number; epochs?: number; validationData?: [Tensor, Tensor]; shuffle?: boolean; verbose?: 0 | 1 } = {}): Promise<Record<string, number[]>> {
    if (!this.compiled || !this.optimizer) {
      this.build(x.shape.slice(1));
      if (!this.compiled) throw new StrataError('fit', 'call compile() first');
    }
    if (!this.optimizer) this.compile(this.compiled);
    if (x.shape[0] !== y.shape[0]) throw new StrataError('fit', `x has ${x.shape[0]} samples but y has ${y.shape[0]}`);
    const batchSize = opts.batchSize ?? 32;
    const trainer = this.trainer(opts.verbose === 0 ? [] : [new ProgressLogger(process.stderr, { epochs: opts.epochs ?? 1 })]);
    const history: Record<string, number[]> = { loss: [], accuracy: [] };
    const g = defaultGenerator;
    for (let e = 0; e < (opts.epochs ?? 1); e++) {
      const order = opts.shuffle === false ? null : shuffled(x.shape[0], () => g.random());
      const src = Object.assign(batches(x, y, batchSize, order), { length: Math.ceil(x.shape[0] / batchSize) });
      const [log] = await trainer.fit(src, { epochs: trainer.epoch + 1, validation: opts.validationData ? batches(opts.validationData[0], opts.validationData[1], 256, null) : null }).then((h) => h.slice(-1) as EpochLog[]);
      history.loss.push(log.train_loss);
      history.accuracy.push(log.train_accuracy);
      if (log.val_loss !== undefined) (history.val_loss ??= []).push(log.val_loss);
      if (log.val_accuracy !== undefined) (history.val_accuracy ??= []).push(log.val_accuracy);
    }
    return history;
  }

  /** [loss, accuracy] on x, y (as Keras' evaluate with metrics=['accuracy']). */
  async evaluate(x: Tensor, y: Tensor, opts: { batchSize?: number } = {}): Promise<[number, number]> {
    if (!this.compiled) throw new StrataError('evaluate', 'call compile() first');
    const r = await this.trainer([]).evaluate(batches(x, y, opts.batchSize ?? 256, null));
    return [r.loss, r.accuracy];
  }

  /** The model's outputs (with the last layer's activation) for x, in batches. */
  predict(x: Tensor, opts: { batchSize?: number } = {}): Tensor {
    const bs = opts.batchSize ?? 256;
    const wasTraining = this.training;
    this.eval();
    try {
      return noGrad(() => {
        const parts: Tensor[] = [];
        for (let s = 0; s < x.shape[0]; s += bs) parts.push(keep(tidy(() => this.forward(F.narrow(x, 0, s, Math.min(bs, x.shape[0] - s))))));
        const out = F.cat(parts, 0);
        if (parts.length > 1) for (const p of parts) p.dispose();
        return out;
      });
    } finally {
      this.train(wasTraining);
    }
  }

  private trainer(callbacks: ProgressLogger[]): Trainer {
    // the loss takes the logits when the last activation is fused into it
    return new Trainer({ model: this, optimizer: this.optimizer!, forward: (x) => this.logits(x), lossFn: (o, y) => this.lossOf(o, y), callbacks });
  }
}

function shuffled(n: number, rnd: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

// Recurrent layers: RNN, LSTM and GRU (stacked, bidirectional, variable-length batches) and the
// single-step cells RNNCell, LSTMCell and GRUCell, with PyTorch's parameter names, shapes and init.
import type { Tensor } from '../../tensor/tensor.js';
import type { DType } from '../../tensor/dtype.js';
import { StrataError } from '../../tensor/errors.js';
import { Module, Parameter } from '../module.js';
import { uniform_ } from '../init.js';
import * as F from '../../ops/index.js';
import type { RnnMode } from '../../ops/rnn.js';
import { empty } from './util.js';

export interface RNNBaseOptions {
  /** Stacked layers; layer l > 0 reads the outputs of layer l − 1 (default 1). */
  numLayers?: number;
  /** Biases bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** input and output [B, T, ·] instead of [T, B, ·]; hidden states stay [L·D, B, H] (default false). */
  batchFirst?: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training mode (default 0). */
  dropout?: number;
  /** A reverse direction as well: outputs [·, ·, 2H], states [2L, B, H] (default false). */
  bidirectional?: boolean;
  dtype?: DType;
}

export interface RNNOptions extends RNNBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/**
 * Padding of a variable-length batch. The output keeps the input's T steps (as pad_packed_sequence with
 * total_length = T), with zeros at padded steps; the final states are each sequence's last valid state.
 */
export interface RecurrentForwardOptions {
  /** Valid length of each sequence ([B] integers or an int tensor); later steps are padding. */
  lengths?: readonly number[] | Tensor | null;
  /** Valid steps [T, B] ([B, T] when batchFirst), bool or 0/1; any other step is padding. */
  mask?: Tensor | null;
}

const GATES: Record<RnnMode, number> = { lstm: 4, gru: 3, rnnTanh: 1, rnnRelu: 1 };

function positiveInt(name: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new StrataError(name, `${what} must be a positive integer, got ${String(v)}`);
  return v;
}

/**
 * The stacked recurrent layers' shared part: parameters weight_ih_l{k}[_reverse], weight_hh_l{k}[_reverse],
 * bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] (PyTorch's names and order, so its state dicts load),
 * initialised U(−1/√hiddenSize, 1/√hiddenSize) as PyTorch's RNNBase.reset_parameters.
 */
abstract class RNNBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** Parameter names in the order the op takes them. */
  private readonly flatNames: string[] = [];

  constructor(protected readonly mode: RnnMode, readonly inputSize: number, readonly hiddenSize: number, opts: RNNBaseOptions) {
    super();
    const name = this.constructor.name;
    positiveInt(name, 'inputSize', inputSize);
    positiveInt(name, 'hiddenSize', hiddenSize);
    this.numLayers = positiveInt(name, 'numLayers', opts.numLayers ?? 1);
    this.bias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.bidirectional = opts.bidirectional ?? false;
    const p = opts.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new StrataError(name, `dropout must be a probability in [0, 1], got ${String(p)}`);
    this.dropout = p;
    const G = GATES[mode], D = this.bidirectional ? 2 : 1, H = hiddenSize;
    const self = this as unknown as Record<string, Tensor>;
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const shapes: [string, number[]][] = [[`weight_ih${sfx}`, [G * H, l === 0 ? inputSize : D * H]], [`weight_hh${sfx}`, [G * H, H]]];
        if (this.bias) shapes.push([`bias_ih${sfx}`, [G * H]], [`bias_hh${sfx}`, [G * H]]);
        for (const [k, shape] of shapes) {
          self[k] = Parameter(empty(shape, opts.dtype));
          this.flatNames.push(k);
        }
      }
    }
    this.resetParameters();
  }

  resetParameters(): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const w of this.flatWeights()) uniform_(w, -stdv, stdv);
  }

  /** The parameters in PyTorch's order: per layer, per direction, [w_ih, w_hh, b_ih, b_hh]. */
  flatWeights(): Tensor[] {
    const self = this as unknown as Record<string, Tensor>;
    return this.flatNames.map((k) => self[k]);
  }

  protected opOptions(opts: RecurrentForwardOptions | undefined) {
    return {
      numLayers: this.numLayers, bias: this.bias, batchFirst: this.batchFirst, bidirectional: this.bidirectional,
      dropout: this.dropout, training: this.training, lengths: opts?.lengths, mask: opts?.mask, name: this.constructor.name,
    };
  }

  override extraRepr(): string {
    const parts = [`${this.inputSize}, ${this.hiddenSize}`];
    if (this.numLayers !== 1) parts.push(`numLayers=${this.numLayers}`);
    if (!this.bias) parts.push('bias=false');
    if (this.batchFirst) parts.push('batchFirst=true');
    if (this.dropout) parts.push(`dropout=${this.dropout}`);
    if (this.bidirectional) parts.push('bidirectional=true');
    return parts.join(', ');
  }
}

/**
 * Elman RNN (Elman, 1990), as torch.nn.RNN: h_t = tanh(W_ih·x_t + b_ih + W_hh·h_{t−1} + b_hh) (or relu).
 * forward(input [T, B, inputSize] ([B, T, ·] batchFirst, [T, ·] unbatched), hx [L·D, B, H]?, {lengths | mask}?)
 * → [output [T, B, D·H], hN [L·D, B, H]].
 */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(inputSize: number, hiddenSize: number, opts: RNNOptions = {}) {
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new StrataError('RNN', `nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nl)}`);
    super(nl === 'relu' ? 'rnnRelu' : 'rnnTanh', inputSize, hiddenSize, opts);
    this.nonlinearity = nl;
  }
  forward(input: Tensor, hx?: Tensor | null, opts?: RecurrentForwardOptions): [Tensor, Tensor] {
    const r = F.rnn(input, hx, this.flatWeights(), { ...this.opOptions(opts), nonlinearity: this.nonlinearity });
    return [r.output, r.hN];
  }
  override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity === 'relu' ? ", nonlinearity='relu'" : '');
  }
}

/**
 * Long short-term memory (Hochreiter & Schmidhuber, 1997), as torch.nn.LSTM (gates i, f, g, o):
 * forward(input [T, B, inputSize], [h0, c0] each [L·D, B, H]?, {lengths | mask}?)
 * → [output [T, B, D·H], [hN, cN] each [L·D, B, H]]. With lengths, hN and cN hold each sequence's
 * last valid state and padded outputs are 0, as PyTorch's packed sequences give.
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNBaseOptions = {}) {
    super('lstm', inputSize, hiddenSize, opts);
  }
  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null, opts?: RecurrentForwardOptions): [Tensor, [Tensor, Tensor]] {
    const r = F.lstm(input, hx, this.flatWeights(), this.opOptions(opts));
    return [r.output, [r.hN, r.cN]];
  }
}

/**
 * Gated recurrent unit (Cho et al., 2014), as torch.nn.GRU (gates r, z, n;
 * n = tanh(W_in·x + b_in + r∘(W_hn·h + b_hn))): forward(input, hx [L·D, B, H]?, {lengths | mask}?)
 * → [output [T, B, D·H], hN [L·D, B, H]].
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, opts: RNNBaseOptions = {}) {
    super('gru', inputSize, hiddenSize, opts);
  }
  forward(input: Tensor, hx?: Tensor | null, opts?: RecurrentForwardOptions): [Tensor, Tensor] {
    const r = F.gru(input, hx, this.flatWeights(), this.opOptions(opts));
    return [r.output, r.hN];
  }
}

// ---------------------------------------------------------------- cells

export interface CellOptions {
  bias?: boolean;
  dtype?: DType;
}

/** The cells' shared part: weight_ih [G·H, I], weight_hh [G·H, H], bias_ih, bias_hh [G·H], U(−1/√H, 1/√H). */
abstract class CellBase extends Module {
  weight_ih: Tensor;
  weight_hh: Tensor;
  bias_ih: Tensor | null;
  bias_hh: Tensor | null;
  constructor(gates: number, readonly inputSize: number, readonly hiddenSize: number, opts: CellOptions) {
    super();
    const name = this.constructor.name;
    positiveInt(name, 'inputSize', inputSize);
    positiveInt(name, 'hiddenSize', hiddenSize);
    const GH = gates * hiddenSize;
    this.weight_ih = Parameter(empty([GH, inputSize], opts.dtype));
    this.weight_hh = Parameter(empty([GH, hiddenSize], opts.dtype));
    const bias = opts.bias ?? true;
    this.bias_ih = bias ? Parameter(empty([GH], opts.dtype)) : null;
    this.bias_hh = bias ? Parameter(empty([GH], opts.dtype)) : null;
    this.resetParameters();
  }
  resetParameters(): void {
    const stdv = 1 / Math.sqrt(this.hiddenSize);
    for (const w of this.parameters()) uniform_(w, -stdv, stdv);
  }
  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias_ih ? '' : ', bias=false'}`;
  }
}

/** One Elman step, as torch.nn.RNNCell: forward(input [B, I] or [I], hx [B, H]?) → h'. */
export class RNNCell extends CellBase {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(inputSize: number, hiddenSize: number, opts: CellOptions & { nonlinearity?: 'tanh' | 'relu' } = {}) {
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw new StrataError('RNNCell', `nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nl)}`);
    super(1, inputSize, hiddenSize, opts);
    this.nonlinearity = nl;
  }
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    return F.rnnCell(input, hx, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh, this.nonlinearity, 'RNNCell');
  }
}

/** One LSTM step, as torch.nn.LSTMCell: forward(input [B, I] or [I], [h, c]?) → [h', c']. */
export class LSTMCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: CellOptions = {}) {
    super(4, inputSize, hiddenSize, opts);
  }
  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    return F.lstmCell(input, hx, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh, 'LSTMCell');
  }
}

/** One GRU step, as torch.nn.GRUCell: forward(input [B, I] or [I], hx [B, H]?) → h'. */
export class GRUCell extends CellBase {
  constructor(inputSize: number, hiddenSize: number, opts: CellOptions = {}) {
    super(3, inputSize, hiddenSize, opts);
  }
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    return F.gruCell(input, hx, this.weight_ih, this.weight_hh, this.bias_ih, this.bias_hh, 'GRUCell');
  }
}

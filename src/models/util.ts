// Shared pieces of the convolutional zoo: reading a model's config, choosing the stem for the input size,
// conv–batch-norm–activation units, channel rounding, and torchvision's weight initialisations.
import { StrataError } from '../tensor/errors.js';
import type { Module } from '../nn/module.js';
import { Conv2d } from '../nn/layers/conv.js';
import { BatchNorm2d } from '../nn/layers/norm.js';
import { Linear } from '../nn/layers/linear.js';
import { ReLU, ReLU6 } from '../nn/layers/activation.js';
import { Sequential } from '../nn/layers/container.js';
import { constant_, kaimingNormal_, normal_, truncNormal_, zeros_ } from '../nn/init.js';
import type { ImageTask } from './basic.js';

/**
 * How a model begins: 'imagenet' (the published stem, e.g. ResNet's 7×7 stride-2 conv and 3×3 max-pool,
 * for 224×224 inputs) or 'small' (a 3×3 stride-1 first conv and no early pooling, as the CIFAR variants
 * of each family do, for 28×28 and 32×32 inputs).
 */
export type StemKind = 'imagenet' | 'small';

/** Inputs whose shorter side is at most this many pixels get the 'small' stem unless config.stem says otherwise. */
export const SMALL_INPUT_MAX = 64;

/** Reads config.stem ('auto' by default: 'small' up to SMALL_INPUT_MAX px, 'imagenet' above). */
export function stemFor(model: string, task: ImageTask, config: Record<string, unknown>): StemKind {
  const s = config.stem ?? 'auto';
  if (s === 'imagenet' || s === 'small') return s;
  if (s !== 'auto') throw new StrataError(model, `config.stem must be 'auto', 'imagenet' or 'small', got ${JSON.stringify(s)}`);
  return Math.min(task.height, task.width) <= SMALL_INPUT_MAX ? 'small' : 'imagenet';
}

/** A numeric config entry (default when absent); `int` and `min` are checked. */
export function cfgNum(model: string, config: Record<string, unknown>, key: string, dflt: number, opts: { int?: boolean; min?: number } = {}): number {
  const v = config[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || (opts.int && !Number.isInteger(v)) || (opts.min !== undefined && v < opts.min)) {
    throw new StrataError(model, `config.${key} must be ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** A boolean config entry. */
export function cfgBool(model: string, config: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = config[key] ?? dflt;
  if (typeof v !== 'boolean') throw new StrataError(model, `config.${key} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** A list of positive integers from the config. */
export function cfgInts(model: string, config: Record<string, unknown>, key: string, dflt: readonly number[], length?: number): number[] {
  const v = config[key] ?? dflt;
  if (!Array.isArray(v) || v.some((x) => !Number.isInteger(x) || x < 1) || (length !== undefined && v.length !== length)) {
    throw new StrataError(model, `config.${key} must be a list of ${length ?? 'some'} positive integers, got ${JSON.stringify(v)}`);
  }
  return v.slice() as number[];
}

/** Scales a channel count by a width multiplier, keeping at least one channel. */
export function scaled(c: number, mult: number): number {
  return Math.max(1, Math.round(c * mult));
}

/**
 * torchvision's _make_divisible (from the TensorFlow MobileNet code): v rounded to the nearest multiple
 * of divisor, at least minValue, and never more than 10 % below v.
 */
export function makeDivisible(v: number, divisor: number, minValue?: number): number {
  const min = minValue ?? divisor;
  let r = Math.max(min, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (r < 0.9 * v) r += divisor;
  return r;
}

export interface ConvBNActOptions {
  stride?: number;
  groups?: number;
  /** Activation after the norm (default 'relu'); null for none. */
  act?: 'relu' | 'relu6' | null;
  eps?: number;
}

/**
 * Conv2d (bias-free, padding (k−1)/2) → BatchNorm2d → activation, as torchvision's Conv2dNormActivation:
 * a Sequential whose children are named 0, 1, 2.
 */
export function convBNAct(inChannels: number, outChannels: number, kernelSize: number, opts: ConvBNActOptions = {}): Sequential {
  const mods: Module[] = [
    new Conv2d(inChannels, outChannels, kernelSize, { stride: opts.stride ?? 1, padding: (kernelSize - 1) >> 1, groups: opts.groups ?? 1, bias: false }),
    new BatchNorm2d(outChannels, { eps: opts.eps }),
  ];
  const act = opts.act === undefined ? 'relu' : opts.act;
  if (act === 'relu') mods.push(new ReLU());
  else if (act === 'relu6') mods.push(new ReLU6());
  return new Sequential(...mods);
}

export interface InitScheme {
  /** Conv2d weights: kaiming normal with gain √2 (torch's default nonlinearity, leaky_relu with slope 0, is relu's gain) over fan_out or fan_in, truncated normal(0, 0.01), or the layer's own default. */
  conv: 'kaimingFanOut' | 'kaimingFanIn' | 'truncNormal' | 'default';
  /** Linear weights: normal(0, 0.01), truncated normal(0, 0.01), or PyTorch's default. */
  linear: 'normal' | 'truncNormal' | 'default';
  /** Zero conv and linear biases (torchvision does where it re-initialises a layer). */
  zeroBias: boolean;
}

/**
 * Re-initialises every Conv2d, BatchNorm2d and Linear below `model` as a torchvision model's constructor
 * does (batch norm: weight 1, bias 0).
 */
export function initWeights(model: Module, scheme: InitScheme): void {
  for (const m of model.modules()) {
    if (m instanceof Conv2d) {
      if (scheme.conv === 'default') continue;
      if (scheme.conv === 'truncNormal') truncNormal_(m.weight, 0, 0.01, -2, 2);
      else kaimingNormal_(m.weight, { mode: scheme.conv === 'kaimingFanIn' ? 'fanIn' : 'fanOut', nonlinearity: 'relu' });
      if (m.bias && scheme.zeroBias) zeros_(m.bias);
    } else if (m instanceof BatchNorm2d) {
      if (m.weight) constant_(m.weight, 1);
      if (m.bias) constant_(m.bias, 0);
    } else if (m instanceof Linear) {
      if (scheme.linear === 'normal') normal_(m.weight, 0, 0.01);
      else if (scheme.linear === 'truncNormal') truncNormal_(m.weight, 0, 0.01, -2, 2);
      if (m.bias && scheme.zeroBias) zeros_(m.bias);
    }
  }
}

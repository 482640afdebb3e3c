// Convolution (1-D, 2-D, transposed; stride, padding, dilation, groups) and pooling.
import { StrataError } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

function todo(name: string): never {
  throw new StrataError(name, 'not implemented yet');
}

type IntOrList = number | readonly number[];
export interface ConvOptions { stride?: IntOrList; padding?: IntOrList | 'valid' | 'same'; dilation?: IntOrList; groups?: number }
export interface ConvTransposeOptions { stride?: IntOrList; padding?: IntOrList; outputPadding?: IntOrList; dilation?: IntOrList; groups?: number }
export interface PoolOptions { stride?: IntOrList | null; padding?: IntOrList; dilation?: IntOrList; ceilMode?: boolean }
export interface AvgPoolOptions { stride?: IntOrList | null; padding?: IntOrList; ceilMode?: boolean; countIncludePad?: boolean; divisorOverride?: number | null }

/** x: [N, Cin, L], w: [Cout, Cin/groups, K] → [N, Cout, Lout]. */
export function conv1d(x: Tensor, w: Tensor, b?: Tensor | null, opts: ConvOptions = {}): Tensor { return todo('conv1d'); }
/** x: [N, Cin, H, W], w: [Cout, Cin/groups, kH, kW] → [N, Cout, Hout, Wout]. groups = Cin gives depthwise convolution. */
export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, opts: ConvOptions = {}): Tensor { return todo('conv2d'); }
/** x: [N, Cin, L], w: [Cin, Cout/groups, K]. */
export function convTranspose1d(x: Tensor, w: Tensor, b?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor { return todo('convTranspose1d'); }
/** x: [N, Cin, H, W], w: [Cin, Cout/groups, kH, kW] → [N, Cout, Hout, Wout]. */
export function convTranspose2d(x: Tensor, w: Tensor, b?: Tensor | null, opts: ConvTransposeOptions = {}): Tensor { return todo('convTranspose2d'); }
export function maxPool2d(x: Tensor, kernelSize: IntOrList, opts: PoolOptions = {}): Tensor { return todo('maxPool2d'); }
export function maxPool2dWithIndices(x: Tensor, kernelSize: IntOrList, opts: PoolOptions = {}): { values: Tensor; indices: Tensor } { return todo('maxPool2d'); }
export function maxPool1d(x: Tensor, kernelSize: number, opts: PoolOptions = {}): Tensor { return todo('maxPool1d'); }
export function avgPool2d(x: Tensor, kernelSize: IntOrList, opts: AvgPoolOptions = {}): Tensor { return todo('avgPool2d'); }
export function avgPool1d(x: Tensor, kernelSize: number, opts: AvgPoolOptions = {}): Tensor { return todo('avgPool1d'); }
/** Average pooling to a fixed output size [oh, ow] (null keeps that dim). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly (number | null)[]): Tensor { return todo('adaptiveAvgPool2d'); }
export function adaptiveAvgPool1d(x: Tensor, outputSize: number): Tensor { return todo('adaptiveAvgPool1d'); }

// Devices as in PyTorch: 'cpu', 'cuda', 'cuda:N'. A tensor's device is its backend's (src/backends/registry.ts).
import { StrataError } from './errors.js';

export type DeviceType = 'cpu' | 'cuda';

/** Where a tensor's storage lives. @example st.device('cuda:0').toString() === 'cuda:0' */
export class Device {
  constructor(readonly type: DeviceType, readonly index: number | null = null) {}
  /** The same device with its index filled in (cuda → cuda:0). */
  resolved(): Device {
    return this.type === 'cuda' && this.index === null ? new Device('cuda', 0) : this;
  }
  equals(other: DeviceLike): boolean {
    const o = toDevice('device', other).resolved();
    const me = this.resolved();
    return me.type === o.type && me.index === o.index;
  }
  toString(): string {
    return this.index === null ? this.type : `${this.type}:${this.index}`;
  }
  toJSON(): string {
    return this.toString();
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `device(type='${this.type}'${this.index === null ? '' : `, index=${this.index}`})`;
  }
}

export type DeviceLike = Device | string;

const DEVICE_RE = /^(cpu|cuda)(?::(\d+))?$/;

/** True for strings that name a device rather than a dtype or backend ('cpu', 'cuda', 'cuda:1'). */
export function isDeviceString(s: unknown): s is string {
  return typeof s === 'string' && DEVICE_RE.test(s);
}

/** Parses a device; throws a StrataError naming `op` for anything else. */
export function toDevice(op: string, d: DeviceLike): Device {
  if (d instanceof Device) return d;
  const m = typeof d === 'string' ? DEVICE_RE.exec(d) : null;
  if (!m) throw new StrataError(op, `unknown device ${JSON.stringify(d)}; expected 'cpu', 'cuda' or 'cuda:N'`);
  if (m[1] === 'cpu') {
    if (m[2] !== undefined && m[2] !== '0') throw new StrataError(op, `there is one CPU device; got ${d}`);
    return CPU;
  }
  return new Device('cuda', m[2] === undefined ? null : Number(m[2]));
}

/** st.device('cuda:0') */
export function device(d: DeviceLike): Device {
  return toDevice('device', d);
}

export const CPU = new Device('cpu');

// Audio features in TypeScript: WAV (PCM) reading, a radix-2 FFT, power spectrograms (Hann-windowed STFT),
// HTK mel filterbanks and log-mel spectrograms.
import { readFileSync } from 'node:fs';
import { StrataError } from '../tensor/errors.js';

/** Mono samples in [−1, 1] and their rate. */
export interface Audio {
  sampleRate: number;
  samples: Float32Array;
}

/**
 * Decodes a RIFF/WAVE file of PCM (8, 16, 24 or 32-bit integer) or IEEE-float (32-bit) samples into mono
 * (channels averaged). A data chunk whose declared size runs past the end (as streamed WAV, e.g.
 * `espeak-ng --stdout`, declares 0x7fffffff) is read to the end of the bytes.
 */
export function decodeWav(bytes: Uint8Array): Audio {
  const op = 'decodeWav';
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (o: number) => String.fromCharCode(bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]);
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new StrataError(op, 'not a RIFF/WAVE file (no RIFF…WAVE header)');
  let fmt: { format: number; channels: number; rate: number; bits: number } | null = null;
  let off = 12;
  while (off + 8 <= bytes.length) {
    const id = tag(off), size = dv.getUint32(off + 4, true), body = off + 8;
    if (id === 'fmt ') {
      if (size < 16) throw new StrataError(op, `the fmt chunk is ${size} bytes; expected at least 16`);
      let format = dv.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE: the sub-format's first two bytes hold the real format
      if (format === 0xfffe && size >= 26) format = dv.getUint16(body + 24, true);
      fmt = { format, channels: dv.getUint16(body + 2, true), rate: dv.getUint32(body + 4, true), bits: dv.getUint16(body + 14, true) };
    } else if (id === 'data') {
      if (!fmt) throw new StrataError(op, 'the data chunk comes before the fmt chunk');
      const end = Math.min(bytes.length, body + size);
      return { sampleRate: fmt.rate, samples: pcmToMono(op, dv, body, end, fmt) };
    }
    off = body + size + (size & 1);
  }
  throw new StrataError(op, fmt ? 'no data chunk' : 'no fmt chunk');
}

function pcmToMono(op: string, dv: DataView, start: number, end: number, f: { format: number; channels: number; bits: number }): Float32Array {
  const bps = f.bits / 8;
  if (f.channels < 1) throw new StrataError(op, `${f.channels} channels`);
  const frame = bps * f.channels;
  const n = Math.floor((end - start) / frame);
  const out = new Float32Array(n);
  let read: (o: number) => number;
  if (f.format === 1 && f.bits === 16) read = (o) => dv.getInt16(o, true) / 32768;
  else if (f.format === 1 && f.bits === 8) read = (o) => (dv.getUint8(o) - 128) / 128;
  else if (f.format === 1 && f.bits === 24) read = (o) => ((dv.getUint8(o) | (dv.getUint8(o + 1) << 8) | (dv.getInt8(o + 2) << 16)) / 8388608);
  else if (f.format === 1 && f.bits === 32) read = (o) => dv.getInt32(o, true) / 2147483648;
  else if (f.format === 3 && f.bits === 32) read = (o) => dv.getFloat32(o, true);
  else throw new StrataError(op, `unsupported sample format ${f.format} with ${f.bits} bits (supported: PCM 8/16/24/32-bit, float 32-bit)`);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < f.channels; c++) s += read(start + i * frame + c * bps);
    out[i] = s / f.channels;
  }
  return out;
}

/** Reads a WAV file (see decodeWav). */
export function readWav(path: string): Audio {
  return decodeWav(readFileSync(path));
}

/** In-place iterative radix-2 FFT of (re, im), length a power of two. */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  if ((n & (n - 1)) !== 0 || n === 0 || im.length !== n) throw new StrataError('fft', `the length must be a power of two with re and im equal, got ${n} and ${im.length}`);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i]; re[i] = re[j]; re[j] = t;
      t = im[i]; im[i] = im[j]; im[j] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len, wr = Math.cos(ang), wi = Math.sin(ang), half = len >> 1;
    for (let i = 0; i < n; i += len) {
      let cr = 1, ci = 0;
      for (let k = 0; k < half; k++) {
        const a = i + k, b = a + half;
        const tr = re[b] * cr - im[b] * ci, ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr; im[b] = im[a] - ti;
        re[a] += tr; im[a] += ti;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}

export interface SpectrogramOptions {
  /** FFT size = window length, a power of two (default 1024). */
  nFft?: number;
  /** Samples between frame starts (default nFft / 2). */
  hopLength?: number;
}

/**
 * Power spectrogram |STFT|² with a periodic Hann window (torch.hann_window's default), frames starting at
 * 0, hop, 2·hop, … while a whole window fits (no centring or padding): [frames, nFft/2 + 1] row-major.
 * Bin b is frequency b·sampleRate/nFft.
 */
export function powerSpectrogram(samples: Float32Array, opts: SpectrogramOptions = {}): { data: Float32Array; frames: number; bins: number } {
  const nFft = opts.nFft ?? 1024, hop = opts.hopLength ?? nFft / 2;
  if (!Number.isInteger(hop) || hop < 1) throw new StrataError('powerSpectrogram', `hopLength must be a positive integer, got ${hop}`);
  const frames = samples.length >= nFft ? 1 + Math.floor((samples.length - nFft) / hop) : 0;
  const bins = nFft / 2 + 1;
  const win = new Float64Array(nFft);
  for (let i = 0; i < nFft; i++) win[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / nFft);
  const out = new Float32Array(frames * bins);
  const re = new Float64Array(nFft), im = new Float64Array(nFft);
  for (let f = 0; f < frames; f++) {
    const s0 = f * hop;
    for (let i = 0; i < nFft; i++) {
      re[i] = samples[s0 + i] * win[i];
      im[i] = 0;
    }
    fft(re, im);
    for (let b = 0; b < bins; b++) out[f * bins + b] = re[b] * re[b] + im[b] * im[b];
  }
  return { data: out, frames, bins };
}

const hzToMel = (f: number) => 2595 * Math.log10(1 + f / 700);
const melToHz = (m: number) => 700 * (10 ** (m / 2595) - 1);

/**
 * Triangular mel filters on the HTK mel scale (torchaudio's melscale_fbanks with norm=None): nMels filters
 * whose corners are nMels + 2 points equally spaced in mel between fMin and fMax; [nMels, nFft/2 + 1].
 */
export function melFilterbank(nMels: number, nFft: number, sampleRate: number, fMin = 0, fMax = sampleRate / 2): Float32Array {
  if (!(fMin >= 0 && fMax > fMin && fMax <= sampleRate / 2)) throw new StrataError('melFilterbank', `need 0 ≤ fMin < fMax ≤ sampleRate/2, got fMin ${fMin}, fMax ${fMax}, sampleRate ${sampleRate}`);
  const bins = nFft / 2 + 1;
  const m0 = hzToMel(fMin), m1 = hzToMel(fMax);
  const pts = Array.from({ length: nMels + 2 }, (_, i) => melToHz(m0 + ((m1 - m0) * i) / (nMels + 1)));
  const fb = new Float32Array(nMels * bins);
  for (let m = 0; m < nMels; m++) {
    const [lo, c, hi] = [pts[m], pts[m + 1], pts[m + 2]];
    for (let b = 0; b < bins; b++) {
      const f = (b * sampleRate) / nFft;
      const w = Math.max(0, Math.min((f - lo) / (c - lo), (hi - f) / (hi - c)));
      fb[m * bins + b] = w;
    }
  }
  return fb;
}

/** The centre frequency (Hz) of each of melFilterbank's filters. */
export function melCenters(nMels: number, fMin: number, fMax: number): number[] {
  const m0 = hzToMel(fMin), m1 = hzToMel(fMax);
  return Array.from({ length: nMels }, (_, i) => melToHz(m0 + ((m1 - m0) * (i + 1)) / (nMels + 1)));
}

export interface LogMelOptions extends SpectrogramOptions {
  nMels?: number;
  fMin?: number;
  /** Default min(8000, sampleRate / 2). */
  fMax?: number;
  /** Added before the logarithm (default 1e-6). */
  eps?: number;
}

/**
 * Log-mel spectrogram: ln(melFilterbank · powerSpectrogram + eps), [frames, nMels] row-major
 * (default nFft 1024, hop 512, 40 mels from 0 to 8 kHz).
 */
export function logMelSpectrogram(audio: Audio, opts: LogMelOptions = {}): { data: Float32Array; frames: number; nMels: number } {
  const nFft = opts.nFft ?? 1024, nMels = opts.nMels ?? 40, eps = opts.eps ?? 1e-6;
  const fMax = opts.fMax ?? Math.min(8000, audio.sampleRate / 2);
  const spec = powerSpectrogram(audio.samples, { nFft, hopLength: opts.hopLength });
  const fb = melFilterbank(nMels, nFft, audio.sampleRate, opts.fMin ?? 0, fMax);
  const out = new Float32Array(spec.frames * nMels);
  const B = spec.bins;
  for (let f = 0; f < spec.frames; f++) {
    for (let m = 0; m < nMels; m++) {
      let s = 0;
      for (let b = 0; b < B; b++) {
        const w = fb[m * B + b];
        if (w !== 0) s += w * spec.data[f * B + b];
      }
      out[f * nMels + m] = Math.log(s + eps);
    }
  }
  return { data: out, frames: spec.frames, nMels };
}

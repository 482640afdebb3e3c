// keras facade: recurrent layers (SimpleRNN, LSTM, GRU, Bidirectional), global 1-d pooling, masks from
// Embedding({maskZero}) through Sequential, and keras.preprocessing.sequence.padSequences.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose, backends, flat, onBackend, st, throwsWith } from './helpers.js';

const { keras } = st;
const { layers } = keras;
const { padSequences } = keras.preprocessing.sequence;

describe('keras.preprocessing.sequence.padSequences', () => {
  it('pads and truncates at the start by default, as Keras', () => {
    const x = padSequences([[1, 2, 3], [4], []]);
    assert.equal(x.dtype, 'int32');
    assert.deepEqual(x.shape, [3, 3]);
    assert.deepEqual(flat(x), [1, 2, 3, 0, 0, 4, 0, 0, 0]);
    assert.deepEqual(flat(padSequences([[1, 2, 3], [4]], { maxlen: 2 })), [2, 3, 0, 4]);
  });
  it("pads and truncates at the end with 'post', with any value and dtype", () => {
    assert.deepEqual(flat(padSequences([[1, 2, 3], [4]], { maxlen: 2, padding: 'post', truncating: 'post' })), [1, 2, 4, 0]);
    assert.deepEqual(flat(padSequences([[1, 2, 3], [4]], { maxlen: 4, padding: 'post', value: -1 })), [1, 2, 3, -1, 4, -1, -1, -1]);
    assert.deepEqual(flat(padSequences([[1, 2, 3]], { maxlen: 2, truncating: 'post', padding: 'pre' })), [1, 2]);
    const f = padSequences([[0.5], [1.5, 2.5]], { dtype: 'float32', value: 0.25 });
    assert.equal(f.dtype, 'float32');
    assert.deepEqual(flat(f), [0.25, 0.5, 1.5, 2.5]);
  });
  it('names bad arguments', () => {
    throwsWith(() => padSequences([[1]], { padding: 'left' as never }), "padding must be 'pre' or 'post'");
    throwsWith(() => padSequences([[1]], { maxlen: -1 }), 'maxlen must be a non-negative integer');
    throwsWith(() => padSequences([[1, 2.5]]), 'sequence 0 holds 2.5 at position 1');
    throwsWith(() => padSequences([[1]], { value: 0.5 }), 'value must be a finite number (an integer for dtype int32)');
  });
});

for (const be of backends()) {
  describe(`keras recurrent layers on ${be}`, () => {
    const f64 = (v: number[], shape: number[]) => st.tensor(v, { shape, dtype: 'float64', backend: be });

    /** A built SimpleRNN with units 1 on 1 feature: w_ih 0.5, w_hh 0.5, bias 0.1 (float64). */
    function tinyRnn(opts: st.keras.layers.RecurrentOptions = {}): st.keras.layers.SimpleRNN {
      const l = new layers.SimpleRNN(1, opts);
      l.forward(f64([0], [1, 1, 1]));
      st.noGrad(() => {
        l.weight_ih!.fill_(0.5);
        l.weight_hh!.fill_(0.5);
        l.bias!.fill_(0.1);
      });
      return l;
    }

    it('SimpleRNN steps by hand, skips masked steps, and goes backwards', () => {
      const x = f64([1, 2, 0], [1, 3, 1]);
      const mask = st.tensor([[true, true, false]], { dtype: 'bool', backend: be });
      const h1 = Math.tanh(0.5 * 1 + 0.1), h2 = Math.tanh(0.5 * 2 + 0.5 * h1 + 0.1);
      assertClose(tinyRnn({ returnSequences: true }).forward(x, mask), [h1, h2, 0], { atol: 1e-12 });
      assertClose(tinyRnn().forward(x, mask), [h2], { atol: 1e-12 });
      // backwards over the real steps: 2 then 1
      const g1 = Math.tanh(0.5 * 2 + 0.1), g2 = Math.tanh(0.5 * 1 + 0.5 * g1 + 0.1);
      assertClose(tinyRnn({ goBackwards: true }).forward(x, mask), [g2], { atol: 1e-12 });
      // unmasked, backwards covers the trailing 0 first
      const u1 = Math.tanh(0.1), u2 = Math.tanh(1 + 0.5 * u1 + 0.1), u3 = Math.tanh(0.5 + 0.5 * u2 + 0.1);
      assertClose(tinyRnn({ goBackwards: true, returnSequences: true }).forward(x), [u1, u2, u3], { atol: 1e-12 });
    });

    it('Bidirectional puts the backward outputs back in time order and merges', () => {
      const x = f64([1, 2, 0], [1, 3, 1]);
      const mask = st.tensor([[1, 1, 0]], { dtype: 'int64', backend: be }).ne(0);
      const h1 = Math.tanh(0.6), h2 = Math.tanh(1 + 0.5 * h1 + 0.1);
      const g1 = Math.tanh(1.1), g2 = Math.tanh(0.5 + 0.5 * g1 + 0.1);
      const bi = (mergeMode: st.keras.layers.MergeMode, returnSequences: boolean) =>
        new layers.Bidirectional(tinyRnn({ returnSequences }), { mergeMode, backwardLayer: tinyRnn({ returnSequences, goBackwards: true }) });
      assertClose(bi('concat', true).forward(x, mask), [h1, g2, h2, g1, 0, 0], { atol: 1e-12 });
      assertClose(bi('concat', false).forward(x, mask), [h2, g2], { atol: 1e-12 });
      assertClose(bi('sum', false).forward(x, mask), [h2 + g2], { atol: 1e-12 });
      assertClose(bi('ave', true).forward(x, mask), [(h1 + g2) / 2, (h2 + g1) / 2, 0], { atol: 1e-12 });
      const fresh = new layers.Bidirectional(new layers.GRU(3, { returnSequences: true }));
      assert.equal(fresh.backwardLayer.goBackwards, true);
      const y = onBackend(be, () => fresh.forward(st.randn([2, 4, 5], { backend: be })));
      assert.deepEqual(y.shape, [2, 4, 6]);
      assert.equal(fresh.numParameters(), 2 * 3 * (5 * 3 + 3 * 3 + 2 * 3));
    });

    it('counts parameters as Keras and initialises as Keras (orthogonal recurrent weights, forget bias 1)', () => {
      const I = 5, H = 4;
      const count = (l: st.keras.Layer) => onBackend(be, () => {
        l.forward(st.zeros([2, 3, I]));
        return l.numParameters();
      });
      // Keras: SimpleRNN I·H + H·H + H; LSTM 4(I·H + H·H + H); GRU (reset_after) 3(I·H + H·H + 2H)
      assert.equal(count(new layers.SimpleRNN(H)), I * H + H * H + H);
      assert.equal(count(new layers.LSTM(H)), 4 * (I * H + H * H + H));
      assert.equal(count(new layers.GRU(H)), 3 * (I * H + H * H + 2 * H));
      assert.equal(count(new layers.GRU(H, { useBias: false })), 3 * (I * H + H * H));
      const lstm = new layers.LSTM(H);
      count(lstm);
      assert.deepEqual(flat(lstm.bias!), [0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
      // weight_hh [4H, H] has orthonormal columns: WᵀW = I
      assertClose(st.matmul(lstm.weight_hh!.t(), lstm.weight_hh!), flat(st.eye(H)), { atol: 1e-5 });
      const lim = Math.sqrt(6 / (I + 4 * H));
      assert.ok(flat(lstm.weight_ih!).every((v) => Math.abs(v) <= lim), 'Glorot-uniform bound');
    });

    it('gives the same last output for pre- and post-padded batches with a maskZero Embedding', () => {
      for (const Kind of [layers.SimpleRNN, layers.LSTM, layers.GRU]) {
        onBackend(be, () => {
          st.manualSeed(3);
          const m = new keras.Sequential();
          m.add(new layers.Embedding(10, 4, { maskZero: true }));
          m.add(new Kind(3));
          m.add(new layers.Dense(2));
          const seqs = [[3, 4, 5], [7], [2, 9]];
          const pre = m.predict(padSequences(seqs, { maxlen: 5 }));
          const post = m.predict(padSequences(seqs, { maxlen: 5, padding: 'post' }));
          const short = m.predict(padSequences(seqs));
          assertClose(post, pre, { atol: 1e-6 }, Kind.name);
          assertClose(short, pre, { atol: 1e-6 }, Kind.name);
          // without the mask the zeros are steps like any other
          const unmasked = new keras.Sequential();
          unmasked.add(new layers.Embedding(10, 4));
          unmasked.add(new Kind(3));
          const a = unmasked.predict(padSequences(seqs, { maxlen: 5 })), b = unmasked.predict(padSequences(seqs, { maxlen: 5, padding: 'post' }));
          assert.ok(flat(a.sub(b).abs()).some((v) => v > 1e-4), `${Kind.name}: padding changes the unmasked output`);
        });
      }
    });

    it('pools over the real steps: GlobalAveragePooling1D and GlobalMaxPooling1D', () => {
      const x = f64([1, -2, 3, 4, 5, 6, -1, 0, 9, 9, 2, 2], [2, 3, 2]);
      const mask = st.tensor([[true, true, false], [false, true, true]], { backend: be });
      const avg = new layers.GlobalAveragePooling1D(), max = new layers.GlobalMaxPooling1D();
      assertClose(avg.forward(x), [(1 + 3 + 5) / 3, (-2 + 4 + 6) / 3, (-1 + 9 + 2) / 3, (0 + 9 + 2) / 3], { atol: 1e-12 });
      assertClose(avg.forward(x, mask), [2, 1, 5.5, 5.5], { atol: 1e-12 });
      assertClose(max.forward(x), [5, 6, 9, 9]);
      assertClose(max.forward(x, mask), [3, 4, 9, 9]);
      throwsWith(() => avg.forward(f64([1, 2], [1, 2])), 'expected input [batch, steps, features], got [1,2]');
    });

    it('saves and loads its weights, and training lowers the loss', async () => {
      const prev = st.getBackend().name as 'js' | 'native';
      st.setBackend(be);
      try {
        st.manualSeed(1);
        const build = () => {
          const m = new keras.Sequential();
          m.add(new layers.Embedding(12, 6, { maskZero: true, inputLength: 5 }));
          m.add(new layers.Bidirectional(new layers.LSTM(4, { returnSequences: true, dropout: 0.2 })));
          m.add(new layers.GRU(4, { returnSequences: true }));
          m.add(new layers.GlobalMaxPooling1D());
          m.add(new layers.Dense(3, { activation: 'softmax' }));
          m.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', learningRate: 0.01 });
          return m;
        };
        const m = build();
        const x = padSequences([[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], [11]], { maxlen: 5, padding: 'post' });
        const y = st.tensor([0, 1, 2, 1], { dtype: 'int64' });
        const copy = build();
        copy.loadStateDict(m.stateDict());
        assertClose(copy.predict(x), m.predict(x), { atol: 1e-6 });
        assert.deepEqual(Object.keys(m.stateDict()).filter((k) => k.startsWith('1.')), [
          '1.forwardLayer.weight_ih', '1.forwardLayer.weight_hh', '1.forwardLayer.bias',
          '1.backwardLayer.weight_ih', '1.backwardLayer.weight_hh', '1.backwardLayer.bias',
        ]);
        const [l0] = await m.evaluate(x, y);
        await m.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 });
        const [l1] = await m.evaluate(x, y);
        assert.ok(l1 < l0, `loss ${l0} → ${l1}`);
      } finally {
        st.setBackend(prev);
      }
    });

    it('names unsupported options and bad inputs', () => {
      throwsWith(() => new layers.GRU(4, { recurrentDropout: 0.1 }), 'recurrentDropout is not supported');
      throwsWith(() => new layers.LSTM(4, { activation: 'relu' }), "activation 'relu' is not supported");
      throwsWith(() => new layers.GRU(4, { resetAfter: false }), 'resetAfter: false is not supported');
      throwsWith(() => new layers.SimpleRNN(0), 'units must be a positive integer');
      throwsWith(() => new layers.GRU(2).forward(f64([1, 2], [1, 2])), 'expected input [batch, timesteps, features], got [1,2]');
    });
  });
}

// Memory: scopes, keep, dispose, `using`, and the finalizer that frees tensors nobody disposed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { backends, st } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

for (const be of backends()) {
  describe(`memory on ${be}`, () => {
    it('tidy frees everything but what it returns, and what the returned graph needs for backward', () => {
      st.setBackend(be);
      try {
        const w = st.keep(st.randn([3]).requiresGrad_());
        const before = st.memory().tensors;
        const loss = st.tidy(() => w.mul(2).exp().sum());
        // exp saved its output; mul's output is exp's input: both survive for backward
        assert.ok(st.memory().tensors > before);
        loss.backward();
        assert.equal(w.grad!.shape[0], 3);
        const n = st.tidy(() => { st.ones([5]).add(1); return 7; });
        assert.equal(n, 7);
      } finally {
        st.setBackend('js');
      }
    });

    it('using disposes at the end of the block', () => {
      st.setBackend(be);
      try {
        const before = st.memory().tensors;
        {
          using a = st.ones([4]);
          assert.equal(a.sum().item(), 4);
        }
        // the sum's result is not disposed (no scope): one tensor more than before, not two
        assert.ok(st.memory().tensors <= before + 1);
      } finally {
        st.setBackend('js');
      }
    });

    // NOTE: on a GPU the tensors live in CUDA's caching allocator, whose reuse (not V8's heuristics) bounds the peak
    it('native memory held only by the finalizer makes the garbage collector run by itself', { skip: be !== 'native' || st.getDefaultDevice().type === 'cuda' }, async () => {
      st.setBackend(be);
      try {
        // 100 × 16 MiB never disposed, no gc() call: the external-memory report has to trigger collections
        const before = st.memory().backends[be].bytes;
        let peak = 0;
        for (let i = 0; i < 100; i++) {
          st.zeros([4 << 20]);
          if (i % 5 === 4) await new Promise((r) => setImmediate(r));
          peak = Math.max(peak, st.memory().backends[be].bytes - before);
        }
        assert.ok(peak < 800 * 2 ** 20, `peak ${(peak / 2 ** 20).toFixed(0)} MiB of unreachable tensors`);
      } finally {
        st.setBackend('js');
      }
    });

    it('the finalizer frees tensors that were never disposed once they are unreachable', async () => {
      st.setBackend(be);
      try {
        const before = st.memory();
        (() => { for (let i = 0; i < 1000; i++) st.ones([256]); })();
        assert.ok(st.memory().tensors >= before.tensors + 1000);
        for (let i = 0; i < 10 && st.memory().tensors > before.tensors + 10; i++) {
          await new Promise((r) => setImmediate(r));
          gc();
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.ok(st.memory().tensors <= before.tensors + 10, `still ${st.memory().tensors - before.tensors} tensors`);
        assert.ok(st.memory().backends[be].bytes <= before.backends[be].bytes + 10 * 1024);
      } finally {
        st.setBackend('js');
      }
    });
  });
}

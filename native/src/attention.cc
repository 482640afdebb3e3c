// Scaled dot-product attention, fused: one call for the forward (scores, mask, softmax, dropout, weighted
// sum) and one for the backward, each a few batched matrix products over every batch and head at once.
#include "common.h"

#include <algorithm>
#include <limits>

namespace strata {

/** t [..., M, N] as [B, M, N] (a view when the strides allow, else a copy). */
static at::Tensor as3d(const at::Tensor& t) { return t.reshape({-1, t.size(-2), t.size(-1)}); }

/** The batch dims of t [..., M, N] followed by m, n. */
static std::vector<int64_t> with_batch(const at::Tensor& t, int64_t m, int64_t n) {
  std::vector<int64_t> s(t.sizes().begin(), t.sizes().end() - 2);
  s.push_back(m);
  s.push_back(n);
  return s;
}

/**
 * Rows per query block in causal attention. Block [r0, r1) only needs keys [0, r1): the products skip the
 * masked keys after each block (with nb blocks, (nb + 1)/(2·nb) of the work: 5/8 for 4 blocks).
 */
static int64_t causal_block(int64_t L) { return std::max<int64_t>((L + 7) / 8, std::min<int64_t>(32, (L + 3) / 4)); }

/** Calls f(r0, rows, keys) for each causal query block: rows [r0, r0 + rows) see keys [0, keys). */
template <typename F>
static void for_causal_blocks(int64_t L, int64_t S, F f) {
  const int64_t lb = causal_block(L);
  for (int64_t r0 = 0; r0 < L; r0 += lb) {
    const int64_t r1 = std::min(L, r0 + lb);
    f(r0, r1 - r0, std::min(S, r1));
  }
}

// attention(q, k, v, mask|null, causal, scale, dropoutP, seed, needWeights) -> [out, probs, weights after dropout|null]
STRATA_KERNEL(attention) {
  const at::Tensor& q = a.tensor(0);
  const at::Tensor& k = a.tensor(1);
  const at::Tensor& v = a.tensor(2);
  at::Tensor mask = a.opt_tensor(3);
  bool causal = a.boolean(4);
  double scale = a.f64(5), p = a.f64(6);
  uint64_t seed = static_cast<uint64_t>(a.i64(7));
  bool need_weights = a.boolean(8);
  if (q.dim() < 2 || k.dim() != q.dim() || v.dim() != q.dim()) throw ArgError("q, k and v need the same rank (at least 2)");
  const int64_t L = q.size(-2), S = k.size(-2), Ev = v.size(-1);
  constexpr double inf = std::numeric_limits<double>::infinity();
  // NOTE: scaling q ([L, E]) costs less than scaling the scores ([L, S]) whenever E < S.
  at::Tensor q3 = as3d(q) * scale, k3 = as3d(k), v3 = as3d(v);
  const bool blocked = causal && L > 1 && S > 0;
  at::Tensor s;
  if (blocked) {
    // scores after a block's last key are never computed: the causal fill below overwrites them
    s = at::empty({q3.size(0), L, S}, q3.options());
    for_causal_blocks(L, S, [&](int64_t r0, int64_t n, int64_t c) {
      at::Tensor o = s.narrow(1, r0, n).narrow(2, 0, c);
      at::bmm_out(o, q3.narrow(1, r0, n), k3.narrow(1, 0, c).transpose(1, 2));
    });
  } else {
    s = at::bmm(q3, k3.transpose(1, 2));
  }
  if (mask.defined()) s.view(with_batch(q, L, S)).add_(mask);
  if (causal) s.masked_fill_(at::ones({L, S}, s.options().dtype(at::kBool)).triu_(1), -inf);
  at::Tensor probs = at::_softmax(s, -1, false);
  // NOTE: a row whose scores are all -inf (every key masked) gives 0/0 = NaN in softmax; its weights are
  // set to zero instead, so its output is zero. Causal masking alone never empties a row (key 0 is always seen).
  if (mask.defined()) probs.masked_fill_(s.amax(-1, true).eq(-inf), 0);
  // dropout's mask is a hash of (seed, index): the backward redraws it rather than keeping it
  at::Tensor weights = probs;
  if (p > 0) {
    weights = at::empty_like(probs);
    dropout_apply(probs, weights, p, seed);
  }
  at::Tensor out;
  if (blocked) {
    out = at::empty({q3.size(0), L, Ev}, q3.options());
    for_causal_blocks(L, S, [&](int64_t r0, int64_t n, int64_t c) {
      at::Tensor o = out.narrow(1, r0, n);
      at::bmm_out(o, weights.narrow(1, r0, n).narrow(2, 0, c), v3.narrow(1, 0, c));
    });
  } else {
    out = at::bmm(weights, v3);
  }
  const auto ls = with_batch(q, L, S);
  return a.ret_list({out.view(with_batch(q, L, Ev)), probs.view(ls), need_weights && p > 0 ? weights.view(ls) : at::Tensor()});
}

// attentionBackward(gOut, gWeights|null, q, k, v, probs, scale, causal, dropoutP, seed, wantScores) -> [gq, gk, gv, gScores|null]
STRATA_KERNEL(attention_backward) {
  at::Tensor g = as3d(a.tensor(0));
  at::Tensor gw = a.opt_tensor(1);
  const at::Tensor& q = a.tensor(2);
  const at::Tensor& k = a.tensor(3);
  const at::Tensor& v = a.tensor(4);
  at::Tensor probs = as3d(a.tensor(5));
  double scale = a.f64(6);
  bool causal = a.boolean(7);
  double p = a.f64(8);
  uint64_t seed = static_cast<uint64_t>(a.i64(9));
  bool want_scores = a.boolean(10);
  const int64_t L = q.size(-2), S = k.size(-2);
  at::Tensor weights = probs;
  if (p > 0) {
    weights = at::empty_like(probs, at::MemoryFormat::Contiguous);
    dropout_apply(probs, weights, p, seed);
  }
  at::Tensor q3 = as3d(q), k3 = as3d(k), v3 = as3d(v);
  const bool blocked = causal && L > 1 && S > 0;
  at::Tensor gv, gp, gq, gk;
  // the weights after a causal block's last key are zero: those products are skipped
  if (blocked) {
    gp = at::empty_like(probs, at::MemoryFormat::Contiguous);
    for_causal_blocks(L, S, [&](int64_t r0, int64_t n, int64_t c) {
      at::Tensor o = gp.narrow(1, r0, n).narrow(2, 0, c);
      at::bmm_out(o, g.narrow(1, r0, n), v3.narrow(1, 0, c).transpose(1, 2));
      if (c < S) gp.narrow(1, r0, n).narrow(2, c, S - c).zero_();
    });
  } else {
    gp = at::bmm(g, v3.transpose(1, 2));
  }
  if (gw.defined()) gp.add_(as3d(gw));
  if (p > 0) dropout_apply(gp, gp, p, seed);
  at::Tensor gs = at::_softmax_backward_data(gp, probs, -1, probs.scalar_type());
  if (blocked) {
    gq = at::empty_like(q3, at::MemoryFormat::Contiguous);
    for_causal_blocks(L, S, [&](int64_t r0, int64_t n, int64_t c) {
      at::Tensor o = gq.narrow(1, r0, n);
      at::bmm_out(o, gs.narrow(1, r0, n).narrow(2, 0, c), k3.narrow(1, 0, c));
    });
    // key block [k0, k0 + m) is seen by queries k0.. only; keys past the last query by none
    gv = at::empty_like(v3, at::MemoryFormat::Contiguous);
    gk = at::empty_like(k3, at::MemoryFormat::Contiguous);
    const int64_t seen = std::min(S, L);
    for_causal_blocks(seen, seen, [&](int64_t k0, int64_t m, int64_t) {
      at::Tensor ov = gv.narrow(1, k0, m), ok = gk.narrow(1, k0, m);
      at::bmm_out(ov, weights.narrow(1, k0, L - k0).narrow(2, k0, m).transpose(1, 2), g.narrow(1, k0, L - k0));
      at::bmm_out(ok, gs.narrow(1, k0, L - k0).narrow(2, k0, m).transpose(1, 2), q3.narrow(1, k0, L - k0));
    });
    if (seen < S) {
      gv.narrow(1, seen, S - seen).zero_();
      gk.narrow(1, seen, S - seen).zero_();
    }
    gq.mul_(scale);
    gk.mul_(scale);
  } else {
    gv = at::bmm(weights.transpose(1, 2), g);
    gq = at::bmm(gs, k3).mul_(scale);
    gk = at::bmm(gs.transpose(1, 2), q3).mul_(scale);
  }
  return a.ret_list({gq.view(q.sizes()), gk.view(k.sizes()), gv.view(v.sizes()),
                     want_scores ? gs.view(with_batch(q, L, S)) : at::Tensor()});
}

void register_attention(napi_env env, napi_value exports) {
  define(env, exports, "attention", attention);
  define(env, exports, "attentionBackward", attention_backward);
}

}  // namespace strata

// Scaled dot-product attention, fused: one call for the forward (scores, mask, softmax, dropout, weighted
// sum) and one for the backward, each a few batched matrix products over every batch and head at once.
#include "common.h"

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

// attention(q, k, v, mask|null, causal, scale, dropoutP, seed) -> [out, probs, keep|null]
STRATA_KERNEL(attention) {
  const at::Tensor& q = a.tensor(0);
  const at::Tensor& k = a.tensor(1);
  const at::Tensor& v = a.tensor(2);
  at::Tensor mask = a.opt_tensor(3);
  bool causal = a.boolean(4);
  double scale = a.f64(5), p = a.f64(6);
  uint64_t seed = static_cast<uint64_t>(a.i64(7));
  if (q.dim() < 2 || k.dim() != q.dim() || v.dim() != q.dim()) throw ArgError("q, k and v need the same rank (at least 2)");
  const int64_t L = q.size(-2), S = k.size(-2), Ev = v.size(-1);
  constexpr double inf = std::numeric_limits<double>::infinity();
  // NOTE: scaling q ([L, E]) costs less than scaling the scores ([L, S]) whenever E < S.
  at::Tensor s = at::bmm(as3d(q) * scale, as3d(k).transpose(1, 2));
  if (mask.defined()) s.view(with_batch(q, L, S)).add_(mask);
  if (causal) s.masked_fill_(at::ones({L, S}, s.options().dtype(at::kBool)).triu_(1), -inf);
  at::Tensor probs = at::_softmax(s, -1, false);
  // NOTE: a row whose scores are all -inf (every key masked) gives 0/0 = NaN in softmax; its weights are
  // set to zero instead, so its output is zero. Causal masking alone never empties a row (key 0 is always seen).
  if (mask.defined()) probs.masked_fill_(s.amax(-1, true).eq(-inf), 0);
  at::Tensor keep, weights = probs;
  if (p > 0) {
    at::Generator gen = at::detail::createCPUGenerator(seed);
    keep = at::empty_like(probs).bernoulli_(1 - p, gen);
    if (p < 1) keep.mul_(1 / (1 - p));
    weights = probs * keep;
  }
  at::Tensor out = at::bmm(weights, as3d(v));
  const auto ls = with_batch(q, L, S);
  return a.ret_list({out.view(with_batch(q, L, Ev)), probs.view(ls), keep.defined() ? keep.view(ls) : keep});
}

// attentionBackward(gOut, gWeights|null, q, k, v, probs, keep|null, scale, wantScores) -> [gq, gk, gv, gScores|null]
STRATA_KERNEL(attention_backward) {
  at::Tensor g = as3d(a.tensor(0));
  at::Tensor gw = a.opt_tensor(1);
  const at::Tensor& q = a.tensor(2);
  const at::Tensor& k = a.tensor(3);
  const at::Tensor& v = a.tensor(4);
  at::Tensor probs = as3d(a.tensor(5));
  at::Tensor keep = a.opt_tensor(6);
  double scale = a.f64(7);
  bool want_scores = a.boolean(8);
  if (keep.defined()) keep = as3d(keep);
  at::Tensor weights = keep.defined() ? probs * keep : probs;
  at::Tensor gv = at::bmm(weights.transpose(1, 2), g);
  at::Tensor gp = at::bmm(g, as3d(v).transpose(1, 2));
  if (gw.defined()) gp.add_(as3d(gw));
  if (keep.defined()) gp.mul_(keep);
  at::Tensor gs = at::_softmax_backward_data(gp, probs, -1, probs.scalar_type());
  at::Tensor gq = at::bmm(gs, as3d(k)).mul_(scale);
  at::Tensor gk = at::bmm(gs.transpose(1, 2), as3d(q)).mul_(scale);
  const int64_t L = q.size(-2), S = k.size(-2);
  return a.ret_list({gq.view(q.sizes()), gk.view(k.sizes()), gv.view(v.sizes()),
                     want_scores ? gs.view(with_batch(q, L, S)) : at::Tensor()});
}

void register_attention(napi_env env, napi_value exports) {
  define(env, exports, "attention", attention);
  define(env, exports, "attentionBackward", attention_backward);
}

}  // namespace strata

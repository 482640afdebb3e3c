// Recurrent kernels: the whole-sequence forward and backward of one LSTM, GRU or Elman RNN layer in one
// direction. The input projection of every step is one GEMM, each step one GEMM with W_hh and one fused
// pointwise pass; backward runs the steps in reverse and forms the weight gradients with one GEMM each.
#include "common.h"

#include <ATen/Parallel.h>
#include <cmath>
#include <cstring>
#include <dlfcn.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define STRATA_RNN_AVX2 1
#endif

// Layout shared by every kernel (and by src/backends/js/rnn.ts):
//   x [T, B, I]; h0, c0 [B, H]; wIh [G·H, I]; wHh [G·H, H]; bIh, bHh [G·H] (G gates: LSTM 4, GRU 3, RNN 1);
//   mask [T, B] of x's dtype: 1 where a step is valid, 0 where it is padding (the state carries over
//   and the output is 0).
//   hAll [T+1, B, H] (cAll too): the states around the steps. Forward direction: hAll[0] = h0 and
//   hAll[t+1] is the state after step t. Reverse (steps T−1 … 0): hAll[T] = h0 and hAll[t] is the state
//   after step t. So step t reads hAll[t + rev] and writes hAll[t + 1 − rev].
//   out [T, B, H]: without a mask, a view of hAll's written states; with one, a new tensor.
//   gates [T, B, G·H]: the gate activations (LSTM i, f, g, o; GRU r, z, n), saved for backward.

namespace strata {

namespace {

bool g_force_generic = false;

/** The fused loops read and write CPU memory; other devices (and tests, when forced) use ATen ops. */
bool fused(const at::Tensor& x) { return x.device().is_cpu() && !g_force_generic; }

template <typename T> inline T sigm(T v) { return T(1) / (T(1) + std::exp(-v)); }

// ---------------------------------------------------------------- vectorised float math (AVX2)
// NOTE: the transcendental functions come from glibc's libmvec (8-lane expf/tanhf, a few ulp), looked
// up at run time so that the addon neither links it nor needs it; without it (or AVX2) the loops are scalar.

#ifdef STRATA_RNN_AVX2
typedef float v8 __attribute__((vector_size(32)));
typedef __m256 (*VecFn)(__m256);
VecFn g_vexp = nullptr, g_vtanh = nullptr;

bool load_vector_math() {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return false;
  void* lib = dlopen("libmvec.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return false;
  g_vexp = reinterpret_cast<VecFn>(dlsym(lib, "_ZGVdN8v_expf"));
  g_vtanh = reinterpret_cast<VecFn>(dlsym(lib, "_ZGVdN8v_tanhf"));
  return g_vexp && g_vtanh;
}
const bool kVec = load_vector_math();

#define AVX2 __attribute__((target("avx2,fma")))
AVX2 inline v8 ld(const float* p) { v8 v; std::memcpy(&v, p, sizeof v); return v; }
AVX2 inline void st(float* p, v8 v) { std::memcpy(p, &v, sizeof v); }
AVX2 inline v8 vsigm(v8 x) { return 1.f / (1.f + reinterpret_cast<v8>(g_vexp(reinterpret_cast<__m256>(-x)))); }
AVX2 inline v8 vtanh(v8 x) { return reinterpret_cast<v8>(g_vtanh(reinterpret_cast<__m256>(x))); }
AVX2 inline v8 vmax0(v8 x) { return reinterpret_cast<v8>(_mm256_max_ps(reinterpret_cast<__m256>(x), _mm256_setzero_ps())); }
AVX2 inline v8 vpos(v8 x) {  // 1 where x > 0, else 0
  return reinterpret_cast<v8>(_mm256_and_ps(_mm256_cmp_ps(reinterpret_cast<__m256>(x), _mm256_setzero_ps(), _CMP_GT_OQ), _mm256_set1_ps(1.f)));
}
#else
const bool kVec = false;
#endif

// ---------------------------------------------------------------- pointwise rows
// Each processes elements [j0, j1) of one batch row; the float versions run 8 lanes at a time and
// finish the tail with the scalar code.

/** LSTM step: g holds the pre-activations (in place → i, f, g, o); writes c' and h'. */
template <typename T>
void lstm_fwd_range(int64_t j0, int64_t j1, int64_t H, T* g, const T* cp, T* cn, T* hn) {
  for (int64_t j = j0; j < j1; j++) {
    T i = sigm(g[j]), f = sigm(g[H + j]), gg = std::tanh(g[2 * H + j]), o = sigm(g[3 * H + j]);
    T c = f * cp[j] + i * gg;
    g[j] = i; g[H + j] = f; g[2 * H + j] = gg; g[3 * H + j] = o;
    cn[j] = c;
    hn[j] = o * std::tanh(c);
  }
}

/** LSTM step backward (valid step): dh (in: ∂h', out: 0) and dc (in: ∂c', out: ∂c) in place; writes ∂gates. */
template <typename T>
void lstm_bwd_range(int64_t j0, int64_t j1, int64_t H, const T* a, const T* cc, const T* cp, T* dh, const T* dout, T* dc, T* dg) {
  for (int64_t j = j0; j < j1; j++) {
    T i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j];
    T h = dh[j] + dout[j];
    T tc = std::tanh(cc[j]);
    T dct = dc[j] + h * o * (T(1) - tc * tc);
    dg[j] = dct * g * i * (T(1) - i);
    dg[H + j] = dct * cp[j] * f * (T(1) - f);
    dg[2 * H + j] = dct * i * (T(1) - g * g);
    dg[3 * H + j] = h * tc * o * (T(1) - o);
    dc[j] = dct * f;
    dh[j] = T(0);
  }
}

/** GRU step: xp holds W_ih·x + b_ih (in place → r, z, n), hp W_hh·h + b_hh; writes W_hn·h + b_hn and h'. */
template <typename T>
void gru_fwd_range(int64_t j0, int64_t j1, int64_t H, T* xp, const T* hp, const T* hprev, T* hpn, T* hn) {
  for (int64_t j = j0; j < j1; j++) {
    T r = sigm(xp[j] + hp[j]), z = sigm(xp[H + j] + hp[H + j]);
    T n = std::tanh(xp[2 * H + j] + r * hp[2 * H + j]);
    xp[j] = r; xp[H + j] = z; xp[2 * H + j] = n;
    hpn[j] = hp[2 * H + j];
    hn[j] = (hprev[j] - n) * z + n;
  }
}

/** GRU step backward (valid step): dh in place (∂h' → the direct part of ∂h); writes ∂(W_ih·x) and ∂(W_hh·h). */
template <typename T>
void gru_bwd_range(int64_t j0, int64_t j1, int64_t H, const T* a, const T* hpn, const T* hprev, T* dh, const T* dout, T* dxp, T* dhp) {
  for (int64_t j = j0; j < j1; j++) {
    T r = a[j], z = a[H + j], n = a[2 * H + j];
    T h = dh[j] + dout[j];
    T dan = h * (T(1) - z) * (T(1) - n * n);
    T dar = dan * hpn[j] * r * (T(1) - r);
    T daz = h * (hprev[j] - n) * z * (T(1) - z);
    dxp[j] = dar; dxp[H + j] = daz; dxp[2 * H + j] = dan;
    dhp[j] = dar; dhp[H + j] = daz; dhp[2 * H + j] = dan * r;
    dh[j] = h * z;
  }
}

/** Elman step: h' = tanh(g) or relu(g). */
template <typename T>
void rnn_fwd_range(int64_t j0, int64_t j1, const T* g, T* hn, bool relu) {
  for (int64_t j = j0; j < j1; j++) hn[j] = relu ? (g[j] > T(0) ? g[j] : T(0)) : std::tanh(g[j]);
}

/** Elman step backward (valid step): dh in place (→ 0); writes ∂g from h'. */
template <typename T>
void rnn_bwd_range(int64_t j0, int64_t j1, const T* hc, T* dh, const T* dout, T* dg, bool relu) {
  for (int64_t j = j0; j < j1; j++) {
    T h = dh[j] + dout[j];
    dg[j] = relu ? (hc[j] > T(0) ? h : T(0)) : h * (T(1) - hc[j] * hc[j]);
    dh[j] = T(0);
  }
}

#ifdef STRATA_RNN_AVX2
AVX2 void lstm_fwd_avx2(int64_t H, float* g, const float* cp, float* cn, float* hn) {
  int64_t j = 0;
  for (; j + 8 <= H; j += 8) {
    v8 i = vsigm(ld(g + j)), f = vsigm(ld(g + H + j)), gg = vtanh(ld(g + 2 * H + j)), o = vsigm(ld(g + 3 * H + j));
    v8 c = f * ld(cp + j) + i * gg;
    st(g + j, i); st(g + H + j, f); st(g + 2 * H + j, gg); st(g + 3 * H + j, o);
    st(cn + j, c);
    st(hn + j, o * vtanh(c));
  }
  lstm_fwd_range<float>(j, H, H, g, cp, cn, hn);
}

AVX2 void lstm_bwd_avx2(int64_t H, const float* a, const float* cc, const float* cp, float* dh, const float* dout, float* dc, float* dg) {
  int64_t j = 0;
  for (; j + 8 <= H; j += 8) {
    v8 i = ld(a + j), f = ld(a + H + j), g = ld(a + 2 * H + j), o = ld(a + 3 * H + j);
    v8 h = ld(dh + j) + ld(dout + j);
    v8 tc = vtanh(ld(cc + j));
    v8 dct = ld(dc + j) + h * o * (1.f - tc * tc);
    st(dg + j, dct * g * i * (1.f - i));
    st(dg + H + j, dct * ld(cp + j) * f * (1.f - f));
    st(dg + 2 * H + j, dct * i * (1.f - g * g));
    st(dg + 3 * H + j, h * tc * o * (1.f - o));
    st(dc + j, dct * f);
    st(dh + j, v8{});
  }
  lstm_bwd_range<float>(j, H, H, a, cc, cp, dh, dout, dc, dg);
}

AVX2 void gru_fwd_avx2(int64_t H, float* xp, const float* hp, const float* hprev, float* hpn, float* hn) {
  int64_t j = 0;
  for (; j + 8 <= H; j += 8) {
    v8 r = vsigm(ld(xp + j) + ld(hp + j)), z = vsigm(ld(xp + H + j) + ld(hp + H + j));
    v8 hn_ = ld(hp + 2 * H + j);
    v8 n = vtanh(ld(xp + 2 * H + j) + r * hn_);
    st(xp + j, r); st(xp + H + j, z); st(xp + 2 * H + j, n);
    st(hpn + j, hn_);
    st(hn + j, (ld(hprev + j) - n) * z + n);
  }
  gru_fwd_range<float>(j, H, H, xp, hp, hprev, hpn, hn);
}

AVX2 void gru_bwd_avx2(int64_t H, const float* a, const float* hpn, const float* hprev, float* dh, const float* dout, float* dxp, float* dhp) {
  int64_t j = 0;
  for (; j + 8 <= H; j += 8) {
    v8 r = ld(a + j), z = ld(a + H + j), n = ld(a + 2 * H + j);
    v8 h = ld(dh + j) + ld(dout + j);
    v8 dan = h * (1.f - z) * (1.f - n * n);
    v8 dar = dan * ld(hpn + j) * r * (1.f - r);
    v8 daz = h * (ld(hprev + j) - n) * z * (1.f - z);
    st(dxp + j, dar); st(dxp + H + j, daz); st(dxp + 2 * H + j, dan);
    st(dhp + j, dar); st(dhp + H + j, daz); st(dhp + 2 * H + j, dan * r);
    st(dh + j, h * z);
  }
  gru_bwd_range<float>(j, H, H, a, hpn, hprev, dh, dout, dxp, dhp);
}

AVX2 void rnn_fwd_avx2(int64_t H, const float* g, float* hn, bool relu) {
  int64_t j = 0;
  for (; j + 8 <= H; j += 8) st(hn + j, relu ? vmax0(ld(g + j)) : vtanh(ld(g + j)));
  rnn_fwd_range<float>(j, H, g, hn, relu);
}

AVX2 void rnn_bwd_avx2(int64_t H, const float* hc, float* dh, const float* dout, float* dg, bool relu) {
  int64_t j = 0;
  for (; j + 8 <= H; j += 8) {
    v8 h = ld(dh + j) + ld(dout + j), y = ld(hc + j);
    st(dg + j, relu ? h * vpos(y) : h * (1.f - y * y));
    st(dh + j, v8{});
  }
  rnn_bwd_range<float>(j, H, hc, dh, dout, dg, relu);
}
#endif

// Row dispatch: the vector version for float when available.
template <typename T> void lstm_fwd_row(int64_t H, T* g, const T* cp, T* cn, T* hn) { lstm_fwd_range<T>(0, H, H, g, cp, cn, hn); }
template <typename T> void lstm_bwd_row(int64_t H, const T* a, const T* cc, const T* cp, T* dh, const T* dout, T* dc, T* dg) {
  lstm_bwd_range<T>(0, H, H, a, cc, cp, dh, dout, dc, dg);
}
template <typename T> void gru_fwd_row(int64_t H, T* xp, const T* hp, const T* hprev, T* hpn, T* hn) { gru_fwd_range<T>(0, H, H, xp, hp, hprev, hpn, hn); }
template <typename T> void gru_bwd_row(int64_t H, const T* a, const T* hpn, const T* hprev, T* dh, const T* dout, T* dxp, T* dhp) {
  gru_bwd_range<T>(0, H, H, a, hpn, hprev, dh, dout, dxp, dhp);
}
template <typename T> void rnn_fwd_row(int64_t H, const T* g, T* hn, bool relu) { rnn_fwd_range<T>(0, H, g, hn, relu); }
template <typename T> void rnn_bwd_row(int64_t H, const T* hc, T* dh, const T* dout, T* dg, bool relu) { rnn_bwd_range<T>(0, H, hc, dh, dout, dg, relu); }

#ifdef STRATA_RNN_AVX2
template <> void lstm_fwd_row<float>(int64_t H, float* g, const float* cp, float* cn, float* hn) {
  if (kVec) lstm_fwd_avx2(H, g, cp, cn, hn);
  else lstm_fwd_range<float>(0, H, H, g, cp, cn, hn);
}
template <> void lstm_bwd_row<float>(int64_t H, const float* a, const float* cc, const float* cp, float* dh, const float* dout, float* dc, float* dg) {
  if (kVec) lstm_bwd_avx2(H, a, cc, cp, dh, dout, dc, dg);
  else lstm_bwd_range<float>(0, H, H, a, cc, cp, dh, dout, dc, dg);
}
template <> void gru_fwd_row<float>(int64_t H, float* xp, const float* hp, const float* hprev, float* hpn, float* hn) {
  if (kVec) gru_fwd_avx2(H, xp, hp, hprev, hpn, hn);
  else gru_fwd_range<float>(0, H, H, xp, hp, hprev, hpn, hn);
}
template <> void gru_bwd_row<float>(int64_t H, const float* a, const float* hpn, const float* hprev, float* dh, const float* dout, float* dxp, float* dhp) {
  if (kVec) gru_bwd_avx2(H, a, hpn, hprev, dh, dout, dxp, dhp);
  else gru_bwd_range<float>(0, H, H, a, hpn, hprev, dh, dout, dxp, dhp);
}
template <> void rnn_fwd_row<float>(int64_t H, const float* g, float* hn, bool relu) {
  if (kVec) rnn_fwd_avx2(H, g, hn, relu);
  else rnn_fwd_range<float>(0, H, g, hn, relu);
}
template <> void rnn_bwd_row<float>(int64_t H, const float* hc, float* dh, const float* dout, float* dg, bool relu) {
  if (kVec) rnn_bwd_avx2(H, hc, dh, dout, dg, relu);
  else rnn_bwd_range<float>(0, H, hc, dh, dout, dg, relu);
}
#endif

/** Runs fn(b) for the batch rows, in parallel when a step has enough elements to pay for it. */
template <typename F>
void for_rows(int64_t B, int64_t work_per_row, const F& fn) {
  // NOTE: a step's pointwise pass takes microseconds, the GEMM beside it hundreds; waking the OpenMP pool
  // (while BLAS's own threads may still spin) costs more than it saves below ~128k elements of work.
  int64_t grain = std::max<int64_t>(1, (int64_t{1} << 17) / std::max<int64_t>(work_per_row, 1));
  at::parallel_for(0, B, grain, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; b++) fn(b);
  });
}

// ---------------------------------------------------------------- shared scaffolding

struct Seq {
  int64_t T, B, I, H;
  bool rev;
  int64_t prev(int64_t t) const { return t + (rev ? 1 : 0); }
  int64_t cur(int64_t t) const { return t + (rev ? 0 : 1); }
  /** Step t of the s-th forward iteration. */
  int64_t fwd_step(int64_t s) const { return rev ? T - 1 - s : s; }
  /** Step t of the s-th backward iteration (the forward order reversed). */
  int64_t bwd_step(int64_t s) const { return rev ? s : T - 1 - s; }
};

Seq seq_of(const at::Tensor& x, const at::Tensor& w_hh, bool rev) {
  if (x.dim() != 3 || w_hh.dim() != 2) throw ArgError("expected x [T, B, I] and wHh [G·H, H]");
  return Seq{x.size(0), x.size(1), x.size(2), w_hh.size(1), rev};
}

/** x [T, B, I] as a contiguous [T·B, I] matrix. */
at::Tensor rows_of(const at::Tensor& x) { return x.reshape({x.size(0) * x.size(1), x.size(2)}); }

/** x·wIhᵀ (+ bias) for every step at once: [T, B, G·H], contiguous. */
at::Tensor project(const at::Tensor& x, const at::Tensor& w_ih, const at::Tensor& bias) {
  at::Tensor x2 = rows_of(x);
  at::Tensor y = bias.defined() ? at::addmm(bias, x2, w_ih.t()) : at::mm(x2, w_ih.t());
  return y.view({x.size(0), x.size(1), w_ih.size(0)});
}

/** b1 + b2 where both are given, whichever is given otherwise. */
at::Tensor bias_sum(const at::Tensor& b1, const at::Tensor& b2) {
  if (b1.defined() && b2.defined()) return b1 + b2;
  return b1.defined() ? b1 : b2;
}

/** The states tensor [T+1, B, H] with h0 in the slot the first step reads. */
at::Tensor states(const Seq& s, const at::Tensor& h0, const at::Tensor& like) {
  at::Tensor all = at::empty({s.T + 1, s.B, s.H}, like.options());
  all.select(0, s.rev ? s.T : 0).copy_(h0);
  return all;
}

/** The output: a view of the written states, or (with a mask) a new tensor filled by the steps. */
at::Tensor output_of(const Seq& s, const at::Tensor& h_all, const at::Tensor& mask) {
  if (mask.defined()) return at::empty({s.T, s.B, s.H}, h_all.options());
  return h_all.narrow(0, s.rev ? 0 : 1, s.T);
}

/** The final state (a copy). */
at::Tensor final_of(const Seq& s, const at::Tensor& all) { return all.select(0, s.rev ? 0 : s.T).clone(); }

/** The mask as booleans [T, B, 1] for the ATen-op path. */
at::Tensor mask_bool(const at::Tensor& mask) { return mask.gt(0.5).unsqueeze(2); }

/** Generic path, masked step: keeps prev where the mask is 0 and fills the output. */
void masked_update(const at::Tensor& mb, const at::Tensor& cur, const at::Tensor& prev) {
  cur.copy_(at::where(mb, cur, prev));
}

/** dx and the weight gradients from the gate gradients of the input (dgx) and hidden (dgh) projections [T, B, G·H]. */
struct WeightGrads { at::Tensor dx, dw_ih, dw_hh, db_ih, db_hh; };
WeightGrads weight_grads(const Seq& s, const at::Tensor& dgx, const at::Tensor& dgh, const at::Tensor& x, const at::Tensor& w_ih,
                         const at::Tensor& h_all, bool need_input, bool need_weights, bool need_bias) {
  WeightGrads r;
  int64_t GH = dgx.size(2);
  at::Tensor gx = dgx.view({s.T * s.B, GH}), gh = dgh.view({s.T * s.B, GH});
  if (need_input) r.dx = at::mm(gx, w_ih).view({s.T, s.B, s.I});
  if (need_weights) {
    r.dw_ih = at::mm(gx.t(), rows_of(x));
    // the state each step read: hAll[prev(t)] for t = 0 … T−1
    r.dw_hh = at::mm(gh.t(), h_all.narrow(0, s.rev ? 1 : 0, s.T).reshape({s.T * s.B, s.H}));
  }
  if (need_bias) {
    r.db_ih = gx.sum(0);
    r.db_hh = dgx.is_same(dgh) ? r.db_ih.clone() : gh.sum(0);
  }
  return r;
}

// ---------------------------------------------------------------- LSTM

// lstmForward(x, h0, c0, wIh, wHh, bIh|null, bHh|null, mask|null, reverse) -> [out, hN, cN, hAll, cAll, gates]
STRATA_KERNEL(lstm_forward) {
  at::Tensor x = a.tensor(0), h0 = a.tensor(1), c0 = a.tensor(2), w_ih = a.tensor(3), w_hh = a.tensor(4);
  at::Tensor b_ih = a.opt_tensor(5), b_hh = a.opt_tensor(6), mask = a.opt_tensor(7);
  Seq s = seq_of(x, w_hh, a.boolean(8));
  const int64_t H = s.H, B = s.B;
  at::Tensor gates = project(x, w_ih, bias_sum(b_ih, b_hh));
  at::Tensor h_all = states(s, h0, gates), c_all = states(s, c0, gates);
  at::Tensor out = output_of(s, h_all, mask);
  at::Tensor w_hh_t = w_hh.t();
  at::Tensor maskc = mask.defined() ? mask.contiguous() : mask;
  at::Tensor mb = mask.defined() && !fused(x) ? mask_bool(mask) : at::Tensor();
  for (int64_t k = 0; k < s.T; k++) {
    const int64_t t = s.fwd_step(k), p = s.prev(t), c = s.cur(t);
    at::Tensor g = gates.select(0, t);
    g.addmm_(h_all.select(0, p), w_hh_t);
    if (fused(x)) {
      AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "lstm_forward", [&] {
        scalar_t* G = g.data_ptr<scalar_t>();
        scalar_t* Hp = h_all.select(0, p).data_ptr<scalar_t>();
        scalar_t* Hc = h_all.select(0, c).data_ptr<scalar_t>();
        scalar_t* Cp = c_all.select(0, p).data_ptr<scalar_t>();
        scalar_t* Cc = c_all.select(0, c).data_ptr<scalar_t>();
        scalar_t* M = maskc.defined() ? maskc.data_ptr<scalar_t>() + t * B : nullptr;
        scalar_t* O = maskc.defined() ? out.select(0, t).data_ptr<scalar_t>() : nullptr;
        for_rows(B, 6 * H, [&](int64_t b) {
          if (M && M[b] == scalar_t(0)) {
            std::memcpy(Hc + b * H, Hp + b * H, H * sizeof(scalar_t));
            std::memcpy(Cc + b * H, Cp + b * H, H * sizeof(scalar_t));
            std::memset(O + b * H, 0, H * sizeof(scalar_t));
            return;
          }
          lstm_fwd_row<scalar_t>(H, G + b * 4 * H, Cp + b * H, Cc + b * H, Hc + b * H);
          if (O) std::memcpy(O + b * H, Hc + b * H, H * sizeof(scalar_t));
        });
      });
    } else {
      auto ch = g.chunk(4, 1);
      ch[0].sigmoid_(); ch[1].sigmoid_(); ch[2].tanh_(); ch[3].sigmoid_();
      at::Tensor cc = c_all.select(0, c), hc = h_all.select(0, c);
      at::mul_out(cc, ch[1], c_all.select(0, p));
      cc.addcmul_(ch[0], ch[2]);
      at::mul_out(hc, ch[3], cc.tanh());
      if (mb.defined()) {
        at::Tensor m = mb.select(0, t);
        masked_update(m, cc, c_all.select(0, p));
        masked_update(m, hc, h_all.select(0, p));
        out.select(0, t).copy_(at::where(m, hc, at::zeros({}, hc.options())));
      }
    }
  }
  return a.ret_list({out, final_of(s, h_all), final_of(s, c_all), h_all, c_all, gates});
}

// lstmBackward(dOut, dhN, dcN, x, wIh, wHh, hAll, cAll, gates, mask|null, reverse, needInput, needWeights, needBias)
//   -> [dx|null, dh0, dc0, dWih|null, dWhh|null, dbIh|null, dbHh|null]
STRATA_KERNEL(lstm_backward) {
  at::Tensor d_out = a.tensor(0).contiguous();
  at::Tensor dh = a.tensor(1).contiguous().clone(), dc = a.tensor(2).contiguous().clone();
  at::Tensor x = a.tensor(3), w_ih = a.tensor(4), w_hh = a.tensor(5), h_all = a.tensor(6), c_all = a.tensor(7), gates = a.tensor(8);
  at::Tensor mask = a.opt_tensor(9);
  Seq s = seq_of(x, w_hh, a.boolean(10));
  bool need_input = a.boolean(11), need_weights = a.boolean(12), need_bias = a.boolean(13);
  const int64_t H = s.H, B = s.B;
  at::Tensor dg = at::empty_like(gates);
  at::Tensor maskc = mask.defined() ? mask.contiguous() : mask;
  at::Tensor mb = mask.defined() && !fused(x) ? mask_bool(mask) : at::Tensor();
  for (int64_t k = 0; k < s.T; k++) {
    const int64_t t = s.bwd_step(k), p = s.prev(t), c = s.cur(t);
    at::Tensor dgt = dg.select(0, t);
    if (fused(x)) {
      AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "lstm_backward", [&] {
        const scalar_t* A = gates.select(0, t).data_ptr<scalar_t>();
        const scalar_t* Cc = c_all.select(0, c).data_ptr<scalar_t>();
        const scalar_t* Cp = c_all.select(0, p).data_ptr<scalar_t>();
        const scalar_t* Do = d_out.select(0, t).data_ptr<scalar_t>();
        const scalar_t* M = maskc.defined() ? maskc.data_ptr<scalar_t>() + t * B : nullptr;
        scalar_t* Dh = dh.data_ptr<scalar_t>();
        scalar_t* Dc = dc.data_ptr<scalar_t>();
        scalar_t* Dg = dgt.data_ptr<scalar_t>();
        for_rows(B, 8 * H, [&](int64_t b) {
          if (M && M[b] == scalar_t(0)) {
            std::memset(Dg + b * 4 * H, 0, 4 * H * sizeof(scalar_t));
            return;
          }
          lstm_bwd_row<scalar_t>(H, A + b * 4 * H, Cc + b * H, Cp + b * H, Dh + b * H, Do + b * H, Dc + b * H, Dg + b * 4 * H);
        });
      });
    } else {
      auto ch = gates.select(0, t).chunk(4, 1);
      const at::Tensor &i = ch[0], &f = ch[1], &g = ch[2], &o = ch[3];
      at::Tensor h = dh + d_out.select(0, t);
      at::Tensor tc = c_all.select(0, c).tanh();
      at::Tensor dct = dc + h * o * (1 - tc * tc);
      auto dch = dgt.chunk(4, 1);
      at::mul_out(dch[0], dct * g, i * (1 - i));
      at::mul_out(dch[1], dct * c_all.select(0, p), f * (1 - f));
      at::mul_out(dch[2], dct * i, 1 - g * g);
      at::mul_out(dch[3], h * tc, o * (1 - o));
      at::Tensor dc_new = dct * f;
      if (mb.defined()) {
        at::Tensor m = mb.select(0, t);
        dgt.masked_fill_(m.logical_not(), 0);
        dc.copy_(at::where(m, dc_new, dc));
        dh.masked_fill_(m, 0);
      } else {
        dc.copy_(dc_new);
        dh.zero_();
      }
    }
    dh.addmm_(dgt, w_hh);
  }
  WeightGrads r = weight_grads(s, dg, dg, x, w_ih, h_all, need_input, need_weights, need_bias);
  return a.ret_list({r.dx, dh, dc, r.dw_ih, r.dw_hh, r.db_ih, r.db_hh});
}

// ---------------------------------------------------------------- GRU

// gruForward(x, h0, wIh, wHh, bIh|null, bHh|null, mask|null, reverse) -> [out, hN, hAll, gates, hpn]
// hpn [T, B, H]: W_hn·h + b_hn of each step, which backward needs for ∂r.
STRATA_KERNEL(gru_forward) {
  at::Tensor x = a.tensor(0), h0 = a.tensor(1), w_ih = a.tensor(2), w_hh = a.tensor(3);
  at::Tensor b_ih = a.opt_tensor(4), b_hh = a.opt_tensor(5), mask = a.opt_tensor(6);
  Seq s = seq_of(x, w_hh, a.boolean(7));
  const int64_t H = s.H, B = s.B;
  at::Tensor gates = project(x, w_ih, b_ih);
  at::Tensor h_all = states(s, h0, gates);
  at::Tensor hpn = at::empty({s.T, B, H}, gates.options());
  at::Tensor hp = at::empty({B, 3 * H}, gates.options());
  at::Tensor out = output_of(s, h_all, mask);
  at::Tensor w_hh_t = w_hh.t();
  at::Tensor maskc = mask.defined() ? mask.contiguous() : mask;
  at::Tensor mb = mask.defined() && !fused(x) ? mask_bool(mask) : at::Tensor();
  for (int64_t k = 0; k < s.T; k++) {
    const int64_t t = s.fwd_step(k), p = s.prev(t), c = s.cur(t);
    at::Tensor hprev = h_all.select(0, p);
    if (b_hh.defined()) at::addmm_out(hp, b_hh, hprev, w_hh_t);
    else at::mm_out(hp, hprev, w_hh_t);
    at::Tensor g = gates.select(0, t);
    if (fused(x)) {
      AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gru_forward", [&] {
        scalar_t* G = g.data_ptr<scalar_t>();
        const scalar_t* Hp3 = hp.data_ptr<scalar_t>();
        const scalar_t* Hprev = hprev.data_ptr<scalar_t>();
        scalar_t* Hc = h_all.select(0, c).data_ptr<scalar_t>();
        scalar_t* Hpn = hpn.select(0, t).data_ptr<scalar_t>();
        const scalar_t* M = maskc.defined() ? maskc.data_ptr<scalar_t>() + t * B : nullptr;
        scalar_t* O = maskc.defined() ? out.select(0, t).data_ptr<scalar_t>() : nullptr;
        for_rows(B, 6 * H, [&](int64_t b) {
          if (M && M[b] == scalar_t(0)) {
            std::memcpy(Hc + b * H, Hprev + b * H, H * sizeof(scalar_t));
            std::memset(O + b * H, 0, H * sizeof(scalar_t));
            return;
          }
          gru_fwd_row<scalar_t>(H, G + b * 3 * H, Hp3 + b * 3 * H, Hprev + b * H, Hpn + b * H, Hc + b * H);
          if (O) std::memcpy(O + b * H, Hc + b * H, H * sizeof(scalar_t));
        });
      });
    } else {
      auto xg = g.chunk(3, 1), hg = hp.chunk(3, 1);
      xg[0].add_(hg[0]).sigmoid_();
      xg[1].add_(hg[1]).sigmoid_();
      xg[2].addcmul_(xg[0], hg[2]).tanh_();
      hpn.select(0, t).copy_(hg[2]);
      at::Tensor hc = h_all.select(0, c);
      at::mul_out(hc, hprev - xg[2], xg[1]);
      hc.add_(xg[2]);
      if (mb.defined()) {
        at::Tensor m = mb.select(0, t);
        masked_update(m, hc, hprev);
        out.select(0, t).copy_(at::where(m, hc, at::zeros({}, hc.options())));
      }
    }
  }
  return a.ret_list({out, final_of(s, h_all), h_all, gates, hpn});
}

// gruBackward(dOut, dhN, x, wIh, wHh, hAll, gates, hpn, mask|null, reverse, needInput, needWeights, needBias)
//   -> [dx|null, dh0, dWih|null, dWhh|null, dbIh|null, dbHh|null]
STRATA_KERNEL(gru_backward) {
  at::Tensor d_out = a.tensor(0).contiguous();
  at::Tensor dh = a.tensor(1).contiguous().clone();
  at::Tensor x = a.tensor(2), w_ih = a.tensor(3), w_hh = a.tensor(4), h_all = a.tensor(5), gates = a.tensor(6), hpn = a.tensor(7);
  at::Tensor mask = a.opt_tensor(8);
  Seq s = seq_of(x, w_hh, a.boolean(9));
  bool need_input = a.boolean(10), need_weights = a.boolean(11), need_bias = a.boolean(12);
  const int64_t H = s.H, B = s.B;
  at::Tensor dxp = at::empty_like(gates), dhp = at::empty_like(gates);
  at::Tensor maskc = mask.defined() ? mask.contiguous() : mask;
  at::Tensor mb = mask.defined() && !fused(x) ? mask_bool(mask) : at::Tensor();
  for (int64_t k = 0; k < s.T; k++) {
    const int64_t t = s.bwd_step(k), p = s.prev(t);
    at::Tensor dxt = dxp.select(0, t), dht = dhp.select(0, t);
    if (fused(x)) {
      AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "gru_backward", [&] {
        const scalar_t* A = gates.select(0, t).data_ptr<scalar_t>();
        const scalar_t* Hpn = hpn.select(0, t).data_ptr<scalar_t>();
        const scalar_t* Hprev = h_all.select(0, p).data_ptr<scalar_t>();
        const scalar_t* Do = d_out.select(0, t).data_ptr<scalar_t>();
        const scalar_t* M = maskc.defined() ? maskc.data_ptr<scalar_t>() + t * B : nullptr;
        scalar_t* Dh = dh.data_ptr<scalar_t>();
        scalar_t* Dx = dxt.data_ptr<scalar_t>();
        scalar_t* Dhp = dht.data_ptr<scalar_t>();
        for_rows(B, 8 * H, [&](int64_t b) {
          if (M && M[b] == scalar_t(0)) {
            std::memset(Dx + b * 3 * H, 0, 3 * H * sizeof(scalar_t));
            std::memset(Dhp + b * 3 * H, 0, 3 * H * sizeof(scalar_t));
            return;
          }
          gru_bwd_row<scalar_t>(H, A + b * 3 * H, Hpn + b * H, Hprev + b * H, Dh + b * H, Do + b * H, Dx + b * 3 * H, Dhp + b * 3 * H);
        });
      });
    } else {
      auto ch = gates.select(0, t).chunk(3, 1);
      const at::Tensor &r = ch[0], &z = ch[1], &n = ch[2];
      at::Tensor h = dh + d_out.select(0, t);
      at::Tensor dan = h * (1 - z) * (1 - n * n);
      at::Tensor dar = dan * hpn.select(0, t) * r * (1 - r);
      at::Tensor daz = h * (h_all.select(0, p) - n) * z * (1 - z);
      auto dx3 = dxt.chunk(3, 1), dh3 = dht.chunk(3, 1);
      dx3[0].copy_(dar); dx3[1].copy_(daz); dx3[2].copy_(dan);
      dh3[0].copy_(dar); dh3[1].copy_(daz); at::mul_out(dh3[2], dan, r);
      at::Tensor dh_new = h * z;
      if (mb.defined()) {
        at::Tensor m = mb.select(0, t), keep = m.logical_not();
        dxt.masked_fill_(keep, 0);
        dht.masked_fill_(keep, 0);
        dh.copy_(at::where(m, dh_new, dh));
      } else {
        dh.copy_(dh_new);
      }
    }
    dh.addmm_(dht, w_hh);
  }
  WeightGrads r = weight_grads(s, dxp, dhp, x, w_ih, h_all, need_input, need_weights, need_bias);
  return a.ret_list({r.dx, dh, r.dw_ih, r.dw_hh, r.db_ih, r.db_hh});
}

// ---------------------------------------------------------------- Elman RNN

// rnnForward(x, h0, wIh, wHh, bIh|null, bHh|null, mask|null, reverse, relu) -> [out, hN, hAll]
STRATA_KERNEL(rnn_forward) {
  at::Tensor x = a.tensor(0), h0 = a.tensor(1), w_ih = a.tensor(2), w_hh = a.tensor(3);
  at::Tensor b_ih = a.opt_tensor(4), b_hh = a.opt_tensor(5), mask = a.opt_tensor(6);
  Seq s = seq_of(x, w_hh, a.boolean(7));
  bool relu = a.boolean(8);
  const int64_t H = s.H, B = s.B;
  at::Tensor pre = project(x, w_ih, bias_sum(b_ih, b_hh));
  at::Tensor h_all = states(s, h0, pre);
  at::Tensor out = output_of(s, h_all, mask);
  at::Tensor w_hh_t = w_hh.t();
  at::Tensor maskc = mask.defined() ? mask.contiguous() : mask;
  at::Tensor mb = mask.defined() && !fused(x) ? mask_bool(mask) : at::Tensor();
  for (int64_t k = 0; k < s.T; k++) {
    const int64_t t = s.fwd_step(k), p = s.prev(t), c = s.cur(t);
    at::Tensor g = pre.select(0, t);
    g.addmm_(h_all.select(0, p), w_hh_t);
    if (fused(x)) {
      AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "rnn_forward", [&] {
        const scalar_t* G = g.data_ptr<scalar_t>();
        const scalar_t* Hp = h_all.select(0, p).data_ptr<scalar_t>();
        scalar_t* Hc = h_all.select(0, c).data_ptr<scalar_t>();
        const scalar_t* M = maskc.defined() ? maskc.data_ptr<scalar_t>() + t * B : nullptr;
        scalar_t* O = maskc.defined() ? out.select(0, t).data_ptr<scalar_t>() : nullptr;
        for_rows(B, 2 * H, [&](int64_t b) {
          if (M && M[b] == scalar_t(0)) {
            std::memcpy(Hc + b * H, Hp + b * H, H * sizeof(scalar_t));
            std::memset(O + b * H, 0, H * sizeof(scalar_t));
            return;
          }
          rnn_fwd_row<scalar_t>(H, G + b * H, Hc + b * H, relu);
          if (O) std::memcpy(O + b * H, Hc + b * H, H * sizeof(scalar_t));
        });
      });
    } else {
      at::Tensor hc = h_all.select(0, c);
      if (relu) at::clamp_min_out(hc, g, 0);
      else at::tanh_out(hc, g);
      if (mb.defined()) {
        at::Tensor m = mb.select(0, t);
        masked_update(m, hc, h_all.select(0, p));
        out.select(0, t).copy_(at::where(m, hc, at::zeros({}, hc.options())));
      }
    }
  }
  return a.ret_list({out, final_of(s, h_all), h_all});
}

// rnnBackward(dOut, dhN, x, wIh, wHh, hAll, mask|null, reverse, relu, needInput, needWeights, needBias)
//   -> [dx|null, dh0, dWih|null, dWhh|null, dbIh|null, dbHh|null]
STRATA_KERNEL(rnn_backward) {
  at::Tensor d_out = a.tensor(0).contiguous();
  at::Tensor dh = a.tensor(1).contiguous().clone();
  at::Tensor x = a.tensor(2), w_ih = a.tensor(3), w_hh = a.tensor(4), h_all = a.tensor(5);
  at::Tensor mask = a.opt_tensor(6);
  Seq s = seq_of(x, w_hh, a.boolean(7));
  bool relu = a.boolean(8), need_input = a.boolean(9), need_weights = a.boolean(10), need_bias = a.boolean(11);
  const int64_t H = s.H, B = s.B;
  at::Tensor dg = at::empty({s.T, B, H}, h_all.options());
  at::Tensor maskc = mask.defined() ? mask.contiguous() : mask;
  at::Tensor mb = mask.defined() && !fused(x) ? mask_bool(mask) : at::Tensor();
  for (int64_t k = 0; k < s.T; k++) {
    const int64_t t = s.bwd_step(k), c = s.cur(t);
    at::Tensor dgt = dg.select(0, t);
    if (fused(x)) {
      AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "rnn_backward", [&] {
        const scalar_t* Hc = h_all.select(0, c).data_ptr<scalar_t>();
        const scalar_t* Do = d_out.select(0, t).data_ptr<scalar_t>();
        const scalar_t* M = maskc.defined() ? maskc.data_ptr<scalar_t>() + t * B : nullptr;
        scalar_t* Dh = dh.data_ptr<scalar_t>();
        scalar_t* Dg = dgt.data_ptr<scalar_t>();
        for_rows(B, 2 * H, [&](int64_t b) {
          if (M && M[b] == scalar_t(0)) {
            std::memset(Dg + b * H, 0, H * sizeof(scalar_t));
            return;
          }
          rnn_bwd_row<scalar_t>(H, Hc + b * H, Dh + b * H, Do + b * H, Dg + b * H, relu);
        });
      });
    } else {
      at::Tensor hc = h_all.select(0, c);
      at::Tensor h = dh + d_out.select(0, t);
      if (relu) dgt.copy_(h * hc.gt(0).to(h.scalar_type()));
      else at::mul_out(dgt, h, 1 - hc * hc);
      if (mb.defined()) {
        at::Tensor m = mb.select(0, t);
        dgt.masked_fill_(m.logical_not(), 0);
        dh.masked_fill_(m, 0);
      } else {
        dh.zero_();
      }
    }
    dh.addmm_(dgt, w_hh);
  }
  WeightGrads r = weight_grads(s, dg, dg, x, w_ih, h_all, need_input, need_weights, need_bias);
  return a.ret_list({r.dx, dh, r.dw_ih, r.dw_hh, r.db_ih, r.db_hh});
}

// rnnUseGeneric(on): runs the pointwise steps with ATen ops (the path of non-CPU devices) on CPU too; for tests.
STRATA_KERNEL(rnn_use_generic) {
  g_force_generic = a.boolean(0);
  return a.ret_undefined();
}

// rnnVectorized(): whether float steps use the AVX2 loops.
STRATA_KERNEL(rnn_vectorized) {
  napi_value v;
  napi_get_boolean(a.env, kVec, &v);
  return v;
}

}  // namespace

void register_rnn(napi_env env, napi_value exports) {
  define(env, exports, "lstmForward", lstm_forward);
  define(env, exports, "lstmBackward", lstm_backward);
  define(env, exports, "gruForward", gru_forward);
  define(env, exports, "gruBackward", gru_backward);
  define(env, exports, "rnnForward", rnn_forward);
  define(env, exports, "rnnBackward", rnn_backward);
  define(env, exports, "rnnUseGeneric", rnn_use_generic);
  define(env, exports, "rnnVectorized", rnn_vectorized);
}

}  // namespace strata

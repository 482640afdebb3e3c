// Fused optimizer steps: torch.optim's single-tensor Adam and SGD arithmetic in one pass over memory (ATen's in-place ops where the loops do not apply).
#include "common.h"

#include <ATen/Parallel.h>

#include <cmath>

namespace strata {

namespace {

// True when every defined tensor is a contiguous CPU tensor of p's floating dtype: the fused loops below
// apply. Otherwise (CUDA, strided, mixed dtypes) the steps run as ATen's in-place ops.
bool fusable(const at::Tensor& p, std::initializer_list<const at::Tensor*> others) {
  if (!p.device().is_cpu() || !p.is_contiguous()) return false;
  if (p.scalar_type() != at::kFloat && p.scalar_type() != at::kDouble) return false;
  for (const at::Tensor* t : others) {
    if (!t->defined()) continue;
    if (!t->device().is_cpu() || !t->is_contiguous() || t->scalar_type() != p.scalar_type() || t->numel() != p.numel()) return false;
  }
  return true;
}

// Elements per task of at::parallel_for: below this a step runs on one thread.
constexpr int64_t kGrain = 32768;

struct AdamScalars {
  double sign, w1, b2, w2, wd, decay, bc2_sqrt, eps, neg_step;
  bool lerp_low;
};

// One pass of Adam over [begin, end). The flags that change the arithmetic's form are template parameters
// so that the loop has no branches and vectorises; weight decay enters as multiplications by 1 and 0 when
// off, which leave every finite value unchanged.
template <typename T, bool kLerpLow, bool kAms>
__attribute__((always_inline)) inline void adam_range(T* __restrict P, const T* __restrict G, T* __restrict M,
                                                      T* __restrict V, T* __restrict X, int64_t begin, int64_t end,
                                                      const AdamScalars& c) {
  const T sign = T(c.sign), w1 = T(c.w1), b2 = T(c.b2), w2 = T(c.w2), wd = T(c.wd), decay = T(c.decay);
  const T bc2s = T(c.bc2_sqrt), eps = T(c.eps), neg_step = T(c.neg_step), one = T(1);
  for (int64_t i = begin; i < end; i++) {
    T pi = P[i] * decay;
    T gi = sign * G[i] + wd * pi;
    T mi = kLerpLow ? M[i] + w1 * (gi - M[i]) : gi - (gi - M[i]) * (one - w1);  // at::lerp's two forms
    T vi = V[i] * b2 + w2 * gi * gi;
    M[i] = mi;
    V[i] = vi;
    if (kAms) vi = X[i] = X[i] < vi ? vi : X[i];
    T denom = std::sqrt(vi) / bc2s + eps;
    P[i] = pi + neg_step * (mi / denom);
  }
}

template <typename T>
__attribute__((always_inline)) inline void adam_dispatch(T* P, const T* G, T* M, T* V, T* X, int64_t begin, int64_t end,
                                                         const AdamScalars& c) {
  if (c.lerp_low) {
    if (X) adam_range<T, true, true>(P, G, M, V, X, begin, end, c);
    else adam_range<T, true, false>(P, G, M, V, X, begin, end, c);
  } else {
    if (X) adam_range<T, false, true>(P, G, M, V, X, begin, end, c);
    else adam_range<T, false, false>(P, G, M, V, X, begin, end, c);
  }
}

// NOTE: these loops vectorise because binding.gyp builds with -O3 and -fno-math-errno (at -O2, or with
// sqrt setting errno, they ran 7× slower). ATen's own CPU kernels are built per instruction set and picked at run time; these loops are
// built twice, for AVX2 and for the baseline, and picked the same way.
template <typename T>
__attribute__((target("avx2"))) void adam_avx2(T* P, const T* G, T* M, T* V, T* X, int64_t b, int64_t e, const AdamScalars& c) {
  adam_dispatch<T>(P, G, M, V, X, b, e, c);
}
template <typename T>
void adam_base(T* P, const T* G, T* M, T* V, T* X, int64_t b, int64_t e, const AdamScalars& c) {
  adam_dispatch<T>(P, G, M, V, X, b, e, c);
}

bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

template <typename T>
void adam_fused(T* P, const T* G, T* M, T* V, T* X, int64_t n, const AdamScalars& c) {
  const bool avx2 = has_avx2();
  at::parallel_for(0, n, kGrain, [&](int64_t b, int64_t e) {
    if (avx2) adam_avx2<T>(P, G, M, V, X, b, e, c);
    else adam_base<T>(P, G, M, V, X, b, e, c);
  });
}

}  // namespace

// adamStep(p, g, m, v, vMax|null, lr, beta1, beta2, eps, weightDecay, decoupled, step, maximize)
STRATA_KERNEL(adam_step) {
  at::Tensor& p = a.tensor(0);
  at::Tensor g = a.tensor(1);
  at::Tensor& m = a.tensor(2);
  at::Tensor& v = a.tensor(3);
  at::Tensor vmax = a.opt_tensor(4);
  double lr = a.f64(5), beta1 = a.f64(6), beta2 = a.f64(7), eps = a.f64(8), wd = a.f64(9);
  bool decoupled = a.boolean(10);
  double step = a.f64(11);
  bool maximize = a.boolean(12);
  double bc1 = 1 - std::pow(beta1, step), bc2 = 1 - std::pow(beta2, step);
  double step_size = lr / bc1, bc2_sqrt = std::sqrt(bc2);
  if (fusable(p, {&g, &m, &v, &vmax})) {
    // NOTE: ATen 1.13 has no fused Adam on CPU; torch.optim's single-tensor Adam is ~8 passes over
    // memory with two temporaries. This is the same arithmetic, in the same order and precision (scalars
    // cast to the tensor's type as ATen's CPU kernels do), in one pass.
    AdamScalars c;
    c.sign = maximize ? -1 : 1;
    c.w1 = 1 - beta1;
    c.b2 = beta2;
    c.w2 = 1 - beta2;
    c.wd = wd != 0 && !decoupled ? wd : 0;
    c.decay = wd != 0 && decoupled ? 1 - lr * wd : 1;
    c.bc2_sqrt = bc2_sqrt;
    c.eps = eps;
    c.neg_step = -step_size;
    c.lerp_low = std::abs(1 - beta1) < 0.5;
    AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "adamStep", [&] {
      scalar_t* X = vmax.defined() ? vmax.data_ptr<scalar_t>() : nullptr;
      adam_fused<scalar_t>(p.data_ptr<scalar_t>(), g.data_ptr<scalar_t>(), m.data_ptr<scalar_t>(), v.data_ptr<scalar_t>(), X, p.numel(), c);
    });
    return nullptr;
  }
  if (maximize) g = -g;
  if (wd != 0) {
    if (decoupled) p.mul_(1 - lr * wd);
    else g = g.add(p, wd);
  }
  m.lerp_(g, 1 - beta1);
  v.mul_(beta2).addcmul_(g, g, 1 - beta2);
  at::Tensor denom;
  if (vmax.defined()) {
    at::maximum_out(vmax, vmax, v);
    denom = (vmax.sqrt() / bc2_sqrt).add_(eps);
  } else {
    denom = (v.sqrt() / bc2_sqrt).add_(eps);
  }
  p.addcdiv_(m, denom, -step_size);
  return nullptr;
}

// sgdStep(p, g, buf|null, lr, momentum, dampening, nesterov, weightDecay, firstStep, maximize)
STRATA_KERNEL(sgd_step) {
  at::Tensor& p = a.tensor(0);
  at::Tensor d = a.tensor(1);
  at::Tensor buf = a.opt_tensor(2);
  double lr = a.f64(3), momentum = a.f64(4), dampening = a.f64(5);
  bool nesterov = a.boolean(6);
  double wd = a.f64(7);
  bool first = a.boolean(8), maximize = a.boolean(9);
  if (fusable(p, {&d, &buf})) {
    AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "sgdStep", [&] {
      using T = scalar_t;
      T* P = p.data_ptr<T>();
      const T* D = d.data_ptr<T>();
      T* B = buf.defined() ? buf.data_ptr<T>() : nullptr;
      const T sign = maximize ? T(-1) : T(1), wdT = T(wd), mom = T(momentum), damp = T(1 - dampening), neg_lr = T(-lr);
      const bool l2 = wd != 0;
      at::parallel_for(0, p.numel(), kGrain, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; i++) {
          T di = sign * D[i];
          if (l2) di = di + wdT * P[i];
          if (B) {
            T bi = first ? di : B[i] * mom + damp * di;
            B[i] = bi;
            di = nesterov ? di + mom * bi : bi;
          }
          P[i] = P[i] + neg_lr * di;
        }
      });
    });
    return nullptr;
  }
  if (maximize) d = -d;
  if (wd != 0) d = d.add(p, wd);
  if (buf.defined()) {
    if (first) buf.copy_(d);
    else buf.mul_(momentum).add_(d, 1 - dampening);
    d = nesterov ? d.add(buf, momentum) : buf;
  }
  p.add_(d, -lr);
  return nullptr;
}

void register_optim(napi_env env, napi_value exports) {
  define(env, exports, "adamStep", adam_step);
  define(env, exports, "sgdStep", sgd_step);
}

}  // namespace strata

// Fused optimizer steps: the in-place ATen ops of torch.optim's single-tensor Adam and SGD, in one call.
#include "common.h"

#include <cmath>

namespace strata {

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
  if (maximize) g = -g;
  if (wd != 0) {
    if (decoupled) p.mul_(1 - lr * wd);
    else g = g.add(p, wd);
  }
  m.lerp_(g, 1 - beta1);
  v.mul_(beta2).addcmul_(g, g, 1 - beta2);
  double bc1 = 1 - std::pow(beta1, step), bc2 = 1 - std::pow(beta2, step);
  double step_size = lr / bc1, bc2_sqrt = std::sqrt(bc2);
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

// Loss kernels: negative log-likelihood over [N, C] log-probabilities, with ATen's backward kernel.
// (The other losses are composed from differentiable ops in src/ops/loss.ts.)
#include "common.h"

namespace strata {

static c10::optional<at::Tensor> opt(const at::Tensor& t) {
  return t.defined() ? c10::optional<at::Tensor>(t) : c10::nullopt;
}

// nllLoss(logp [N, C], target int64 [N], weight|null, reduction, ignoreIndex) -> [loss, totalWeight]
STRATA_KERNEL(nll_loss) {
  auto r = at::nll_loss_forward(a.tensor(0), a.tensor(1), opt(a.opt_tensor(2)), a.i64(3), a.i64(4));
  return a.ret_list({std::get<0>(r), std::get<1>(r)});
}

// nllLossBackward(g, logp, target, weight|null, reduction, ignoreIndex, totalWeight) -> grad of logp
STRATA_KERNEL(nll_loss_backward) {
  return a.ret(at::nll_loss_backward(a.tensor(0), a.tensor(1), a.tensor(2), opt(a.opt_tensor(3)), a.i64(4), a.i64(5),
                                     a.tensor(6)));
}

void register_loss(napi_env env, napi_value exports) {
  define(env, exports, "nllLoss", nll_loss);
  define(env, exports, "nllLossBackward", nll_loss_backward);
}

}  // namespace strata

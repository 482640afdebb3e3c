// Matrix products: matmul (batched, broadcast) and linear (addmm with bias).
#include "common.h"

namespace strata {

STRATA_KERNEL(matmul) { return a.ret(at::matmul(a.tensor(0), a.tensor(1))); }

// linear(x, w, b|null)
STRATA_KERNEL(linear) {
  at::Tensor b = a.opt_tensor(2);
  return a.ret(at::linear(a.tensor(0), a.tensor(1), b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt));
}

void register_linalg(napi_env env, napi_value exports) {
  define(env, exports, "matmul", matmul);
  define(env, exports, "linear", linear);
}

}  // namespace strata

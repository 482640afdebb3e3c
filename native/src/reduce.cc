// Reductions over any dims, softmax and log-softmax (with ATen's backward kernels), sorting, top-k.
#include "common.h"

namespace strata {


// reduce(code, x, dims, keepdim, outDtype); codes: sum mean prod amax amin all any
STRATA_KERNEL(reduce) {
  int64_t code = a.i64(0);
  at::Tensor& x = a.tensor(1);
  auto dims = a.int_list(2);
  bool keep = a.boolean(3);
  at::ScalarType out = a.dtype(4);
  if (x.dim() == 0) return a.ret(as_dtype(x.clone(), out));
  switch (code) {
    case 0: return a.ret(at::sum(x, dims, keep, out));
    case 1: return a.ret(as_dtype(at::mean(x, dims, keep), out));
    case 3: return a.ret(at::amax(x, dims, keep));
    case 4: return a.ret(at::amin(x, dims, keep));
    case 2: case 5: case 6: {
      // prod, all and any reduce one dim at a time (highest first so indices stay valid)
      at::Tensor r = x;
      for (auto it = dims.rbegin(); it != dims.rend(); ++it) {
        if (code == 2) r = at::prod(r, *it, keep);
        else if (code == 5) r = at::all(r, *it, keep);
        else r = at::any(r, *it, keep);
      }
      return a.ret(as_dtype(r, out));
    }
  }
  throw ArgError("unknown reduce code");
}

// softmax(x, dim, log)
STRATA_KERNEL(softmax) {
  at::Tensor& x = a.tensor(0);
  int64_t dim = a.i64(1);
  return a.ret(a.boolean(2) ? at::_log_softmax(x, dim, false) : at::_softmax(x, dim, false));
}

// softmaxBackward(g, y, dim, log)
STRATA_KERNEL(softmax_backward) {
  at::Tensor& g = a.tensor(0);
  at::Tensor& y = a.tensor(1);
  int64_t dim = a.i64(2);
  return a.ret(a.boolean(3) ? at::_log_softmax_backward_data(g, y, dim, y.scalar_type())
                            : at::_softmax_backward_data(g, y, dim, y.scalar_type()));
}

void register_reduce(napi_env env, napi_value exports) {
  define(env, exports, "reduce", reduce);
  define(env, exports, "softmax", softmax);
  define(env, exports, "softmaxBackward", softmax_backward);
}

}  // namespace strata

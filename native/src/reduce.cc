// Reductions over any dims (sum … var, logsumexp), max/min with indices, cumsum, softmax and log-softmax
// (with ATen's backward kernels), sorting, top-k and the gradient of the value-selecting ones.
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

// variance(x, dims, correction, keepdim)
STRATA_KERNEL(variance) {
  at::Tensor& x = a.tensor(0);
  auto dims = a.int_list(1);
  c10::optional<int64_t> correction = a.i64(2);
  bool keep = a.boolean(3);
  if (x.dim() == 0) return a.ret(at::var(x.reshape({1}), at::IntArrayRef{0}, correction, false));
  return a.ret(at::var(x, at::IntArrayRef(dims), correction, keep));
}

// reduceWithIndex(code, x, dim, keepdim): code 0 max, 1 min; returns [values, int64 indices]
STRATA_KERNEL(reduce_with_index) {
  int64_t code = a.i64(0);
  at::Tensor& x = a.tensor(1);
  int64_t dim = a.i64(2);
  bool keep = a.boolean(3);
  auto r = code == 0 ? at::max(x, dim, keep) : at::min(x, dim, keep);
  return a.ret_list({std::get<0>(r), std::get<1>(r)});
}

// logsumexp(x, dims, keepdim)
STRATA_KERNEL(logsumexp) {
  at::Tensor& x = a.tensor(0);
  auto dims = a.int_list(1);
  if (x.dim() == 0) return a.ret(x.clone());
  return a.ret(at::logsumexp(x, dims, a.boolean(2)));
}

// cumsum(x, dim, outDtype)
STRATA_KERNEL(cumsum) {
  at::Tensor& x = a.tensor(0);
  return a.ret(at::cumsum(x, a.i64(1), a.dtype(2)));
}

// topk(x, k, dim, largest, sorted): [values, int64 indices]
STRATA_KERNEL(topk) {
  auto r = at::topk(a.tensor(0), a.i64(1), a.i64(2), a.boolean(3), a.boolean(4));
  return a.ret_list({std::get<0>(r), std::get<1>(r)});
}

// sort(x, dim, descending): [values, int64 indices]; stable, so ties keep their order on every backend
STRATA_KERNEL(sort) {
  auto r = at::sort(a.tensor(0), /*stable=*/true, a.i64(1), a.boolean(2));
  return a.ret_list({std::get<0>(r), std::get<1>(r)});
}

// valueSelectingBackward(g, dim, indices, sizes, keepdim): zeros(sizes) with g scattered to indices along dim
STRATA_KERNEL(value_selecting_backward) {
  at::Tensor& g = a.tensor(0);
  int64_t dim = a.i64(1);
  at::Tensor& idx = a.tensor(2);
  auto sizes = a.int_list(3);
  return a.ret(at::value_selecting_reduction_backward(g, dim, idx, sizes, a.boolean(4)));
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
  define(env, exports, "variance", variance);
  define(env, exports, "reduceWithIndex", reduce_with_index);
  define(env, exports, "logsumexp", logsumexp);
  define(env, exports, "cumsum", cumsum);
  define(env, exports, "topk", topk);
  define(env, exports, "sort", sort);
  define(env, exports, "valueSelectingBackward", value_selecting_backward);
  define(env, exports, "softmax", softmax);
  define(env, exports, "softmaxBackward", softmax_backward);
}

}  // namespace strata

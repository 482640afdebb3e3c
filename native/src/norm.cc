// Normalisation kernels: batch norm (updating running statistics in place), layer norm and group norm,
// each with ATen's own backward kernel.
#include "common.h"

namespace strata {

static c10::optional<at::Tensor> opt(const at::Tensor& t) {
  return t.defined() ? c10::optional<at::Tensor>(t) : c10::nullopt;
}

/** A JS array of three booleans: which gradients (input, weight, bias) to compute. */
static std::array<bool, 3> mask3(Args& a, size_t i) {
  if (i >= a.argc) throw ArgError("missing gradient mask argument " + std::to_string(i));
  uint32_t n = 0;
  if (napi_get_array_length(a.env, a.argv[i], &n) != napi_ok || n != 3) throw ArgError("expected a mask of 3 booleans");
  std::array<bool, 3> out{};
  for (uint32_t k = 0; k < 3; k++) {
    napi_value v;
    napi_get_element(a.env, a.argv[i], k, &v);
    if (napi_get_value_bool(a.env, v, &out[k]) != napi_ok) throw ArgError("expected a mask of 3 booleans");
  }
  return out;
}

static napi_value ret3(Args& a, const std::tuple<at::Tensor, at::Tensor, at::Tensor>& r) {
  return a.ret_list({std::get<0>(r), std::get<1>(r), std::get<2>(r)});
}

// batchNorm(x, w|null, b|null, runningMean|null, runningVar|null, training, momentum, eps) -> [y, saveMean, saveInvstd]
// NOTE: in training ATen updates runningMean/runningVar in place (running_var with the unbiased variance).
STRATA_KERNEL(batch_norm) {
  return ret3(a, at::native_batch_norm(a.tensor(0), opt(a.opt_tensor(1)), opt(a.opt_tensor(2)), opt(a.opt_tensor(3)),
                                       opt(a.opt_tensor(4)), a.boolean(5), a.f64(6), a.f64(7)));
}

// batchNormBackward(gy, x, w|null, runningMean|null, runningVar|null, saveMean, saveInvstd, training, eps, mask)
// NOTE: ATen's CUDA kernel needs a weight and, outside training, statistics it reads from the running
// buffers; strata passes ones for a missing weight and computes the evaluation-mode gradients itself
// (y = (x − mean)·invstd·w + b is affine in x there).
STRATA_KERNEL(batch_norm_backward) {
  const at::Tensor& gy = a.tensor(0);
  const at::Tensor& x = a.tensor(1);
  at::Tensor w = a.opt_tensor(2), rm = a.opt_tensor(3), rv = a.opt_tensor(4);
  const bool training = a.boolean(7);
  const double eps = a.f64(8);
  const auto mask = mask3(a, 9);
  if (x.device().is_cpu()) {
    return ret3(a, at::native_batch_norm_backward(gy, x, opt(w), opt(rm), opt(rv), opt(a.tensor(5)), opt(a.tensor(6)), training, eps, mask));
  }
  const int64_t c = x.size(1);
  if (!w.defined()) w = at::ones({c}, x.options());
  if (training || !rm.defined() || !rv.defined()) {
    return ret3(a, at::native_batch_norm_backward(gy, x, w, opt(rm), opt(rv), opt(a.tensor(5)), opt(a.tensor(6)), training, eps, mask));
  }
  std::vector<int64_t> shape(x.dim(), 1), dims{0};
  shape[1] = c;
  for (int64_t d = 2; d < x.dim(); d++) dims.push_back(d);
  const at::Tensor invstd = (rv + eps).rsqrt();
  at::Tensor gx, gw, gb;
  if (mask[0]) gx = gy * (w * invstd).view(shape);
  if (mask[1]) gw = (gy * (x - rm.view(shape)) * invstd.view(shape)).sum(dims);
  if (mask[2]) gb = gy.sum(dims);
  return a.ret_list({gx, gw, gb});
}

// layerNorm(x, normalizedShape, w|null, b|null, eps) -> [y, mean, rstd] (stats shaped [*, 1, …, 1])
STRATA_KERNEL(layer_norm) {
  return ret3(a, at::native_layer_norm(a.tensor(0), a.int_list(1), opt(a.opt_tensor(2)), opt(a.opt_tensor(3)), a.f64(4)));
}

// layerNormBackward(gy, x, normalizedShape, mean, rstd, w|null, b|null, mask)
STRATA_KERNEL(layer_norm_backward) {
  return ret3(a, at::native_layer_norm_backward(a.tensor(0), a.tensor(1), a.int_list(2), a.tensor(3), a.tensor(4),
                                                opt(a.opt_tensor(5)), opt(a.opt_tensor(6)), mask3(a, 7)));
}

/** N, C and the product of the spatial sizes of x [N, C, *]. */
static void nc_hw(const at::Tensor& x, int64_t& n, int64_t& c, int64_t& hw) {
  if (x.dim() < 2) throw ArgError("group norm expects an input of at least 2 dims");
  n = x.size(0);
  c = x.size(1);
  hw = 1;
  for (int64_t d = 2; d < x.dim(); d++) hw *= x.size(d);
}

// groupNorm(x, w|null, b|null, groups, eps) -> [y, mean [N, G], rstd [N, G]]
// NOTE: ATen's group norm kernels require contiguous operands.
STRATA_KERNEL(group_norm) {
  at::Tensor x = a.tensor(0).contiguous();
  at::Tensor w = a.opt_tensor(1), b = a.opt_tensor(2);
  int64_t n, c, hw;
  nc_hw(x, n, c, hw);
  return ret3(a, at::native_group_norm(x, opt(w.defined() ? w.contiguous() : w), opt(b.defined() ? b.contiguous() : b),
                                       n, c, hw, a.i64(3), a.f64(4)));
}

// groupNormBackward(gy, x, mean, rstd, w|null, groups, mask)
STRATA_KERNEL(group_norm_backward) {
  at::Tensor gy = a.tensor(0).contiguous(), x = a.tensor(1).contiguous();
  at::Tensor w = a.opt_tensor(4);
  auto mask = mask3(a, 6);
  int64_t n, c, hw;
  nc_hw(x, n, c, hw);
  // NOTE: ATen 1.13 sizes the bias gradient from the weight, so a bias without a weight would fail;
  // a weight of ones leaves the input gradient unchanged.
  if (!w.defined() && mask[2]) w = at::ones({c}, x.options());
  return ret3(a, at::native_group_norm_backward(gy, x, a.tensor(2).contiguous(), a.tensor(3).contiguous(),
                                                opt(w.defined() ? w.contiguous() : w), n, c, hw, a.i64(5), mask));
}

void register_norm(napi_env env, napi_value exports) {
  define(env, exports, "batchNorm", batch_norm);
  define(env, exports, "batchNormBackward", batch_norm_backward);
  define(env, exports, "layerNorm", layer_norm);
  define(env, exports, "layerNormBackward", layer_norm_backward);
  define(env, exports, "groupNorm", group_norm);
  define(env, exports, "groupNormBackward", group_norm_backward);
}

}  // namespace strata

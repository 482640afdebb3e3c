// Convolution and pooling kernels: at::convolution and the pooling ops, with ATen's own backward kernels.
// Argument order matches src/backends/native/kernels.ts.
#include "common.h"

#include <cstdlib>

namespace strata {

/** A JS array of three booleans (an output mask). */
static std::array<bool, 3> bool_mask(Args& a, size_t i) {
  std::array<bool, 3> out{false, false, false};
  uint32_t n = 0;
  if (i >= a.argc || napi_get_array_length(a.env, a.argv[i], &n) != napi_ok || n != 3) {
    throw ArgError("expected an output mask of three booleans");
  }
  for (uint32_t k = 0; k < 3; k++) {
    napi_value v;
    napi_get_element(a.env, a.argv[i], k, &v);
    if (napi_get_value_bool(a.env, v, &out[k]) != napi_ok) throw ArgError("expected an output mask of three booleans");
  }
  return out;
}

// NOTE: off the CPU the operands of a pooling backward are made dense NCHW first: ATen's CUDA avg-pool
// backward returns wrong gradients for channels-last inputs with padding (pytorch/pytorch#188344, seen with
// PyTorch 2.11 on an H200), and gradients arrive expanded (stride 0, e.g. from a sum).
static at::Tensor dense_off_cpu(const at::Tensor& g) { return g.device().is_cpu() ? g : g.contiguous(); }

static c10::optional<int64_t> opt_i64(Args& a, size_t i) {
  if (a.is_nullish(i)) return c10::nullopt;
  return a.i64(i);
}

// convolution(x, w, bias|null, stride, padding, dilation, transposed, outputPadding, groups)
STRATA_KERNEL(convolution) {
  at::Tensor bias = a.opt_tensor(2);
  std::vector<int64_t> stride = a.int_list(3), padding = a.int_list(4), dilation = a.int_list(5), out_pad = a.int_list(7);
  c10::optional<at::Tensor> b = bias.defined() ? c10::optional<at::Tensor>(bias) : c10::nullopt;
  return a.ret(at::convolution(a.tensor(0), a.tensor(1), b, stride, padding, dilation, a.boolean(6), out_pad, a.i64(8)));
}

// convolutionBackward(gy, x, w, stride, padding, dilation, transposed, outputPadding, groups, mask) → [gx, gw, gb]
STRATA_KERNEL(convolution_backward) {
  at::Tensor& gy = a.tensor(0);
  std::vector<int64_t> stride = a.int_list(3), padding = a.int_list(4), dilation = a.int_list(5), out_pad = a.int_list(7);
  std::array<bool, 3> mask = bool_mask(a, 9);
  std::vector<int64_t> bias_sizes{gy.size(1)};
  auto r = at::convolution_backward(gy, a.tensor(1), a.tensor(2), mask[2] ? at::OptionalIntArrayRef(bias_sizes) : c10::nullopt,
                                    stride, padding, dilation, a.boolean(6), out_pad, a.i64(8), mask);
  return a.ret_list({std::get<0>(r), std::get<1>(r), std::get<2>(r)});
}

// maxPool2d(x, kernel, stride, padding, dilation, ceilMode) → [values, indices]
// NOTE: ATen 1.13's CPU max-pool kernel for contiguous NCHW input is scalar code over each plane (about
// 2.5 ns per input element: 3.3 ms for [64,32,26,26]); its channels-last kernel vectorises over channels
// and gives the same values and indices (ties and NaN included, checked in test/conv.test.ts). With the
// two layout conversions it is still 2-4× faster when there are enough channels to vectorise and the
// tensor stays cache-sized, so such inputs take that path; the result is returned in NCHW as before.
static bool pool_via_channels_last(const at::Tensor& x) {
  if (!x.device().is_cpu() || x.dim() != 4 || !x.is_contiguous()) return false;
  static const bool nchw_only = std::getenv("STRATA_POOL_NCHW") != nullptr;  // for comparisons; read once
  if (nchw_only) return false;
  return x.size(1) >= 16 && x.numel() >= (1 << 16) && x.numel() <= (1 << 23);
}

STRATA_KERNEL(max_pool2d) {
  std::vector<int64_t> k = a.int_list(1), s = a.int_list(2), p = a.int_list(3), d = a.int_list(4);
  const at::Tensor& x = a.tensor(0);
  if (pool_via_channels_last(x)) {
    auto r = at::max_pool2d_with_indices(x.contiguous(at::MemoryFormat::ChannelsLast), k, s, p, d, a.boolean(5));
    return a.ret_list({std::get<0>(r).contiguous(), std::get<1>(r).contiguous()});
  }
  auto r = at::max_pool2d_with_indices(x, k, s, p, d, a.boolean(5));
  return a.ret_list({std::get<0>(r), std::get<1>(r)});
}

// maxPool2dBackward(gy, x, indices, kernel, stride, padding, dilation, ceilMode)
STRATA_KERNEL(max_pool2d_backward) {
  std::vector<int64_t> k = a.int_list(3), s = a.int_list(4), p = a.int_list(5), d = a.int_list(6);
  return a.ret(at::max_pool2d_with_indices_backward(dense_off_cpu(a.tensor(0)), dense_off_cpu(a.tensor(1)), k, s, p, d, a.boolean(7), a.tensor(2)));
}

// avgPool2d(x, kernel, stride, padding, ceilMode, countIncludePad, divisorOverride|null)
STRATA_KERNEL(avg_pool2d) {
  std::vector<int64_t> k = a.int_list(1), s = a.int_list(2), p = a.int_list(3);
  return a.ret(at::avg_pool2d(a.tensor(0), k, s, p, a.boolean(4), a.boolean(5), opt_i64(a, 6)));
}

// avgPool2dBackward(gy, x, kernel, stride, padding, ceilMode, countIncludePad, divisorOverride|null)
STRATA_KERNEL(avg_pool2d_backward) {
  std::vector<int64_t> k = a.int_list(2), s = a.int_list(3), p = a.int_list(4);
  return a.ret(at::avg_pool2d_backward(dense_off_cpu(a.tensor(0)), dense_off_cpu(a.tensor(1)), k, s, p, a.boolean(5), a.boolean(6), opt_i64(a, 7)));
}

// adaptiveAvgPool2d(x, [oh, ow])
STRATA_KERNEL(adaptive_avg_pool2d) {
  std::vector<int64_t> size = a.int_list(1);
  return a.ret(at::_adaptive_avg_pool2d(a.tensor(0), size));
}

// adaptiveAvgPool2dBackward(gy, x)
STRATA_KERNEL(adaptive_avg_pool2d_backward) { return a.ret(at::_adaptive_avg_pool2d_backward(dense_off_cpu(a.tensor(0)), dense_off_cpu(a.tensor(1)))); }

void register_conv(napi_env env, napi_value exports) {
  define(env, exports, "convolution", convolution);
  define(env, exports, "convolutionBackward", convolution_backward);
  define(env, exports, "maxPool2d", max_pool2d);
  define(env, exports, "maxPool2dBackward", max_pool2d_backward);
  define(env, exports, "avgPool2d", avg_pool2d);
  define(env, exports, "avgPool2dBackward", avg_pool2d_backward);
  define(env, exports, "adaptiveAvgPool2d", adaptive_avg_pool2d);
  define(env, exports, "adaptiveAvgPool2dBackward", adaptive_avg_pool2d_backward);
}

}  // namespace strata

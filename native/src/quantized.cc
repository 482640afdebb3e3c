// int8 kernels: ATen's quantized operators (quantize_per_tensor, quantized::linear / linear_dynamic,
// quantized::conv2d, quantized::add, quantized pooling) reached through the dispatcher, boxed, so no
// engine-specific header is needed. Packed weights live in a table of their own, addressed by an int.
#include "common.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/ivalue.h>

namespace strata {

namespace {

std::vector<c10::IValue>& packed_table() {
  static std::vector<c10::IValue> t;
  return t;
}

int32_t put_packed(c10::IValue v) {
  auto& t = packed_table();
  for (size_t i = 0; i < t.size(); i++) {
    if (t[i].isNone()) {
      t[i] = std::move(v);
      return static_cast<int32_t>(i);
    }
  }
  t.push_back(std::move(v));
  return static_cast<int32_t>(t.size() - 1);
}

const c10::IValue& packed(int64_t id) {
  auto& t = packed_table();
  if (id < 0 || id >= static_cast<int64_t>(t.size()) || t[id].isNone()) throw ArgError("no packed int8 weight with id " + std::to_string(id));
  return t[id];
}

/** Runs a quantized:: operator boxed and returns its first output. */
c10::IValue call_op(const char* name, const char* overload, std::vector<c10::IValue> stack) {
  auto op = c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
  op.callBoxed(&stack);
  return stack.at(0);
}

/** [slot, ...sizes]: the TS side wraps quantized slots without a shape-inference table. */
napi_value ret_shaped(Args& a, const at::Tensor& t) {
  napi_value arr, v;
  napi_create_array_with_length(a.env, t.dim() + 1, &arr);
  napi_create_int32(a.env, put(a.env, t), &v);
  napi_set_element(a.env, arr, 0, v);
  for (int64_t d = 0; d < t.dim(); d++) {
    napi_create_int64(a.env, t.size(d), &v);
    napi_set_element(a.env, arr, static_cast<uint32_t>(d + 1), v);
  }
  return arr;
}

at::Tensor quantized_arg(Args& a, size_t i, const char* what) {
  at::Tensor& t = a.tensor(i);
  if (!t.is_quantized()) throw ArgError(std::string(what) + " expects a quantized tensor (quantize the input first)");
  return t;
}

/** A per-output-channel qint8 weight (zero points 0) from its integer values [O, ...] and scales [O]. */
at::Tensor int8_weight(const at::Tensor& values, const at::Tensor& scales) {
  if (values.dim() < 2 || scales.dim() != 1 || scales.size(0) != values.size(0)) throw ArgError("weight values [O, ...] need one scale per output channel");
  at::Tensor s = scales.to(at::kDouble).contiguous();
  at::Tensor zp = at::zeros({values.size(0)}, at::TensorOptions().dtype(at::kLong));
  return at::_make_per_channel_quantized_tensor(values.to(at::kChar).contiguous(), s, zp, 0);
}

c10::QEngine engine_named(const std::string& n) {
  for (auto e : at::globalContext().supportedQEngines()) {
    std::string s = c10::toString(e);
    std::transform(s.begin(), s.end(), s.begin(), ::tolower);
    if (s == n) return e;
  }
  throw ArgError("quantized engine '" + n + "' is not in this libtorch build");
}

}  // namespace

// qEngines() → the quantized engines this libtorch supports (lower case, 'none' left out)
STRATA_KERNEL(q_engines) {
  napi_value arr, v;
  napi_create_array(a.env, &arr);
  uint32_t i = 0;
  for (auto e : at::globalContext().supportedQEngines()) {
    if (e == c10::QEngine::NoQEngine) continue;
    std::string s = c10::toString(e);
    std::transform(s.begin(), s.end(), s.begin(), ::tolower);
    napi_create_string_utf8(a.env, s.c_str(), NAPI_AUTO_LENGTH, &v);
    napi_set_element(a.env, arr, i++, v);
  }
  return arr;
}

// qSetEngine(name): packing and running both use the engine current at the time
STRATA_KERNEL(q_set_engine) {
  size_t len = 0;
  char buf[64];
  napi_get_value_string_utf8(a.env, a.argv[0], buf, sizeof buf, &len);
  at::globalContext().setQEngine(engine_named(std::string(buf, len)));
  return a.ret_undefined();
}

// qPackLinear(values int [O, I], scales [O], bias [O]|null) → packed id
STRATA_KERNEL(q_pack_linear) {
  at::Tensor w = int8_weight(a.tensor(0), a.tensor(1));
  at::Tensor b = a.opt_tensor(2);
  c10::IValue bias = b.defined() ? c10::IValue(b.to(at::kFloat).contiguous()) : c10::IValue();
  return a.ret_number(put_packed(call_op("quantized::linear_prepack", "", {w, bias})));
}

// qPackConv(values int [O, I/g, kH, kW], scales [O], bias|null, stride, padding, dilation, groups) → packed id
STRATA_KERNEL(q_pack_conv) {
  at::Tensor w = int8_weight(a.tensor(0), a.tensor(1));
  at::Tensor b = a.opt_tensor(2);
  c10::IValue bias = b.defined() ? c10::IValue(b.to(at::kFloat).contiguous()) : c10::IValue();
  std::vector<int64_t> stride = a.int_list(3), padding = a.int_list(4), dilation = a.int_list(5);
  return a.ret_number(put_packed(call_op("quantized::conv2d_prepack", "", {w, bias, stride, padding, dilation, a.i64(6)})));
}

// qFreePacked(id)
STRATA_KERNEL(q_free_packed) {
  auto& t = packed_table();
  int64_t id = a.i64(0);
  if (id >= 0 && id < static_cast<int64_t>(t.size())) t[id] = c10::IValue();
  return a.ret_undefined();
}

// qQuantize(x float, scale, zeroPoint) → quint8 [slot, ...shape]
STRATA_KERNEL(q_quantize) {
  at::Tensor x = a.tensor(0);
  if (x.is_quantized()) throw ArgError("input is already quantized");
  return ret_shaped(a, at::quantize_per_tensor(x.to(at::kFloat).contiguous(), a.f64(1), a.i64(2), at::kQUInt8));
}

// qDequantize(q) → float32 [slot, ...shape]
STRATA_KERNEL(q_dequantize) { return ret_shaped(a, quantized_arg(a, 0, "qDequantize").dequantize()); }

// qLinear(q [N, I], packed, scale, zeroPoint, relu) → quint8 [N, O]
STRATA_KERNEL(q_linear) {
  at::Tensor x = quantized_arg(a, 0, "qLinear");
  const char* name = a.boolean(4) ? "quantized::linear_relu" : "quantized::linear";
  return ret_shaped(a, call_op(name, "", {x, packed(a.i64(1)), a.f64(2), a.i64(3)}).toTensor());
}

// qLinearDynamic(x float [N, I], packed, relu) → float32 [N, O]: activations quantized per batch on the fly
STRATA_KERNEL(q_linear_dynamic) {
  at::Tensor x = a.tensor(0).to(at::kFloat).contiguous();
  const char* name = a.boolean(2) ? "quantized::linear_relu_dynamic" : "quantized::linear_dynamic";
  return ret_shaped(a, call_op(name, "", {x, packed(a.i64(1)), false}).toTensor());
}

// qConv2d(q [N, C, H, W], packed, scale, zeroPoint, relu) → quint8
STRATA_KERNEL(q_conv2d) {
  at::Tensor x = quantized_arg(a, 0, "qConv2d");
  const char* name = a.boolean(4) ? "quantized::conv2d_relu" : "quantized::conv2d";
  return ret_shaped(a, call_op(name, "new", {x, packed(a.i64(1)), a.f64(2), a.i64(3)}).toTensor());
}

// qAdd(qa, qb, scale, zeroPoint, relu) → quint8
STRATA_KERNEL(q_add) {
  at::Tensor x = quantized_arg(a, 0, "qAdd"), y = quantized_arg(a, 1, "qAdd");
  const char* name = a.boolean(4) ? "quantized::add_relu" : "quantized::add";
  return ret_shaped(a, call_op(name, "", {x, y, a.f64(2), a.i64(3)}).toTensor());
}

// qCat(list, dim, scale, zeroPoint) → quint8
STRATA_KERNEL(q_cat) {
  std::vector<at::Tensor> xs = a.tensor_list(0);
  for (auto& t : xs) if (!t.is_quantized()) throw ArgError("qCat expects quantized tensors");
  return ret_shaped(a, call_op("quantized::cat", "", {c10::List<at::Tensor>(xs), a.i64(1), a.f64(2), a.i64(3)}).toTensor());
}

// qMaxPool2d(q, kernel, stride, padding, dilation, ceilMode)
STRATA_KERNEL(q_max_pool2d) {
  at::Tensor x = quantized_arg(a, 0, "qMaxPool2d");
  return ret_shaped(a, at::max_pool2d(x, a.int_list(1), a.int_list(2), a.int_list(3), a.int_list(4), a.boolean(5)));
}

// qAvgPool2d(q, kernel, stride, padding)
STRATA_KERNEL(q_avg_pool2d) {
  at::Tensor x = quantized_arg(a, 0, "qAvgPool2d");
  return ret_shaped(a, at::avg_pool2d(x, a.int_list(1), a.int_list(2), a.int_list(3)));
}

// qAdaptiveAvgPool2d(q, outputSize)
STRATA_KERNEL(q_adaptive_avg_pool2d) {
  return ret_shaped(a, at::adaptive_avg_pool2d(quantized_arg(a, 0, "qAdaptiveAvgPool2d"), a.int_list(1)));
}

// qRelu(q)
STRATA_KERNEL(q_relu) { return ret_shaped(a, at::relu(quantized_arg(a, 0, "qRelu"))); }

// qReshape(q, shape)
STRATA_KERNEL(q_reshape) { return ret_shaped(a, quantized_arg(a, 0, "qReshape").contiguous().reshape(a.int_list(1))); }

void register_quantized(napi_env env, napi_value exports) {
  define(env, exports, "qEngines", q_engines);
  define(env, exports, "qSetEngine", q_set_engine);
  define(env, exports, "qPackLinear", q_pack_linear);
  define(env, exports, "qPackConv", q_pack_conv);
  define(env, exports, "qFreePacked", q_free_packed);
  define(env, exports, "qQuantize", q_quantize);
  define(env, exports, "qDequantize", q_dequantize);
  define(env, exports, "qLinear", q_linear);
  define(env, exports, "qLinearDynamic", q_linear_dynamic);
  define(env, exports, "qConv2d", q_conv2d);
  define(env, exports, "qAdd", q_add);
  define(env, exports, "qCat", q_cat);
  define(env, exports, "qMaxPool2d", q_max_pool2d);
  define(env, exports, "qAvgPool2d", q_avg_pool2d);
  define(env, exports, "qAdaptiveAvgPool2d", q_adaptive_avg_pool2d);
  define(env, exports, "qRelu", q_relu);
  define(env, exports, "qReshape", q_reshape);
}

}  // namespace strata

// Elementwise kernels: unary math, broadcasting binary ops, where, clamp, activations and their gradients.
#include "common.h"

#include <cmath>

namespace strata {

// NOTE: the order of these names is the op code the TS side passes; it reads them from the addon.
static const char* kUnaryOps[] = {"neg", "exp", "log", "sqrt", "rsqrt", "abs", "sign", "tanh", "sigmoid", "relu",
                                   "gelu", "geluTanh", "silu", "sin", "cos", "floor", "ceil", "round", "trunc",
                                   "reciprocal", "log1p", "expm1", "erf", "square", "logicalNot", "isnan", "isinf"};
static const char* kBinaryOps[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder", "floorDivide",
                                    "atan2", "eq", "ne", "lt", "le", "gt", "ge", "logicalAnd", "logicalOr", "logicalXor"};
static const char* kActivationOps[] = {"relu", "tanh", "sigmoid", "gelu", "geluTanh", "silu"};

static at::Tensor unary_op(int64_t code, const at::Tensor& x) {
  switch (code) {
    case 0: return at::neg(x);
    case 1: return at::exp(x);
    case 2: return at::log(x);
    case 3: return at::sqrt(x);
    case 4: return at::rsqrt(x);
    case 5: return at::abs(x);
    case 6: return at::sign(x);
    case 7: return at::tanh(x);
    case 8: return at::sigmoid(x);
    case 9: return at::relu(x);
    case 10: return at::gelu(x, "none");
    case 11: return at::gelu(x, "tanh");
    case 12: return at::silu(x);
    case 13: return at::sin(x);
    case 14: return at::cos(x);
    case 15: return at::floor(x);
    case 16: return at::ceil(x);
    case 17: return at::round(x);
    case 18: return at::trunc(x);
    case 19: return at::reciprocal(x);
    case 20: return at::log1p(x);
    case 21: return at::expm1(x);
    case 22: return at::erf(x);
    case 23: return at::square(x);
    case 24: return at::logical_not(x);
    case 25: return at::isnan(x);
    case 26: return at::isinf(x);
  }
  throw ArgError("unknown unary op code " + std::to_string(code));
}

static at::Tensor binary_op(int64_t code, const at::Tensor& x, const at::Tensor& y) {
  switch (code) {
    case 0: return at::add(x, y);
    case 1: return at::sub(x, y);
    case 2: return at::mul(x, y);
    case 3: return at::div(x, y);
    case 4: return at::pow(x, y);
    case 5: return at::maximum(x, y);
    case 6: return at::minimum(x, y);
    case 7: return at::remainder(x, y);
    case 8: return at::div(x, y, "floor");
    case 9: return at::atan2(x, y);
    case 10: return at::eq(x, y);
    case 11: return at::ne(x, y);
    case 12: return at::lt(x, y);
    case 13: return at::le(x, y);
    case 14: return at::gt(x, y);
    case 15: return at::ge(x, y);
    case 16: return at::logical_and(x, y);
    case 17: return at::logical_or(x, y);
    case 18: return at::logical_xor(x, y);
  }
  throw ArgError("unknown binary op code " + std::to_string(code));
}

// unary(code, x, outDtype)
STRATA_KERNEL(unary) { return a.ret(as_dtype(unary_op(a.i64(0), a.tensor(1)), a.dtype(2))); }

// tensor ∘ number through ATen's Scalar overloads (creating a wrapped-number tensor costs more than the op)
static bool binary_scalar(int64_t code, const at::Tensor& x, const at::Scalar& s, at::Tensor& r) {
  switch (code) {
    case 0: r = at::add(x, s); return true;
    case 1: r = at::sub(x, s); return true;
    case 2: r = at::mul(x, s); return true;
    case 3: r = at::div(x, s); return true;
    case 4: r = at::pow(x, s); return true;
    case 7: r = at::remainder(x, s); return true;
    case 8: r = at::div(x, s, "floor"); return true;
    case 10: r = at::eq(x, s); return true;
    case 11: r = at::ne(x, s); return true;
    case 12: r = at::lt(x, s); return true;
    case 13: r = at::le(x, s); return true;
    case 14: r = at::gt(x, s); return true;
    case 15: r = at::ge(x, s); return true;
  }
  return false;
}

// number ∘ tensor
static bool scalar_binary(int64_t code, const at::Scalar& s, const at::Tensor& y, at::Tensor& r) {
  switch (code) {
    case 0: r = at::add(y, s); return true;
    case 1: r = at::rsub(y, s); return true;
    case 2: r = at::mul(y, s); return true;
    case 4: r = at::pow(s, y); return true;
    case 10: r = at::eq(y, s); return true;
    case 11: r = at::ne(y, s); return true;
    case 12: r = at::gt(y, s); return true;
    case 13: r = at::ge(y, s); return true;
    case 14: r = at::lt(y, s); return true;
    case 15: r = at::le(y, s); return true;
  }
  return false;
}

// binary(code, aSlot, aNum, bSlot, bNum, outDtype)
STRATA_KERNEL(binary) {
  int64_t code = a.i64(0);
  at::ScalarType out = a.dtype(5);
  at::Scalar sa, sb;
  at::Tensor ta, tb, r;
  bool aIsT = a.scalar_or_tensor(1, sa, ta), bIsT = a.scalar_or_tensor(3, sb, tb);
  if (aIsT && !bIsT && binary_scalar(code, ta, number_scalar(sb.toDouble()), r)) return a.ret(as_dtype(r, out));
  if (!aIsT && bIsT && scalar_binary(code, number_scalar(sa.toDouble()), tb, r)) return a.ret(as_dtype(r, out));
  // NOTE: two wrapped numbers would promote as scalars; the TS side never sends two.
  at::Tensor x = aIsT ? ta : wrapped_scalar(sa.toDouble());
  at::Tensor y = bIsT ? tb : wrapped_scalar(sb.toDouble());
  return a.ret(as_dtype(binary_op(code, x, y), out));
}

// where(cond, aSlot, aNum, bSlot, bNum, outDtype)
STRATA_KERNEL(where) {
  at::ScalarType out = a.dtype(5);
  at::Tensor x = operand(a, 1).to(out), y = operand(a, 3).to(out);
  return a.ret(at::where(a.tensor(0), x, y));
}

// clamp(x, min|null, max|null)
STRATA_KERNEL(clamp) {
  c10::optional<at::Scalar> lo, hi;
  if (!a.is_nullish(1)) lo = at::Scalar(a.f64(1));
  if (!a.is_nullish(2)) hi = at::Scalar(a.f64(2));
  at::Tensor& x = a.tensor(0);
  return a.ret(as_dtype(at::clamp(x, lo, hi), x.scalar_type()));
}

STRATA_KERNEL(leaky_relu) { return a.ret(at::leaky_relu(a.tensor(0), a.f64(1))); }
STRATA_KERNEL(elu) { return a.ret(at::elu(a.tensor(0), a.f64(1))); }
STRATA_KERNEL(softplus) { return a.ret(at::softplus(a.tensor(0), a.f64(1), a.f64(2))); }

// activationBackward(code, g, saved): saved is x for relu/gelu/silu, y for tanh/sigmoid
STRATA_KERNEL(activation_backward) {
  at::Tensor& g = a.tensor(1);
  at::Tensor& s = a.tensor(2);
  switch (a.i64(0)) {
    case 0: return a.ret(at::threshold_backward(g, s, 0));
    case 1: return a.ret(at::tanh_backward(g, s));
    case 2: return a.ret(at::sigmoid_backward(g, s));
    case 3: return a.ret(at::gelu_backward(g, s, "none"));
    case 4: return a.ret(at::gelu_backward(g, s, "tanh"));
    case 5: return a.ret(at::silu_backward(g, s));
  }
  throw ArgError("unknown activation code");
}

STRATA_KERNEL(leaky_relu_backward) { return a.ret(at::leaky_relu_backward(a.tensor(0), a.tensor(1), a.f64(2), false)); }
STRATA_KERNEL(elu_backward) { return a.ret(at::elu_backward(a.tensor(0), a.f64(2), 1, 1, false, a.tensor(1))); }
STRATA_KERNEL(softplus_backward) { return a.ret(at::softplus_backward(a.tensor(0), a.tensor(1), a.f64(2), a.f64(3))); }

static napi_value names(napi_env env, const char* const* list, size_t n) {
  napi_value arr;
  napi_create_array_with_length(env, n, &arr);
  for (size_t i = 0; i < n; i++) {
    napi_value s;
    napi_create_string_utf8(env, list[i], NAPI_AUTO_LENGTH, &s);
    napi_set_element(env, arr, i, s);
  }
  return arr;
}

void register_elementwise(napi_env env, napi_value exports) {
  define(env, exports, "unary", unary);
  define(env, exports, "binary", binary);
  define(env, exports, "where", where);
  define(env, exports, "clamp", clamp);
  define(env, exports, "leakyRelu", leaky_relu);
  define(env, exports, "elu", elu);
  define(env, exports, "softplus", softplus);
  define(env, exports, "activationBackward", activation_backward);
  define(env, exports, "leakyReluBackward", leaky_relu_backward);
  define(env, exports, "eluBackward", elu_backward);
  define(env, exports, "softplusBackward", softplus_backward);
  napi_set_named_property(env, exports, "unaryOps", names(env, kUnaryOps, sizeof(kUnaryOps) / sizeof(*kUnaryOps)));
  napi_set_named_property(env, exports, "binaryOps", names(env, kBinaryOps, sizeof(kBinaryOps) / sizeof(*kBinaryOps)));
  napi_set_named_property(env, exports, "activationOps", names(env, kActivationOps, sizeof(kActivationOps) / sizeof(*kActivationOps)));
}

}  // namespace strata

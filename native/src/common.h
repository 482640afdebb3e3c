// Shared by every op-family file: the tensor slot table, N-API argument helpers, error translation.
// Kernels take and return slot numbers; JS never holds a pointer.
#pragma once
#define NAPI_EXPERIMENTAL
#include <node_api.h>
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace strata {

// ---- slots: live tensors, addressed by an int32 from JS

struct SlotTable {
  std::vector<at::Tensor> tensors;
  std::vector<int64_t> bytes;       // storage bytes this slot owns alone (st.memory()'s count)
  std::vector<uint8_t> gc_counted;  // whether those bytes are reported to V8 as external memory
  std::vector<int32_t> free_list;
  int64_t live = 0;
  int64_t live_bytes = 0;
};
SlotTable& slots();

/** Stores t in a new slot (its storage is reported to the GC only when trackExternal is called on it). */
int32_t put(napi_env env, at::Tensor t);
/** Releases a slot (idempotent for already-free slots). */
void release(napi_env env, int32_t id);

// ---- dtypes: the codes the TS side passes

enum DTypeCode : int32_t { kF32 = 0, kF64 = 1, kI32 = 2, kI64 = 3, kBool = 4, kBF16 = 5, kF16 = 6 };
at::ScalarType scalar_type(int32_t code);
int32_t dtype_code(at::ScalarType t);


// ---- arguments

class Args {
 public:
  Args(napi_env env, napi_callback_info info);
  napi_env env;
  size_t argc = 16;
  napi_value argv[16];

  at::Tensor& tensor(size_t i);
  /** An undefined at::Tensor when the argument is null or undefined. */
  at::Tensor opt_tensor(size_t i);
  bool is_number(size_t i);
  bool is_nullish(size_t i);
  int64_t i64(size_t i);
  double f64(size_t i);
  bool boolean(size_t i);
  at::ScalarType dtype(size_t i) { return scalar_type(static_cast<int32_t>(i64(i))); }
  std::vector<int64_t> int_list(size_t i);
  std::vector<at::Tensor> tensor_list(size_t i);
  /** An operand passed as two arguments (slot, or -1 and a number): true when it is a tensor. */
  bool scalar_or_tensor(size_t i, at::Scalar& s, at::Tensor& t);

  napi_value ret(const at::Tensor& t);
  napi_value ret_list(std::initializer_list<at::Tensor> ts);
  napi_value ret_list(const std::vector<at::Tensor>& ts);
  napi_value ret_undefined();
  napi_value ret_number(double v);
};

/** A device passed as two arguments (type code 0 = CPU, 1 = CUDA; index); CPU when absent. */
at::Device device_arg(Args& a, size_t i);

/** Thrown for bad arguments from JS; becomes a JS Error naming the kernel. */
struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void throw_js(napi_env env, const char* kernel, const std::string& what);

/** A JS number as an at::Scalar of the category PyTorch would give it (integral when integer-valued). */
at::Scalar number_scalar(double v);
/** A JS number as a "wrapped number" tensor: it takes part in type promotion as a Python scalar would. */
at::Tensor wrapped_scalar(double v);
/** An operand passed as (slot, number): the tensor, or the number wrapped. */
at::Tensor operand(Args& a, size_t i);
/** Returns t converted to dtype `want` when ATen's promotion chose another (it should not). */
at::Tensor as_dtype(const at::Tensor& t, at::ScalarType want);

inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

/**
 * A random mask without state: element i is kept with probability p when
 * fmix32(i·0x9e3779b9 ^ key) >> 8 < threshold, a hash of (seed, index); indices past 2^32 (beyond any js
 * array) rehash the key with the index's high word. The js backend's hashUniform24 draws the same masks,
 * and a backward pass can redraw its forward's.
 */
struct HashMask {
  uint32_t key, threshold;
  HashMask(double p, uint64_t seed)
      : key(fmix32(static_cast<uint32_t>(seed) ^ 0x5bd1e995u)),
        // u < p·2^24 for a 24-bit integer u is u < ⌈p·2^24⌉
        threshold(static_cast<uint32_t>(std::ceil(std::min(std::max(p, 0.0), 1.0) * 16777216.0))) {}
};

/** t ← `value` where HashMask(p, seed) keeps, else 0. */
void bernoulli_fill(at::Tensor& t, double p, uint64_t seed, double value);
/**
 * dst ← src with each element dropped with probability p (HashMask(1 − p, seed) over the flat index)
 * and the rest scaled by 1/(1 − p). Applying it to a gradient with the same seed is dropout's backward.
 * src and dst have one shape; dst is contiguous (it may be src).
 */
void dropout_apply(const at::Tensor& src, at::Tensor& dst, double p, uint64_t seed);

using Register = void (*)(napi_env, napi_value);
void define(napi_env env, napi_value exports, const char* name, napi_callback fn);

}  // namespace strata

// Defines an exported kernel: ATen and argument errors become JS exceptions, never a crash.
// NOTE: every call runs under InferenceMode: strata records its own autograd, so ATen's
// autograd and view-tracking dispatch layers are pure overhead here.
#define STRATA_KERNEL(name)                                                              \
  static napi_value name##_impl(::strata::Args& a);                                     \
  static napi_value name(napi_env env, napi_callback_info info) {                        \
    try {                                                                                \
      c10::InferenceMode guard;                                                          \
      ::strata::Args a(env, info);                                                       \
      return name##_impl(a);                                                             \
    } catch (const c10::Error& e) {                                                      \
      ::strata::throw_js(env, #name, e.what_without_backtrace());                        \
    } catch (const std::exception& e) {                                                  \
      ::strata::throw_js(env, #name, e.what());                                          \
    }                                                                                    \
    return nullptr;                                                                      \
  }                                                                                      \
  static napi_value name##_impl(::strata::Args& a)

// Memory, conversion, views and in-place updates: the kernels every op builds on.
#include "common.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/TensorUtils.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace strata {


// fromData(typedArray, shape, dtype, deviceType?, deviceIndex?): copies a canonical typed array into a new
// tensor (bfloat16 and float16 arrive as float32 values and are rounded here)
STRATA_KERNEL(from_data) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buffer;
  size_t byte_offset;
  if (napi_get_typedarray_info(a.env, a.argv[0], &type, &length, &data, &buffer, &byte_offset) != napi_ok) {
    throw ArgError("expected a typed array");
  }
  auto shape = a.int_list(1);
  at::ScalarType want = a.dtype(2);
  const bool reduced = want == at::kBFloat16 || want == at::kHalf;
  at::ScalarType st = reduced ? at::kFloat : want;
  const at::Device device = device_arg(a, 3);
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(st).device(at::kCPU));
  size_t nbytes = t.numel() * t.element_size();
  if (length * t.element_size() != nbytes) throw ArgError("typed array length does not match the shape");
  if (nbytes) std::memcpy(t.data_ptr(), data, nbytes);
  if (!device.is_cpu()) t = t.to(device);
  if (reduced) t = t.to(want);
  return a.ret(t);
}

// read(x): a row-major copy in a new typed array of the canonical type (float32 for bfloat16 and float16)
STRATA_KERNEL(read) {
  at::Tensor t = a.tensor(0).to(at::kCPU).contiguous();
  if (t.scalar_type() == at::kBFloat16 || t.scalar_type() == at::kHalf) t = t.to(at::kFloat);
  size_t nbytes = t.numel() * t.element_size();
  void* dst;
  napi_value buffer, out;
  napi_create_arraybuffer(a.env, nbytes, &dst, &buffer);
  if (nbytes) std::memcpy(dst, t.data_ptr(), nbytes);
  napi_typedarray_type type;
  switch (t.scalar_type()) {
    case at::kFloat: type = napi_float32_array; break;
    case at::kDouble: type = napi_float64_array; break;
    case at::kInt: type = napi_int32_array; break;
    case at::kLong: type = napi_bigint64_array; break;
    case at::kBool: type = napi_uint8_array; break;
    default: throw ArgError("unsupported dtype for read");
  }
  napi_create_typedarray(a.env, type, t.numel(), buffer, 0, &out);
  return out;
}

STRATA_KERNEL(full) {
  auto shape = a.int_list(0);
  double v = a.f64(1);
  at::ScalarType st = a.dtype(2);
  return a.ret(at::full(shape, v, at::TensorOptions().dtype(st).device(device_arg(a, 3))));
}

STRATA_KERNEL(cast) { return a.ret(a.tensor(0).to(a.dtype(1), /*non_blocking=*/false, /*copy=*/true)); }

STRATA_KERNEL(contiguous) { return a.ret(a.tensor(0).clone(at::MemoryFormat::Contiguous)); }

// view(x, shape): a view, or null when x's strides do not allow one
STRATA_KERNEL(view) {
  at::Tensor& x = a.tensor(0);
  auto shape = a.int_list(1);
  auto strides = at::detail::computeStride(x.sizes(), x.strides(), shape);
  if (!strides.has_value()) {
    napi_value n;
    napi_get_null(a.env, &n);
    return n;
  }
  return a.ret(x.as_strided(shape, *strides, x.storage_offset()));
}

STRATA_KERNEL(permute) { return a.ret(a.tensor(0).permute(a.int_list(1))); }
STRATA_KERNEL(expand) { return a.ret(a.tensor(0).expand(a.int_list(1))); }
STRATA_KERNEL(slice) {
  return a.ret(a.tensor(0).slice(a.i64(1), a.i64(2), a.i64(3), a.i64(4)));
}

STRATA_KERNEL(copy_) {
  a.tensor(0).copy_(a.tensor(1));
  return nullptr;
}
STRATA_KERNEL(fill_) {
  a.tensor(0).fill_(a.f64(1));
  return nullptr;
}
// add_(dst, srcSlot|-1, srcNumber, alpha)
STRATA_KERNEL(add_) {
  at::Tensor& dst = a.tensor(0);
  at::Scalar s;
  at::Tensor t;
  double alpha = a.f64(3);
  if (a.scalar_or_tensor(1, s, t)) dst.add_(t, number_scalar(alpha));
  else dst.add_(number_scalar(s.toDouble() * alpha));
  return nullptr;
}
STRATA_KERNEL(mul_) {
  at::Tensor& dst = a.tensor(0);
  at::Scalar s;
  at::Tensor t;
  if (a.scalar_or_tensor(1, s, t)) dst.mul_(t);
  else dst.mul_(number_scalar(s.toDouble()));
  return nullptr;
}

/** d[i] = on where HashMask (key, threshold) keeps i, else off, for i in [begin, end) within one 2^32 block. */
template <typename scalar_t>
__attribute__((target_clones("avx2", "default"), optimize("O3"))) static void mask_range(
    scalar_t* d, int64_t begin, int64_t end, uint32_t key, uint32_t threshold, scalar_t on, scalar_t off) {
  for (int64_t i = begin; i < end; i++) d[i] = (fmix32((static_cast<uint32_t>(i) * 0x9e3779b9u) ^ key) >> 8) < threshold ? on : off;
}

/** Calls f(begin, end, key) over [0, n) in parallel, with HashMask's key for each 2^32 block of indices. */
template <typename F>
static void for_mask_blocks(int64_t n, const HashMask& mask, F f) {
  at::parallel_for(0, n, 1 << 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end;) {
      const int64_t hi = i >> 32, stop = std::min(end, (hi + 1) << 32);
      f(i, stop, hi ? fmix32(mask.key ^ (static_cast<uint32_t>(hi) * 0x85ebca6bu)) : mask.key);
      i = stop;
    }
  });
}

// NOTE: ATen's CPU bernoulli_ draws every element through a locked generator (about 10 ns an element, a
// tenth of a transformer's training step with dropout); hashing the element's index is parallel, branch-free
// (vectorized) and needs no state, so a backward pass can redraw the mask instead of keeping it.
void bernoulli_fill(at::Tensor& t, double p, uint64_t seed, double value) {
  if (!t.device().is_cpu() || !t.is_contiguous()) {
    at::Tensor c = at::empty(t.sizes(), t.options().device(at::kCPU));
    bernoulli_fill(c, p, seed, value);
    t.copy_(c);
    return;
  }
  const HashMask mask(p, seed);
  AT_DISPATCH_ALL_TYPES_AND(at::kBool, t.scalar_type(), "bernoulli_fill", [&] {
    scalar_t* d = t.data_ptr<scalar_t>();
    for_mask_blocks(t.numel(), mask, [&](int64_t begin, int64_t end, uint32_t key) {
      mask_range<scalar_t>(d, begin, end, key, mask.threshold, static_cast<scalar_t>(value), static_cast<scalar_t>(0));
    });
  });
}

/**
 * out[i] = in[i]·scale where HashMask keeps i (key and threshold as HashMask's), else 0, for i in
 * [begin, end) within one 2^32 block of indices. Branch-free, so the compiler vectorizes it (AVX2 where
 * the CPU has it).
 */
template <typename scalar_t>
__attribute__((target_clones("avx2", "default"), optimize("O3"))) static void dropout_range(
    const scalar_t* in, scalar_t* out, int64_t begin, int64_t end, uint32_t key, uint32_t threshold, scalar_t scale) {
  for (int64_t i = begin; i < end; i++) {
    const uint32_t u = fmix32((static_cast<uint32_t>(i) * 0x9e3779b9u) ^ key) >> 8;
    // NOTE: a product with the mask, as PyTorch's (NaN and ±inf stay NaN where dropped)
    out[i] = in[i] * (u < threshold ? scale : scalar_t(0));
  }
}

void dropout_apply(const at::Tensor& src, at::Tensor& dst, double p, uint64_t seed) {
  if (!src.device().is_cpu()) {
    at::Tensor m = at::empty(src.sizes(), src.options().device(at::kCPU));
    bernoulli_fill(m, 1 - p, seed, p < 1 ? 1 / (1 - p) : 0);
    dst.copy_(src * m.to(src.device()));
    return;
  }
  const at::Tensor x = src.contiguous();
  const HashMask mask(1 - p, seed);
  const double scale = p < 1 ? 1 / (1 - p) : 0;
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "dropout_apply", [&] {
    const scalar_t* in = x.data_ptr<scalar_t>();
    scalar_t* out = dst.data_ptr<scalar_t>();
    for_mask_blocks(x.numel(), mask, [&](int64_t begin, int64_t end, uint32_t key) {
      dropout_range<scalar_t>(in, out, begin, end, key, mask.threshold, static_cast<scalar_t>(scale));
    });
  });
}

// dropout(x, p, seed): x with elements dropped (see dropout_apply); also its own gradient's kernel
STRATA_KERNEL(dropout) {
  const at::Tensor& x = a.tensor(0);
  at::Tensor y = at::empty(x.sizes(), x.options().memory_format(at::MemoryFormat::Contiguous));
  dropout_apply(x, y, a.f64(1), static_cast<uint64_t>(a.i64(2)));
  return a.ret(y);
}

// bernoulli(shape, p, dtype, seed, deviceType?, deviceIndex?): 1 with probability p (see bernoulli_fill)
STRATA_KERNEL(bernoulli) {
  auto shape = a.int_list(0);
  double p = a.f64(1);
  at::ScalarType st = a.dtype(2);
  uint64_t seed = static_cast<uint64_t>(a.i64(3));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(st).device(device_arg(a, 4)));
  bernoulli_fill(t, p, seed, 1);
  return a.ret(t);
}

void register_tensor(napi_env env, napi_value exports) {
  define(env, exports, "fromData", from_data);
  define(env, exports, "read", read);
  define(env, exports, "full", full);
  define(env, exports, "cast", cast);
  define(env, exports, "contiguous", contiguous);
  define(env, exports, "view", view);
  define(env, exports, "permute", permute);
  define(env, exports, "expand", expand);
  define(env, exports, "slice", slice);
  define(env, exports, "copy_", copy_);
  define(env, exports, "fill_", fill_);
  define(env, exports, "add_", add_);
  define(env, exports, "mul_", mul_);
  define(env, exports, "bernoulli", bernoulli);
  define(env, exports, "dropout", dropout);
}

}  // namespace strata

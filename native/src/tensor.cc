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


// fromData(typedArray, shape, dtype): copies a canonical typed array into a new tensor
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
  at::ScalarType st = a.dtype(2);
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(st).device(at::kCPU));
  size_t nbytes = t.numel() * t.element_size();
  if (length * t.element_size() != nbytes) throw ArgError("typed array length does not match the shape");
  if (nbytes) std::memcpy(t.data_ptr(), data, nbytes);
  if (default_device() != at::Device(at::kCPU)) t = t.to(default_device());
  return a.ret(t);
}

// read(x): a row-major copy in a new typed array of the canonical type
STRATA_KERNEL(read) {
  at::Tensor t = a.tensor(0).to(at::kCPU).contiguous();
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
  return a.ret(at::full(shape, v, at::TensorOptions().dtype(st).device(default_device())));
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
  if (a.scalar_or_tensor(1, s, t)) dst.add_(t, alpha);
  else dst.add_(s.toDouble() * alpha);
  return nullptr;
}
STRATA_KERNEL(mul_) {
  at::Tensor& dst = a.tensor(0);
  at::Scalar s;
  at::Tensor t;
  if (a.scalar_or_tensor(1, s, t)) dst.mul_(t);
  else dst.mul_(s);
  return nullptr;
}

static inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

// NOTE: ATen's CPU bernoulli_ draws every element through a locked generator (about 10 ns an element, a
// tenth of a transformer's training step with dropout); hashing the element's index is parallel and
// needs no state, and a js loop can draw the very same mask.
void bernoulli_fill(at::Tensor& t, double p, uint64_t seed, double value) {
  if (!t.device().is_cpu() || !t.is_contiguous()) {
    at::Generator gen = at::detail::createCPUGenerator(seed);
    t.copy_(at::empty_like(t, t.options().dtype(at::kFloat)).bernoulli_(p, gen).mul_(value));
    return;
  }
  const uint32_t s = fmix32(static_cast<uint32_t>(seed) ^ 0x5bd1e995u);
  // u < p·2^24 for a 24-bit integer u is u < ⌈p·2^24⌉
  const uint32_t threshold = static_cast<uint32_t>(std::ceil(std::min(std::max(p, 0.0), 1.0) * 16777216.0));
  AT_DISPATCH_ALL_TYPES_AND(at::kBool, t.scalar_type(), "bernoulli_fill", [&] {
    scalar_t* d = t.data_ptr<scalar_t>();
    const scalar_t on = static_cast<scalar_t>(value), off = static_cast<scalar_t>(0);
    at::parallel_for(0, t.numel(), 1 << 16, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end;) {
        // elements past 2^32 (beyond any js array) rehash the seed with the index's high word
        const int64_t hi = i >> 32, stop = std::min(end, (hi + 1) << 32);
        const uint32_t si = hi ? fmix32(s ^ (static_cast<uint32_t>(hi) * 0x85ebca6bu)) : s;
        for (; i < stop; i++) d[i] = (fmix32((static_cast<uint32_t>(i) * 0x9e3779b9u) ^ si) >> 8) < threshold ? on : off;
      }
    });
  });
}

// bernoulli(shape, p, dtype, seed): 1 with probability p (see bernoulli_fill)
STRATA_KERNEL(bernoulli) {
  auto shape = a.int_list(0);
  double p = a.f64(1);
  at::ScalarType st = a.dtype(2);
  uint64_t seed = static_cast<uint64_t>(a.i64(3));
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(st).device(default_device()));
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
}

}  // namespace strata

// Devices: moving tensors between CPU and CUDA, CUDA's device list, synchronisation, the caching
// allocator's memory counters, TF32 switches and pinned host memory. Without a CUDA libtorch the CUDA
// queries answer "none" and the moves throw ATen's own error.
#include "common.h"

#ifdef STRATA_CUDA
#ifndef STRATA_CUDA_LITE
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>
#endif
#endif

namespace strata {

at::Device device_arg(Args& a, size_t i) {
  if (a.is_nullish(i)) return at::Device(at::kCPU);
  const int64_t type = a.i64(i);
  const int64_t index = a.is_nullish(i + 1) ? 0 : a.i64(i + 1);
  if (type == 0) return at::Device(at::kCPU);
  if (type == 1) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  throw ArgError("unknown device type code " + std::to_string(type));
}

static int64_t cuda_count() { return at::hasCUDA() ? static_cast<int64_t>(at::detail::getCUDAHooks().getNumGPUs()) : 0; }

static void check_cuda_index(int64_t i) {
  const int64_t n = cuda_count();
  if (i < 0 || i >= n) throw ArgError("CUDA device " + std::to_string(i) + " does not exist (" + std::to_string(n) + " device(s))");
}

}  // namespace strata

using namespace strata;

// toDevice(x, type, index, nonBlocking): x on that device (x itself when it is there already)
STRATA_KERNEL(to_device) {
  at::Tensor& x = a.tensor(0);
  const at::Device d = device_arg(a, 1);
  const bool non_blocking = !a.is_nullish(3) && a.boolean(3);
  if (x.device() == d) return a.ret(x);
  return a.ret(x.to(d, non_blocking, /*copy=*/false));
}

// cudaDeviceCount(): 0 without a CUDA libtorch or driver
STRATA_KERNEL(cuda_device_count) { return a.ret_number(static_cast<double>(cuda_count())); }

// cudaSupport(): how this addon was built: 'none' (CPU libtorch), 'lite' (no CUDA headers: no device
// properties or memory counters), 'full'
STRATA_KERNEL(cuda_support) {
  napi_value v;
#if defined(STRATA_CUDA) && !defined(STRATA_CUDA_LITE)
  const char* s = "full";
#elif defined(STRATA_CUDA)
  const char* s = "lite";
#else
  const char* s = "none";
#endif
  napi_create_string_utf8(a.env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

// cudaDeviceProperties(i) -> {name, totalMemory, major, minor, multiProcessorCount}
STRATA_KERNEL(cuda_device_properties) {
  const int64_t i = a.i64(0);
  check_cuda_index(i);
  napi_value obj, v;
  napi_create_object(a.env, &obj);
#if defined(STRATA_CUDA) && !defined(STRATA_CUDA_LITE)
  cudaDeviceProp p;
  if (cudaGetDeviceProperties(&p, static_cast<int>(i)) != cudaSuccess) throw ArgError("cudaGetDeviceProperties failed");
  napi_create_string_utf8(a.env, p.name, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(a.env, obj, "name", v);
  napi_create_double(a.env, static_cast<double>(p.totalGlobalMem), &v);
  napi_set_named_property(a.env, obj, "totalMemory", v);
  napi_create_int32(a.env, p.major, &v);
  napi_set_named_property(a.env, obj, "major", v);
  napi_create_int32(a.env, p.minor, &v);
  napi_set_named_property(a.env, obj, "minor", v);
  napi_create_int32(a.env, p.multiProcessorCount, &v);
  napi_set_named_property(a.env, obj, "multiProcessorCount", v);
#else
  napi_create_string_utf8(a.env, "CUDA device", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(a.env, obj, "name", v);
#endif
  return obj;
}

// cudaSynchronize(i): waits for every kernel queued on device i
STRATA_KERNEL(cuda_synchronize) {
  const int64_t i = a.i64(0);
  check_cuda_index(i);
#if defined(STRATA_CUDA) && !defined(STRATA_CUDA_LITE)
  int prev = 0;
  cudaGetDevice(&prev);
  cudaSetDevice(static_cast<int>(i));
  const cudaError_t e = cudaDeviceSynchronize();
  cudaSetDevice(prev);
  if (e != cudaSuccess) throw ArgError(std::string("cudaDeviceSynchronize: ") + cudaGetErrorString(e));
#else
  // a tiny device-to-host copy waits for the device's queue
  at::zeros({1}, at::TensorOptions().device(at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(i)))).to(at::kCPU);
#endif
  return nullptr;
}

// cudaMemoryStats(i) -> [allocated, maxAllocated, reserved, maxReserved] bytes of the caching allocator
STRATA_KERNEL(cuda_memory_stats) {
  const int64_t i = a.i64(0);
  check_cuda_index(i);
  double out[4] = {0, 0, 0, 0};
#if defined(STRATA_CUDA) && !defined(STRATA_CUDA_LITE)
  const auto s = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(i));
  out[0] = static_cast<double>(s.allocated_bytes[0].current);
  out[1] = static_cast<double>(s.allocated_bytes[0].peak);
  out[2] = static_cast<double>(s.reserved_bytes[0].current);
  out[3] = static_cast<double>(s.reserved_bytes[0].peak);
#else
  throw ArgError("memory statistics need an addon built with CUDA's headers (see scripts/gpu-check.sh)");
#endif
  napi_value arr, v;
  napi_create_array_with_length(a.env, 4, &arr);
  for (uint32_t k = 0; k < 4; k++) {
    napi_create_double(a.env, out[k], &v);
    napi_set_element(a.env, arr, k, v);
  }
  return arr;
}

// cudaResetPeakMemoryStats(i)
STRATA_KERNEL(cuda_reset_peak) {
  const int64_t i = a.i64(0);
  check_cuda_index(i);
#if defined(STRATA_CUDA) && !defined(STRATA_CUDA_LITE)
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(i));
#endif
  return nullptr;
}

// cudaEmptyCache(): returns the caching allocator's unused blocks to the driver
STRATA_KERNEL(cuda_empty_cache) {
#if defined(STRATA_CUDA) && !defined(STRATA_CUDA_LITE)
  if (cuda_count() > 0) c10::cuda::CUDACachingAllocator::emptyCache();
#endif
  return nullptr;
}

// setAllowTF32(matmul|null, cudnn|null) -> [matmul, cudnn] after the change
STRATA_KERNEL(set_allow_tf32) {
  auto& ctx = at::globalContext();
  if (!a.is_nullish(0)) ctx.setAllowTF32CuBLAS(a.boolean(0));
  if (!a.is_nullish(1)) ctx.setAllowTF32CuDNN(a.boolean(1));
  napi_value arr, v;
  napi_create_array_with_length(a.env, 2, &arr);
  napi_get_boolean(a.env, ctx.allowTF32CuBLAS(), &v);
  napi_set_element(a.env, arr, 0, v);
  napi_get_boolean(a.env, ctx.allowTF32CuDNN(), &v);
  napi_set_element(a.env, arr, 1, v);
  return arr;
}

// pinMemory(x): a copy of CPU tensor x in page-locked memory (for asynchronous host-to-device copies)
STRATA_KERNEL(pin_memory) {
  at::Tensor& x = a.tensor(0);
  if (!x.device().is_cpu()) throw ArgError("only CPU tensors can be pinned");
  return a.ret(x.is_pinned() ? x : x.pin_memory());
}

// isPinned(x)
STRATA_KERNEL(is_pinned) {
  napi_value v;
  napi_get_boolean(a.env, a.tensor(0).is_pinned(), &v);
  return v;
}

namespace strata {
void register_device(napi_env env, napi_value exports) {
  define(env, exports, "toDevice", to_device);
  define(env, exports, "cudaDeviceCount", cuda_device_count);
  define(env, exports, "cudaSupport", cuda_support);
  define(env, exports, "cudaDeviceProperties", cuda_device_properties);
  define(env, exports, "cudaSynchronize", cuda_synchronize);
  define(env, exports, "cudaMemoryStats", cuda_memory_stats);
  define(env, exports, "cudaResetPeakMemoryStats", cuda_reset_peak);
  define(env, exports, "cudaEmptyCache", cuda_empty_cache);
  define(env, exports, "setAllowTF32", set_allow_tf32);
  define(env, exports, "pinMemory", pin_memory);
  define(env, exports, "isPinned", is_pinned);
}
}  // namespace strata

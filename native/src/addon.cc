// The addon's entry: the slot table, argument helpers, and registration of every op family.
#include "common.h"

#include <ATen/Parallel.h>
#include <torch/csrc/api/include/torch/version.h>
#include <cmath>
#include <dlfcn.h>
#include <cstdlib>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <cstring>

namespace strata {

SlotTable& slots() {
  static SlotTable table;
  return table;
}

// NOTE: napi_adjust_external_memory costs about a microsecond, as much as a small kernel; the GC only
// needs the pressure roughly, so it is told in steps of kAdjustStep bytes.
static constexpr int64_t kAdjustStep = 4 << 20;
static int64_t pending_adjust = 0;
static void account(napi_env env, int64_t delta) {
  pending_adjust += delta;
  if (pending_adjust >= kAdjustStep || pending_adjust <= -kAdjustStep) {
    int64_t adjusted;
    napi_adjust_external_memory(env, pending_adjust, &adjusted);
    pending_adjust = 0;
  }
}

// NOTE: a tensor's storage is reported to V8 as external memory only once the JS side hands the tensor
// to its finalizer (trackExternal): tensors inside tidy() scopes or disposed at once are freed
// deterministically, and reporting them made V8 run a full mark-compact every ~100 MB of activations
// (three per step of a small GPT, ~13% extra CPU on its helper threads) to find nothing to free.
int32_t put(napi_env env, at::Tensor t) {
  SlotTable& s = slots();
  int64_t bytes = 0;
  if (t.defined() && t.has_storage() && t.storage().use_count() == 1) bytes = static_cast<int64_t>(t.storage().nbytes());
  int32_t id;
  if (!s.free_list.empty()) {
    id = s.free_list.back();
    s.free_list.pop_back();
    s.tensors[id] = std::move(t);
    s.bytes[id] = bytes;
    s.gc_counted[id] = 0;
  } else {
    id = static_cast<int32_t>(s.tensors.size());
    s.tensors.push_back(std::move(t));
    s.bytes.push_back(bytes);
    s.gc_counted.push_back(0);
  }
  s.live++;
  s.live_bytes += bytes;
  return id;
}

void release(napi_env env, int32_t id) {
  SlotTable& s = slots();
  if (id < 0 || static_cast<size_t>(id) >= s.tensors.size() || !s.tensors[id].defined()) return;
  s.tensors[id].reset();
  s.live_bytes -= s.bytes[id];
  if (s.gc_counted[id]) account(env, -s.bytes[id]);
  s.bytes[id] = 0;
  s.gc_counted[id] = 0;
  s.live--;
  s.free_list.push_back(id);
}

// trackExternal(slots: number[]): reports these tensors' storage to V8 (they are now the finalizer's).
STRATA_KERNEL(track_external) {
  SlotTable& s = slots();
  for (int64_t id : a.int_list(0)) {
    if (id < 0 || static_cast<size_t>(id) >= s.tensors.size() || !s.tensors[id].defined() || s.gc_counted[id]) continue;
    s.gc_counted[id] = 1;
    if (s.bytes[id]) account(a.env, s.bytes[id]);
  }
  return nullptr;
}

at::ScalarType scalar_type(int32_t code) {
  switch (code) {
    case kF32: return at::kFloat;
    case kF64: return at::kDouble;
    case kI32: return at::kInt;
    case kI64: return at::kLong;
    case kBool: return at::kBool;
    case kBF16: return at::kBFloat16;
    case kF16: return at::kHalf;
  }
  throw ArgError("unknown dtype code " + std::to_string(code));
}

int32_t dtype_code(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return kF32;
    case at::kDouble: return kF64;
    case at::kInt: return kI32;
    case at::kLong: return kI64;
    case at::kBool: return kBool;
    case at::kBFloat16: return kBF16;
    case at::kHalf: return kF16;
    default: throw ArgError(std::string("unsupported dtype ") + c10::toString(t));
  }
}

at::Scalar number_scalar(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v)) && std::abs(v) < 9.0e15) return at::Scalar(static_cast<int64_t>(v));
  return at::Scalar(v);
}

at::Tensor wrapped_scalar(double v) {
  at::Scalar s = number_scalar(v);
  at::Tensor t = at::scalar_tensor(s, at::TensorOptions().dtype(s.isIntegral(false) ? at::kLong : at::kDouble));
  t.unsafeGetTensorImpl()->set_wrapped_number(true);
  return t;
}

at::Tensor operand(Args& a, size_t i) {
  at::Scalar s;
  at::Tensor t;
  if (a.scalar_or_tensor(i, s, t)) return t;
  return wrapped_scalar(s.toDouble());
}

at::Tensor as_dtype(const at::Tensor& t, at::ScalarType want) {
  return t.scalar_type() == want ? t : t.to(want);
}

Args::Args(napi_env e, napi_callback_info info) : env(e) {
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
}

static void check(napi_status st, const char* what) {
  if (st != napi_ok) throw ArgError(what);
}

at::Tensor& Args::tensor(size_t i) {
  int32_t id;
  if (i >= argc) throw ArgError("missing tensor argument " + std::to_string(i));
  check(napi_get_value_int32(env, argv[i], &id), "expected a tensor slot number");
  SlotTable& s = slots();
  if (id < 0 || static_cast<size_t>(id) >= s.tensors.size() || !s.tensors[id].defined()) {
    throw ArgError("tensor slot " + std::to_string(id) + " is not live (disposed tensor?)");
  }
  return s.tensors[id];
}

bool Args::is_nullish(size_t i) {
  if (i >= argc) return true;
  napi_valuetype t;
  napi_typeof(env, argv[i], &t);
  return t == napi_null || t == napi_undefined;
}

bool Args::is_number(size_t i) {
  if (i >= argc) return false;
  napi_valuetype t;
  napi_typeof(env, argv[i], &t);
  return t == napi_number;
}

at::Tensor Args::opt_tensor(size_t i) {
  if (is_nullish(i)) return at::Tensor();
  return tensor(i);
}

int64_t Args::i64(size_t i) {
  int64_t v;
  if (i >= argc) throw ArgError("missing integer argument " + std::to_string(i));
  check(napi_get_value_int64(env, argv[i], &v), "expected an integer");
  return v;
}

double Args::f64(size_t i) {
  double v;
  if (i >= argc) throw ArgError("missing number argument " + std::to_string(i));
  check(napi_get_value_double(env, argv[i], &v), "expected a number");
  return v;
}

bool Args::boolean(size_t i) {
  bool v;
  if (i >= argc) throw ArgError("missing boolean argument " + std::to_string(i));
  check(napi_get_value_bool(env, argv[i], &v), "expected a boolean");
  return v;
}

std::vector<int64_t> Args::int_list(size_t i) {
  uint32_t n;
  if (i >= argc) throw ArgError("missing list argument " + std::to_string(i));
  check(napi_get_array_length(env, argv[i], &n), "expected an array of integers");
  std::vector<int64_t> out(n);
  for (uint32_t k = 0; k < n; k++) {
    napi_value v;
    napi_get_element(env, argv[i], k, &v);
    check(napi_get_value_int64(env, v, &out[k]), "expected an array of integers");
  }
  return out;
}

std::vector<at::Tensor> Args::tensor_list(size_t i) {
  std::vector<int64_t> ids = int_list(i);
  std::vector<at::Tensor> out;
  out.reserve(ids.size());
  SlotTable& s = slots();
  for (int64_t id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= s.tensors.size() || !s.tensors[id].defined()) throw ArgError("tensor slot is not live");
    out.push_back(s.tensors[id]);
  }
  return out;
}

bool Args::scalar_or_tensor(size_t i, at::Scalar& sc, at::Tensor& t) {
  // JS passes an operand as two arguments: a slot (-1 for a number) and the number
  int64_t id = i64(i);
  if (id < 0) {
    sc = at::Scalar(f64(i + 1));
    return false;
  }
  t = tensor(i);
  return true;
}

napi_value Args::ret(const at::Tensor& t) {
  napi_value v;
  napi_create_int32(env, put(env, t), &v);
  return v;
}

napi_value Args::ret_list(const std::vector<at::Tensor>& ts) {
  napi_value arr;
  napi_create_array_with_length(env, ts.size(), &arr);
  for (size_t k = 0; k < ts.size(); k++) {
    napi_value v;
    if (ts[k].defined()) napi_create_int32(env, put(env, ts[k]), &v);
    else napi_get_null(env, &v);
    napi_set_element(env, arr, k, v);
  }
  return arr;
}

napi_value Args::ret_list(std::initializer_list<at::Tensor> ts) { return ret_list(std::vector<at::Tensor>(ts)); }

napi_value Args::ret_undefined() {
  napi_value v;
  napi_get_undefined(env, &v);
  return v;
}

napi_value Args::ret_number(double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

void throw_js(napi_env env, const char* kernel, const std::string& what) {
  // keep the first line of ATen's message: the rest is a C++ stack
  std::string msg = what.substr(0, what.find('\n'));
  std::string full = std::string(kernel) + ": " + msg;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "STRATA_NATIVE", full.c_str());
}

void define(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);
  napi_set_named_property(env, exports, name, f);
}

void register_tensor(napi_env, napi_value);
void register_elementwise(napi_env, napi_value);
void register_reduce(napi_env, napi_value);
void register_linalg(napi_env, napi_value);
void register_shape(napi_env, napi_value);
void register_indexing(napi_env, napi_value);
void register_conv(napi_env, napi_value);
void register_quantized(napi_env, napi_value);
void register_norm(napi_env, napi_value);
void register_loss(napi_env, napi_value);
void register_optim(napi_env, napi_value);
void register_rnn(napi_env, napi_value);
void register_attention(napi_env, napi_value);
void register_device(napi_env, napi_value);
void register_distributed(napi_env, napi_value);

}  // namespace strata

using namespace strata;

STRATA_KERNEL(free_slot) {
  int32_t id = static_cast<int32_t>(a.i64(0));
  release(a.env, id);
  return nullptr;
}

STRATA_KERNEL(stats) {
  napi_value arr;
  napi_create_array_with_length(a.env, 2, &arr);
  napi_value v;
  napi_create_double(a.env, static_cast<double>(slots().live), &v);
  napi_set_element(a.env, arr, 0, v);
  napi_create_double(a.env, static_cast<double>(slots().live_bytes), &v);
  napi_set_element(a.env, arr, 1, v);
  return arr;
}

STRATA_KERNEL(set_num_threads) {
  int64_t n = a.i64(0);
  if (n < 1) throw ArgError("thread count must be >= 1");
  at::set_num_threads(static_cast<int>(n));
  // ATen sets OpenMP's (and MKL's) thread count but not a pthreads OpenBLAS's, which ATen's matmuls call
  // (Debian's libtorch uses the system BLAS): without this, `--threads 1` still ran BLAS on every core.
  using SetThreads = void (*)(int);
  for (const char* sym : {"openblas_set_num_threads", "goto_set_num_threads", "bli_thread_set_num_threads"}) {
    if (auto f = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, sym))) {
      f(static_cast<int>(n));
      break;
    }
  }
  return nullptr;
}

STRATA_KERNEL(info) {
  napi_value obj, v;
  napi_create_object(a.env, &obj);
  std::string ver = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." + std::to_string(TORCH_VERSION_PATCH);
  napi_create_string_utf8(a.env, ver.c_str(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(a.env, obj, "version", v);
  napi_create_int32(a.env, at::get_num_threads(), &v);
  napi_set_named_property(a.env, obj, "threads", v);
  std::string par = at::get_parallel_info();
  napi_create_string_utf8(a.env, par.c_str(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(a.env, obj, "parallel", v);
  napi_get_boolean(a.env, at::hasCUDA(), &v);
  napi_set_named_property(a.env, obj, "cuda", v);
  return obj;
}

// glibc returns freed blocks above its mmap threshold to the kernel and trims the heap top as soon as
// 128 KiB lie free, so every training step re-faults the pages of its activations and gradients (a
// CNN step on a 64×1×28×28 batch took ~4,000 page faults and a third of its time). Raising both limits
// keeps that memory in the process for the next step, as PyTorch's caching allocators do; an explicit
// MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ / GLIBC_TUNABLES in the environment, or STRATA_MALLOPT=0, wins.
static void tune_malloc() {
#if defined(__GLIBC__)
  const char* off = std::getenv("STRATA_MALLOPT");
  if (off && std::strcmp(off, "0") == 0) return;
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, 32 << 20);
  if (!std::getenv("MALLOC_TRIM_THRESHOLD_")) mallopt(M_TRIM_THRESHOLD, 256 << 20);
  // Every tensor allocation above the fastbin sizes made glibc consolidate the fastbins that the small
  // freed blocks of the previous op (TensorImpl, storage) had filled: ~4% of a small op's time. Without
  // fastbins small blocks still come from the per-thread cache; 1,000 adds of 64×64 went 1.18 → 1.12 ms.
  if (!std::getenv("GLIBC_TUNABLES")) mallopt(M_MXFAST, 0);
#endif
}

NAPI_MODULE_INIT() {
  tune_malloc();
  define(env, exports, "free", free_slot);
  define(env, exports, "stats", stats);
  define(env, exports, "trackExternal", track_external);
  define(env, exports, "setNumThreads", set_num_threads);
  define(env, exports, "info", info);
  register_tensor(env, exports);
  register_elementwise(env, exports);
  register_reduce(env, exports);
  register_linalg(env, exports);
  register_shape(env, exports);
  register_indexing(env, exports);
  register_conv(env, exports);
  register_norm(env, exports);
  register_loss(env, exports);
  register_optim(env, exports);
  register_rnn(env, exports);
  register_attention(env, exports);
  register_quantized(env, exports);
  register_device(env, exports);
  register_distributed(env, exports);
  return exports;
}

// Distributed: c10d's TCPStore and ProcessGroupGloo (the engine torch.distributed uses), with collectives
// that run on gloo's threads and a waiter thread that reports each Work's completion to JS.
#include "common.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace strata {

namespace {

using ms = std::chrono::milliseconds;

// ---- stores and process groups, addressed by small integers from JS

std::vector<c10::intrusive_ptr<c10d::Store>>& stores() {
  static auto* v = new std::vector<c10::intrusive_ptr<c10d::Store>>();
  return *v;
}
std::vector<c10::intrusive_ptr<c10d::ProcessGroup>>& groups() {
  static auto* v = new std::vector<c10::intrusive_ptr<c10d::ProcessGroup>>();
  return *v;
}

// Per group: its store and a flag that stops its heartbeat thread.
struct GroupExtra {
  c10::intrusive_ptr<c10d::Store> store;
  std::shared_ptr<std::atomic<bool>> stop;
  int size = 0;
};
std::vector<GroupExtra>& extras() {
  static auto* v = new std::vector<GroupExtra>();
  return *v;
}

// Every 250 ms each rank counts up its key "strata/hb/<rank>" in the store, from a thread of its own (a
// rank busy in a long kernel still beats). When a collective fails, the ranks whose count stood still are
// the ones that died.
void heartbeat(c10::intrusive_ptr<c10d::Store> store, int rank, std::shared_ptr<std::atomic<bool>> stop) {
  const std::string key = "strata/hb/" + std::to_string(rank);
  while (!stop->load()) {
    try {
      store->add(key, 1);
    } catch (...) {
      return;  // the store (rank 0) is gone
    }
    std::this_thread::sleep_for(ms(250));
  }
}

c10::intrusive_ptr<c10d::Store>& store_at(int64_t id) {
  auto& s = stores();
  if (id < 0 || id >= static_cast<int64_t>(s.size()) || !s[id]) throw ArgError("no such store (destroyed?)");
  return s[id];
}
c10::intrusive_ptr<c10d::ProcessGroup>& group_at(int64_t id) {
  auto& g = groups();
  if (id < 0 || id >= static_cast<int64_t>(g.size()) || !g[id]) {
    throw ArgError("the process group was destroyed (or never made): call initProcessGroup first");
  }
  return g[id];
}

// ---- in-flight collectives: a waiter thread waits on each Work in turn, runs its finishing step (copy a
// flat buffer back, scale an average) and tells JS through a threadsafe function. A JS thread that must
// have the result now (the end of DDP's backward) waits on the job's condition variable instead.

struct Job {
  int64_t id;
  c10::intrusive_ptr<c10d::Work> work;
  std::function<void()> finish;  // after success, on the waiter thread
  bool done = false;
  std::string error;
};

struct Waiter {
  std::mutex mu;
  std::condition_variable cv;       // signals the waiter thread: a job was queued
  std::condition_variable done_cv;  // signals sync waits: a job finished
  std::deque<std::shared_ptr<Job>> queue;
  std::unordered_map<int64_t, std::shared_ptr<Job>> jobs;
  int64_t next_id = 1;
  napi_threadsafe_function tsfn = nullptr;
  int64_t pending = 0;  // jobs whose completion JS has not been told yet (main thread only)
  bool started = false;
};
Waiter& waiter() {
  static auto* w = new Waiter();  // never destroyed: the detached thread may outlive static destructors
  return *w;
}

void waiter_loop() {
  Waiter& w = waiter();
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(w.mu);
      w.cv.wait(lock, [&] { return !w.queue.empty(); });
      job = w.queue.front();
      w.queue.pop_front();
    }
    std::string error;
    try {
      c10::InferenceMode guard;
      job->work->wait();
      if (job->finish) job->finish();
    } catch (const c10::Error& e) {
      error = e.what_without_backtrace();
    } catch (const std::exception& e) {
      error = e.what();
      if (error.empty()) error = "unknown c10d error";
    }
    {
      std::lock_guard<std::mutex> lock(w.mu);
      job->done = true;
      job->error = error;
      job->work.reset();
      job->finish = nullptr;
    }
    w.done_cv.notify_all();
    if (w.tsfn) napi_call_threadsafe_function(w.tsfn, new int64_t(job->id), napi_tsfn_blocking);
  }
}

// Runs on the main thread: hands (id, error|null) to the JS callback.
void call_js(napi_env env, napi_value cb, void*, void* data) {
  int64_t id = *static_cast<int64_t*>(data);
  delete static_cast<int64_t*>(data);
  Waiter& w = waiter();
  std::string error;
  {
    std::lock_guard<std::mutex> lock(w.mu);
    auto it = w.jobs.find(id);
    if (it != w.jobs.end()) {
      error = it->second->error;
      w.jobs.erase(it);
    }
  }
  if (--w.pending == 0 && env) napi_unref_threadsafe_function(env, w.tsfn);
  if (!env || !cb) return;
  napi_value argv[2], undefined;
  napi_create_int64(env, id, &argv[0]);
  if (error.empty()) napi_get_null(env, &argv[1]);
  else napi_create_string_utf8(env, error.c_str(), NAPI_AUTO_LENGTH, &argv[1]);
  napi_get_undefined(env, &undefined);
  napi_call_function(env, undefined, cb, 2, argv, nullptr);
}

int64_t enqueue(napi_env env, c10::intrusive_ptr<c10d::Work> work, std::function<void()> finish) {
  Waiter& w = waiter();
  if (!w.tsfn) throw ArgError("internal: distSetCallback was not called");
  auto job = std::make_shared<Job>();
  job->work = std::move(work);
  job->finish = std::move(finish);
  {
    std::lock_guard<std::mutex> lock(w.mu);
    job->id = w.next_id++;
    w.jobs[job->id] = job;
    w.queue.push_back(job);
  }
  // NOTE: the threadsafe function keeps Node's event loop alive only while collectives are in flight, so
  // a script awaiting a Work does not exit early and an idle process group does not hold the process.
  if (w.pending++ == 0) napi_ref_threadsafe_function(env, w.tsfn);
  w.cv.notify_one();
  return job->id;
}

// NOTE: strata's kernels run under InferenceMode, so its tensors are inference tensors, which ATen refuses
// to update in place outside that mode; gloo's threads do just that. Collectives therefore run on a
// normal (non-inference) contiguous buffer, copied back into strata's tensors on the waiter thread.
at::Tensor normal_buffer(const std::vector<at::Tensor>& ts, const char* op) {
  c10::InferenceMode off(false);
  std::vector<at::Tensor> parts;
  for (auto& t : ts) {
    if (!t.defined()) throw ArgError(std::string(op) + ": undefined tensor");
    parts.push_back(t.reshape({-1}));
  }
  return parts.size() == 1 ? parts[0].clone(at::MemoryFormat::Contiguous) : at::cat(parts);
}

at::Tensor normal_empty_like(const at::Tensor& t) {
  c10::InferenceMode off(false);
  return at::empty(t.sizes(), t.options());
}

// A normal tensor over the same memory as the contiguous tensor t (which it keeps alive): a single
// contiguous tensor goes to gloo without a copy.
at::Tensor alias_normal(const at::Tensor& t) {
  c10::InferenceMode off(false);
  at::Tensor keep = t;
  return at::from_blob(t.data_ptr(), t.sizes(), [keep](void*) mutable { keep.reset(); }, t.options());
}

bool aliasable(const std::vector<at::Tensor>& ts) {
  return ts.size() == 1 && ts[0].defined() && ts[0].is_contiguous() && ts[0].device().is_cpu();
}

// Copies the flat buffer's parts back into the tensors (on the waiter thread).
void scatter_back(const at::Tensor& flat, std::vector<at::Tensor>& ts) {
  int64_t off = 0;
  for (auto& t : ts) {
    int64_t n = t.numel();
    t.copy_(flat.narrow(0, off, n).view(t.sizes()));
    off += n;
  }
}

c10d::ReduceOp reduce_op(int64_t code) {
  switch (code) {
    case 0: return c10d::ReduceOp(c10d::ReduceOp::SUM);
    case 2: return c10d::ReduceOp(c10d::ReduceOp::PRODUCT);
    case 3: return c10d::ReduceOp(c10d::ReduceOp::MIN);
    case 4: return c10d::ReduceOp(c10d::ReduceOp::MAX);
    default: throw ArgError("unknown reduce op code " + std::to_string(code));
  }
}

// ---- async construction (the TCPStore server waits for its workers; gloo connects a full mesh)

struct InitJob {
  napi_async_work work;
  napi_deferred deferred;
  std::function<int64_t()> run;
  int64_t result = -1;
  std::string error;
};

void init_execute(napi_env, void* data) {
  auto* j = static_cast<InitJob*>(data);
  try {
    j->result = j->run();
  } catch (const c10::Error& e) {
    j->error = e.what_without_backtrace();
  } catch (const std::exception& e) {
    j->error = e.what();
    if (j->error.empty()) j->error = "unknown c10d error";
  }
}

void init_complete(napi_env env, napi_status, void* data) {
  auto* j = static_cast<InitJob*>(data);
  napi_value v;
  if (j->error.empty()) {
    napi_create_int64(env, j->result, &v);
    napi_resolve_deferred(env, j->deferred, v);
  } else {
    napi_value msg;
    napi_create_string_utf8(env, j->error.c_str(), NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, nullptr, msg, &v);
    napi_reject_deferred(env, j->deferred, v);
  }
  napi_delete_async_work(env, j->work);
  delete j;
}

napi_value run_async(napi_env env, const char* name, std::function<int64_t()> run) {
  auto* j = new InitJob();
  j->run = std::move(run);
  napi_value promise, res_name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &res_name);
  napi_create_async_work(env, nullptr, res_name, init_execute, init_complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

std::string arg_string(Args& a, size_t i) {
  size_t len = 0;
  napi_get_value_string_utf8(a.env, a.argv[i], nullptr, 0, &len);
  std::string s(len, '\0');
  napi_get_value_string_utf8(a.env, a.argv[i], &s[0], len + 1, &len);
  return s;
}

}  // namespace

// distSetCallback(fn(id, error|null)): where completions are reported (once per process).
STRATA_KERNEL(dist_set_callback) {
  Waiter& w = waiter();
  if (w.tsfn) return nullptr;
  napi_value name;
  napi_create_string_utf8(a.env, "strata.distributed", NAPI_AUTO_LENGTH, &name);
  napi_create_threadsafe_function(a.env, a.argv[0], nullptr, name, 0, 1, nullptr, nullptr, nullptr, call_js, &w.tsfn);
  napi_unref_threadsafe_function(a.env, w.tsfn);
  if (!w.started) {
    w.started = true;
    std::thread(waiter_loop).detach();
  }
  return nullptr;
}

// distStoreCreate(host, port, isServer, worldSize, timeoutMs) → Promise<store id>: a TCPStore under the
// prefix "default_pg", as torch.distributed.init_process_group wraps its rendezvous store.
STRATA_KERNEL(dist_store_create) {
  std::string host = arg_string(a, 0);
  int64_t port = a.i64(1);
  bool is_server = a.boolean(2);
  int64_t world = a.i64(3);
  int64_t timeout = a.i64(4);
  return run_async(a.env, "distStoreCreate", [=]() -> int64_t {
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(port);
    o.isServer = is_server;
    o.numWorkers = static_cast<std::size_t>(world);
    o.waitWorkers = true;
    o.timeout = ms(timeout);
    o.multiTenant = true;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(host, o);
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("default_pg", tcp);
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    stores().push_back(prefixed);
    return static_cast<int64_t>(stores().size() - 1);
  });
}

// distStoreSet(store, key, value: string)
STRATA_KERNEL(dist_store_set) {
  auto& s = store_at(a.i64(0));
  std::string v = arg_string(a, 2);
  s->set(arg_string(a, 1), std::vector<uint8_t>(v.begin(), v.end()));
  return nullptr;
}

// distStoreGet(store, key, timeoutMs) → string (throws on timeout)
STRATA_KERNEL(dist_store_get) {
  auto& s = store_at(a.i64(0));
  std::string key = arg_string(a, 1);
  s->wait({key}, ms(a.i64(2)));
  auto v = s->get(key);
  napi_value out;
  napi_create_string_utf8(a.env, reinterpret_cast<const char*>(v.data()), v.size(), &out);
  return out;
}

// distStoreAdd(store, key, delta) → the new value
STRATA_KERNEL(dist_store_add) {
  return a.ret_number(static_cast<double>(store_at(a.i64(0))->add(arg_string(a, 1), a.i64(2))));
}

// distStoreCheck(store, key) → whether the key is set
STRATA_KERNEL(dist_store_check) {
  napi_value out;
  napi_get_boolean(a.env, store_at(a.i64(0))->check({arg_string(a, 1)}), &out);
  return out;
}

// distGroupCreate(store, backend, rank, worldSize, timeoutMs, deviceHost) → Promise<group id>. The group
// lives under the prefix "0" of the store, as torch.distributed's default group does, so that a
// torch.distributed process can join it.
STRATA_KERNEL(dist_group_create) {
  auto store = store_at(a.i64(0));
  std::string backend = arg_string(a, 1);
  int64_t rank = a.i64(2), world = a.i64(3), timeout = a.i64(4);
  std::string host = arg_string(a, 5);
  if (backend == "nccl") {
#ifndef USE_C10D_NCCL
    throw ArgError("backend 'nccl' needs a libtorch built with CUDA and NCCL; this addon was built without it (use backend 'gloo')");
#endif
  } else if (backend != "gloo") {
    throw ArgError("unknown backend '" + backend + "' (expected 'gloo' or 'nccl')");
  }
  return run_async(a.env, "distGroupCreate", [=]() -> int64_t {
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("0", store);
    c10::intrusive_ptr<c10d::ProcessGroup> pg;
#ifdef USE_C10D_NCCL
    if (backend == "nccl") {
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = ms(timeout);
      pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, rank, world, o);
    }
#endif
    if (!pg) {
      auto o = c10d::ProcessGroupGloo::Options::create(ms(timeout));
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      if (ifname && *ifname) o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (!host.empty()) o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(host));
      else o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      o->threads = 2;
      pg = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank, world, o);
    }
    // torch.distributed's init_process_group ends with a store-based barrier on key 1 of the outer store
    const std::string key = "store_based_barrier_key:1";
    store->add(key, 1);
    auto start = std::chrono::steady_clock::now();
    while (store->add(key, 0) < world) {
      if (std::chrono::steady_clock::now() - start > ms(timeout)) {
        throw std::runtime_error("timed out after " + std::to_string(timeout) + " ms waiting for all " + std::to_string(world) + " ranks in the store-based barrier");
      }
      std::this_thread::sleep_for(ms(10));
    }
    pg->setSequenceNumberForGroup();
    auto stop = std::make_shared<std::atomic<bool>>(false);
    std::thread(heartbeat, store, static_cast<int>(rank), stop).detach();
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    groups().push_back(pg);
    extras().push_back({store, stop, static_cast<int>(world)});
    return static_cast<int64_t>(groups().size() - 1);
  });
}

// distGroupDestroy(group): drops the group (gloo's threads finish queued work first).
STRATA_KERNEL(dist_group_destroy) {
  int64_t id = a.i64(0);
  auto& g = groups();
  if (id >= 0 && id < static_cast<int64_t>(g.size())) {
    g[id].reset();
    extras()[id].stop->store(true);
    extras()[id].store.reset();
  }
  return nullptr;
}

// distDeadRanks(group, windowMs) → the ranks whose heartbeat did not advance within windowMs (throws when
// the store, in rank 0's process, cannot be reached).
STRATA_KERNEL(dist_dead_ranks) {
  int64_t id = a.i64(0);
  if (id < 0 || id >= static_cast<int64_t>(extras().size()) || !extras()[id].store) throw ArgError("no such process group");
  GroupExtra& x = extras()[id];
  std::vector<int64_t> before(x.size), after(x.size);
  for (int r = 0; r < x.size; r++) before[r] = x.store->add("strata/hb/" + std::to_string(r), 0);
  std::this_thread::sleep_for(ms(a.i64(1)));
  napi_value arr, v;
  napi_create_array(a.env, &arr);
  uint32_t n = 0;
  for (int r = 0; r < x.size; r++) {
    after[r] = x.store->add("strata/hb/" + std::to_string(r), 0);
    if (after[r] == before[r]) {
      napi_create_int32(a.env, r, &v);
      napi_set_element(a.env, arr, n++, v);
    }
  }
  return arr;
}

// distStoreDestroy(store)
STRATA_KERNEL(dist_store_destroy) {
  int64_t id = a.i64(0);
  auto& s = stores();
  if (id >= 0 && id < static_cast<int64_t>(s.size())) s[id].reset();
  return nullptr;
}

// distAllReduce(group, tensors[], opCode, scale) → work id. The tensors are reduced as one flat buffer
// (a DDP bucket) and each receives its part of the result times `scale` (1/worldSize for an average).
STRATA_KERNEL(dist_all_reduce) {
  auto& pg = group_at(a.i64(0));
  std::vector<at::Tensor> ts = a.tensor_list(1);
  c10d::AllreduceOptions o;
  o.reduceOp = reduce_op(a.i64(2));
  double scale = a.f64(3);
  if (ts.empty()) throw ArgError("allReduce: no tensors");
  bool alias = aliasable(ts);
  at::Tensor flat = alias ? alias_normal(ts[0]) : normal_buffer(ts, "allReduce");
  std::vector<at::Tensor> bufs{flat};
  auto work = pg->allreduce(bufs, o);
  auto finish = [flat, ts, scale, alias]() mutable {
    if (scale != 1.0) flat.mul_(scale);
    if (!alias) scatter_back(flat, ts);
  };
  return a.ret_number(static_cast<double>(enqueue(a.env, work, finish)));
}

// distBroadcast(group, tensor, src) → work id (in place)
STRATA_KERNEL(dist_broadcast) {
  auto& pg = group_at(a.i64(0));
  std::vector<at::Tensor> ts{a.tensor(1)};
  bool alias = aliasable(ts);
  at::Tensor buf = alias ? alias_normal(ts[0]) : normal_buffer(ts, "broadcast");
  c10d::BroadcastOptions o;
  o.rootRank = a.i64(2);
  std::vector<at::Tensor> bufs{buf};
  auto work = pg->broadcast(bufs, o);
  auto finish = [buf, ts, alias]() mutable {
    if (!alias) scatter_back(buf, ts);
  };
  return a.ret_number(static_cast<double>(enqueue(a.env, work, finish)));
}

// distAllGather(group, tensor) → [work id, ...output slots] (one output per rank, valid once the work completes)
STRATA_KERNEL(dist_all_gather) {
  auto& pg = group_at(a.i64(0));
  at::Tensor src = a.tensor(1);
  at::Tensor in = normal_buffer({src}, "allGather").view(src.sizes());
  std::vector<std::vector<at::Tensor>> outs(1);
  for (int i = 0; i < pg->getSize(); i++) outs[0].push_back(normal_empty_like(in));
  std::vector<at::Tensor> ins{in};
  auto work = pg->allgather(outs, ins);
  napi_value arr, v;
  napi_create_array(a.env, &arr);
  napi_create_int64(a.env, enqueue(a.env, work, nullptr), &v);
  napi_set_element(a.env, arr, 0, v);
  for (size_t i = 0; i < outs[0].size(); i++) {
    napi_create_int32(a.env, put(a.env, outs[0][i]), &v);
    napi_set_element(a.env, arr, i + 1, v);
  }
  return arr;
}

// distReduceScatter(group, inputs[worldSize], opCode, scale) → [work id, output slot]. Gloo in libtorch 1.13
// has no reduce_scatter: the inputs are all-reduced as one buffer and each rank keeps its own part.
STRATA_KERNEL(dist_reduce_scatter) {
  auto& pg = group_at(a.i64(0));
  std::vector<at::Tensor> ins = a.tensor_list(1);
  c10d::AllreduceOptions o;
  o.reduceOp = reduce_op(a.i64(2));
  double scale = a.f64(3);
  int rank = pg->getRank();
  if (static_cast<int>(ins.size()) != pg->getSize()) throw ArgError("reduceScatter: expected one input per rank");
  at::Tensor flat = normal_buffer(ins, "reduceScatter");
  at::Tensor out = normal_empty_like(ins[rank]);
  int64_t off = 0;
  for (int i = 0; i < rank; i++) off += ins[i].numel();
  std::vector<at::Tensor> bufs{flat};
  auto work = pg->allreduce(bufs, o);
  auto finish = [flat, out, off, scale]() mutable {
    at::Tensor mine = flat.narrow(0, off, out.numel()).view(out.sizes());
    if (scale != 1.0) mine.mul_(scale);
    out.copy_(mine);
  };
  napi_value arr, v;
  napi_create_array(a.env, &arr);
  napi_create_int64(a.env, enqueue(a.env, work, finish), &v);
  napi_set_element(a.env, arr, 0, v);
  napi_create_int32(a.env, put(a.env, out), &v);
  napi_set_element(a.env, arr, 1, v);
  return arr;
}

// distBarrier(group) → work id
STRATA_KERNEL(dist_barrier) {
  auto& pg = group_at(a.i64(0));
  auto work = pg->barrier();
  return a.ret_number(static_cast<double>(enqueue(a.env, work, nullptr)));
}

// distWaitSync(work id) → error string or null: blocks this thread until the work is done. For the end of
// DDP's backward (the collectives themselves ran meanwhile on gloo's threads, as in PyTorch's reducer).
STRATA_KERNEL(dist_wait_sync) {
  Waiter& w = waiter();
  int64_t id = a.i64(0);
  std::string error;
  {
    std::unique_lock<std::mutex> lock(w.mu);
    auto it = w.jobs.find(id);
    if (it == w.jobs.end()) return a.ret_undefined();  // already reported to JS
    auto job = it->second;
    w.done_cv.wait(lock, [&] { return job->done; });
    error = job->error;
  }
  napi_value out;
  if (error.empty()) napi_get_null(a.env, &out);
  else napi_create_string_utf8(a.env, error.c_str(), NAPI_AUTO_LENGTH, &out);
  return out;
}

void register_distributed(napi_env env, napi_value exports) {
  define(env, exports, "distSetCallback", dist_set_callback);
  define(env, exports, "distStoreCreate", dist_store_create);
  define(env, exports, "distStoreSet", dist_store_set);
  define(env, exports, "distStoreGet", dist_store_get);
  define(env, exports, "distStoreAdd", dist_store_add);
  define(env, exports, "distStoreCheck", dist_store_check);
  define(env, exports, "distStoreDestroy", dist_store_destroy);
  define(env, exports, "distGroupCreate", dist_group_create);
  define(env, exports, "distGroupDestroy", dist_group_destroy);
  define(env, exports, "distAllReduce", dist_all_reduce);
  define(env, exports, "distBroadcast", dist_broadcast);
  define(env, exports, "distAllGather", dist_all_gather);
  define(env, exports, "distReduceScatter", dist_reduce_scatter);
  define(env, exports, "distBarrier", dist_barrier);
  define(env, exports, "distWaitSync", dist_wait_sync);
  define(env, exports, "distDeadRanks", dist_dead_ranks);
}

}  // namespace strata

#!/usr/bin/env bash
# The GPU check (issue 13): on a machine with an NVIDIA GPU and PyTorch but no Node.js, given a Node binary
# and this checkout (with dist/ already built), builds the addon against that PyTorch's libtorch with CUDA,
# runs the test suite with CUDA as the default device, then `bench:gpu` (strata and PyTorch side by side),
# writing bench/gpu-latest.json. Everything it prints also lands in $OUT (default ./gpu-out).
#   NODE=/path/to/node bash scripts/gpu-check.sh        (or .cache/gpu/node.xz, unpacked to /tmp/node)
#   NODE_INCLUDE=dir with node_api.h, js_native_api.h and their _types.h (default .cache/gpu/node-include)
# Phases have their own time limits (TEST_TIMEOUT, BENCH_TIMEOUT seconds) so that the whole check ends
# well inside 8 minutes on 16 cores.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=${OUT:-$root/gpu-out}
mkdir -p "$out" build/Release
log() { printf '[gpu-check %s] %s\n' "$(date +%T)" "$*" | tee -a "$out/summary.txt" >&2; }

# ---- Node.js
node=${NODE:-}
if [ -z "$node" ]; then
  if command -v node >/dev/null 2>&1; then node=$(command -v node)
  elif [ -f .cache/gpu/node.xz ]; then xz -dc .cache/gpu/node.xz > /tmp/node && chmod +x /tmp/node && node=/tmp/node
  else log "no Node.js: set NODE or put an xz'd binary at .cache/gpu/node.xz"; exit 2; fi
fi
log "node $("$node" --version)"
export PATH="$(dirname "$node"):$PATH"
[ -f dist/src/index.js ] || { log "dist/ is missing: build it first (npx tsc -p tsconfig.json) and carry it"; exit 2; }
node_inc=${NODE_INCLUDE:-.cache/gpu/node-include}
[ -f "$node_inc/node_api.h" ] || node_inc=/usr/include/node

# ---- the GPU and PyTorch
nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader 2>&1 | tee -a "$out/summary.txt"
py=${PYTHON:-python3}
read -r torch_dir abi torch_ver cuda_ver < <("$py" -c 'import torch,os;print(os.path.dirname(torch.__file__), int(torch.compiled_with_cxx11_abi()), torch.__version__, torch.version.cuda)')
log "PyTorch $torch_ver (CUDA $cuda_ver) at $torch_dir, cxx11 abi $abi"
cuda_inc=""
for d in "${CUDA_HOME:-}" /usr/local/cuda /usr/local/cuda-*; do
  [ -n "$d" ] && [ -f "$d/include/cuda_runtime_api.h" ] && { cuda_inc="$d/include"; break; }
done
[ -z "$cuda_inc" ] && cuda_inc=$(dirname "$(find / -name cuda_runtime_api.h -path '*include*' 2>/dev/null | head -1)" 2>/dev/null)
log "CUDA headers: ${cuda_inc:-none found (building the lite CUDA support)}"

# ---- build the addon (the same sources binding.gyp lists), in parallel
t0=$(date +%s)
flags=(-std=c++17 -O3 -fPIC -fexceptions -frtti -fno-math-errno -Wno-unused-parameter -Wno-deprecated-declarations
  -DNAPI_VERSION=9 -DUSE_C10D_GLOO -D_GLIBCXX_USE_CXX11_ABI="$abi" -DSTRATA_CUDA=1 -Inative/src -I"$node_inc"
  -I"$torch_dir/include" -I"$torch_dir/include/torch/csrc/api/include")
[ -n "$cuda_inc" ] && flags+=(-I"$cuda_inc") || flags+=(-DSTRATA_CUDA_LITE=1)
mkdir -p build/gpu-obj
srcs=$(grep -o 'native/src/[a-z_-]*\.cc' binding.gyp)
printf '%s\n' $srcs | xargs -P "$(nproc)" -I{} sh -c 'g++ "$@" -c {} -o build/gpu-obj/$(basename {} .cc).o 2> build/gpu-obj/$(basename {} .cc).err || { echo "FAILED {}"; cat build/gpu-obj/$(basename {} .cc).err | head -30; }' _ "${flags[@]}" | tee -a "$out/build.txt"
if [ ! -f build/gpu-obj/device.o ] && [ -n "$cuda_inc" ]; then
  log "device.cc failed with CUDA's headers; rebuilding it with the lite CUDA support"
  g++ "${flags[@]}" -DSTRATA_CUDA_LITE=1 -c native/src/device.cc -o build/gpu-obj/device.o 2>&1 | head -30 | tee -a "$out/build.txt"
fi
# a family that does not compile against this libtorch (c10d's and the quantized engines' C++ APIs change
# between releases) is replaced by an empty registration, so that the rest can be checked; the log says so
for src in $srcs; do
  b=$(basename "$src" .cc)
  if [ ! -f "build/gpu-obj/$b.o" ]; then
    log "$b.cc did not compile against PyTorch $torch_ver: its kernels are left out of this check (build.txt has the errors)"
    printf '#include "common.h"\nnamespace strata { void register_%s(napi_env, napi_value) {} }\n' "$b" > "build/gpu-obj/$b-stub.cc"
    g++ "${flags[@]}" -c "build/gpu-obj/$b-stub.cc" -o "build/gpu-obj/$b.o" 2>&1 | head -10 | tee -a "$out/build.txt"
  fi
done
g++ -shared -o build/Release/strata.node build/gpu-obj/*.o -L"$torch_dir/lib" -Wl,-rpath,"$torch_dir/lib" \
  -ltorch_cpu -lc10 -Wl,--no-as-needed -ltorch_cuda -lc10_cuda -ltorch -Wl,--as-needed 2>&1 | tail -20 | tee -a "$out/build.txt"
[ -f build/Release/strata.node ] || { log "addon build failed (see build.txt)"; exit 1; }
log "addon built in $(( $(date +%s) - t0 )) s"
"$node" -e '
  import("./dist/src/index.js").then((st) => {
    const n = st.cuda.deviceCount();
    console.log(`strata sees ${n} CUDA device(s)`);
    if (n) { const p = st.cuda.getDeviceProperties(0); console.log(JSON.stringify(p)); const x = st.randn([4, 4], { device: "cuda" }); console.log(String(x.device), x.matmul(x).sum().item()); }
  });' 2>&1 | tee -a "$out/summary.txt"

# ---- the test suite with CUDA as the default device
t0=$(date +%s)
STRATA_REQUIRE_NATIVE=1 STRATA_TEST_DEVICE=cuda TEST_CONCURRENCY=${TEST_CONCURRENCY:-8} PYTHON="$py" \
  timeout "${TEST_TIMEOUT:-230}" "$node" scripts/run-tests.mjs ${TESTS:-} > "$out/tests.txt" 2>&1
rc=$?
log "tests on CUDA: exit $rc in $(( $(date +%s) - t0 )) s; $(grep -E '^# (tests|pass|fail|skipped|cancelled)' "$out/tests.txt" | tr '\n' ' ')"
grep -E '^not ok|✖' "$out/tests.txt" | head -60 >> "$out/summary.txt"

# ---- the benchmark
t0=$(date +%s)
timeout "${BENCH_TIMEOUT:-240}" "$node" dist/bench/gpu-run.js --rounds "${ROUNDS:-2}" --python "$py" > "$out/bench.md" 2> "$out/bench.log"
log "bench:gpu exit $? in $(( $(date +%s) - t0 )) s"
cat "$out/bench.md" | tee -a "$out/summary.txt"
[ -f bench/gpu-latest.json ] && cp bench/gpu-latest.json "$out/"
exit 0

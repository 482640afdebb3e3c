#!/usr/bin/env bash
# Sets strata up on a Debian machine (installing only what is missing) and runs a task:
#   bash setup.sh          set up, then train the CNN on Fashion-MNIST (the main job)
#   bash setup.sh test     set up, then run the test suite
#   bash setup.sh bench    set up (with PyTorch and TensorFlow.js as peers), then run the benchmarks
#   bash setup.sh none     set up only
# Safe to run again: it is quiet when everything is present.
set -euo pipefail
cd "$(dirname "$0")"
task="${1:-train}"
shift || true

say() { printf 'setup: %s\n' "$*" >&2; }

# ---- Node.js
if ! command -v node >/dev/null 2>&1; then
  say "Node.js (>= 20) is required and was not found; install it first (https://nodejs.org or your distribution)"
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  say "Node.js $(node -v) is too old; strata needs Node.js 20 or newer"
  exit 1
fi

# ---- Debian packages
pkgs=(g++ make python3 libtorch-dev libgloo-dev libopenblas0-pthread dataset-fashion-mnist espeak-ng)
case "$task" in
  test) pkgs+=(bible-kjv-text chromium python3-torch python3-torchvision python3-onnx iproute2) ;;
  bench) pkgs+=(python3-torch bible-kjv-text) ;;
  train) pkgs+=(bible-kjv-text) ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "not a Debian system: please install the equivalents of: ${missing[*]} (strata falls back to its js backend without libtorch)"
  fi
fi

# ---- npm dependencies (only when the lock file changed)
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  # onnxruntime-node (a test dependency) carries its CPU binaries; its install script must fetch nothing more
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error >/dev/null
  touch node_modules/.package-lock.json
fi

# ---- the TensorFlow.js peer for benchmarks (270 MB, so not a dependency)
if [ "$task" = bench ] && [ ! -f node_modules/@tensorflow/tfjs/package.json ]; then
  say "installing @tensorflow/tfjs (benchmark peer)"
  npm install --no-save --no-audit --no-fund --loglevel=error @tensorflow/tfjs@4.22.0 >/dev/null
fi

# ---- build: TypeScript, then the native addon (both incremental)
npx --no-install tsc -p tsconfig.json
node scripts/build-native.mjs --quiet --if-possible

# ---- the `strata` command on the PATH, as `npm link` would put it: a link to bin/strata.js in npm's
# global bin folder (STRATA_NO_LINK=1 skips this; an unrelated `strata` found there is left alone)
if [ "${STRATA_NO_LINK:-0}" != 1 ]; then
  here="$(pwd)/bin/strata.js"
  bindir="$(npm prefix -g 2>/dev/null || echo /usr/local)/bin"
  current="$bindir/strata"
  if [ -L "$current" ] && [ "$(readlink -f "$current")" = "$(readlink -f "$here")" ]; then
    :
  elif [ -e "$current" ] && ! { [ -L "$current" ] && readlink "$current" | grep -q 'strata.js$'; }; then
    say "$current exists and is not strata's: not linking; run strata as 'node $here'"
  elif [ -w "$bindir" ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
    if [ -w "$bindir" ]; then ln -sfn "$here" "$current"; else sudo -n ln -sfn "$here" "$current"; fi
    say "linked the strata command: $current -> $here"
  else
    say "cannot write $bindir: run strata as 'node $here' (or put a link to it on your PATH)"
  fi
fi

case "$task" in
  test)
    export STRATA_REQUIRE_NATIVE="${STRATA_REQUIRE_NATIVE:-1}"
    exec node scripts/run-tests.mjs "$@"
    ;;
  bench)
    exec node dist/bench/run.js "$@"
    ;;
  train)
    exec node bin/strata.js train --model cnn --dataset fashion-mnist --epochs 5 --out runs/cnn-fashion-mnist "$@"
    ;;
  none) ;;
  *)
    say "unknown task '$task' (expected train, test, bench or none)"
    exit 2
    ;;
esac

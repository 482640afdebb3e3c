#!/usr/bin/env node
// Locates libtorch (ATen headers and libraries) for the addon build, in the order:
// $LIBTORCH / $TORCH_DIR, an installed PyTorch (python3 -c 'import torch'), Debian's libtorch-dev.
// Usage: node scripts/find-libtorch.mjs [--json | --include | --libdir | --libs | --defines | --describe]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function fromRoot(root, how) {
  const inc = join(root, 'include');
  const lib = join(root, 'lib');
  if (!existsSync(join(inc, 'ATen', 'ATen.h'))) return null;
  if (!existsSync(join(lib, 'libtorch_cpu.so')) && !existsSync(join(lib, 'libtorch.so'))) return null;
  const cuda = existsSync(join(lib, 'libtorch_cuda.so'));
  return { how, include: [inc], libdir: lib, cuda, abi: null };
}

function fromPython() {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      const out = execFileSync(py, ['-c', 'import torch, os; print(os.path.dirname(torch.__file__)); print(int(torch.compiled_with_cxx11_abi())); print(torch.__version__)'], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60000,
      }).trim().split('\n');
      const found = fromRoot(out[0], `PyTorch ${out[2]} (${py})`);
      if (found) return { ...found, abi: Number(out[1]) };
    } catch {
      // not importable with this interpreter
    }
  }
  return null;
}

function fromDebian() {
  if (!existsSync('/usr/include/ATen/ATen.h')) return null;
  for (const lib of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib']) {
    if (existsSync(join(lib, 'libtorch_cpu.so'))) return { how: "Debian's libtorch-dev", include: ['/usr/include'], libdir: lib, cuda: existsSync(join(lib, 'libtorch_cuda.so')), abi: null };
  }
  return null;
}

export function findLibtorch() {
  const env = process.env.LIBTORCH || process.env.TORCH_DIR;
  if (env) {
    const r = fromRoot(env, `$LIBTORCH/$TORCH_DIR=${env}`);
    if (r) return r;
    throw new Error(`LIBTORCH/TORCH_DIR is set to ${env}, but ${env}/include/ATen/ATen.h or ${env}/lib/libtorch_cpu.so is missing`);
  }
  return fromPython() ?? fromDebian();
}

function version(inc) {
  for (const p of [join(inc, 'torch', 'csrc', 'api', 'include', 'torch', 'version.h'), join(inc, 'ATen', 'core', 'Version.h')]) {
    if (existsSync(p)) {
      const t = readFileSync(p, 'utf8');
      const part = (k) => t.match(new RegExp(`TORCH_VERSION_${k} (\\d+)`))?.[1];
      if (part('MAJOR')) return `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`;
    }
  }
  return 'unknown';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let r;
  try {
    r = findLibtorch();
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
  const arg = process.argv[2] ?? '--describe';
  if (!r) {
    if (arg === '--describe' || arg === '--json') console.error('libtorch not found: install Debian\'s libtorch-dev (apt-get install libtorch-dev), or PyTorch, or set LIBTORCH to a libtorch folder');
    process.exit(1);
  }
  // NOTE: nothing in the addon references libtorch_cuda's symbols, so with --as-needed the linker drops it and
  // CUDA never registers ("PyTorch is not linked with support for cuda devices"): link it unconditionally.
  const libs = ['-ltorch_cpu', '-lc10', ...(r.cuda ? ['-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda', '-Wl,--as-needed'] : [])];
  // CUDA's runtime headers give device names and the caching allocator's counters; without them, a lite build
  const cudaInc = r.cuda ? [process.env.CUDA_HOME, '/usr/local/cuda'].filter(Boolean).map((d) => join(d, 'include')).find((d) => existsSync(join(d, 'cuda_runtime_api.h'))) : undefined;
  if (cudaInc) r.include.push(cudaInc);
  const defines = [...(r.abi === null ? [] : [`_GLIBCXX_USE_CXX11_ABI=${r.abi}`]), ...(r.cuda ? ['STRATA_CUDA=1', ...(cudaInc ? [] : ['STRATA_CUDA_LITE=1'])] : [])];
  switch (arg) {
    case '--include': console.log(r.include.join(' ')); break;
    case '--libdir': console.log(r.libdir); break;
    case '--libs': console.log(libs.join(' ')); break;
    case '--defines': console.log(defines.join(' ')); break;
    case '--json': console.log(JSON.stringify({ ...r, libs, defines, version: version(r.include[0]) })); break;
    default: console.log(`libtorch ${version(r.include[0])} from ${r.how}: include ${r.include.join(' ')}, lib ${r.libdir}${r.cuda ? ' (CUDA)' : ''}`);
  }
}

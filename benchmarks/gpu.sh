#!/usr/bin/env bash
# One run on a GPU machine, in the repository's root (the figures of BENCHMARKS.md's GPU rows):
#
#     bash benchmarks/gpu.sh [SECONDS_FOR_TESTS]
#
# It uses the machine's own jax, optax, chex and scikit-learn (the project on PYTHONPATH, nothing
# installed) and writes its log to $OUT/gpu.log (OUT defaults to /tmp/l1jax-gpu). In order of
# what matters most, each step under its own time limit: a smoke test (stops the run if l1jax
# fails there), where a warm path's time goes (benchmarks/gpu_profile.py on A-D, empty cache:
# its first calls too), A's first call in a second process on the filled cache, A and D warm
# with XLA's command buffers (CUDA graphs) for loops and conditionals too, A and C in blocks
# of 8 λs against one λ at a time and by Newton's steps, the engine's program for A after
# XLA's passes (copied to $OUT/hlo: its kernels per loop trip; issue 11's GPU targets), the
# test suite on the GPU for SECONDS_FOR_TESTS (default 330; stopped by SIGINT, so pytest still
# prints its summary of failures), and the main job. On an H200 (2026-12-04) a machine started
# in about 30 s and the steps before the suite took about 200 s (before the block and Newton
# steps were added: about 280 s with them), so `bash benchmarks/gpu.sh 240` in one call of
# `run` with timeout_s 570 fits the 15 minutes of device time a task gets (`pytest -n 14`
# reached 60% of the suite in 320 s; the rest took 209 s in a second call). `-p no:benchmark`: the machine's pytest-benchmark
# warns once per worker under xdist.
set -uo pipefail
OUT="${OUT:-/tmp/l1jax-gpu}"
mkdir -p "$OUT"
log="$OUT/gpu.log"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
python="${PYTHON:-python3}"
cache="$(mktemp -d)"

step() {  # step SECONDS CACHE_DIR COMMAND...: one timed step, its output in the log
    local seconds="$1" dir="$2"
    shift 2
    echo "=== $(date +%T) [${seconds}s, cache ${dir:-off}] $*" | tee -a "$log"
    local began=$SECONDS
    L1JAX_CACHE_DIR="$dir" timeout -s INT -k 15 "$seconds" "$@" 2>&1 | tee -a "$log"
    local rc=${PIPESTATUS[0]}
    echo "=== rc $rc, $((SECONDS - began)) s" | tee -a "$log"
    return "$rc"
}

{ nvidia-smi -L; nproc; } 2>&1 | tee -a "$log"
step 60 "" "$python" -c "
import jax, jaxlib, optax, chex, numpy, sklearn, scipy
print('jax', jax.__version__, 'jaxlib', jaxlib.__version__, 'optax', optax.__version__,
      'chex', chex.__version__, 'numpy', numpy.__version__, 'sklearn', sklearn.__version__,
      'scipy', scipy.__version__, jax.devices())
import numpy as np, l1jax
X, y = np.random.default_rng(0).normal(size=(50, 20)), np.random.default_rng(1).normal(size=50)
res = l1jax.path(X, y, lambdas=10)
print('smoke path: converged', bool(res.converged.all()), 'max gap', float(res.gap.max()))
" || { echo "smoke test failed: stopping" | tee -a "$log"; exit 1; }

step 120 "$cache/profile" "$python" benchmarks/gpu_profile.py A B C D
step 30 "$cache/profile" "$python" benchmarks/first_call.py A
cb="--xla_gpu_enable_command_buffer"
step 60 "$cache/while" env XLA_FLAGS="$cb=+WHILE,+CONDITIONAL" "$python" benchmarks/gpu_profile.py A D
# blocks of 8 λs (an accelerator's default) against one λ at a time: fewer, larger loop trips
step 60 "$cache/block8" "$python" benchmarks/gpu_profile.py A C --block-size 8
step 60 "$cache/block1" "$python" benchmarks/gpu_profile.py A C --block-size 1
# the squared loss's small working sets by Newton's steps (engine.SQUARED_NEWTON), both ways
step 60 "$cache/newton" "$python" benchmarks/gpu_profile.py A C --squared-newton
step 60 "$cache/newton1" "$python" benchmarks/gpu_profile.py A C --squared-newton --block-size 1
# the engine's program for A after XLA's GPU passes (its kernels per loop trip), in $OUT/hlo
step 60 "" env XLA_FLAGS="--xla_dump_to=$cache/hlo --xla_dump_hlo_module_re=.*_run.*" \
    "$python" benchmarks/first_call.py A
mkdir -p "$OUT/hlo" && cp "$cache"/hlo/*jit__run*after_optimizations.txt "$OUT/hlo/" 2>&1 | tee -a "$log"
step "${1:-330}" "$cache/tests" env XLA_PYTHON_CLIENT_PREALLOCATE=false "$python" -m pytest -q \
    -n 14 -p no:cacheprovider -p no:benchmark -rfE tests/
step 45 "$cache/main" "$python" -m l1jax
echo "=== $(date +%T) done" | tee -a "$log"

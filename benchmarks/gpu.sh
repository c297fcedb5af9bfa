#!/usr/bin/env bash
# One run on a GPU machine, in the repository's root (the figures of BENCHMARKS.md's GPU rows):
#
#     bash benchmarks/gpu.sh [SECONDS_FOR_TESTS]
#
# It uses the machine's own jax, optax, chex and scikit-learn (the project on PYTHONPATH, nothing
# installed) and writes its log to $OUT/gpu.log (OUT defaults to /tmp/l1jax-gpu). In order of
# what matters most, each step under its own time limit: a smoke test (stops the run if l1jax
# fails there), first calls against warm calls (issue 11: A full on an empty cache, then again
# in a second process on the filled cache, D on an empty one), the full benchmark problems warm
# (l1jax alone: the peers run on a CPU), stability selection's vmapped halves against a loop of
# path calls (issue 15), cv_path against path (benchmarks/cv.py), the test suite on the GPU
# for SECONDS_FOR_TESTS (default 330; stopped by SIGINT, so pytest still prints its summary of
# failures), and the main job. On an H200 (2026-12-04) the steps before the suite took about
# 200 s and a machine started in about 30 s: one call of `run` with timeout_s 570 fits the
# 15 minutes of device time a task gets. `-p no:benchmark`: the machine's pytest-benchmark
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

step ${T1:-120} "$cache/A" "$python" benchmarks/first_call.py A
step 60 "$cache/A" "$python" benchmarks/first_call.py A
step ${T1:-120} "$cache/D" "$python" benchmarks/first_call.py D
step ${T2:-200} "$cache/paths" "$python" benchmarks/paths.py --tools l1jax --no-reference --repeat 3 \
    --markdown
step ${T2:-180} "$cache/stab" "$python" benchmarks/stability.py --repeat 1
step 120 "$cache/cv" "$python" benchmarks/cv.py
step "${1:-330}" "$cache/tests" env XLA_PYTHON_CLIENT_PREALLOCATE=false "$python" -m pytest -q \
    -n 12 -p no:cacheprovider -p no:benchmark -rfE tests/
step 45 "$cache/main" "$python" -m l1jax
echo "=== $(date +%T) done" | tee -a "$log"

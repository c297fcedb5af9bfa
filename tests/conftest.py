"""Test configuration: float64 is enabled for the whole suite (reference tests against
scikit-learn need it); float32 and bfloat16 tests pass explicit dtypes.

l1jax's compiled programs are kept in one directory of the machine's temporary folder, shared
by the pytest-xdist workers (each program compiles once per run, not once per worker) and kept
out of the user's ``~/.cache/l1jax``; ``L1JAX_CACHE_DIR`` set by hand wins.

The suite compiles with XLA's backend (LLVM) optimization level 0: the same XLA programs, whose
machine code is generated 1.5-2.5x faster and runs slower, which the suite's small problems do
not feel (its wall time drops by about 30%, most of it compilation). Results can differ from the
optimized build's in the last bits, which every tolerance here allows. ``L1JAX_TEST_OPTIMIZED=1``
(or an optimization level in ``XLA_FLAGS``) runs the suite on the optimized build; the main
job and ``benchmarks/paths.py --quick`` in ``.ci/run`` run it as users do."""

import os
import tempfile

import jax

_flags = os.environ.get("XLA_FLAGS", "")
if not os.environ.get("L1JAX_TEST_OPTIMIZED") and "xla_backend_optimization_level" not in _flags:
    # (read by XLA when JAX starts its first backend, after this file; subprocesses inherit it)
    os.environ["XLA_FLAGS"] = f"{_flags} --xla_backend_optimization_level=0".strip()
os.environ.setdefault("L1JAX_CACHE_DIR", os.path.join(tempfile.gettempdir(), "l1jax-tests"))
jax.config.update("jax_enable_x64", True)

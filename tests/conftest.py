"""Test configuration: float64 is enabled for the whole suite (reference tests against
scikit-learn need it); float32 and bfloat16 tests pass explicit dtypes.

l1jax's compiled programs are kept in one directory of the machine's temporary folder, shared
by the pytest-xdist workers (each program compiles once per run, not once per worker) and kept
out of the user's ``~/.cache/l1jax``; ``L1JAX_CACHE_DIR`` set by hand wins."""

import os
import tempfile

import jax

os.environ.setdefault("L1JAX_CACHE_DIR", os.path.join(tempfile.gettempdir(), "l1jax-tests"))
jax.config.update("jax_enable_x64", True)

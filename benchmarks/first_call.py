"""First call against warm calls of ``l1jax.path`` (issue 11), one problem per process.

Usage::

    L1JAX_CACHE_DIR=/tmp/empty python benchmarks/first_call.py A [--quick]   # empty cache
    L1JAX_CACHE_DIR=/tmp/empty python benchmarks/first_call.py A [--quick]   # 2nd process

Prints the first call's seconds (compilation included; the backend's start, timed apart
before it, is not: a GPU's takes seconds), the best of two warm calls, their difference, and
the XLA compilations of the first call (count and seconds, from
``jax.monitoring``'s ``backend_compile_duration`` events) and the seconds of tracing and lowering
(its ``jaxpr_trace_duration`` and ``jaxpr_to_mlir_module_duration`` events). Problems as
benchmarks/paths.py, float64, tol 1e-6, unstandardized (as there).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("JAX_ENABLE_X64", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jax  # noqa: E402
import paths  # noqa: E402  (this folder's benchmark module: the problems)

import l1jax  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("problem", choices=list("ABCD"))
    ap.add_argument("--quick", action="store_true", help="the small problems of --quick")
    ap.add_argument("--xla-defaults", action="store_true",
                    help="compile with XLA's default options, not l1jax's")  # fmt: skip
    args = ap.parse_args()
    if args.xla_defaults:
        l1jax._programs._COMPILER_OPTIONS = {}
    compiles, traced = [], []  # XLA compilations; tracing and lowering to StableHLO

    def listen(event, seconds, **_):
        if event.endswith("backend_compile_duration"):
            compiles.append(seconds)
        elif event.endswith(("jaxpr_trace_duration", "jaxpr_to_mlir_module_duration")):
            traced.append(seconds)

    jax.monitoring.register_event_duration_secs_listener(listen)
    spec = (paths.QUICK if args.quick else paths.FULL)[args.problem]
    prob = paths.make_problem(args.problem, spec, paths.N_LAMBDAS[args.quick])
    began = time.perf_counter()
    jax.devices()  # the backend's start (a GPU's: seconds), apart from the first call
    backend = time.perf_counter() - began
    times = []
    for _ in range(3):
        began = time.perf_counter()
        res = l1jax.path(prob.X, prob.y, loss=prob.loss, lambdas=prob.lambdas,
                         standardize=False, tol=1e-6)  # fmt: skip
        times.append(time.perf_counter() - began)
        if len(times) == 1:
            first_compiles, first_traced = list(compiles), sum(traced)
    warm = min(times[1:])
    name = f"{args.problem}{' quick' if args.quick else ''}"
    print(f"{name}: first {times[0]:.2f} s, warm {warm:.2f} s, first - warm {times[0] - warm:.2f}"
          f" s; {len(first_compiles)} compilations, {sum(first_compiles):.2f} s; tracing and "
          f"lowering {first_traced:.2f} s; converged "
          f"{bool(res.converged.all())}; backend start {backend:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()

"""Where a warm path's time goes on an accelerator (issue 11's GPU targets), one process.

Usage::

    python benchmarks/gpu_profile.py A D [--option KEY=VALUE ...] [--block-size B]
                                         [--squared-newton]

For each problem (as benchmarks/paths.py, float64, tol 1e-6, 100 λs): the first call, then
three warm calls, each split into the engine's programs (``l1jax.engine.solve``, waited for)
and the rest (checking, standardizing, the λ grid, transfers, results); the inner iterations
summed over the path (``n_iter``) and the engine's seconds per iteration; and a warm call with
``X`` already on the device. ``--option`` sets an XLA option on l1jax's programs for the
default backend (``l1jax._programs._COMPILER_OPTIONS``); ``XLA_FLAGS`` sets it on every program.
``--block-size`` passes ``block_size`` to ``path`` (λs solved together, vmapped: an accelerator's
default is 8, a CPU's 1 for A and C): the loop's trips are then about the sum over blocks of
their largest ``n_iter``, also printed. ``--squared-newton`` turns on
``l1jax.engine.SQUARED_NEWTON`` (Newton's steps for the squared loss's small working sets;
``n_iter`` then counts them): use an empty program cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("JAX_ENABLE_X64", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jax  # noqa: E402
import numpy as np  # noqa: E402
import paths  # noqa: E402  (this folder's benchmark module: the problems)

import l1jax  # noqa: E402
from l1jax import _programs, engine  # noqa: E402

_engine = {"seconds": 0.0, "calls": 0}


def _timed(solve):
    def wrapped(*args, **kwargs):
        began = time.perf_counter()
        state = jax.block_until_ready(solve(*args, **kwargs))
        _engine["seconds"] += time.perf_counter() - began
        _engine["calls"] += 1
        return state

    return wrapped


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("problems", nargs="+", choices=list("ABCD"))
    ap.add_argument("--option", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--block-size", type=int, default=None)
    ap.add_argument("--squared-newton", action="store_true")
    args = ap.parse_args()
    platform = jax.devices()[0].platform
    if args.option:
        own = dict(_programs._COMPILER_OPTIONS.get(platform, {}))
        own.update(kv.split("=", 1) for kv in args.option)
        _programs._COMPILER_OPTIONS[platform] = own
    print(
        f"{jax.devices()[0]}; XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}; "
        f"l1jax's options in force: {_programs.compiler_options()}"
    )
    engine.solve = _timed(engine.solve)
    engine.SQUARED_NEWTON = args.squared_newton
    for name in args.problems:
        prob = paths.make_problem(name, paths.FULL[name], paths.N_LAMBDAS[False])
        rows = []
        for X in (prob.X,) * 4 + (jax.device_put(prob.X),):
            _engine.update(seconds=0.0, calls=0)
            began = time.perf_counter()
            res = l1jax.path(X, prob.y, loss=prob.loss, lambdas=prob.lambdas,
                             standardize=False, tol=1e-6, block_size=args.block_size)  # fmt: skip
            rows.append((time.perf_counter() - began, _engine["seconds"], _engine["calls"]))
        iters = int(np.sum(res.n_iter))
        block = args.block_size
        trips = "" if block is None else f" (blocks of {block}: about " + str(sum(
            int(res.n_iter[i : i + block].max()) for i in range(0, res.n_iter.size, block)
        )) + " trips)"  # fmt: skip
        first, warm = rows[0], min(rows[1:4])
        print(f"{name}: first {first[0]:.3f} s (engine {first[1]:.3f} s); warm {warm[0]:.3f} s = "
              f"engine {warm[1]:.3f} s in {warm[2]} program call(s) + rest {warm[0] - warm[1]:.3f}"
              f" s; {iters} iterations, {1e6 * warm[1] / max(iters, 1):.1f} us each{trips}; X on "
              f"the device: {rows[4][0]:.3f} s (engine {rows[4][1]:.3f} s); converged "
              f"{bool(res.converged.all())}, max gap {float(res.gap.max()):.1e}")  # fmt: skip


if __name__ == "__main__":
    main()

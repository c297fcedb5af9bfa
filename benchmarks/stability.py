"""Stability selection in one call against a Python loop of warm ``l1jax.path`` calls.

Usage::

    python benchmarks/stability.py [--n 300] [--p 1000] [--subsamples 100] [--repeat 2]
                                   [--vmapped]

The problem: issue 7's design (Toeplitz-correlated Gaussian columns, 50 true nonzeros ±1,
SNR 5; benchmarks/paths.py), n × p = 300 × 1000 by default, squared loss, float64, default
tolerance. ``l1jax.stability_selection(X, y, n_subsamples=B)`` (default λ range: 100 λs from
λ_max down to ⌈√(0.8 p)⌉ nonzeros on all the data) is timed against a Python loop of
``l1jax.path(X[half], y[half], lambdas=st.lambdas)`` over the same halves and λs. Each route is
called once to compile (reported apart; with ``L1JAX_CACHE_DIR`` an empty directory, so that
no compiled program comes from disk), then the routes run ``--repeat`` times warm, taking
turns (so that a change of the machine's load hits both), and the best of each is reported.
The selection probabilities of the routes are compared.

``stability_selection`` runs the halves the way :func:`l1jax.cv_path` runs folds: through the
program of ``l1jax.path`` on a CPU, one half per core at a time (threads), vmapped in one
program on accelerators and meshes. ``--vmapped`` also times the vmapped program here
(``l1jax.cv.BATCHED = True``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("JAX_ENABLE_X64", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import paths  # noqa: E402  (this folder's benchmark module: the problems)

import l1jax  # noqa: E402
from l1jax import cv  # noqa: E402


def _clock(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _with_mode(batched, fn):
    """``fn`` with the halves solved vmapped (True), one by one (False) or by backend (None)."""

    def run():
        cv.BATCHED = batched
        try:
            return fn()
        finally:
            cv.BATCHED = None

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--p", type=int, default=1000)
    ap.add_argument("--subsamples", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=2, help="warm runs (best is reported)")
    ap.add_argument("--vmapped", action="store_true", help="also time the vmapped program")
    args = ap.parse_args()
    prob = paths.make_problem("S", paths.Spec("squared", args.n, args.p, 1e-2, 5), 100)
    X, y = prob.X, prob.y

    def one_call():
        return l1jax.stability_selection(X, y, n_subsamples=args.subsamples)

    st, st_first = _clock(one_call)

    def loop():
        return np.mean(
            [l1jax.path(X[m], y[m], lambdas=st.lambdas).coef != 0 for m in st.subsamples], axis=0
        )

    name = "vmapped program" if cv._batched(None) else "path's program, one half per core"
    routes = {f"`stability_selection` ({name})": one_call}
    if args.vmapped and not cv._batched(None):
        routes["`stability_selection` (vmapped program)"] = _with_mode(True, one_call)
    routes[f"Python loop of {args.subsamples} `path` calls"] = loop
    first, warm, diff = {}, {name: [] for name in routes}, 0.0
    for name, fn in routes.items():
        out, first[name] = (st, st_first) if fn is one_call else _clock(fn)
        probabilities = out if fn is loop else out.probabilities
        diff = max(diff, np.abs(probabilities - st.probabilities).max())
    for _ in range(args.repeat):
        for name, fn in routes.items():
            warm[name].append(_clock(fn)[1])
    loop_warm = min(warm[name])  # the loop is the last route
    B, K = args.subsamples, st.lambdas.size
    print(
        f"{args.n} × {args.p} lasso, {B} subsamples (halves of {st.subsamples.sum(axis=1)[0]} "
        f"rows) × {K} λs from {st.lambdas[0]:.4g} to {st.lambdas[-1]:.4g}; "
        f"{int(st.selected.sum())} selected, error bound {st.error_bound:.3g}; "
        f"largest probability difference between the routes {diff:.3g}"
    )
    print(paths.environment())
    print("| route | first call (s) | warm (s) | compile ≈ first − warm (s) | warm / loop |")
    print("|---|---|---|---|---|")
    for name in routes:
        best = min(warm[name])
        print(
            f"| {name} | {first[name]:.2f} | {best:.2f} | {first[name] - best:.2f} | "
            f"{best / loop_warm:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

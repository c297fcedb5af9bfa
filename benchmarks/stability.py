"""Stability selection in one call against a Python loop of warm ``l1jax.path`` calls.

Usage::

    python benchmarks/stability.py [--n 300] [--p 1000] [--subsamples 100] [--repeat 2]

The problem: issue 7's design (Toeplitz-correlated Gaussian columns, 50 true nonzeros ±1,
SNR 5; benchmarks/paths.py), n × p = 300 × 1000 by default, squared loss, float64, default
tolerance. ``l1jax.stability_selection(X, y, n_subsamples=B)`` (default λ range: 100 λs from
λ_max down to ⌈√(0.8 p)⌉ nonzeros on all the data) is timed against a Python loop of
``l1jax.path(X[half], y[half], lambdas=st.lambdas)`` over the same halves and λs. Both are
called once to compile (reported apart) and then ``--repeat`` times warm (the best is reported).
The selection probabilities of the two routes are compared.
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


def _timed(fn, repeat):
    t = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t
    warm = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        warm.append(time.perf_counter() - t)
    return out, first, min(warm)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--p", type=int, default=1000)
    ap.add_argument("--subsamples", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=2, help="warm runs (best is reported)")
    args = ap.parse_args()
    prob = paths.make_problem("S", paths.Spec("squared", args.n, args.p, 1e-2, 5), 100)
    X, y = prob.X, prob.y

    def one_call():
        return l1jax.stability_selection(X, y, n_subsamples=args.subsamples)

    st, st_first, st_warm = _timed(one_call, args.repeat)

    def loop():
        return np.mean(
            [l1jax.path(X[m], y[m], lambdas=st.lambdas).coef != 0 for m in st.subsamples], axis=0
        )

    probabilities, loop_first, loop_warm = _timed(loop, args.repeat)
    diff = np.abs(probabilities - st.probabilities).max()
    B, K = args.subsamples, st.lambdas.size
    print(
        f"{args.n} × {args.p} lasso, {B} subsamples (halves of {st.subsamples.sum(axis=1)[0]} "
        f"rows) × {K} λs from {st.lambdas[0]:.4g} to {st.lambdas[-1]:.4g}; "
        f"{int(st.selected.sum())} selected, error bound {st.error_bound:.3g}; "
        f"largest probability difference between the two routes {diff:.3g}"
    )
    print("| route | first call (s) | warm (s) | compile ≈ first − warm (s) | warm / loop |")
    print("|---|---|---|---|---|")
    for name, first, warm in (
        ("`stability_selection` (one call)", st_first, st_warm),
        (f"Python loop of {B} `path` calls", loop_first, loop_warm),
    ):
        print(
            f"| {name} | {first:.2f} | {warm:.2f} | {first - warm:.2f} | {warm / loop_warm:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

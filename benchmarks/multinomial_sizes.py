"""Multinomial paths at default settings on wide and near-separable problems (l1jax only).

Usage::

    python benchmarks/multinomial_sizes.py [PROBLEMS] [--once P ...]

``PROBLEMS`` is a string of the problem letters below (default: all). Each problem is
``l1jax.path(X, y, loss="multinomial", lambdas=K)`` with every other setting at its default
(float64, tol 1e-6, the default λ grid, early stop): X ``(n, p)`` standard Gaussian, 10 true
rows of class scores with Gaussian entries scaled to a standard deviation of ``signal``, labels
drawn from their softmax (a weak signal: p ≥ n fits; a strong one: nearly separable classes at
small λ). Prints, per problem, a Markdown row: the first call (new programs compile, unless
``L1JAX_CACHE_DIR`` holds them), the second (warm; ``--once P`` skips it for the slow
problems of an old commit), the number of λs fitted, the solver iterations (Newton steps or
FISTA iterations) in all and at the worst λ, the λs left unconverged and the worst gap.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

os.environ.setdefault("JAX_ENABLE_X64", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import paths  # noqa: E402  (this folder's benchmark module: the environment)

import l1jax  # noqa: E402

# letter: (n, p, classes, signal, λs)
PROBLEMS = {
    "a": (200, 200, 3, 3.0, 30),
    "b": (300, 400, 3, 0.3, 100),
    "c": (1000, 400, 3, 3.0, 100),
    "d": (200, 1000, 5, 1.0, 100),
    "e": (2000, 500, 3, 0.5, 100),
    "f": (1000, 1500, 3, 1.0, 100),
}


def make(n: int, p: int, classes: int, signal: float, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    W = np.zeros((p, classes))
    W[:10] = rng.standard_normal((10, classes))
    Z = signal * X @ W / np.std(X @ W)
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(classes, p=q) for q in P])
    return X, y


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("problems", nargs="?", default="".join(PROBLEMS))
    ap.add_argument("--once", nargs="*", default=[], help="problems to run once (no warm call)")
    args = ap.parse_args()
    print(paths.environment(), flush=True)
    print("| problem | n × p × C, signal | first (s) | warm (s) | λs | iterations | max per λ "
          "| unconverged | worst gap |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for key in args.problems:
        n, p, classes, signal, K = PROBLEMS[key]
        X, y = make(n, p, classes, signal)
        times = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (unconverged λs are counted below)
            for _ in range(1 if key in args.once else 2):
                began = time.perf_counter()
                res = l1jax.path(X, y, loss="multinomial", lambdas=K)
                times.append(time.perf_counter() - began)
        it = np.asarray(res.n_iter)
        warm = f"{times[1]:.2f}" if len(times) > 1 else "-"
        print(f"| {key} | {n} × {p} × {classes}, {signal} | {times[0]:.2f} | {warm} | {it.size} "
              f"| {it.sum()} | {it.max()} | {np.sum(~np.asarray(res.converged))} "
              f"| {np.max(np.asarray(res.gap)):.1e} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

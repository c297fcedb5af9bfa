"""Paths with unpenalized covariates (glmnet's ``penalty.factor = 0``): iterations and time.

Usage::

    python benchmarks/free_features.py [--repeat N]

Five uncentred columns (mean 5, scale 3; two of them with correlation ≈ 0.9986) are left
unpenalized (``penalty_factor`` 0), beside Gaussian columns, ten of which carry the signal.
Squared, logistic and Poisson losses, n × p = 500 × 200 (the Gram form for the squared loss)
and 200 × 1000, 50 λs, ``tol=1e-8``, float64, default standardization. Prints, per problem,
the FISTA/Newton iterations summed over the path, the largest count of one λ, how many λs
converged, and the best warm time. To compare two versions of l1jax, run the script from a
``git worktree`` of each, on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

os.environ.setdefault("JAX_ENABLE_X64", "1")

import numpy as np  # noqa: E402

import l1jax  # noqa: E402

SHAPES = ((500, 200), (200, 1000))
N_FREE = 5


def make_problem(loss: str, n: int, p: int, rng: np.random.Generator):
    X = rng.standard_normal((n, p))
    X[:, :N_FREE] = X[:, :N_FREE] * 3 + 5
    X[:, 1] = X[:, 0] + 0.05 * rng.standard_normal(n)
    eta = 0.06 * X[:, :3].sum(1) + 0.3 * X[:, 10:20].sum(1)
    eta = (eta - eta.mean()) / eta.std()
    if loss == "squared":
        y = eta + rng.standard_normal(n)
    elif loss == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-2 * eta))).astype(float)
    else:
        y = rng.poisson(np.exp(0.5 * eta)).astype(float)
    factor = np.ones(p)
    factor[:N_FREE] = 0
    return X, y, factor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2, help="warm calls (best kept)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'problem':<24} {'iterations':>10} {'max/λ':>6} {'converged':>9} {'warm s':>7}")
    for loss in ("squared", "logistic", "poisson"):
        for n, p in SHAPES:
            X, y, factor = make_problem(loss, n, p, rng)

            def fit(X=X, y=y, factor=factor, loss=loss):
                return l1jax.path(X, y, loss=loss, penalty_factor=factor, lambdas=50, tol=1e-8)

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", l1jax.ConvergenceWarning)
                res = fit()
                warm = []
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    fit()
                    warm.append(time.perf_counter() - t)
            conv = f"{int(res.converged.sum())}/{len(res.converged)}"
            print(f"{loss + f' {n}×{p}':<24} {int(np.sum(res.n_iter)):>10} "
                  f"{int(np.max(res.n_iter)):>6} {conv:>9} {min(warm):>7.3f}")  # fmt: skip


if __name__ == "__main__":
    main()

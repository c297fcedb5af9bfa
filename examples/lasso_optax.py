"""The lasso solved with an optax chain, checked against scikit-learn.

    minimize over w:   ‖y − Xw‖² / (2n) + alpha ‖w‖₁

(scikit-learn's ``Lasso(alpha, fit_intercept=False)`` objective) by proximal gradient descent
written as an optax chain, ``optax.chain(optax.sgd(lr), l1jax.soft_thresholding(alpha, lr))``
with ``lr = 1 / L``, ``L = ‖X‖₂² / n``, and by the ready accelerated optimizer
``l1jax.proximal_gradient`` (FISTA), whose sparse answer is ``l1jax.sparse_params(state)``.
Both are compared with scikit-learn's coordinate descent when scikit-learn is installed
(``pip install "l1jax[sklearn]"``); the script exits with status 1 if they disagree.

    python examples/lasso_optax.py [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)  # float64, to compare with scikit-learn tightly

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import l1jax  # noqa: E402
from l1jax.demo import train  # noqa: E402


def make_problem(n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    coef = np.zeros(p)
    coef[:5] = [3.0, -2.0, 1.5, -1.0, 0.5]
    y = X @ coef + 0.5 * rng.standard_normal(n)
    return X, y


def objective(w, X, y, alpha):
    return float(np.mean((y - X @ w) ** 2) / 2 + alpha * np.sum(np.abs(w)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller problem (a smoke run)")
    args = parser.parse_args()

    n, p = (100, 20) if args.quick else (500, 200)
    X, y = make_problem(n, p)
    alpha = 0.02 * np.max(np.abs(X.T @ y)) / n
    lr = n / np.linalg.norm(X, 2) ** 2
    steps = 2000 if args.quick else 5000
    print(f"lasso: n={n}, p={p}, alpha={alpha:.4g}, lr=1/L={lr:.4g}, {steps} steps")

    Xj, yj = jnp.asarray(X), jnp.asarray(y)
    ista = optax.chain(optax.sgd(lr), l1jax.soft_thresholding(alpha, lr))
    fista = l1jax.proximal_gradient(lr, alpha)
    solutions = {}
    for name, opt in [("ISTA  (optax chain)", ista), ("FISTA (proximal_gradient)", fista)]:
        start = time.perf_counter()
        w, state = train(opt, Xj, yj, steps)  # full batch, from w = 0, one jitted scan
        if opt is fista:
            w = l1jax.sparse_params(state)  # the sparse iterate, not the extrapolated params
        w = np.asarray(jax.block_until_ready(w))
        seconds = time.perf_counter() - start
        solutions[name] = w
        print(
            f"{name:<26} objective {objective(w, X, y, alpha):.12f}  "
            f"nonzeros {np.count_nonzero(w):>3}/{p}  ({seconds:.2f} s incl. compile)"
        )

    if importlib.util.find_spec("sklearn") is None:
        print('scikit-learn is not installed (pip install "l1jax[sklearn]"): no comparison')
        return 0
    from sklearn.linear_model import Lasso

    reference = Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=100_000)
    reference = reference.fit(X, y).coef_
    print(
        f"{'scikit-learn Lasso':<26} objective {objective(reference, X, y, alpha):.12f}  "
        f"nonzeros {np.count_nonzero(reference):>3}/{p}"
    )
    ok = True
    for name, w in solutions.items():
        diff = float(np.max(np.abs(w - reference)))
        same_support = bool(np.array_equal(w == 0, reference == 0))
        ok &= diff < 1e-6 and same_support
        print(f"{name:<26} max |w - w_sklearn| = {diff:.2e}, same zero pattern: {same_support}")
    print("agree with scikit-learn:", ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Multinomial L1 logistic paths: l1jax against scikit-learn's saga, same λs, same accuracy.

Usage::

    python benchmarks/multinomial.py [--quick] [--repeat 2]

The problems: scikit-learn's bundled wine (178 × 13, 3 classes) and digits (1797 × 64, 10
classes), standardized here (constant pixels dropped), and a synthetic 1000 × 500 problem with
5 classes (Toeplitz-correlated columns, 10 true rows of class scores with Gaussian entries, labels
drawn from the softmax). Every tool fits the same objective on X as given (l1jax with
``standardize=False``), ``Y`` one-hot::

    (1/n) Σ_i (log Σ_c e^{η_ic} − Σ_c Y_ic η_ic) + λ Σ_j Σ_c |B_jc|,    η_i = b + Bᵀx_i

over ``N_LAMBDAS`` λs log-spaced from λ_max = max |Xᵀ(Y − Ȳ)| / n to ``MIN_RATIO`` · λ_max.
scikit-learn's ``LogisticRegression(l1_ratio=1, solver="saga", C=1/(nλ))`` runs warm-started over
the λs (``warm_start=True``). Accuracy is measured the same way for every tool, outside them: the
relative duality gap (P − D) / P_null, P at the tool's own B and intercept (a wrong intercept
shows), D at the standard dual point of its B (intercept refitted by Newton's method,
R = Y − softmax(η), θ = R / max(1, max |XᵀR| / (nλ)), D = −(1/n) Σ_ic q_ic log q_ic with
q = Y − θ); the worst over λ. saga's ``tol`` was chosen per
problem (1e-7 on wine, else 1e-8) so that this gap is about 1e-6 or below; l1jax's ``tol`` (1e-6)
is that gap. Times are warm (best of ``--repeat``, each tool once first); l1jax's compile time
is its first call minus its warm time, from an empty program cache unless ``--keep-cache``.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time

os.environ.setdefault("JAX_ENABLE_X64", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import paths  # noqa: E402  (this folder's benchmark module: the design and the environment)

paths.fresh_cache("--keep-cache" in sys.argv)  # (before l1jax: compile s from an empty cache)
from scipy.special import logsumexp, softmax  # noqa: E402

import l1jax  # noqa: E402

N_LAMBDAS, MIN_RATIO, TOL = 30, 1e-2, 1e-6
SAGA_TOL = {"wine": 1e-7}  # per problem, else 1e-8: saga's gap lands at about 1e-6
SAGA_MAX_ITER = 10_000


def _standardized(X):
    X = X[:, X.std(axis=0) > 0]
    return np.ascontiguousarray((X - X.mean(axis=0)) / X.std(axis=0))


def _synthetic(n: int, p: int, C: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = paths.toeplitz_design(n, p, rng)
    B = np.zeros((p, C))
    B[rng.choice(p, 10, replace=False)] = rng.standard_normal((10, C))
    P = softmax(X @ B, axis=1)
    y = np.array([rng.choice(C, p=row) for row in P])
    return _standardized(X), y


def _bundled(name: str):
    from sklearn import datasets

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    return _standardized(X), y


PROBLEMS = {"wine": lambda: _bundled("wine"), "digits": lambda: _bundled("digits"),
            "synthetic": lambda: _synthetic(1000, 500, 5)}  # fmt: skip
QUICK = {"wine": PROBLEMS["wine"], "synthetic": lambda: _synthetic(300, 100, 4)}


def lambdas(X, y) -> np.ndarray:
    Y = np.eye(y.max() + 1)[y]
    lam_max = np.max(np.abs(X.T @ (Y - Y.mean(axis=0)))) / X.shape[0]
    return lam_max * np.geomspace(1.0, MIN_RATIO, N_LAMBDAS)


def _refit_intercept(eta, Y, b, steps: int = 50):
    """The intercept that minimizes the loss at offsets ``eta`` (Newton, from ``b``; the
    softmax Hessian is singular along the all-ones direction, hence the pseudo-inverse)."""
    n = Y.shape[0]
    for _ in range(steps):
        P = softmax(eta + b, axis=1)
        g = (P - Y).sum(axis=0) / n
        if np.max(np.abs(g)) < 1e-15:
            break
        H = (np.diag(P.sum(axis=0)) - P.T @ P) / n
        b = b - np.linalg.pinv(H) @ g
    return b


def relative_gaps(X, y, coefs, intercepts, lams) -> np.ndarray:
    """(P − D) / P_null per λ at the standard dual point of each ``coefs[k]`` ``(p, C)``."""
    n = X.shape[0]
    Y = np.eye(coefs.shape[-1])[y]
    freq = Y.mean(axis=0)
    p_null = -np.sum(freq * np.log(freq))
    out = []
    for B, b, lam in zip(coefs, intercepts, lams, strict=True):
        eta = X @ B + b  # (P at the tool's own intercept: a wrong one shows)
        primal = np.mean(logsumexp(eta, axis=1) - np.sum(Y * eta, axis=1)) + lam * np.abs(B).sum()
        eta = X @ B + _refit_intercept(X @ B, Y, b)  # (the dual point: at the refitted one)
        R = Y - softmax(eta, axis=1)
        theta = R / max(1.0, np.max(np.abs(X.T @ R)) / (n * lam))
        q = Y - theta
        dual = -np.sum(q * np.log(np.where(q > 0, q, 1.0))) / n
        out.append((primal - dual) / p_null)
    return np.asarray(out)


def run_l1jax(X, y, lams):
    res = l1jax.path(X, y, loss="multinomial", lambdas=lams, standardize=False, tol=TOL)
    return res.coef, res.intercept


def run_saga(X, y, lams, tol=1e-8):
    from sklearn.linear_model import LogisticRegression

    n = X.shape[0]
    est = LogisticRegression(l1_ratio=1.0, solver="saga", tol=tol, max_iter=SAGA_MAX_ITER,
                             warm_start=True)  # fmt: skip
    fits = paths.warm_started(est, X, y, [{"C": 1 / (n * lam)} for lam in lams],
                              lambda e: (e.coef_.T.copy(), e.intercept_.copy()))  # fmt: skip
    coefs, intercepts = zip(*fits, strict=True)
    return np.stack(coefs), np.stack(intercepts)


TOOLS = {"l1jax": run_l1jax, "scikit-learn saga": run_saga}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small problems")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--keep-cache", action="store_true", help="use l1jax's program cache")
    ap.add_argument("--only", nargs="*", help="problem names to run")
    ap.add_argument("--tools", nargs="*", default=list(TOOLS), choices=list(TOOLS),
                    help="tools to run (the ratio column needs l1jax)")  # fmt: skip
    args = ap.parse_args()
    print(paths.environment())
    print(f"{N_LAMBDAS} λs to {MIN_RATIO} λ_max\n")
    print("| problem | n × p × C | tool | first call (s) | warm (s) | warm / l1jax | gap (own θ) |")
    print("|---|---|---|---|---|---|---|")
    problems = QUICK if args.quick else PROBLEMS
    for name, make in problems.items():
        if args.only and name not in args.only:
            continue
        X, y = make()
        lams = lambdas(X, y)
        rows = {}
        for tool, run in TOOLS.items():
            if tool not in args.tools:
                continue
            if tool != "l1jax" and name in SAGA_TOL:
                run = functools.partial(run, tol=SAGA_TOL[name])
            t = time.perf_counter()
            coefs, intercepts = run(X, y, lams)
            first = time.perf_counter() - t
            warm = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                coefs, intercepts = run(X, y, lams)
                warm.append(time.perf_counter() - t)
            gap = float(np.max(relative_gaps(X, y, coefs, intercepts, lams)))
            rows[tool] = (first, min(warm), gap)
        base = rows["l1jax"][1] if "l1jax" in rows else float("nan")
        C = int(y.max()) + 1
        for tool, (first, warm, gap) in rows.items():
            print(f"| {name} | {X.shape[0]} × {X.shape[1]} × {C} | {tool} | {first:.2f} | "
                  f"{warm:.3f} | {warm / base:.2f} | {gap:.1e} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

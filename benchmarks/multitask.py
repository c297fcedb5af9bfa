"""Multi-task lasso paths: l1jax against scikit-learn and skglm, same λs, same accuracy.

Usage::

    python benchmarks/multitask.py [--quick] [--repeat 2]

The problems: issue 7's Toeplitz-correlated Gaussian columns (benchmarks/paths.py, already
standardized), 10 true rows of B with Gaussian entries, noise at SNR 5, ``m`` tasks; 50 λs
log-spaced from λ_max = max_j ‖X_jᵀ(Y − Ȳ)‖₂ / n to 1e-2 · λ_max. Every tool fits the same
objective with an intercept per task, X as given (l1jax with ``standardize=False``)::

    (1/(2n)) ‖Y − 1bᵀ − XB‖²_F + λ Σ_j ‖B_j‖₂

scikit-learn's and skglm's ``MultiTaskLasso`` run warm-started over the λs
(``warm_start=True``: one fit per λ from the last). Accuracy is measured the same way for every
tool, outside them: the relative duality gap (P − D) / P_null, P at the tool's own B and
intercept (a wrong intercept shows), D at the standard dual point of its B (intercept refitted,
residual R centred, θ = R / max(1, max_j ‖X_jᵀR‖₂ / (nλ))); the worst over λ. l1jax's ``tol``
(1e-6) is that gap; scikit-learn's tol 5e-7 reads about 1e-6; skglm's tol is per problem, the
loosest of 1, 2, 5 × 10^k whose gap is ≤ 1e-6 on the quick and the full problem (MT-A 5e-7:
4.4e-7, where 1e-6 reads 1.2e-6 on MT-A quick; MT-B and MT-C 1e-6: 3.2e-7 and 5.4e-7; until
2026-12-06 it ran at 1e-7 everywhere, over-solved to 1e-8 to 1.2e-7). Times are warm (best of
``--repeat``, each tool once first); l1jax's compile time is its first call minus its warm
time, from an empty program cache (``paths.fresh_cache``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("JAX_ENABLE_X64", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import paths  # noqa: E402  (this folder's benchmark module: the design and the environment)

paths.fresh_cache("--keep-cache" in sys.argv)  # (before l1jax: compile s from an empty cache)

import l1jax  # noqa: E402

PROBLEMS = {"MT-A": (200, 1000, 5), "MT-B": (2000, 100, 5), "MT-C": (100, 5000, 20)}
QUICK = {"MT-A": (100, 300, 5), "MT-B": (500, 50, 5), "MT-C": (50, 1000, 10)}
N_LAMBDAS, MIN_RATIO, TOL = 50, 1e-2, 1e-6
PEER_TOL = {"scikit-learn": 5e-7, "skglm": {"MT-A": 5e-7, "MT-B": 1e-6, "MT-C": 1e-6}}


def make(n: int, p: int, m: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = paths.toeplitz_design(n, p, rng)
    B = np.zeros((p, m))
    B[rng.choice(p, 10, replace=False)] = rng.standard_normal((10, m))
    signal = X @ B
    Y = signal + rng.standard_normal((n, m)) * signal.std(axis=0) / np.sqrt(5.0)
    lam_max = np.max(np.linalg.norm(X.T @ (Y - Y.mean(axis=0)), axis=1)) / n
    return np.ascontiguousarray(X), Y, lam_max * np.geomspace(1.0, MIN_RATIO, N_LAMBDAS)


def relative_gaps(X, Y, coefs, intercepts, lams) -> np.ndarray:
    """(P − D) / P_null per λ at the standard dual point of each ``coefs[k]`` ``(p, m)``; P at
    the tool's own intercept ``intercepts[k]`` ``(m,)`` (a wrong one shows)."""
    n = X.shape[0]
    Yc = Y - Y.mean(axis=0)
    p_null = 0.5 * np.sum(Yc**2) / n
    out = []
    for B, b, lam in zip(coefs, intercepts, lams, strict=True):
        R = Y - X @ B - b
        primal = 0.5 * np.sum(R**2) / n + lam * np.sum(np.linalg.norm(B, axis=1))
        R = R - R.mean(axis=0)  # (the dual point: at the intercept refitted for this B)
        theta = R / max(1.0, np.max(np.linalg.norm(X.T @ R, axis=1)) / (n * lam))
        dual = (0.5 * np.sum(Yc**2) - 0.5 * np.sum((Yc - theta) ** 2)) / n
        out.append((primal - dual) / p_null)
    return np.asarray(out)


def run_l1jax(X, Y, lams):
    res = l1jax.path(X, Y, lambdas=lams, standardize=False, tol=TOL)
    return res.coef, res.intercept


def _peer(cls, tol):
    def run(X, Y, lams):
        est = cls(alpha=lams[0], tol=tol, warm_start=True, fit_intercept=True)
        alphas = [{"alpha": lam} for lam in lams]
        fits = paths.warm_started(
            est, X, Y, alphas, lambda e: (np.array(e.coef_.T), np.array(e.intercept_))
        )
        coefs, intercepts = zip(*fits, strict=True)
        return np.stack(coefs), np.stack(intercepts)

    return run


def tools(problem: str) -> dict:
    from sklearn.linear_model import MultiTaskLasso

    out = {"l1jax": run_l1jax, "scikit-learn": _peer(MultiTaskLasso, PEER_TOL["scikit-learn"])}
    try:  # (celer 0.7.4's MultiTaskLasso does not run with scikit-learn ≥ 1.6: _validate_data)
        out["skglm"] = _peer(__import__("skglm").MultiTaskLasso, PEER_TOL["skglm"][problem])
    except ImportError:
        pass
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small problems")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--keep-cache", action="store_true", help="use l1jax's program cache")
    args = ap.parse_args()
    print(paths.environment())  # (l1jax's cache: fresh, set at import, before l1jax's)
    print("| problem | n × p × m | tool | first call (s) | warm (s) | warm / l1jax | gap (own θ) |")
    print("|---|---|---|---|---|---|---|")
    for name, (n, p, m) in (QUICK if args.quick else PROBLEMS).items():
        X, Y, lams = make(n, p, m)
        rows = {}
        for tool, run in tools(name).items():
            t = time.perf_counter()
            fit = run(X, Y, lams)
            first = time.perf_counter() - t
            warm = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                fit = run(X, Y, lams)
                warm.append(time.perf_counter() - t)
            rows[tool] = (first, min(warm), float(np.max(relative_gaps(X, Y, *fit, lams))))
        base = rows["l1jax"][1]
        for tool, (first, warm, gap) in rows.items():
            print(f"| {name} | {n} × {p} × {m} | {tool} | {first:.2f} | {warm:.3f} | "
                  f"{warm / base:.2f} | {gap:.1e} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

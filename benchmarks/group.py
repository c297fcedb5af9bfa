"""Group lasso paths: l1jax against skglm and celer, same λs, same accuracy.

Usage::

    python benchmarks/group.py [--quick] [--repeat 2] [--block 8]

The problem: issue 7's Toeplitz-correlated Gaussian columns (benchmarks/paths.py, already
standardized), n × p in contiguous groups of 5 (G-B: of random sizes 1-9), 10 true groups
with Gaussian coefficients, noise at SNR 5; 50 λs log-spaced from
λ_max = max_g ‖X_gᵀ(y − ȳ)‖₂ / (n w_g) to 1e-2 · λ_max, with w_g = √|g| (l1jax's default,
grpreg's and skglm's convention). Every tool fits the same objective
with an intercept, X as given (l1jax with ``standardize=False``)::

    (1/(2n)) ‖y − b − Xβ‖² + λ Σ_g w_g ‖β_g‖₂

skglm's and celer's ``GroupLasso`` run warm-started over the λs (``warm_start=True``: one fit
per λ from the last). Accuracy is measured the same way for every tool, outside them: the
relative duality gap (P − D) / P_null at the standard dual point of the tool's own β (intercept
refitted, residual r centred, θ = r / max(1, max_g ‖X_gᵀr‖₂ / (nλw_g)); P at the tool's own
intercept; the worst over λ), and the suboptimality (P − P*) / P_null against l1jax at tol
1e-12 (the worst over λ; that reference's own gap by the same dual point is printed). The
peers' tolerances were chosen so that both are about 1e-6 or below; l1jax's ``tol`` (1e-6) is
that gap. Times are warm (best of ``--repeat``, each tool once first); "first call" is each
tool's first run in this process (l1jax's includes compiling its programs, from an empty
program cache unless ``--keep-cache``).
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

PROBLEMS = {"G-A": (1000, 2000, 5), "G-B": (1000, 2000, 0)}  # G 0: sizes 1-9 at random
QUICK = {"G-A quick": (300, 600, 5)}
N_LAMBDAS, MIN_RATIO, TOL = 50, 1e-2, 1e-6
PEER_TOL = {"skglm": 5e-7, "celer": 1e-8}


def make(n: int, p: int, size: int, seed: int = 0):
    """The problem; contiguous groups of ``size`` columns, or of random sizes 1-9 (``size`` 0)."""
    rng = np.random.default_rng(seed)
    X = np.ascontiguousarray(paths.toeplitz_design(n, p, rng))
    if size:
        groups = np.arange(p) // size
    else:
        sizes = rng.integers(1, 10, p)
        sizes = sizes[np.cumsum(sizes) <= p]
        groups = np.repeat(np.arange(sizes.size + 1), np.append(sizes, p - sizes.sum()))
        groups = np.unique(groups, return_inverse=True)[1]  # (no empty last group)
    n_groups = groups[-1] + 1
    beta = np.zeros(p)
    for g in rng.choice(n_groups, 10, replace=False):
        beta[groups == g] = rng.standard_normal(np.sum(groups == g))
    signal = X @ beta
    y = signal + rng.standard_normal(n) * signal.std() / np.sqrt(5.0)
    w = np.sqrt(np.bincount(groups).astype(float))
    z = X.T @ (y - y.mean())
    lam_max = np.max(np.sqrt(np.bincount(groups, z * z)) / w) / n
    return X, y, groups, w, lam_max * np.geomspace(1.0, MIN_RATIO, N_LAMBDAS)


def relative_gaps(X, y, groups, w, coefs, intercepts, lams) -> np.ndarray:
    """(P − D) / P_null per λ at the standard dual point of each ``coefs[k]`` ``(p,)``; P at the
    tool's own intercept ``intercepts[k]`` (a wrong one shows)."""
    n = X.shape[0]
    yc = y - y.mean()
    p_null = 0.5 * yc @ yc / n
    out = []
    for beta, b, lam in zip(coefs, intercepts, lams, strict=True):
        r = y - X @ beta - b
        norms = np.sqrt(np.bincount(groups, beta * beta, w.size))
        primal = 0.5 * r @ r / n + lam * w @ norms
        r = r - r.mean()  # (the dual point: at the intercept refitted for this β)
        z = X.T @ r
        dual_norm = np.max(np.sqrt(np.bincount(groups, z * z, w.size)) / w) / (n * lam)
        theta = r / max(1.0, dual_norm)
        dual = (0.5 * yc @ yc - 0.5 * (yc - theta) @ (yc - theta)) / n
        out.append((primal - dual) / p_null)
    return np.asarray(out)


def suboptimality(X, y, groups, w, coefs, intercepts, lams, best) -> np.ndarray:
    """(P(β, b) − P(β*)) / P_null per λ at the tool's own ``(β, b)``, β* from ``best`` (l1jax at
    tol 1e-12, its intercept refitted; its own gap is printed below the table)."""
    n = X.shape[0]
    yc = y - y.mean()
    p_null = 0.5 * yc @ yc / n

    def primal(beta, lam, b=None):
        r = y - X @ beta
        r = r - (r.mean() if b is None else b)
        return 0.5 * r @ r / n + lam * w @ np.sqrt(np.bincount(groups, beta * beta, w.size))

    rows = zip(coefs, intercepts, best, lams, strict=True)
    return np.asarray([(primal(c, lam, b) - primal(star, lam)) / p_null
                       for c, b, star, lam in rows])  # fmt: skip


def run_l1jax(X, y, groups, w, lams, block=None):
    res = l1jax.path(X, y, lambdas=lams, standardize=False, tol=TOL, groups=groups,
                     penalty_factor=w, block_size=block)  # fmt: skip
    return res.coef, res.intercept


def _peer(make_est):
    def run(X, y, groups, w, lams, block=None):
        est = make_est(groups, w, lams[0])
        alphas = [{"alpha": lam} for lam in lams]
        fits = paths.warm_started(
            est, X, y, alphas, lambda e: (np.array(e.coef_).ravel(), float(e.intercept_))
        )
        coefs, intercepts = zip(*fits, strict=True)
        return np.stack(coefs), np.asarray(intercepts)

    return run


def tools() -> dict:
    out = {"l1jax": run_l1jax}
    for name in ("skglm", "celer"):  # (the same GroupLasso estimator API in both)
        try:
            module = __import__(name)
        except ImportError:
            continue
        out[name] = _peer(lambda groups, w, lam, module=module, tol=PEER_TOL[name]:
                          module.GroupLasso(groups=np.bincount(groups).tolist(), weights=w,
                                            alpha=lam, tol=tol, warm_start=True,
                                            fit_intercept=True, max_iter=1000))  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller problem")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--block", type=int, default=None, help="l1jax's block_size (default: its own)")
    ap.add_argument("--only", default=None, help="comma-separated tools")
    ap.add_argument("--keep-cache", action="store_true", help="use l1jax's program cache")
    args = ap.parse_args()
    print(paths.environment())
    print("| problem | n × p (groups of G) | tool | first call (s) | warm (s) | warm / l1jax | "
          "gap (own θ) | P − P* |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    only = None if args.only is None else set(args.only.split(","))
    for name, (n, p, size) in (QUICK if args.quick else PROBLEMS).items():
        X, y, groups, w, lams = make(n, p, size)
        rows, coefs_of = {}, {}
        for tool, run in tools().items():
            if only is not None and tool not in only:
                continue
            try:
                t = time.perf_counter()
                fit = run(X, y, groups, w, lams, args.block)
                first = time.perf_counter() - t
            except Exception as err:  # (a peer that does not run with this scikit-learn)
                print(f"| {name} | {n} × {p} ({size}) | {tool} | failed: "
                      f"{type(err).__name__}: {str(err)[:80]} | | | |", flush=True)  # fmt: skip
                continue
            warm = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                fit = run(X, y, groups, w, lams, args.block)
                warm.append(time.perf_counter() - t)
            rows[tool] = (first, min(warm), float(np.max(relative_gaps(X, y, groups, w, *fit,
                                                                       lams))))  # fmt: skip
            coefs_of[tool] = fit
        # (after the timings: l1jax's first call compiles its programs)
        ref = l1jax.path(X, y, lambdas=lams, standardize=False, tol=1e-12, groups=groups,
                         penalty_factor=w)  # fmt: skip
        best = np.asarray(ref.coef)
        for tool, fit in coefs_of.items():
            rows[tool] += (float(np.max(suboptimality(X, y, groups, w, *fit, lams, best))),)
        base = rows["l1jax"][1] if "l1jax" in rows else float("nan")
        for tool, (first, warm, gap, sub) in rows.items():
            print(f"| {name} | {n} × {p} ({size or '1-9'}) | {tool} | {first:.2f} | {warm:.3f} | "
                  f"{warm / base:.2f} | {gap:.1e} | {sub:.1e} |", flush=True)  # fmt: skip
        ref_gap = np.max(relative_gaps(X, y, groups, w, best, ref.intercept, lams))
        print(f"({name}: P* from l1jax at tol 1e-12, whose gap by this script's own dual point "
              f"is {ref_gap:.1e})", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

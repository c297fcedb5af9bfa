"""Cross-validated L1 logistic regression: ``l1jax.cv_path`` against scikit-learn's
``LogisticRegressionCV`` (liblinear) on real data, in one process (issue 17).

Usage::

    python benchmarks/logistic_cv.py [--folds 10] [--repeat 3] [--no-same-job]

The data: scikit-learn's breast cancer set (569 × 30, float64). Two comparisons:

- **Each tool's default job.** scikit-learn: ``LogisticRegressionCV(cv=10, l1_ratios=[1.0],
  solver="liblinear")`` on standardized X (10 Cs, its tolerance 1e-4, chosen by accuracy).
  l1jax: ``cv_path(X, y, loss="logistic", n_folds=10)`` (up to 100 λs from λ_max down to
  1e-4·λ_max, stopped early by glmnet's rule, relative duality gap 1e-7 on every fold and λ,
  standardization inside each fold, chosen by deviance). Different jobs, at different
  accuracies: what a user gets by default.
- **The same job** (unless ``--no-same-job``). Both on the standardized X, the same folds
  (l1jax's ``fold_ids``, given to scikit-learn as a ``PredefinedSplit``), l1jax's λ grid
  (``C = 1/(n_train·λ)``, ``n_train`` the mean training size: the folds' sizes differ by a row,
  so λ by < 0.2%), chosen by deviance (``scoring="neg_log_loss"``), every fold × λ fit to a
  relative duality gap of 1e-6: l1jax at ``tol=1e-6`` (its certificate); liblinear (intercept on
  a constant column of 1e4, whose penalty is negligible, as in ``benchmarks/paths.py``) at the
  loosest tol of 1, 2, 5 × 10^k whose fits a tight reference certifies to 1e-6: 5e-9 (its worst
  gap 2.7e-7; 1e-8: 1.2e-6, 2e-5, the setting of paths.py's problem D: 1.3e-2). The script
  prints that worst gap ("ref θ": the dual point of paths.py's ``relative_gaps`` from l1jax's
  fit of each fold's training rows at tol 1e-13, untimed). scikit-learn refits at its best C;
  l1jax refits the whole path on all the data (K fits, not one). scikit-learn's same job runs
  once (minutes), not ``--repeat`` times.

Each l1jax route is called once first (its compilation, reported apart, from an empty program
cache), then the routes run ``--repeat`` times warm, taking turns, and the best of each is
reported, with the number of unconverged fits and each one's CV deviance (−2 log-likelihood per
held-out row, the mean over the folds) at the λ it chose, and for the same job the largest
difference of the two tools' fold × λ held-out deviances.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import paths  # noqa: E402  (this folder's benchmark module: accuracy settings and gaps)

paths.fresh_cache("--keep-cache" in sys.argv)  # (before l1jax: compile s from an empty cache)

import jax  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.linear_model import LogisticRegressionCV  # noqa: E402
from sklearn.model_selection import PredefinedSplit  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import l1jax  # noqa: E402

SAME_JOB_LIBLINEAR_TOL = 5e-9  # (certifies 2.7e-7 here; 1e-8: 1.2e-6)


def _clock(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _quiet(fn):
    """``fn()`` and the l1jax ConvergenceWarnings it raised (scikit-learn's notes dropped)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    return out, [w for w in caught if issubclass(w.category, l1jax.ConvergenceWarning)]


def _sklearn_deviance(model) -> np.ndarray:
    """The held-out deviances of a ``neg_log_loss`` LogisticRegressionCV: ``(folds, n_Cs)``,
    −2 · each fold's mean held-out log-likelihood."""
    scores = np.asarray(next(iter(model.scores_.values())))  # (folds, Cs[, l1_ratios])
    return -2.0 * scores.reshape(scores.shape[0], -1)


def _worst_gap(model, X, y, fold_ids, Cs) -> float:
    """The worst relative duality gap over scikit-learn's fold × C fits (``coefs_paths_``), at
    each fold's own λ = 1/(C·n_train), certified by l1jax's fit of the fold at tol 1e-13."""
    p = X.shape[1]
    fits = np.asarray(next(iter(model.coefs_paths_.values())))
    fits = fits.reshape(fits.shape[0], Cs.size, -1)  # (folds, Cs, p + 1: the intercept last)
    worst = 0.0
    for f in range(fits.shape[0]):
        train = fold_ids != f
        lams = 1.0 / (Cs * train.sum())
        ref = l1jax.path(X[train], y[train], loss="logistic", lambdas=lams, standardize=False,
                         tol=1e-13, early_stop=False)  # fmt: skip
        gaps = paths.relative_gaps(X[train], y[train], lams, fits[f, :, :p], fits[f, :, p],
                                   "logistic", reference=np.asarray(ref.coef))  # fmt: skip
        worst = max(worst, float(gaps.max()))
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-same-job", action="store_true", help="only each tool's default job")
    ap.add_argument("--keep-cache", action="store_true", help="use l1jax's program cache")
    args = ap.parse_args()
    X, y = load_breast_cancer(return_X_y=True)
    Xs = StandardScaler().fit_transform(X)
    n = len(y)

    def sk_default():
        return LogisticRegressionCV(cv=args.folds, l1_ratios=[1.0], solver="liblinear").fit(Xs, y)

    def ours_default():
        return l1jax.cv_path(X, y, loss="logistic", n_folds=args.folds)

    (default, _), first = _clock(lambda: _quiet(ours_default))
    grid, fold_ids = np.asarray(default.lambdas), np.asarray(default.fold_ids)
    n_train = n * (1 - 1 / args.folds)
    Cs = 1.0 / (n_train * grid)

    def ours_same():
        return l1jax.cv_path(Xs, y, loss="logistic", fold_ids=fold_ids, lambdas=grid,
                             standardize=False, early_stop=False, tol=paths.L1JAX_TOL)  # fmt: skip

    routes = {"l1jax default": ours_default, "scikit-learn default": sk_default}
    if not args.no_same_job:
        (_, _), first_same = _clock(lambda: _quiet(ours_same))
        routes["l1jax same"] = ours_same
    times = {name: [] for name in routes}
    out = {}
    for _ in range(args.repeat):
        for name, route in routes.items():
            out[name], t = _clock(lambda route=route: _quiet(route))
            times[name].append(t)
    best = {k: min(v) for k, v in times.items()}
    (default, unconverged), (sk_def, _) = out["l1jax default"], out["scikit-learn default"]

    print(f"breast_cancer 569 × 30, {args.folds}-fold CV of L1 logistic regression "
          f"(l1jax {l1jax.__version__}, jax {jax.__version__}, scikit-learn "
          f"{sklearn.__version__}, {os.cpu_count()} CPUs)")  # fmt: skip
    print("| tool | job | seconds (warm, best) | compile + first run | ratio to l1jax | "
          "CV deviance at its choice |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    print(f"| l1jax | default: cv_path, {grid.size} λs, tol 1e-7, standardized in each fold | "
          f"{best['l1jax default']:.2f} | {first:.2f} | 1.00 | "
          f"{default.cv_mean[default.index_min]:.4f} |")  # fmt: skip
    print(f"| scikit-learn | default: LogisticRegressionCV liblinear, 10 Cs, tol 1e-4, accuracy | "
          f"{best['scikit-learn default']:.2f} | – | "
          f"{best['scikit-learn default'] / best['l1jax default']:.2f} | – |")  # fmt: skip
    if not args.no_same_job:
        same, unconverged_same = out["l1jax same"]
        model, sk_time = _clock(lambda: _quiet(lambda: LogisticRegressionCV(
            Cs=Cs, cv=PredefinedSplit(fold_ids), l1_ratios=[1.0], solver="liblinear",
            scoring="neg_log_loss", tol=SAME_JOB_LIBLINEAR_TOL,
            intercept_scaling=paths.SKLEARN_LOGISTIC_INTERCEPT_SCALING, max_iter=1_000_000,
            random_state=0,
        ).fit(Xs, y))[0])  # fmt: skip
        sk_folds = _sklearn_deviance(model)
        pick = int(np.argmax(Cs == float(np.ravel(model.C_)[0])))
        sk_choice = sk_folds.mean(axis=0)[pick]
        print(f"| l1jax | same job: standardized X, {grid.size} λs, tol {paths.L1JAX_TOL:g} | "
              f"{best['l1jax same']:.2f} | {first_same:.2f} | 1.00 | "
              f"{same.cv_mean[same.index_min]:.4f} |")  # fmt: skip
        print(f"| scikit-learn | same job: liblinear, {Cs.size} Cs, tol "
              f"{SAME_JOB_LIBLINEAR_TOL:g}, neg_log_loss (one run) | {sk_time:.2f} | – | "
              f"{sk_time / best['l1jax same']:.2f} | {sk_choice:.4f} |")  # fmt: skip
    print(f"l1jax default: {len(unconverged)} convergence warnings; λ_min "
          f"{default.lambda_min:.4g} ({np.count_nonzero(default.path.coef[default.index_min])} "
          f"features), λ_1se {default.lambda_1se:.4g} "
          f"({np.count_nonzero(default.path.coef[default.index_1se])} features)")  # fmt: skip
    C = float(np.ravel(sk_def.C_)[0])
    print(f"scikit-learn default: C = {C:.4g}, i.e. λ = 1/(C n_train) = {1 / (C * n_train):.4g} "
          f"({np.count_nonzero(sk_def.coef_)} features)")  # fmt: skip
    if not args.no_same_job:
        diff = np.abs(sk_folds - np.asarray(same.fold_scores)).max()
        print(f"same job: l1jax {len(unconverged_same)} convergence warnings, λ_min "
              f"{same.lambda_min:.4g}; scikit-learn λ = {grid[pick]:.4g}, its worst fold × C "
              f"relative gap (ref θ) {_worst_gap(model, Xs, y, fold_ids, Cs):.2g}; the fold × λ "
              f"held-out deviances differ by {diff:.2g} at most (they run from "
              f"{sk_folds.min():.3g} to {sk_folds.max():.3g}; a fold's λ differs by up to 0.2%: "
              f"near separation, at the smallest λs, that moves them most)")  # fmt: skip


if __name__ == "__main__":
    main()

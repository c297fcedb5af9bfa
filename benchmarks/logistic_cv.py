"""Cross-validated L1 logistic regression: ``l1jax.cv_path`` against scikit-learn's
``LogisticRegressionCV`` (liblinear) on real data, in one process (issue 17).

Usage::

    python benchmarks/logistic_cv.py [--folds 10] [--repeat 3]

The data: scikit-learn's breast cancer set (569 × 30, float64). scikit-learn runs its default
job on standardized X: ``LogisticRegressionCV(cv=10, l1_ratios=[1.0], solver="liblinear")``
(10 Cs, its default tolerance 1e-4). l1jax runs ``cv_path(X, y, loss="logistic", n_folds=10)``
with its defaults: up to 100 λs from λ_max down to 1e-4·λ_max (stopped early by glmnet's rule),
relative duality gap 1e-7 on every fold and λ, standardization inside. Each route is called once
first (l1jax's compilation, reported apart; ``L1JAX_CACHE_DIR`` empty so nothing comes from
disk), then they run ``--repeat`` times warm, taking turns, and the best of each is reported,
with the number of unconverged fits and the held-out deviance at the chosen λ of each.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings

os.environ.setdefault("L1JAX_CACHE_DIR", tempfile.mkdtemp(prefix="l1jax-bench-"))

import jax  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.linear_model import LogisticRegressionCV  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import l1jax  # noqa: E402


def _clock(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    X, y = load_breast_cancer(return_X_y=True)
    Xs = StandardScaler().fit_transform(X)

    def sk():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its deprecation notes, and liblinear's iterations
            return LogisticRegressionCV(cv=args.folds, l1_ratios=[1.0], solver="liblinear").fit(
                Xs, y
            )

    def ours():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = l1jax.cv_path(X, y, loss="logistic", n_folds=args.folds)
        return res, [w for w in caught if issubclass(w.category, l1jax.ConvergenceWarning)]

    (_, unconverged), first = _clock(ours)
    times = {"scikit-learn": [], "l1jax": []}
    for _ in range(args.repeat):
        model, t = _clock(sk)
        times["scikit-learn"].append(t)
        (res, unconverged), t = _clock(ours)
        times["l1jax"].append(t)
    best = {k: min(v) for k, v in times.items()}
    print(f"breast_cancer 569 × 30, {args.folds}-fold CV of L1 logistic regression "
          f"(l1jax {l1jax.__version__}, jax {jax.__version__}, scikit-learn "
          f"{sklearn.__version__}, {os.cpu_count()} CPUs)")  # fmt: skip
    print("| tool | job | seconds (warm, best) | compile + first run | ratio to l1jax |")
    print("|---|---|---|---|---|")
    print(f"| l1jax | cv_path, {res.lambdas.size} λs, tol 1e-7 | {best['l1jax']:.2f} | "
          f"{first:.2f} | 1.00 |")  # fmt: skip
    print(f"| scikit-learn | LogisticRegressionCV liblinear, 10 Cs | {best['scikit-learn']:.2f} | "
          f"– | {best['scikit-learn'] / best['l1jax']:.2f} |")  # fmt: skip
    print(
        f"l1jax: {len(unconverged)} convergence warnings; λ_min {res.lambda_min:.4g} "
        f"({np.count_nonzero(res.path.coef[res.index_min])} features), λ_1se "
        f"{res.lambda_1se:.4g} ({np.count_nonzero(res.path.coef[res.index_1se])} features)"
    )
    C = float(np.ravel(model.C_)[0])
    print(
        f"scikit-learn: C = {C:.4g}, i.e. λ = 1/(C n) = {1 / (C * len(y)):.4g} "
        f"({np.count_nonzero(model.coef_)} features)"
    )


if __name__ == "__main__":
    main()

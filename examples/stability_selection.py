"""Stability selection: which features the lasso really selects, against its one-fit support.

The diabetes data of Efron et al. (2004, shipped with l1jax: 442 patients, 10 features) with 30
added features of pure noise (independent standard normal columns). One lasso fit, at the λ of
the lowest 10-fold CV error (``l1jax.cv_path``), keeps many of the noise features, and refitted
at that λ on two complementary halves of the rows its support changes. Stability selection
(``l1jax.stability_selection``: the path on 100 random halves, Meinshausen & Bühlmann 2010,
complementary pairs as Shah & Samworth 2013) keeps the features selected in at least 75% of the
halves at some λ, with a bound on the expected number of false selections.

    python examples/stability_selection.py [--quick] [--out stability_selection.png]
"""

from __future__ import annotations

import importlib.util

import _common
import numpy as np

import l1jax
from l1jax.cli import load_diabetes

N_NOISE = 30
THRESHOLD = 0.75


def main() -> int:
    args = _common.parse_args(__doc__, "stability_selection.png")
    data = load_diabetes()
    rng = np.random.default_rng(0)
    X = np.hstack([data.X, rng.standard_normal((data.X.shape[0], N_NOISE))])
    names = list(data.feature_names) + [f"noise{j + 1}" for j in range(N_NOISE)]
    noise = np.arange(X.shape[1]) >= data.X.shape[1]
    B, K = (20, 30) if args.quick else (100, 100)
    print(f"diabetes: {X.shape[0]} rows, {data.X.shape[1]} features + {N_NOISE} noise features")

    # One fit: the lasso at the λ of the lowest 10-fold CV error, refitted on all the rows.
    cv = l1jax.cv_path(X, data.y, n_folds=10, lambdas=K)
    one_fit = cv.path.coef[cv.index_min] != 0
    print(f"lasso at λ_min = {cv.lambda_min:.3g} (10-fold CV): {one_fit.sum()} features, "
          f"{(one_fit & noise).sum()} of them noise")  # fmt: skip

    # Stability selection: the path on B halves (complementary pairs), all λs of the range.
    st = l1jax.stability_selection(X, data.y, n_subsamples=B, lambdas=K, threshold=THRESHOLD)
    first, second = (l1jax.path(X[h], data.y[h], lambdas=[cv.lambda_min]).coef[0] != 0
                     for h in st.subsamples[:2])  # fmt: skip
    print(f"the same λ on two complementary halves: {first.sum()} and {second.sum()} features, "
          f"{(first != second).sum()} in one support only")  # fmt: skip
    print(f"stability selection ({B} halves, {K} λs from {st.lambdas[0]:.3g} to "
          f"{st.lambdas[-1]:.3g}, threshold {THRESHOLD}): {st.selected.sum()} features, "
          f"{(st.selected & noise).sum()} of them noise; expected number of false selections "
          f"<= {st.error_bound:.2f}")  # fmt: skip

    # The stable features and the next most probable ones; the rest of the one fit's support.
    order = np.argsort(-st.max_probability, kind="stable")
    shown = order[: st.selected.sum() + 6]
    print(f"\n{'feature':<9} {'lasso λ_min':>12} {'probability':>12} {'stable':>7}")
    for j in shown:
        coef = f"{cv.path.coef[cv.index_min, j]:.3g}" if one_fit[j] else "."
        stable = "yes" if st.selected[j] else ""
        print(f"{names[j]:<9} {coef:>12} {st.max_probability[j]:>12.2f} {stable:>7}")
    rest = np.setdiff1d(np.flatnonzero(one_fit), shown)
    if rest.size:
        print(f"... and {rest.size} more features of the lasso's one fit "
              f"({(noise[rest]).sum()} noise), each of probability <= "
              f"{st.max_probability[rest].max():.2f}")  # fmt: skip

    if importlib.util.find_spec("matplotlib") is None:
        print(_common.NO_PLOT)
        return 0
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6), layout="constrained")
    l1jax.plot_path(cv, ax=left, feature_names=names, scale=X.std(axis=0))
    left.set_title(f"one lasso path: λ_min keeps {one_fit.sum()} features", loc="left",
                   fontsize=10)  # fmt: skip
    l1jax.plot_stability(st, ax=right, feature_names=names)
    fig.savefig(args.out, dpi=110)
    plt.close(fig)
    print(f"plot written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

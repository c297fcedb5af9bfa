"""The scikit-learn estimators: scikit-learn's own estimator checks, agreement with
scikit-learn's Lasso, ElasticNet, LassoCV and L1 LogisticRegression in float64, and the
StabilitySelection selector against l1jax.stability_selection."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import l1jax
from l1jax.estimators import (
    ElasticNet,
    ElasticNetCV,
    Lasso,
    LassoCV,
    LogisticLasso,
    LogisticLassoCV,
    StabilitySelection,
)

ESTIMATORS = [
    Lasso(alpha=0.1),
    ElasticNet(alpha=0.1),
    LassoCV(alphas=8),
    ElasticNetCV(alphas=8),
    # (logistic paths that stop at 1% of α_max: scikit-learn's small check data sets are often
    # separable, and a path deep into that regime only costs time here)
    LogisticLasso(alpha=0.05),
    LogisticLassoCV(alphas=8, eps=1e-2, cv=3),
    StabilitySelection(n_subsamples=4, alphas=4),
]


def _expected_failures(estimator):
    if isinstance(estimator, StabilitySelection):
        return {
            "check_sample_weight_equivalence_on_dense_data": "repeated rows change the halves",
            "check_sample_weight_equivalence_on_sparse_data": "repeated rows change the halves",
            "check_transformer_n_iter": "the iterations of the B × K fits are not reported",
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ----------------------------------------------------------------------------------------------
# Agreement with scikit-learn (float64, tight tolerances on both sides).


@pytest.fixture(scope="module")
def data():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)  # scaled columns, as scikit-learn's examples
    return X[:120], y[:120]  # 120 rows: the padded shape of the checks above, compiled once


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_lasso_and_elastic_net_match_sklearn(data, fit_intercept):
    from sklearn import linear_model

    X, y = data
    sw = np.random.default_rng(0).uniform(0.5, 2.0, y.size)
    opts = dict(fit_intercept=fit_intercept, tol=1e-12, max_iter=100_000)
    pairs = [
        (Lasso(alpha=0.05, **opts), linear_model.Lasso(alpha=0.05, **opts)),
        (ElasticNet(alpha=0.01, l1_ratio=0.7, positive=True, **opts),
         linear_model.ElasticNet(alpha=0.01, l1_ratio=0.7, positive=True, **opts)),
    ]  # fmt: skip
    for ours, theirs in pairs:
        for weights in (None, sw):
            ours.fit(X, y, sample_weight=weights)
            theirs.fit(X, y, sample_weight=weights)
            # Coefficients of 100s on columns of norm 1/√n: a 1e-12 objective accuracy leaves
            # them ~1e-6 apart; the objectives themselves agree far more closely.
            np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-6, atol=1e-4)
            np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6, atol=1e-4)
            s = np.ones(y.size) if weights is None else weights
            assert abs(_objective(ours, X, y, s) / _objective(theirs, X, y, s) - 1) < 1e-10


def _objective(model, X, y, s):
    r = y - model.predict(X)
    rho = getattr(model, "l1_ratio", 1.0)
    pen = rho * np.abs(model.coef_).sum() + (1 - rho) / 2 * (model.coef_**2).sum()
    return 0.5 * s @ r**2 / s.sum() + model.alpha * pen


def test_lasso_cv_matches_sklearn(data):
    from sklearn import linear_model

    X, y = data
    theirs = linear_model.LassoCV(alphas=20, cv=5, tol=1e-12, max_iter=100_000).fit(X, y)
    ours = LassoCV(alphas=theirs.alphas_, cv=5, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-6)
    assert ours.alpha_ == theirs.alpha_
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-6)
    # The automatic grid is scikit-learn's: λ_max of the data down to eps · λ_max.
    grid = LassoCV(alphas=20, cv=5).fit(X, y).alphas_
    np.testing.assert_allclose(grid, theirs.alphas_, rtol=1e-10)
    one_se = LassoCV(alphas=theirs.alphas_, alpha_rule="1se").fit(X, y)
    assert one_se.alpha_ == one_se.cv_results_.lambda_1se >= ours.alpha_


def test_elastic_net_cv_chooses_among_l1_ratios(data):
    X, y = data
    model = ElasticNetCV(l1_ratio=[0.3, 1.0], alphas=10, cv=4).fit(X, y)
    assert model.mse_path_.shape == (2, 10, 4) and model.alphas_.shape == (2, 10)
    best = [m.mean(axis=1).min() for m in model.mse_path_]
    assert model.l1_ratio_ == [0.3, 1.0][int(np.argmin(best))]
    assert model.alpha_ in model.alphas_[[0.3, 1.0].index(model.l1_ratio_)]


def test_cv_splitters(data):
    from sklearn.model_selection import KFold, ShuffleSplit

    X, y = data
    model = LassoCV(alphas=5, cv=KFold(3, shuffle=True, random_state=0)).fit(X, y)
    assert model.mse_path_.shape == (5, 3)
    with pytest.raises(ValueError, match="exactly once"):
        LassoCV(alphas=5, cv=ShuffleSplit(3, random_state=0)).fit(X, y)
    with pytest.raises(ValueError, match="cv"):
        LassoCV(cv=1).fit(X, y)


def test_logistic_lasso_matches_sklearn(data):
    from sklearn.linear_model import LogisticRegression

    X, y = data
    labels = np.where(y > np.median(y), "high", "low")
    alpha = 0.002
    ours = LogisticLasso(alpha=alpha, tol=1e-12, max_iter=200_000).fit(X * 10, labels)
    theirs = LogisticRegression(
        l1_ratio=1.0, C=1 / (alpha * y.size), solver="saga", tol=1e-12, max_iter=200_000
    ).fit(X * 10, labels)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.predict_proba(X * 10), theirs.predict_proba(X * 10),
                               atol=1e-6)  # fmt: skip
    assert np.any(ours.coef_ == 0)  # L1: exact zeros


def test_logistic_lasso_one_vs_rest(data):
    X, y = data
    labels = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    model = LogisticLasso(alpha=0.005).fit(X * 10, labels)
    assert model.coef_.shape == (3, 10) and model.intercept_.shape == (3,)
    binary = LogisticLasso(alpha=0.005).fit(X * 10, labels == 2)
    np.testing.assert_allclose(model.coef_[2], binary.coef_[0], rtol=1e-6, atol=1e-8)
    proba = model.predict_proba(X * 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X * 10), np.argmax(proba, axis=1))


def test_logistic_lasso_cv(data):
    X, y = data
    X = X * 10
    labels = np.where(y > np.median(y), "high", "low")
    model = LogisticLassoCV(alphas=12, cv=4).fit(X, labels)
    (cv,) = model.cv_results_
    assert cv.scoring == "deviance" and cv.fold_scores.shape == (4, 12)
    assert model.alphas_.shape == (1, 12) and model.alpha_.shape == (1,)
    assert model.alpha_[0] == cv.lambda_min == cv.lambdas[np.argmin(cv.cv_mean)]
    refit = LogisticLasso(alpha=model.alpha_[0], tol=1e-10).fit(X, labels)
    np.testing.assert_allclose(model.coef_, refit.coef_, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(model.classes_, refit.classes_)
    assert np.any(model.coef_ == 0)  # L1: exact zeros
    one_se = LogisticLassoCV(alphas=12, cv=4, alpha_rule="1se", scoring="roc_auc").fit(X, labels)
    assert one_se.cv_results_[0].scoring == "auc"
    assert one_se.alpha_[0] == one_se.cv_results_[0].lambda_1se


def test_logistic_lasso_cv_one_vs_rest(data):
    X, y = data
    labels = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    model = LogisticLassoCV(alphas=6, cv=3, scoring="accuracy").fit(X * 10, labels)
    assert model.coef_.shape == (3, 10) and model.alpha_.shape == model.intercept_.shape == (3,)
    assert [cv.scoring for cv in model.cv_results_] == ["misclassification"] * 3
    assert model.alphas_.shape == (3, 6)  # each class its own grid
    np.testing.assert_allclose(model.predict_proba(X * 10).sum(axis=1), 1.0)


def test_stability_selection_selector(data):
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline

    X, y = data
    X = np.hstack([X, np.random.default_rng(0).standard_normal((y.size, 6)) * X.std()])
    selector = StabilitySelection(n_subsamples=10, alphas=8, random_state=3).fit(X, y)
    st = l1jax.stability_selection(X, y, n_subsamples=10, lambdas=8, seed=3)
    np.testing.assert_allclose(selector.alphas_, st.lambdas, rtol=1e-12)
    np.testing.assert_array_equal(selector.probabilities_, st.probabilities)
    np.testing.assert_array_equal(selector.get_support(), st.selected)
    assert selector.error_bound_ == pytest.approx(st.error_bound)
    kept = np.flatnonzero(st.selected)
    assert 0 < kept.size < 16
    np.testing.assert_array_equal(selector.transform(X), X[:, kept])
    model = make_pipeline(StabilitySelection(n_subsamples=10, alphas=8, random_state=3),
                          LinearRegression()).fit(X, y)  # fmt: skip
    assert model[-1].coef_.shape == (kept.size,)


def test_stability_selection_selector_logistic(data):
    X, y = data
    labels = np.where(y > np.median(y), "high", "low")
    selector = StabilitySelection(loss="logistic", n_subsamples=6, alphas=6).fit(X, labels)
    assert selector.classes_.tolist() == ["high", "low"]
    st = l1jax.stability_selection(X, (labels == "low").astype(float), loss="logistic",
                                   n_subsamples=6, lambdas=6)  # fmt: skip
    np.testing.assert_array_equal(selector.probabilities_, st.probabilities)
    with pytest.raises(ValueError, match="2 classes, got 3"):
        StabilitySelection(loss="logistic", n_subsamples=2, alphas=2).fit(X, np.arange(120) % 3)
    with pytest.raises(ValueError, match="n_subsamples must be even"):
        StabilitySelection(n_subsamples=3).fit(X, y)


def test_import_l1jax_does_not_import_sklearn_or_matplotlib():
    import subprocess
    import sys

    code = (
        "import sys, l1jax; "
        "bad = [m for m in ('sklearn', 'matplotlib') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

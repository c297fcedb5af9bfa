"""The scikit-learn estimators: scikit-learn's own estimator checks, agreement with
scikit-learn's Lasso, ElasticNet, LassoCV, MultiTaskLasso, MultiTaskElasticNet,
MultiTaskLassoCV and L1 LogisticRegression, GroupLasso against its optimality conditions and
(groups of one) scikit-learn's Lasso, (binary and multinomial) in float64, and the
StabilitySelection selector against l1jax.stability_selection."""

from __future__ import annotations

import warnings

import jax
import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import l1jax
from l1jax.estimators import (
    ESTIMATOR_TOL,
    ElasticNet,
    ElasticNetCV,
    GroupLasso,
    GroupLassoCV,
    Lasso,
    LassoCV,
    LogisticLasso,
    LogisticLassoCV,
    MultiTaskElasticNet,
    MultiTaskElasticNetCV,
    MultiTaskLasso,
    MultiTaskLassoCV,
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
    MultiTaskLasso(alpha=0.1),
    MultiTaskElasticNetCV(alphas=8),
    GroupLasso(alpha=0.1, groups=2),
    GroupLassoCV(groups=2, alphas=8),
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


def test_elastic_net_on_columns_of_many_scales_matches_sklearn(data):
    """Raw columns whose scales span 10⁵ (as income next to a 0/1 flag), at the default tol:
    the elastic net is solved on scaled columns (the L1 and L2 factors 1/σ and 1/σ²), as the
    lasso is; on the raw scale FISTA's steps, 1 / (the largest column's curvature), left it
    unconverged (a relative gap of 0.09 and an objective 2% too high after 60,000
    iterations with one column 10⁴ times the others)."""
    import warnings

    from sklearn import linear_model

    X, y = data
    X = X * 10.0 ** np.linspace(-1, 4, X.shape[1])
    sw = np.random.default_rng(1).uniform(0.5, 2.0, y.size)
    theirs = linear_model.ElasticNet(alpha=0.5, l1_ratio=0.5, tol=1e-12, max_iter=1_000_000)
    for weights in (None, sw):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # (no ConvergenceWarning)
            ours = ElasticNet(alpha=0.5, l1_ratio=0.5).fit(X, y, sample_weight=weights)
        theirs.fit(X, y, sample_weight=weights)
        assert ours.n_iter_ < 2_000
        s = np.ones(y.size) if weights is None else weights
        assert abs(_objective(ours, X, y, s) / _objective(theirs, X, y, s) - 1) < 1e-9
        np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-6, atol=1e-3)
    # The fits run in float64 whatever JAX's flag, and so does their default tol (it followed
    # the flag: with x64 off, 1e-7 here, and a coefficient 0.554 for 1.272 on other data).
    with jax.enable_x64(False):
        ours = ElasticNet(alpha=0.5, l1_ratio=0.5).fit(X, y)
    assert ours.coef_.dtype == np.float64 and ours.dual_gap_ <= ESTIMATOR_TOL


def test_group_lasso_of_single_features_is_sklearn_lasso(data):
    """Groups of one feature with the default weights √1 = 1: scikit-learn's Lasso."""
    from sklearn import linear_model

    X, y = data
    sw = np.random.default_rng(1).uniform(0.5, 2.0, y.size)
    ours = GroupLasso(alpha=0.05, groups=1, tol=1e-12).fit(X, y, sample_weight=sw)
    theirs = linear_model.Lasso(alpha=0.05, tol=1e-12, max_iter=100_000).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-6)
    assert abs(_objective(ours, X, y, sw) / _objective(theirs, X, y, sw) - 1) < 1e-10


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_group_lasso_optimality(data, l1_ratio):
    """The group KKT conditions of the weighted objective, in NumPy: for a zero group
    ‖∇_g‖ ≤ αρw_g, for a nonzero one ∇_g + α(ρ w_g β_g/‖β_g‖ + (1 − ρ) w_g β_g) = 0; groups whole;
    string labels in any order, an unpenalized group; an int is contiguous groups."""
    X, y = data
    sw = np.random.default_rng(2).uniform(0.5, 2.0, y.size)
    groups = np.array(["c", "a", "a", "b", "b", "d", "d", "d", "c", "e"])
    weights = np.array([1.0, 2.0, 0.0, 1.5, 1.0])  # a, b, c (unpenalized), d, e
    model = GroupLasso(alpha=0.5, groups=groups, weights=weights, l1_ratio=l1_ratio, tol=1e-12)
    model.fit(X, y, sample_weight=sw)
    beta, s = model.coef_, sw / sw.sum()
    grad = -X.T @ (s * (y - model.predict(X)))
    assert abs(s @ (y - model.predict(X))) < 1e-8  # the intercept's condition
    zero = []
    for g, w in zip(np.unique(groups), weights, strict=True):
        idx = groups == g
        norm = np.linalg.norm(beta[idx])
        if norm == 0:
            zero.append(g)
            assert np.linalg.norm(grad[idx]) <= 0.5 * l1_ratio * w * (1 + 1e-6)
        else:
            assert np.all(beta[idx] != 0)  # a group enters whole
            rest = grad[idx] + 0.5 * w * (l1_ratio * beta[idx] / norm + (1 - l1_ratio) * beta[idx])
            # (a relative gap of 1e-12 is ~3e-9 absolute here, P_null ≈ 3e3: residuals of order
            # √(gap · L) ≈ 1e-5 against terms of order αw ≈ 0.5)
            np.testing.assert_allclose(rest, 0, atol=1e-4)
    assert zero and "c" not in zero  # some groups out; the unpenalized one in
    contiguous = GroupLasso(alpha=0.5, groups=3, tol=1e-12).fit(X, y)
    labels = GroupLasso(alpha=0.5, groups=np.arange(10) // 3, tol=1e-12).fit(X, y)
    np.testing.assert_array_equal(contiguous.coef_, labels.coef_)


def test_group_lasso_cv_is_folds_of_group_lasso(data):
    """GroupLassoCV's held-out MSE is each fold's GroupLasso fit on its training rows scored on
    its test rows (same α grid), its α the smallest mean, its refit GroupLasso at that α."""
    X, y = data
    groups = np.arange(10) // 3
    model = GroupLassoCV(groups=groups, alphas=6, eps=1e-2, cv=3, tol=1e-12).fit(X, y)
    assert model.mse_path_.shape == (6, 3) and np.all(np.diff(model.alphas_) < 0)
    folds = model.cv_results_.fold_ids
    for f in range(3):
        test = folds == f
        for k in (0, 3, 5):
            fit = GroupLasso(alpha=model.alphas_[k], groups=groups, tol=1e-12).fit(
                X[~test], y[~test]
            )
            mse = np.mean((y[test] - fit.predict(X[test])) ** 2)
            np.testing.assert_allclose(model.mse_path_[k, f], mse, rtol=1e-6)
    assert model.alpha_ == model.alphas_[np.argmin(model.mse_path_.mean(axis=1))]
    refit = GroupLasso(alpha=model.alpha_, groups=groups, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(model.coef_, refit.coef_, rtol=1e-6, atol=1e-8)
    assert np.all(model.coef_[groups == 3] == 0) or np.all(model.coef_[groups == 3] != 0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"groups": [0, 1]}, ValueError, "one label per column of X"),
        ({"groups": 0}, ValueError, "size of contiguous groups"),
        ({"groups": 2, "weights": [1.0, 1.0]}, ValueError, "weights must have one entry per group"),
        ({"groups": 5, "weights": [1.0, -1.0]}, ValueError, "weights must be non-negative"),
    ],
)
def test_group_lasso_bad_input(data, kwargs, error, match):
    X, y = data
    with pytest.raises(error, match=match):
        GroupLasso(alpha=0.1, **kwargs).fit(X, y)


def test_cv_alphas_none_is_refused_by_name(data):
    """scikit-learn 1.9 refuses ``alphas=None`` too; it had read as NaN ("lambdas must be
    finite")."""
    with pytest.raises(TypeError, match="alphas"):
        LassoCV(alphas=None).fit(*data)


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


def test_cv_alpha_counts_each_fold_once_as_sklearn():
    """With sample weights and folds of unequal sizes, ``alpha_`` minimizes the plain mean of
    ``mse_path_`` over the folds (scikit-learn's rule), not cv_path's ``cv_mean``, which weighs
    each fold by its held-out weight (glmnet's rule). On this seed the two rules pick different
    αs: the weighted one disagreed with scikit-learn."""
    from sklearn import linear_model
    from sklearn.model_selection import KFold

    rng = np.random.default_rng(1)
    X = rng.standard_normal((41, 30))
    y = X[:, :3] @ [1.0, -1.0, 0.5] + 2 * rng.standard_normal(41)
    sw = rng.uniform(0.1, 3, 41)
    ours = LassoCV(alphas=30, eps=1e-2, cv=KFold(3), tol=1e-12).fit(X, y, sample_weight=sw)
    theirs = linear_model.LassoCV(alphas=ours.alphas_, cv=KFold(3), tol=1e-12, max_iter=100_000)
    theirs.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-6)
    assert ours.alpha_ == theirs.alpha_ == ours.alphas_[np.argmin(ours.mse_path_.mean(axis=1))]
    assert ours.alpha_ != ours.cv_results_.lambda_min  # (the weighted rule's choice)
    one_se = LassoCV(alphas=30, eps=1e-2, cv=KFold(3), alpha_rule="1se", tol=1e-12)
    assert one_se.fit(X, y, sample_weight=sw).alpha_ == one_se.cv_results_.lambda_1se


def test_elastic_net_cv_chooses_among_l1_ratios(data):
    X, y = data
    model = ElasticNetCV(l1_ratio=[0.3, 1.0], alphas=10, cv=4).fit(X, y)
    assert model.mse_path_.shape == (2, 10, 4) and model.alphas_.shape == (2, 10)
    best = [m.mean(axis=1).min() for m in model.mse_path_]
    assert model.l1_ratio_ == [0.3, 1.0][int(np.argmin(best))]
    assert model.alpha_ in model.alphas_[[0.3, 1.0].index(model.l1_ratio_)]


def test_a_list_of_one_l1_ratio_is_one_ratio_as_in_sklearn(data):
    """scikit-learn squeezes the ratio axis of one ratio: alphas_ (n_alphas,), mse_path_
    (n_alphas, n_folds), as for the number itself (they were (1, 8) and (1, 8, 3))."""
    from sklearn.linear_model import ElasticNetCV as SkElasticNetCV

    X, y = data
    for ratio in ([0.5], np.array([0.5])):
        ours = ElasticNetCV(l1_ratio=ratio, alphas=8, cv=3).fit(X, y)
        theirs = SkElasticNetCV(l1_ratio=ratio, alphas=8, cv=3).fit(X, y)
        assert ours.alphas_.shape == theirs.alphas_.shape == (8,)
        assert ours.mse_path_.shape == theirs.mse_path_.shape == (8, 3)
        assert ours.l1_ratio_ == 0.5
    # given alphas are one grid for every ratio: (n_alphas,), as scikit-learn's
    kw = dict(l1_ratio=[0.3, 0.9], alphas=[1.0, 0.1, 0.01], cv=3)
    ours, theirs = ElasticNetCV(**kw).fit(X, y), SkElasticNetCV(**kw).fit(X, y)
    assert ours.alphas_.shape == theirs.alphas_.shape == (3,)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_)
    assert ours.mse_path_.shape == theirs.mse_path_.shape == (2, 3, 3)
    # one α: scikit-learn squeezes that axis too (it stayed (1, 3) and (2, 1, 3))
    for kw in (dict(alphas=[0.1]), dict(alphas=[0.1], l1_ratio=[0.3, 0.9])):
        ours, theirs = ElasticNetCV(cv=3, **kw).fit(X, y), SkElasticNetCV(cv=3, **kw).fit(X, y)
        assert ours.mse_path_.shape == theirs.mse_path_.shape
        np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-6)


def test_cv_splitters(data):
    from sklearn.model_selection import KFold, ShuffleSplit

    X, y = data
    model = LassoCV(alphas=5, cv=KFold(3, shuffle=True, random_state=0)).fit(X, y)
    assert model.mse_path_.shape == (5, 3)
    with pytest.raises(ValueError, match="exactly once"):
        LassoCV(alphas=5, cv=ShuffleSplit(3, random_state=0)).fit(X, y)
    with pytest.raises(ValueError, match="cv"):
        LassoCV(cv=1).fit(X, y)
    for cv in (5.0, "5", object()):  # (a bare "'float' object is not iterable" since 3d6e760)
        with pytest.raises(ValueError, match="Expected `cv` as an integer"):
            LassoCV(cv=cv).fit(X, y)


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
    with warnings.catch_warnings():  # scores of ±1e4: 1 / (1 + e^−s) warned of overflow
        warnings.simplefilter("error")
        far = ours.predict_proba(X * 1e4)
    np.testing.assert_allclose(far, theirs.predict_proba(X * 1e4), atol=1e-12)


def test_logistic_lasso_multinomial(data):
    """Three classes: one softmax model (not one-vs-rest); the grouped penalty zeroes whole
    rows."""
    X, y = data
    labels = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    model = LogisticLasso(alpha=0.005).fit(X * 10, labels)
    assert model.coef_.shape == (3, 10) and model.intercept_.shape == (3,)
    res = l1jax.path(X * 10, labels, loss="multinomial", lambdas=np.array([0.005]),
                     standardize=False, tol=1e-9)  # fmt: skip
    np.testing.assert_allclose(model.coef_, res.coef[0].T, rtol=1e-5, atol=1e-6)
    scores = model.decision_function(X * 10)
    assert scores.shape == (120, 3)
    proba = model.predict_proba(X * 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(proba), scores - np.log(np.exp(scores).sum(1))[:, None])
    np.testing.assert_array_equal(model.predict(X * 10), np.argmax(proba, axis=1))
    assert np.any(model.coef_ == 0) and not np.all((model.coef_ == 0).all(axis=0))
    grouped = LogisticLasso(alpha=0.005, grouped=True).fit(X * 10, labels)
    zero = grouped.coef_ == 0
    assert np.all(zero.all(axis=0) == zero.any(axis=0)) and zero.any()


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


def test_logistic_lasso_cv_multinomial(data):
    X, y = data
    labels = np.array(["low", "mid", "high"])[np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))]
    model = LogisticLassoCV(alphas=6, cv=3, scoring="accuracy").fit(X * 10, labels)
    assert model.classes_.tolist() == ["high", "low", "mid"]
    assert model.coef_.shape == (3, 10) and model.alpha_.shape == model.intercept_.shape == (3,)
    (cv,) = model.cv_results_
    assert cv.scoring == "misclassification" and cv.path.coef.shape[1:] == (10, 3)
    assert model.alphas_.shape == (1, 6) and np.all(model.alpha_ == cv.lambda_min)
    np.testing.assert_allclose(model.coef_, cv.path.coef[cv.index_min].T)
    np.testing.assert_allclose(model.predict_proba(X * 10).sum(axis=1), 1.0)
    assert set(model.predict(X * 10)) <= set(labels)
    with pytest.raises(ValueError, match="scoring"):
        LogisticLassoCV(alphas=6, cv=3, scoring="roc_auc").fit(X * 10, labels)


# ----------------------------------------------------------------------------------------------
# Multinomial against scikit-learn's saga (standardized iris and wine, 3 classes).


def _softmax_objective(model, X, y, alpha, grouped=False):
    from scipy.special import logsumexp

    eta = model.decision_function(X)
    Y = y[:, None] == model.classes_[None, :]
    B = model.coef_
    pen = np.linalg.norm(B, axis=0).sum() if grouped else np.abs(B).sum()
    return np.mean(logsumexp(eta, axis=1) - np.sum(Y * eta, axis=1)) + alpha * pen


@pytest.mark.parametrize("name", ["iris", "wine"])
def test_multinomial_objective_no_worse_than_saga(name):
    """l1jax's objective ≤ saga's × (1 + 1e-10) (scikit-learn's LogisticRegression with
    ``l1_ratio=1``, ``C = 1/(n α)``, tol 1e-10), string labels, rows of probabilities."""
    import warnings

    from sklearn import datasets
    from sklearn.linear_model import LogisticRegression

    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    labels = np.array(["c", "a", "b"])[y]  # classes_ sorted: a, b, c
    n = y.size
    for alpha in (0.05, 0.01):
        ours = LogisticLasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(X, labels)
        with warnings.catch_warnings():  # (saga's own convergence warning at tol=1e-10)
            warnings.simplefilter("ignore")
            theirs = LogisticRegression(l1_ratio=1.0, C=1 / (n * alpha), solver="saga", tol=1e-10,
                                        max_iter=100_000).fit(X, labels)  # fmt: skip
        assert ours.classes_.tolist() == theirs.classes_.tolist() == ["a", "b", "c"]
        mine, ref = (_softmax_objective(m, X, labels, alpha) for m in (ours, theirs))
        assert mine <= ref * (1 + 1e-10), (alpha, mine, ref)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-5)
        np.testing.assert_allclose(ours.predict_proba(X).sum(axis=1), 1.0, rtol=1e-12)
        assert np.mean(ours.predict(X) == theirs.predict(X)) > 0.99
        assert ours.score(X, labels) > 0.9


# ----------------------------------------------------------------------------------------------
# Multi-task regression against scikit-learn.


@pytest.fixture(scope="module")
def tasks():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 12)) * rng.uniform(0.5, 2.0, 12)
    B = np.zeros((12, 3))
    B[:4] = rng.standard_normal((4, 3))
    Y = X @ B + 0.5 * rng.standard_normal((100, 3)) + [1.0, -2.0, 0.5]
    return X, Y


def _multitask_objective(model, X, Y, s=None):
    s = np.ones(X.shape[0]) if s is None else s
    R = Y - model.predict(X)
    rho = getattr(model, "l1_ratio", 1.0)
    W = model.coef_
    pen = rho * np.linalg.norm(W, axis=0).sum() + (1 - rho) / 2 * np.sum(W**2)
    return 0.5 * s @ np.sum(R**2, axis=1) / s.sum() + model.alpha * pen


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_multitask_match_sklearn(tasks, fit_intercept):
    from sklearn import linear_model

    X, Y = tasks
    opts = dict(fit_intercept=fit_intercept, tol=1e-12, max_iter=100_000)
    pairs = [
        (MultiTaskLasso(alpha=0.2, **opts), linear_model.MultiTaskLasso(alpha=0.2, **opts)),
        (MultiTaskElasticNet(alpha=0.2, l1_ratio=0.6, **opts),
         linear_model.MultiTaskElasticNet(alpha=0.2, l1_ratio=0.6, **opts)),
    ]  # fmt: skip
    for ours, theirs in pairs:
        ours.fit(X, Y)
        theirs.fit(X, Y)
        assert ours.coef_.shape == theirs.coef_.shape == (3, 12)
        assert np.shape(ours.intercept_) == np.shape(theirs.intercept_)  # ((3,); 0.0 without)
        assert abs(_multitask_objective(ours, X, Y) / _multitask_objective(theirs, X, Y) - 1) \
            < 1e-10  # fmt: skip
        # (a 1e-12 objective accuracy leaves coefficients ~1e-6 apart, as for Lasso above)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-6)
        assert ours.predict(X).shape == (100, 3)
        assert ours.score(X, Y) == pytest.approx(theirs.score(X, Y), rel=1e-6)
        zero = ours.coef_ == 0
        assert np.all(zero.all(axis=0) == zero.any(axis=0)) and zero.any()  # whole features


def test_multitask_sample_weight_is_repeated_rows(tasks):
    X, Y = tasks
    counts = np.random.default_rng(1).integers(0, 3, X.shape[0])
    weighted = MultiTaskElasticNet(alpha=0.05, tol=1e-12).fit(X, Y, sample_weight=counts)
    rows = np.repeat(np.arange(X.shape[0]), counts)
    repeated = MultiTaskElasticNet(alpha=0.05, tol=1e-12).fit(X[rows], Y[rows])
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-7)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, atol=1e-7)
    s = counts.astype(float)
    assert _multitask_objective(weighted, X, Y, s) <= _multitask_objective(repeated, X, Y, s) \
        * (1 + 1e-10)  # fmt: skip


def test_multitask_lasso_cv_matches_sklearn(tasks):
    from sklearn import linear_model

    X, Y = tasks
    theirs = linear_model.MultiTaskLassoCV(alphas=12, cv=4, tol=1e-12, max_iter=100_000)
    theirs.fit(X, Y)
    ours = MultiTaskLassoCV(alphas=theirs.alphas_, cv=4, tol=1e-12).fit(X, Y)
    np.testing.assert_allclose(ours.alphas_, theirs.alphas_)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-6)
    assert ours.alpha_ == theirs.alpha_
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-6)
    grid = MultiTaskLassoCV(alphas=12, cv=4).fit(X, Y).alphas_  # scikit-learn's automatic grid
    np.testing.assert_allclose(grid, theirs.alphas_, rtol=1e-10)
    enet = MultiTaskElasticNetCV(l1_ratio=[0.5, 1.0], alphas=6, cv=4).fit(X, Y)
    assert enet.mse_path_.shape == (2, 6, 4) and enet.coef_.shape == (3, 12)
    assert enet.l1_ratio_ in (0.5, 1.0)


def test_lasso_and_elastic_net_fit_one_model_per_column_of_a_2d_y(tasks):
    """scikit-learn's Lasso and ElasticNet take y (n, n_targets): one independent model per
    column (coef_ (n_targets, p)); y (n, 1) gives coef_ (p,), intercept_ (1,). They were
    refused ("y should be a 1d array"). The CV models point to the multi-task ones."""
    from sklearn import linear_model

    X, Y = tasks
    opts = dict(tol=1e-12, max_iter=100_000)
    pairs = (
        (Lasso(alpha=0.1, **opts), linear_model.Lasso(alpha=0.1, **opts)),
        (ElasticNet(alpha=0.1, **opts), linear_model.ElasticNet(alpha=0.1, **opts)),
    )
    for ours, theirs in pairs:
        for y in (Y, Y[:, :1]):
            ours.fit(X, y)
            theirs.fit(X, y)
            assert ours.coef_.shape == theirs.coef_.shape
            assert np.shape(ours.intercept_) == np.shape(theirs.intercept_)
            assert np.shape(ours.dual_gap_) == np.shape(theirs.dual_gap_)
            np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(ours.predict(X), theirs.predict(X), atol=1e-6)
            assert ours.predict(X).shape == theirs.predict(X).shape
    both = Lasso(alpha=0.1, **opts).fit(X, Y).coef_
    for j in range(Y.shape[1]):  # ... each column's own fit
        one = Lasso(alpha=0.1, **opts).fit(X, Y[:, j])
        np.testing.assert_allclose(both[j], one.coef_, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="LassoCV fits one target; .* MultiTaskLassoCV"):
        LassoCV().fit(X, Y)


def test_multitask_refuse_one_task(tasks):
    X, Y = tasks
    with pytest.raises(ValueError, match="use Lasso"):
        MultiTaskLasso().fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="use ElasticNet"):
        MultiTaskElasticNetCV().fit(X, Y[:, 0])


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
    with pytest.raises(ValueError, match="^random_state must be >= 0"):  # (it said 'seed')
        StabilitySelection(n_subsamples=2, random_state=-1).fit(X, y)


def test_stability_selection_selector_poisson(data):
    """loss="poisson" was refused by the selector, which l1jax.stability_selection takes."""
    X, y = data
    counts = np.random.default_rng(0).poisson(np.exp(0.3 * (y - y.mean()) / y.std()))
    selector = StabilitySelection(loss="poisson", n_subsamples=6, alphas=6).fit(X, counts)
    st = l1jax.stability_selection(X, counts * 1.0, loss="poisson", n_subsamples=6, lambdas=6)
    np.testing.assert_array_equal(selector.probabilities_, st.probabilities)
    with pytest.raises(ValueError, match="y must be non-negative for loss='poisson'"):
        StabilitySelection(loss="poisson", n_subsamples=2, alphas=2).fit(X, y - y.max())


def test_groups_reach_cv_splitter_by_metadata_routing_as_in_scikit_learn():
    """scikit-learn's CV estimators route fit's groups to cv's split (metadata routing on), so a
    grid search or a nested cross_validate can group the inner folds; these refused groups,
    and the inner GroupKFold failed with "The 'groups' parameter should not be None"."""
    import sklearn
    from sklearn.linear_model import LassoCV as SkLassoCV
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold, cross_validate

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    y = X[:, 0] - 2 * X[:, 1] + 0.3 * rng.standard_normal(60)
    groups = np.arange(60) % 6
    alphas = [1.0, 0.1, 0.01]
    with sklearn.config_context(enable_metadata_routing=True):
        routed = LassoCV(alphas=alphas, cv=GroupKFold(3)).fit(X, y, groups=groups)
        splits = list(GroupKFold(3).split(X, y, groups))
        np.testing.assert_array_equal(
            routed.mse_path_, LassoCV(alphas=alphas, cv=splits).fit(X, y).mse_path_
        )
        nested = {name: cross_validate(model(alphas=alphas, cv=GroupKFold(3)), X, y,
                                       params={"groups": groups}, cv=GroupKFold(2),
                                       error_score="raise")["test_score"]
                  for name, model in (("l1jax", LassoCV), ("sklearn", SkLassoCV))}  # fmt: skip
        np.testing.assert_allclose(nested["l1jax"], nested["sklearn"], rtol=1e-4)
        labels = (y > 0).astype(int)
        LogisticLassoCV(alphas=3, cv=StratifiedGroupKFold(3)).fit(X, labels, groups=groups)
        # (a generator of splits: routing read cv too, and used it up before the folds)
        generated = LassoCV(alphas=alphas, cv=(s for s in splits)).fit(X, y)
        np.testing.assert_array_equal(generated.mse_path_, routed.mse_path_)


def test_import_l1jax_does_not_import_sklearn_or_matplotlib():
    import subprocess
    import sys

    code = (
        "import sys, l1jax; "
        "bad = [m for m in ('sklearn', 'matplotlib') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# scikit-learn's solver settings (precompute, copy_X, warm_start, random_state, selection,
# n_jobs, verbose): accepted so that code written for scikit-learn runs unchanged, checked, and
# without effect on the solution.
_SKLEARN_TWINS = {
    Lasso: "Lasso",
    ElasticNet: "ElasticNet",
    LassoCV: "LassoCV",
    ElasticNetCV: "ElasticNetCV",
    MultiTaskLasso: "MultiTaskLasso",
    MultiTaskElasticNet: "MultiTaskElasticNet",
    MultiTaskLassoCV: "MultiTaskLassoCV",
    MultiTaskElasticNetCV: "MultiTaskElasticNetCV",
}


@pytest.mark.parametrize("ours", list(_SKLEARN_TWINS), ids=lambda c: c.__name__)
def test_every_parameter_of_scikit_learns_twin_is_accepted(ours):
    import inspect

    import sklearn.linear_model

    theirs = getattr(sklearn.linear_model, _SKLEARN_TWINS[ours])
    missing = set(inspect.signature(theirs).parameters) - set(ours().get_params())
    assert not missing


def test_scikit_learns_solver_settings_leave_the_solution_unchanged():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 8))
    y = X[:, 0] - 2 * X[:, 3] + 0.1 * rng.standard_normal(60)
    X_before = X.copy()
    settings = dict(precompute=True, copy_X=False, warm_start=True, random_state=3,
                    selection="random")  # fmt: skip
    plain = ElasticNet(alpha=0.05).fit(X, y)
    tuned = ElasticNet(alpha=0.05, **settings).fit(X, y)
    refit = tuned.fit(X, y)  # (a warm start: the same solution)
    np.testing.assert_array_equal(X, X_before)  # copy_X=False: X is not written to either
    for model in (tuned, refit):
        np.testing.assert_allclose(model.coef_, plain.coef_, rtol=0, atol=1e-12)
    Y = np.stack([y, -y], axis=1)
    seed = np.random.RandomState(1)
    cv = MultiTaskLassoCV(alphas=6, cv=3, n_jobs=-1, verbose=0, random_state=seed,
                          selection="random").fit(X, Y)  # fmt: skip
    np.testing.assert_allclose(cv.coef_, MultiTaskLassoCV(alphas=6, cv=3).fit(X, Y).coef_,
                               rtol=0, atol=1e-12)  # fmt: skip


def test_verbose_of_the_cv_estimators_reports_cv_paths_progress(capsys):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 5))
    LassoCV(alphas=5, cv=3, verbose=True).fit(X, X[:, 0])
    assert "l1jax.cv_path" in capsys.readouterr().err
    LassoCV(alphas=5, cv=3).fit(X, X[:, 0])
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    "settings, error, words",
    [
        (dict(precompute=np.eye(3)), ValueError, "precomputed Gram"),
        (dict(precompute="yes"), ValueError, "precompute must be"),
        (dict(copy_X="no"), TypeError, "copy_X must be True or False"),
        (dict(warm_start=1), TypeError, "warm_start must be True or False"),
        (dict(selection="greedy"), ValueError, "selection must be 'cyclic' or 'random'"),
        (dict(random_state="seed"), ValueError, "seed"),
    ],
)
def test_bad_solver_settings_are_refused_by_name(settings, error, words):
    X, y = np.eye(3), np.arange(3.0)
    with pytest.raises(error, match=words):
        Lasso(alpha=0.1, **settings).fit(X, y)


@pytest.mark.parametrize(
    "settings, words",
    [(dict(n_jobs=0), "n_jobs must be"), (dict(n_jobs=1.5), "n_jobs must be"),
     (dict(verbose=-1), "verbose must be")],
)  # fmt: skip
def test_bad_cv_settings_are_refused_by_name(settings, words):
    X, y = np.eye(4), np.arange(4.0)
    with pytest.raises(ValueError, match=words):
        LassoCV(cv=2, **settings).fit(X, y)


def _errors_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4))
    return X, np.arange(30) % 3, np.array(["a", "b"])[np.arange(30) % 2], rng.standard_normal(30)


@pytest.mark.parametrize(
    "fit, error, words",
    [
        (lambda X, y3, y2, y: LogisticLasso(alpha=0.0).fit(X, y3), ValueError, r"^alpha must"),
        (lambda X, y3, y2, y: LogisticLassoCV(alphas=[0.1, 0.0]).fit(X, y3), ValueError,
         r"^alphas must"),
        (lambda X, y3, y2, y: ElasticNetCV(l1_ratio=0.0).fit(X, y), ValueError,
         "pass explicit alphas"),
        (lambda X, y3, y2, y: LassoCV(alphas=[]).fit(X, y), ValueError, "^alphas is empty"),
        (lambda X, y3, y2, y: LassoCV().fit(X, y, sample_weight=np.r_[np.zeros(15), np.ones(15)]),
         ValueError, "every fold of cv needs"),
        (lambda X, y3, y2, y: LogisticLassoCV(scoring="roc_auc").fit(X, y3), ValueError,
         r"scoring must be one of \['deviance', 'neg_log_loss', 'misclassification', "
         r"'accuracy'\] for 3 classes, got 'roc_auc'"),
        (lambda X, y3, y2, y: LogisticLassoCV().fit(X, y2, sample_weight=y2 != "a"),
         ValueError, "sample_weight leaves class 'a' of y without weight"),
        (lambda X, y3, y2, y: LogisticLassoCV().fit(X, y3, sample_weight=(y3 != 1) * 1.0),
         ValueError, "sample_weight leaves class 1 of y without weight"),
        # (by the user's labels, not their encoded index: 1 is label 2 of [1, 2, 3])
        (lambda X, y3, y2, y: LogisticLassoCV().fit(X, y3 + 1, sample_weight=(y3 != 1) * 1.0),
         ValueError, "sample_weight leaves class 2 of y without weight"),
        (lambda X, y3, y2, y: LogisticLassoCV().fit(X, np.array(["cat", "dog", "emu"])[y3],
                                                    sample_weight=(y3 != 1) * 1.0),
         ValueError, "sample_weight leaves class 'dog' of y without weight"),
        (lambda X, y3, y2, y: LogisticLasso(grouped="yes").fit(X, y2), TypeError,
         "grouped must be True or False"),
        (lambda X, y3, y2, y: GroupLasso(groups=2, weights=[1.0, -1.0]).fit(X, y), ValueError,
         r"^weights must be"),
        (lambda X, y3, y2, y: LassoCV(eps=0).fit(X, y), ValueError, r"^eps must be"),
        (lambda X, y3, y2, y: LassoCV(eps=None).fit(X, y), TypeError, r"^eps must be a number"),
        (lambda X, y3, y2, y: LassoCV().fit(X, y, groups=y3), TypeError,
         r"^LassoCV.fit\(\) takes groups for cv's splitter with scikit-learn's metadata routing "
         r"on only .* or pass the splits as cv, e.g. cv=list\(GroupKFold"),
        # (the splits of other data, as a nested CV's inner estimator got: NumPy's IndexError)
        (lambda X, y3, y2, y: LassoCV(cv=[(np.arange(30, 60), np.arange(30)),
                                          (np.arange(30), np.arange(30, 60))]).fit(X, y),
         ValueError, r"^cv's split 0 holds sample indices out of range for 30 samples"),
        (lambda X, y3, y2, y: LassoCV(cv=[(np.arange(40) < 20, np.arange(40) >= 20)]).fit(X, y),
         ValueError, r"^cv's split 0 holds sample indices out of range for 30 samples"),
        (lambda X, y3, y2, y: ElasticNetCV(l1_ratio=[[0.5, 1.0]]).fit(X, y), ValueError,
         r"^l1_ratio must be a number or a 1-D sequence of numbers, got shape \(1, 2\)"),
        # (splits whose train is not the rest: a gap was ignored, and a leak too)
        (lambda X, y3, y2, y: LassoCV(cv=[(np.arange(20, 30), np.arange(15)),
                                          (np.arange(15), np.arange(15, 30))]).fit(X, y),
         ValueError, r"^cv's split 0 does not train on exactly the samples outside its test "
                     r"set \(5 left out, 0 of the test set in\)"),
        (lambda X, y3, y2, y: LassoCV(cv=[(np.arange(30), np.arange(15)),
                                          (np.arange(15), np.arange(15, 30))]).fit(X, y),
         ValueError, r"^cv's split 0 .* \(0 left out, 15 of the test set in\)"),
        (lambda X, y3, y2, y: StabilitySelection(alphas=[0.1, -1.0]).fit(X, y), ValueError,
         r"^alphas must be"),
        (lambda X, y3, y2, y: LassoCV(alphas=10**30).fit(X, y), ValueError,
         r"^alphas must be a grid size from 1 to 1,000,000"),
        # (a float is not a grid size, as in scikit-learn: one alpha is [2.5])
        (lambda X, y3, y2, y: LassoCV(alphas=2.5).fit(X, y), TypeError,
         r"^alphas must be an int .* or a sequence of alphas, got 2.5; for this one alpha pass "
         r"\[2.5\]"),
        (lambda X, y3, y2, y: StabilitySelection(alphas=np.float64(0.5)).fit(X, y), TypeError,
         r"^alphas must be None, an int .* got np.float64\(0.5\); .* pass \[0.5\]"),
    ],
)  # fmt: skip
def test_errors_name_the_estimators_arguments(fit, error, words):
    """l1jax's errors reach the estimators' users in their words: ``alpha``/``alphas`` for
    ``lambdas``, ``cv`` for ``fold_ids``/``n_folds``, scikit-learn's scoring names, and a
    class that ``sample_weight`` leaves out is named as such (not blamed on the folds)."""
    with pytest.raises(error, match=words):
        fit(*_errors_data())


def test_one_se_rule_over_an_l1_ratio_grid_is_cv_paths():
    """alpha_rule="1se" with a list of l1_ratio: the ratio of the best cv_mean, then the
    largest α of its row within one standard error, as cv_path chooses over an l1_ratio grid
    (the estimator kept the ratio whose own 1-SE point scored best: another (ρ, α) for 3 of 6
    responses of this problem, found by a probe)."""
    from sklearn.model_selection import KFold

    rng = np.random.default_rng(6)
    X = rng.standard_normal((45, 7)) + 2
    cv = KFold(3, shuffle=True, random_state=1)
    fold_ids = np.zeros(45, int)
    for f, (_, test) in enumerate(cv.split(X)):
        fold_ids[test] = f
    ratios = [0.1, 0.5, 1.0]
    picks = set()
    for _ in range(4):
        y = X[:, 0] - X[:, 2] + 2 * rng.standard_normal(45)
        model = ElasticNetCV(l1_ratio=ratios, alphas=12, cv=cv, alpha_rule="1se").fit(X, y)
        ref = l1jax.cv_path(X, y, fold_ids=fold_ids, l1_ratio=ratios, lambdas=12,
                            lambda_min_ratio=1e-3, early_stop=False, standardize=False,
                            tol=1e-9)  # fmt: skip
        assert model.l1_ratio_ == ref.l1_ratio_min
        np.testing.assert_allclose(model.alpha_, ref.lambda_1se, rtol=1e-12)
        picks.add(model.l1_ratio_)
    assert len(picks) > 1  # (the choice of ρ is exercised)


def test_one_se_rule_with_under_three_rows_per_fold_is_cv_paths():
    """Under 3 rows per fold cv_path's cv_se spreads the rows' scores (cv.glmnet's rule, its
    lambda.1se checked there): the estimator's padding rows (zero weight, up to 128) counted as
    rows and hid that rule; alpha_ was 0.433 against cv_path's and glmnet's 0.658 (a probe)."""
    from sklearn.model_selection import KFold

    rng = np.random.default_rng(8)
    X = rng.standard_normal((12, 4))
    y = X[:, 0] + 0.8 * rng.standard_normal(12)
    folds = list(KFold(5).split(X))
    fold_ids = np.zeros(12, int)
    for f, (_, test) in enumerate(folds):
        fold_ids[test] = f
    alphas = np.logspace(0, -2, 12)
    model = LassoCV(cv=folds, alphas=alphas, alpha_rule="1se", tol=1e-10).fit(X, y)
    ref = l1jax.cv_path(X, y, fold_ids=fold_ids, lambdas=alphas, standardize=False, tol=1e-10,
                        early_stop=False)  # fmt: skip
    np.testing.assert_allclose(model.cv_results_.cv_se, ref.cv_se, rtol=1e-7)
    assert model.alpha_ == ref.lambda_1se


def test_fits_in_threads_leave_the_warnings_machinery_alone():
    """Each fit recorded and re-issued its warnings in a catch_warnings, which swaps the
    process's warning state: two threads fitting at once (joblib's threading backend) left every
    later warning of the process in a list nobody read, ConvergenceWarnings included (a probe).
    The warnings of a fit are now l1jax's and scikit-learn's ConvergenceWarning at once."""
    import threading

    from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning

    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 6))
    y = X[:, 0] + rng.standard_normal(100)
    before = warnings._showwarnmsg_impl, list(warnings.filters)

    def work():
        for alpha in np.logspace(-3, 0, 8):
            Lasso(alpha=alpha).fit(X, y)

    for _ in range(3):
        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert (warnings._showwarnmsg_impl, list(warnings.filters)) == before
    wide = np.c_[X, X @ rng.standard_normal((6, 14))]
    unconverged = Lasso(alpha=1e-4, max_iter=1, tol=1e-14)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        thread = threading.Thread(target=unconverged.fit, args=(wide, y))
        thread.start()
        thread.join()
    (w,) = [w for w in caught if issubclass(w.category, SklearnConvergenceWarning)]
    assert issubclass(w.category, l1jax.ConvergenceWarning) and "did not converge" in str(w.message)


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn", None)  # (as if not installed)
    monkeypatch.delitem(sys.modules, "l1jax.estimators")
    with pytest.raises(ImportError, match=r'pip install "l1jax\[sklearn\]"'):
        import l1jax.estimators  # noqa: F401


def test_masked_entries_are_refused_at_fit_predict_and_transform():
    """Masked entries of X, y or sample_weight were fitted with their hidden values
    (scikit-learn's checks drop the mask; l1jax.path refuses them): refused by name."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 4)), rng.standard_normal(30)
    hidden = np.ma.array(X, mask=np.zeros_like(X, bool))
    hidden[0, 0] = np.ma.masked
    for est in (Lasso(alpha=0.1), MultiTaskLasso(alpha=0.1), StabilitySelection(n_subsamples=4)):
        Y = np.c_[y, y] if isinstance(est, MultiTaskLasso) else y
        with pytest.raises(ValueError, match=r"^X is a masked array"):
            est.fit(hidden, Y)
        with pytest.raises(ValueError, match=r"^y is a masked array"):
            est.fit(X, np.ma.array(Y, mask=np.arange(Y.size).reshape(Y.shape) == 0))
        with pytest.raises(ValueError, match=r"^sample_weight is a masked array"):
            est.fit(X, Y, sample_weight=np.ma.array(np.ones(30), mask=np.arange(30) == 0))
        est.fit(X, Y)
        with pytest.raises(ValueError, match=r"^X is a masked array"):
            (est.transform if isinstance(est, StabilitySelection) else est.predict)(hidden)


def test_fitted_attributes_are_scikit_learns():
    """What a porting user reads off a fit, as scikit-learn 1.9 sets it: intercept_ 0.0
    without an intercept (was an array of zeros for a 2-D y), no l1_ratio_ on the lasso CVs, alpha_
    and dual_gap_ as NumPy floats, sparse_coef_, fit(check_input=...), the multinomial
    intercepts summing to 0 (they sat −3.2 off, shifting decision_function), n_iter_ int32, no
    classes_ left from an earlier logistic fit of StabilitySelection."""
    from sklearn import linear_model as sk

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 5)), rng.standard_normal(40)
    Y = np.c_[y, rng.standard_normal(40)]
    for est, target in ((Lasso(alpha=0.1, fit_intercept=False), Y),
                        (MultiTaskLasso(alpha=0.1, fit_intercept=False), Y),
                        (LassoCV(alphas=5, fit_intercept=False), y)):  # fmt: skip
        twin = getattr(sk, type(est).__name__)(fit_intercept=False).fit(X, target)
        assert est.fit(X, target).intercept_ == twin.intercept_ == 0.0
        assert type(est.intercept_) is type(twin.intercept_)
    lasso_cv, enet_cv = LassoCV(alphas=5).fit(X, y), ElasticNetCV(alphas=5).fit(X, y)
    assert not hasattr(lasso_cv, "l1_ratio_") and enet_cv.l1_ratio_ == 0.5
    assert isinstance(lasso_cv.alpha_, np.float64) and isinstance(lasso_cv.dual_gap_, np.float64)
    lasso = Lasso(alpha=0.1).fit(X, y, check_input=False)
    np.testing.assert_array_equal(lasso.sparse_coef_.toarray(), lasso.coef_[None])
    labels = np.arange(60) % 3
    Xc = rng.standard_normal((60, 4)) + labels[:, None]
    model = LogisticLasso(alpha=0.01, tol=1e-12).fit(Xc, labels)
    twin = sk.LogisticRegression(l1_ratio=1.0, C=1 / (0.01 * 60), solver="saga", tol=1e-12,
                                 max_iter=100_000).fit(Xc, labels)  # fmt: skip
    assert abs(model.intercept_.sum()) < 1e-12 and model.n_iter_.dtype == np.int32
    np.testing.assert_allclose(model.intercept_, twin.intercept_, atol=1e-6)
    np.testing.assert_allclose(model.decision_function(Xc), twin.decision_function(Xc), atol=1e-5)
    selector = StabilitySelection(loss="logistic", n_subsamples=4).fit(X, y > 0)
    assert hasattr(selector, "classes_")
    assert not hasattr(selector.set_params(loss="squared").fit(X, y), "classes_")


def test_convergence_warnings_speak_of_the_estimator():
    """A Lasso's warning named "l1jax.path" and its lambda_min_ratio, which a Lasso has not;
    LassoCV's named l1jax.cv_path."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 6)), rng.standard_normal(40)
    with pytest.warns(l1jax.ConvergenceWarning) as caught:
        Lasso(alpha=0.001, max_iter=2).fit(X, y)
    text = str(caught[0].message)
    assert text.startswith("Lasso.fit: ") and "lambda_min_ratio" not in text
    assert "Increase max_iter (now 2) or loosen tol." in text
    with pytest.warns(l1jax.ConvergenceWarning) as caught:
        LassoCV(alphas=10, max_iter=2).fit(X, y)
    texts = [str(w.message) for w in caught]
    assert all(t.startswith("LassoCV.fit") and "l1jax" not in t for t in texts), texts
    assert any("a larger eps" in t for t in texts)


@pytest.mark.parametrize("n_classes", [2, 3, 4])
def test_a_class_without_weight_has_probability_zero(n_classes):
    """A class whose samples all weigh 0 (BaggingClassifier's bootstrap counts that missed a
    rare class) was refused ("its intercept would be -inf"), so the ensemble failed. A zero
    weight drops a row: the other classes' model is the fit without those rows, the class's
    probability 0."""
    from sklearn.ensemble import BaggingClassifier

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    y = np.array(["a", "b", "c", "d"][:n_classes])[np.arange(60) % n_classes]
    X[:, 0] += (np.arange(60) % n_classes) * 1.5
    missed = y == y[-1]  # (the last class: all its samples weigh 0)
    w = np.where(missed, 0.0, 1.0 + rng.random(60))
    model = LogisticLasso(alpha=0.02, tol=1e-10).fit(X, y, sample_weight=w)
    assert model.classes_.tolist() == sorted(set(y))
    proba = model.predict_proba(X)
    assert np.isfinite(model.decision_function(X)).all()  # (±inf: NaN in calibrations, bags)
    assert (proba[:, -1] < 1e-300).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert not (model.predict(X) == y[-1]).any()
    assert not (model.predict(200 * X) == y[-1]).any()  # (far out, where the weighed classes
    # scored below a constant −708, the weightless class won with probability 1)
    if n_classes > 2:  # the others: the fit without those rows (as much as a refit agrees)
        kept = LogisticLasso(alpha=0.02, tol=1e-10).fit(X[~missed], y[~missed], w[~missed])
        np.testing.assert_allclose(proba[:, :-1], kept.predict_proba(X), atol=1e-6)
        two = kept.coef_.shape[0] == 1  # (two classes left: a binary model, its log-odds)
        left = model.coef_[1:2] - model.coef_[0:1] if two else model.coef_[:-1]
        np.testing.assert_allclose(left, kept.coef_, atol=1e-6)
    rare = np.where(np.arange(60) < 2, "rare", y)  # (2 samples: bootstraps miss them)
    bag = BaggingClassifier(LogisticLasso(alpha=0.02), n_estimators=10, random_state=0)
    proba = bag.fit(X, rare).predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-9)
    assert np.isfinite(bag.decision_function(X)).all()


def test_a_pandas_target_with_missing_labels_is_named():
    """pd.NA in a string target: pandas' "boolean value of NA is ambiguous" (scikit-learn's
    too), naming neither y nor the fix."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.standard_normal((40, 3)), columns=list("abc"))
    y = pd.Series(["p", "n"] * 19 + ["p", None], dtype="string")
    with pytest.raises(ValueError, match=r"y has missing values .* in 1 of its entries; drop"):
        l1jax.estimators.LogisticLasso(alpha=0.01).fit(X, y)
    with pytest.raises(ValueError, match=r"y has missing values"):
        l1jax.estimators.Lasso(alpha=0.01).fit(X, pd.Series([1.0] * 39 + [None], dtype="Float64"))


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the host's Gram route is a CPU's")
@pytest.mark.parametrize("estimator, peak_x", [(Lasso(alpha=0.05), 0.75),
                                               (LassoCV(alphas=5, cv=3), 1.8)])  # fmt: skip
def test_host_gram_fits_make_no_padded_copy_of_x(monkeypatch, estimator, peak_x):
    """Lasso and LassoCV on a tall X (the Gram matrix formed on the host, whose programs see
    its bucketed size) fit X as it is: no padded copy (traced peaks, in X's sizes: 1.68 and
    2.35 with it, 0.51 and 1.40 without; the folds' held-out rows are copied to score them):
    Lasso's fit is path's of X."""
    import tracemalloc

    monkeypatch.setattr(l1jax._inputs, "GRAM_SLICE", 2**16)
    rng = np.random.default_rng(3)
    X = rng.standard_normal((20_001, 30))  # (bucketed: 20,480 rows and 32 columns)
    y = X[:, :3].sum(1) + rng.standard_normal(20_001)
    estimator.fit(X, y)  # (compiled: the peak is the fit's)
    tracemalloc.start()
    try:
        estimator.fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < peak_x * X.nbytes, (peak, X.nbytes)
    if isinstance(estimator, Lasso):  # (path's fit of X itself, to the last bit)
        ref = l1jax.path(X, y, lambdas=[0.05], standardize=False, tol=ESTIMATOR_TOL)
        np.testing.assert_array_equal(estimator.coef_, ref.coef[0])
        np.testing.assert_array_equal(estimator.intercept_, ref.intercept[0])


@pytest.mark.parametrize("classes", [2, 3])
def test_classifiers_pad_a_tall_x(monkeypatch, classes):
    """LogisticLasso's fits (logistic, multinomial) never form a Gram matrix: a tall X is padded
    to bucketed sizes as before, shared programs (its padding took the squared loss's rule)."""
    from l1jax import estimators

    shapes = []
    monkeypatch.setattr(estimators, "path", lambda X, *a, path=estimators.path, **k:
                        shapes.append(X.shape) or path(X, *a, **k))  # fmt: skip
    rng = np.random.default_rng(4)
    X = rng.standard_normal((1001, 5))
    y = rng.integers(0, classes, 1001)
    LogisticLasso(alpha=0.01).fit(X, y)
    assert shapes == [(1024, 16)]

"""Oracle tests for ``l1jax.path`` and ``l1jax.solve_path`` (float64 unless stated).

Every expected value comes from outside l1jax: closed forms, scikit-learn (``lars_path``,
``enet_path``, ``LogisticRegression``), or optimality conditions (KKT) evaluated here in numpy.
The objective is the one of ../shared/DESIGN.md:

    (1/Σs) Σ s_i ℓ(y_i, b + x_iᵀβ) + λ Σ_j v_j (ρ|β_j| + (1 − ρ)/2 β_j²)

with the penalty on the standardized coefficients β_j·sd_j when ``standardize=True``.
"""

from __future__ import annotations

import functools
import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso, LogisticRegression, enet_path, lars_path

import l1jax

TIGHT = 1e-12  # relative duality gap asked for wherever a tight answer is needed
LOSSES = ("squared", "logistic", "poisson")
SHAPES = {"tall": (120, 15), "wide": (40, 100)}  # n > p and p > n


# --------------------------------------------------------------------------------------------
# numpy reference machinery (independent of l1jax)
# --------------------------------------------------------------------------------------------


def _mean_fn(loss, eta):
    if loss == "squared":
        return eta
    if loss == "logistic":
        return 1.0 / (1.0 + np.exp(-eta))
    return np.exp(eta)


def _link(loss, mu):
    if loss == "squared":
        return mu
    if loss == "logistic":
        return np.log(mu / (1.0 - mu))
    return np.log(mu)


def _pointwise(loss, y, eta):
    if loss == "squared":
        return 0.5 * (y - eta) ** 2
    if loss == "logistic":
        return np.logaddexp(0.0, eta) - y * eta
    return np.exp(eta) - y * eta


def _weights(n, sample_weight):
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    return s / s.sum()


def _col_scale(X, s):
    """Weighted (1/n-convention) standard deviation of each column."""
    m = s @ X
    return np.sqrt(s @ (X - m) ** 2)


def objective(
    X,
    y,
    coef,
    intercept,
    lam,
    *,
    loss="squared",
    l1_ratio=1.0,
    penalty_factor=None,
    sample_weight=None,
    scale=None,
):
    """The DESIGN objective at one λ; ``scale`` multiplies β inside the penalty (standardize)."""
    X = np.asarray(X, dtype=float)
    coef = np.asarray(coef, dtype=float)
    n, p = X.shape
    s = _weights(n, sample_weight)
    v = np.ones(p) if penalty_factor is None else np.asarray(penalty_factor, dtype=float)
    bs = coef if scale is None else coef * scale
    eta = float(intercept) + X @ coef
    data = s @ _pointwise(loss, y, eta)
    pen = lam * np.sum(v * (l1_ratio * np.abs(bs) + 0.5 * (1.0 - l1_ratio) * bs**2))
    return data + pen


def null_gradient(X, y, *, loss, sample_weight=None, fit_intercept=True):
    """Gradient of the smooth part at β = 0 (intercept at its intercept-only optimum)."""
    n = X.shape[0]
    s = _weights(n, sample_weight)
    mu0 = s @ y if fit_intercept else _mean_fn(loss, 0.0)
    return X.T @ (s * (mu0 - y))


def lambda_max(
    X,
    y,
    *,
    loss,
    l1_ratio=1.0,
    penalty_factor=None,
    sample_weight=None,
    standardize=False,
    fit_intercept=True,
):
    """DESIGN's λ_max (all v_j > 0)."""
    n, p = X.shape
    s = _weights(n, sample_weight)
    Xt = X
    if standardize:
        Xt = (X - s @ X) / _col_scale(X, s)
    g = null_gradient(Xt, y, loss=loss, sample_weight=sample_weight, fit_intercept=fit_intercept)
    v = np.ones(p) if penalty_factor is None else np.asarray(penalty_factor, dtype=float)
    return np.max(np.abs(g) / (l1_ratio * v))


def kkt_violation(
    X,
    y,
    coef,
    intercept,
    lam,
    *,
    loss,
    l1_ratio=1.0,
    penalty_factor=None,
    sample_weight=None,
    positive=False,
    fit_intercept=True,
    scale=None,
):
    """Largest violation of the optimality conditions of the DESIGN objective at one λ.

    With g = (1/Σs) Xᵀ(s ⊙ (μ − y)), a_j = λ v_j ρ sd_j and c_j = λ v_j (1 − ρ) sd_j² (sd = 1
    without standardization): β_j ≠ 0 needs g_j + c_j β_j + a_j sign(β_j) = 0; β_j = 0 needs
    |g_j| ≤ a_j (positive: g_j ≥ −a_j); the intercept needs Σ s_i (μ_i − y_i) = 0.
    """
    n, p = X.shape
    s = _weights(n, sample_weight)
    v = np.ones(p) if penalty_factor is None else np.asarray(penalty_factor, dtype=float)
    sd = np.ones(p) if scale is None else scale
    a = lam * v * l1_ratio * sd
    c = lam * v * (1.0 - l1_ratio) * sd**2
    mu = _mean_fn(loss, float(intercept) + X @ coef)
    g = X.T @ (s * (mu - y))
    nz = coef != 0
    viol = np.where(nz, np.abs(g + c * coef + a * np.sign(coef)), 0.0)
    if positive:
        zero_viol = np.maximum(-a - g, 0.0)
        viol = np.maximum(viol, np.where(coef < 0, np.inf, 0.0))
    else:
        zero_viol = np.maximum(np.abs(g) - a, 0.0)
    viol = np.where(nz, viol, zero_viol)
    worst = float(np.max(viol))
    if fit_intercept:
        worst = max(worst, abs(float(s @ (mu - y))))
    else:
        assert float(intercept) == 0.0
    return worst


@functools.cache
def _make_data(loss, n, p, seed):
    rng = np.random.default_rng(seed)
    idx = np.arange(p)
    cov = 0.6 ** np.abs(np.subtract.outer(idx, idx))
    X = rng.standard_normal((n, p)) @ np.linalg.cholesky(cov).T
    beta = np.zeros(p)
    k = min(5, p)
    beta[rng.choice(p, k, replace=False)] = rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 2.0, k)
    eta = X @ beta
    if loss == "squared":
        y = eta + 0.5 + 0.5 * rng.standard_normal(n)
    elif loss == "logistic":
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-(0.3 + 0.8 * eta)))).astype(float)
    else:
        y = rng.poisson(np.exp(0.2 + 0.25 * eta)).astype(float)
    return X, y


def make_data(loss="squared", shape="tall", seed=0):
    n, p = SHAPES[shape] if isinstance(shape, str) else shape
    X, y = _make_data(loss, n, p, seed)
    return X.copy(), y.copy()


def _np(res):
    """The result fields as numpy arrays."""
    return {
        k: np.asarray(getattr(res, k))
        for k in ("lambdas", "coef", "intercept", "converged", "n_iter", "gap")
    }


def _relevant(record):
    """Warnings raised by the code under test (third-party deprecations left out)."""
    return [
        w
        for w in record
        if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
    ]


# --------------------------------------------------------------------------------------------
# scikit-learn's toy problem (closed form: β = (2/3 − λρ) / (2/3 + λ(1 − ρ)))
# --------------------------------------------------------------------------------------------

TOY = [
    # l1_ratio, lambdas (descending, as returned), expected coef (same order)
    pytest.param(1.0, [1.0, 0.5, 0.1], [0.0, 0.25, 0.85], id="lasso"),
    pytest.param(0.3, [0.5], [0.5081967213114754], id="enet_0.3"),
    pytest.param(0.5, [0.5], [5.0 / 11.0], id="enet_0.5"),
]


@pytest.mark.parametrize("l1_ratio, lambdas, expected", TOY)
def test_sklearn_toy(l1_ratio, lambdas, expected):
    X = np.array([[-1.0], [0.0], [1.0]])
    y = np.array([-1.0, 0.0, 1.0])
    res = l1jax.path(
        X,
        y,
        lambdas=np.array(lambdas),
        l1_ratio=l1_ratio,
        standardize=False,
        fit_intercept=True,
        tol=TIGHT,
    )
    r = _np(res)
    np.testing.assert_allclose(r["lambdas"], lambdas, rtol=1e-15)
    np.testing.assert_allclose(r["coef"][:, 0], expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(r["intercept"], 0.0, rtol=0, atol=1e-12)
    assert np.all(r["coef"][np.array(expected) == 0.0] == 0.0)  # exact zeros above λ_max
    assert r["converged"].all()


# --------------------------------------------------------------------------------------------
# diabetes: the exact LARS lasso path, linear in λ between knots
# --------------------------------------------------------------------------------------------


@functools.cache
def _diabetes_lars():
    X_raw, y = load_diabetes(return_X_y=True, scaled=False)
    m, sd = X_raw.mean(0), X_raw.std(0)
    Xs = (X_raw - m) / sd  # unit 1/n variance, centred
    yc = y - y.mean()
    alphas, _, coefs = lars_path(Xs, yc, method="lasso")
    # Oracle self-check: lars_path's alphas are in the 1/n convention of Lasso(alpha).
    k = 3
    ref = Lasso(alpha=alphas[k], fit_intercept=False, tol=1e-14, max_iter=10**6).fit(Xs, yc)
    assert np.max(np.abs(ref.coef_ - coefs[:, k])) < 1e-8 * np.max(np.abs(coefs[:, k]))
    # λs strictly between knots, and the interpolated exact solution there
    lams, exp = [], []
    for t in (0.3, 0.7):
        lams.append((1 - t) * alphas[:-1] + t * alphas[1:])
        exp.append((1 - t) * coefs[:, :-1] + t * coefs[:, 1:])
    lams = np.concatenate(lams)
    exp = np.concatenate(exp, axis=1).T
    order = np.argsort(-lams)
    return X_raw, y, m, sd, lams[order], exp[order]


@pytest.mark.parametrize("variant", ["centred_standardized_input", "raw_input_standardize_true"])
def test_diabetes_lars_path(variant):
    X_raw, y, m, sd, lams, exp_std = _diabetes_lars()
    if variant == "centred_standardized_input":
        X, yy = (X_raw - m) / sd, y - y.mean()
        res = l1jax.path(X, yy, lambdas=lams, standardize=False, fit_intercept=False, tol=TIGHT)
        exp_coef, exp_b, scale = exp_std, np.zeros(len(lams)), None
    else:
        X, yy = X_raw, y
        res = l1jax.path(X, yy, lambdas=lams, standardize=True, fit_intercept=True, tol=TIGHT)
        exp_coef = exp_std / sd
        exp_b = y.mean() - exp_coef @ m
        scale = sd
    r = _np(res)
    np.testing.assert_allclose(r["lambdas"], lams, rtol=1e-15)
    # objective: certified by the duality gap (relative to the null objective)
    null = 0.5 * np.mean((yy - yy.mean()) ** 2)
    for k, lam in enumerate(lams):
        got = objective(X, yy, r["coef"][k], r["intercept"][k], lam, scale=scale)
        best = objective(X, yy, exp_coef[k], exp_b[k], lam, scale=scale)
        assert got - best <= 1e-11 * null, (k, lam, got, best)
    # support: exactly the LARS support (zeros are exact zeros)
    np.testing.assert_array_equal(r["coef"] != 0, exp_coef != 0)
    # intercept: 0 without one; else its optimality condition given the returned coefficients
    b_opt = yy.mean() - r["coef"] @ X.mean(0) if scale is not None else np.zeros(len(lams))
    np.testing.assert_allclose(r["intercept"], b_opt, rtol=0, atol=1e-9 * abs(y.mean()))
    # coefficients: the exact path, as close as the certified gap allows. On a fixed support S
    # the objective is μ-strongly convex (μ = smallest eigenvalue of X_SᵀX_S/n, standardized
    # scale), so ‖β − β*‖ ≤ √(2 · gap · P_null / μ): near λ_max, where the coefficients are
    # small, a relative gap of 1e-12 pins them to ~1e-6, deeper in the path to ~1e-8 or better.
    Xs = (X_raw - m) / sd
    std_coef = r["coef"] * (sd if scale is not None else 1.0)
    for k in range(len(lams)):
        S = exp_std[k] != 0
        mu = np.linalg.eigvalsh(Xs[:, S].T @ Xs[:, S] / len(y)).min()
        bound = np.sqrt(2 * max(r["gap"][k], 0.0) * null / mu) + 1e-10
        err = np.abs(std_coef[k] - exp_std[k]).max()
        assert err <= bound, (k, lams[k], err, bound)
    err = np.abs(r["coef"] - exp_coef).max(1) / np.abs(exp_coef).max(1)
    assert np.median(err) <= 1e-8, err


# --------------------------------------------------------------------------------------------
# random correlated problems against scikit-learn's coordinate descent at tol 1e-14
# --------------------------------------------------------------------------------------------


def _sk_enet(X, y, lams, l1_ratio, fit_intercept):
    """scikit-learn's path (its objective is DESIGN's); intercept by centring."""
    xm = X.mean(0) if fit_intercept else np.zeros(X.shape[1])
    ym = y.mean() if fit_intercept else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, coefs, _ = enet_path(
            X - xm,
            y - ym,
            l1_ratio=l1_ratio,
            alphas=lams,
            tol=1e-14,
            max_iter=10**6,
            precompute=False,
        )
    coefs = coefs.T
    return coefs, ym - coefs @ xm


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_intercept"])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["lasso", "enet"])
@pytest.mark.parametrize("shape", ["wide", "tall"])
def test_objective_matches_sklearn(shape, l1_ratio, fit_intercept):
    X, y = make_data("squared", shape, seed=1)
    n, p = X.shape
    lmax = lambda_max(X, y, loss="squared", l1_ratio=l1_ratio, fit_intercept=fit_intercept)
    lams = lmax * np.geomspace(1.0, 1e-2 if p > n else 1e-3, 10)
    res = l1jax.path(
        X,
        y,
        lambdas=lams,
        l1_ratio=l1_ratio,
        fit_intercept=fit_intercept,
        standardize=False,
        tol=TIGHT,
    )
    r = _np(res)
    np.testing.assert_allclose(r["lambdas"], lams, rtol=1e-15)
    sk_coef, sk_b = _sk_enet(X, y, lams, l1_ratio, fit_intercept)
    if not fit_intercept:
        assert np.all(r["intercept"] == 0.0)
    for k, lam in enumerate(lams):
        kw = dict(l1_ratio=l1_ratio)
        got = objective(X, y, r["coef"][k], r["intercept"][k], lam, **kw)
        ref = objective(X, y, sk_coef[k], sk_b[k], lam, **kw)
        assert got <= ref + 1e-9 * abs(ref), (k, lam, got, ref, (got - ref) / ref)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["lasso", "enet"])
def test_standardize_matches_sklearn_on_standardized_data(l1_ratio):
    X, y = make_data("squared", "tall", seed=2)
    rng = np.random.default_rng(2)
    X = X * rng.uniform(0.1, 10.0, X.shape[1]) + rng.uniform(-5.0, 5.0, X.shape[1])
    m, sd = X.mean(0), X.std(0)
    Xs = (X - m) / sd
    lmax = lambda_max(X, y, loss="squared", l1_ratio=l1_ratio, standardize=True)
    lams = lmax * np.geomspace(1.0, 1e-3, 8)
    res = l1jax.path(X, y, lambdas=lams, l1_ratio=l1_ratio, standardize=True, tol=TIGHT)
    r = _np(res)
    sk_coef_s, _ = _sk_enet(Xs, y, lams, l1_ratio, fit_intercept=True)
    sk_coef = sk_coef_s / sd
    sk_b = y.mean() - sk_coef @ m
    for k, lam in enumerate(lams):
        kw = dict(l1_ratio=l1_ratio, scale=sd)
        got = objective(X, y, r["coef"][k], r["intercept"][k], lam, **kw)
        ref = objective(X, y, sk_coef[k], sk_b[k], lam, **kw)
        assert got <= ref + 1e-9 * abs(ref), (k, lam, got, ref)
    # on the original scale, the coefficients agree too (problem well conditioned)
    np.testing.assert_allclose(r["coef"], sk_coef, rtol=0, atol=1e-5 * np.abs(sk_coef).max())


# --------------------------------------------------------------------------------------------
# L1 logistic regression against scikit-learn (saga: unpenalized intercept; liblinear without)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["saga_intercept", "liblinear"])
def test_l1_logistic_no_worse_than_sklearn(fit_intercept):
    X, y = make_data("logistic", "tall", seed=3)
    n = X.shape[0]
    g0 = null_gradient(X, y, loss="logistic", fit_intercept=fit_intercept)
    lams = np.abs(g0).max() * np.array([0.5, 0.2, 0.1, 0.05, 0.02])
    res = l1jax.path(
        X,
        y,
        loss="logistic",
        lambdas=lams,
        standardize=False,
        fit_intercept=fit_intercept,
        tol=TIGHT,
    )
    r = _np(res)
    np.testing.assert_allclose(r["lambdas"], lams, rtol=1e-15)
    solver = "saga" if fit_intercept else "liblinear"
    for k, lam in enumerate(lams):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sk = LogisticRegression(
                l1_ratio=1.0,
                C=1.0 / (n * lam),
                solver=solver,
                fit_intercept=fit_intercept,
                tol=1e-14,
                max_iter=100_000,
            ).fit(X, y)
        b_sk = sk.intercept_[0] if fit_intercept else 0.0
        ref = objective(X, y, sk.coef_[0], b_sk, lam, loss="logistic")
        got = objective(X, y, r["coef"][k], r["intercept"][k], lam, loss="logistic")
        assert got <= ref + 1e-8 * abs(ref), (k, lam, got, ref)


# --------------------------------------------------------------------------------------------
# KKT conditions on every λ: squared, logistic, poisson, with weights, penalty factors
# (including zeros), positive=True, no intercept, standardization
# --------------------------------------------------------------------------------------------


def _config(name, n, p, seed=0):
    rng = np.random.default_rng(100 + seed)
    w = rng.uniform(0.2, 3.0, n)
    w[:3] = 0.0  # zero weights are allowed (only all-zero is not)
    pf = rng.uniform(0.5, 2.0, p)
    pf[[1, p // 2]] = 0.0  # unpenalized features
    return {
        "plain": dict(),
        "weights_pf_enet": dict(sample_weight=w, penalty_factor=pf, l1_ratio=0.7),
        "positive": dict(positive=True, sample_weight=w, penalty_factor=pf),
        "no_intercept_enet": dict(fit_intercept=False, l1_ratio=0.4),
        "standardize_weights": dict(standardize=True, sample_weight=w, l1_ratio=0.8),
    }[name]


KKT_CONFIGS = [
    "plain",
    "weights_pf_enet",
    "positive",
    "no_intercept_enet",
    "standardize_weights",
]
KKT_CASES = [
    pytest.param(loss, shape, cfg, id=f"{loss}-{shape}-{cfg}")
    for shape in ("tall", "wide")
    for loss in LOSSES
    for cfg in KKT_CONFIGS
    # p > n: every config for squared, the richest one for logistic and poisson (runtime)
    if shape == "tall" or loss == "squared" or cfg == "weights_pf_enet"
]


@pytest.mark.parametrize("loss, shape, cfg", KKT_CASES)
def test_kkt_on_every_lambda(loss, shape, cfg):
    X, y = make_data(loss, shape, seed=4)
    n, p = X.shape
    kw = _config(cfg, n, p)
    standardize = kw.pop("standardize", False)
    res = l1jax.path(
        X,
        y,
        loss=loss,
        lambdas=10,
        lambda_min_ratio=0.01,
        standardize=standardize,
        tol=TIGHT,
        early_stop=False,
        **kw,
    )
    r = _np(res)
    s = _weights(n, kw.get("sample_weight"))
    scale = _col_scale(X, s) if standardize else None
    g0 = null_gradient(
        X,
        y,
        loss=loss,
        sample_weight=kw.get("sample_weight"),
        fit_intercept=kw.get("fit_intercept", True),
    )
    atol = 1e-5 * max(1.0, np.abs(g0).max())
    assert r["coef"].shape == (10, p)
    assert np.all(np.isfinite(r["coef"])) and np.all(np.isfinite(r["intercept"]))
    if kw.get("positive"):
        assert np.all(r["coef"] >= 0.0)
    worst = [
        kkt_violation(
            X,
            y,
            r["coef"][k],
            r["intercept"][k],
            lam,
            loss=loss,
            scale=scale,
            l1_ratio=kw.get("l1_ratio", 1.0),
            penalty_factor=kw.get("penalty_factor"),
            sample_weight=kw.get("sample_weight"),
            positive=kw.get("positive", False),
            fit_intercept=kw.get("fit_intercept", True),
        )
        for k, lam in enumerate(r["lambdas"])
    ]
    assert max(worst) <= atol, (np.array(worst), atol)
    assert np.count_nonzero(r["coef"][-1]) > 0  # the path is not trivially zero
    assert r["converged"].all(), r["gap"]
    assert np.all(r["gap"] <= TIGHT), r["gap"]


# --------------------------------------------------------------------------------------------
# λ_max: all zeros at and above it, not at 0.99·λ_max
# --------------------------------------------------------------------------------------------

LMAX_CASES = [
    pytest.param(loss, std, extra, id=f"{loss}-{'std' if std else 'raw'}-{extra}")
    for i, loss in enumerate(LOSSES)
    for std in (False, True)
    for extra in ("none", "weights_pf_enet")
    if (i + std + (extra == "none")) % 2 == 0  # each loss: one raw and one standardized case
]


@pytest.mark.parametrize("loss", ["squared", "logistic", "poisson"])
def test_solvers_lambda_max_fits_the_unpenalized_features_first(loss):
    """l1jax.solvers.lambda_max took the gradient at β = 0 with an unpenalized feature: 0.103
    where the path's λ_max is 0.118 (a penalized coefficient nonzero at 1.01 times it), found by
    a probe; now the gradient at the fit of the unpenalized block, as path's."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 3))
    X[:, 2] += 1.0
    eta = X[:, 0] + X[:, 2]
    y = {"squared": eta + rng.standard_normal(60),
         "logistic": (rng.uniform(size=60) < 1 / (1 + np.exp(-eta))).astype(float),
         "poisson": rng.poisson(np.exp(0.3 * eta)).astype(float)}[loss]  # fmt: skip
    v, w = np.array([1.0, 2.0, 0.0]), rng.uniform(0.5, 2.0, 60)
    for positive in (False, True):
        kw = dict(penalty_factor=v, sample_weight=w, l1_ratio=0.7, positive=positive)
        lmax = float(l1jax.solvers.lambda_max(X, y, w, v, 0.7, loss=loss, fit_intercept=True,
                                              positive=positive))  # fmt: skip
        ref = l1jax.path(X, y, loss=loss, lambdas=1, standardize=False, **kw)
        np.testing.assert_allclose(lmax, ref.lambdas[0], rtol=1e-10)
        res = l1jax.path(X, y, loss=loss, lambdas=[1.01 * lmax, 0.99 * lmax],
                         standardize=False, tol=1e-12, **kw)  # fmt: skip
        assert res.coef[0, :2].tolist() == [0.0, 0.0] and np.any(res.coef[1, :2] != 0)
    separable = (X[:, 2] > 1.0).astype(float)  # (the unpenalized feature separates: NaN)
    if loss == "logistic":
        assert np.isnan(l1jax.solvers.lambda_max(X, separable, w, v, 1.0, loss=loss,
                                                 fit_intercept=True))  # fmt: skip


@pytest.mark.parametrize("loss, standardize, extra", LMAX_CASES)
def test_lambda_max(loss, standardize, extra):
    X, y = make_data(loss, "tall", seed=5)
    n, p = X.shape
    kw = {}
    if extra != "none":
        rng = np.random.default_rng(5)
        kw = dict(
            sample_weight=rng.uniform(0.2, 3.0, n),
            penalty_factor=rng.uniform(0.5, 2.0, p),  # all > 0: λ_max is the closed form
            l1_ratio=0.6,
        )
    lmax = lambda_max(X, y, loss=loss, standardize=standardize, **kw)
    res = _np(l1jax.path(X, y, loss=loss, lambdas=5, standardize=standardize, **kw))
    np.testing.assert_allclose(res["lambdas"][0], lmax, rtol=1e-10)
    assert np.all(res["coef"][0] == 0.0)
    assert np.any(res["coef"][1] != 0.0)
    res = _np(
        l1jax.path(
            X,
            y,
            loss=loss,
            lambdas=np.array([1.0001 * lmax, 0.99 * lmax]),
            standardize=standardize,
            tol=TIGHT,
            **kw,
        )
    )
    assert np.all(res["coef"][0] == 0.0), res["coef"][0]
    assert np.any(res["coef"][1] != 0.0)
    # at λ ≥ λ_max the intercept is the intercept-only fit
    s = _weights(n, kw.get("sample_weight"))
    np.testing.assert_allclose(res["intercept"][0], _link(loss, s @ y), rtol=1e-8, atol=1e-8)


# --------------------------------------------------------------------------------------------
# more oracles: ridge closed form, weights = row duplication, weights scale-free,
# penalty factors used as given
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_intercept"])
def test_ridge_closed_form(fit_intercept):
    X, y = make_data("squared", "tall", seed=6)
    n, p = X.shape
    lams = np.array([3.0, 0.5, 0.1])
    res = _np(
        l1jax.path(
            X,
            y,
            lambdas=lams,
            l1_ratio=0.0,
            standardize=False,
            fit_intercept=fit_intercept,
            tol=TIGHT,
        )
    )
    Xc = X - X.mean(0) if fit_intercept else X
    yc = y - y.mean() if fit_intercept else y
    for k, lam in enumerate(lams):
        beta = np.linalg.solve(Xc.T @ Xc / n + lam * np.eye(p), Xc.T @ yc / n)
        np.testing.assert_allclose(res["coef"][k], beta, rtol=0, atol=1e-6 * np.abs(beta).max())
        b = y.mean() - X.mean(0) @ beta if fit_intercept else 0.0
        np.testing.assert_allclose(res["intercept"][k], b, rtol=0, atol=1e-6)


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_intercept"])
def test_positive_ridge_is_nonnegative_least_squares(fit_intercept):
    """Ridge (ρ = 0) under β ≥ 0 is least squares on [X/√n; √λ I] under β ≥ 0: SciPy's exact
    NNLS. Features whose gradient at the null model points below 0 (so that nothing bounds
    λ_max: 0/0 in λρv) made every λ ≥ 1 the null model, uncertified (gaps of 0.03-0.3)."""
    from scipy.optimize import nnls

    rng = np.random.default_rng(1)
    n, p = 80, 8
    X = rng.standard_normal((n, p))
    y = X[:, 0] - 0.3 * X[:, 1] + rng.standard_normal(n)
    lams = np.array([10.0, 1.0, 0.1])
    res = _np(l1jax.path(X, y, lambdas=lams, l1_ratio=0.0, positive=True, standardize=False,
                         fit_intercept=fit_intercept, tol=TIGHT))  # fmt: skip
    assert res["converged"].all()
    Xc = X - X.mean(0) if fit_intercept else X
    yc = y - y.mean() if fit_intercept else y
    for k, lam in enumerate(lams):
        A = np.vstack([Xc / np.sqrt(n), np.sqrt(lam) * np.eye(p)])
        beta = nnls(A, np.r_[yc / np.sqrt(n), np.zeros(p)])[0]
        assert beta[0] > 0  # (not the null model)
        np.testing.assert_allclose(res["coef"][k], beta, rtol=0, atol=1e-6 * np.abs(beta).max())
    # No feature correlated positively with y: the null model is the fit at every λ.
    X2 = np.c_[X[:, 0], X[:, 0] + 0.1 * X[:, 1]]
    res = _np(l1jax.path(X2, -X[:, 0], lambdas=lams, l1_ratio=0.0, positive=True, tol=TIGHT))
    assert res["converged"].all() and not res["coef"].any()
    np.testing.assert_allclose(res["intercept"], -X[:, 0].mean(), rtol=1e-12)
    # (l1jax.solvers.lambda_max alike: 0 there, +inf where a feature can move; it was NaN)
    for target, expected in ((-X[:, 0], 0.0), (y, np.inf)):
        lmax = l1jax.solvers.lambda_max(X2, target, np.ones(n), np.ones(2), 0.0, loss="squared",
                                        fit_intercept=True, positive=True)  # fmt: skip
        assert float(lmax) == expected


@pytest.mark.parametrize("standardize", [False, True], ids=["raw", "std"])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_integer_weights_equal_row_duplication(loss, standardize):
    X, y = make_data(loss, "tall", seed=7)
    n = X.shape[0]
    w = np.random.default_rng(7).integers(1, 4, n)
    lmax = lambda_max(X, y, loss=loss, sample_weight=w.astype(float), standardize=standardize)
    lams = lmax * np.array([0.5, 0.1, 0.02])
    a = _np(
        l1jax.path(
            X,
            y,
            loss=loss,
            lambdas=lams,
            sample_weight=w.astype(float),
            standardize=standardize,
            tol=TIGHT,
        )
    )
    b = _np(
        l1jax.path(
            np.repeat(X, w, axis=0),
            np.repeat(y, w),
            loss=loss,
            lambdas=lams,
            standardize=standardize,
            tol=TIGHT,
        )
    )
    np.testing.assert_allclose(a["coef"], b["coef"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(a["intercept"], b["intercept"], rtol=0, atol=1e-5)
    c = _np(
        l1jax.path(
            X,
            y,
            loss=loss,
            lambdas=lams,
            sample_weight=7.3 * w,
            standardize=standardize,
            tol=TIGHT,
        )
    )
    np.testing.assert_allclose(c["coef"], a["coef"], rtol=0, atol=1e-7)


def test_raw_scale_lasso_with_columns_over_six_decades_matches_sklearn():
    """standardize=False: l1jax solves the lasso on scaled columns with the scales moved into
    the penalty factors (its preconditioning); the answer is the raw-scale lasso's, exactly."""
    X, y = make_data("squared", "wide", seed=4)
    p = X.shape[1]
    X = X * np.logspace(-3, 3, p)[np.random.default_rng(0).permutation(p)]
    pf = np.linspace(0.5, 2.0, p)
    lmax = lambda_max(X, y, loss="squared", penalty_factor=pf)
    lams = lmax * np.array([0.5, 0.1, 0.02])
    res = l1jax.path(X, y, lambdas=lams, penalty_factor=pf, standardize=False, tol=TIGHT)
    assert res.converged.all()
    rel = l1jax.path(X, y, lambdas=3, lambda_min_ratio=0.5, penalty_factor=pf, standardize=False)
    np.testing.assert_allclose(rel.lambdas[0], lmax, rtol=1e-10)  # λ_max of the raw scale
    ref, ref_b = _sk_enet(X / pf, y, lams, 1.0, True)  # weights moved into the columns
    np.testing.assert_allclose(res.coef, ref / pf, rtol=0, atol=1e-7 * np.abs(ref / pf).max())
    np.testing.assert_allclose(res.intercept, ref_b, rtol=0, atol=1e-7 * np.abs(y).max())
    for k, lam in enumerate(lams):
        assert kkt_violation(X, y, res.coef[k], res.intercept[k], lam, loss="squared",
                             penalty_factor=pf) < 1e-6 * lam  # fmt: skip


def test_penalty_factor_used_as_given():
    """penalty_factor = 2 at λ equals penalty_factor = 1 at 2λ (no glmnet-style rescaling)."""
    X, y = make_data("squared", "tall", seed=8)
    p = X.shape[1]
    lmax = lambda_max(X, y, loss="squared")
    lams = lmax * np.array([0.2, 0.05])
    a = _np(
        l1jax.path(X, y, lambdas=lams, penalty_factor=np.full(p, 2.0), standardize=False, tol=TIGHT)
    )
    b = _np(l1jax.path(X, y, lambdas=2 * lams, standardize=False, tol=TIGHT))
    np.testing.assert_allclose(a["coef"], b["coef"], rtol=0, atol=1e-6)


# --------------------------------------------------------------------------------------------
# float32 agrees with float64 on objectives
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", LOSSES)
def test_float32_agrees_with_float64(loss):
    X, y = make_data(loss, "tall", seed=9)
    lmax = lambda_max(X, y, loss=loss, standardize=True)
    lams = lmax * np.geomspace(1.0, 1e-2, 10)
    r64 = _np(l1jax.path(X, y, loss=loss, lambdas=lams))
    with jax.enable_x64(False):
        res32 = l1jax.path(
            X.astype(np.float32), y.astype(np.float32), loss=loss, lambdas=lams.astype(np.float32)
        )
        r32 = _np(res32)
    assert np.all(np.isfinite(r32["coef"]))
    sd = X.std(0)
    for k, lam in enumerate(lams):
        o64 = objective(X, y, r64["coef"][k], r64["intercept"][k], lam, loss=loss, scale=sd)
        o32 = objective(
            X,
            y,
            r32["coef"][k].astype(float),
            float(r32["intercept"][k]),
            lam,
            loss=loss,
            scale=sd,
        )
        assert abs(o32 - o64) <= 1e-4 * abs(o64), (k, o32, o64)
    assert r32["coef"].dtype == np.float32  # float32 in, float32 out


# --------------------------------------------------------------------------------------------
# the automatic grid, ordering, and degenerate data
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, lambdas, lambda_min_ratio, ratio",
    [
        pytest.param("tall", 100, None, 1e-4, id="n>p-default"),
        pytest.param("wide", 100, None, 1e-2, id="p>n-default"),
        pytest.param("tall", 7, 0.05, 0.05, id="explicit-ratio"),
        pytest.param("square", 100, None, 1e-4, id="n=p-default"),  # (glmnet: nobs < nvars)
    ],
)
def test_automatic_grid(shape, lambdas, lambda_min_ratio, ratio):
    if shape == "square":
        X, y = make_data("squared", "tall", seed=10)
        X = X[: X.shape[1]]
        y = y[: X.shape[0]]
    else:
        X, y = make_data("squared", shape, seed=10)
    res = _np(l1jax.path(X, y, lambdas=lambdas, lambda_min_ratio=lambda_min_ratio,
                         early_stop=False))  # fmt: skip
    lam = res["lambdas"]
    assert lam.shape == (lambdas,)
    np.testing.assert_allclose(
        lam[0], lambda_max(X, y, loss="squared", standardize=True), rtol=1e-10
    )
    np.testing.assert_allclose(lam, lam[0] * np.geomspace(1.0, ratio, lambdas), rtol=1e-10)
    assert res["coef"].shape == (lambdas, X.shape[1])


def test_result_fields_and_shapes():
    X, y = make_data("squared", "tall", seed=11)
    n, p = X.shape
    r = _np(l1jax.path(X, y, lambdas=6))
    assert r["lambdas"].shape == (6,) and r["intercept"].shape == (6,)
    assert r["coef"].shape == (6, p)
    assert r["converged"].shape == (6,) and r["converged"].dtype == np.bool_
    assert r["n_iter"].shape == (6,) and np.issubdtype(r["n_iter"].dtype, np.integer)
    assert np.all(r["n_iter"] >= 0)
    assert r["gap"].shape == (6,) and np.all(np.isfinite(r["gap"]))
    assert np.all(np.diff(r["lambdas"]) < 0)


def test_array_lambdas_returned_descending():
    X, y = make_data("squared", "tall", seed=12)
    lmax = lambda_max(X, y, loss="squared", standardize=True)
    shuffled = lmax * np.array([0.1, 0.5, 0.02, 0.3])
    a = _np(l1jax.path(X, y, lambdas=shuffled, tol=TIGHT))
    np.testing.assert_allclose(a["lambdas"], np.sort(shuffled)[::-1], rtol=1e-15)
    for k, lam in enumerate(a["lambdas"]):
        single = _np(l1jax.path(X, y, lambdas=np.array([lam]), tol=TIGHT))
        np.testing.assert_allclose(a["coef"][k], single["coef"][0], rtol=0, atol=1e-6)


@pytest.mark.parametrize("loss", LOSSES)
def test_constant_column_gets_zero(loss):
    X, y = make_data(loss, "tall", seed=13)
    X[:, 3] = 2.5
    X[:, 7] = 0.0
    res = _np(l1jax.path(X, y, loss=loss, lambdas=8, standardize=True))
    assert np.all(np.isfinite(res["coef"])) and np.all(np.isfinite(res["intercept"]))
    assert np.all(res["coef"][:, [3, 7]] == 0.0)
    assert np.any(res["coef"][-1] != 0.0)


@pytest.mark.parametrize("form", ["numpy", "gram", "device", "sparse"])
def test_a_column_in_small_units_is_a_feature(form):
    """Standardized, a column's units do not matter: a spread of 1e-11 about 0 (not constant:
    not 1e-10 of its mean) was taken for constant and its feature, the strongest, dropped (the
    λ certified converged, 0.35 P_null above the optimum). In float32 a spread below 1e-30
    (whose coefficient would overflow) is refused."""
    loss = "squared" if form == "gram" else "logistic"
    X, y = make_data(loss, "tall", seed=3)
    ref = _np(l1jax.path(X, y, loss=loss, lambdas=np.array([0.05, 0.01]), tol=TIGHT))
    j = int(np.argmax(np.abs(ref["coef"][0])))
    assert np.all(ref["coef"][:, j] != 0)
    units = np.where(np.arange(X.shape[1]) == j, 1.0, 0.0)
    for c in (1e-11, 1e-40):
        Xs = X * np.where(units, c, 1.0)
        data = {"device": jax.numpy.asarray(Xs), "sparse": sp.csr_matrix(Xs)}.get(form, Xs)
        res = _np(l1jax.path(data, y, loss=loss, lambdas=np.array([0.05, 0.01]), tol=TIGHT))
        np.testing.assert_allclose(res["coef"] * np.where(units, c, 1.0), ref["coef"],
                                   rtol=1e-6, atol=1e-9)  # fmt: skip
    if form != "device":  # (a float32 device X is squared in float32 there: 1e-40 underflows)
        Xs = (X * np.where(units, 1e-31, 1.0)).astype(np.float32)
        data = sp.csr_matrix(Xs) if form == "sparse" else Xs
        with pytest.raises(ValueError, match=f"X's column {j} has a spread of .*e-31 about"):
            l1jax.path(data, y.astype(np.float32), loss=loss, lambdas=4)


@pytest.mark.parametrize("form", ["numpy", "gram", "device", "sparse"])
def test_constant_column_gets_zero_unstandardized(form):
    """Without standardization, with unequal weights: a constant column's centring left ε |μ|
    (the weighted mean of 0.1 is not 0.1 to the last bit), which was fitted as a feature: ridge
    coefficients of 1e-9 to 1e-16 (a fuzz found it on device X; NumPy X did the same in 7 of 10
    seeds of this test). A column constant up to rounding is 0, as with standardization."""
    loss = "squared" if form == "gram" else "poisson"
    for seed in range(4):
        rng = np.random.default_rng(seed)
        n, p = (40, 10) if form == "gram" else (20, 30)
        X = rng.standard_normal((n, p))
        X[:, 3] = 0.1
        eta = 0.3 * X[:, 0]
        y = eta + rng.standard_normal(n) if loss == "squared" else rng.poisson(np.exp(eta))
        y = y.astype(float) + (loss == "poisson") * (np.arange(n) == 0)
        data = {"device": jax.numpy.asarray(X), "sparse": sp.csr_matrix(X)}.get(form, X)
        w = 10 ** rng.uniform(-3, 3, n)
        res = l1jax.path(data, y, loss=loss, l1_ratio=0.0, standardize=False, sample_weight=w,
                         lambdas=np.array([1.0, 0.01]))  # fmt: skip
        assert np.all(np.asarray(res.coef)[:, 3] == 0.0), (seed, np.asarray(res.coef)[:, 3])
        assert np.all(np.asarray(res.coef)[:, 0] != 0.0)


@pytest.mark.parametrize("lambdas", [10, np.array([1.0, 0.1, 0.01])], ids=["grid", "array"])
def test_all_zero_y_gives_zero_path(lambdas):
    X, _ = make_data("squared", "tall", seed=14)
    y = np.zeros(X.shape[0])
    res = _np(l1jax.path(X, y, lambdas=lambdas))
    assert np.all(res["coef"] == 0.0)
    assert np.all(res["intercept"] == 0.0)
    assert np.all(np.isfinite(res["lambdas"])) and np.all(res["lambdas"] >= 0.0)


@pytest.mark.parametrize("loss", LOSSES)
def test_user_arrays_not_modified(loss):
    X, y = make_data(loss, "tall", seed=15)
    n, p = X.shape
    rng = np.random.default_rng(15)
    X = np.asfortranarray(X * rng.uniform(0.5, 3.0, p) + 1.0)
    sw, pf = rng.uniform(0.5, 2.0, n), rng.uniform(0.5, 2.0, p)
    lams = np.array([0.05, 0.2, 0.01])  # unsorted on purpose: path must sort a copy
    before = [a.copy() for a in (X, y, sw, pf, lams)]
    l1jax.path(X, y, loss=loss, lambdas=lams, sample_weight=sw, penalty_factor=pf)
    for a, b in zip((X, y, sw, pf, lams), before, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


@pytest.mark.parametrize("loss", LOSSES)
def test_predict_is_linear_predictor(loss):
    X, y = make_data(loss, "tall", seed=16)
    res = l1jax.path(X, y, loss=loss, lambdas=5)
    r = _np(res)
    X2 = np.random.default_rng(16).standard_normal((7, X.shape[1]))
    for Z in (X, X2):
        np.testing.assert_allclose(
            np.asarray(res.predict(Z)),
            r["intercept"][:, None] + r["coef"] @ Z.T,
            rtol=1e-12,
            atol=1e-12,
        )


def test_predict_takes_integer_and_bool_x_on_devices_and_names_other_dtypes():
    """An int or bool jax.Array X is predicted in the coefficients' dtype (cast to X's, int32
    coefficients predicted zeros and bool ones True); complex, text and objects are named."""
    X, y = make_data("squared", "tall", seed=16)
    res = l1jax.path(X, y, lambdas=5)
    r = _np(res)
    Z = np.random.default_rng(3).integers(-3, 4, (7, X.shape[1]))
    for data in (Z, Z > 0):
        expected = r["intercept"][:, None] + r["coef"] @ data.T
        for given in (data, jnp.asarray(data)):
            out = res.predict(given)
            assert np.dtype(out.dtype).kind == "f"
            np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(res.predict(X.astype(object)), res.predict(X))
    text = X.astype(object)
    text[0, 0] = None
    for bad, says in (
        (X.astype(complex), "X must be real"),
        (X.astype(str), "X must be a numeric"),
    ):
        with pytest.raises(TypeError, match=says):
            res.predict(bad)
    with pytest.raises(ValueError, match="X contains NaN"):  # (None: missing, as path reads it)
        res.predict(text)
    for bad in (jnp.nan, jnp.inf):  # (a jax.Array predicted NaN: checked where it lives)
        with pytest.raises(ValueError, match="X contains NaN or inf"):
            res.predict(jnp.asarray(X).at[1, 2].set(bad))
    traced = jax.jit(res.predict)(jnp.asarray(X))  # (a traced X is not read)
    np.testing.assert_allclose(np.asarray(traced), np.asarray(res.predict(X)), rtol=1e-12)


@pytest.mark.parametrize("dtype, far", [(np.float64, 2e3), (np.float32, 300.0)])
@pytest.mark.parametrize("form", ["dense", "sparse", "device"])
def test_rows_of_weight_zero_change_nothing(dtype, far, form):
    """A row of weight 0 (a fold's held-out row) far out on the feature that matters: the path
    is the one without that row. (Its e^η overflowed, 0 · inf: Poisson gaps of 1e154, wrong
    coefficients and NaN deviance ratios, and every cv_path fold that held it out.) The
    squared loss with a row of 1e150 likewise."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 4))
    y = rng.poisson(np.exp(0.5 * X[:, 0])).astype(float)
    w = np.r_[0.0, np.ones(39)]
    for loss, value in (("poisson", far), ("squared", 1e150 if dtype == np.float64 else 1e30)):
        ref = l1jax.path(X[1:].astype(dtype), y[1:].astype(dtype), loss=loss, lambdas=5)
        Xo = X.copy()
        Xo[0, 0] = value
        Xo = Xo.astype(dtype)
        Xo = sp.csc_matrix(Xo) if form == "sparse" else jnp.asarray(Xo) if form == "device" else Xo
        res = l1jax.path(Xo, y.astype(dtype), loss=loss, lambdas=5, sample_weight=w.astype(dtype))
        assert np.all(res.converged) and np.all(np.isfinite(res.dev_ratio))
        single = dtype == np.float32
        np.testing.assert_allclose(res.lambdas, ref.lambdas, rtol=1e-5 if single else 1e-12)
        np.testing.assert_allclose(res.coef, ref.coef, atol=1e-5 if single else 1e-10)


def test_reproducible_run_to_run():
    X, y = make_data("logistic", "tall", seed=17)
    a = _np(l1jax.path(X, y, loss="logistic", lambdas=6))
    b = _np(l1jax.path(X, y, loss="logistic", lambdas=6))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_no_warning_when_converged():
    X, y = make_data("squared", "tall", seed=18)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        res = l1jax.path(X, y, lambdas=10)
    assert np.asarray(res.converged).all()
    assert not _relevant(record), [str(w.message) for w in record]


_FLOAT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_non_convergence_warns_once_with_numbers(loss):
    X, y = make_data(loss, "tall", seed=19)
    tol = 1e-30  # out of reach (Newton's steps reach 1e-14 even with max_iter=1 per round)
    with pytest.warns(Warning) as record:
        res = l1jax.path(X, y, loss=loss, lambdas=10, max_iter=1, tol=tol)
    r = _np(res)
    assert not r["converged"].all()
    relevant = _relevant(record)
    assert len(relevant) == 1, [str(w.message) for w in relevant]
    msg = str(relevant[0].message)
    numbers = [float(x) for x in _FLOAT.findall(msg)]
    worst = float(np.max(r["gap"][~r["converged"]]))
    assert any(np.isclose(x, worst, rtol=0.06) for x in numbers), (msg, worst)
    assert any(np.isclose(x, tol, rtol=1e-6) for x in numbers), (msg, tol)


# --------------------------------------------------------------------------------------------
# solve_path: the pure core (host checks only, no standardization) under jit and vmap
# --------------------------------------------------------------------------------------------

CORE_KW = dict(loss="squared", l1_ratio=0.8, fit_intercept=True, tol=1e-10)


def _core_data():
    X, y = make_data("squared", (30, 12), seed=20)
    lams = lambda_max(X, y, loss="squared", l1_ratio=0.8) * np.geomspace(1.0, 0.01, 6)
    return X, y, lams


def test_solve_path_matches_path():
    """Same problem, both certified to a relative gap tol: objectives within tol · P_null."""
    X, y, lams = _core_data()
    core = l1jax.solve_path(X, y, lams, **CORE_KW)
    full = l1jax.path(X, y, lambdas=lams, standardize=False, **CORE_KW)
    null = 0.5 * np.mean((y - y.mean()) ** 2)
    for k, lam in enumerate(lams):
        a, b = (
            objective(X, y, np.asarray(r.coef)[k], np.asarray(r.intercept)[k], lam, l1_ratio=0.8)
            for r in (core, full)
        )
        assert abs(a - b) <= (CORE_KW["tol"] + 1e-14) * null, (k, a, b)
    assert np.asarray(core.converged).all()


def test_jit_solve_path_equals_eager():
    X, y, lams = _core_data()
    eager = l1jax.solve_path(X, y, lams, **CORE_KW)
    jitted = jax.jit(lambda X, y, lams: l1jax.solve_path(X, y, lams, **CORE_KW))(X, y, lams)
    np.testing.assert_allclose(np.asarray(jitted.coef), np.asarray(eager.coef), atol=1e-10)
    np.testing.assert_allclose(
        np.asarray(jitted.intercept), np.asarray(eager.intercept), atol=1e-10
    )


def test_vmap_solve_path_over_y_equals_loop():
    X, y, lams = _core_data()
    Y = np.stack([y, y[::-1] * 0.5 + 1.0])
    batched = jax.vmap(lambda yy: l1jax.solve_path(X, yy, lams, **CORE_KW))(Y)
    coef = np.asarray(batched.coef)
    assert coef.shape == (2, len(lams), X.shape[1])
    for i in range(2):
        one = l1jax.solve_path(X, Y[i], lams, **CORE_KW)
        np.testing.assert_allclose(coef[i], np.asarray(one.coef), rtol=0, atol=1e-8)
        np.testing.assert_allclose(
            np.asarray(batched.intercept)[i], np.asarray(one.intercept), rtol=0, atol=1e-8
        )


def test_poisson_counts_whose_null_objective_is_negative():
    # e^η − yη is negative at the intercept-only fit when ȳ > e: the relative gap must still be
    # on a positive scale (half the null deviance), so the path converges and is optimal.
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, scaled=False)
    counts = np.round(y / 50.0)
    assert np.mean(counts) - np.mean(counts) * np.log(np.mean(counts)) < 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = l1jax.path(X, counts, loss="poisson", lambdas=20, tol=1e-9)
    assert res.converged.all() and np.all(res.gap <= 1e-9)
    Xs = (X - X.mean(0)) / X.std(0)
    for k in (5, 19):
        beta = res.coef[k] * X.std(0)
        b = res.intercept[k] + res.coef[k] @ X.mean(0)
        g = Xs.T @ (np.exp(b + Xs @ beta) - counts) / len(counts)
        on = beta != 0
        np.testing.assert_allclose(g[on], -res.lambdas[k] * np.sign(beta[on]), atol=1e-5)
        assert np.all(np.abs(g[~on]) <= res.lambdas[k] * (1 + 1e-6))


def test_poisson_rates_with_an_exposure_as_the_docstring_says():
    """glmnet's offset log(e) of a Poisson model (counts y over exposures e) is fitted by the
    rates y/e with sample_weight e at λ·n/Σe (the docstring of path): the coefficients satisfy
    the offset model's own KKT conditions at λ, (1/n) Σ x_i (e_i exp(η_i) − y_i) = −λ sign(β)."""
    rng = np.random.default_rng(3)
    n = 200
    X = rng.standard_normal((n, 6)) * 2 + 1
    e = rng.uniform(0.1, 10, n)
    y = rng.poisson(e * np.exp(0.3 + X @ np.array([0.2, -0.1, 0.05, 0, 0, 0.1]))) * 1.0
    lams = np.array([1.0, 0.2, 0.01])
    res = l1jax.path(X, y / e, loss="poisson", sample_weight=e, lambdas=lams * n / e.sum(),
                     standardize=False, tol=1e-12)  # fmt: skip
    assert res.converged.all()
    for k, lam in enumerate(lams):
        beta, b = res.coef[k], res.intercept[k]
        g = np.c_[np.ones(n), X].T @ (e * np.exp(b + X @ beta) - y) / n
        on = beta != 0
        assert abs(g[0]) <= 1e-7
        np.testing.assert_allclose(g[1:][on], -lam * np.sign(beta[on]), atol=1e-7)
        assert np.all(np.abs(g[1:][~on]) <= lam * (1 + 1e-6))
    assert 0 < np.count_nonzero(res.coef[0]) < 6  # (zeros where the offset model has them)


def test_newton_recovers_from_a_singular_hessian_direction():
    """A near-separable logistic fit (15 distinct rows, 30 features, repeated and weighted as in
    scikit-learn's weight-equivalence check) once left Newton stuck: on a near-singular Hessian
    its direction had slope -5e10 and no step length passed Armijo's test, so the λ was
    reported unconverged at a relative gap of 0.1. The scaled gradient takes over there."""
    from l1jax.estimators import _CrossValidated

    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15)
    sw = rng.randint(0, 5, size=15)
    order = np.random.RandomState(0).permutation(15)
    Xw = np.vstack([X[order], X, X])
    t = (np.hstack([y[order], y, y]) == 0).astype(float)
    s = np.hstack([sw[order], np.ones(30)]).astype(float)
    Xp, tp, sp_, _ = _CrossValidated._padded(Xw, t, s, loss="logistic")
    res = l1jax.path(Xp, tp, loss="logistic", lambdas=8, lambda_min_ratio=0.01, sample_weight=sp_,
                     standardize=True, tol=1e-9, early_stop=False)  # fmt: skip
    assert res.converged.all(), res.gap


def test_newton_does_not_zigzag_on_a_coordinate_held_at_zero():
    """Logistic, 500 × 200, two columns of correlation 0.9986, a coarse grid of 20 λs: Newton's
    direction took a coordinate at zero out of the orthant its pseudo-gradient chose, was cut
    there, and what was left of it needed steps of 1e-3; the next step put the coordinate back,
    and so on: 444 steps at one λ on this path with the old code (a similar path: 600 steps
    and a relative gap of 0.19, unconverged). The direction is now solved again without such
    coordinates."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 200))
    X[:, 1] = X[:, 0] + 0.05 * rng.standard_normal(500)
    eta = 0.2 * X[:, :3].sum(1) + 0.3 * X[:, 10:20].sum(1)
    y = (rng.random(500) < 1 / (1 + np.exp(-2 * eta / eta.std()))).astype(float)
    res = l1jax.path(X, y, loss="logistic", lambdas=20, standardize=False, tol=1e-8)
    assert res.converged.all() and res.n_iter.max() <= 40, res.n_iter
    for k in (10, 19):
        viol = kkt_violation(X, y, res.coef[k], res.intercept[k], res.lambdas[k], loss="logistic")
        assert viol <= 1e-4 * res.lambdas[k], (k, viol)


@pytest.mark.parametrize("standardize,l1_ratio", [(True, 1.0), (False, 1.0), (False, 0.5)])
def test_host_gram_in_slices_of_rows(monkeypatch, standardize, l1_ratio):
    """A tall squared-loss path runs on the Gram matrix that prepare() forms slice by slice
    of rows (no centred copy of X): with slices of 128 rows, uncentred columns on scales of
    1e-2 to 1e2 and uneven weights, the path is that of one slice (the whole X) to rounding,
    and the lasso's meets the KKT conditions of the raw data."""
    rng = np.random.default_rng(3)
    n, p = 1500, 24
    X = rng.standard_normal((n, p)) * np.logspace(-2, 2, p) + rng.uniform(-5, 5, p)
    y = X[:, :4] @ (np.array([1.0, -2.0, 0.5, 3.0]) / np.logspace(-2, 2, p)[:4]) + 3.0
    y = y + rng.standard_normal(n)
    w = rng.uniform(0.2, 3.0, n)
    kw = dict(lambdas=12, l1_ratio=l1_ratio, sample_weight=w, standardize=standardize, tol=TIGHT)
    monkeypatch.setattr(l1jax._inputs, "GRAM_SLICE", 10**9)
    whole = l1jax.path(X, y, **kw)
    monkeypatch.setattr(l1jax._inputs, "GRAM_SLICE", 128 * p)
    sliced = l1jax.path(X, y, **kw)
    assert whole.converged.all() and sliced.converged.all()
    scale = np.abs(whole.coef).max()
    np.testing.assert_allclose(sliced.coef, whole.coef, rtol=0, atol=1e-8 * scale)
    np.testing.assert_allclose(sliced.intercept, whole.intercept, rtol=0, atol=1e-8 * abs(y).max())
    if l1_ratio < 1:  # (an unpreconditioned elastic net on these scales: slow, either way)
        return
    sd = _col_scale(X, _weights(n, w)) if standardize else None
    for k in (3, -1):
        viol = kkt_violation(
            X,
            y,
            sliced.coef[k],
            sliced.intercept[k],
            sliced.lambdas[k],
            loss="squared",
            l1_ratio=l1_ratio,
            sample_weight=w,
            scale=sd,
        )
        assert viol <= 1e-6 * sliced.lambdas[k], (k, viol)


def test_host_gram_centred_after_the_product_only_where_exact():
    """With equal weights, prepare(gram=True) centres the Gram matrix after one product of X
    (no centred copy) where every column's mean² is at most BENIGN times its variance: there
    it equals the centred product to 1e-13; a column with a large mean, or a constant one,
    sends it the exact way (slices of centred rows), whose constant column is exactly 0."""
    from l1jax._inputs import _gram_of, _uncentred_gram

    rng = np.random.default_rng(8)
    n, p = 3000, 6
    X = rng.standard_normal((n, p)) * [1, 2, 0.5, 1, 3, 1] + [0, 1, -2, 5, 0, 0]
    y = rng.standard_normal(n)
    s = np.full(n, 1 / n)
    Xc = X - X.mean(0)
    exact = Xc.T @ Xc / n
    G = _uncentred_gram(X, 1 / n, X.mean(0))
    assert G is not None
    np.testing.assert_allclose(G, exact, rtol=0, atol=1e-13 * np.abs(exact).max())
    _, _, _, G, c = _gram_of(X, y, s, True, False)
    np.testing.assert_allclose(c, Xc.T @ (y - y.mean()) / n, rtol=0, atol=1e-13)
    strided = np.repeat(X, 2, axis=1)[:, ::2]  # (X, not contiguous: the slices, no BLAS copy)
    assert not strided.flags.f_contiguous and not strided.flags.c_contiguous
    np.testing.assert_allclose(_gram_of(strided, y, s, True, False)[3], exact, rtol=0,
                               atol=1e-13 * np.abs(exact).max())  # fmt: skip
    for col in (1e3 + rng.standard_normal(n), np.full(n, 7.0)):  # large mean; constant
        Xb = np.column_stack([X, col])
        assert _uncentred_gram(Xb, 1 / n, Xb.mean(0)) is None
        G = _gram_of(Xb, y, s, True, False)[3]
        Xbc = Xb - Xb.mean(0)
        np.testing.assert_allclose(G, Xbc.T @ Xbc / n, rtol=1e-12, atol=1e-14)
    _, _, nonzero, G, _ = _gram_of(Xb, y, s, True, True)  # standardized: the constant column
    assert not nonzero[-1] and np.all(G[-1] == 0) and np.all(G[:, -1] == 0)  # is exactly 0


@pytest.mark.parametrize("layout", ["contiguous", "strided", "float32"])
def test_host_gram_of_a_folds_rows(monkeypatch, layout):
    """Weights equal on some rows and 0 on the others (a cv fold's, a subsample's): the Gram
    matrix and ``c`` are the products of the kept rows, in slices (of 128 rows here), centred
    after; they equal the centred weighted products to 1e-13 whatever X's layout and dtype.
    A column whose kept rows have a mean 100 times their spread (the held-out rows near 0, so
    that the column as a whole does not look like one) is centred first, on the kept rows."""
    from l1jax._inputs import _gram_of

    monkeypatch.setattr(l1jax._inputs, "GRAM_SLICE", 128 * 6)
    rng = np.random.default_rng(9)
    n, p = 1000, 6
    X = rng.standard_normal((n, p)) * [1, 2, 0.5, 1, 3, 1] + [0, 1, -2, 5, 0, 0]
    if layout == "strided":
        X = np.repeat(X, 2, axis=1)[:, ::2]
    elif layout == "float32":
        X = X.astype(np.float32)
    y = rng.standard_normal(n)
    held = rng.random(n) < 0.2
    s = np.where(held, 0.0, 1.0) / np.sum(~held)
    for shifted in (False, True):
        if shifted:  # (the kept rows of column 0 near 100, the held-out ones near 0)
            X = X.copy()
            X[~held, 0] += 100
        X64 = np.asarray(X, np.float64)
        mean = s @ X64
        Xc = (X64 - mean) * np.sqrt(s)[:, None]
        exact = Xc.T @ Xc
        x_mean, _, _, G, c = _gram_of(X, y, s, True, False)
        np.testing.assert_allclose(x_mean, mean, rtol=0, atol=1e-13 * np.abs(mean).max())
        np.testing.assert_allclose(G, exact, rtol=0, atol=1e-13 * np.abs(exact).max())
        np.testing.assert_allclose(c, (X64 - mean).T @ (s * (y - s @ y)), rtol=0, atol=1e-13)


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the host's Gram route is a CPU's")
def test_host_gram_makes_no_copy_of_x(monkeypatch):
    """prepare(gram=True), the host's route to the Gram matrix, never holds a second n × p
    array: with slices of 2**16 entries its peak allocation (traced) stays under a quarter of
    X's size."""
    import tracemalloc

    monkeypatch.setattr(l1jax._inputs, "GRAM_SLICE", 2**16)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40_000, 50)) + 3.0  # 16 MB
    y = rng.standard_normal(40_000)
    assert l1jax.engine.host_gram("squared", X, None)
    tracemalloc.start()
    try:
        prep = l1jax._inputs.prepare(X, y, None, None, fit_intercept=True, standardize=True,
                                     dtype=np.float64, gram=True)  # fmt: skip
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert prep.X is None and prep.gram[0].shape == (50, 50)
    assert peak < X.nbytes / 4, (peak, X.nbytes)
    Xc = (X - X.mean(0)) / X.std(0)
    np.testing.assert_allclose(prep.gram[0], Xc.T @ Xc / X.shape[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("standardize", [True, False])
@pytest.mark.parametrize("order", ["C", "F"])
def test_float32_x_is_standardized_without_a_float64_copy(monkeypatch, order, standardize):
    """prepare() of a float32 X (solved in float32) holds X̃ and a slice, never X in float64
    (which with its centred copy took 4 of X's sizes more): its traced peak stays under 1.5 X.
    X̃ is what the float64 arithmetic on all of X gives (slices of 15 rows of a C-ordered X,
    of 3 columns of an F-ordered one, each with a remainder; unequal weights, rows of weight
    0, a constant column)."""
    import tracemalloc

    monkeypatch.setattr(l1jax._inputs, "GRAM_SLICE", 3 * 1000)
    rng = np.random.default_rng(1)
    X = np.asarray(rng.standard_normal((1000, 200)) * 10 + 5, np.float32, order=order)
    X[:, 7] = 2.5
    y = rng.standard_normal(1000).astype(np.float32)
    s = rng.uniform(0.5, 2, 1000)
    s[::50] = 0.0
    s /= s.sum()
    tracemalloc.start()
    try:
        prep = l1jax._inputs.prepare(X, y, s, None, fit_intercept=True, standardize=standardize,
                                     dtype=np.float32)  # fmt: skip
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * X.nbytes, (peak, X.nbytes)
    X64 = X.astype(np.float64)
    mean = s @ X64
    scale = np.sqrt(s @ np.square(X64 - mean)) if standardize else np.ones(200)
    assert prep.X.dtype == np.float32 and prep.x_scale[7] == 1.0  # (constant: scale 1)
    scale[7] = 1.0
    want = (X64 - mean) / scale
    want[:, 7] = 0.0
    want[s == 0] = 0.0
    np.testing.assert_allclose(prep.X, want, rtol=2e-7, atol=1e-6 * np.abs(want).max())
    np.testing.assert_allclose(prep.x_mean, mean, rtol=1e-14)
    np.testing.assert_allclose(prep.x_scale, scale, rtol=1e-13)
    assert np.array_equal(prep.nonzero, np.arange(200) != 7)


@pytest.mark.parametrize("p", [37, 40])
def test_large_x_is_placed_a_slice_at_a_time(monkeypatch, p):
    """engine.transposed fills a large X̃ᵀ on its device a slice of rows at a time: the same
    zero-padded array as the host's copy (slices of 8 rows of 64: the last one overlapping the
    one before it, or not)."""
    monkeypatch.setattr(l1jax.engine, "FILLED", 0)
    monkeypatch.setattr(l1jax._inputs, "GRAM_SLICE", 8 * 64)
    X = np.random.default_rng(2).standard_normal((50, p))
    place = l1jax._sharding.Placement(None)
    Xt = l1jax.engine.transposed(X, 48, 64, np.float64, place)
    want = np.zeros((48, 64))
    want[:p, :50] = X.T
    assert isinstance(Xt, jax.Array)
    assert np.array_equal(np.asarray(Xt), want)

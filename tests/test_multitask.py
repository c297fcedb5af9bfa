"""Multi-task lasso / elastic net: ``l1jax.path(X, Y)`` with ``Y`` of shape ``(n, m)`` (float64).

The objective (../shared/DESIGN.md, issue 14), ``B_j`` the row of feature ``j``::

    (1/Σs) Σ_i s_i ½‖y_i − b − Bᵀx_i‖² + λ Σ_j v_j (ρ ‖B_j‖₂ + (1 − ρ)/2 ‖B_j‖²)

Every expected value comes from outside l1jax: scikit-learn's ``MultiTaskLasso`` and
``MultiTaskElasticNet`` (whose ``alpha`` is our λ with ``standardize=False`` and unit weights),
the optimality conditions (KKT) and λ_max evaluated here in NumPy, and the single-task path.
Problems are small and share their shapes and static options (intercept, no unpenalized
feature), so the file compiles five programs: a cold run takes about 20 s, nearly all of it
compilation.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.linear_model import MultiTaskElasticNet, MultiTaskLasso, MultiTaskLassoCV
from sklearn.model_selection import PredefinedSplit

import l1jax

TIGHT = 1e-12
M = 3  # tasks
SHAPES = {"tall": (50, 8), "wide": (20, 30)}  # Gram form (p ≤ n) and design form (p > n)


def _data(shape, m=M, seed=0):
    n, p = SHAPES[shape]
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + rng.normal(0, 2, p)
    B = np.zeros((p, m))
    B[:3] = rng.standard_normal((3, m))
    Y = X @ B + 0.5 * rng.standard_normal((n, m)) + rng.normal(0, 1, m)
    return X, Y


def _objective(X, Y, B, b, lam, rho, s=None, v=None):
    """The objective above, in NumPy, on the scale of the ``X`` given."""
    n, p = X.shape
    s = np.ones(n) if s is None else s
    v = np.ones(p) if v is None else v
    R = Y - b - X @ B
    loss = 0.5 * np.sum(s * np.sum(R**2, axis=1)) / s.sum()
    rows = np.linalg.norm(B, axis=1)
    return loss + lam * np.sum(v * (rho * rows + 0.5 * (1 - rho) * rows**2))


def _sklearn(X, Y, lam, rho, fit_intercept=True):
    """scikit-learn's fit, tight: ``(B (p, m), b (m,))``."""
    kw = dict(alpha=lam, fit_intercept=fit_intercept, tol=1e-12, max_iter=200_000)
    est = MultiTaskLasso(**kw) if rho == 1 else MultiTaskElasticNet(l1_ratio=rho, **kw)
    est.fit(X, Y)
    return est.coef_.T, np.broadcast_to(est.intercept_, (Y.shape[1],))


@pytest.mark.parametrize("rho", [1.0, 0.5])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_objective_matches_sklearn(shape, rho):
    X, Y = _data(shape)
    res = l1jax.path(X, Y, l1_ratio=rho, lambdas=6, lambda_min_ratio=0.02, standardize=False,
                     tol=TIGHT, early_stop=False)  # fmt: skip
    n, p = X.shape
    assert res.coef.shape == (6, p, M) and res.intercept.shape == (6, M)
    assert np.all(res.converged) and np.all(res.gap <= TIGHT)
    for k, lam in enumerate(res.lambdas):
        B, b = _sklearn(X, Y, lam, rho)
        ours = _objective(X, Y, res.coef[k], res.intercept[k], lam, rho)
        ref = _objective(X, Y, B, b, lam, rho)
        assert abs(ours - ref) <= 1e-9 * ref, (k, ours, ref)
        np.testing.assert_allclose(res.coef[k], B, atol=1e-5)


def test_kkt_rows_with_penalty_factor():
    """Row-wise optimality with ``v`` (one unpenalized feature): ``X_jᵀR/n − λ(1 − ρ)v_j B_j``
    equals ``λρ v_j B_j/‖B_j‖`` on nonzero rows and has norm ≤ ``λρ v_j`` on zero rows. (Design
    form, p > n: the unpenalized row and the intercepts are refitted jointly.)"""
    X, Y = _data("wide", seed=1)
    n, p = X.shape
    v = np.random.default_rng(2).uniform(0.5, 2.0, p)
    v[1] = 0.0
    rho = 0.7
    res = l1jax.path(X, Y, l1_ratio=rho, lambdas=5, lambda_min_ratio=0.05, standardize=False,
                     penalty_factor=v, tol=TIGHT, early_stop=False)  # fmt: skip
    assert np.all(res.converged)
    # (as test_path's KKT checks: a relative gap of 1e-12 leaves gradients within ~1e-6)
    atol = 1e-5 * max(1.0, np.linalg.norm(X.T @ (Y - Y.mean(0)) / n, axis=1).max())
    for k, lam in enumerate(res.lambdas):
        B, b = res.coef[k], res.intercept[k]
        R = Y - b - X @ B
        np.testing.assert_allclose(R.sum(axis=0), 0, atol=1e-9)  # the intercepts
        G = X.T @ R / n - lam * (1 - rho) * v[:, None] * B
        norms = np.linalg.norm(B, axis=1)
        on = norms > 0
        limit = lam * rho * v
        assert on[1]  # the unpenalized feature is in, with a zero gradient
        np.testing.assert_allclose(G[on], (limit[on] / norms[on])[:, None] * B[on], atol=atol)
        assert np.all(np.linalg.norm(G[~on], axis=1) <= limit[~on] + atol)
        assert 0 < on.sum() < p or k == 0


def test_lambda_max_gives_zero_rows_and_just_below_one_enters():
    """λ_max = max_j ‖X̃_jᵀ (Y − Ȳ)‖₂ / (n ρ v_j) on the standardized columns (1/n variance)."""
    X, Y = _data("wide", seed=3)
    n, p = X.shape
    rho = 0.8
    v = np.random.default_rng(4).uniform(0.5, 2.0, p)
    Xs = (X - X.mean(0)) / X.std(0)
    lam_max = np.max(np.linalg.norm(Xs.T @ (Y - Y.mean(0)), axis=1) / n / (rho * v))
    res = l1jax.path(X, Y, l1_ratio=rho, penalty_factor=v, lambdas=4, tol=TIGHT)
    np.testing.assert_allclose(res.lambdas[0], lam_max, rtol=1e-10)
    assert np.all(res.coef[0] == 0)
    np.testing.assert_allclose(res.intercept[0], Y.mean(0), rtol=1e-12)
    below = l1jax.path(X, Y, l1_ratio=rho, penalty_factor=v, tol=TIGHT,
                       lambdas=np.array([lam_max, 0.999 * lam_max]))  # fmt: skip
    assert np.all(below.coef[0] == 0)
    rows = np.linalg.norm(below.coef[1], axis=1) > 0
    assert rows.sum() == 1 and np.all(below.coef[1][rows] != 0)  # all tasks at once
    first = np.argmax(np.linalg.norm(Xs.T @ (Y - Y.mean(0)), axis=1) / v)
    assert rows[first]


def test_one_task_equals_single_task_path():
    """(Gram form: the single-task program is the one every small squared-loss path shares;
    the same block of 8 λs, so that both take the same iterations.)"""
    X, Y = _data("tall", seed=5)
    y = Y[:, 0]
    kw = dict(lambdas=8, l1_ratio=0.9, tol=TIGHT, early_stop=False, block_size=8,
              sample_weight=np.random.default_rng(6).uniform(0.5, 2.0, X.shape[0]))  # fmt: skip
    single = l1jax.path(X, y, **kw)
    multi = l1jax.path(X, y[:, None], **kw)
    assert multi.coef.shape == single.coef.shape + (1,)
    np.testing.assert_allclose(multi.lambdas, single.lambdas, rtol=1e-13)
    np.testing.assert_allclose(multi.coef[..., 0], single.coef, atol=1e-9)
    np.testing.assert_allclose(multi.intercept[:, 0], single.intercept, atol=1e-9)
    np.testing.assert_allclose(multi.dev_ratio, single.dev_ratio, atol=1e-10)
    assert multi.predict(X).shape == (8, X.shape[0], 1)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_weights_and_standardize_against_hand_transformed_problem(shape):
    """Weighted, standardized: the same as scikit-learn without intercept on the weighted-centred,
    scaled columns and targets with rows multiplied by √(n s_i / Σs); coef = B̃ / σ."""
    X, Y = _data(shape, seed=7)
    n, p = X.shape
    s = np.random.default_rng(8).uniform(0.2, 3.0, n)
    rho = 0.6
    res = l1jax.path(X, Y, l1_ratio=rho, lambdas=4, lambda_min_ratio=0.05, sample_weight=s,
                     tol=TIGHT, early_stop=False)  # fmt: skip
    w = s / s.sum()
    x_mean, y_mean = w @ X, w @ Y
    sd = np.sqrt(w @ (X - x_mean) ** 2)
    root = np.sqrt(n * w)[:, None]
    Xt, Yt = root * (X - x_mean) / sd, root * (Y - y_mean)
    for k, lam in enumerate(res.lambdas):
        Bt, _ = _sklearn(Xt, Yt, lam, rho, fit_intercept=False)
        ours_t = res.coef[k] * sd[:, None]  # our coefficients on the standardized scale
        ours = _objective(Xt, Yt, ours_t, 0.0, lam, rho)
        ref = _objective(Xt, Yt, Bt, 0.0, lam, rho)
        assert abs(ours - ref) <= 1e-9 * ref, (k, ours, ref)
        np.testing.assert_allclose(ours_t, Bt, atol=1e-5)
        # the intercept on the original scale, and the weighted objective there
        np.testing.assert_allclose(res.intercept[k], y_mean - x_mean @ res.coef[k], atol=1e-9)
        orig = _objective(X, Y, res.coef[k], res.intercept[k], 0.0, rho, s=s)
        np.testing.assert_allclose(orig, _objective(Xt, Yt, ours_t, 0.0, 0.0, rho), rtol=1e-10)


def test_certificates_dev_ratio_and_predict():
    X, Y = _data("tall", seed=9)
    res = l1jax.path(X, Y, lambdas=10, fit_intercept=True)
    assert np.all(res.converged) and np.all(res.status == 0) and np.all(res.gap <= 1e-7)
    assert res.lambdas.size <= 10 and np.all(np.diff(res.lambdas) < 0)
    pred = res.predict(X)
    assert pred.shape == (res.lambdas.size, X.shape[0], M)
    np.testing.assert_allclose(pred[3], res.intercept[3] + X @ res.coef[3], atol=1e-12)
    rss = np.sum((Y - pred) ** 2, axis=(1, 2))
    np.testing.assert_allclose(res.dev_ratio, 1 - rss / np.sum((Y - Y.mean(0)) ** 2), atol=1e-9)
    # every row is in or out for all tasks
    assert np.all((res.coef == 0).all(axis=2) == (res.coef == 0).any(axis=2))
    # (two λs: a single λ would compile a program of its own, block_size 1)
    nofit = l1jax.path(X, Y, lambdas=np.array([0.05, 0.02]), fit_intercept=False, tol=TIGHT)
    assert nofit.converged.all() and nofit.intercept.shape == (2, M)
    assert np.all(nofit.intercept == 0)
    rms = np.sqrt(np.mean(X**2, axis=0))  # without intercept the columns are scaled, not centred
    B, _ = _sklearn(X / rms, Y, 0.05, 1.0, fit_intercept=False)
    np.testing.assert_allclose(nofit.coef[0] * rms[:, None], B, atol=1e-6)


def test_cv_path_matches_sklearn_multitask_lasso_cv():
    """Fold by fold, the held-out squared errors (summed over the tasks of a row, glmnet's
    ``mgaussian``) equal ``m`` times scikit-learn's ``mse_path_`` (its mean over the entries)."""
    X, Y = _data("tall")
    lams = l1jax.path(X, Y, lambdas=6, lambda_min_ratio=0.02, standardize=False,
                      early_stop=False).lambdas  # fmt: skip
    ids = np.arange(X.shape[0]) % 5
    cv = l1jax.cv_path(X, Y, fold_ids=ids, lambdas=lams, standardize=False, tol=TIGHT)
    ref = MultiTaskLassoCV(alphas=lams, cv=PredefinedSplit(ids), tol=1e-12, max_iter=200_000)
    ref.fit(X, Y)
    np.testing.assert_allclose(ref.alphas_, cv.lambdas, rtol=1e-12)
    # (a gap of 1e-12 · P_null puts the coefficients within about 1e-6 of the optimum)
    np.testing.assert_allclose(cv.fold_scores, M * ref.mse_path_.T, rtol=1e-5)
    np.testing.assert_allclose(cv.cv_mean, M * ref.mse_path_.mean(axis=1), rtol=1e-5)
    assert cv.lambda_min == pytest.approx(ref.alpha_, rel=1e-12)
    assert cv.path.coef.shape == (6, X.shape[1], M)


def _name(arg):
    return re.compile(rf"\b{re.escape(arg)}\b")


X_, Y_ = _data("tall")
Y_NAN = Y_.copy()
Y_NAN[3, 1] = np.nan


@pytest.mark.parametrize(
    "kwargs, arg",
    [
        pytest.param(dict(y=Y_NAN), "y", id="Y-nan"),
        pytest.param(dict(y=Y_[:-1]), "y", id="Y-rows"),
        pytest.param(dict(y=(Y_ > 0).astype(float), loss="logistic"), "y", id="Y-logistic"),
        pytest.param(dict(y=np.abs(Y_), loss="poisson"), "squared", id="Y-poisson"),
        pytest.param(dict(positive=True), "positive", id="Y-positive"),
        pytest.param(dict(y=Y_[:, :0]), "y", id="Y-no-task"),
    ],
)
def test_bad_input_names_the_argument(kwargs, arg):
    kw = dict(X=X_, y=Y_, lambdas=3) | kwargs
    with pytest.raises(ValueError, match=_name(arg)):
        l1jax.path(kw.pop("X"), kw.pop("y"), **kw)


def test_refused_combinations_say_so():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(ValueError, match="sparse X"):
        l1jax.path(sparse.csr_matrix(X_), Y_, lambdas=3)
    with pytest.raises(ValueError, match=r"stability_selection.*2-D"):
        l1jax.stability_selection(X_, Y_, n_subsamples=2, lambdas=3)
    with pytest.raises(ValueError, match="y"):
        l1jax.path(X_, Y_[:, :, None], lambdas=3)


def test_the_readme_example_says_what_it_prints():
    """The README's multi-task block, run as written: the shapes its comments state (the path's
    length moved from 72 to 85 λs with glmnet's mgaussian stop, and the README kept 72)."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(rng = np.random.default_rng\(0\)\nX = rng.standard_normal"
                      r"\(\(200, 30\)\)\n.*?)```", readme, re.S)[1]  # fmt: skip
    stated = re.search(r"# \((\d+), 30, 4\), \((\d+), 4\)", block)
    scope = {"np": np, "l1jax": l1jax}
    exec(block, scope)
    res = scope["res"]
    assert res.coef.shape == (int(stated[1]), 30, 4) and res.intercept.shape == (int(stated[2]), 4)
    assert f"# ({res.coef.shape[0]}, 200, 4)" in block
    assert np.flatnonzero(scope["selected"][10]).tolist() == [0, 1, 2]

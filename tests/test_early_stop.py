"""glmnet's early stop of automatic paths, and the fraction of deviance explained (issue 17).

The rule (glmnet.control: fdev = 1e-5, devmax = 0.999, mnlam = 5) is written out here in NumPy
and applied to the whole path's ``dev_ratio``; the stopped path must end exactly there."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes

import l1jax


def _glmnet_stop(loss, dev):
    """The number of λs glmnet keeps: the first (1-based) k ≥ 5 that meets its rule, or all."""
    for k in range(4, dev.size):
        if dev[k] > 0.999:
            return k + 1
        if loss == "squared" and dev[k] - dev[k - 1] < 1e-5 * dev[k]:
            return k + 1
        if loss == "poisson" and dev[k] - dev[k - 4] < 10 * 1e-5 * dev[k]:
            return k + 1
        if loss == "logistic" and dev[k] - dev[k - 1] < 1e-5:
            return k + 1
    return dev.size


def _data(loss):
    X, y = load_diabetes(return_X_y=True)
    if loss == "poisson":
        return X, np.round(y / 10)
    if loss == "logistic":  # strongly separated classes: the deviance explained nears 1
        rng = np.random.default_rng(0)
        X = rng.standard_normal((80, 6))
        return X, (X[:, 0] + 0.5 * X[:, 1] + 0.1 * rng.standard_normal(80) > 0).astype(float)
    return X, y


def _deviance(loss, y, eta):
    if loss == "squared":
        return np.sum((y - eta) ** 2)
    if loss == "logistic":
        return 2 * np.sum(np.logaddexp(0, eta) - y * eta)
    ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1)), 0)
    return 2 * np.sum(ylogy - y * eta - (y - np.exp(eta)))


@pytest.mark.parametrize("loss", ["squared", "logistic", "poisson"])
def test_stops_where_glmnet_does(loss):
    X, y = _data(loss)
    whole = l1jax.path(X, y, loss=loss, early_stop=False)
    stopped = l1jax.path(X, y, loss=loss)
    K = _glmnet_stop(loss, whole.dev_ratio)
    assert K < whole.lambdas.size  # the rule applies on these data
    assert stopped.lambdas.size == K
    np.testing.assert_array_equal(stopped.lambdas, whole.lambdas[:K])
    np.testing.assert_allclose(stopped.coef, whole.coef[:K], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(stopped.dev_ratio, whole.dev_ratio[:K])
    assert stopped.converged.all()


@pytest.mark.parametrize("loss", ["squared", "logistic", "poisson"])
def test_dev_ratio_is_the_deviance_explained(loss):
    X, y = _data(loss)
    res = l1jax.path(X, y, loss=loss, lambdas=20, early_stop=False)
    eta = res.predict(X)
    null = _deviance(loss, y, np.full_like(y, {"squared": y.mean()}.get(loss, 0.0)) + (
        np.log(y.mean() / (1 - y.mean())) if loss == "logistic"
        else np.log(y.mean()) if loss == "poisson" else 0.0))  # fmt: skip
    expected = [1 - _deviance(loss, y, e) / null for e in eta]
    np.testing.assert_allclose(res.dev_ratio, expected, rtol=1e-6, atol=1e-9)
    assert res.dev_ratio[0] == pytest.approx(0, abs=1e-9)  # the null model at λ_max


def test_explicit_lambdas_are_all_fitted():
    X, y = _data("squared")
    stopped = l1jax.path(X, y)
    grid = l1jax.path(X, y, early_stop=False).lambdas
    assert stopped.lambdas.size < grid.size
    assert l1jax.path(X, y, lambdas=grid).lambdas.size == grid.size


def test_cv_path_fits_the_stopped_grid():
    X, y = _data("squared")
    stopped = l1jax.path(X, y, lambdas=40)
    cv = l1jax.cv_path(X, y, n_folds=3, lambdas=40)
    np.testing.assert_array_equal(cv.lambdas, stopped.lambdas)
    assert cv.cv_mean.shape == (stopped.lambdas.size,) and stopped.lambdas.size < 40
    assert l1jax.cv_path(X, y, n_folds=3, lambdas=40, early_stop=False).lambdas.size == 40


def test_cv_path_l1_ratio_grid_keeps_the_longest_stopped_grid():
    X, y = _data("squared")
    ratios = [0.2, 1.0]
    lengths = [l1jax.path(X, y, l1_ratio=r, lambdas=40).lambdas.size for r in ratios]
    cv = l1jax.cv_path(X, y, n_folds=3, lambdas=40, l1_ratio=ratios)
    assert cv.lambdas.shape == (2, max(lengths))
    for r, row in zip(ratios, cv.lambdas, strict=True):  # each its own log-spaced grid
        np.testing.assert_allclose(
            row, l1jax.path(X, y, l1_ratio=r, lambdas=40, early_stop=False).lambdas[: row.size]
        )


def test_early_stop_must_be_a_bool():
    X, y = _data("squared")
    with pytest.raises(TypeError, match="early_stop"):
        l1jax.path(X, y, early_stop="yes")


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_cv_choices_match_the_whole_grid(loss):
    # The folds fit the same λs either way: the stopped curve is the whole one cut short. On
    # the diabetes data (squared) the choices are the same λs; on separable classes (logistic)
    # the held-out deviance keeps falling past the stop: λ_min is then the last λ kept, its
    # error within half a standard error of the whole grid's best, and λ_1se a few λs away.
    X, y = _data(loss)
    stopped = l1jax.cv_path(X, y, loss=loss, n_folds=5, seed=1)
    whole = l1jax.cv_path(X, y, loss=loss, n_folds=5, seed=1, early_stop=False)
    K = stopped.lambdas.size
    assert K < whole.lambdas.size
    np.testing.assert_allclose(stopped.cv_mean, whole.cv_mean[:K], rtol=1e-6)
    best, se = whole.cv_mean[whole.index_min], whole.cv_se[whole.index_min]
    if whole.index_min < K:
        assert (stopped.index_min, stopped.index_1se) == (whole.index_min, whole.index_1se)
    else:
        assert stopped.index_min == K - 1
        assert stopped.cv_mean[stopped.index_min] <= best + 0.5 * se
        assert abs(stopped.index_1se - whole.index_1se) <= 5

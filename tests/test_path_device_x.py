"""``path`` on an ``X`` given as a ``jax.Array``: the standardization runs on the devices that hold
the rows (issue 5, item 4; the sharded case is in test_sharding.py). On one device the result
equals the NumPy run for every loss and option."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import l1jax

OPTIONS = [
    {},
    {"fit_intercept": False},
    {"standardize": False},
    {"positive": True},
    {"l1_ratio": 0.5},
    {"sample_weight": "random", "penalty_factor": "with_zero"},
]


def _problem(loss, n=60, p=15):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3, p) + rng.uniform(-2, 2, p)
    X[:, 4] = 1.5  # a constant column: coefficient 0
    eta = X[:, :3] @ np.array([0.8, -0.6, 0.4])
    eta -= eta.mean()
    if loss == "squared":
        y = eta + 0.3 * rng.standard_normal(n)
    elif loss == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = rng.poisson(np.exp(0.5 * eta)).astype(float)
    return X, y


@pytest.mark.parametrize("loss", ["squared", "logistic", "poisson"])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(o) or "default")
def test_jax_array_x_equals_numpy_x(loss, options):
    X, y = _problem(loss)
    kw = dict(options)
    rng = np.random.default_rng(1)
    if kw.get("sample_weight") == "random":
        kw["sample_weight"] = rng.uniform(0, 2, len(y))
    if kw.get("penalty_factor") == "with_zero":
        kw["penalty_factor"] = np.r_[0.0, np.ones(X.shape[1] - 1)]
    ref = l1jax.path(X, y, loss=loss, lambdas=10, tol=1e-10, **kw)
    res = l1jax.path(jnp.asarray(X), jnp.asarray(y), loss=loss, lambdas=10, tol=1e-10, **kw)
    assert res.converged.all() and ref.converged.all()
    np.testing.assert_allclose(res.lambdas, ref.lambdas, rtol=1e-12)
    np.testing.assert_allclose(res.coef, ref.coef, rtol=0, atol=1e-7)
    np.testing.assert_allclose(res.intercept, ref.intercept, rtol=0, atol=1e-7)
    if kw.get("fit_intercept", True):  # a constant column is the intercept's: coefficient 0
        assert np.all(res.coef[:, 4] == 0)
    assert isinstance(res.coef, np.ndarray)
    pred = res.predict(jnp.asarray(X))
    assert isinstance(pred, jax.Array)
    np.testing.assert_allclose(np.asarray(pred), ref.predict(X), rtol=0, atol=1e-7)


def test_jax_array_x_is_not_modified_and_float32_follows_its_dtype():
    X, y = _problem("squared")
    Xj = jnp.asarray(X, jnp.float32)
    before = np.asarray(Xj).copy()
    res = l1jax.path(Xj, y.astype(np.float32), lambdas=5)
    assert res.coef.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(Xj), before)
    ref = l1jax.path(X, y, lambdas=5, tol=1e-10)
    np.testing.assert_allclose(res.coef, ref.coef, atol=2e-4)

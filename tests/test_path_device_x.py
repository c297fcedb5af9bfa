"""``path`` on an ``X`` given as a ``jax.Array``: the standardization runs on the devices that hold
the rows (issue 5, item 4; the sharded case is in test_sharding.py). On one device the result
equals the NumPy run for every loss and option."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings

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


def test_a_constant_column_of_a_device_x_is_constant_with_unequal_weights():
    """Centred on the device in float32, a constant column kept a spread of 1.4e-9 of its mean
    (above the flat rule's 1e-10), scaled to a column of 1.0000191 beside the intercept: its
    coefficient reached −15 at a small λ, reported converged. (In a process of XLA's default
    build: the suite's level 0 rounds this centring exactly.)"""
    code = textwrap.dedent("""
        import warnings
        import jax.numpy as jnp, numpy as np, l1jax
        rng = np.random.default_rng(1)
        n = 200_000
        X = np.empty((n, 3))
        X[:, 0], X[:, 1:] = 3.7, rng.standard_normal((n, 2))
        y, w = X[:, 1] + rng.standard_normal(n), rng.lognormal(0, 2, n)
        warnings.simplefilter("ignore")  # (float32 at λ down to 1e-7: some λs uncertified)
        res = l1jax.path(jnp.asarray(X, jnp.float32), y, sample_weight=w,
                         lambdas=np.logspace(-2, -7, 11))
        print(np.abs(np.asarray(res.coef)[:, 0]).max())
    """)
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert float(out.stdout.split()[-1]) == 0.0


def test_a_float32_column_of_tiny_spread_is_kept_on_the_devices_as_on_the_host():
    """A float32 column of one value but one row an ulp above it, of weight 1e-6 (a spread of
    4e-12 of its mean): the host (centring in float64) kept it, the devices (float32, rule
    1e-10) dropped it and certified a fit at 5.5× the optimal objective. Now one rule: kept,
    and the device's fit agrees with the host's, converged or not."""
    rng = np.random.default_rng(0)
    n = 200
    x0 = rng.standard_normal(n)
    c = np.full(n, 1234567.0, np.float32)
    c[0] = np.nextafter(c[0], np.float32(np.inf))
    X = np.column_stack([x0, c]).astype(np.float32)
    y = (x0 + 0.3 * rng.standard_normal(n)).astype(np.float32)
    y[0] += 1e4
    w = np.ones(n, np.float32)
    w[0] = 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", l1jax.ConvergenceWarning)
        host = l1jax.path(X, y, lambdas=[0.05, 0.005], sample_weight=w)
        device = l1jax.path(jnp.asarray(X), y, lambdas=[0.05, 0.005], sample_weight=w)
    assert np.all(host.coef[:, 1] != 0) and np.all(device.coef[:, 1] != 0)
    np.testing.assert_array_equal(device.converged, host.converged)

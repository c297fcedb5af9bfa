"""Exact zeros at λ_max on every backend: the tie rule does not depend on summation order.

At λ_max the largest correlation equals λ exactly, and whether FISTA's first step moves that
coefficient depends on the last bits of a gradient that its products sum in another order than
λ_max's (working-set chunks on a CPU, other reductions on a GPU: issue 13 saw a nonzero weight
there). The engine therefore takes the null model as it is for every λ ≥ λ_max·(1 − 8ε), by
construction; below that the path is solved as usual."""

import jax
import numpy as np
import pytest

import l1jax

LOSSES = ("squared", "logistic", "poisson")
DTYPES = [pytest.param(np.float64, id="float64"), pytest.param(np.float32, id="float32")]


@pytest.fixture(params=DTYPES)
def dtype(request):
    with jax.enable_x64(request.param == np.float64):
        yield request.param


def _tied_data(loss, dtype, n=120, p=15, seed=0):
    """Columns 0 and 3 hold the same values, with the rows of each pair swapped, and ``y`` is
    equal within pairs: the two correlations are equal in exact arithmetic and differ only by
    summation order. They lead (λ_max is theirs), with column 1 behind."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    swap = np.arange(n).reshape(-1, 2)[:, ::-1].reshape(-1)
    X[:, 3] = X[swap, 0]
    eta = 1.5 * (X[:, 0] + X[swap, 0]) / 2 + 0.5 * X[:, 1]
    eta = (eta + eta[swap]) / 2  # equal within pairs
    if loss == "squared":
        y = eta + 0.3 * np.repeat(rng.standard_normal(n // 2), 2)
    elif loss == "logistic":
        y = np.repeat(rng.random(n // 2), 2) < 1 / (1 + np.exp(-eta))
    else:
        y = np.repeat(rng.poisson(np.exp(0.3 * eta[::2])), 2)
    return X.astype(dtype), y.astype(dtype)


@pytest.mark.parametrize("loss", LOSSES)
def test_lambda_max_row_is_exactly_null_with_a_tie_and_permuted_columns(loss, dtype):
    X, y = _tied_data(loss, dtype)
    res = l1jax.path(X, y, loss=loss, lambdas=8)
    assert np.all(np.asarray(res.coef[0]) == 0), res.coef[0]
    assert np.any(np.asarray(res.coef[1])[[0, 3]] != 0)  # the tied pair enters next
    assert res.n_iter[0] == 0  # the null model, taken as it is
    perm = np.random.default_rng(1).permutation(X.shape[1])
    res_p = l1jax.path(X[:, perm], y, loss=loss, lambdas=8)
    assert np.all(np.asarray(res_p.coef[0]) == 0), res_p.coef[0]
    np.testing.assert_allclose(res_p.lambdas, res.lambdas, rtol=1e-5)
    # the same path, in the permuted order (the tied pair may share its weight otherwise)
    coef = np.asarray(res_p.coef)[:, np.argsort(perm)].astype(float)
    ref = np.asarray(res.coef).astype(float)
    pair = [0, 3]
    rest = [j for j in range(X.shape[1]) if j not in pair]
    tol = 1e-3 if dtype == np.float32 else 1e-5
    np.testing.assert_allclose(coef[:, rest], ref[:, rest], atol=tol * np.abs(ref).max())
    np.testing.assert_allclose(coef[:, pair].sum(1), ref[:, pair].sum(1), atol=tol * 10)


@pytest.mark.parametrize("loss", LOSSES)
def test_null_model_from_a_few_ulps_below_lambda_max(loss, dtype):
    """λ = λ_max·(1 − 6ε) gives exactly the null model (before the rule, FISTA's tie-break
    let the leading coefficient move by ~ε), and its intercept; 16ε below, the path moves."""
    X, y = _tied_data(loss, dtype)
    lmax = l1jax.path(X, y, loss=loss, lambdas=8).lambdas[0]
    eps = np.finfo(dtype).eps
    lams = np.array([lmax * (1 - 6 * eps), lmax * (1 - 16 * eps), 0.5 * lmax], dtype)
    res = l1jax.path(X, y, loss=loss, lambdas=lams)
    assert res.lambdas[0] == lams[0]
    assert np.all(np.asarray(res.coef[0]) == 0), res.coef[0]
    assert np.any(np.asarray(res.coef[1]) != 0)  # the rule is no wider than it says
    assert bool(res.converged.all())
    s = y.astype(float).mean()
    link = s if loss == "squared" else np.log(s / (1 - s)) if loss == "logistic" else np.log(s)
    np.testing.assert_allclose(float(res.intercept[0]), link, rtol=10 * eps, atol=10 * eps)

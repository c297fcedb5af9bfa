"""float32 paths converge at the default tolerance on every loss (issue 13: on a GPU, DEFAULT
precision products stalled float32 gaps near 1e-3; tests/test_precision.py checks that every
product is HIGHEST, this checks on the CPU that float32 itself certifies the default tolerance).

The shape is tests/test_path.py's "tall" one, so the compiled programs are shared with its float32
tests (a "wide" 40 × 100 case converged too, but compiles programs of its own: 7-9 s each)."""

import warnings

import jax
import numpy as np
import pytest

import l1jax
from l1jax import ConvergenceWarning

LOSSES = ("squared", "logistic", "poisson")


def _data(loss, n, p, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    beta = np.zeros(p)
    beta[:4] = [1.5, -1.0, 0.8, -0.5]
    eta = X @ beta
    if loss == "squared":
        y = eta + 0.5 + 0.5 * rng.standard_normal(n)
    elif loss == "logistic":
        y = rng.random(n) < 1 / (1 + np.exp(-(0.3 + 0.8 * eta)))
    else:
        y = rng.poisson(np.exp(0.2 + 0.25 * eta))
    return X.astype(np.float32), y.astype(np.float32)


@pytest.mark.parametrize("loss", LOSSES)
def test_float32_path_converges_at_the_default_tolerance(loss):
    X, y = _data(loss, 120, 15, seed=3)
    with jax.enable_x64(False), warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        # the default grid's range, down to 1e-4 · λ_max (16 λs: test_path's programs)
        res = l1jax.path(X, y, loss=loss, lambdas=16)
    assert res.coef.dtype == np.float32
    assert bool(np.all(res.converged)), res.gap
    assert np.all(np.asarray(res.gap) <= 1e-5)  # the float32 default tolerance
    assert np.all(np.asarray(res.coef[0]) == 0) and np.any(np.asarray(res.coef[-1]) != 0)

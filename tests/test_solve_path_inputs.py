"""Bad input to ``l1jax.solve_path`` raises ValueError/TypeError naming the argument, on the
host before tracing; traced values (under ``jit`` and ``vmap``) are checked by their shapes and
dtypes only, and still solve.

Every case starts from a valid call (``test_valid_baseline``) and breaks exactly one thing;
messages are matched on the argument's name (as a whole word) and, where there is one, the fix.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import l1jax
from l1jax import Status

N, P = 12, 3


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, P))
    return jnp.asarray(X), jnp.asarray(X @ np.array([1.0, -1.0, 0.0])), jnp.array([0.5, 0.1])


def _call(**change):
    X, y, lambdas = _data()
    args = dict(X=X, y=y, lambdas=lambdas)
    kwargs = {k: change.pop(k) for k in list(change) if k not in args}
    args.update(change)
    return l1jax.solve_path(args["X"], args["y"], args["lambdas"], tol=1e-6, **kwargs)


def _name(arg):
    return rf"\b{re.escape(arg)}\b"


def test_valid_baseline():
    res = _call()
    assert np.asarray(res.status).tolist() == [Status.CONVERGED] * 2


CASES = [  # (id, change to the valid call, error, argument named, words of the fix)
    ("X list", dict(X=_data()[0].tolist()), TypeError, "X", "jnp.asarray"),
    ("X 1-D", dict(X=_data()[0][:, 0]), ValueError, "X", ""),
    ("X int", dict(X=_data()[0].astype(jnp.int32)), TypeError, "X", ".astype(float)"),
    ("X complex", dict(X=_data()[0] + 0j), TypeError, "X", "real"),
    ("X empty", dict(X=jnp.zeros((N, 0))), ValueError, "X", ""),
    ("y short", dict(y=_data()[1][:-1]), ValueError, "y", f"({N})"),
    ("y 2-D", dict(y=_data()[1][:, None]), ValueError, "y", ""),
    ("y list", dict(y=[0.0] * N), TypeError, "y", "jnp.asarray"),
    ("lambdas scalar", dict(lambdas=0.5), ValueError, "lambdas", "atleast_1d"),
    ("lambdas 2-D", dict(lambdas=jnp.ones((2, 1))), ValueError, "lambdas", ""),
    ("lambdas negative", dict(lambdas=jnp.array([-0.5])), ValueError, "lambdas", ">= 0"),
    ("lambdas NaN", dict(lambdas=jnp.array([jnp.nan])), ValueError, "lambdas", ""),
    ("lambdas empty", dict(lambdas=jnp.zeros(0)), ValueError, "lambdas", ""),
    (
        "penalty_factor short",
        dict(penalty_factor=jnp.ones(P - 1)),
        ValueError,
        "penalty_factor",
        f"({P})",
    ),  # fmt: skip
    (
        "penalty_factor negative",
        dict(penalty_factor=-jnp.ones(P)),
        ValueError,
        "penalty_factor",
        "non-negative",
    ),  # fmt: skip
    (
        "penalty_factor inf",
        dict(penalty_factor=jnp.ones(P).at[0].set(jnp.inf)),
        ValueError,
        "penalty_factor",
        "glmnet's penalty.factor Inf, or its exclude), drop its column",
    ),  # fmt: skip
    (
        "sample_weight short",
        dict(sample_weight=jnp.ones(N + 1)),
        ValueError,
        "sample_weight",
        f"({N})",
    ),  # fmt: skip
    (
        "sample_weight zero",
        dict(sample_weight=jnp.zeros(N)),
        ValueError,
        "sample_weight",
        "positive weight",
    ),  # fmt: skip
    (
        "sample_weight subnormal",
        dict(sample_weight=np.full(N, 1e-310)),
        ValueError,
        "sample_weight",
        "sample_weight / sample_weight.max()",
    ),  # fmt: skip
    (
        "sample_weight beyond float32",
        dict(X=_data()[0].astype(jnp.float32), sample_weight=np.full(N, 1e39)),
        ValueError,
        "sample_weight",
        "sample_weight / sample_weight.max()",
    ),  # fmt: skip
    ("loss", dict(loss="hinge"), ValueError, "loss", "squared"),
    ("loss multinomial", dict(loss="multinomial"), ValueError, "loss", "l1jax.path"),
    ("y negative for poisson", dict(loss="poisson"), ValueError, "y", "non-negative"),
    ("y not 0/1 for logistic", dict(loss="logistic"), ValueError, "y", "0 or 1"),
    ("l1_ratio above 1", dict(l1_ratio=2.0), ValueError, "l1_ratio", "<= 1"),
    ("l1_ratio string", dict(l1_ratio="a"), TypeError, "l1_ratio", ""),
    ("l1_ratio array", dict(l1_ratio=jnp.ones(2)), ValueError, "l1_ratio", "scalar"),
    ("fit_intercept string", dict(fit_intercept="no"), TypeError, "fit_intercept", "True"),
    ("positive int", dict(positive=1), TypeError, "positive", "True"),
    ("tol negative", dict(tol=-1e-6), ValueError, "tol", ">= 0"),
    ("max_iter zero", dict(max_iter=0), ValueError, "max_iter", ""),
    ("max_iter float", dict(max_iter=10.0), TypeError, "max_iter", "integer"),
    ("max_iter bool", dict(max_iter=True), TypeError, "max_iter", "integer"),
]


@pytest.mark.parametrize("change, error, arg, fix", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
def test_bad_argument_names_it(change, error, arg, fix):
    if "tol" in change:  # (_call passes its own tol)
        X, y, lambdas = _data()
        with pytest.raises(error, match=_name(arg)) as info:
            l1jax.solve_path(X, y, lambdas, **change)
    else:
        with pytest.raises(error, match=_name(arg)) as info:
            _call(**change)
    assert fix in str(info.value)


def test_misspelt_keyword_names_solve_path():
    X, y, lambdas = _data()
    with pytest.raises(TypeError, match="solve_path.*tolerance"):
        l1jax.solve_path(X, y, lambdas, tolerance=1e-6)


def test_nonfinite_data_is_reported_as_nonfinite():
    X, y, lambdas = _data()
    for bad in (dict(X=X.at[0, 0].set(jnp.nan)), dict(y=y.at[1].set(jnp.inf))):
        status = np.asarray(_call(**bad).status)
        assert status.tolist() == [Status.NONFINITE] * 2, (list(bad), status)
    # traced weights cannot be checked on the host: their NaN is reported the same way
    pf = jnp.ones(P).at[0].set(jnp.nan)
    res = jax.jit(lambda v: l1jax.solve_path(X, y, lambdas, penalty_factor=v))(pf)
    assert np.asarray(res.status).tolist() == [Status.NONFINITE] * 2


def test_traced_values_still_solve_under_jit():
    """Traced λs, l1_ratio, tol and max_iter skip the value checks (they cannot be read) and
    give what the eager call gives."""
    X, y, lambdas = _data()

    @jax.jit
    def solve(lam, ratio, tol, max_iter):
        return l1jax.solve_path(X, y, lam, l1_ratio=ratio, tol=tol, max_iter=max_iter)

    jitted = solve(lambdas, 0.5, 1e-8, 1000)
    eager = l1jax.solve_path(X, y, lambdas, l1_ratio=0.5, tol=1e-8, max_iter=1000)
    np.testing.assert_allclose(np.asarray(jitted.coef), np.asarray(eager.coef), atol=1e-10)
    assert np.asarray(jitted.status).tolist() == [Status.CONVERGED] * 2


def test_vmap_over_lambdas_equals_a_loop():
    X, y, lambdas = _data()
    batched = jax.vmap(lambda lam: l1jax.solve_path(X, y, lam[None], tol=1e-8))(lambdas)
    assert batched.coef.shape == (2, 1, P)
    for k in range(2):
        one = l1jax.solve_path(X, y, lambdas[k : k + 1], tol=1e-8)
        np.testing.assert_allclose(np.asarray(batched.coef[k]), np.asarray(one.coef), atol=1e-10)


def test_traced_shapes_and_dtypes_are_still_checked():
    X, y, lambdas = _data()
    with pytest.raises(ValueError, match=_name("y")):
        jax.jit(lambda yy: l1jax.solve_path(X, yy, lambdas))(y[:-1])
    with pytest.raises(ValueError, match=_name("lambdas")):
        jax.vmap(lambda lam: l1jax.solve_path(X, y, lam))(lambdas)  # a scalar λ per call
    with pytest.raises(TypeError, match=_name("max_iter")):
        jax.jit(lambda m: l1jax.solve_path(X, y, lambdas, max_iter=m))(10.0)


def test_traced_values_out_of_range_are_not_certified():
    """Traced values are checked by shape only; a negative λ came back CONVERGED. A negative or
    NaN λ, or a ρ out of [0, 1], now gives NONFINITE (an invalid problem)."""
    X, y, _ = _data()
    at = jax.jit(lambda lams, r: l1jax.solve_path(X, y, lams, l1_ratio=r, tol=1e-6).status)
    assert np.asarray(at(jnp.array([0.5, -0.5, jnp.nan]), 1.0)).tolist() == [
        Status.CONVERGED,
        Status.NONFINITE,
        Status.NONFINITE,
    ]
    assert np.asarray(at(jnp.array([0.5]), 1.5)).tolist() == [Status.NONFINITE]


def test_the_scale_of_sample_weight_is_free():
    """Weights of 1e306 (1e37 in float32), concrete or traced, overflowed their sum: zero
    coefficients, NaN gaps, status UNBOUNDED (a probe); as l1jax.path, their scale is free."""
    from l1jax.implicit import solve_one

    X, _, lambdas = _data()
    rng = np.random.default_rng(1)
    y = X @ np.array([1.0, -1.0, 0.0]) + rng.standard_normal(N)
    w = jnp.asarray(rng.uniform(0.2, 3.0, N))
    for dtype, big in ((jnp.float64, 1e306), (jnp.float32, 1e37)):
        Xd, yd, lams = X.astype(dtype), y.astype(dtype), lambdas.astype(dtype)
        ref = l1jax.solve_path(Xd, yd, lams, sample_weight=w.astype(dtype))
        traced = jax.jit(
            lambda s, Xd=Xd, yd=yd, lams=lams: l1jax.solve_path(Xd, yd, lams, sample_weight=s)
        )
        for res in (l1jax.solve_path(Xd, yd, lams, sample_weight=(w * big).astype(dtype)),
                    traced((w * big).astype(dtype))):  # fmt: skip
            assert np.asarray(res.status).tolist() == [Status.CONVERGED] * 2, dtype
            np.testing.assert_allclose(
                res.coef, ref.coef, rtol=1e-4 if dtype == jnp.float32 else 1e-10
            )
        one = solve_one(Xd, yd, lams[1], sample_weight=(w * big).astype(dtype))
        assert int(one.status) == Status.CONVERGED, dtype
        np.testing.assert_allclose(
            one.coef,
            ref.coef[1],
            rtol=1e-4 if dtype == jnp.float32 else 1e-8,
            atol=1e-5 if dtype == jnp.float32 else 1e-10,
        )


def test_traced_negative_weights_are_nonfinite_and_small_weights_differentiate():
    """Weights normalized by their sum: a negative sum flipped every sign, so traced weights of
    −1 came back CONVERGED (NONFINITE now, as NaN ones); the derivative of the division by
    their largest was NaN for weights below √tiny (1e-20 in float32). Found by a probe."""
    from l1jax.implicit import solve_one

    X, y, _ = _data()
    X, y = X.astype(jnp.float32), (y + 0.1).astype(jnp.float32)
    lam = jnp.array([0.1], jnp.float32)
    for w in (-jnp.ones(N), jnp.r_[-jnp.ones(N // 2), 0.5 * jnp.ones(N - N // 2)]):
        path_status = jax.jit(lambda s: l1jax.solve_path(X, y, lam, sample_weight=s).status)(w)
        one_status = jax.jit(lambda s: solve_one(X, y, lam[0], sample_weight=s).status)(w)
        assert [int(path_status[0]), int(one_status)] == [Status.NONFINITE] * 2
    for fit in (lambda s: solve_one(X, y, lam[0], sample_weight=s).coef.sum(),
                lambda s: l1jax.solve_path(X, y, lam, sample_weight=s).coef.sum()):  # fmt: skip
        unit = jax.grad(fit)(jnp.ones(N, jnp.float32))
        tiny = (
            jax.grad(fit)(jnp.full(N, 1e-20, jnp.float32)) * 1e-20
        )  # (scale-free: g(cs) = g(s)/c)
        assert np.all(np.isfinite(np.asarray(tiny)))
        np.testing.assert_allclose(tiny, unit, rtol=1e-4, atol=1e-7)

"""A user's JAX settings: l1jax's host calls trace their programs under NumPy's standard rules
whatever the user's rank and dtype promotion (scoped, never global), refuse traced arguments by
name, produce no NaN of their own that a user's ``jax_debug_nans`` would catch, and say so in
a process forked after JAX started (where they would hang)."""

import multiprocessing
import os
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import l1jax
from l1jax import prox, solvers


def _data(seed=0, n=60, p=8):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    return X, X[:, 0] - 0.5 * X[:, 1] + rng.standard_normal(n)


def _calls(X, y):
    from l1jax.estimators import Lasso

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "path": np.asarray(l1jax.path(X, y, lambdas=8).coef),
            "path float32": np.asarray(
                l1jax.path(X.astype(np.float32), y.astype(np.float32), lambdas=8).coef),
            "cv_path": np.asarray(l1jax.cv_path(X, y, lambdas=8, n_folds=3).cv_mean),
            "stability": np.asarray(l1jax.stability_selection(
                X, y, lambdas=4, n_subsamples=4, seed=0).probabilities),
            "Lasso": Lasso(alpha=0.05).fit(X, y).coef_,
        }  # fmt: skip


def test_host_calls_follow_standard_numpy_rules_whatever_the_users():
    X, y = _data()
    expected = _calls(X, y)
    with jax.numpy_rank_promotion("raise"), jax.numpy_dtype_promotion("strict"):
        got = _calls(X, y)
        # (scoped to each call: the user's settings hold again after it)
        assert jax.config.jax_numpy_rank_promotion == "raise"
        assert jax.config.jax_numpy_dtype_promotion == "strict"
    for name, value in expected.items():
        np.testing.assert_array_equal(got[name], value, err_msg=name)


def test_a_column_of_thresholds_broadcasts_under_rank_promotion_raise():
    with jax.numpy_rank_promotion("raise"):
        out = prox.soft_threshold(jnp.array([3.0, -1.0]), jnp.array([[1.0], [2.0]]))
    np.testing.assert_array_equal(out, [[2.0, 0.0], [1.0, 0.0]])


@pytest.mark.parametrize("where", ["jit path X", "vmap cv_path y", "jit path lambdas"])
def test_host_calls_refuse_traced_arguments_by_name(where):
    X, y = _data()
    transform, name, arg = where.split()
    calls = {
        "X": lambda a: l1jax.path(a, y).coef,
        "y": lambda a: l1jax.cv_path(X, a).cv_mean,
        "lambdas": lambda a: l1jax.path(X, y, lambdas=a).coef,
    }
    value = {"X": X, "y": np.stack([y, y]), "lambdas": jnp.array([0.1, 0.01])}[arg]
    wrapped = jax.jit(calls[arg]) if transform == "jit" else jax.vmap(calls[arg])
    with pytest.raises(TypeError, match=rf"{name}\(\) was given a traced array for {arg} "
                                        r".*l1jax.solve_path"):  # fmt: skip
        wrapped(value)


def test_no_nan_of_their_own_under_debug_nans_in_eager_mode():
    # the first certificate's progress against its mark of +inf (was inf − inf)
    with jax.debug_nans(True), jax.disable_jit():
        best, mark, stale = solvers._progress(jnp.asarray(0.5), jnp.asarray(2.0),
                                              jnp.asarray(jnp.inf), jnp.asarray(jnp.inf),
                                              jnp.asarray(0))  # fmt: skip
        out = prox.group_l1({"w": jnp.array([[1.0, 2.0], [0.1, 0.1]])}, 0.5, axis=1)
    assert float(best) == 0.5 and float(mark) == 2.0 and int(stale) == 0
    np.testing.assert_allclose(out["w"][0], np.array([1.0, 2.0]) * (1 - 0.5 / np.sqrt(5)),
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_array_equal(out["w"][1], 0)
    # λ as an array, a schedule or injected (a NaN constant made negative ones NaN), minimize,
    # lambda_max, an elastic net that switches a part off
    p, g = jnp.array([1.0, -0.2]), jnp.array([0.1, 0.1])
    with jax.debug_nans(True), jax.disable_jit():
        for tx in (l1jax.soft_thresholding(jnp.array(0.1), 0.5),
                   optax.inject_hyperparams(l1jax.soft_thresholding)(lam=0.1, learning_rate=0.5),
                   l1jax.proximal_gradient(0.5, jnp.array(0.1)),
                   l1jax.adam_prox(0.1, jnp.array(0.1))):  # fmt: skip
            updates, _ = tx.update(g, tx.init(p), p)
            assert np.all(np.isfinite(updates))
        fit = l1jax.minimize(lambda w: jnp.sum((w - 1.0) ** 2), jnp.zeros(2), lam=0.5)
        X, y = _data()
        ones = jnp.ones(X.shape[1])
        top = solvers.lambda_max(jnp.asarray(X), jnp.asarray(y), jnp.ones(len(y)), ones, 1.0,
                                 loss="squared", fit_intercept=True)  # fmt: skip
    np.testing.assert_allclose(fit.params, [0.75, 0.75], rtol=1e-5)
    assert float(top) > 0
    # a NaN of the user's own still poisons its group
    out = prox.group_l1({"w": jnp.array([[1.0, jnp.nan], [0.1, 0.1]])}, 0.5, axis=1)
    assert np.all(np.isnan(out["w"][0])) and np.all(out["w"][1] == 0)


def _child_path():
    X, y = _data()
    return l1jax.path(X, y, lambdas=4).coef.shape


def _child_minimize():  # (NumPy data: the child runs no JAX of its own before the call)
    X, y = _data()
    return l1jax.minimize(lambda w: ((y - X @ w) ** 2).mean(), np.zeros(X.shape[1]), lam=0.1)


def _child_solve_path():
    X, y = _data()
    return l1jax.solve_path(X, y, np.array([0.1]))


@pytest.mark.skipif(not hasattr(os, "register_at_fork"), reason="no fork here")
def test_a_process_forked_after_jax_started_is_told_so_not_hung():
    # (minimize and solve_path, which may also run inside a user's trace, hung there)
    X, y = _data()
    l1jax.path(X, y, lambdas=4)  # (JAX has started in this process)
    with warnings.catch_warnings():  # (JAX's own RuntimeWarning about os.fork)
        warnings.simplefilter("ignore")
        with multiprocessing.get_context("fork").Pool(1) as pool:
            for child in (_child_path, _child_minimize, _child_solve_path):
                with pytest.raises(RuntimeError, match=r"forked after JAX had started .* 'spawn'"):
                    pool.apply_async(child).get(timeout=60)


def test_the_logistic_intercept_bracket_makes_no_nan_of_its_own():
    """Before both ends of the intercept's bracket were known, its midpoint was −inf + inf, a
    NaN masked later, which a user's jax_debug_nans caught in eager mode (a logistic cv_path's
    fold whose intercept gradient started at exactly 0)."""
    n = 8
    data = solvers.Data(Xt=jnp.zeros((2, n)), y=jnp.asarray(np.arange(n) % 2, float),
                        s=jnp.full(n, 1.0 / n))  # fmt: skip
    pen = solvers.elastic_net(jnp.asarray(0.1), 1.0, jnp.ones(2))
    with jax.debug_nans(True), jax.disable_jit():
        ref = solvers._refit_free("logistic", data, pen, jnp.zeros(n), jnp.zeros(2),
                                  jnp.zeros(()), False, True)  # fmt: skip
    assert bool(ref.ok) and float(ref.b) == 0.0


def test_host_entry_points_transfer_under_a_users_disallowing_guard():
    """path, cv_path and the estimators take host data and return NumPy by design: under a
    user's jax.transfer_guard("disallow") they failed with JAX's bare error (and cv_path's
    threads did not see a scoped guard); minimize on device data refused its own tol."""
    X, y = _data()
    Xd, yd = jax.device_put(X), jax.device_put(y)
    ref = l1jax.path(X, y, lambdas=[0.1, 0.01])
    with jax.transfer_guard("disallow"):
        np.testing.assert_allclose(l1jax.path(Xd, yd, lambdas=[0.1, 0.01]).coef, ref.coef)
        l1jax.cv_path(X, y, lambdas=[0.1, 0.01], n_folds=3)
        w0, A, b, lam = (jax.device_put(a) for a in (np.zeros(3), np.eye(3), np.ones(3), 0.1))
        fit = l1jax.minimize(lambda w, A, b: 0.5 * jnp.sum((A @ w - b) ** 2), w0, lam=lam,
                             args=(A, b))  # fmt: skip
    np.testing.assert_allclose(fit.params, 0.9, rtol=1e-5)


def test_minimize_of_float64_params_under_strict_dtype_promotion():
    """FISTA's step counter took jnp.result_type(float32, float64): no implicit promotion under
    a user's jax_numpy_dtype_promotion="strict"."""
    A, b = jnp.asarray(np.eye(2)), jnp.asarray([2.0, 0.1])
    with jax.numpy_dtype_promotion("strict"):
        fit = l1jax.minimize(lambda w, A, b: 0.5 * jnp.sum((A @ w - b) ** 2), jnp.zeros(2),
                             lam=0.2, args=(A, b))  # fmt: skip
        l1jax.proximal_gradient(0.1, 0.2).init(jnp.zeros(2))
        opt, w = l1jax.proximal_gradient(0.1, 0.01), jnp.ones(3, jnp.bfloat16)  # (FISTA's
        state = opt.init(w)  # restart test took result_type(float32, bfloat16))
        for _ in range(3):
            updates, state = opt.update(w, state, w)
            w = w + updates
    np.testing.assert_allclose(fit.params, [1.8, 0.0], atol=1e-6)
    assert w.dtype == jnp.bfloat16 and bool(jnp.all(jnp.isfinite(w)))

"""l1jax.minimize: against scikit-learn, pytrees and masks, jit/vmap over λ, implicit gradients
against central finite differences, group sparsity, convergence flags and input errors.

References come from scikit-learn, numpy or finite differences of minimize itself (float64:
tests/conftest.py turns x64 on), never from another l1jax solver.
"""

from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import l1jax
from l1jax import prox

linear_model = pytest.importorskip("sklearn.linear_model")

TIGHT = 1e-12  # relative tolerance of minimize for the reference tests (float64)


def _data(n=50, p=12, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    coef = np.zeros(p)
    coef[:4] = [2.0, -1.5, 1.0, 0.5]
    y = X @ coef + 1.0 + 0.3 * rng.standard_normal(n)
    return X, y


X_NP, Y_NP = _data()
N, P = X_NP.shape
ALPHA_MAX = float(np.max(np.abs(X_NP.T @ Y_NP)) / N)
ALPHA = 0.1 * ALPHA_MAX


def least_squares(w, X, y):
    return jnp.mean(jnp.square(y - X @ w)) / 2


def least_squares_intercept(params, X, y):
    return jnp.mean(jnp.square(y - X @ params["w"] - params["b"])) / 2


def logistic(w, X, y):
    eta = X @ w
    return jnp.mean(jnp.logaddexp(0.0, eta) - y * eta)


def _lasso(w0=None, **kw):
    w0 = jnp.zeros(P) if w0 is None else w0
    return l1jax.minimize(least_squares, w0, args=(X_NP, Y_NP), **kw)


@functools.cache
def _sklearn(model, alpha, **kw):
    est = getattr(linear_model, model)(alpha=alpha, tol=1e-14, max_iter=1_000_000, **kw)
    return est.fit(X_NP, Y_NP)


# --- against scikit-learn ---------------------------------------------------------------------


def test_lasso_equals_sklearn():
    w0 = np.zeros(P)
    r = _lasso(w0, lam=ALPHA, tol=TIGHT)
    np.testing.assert_array_equal(w0, 0.0)  # init_params is not modified
    assert isinstance(r, l1jax.MinimizeResult) and r.params.dtype == jnp.float64
    ref = _sklearn("Lasso", ALPHA, fit_intercept=False).coef_
    assert bool(r.converged) and float(r.error) <= TIGHT and int(r.n_iter) > 0
    assert 0 < np.sum(ref == 0) < P  # a real sparsity pattern
    np.testing.assert_allclose(r.params, ref, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(r.params) == 0, ref == 0)


def _with_intercept(lam):
    init = {"b": jnp.zeros(()), "w": jnp.zeros(P)}
    mask = {"b": False, "w": True}
    return l1jax.minimize(
        least_squares_intercept, init, lam=lam, args=(X_NP, Y_NP), mask=mask, tol=TIGHT
    )


def test_unpenalized_bias_by_mask_equals_sklearn_with_intercept():
    r = _with_intercept(ALPHA)
    ref = _sklearn("Lasso", ALPHA, fit_intercept=True)
    assert bool(r.converged)
    np.testing.assert_allclose(r.params["w"], ref.coef_, atol=1e-6)
    np.testing.assert_allclose(r.params["b"], ref.intercept_, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(r.params["w"]) == 0, ref.coef_ == 0)

    # the implicit derivative through a masked pytree (the intercept's part does not move
    # with λ alone) against central finite differences
    def v(lam):
        params = _with_intercept(lam).params
        return params["b"] + jnp.sum(params["w"] * jnp.arange(P))

    fd = (float(v(ALPHA * 1.001)) - float(v(ALPHA * 0.999))) / (0.002 * ALPHA)
    g = float(jax.jit(jax.grad(v))(ALPHA))
    assert abs(g - fd) <= 1e-4 * abs(fd), (g, fd)


@pytest.mark.parametrize(
    "prox_fn, model, kw",
    [
        (functools.partial(prox.elastic_net, l1_ratio=0.5), "ElasticNet", dict(l1_ratio=0.5)),
        (prox.nonneg_l1, "Lasso", dict(positive=True)),
    ],
    ids=["elastic_net", "nonneg_l1"],
)
def test_other_l1jax_proxes_equal_sklearn(prox_fn, model, kw):
    r = _lasso(lam=ALPHA, prox=prox_fn, tol=TIGHT)
    if isinstance(prox_fn, functools.partial):  # an equal partial, written afresh: no recompile
        compiled = l1jax._minimize._solve._cache_size()
        again = functools.partial(prox_fn.func, **prox_fn.keywords)
        same = _lasso(lam=ALPHA, prox=again, tol=TIGHT).params
        assert l1jax._minimize._solve._cache_size() == compiled
        np.testing.assert_array_equal(same, r.params)
    ref = _sklearn(model, ALPHA, fit_intercept=False, **kw).coef_
    assert bool(r.converged)
    np.testing.assert_allclose(r.params, ref, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(r.params) == 0, ref == 0)


def _logistic_data():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 8))
    y = (X[:, 0] - 0.8 * X[:, 1] + 0.5 * rng.standard_normal(60) > 0).astype(float)
    return X, y


X_LOG, Y_LOG = _logistic_data()
LAM_LOG = 0.02


def test_l1_logistic_no_worse_than_liblinear():
    n, p = X_LOG.shape
    r = l1jax.minimize(logistic, jnp.zeros(p), lam=LAM_LOG, args=(X_LOG, Y_LOG), tol=TIGHT)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = linear_model.LogisticRegression(
            l1_ratio=1.0, C=1 / (n * LAM_LOG), solver="liblinear", fit_intercept=False,
            tol=1e-14, max_iter=100_000,
        ).fit(X_LOG, Y_LOG)  # fmt: skip

    def objective(w):
        return float(logistic(jnp.asarray(w), X_LOG, Y_LOG)) + LAM_LOG * np.sum(np.abs(w))

    assert bool(r.converged) and 0 < np.sum(np.asarray(r.params) == 0) < p
    got, ref = objective(r.params), objective(sk.coef_[0])
    assert got <= ref + 1e-12 * abs(ref), (got, ref)


# --- structure: group sparsity, λ_max, ISTA, dtypes ------------------------------------------


def test_group_l1_over_rows_zeroes_whole_rows_and_satisfies_kkt():
    rng = np.random.default_rng(1)
    n, p, k = 40, 8, 3
    X = rng.standard_normal((n, p))
    W_true = np.zeros((p, k))
    W_true[:3] = rng.standard_normal((3, k))
    Y = X @ W_true + 0.1 * rng.standard_normal((n, k))
    lam = 0.2 * np.max(np.linalg.norm(X.T @ Y / n, axis=1))

    def fun(W, X, Y):
        return jnp.sum(jnp.square(Y - X @ W)) / (2 * n)

    group_rows = functools.partial(prox.group_l1, axis=1)
    r = l1jax.minimize(fun, jnp.zeros((p, k)), lam=lam, args=(X, Y), prox=group_rows, tol=TIGHT)
    W = np.asarray(r.params)
    zero_rows = np.all(W == 0, axis=1)
    assert bool(r.converged) and 0 < zero_rows.sum() < p
    assert not np.any((W == 0) & ~zero_rows[:, None])  # rows are all zero or all nonzero
    grad = X.T @ (X @ W - Y) / n  # KKT of ‖·‖₂ per row
    assert np.all(np.linalg.norm(grad[zero_rows], axis=1) <= lam * (1 + 1e-8))
    on = ~zero_rows
    unit = W[on] / np.linalg.norm(W[on], axis=1, keepdims=True)
    np.testing.assert_allclose(grad[on], -lam * unit, atol=1e-8)


def test_above_lambda_max_zeros_are_optimal_at_once():
    r = _lasso(lam=1.01 * ALPHA_MAX)
    assert bool(r.converged) and int(r.n_iter) == 0 and float(r.error) == 0.0
    np.testing.assert_array_equal(r.params, np.zeros(P))


def test_ista_reaches_the_same_solution_with_more_iterations():
    """On correlated columns (AR(0.9): ill-conditioned), where momentum matters; on the
    well-conditioned X_NP the growing step lets ISTA match FISTA."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((100, 40))
    for j in range(1, 40):
        X[:, j] = 0.9 * X[:, j - 1] + np.sqrt(1 - 0.9**2) * X[:, j]
    y = X[:, :4] @ np.array([2.0, -1.0, 0.7, 0.3]) + 0.3 * rng.standard_normal(100)
    lam = 0.1 * np.max(np.abs(X.T @ y)) / 100
    fista, ista = (l1jax.minimize(least_squares, jnp.zeros(40), lam=lam, args=(X, y), tol=1e-10,
                                  accelerate=accelerate, max_iter=100_000)
                   for accelerate in (True, False))  # fmt: skip
    assert bool(fista.converged) and bool(ista.converged)
    assert 2 * int(fista.n_iter) < int(ista.n_iter)  # (measured: 73 and 249)
    np.testing.assert_allclose(ista.params, fista.params, atol=1e-8)


@pytest.mark.parametrize("accelerate", [True, False])
def test_the_step_grows_again_after_a_start_of_high_curvature(accelerate):
    """Σ exp(w) − 3w from w = 12, where the curvature is e¹² (1.6e5) times that at the solution
    (w* = log(3 − λ) or 0 after the prox): the step only shrank, and FISTA took 3,260
    iterations (ISTA did not converge in 10,000); it grows again after a step that passes at
    once (measured: 38 and 37)."""
    lam = 0.1

    def fun(w):
        return jnp.sum(jnp.exp(w) - 3.0 * w)

    res = l1jax.minimize(fun, jnp.full(2, 12.0), lam=lam, tol=1e-10, accelerate=accelerate)
    assert bool(res.converged) and int(res.n_iter) < 200
    np.testing.assert_allclose(res.params, np.log(3.0 - lam), rtol=1e-8)


@pytest.mark.parametrize("accelerate", [True, False])
def test_an_extrapolation_outside_the_domain_starts_again_from_the_iterate(accelerate):
    """Σ c w − log w (finite only for w > 0) with the non-negative L1 prox: w* = 1 / (c + λ).
    FISTA's momentum took y outside the log's domain at iteration 3 and the solve stopped
    NONFINITE, blaming init_params; it restarts from x there, as ISTA (which solved it)."""
    c = jnp.array([1.0, 2.0, 5.0, 10.0])
    f = lambda w: jnp.sum(c * w - jnp.log(w))  # noqa: E731
    lams = jnp.array([0.1, 0.5, 2.0])
    solve = functools.partial(l1jax.minimize, f, jnp.full(4, 5.0), prox=prox.nonneg_l1,
                              accelerate=accelerate, tol=1e-10)  # fmt: skip
    r = solve(lam=0.5)
    assert bool(r.converged)
    np.testing.assert_allclose(r.params, 1 / (c + 0.5), rtol=1e-8)
    rs = jax.vmap(lambda lam: solve(lam=lam))(lams)  # (a frozen fit changes nothing)
    assert bool(jnp.all(rs.converged))
    np.testing.assert_allclose(rs.params, 1 / (c + lams[:, None]), rtol=1e-8)


def test_float32_params_stay_float32_and_converge_at_the_default_tol():
    X, y = X_NP.astype(np.float32), Y_NP.astype(np.float32)
    r = l1jax.minimize(least_squares, jnp.zeros(P, jnp.float32), lam=ALPHA, args=(X, y))
    assert r.params.dtype == jnp.float32 and r.error.dtype == jnp.float32
    assert bool(r.converged)
    ref = _sklearn("Lasso", ALPHA, fit_intercept=False).coef_
    np.testing.assert_allclose(r.params, ref, atol=1e-4)


# --- jit, vmap over λ, no recompilation ---------------------------------------------------------


# One compiled program for a whole path, vmapped over λ and over the targets y (λ, data, tol
# and max_iter are traced).
def _fit(lam, y, tol):
    return l1jax.minimize(least_squares, jnp.zeros(P), lam=lam, args=(X_NP, y), tol=tol)


_path = jax.jit(jax.vmap(_fit, in_axes=(0, 0, None)))
_NOISE = np.random.default_rng(4).standard_normal((4, N))


def test_jit_vmap_over_lambda_and_data_equals_a_loop_and_lambda_is_traced():
    lams = np.array([1.2, 0.5, 0.1, 0.02]) * ALPHA_MAX
    ys = Y_NP + 0.1 * _NOISE * np.array([[0.0], [0.0], [1.0], [1.0]])  # two resampled y
    batched = _path(lams, ys, 1e-10)
    from test_programs import _compile_events

    # XLA compilations of _solve's program (jit caches' counts vary by jax version)
    compiled, stop = _compile_events(names=("_solve", "jit(_solve)"))
    try:
        loop = [_fit(lam, y, 1e-10) for lam, y in zip(lams, ys, strict=True)]
    finally:
        stop()
    assert len(compiled) <= 1  # the eager program, once
    assert batched.params.shape == (4, P) and batched.n_iter.shape == (4,)
    for k, r in enumerate(loop):
        np.testing.assert_allclose(batched.params[k], r.params, atol=1e-12)
        assert int(batched.n_iter[k]) == int(r.n_iter)
        assert bool(batched.converged[k]) and bool(r.converged)
    assert int(batched.n_iter[0]) == 0  # above λ_max: done at once, frozen under vmap


# --- implicit gradients against central finite differences --------------------------------------


def _fd(f, h):
    """Central finite difference of the scalar function ``f`` at 0 (float64)."""
    return (float(f(h)) - float(f(-h))) / (2 * h)


def _rel(a, b):
    return abs(float(a) - b) / max(abs(b), 1e-12)


X_VAL = np.random.default_rng(7).standard_normal((20, P))
Y_VAL = X_VAL[:, :4] @ np.array([2.0, -1.5, 1.0, 0.5])


def _validation(lam, X, y):
    """A validation loss of the lasso solution: differentiable in λ, X and y."""
    w = l1jax.minimize(least_squares, jnp.zeros(P), lam=lam, args=(X, y), tol=TIGHT).params
    return jnp.mean(jnp.square(Y_VAL - X_VAL @ w))


def test_implicit_gradients_vmapped_over_lambda_match_finite_differences():
    lams = np.array([2.0, 0.3, 0.1]) * ALPHA_MAX
    for lam in lams[1:]:  # mid-path: no kink within ±h
        support = [np.asarray(_lasso(lam=lam * s, tol=TIGHT).params) != 0 for s in (0.99, 1.01)]
        np.testing.assert_array_equal(*support)
    grads = jax.jit(jax.vmap(jax.grad(_validation, argnums=(0, 1, 2)), in_axes=(0, None, None)))
    g_lam, g_X, g_y = grads(lams, X_NP, Y_NP)
    assert all(np.all(np.isfinite(g)) for g in (g_lam, g_X, g_y))
    assert g_lam[0] == 0 and np.all(g_X[0] == 0) and np.all(g_y[0] == 0)  # above λ_max
    rng = np.random.default_rng(11)
    for k in (1, 2):
        fd = _fd(lambda s, k=k: _validation(lams[k] + s, X_NP, Y_NP), 1e-3 * lams[k])
        assert _rel(g_lam[k], fd) < 1e-4, (k, g_lam[k], fd)
        dX, dy = rng.standard_normal(X_NP.shape), rng.standard_normal(N)  # a direction in data

        def along(s, k=k, dX=dX, dy=dy):
            return _validation(lams[k], X_NP + s * dX, Y_NP + s * dy)

        g = float(np.sum(g_X[k] * dX) + np.sum(g_y[k] * dy))
        assert _rel(g, _fd(along, 1e-4)) < 1e-4, (k, g, _fd(along, 1e-4))


def test_forward_mode_and_a_logistic_model_and_data_closed_over_by_fun():
    n, p = X_LOG.shape
    weights = jnp.arange(1.0, p + 1)

    def v_args(lam, y):
        w = l1jax.minimize(logistic, jnp.zeros(p), lam=lam, args=(X_LOG, y), tol=TIGHT).params
        return jnp.sum(w * weights)

    def v_closure(lam, y):  # the data closed over by fun, not passed in args
        fun = lambda w: logistic(w, X_LOG, y)  # noqa: E731
        return jnp.sum(l1jax.minimize(fun, jnp.zeros(p), lam=lam, tol=TIGHT).params * weights)

    direction = np.random.default_rng(5).standard_normal(n)
    fd_lam = _fd(lambda s: v_args(LAM_LOG + s, Y_LOG), 1e-3 * LAM_LOG)
    fd_y = _fd(lambda s: v_args(LAM_LOG, Y_LOG + s * direction), 1e-4)
    # forward mode, both directions at once
    _, tangent = jax.jit(jax.jvp, static_argnums=0)(v_args, (LAM_LOG, Y_LOG), (1.0, jnp.zeros(n)))
    assert _rel(tangent, fd_lam) < 1e-4, (tangent, fd_lam)
    g_lam, g_y = jax.jit(jax.grad(v_closure, argnums=(0, 1)))(LAM_LOG, Y_LOG)
    assert _rel(g_lam, fd_lam) < 1e-4, (g_lam, fd_lam)
    assert _rel(g_y @ direction, fd_y) < 1e-4, (g_y @ direction, fd_y)


# --- convergence flags and errors as data ------------------------------------------------------


def test_not_converged_when_max_iter_is_too_small_and_it_warns_once():
    with pytest.warns(l1jax.ConvergenceWarning, match="max_iter") as record:
        r = _lasso(lam=ALPHA, max_iter=3)
    assert len(record) == 1
    assert not bool(r.converged) and int(r.n_iter) == 3
    assert int(r.status) == l1jax.Status.MAX_ITER and float(r.error) > 1e-6


def test_inside_jit_a_negative_lambda_is_data_not_an_exception():
    lams = np.array([-1.0, np.nan, -np.inf, ALPHA])
    r = _path(lams, np.tile(Y_NP, (4, 1)), 1e-6)  # the path test's program
    np.testing.assert_array_equal(r.converged, [False, False, False, True])
    assert np.all(np.isnan(r.error[:3])) and np.all(r.status[:3] == l1jax.Status.NONFINITE)
    np.testing.assert_array_equal(r.params[:3], np.zeros((3, P)))  # init_params, untouched


def test_non_finite_objective_is_a_status():
    with pytest.warns(l1jax.ConvergenceWarning, match="non-finite"):
        r = l1jax.minimize(lambda w: jnp.sum(jnp.log(w)), jnp.zeros(3), lam=0.1)
    assert int(r.status) == l1jax.Status.NONFINITE and np.isnan(float(r.error))


@pytest.mark.parametrize(
    "change, error, match",
    [
        (dict(lam=-0.1), ValueError, "lam"),
        (dict(lam=float("nan")), ValueError, "lam"),
        (dict(lam=np.array([0.1, 0.2])), ValueError, "vmap over lam"),
        (dict(lam="0.1"), TypeError, "lam"),
        # (a strength per leaf or coordinate: pointed to the prox's weights, not only "a real
        # number, got dict")
        (dict(lam={"w": 0.1}), TypeError, r"lam must be a real number.*prox\.l1, weights="),
        (dict(lam=np.full(P, 0.1)), ValueError, r"lam must be a scalar.*prox\.l1, weights="),
        (dict(tol=-1.0), ValueError, "tol"),
        (dict(max_iter=0), ValueError, "max_iter"),
        (dict(max_iter=10.5), TypeError, "max_iter"),
        (dict(max_iter=2**40), ValueError, "max_iter"),
        (dict(prox=lambda x: x), TypeError, "prox.*failed on init_params"),
        (dict(prox=lambda x, t: None), TypeError, "prox.*structure"),
        (
            dict(init_params={"w": jnp.zeros(P)}, mask={"w": jnp.ones(P, bool)}),
            TypeError,
            "mask must be a pytree of Python bools",
        ),
        (dict(init_params={"w": jnp.zeros(P)}, mask="w"), TypeError, "Python bools"),
        (dict(args=X_NP), TypeError, "args"),
        (dict(prox="l1"), TypeError, "prox"),
        (dict(fun=lambda w, X, y: X @ w), TypeError, "scalar"),
        (dict(fun="loss"), TypeError, "fun"),
        (dict(init_params=jnp.zeros(P, jnp.int32)), TypeError, "init_params"),
        (dict(init_params={}), ValueError, "init_params"),
        (dict(init_params={"w": jnp.zeros(P)}, mask={"v": True}), ValueError, "mask"),
        (dict(accelerate="yes"), TypeError, "accelerate"),
        # (minimize's own words: the single bool failed inside the trace with the transforms'
        # message about optax.inject_hyperparams; per-leaf weights under a mask with a raw
        # pytree structure error)
        (
            dict(init_params={"w": jnp.zeros(P), "b": jnp.zeros(())}, mask=False),
            ValueError,
            r"minimize: mask is a single bool \(False\) for init_params of 2 leaves",
        ),
        (
            dict(
                init_params={"w": jnp.zeros(P), "b": jnp.zeros(())},
                mask={"w": True, "b": False},
                prox=functools.partial(l1jax.prox.l1, weights={"w": np.ones(P), "b": 0.0}),
            ),
            TypeError,
            r"prox.*failed on init_params \(its penalized leaves, under mask\).*leave "
            r"mask out and give the unpenalized leaves weight 0",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_argument(change, error, match):
    kw = dict(fun=least_squares, init_params=jnp.zeros(P), lam=ALPHA, args=(X_NP, Y_NP))
    kw.update(change)
    if isinstance(kw["init_params"], dict) and kw["init_params"]:
        kw["fun"] = lambda p, X, y: least_squares(p["w"], X, y)
    fun, init = kw.pop("fun"), kw.pop("init_params")
    with pytest.raises(error, match=match):
        l1jax.minimize(fun, init, **kw)


def test_a_vmapped_lambda_of_one_entry_per_solve_is_refused_by_name():
    """λs of shape (K, 1) under vmap give each solve a λ of shape (1,): named, not JAX's
    'cond_fun must return a boolean scalar'."""

    def fit(lam):
        return l1jax.minimize(least_squares, jnp.zeros(P), lam=lam, args=(X_NP, Y_NP))

    with pytest.raises(ValueError, match="lam must be a scalar"):
        jax.vmap(fit)(jnp.geomspace(1.0, 0.01, 3)[:, None])


def test_a_warm_start_at_the_solution_stops_at_once():
    cold = _lasso(lam=ALPHA, tol=TIGHT)
    warm = _lasso(cold.params, lam=ALPHA, tol=1e-8)
    assert bool(warm.converged) and int(warm.n_iter) <= 2
    np.testing.assert_allclose(warm.params, cold.params, atol=1e-12)


def test_a_far_start_does_not_loosen_the_test():
    """The error is relative to the gradient's scale at init_params or at zero params, the
    smaller: from 100 (columns of scale 100) it was relative to a gradient of ~1e6 and stopped,
    'converged', at an objective 30 times the optimum's (10.4 above it)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 15)) * np.r_[1, 1, 1, [100.0] * 12]
    y = X[:, :3] @ np.array([2.0, -1, 0.5]) + 0.3 * rng.standard_normal(60)
    ref = linear_model.Lasso(alpha=0.1, fit_intercept=False, tol=1e-14, max_iter=10**6).fit(X, y)

    def objective(w):
        return float(least_squares(w, X, y) + 0.1 * jnp.sum(jnp.abs(w)))

    best = objective(ref.coef_)
    for start in (0.0, 10.0, 100.0):
        res = l1jax.minimize(least_squares, jnp.full(15, start), lam=0.1, args=(X, y))
        assert bool(res.converged)
        assert objective(res.params) - best < 1e-7 * best, start


def _squares_from_one(w):
    return jnp.sum(jnp.square(w - 1.0))


@pytest.mark.parametrize("lam, start", [(0.0, 1.0), (0.1, 0.0)])
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_an_optimal_start_is_converged_not_nonfinite(lam, start, dtype):
    """init_params already optimal (the gradient 0, or 0 inside the prox's band): error 0 at
    once. It was NaN (NONFINITE, with a warning): XLA folds ‖d‖ / η / s into ‖d‖ / (η·s), and
    η times the scale's floor (the smallest normal number) flushed to 0: 0 / 0."""
    fun = _squares_from_one if lam == 0 else (lambda w: 0.01 * _squares_from_one(w))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = l1jax.minimize(fun, jnp.full(4, start, dtype), lam=lam)
    assert bool(res.converged) and int(res.n_iter) == 0 and float(res.error) == 0.0


def _badly_scaled(w):  # curvatures 1 and 10⁴, minimum at [10000.5, 1] before the penalty
    h, c = jnp.array([1.0, 1e4]), jnp.array([10000.5, 1.0])
    return 0.5 * jnp.sum(h * (w.astype(jnp.float32) - c) ** 2)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16])
def test_steps_that_round_away_are_no_proof_of_optimality(dtype):
    """A step η∇fun below half a unit in the last place of the params rounds y − η∇fun back
    onto y: the computed step is 0, and minimize stopped with error 0, CONVERGED, at
    [10005.4, 1.0] (float32; bfloat16 at [32.75, 1]) where the optimum is [10000.4, 1.0]. The
    error now counts that rounding: it bounds the true one (float64, 3.5e-4 in float32), and
    the solve stops where the iteration no longer moves, as not converged, with a warning that
    says why."""
    with pytest.warns(l1jax.ConvergenceWarning, match=f"round away in {jnp.dtype(dtype).name}"):
        res = l1jax.minimize(_badly_scaled, jnp.zeros(2, dtype), lam=0.1)
    assert not bool(res.converged) and int(res.status) == l1jax.Status.MAX_ITER
    assert int(res.n_iter) < 10_000  # (stopped where it stood still, not at max_iter)
    # the true relative error, in float64: ‖G_η(x)‖ / s at the returned x (η = 1e-4 = 1/L,
    # s = ‖∇fun(0)‖, the scale minimize uses here; G of the lasso prox, in closed form)
    x = np.asarray(res.params, np.float64)
    g = np.array([1.0, 1e4]) * (x - [10000.5, 1.0])
    eta = 1e-4
    z = x - eta * g
    G = (x - np.sign(z) * np.maximum(np.abs(z) - eta * 0.1, 0)) / eta
    true = np.linalg.norm(G) / np.linalg.norm(np.array([1.0, 1e4]) * [10000.5, 1.0])
    assert true > 1e-6 and float(res.error) >= 0.5 * true, (float(res.error), true)


def test_an_intercept_started_at_the_mean_keeps_the_test_fair():
    """The documented advice (minimize's docstring, docs/minimize.md): under a y far from 0, an
    intercept started at the mean of y leaves the scale to the coefficients, and the lasso
    with intercept equals scikit-learn's (float64) at the default tol; started at 0, its
    gradient set the scale and the solve stopped 4e-3 away (the documented limit)."""
    from sklearn.linear_model import Lasso

    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 6))
    X -= X.mean(0)
    y = X @ np.r_[1, -0.5, 0, 0, 0.3, 0] + 0.1 * rng.standard_normal(40) + 1e4

    def loss(params, X, y):
        return jnp.mean((y - X @ params["w"] - params["b"]) ** 2) / 2

    ref = Lasso(alpha=0.05, tol=1e-14, max_iter=100_000).fit(X, y)
    res = l1jax.minimize(
        loss,
        {"w": jnp.zeros(6), "b": jnp.asarray(y.mean())},
        lam=0.05,
        args=(jnp.asarray(X), jnp.asarray(y)),
        mask={"w": True, "b": False},
    )
    assert bool(res.converged)
    np.testing.assert_allclose(res.params["w"], ref.coef_, atol=1e-5)


@pytest.mark.parametrize("fun", [
    lambda w: jnp.sum(jnp.abs(w - 3.0)),  # not differentiable at its minimum
    lambda w: jnp.sum((w - 2.0) ** 2) + jnp.where(w[0] > 1.0, jnp.nan, 0.0),  # a NaN region
], ids=["abs", "nan_region"])  # fmt: skip
def test_a_float64_stall_points_at_fun_not_at_float64(fun):
    """A stall in float64 is rarely rounding: the warning told to enable float64 (already on);
    it now names what stalls the backtracking (a fun that is not smooth or not finite)."""
    with pytest.warns(l1jax.ConvergenceWarning, match="differentiable and finite") as record:
        res = l1jax.minimize(fun, jnp.zeros(2, jnp.float64), lam=0.1)
    assert not bool(res.converged)
    assert not any("enable float64" in str(w.message) for w in record)


def test_second_derivatives_through_the_solution():
    """grad of grad, jacfwd of grad and hessian (in λ and in the data) through a ridge solution,
    against the closed form: the solver's output, stop-gradient'd, gave the first derivative's
    rule no dw/dθ to differentiate (V'' 0.383 for 0.483, d²V/dy² 0); and a fun returning a
    Python float (a constant) is fitted, not an AttributeError."""
    import functools

    with jax.enable_x64(True):
        rng = np.random.default_rng(0)
        n, p = 30, 4
        X, y = jnp.asarray(rng.standard_normal((n, p))), jnp.asarray(rng.standard_normal(n))
        ridge = functools.partial(l1jax.prox.elastic_net, l1_ratio=0.0)

        def ls(w, X, y):
            return jnp.mean((X @ w - y) ** 2) / 2

        def V(lam, y):
            res = l1jax.minimize(ls, jnp.zeros(p), lam=lam, args=(X, y), prox=ridge, tol=1e-13)
            return jnp.sum(res.params**2)

        def exact(lam, y):
            return jnp.sum(jnp.linalg.solve(X.T @ X / n + lam * jnp.eye(p), X.T @ y / n) ** 2)

        lam = jnp.asarray(0.3)
        for d in (jax.grad(jax.grad(V)), jax.jacfwd(jax.grad(V)), jax.hessian(V)):
            np.testing.assert_allclose(d(lam, y), jax.hessian(exact)(lam, y), rtol=1e-9)
        mixed = jax.grad(jax.grad(V), argnums=1)(lam, y)
        np.testing.assert_allclose(mixed, jax.grad(jax.grad(exact), argnums=1)(lam, y),
                                   rtol=1e-8, atol=1e-14)  # fmt: skip
        yy = jax.hessian(V, argnums=1)(lam, y)
        np.testing.assert_allclose(yy, jax.hessian(exact, argnums=1)(lam, y), atol=1e-13)
        assert np.abs(yy).max() > 1e-3
    res = l1jax.minimize(lambda w: 1.0, jnp.ones(3), lam=0.1)
    assert bool(res.converged) and not np.any(res.params)


def test_traced_arguments_of_a_partial_prox_are_differentiated():
    """grad in l1_ratio (partial(prox.elastic_net, l1_ratio=ρ)) and in weights
    (partial(prox.l1, weights=w)) against central differences: closed over by the prox they
    were constants, and the gradients 0 (−0.104 and −0.132 here). vmap over ρ = a loop, jit =
    eager."""
    with jax.enable_x64(True):
        rng = np.random.default_rng(7)
        n, p = 30, 6
        X = jnp.asarray(rng.standard_normal((n, p)))
        y = X @ jnp.array([1.5, 0, -1, 0, 0.5, 0]) + 0.2 * jnp.asarray(rng.standard_normal(n))

        def ls(w, X, y):
            return jnp.mean((X @ w - y) ** 2) / 2

        def solve(proximal):
            return l1jax.minimize(ls, jnp.zeros(p), lam=0.1, args=(X, y), tol=1e-12,
                                  prox=proximal).params  # fmt: skip

        def S(rho):
            return solve(functools.partial(prox.elastic_net, l1_ratio=rho)).sum()

        def T(v):
            return solve(functools.partial(prox.l1, weights=v)).sum()

        h = 1e-6
        g = jax.grad(S)(0.5)
        np.testing.assert_allclose(g, (S(0.5 + h) - S(0.5 - h)) / (2 * h), rtol=1e-6)
        assert abs(g) > 0.05
        v, e = jnp.ones(p), jnp.zeros(p).at[0].set(1.0)
        gv = jax.grad(T)(v)[0]
        np.testing.assert_allclose(gv, (T(v + h * e) - T(v - h * e)) / (2 * h), rtol=1e-5)
        assert abs(gv) > 0.05
        rhos = jnp.array([0.2, 0.5, 0.9])
        batched = jax.vmap(S)(rhos)
        np.testing.assert_allclose(batched, [S(float(r)) for r in rhos], rtol=1e-9)
        np.testing.assert_allclose(jax.jit(S)(0.5), S(0.5), rtol=1e-12)


def test_a_partial_prox_that_reads_its_arrays_values_still_solves():
    """A partial prox's float arrays are arguments of the compiled solve (new weights compile
    nothing new); one whose prox reads their values (Python control flow, NumPy) keeps them as
    constants: it raised JAX's TracerBoolConversionError inside the solve (a probe)."""

    def ls(w):
        return jnp.sum((w - 1.0) ** 2) / 2

    def branching(x, t, *, c):
        return prox.l1(x, t * c) if c.max() > 0 else x

    def with_numpy(x, t, *, c):
        return prox.l1(x, t * np.sqrt(c))

    for fn in (branching, with_numpy, prox.l1):
        kw = {"weights": np.ones(5)} if fn is prox.l1 else {"c": np.ones(5)}
        res = l1jax.minimize(ls, jnp.zeros(5), lam=0.1, prox=functools.partial(fn, **kw))
        np.testing.assert_allclose(res.params, 0.9, atol=1e-6)  # (soft-threshold of 1 at 0.1)


def test_negative_weights_of_a_partial_prox_are_refused_as_a_jax_array_too():
    """The prox's own check reads NumPy weights, not a device array's: weights of −1 as a
    jax.Array were a converged solve that grew the params instead of shrinking them."""

    def ls(w):
        return jnp.sum((w - 1.0) ** 2) / 2

    for weights in (-np.ones(5), -jnp.ones(5)):
        with pytest.raises((ValueError, TypeError), match="weights must be >= 0"):
            l1jax.minimize(ls, jnp.zeros(5), lam=0.1,
                           prox=functools.partial(prox.l1, weights=weights))  # fmt: skip
    # (that check's NumPy copy is no jax.Array: a prox using w.at[0] got a raw AttributeError)

    def first_free(x, t, w):
        return prox.l1(x, t, weights=w.at[0].set(0.0))

    r = l1jax.minimize(ls, jnp.zeros(5), lam=0.1, prox=functools.partial(first_free, w=jnp.ones(5)))
    np.testing.assert_allclose(r.params, [1.0, 0.9, 0.9, 0.9, 0.9], rtol=1e-6)


def test_minimize_lets_go_of_the_functions_of_old_calls(monkeypatch):
    """Each new function (a lambda per call, as a service writes it) compiled a program that
    jax.jit kept, with the function and its data, for good: +15,600 memory maps per 100 calls.
    The programs of the last MAX_PROGRAMS functions are kept now, the older let go."""
    import gc
    import weakref

    from l1jax import _minimize, _programs

    monkeypatch.setattr(_programs, "MAX_PROGRAMS", 2)
    kept = []
    for k in range(4):
        target = np.full(3, float(k))
        kept.append(weakref.ref(target))
        fit = l1jax.minimize(lambda w, t=target: jnp.sum((w - t) ** 2), jnp.zeros(3), lam=0.1)
        np.testing.assert_allclose(fit.params, max(k - 0.05, 0.0), atol=1e-6)
        del target
    gc.collect()
    assert [ref() is None for ref in kept] == [True, True, False, False]
    assert len(_minimize._solve._jits) <= 2


def _offset_lasso(dtype):
    """A 30 × 5 lasso whose unpenalized intercept is 30 (y not centred), and its solution by
    scikit-learn in float64."""
    from sklearn.linear_model import Lasso

    rng = np.random.default_rng(2)
    X = rng.standard_normal((30, 5))
    y = X[:, 0] + 30.0 + 0.1 * rng.standard_normal(30)
    X, y = X.astype(dtype), y.astype(dtype)
    sk = Lasso(alpha=0.01, tol=1e-15, max_iter=10**6).fit(X.astype(float), y.astype(float))

    def loss(params, X, y):
        return jnp.mean((y - X @ params["w"] - params["b"]) ** 2) / 2

    def fit(max_iter, tol):
        init = {"w": jnp.zeros(5, dtype), "b": jnp.asarray(y.mean(), dtype)}
        return l1jax.minimize(loss, init, lam=0.01, args=(jnp.asarray(X), jnp.asarray(y)),
                              mask={"w": True, "b": False}, max_iter=max_iter, tol=tol)  # fmt: skip

    return fit, sk


@pytest.mark.parametrize("dtype, tol, atol", [(np.float32, 1e-6, 2e-5), (np.float64, 1e-12, 1e-9)])
def test_more_iterations_never_return_a_worse_answer(dtype, tol, atol):
    """Below what its objective's values can tell (its terms, y − b, 300 times the residuals),
    the backtracking test compares rounding errors: a float32 step shrank to 2e-8 and the
    iterates drifted away from the optimum, the further the more iterations they were given
    (1e-4 above its objective after 10,000, 1e-2 and a wrong support after 100,000); a float64
    one passed an error of 1e-10 and ended at 1e-6. The answer is now the iterate of the
    smallest error: more iterations never make it worse."""
    fit, sk = _offset_lasso(dtype)
    errors = []
    for max_iter in (30, 1000, 10_000):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", l1jax.ConvergenceWarning)  # (tol is out of reach)
            r = fit(max_iter, tol)
        errors.append(float(r.error))
        np.testing.assert_allclose(r.params["w"], sk.coef_, atol=atol)
        np.testing.assert_array_equal(np.asarray(r.params["w"]) != 0, sk.coef_ != 0)
        np.testing.assert_allclose(r.params["b"], sk.intercept_, atol=atol)
    assert errors == sorted(errors, reverse=True)


def test_a_lambda_prox_over_a_hyperparameter_is_differentiated():
    """jaxopt's prox(x, hyperparams, scaling) as docs/minimize.md's table writes it, a lambda
    over the hyperparameter with lam=1: its derivative was silently 0 (the lambda's closure
    a constant to the implicit derivative), and a lambda over a jit-traced weights vector was
    JAX's "No constant handler"."""
    X, y = (jnp.asarray(a) for a in _data(40, 6)[:2])

    def loss(w, X, y):
        return jnp.mean((y - X @ w) ** 2) / 2

    def via_prox(l1reg):
        prox_fn = lambda x, t: prox.l1(x, l1reg * t)  # noqa: E731
        return jnp.sum(l1jax.minimize(loss, jnp.zeros(6), lam=1.0, args=(X, y), tol=1e-12,
                                      prox=prox_fn).params)  # fmt: skip

    def via_lam(l1reg):
        return jnp.sum(l1jax.minimize(loss, jnp.zeros(6), lam=l1reg, args=(X, y),
                                      tol=1e-12).params)  # fmt: skip

    lam = 0.3 * float(jnp.max(jnp.abs(X.T @ y)) / 40)
    expected = float(jax.grad(via_lam)(lam))
    assert abs(expected) > 0.1
    np.testing.assert_allclose(jax.grad(via_prox)(lam), expected, rtol=1e-8)
    np.testing.assert_allclose(jax.jit(jax.grad(via_prox))(lam), expected, rtol=1e-8)

    def weighted(lam, v):
        prox_fn = lambda x, t: prox.l1(x, t, weights=v)  # noqa: E731
        return jnp.sum(l1jax.minimize(loss, jnp.zeros(6), lam=lam, args=(X, y), tol=1e-12,
                                      prox=prox_fn).params)  # fmt: skip

    np.testing.assert_allclose(jax.jit(jax.grad(weighted))(lam, jnp.ones(6)), expected, rtol=1e-8)


def test_a_partial_prox_whose_function_closes_over_tracers_is_differentiated():
    """A functools.partial (or jax.tree_util.Partial) prox whose function closes over a traced
    hyperparameter: only the partial's own arguments were hoisted, the closure stayed a
    constant (a derivative of 0), and a closure over a traced integer under jit(grad) was
    JAX's "No constant handler"."""
    X, y = (jnp.asarray(a) for a in _data(40, 6)[:2])

    def loss(w, X, y):
        return jnp.mean((y - X @ w) ** 2) / 2

    def solve(scale, k, make):
        def scaled(x, t, weights=None):  # closes over scale (float) and k (int)
            return prox.l1(x, scale * t * (jnp.arange(6) != k), weights=weights)

        return jnp.sum(l1jax.minimize(loss, jnp.zeros(6), lam=0.1, args=(X, y), tol=1e-12,
                                      prox=make(scaled)).params)  # fmt: skip

    makes = [lambda f: (lambda x, t: f(x, t)),  # noqa: E731 (the reference: a lambda's closure)
             lambda f: functools.partial(f, weights=None),
             lambda f: functools.partial(f, weights=jnp.ones(6)),
             jax.tree_util.Partial]  # fmt: skip
    expected = float(jax.grad(solve)(0.7, 2, makes[0]))
    assert abs(expected) > 0.05
    h = 1e-6
    fd = (solve(0.7 + h, 2, makes[0]) - solve(0.7 - h, 2, makes[0])) / (2 * h)
    np.testing.assert_allclose(expected, fd, rtol=1e-5)
    for make in makes[1:]:
        np.testing.assert_allclose(jax.grad(solve)(0.7, 2, make), expected, rtol=1e-8)
        grad = jax.jit(jax.grad(solve), static_argnums=2)
        np.testing.assert_allclose(grad(0.7, 2, make), expected, rtol=1e-8)


def test_the_derivative_at_lambda_max_is_solve_paths():
    """At λ_max, every grid's first λ, all coefficients are 0 and solve_path's derivative is
    0; minimize's was the left one (−n/‖x_j − x̄_j‖² for the entering feature): the prox's tie
    |x| = t took the outside's derivative."""
    X, y = (jnp.asarray(a) for a in _data(40, 6)[:2])

    def coef(lam):
        def loss(w):
            return jnp.mean((y - X @ w["w"] - w["b"]) ** 2) / 2

        return l1jax.minimize(loss, {"w": jnp.zeros(6), "b": jnp.mean(y)}, lam=lam, tol=1e-12,
                              mask={"w": True, "b": False}).params["w"]  # fmt: skip

    lam_max = l1jax.solvers.lambda_max(X, y, jnp.ones(40), jnp.ones(6), 1.0, loss="squared",
                                       fit_intercept=True)  # fmt: skip
    np.testing.assert_array_equal(coef(lam_max), 0.0)
    np.testing.assert_array_equal(jax.jacfwd(coef)(lam_max), 0.0)
    ref = jax.jacfwd(lambda lam: l1jax.solve_path(X, y, lam[None], tol=1e-14).coef[0])(lam_max)
    np.testing.assert_array_equal(ref, 0.0)
    below = 0.9 * lam_max  # (and left of it, the closed form −n (X_Sᵀ X_S)⁻¹ sign(β_S))
    w = coef(below)
    S = np.flatnonzero(w)
    Xc = np.asarray(X - X.mean(0))[:, S]
    expected = -40 * np.linalg.solve(Xc.T @ Xc, np.sign(np.asarray(w)[S]))
    np.testing.assert_allclose(np.asarray(jax.jacfwd(coef)(below))[S], expected, rtol=1e-6)


def test_a_bound_method_prox_reading_a_traced_attribute_is_differentiated_twice():
    """A prox that is a bound method (or a partial of one) reading an attribute set to a tracer:
    JAX's closure_convert and make_jaxpr cache on the method, and the second derivative taken
    got the first trace's tracer (JAX's UnexpectedTracerError)."""
    X, y = (jnp.asarray(a) for a in _data(40, 6)[:2])

    class Scaled:
        scale = 1.0

        def apply(self, x, t, weights=None):
            return prox.l1(x, t * self.scale, weights=weights)

    pen = Scaled()

    def loss(w):
        return jnp.mean((y - X @ w) ** 2) / 2

    def solve(scale, make):
        pen.scale = scale
        return l1jax.minimize(loss, jnp.zeros(6), lam=0.05, tol=1e-12, prox=make()).params

    def by_lam(scale):  # (the same model: λ·scale)
        return l1jax.minimize(loss, jnp.zeros(6), lam=0.05 * scale, tol=1e-12).params

    for make in (lambda: pen.apply, lambda: functools.partial(pen.apply, weights=jnp.ones(6))):
        for scale in (1.3, 0.7):
            np.testing.assert_allclose(jax.jacfwd(solve)(scale, make), jax.jacfwd(by_lam)(scale),
                                       rtol=1e-8, atol=1e-12)  # fmt: skip


def test_integer_and_bool_arrays_closed_over_under_jit_of_grad():
    """A fun closing over a fold's row indices or a row mask, traced by the user's jit: JAX's
    closure conversion hoists only what may carry a derivative, and jit(grad(...)) failed with
    "No constant handler for type: DynamicJaxprTracer" (eager, it worked)."""
    X, y = (jnp.asarray(a) for a in _data(40, 6)[:2])

    def by_rows(lam, rows):
        def loss(w):
            return jnp.mean((y[rows] - X[rows] @ w) ** 2) / 2

        return jnp.sum(l1jax.minimize(loss, jnp.zeros(6), lam=lam, tol=1e-12).params)

    def by_mask(lam, keep):
        def loss(w):
            return jnp.sum(jnp.where(keep, (y - X @ w) ** 2, 0.0)) / (2 * jnp.sum(keep))

        return jnp.sum(l1jax.minimize(loss, jnp.zeros(6), lam=lam, tol=1e-12).params)

    rows, keep = jnp.arange(30), jnp.arange(40) < 30
    eager = jax.grad(by_rows)(0.05, rows)
    assert abs(float(eager)) > 0.1
    np.testing.assert_allclose(jax.jit(jax.grad(by_rows))(0.05, rows), eager, rtol=1e-10)
    np.testing.assert_allclose(jax.jit(jax.grad(by_mask))(0.05, keep), eager, rtol=1e-10)


@pytest.mark.parametrize("case", ["jaxopt's fun(w, data)", "a Python int in args"])
def test_errors_of_fun_say_how_it_is_called(case):
    """fun's own error reached the user bare (a jaxopt fun(w, data) given args=(X, y): "takes 2
    positional arguments but 3 were given"; a Python int in args, traced: JAX's slice error):
    it is raised as it is, with a note on how minimize calls fun."""
    X, y = jnp.ones((30, 5)), jnp.ones(30)

    def jaxopt_style(w, data):
        X, y = data
        return jnp.mean((X @ w - y) ** 2)

    def head(w, X, y, k):
        return jnp.mean((y[:k] - X[:k] @ w) ** 2)

    fun, args = {"jaxopt's fun(w, data)": (jaxopt_style, (X, y)),
                 "a Python int in args": (head, (X, y, 20))}[case]  # fmt: skip
    with pytest.raises((TypeError, IndexError)) as info:
        l1jax.minimize(fun, jnp.zeros(5), lam=0.1, args=args)
    (note,) = [note for note in info.value.__notes__ if "l1jax.minimize" in note]
    assert "fun(init_params, *args)" in note and f"the {len(args)} of args" in note
    assert "Python numbers too" in note


@pytest.mark.parametrize("mask", [{"w": False, "b": False}, "skip_biases"])
def test_a_mask_that_penalizes_nothing_is_refused(mask):
    """l1jax.skip_biases on a linear model (its w is 1-D, a 'bias') or a mask of False only:
    λ had no effect, and a lasso came back dense, unpenalized, without a word."""
    X, y = (jnp.asarray(a) for a in _data(40, 6)[:2])

    def loss(params, X, y):
        return jnp.mean((y - X @ params["w"] - params["b"]) ** 2) / 2

    init = {"w": jnp.zeros(6), "b": jnp.zeros(())}
    mask = l1jax.skip_biases if mask == "skip_biases" else mask
    with pytest.raises(ValueError, match="leaves every leaf of init_params unpenalized") as info:
        l1jax.minimize(loss, init, lam=0.5, args=(X, y), mask=mask)
    assert ("skip_biases leaves out" in str(info.value)) == (mask is l1jax.skip_biases)
    fixed = l1jax.minimize(loss, init, lam=0.5, args=(X, y), mask={"w": True, "b": False})
    assert bool(fixed.converged)  # (the fix it suggests)


def test_one_iteration_at_a_time_makes_progress():
    """The answer as the iterate of the smallest error started from init_params with its own
    error, which the first step's equals: max_iter=1 returned init_params unchanged (dense),
    and a warm-started loop of one-iteration calls never moved."""
    X, y = (jnp.asarray(a) for a in _data(40, 8)[:2])

    def loss(w, X, y):
        return jnp.mean((y - X @ w) ** 2) / 2

    w = jnp.full(8, 0.3)
    full = l1jax.minimize(loss, jnp.zeros(8), lam=0.1, args=(X, y), tol=1e-12)
    start = float(jnp.abs(w - full.params).max())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", l1jax.ConvergenceWarning)  # (1 iteration: expected)
        one = l1jax.minimize(loss, w, lam=0.1, args=(X, y), max_iter=1)
        assert int(one.n_iter) == 1 and bool(jnp.any(one.params != w))
        for _ in range(50):
            w = l1jax.minimize(loss, w, lam=0.1, args=(X, y), max_iter=1).params
    assert float(jnp.abs(w - full.params).max()) < 0.01 * start  # (it moved to the answer)

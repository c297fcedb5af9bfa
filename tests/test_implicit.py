"""Implicit differentiation of penalized GLM solutions (l1jax.implicit, through solve_path).

The reference for every derivative is a central finite difference of a tightly solved problem:
``solve_path`` at a relative gap of 1e-14, then polished by Newton's method on the support in
numpy (independent code) and checked against the KKT conditions off the support. λ sits mid-path
and every finite-difference point is checked to keep the same support (no kink in between).
"""

from __future__ import annotations

import functools
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import l1jax
from l1jax import implicit, solvers

INPUTS = ("lam", "l1_ratio", "penalty_factor", "sample_weight", "X", "y")
RTOL = 1e-4  # the bar; the measured agreement is ~1e-8 or better


def make_problem(loss, n=40, p=8, seed=0):
    """Data, weights and penalty factors (feature 0 unpenalized), as float64 numpy arrays."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    eta = X[:, :3] @ np.array([1.0, -0.8, 0.6])
    if loss == "squared":
        y = eta + 0.5 * rng.standard_normal(n)
    elif loss == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = rng.poisson(np.exp(0.5 * eta)).astype(float)
    s = rng.uniform(0.5, 1.5, n)
    v = rng.uniform(0.5, 1.5, p)
    v[0] = 0.0
    return X, y, s, v


def _theta(loss, frac, l1_ratio=0.8, fit_intercept=True, positive=False):
    X, y, s, v = make_problem(loss)
    lmax = float(
        solvers.lambda_max(
            X, y, s, v, l1_ratio, loss=loss, fit_intercept=fit_intercept, positive=positive
        )
    )
    return dict(lam=frac * lmax, l1_ratio=l1_ratio, penalty_factor=v, sample_weight=s, X=X, y=y)


def _mean_and_slope(loss, eta):
    if loss == "squared":
        return eta, np.ones_like(eta)
    if loss == "logistic":
        mu = 1 / (1 + np.exp(-eta))
        return mu, mu * (1 - mu)
    mu = np.exp(eta)
    return mu, mu


def polish(loss, th, coef, b, *, fit_intercept, positive, steps=6):
    """Newton's method on the support of ``coef`` (numpy), then a KKT check everywhere."""
    th = {k: np.asarray(v, dtype=float) for k, v in th.items()}
    coef = np.asarray(coef, dtype=float)
    X, y = th["X"], th["y"]
    lam, rho, v = th["lam"], th["l1_ratio"], th["penalty_factor"]
    sn = th["sample_weight"] / np.sum(th["sample_weight"])
    on = np.flatnonzero((coef != 0) | ((lam * rho * v == 0) & (not positive)))
    sign = np.sign(coef[on])
    Z = np.column_stack([X[:, on], np.ones(len(y))]) if fit_intercept else X[:, on]
    w = np.concatenate([coef[on], [b]]) if fit_intercept else coef[on].copy()
    k = len(on)
    for _ in range(steps):
        mu, slope = _mean_and_slope(loss, Z @ w)
        F = Z.T @ (sn * (mu - y))
        F[:k] += lam * v[on] * (rho * sign + (1 - rho) * w[:k])
        H = Z.T @ ((sn * slope)[:, None] * Z)
        H[np.arange(k), np.arange(k)] += lam * (1 - rho) * v[on]
        w = w - np.linalg.solve(H, F)
    assert np.all(np.sign(w[:k])[sign != 0] == sign[sign != 0]), "Newton changed a sign"
    beta = np.zeros_like(coef)
    beta[on] = w[:k]
    b = w[k] if fit_intercept else 0.0
    grad = X.T @ (sn * (_mean_and_slope(loss, X @ beta + b)[0] - y))
    off = np.setdiff1d(np.arange(len(coef)), on)
    bound = lam * rho * v[off]
    viol = grad[off] if positive else np.abs(grad[off])
    assert np.all(-viol < bound * (1 - 1e-6)) if positive else np.all(viol < bound * (1 - 1e-6))
    return beta, b


@functools.cache
def tight_solver(loss, *, fit_intercept=True, positive=False):
    """θ ↦ the exact solution (coef, intercept): solve_path at gap 1e-14, polished."""
    run = jax.jit(
        functools.partial(
            l1jax.solve_path,
            loss=loss,
            fit_intercept=fit_intercept,
            positive=positive,
            tol=1e-14,
            max_iter=100_000,
        )
    )

    def solve(th):
        res = run(
            jnp.asarray(th["X"]),
            jnp.asarray(th["y"]),
            jnp.asarray([th["lam"]]),
            l1_ratio=th["l1_ratio"],
            penalty_factor=jnp.asarray(th["penalty_factor"]),
            sample_weight=jnp.asarray(th["sample_weight"]),
        )
        assert bool(res.converged[0]), res
        coef, b = np.asarray(res.coef[0]), float(res.intercept[0])
        return polish(loss, th, coef, b, fit_intercept=fit_intercept, positive=positive)

    return solve


def _functional(p):
    """A fixed random scalar of the solution: u·coef + c·intercept."""
    u = np.random.default_rng(7).standard_normal(p)
    return lambda coef, b: u @ coef + 0.7 * b


@functools.cache
def _grad_fn(loss, fit_intercept, positive, linear_solver, p):
    f = _functional(p)

    def value(th, coef, b):
        c, i = implicit.attach(
            coef, b, th["X"], th["y"], th["lam"], th["l1_ratio"], th["penalty_factor"],
            th["sample_weight"], loss=loss, fit_intercept=fit_intercept, positive=positive,
            linear_solver=linear_solver,
        )  # fmt: skip
        return f(c, i)

    return jax.jit(jax.grad(value))


def implicit_grads(loss, th, coef, b, *, fit_intercept=True, positive=False, linear_solver="cg"):
    """Gradient of the functional in every input, by implicit.attach at the exact solution."""
    grad = _grad_fn(loss, fit_intercept, positive, linear_solver, len(coef))
    return grad(jax.tree.map(jnp.asarray, th), jnp.asarray(coef), jnp.asarray(b))


def _direction(name, th, rng):
    d = rng.standard_normal(np.shape(th[name]))
    if name == "penalty_factor":
        d[th["penalty_factor"] == 0] = 0  # v_j = 0 is the edge of the domain (v ≥ 0)
    return d


def check_against_finite_differences(loss, th, names, **opts):
    """Directional derivatives along random directions: implicit vs central differences."""
    solve = tight_solver(loss, **opts)
    coef, b = solve(th)
    support = coef != 0
    assert 0 < support.sum() < len(coef)  # mid-path: some zeros, some not
    f = _functional(len(coef))
    grads = implicit_grads(loss, th, coef, b, **opts)
    rng = np.random.default_rng(3)
    errors = {}
    for name in names:
        d = _direction(name, th, rng)
        h = 1e-5 * max(1.0, float(np.max(np.abs(th[name]))))
        if name == "lam":
            h = 1e-5 * th["lam"]
        plus, minus = solve({**th, name: th[name] + h * d}), solve({**th, name: th[name] - h * d})
        assert np.array_equal(plus[0] != 0, support) and np.array_equal(minus[0] != 0, support)
        fd = (f(*plus) - f(*minus)) / (2 * h)
        an = float(jnp.sum(grads[name] * d))
        errors[name] = abs(an - fd) / abs(fd)
        assert errors[name] < RTOL, (name, an, fd)
    return errors


@pytest.mark.parametrize("loss", ["squared", "logistic", "poisson"])
def test_gradients_match_finite_differences(loss):
    errors = check_against_finite_differences(loss, _theta(loss, 0.3), INPUTS)
    print(loss, {k: f"{e:.1e}" for k, e in errors.items()})


def test_positive_without_intercept_lasso():
    th = _theta("squared", 0.3, l1_ratio=1.0, fit_intercept=False, positive=True)
    names = ("lam", "penalty_factor", "X", "y")
    check_against_finite_differences("squared", th, names, fit_intercept=False, positive=True)


def test_zero_coefficients_have_zero_finite_derivatives():
    """Off the support the derivative is exactly 0; all-zero solutions give finite gradients."""
    th = jax.tree.map(jnp.asarray, _theta("logistic", 0.3))
    coef, b = tight_solver("logistic")(th)
    jac = jax.jacfwd(
        lambda lam: implicit.attach(coef, b, th["X"], th["y"], lam, th["l1_ratio"],
                                    th["penalty_factor"], th["sample_weight"], loss="logistic")
    )(th["lam"])  # fmt: skip
    assert np.all(np.asarray(jac[0])[coef == 0] == 0) and np.all(jac[0][coef != 0] != 0)
    # Above λ_max every penalized coefficient is 0.
    p = th["X"].shape[1]
    zero = np.zeros(p)
    zero[0] = 0.3  # the unpenalized feature stays free
    for loss in ("squared", "logistic", "poisson"):
        grads = implicit_grads(loss, th, jnp.asarray(zero), 0.1)
        for name, g in grads.items():
            assert np.all(np.isfinite(g)), (loss, name)


def test_dense_and_cg_agree():
    th = _theta("poisson", 0.3)
    coef, b = tight_solver("poisson")(th)
    dense = implicit_grads("poisson", th, coef, b, linear_solver="dense")
    cg = implicit_grads("poisson", th, coef, b, linear_solver="cg")
    for name in INPUTS:
        np.testing.assert_allclose(cg[name], dense[name], rtol=1e-7, atol=1e-10, err_msg=name)


# ----------------------------------------------------------------------------------------------
# Through l1jax.solve_path: grad, jvp, jacrev, vmap.


@pytest.fixture(scope="module")
def path_case():
    loss = "logistic"
    th = _theta(loss, 0.3)
    th = {k: jnp.asarray(v) for k, v in th.items()}
    f = _functional(th["X"].shape[1])

    def value(lam, th):  # (a gap of 1e-12 leaves the coefficients ~1e-6 off: too loose for
        # the comparisons at rtol 1e-6 below, which passed at 1e-12 only when FISTA happened to
        # overshoot it)
        res = l1jax.solve_path(
            th["X"], th["y"], lam[None], loss=loss, l1_ratio=th["l1_ratio"],
            penalty_factor=th["penalty_factor"], sample_weight=th["sample_weight"], tol=1e-14,
        )  # fmt: skip
        return f(res.coef[0], res.intercept[0])

    grad = jax.jit(jax.grad(value, argnums=(0, 1)))
    return loss, th, value, grad


def test_solve_path_grad_equals_implicit_grads(path_case):
    loss, th, _, grad = path_case
    g_lam, g = grad(th["lam"], th)
    coef, b = tight_solver(loss)({k: np.asarray(v) for k, v in th.items()})
    ref = implicit_grads(loss, th, coef, b)
    assert jnp.allclose(g_lam, ref["lam"], rtol=1e-6)
    for name in INPUTS[1:]:
        np.testing.assert_allclose(g[name], ref[name], rtol=1e-6, atol=1e-9, err_msg=name)


def test_vmap_of_grad_over_lambda_equals_loop(path_case):
    loss, th, _, grad = path_case
    lmax = th["lam"] / 0.3
    lams = jnp.array([1.5, 0.5, 0.3, 0.1]) * lmax  # the first: all penalized coefficients 0
    batched = jax.vmap(grad, in_axes=(0, None))(lams, th)
    looped = [grad(lam, th) for lam in lams]
    for i in range(len(lams)):
        pairs = zip(jax.tree.leaves(looped[i]), jax.tree.leaves(batched), strict=True)
        for one, many in pairs:
            np.testing.assert_allclose(many[i], one, rtol=1e-8, atol=1e-12)
    assert all(bool(jnp.all(jnp.isfinite(x))) for x in jax.tree.leaves(batched))


def test_jacrev_and_jvp_over_lambdas_of_a_path():
    """Each λ's solution depends on its own λ only (warm starts carry no derivative)."""
    loss = "squared"
    th = {k: jnp.asarray(v) for k, v in _theta(loss, 0.3).items()}
    lams = jnp.array([0.5, 0.3, 0.2]) * th["lam"] / 0.3

    def solve(lams):
        return l1jax.solve_path(th["X"], th["y"], lams, loss=loss, l1_ratio=th["l1_ratio"],
                                penalty_factor=th["penalty_factor"],
                                sample_weight=th["sample_weight"], tol=1e-12)  # fmt: skip

    def coef(lams):
        return solve(lams).coef

    jac = jax.jacrev(coef)(lams)  # (K, p, K)
    diag = jnp.stack([jac[k, :, k] for k in range(3)])
    off = jac.at[jnp.arange(3), :, jnp.arange(3)].set(0)
    assert float(jnp.max(jnp.abs(off))) == 0.0
    _, tangent = jax.jvp(coef, (lams,), (jnp.ones(3),))
    np.testing.assert_allclose(tangent, diag, rtol=1e-10, atol=1e-12)
    # and the per-λ derivative is the implicit one at that λ
    res = solve(lams)

    def own(coef, b, lam):  # the implicit derivative at one λ's solution
        return jax.jacfwd(
            lambda lam: implicit.attach(coef, b, th["X"], th["y"], lam, th["l1_ratio"],
                                        th["penalty_factor"], th["sample_weight"])[0]
        )(lam)  # fmt: skip

    expected = jax.jit(jax.vmap(own))(res.coef, res.intercept, lams)
    np.testing.assert_allclose(diag, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="LAPACK is a CPU's (GPUs: cuSOLVER)")
def test_dense_solver_lapack_calls_take_one_matrix():
    """vmap over λs of the dense solver's gradient: every LAPACK call takes one matrix, never a
    batch (jaxlib 0.10's batched CPU kernels can deadlock programs run from as many threads as
    cores: l1jax.solvers._one_matrix_per_call), and the gradients equal the loop's."""
    th = jax.tree.map(jnp.asarray, _theta("logistic", 0.3))
    coef, b = tight_solver("logistic")(th)
    grad = _grad_fn("logistic", True, False, "dense", len(coef))
    lams = th["lam"] * jnp.array([1.0, 0.9, 0.8])
    batched = jax.jit(jax.vmap(lambda lam: grad({**th, "lam": lam}, coef, b)))
    text = batched.lower(lams).as_text()
    calls = re.findall(r"custom_call @(lapack_\w+)\(.*?: \(([^)]*)\)", text)
    assert any("potrf" in name for name, _ in calls), calls
    for name, operands in calls:
        for dims in re.findall(r"tensor<((?:\d+x)*)f64>", operands):
            assert dims.count("x") <= 2, (name, operands)  # (m, m) or less: no batch axis
    out = batched(lams)
    for i, lam in enumerate(lams):
        one = grad({**th, "lam": lam}, coef, b)
        for name in one:
            np.testing.assert_allclose(out[name][i], one[name], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("lam", [-0.1, float("nan"), np.float64(-1e-3)])
def test_solve_one_refuses_a_negative_or_nan_lam(lam):
    # a negative λ was solved and reported CONVERGED with a negative duality gap
    X = jnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = jnp.array([2.0, 0.1, 2.1])
    with pytest.raises(ValueError, match="solve_one: lam must be >= 0"):
        implicit.solve_one(X, y, lam)
    with pytest.raises(ValueError, match="solve_one: lam must be >= 0"):
        implicit.solve_one(X, y, lam=lam)


def _bad_one_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 6))
    return X, X[:, 0] - X[:, 1] + 0.5 * rng.standard_normal(30)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda X, y: implicit.solve_one(X, y, 0.05, penalty_factor=-np.ones(6)), ValueError,
         "penalty_factor must be non-negative"),
        (lambda X, y: implicit.solve_one(X, y, 0.1, sample_weight=np.zeros(30)), ValueError,
         "sample_weight is all zero"),
        (lambda X, y: implicit.solve_one(X, y, 0.1, tol=np.nan), ValueError, "tol"),
        (lambda X, y: implicit.solve_one(X, y, 0.05, loss="poisson"), ValueError,
         "y must be non-negative"),
        (lambda X, y: implicit.solve_one(X, y, 0.05, loss="logistic"), ValueError,
         "y must be 0 or 1"),
        (lambda X, y: implicit.solve_one(X, y, 0.1, l1_ratio=2.0), ValueError, "l1_ratio"),
        (lambda X, y: implicit.solve_one(X, y, 0.1, max_iter=0), ValueError, "max_iter"),
        (lambda X, y: implicit.solve_one(X, y, 0.1, fit_intercept="yes"), TypeError,
         "fit_intercept"),
        (lambda X, y: implicit.solve_one(X[:0], y[:0], 0.1), ValueError, "at least one sample"),
        (lambda X, y: implicit.solve_one(X, y[:20], 0.1), ValueError, r"one entry per row"),
        (lambda X, y: implicit.solve_one(X, y, np.array([0.1, 0.2])), ValueError,
         "lam must be a scalar"),
        (lambda X, y: implicit.solve_one(X.astype(int), y, 0.1), TypeError, "floating-point"),
        (lambda X, y: implicit.solve_one(X, y, 0.1, beta_warm=np.zeros(3)), ValueError,
         r"beta_warm must have shape \(6,\)"),
        (lambda X, y: implicit.solve_one(X, y, 0.1, linear_solver="lu"), ValueError,
         "linear_solver"),
        (lambda X, y: implicit.attach(np.zeros(3), 0.0, X, y, 0.1), ValueError,
         r"coef must have shape \(6,\)"),
        (lambda X, y: implicit.attach(np.zeros(6), 0.0, X, y, -0.1), ValueError,
         "attach: lam must be >= 0"),
        # (a schedule passed JAX's "not a valid JAX type" error through)
        (lambda X, y: implicit.solve_one(X, y, lambda t: 0.1), TypeError,
         "solve_one: lam must be a number .*not a callable"),
        (lambda X, y: implicit.attach(np.zeros(6), 0.0, X, y, "0.1"), TypeError,
         r"attach: lam must be a real number \(a scalar array too\), got str"),
    ],
)  # fmt: skip
def test_solve_one_and_attach_refuse_bad_input_by_name(call, error, words):
    """solve_one and attach check their arguments as solve_path does (they were solved: a
    negative penalty factor reported CONVERGED with a negative gap, a y of counts that are not
    counts ran to max_iter, shapes failed inside JAX)."""
    with pytest.raises(error, match=words):
        call(*_bad_one_data())


def test_solve_one_still_takes_lists_and_traced_values():
    X, y = _bad_one_data()
    ref = implicit.solve_one(X, y, 0.1, tol=1e-10)
    lists = implicit.solve_one(X.tolist(), y.tolist(), 0.1, tol=1e-10)
    np.testing.assert_allclose(lists.coef, ref.coef, rtol=0, atol=1e-12)
    default = implicit.solve_one(X.tolist(), y.tolist(), 0.1)  # (tol's default read X.dtype)
    assert int(default.status) == solvers.Status.CONVERGED
    jitted = jax.jit(lambda X, lam: implicit.solve_one(X, y, lam, tol=1e-10).coef)(X, 0.1)
    np.testing.assert_allclose(jitted, ref.coef, rtol=0, atol=1e-12)
    many = jax.vmap(lambda lam: implicit.solve_one(X, y, lam, tol=1e-10).coef)(jnp.array([0.1]))
    np.testing.assert_allclose(many[0], ref.coef, rtol=0, atol=1e-12)


def test_solve_one_default_tol_follows_the_dtype():
    """float32: 1e-5, as path (1e-7 is below what float32 can certify: MAX_ITER)."""
    X, y = _bad_one_data()
    with jax.enable_x64(False):
        X32, y32 = X.astype(np.float32), y.astype(np.float32)
        default, explicit = (implicit.solve_one(X32, y32, 0.01, **kw) for kw in ({}, {"tol": 1e-5}))
        assert int(default.n_iter) == int(explicit.n_iter)
        np.testing.assert_array_equal(default.coef, explicit.coef)
    default, explicit = (implicit.solve_one(X, y, 0.01, **kw) for kw in ({}, {"tol": 1e-7}))
    assert int(default.n_iter) == int(explicit.n_iter) and default.coef.dtype == np.float64


def _validation_loss(solve):
    rng = np.random.default_rng(0)
    X = jnp.asarray(rng.standard_normal((30, 6)))
    y = X @ jnp.array([2.0, -1, 1, 0, 0, 0]) + jnp.asarray(rng.standard_normal(30))
    Xv = jnp.asarray(rng.standard_normal((20, 6)))
    yv = Xv @ jnp.ones(6)
    return lambda lam: jnp.sum((Xv @ solve(X, y, lam) - yv) ** 2)


@pytest.mark.parametrize("route", ["solve_one", "solve_path"])
def test_second_derivatives_in_lambda(route):
    """d²V/dλ² of a validation loss through the solution, every order of modes, against central
    differences of dV/dλ: they came out 0 (attach's rule linearized at the solver's constant
    output; inside solve_path's scan, reverse over reverse lost it again)."""
    solve = {
        "solve_one": lambda X, y, lam: implicit.solve_one(X, y, lam, tol=1e-14).coef,
        "solve_path": lambda X, y, lam: solvers.solve_path(X, y, lam[None], tol=1e-14).coef[0],
    }[route]
    V = _validation_loss(solve)
    lam, h = 0.1, 1e-6
    grad = jax.grad(V)
    expected = (float(grad(lam + h)) - float(grad(lam - h))) / (2 * h)
    assert abs(expected) > 100  # (the support is the same at λ ± h: V is quadratic in λ there)
    for outer, inner in ((jax.jacfwd, jax.grad), (jax.grad, jax.grad), (jax.jacfwd, jax.jacfwd),
                         (jax.grad, jax.jacfwd)):  # fmt: skip
        np.testing.assert_allclose(float(outer(inner(V))(lam)), expected, rtol=1e-7)


def test_solve_one_under_jit_reports_an_invalid_problem_nonfinite():
    """A traced negative λ or penalty factor (no convex problem, unchecked on the host) came
    back CONVERGED with a negative gap; as solve_path, it is NONFINITE."""
    rng = np.random.default_rng(1)
    X = jnp.asarray(rng.standard_normal((20, 5)))
    y = jnp.asarray(rng.standard_normal(20))
    solve = jax.jit(lambda lam, v: implicit.solve_one(X, y, lam, penalty_factor=v))
    assert int(solve(0.1, jnp.ones(5)).status) == solvers.Status.CONVERGED
    assert int(solve(-0.1, jnp.ones(5)).status) == solvers.Status.NONFINITE
    assert int(solve(0.1, jnp.array([1.0, -1, 1, 1, 1])).status) == solvers.Status.NONFINITE

"""float32 paths converge at the default tolerance on every loss (issue 13: on a GPU, DEFAULT
precision products stalled float32 gaps near 1e-3; tests/test_precision.py checks that every
product is HIGHEST, this checks on the CPU that float32 itself certifies the default tolerance).

The shape is tests/test_path.py's "tall" one, so the compiled programs are shared with its float32
tests (a "wide" 40 × 100 case converged too, but compiles programs of its own: 7-9 s each)."""

import warnings

import jax
import jax.numpy as jnp
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


@pytest.mark.parametrize("unit", [1e-4, 1e4])
@pytest.mark.parametrize("loss", ["logistic", "poisson"])
def test_float32_raw_columns_in_a_unit_far_from_one_converge(loss, unit):
    """standardize=False, every column in units of 1e-4 (or 1e4): the path is solved in that
    unit (_inputs.common_unit; an exact change of variables), and converges as on columns of
    unit scale, to the float64 path's objective. (It left up to 73 of 74 λs unconverged at
    gaps of 0.33, coefficients 1e4 times the intercept's size.)"""
    X, y = _data(loss, 120, 15, seed=3)
    X = X * np.float32(unit)
    with jax.enable_x64(False), warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        res = l1jax.path(X, y, loss=loss, lambdas=16, standardize=False)
    assert bool(np.all(res.converged)) and res.coef.dtype == np.float32
    X64, y64 = X.astype(np.float64), y.astype(np.float64)
    ref = l1jax.path(X64, y64, loss=loss, lambdas=res.lambdas.astype(np.float64),
                     standardize=False, tol=1e-12)  # fmt: skip

    def objective(r, k):
        beta = np.asarray(r.coef[k], np.float64)
        eta = float(r.intercept[k]) + X64 @ beta
        smooth = np.logaddexp(0, eta) if loss == "logistic" else np.exp(eta)
        return np.mean(smooth - y64 * eta) + float(ref.lambdas[k]) * np.abs(beta).sum()

    p_null = objective(ref, 0)  # (at λ_max: the intercept-only fit)
    for k in range(ref.lambdas.size):
        assert objective(res, k) - objective(ref, k) <= 2e-5 * abs(p_null), k


def test_float32_newton_stops_when_its_gap_stalls():
    """Logistic, 500 × 200, nearly separated at the small λs of a default grid (|Xβ| up to 500,
    ‖β‖₁ up to 1,700): float32's rounding of Xβ and of the gradient (ε |X| |β| ≈ 1e-4) leaves
    gaps of 1e-4 that no step can lower, and Newton spent 200-400 steps per λ there (the old
    code on this path: 210-400 at 7 λs; 9,303 steps and 14-16 s for 100 λs, against float64's
    330 steps and 0.8 s). It now stops after 10 steps that do not halve the gap. Those fits are
    as good as before: their objective, in float64, is within their own gap (the certificate
    holds) and within 1e-8 of float64's optimum; and the warning says where the gap comes from."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((500, 200))
    X[:, 1] = X[:, 0] + 0.05 * rng.standard_normal(500)
    eta = 0.2 * X[:, :3].sum(1) + 0.3 * X[:, 10:20].sum(1)
    y = (rng.random(500) < 1 / (1 + np.exp(-2 * eta / eta.std()))).astype(float)
    with jax.enable_x64(False), pytest.warns(ConvergenceWarning, match="float64 NumPy data"):
        res = l1jax.path(X.astype(np.float32), y.astype(np.float32), loss="logistic",
                         lambdas=20, standardize=False)  # fmt: skip
    assert res.coef.dtype == np.float32
    assert np.asarray(res.n_iter).max() <= 60, res.n_iter
    assert np.all(np.asarray(res.gap) <= 1e-3), res.gap
    lambdas = np.asarray(res.lambdas, np.float64)
    ref = l1jax.path(X, y, loss="logistic", lambdas=lambdas, standardize=False, tol=1e-12)
    assert bool(np.all(ref.converged))

    def objective(beta, b, lam):
        beta = np.asarray(beta, np.float64)
        z = X @ beta + float(b)
        return np.mean(np.logaddexp(0, z) - y * z) + lam * np.abs(beta).sum()

    b_null = np.log(y.mean() / (1 - y.mean()))
    p_null = objective(np.zeros(200), b_null, 0.0)
    for k, lam in enumerate(lambdas):
        excess = (objective(res.coef[k], res.intercept[k], lam)
                  - objective(ref.coef[k], ref.intercept[k], lam)) / p_null  # fmt: skip
        assert excess <= float(res.gap[k]) + 1e-12, (k, excess, res.gap[k])
        assert excess <= 1e-8, (k, excess)


def test_float32_fista_stops_at_a_fixed_point():
    """Squared loss, 300 × 400 binary features, a weak signal, float32, 20 λs: FISTA reaches
    float32's fixed point (the iterate, so the gap, the same to the last bit from one
    certificate to the next) with gaps of 5e-6 to 1e-5, above the inner solves' tighter
    tolerance, and spent 20,000-40,000 iterations per λ there (the old code: 20,253-20,615 at
    the last 6 λs, 126,000 in all). It now stops at a fixed point, and its gaps still bound the
    error (checked in float64 against float64's optimum)."""
    rng = np.random.default_rng(2)
    X = (rng.random((300, 400)) < 0.2).astype(float)
    beta = np.zeros(400)
    beta[rng.choice(400, 10, replace=False)] = rng.choice([-1, 1], 10) * rng.uniform(0.5, 2, 10)
    eta = ((X - X.mean(0)) / X.std(0)) @ beta
    y = 0.3 * eta / eta.std() + rng.standard_normal(300) + 3
    with jax.enable_x64(False), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # (a gap of 1.04e-5 at one λ)
        res = l1jax.path(X.astype(np.float32), y.astype(np.float32), lambdas=20)
    assert res.coef.dtype == np.float32
    assert np.asarray(res.n_iter).max() <= 5_000, res.n_iter
    assert np.all(np.asarray(res.gap) <= 2e-5), res.gap
    lambdas = np.asarray(res.lambdas, np.float64)
    ref = l1jax.path(X, y, lambdas=lambdas, tol=1e-9)  # (the check allows 1e-6)

    def objective(coef, b, lam):
        coef = np.asarray(coef, np.float64)
        return 0.5 * np.mean((y - X @ coef - float(b)) ** 2) + lam * np.abs(coef).sum()

    p_null = objective(np.zeros(400), y.mean(), 0.0)
    for k, lam in enumerate(lambdas):
        excess = (objective(res.coef[k], res.intercept[k], lam)
                  - objective(ref.coef[k], ref.intercept[k], lam)) / p_null  # fmt: skip
        # (float32's rounding of P − D: a gap of −9e-8 at λ_max, where the excess is 4e-16)
        assert excess <= float(res.gap[k]) + 1e-6, (k, excess, res.gap[k])


def test_float32_fista_stops_when_it_stalls():
    """Poisson, 300 × 250, float32, down to 1e-3 λ_max (|η| up to 7-9, means in the
    thousands): the KKT violation that float32's rounding of β leaves (on this data's default
    path: |X̃ᵀ(y − μ)| above λ by 1e-4 to 2e-2 of λ, and the same gap when it is computed in
    float64 at the float32 point) keeps
    the gaps of the last λs at 1e-5 to 9e-5 (fluctuating by ±30% from one certificate to the
    next) while their objectives, in float64, are within 2e-9 of float64's optimum. FISTA
    (``solve_path``; every loss on working sets past Newton's) ran each of them to ``max_iter``
    (the old code: 20,001 iterations at each of the last 5; the default path of the 300 × 250
    data with FISTA only: 24 s). It now stops after ``FISTA_STALL`` certificates that neither
    set a new lowest gap nor lower the objective by more than ε |P|: 1,151-2,551 iterations."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 250))
    eta = X[:, :3] @ rng.standard_normal(3)
    y = rng.poisson(np.exp(0.5 * eta / eta.std())).astype(float)
    lambdas = np.abs(X.T @ (y - y.mean())).max() / 300 * np.geomspace(1, 1e-3, 20)
    with jax.enable_x64(False):
        res = l1jax.solve_path(jnp.asarray(X, jnp.float32), jnp.asarray(y, jnp.float32),
                               jnp.asarray(lambdas, jnp.float32), loss="poisson", tol=1e-5,
                               max_iter=20_000)  # fmt: skip
    n_iter, gap = np.asarray(res.n_iter), np.asarray(res.gap)
    assert np.any(np.asarray(res.status) == l1jax.Status.MAX_ITER), gap  # (it does stall)
    assert n_iter.max() <= 5_000, n_iter
    ref = l1jax.solve_path(jnp.asarray(X), jnp.asarray(y), jnp.asarray(lambdas), loss="poisson",
                           tol=1e-10, max_iter=50_000)  # fmt: skip
    assert np.all(np.asarray(ref.status) == l1jax.Status.CONVERGED)

    def objective(beta, b, lam):
        beta = np.asarray(beta, np.float64)
        z = X @ beta + float(b)
        return np.mean(np.exp(z) - y * z) + lam * np.abs(beta).sum()

    saturated = np.mean(y - y * np.log(np.where(y > 0, y, 1)))  # (0 log 0 = 0)
    p_null = objective(np.zeros(250), np.log(y.mean()), 0.0) - saturated
    for k, lam in enumerate(lambdas):
        excess = (objective(res.coef[k], res.intercept[k], lam)
                  - objective(ref.coef[k], ref.intercept[k], lam)) / p_null  # fmt: skip
        assert excess <= gap[k] + 1e-12, (k, excess, gap[k])
        assert excess <= 1e-8, (k, excess)


def test_float32_newton_slow_progress_is_not_a_stall():
    """float32 elastic net (logistic) on unstandardized columns scaled from 0.01 to 100: Newton
    lowers the gap slowly, for 100s of steps per λ at the end of the path. A stall rule on the
    gap alone (10 steps without halving it) stopped those solves early (100 features, 100 λs:
    32 unconverged, gaps up to 5.9e-3; this test's 60 features and 40 λs: gaps up to 1.0e-2).
    Steps that lower the objective count as progress: gaps up to 8.7e-5 and 2.2e-4, as
    without any stall rule."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 60))
    beta = np.zeros(60)
    beta[:10] = rng.choice([-1, 1], 10)
    eta = X @ beta
    eta = 0.3 * eta / eta.std()
    X = X * 10 ** rng.uniform(-2, 2, 60)
    y = (rng.random(1000) < 1 / (1 + np.exp(-eta))).astype(float)
    with jax.enable_x64(False), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = l1jax.path(X.astype(np.float32), y.astype(np.float32), loss="logistic",
                         standardize=False, l1_ratio=0.5, lambdas=40)  # fmt: skip
    assert np.asarray(res.gap).max() <= 1e-3, res.gap


@pytest.mark.parametrize("loss", LOSSES)
def test_solve_path_default_tol_follows_the_dtype(loss):
    """solve_path's tol=None is 1e-5 in float32 (as path's and solve_one's): 1e-7, which
    float32 cannot certify, returned MAX_ITER at λs whose objectives were exact to 1e-13."""
    X, y = _data(loss, 120, 15, seed=3)
    lams = np.geomspace(0.5, 5e-3, 8).astype(np.float32)
    with jax.enable_x64(False):
        res = l1jax.solve_path(jnp.asarray(X), jnp.asarray(y), jnp.asarray(lams), loss=loss)
    assert bool(np.all(res.status == l1jax.Status.CONVERGED)), res.status
    assert np.all(np.asarray(res.gap) <= 1e-5) and res.coef.dtype == jnp.float32


@pytest.mark.parametrize("solver", ["solve_path", "solve_one"])
def test_float32_solvers_certify_a_y_far_from_zero(solver):
    """A y of mean 1e6 (unit spread) in float32: solve_path's gap terms cancelled to 0 and a
    λ whose objective was 3e-4 (relative) from its optimum came back CONVERGED with gap 0, the
    coefficients 1e-2 off. Now y is solved centred: every λ's gap bounds its suboptimality
    (against scikit-learn in float64), including what storing an intercept of 1e6 in float32
    costs, and a y of mean 1e3 converges at every λ as the centred one does."""
    from sklearn.linear_model import Lasso

    rng = np.random.default_rng(4)
    n, p = 100, 12
    X = rng.standard_normal((n, p)).astype(np.float32)
    noise = X[:, :3] @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.standard_normal(n)
    X64 = X.astype(np.float64)
    lams = np.geomspace(2.3, 2.3e-3, 6).astype(np.float32)
    for mean in (1e6, 1e3):
        y = (noise + mean).astype(np.float32)
        y64 = y.astype(np.float64)
        p_null = 0.5 * np.var(y64)
        with jax.enable_x64(False):
            if solver == "solve_path":
                res = l1jax.solve_path(X, y, lams)
            else:
                one = [l1jax.implicit.solve_one(X, y, lam) for lam in lams]
                res = jax.tree.map(lambda *a: np.stack(a), *one)
        for k, lam in enumerate(lams.astype(np.float64)):
            ref = Lasso(alpha=lam, tol=1e-14, max_iter=100_000).fit(X64, y64)

            def objective(coef, b, y64=y64, lam=lam):
                return 0.5 * np.mean((y64 - b - X64 @ coef) ** 2) + lam * np.abs(coef).sum()

            excess = objective(np.asarray(res.coef[k], np.float64), float(res.intercept[k]))
            excess = (excess - objective(ref.coef_, ref.intercept_)) / p_null
            assert excess <= float(res.gap[k]) + 1e-7, (mean, k, excess, res.gap[k])
            if res.status[k] == l1jax.Status.CONVERGED:
                assert excess <= 1e-5 + 1e-7, (mean, k, excess)
        if mean == 1e3:
            assert np.all(np.asarray(res.status) == l1jax.Status.CONVERGED), res.status

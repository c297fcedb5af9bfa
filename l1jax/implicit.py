"""Gradients of penalized GLM solutions by implicit differentiation (Bertrand et al. 2020).

For the objective of ../DESIGN ("The objective"), with normalized weights ``s̃ = s / Σs``,

    P(β, b; θ) = Σ_i s̃_i ℓ(y_i, b + x_iᵀβ) + λ Σ_j v_j (ρ |β_j| + (1 − ρ)/2 β_j²),
    θ = (λ, ρ, v, s, X, y),

the solution ``(β̂(θ), b̂(θ))`` is characterized on its support ``S`` (``β̂_j ≠ 0``, plus every
feature whose L1 weight ``λρv_j`` is 0 and the intercept) by the smooth equations

    F_S = ∇_S L(β, b) + λ v_S (ρ sign(β_S) + (1 − ρ) β_S) = 0,    F_b = ∂_b L(β, b) = 0,

while off the support ``β̂_j = 0`` on a whole neighbourhood of θ (strict complementarity). The
implicit function theorem then gives the derivative of the solution map without unrolling any
solver iteration:

    A (dβ, db) = −M ∂_θF · dθ,    A = M (H + diag(λ(1 − ρ)v, 0)) M + (I − M),

with ``H`` the Hessian of the smooth part in ``(β, b)`` and ``M`` the 0/1 mask of ``S ∪ {b}``.
``M`` keeps every shape static (``jit``, ``vmap``), and the ``(I − M)`` block gives the
coordinates off the support a derivative of exactly 0. The sign vector enters only as a
constant, so nothing is NaN at zero coefficients.

Two entry points:

- :func:`attach` returns a solution computed by any solver unchanged, with these derivatives
  attached (a ``jax.custom_jvp``: ``jax.jvp``, ``jax.jacfwd``, ``jax.grad``, ``jax.jacrev``
  and ``jax.vmap`` all work). :func:`l1jax.solve_path` routes every λ through it.
- :func:`solve_one` solves one λ (FISTA, as :func:`l1jax.solve_path` does) and attaches them.

Where the support changes (a kink of the path), the solution map is not differentiable; the
derivative returned is the one of the smooth piece on the current support, i.e. a one-sided
derivative (see docs/differentiation.md).

Reference: Q. Bertrand, Q. Klopfenstein, M. Blondel, S. Vaiter, A. Gramfort, J. Salmon (2020).
Implicit differentiation of Lasso-type models for hyperparameter optimization. ICML.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from l1jax import solvers
from l1jax._programs import highest, jit
from l1jax.losses import LOSSES, mean_function
from l1jax.prox import _check_hyperparam

__all__ = ["LINEAR_SOLVERS", "attach", "solve_one"]

LINEAR_SOLVERS = ("cg", "dense")


class _Config(NamedTuple):
    loss: str
    fit_intercept: bool
    positive: bool
    linear_solver: str  # "dense" or "cg"


def _stationarity(loss, sign, beta, b, X, y, lam, rho, v, s):
    """``F`` in β and in b: the gradient of the smooth part plus the penalty's gradient with the
    signs held fixed (the optimality conditions on the support)."""
    sn = s / jnp.sum(s)
    r = sn * (mean_function(loss, X @ beta + b) - y)
    return r @ X + lam * v * (rho * sign + (1 - rho) * beta), jnp.sum(r)


def _curvature(loss, eta, sn):
    """``s̃_i μ'(η_i)``: the weights of the Hessian ``Zᵀ diag(h) Z`` of the smooth part."""
    if loss == "squared":
        return sn
    mu = mean_function(loss, eta)
    return sn * (mu * (1 - mu) if loss == "logistic" else mu)


def _tangent(cfg: _Config, beta, b, theta, dtheta):
    """Solve ``A (dβ, db) = −M ∂_θF · dθ`` at the solution ``(β, b)``."""
    X, y, lam, rho, v, s = theta
    sign = jnp.sign(beta)
    l1 = lam * rho * v
    on = (beta != 0) | ((l1 == 0) & (not cfg.positive))
    m = on.astype(beta.dtype)
    mb = jnp.asarray(1.0 if cfg.fit_intercept else 0.0, beta.dtype)

    fn = functools.partial(_stationarity, cfg.loss, sign, beta, b)
    _, (rb, r0) = jax.jvp(fn, tuple(theta), tuple(dtheta))
    rb, r0 = -m * rb, -mb * r0

    h = _curvature(cfg.loss, X @ beta + b, s / jnp.sum(s))
    d = lam * (1 - rho) * v  # the ridge part of the penalty's curvature
    diag_b = m * d + (1 - m)  # identity off the support
    if cfg.linear_solver == "dense":
        # The Hessian in (β, b) of Z = [X 1], then masked: for the squared loss h does not
        # depend on the solution, so along a path XLA computes ZᵀhZ once, outside the loop.
        Z = jnp.concatenate([X, jnp.ones_like(h)[:, None]], axis=1)
        mm = jnp.concatenate([m, mb[None]])
        ridge = jnp.concatenate([diag_b, (1 - mb)[None]])
        A = (Z.T @ (h[:, None] * Z)) * (mm[:, None] * mm[None, :]) + jnp.diag(ridge)
        # One matrix per LAPACK call (solvers._one_matrix_per_call: jaxlib 0.10's batched CPU
        # kernels can deadlock programs run from as many threads as cores), transposed and
        # differentiated as the linear solve it is (A is symmetric).
        sol = jax.lax.custom_linear_solve(
            lambda u: A @ u, jnp.concatenate([rb, r0[None]]),
            lambda _, rhs: _cholesky_solve(A, rhs), symmetric=True,
        )  # fmt: skip
        return sol[:-1], sol[-1]

    # Matrix-free on u = (u_β, u_b), flattened: ``A u`` costs two passes over X.
    p = beta.shape[0]
    ones = jnp.ones_like(h)

    def matvec(u):
        ub, u0 = u[:p], u[p]
        z = h * (X @ (m * ub) + mb * u0)
        return jnp.concatenate([m * (z @ X) + diag_b * ub, (mb * jnp.sum(z) + (1 - mb) * u0)[None]])

    diag = jnp.concatenate([m * (h @ jnp.square(X)) + diag_b, (mb * (h @ ones) + (1 - mb))[None]])
    tol = float(jnp.finfo(beta.dtype).eps) ** 0.75
    solve = functools.partial(_pcg, precond=1 / diag, tol=tol, maxiter=10 * (p + 1))
    u = jax.lax.custom_linear_solve(matvec, jnp.concatenate([rb, r0[None]]), solve, symmetric=True)
    return u[:p], u[p]


_cholesky_solve = solvers._one_matrix_per_call(
    functools.partial(jax.scipy.linalg.solve, assume_a="pos"), 2, 1
)


def _pcg(matvec, rhs, *, precond, tol, maxiter):
    """Conjugate gradients with a diagonal preconditioner, to ``‖r‖ ≤ tol ‖rhs‖``. (jax.scipy's
    ``cg`` cannot be transposed inside a custom_jvp rule: its initial guess becomes linear.)"""

    def cond(c):
        _, r, _, _, k = c
        return (r @ r > tol**2 * (rhs @ rhs)) & (k < maxiter)

    def body(c):
        x, r, d, rz, k = c
        Ad = matvec(d)
        alpha = rz / (d @ Ad)
        x, r = x + alpha * d, r - alpha * Ad
        z = precond * r
        rz_new = r @ z
        return x, r, z + (rz_new / rz) * d, rz_new, k + 1

    z = precond * rhs
    x, *_ = jax.lax.while_loop(cond, body, (jnp.zeros_like(rhs), rhs, z, rhs @ z, 0))
    return x


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _attach(cfg, coef, intercept, X, y, lam, rho, v, s):
    del cfg, X, y, lam, rho, v, s
    return coef, intercept


@_attach.defjvp
@highest  # traced when differentiated, outside the solver's own program
def _attach_jvp(cfg, primals, tangents):
    coef, intercept, *theta = primals
    _, _, *dtheta = tangents  # the solver's own derivatives are replaced, never used
    # The solution attached again, inside the rule: under a second derivative its primal and
    # the β, b of the tangent carry their own derivatives (the solver's output is constant;
    # second derivatives came out 0, e.g. d²V/dλ² 0 for 246)
    coef, intercept = _attach(cfg, coef, intercept, *theta)
    dcoef, dintercept = _tangent(cfg, coef, intercept, theta, dtheta)
    return (coef, intercept), (dcoef, dintercept)


def _defaults(X, lam, l1_ratio, penalty_factor, sample_weight):
    n, p = X.shape
    dtype = X.dtype
    v = jnp.ones(p, dtype) if penalty_factor is None else jnp.asarray(penalty_factor, dtype)
    s = jnp.ones(n, dtype) if sample_weight is None else jnp.asarray(sample_weight, dtype)
    return jnp.asarray(lam, dtype), jnp.asarray(l1_ratio, dtype), v, solvers.normalized_weights(s)


def _config(loss, fit_intercept, positive, linear_solver) -> _Config:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if linear_solver not in LINEAR_SOLVERS:
        raise ValueError(f"linear_solver must be one of {LINEAR_SOLVERS}, got {linear_solver!r}")
    return _Config(loss, fit_intercept, positive, linear_solver)


def attach(
    coef: jax.Array,
    intercept: jax.Array,
    X: jax.Array,
    y: jax.Array,
    lam,
    l1_ratio=1.0,
    penalty_factor: jax.Array | None = None,
    sample_weight: jax.Array | None = None,
    *,
    loss: str = "squared",
    fit_intercept: bool = True,
    positive: bool = False,
    linear_solver: str = "cg",
) -> tuple[jax.Array, jax.Array]:
    """Return a solution ``(coef, intercept)`` unchanged, with implicit derivatives attached.

    ``(coef, intercept)`` must solve, for the given data and hyperparameters::

        min_{β, b}  (1/Σs) Σ_i s_i ℓ(y_i, b + x_iᵀβ) + λ Σ_j v_j (ρ |β_j| + (1 − ρ)/2 β_j²)

    (computed by any solver, e.g. :func:`l1jax.solve_path`; its own derivatives are ignored, so
    pass it through ``jax.lax.stop_gradient`` to keep autodiff out of its loops). The outputs
    equal the inputs; their derivatives with respect to ``X``, ``y``, ``lam``, ``l1_ratio``,
    ``penalty_factor`` and ``sample_weight`` are those of the solution map on the current
    support, by the implicit function theorem (module docstring). Coefficients that are exactly
    0 (and penalized) have derivative 0.

    Args:
      coef: ``(p,)`` coefficients of the solution.
      intercept: scalar intercept (0 when ``fit_intercept=False``).
      X: ``(n, p)`` design matrix.
      y: ``(n,)`` targets.
      lam: scalar λ.
      l1_ratio: ρ in [0, 1].
      penalty_factor: ``(p,)`` non-negative ``v`` (ones by default).
      sample_weight: ``(n,)`` non-negative ``s`` (ones by default; normalized inside).
      loss: ``"squared"``, ``"logistic"`` or ``"poisson"`` (static).
      fit_intercept: whether ``intercept`` was fitted (static).
      positive: whether ``coef ≥ 0`` was imposed (static).
      linear_solver: ``"cg"`` (default: conjugate gradients with a diagonal preconditioner,
        matrix-free, pure XLA) or ``"dense"`` (Cholesky of the ``(p + 1)²`` Hessian: exact
        also for ill-conditioned supports in float64, but a LAPACK call per λ, which multi-threaded
        OpenBLAS makes very slow on a busy CPU; ``OPENBLAS_NUM_THREADS=1`` avoids that).

    Returns:
      ``(coef, intercept)``, the same values, differentiable.

    Example:
      >>> import jax, jax.numpy as jnp
      >>> from l1jax import implicit
      >>> X = jnp.array([[-1.0], [0.0], [1.0]]); y = jnp.array([-1.0, 0.0, 1.0])
      >>> # the lasso solution there is β(λ) = 1 − 1.5 λ for λ < 2/3
      >>> def coef(lam):
      ...     known = jnp.ones(1) - 1.5 * jax.lax.stop_gradient(lam)  # from any solver
      ...     return implicit.attach(known, 0.0, X, y, lam)[0][0]
      >>> round(float(jax.grad(coef)(0.1)), 4)
      -1.5
    """
    _check("attach", X, y, lam, l1_ratio, penalty_factor, sample_weight, loss=loss,
           fit_intercept=fit_intercept, positive=positive, linear_solver=linear_solver,
           start=(("coef", coef), ("intercept", intercept)))  # fmt: skip
    X = jnp.asarray(X)
    coef = jnp.asarray(coef, X.dtype)
    cfg = _config(loss, fit_intercept, positive, linear_solver)
    lam, rho, v, s = _defaults(X, lam, l1_ratio, penalty_factor, sample_weight)
    intercept = jnp.asarray(intercept, X.dtype)
    y = jnp.asarray(y, X.dtype)
    return _attach(cfg, coef, intercept, X, y, lam, rho, v, s)


def _check(fn_name, X, y, lam, l1_ratio, penalty_factor, sample_weight, *, loss, fit_intercept,
           positive, linear_solver, tol=0.0, max_iter=1, start=(("coef", None),
           ("intercept", None))) -> None:  # fmt: skip
    """The host checks of :func:`solve_one` and :func:`attach`: :func:`l1jax.solvers.check_glm`'s
    and :func:`_config`'s, then a λ that is a scalar and, when concrete, finite and >= 0 (a
    negative one would be solved and reported converged with a negative gap), and the shapes of
    ``start``, the ``(name, value)`` of the solution (or the warm start) and its intercept.
    Arrays may come as lists, as ``jnp.asarray`` takes them."""
    as_array = lambda a: a if a is None or hasattr(a, "shape") else np.asarray(a)  # noqa: E731
    X, y, penalty_factor, sample_weight = map(as_array, (X, y, penalty_factor, sample_weight))
    solvers.check_glm(X, y, loss=loss, l1_ratio=l1_ratio, penalty_factor=penalty_factor,
                      sample_weight=sample_weight, fit_intercept=fit_intercept,
                      positive=positive, tol=tol, max_iter=max_iter)  # fmt: skip
    _config(loss, fit_intercept, positive, linear_solver)
    if np.ndim(lam) != 0:
        raise ValueError(f"{fn_name}: lam must be a scalar (one λ), got shape {np.shape(lam)}; "
                         "jax.vmap over λs (or l1jax.solve_path) solves several")  # fmt: skip
    _check_hyperparam(fn_name, "lam", lam, schedule=False)
    for (name, value), shape in zip(start, ((X.shape[1],), ()), strict=True):
        if value is not None and np.shape(value) != shape:
            raise ValueError(f"{name} must have shape {shape}, got {np.shape(value)}")


def _check_solve_one(X, y, lam, l1_ratio, penalty_factor, sample_weight, beta_warm, b_warm,
                     *, tol, **options) -> None:  # fmt: skip
    _check("solve_one", X, y, lam, l1_ratio, penalty_factor, sample_weight,
           start=(("beta_warm", beta_warm), ("b_warm", b_warm)),
           tol=0.0 if tol is None else tol, **options)  # fmt: skip


@functools.partial(
    jit,
    static_argnames=("loss", "fit_intercept", "positive", "max_iter", "linear_solver"),
)
@highest
def _solve_one(
    X: jax.Array,
    y: jax.Array,
    lam,
    l1_ratio=1.0,
    penalty_factor: jax.Array | None = None,
    sample_weight: jax.Array | None = None,
    beta_warm: jax.Array | None = None,
    b_warm: jax.Array | None = None,
    *,
    loss: str = "squared",
    fit_intercept: bool = True,
    positive: bool = False,
    tol=None,
    max_iter: int = 10_000,
    linear_solver: str = "cg",
) -> solvers.SolverResult:
    """Solve the penalized GLM at one λ, differentiably.

    Minimizes, as :func:`l1jax.solve_path` does for each of its λs::

        (1/Σs) Σ_i s_i ℓ(y_i, b + x_iᵀβ) + λ Σ_j v_j (ρ |β_j| + (1 − ρ)/2 β_j²)

    by FISTA with restart until the relative duality gap is at most ``tol``, and returns the
    solution with implicit derivatives (:func:`attach`) in ``X``, ``y``, ``lam``, ``l1_ratio``,
    ``penalty_factor`` and ``sample_weight``. The warm start carries no derivative.

    Args:
      X, y, lam, l1_ratio, penalty_factor, sample_weight: as in :func:`attach`; a concrete
        ``lam`` must be finite and >= 0 (``ValueError`` otherwise).
      beta_warm: ``(p,)`` starting coefficients (zeros by default).
      b_warm: starting intercept (the intercept-only fit by default).
      loss, fit_intercept, positive: as in :func:`l1jax.solve_path` (static).
      tol: relative duality-gap target (None: 1e-7 in float64, 1e-5 in float32, as
        :func:`l1jax.path`).
      max_iter: FISTA iteration cap (static).
      linear_solver: as in :func:`attach` (static).

    Returns:
      :class:`l1jax.SolverResult` for this one λ: ``coef`` ``(p,)`` and scalar ``intercept``,
      ``gap``, ``n_iter``, ``status`` (the last three carry no derivative).

    Example:
      >>> import jax, jax.numpy as jnp
      >>> from l1jax import implicit
      >>> X = jnp.array([[-1.0], [0.0], [1.0]]); y = jnp.array([-1.0, 0.0, 1.0])
      >>> dcoef = jax.grad(lambda lam: implicit.solve_one(X, y, lam, tol=1e-6).coef[0])
      >>> round(float(dcoef(0.1)), 6)
      -1.5
    """
    X = jnp.asarray(X)
    n, p = X.shape
    dtype = X.dtype
    cfg = _config(loss, fit_intercept, positive, linear_solver)
    lam, rho, v, s = _defaults(X, lam, l1_ratio, penalty_factor, sample_weight)
    y = jnp.asarray(y, dtype)

    # The forward solve sees no tangents: its loops are never differentiated.
    Xs, ys, lams, rhos, vs, ss = jax.lax.stop_gradient((X, y, lam, rho, v, s))
    sn = ss / jnp.sum(ss)
    shift = solvers.y_shift(loss, fit_intercept, y, s / jnp.sum(s))  # (with its derivatives)
    ys = ys - jax.lax.stop_gradient(shift)
    data = solvers.Data(X=Xs, y=ys, s=sn, Xt=Xs.T)
    scale = solvers.gap_scale(loss, ys, sn, fit_intercept)
    tol_abs = jax.lax.stop_gradient(jnp.asarray(tol, dtype)) * scale  # (None: filled, _Checked)
    if beta_warm is None:
        beta_warm = jnp.zeros(p, dtype)
    if b_warm is None:
        b_warm = solvers.null_intercept(loss, ys, sn, fit_intercept)
    else:  # (the user's, on y's scale)
        b_warm = jnp.asarray(b_warm, dtype) - jax.lax.stop_gradient(shift)
    beta0, b0 = jax.lax.stop_gradient((jnp.asarray(beta_warm, dtype), jnp.asarray(b_warm, dtype)))
    step = 1 / solvers.lipschitz(loss, data, fit_intercept, beta0, b0)
    pen = solvers.elastic_net(lams, rhos, vs)
    beta, b, _, gap, n_iter, status = solvers.fista_block(
        data, pen, beta0, b0, step, tol_abs,
        loss=loss, positive=positive, fit_intercept=fit_intercept, max_iter=max_iter,
    )  # fmt: skip
    coef, intercept = _attach(cfg, beta, b, X, y - shift, lam, rho, v, s)
    intercept, gap, status = solvers.shifted_back(intercept, shift, gap / scale, status, scale,
                                                  tol)  # fmt: skip
    status = solvers.certifiable(status, Xs, ys, ss, vs, rhos, lams)
    return solvers.SolverResult(lams, coef, intercept, gap, n_iter, status)


solve_one = solvers._Checked("solve_one", _check_solve_one, _solve_one)

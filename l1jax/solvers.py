"""The pure, traceable core of the GLM path solver.

Objective (../DESIGN "The objective"), for normalized sample weights ``s`` (``Σ s = 1``):

    P(β, b) = Σ_i s_i ℓ(y_i, b + x_iᵀβ) + λ Σ_j v_j (ρ |β_j| + (1 − ρ)/2 β_j²)

Everything here is a pure JAX function: λ, ρ, data and tolerances are traced; only shapes, the
loss name, ``positive``, ``fit_intercept`` and iteration caps are static. Failures are data: a
status per λ (:class:`Status`), never an exception inside ``jit``.

The inner solver is FISTA (Beck & Teboulle 2009) with adaptive gradient restart (O'Donoghue &
Candès 2015) and a lazy backtracking step (the step only shrinks, so an underestimated Lipschitz
constant or the Poisson loss cannot make it diverge). It runs ``vmap``-ed over a block of λs:
matrix-vector products become matrix-matrix products, and ``vmap`` of a ``while_loop`` freezes
the λs that are done. It stops on the relative duality gap

    gap = (P(β, b) − D(θ)) / P_null,

with the dual point θ built from the weighted residuals (rescaled into the dual feasible set for
the lasso, through the elastic-net conjugate when ρ < 1) and ``P_null`` the objective of the
intercept-only model. The same gap is returned, so ``converged`` is certified, not guessed.
"""

from __future__ import annotations

import enum
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.special import xlogy

from l1jax import implicit, prox
from l1jax.losses import LOSSES, _pointwise, mean_function

__all__ = ["Status", "SolverResult", "solve_path", "null_intercept", "lambda_max"]


class Status(enum.IntEnum):
    """Outcome of one λ: an ``int32`` inside the result, never an exception inside ``jit``."""

    CONVERGED = 0
    MAX_ITER = 1
    NONFINITE = 2


class SolverResult(NamedTuple):
    """Result of :func:`solve_path` (a pytree: it crosses ``jit`` and ``vmap``).

    Attributes:
      lambdas: ``(K,)`` the λs, in the order given.
      coef: ``(K, p)`` coefficients.
      intercept: ``(K,)`` intercepts (0 when ``fit_intercept=False``).
      gap: ``(K,)`` relative duality gap, ``(P − D) / P_null``.
      n_iter: ``(K,)`` FISTA iterations spent on each λ.
      status: ``(K,)`` :class:`Status` codes.
    """

    lambdas: jax.Array
    coef: jax.Array
    intercept: jax.Array
    gap: jax.Array
    n_iter: jax.Array
    status: jax.Array

    @property
    def converged(self) -> jax.Array:
        return self.status == Status.CONVERGED


class Data(NamedTuple):
    """A smooth part in "design" form (``X``, ``y``, ``s``) or, for the squared loss without
    intercept, in Gram form (``G = XᵀSX``, ``c = XᵀSy``, ``yy = yᵀSy``). Unused fields are None."""

    X: jax.Array | None = None
    y: jax.Array | None = None
    Xt: jax.Array | None = None  # optional contiguous Xᵀ: ``β @ Xᵀ`` is a faster product
    s: jax.Array | None = None
    G: jax.Array | None = None
    c: jax.Array | None = None
    yy: jax.Array | None = None

    @property
    def gram(self) -> bool:
        return self.G is not None


# ----------------------------------------------------------------------------------------------
# The smooth part: values, gradients and the dual, for the design and the Gram forms.


def _linear(data: Data, beta: jax.Array) -> jax.Array:
    """``Xβ`` (design form) or ``Gβ`` (Gram form): the only matrix product an iteration needs."""
    if data.gram:
        return data.G @ beta
    return beta @ data.Xt if data.Xt is not None else data.X @ beta


def _value(loss: str, data: Data, lin: jax.Array, beta: jax.Array, b: jax.Array) -> jax.Array:
    if data.gram:
        return 0.5 * (beta @ lin) - data.c @ beta + 0.5 * data.yy
    return jnp.sum(data.s * _pointwise(loss, data.y, lin + b))


def _grad(loss: str, data: Data, lin: jax.Array, beta: jax.Array, b: jax.Array):
    """Gradient of the smooth part in β and in b."""
    if data.gram:
        return lin - data.c, jnp.zeros_like(b)
    resid = data.s * (mean_function(loss, lin + b) - data.y)
    return resid @ data.X, jnp.sum(resid)


def _dual_loss(loss: str, data: Data, lin, beta, b, alpha) -> jax.Array:
    """``−Σ s_i ℓ_i*(−θ_i/s_i)`` at ``θ = α s (y − μ)``: the dual value of the smooth part."""
    if data.gram:  # Σ s r y and Σ s r² from the Gram scalars
        ry = data.yy - data.c @ beta
        rr = data.yy - 2 * (data.c @ beta) + beta @ lin
        return alpha * ry - 0.5 * alpha**2 * rr
    mu = mean_function(loss, lin + b)
    if loss == "squared":
        r = data.y - mu
        return jnp.sum(data.s * (alpha * r * data.y - 0.5 * alpha**2 * r**2))
    q = data.y - alpha * (data.y - mu)  # in [0, 1] (logistic) or > 0 (poisson)
    if loss == "logistic":
        return -jnp.sum(data.s * (xlogy(q, q) + xlogy(1 - q, 1 - q)))
    return -jnp.sum(data.s * (xlogy(q, q) - q))


class Penalty(NamedTuple):
    """Per-coordinate weights of ``Σ_j l1_j |β_j| + ½ l2_j β_j²``; zero on padded coordinates."""

    l1: jax.Array  # λ ρ v_j
    l2: jax.Array  # λ (1 − ρ) v_j
    mask: jax.Array  # 1 for real coordinates, 0 for padding


def _penalty_value(pen: Penalty, beta: jax.Array) -> jax.Array:
    return jnp.sum(pen.l1 * jnp.abs(beta) + 0.5 * pen.l2 * beta**2)


def _prox(pen: Penalty, x: jax.Array, step: jax.Array, positive: bool) -> jax.Array:
    """argmin_z ½‖z − x‖² + step Σ (l1 |z| + ½ l2 z²) [z ≥ 0 when positive], masked."""
    # Ties at the threshold are decided towards 0: at λ = λ_max exactly, |x| = t up to rounding.
    t = step * pen.l1 * (1 + 4 * jnp.finfo(x.dtype).eps)
    shrunk = prox.nonneg_l1(x, t) if positive else prox.soft_threshold(x, t)
    return pen.mask * shrunk / (1 + step * pen.l2)


def _gap(loss, data, pen, lin, beta, b, grad_beta, positive, l1_only=False, fit_intercept=True):
    """Primal value and duality gap at (β, b), from the gradient ``g`` of the smooth part.

    The dual point is θ = α s (y − μ), whose correlations are ``z = −α g``. Two feasible choices,
    the better one is kept: (1) α rescales z into the L1 ball, ``|z_j| ≤ λρv_j`` (any ρ > 0);
    (2) α = 1 with the elastic-net conjugate ``Σ (|z_j| − λρv_j)₊² / (2λ(1 − ρ)v_j)`` (ρ < 1).
    Unpenalized coordinates (v_j = 0) are left out of both: the solver drives their gradient
    to 0, as it does for the intercept.
    """
    primal = _value(loss, data, lin, beta, b) + _penalty_value(pen, beta)
    z = -grad_beta
    zpos = jnp.maximum(z, 0) if positive else jnp.abs(z)
    penalized = (pen.mask > 0) & ((pen.l1 > 0) | (pen.l2 > 0))
    # The dual needs Σθ = 0 (intercept) and z_j = 0 where v_j = 0 (unpenalized features). Near
    # the optimum both hold only approximately; what that can still be worth is charged to the
    # gap: the first-order term |β_j z_j| plus a one-coordinate Newton decrease z_j² / (2 h_j),
    # h_j the curvature along that coordinate. All terms vanish at the optimum.
    free_j = ~penalized & (pen.mask > 0)
    if data.gram:
        h = jnp.diagonal(data.G)
    else:
        mu = mean_function(loss, lin + b)
        curv = {"squared": 1.0, "logistic": mu * (1 - mu), "poisson": mu}[loss]
        w = data.s * curv
        h = w @ jnp.square(data.X) if data.Xt is None else jnp.square(data.Xt) @ w
    # (with β ≥ 0, a coordinate at 0 whose gradient pushes it negative is already optimal)
    z_free = jnp.where(beta > 0, z, jnp.maximum(z, 0)) if positive else z
    newton = jnp.where(free_j & (h > 0), jnp.square(z_free) / (2 * jnp.where(h > 0, h, 1)), 0)
    free = jnp.sum(jnp.where(free_j, jnp.abs(beta * z), 0) + newton)
    if fit_intercept and not data.gram:
        resid_sum = jnp.sum(data.s * (data.y - mu))
        free = free + jnp.abs(b * resid_sum) + jnp.square(resid_sum) / (2 * jnp.sum(w))
    # (1) rescaling into the L1 ball.
    has_l1 = penalized & (pen.l1 > 0)
    ratio = jnp.where(has_l1, zpos / jnp.where(has_l1, pen.l1, 1), 0)
    alpha = 1 / jnp.maximum(1, jnp.max(ratio, initial=0))
    l1_ok = jnp.all(~penalized | (pen.l1 > 0))
    dual1 = jnp.where(l1_ok, _dual_loss(loss, data, lin, beta, b, alpha) - alpha * free, -jnp.inf)
    if l1_only:  # static: ρ = 1 is known, the conjugate branch is dead code
        return primal, primal - dual1
    # (2) the elastic-net conjugate at α = 1.
    has_l2 = penalized & (pen.l2 > 0)
    excess = jnp.maximum(zpos - pen.l1, 0)
    conj = jnp.sum(jnp.where(has_l2, excess**2 / (2 * jnp.where(has_l2, pen.l2, 1)), 0))
    l2_ok = jnp.all(~penalized | (pen.l2 > 0))
    dual2 = jnp.where(l2_ok, _dual_loss(loss, data, lin, beta, b, 1.0) - conj - free, -jnp.inf)
    dual = jnp.maximum(dual1, dual2)
    return primal, primal - dual


# ----------------------------------------------------------------------------------------------
# FISTA with restart and lazy backtracking, for one λ (vmap it over a block of λs).


class _Carry(NamedTuple):
    x: jax.Array
    bx: jax.Array
    lin_x: jax.Array
    y: jax.Array
    by: jax.Array
    lin_y: jax.Array
    t: jax.Array
    step: jax.Array
    n_iter: jax.Array
    gap: jax.Array
    primal: jax.Array


def _fista_step(loss, data, pen, positive, fit_intercept, c: _Carry) -> _Carry:
    g_y, gb_y = _grad(loss, data, c.lin_y, c.y, c.by)
    x_new = _prox(pen, c.y - c.step * g_y, c.step, positive)
    b_new = c.by - c.step * gb_y if fit_intercept else c.by
    lin_new = _linear(data, x_new)
    d, db = x_new - c.y, b_new - c.by
    bound = (d @ d + db * db) / (2 * c.step)
    # Backtracking test f(x⁺) ≤ f(y) + ∇f(y)ᵀd + ‖d‖²/(2 step). For the squared loss the left
    # minus the first two terms is exactly ½ dᵀHd, computed without cancellation.
    if loss == "squared":
        dlin = lin_new - c.lin_y
        curv = 0.5 * (d @ dlin if data.gram else jnp.sum(data.s * jnp.square(dlin + db)))
        accept = curv <= bound * (1 + 1e-9)
    else:
        f_y = _value(loss, data, c.lin_y, c.y, c.by)
        f_new = _value(loss, data, lin_new, x_new, b_new)
        slack = 10 * jnp.finfo(f_y.dtype).eps * (jnp.abs(f_y) + 1)
        accept = f_new <= f_y + g_y @ d + gb_y * db + bound + slack
    # Adaptive restart: drop the momentum when it points against the last step.
    restart = (c.y - x_new) @ (x_new - c.x) + (c.by - b_new) * (b_new - c.bx) > 0
    t_next = jnp.where(restart, 1.0, (1 + jnp.sqrt(1 + 4 * c.t**2)) / 2)
    mom = jnp.where(restart, 0.0, (c.t - 1) / t_next)
    y_new = x_new + mom * (x_new - c.x)
    by_new = b_new + mom * (b_new - c.bx)
    lin_y_new = lin_new + mom * (lin_new - c.lin_x)

    def pick(new, old):
        return jnp.where(accept, new, old)

    return _Carry(
        x=pick(x_new, c.x),
        bx=pick(b_new, c.bx),
        lin_x=pick(lin_new, c.lin_x),
        y=pick(y_new, c.x),
        by=pick(by_new, c.bx),
        lin_y=pick(lin_y_new, c.lin_x),
        t=pick(t_next, jnp.ones_like(c.t)),
        step=jnp.where(accept, c.step, c.step / 2),
        n_iter=c.n_iter + 1,
        gap=c.gap,
        primal=c.primal,
    )


def _status(gap, tol_abs) -> jax.Array:
    """:class:`Status` of a solve from its final absolute duality gap (int32)."""
    return jnp.where(
        ~jnp.isfinite(gap),
        Status.NONFINITE,
        jnp.where(gap > tol_abs, Status.MAX_ITER, Status.CONVERGED),
    ).astype(jnp.int32)


@functools.partial(
    jax.jit,
    static_argnames=("loss", "positive", "fit_intercept", "check_every", "l1_only"),
)
def fista_block(
    data: Data,
    pen: Penalty,
    beta0: jax.Array,
    b0: jax.Array,
    step0: jax.Array,
    tol_abs: jax.Array,
    *,
    loss: str,
    positive: bool,
    fit_intercept: bool,
    max_iter: int,
    check_every: int = 10,
    l1_only: bool = False,
):
    """Solve one penalized problem by FISTA until ``gap ≤ tol_abs`` or ``max_iter`` iterations.

    ``pen``, ``beta0``, ``b0``, ``step0`` and ``tol_abs`` may carry a leading block axis (one
    entry per λ), in which case the problems are solved together, vmapped.

    Returns:
      ``(beta, b, primal, gap_abs, n_iter, status)``.
    """
    single = beta0.ndim == 1

    def solve(pen, beta0, b0, step0, tol_abs):
        lin0 = _linear(data, beta0)
        inf = jnp.full_like(b0, jnp.inf)
        init = _Carry(beta0, b0, lin0, beta0, b0, lin0, jnp.ones_like(b0), step0, 0, inf, inf)

        def cond(c):
            return (c.gap > tol_abs) & (c.n_iter < max_iter) & ~jnp.isnan(c.gap)

        def body(c):
            def step(_, c):  # steps past max_iter leave the carry as it is
                new = _fista_step(loss, data, pen, positive, fit_intercept, c)
                return jax.tree.map(lambda a, b: jnp.where(c.n_iter < max_iter, a, b), new, c)

            c = jax.lax.fori_loop(0, check_every, step, c)
            g, _ = _grad(loss, data, c.lin_x, c.x, c.bx)
            primal, gap = _gap(
                loss, data, pen, c.lin_x, c.x, c.bx, g, positive, l1_only, fit_intercept
            )
            return c._replace(gap=gap, primal=primal)

        # The gap is measured only inside the loop (one copy of that code to compile).
        c = jax.lax.while_loop(cond, body, init)
        # A last plain proximal-gradient step from x: coordinates that are zero at the optimum
        # come out exactly zero. It cannot raise the objective, so the gap measured before
        # still bounds the suboptimality.
        c = _fista_step(
            loss, data, pen, positive, fit_intercept,
            c._replace(y=c.x, by=c.bx, lin_y=c.lin_x, t=jnp.ones_like(c.t)),
        )  # fmt: skip
        return c.x, c.bx, c.primal, c.gap, c.n_iter, _status(c.gap, tol_abs)

    if single:
        return solve(pen, beta0, b0, step0, tol_abs)
    return jax.vmap(solve)(pen, beta0, b0, step0, tol_abs)


@functools.partial(jax.jit, static_argnames=("loss", "fit_intercept", "n_power"))
def lipschitz(
    loss: str, data: Data, fit_intercept: bool, beta=None, b=None, n_power: int = 30
) -> jax.Array:
    """Estimate the Lipschitz constant of the smooth part's gradient by power iteration.

    Squared loss: the top eigenvalue of ``XᵀSX``. Logistic and Poisson: of the Hessian
    ``Xᵀ diag(s μ'(η)) X`` at ``(beta, b)`` (the warm start; ``μ' = μ(1 − μ)`` or ``μ``), which is
    much smaller than the global ¼``XᵀSX`` bound once the fit is good; FISTA's backtracking shrinks
    the step wherever the curvature grows beyond it. The intercept direction is included.
    """
    if data.gram:
        m = data.G.shape[0]
        matvec = lambda v: data.G @ v  # noqa: E731
        w = None
    else:
        m = data.X.shape[1]
        w = data.s
        if loss != "squared":
            eta = (0.0 if beta is None else _linear(data, beta)) + (0.0 if b is None else b)
            mu = mean_function(loss, jnp.zeros_like(data.y) + eta)
            w = data.s * (mu * (1 - mu) if loss == "logistic" else mu)
        matvec = lambda v: (w * _linear(data, v)) @ data.X  # noqa: E731
    v0 = jnp.ones(m, dtype=data.G.dtype if data.gram else data.X.dtype) / jnp.sqrt(m)

    def power(_, v):
        u = matvec(v)
        return u / jnp.maximum(jnp.linalg.norm(u), jnp.finfo(u.dtype).tiny)

    v = jax.lax.fori_loop(0, n_power, power, v0)
    top = v @ matvec(v)
    if fit_intercept and not data.gram:
        top = jnp.maximum(top, jnp.sum(w))  # the intercept direction (centered columns)
    return 1.02 * top + jnp.finfo(top.dtype).tiny


# ----------------------------------------------------------------------------------------------
# Intercept-only fit, λ_max and the pure path.


def null_intercept(loss: str, y: jax.Array, s: jax.Array, fit_intercept: bool) -> jax.Array:
    """The intercept b₀ of the intercept-only model (0 without intercept)."""
    if not fit_intercept:
        return jnp.zeros([], y.dtype)
    ybar = jnp.sum(s * y) / jnp.sum(s)
    if loss == "squared":
        return ybar
    if loss == "logistic":
        return jnp.log(ybar) - jnp.log1p(-ybar)
    return jnp.log(ybar)


@functools.partial(jax.jit, static_argnames=("loss", "fit_intercept", "positive"))
def lambda_max(X, y, s, penalty_factor, l1_ratio, *, loss, fit_intercept, positive=False):
    """Smallest λ at which all penalized coefficients are 0:
    ``max_j |∇_j L(0, b₀)| / (ρ v_j)`` over ``v_j > 0`` (only positive correlations when
    ``positive``)."""
    s = s / jnp.sum(s)
    b0 = null_intercept(loss, y, s, fit_intercept)
    z = X.T @ (s * (y - mean_function(loss, jnp.zeros_like(y) + b0)))
    z = jnp.maximum(z, 0) if positive else jnp.abs(z)
    ok = penalty_factor > 0
    return jnp.max(jnp.where(ok, z / jnp.where(ok, penalty_factor * l1_ratio, 1), 0), initial=0)


def gap_scale(loss, y, s, fit_intercept):
    """``P_null`` (:func:`null_objective`) kept at least the smallest normal number of ``y``'s
    dtype: the scale that relative duality gaps are divided by."""
    return jnp.maximum(null_objective(loss, y, s, fit_intercept), jnp.finfo(y.dtype).tiny)


def null_objective(loss, y, s, fit_intercept):
    """``P_null``, the scale of relative gaps: the data loss of the intercept-only model minus
    that of the saturated model (η = the link of y), i.e. half the null deviance. It is the null
    objective itself for the squared and logistic losses (their saturated loss is 0); for the
    Poisson loss, whose values can be negative, it is the positive null deviance / 2."""
    s = s / jnp.sum(s)
    b0 = null_intercept(loss, y, s, fit_intercept)
    null = jnp.sum(s * _pointwise(loss, y, jnp.zeros_like(y) + b0))
    if loss == "poisson":  # saturated: e^η = y, loss y − y log y (0 log 0 = 0; a scale only,
        # so it stays finite for the slightly negative y of a finite-difference probe)
        pos = y > 0
        null = null - jnp.sum(s * (y - jnp.where(pos, y * jnp.log(jnp.where(pos, y, 1)), 0)))
    return null


@functools.partial(jax.jit, static_argnames=("loss", "fit_intercept", "positive"))
def solve_path(
    X: jax.Array,
    y: jax.Array,
    lambdas: jax.Array,
    *,
    loss: str = "squared",
    l1_ratio=1.0,
    penalty_factor: jax.Array | None = None,
    sample_weight: jax.Array | None = None,
    fit_intercept: bool = True,
    positive: bool = False,
    tol=1e-7,
    max_iter: int = 10_000,
) -> SolverResult:
    """Solve the penalized GLM at each λ, warm-starting each from the previous one.

    The pure, traceable core under :func:`l1jax.path`: no validation, no standardization, no
    warnings; ``jit``, ``vmap`` (over data, λs or folds) and traced hyperparameters all work.
    It solves, for each ``λ`` in ``lambdas`` (in the order given; pass them descending)::

        min_{β, b}  (1/Σs) Σ_i s_i ℓ(y_i, b + x_iᵀβ) + λ Σ_j v_j (ρ |β_j| + (1 − ρ)/2 β_j²)

    with ``ℓ`` as in :mod:`l1jax.losses`, until the relative duality gap ``(P − D)/P_null`` is at
    most ``tol`` (``P_null``: objective of the intercept-only model) or ``max_iter`` iterations.

    Args:
      X: ``(n, p)`` design matrix.
      y: ``(n,)`` targets (0/1 for logistic, ≥ 0 for poisson).
      lambdas: ``(K,)`` penalty strengths.
      loss: ``"squared"``, ``"logistic"`` or ``"poisson"`` (static).
      l1_ratio: ρ in [0, 1].
      penalty_factor: ``(p,)`` non-negative ``v`` (ones by default).
      sample_weight: ``(n,)`` non-negative ``s`` (ones by default; normalized inside).
      fit_intercept: fit an unpenalized intercept ``b`` (static).
      positive: constrain ``β ≥ 0`` (static).
      tol: relative duality-gap target.
      max_iter: FISTA iteration cap per λ (traced: changing it does not recompile).

    Returns:
      :class:`SolverResult` with ``coef`` ``(K, p)``, ``intercept``, ``gap``, ``n_iter`` and
      ``status`` ``(K,)``.

    Example:
      >>> import jax.numpy as jnp
      >>> import l1jax
      >>> X = jnp.array([[-1.0], [0.0], [1.0]]); y = jnp.array([-1.0, 0.0, 1.0])
      >>> res = l1jax.solve_path(X, y, jnp.array([0.5, 0.1]), tol=1e-6)
      >>> [round(float(c), 3) for c in res.coef[:, 0]]
      [0.25, 0.85]
    """
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    n, p = X.shape
    dtype = X.dtype
    s = jnp.ones(n, dtype) if sample_weight is None else jnp.asarray(sample_weight, dtype)
    s = s / jnp.sum(s)
    v = jnp.ones(p, dtype) if penalty_factor is None else jnp.asarray(penalty_factor, dtype)
    lambdas = jnp.asarray(lambdas, dtype)
    rho = jnp.asarray(l1_ratio, dtype)
    data = Data(X=X, y=y.astype(dtype), s=s, Xt=X.T)
    scale = gap_scale(loss, data.y, s, fit_intercept)
    tol_abs = jnp.asarray(tol, dtype) * scale
    b0 = null_intercept(loss, data.y, s, fit_intercept)
    ones = jnp.ones(p, dtype)

    def one(carry, lam):
        beta, b = carry  # the warm start carries no derivative along the path
        # FISTA sees no tangents (its loops are never differentiated): the derivatives of the
        # solution come from its optimality conditions on the support (l1jax.implicit).
        dat, pen, tol_a = jax.lax.stop_gradient(
            (data, Penalty(lam * rho * v, lam * (1 - rho) * v, ones), tol_abs)
        )
        st = 1 / lipschitz(loss, dat, fit_intercept, beta, b)  # local curvature at the warm start
        beta, b, _, gap, n_it, status = fista_block(
            dat, pen, beta, b, st, tol_a,
            loss=loss, positive=positive, fit_intercept=fit_intercept, max_iter=max_iter,
        )  # fmt: skip
        coef, icpt = implicit.attach(
            beta, b, X, data.y, lam, rho, v, s,
            loss=loss, fit_intercept=fit_intercept, positive=positive,
        )  # fmt: skip
        return (beta, b), (coef, icpt, jax.lax.stop_gradient(gap / scale), n_it, status)

    init = (jnp.zeros(p, dtype), b0.astype(dtype))
    _, (coef, intercept, gap, n_iter, status) = jax.lax.scan(one, init, lambdas)
    return SolverResult(lambdas, coef, intercept, gap, n_iter, status)

"""The pure, traceable core of the GLM path solver.

Objective (../DESIGN "The objective"), for normalized sample weights ``s`` (``Σ s = 1``):

    P(β, b) = Σ_i s_i ℓ(y_i, b + x_iᵀβ) + λ Σ_j v_j (ρ |β_j| + (1 − ρ)/2 β_j²)

With a multi-task ``y`` ``(n, m)`` (squared loss) β is ``(p, m)``, ``b`` ``(m,)``, and the
penalty is on the rows: ``λ Σ_j v_j (ρ ‖B_j‖₂ + (1 − ρ)/2 ‖B_j‖²)``, its dual norm
``max_j ‖X_jᵀθ‖₂ / v_j``; the task axis is static (``Data.tasks``, from the shapes). A group
penalty ``λ Σ_g v_g (ρ ‖β_g‖₂ + (1 − ρ)/2 ‖β_g‖²)`` has one weight per group and the group of
each coefficient (``Penalty.groups``; segment sums: groups of any sizes, no padding).

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
import inspect
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import xlogy

from l1jax import _sparse, implicit, prox
from l1jax._inputs import (
    check_dtype,
    check_flag,
    check_int,
    check_lambdas,
    check_loss,
    check_not_tiny,
    check_representable,
    check_scalar,
    check_some_weight,
    check_targets,
    check_weights,
    default_tol,
)
from l1jax._programs import highest, jit, refuse_if_forked
from l1jax.losses import LOSSES, MULTINOMIAL, _pointwise, mean_function

__all__ = ["Status", "SolverResult", "solve_path", "null_intercept", "lambda_max"]


class Status(enum.IntEnum):
    """Outcome of one λ: an ``int32`` inside the result, never an exception inside ``jit``."""

    CONVERGED = 0
    MAX_ITER = 1  # the gap is above tol: max_iter spent, or no step could lower it further
    NONFINITE = 2
    UNBOUNDED = 3  # the unpenalized block has no finite minimizer (e.g. separable classes)


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
    intercept, in Gram form (``G = XᵀSX``, ``c = XᵀSy``, ``yy = yᵀSy``). Unused fields are None.

    A working set's columns may come in pieces instead: ``Xc`` (design) or ``Gc`` (Gram), a
    tuple of arrays ``(size, rows)`` (consecutive blocks of rows of ``Xᵀ``: the working set's
    columns in order, sizes from :func:`pieces_layout`), with only the first ``active`` columns
    in use (a traced count). Products skip the pieces past them, so one compiled program serves
    every working-set size up to its capacity at a cost close to the size actually used. Each
    piece is an array of its own because XLA copies any slice of an array that a matrix
    product reads: products over slices of one array (``fori_loop`` over its chunks) cost
    2-2.5× as much (problems A and D of the benchmarks). ``X`` may be absent when ``Xt`` is
    given (products are then taken through ``Xᵀ`` alone)."""

    X: jax.Array | None = None
    y: jax.Array | None = None
    Xt: jax.Array | None = None  # optional contiguous Xᵀ: ``β @ Xᵀ`` is a faster product
    s: jax.Array | None = None
    G: jax.Array | None = None
    c: jax.Array | None = None
    yy: jax.Array | None = None
    Xc: tuple[jax.Array, ...] | None = None
    Gc: tuple[jax.Array, ...] | None = None
    active: jax.Array | None = None
    Xs: _sparse.Cols | None = None  # a sparse X̃ (instead of ``Xt``): :mod:`l1jax._sparse`

    @property
    def gram(self) -> bool:
        return self.G is not None or self.Gc is not None

    @property
    def tasks(self) -> tuple[int, ...]:
        """The trailing task axis of ``y`` (or ``c``): ``()`` for one response, ``(m,)`` for
        ``m`` (multi-task: β, ``Xβ`` and the residuals then have it too)."""
        ref = self.y if self.y is not None else self.c
        return () if ref is None else tuple(ref.shape[1:])

    @property
    def n_features(self) -> int:
        for a in (self.G, self.X):
            if a is not None:
                return a.shape[1]
        if self.Xt is not None:
            return self.Xt.shape[0]
        if self.Xs is not None:
            return self.Xs.shift.shape[0]
        pieces = self.Xc if self.Xc is not None else self.Gc
        return sum(q.shape[0] for q in pieces)


# ----------------------------------------------------------------------------------------------
# The smooth part: values, gradients and the dual, for the design and the Gram forms.

HIGHEST = jax.lax.Precision.HIGHEST


def _dot(a: jax.Array, b: jax.Array) -> jax.Array:
    """A matrix product of l1jax's own at full float32 precision (TF32/bf16 passes on GPUs and
    TPUs would stall duality gaps near 1e-3)."""
    return jnp.matmul(a, b, precision=HIGHEST)


def _one_matrix_per_call(fun, *ranks: int):
    """``fun`` (a LAPACK-backed ``jnp.linalg`` function of arguments with ``ranks`` dimensions:
    one matrix, one vector) over any leading axes of its arguments, batched by ``vmap`` (nested
    or not) or not, one problem per LAPACK call: the leading axes run through ``lax.map``.

    jaxlib 0.10's CPU LAPACK kernels (``getrf``, ``trsm``, ...) split a batch of matrices whose
    ``batch · m³`` passes 2·10⁵ flops into tasks on XLA's intra-op thread pool (one thread per
    core), then block the pool thread that runs the kernel until those tasks are done
    (``jax::ParallelBatchMap``). Once every thread of the pool is blocked so, none is left to
    run the tasks: programs executing at once from as many Python threads as cores
    (``cv_path``'s folds) then wait forever with the CPU idle. One problem per call runs
    inline, never waiting on the pool (jax's commit 859992407d, after 0.10.2, turns the split
    off in open-source builds; only the batch's parallelism over the pool is lost)."""

    @jax.custom_batching.custom_vmap
    def one_by_one(*args):
        lead = args[0].shape[: args[0].ndim - ranks[0]]
        cores = [a.shape[a.ndim - r :] for a, r in zip(args, ranks, strict=True)]
        flat = [jnp.broadcast_to(a, lead + c).reshape(-1, *c)
                for a, c in zip(args, cores, strict=True)]  # fmt: skip
        out = jax.lax.map(lambda xs: fun(*xs), flat)
        return out.reshape(lead + out.shape[1:])

    @one_by_one.def_vmap
    def rule(axis_size, in_batched, *args):  # (a batched argument's vmapped axis leads)
        if not any(in_batched):
            return one_by_one(*args), False
        args = [a if b else jnp.broadcast_to(a, (axis_size, *a.shape))
                for a, b in zip(args, in_batched, strict=True)]  # fmt: skip
        return one_by_one(*args), True

    return one_by_one


_inv = _one_matrix_per_call(jnp.linalg.inv, 2)  # (..., m, m)
_solve = _one_matrix_per_call(jnp.linalg.solve, 2, 1)  # (..., m, m), (..., m)


def _vdot(a: jax.Array, b: jax.Array) -> jax.Array:
    """``Σ a b`` over coefficient-, intercept- or row-shaped arrays, with or without a task
    axis (one response: ``a @ b`` or ``a * b``, as always)."""
    if a.ndim == 0:
        return a * b
    return a @ b if a.ndim == 1 else jnp.sum(a * b)


def _weighted(s: jax.Array, x: jax.Array) -> jax.Array:
    """``s_i x_i`` for sample weights ``s`` ``(n,)`` and ``x`` ``(n,)`` or ``(n, m)``."""
    return s * x if x.ndim == s.ndim else s[:, None] * x


def _sum_rows(x: jax.Array) -> jax.Array:
    """``Σ_i x_i`` over the samples: a scalar, or one per task."""
    return jnp.sum(x) if x.ndim == 1 else jnp.sum(x, axis=0)


def row_norms(x: jax.Array) -> jax.Array:
    """``‖x_j‖₂`` over the trailing (task) axis: the group norms of a multi-task β or
    gradient (no derivative is taken through them)."""
    return jnp.sqrt(jnp.sum(x * x, axis=-1))


def pieces_layout(M: int, chunk: int) -> list[int]:
    """The sizes of the pieces of a working set of capacity ``M`` (whole ``chunk`` s): one chunk
    each up to 8 chunks, then 4 pieces per octave (2, 4, 8, … chunks), the last one cut to
    ``M``. A working set of ``w`` columns uses at most 1.25 ``w`` + a chunk of them, in at most
    ``8 + 4 log₂(M / 8 chunks)`` pieces (12 for 2,048 columns of 128)."""
    sizes, o = [], 0
    while o < M:
        size = chunk * max(1, 2 ** ((o // chunk).bit_length() - 3))
        sizes.append(min(size, M - o))
        o += sizes[-1]
    return sizes


def _offsets(pieces) -> list[int]:
    return [int(o) for o in np.cumsum([0] + [q.shape[0] for q in pieces[:-1]])]


def _pieces_matvec(pieces, active, v: jax.Array) -> jax.Array:
    """``A v`` for ``A`` stored as pieces of its columns (``(size, rows)`` each, see
    :class:`Data`): the pieces that begin before ``active`` only. ``v`` may have a trailing
    task axis (``A V``, ``(rows, m)``)."""

    def part(q, o):
        vq = v[o : o + q.shape[0]]
        return _dot(q.T, vq) if v.ndim == 2 else _dot(vq, q)

    out = part(pieces[0], 0)  # (the first piece is always in use, or zero)
    for o, q in zip(_offsets(pieces)[1:], pieces[1:], strict=True):
        out = jax.lax.cond(o < active, lambda acc, q=q, o=o: acc + part(q, o), lambda acc: acc,
                           out)  # fmt: skip
    return out


def _pieces_rmatvec(pieces, active, r: jax.Array) -> jax.Array:
    """``Aᵀ r`` for ``A`` stored as pieces of its columns: zero on the pieces past ``active``
    (``r`` may have a trailing task axis)."""
    outs = [_dot(pieces[0], r)]
    for o, q in zip(_offsets(pieces)[1:], pieces[1:], strict=True):
        # (zeros_like: the output varies as r does, under vmap and over shard_map's manual axes)
        zero = jnp.zeros((q.shape[0], *r.shape[1:]), r.dtype) + jnp.zeros_like(r[0])
        outs.append(jax.lax.cond(o < active, lambda q=q: _dot(q, r), lambda z=zero: z))
    return jnp.concatenate(outs)


def _linear(data: Data, beta: jax.Array) -> jax.Array:
    """``Xβ`` (design form) or ``Gβ`` (Gram form): the only matrix product an iteration needs
    (β ``(p,)``, or ``(p, m)`` with a task axis)."""
    if data.Gc is not None:
        return _pieces_matvec(data.Gc, data.active, beta)
    if data.Xc is not None:
        return _pieces_matvec(data.Xc, data.active, beta)
    if data.gram:
        return _dot(data.G, beta)
    if data.Xs is not None:
        return data.Xs.matvec(beta, data.y.shape[0])
    if beta.ndim == 2:
        return _dot(data.Xt.T, beta) if data.Xt is not None else _dot(data.X, beta)
    return _dot(beta, data.Xt) if data.Xt is not None else _dot(data.X, beta)


def _rmatvec(data: Data, r: jax.Array) -> jax.Array:
    """``Xᵀ r`` (design form): the correlations of the columns with ``r``."""
    if data.Xc is not None:
        return _pieces_rmatvec(data.Xc, data.active, r)
    if data.Xs is not None:
        return data.Xs.rmatvec(r)
    if r.ndim == 2:
        return _dot(data.X.T, r) if data.X is not None else _dot(data.Xt, r)
    return _dot(r, data.X) if data.X is not None else _dot(data.Xt, r)


def _value(loss: str, data: Data, lin: jax.Array, beta: jax.Array, b: jax.Array) -> jax.Array:
    if data.gram:
        return 0.5 * _vdot(beta, lin) - _vdot(data.c, beta) + 0.5 * data.yy
    return jnp.sum(_weighted(data.s, _pointwise(loss, data.y, lin + b)))


def _grad(loss: str, data: Data, lin: jax.Array, beta: jax.Array, b: jax.Array):
    """Gradient of the smooth part in β and in b."""
    if data.gram:
        return lin - data.c, jnp.zeros_like(b)
    resid = _weighted(data.s, _residual(loss, data.y, lin + b))
    return _rmatvec(data, resid), _sum_rows(resid)


def _half_dhd(data: Data, d, dlin, db) -> jax.Array:
    """``½ (d, db)ᵀ H (d, db)`` of the squared loss from ``dlin = X d`` (design form) or
    ``G d`` (Gram form): a difference of objectives without their cancellation."""
    if data.gram:
        return 0.5 * _vdot(d, dlin)
    return 0.5 * jnp.sum(_weighted(data.s, jnp.square(dlin + db)))


def _dual_loss(loss: str, data: Data, lin, b, alpha) -> jax.Array:
    """``−Σ s_i ℓ_i*(−θ_i/s_i)`` at ``θ = α s (y − μ)``: the dual value of the logistic and
    multinomial losses (:func:`_certify` forms the squared and Poisson gaps without it)."""
    if loss == "logistic":  # q = y − α (y − μ) and 1 − q as sums of terms ≥ 0, from μ and
        # 1 − μ = σ(−η) (:func:`_sigmoids`): 1 − q by a subtraction rounds to 0 where μ is
        # within ε of 1, and that row's entropy term is lost (see :func:`_residual`)
        y, (mu, mc) = data.y, _sigmoids(lin + b)
        q = y * (1 - alpha * mc) + alpha * (1 - y) * mu
        qc = (1 - y) * (1 - alpha * mu) + alpha * y * mc
        return -jnp.sum(data.s * (_xlogx(q, qc) + _xlogx(qc, q)))
    if loss != MULTINOMIAL:
        raise ValueError(f"no dual value here for loss {loss!r}")
    q = data.y - alpha * (data.y - mean_function(loss, lin + b))  # rows on the simplex
    return -jnp.sum(data.s * jnp.sum(xlogy(q, q), axis=-1))  # (α ∈ [0, 1]): minus the entropy


class Penalty(NamedTuple):
    """Per-coordinate weights of ``Σ_j l1_j |β_j| + ½ l2_j β_j²``; zero on padded coordinates.
    With ``groups`` (the group of each coefficient, ints indexing the weights) the weights are
    per group: ``Σ_g l1_g ‖β_g‖₂ + ½ l2_g ‖β_g‖²``."""

    l1: jax.Array  # λ ρ v_j
    l2: jax.Array  # λ (1 − ρ) v_j
    mask: jax.Array  # 1 for real coordinates, 0 for padding
    groups: jax.Array | None = None  # (n_coef,) a group penalty: the group of each coefficient


def elastic_net(lam, rho, v, mask=None, groups=None, v2=None) -> Penalty:
    """The :class:`Penalty` ``λ Σ_j (ρ v_j |β_j| + (1 − ρ)/2 w_j β_j²)`` with ``w = v2``, by
    default ``v`` (``mask``: ones); with ``groups`` its group version (:class:`Penalty`)."""
    mask = jnp.ones_like(v) if mask is None else mask
    return Penalty(lam * rho * v, lam * (1 - rho) * (v if v2 is None else v2), mask, groups)


def group_norms(groups: jax.Array, x: jax.Array, n_groups: int) -> jax.Array:
    """``‖x_g‖₂`` of the groups ``0 … n_groups − 1`` of the last axis of ``x`` (``groups``: the
    group of each entry): ``(…, n_groups)``, by segment sums (groups of any sizes)."""
    sq = jax.ops.segment_sum(jnp.moveaxis(x * x, -1, 0), groups, num_segments=n_groups)
    return jnp.sqrt(jnp.moveaxis(sq, 0, -1))


def _penalty_value(pen: Penalty, beta: jax.Array) -> jax.Array:
    """``Σ_j l1_j |β_j| + ½ l2_j β_j²``; with a task axis ``Σ_j l1_j ‖B_j‖₂ + ½ l2_j ‖B_j‖²``,
    and so on the groups of a group penalty (``pen.groups``)."""
    if pen.groups is not None:
        norms = group_norms(pen.groups, beta, pen.l1.shape[-1])
        return jnp.sum(pen.l1 * norms + 0.5 * pen.l2 * norms**2)
    if beta.ndim > pen.l1.ndim:
        return jnp.sum(pen.l1 * row_norms(beta) + 0.5 * pen.l2 * jnp.sum(beta**2, axis=-1))
    return jnp.sum(pen.l1 * jnp.abs(beta) + 0.5 * pen.l2 * beta**2)


def _prox(pen: Penalty, x: jax.Array, step: jax.Array, positive: bool) -> jax.Array:
    """argmin_z ½‖z − x‖² + step Σ (l1 |z| + ½ l2 z²) [z ≥ 0 when positive], masked. With a
    task axis (``x`` ``(p, m)``) the rows are groups: ``Σ_j (l1_j ‖z_j‖₂ + ½ l2_j ‖z_j‖²)``,
    block soft-thresholding (:func:`l1jax.prox.group_l1`) row by row; so are the groups of a
    group penalty (``pen.groups``; not with ``positive``)."""
    # Ties at the threshold are decided towards 0: at λ = λ_max exactly, |x| = t up to rounding.
    t = step * pen.l1 * (1 + 4 * jnp.finfo(x.dtype).eps)
    if pen.groups is not None:  # a group penalty: block soft-thresholding group by group
        norms = group_norms(pen.groups, x, pen.l1.shape[-1])
        keep = norms > t
        scale = jnp.where(keep, 1 - t / jnp.where(keep, norms, 1), 0)
        return x * (scale * pen.mask / (1 + step * pen.l2))[pen.groups]
    if x.ndim > pen.l1.ndim:
        shrunk = prox.group_l1(x, 1.0, t, axis=-1)
        return (pen.mask / (1 + step * pen.l2))[..., None] * shrunk
    shrunk = prox.nonneg_l1(x, t) if positive else prox._soft(x, t, ties=False)
    return pen.mask * shrunk / (1 + step * pen.l2)


def _sigmoids(eta: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``(σ(η), σ(−η))``, each to its own relative precision, from one exponential."""
    e = jnp.exp(-jnp.abs(eta))
    big, small = 1 / (1 + e), e / (1 + e)
    up = eta >= 0
    return jnp.where(up, big, small), jnp.where(up, small, big)


def _xlogx(q: jax.Array, qc: jax.Array) -> jax.Array:
    """``q log q`` (0 at 0) for ``q`` in [0, 1] given ``qc = 1 − q`` too: near 1, ``log q`` is
    ``log1p(−qc)``, for ``log q`` rounds q's own rounding (ε) into an error of ε, where the
    whole term is about −qc (the binary entropy of a row whose μ is near 0 or 1)."""
    log = jnp.where(q < qc, jnp.log(jnp.where(q > 0, q, 1)), jnp.log1p(-qc))
    return jnp.where(q > 0, q * log, 0)


def _residual(loss: str, y: jax.Array, eta: jax.Array) -> jax.Array:
    """``μ(η) − y``, the loss's derivative in η. The logistic one is ``(1 − y) σ(η) − y σ(−η)``:
    ``σ(η) − y`` rounds ``σ(η)`` to 1 where η > 17 (float32; 37 in float64), and a row whose
    residual should be −σ(−η) then has none. Near separable classes (float32, |η| ≈ 20) the
    intercept's gradient was then known only to ε per unit weight, and the gap's allowance for
    it outgrew the gap (fitted float32 λs certified below their true error)."""
    if loss == "logistic":
        mu, mc = _sigmoids(eta)
        return (1 - y) * mu - y * mc
    return mean_function(loss, eta) - y


def _curvature(loss: str, eta: jax.Array) -> jax.Array:
    """``μ'(η)``, the second derivative of ℓ in η: 1, σ(η) σ(−η) (not μ(1 − μ), which rounds
    to 0 where μ rounds to 1) or μ."""
    if loss == "squared":
        return jnp.ones_like(eta)
    if loss == "logistic":
        mu, mc = _sigmoids(eta)
        return mu * mc
    return mean_function(loss, eta)


def _free(pen: Penalty) -> jax.Array:
    """The coordinates with neither an L1 nor an L2 weight (per column with groups)."""
    free = (pen.mask > 0) & (pen.l1 <= 0) & (pen.l2 <= 0)
    return free if pen.groups is None else free[pen.groups]


def _free_mask(pen: Penalty, beta: jax.Array, g: jax.Array, positive: bool) -> jax.Array:
    """The coordinates on which the dual asks for a zero gradient: real ones with neither an L1
    nor an L2 weight (``penalty_factor`` 0, or λ = 0). Under ``β ≥ 0`` a free coordinate at 0
    whose gradient is ≥ 0 already meets its dual constraint (``X_jᵀθ ≤ 0``) and is left out."""
    free = _free(pen)
    if pen.groups is not None:  # every coefficient of the group (positive is refused with it)
        return free
    if positive:
        free = free & ((beta > 0) | (g < 0))
    return free[..., None] if beta.ndim > pen.mask.ndim else free  # (a task axis: whole rows)


class _Refit(NamedTuple):
    lin: jax.Array  # Xβ' (design form) or Gβ' (Gram form) at the refitted point
    beta: jax.Array
    b: jax.Array
    g: jax.Array  # gradient of the smooth part in β at (β', b')
    ok: jax.Array  # bool: the free block was solved to machine precision
    gb: jax.Array  # ... and in b (b' = b when there is no intercept)


class _FreeCols(NamedTuple):
    """The free block's columns, gathered once for many refits (:func:`free_columns`)."""

    idx: jax.Array  # (F,) the free coordinates' places (0 past the last)
    mask: jax.Array  # (F,) 1 on the free ones, 0 past them
    cols: jax.Array  # their columns of X (design form, (n, F)) or of G (Gram form, (p, F))


def free_columns(data: Data, pen: Penalty, cap: int) -> _FreeCols:
    """The columns of the coordinates free in ``pen`` (see :func:`_free_mask`), at most ``cap``
    of them, as ``cap`` columns of one array, so that the refits of :func:`_refit_free` take
    their Newton-CG products on those ``F`` columns instead of masked products on all of them
    (20 free columns of 1,000: 4× the time of a path without them). Taken once per solve, for
    the refits of every λ whose free coordinates they hold (:func:`_covers`; the host sets
    ``cap`` from the penalty factors: :func:`l1jax.engine.free_capacity`)."""
    free = _free(pen)
    dtype = pen.l1.dtype
    (idx,) = jnp.nonzero(free, size=cap, fill_value=0)
    mask = (jnp.arange(cap) < jnp.sum(free)).astype(dtype)
    if data.G is not None:  # (G symmetric: its rows are its columns)
        cols = data.G[idx].T
    elif data.Xt is not None and data.Xs is None:
        cols = data.Xt[idx].T
    elif data.X is not None:
        cols = data.X[:, idx]
    else:  # pieces: one product
        cols = _linear(data, jax.nn.one_hot(idx, free.shape[0], dtype=dtype).T)
    return _FreeCols(idx, mask, cols * mask)


def _block_free_columns(data: Data, pen: Penalty, single: bool, *, free: bool, free_cap: int,
                        positive: bool) -> _FreeCols | None:  # fmt: skip
    """:func:`free_columns` for a block solver (:func:`fista_block`, :func:`newton_block`) whose
    ``free_cap`` promises at most that many free coordinates, the same at every λ of the block
    (taken from its first); None where the refits mask all columns instead: no free coordinate,
    ``free_cap`` 0 or not below the column count, ``positive``, groups (whose padded columns
    would count as free where the padding's group is)."""
    if not (free and 0 < free_cap < pen.l1.shape[-1] and not positive and pen.groups is None):
        return None
    return free_columns(data, pen if single else jax.tree.map(lambda a: a[0], pen), free_cap)


def _covers(fcols: _FreeCols, pen: Penalty) -> jax.Array:
    """Whether ``fcols`` hold every free coordinate of ``pen`` (else a refit on them is not one:
    its λρv underflowed to 0 where the host counted a penalty)."""
    free = _free(pen)
    return jnp.sum(free) == jnp.sum(free[fcols.idx] & (fcols.mask > 0))


def _refit_free(loss: str, data: Data, pen: Penalty, lin, beta, b, positive: bool,
                fit_intercept: bool, free: bool = True,
                fcols: _FreeCols | None = None) -> _Refit:  # fmt: skip
    """Minimize the smooth part over the free block (the intercept and every coordinate without
    penalty, see :func:`_free_mask`) with the penalized coefficients held, to machine precision.

    The intercept alone is solved by scalar Newton on n-vectors (no matrix product). When free
    coordinates exist, the whole block takes Newton steps whose systems are solved by conjugate
    gradients on Hessian-vector products (no shape depends on the block's size; no iteration
    runs when the block is only the intercept), with backtracking for logistic and Poisson.

    ``free`` (static) False says that no coordinate but the intercept can be free (every
    ``penalty_factor`` and λ positive): the Newton-CG part is then not even compiled.

    ``ok`` is False when the block was not solved: Newton's steps do not shrink (logistic or
    Poisson data that the free coordinates separate, which have no finite minimizer) or an
    iteration cap was hit."""
    dtype = beta.dtype
    eps = jnp.finfo(dtype).eps
    # (zeros_like keeps b's variance under shard_map: every loop carry must match it)
    zero = jnp.zeros_like(b)  # (one per task with a task axis; counters stay scalars)
    izero = _varying(b[0] if data.tasks else b, 0, jnp.int32)  # (see _varying)
    intercept = fit_intercept and not data.gram
    b_ok = izero == 0
    if intercept:

        def b_cond(st):
            return ~st[1] & (st[2] < 60)

        def b_body(st):
            bb, _, it, lo, hi = st
            eta = lin + bb
            curv, r = _curvature(loss, eta), _residual(loss, data.y, eta)
            hess = jnp.maximum(_sum_rows(_weighted(data.s, curv)), jnp.finfo(dtype).tiny)
            grad = _sum_rows(_weighted(data.s, r))
            step = -grad / hess
            if loss != "squared":  # safeguarded: the gradient rises with b, so the root lies
                # between the last b where it was negative and the last where it was positive;
                # a Newton step outside that bracket is replaced by its midpoint, and until
                # both ends are known steps are clipped to ±2^k at the k-th (±1 first: a fit
                # whose η was 100 too high took 60 steps of 1 and was reported UNBOUNDED)
                lo = jnp.where(grad < 0, jnp.maximum(lo, bb), lo)
                hi = jnp.where(grad > 0, jnp.minimum(hi, bb), hi)
                reach = 2.0 ** jnp.minimum(it, 60).astype(dtype)
                inside = (bb + step > lo) & (bb + step < hi)
                bracketed = jnp.isfinite(lo) & jnp.isfinite(hi)
                ends = jnp.where(bracketed, lo, bb) + jnp.where(bracketed, hi, bb)  # (not
                # −inf + inf = NaN before both are known: a user's jax_debug_nans, eager)
                mid = jnp.where(bracketed, 0.5 * ends - bb, jnp.clip(step, -reach, reach))
                step = jnp.where(inside & (jnp.abs(step) <= reach), step, mid)
            # solved: the step, or the gradient itself, is at the level of rounding (of each
            # logistic residual and of its η: _residual; of μ and y for the others)
            error = (jnp.abs(r) + curv * jnp.abs(eta) if loss == "logistic"
                     else jnp.abs(mean_function(loss, eta)) + jnp.abs(data.y))  # fmt: skip
            noise = 8 * eps * _sum_rows(_weighted(data.s, error))
            done = (jnp.abs(step) <= 4 * eps * (1 + jnp.abs(bb))) | (jnp.abs(grad) <= noise)
            if data.tasks:  # every task's intercept
                done = jnp.all(done)
            return jnp.where(done, bb, bb + step), done, it + 1, lo, hi

        if loss == MULTINOMIAL:

            def b_body(st):
                return (*_softmax_intercept_step(data, lin, st[:3]), *st[3:])

        if loss == "poisson":  # its minimizer in b, log Σ s y − log Σ s e^lin, to start from:
            # the damped steps move η by 1 at most, and 60 of them fell short of a fit whose
            # η was 111 too high (a count of 1 in 120 rows at a small λ: reported UNBOUNDED)
            top = jnp.max(jnp.where(data.s > 0, lin, -jnp.inf))
            sy = _sum_rows(_weighted(data.s, data.y))
            exact = jnp.log(sy) - top - jnp.log(_sum_rows(_weighted(data.s, jnp.exp(lin - top))))
            b = jnp.where((sy > 0) & jnp.isfinite(exact), exact, b)
        b, b_ok, *_ = jax.lax.while_loop(
            b_cond, b_body, (b, izero != 0, izero, zero - jnp.inf, zero + jnp.inf)
        )
    g, gb = _grad(loss, data, lin, beta, b)
    p = beta.shape[0]
    if fcols is None:  # Newton-CG on all coordinates, the non-free ones masked out
        sel, put, size = (lambda a: a), (lambda a, d: a + d), p  # noqa: E731
    else:  # ... or on the F gathered columns of the free ones (positive: not supported)
        assert not positive
        fmask = fcols.mask if beta.ndim == 1 else fcols.mask[:, None]
        size = fcols.idx.shape[0]

        def sel(a):
            return a[fcols.idx] * fmask

        def put(a, d):
            return a.at[fcols.idx].add(d)

    max_cg = 2 * size + 10
    # (β ≥ 0: each step may stop where a coordinate reaches 0, one more step per such stop)
    max_newton = (1 if loss == "squared" else 30) + (p if positive else 0)

    def hess_vec(w, v, vb):
        """``(M H v)`` parts: the β rows, the intercept row, and ``Xv`` (design) or ``Gv``
        (Gram), which moves ``lin``."""
        u = _linear(data, v) if fcols is None else _dot(fcols.cols, v)
        if data.gram:
            return sel(u), zero, u
        t = w * (u + vb) if intercept else w * u
        ht = _rmatvec(data, t) if fcols is None else _dot(fcols.cols.T, t)
        return ht, (_sum_rows(t) if intercept else zero), u

    def newton(st):
        lin, beta, b, g, gb, it, _, m = st
        w = None if data.gram else _weighted(data.s, _curvature(loss, lin + b))
        ms = sel(m)
        r0, rb0 = -ms * sel(g), (-gb if intercept else zero)
        rr0 = _vdot(r0, r0) + _vdot(rb0, rb0)

        def cg_cond(c):
            r, rb, k = c[3], c[4], c[7]
            return (_vdot(r, r) + _vdot(rb, rb) > (8 * eps) ** 2 * rr0) & (k < max_cg)

        def cg_body(c):
            x, xb, ux, r, rb, d, db, k = c
            hd, hdb, ud = hess_vec(w, d, db)
            hd = ms * hd
            dhd = _vdot(d, hd) + _vdot(db, hdb)
            curved = dhd > 0
            rr = _vdot(r, r) + _vdot(rb, rb)
            a = jnp.where(curved, rr / jnp.where(curved, dhd, 1), 0)
            x, xb, ux = x + a * d, xb + a * db, ux + a * ud
            r, rb = r - a * hd, rb - a * hdb
            c_next = (_vdot(r, r) + _vdot(rb, rb)) / jnp.where(rr > 0, rr, 1)
            d, db = r + c_next * d, rb + c_next * db
            return x, xb, ux, r, rb, d, db, jnp.where(curved, k + 1, max_cg)

        init = (jnp.zeros_like(r0), zero, jnp.zeros_like(lin), r0, rb0, r0, rb0, izero)
        x, xb, ux, r, rb, *_ = jax.lax.while_loop(cg_cond, cg_body, init)
        cg_ok = _vdot(r, r) + _vdot(rb, rb) <= (8 * eps) ** 2 * rr0
        # Under β ≥ 0 the block is bound-constrained: the step stops where the first of its
        # coordinates reaches 0 (an active-set method; the next step's mask drops it if its
        # gradient holds it there), so that the refitted point stays feasible.
        t_max = zero + 1
        if positive:
            dx = ms * x
            down = dx < 0
            to_zero = jnp.where(down, -beta / jnp.where(down, dx, -1), jnp.inf)
            t_max = jnp.minimum(t_max, jnp.min(to_zero, initial=jnp.inf))
        if loss == "squared":  # quadratic: one exact Newton step
            t, done = t_max, cg_ok
        else:  # backtracking (Armijo) along the Newton direction; η moves by t·ux
            f0 = jnp.sum(data.s * _pointwise(loss, data.y, lin + b))
            slope = _vdot(sel(g), ms * x) + gb * xb  # −xᵀHx ≤ 0

            def ls_cond(c):
                t, k = c
                f = jnp.sum(data.s * _pointwise(loss, data.y, lin + b + t * (ux + xb)))
                return (f > f0 + 0.25 * t * slope + 8 * eps * jnp.abs(f0)) & (k < 50)

            t, _ = jax.lax.while_loop(ls_cond, lambda c: (c[0] / 2, c[1] + 1),
                                      (t_max, izero))  # fmt: skip
            # Quadratic convergence: a step of √ε leaves the point within ε of the minimum;
            # or Newton's decrease is at the level of the loss's rounding (a flat, saturated
            # fit). Data the block separates do neither: the loss keeps falling by a factor.
            scale = 1 + jnp.max(jnp.abs(lin + b))
            moved = t * jnp.max(jnp.abs(ux + xb))
            done = cg_ok & ((moved <= jnp.sqrt(eps) * scale) | (-slope <= 64 * eps * jnp.abs(f0)))
        lin, beta, b = lin + t * ux, put(beta, t * ms * x), b + t * xb
        if positive:  # (the coordinate that stopped the step: exactly 0, not −1e-17)
            beta = jnp.where((m > 0) & (beta < 0), 0, beta)
        g, gb = _grad(loss, data, lin, beta, b)
        m_new = _free_mask(pen, beta, g, positive).astype(dtype)
        if positive:  # solved: a whole step, and no coordinate held at 0 asks to enter
            done = done & jnp.all(t_max >= 1) & jnp.all(m_new <= m)
            # a step that could not move (a coordinate at 0 that the direction pushes below
            # 0): the next one is taken without those coordinates
            stuck = down & (beta <= 0)
            m_new = jnp.where(jnp.all(t_max <= 0), m * ~stuck, m_new)
        return lin, beta, b, g, gb, it + 1, done, m_new

    def cond(st):
        it, done, m = st[5], st[6], st[7]
        return jnp.any(m > 0) & ~done & (it < max_newton)

    if not free:
        return _Refit(lin, beta, b, g, b_ok, gb)
    m = _free_mask(pen, beta, g, positive).astype(dtype)
    st = jax.lax.while_loop(cond, newton, (lin, beta, b, g, gb, izero, izero != 0, m))
    lin, beta, b, g, gb, it, done, _ = st
    ok = b_ok & (done | (it == 0))
    ok = ok if fcols is None else ok & _covers(fcols, pen)
    return _Refit(lin, beta, b, g, ok, gb)


def _softmax_intercept_step(data: Data, lin, st):
    """One damped Newton step of the multinomial intercepts ``b`` ``(C,)`` (:func:`_refit_free`).

    The Hessian ``Σ_i s_i (diag(p_i) − p_i p_iᵀ)`` is singular along ``1`` (adding a constant to
    every class changes nothing) and the gradient ``Σ_i s_i (p_i − y_i)`` is orthogonal to it, so
    the system is solved with ``κ 11ᵀ/C`` added: the step is the least-norm Newton step."""
    bb, _, it = st
    eps = jnp.finfo(bb.dtype).eps
    mu = mean_function(MULTINOMIAL, lin + bb)
    sm = _weighted(data.s, mu)
    grad = _sum_rows(sm) - _sum_rows(_weighted(data.s, data.y))
    hess = jnp.diag(_sum_rows(sm)) - _dot(mu.T, sm)
    C = bb.shape[-1]
    kappa = jnp.maximum(jnp.trace(hess) / C, jnp.finfo(bb.dtype).tiny)
    step = -_solve(hess + kappa / C, grad)
    step = jnp.clip(step, -1.0, 1.0)  # damped: η moves by at most 1 per step
    noise = 8 * eps * _sum_rows(_weighted(data.s, mu + data.y))
    done = jnp.all((jnp.abs(step) <= 4 * eps * (1 + jnp.abs(bb))) | (jnp.abs(grad) <= noise))
    return jnp.where(done, bb, bb + step), done, it + 1


def _certify(
    loss,
    data,
    pen,
    lin,
    beta,
    b,
    positive,
    l1_only=False,
    fit_intercept=True,
    free=True,
    refit=False,
    fcols=None,
):
    """Primal value, duality gap and gradient at (β, b): the certificate of a solve.

    The gap is a bound: ``P(β, b) − P* ≤ gap`` whatever (β, b) is. The dual point is built where
    the free block (intercept, unpenalized features, everything at λ = 0) is solved exactly
    (:func:`_refit_free`; what rounding leaves of its gradient is added to the gap, times the
    block's coefficients), so that its gradient vanishes as dual feasibility requires: θ =
    α s (y − μ'), μ' the mean at the refitted point, whose correlations are ``z = −α g'``. Two
    feasible choices, the better one is kept: (1) α rescales z into the L1 ball,
    ``|z_j| ≤ λρv_j`` (any ρ > 0); (2) α = 1 with the elastic-net conjugate
    ``Σ (|z_j| − λρv_j)₊² / (2λ(1 − ρ)v_j)`` (ρ < 1). The primal value is the one at (β, b).

    When the free block cannot be solved (no finite minimizer: data separated by unpenalized
    features), the gap is +inf (:attr:`Status.UNBOUNDED`).

    Returns:
      ``(primal, gap, g')``, ``g'`` the gradient in β at the refitted point; with ``refit``
      the refitted point itself (a :class:`_Refit`) instead of ``g'``.
    """
    primal = _value(loss, data, lin, beta, b) + _penalty_value(pen, beta)
    ref = _refit_free(loss, data, pen, lin, beta, b, positive, fit_intercept, free, fcols)
    z = -ref.g
    if pen.groups is not None:  # a group penalty: the group dual norm, group by group
        zpos = group_norms(pen.groups, z, pen.l1.shape[-1])
    elif z.ndim > pen.l1.ndim:  # a task axis: the group dual norm, row by row
        zpos = row_norms(z)
    else:
        zpos = jnp.maximum(z, 0) if positive else jnp.abs(z)
    penalized = (pen.mask > 0) & ((pen.l1 > 0) | (pen.l2 > 0))
    # (1) rescaling into the L1 ball.
    has_l1 = penalized & (pen.l1 > 0)
    ratio = jnp.where(has_l1, zpos / jnp.where(has_l1, pen.l1, 1), 0)
    alpha = 1 / jnp.maximum(1, jnp.max(ratio, initial=0))
    l1_ok = jnp.all(~penalized | (pen.l1 > 0))
    if loss == "squared":  # P − D without either: both are ≈ ½yy when the fit explains most
        # of y, and their difference lost ε · yy · cond to cancellation (Gram form: gaps of
        # −5e-13 · P_null with collinear free columns; design form in float32: −2e-6 · P_null,
        # 30 ε P, with nearly collinear columns and an uncentred y). With d = β − β' and g'
        # the gradient at β': P(β) − P(β') = dᵀg' + ½ dᵀHd + the penalties' (exact for a
        # quadratic; dᵀHd from Xd = lin − lin', no product), and P(β') − D = α (β'ᵀg' + b'gb')
        # + ½(1 − α)² ‖r'‖² + pen(β') (r' the residual at β'; + the conjugate at α = 1).
        d, db = beta - ref.beta, b - ref.b
        base = (_penalty_value(pen, beta) + _vdot(d, ref.g) + _vdot(db, ref.gb)
                + _half_dhd(data, d, lin - ref.lin, db))  # fmt: skip
        bg = _vdot(ref.beta, ref.g) + _vdot(ref.b, ref.gb)
        rr = jnp.maximum(2 * _value(loss, data, ref.lin, ref.beta, ref.b), 0)

        def gap_at(a, conj=0.0):
            return base + a * bg + 0.5 * (1 - a) ** 2 * rr + conj
    elif loss == "poisson":  # P − D as Σ s q φ(μ/q) + α (βᵀg' + b gb') + pen(β): the rows'
        # Fenchel–Young gaps q φ(μ/q) ≥ 0 (φ(t) = t − 1 − log t, q = y − α (y − μ')) plus the
        # coupling −θᵀη, not as P − D, both ≈ Σ s (μ − y log μ): with counts in the tens
        # (|P| of 20 P_null) their difference lost 20 ε P_null to rounding (float32: gaps of
        # −6.5e-7 and 1.3e-7 with errors of 1.7e-6 and 3.2e-6; test_certificates)
        eta, mu_ref = lin + b, mean_function(loss, ref.lin + ref.b)
        base = _penalty_value(pen, beta)
        bg = _vdot(beta, ref.g) + _vdot(b, ref.gb)

        def gap_at(a, conj=0.0):
            q = data.y - a * (data.y - mu_ref)
            pos = q > 0
            d = eta - jnp.log(jnp.where(pos, q, 1))
            rows = jnp.where(pos, q * (jnp.expm1(d) - d), jnp.exp(eta))
            return jnp.sum(_weighted(data.s, rows)) + a * bg + base + conj
    else:
        dual_at = functools.partial(_dual_loss, loss, data, ref.lin, ref.b)

        def gap_at(a, conj=0.0):
            return primal - (dual_at(a) - conj)

    gap = jnp.where(l1_ok, gap_at(alpha), jnp.inf)
    if not l1_only:  # (2) the elastic-net conjugate at α = 1 (static: with ρ = 1 dead code)
        has_l2 = penalized & (pen.l2 > 0)
        excess = jnp.maximum(zpos - pen.l1, 0)
        conj = jnp.sum(jnp.where(has_l2, excess**2 / (2 * jnp.where(has_l2, pen.l2, 1)), 0))
        l2_ok = jnp.all(~penalized | (pen.l2 > 0))
        gap = jnp.minimum(gap, jnp.where(l2_ok, gap_at(1.0, conj), jnp.inf))
    # The refit leaves the free block's gradient e at rounding, not 0 (cond · ε of it when the
    # block is ill-conditioned: nearly collinear columns, or uncentred ones with the intercept),
    # so θ misses its constraints X_Fᵀθ = 0, 1ᵀθ = 0 by e, and weak duality holds only up to
    # that: P* ≥ D(θ) − |eᵀ(β*_F, b*)| (α ≤ 1). Added, with β* ≈ β' term by term: without it,
    # gaps down to −8e-9 · P_null were measured (tests/_certificate_sweep.py).
    slack = jnp.sum(jnp.abs(jnp.where(_free_mask(pen, ref.beta, ref.g, positive), ref.g, 0)
                            * ref.beta))  # fmt: skip
    if fit_intercept and not data.gram:
        slack = slack + jnp.sum(jnp.abs(ref.gb * ref.b))
    # Not solved: a free block with no finite minimizer (UNBOUNDED, +inf), unless it is the
    # intercept alone (``free`` False), whose minimizer the input checks guarantee (both classes,
    # positive counts): then its steps fell short (float32 multinomial near separation), and the
    # λ is uncertified (a gap of √max: MAX_ITER; the solve goes on), not reported without a
    # minimizer: it stopped there, and those λs now converge.
    failed = jnp.inf if free else jnp.sqrt(jnp.finfo(gap.dtype).max)
    if fcols is not None:  # (more free coordinates than the host counted: λρv that underflow)
        failed = jnp.where(_covers(fcols, pen), failed, jnp.sqrt(jnp.finfo(gap.dtype).max))
    gap = jnp.where(ref.ok, gap + slack, failed)
    return primal, gap, (ref if refit else ref.g)


# ----------------------------------------------------------------------------------------------
# FISTA with restart and lazy backtracking, for one λ (vmap it over a block of λs).


def _progress(gap, primal, best, mark, stale, factor=0.5):
    """A solve's progress at a certificate: ``(best, mark, stale)``, the gap and objective of the
    last certificate that made progress and the certificates since. Progress is a gap lowered
    below ``factor`` times that certificate's, or an objective lowered by more than one unit of
    its rounding (ε |P|): counted from there, slow steady progress adds up and counts."""
    eps = jnp.finfo(primal.dtype).eps
    # (mark (1 ∓ ε) is mark − ε |mark| to the bit, and no inf − inf = NaN at the first mark,
    # which tripped a user's jax_debug_nans in eager mode)
    moved = (gap <= factor * best) | (primal < mark * (1 - eps * jnp.sign(mark)))
    stale = jnp.where(moved, 0, stale + 1)
    return jnp.where(moved, gap, best), jnp.where(moved, primal, mark), stale


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


STEP_START = 1.3  # the squared loss's first step in the engine, 1.3 / L, and the factor by
# which a step the objective's decrease rejects shrinks (so the first rejection falls back to
# 1 / L): Beck and Teboulle's backtracking from L / 1.3. Iterations, warm: A 13,497 → 11,458,
# C 27,125 → 23,455, B 4,597 → 4,247; a first step of 1.2/L: 12,287, 24,195, 4,347; 1.4-1.5/L
# shrink too often on A (12,287-13,277). (Other callers of fista_block start at 1/L.)


# Certificates (of ``check_every`` iterations each) in a row without progress after which a FISTA
# solve stops, as Newton's after NEWTON_STALL steps; progress (:func:`_progress`) is here any new
# lowest gap (beyond one unit of rounding), or an objective lowered by more than ε |P|. float32
# Poisson at small λ (300 × 250 and 700 × 600, means in the thousands): the KKT violation that
# float32's rounding of β leaves keeps gaps at 1e-5 to 3e-4 (the same gaps computed in float64 at
# those points), fluctuating by ±30% from one certificate to the next, while the objectives, in
# float64, are within 1e-11 to 2e-8 · P_null of the optimum (after 2,000-20,000 iterations); FISTA
# ran each such λ to max_iter, 20,000 iterations. Halving the gap as Newton's progress was
# measured and not kept: near float64's floor (tol 1e-13, nearly collinear columns) a gap falls
# steadily but slowly (1.1e-12 → 3e-13 over 10,000 iterations, the objective flat to ε |P|), which
# a halving rule cut short at 1e-10 even with 100 certificates; a new lowest gap keeps such
# solves, while a fluctuating gap sets new lows ever more rarely.
FISTA_STALL = 50


def _fista_step(loss, data, pen, positive, fit_intercept, c: _Carry) -> _Carry:
    g_y, gb_y = _grad(loss, data, c.lin_y, c.y, c.by)
    x_new = _prox(pen, c.y - c.step * g_y, c.step, positive)
    b_new = c.by - c.step * gb_y if fit_intercept else c.by
    lin_new = _linear(data, x_new)
    d, db = x_new - c.y, b_new - c.by
    bound = (_vdot(d, d) + _vdot(db, db)) / (2 * c.step)
    # Backtracking test f(x⁺) ≤ f(y) + ∇f(y)ᵀd + ‖d‖²/(2 step). For the squared loss the left
    # minus the first two terms is exactly ½ dᵀHd, computed without cancellation.
    if loss == "squared":
        curv = _half_dhd(data, d, lin_new - c.lin_y, db)
        accept = curv <= bound * (1 + 1e-9)
    else:
        f_y = _value(loss, data, c.lin_y, c.y, c.by)
        f_new = _value(loss, data, lin_new, x_new, b_new)
        slack = 10 * jnp.finfo(f_y.dtype).eps * (jnp.abs(f_y) + 1)
        accept = f_new <= f_y + _vdot(g_y, d) + _vdot(gb_y, db) + bound + slack
    # Adaptive restart: drop the momentum when it points against the last step.
    restart = _vdot(c.y - x_new, x_new - c.x) + _vdot(c.by - b_new, b_new - c.bx) > 0
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
        step=jnp.where(accept, c.step, c.step * (1 / STEP_START if loss == "squared" else 0.5)),
        n_iter=c.n_iter + 1,
        gap=c.gap,
        primal=c.primal,
    )


def _varying(one: jax.Array, value, dtype) -> jax.Array:
    """``value`` in the shape of ``one``, varying as ``one`` does: batched under ``vmap`` (and
    varying over ``shard_map``'s manual axes), where ``jnp.full_like`` is not. A loop carry that
    is batched from the start lets ``vmap`` batch the loop's body once instead of again until
    the carry's batching settles: tracing and lowering of D's engine program 0.69 → 0.50-0.56 s,
    A quick's 0.33 → 0.29 s."""
    value = jnp.asarray(value, dtype)
    return jnp.where(one == one, value, value)


def _status(gap, tol_abs) -> jax.Array:
    """:class:`Status` of a solve from its final absolute duality gap (int32): NaN is a
    non-finite iterate, +inf a free block that could not be solved (:func:`_certify`)."""
    return jnp.select(
        [jnp.isnan(gap), jnp.isposinf(gap), gap > tol_abs],
        [Status.NONFINITE, Status.UNBOUNDED, Status.MAX_ITER],
        Status.CONVERGED,
    ).astype(jnp.int32)


@functools.partial(
    jit,
    static_argnames=(
        "loss",
        "positive",
        "fit_intercept",
        "check_every",
        "l1_only",
        "free",
        "free_cap",
    ),
)
@highest
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
    free: bool = True,
    free_cap: int = 0,
):
    """Solve one penalized problem by FISTA until ``gap ≤ tol_abs``, ``max_iter`` iterations, or
    a stall (:data:`FISTA_STALL` certificates without progress, or a fixed point: rounding).

    ``pen``, ``beta0``, ``b0``, ``step0`` and ``tol_abs`` may carry a leading block axis (one
    entry per λ), in which case the problems are solved together, vmapped. ``free=False``
    (static) promises that every coordinate is penalized (see :func:`_refit_free`);
    ``free_cap`` (static) > 0 that at most that many are free, at every λ of the block (the
    same ones: every λ > 0), whose columns are then gathered once for every refit
    (:func:`_block_free_columns`).

    Returns:
      ``(beta, b, primal, gap_abs, n_iter, status)``.
    """
    single = beta0.ndim == 1 + len(data.tasks)
    fcols = _block_free_columns(data, pen, single, free=free, free_cap=free_cap,
                                positive=positive)  # fmt: skip

    def solve(pen, beta0, b0, step0, tol_abs):
        lin0 = _linear(data, beta0)
        one = b0[0] if data.tasks else b0  # (scalars per λ: not one per task)
        false = _varying(one, False, bool)
        inf = _varying(one, jnp.inf, one.dtype)
        it0 = _varying(one, 0, jnp.int32)
        init = _Carry(beta0, b0, lin0, beta0, b0, lin0, _varying(one, 1, one.dtype), step0, it0,
                      inf, inf)  # fmt: skip
        init = (init, false, false, (inf, inf, it0))  # carry, final, done, progress

        def body(st):
            c, final, _, prog = st
            # The finishing pass: one plain proximal-gradient step from x (no momentum), so
            # that coordinates that are zero at the optimum come out exactly zero.
            restart = lambda new, old: jnp.where(final, new, old)  # noqa: E731
            c = c._replace(y=restart(c.x, c.y), by=restart(c.bx, c.by),
                           lin_y=restart(c.lin_x, c.lin_y), t=restart(1.0, c.t))  # fmt: skip

            def step(i, c):  # steps past max_iter leave the carry as it is; the finishing
                new = _fista_step(loss, data, pen, positive, fit_intercept, c)  # pass takes one
                go = jnp.where(final, i == 0, c.n_iter < max_iter)
                return jax.tree.map(lambda a, b: jnp.where(go, a, b), new, c)

            step0 = c.step
            c = jax.lax.fori_loop(0, check_every, step, c)
            primal, gap, ref = _certify(
                loss, data, pen, c.lin_x, c.x, c.bx, positive, l1_only, fit_intercept, free,
                refit=True, fcols=fcols,
            )  # fmt: skip
            # The final step cannot raise the objective: the gap measured before it still
            # bounds the suboptimality, and the smaller of the two is kept.
            gap = jnp.where(final, jnp.minimum(gap, c.gap), gap)
            # A fixed point: the certificate of 10 iterations ago, to the last bit, so no more
            # iterations can lower the gap (float32 at its rounding floor: squared loss, 300 ×
            # 400, gaps of 1.0-1.5e-5 against tol 1e-5 identical from iteration 1,000 to 20,000),
            # with the step kept: steps that backtracking rejects leave x, so the certificate,
            # as it was (6 in a row in float32, 300 × 400: stopped at a gap of 2.5e-5, falling).
            fixed = (gap == c.gap) & (primal == c.primal) & (c.step == step0)
            prog = _progress(gap, primal, *prog, factor=1 - jnp.finfo(gap.dtype).eps)
            c = c._replace(gap=gap, primal=primal)
            # A block-coordinate step: x moves to the refit, whose free block (intercept,
            # unpenalized features) is solved exactly with the rest held, and y with it, so
            # that the momentum is kept. It only lowers the objective (the gap still bounds
            # the suboptimality), and FISTA no longer has to solve that block itself: with
            # nearly collinear free columns (cond 1e9) it took > 20,000 iterations.
            move = lambda new, old: jnp.where(ref.ok, new, old)  # noqa: E731
            c = c._replace(
                x=move(ref.beta, c.x), bx=move(ref.b, c.bx), lin_x=move(ref.lin, c.lin_x),
                y=move(c.y + (ref.beta - c.x), c.y), by=move(c.by + (ref.b - c.bx), c.by),
                lin_y=move(c.lin_y + (ref.lin - c.lin_x), c.lin_y),
            )  # fmt: skip
            stop = (gap <= tol_abs) | (c.n_iter >= max_iter) | ~jnp.isfinite(gap) | fixed
            stop = stop | (prog[2] >= FISTA_STALL)
            return c, stop, final, prog

        c, _, _, _ = jax.lax.while_loop(lambda st: ~st[2], body, init)
        return c.x, c.bx, c.primal, c.gap, c.n_iter, _status(c.gap, tol_abs)

    if single:
        return solve(pen, beta0, b0, step0, tol_abs)
    return jax.vmap(solve)(pen, beta0, b0, step0, tol_abs)


# ----------------------------------------------------------------------------------------------
# Orthant-wise Newton for small working sets of the logistic and Poisson losses.


def _resolve(direction, wrong, moving, out0, k0):
    """A Newton direction in which a coordinate at zero leaves only into the orthant its
    pseudo-gradient chose: ``direction(moving)`` is solved, the coordinates ``wrong(out)`` flags
    (at zero, and taken the other way) stay at zero, and it is solved again without them, up to
    three solves in a loop (one solve in the program). Cutting such a coordinate to zero alone
    left a poor direction, whose other entries assumed it moved (steps of 1e-3, a zig-zag of
    hundreds of steps on near-separable fits). ``out0`` and the int ``k0`` give the carry its
    shapes and its variance under ``shard_map``.

    Returns:
      ``(out, wrong(out))``: the last solve and what it still takes the wrong way.
    """

    def body(c):
        moving, _, _, k = c
        out = direction(moving)
        bad = wrong(out)
        return moving & ~bad, out, jnp.any(bad), k + 1

    _, out, _, _ = jax.lax.while_loop(lambda c: c[2] & (c[3] < 3), body,
                                      (moving, out0, k0 == 0, k0))  # fmt: skip
    return out, wrong(out)


def _backtrack(trial, accept, slope, d, d_grad, start, f0):
    """Armijo backtracking for a Newton step: ``trial(t, d)`` at t = 1, ½, ¼, … until
    ``accept(*point)``, along the direction ``d``, then along ``d_grad`` (the scaled gradient)
    if 40 halvings were not enough (a near-singular Hessian on a near-separable fit: Newton
    steps of 1e10). One trial in the program, whose point the loop keeps; ``start`` (the
    current point) and the scalar ``f0`` give the carry its shapes and its variance under
    ``shard_map``.

    Returns:
      ``(point, stuck)``: the last point tried, and whether the step is stuck there (no step
      along either direction was accepted, or ``slope(·)`` of its direction is not negative).
    """
    no = jnp.zeros_like(f0, dtype=bool)

    def along(grad_dir):
        return jax.tree.map(lambda a, g: jnp.where(grad_dir, g, a), d, d_grad)

    def body(c):
        t, k, grad_dir, *_ = c
        point = trial(t, along(grad_dir))
        ok = accept(*point)
        out = ~ok & (k >= 39)  # (40 trials along this direction)
        switch, failed = out & ~grad_dir, out & grad_dir
        over = ok | failed
        t = jnp.where(over, t, jnp.where(switch, 1.0, t / 2))
        k = jnp.where(over, k, jnp.where(switch, 0, k + 1))
        return t, k, grad_dir | switch, point, failed, over

    init = (jnp.ones_like(f0), jnp.zeros_like(f0, dtype=jnp.int32), no, start, no, no)
    _, _, grad_dir, point, failed, _ = jax.lax.while_loop(lambda c: ~c[-1], body, init)
    return point, failed | ~(slope(along(grad_dir)) < 0)


class _Newton(NamedTuple):
    beta: jax.Array
    b: jax.Array
    lin: jax.Array
    n_iter: jax.Array
    gap: jax.Array
    primal: jax.Array
    done: jax.Array
    best: jax.Array  # the gap at the last step that made progress (see NEWTON_STALL)
    mark: jax.Array  # the objective there
    stale: jax.Array  # steps since then


# Newton steps in a row that make no progress before a solve stops: progress is a gap halved, or
# an objective lowered by more than one unit of its rounding (ε |P|), since the last step that
# made some. A solve that stalls is at the level of rounding: float32 on a near-separable
# logistic fit (|Xβ| of 100s, ε|X||β| ≈ 1e-4) certified 1e-4 for 200-400 steps per λ, 18×
# float64's time, at points whose objective (in float64) was optimal to 1e-12 (now 7× fewer
# steps). The gap alone is not enough, nor a larger unit: float32 elastic net on columns scaled
# from 0.01 to 100, unstandardized, lowers both slowly for 100s of steps; stopped after 10
# steps without halving its gap, 32 of 100 λs were left unconverged at gaps up to 6e-3 where
# the old code left 16 at 9e-5 (with 64 ε |P|: gaps up to 7e-4; with ε |P|: as the old code).
NEWTON_STALL = 10


def _newton_loop(loss, data, pen, beta0, b0, lin0, primal0, tol_abs, max_iter, step, *,
                 positive, fit_intercept, free, fcols=None):  # fmt: skip
    """Newton ``step`` s (a :class:`_Newton` to the next) from ``beta0``, ``b0`` until the
    duality gap certifies ``tol_abs``, the step is stuck, the solve stalls (:data:`NEWTON_STALL`
    steps without progress) or ``max_iter``: at least one step (a warm start within the
    tolerance still moves towards the optimum, e.g. off zero just below λ_max), certified after
    each, in one loop (the step and the certificate compiled once). Returns the last
    :class:`_Newton` and the free-block refit (:class:`_Refit`) of its certificate."""
    one = b0 if b0.ndim == 0 else b0[0]  # (one intercept per class: scalars per problem)

    def certify(st: _Newton):
        primal, gap, ref = _certify(loss, data, pen, st.lin, st.beta, st.b, positive, False,
                                    fit_intercept, free, refit=True, fcols=fcols)  # fmt: skip
        best, mark, stale = _progress(gap, primal, st.best, st.mark, st.stale)
        done = st.done | (gap <= tol_abs) | ~jnp.isfinite(gap) | (st.n_iter >= max_iter)
        done = done | (stale >= NEWTON_STALL)
        return st._replace(
            gap=gap, primal=primal, done=done, best=best, mark=mark, stale=stale
        ), ref

    inf, izero = _varying(one, jnp.inf, one.dtype), _varying(one, 0, jnp.int32)
    false = _varying(one, False, bool)  # (see _varying)
    st = _Newton(beta0, b0, lin0, izero, inf, _varying(one, primal0, one.dtype), false, inf, inf,
                 izero)  # fmt: skip
    ref = _Refit(lin0, beta0, b0, beta0, false, b0)
    return jax.lax.while_loop(lambda c: ~c[0].done, lambda c: certify(step(c[0])), (st, ref))


@functools.partial(jit, static_argnames=("loss", "positive", "fit_intercept", "free", "free_cap"))
@highest
def newton_block(
    data: Data,
    pen: Penalty,
    beta0: jax.Array,
    b0: jax.Array,
    tol_abs: jax.Array,
    max_iter,
    *,
    loss: str,
    positive: bool,
    fit_intercept: bool,
    free: bool = True,
    free_cap: int = 0,
):
    """Solve one penalized problem on a small working set by orthant-wise Newton steps, until
    ``gap ≤ tol_abs`` or ``max_iter`` steps (``data``: a working set in pieces, ``Xc``).

    Each step forms the Hessian of the smooth part on all of the working set's columns (and the
    intercept), takes the Newton step on the coordinates that are nonzero or whose
    pseudo-gradient (the minimal-norm subgradient) is nonzero, lets a coordinate at zero leave
    only into the orthant its pseudo-gradient chose, and backtracks (Armijo) along the path
    projected onto the orthant of the current signs (Andrew & Gao's OWL-QN, with the exact
    Hessian), so coordinates that cross zero stop at exactly zero. Near the optimum the support
    is fixed and steps are Newton's: quadratic convergence, where FISTA slows down with the
    conditioning of a near-separable fit. A step costs ``m² n`` for a working set of ``m``
    columns (the Hessian, from the active chunks only) and ``m³`` (its solve): for capacities
    of a few hundred at most. Certified by the duality gap as :func:`fista_block`; ``pen``,
    ``beta0``, ``b0`` and ``tol_abs`` may carry a leading block axis; ``free_cap`` as
    :func:`fista_block`'s.

    Returns:
      ``(beta, b, primal, gap_abs, n_iter, status)``.
    """
    fcols = _block_free_columns(data, pen, beta0.ndim == 1, free=free, free_cap=free_cap,
                                positive=positive)  # fmt: skip
    # The working set as chunks of the first piece's width (Newton's capacities, at most
    # NEWTON_MAX columns, are all one-chunk pieces), once per solve; ``active`` chunks in use.
    chunk = data.Xc[0].shape[0]
    chunks = jnp.concatenate(data.Xc).reshape(-1, chunk, data.Xc[0].shape[1])
    active = (data.active + chunk - 1) // chunk
    n_chunks = chunks.shape[0]
    M = n_chunks * chunk
    dtype = chunks.dtype
    eps = jnp.finfo(dtype).eps
    has_b = fit_intercept

    def objective(pen, beta, b, lin):
        return _value(loss, data, lin, beta, b) + _penalty_value(pen, beta)

    def hessian(w):
        """``Xᵀ diag(w) X`` on the working set, from the active chunks' blocks only."""
        if n_chunks == 1:
            return _dot(chunks[0] * w, chunks[0].T)

        def row(a, H):
            Xa = chunks[a] * w

            def col(c, H):
                block = _dot(Xa, chunks[c].T)
                return jax.lax.dynamic_update_slice(H, block, (a * chunk, c * chunk))

            return jax.lax.fori_loop(0, active, col, H)

        H = jnp.zeros((M, M), dtype) + jnp.zeros_like(w[0])
        return jax.lax.fori_loop(0, active, row, H)

    def solve_active(A, rhs):
        """``A⁻¹ rhs`` for ``A`` the identity outside the active chunks and the intercept: a
        solve of the active size only (one branch per number of active chunks)."""
        if n_chunks == 1:
            return _solve(A, rhs)

        def branch(k):
            keep = np.concatenate([np.arange(k * chunk), [M]])

            def solve(A, rhs):
                return jnp.zeros_like(rhs).at[keep].set(_solve(A[keep][:, keep], rhs[keep]))

            return solve

        index = jnp.clip(active - 1, 0, n_chunks - 1)
        return jax.lax.switch(index, [branch(k) for k in range(1, n_chunks + 1)], A, rhs)

    def step(pen, st: _Newton) -> _Newton:
        beta, b, lin = st.beta, st.b, st.lin
        r = data.s * _residual(loss, data.y, lin + b)
        w = data.s * _curvature(loss, lin + b)
        g = _rmatvec(data, r) + pen.l2 * beta  # smooth part with the ridge term
        gb = jnp.sum(r) if has_b else jnp.zeros_like(b)
        real = pen.mask > 0
        # The pseudo-gradient: the subgradient of least norm (zero where 0 is in it).
        up, down = g + pen.l1, g - pen.l1
        at_zero = jnp.where(up < 0, up, jnp.where((down > 0) & (not positive), down, 0))
        pg = jnp.where(beta > 0, up, jnp.where(beta < 0, down, at_zero)) * real
        sign = jnp.where(beta != 0, jnp.sign(beta), -jnp.sign(pg))
        moving = real & ((beta != 0) | (pg != 0))
        H = hessian(w) + jnp.diag(pen.l2)
        hb = _rmatvec(data, w)
        hbb = jnp.where(has_b, jnp.sum(w), 1)
        rhs = -jnp.concatenate([pg, gb[None]])

        def newton_direction(moving):
            """The system on the moving coordinates and the intercept; identity elsewhere."""
            A = jnp.zeros((M + 1, M + 1), dtype)
            A = A.at[:M, :M].set(jnp.where(moving[:, None] & moving[None, :], H, 0))
            A = A.at[:M, M].set(jnp.where(moving & has_b, hb, 0))
            A = A.at[M, :M].set(jnp.where(moving & has_b, hb, 0))
            A = A.at[M, M].set(hbb)
            fixed = jnp.concatenate([~moving, jnp.array([not has_b])])
            scale = jnp.max(jnp.where(fixed, 0, jnp.diagonal(A)), initial=0) + jnp.finfo(dtype).tiny
            damp = 16 * eps * scale * (M + 1)  # a singular block (collinear columns) solvable
            d = solve_active(A + jnp.diag(jnp.where(fixed, 1.0, damp)), rhs)
            return d[:M] * moving, d[M] * has_b, scale

        zero = jnp.zeros_like(b)
        (d_beta, d_b, scale), wrong = _resolve(
            newton_direction, lambda out: (beta == 0) & (out[0] * pg > 0), moving,
            (jnp.zeros_like(beta), zero, zero), jnp.zeros_like(b, jnp.int32),
        )  # fmt: skip
        d_beta = jnp.where(wrong, 0, d_beta)
        slope = pg @ d_beta + gb * d_b
        finite = jnp.all(jnp.isfinite(d_beta)) & jnp.isfinite(d_b)
        fallback = ~(slope < 0) | ~finite  # a scaled gradient step instead
        safe = jnp.where(moving, jnp.maximum(jnp.diagonal(H), scale * eps), 1)
        g_beta, g_b = -pg / safe, -gb / jnp.maximum(hbb, scale * eps)
        d_beta = jnp.where(fallback, g_beta, d_beta)
        d_b = jnp.where(fallback, g_b, d_b)
        f0 = st.primal

        def trial(t, d):
            d_beta, d_b = d
            nb = beta + t * d_beta
            nb = jnp.where((beta != 0) | moving, jnp.where(nb * sign < 0, 0, nb), nb)
            nb = jnp.maximum(nb, 0) if positive else nb
            return nb, b + t * d_b, _linear(data, nb)

        def accept(nb, nbb, nl):
            f = objective(pen, nb, nbb, nl)
            return f <= (f0 + 1e-4 * (pg @ (nb - beta) + gb * (nbb - b))
                         + 8 * eps * jnp.abs(f0))  # fmt: skip

        (nb, nbb, nl), stuck = _backtrack(
            trial, accept, lambda d: pg @ d[0] + gb * d[1], (d_beta, d_b), (g_beta, g_b),
            (beta, b, lin), f0,
        )  # fmt: skip
        beta = jnp.where(stuck, beta, nb)
        b = jnp.where(stuck, b, nbb)
        lin = jnp.where(stuck, lin, nl)
        return st._replace(beta=beta, b=b, lin=lin, n_iter=st.n_iter + 1, done=stuck)

    def solve(pen, beta0, b0, tol_abs):
        lin0 = _linear(data, beta0)
        st, ref = _newton_loop(
            loss, data, pen, beta0, b0, lin0, objective(pen, beta0, b0, lin0), tol_abs, max_iter,
            functools.partial(step, pen), positive=positive, fit_intercept=fit_intercept,
            free=free, fcols=fcols,
        )  # fmt: skip
        beta, b = st.beta, st.b
        if not positive:  # the free block solved exactly, as fista_block does
            beta, b = jnp.where(ref.ok, ref.beta, beta), jnp.where(ref.ok, ref.b, b)
        return beta, b, st.primal, st.gap, st.n_iter, _status(st.gap, tol_abs)

    if beta0.ndim == 1:
        return solve(pen, beta0, b0, tol_abs)
    return jax.vmap(solve)(pen, beta0, b0, tol_abs)


# ----------------------------------------------------------------------------------------------
# Orthant-wise Newton for small working sets of the multinomial loss (entrywise penalty).


def _softmax_curvature(mu: jax.Array, sm: jax.Array, u: jax.Array) -> jax.Array:
    """The softmax Hessian applied to each row of ``u`` ``(n, C)``, weighted:
    ``s_i (diag μ_i − μ_i μ_iᵀ) u_i`` (``sm`` = ``s μ``), the inner factor of the multinomial
    loss's Hessian-vector products ``Xᵀ(·)X``."""
    return sm * (u - jnp.sum(mu * u, axis=1, keepdims=True))


CG_STEPS = 200  # conjugate-gradient iterations per Newton step of softmax_newton_block
BLOCK_PRECONDITIONER = 20  # softmax_newton_block's class blocks while (M+1)² ≤ this × rows


def _row_shift(l1: jax.Array, l2: jax.Array, z: jax.Array) -> jax.Array:
    """For each row ``z_j`` of ``z`` ``(M, C)``, the shift ``c_j`` that minimizes
    ``Σ_k l1_j |z_jk − c| + l2_j/2 (z_jk − c)²`` (``l1``, ``l2`` ``(M,)``): the softmax loss
    does not see it (a constant added to every class's score), so it only lowers the penalty.
    ``l2 = 0``: a median (the one closest to 0 when the median is an interval, so a row that is
    already optimal does not move); ``l2 > 0``: the minimum of the convex piecewise quadratic,
    over the clipped stationary points of its ``C + 1`` pieces."""
    C = z.shape[-1]
    srt = jnp.sort(z, axis=-1)
    median = jnp.clip(0, srt[:, (C - 1) // 2], srt[:, C // 2])
    m = jnp.arange(C + 1, dtype=z.dtype)  # values below the piece
    inf = jnp.full_like(srt[:, :1], jnp.inf)
    lower, upper = jnp.concatenate([-inf, srt], -1), jnp.concatenate([srt, inf], -1)
    ridge = l2 > 0
    safe = jnp.where(ridge, l2, 1)
    stat = jnp.mean(z, -1)[:, None] - (l1 / (safe * C))[:, None] * (2 * m - C)
    cand = jnp.clip(stat, lower, upper)  # (M, C + 1)
    dz = z[:, None, :] - cand[:, :, None]
    f = jnp.sum(l1[:, None, None] * jnp.abs(dz) + 0.5 * l2[:, None, None] * dz**2, axis=-1)
    best = jnp.take_along_axis(cand, jnp.argmin(f, axis=-1)[:, None], -1)[:, 0]
    return jnp.where(ridge, best, median)


@functools.partial(jit, static_argnames=("fit_intercept", "free"))
@highest
def softmax_newton_block(
    data: Data,
    pen: Penalty,
    beta0: jax.Array,
    b0: jax.Array,
    tol_abs: jax.Array,
    max_iter,
    *,
    fit_intercept: bool,
    free: bool = False,
):
    """Solve one multinomial problem with an entrywise penalty (``pen`` ``(M, C)``) on a
    working set by orthant-wise Newton steps, until ``gap ≤ tol_abs`` or ``max_iter`` steps
    (``data``: a working set in pieces, ``Xc``; β ``(M, C)``, ``b`` ``(C,)``).

    :func:`newton_block` on the class axis: the coordinates are the entries ``B_jk`` and the
    intercepts (a last row of ones in ``Xa``), the Hessian the softmax's,
    ``H[(j,k),(l,k')] = Σ_i s_i x_ij x_il μ_ik (δ_kk' − μ_ik')``. It is singular along each
    row's all-ones direction and the intercepts' (a constant added to every class's score
    changes nothing). Each step first moves along those directions exactly: every row is
    shifted by the constant that minimizes its penalty (:func:`_row_shift`, a median for the
    lasso), at no cost to the loss. The Newton system on the moving entries is then solved on
    the complement of the null directions of the rows whose entries all move (the right-hand
    side loses its mean over each such row; the operator is the identity times ``κ`` along
    them: the least-norm step) by conjugate gradients on Hessian-vector products
    (``n M C`` each, as a FISTA iteration), preconditioned by the classes' diagonal blocks
    ``Xa diag(s μ_k (1 − μ_k)) Xaᵀ`` (formed once per solve, ``C M² n``, float32) while
    their inverses (``C M³`` per step) cost a few of those products
    (:data:`BLOCK_PRECONDITIONER`), else by the blocks' diagonals, and stopped at a residual
    that shrinks with the gradient (inexact Newton: superlinear). The explicit ``(M C)²``
    Hessian (``n (M C)²`` per step) was 5-10× slower on digits; the blocks at 512 features
    and 2,000 rows 6× slower than their diagonals (80 λs, 3 classes: 45 s against 7 s), on
    digits' 1,797 rows and 61 features their diagonals 1.3× slower than them.
    Certified by the duality gap as :func:`fista_block`; ``pen``, ``beta0``, ``b0`` and
    ``tol_abs`` may carry a leading block axis.

    Returns:
      ``(beta, b, primal, gap_abs, n_iter, status)``.
    """
    M = data.n_features
    dtype = data.Xc[0].dtype
    eps = jnp.finfo(dtype).eps
    has_b = fit_intercept
    Xa = jnp.concatenate([*data.Xc, jnp.ones_like(data.Xc[0][:1])], 0)  # (M+1, n)
    loss = MULTINOMIAL

    def objective(pen, beta, b, lin):
        return _value(loss, data, lin, beta, b) + _penalty_value(pen, beta)

    # The preconditioner: the classes' diagonal blocks while inverting them costs at most a
    # few CG iterations (C (M+1)³ against 2 n (M+1) C each), else their diagonals.
    blockwise = (M + 1) ** 2 <= BLOCK_PRECONDITIONER * data.Xc[0].shape[1]

    def curvature(lin, b):
        """The classes' diagonal blocks of the Hessian ``Xa diag(s μ_k (1 − μ_k)) Xaᵀ``
        ``(C, M+1, M+1)`` (float32 products), or their diagonals ``(C, M+1)``: once per
        solve, at its warm start."""
        mu = mean_function(loss, lin + b)
        w = _weighted(data.s, mu * (1 - mu)).T  # (C, n)
        if not blockwise:
            return _dot(w, jnp.square(Xa).T)
        Xf = Xa.astype(jnp.float32)
        return _dot(Xf[None] * w.astype(jnp.float32)[:, None, :], Xf.T).astype(dtype)

    def step(pen, curv, st: _Newton) -> _Newton:
        beta, b = st.beta, st.b
        # Along the null directions first: each row shifted to its penalty's minimum.
        shift = _row_shift(pen.l1[:, 0], pen.l2[:, 0], beta) * pen.mask[:, 0]
        beta = (beta - shift[:, None]) * pen.mask
        lin = st.lin - _dot(shift, Xa[:M])[:, None]
        f0 = objective(pen, beta, b, lin)
        mu = mean_function(loss, lin + b)
        r = _weighted(data.s, mu - data.y)
        z = jnp.concatenate([beta, b[None]])  # (M + 1, C): the intercept as a last row
        g = jnp.concatenate([_dot(Xa[:M], r) + pen.l2 * beta, jnp.sum(r, 0)[None]])
        l1 = jnp.concatenate([pen.l1, jnp.zeros_like(b)[None]])
        l2 = jnp.concatenate([pen.l2, jnp.zeros_like(b)[None]])
        real = jnp.concatenate([pen.mask, jnp.full_like(b, has_b)[None]]) > 0
        kinked = real & (l1 > 0)
        # The pseudo-gradient: the subgradient of least norm (zero where 0 is in it).
        up, down = g + l1, g - l1
        at_zero = jnp.where(up < 0, up, jnp.where(down > 0, down, 0))
        pg = jnp.where(z > 0, up, jnp.where(z < 0, down, at_zero)) * real
        sign = jnp.where(z != 0, jnp.sign(z), -jnp.sign(pg))
        moving = real & ((z != 0) | (pg != 0) | ~kinked)

        def centered(v):
            """``v`` without its intercepts' mean: a shift of every intercept changes neither
            the loss nor the slope (``pg``'s intercept row sums to 0), and leaving ``Σ_c b_c``
            at the warm start's, as FISTA's steps do, makes the intercepts a function of the
            problem (the preconditioned CG and the scaled gradient would move that sum by
            amounts that depend on the iterates: integer weights and repeated rows then gave
            intercepts apart by a constant, scikit-learn's sample-weight equivalence check)."""
            return v.at[M].add(-jnp.mean(v[M])) if has_b else v

        sm = _weighted(data.s, mu)
        diag = (jnp.diagonal(curv, axis1=1, axis2=2) if blockwise else curv) + l2.T  # (C, M+1)
        scale = jnp.max(jnp.where(moving.T, diag, 0), initial=0) + jnp.finfo(dtype).tiny
        damp = 16 * eps * scale * moving.size  # keeps singular blocks (collinear columns) solvable
        kzero = jnp.zeros_like(f0, dtype=jnp.int32)

        def direction(moving):
            """The Newton system on the moving entries, by conjugate gradients on Hessian-vector
            products (n·M·C each) preconditioned by the classes' diagonal blocks of the Hessian
            on them (or their diagonals)."""
            full = jnp.all(moving, axis=1)  # rows with a null direction
            mk = moving.T  # (C, M+1)
            if blockwise:
                eye = jnp.eye(M + 1, dtype=dtype)
                P = jnp.where(mk[:, :, None] & mk[:, None, :], curv + l2.T[:, :, None] * eye, 0)
                P = P + eye * jnp.where(mk, damp, 1.0)[:, :, None]
                Pinv = _inv(P)  # (one matrix per LAPACK call: see _one_matrix_per_call)

                def precond(v):
                    return jnp.einsum("kab,bk->ak", Pinv, v, precision=HIGHEST)

            else:  # (P's diagonal)
                Pd = jnp.where(mk, diag + damp, 1.0).T

                def precond(v):
                    return v / Pd

            def project(v):  # onto the moving entries, without the null directions of full rows
                v = v * moving
                return v - jnp.where(full[:, None], jnp.mean(v, axis=1, keepdims=True), 0)

            def hvp(v):
                q = project(v)
                w = _softmax_curvature(mu, sm, _dot(Xa.T, q))  # (n, C)
                return project(_dot(Xa, w) + l2 * q) + scale * (v - q) + damp * v

            rhs = -project(pg)
            rr0 = jnp.sum(rhs * rhs)
            # Inexact Newton: the residual's relative tolerance falls with the gradient's norm
            # (superlinear convergence; loose while far from the optimum, where the orthant
            # moves).
            cg_tol = jnp.minimum(0.1, jnp.sqrt(jnp.sqrt(rr0))) ** 2 * rr0

            def cg_cond(c):
                return (c[4] > cg_tol) & (c[5] < CG_STEPS)

            def cg_body(c):
                x, r, zr, p, rr, k = c
                hp = hvp(p)
                php = jnp.sum(p * hp)
                a = jnp.where(php > 0, zr / jnp.where(php > 0, php, 1), 0)
                x, r = x + a * p, r - a * hp
                zn = precond(r)
                zr_new = jnp.sum(zn * r)
                p = zn + (zr_new / jnp.where(zr > 0, zr, 1)) * p
                return x, r, zr_new, p, jnp.sum(r * r), jnp.where(php > 0, k + 1, CG_STEPS)

            z0 = precond(rhs)
            init = (jnp.zeros_like(rhs), rhs, jnp.sum(z0 * rhs), z0, rr0, kzero)
            d, *_ = jax.lax.while_loop(cg_cond, cg_body, init)
            return centered(d * moving)

        d, wrong = _resolve(direction, lambda d: kinked & (z == 0) & (d * pg > 0), moving,
                            jnp.zeros_like(z), kzero)  # fmt: skip
        d = jnp.where(wrong, 0, d)
        slope = jnp.sum(pg * d)
        fallback = ~(slope < 0) | ~jnp.all(jnp.isfinite(d))  # a scaled gradient step instead
        safe = jnp.where(moving, jnp.maximum(diag.T, scale * eps), 1)
        d_grad = centered(-pg / safe)
        d = jnp.where(fallback, d_grad, d)

        def trial(t, d):
            nz = z + t * d
            nz = jnp.where(kinked & (nz * sign < 0), 0, nz)
            return nz[:M], nz[M], _dot(Xa[:M].T, nz[:M])

        def accept(nb, nbb, nl):
            f = objective(pen, nb, nbb, nl)
            dec = jnp.sum(pg[:M] * (nb - beta)) + jnp.sum(pg[M] * (nbb - b))
            return f <= f0 + 1e-4 * dec + 8 * eps * jnp.abs(f0)

        (nb, nbb, nl), stuck = _backtrack(
            trial, accept, lambda d: jnp.sum(pg * d), d, d_grad, (beta, b, lin), f0
        )  # fmt: skip
        return st._replace(beta=jnp.where(stuck, beta, nb), b=jnp.where(stuck, b, nbb),
                           lin=jnp.where(stuck, lin, nl), n_iter=st.n_iter + 1,
                           done=stuck)  # fmt: skip

    def solve(pen, beta0, b0, tol_abs):
        lin0 = _linear(data, beta0)
        st, ref = _newton_loop(
            loss, data, pen, beta0, b0, lin0, jnp.inf, tol_abs, max_iter,
            functools.partial(step, pen, curvature(lin0, b0)), positive=False,
            fit_intercept=fit_intercept, free=free,
        )  # fmt: skip
        beta = st.beta
        b = jnp.where(ref.ok, ref.b, st.b)
        return beta, b, st.primal, st.gap, st.n_iter, _status(st.gap, tol_abs)

    if beta0.ndim == 2:
        return solve(pen, beta0, b0, tol_abs)
    return jax.vmap(solve)(pen, beta0, b0, tol_abs)


def _unit(u: jax.Array) -> jax.Array:
    """``u / ‖u‖`` (Frobenius; a zero ``u`` stays zero): a step of the power iteration."""
    return u / jnp.maximum(jnp.linalg.norm(u), jnp.finfo(u.dtype).tiny)


def _power_start(m: int, dtype) -> jax.Array:
    """The power iteration's start over ``m`` features: ``1 + j/m``, all entries distinct. A
    constant start is orthogonal to ``e_a − e_b``, the top direction of two columns that are
    each other's negative (a binary feature and its complement, centred): on a working set of
    just those, the iteration collapsed to 0, the estimate to the smallest normal number, and
    FISTA's first step to 1e307 (coefficients of 1e305 and NaN gaps, found by a fuzz)."""
    return 1 + jnp.arange(m, dtype=dtype) / m


@functools.partial(jit, static_argnames=("loss", "fit_intercept", "n_power"))
@highest
def lipschitz(
    loss: str, data: Data, fit_intercept: bool, beta=None, b=None, n_power: int = 30
) -> jax.Array:
    """Estimate the Lipschitz constant of the smooth part's gradient by power iteration.

    Squared loss: the top eigenvalue of ``XᵀSX``. Logistic and Poisson: of the Hessian
    ``Xᵀ diag(s μ'(η)) X`` at ``(beta, b)`` (the warm start; ``μ' = μ(1 − μ)`` or ``μ``), which is
    much smaller than the global ¼``XᵀSX`` bound once the fit is good; FISTA's backtracking shrinks
    the step wherever the curvature grows beyond it. The intercept direction is included.
    Multinomial without ``beta``: ½ ``XᵀSX``'s (the softmax Hessian ``diag(μ) − μμᵀ`` is at
    most ½ I); with it, of the Hessian ``B ↦ Xᵀ (s (μ ∘ U − μ (μ·U)))``, ``U = XB``, at the warm
    start, on the complement of its null directions (rows of B constant over the classes).
    """
    if loss == MULTINOMIAL and (beta is None or data.gram):
        return 0.5 * lipschitz("squared", data, fit_intercept, n_power=n_power)
    if loss == MULTINOMIAL:
        mu = mean_function(loss, _linear(data, beta) + (0.0 if b is None else b))  # (n, C)
        sm = _weighted(data.s, mu)

        def hvp(v):
            return _rmatvec(data, _softmax_curvature(mu, sm, _linear(data, v)))

        C = beta.shape[-1]
        # (off the null directions: the classes' columns of v0 sum to zero in every row)
        v0 = (_power_start(beta.shape[0], beta.dtype)[:, None]
              * (jnp.arange(C, dtype=beta.dtype) - (C - 1) / 2))  # fmt: skip
        # (10 steps: as few FISTA iterations as 30 on the problems measured, at a third of the
        # cost, felt on short solves; an estimate below the top is what backtracking is for)
        v = jax.lax.fori_loop(0, min(n_power, 10), lambda _, v: _unit(hvp(v)), _unit(v0))
        top = jnp.vdot(v, hvp(v))
        if fit_intercept:  # the intercepts' block, by Gershgorin: 2 max_c Σ_i s_i μ_ic(1 − μ_ic)
            top = jnp.maximum(top, 2 * jnp.max(jnp.sum(sm * (1 - mu), axis=0)))
        return 1.02 * top + jnp.finfo(top.dtype).tiny
    m = data.n_features
    if data.gram:
        matvec = lambda v: _linear(data, v)  # noqa: E731
        w = None
    else:
        w = data.s
        if loss != "squared":
            eta = (0.0 if beta is None else _linear(data, beta)) + (0.0 if b is None else b)
            mu = mean_function(loss, jnp.zeros_like(data.y) + eta)
            w = data.s * (mu * (1 - mu) if loss == "logistic" else mu)
        matvec = lambda v: _rmatvec(data, w * _linear(data, v))  # noqa: E731
    v0 = _unit(_power_start(m, data.y.dtype if data.y is not None else data.c.dtype))

    v = jax.lax.fori_loop(0, n_power, lambda _, v: _unit(matvec(v)), v0)
    top = v @ matvec(v)
    if fit_intercept and not data.gram:
        top = jnp.maximum(top, jnp.sum(w))  # the intercept direction (centered columns)
    return 1.02 * top + jnp.finfo(top.dtype).tiny


# ----------------------------------------------------------------------------------------------
# Intercept-only fit, λ_max and the pure path.


def null_intercept(loss: str, y, s, fit_intercept: bool, xp=jnp):
    """The intercept b₀ of the intercept-only model (0 without intercept); ``xp`` is
    ``jax.numpy`` or NumPy."""
    if not fit_intercept:
        return xp.zeros(y.shape[1:], y.dtype)
    ybar = xp.sum(s * y) / xp.sum(s) if y.ndim == 1 else (s @ y) / xp.sum(s)  # (per task)
    if loss == "squared":
        return ybar
    if loss == "logistic":  # log(ȳ / (1 − ȳ)), with 1 − ȳ as Σ s (1 − y) / Σ s where ȳ is
        # near 1 (1 − ȳ loses digits there): in float32 ȳ rounds to 1 when the positives weigh
        # 1e8 times the rest (an intercept of inf, NaN gaps)
        q = xp.sum(s * (1 - y)) / xp.sum(s)
        return xp.log(ybar) - xp.where(ybar <= 0.9, xp.log1p(-ybar), xp.log(q))
    return xp.log(ybar)


@functools.partial(jit, static_argnames=("loss", "fit_intercept", "positive"))
@highest
def lambda_max(X, y, s, penalty_factor, l1_ratio, *, loss, fit_intercept, positive=False):
    """Smallest λ at which all penalized coefficients are 0:
    ``max_j |∇_j L(β₀, b₀)| / (ρ v_j)`` over ``v_j > 0`` (only positive correlations when
    ``positive``), at the fit ``(β₀, b₀)`` of the unpenalized block: the intercept and the
    features with ``v_j = 0``, every penalized coefficient at 0 (as glmnet and
    :func:`l1jax.path`). NaN when that block has no finite fit (classes it separates).

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import solvers
      >>> X = jnp.array([[1.0, 2.0], [2.0, 0.0], [3.0, 1.0]]); y = jnp.array([1.0, 2.0, 4.0])
      >>> lmax = solvers.lambda_max(X, y, jnp.ones(3), jnp.ones(2), 1.0, loss="squared",
      ...                           fit_intercept=True)
      >>> round(float(lmax), 4)  # max_j |x_jᵀ(y − ȳ)| / n
      1.0
    """
    n, p = X.shape
    s = normalized_weights(s)
    b0 = null_intercept(loss, y, s, fit_intercept)
    pen = elastic_net(jnp.ones((), X.dtype), 1.0, penalty_factor)
    data = Data(X=X, y=y, s=s, Xt=X.T)  # (the fit of the unpenalized block: Newton steps)
    ref = _refit_free(loss, data, pen, jnp.zeros(n, X.dtype), jnp.zeros(p, X.dtype), b0,
                      positive, fit_intercept)  # fmt: skip
    z = jnp.maximum(-ref.g, 0) if positive else jnp.abs(ref.g)
    ok = (penalty_factor > 0) & (z > 0)  # (ρ = 0: +inf, or 0 where no z can move; not 0/0)
    top = jnp.max(jnp.where(ok, z / jnp.where(ok, penalty_factor * l1_ratio, 1), 0), initial=0)
    return prox._nan_unless(ref.ok, top)  # (no NaN constant: a user's jax_debug_nans)


def normalized_weights(s):
    """Traced sample weights ``s`` divided by their sum, after their largest magnitude (as
    :func:`l1jax._inputs.unit_scale` on the host): the sum of weights of 1e306, or of 1e37 in
    float32, overflowed, and that of 1e-310 underflowed (zero coefficients, NaN gaps). Signs
    are kept, for :func:`certifiable`'s check of negative weights (divided by a negative sum,
    weights of −1 came back CONVERGED). The largest magnitude carries no derivative: the result
    does not depend on the weights' scale, and its derivative ``−s/m²`` was NaN for weights
    below √tiny (1e-20 in float32)."""
    s = s / jax.lax.stop_gradient(jnp.max(jnp.abs(s)))
    return s / jnp.abs(jnp.sum(s))


def gap_scale(loss, y, s, fit_intercept, xp=jnp):
    """``P_null`` (:func:`null_objective`) kept at least the smallest normal number of ``y``'s
    dtype: the scale that relative duality gaps are divided by."""
    return xp.maximum(null_objective(loss, y, s, fit_intercept, xp), xp.finfo(y.dtype).tiny)


def null_objective(loss, y, s, fit_intercept, xp=jnp):
    """``P_null``, the scale of relative gaps: the data loss of the intercept-only model minus
    that of the saturated model (η = the link of y), i.e. half the null deviance. It is the null
    objective itself for the squared and logistic losses (their saturated loss is 0); for the
    Poisson loss, whose values can be negative, it is the positive null deviance / 2. ``xp`` is
    ``jax.numpy`` or NumPy (the host's float64 check of :func:`l1jax.path`)."""
    return _null_and_saturated(loss, y, s, fit_intercept, xp)[0]


def _null_and_saturated(loss, y, s, fit_intercept, xp=jnp):
    """``(P_null, L_null, L_sat)``: see :func:`null_objective`."""
    s = s / xp.sum(s)
    b0 = null_intercept(loss, y, s, fit_intercept, xp)
    null = xp.sum(_weighted(s, _pointwise(loss, y, xp.zeros_like(y) + b0, xp)))
    sat = 0.0
    if loss == "poisson":  # saturated: e^η = y, loss y − y log y (0 log 0 = 0; a scale only,
        # so it stays finite for the slightly negative y of a finite-difference probe)
        pos = y > 0
        sat = xp.sum(s * (y - xp.where(pos, y * xp.log(xp.where(pos, y, 1)), 0)))
    return null - sat, null, sat


@functools.partial(jit, static_argnames=("loss", "fit_intercept", "positive"))
@highest
def _solve_path(
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
    tol=None,
    max_iter: int = 10_000,
) -> SolverResult:
    """Solve the penalized GLM at each λ, warm-starting each from the previous one.

    The pure, traceable core under :func:`l1jax.path`: no standardization, no warnings; checks
    shapes, dtypes and concrete values on the host before tracing (``ValueError``/``TypeError``
    naming the argument; traced values, under ``jit`` or ``vmap``, by their shapes and dtypes
    only); ``jit``, ``vmap`` (over data, λs or folds) and traced hyperparameters all work.
    It solves, for each ``λ`` in ``lambdas`` (in the order given; pass them descending)::

        min_{β, b}  (1/Σs) Σ_i s_i ℓ(y_i, b + x_iᵀβ) + λ Σ_j v_j (ρ |β_j| + (1 − ρ)/2 β_j²)

    with ``ℓ`` as in :mod:`l1jax.losses`, until the relative duality gap ``(P − D)/P_null`` is at
    most ``tol`` (``P_null``: objective of the intercept-only model) or ``max_iter`` iterations.
    The squared loss with an intercept is solved on ``y`` centred (the same fit); the gap adds
    what storing the intercept in the dtype costs (float32: an intercept of 1e6 is 0.03 off, a
    relative gap of 3e-4 for a ``y`` of unit spread). Columns are used as given: in float32,
    centre those whose mean is many times their spread (:func:`l1jax.path` does), else their
    gaps stall above ``tol``, reported ``MAX_ITER``.

    Args:
      X: ``(n, p)`` design matrix, a floating-point array (``jax.Array`` or NumPy).
      y: ``(n,)`` targets (0/1 for logistic, ≥ 0 for poisson).
      lambdas: ``(K,)`` penalty strengths, ≥ 0.
      loss: ``"squared"``, ``"logistic"`` or ``"poisson"`` (static).
      l1_ratio: ρ in [0, 1], a scalar.
      penalty_factor: ``(p,)`` non-negative ``v`` (ones by default).
      sample_weight: ``(n,)`` non-negative ``s`` (ones by default; normalized inside).
      fit_intercept: fit an unpenalized intercept ``b`` (static).
      positive: constrain ``β ≥ 0`` (static).
      tol: relative duality-gap target, ≥ 0 (None: 1e-7 in float64, 1e-5 in float32, as
        :func:`l1jax.path`; float32 cannot certify much tighter gaps).
      max_iter: FISTA iteration cap per λ, ≥ 1 (traced: changing it does not recompile).

    Returns:
      :class:`SolverResult` with ``coef`` ``(K, p)``, ``intercept``, ``gap``, ``n_iter`` and
      ``status`` ``(K,)`` (:attr:`Status.NONFINITE` at every λ when ``X``, ``y`` or the weights
      hold NaN or inf, or when a traced weight or ``l1_ratio`` is out of its range; at a traced
      λ that is negative or NaN).

    Raises:
      ValueError, TypeError: an argument of the wrong shape, dtype or type, or a concrete
        ``lambdas``, ``l1_ratio``, ``tol``, weight or ``max_iter`` out of its range.

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
    s = normalized_weights(s)
    v = jnp.ones(p, dtype) if penalty_factor is None else jnp.asarray(penalty_factor, dtype)
    lambdas = jnp.asarray(lambdas, dtype)
    rho = jnp.asarray(l1_ratio, dtype)
    y = y.astype(dtype)
    shift = y_shift(loss, fit_intercept, y, s)
    data = Data(X=X, y=y - shift, s=s, Xt=X.T)
    scale = gap_scale(loss, data.y, s, fit_intercept)
    tol_abs = jnp.asarray(tol, dtype) * scale  # (None: filled by solve_path, _Checked)
    b0 = null_intercept(loss, data.y, s, fit_intercept)

    def one(carry, lam):
        beta, b = carry  # the warm start carries no derivative along the path
        # FISTA sees no tangents (its loops are never differentiated): the derivatives of the
        # solution come from its optimality conditions on the support (l1jax.implicit).
        dat, pen, tol_a = jax.lax.stop_gradient((data, elastic_net(lam, rho, v), tol_abs))
        st = 1 / lipschitz(loss, dat, fit_intercept, beta, b)  # local curvature at the warm start
        beta, b, _, gap, n_it, status = fista_block(
            dat, pen, beta, b, st, tol_a,
            loss=loss, positive=positive, fit_intercept=fit_intercept, max_iter=max_iter,
        )  # fmt: skip
        return (beta, b), (beta, b, jax.lax.stop_gradient(gap / scale), n_it, status)

    init = (jnp.zeros(p, dtype), b0.astype(dtype))
    _, (beta, b, gap, n_iter, status) = jax.lax.scan(one, init, lambdas)
    # The derivatives attached outside the loop, one λ each (vmap): inside the scan, reverse
    # mode over reverse mode lost their own derivatives (a second derivative came out 0)
    coef, intercept = jax.vmap(
        lambda beta, b, lam: implicit.attach(
            beta,
            b,
            X,
            data.y,
            lam,
            rho,
            v,
            s,
            loss=loss,
            fit_intercept=fit_intercept,
            positive=positive,
        )  # fmt: skip
    )(beta, b, lambdas)
    intercept, gap, status = shifted_back(intercept, shift, gap, status, scale, tol)
    status = certifiable(status, X, data.y, s, v, rho, lambdas)
    return SolverResult(lambdas, coef, intercept, gap, n_iter, status)


def y_shift(loss, fit_intercept, y, s) -> jax.Array:
    """What the traceable solvers subtract from ``y`` (``s``: weights summing to 1): the
    squared loss with an intercept is solved on ``y`` centred, its intercept taking the mean
    back (:func:`shifted_back`). In float32 a ``y`` of mean 1e6 cancelled the gap's terms to
    0, and a λ 33 ``tol`` from its optimum came back CONVERGED (any ``y − c`` has the same fit:
    only the rounding differs). 0 otherwise."""
    if loss == "squared" and fit_intercept:
        return jnp.sum(s * y)
    return jnp.zeros((), y.dtype)


def shifted_back(intercept, shift, gap, status, scale, tol):
    """``(intercept, gap, status)`` of a fit of ``y − shift`` (:func:`y_shift`) as those of
    ``y``'s: the intercept plus ``shift``, and what storing that sum in the dtype may cost
    added to the relative ``gap`` (``scale``: ``P_null``), a λ whose gap then exceeds ``tol``
    no longer CONVERGED: an intercept of 1e6 is stored 0.03 off in float32, a relative 3e-4 on
    a y of unit spread. A shift ``δ`` of the intercept adds ``δ g + ½ δ²`` to the objective
    (the squared loss's curvature along it is 1), where its derivative ``g`` has ``½ g² ≤ G``,
    the absolute gap: at most ``|δ| √(2G) + ½ δ²``."""
    total, rounding = _two_sum(intercept, shift)
    cost = jnp.abs(rounding) * jnp.sqrt(2 * jnp.maximum(gap, 0) / scale) + 0.5 * rounding**2 / scale
    gap = gap + jax.lax.stop_gradient(cost)
    # (only where it added something: a gap at tol, divided by the scale, may round above it;
    # and a gap negative beyond rounding certifies nothing: :func:`negative_floor`)
    unmet = (cost > 0) & ~(gap <= jnp.asarray(tol, gap.dtype)) | (gap < -negative_floor(gap.dtype))
    unmet = (status == Status.CONVERGED) & unmet
    return total, gap, jnp.where(unmet, Status.MAX_ITER, status).astype(status.dtype)


NEGATIVE_GAP = 1000  # ε (of the gap's dtype) below 0 where a relative gap stops being rounding


def negative_floor(dtype) -> float:
    """How far below 0 a relative gap in ``dtype`` may be by rounding alone (measured: 10-20 ε
    in float32, 5e-13 in float64): ``max(1000 ε, 1e-12)``. Below it, weak duality (P ≥ D)
    failed, the dual point infeasible by more than its slack counts, and the λ is not
    certified: a float32 logistic path whose free columns span 10^±6 gave −1.7e-3, CONVERGED
    at tol 1e-10, 7e-5 · P_null from the optimum (solve_path and solve_one too: −9.6e-4,
    2e-4 · P_null off at tol 1e-6)."""
    return max(NEGATIVE_GAP * float(jnp.finfo(dtype).eps), 1e-12)


def _two_sum(a, b):
    """``(a + b, δ)``: the sum as rounded and what its rounding left out, exactly (Knuth's
    TwoSum: ``a + b = sum + δ`` in real numbers)."""
    total = a + b
    b_part = total - a
    return total, (a - (total - b_part)) + (b - b_part)


def certifiable(status, X, y, s, v, rho, lambdas) -> jax.Array:
    """``status``, NONFINITE where the problem is not one a status can certify: NaN or inf in
    the data (they reach the gap as +inf, a free block that cannot be solved: say what they
    are, in one pass over X next to the solves' hundreds), or a traced λ, weight or ρ out of
    its range (not checked on the host: no convex problem; a negative λ came back CONVERGED,
    with a negative gap). For :func:`solve_path` and :func:`l1jax.implicit.solve_one`."""
    finite = jnp.all(jnp.isfinite(X)) & jnp.all(jnp.isfinite(y))
    finite &= jnp.all(jnp.isfinite(s)) & jnp.all(jnp.isfinite(v))
    valid = finite & jnp.all(s >= 0) & jnp.all(v >= 0) & (rho >= 0) & (rho <= 1) & (lambdas >= 0)
    return jnp.where(valid, status, Status.NONFINITE).astype(status.dtype)


class _Checked:
    """``jitted`` (a :func:`l1jax._programs.jit` function) whose calls and lowerings first run
    ``check`` on its arguments, defaults filled in, on the host: outside the trace, where a
    concrete value can still be read and a traced one has its shape and dtype."""

    def __init__(self, name: str, check, jitted):
        functools.update_wrapper(self, jitted, updated=())  # (__wrapped__: jitted)
        self.__name__ = self.__qualname__ = name
        self._check, self._jitted = check, jitted
        self._signature = inspect.signature(jitted)

    def _checked(self, args, kwargs) -> dict:
        """The checked arguments, every one by name, defaults filled in: a default passed
        explicitly (``max_iter=10_000``), or ``tol`` given after its default None, compiled a
        program of its own (jit keys on the arguments given and on None's structure)."""
        refuse_if_forked(self.__name__)
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"{self.__name__}: {err}") from None
        bound.apply_defaults()
        self._check(**bound.arguments)
        arguments = dict(bound.arguments)
        X = arguments["X"]  # (implicit's may be a list, as jnp.asarray takes it)
        dtype = X.dtype if hasattr(X, "dtype") else jnp.result_type(np.asarray(X))
        dtype = jax.dtypes.canonicalize_dtype(dtype)
        if arguments.get("tol", 0.0) is None:  # (the solvers' default, as they fill it)
            arguments["tol"] = default_tol(dtype)
        for name in _VALUES.intersection(arguments):
            arguments[name] = _in_dtype(arguments[name], dtype)
        return arguments

    def __call__(self, *args, **kwargs):
        return self._jitted(**self._checked(args, kwargs))

    def lower(self, *args, **kwargs) -> jax.stages.Lowered:
        return self._jitted.lower(**self._checked(args, kwargs))


# The arguments the solvers cast to X's dtype inside: cast on the host before the call, a
# Python float, a NumPy scalar, an int or a float32 λ are one program (jit keys on the type).
_VALUES = frozenset(
    ("y", "lam", "lambdas", "l1_ratio", "penalty_factor", "sample_weight", "beta_warm",
     "b_warm", "tol")
)  # fmt: skip


def _in_dtype(value, dtype):
    """``value`` in ``dtype``: a JAX array (or tracer) by ``astype`` when it differs, anything
    else by NumPy (no program of its own)."""
    if value is None:
        return None
    if isinstance(value, jax.Array):
        same = value.dtype == dtype and not jax.typeof(value).weak_type
        return value if same else value.astype(dtype)
    with np.errstate(over="ignore"):  # (a value beyond float32: inf, as inside; the status
        return np.asarray(value, dtype)  # says NONFINITE, without NumPy's warning)


def _traced(value) -> bool:
    return isinstance(value, jax.core.Tracer)


def _array(value, name: str, ndim: int, length: int | None = None, what: str = ""):
    """Refuse a ``value`` that is not a real numeric array of ``ndim`` dimensions (and ``length``
    entries along its first, one per ``what``)."""
    if not hasattr(value, "shape") or not hasattr(value, "dtype"):
        raise TypeError(f"{name} must be an array (jax.Array or NumPy), got "
                        f"{type(value).__name__}; pass jnp.asarray({name})")  # fmt: skip
    check_dtype(value, name, ndim)
    if length is not None and value.shape[0] != length:
        raise ValueError(f"{name} must have one entry per {what} ({length}), got shape "
                         f"{value.shape}")  # fmt: skip


def _scalar(value, name: str, *, integer: bool = False):
    """``value`` as a Python number when it is concrete (None when traced), after refusing one
    that is not a 0-d real number (an integer when ``integer``)."""
    kind = "an integer" if integer else "a real number"
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        try:
            dtype = np.asarray(value).dtype
        except (TypeError, ValueError):
            dtype = np.dtype(object)
    allowed = (jnp.integer,) if integer else (jnp.integer, jnp.floating)  # (bools are neither)
    if not any(jnp.issubdtype(dtype, sort) for sort in allowed):
        raise TypeError(f"{name} must be {kind}, got {value!r}")
    if np.ndim(value) != 0:
        raise ValueError(f"{name} must be a scalar, {kind}, got shape {np.shape(value)}")
    return None if _traced(value) else np.asarray(value).item()


def check_glm(X, y, *, loss, l1_ratio, penalty_factor, sample_weight, fit_intercept, positive,
              tol, max_iter) -> None:  # fmt: skip
    """The host checks of the traceable solvers' arguments (:func:`solve_path` and
    :mod:`l1jax.implicit`'s, all but their λs): shapes and dtypes of every argument, the values
    of the concrete ones (a traced value's cannot be read before it is solved for)."""
    check_loss(loss)
    check_flag(fit_intercept, "fit_intercept")
    check_flag(positive, "positive")
    if _sparse.is_sparse(X):
        raise TypeError(
            f"X must be a dense array here, got a sparse {type(X).__name__}: l1jax.path, "
            "cv_path, stability_selection and the estimators fit a sparse X; these traceable "
            "solvers take X.toarray() (a BCOO: X.todense())"
        )
    _array(X, "X", 2)
    if not jnp.issubdtype(X.dtype, jnp.floating):
        raise TypeError(f"X must be a floating-point array, got dtype {X.dtype}; cast it: "
                        "X.astype(float)")  # fmt: skip
    n, p = X.shape
    if n == 0 or p == 0:
        raise ValueError(f"X must have at least one sample and one feature, got shape {X.shape}")
    _array(y, "y", 1, n, "row of X")
    concrete = {}
    for name, weights, length, what in (("penalty_factor", penalty_factor, p, "feature"),
                                        ("sample_weight", sample_weight, n, "sample")):  # fmt: skip
        if weights is None:
            continue
        _array(weights, name, 1, length, what)
        if _traced(weights):
            continue
        concrete[name] = checked = check_weights(weights, name, length, what)
        if name == "penalty_factor":
            check_representable(checked, name, X.dtype)
        if name == "sample_weight":
            check_some_weight(checked)
            _check_weight_scale(checked, X.dtype)
    y_host = None if _traced(y) else np.asarray(y)
    if y_host is not None and (sample_weight is None or "sample_weight" in concrete):
        if np.all(np.isfinite(y_host)):  # (NaN or inf data: status NONFINITE, no error)
            check_targets(y_host, concrete.get("sample_weight"), loss, fit_intercept)
            check_not_tiny(y_host, "y", X.dtype, loss)
    ratio = _scalar(l1_ratio, "l1_ratio")
    if ratio is not None:
        check_scalar(ratio, "l1_ratio", 0.0, 1.0)
    tol_value = _scalar(tol, "tol")
    if tol_value is not None:
        check_scalar(tol_value, "tol", 0.0)  # (0, as in path: max_iter iterations)
    count = _scalar(max_iter, "max_iter", integer=True)
    if count is not None:
        check_int(count, "max_iter", 1, 2**31 - 1, "an int32 count")


def _check_weight_scale(sample_weight: np.ndarray, dtype) -> None:
    """Refuse concrete sample weights whose largest is no normal number of ``dtype``: XLA
    flushes subnormal numbers to 0 (all weights 0: NaN gaps) and casts what is beyond the
    largest to inf. Their scale is free (:func:`normalized_weights` divides by the largest)."""
    dtype = jax.dtypes.canonicalize_dtype(dtype)  # (float64 NumPy X with x64 off: float32)
    info, top = np.finfo(dtype), float(sample_weight.max())
    if not float(info.tiny) <= top <= float(info.max):
        raise ValueError(
            f"sample_weight's largest entry {top:.3g} is not between {info.tiny:.3g} and "
            f"{info.max:.3g}, the normal numbers of {np.dtype(dtype).name}; only the weights' "
            "ratios matter: pass sample_weight / sample_weight.max()"
        )


def _check_solve_path(X, y, lambdas, **options) -> None:
    """The host checks of :func:`solve_path` (:func:`check_glm`, then its λs)."""
    check_glm(X, y, **{**options, "tol": 0.0 if options["tol"] is None else options["tol"]})
    if np.ndim(lambdas) != 1:
        raise ValueError(f"lambdas must be a 1-D array of λs, got shape {np.shape(lambdas)}; "
                         "pass jnp.atleast_1d(lambdas) for one λ")  # fmt: skip
    _array(lambdas, "lambdas", 1)
    if not _traced(lambdas):
        check_lambdas(lambdas, X.dtype)


solve_path = _Checked("solve_path", _check_solve_path, _solve_path)

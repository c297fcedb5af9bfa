"""The working-set engine: a whole regularization path in one compiled program.

One traced loop runs over blocks of neighbouring λs (../DESIGN "Speed"). For each block:

1. **Working set**: the support of the warm start, the unpenalized features, and the best
   strong-rule candidates (Tibshirani et al. 2012) for the block's smallest λ, pruned to
   ``16 + support/4`` candidates.
2. **Rounds**: FISTA with restart (:func:`l1jax.solvers.fista_block`), vmapped over the block,
   on the working set's columns; then the gradient and the certified duality gap
   (:func:`l1jax.solvers._certify`) on all features. Features that violate their optimality
   condition join the working set and the round repeats; early rounds solve loosely (they only
   need to reveal missing features), the last ones to the tolerance.
3. The block's solutions are written into the path and warm-start the next block.

The working set's columns are gathered into a fixed **capacity** ``M``: in pieces of whole
``chunk`` s (:func:`l1jax.solvers.pieces_layout`, each an array of its own) whose products
skip the pieces past the columns in use, or, for FISTA above 512 columns, into one dense array
of the smallest of 4 widths that holds them (M/4, M/2, 3M/4, M: :func:`dense_widths`; a
lasso's first program leaves M out, :func:`solve`). So one program serves every working-set
size up to ``M`` (3M/4 when trimmed) at about the cost of the size actually used. Only when
the working set outgrows that does the loop stop (``State.need``) and the host run the next
program (the same capacity with its widest width, or a larger capacity), which continues
from the same block. Shapes depend on bucketed ``n``, ``p``, ``K`` and ``M`` only, so data of
similar sizes share the compiled programs.

:func:`solve` is the host side: it runs the engine once per capacity (usually once). ``vmap``
of :func:`run` over a leading axis of the problem (folds, subsamples) solves many paths in the
same program; ``need`` then has that axis and the host takes its maximum.

**Multi-task** (squared loss, ``y`` ``(n, m)``): β, the intercept, ``Xβ`` and the gradients get
a trailing task axis (``data.tasks``, static from the shapes). The penalty is then on the rows
``B_j`` (:func:`l1jax.solvers._prox`: block soft-thresholding), and the strong rule, the
violations, the working set and λ_max use the row norms ``‖∇_j‖₂``: a feature enters or leaves
for all tasks at once. One response traces exactly the program it always did.

**Multinomial** (``loss="multinomial"``, ``y`` one-hot ``(n, C)``): the task axis holds the
classes and the loss is the softmax's (:mod:`l1jax.losses`). The penalty is on the rows
(``grouped``, as multi-task) or, with
``Static.entrywise``, on each entry: the penalty's weights are then broadcast to ``(p, C)``, so
:func:`l1jax.solvers._prox` soft-thresholds entrywise and the dual norm is
``max_jc |X_jᵀθ_c| / v_j``, while the working set stays by feature (``max_c |∇_jc|``).
Entrywise working sets take orthant-wise Newton steps on the class axis
(:func:`l1jax.solvers.softmax_newton_block`), the grouped penalty FISTA.

**Groups** (``groups=``, one response): the engine's features are the groups
(``Problem.groups``: the group of each column, in X's own order; no padding, groups of any
sizes). ``v``, ``valid``, the working set, the strong rule, the violations and λ_max are per
group (group norms ``‖∇_g‖₂``, by segment sums), while β and the gradients are per column; the
capacity ``M`` counts columns, a working set gathers the columns of its groups, and the solvers
apply the group penalty of :class:`l1jax.solvers.Penalty` ``groups``. FISTA only.
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from l1jax import _inputs, _sharding, _sparse, solvers
from l1jax._programs import highest, jit, one_blas_thread, program
from l1jax.losses import MULTINOMIAL

__all__ = [
    "Problem", "Start", "State", "bucket", "capacity_for", "fit_path", "init", "run", "solve",
]  # fmt: skip

CHUNK = 128  # columns per chunk of a working set
NEWTON_MAX = 512  # working-set capacities up to this take Newton steps (logistic, Poisson)
NEWTON_STEPS = 200  # Newton steps per block and round
MAX_ROUNDS = 50  # working-set rounds per block
# Power-iteration steps for FISTA's step in each round (solvers.lipschitz: 30 by default). Its
# estimate of the top curvature, from below, lets FISTA take longer steps that backtracking
# rarely rejects, and 60 products per round become 10: with 5 against 30, 1-9% fewer
# iterations and warm A 3.53 → 3.14 s, B 0.36 → 0.23 s, C 0.90 → 0.84 s, D 7.52 → 6.29 s (10
# steps: D 6.70 s). The multinomial keeps its 10 (its tests hold the estimate to the top).
POWER_STEPS = 5
# An experiment's switch (benchmarks/gpu_profile.py --squared-newton), off: the squared loss's
# small design-form working sets by Newton's steps too (exact solves on the orthant) instead of
# FISTA. On a 2-core CPU (2026-12-04, float64, tol 1e-6, warm): A quick 4,439 FISTA
# iterations → 80 Newton steps but 0.128 → 0.216 s; C quick 3,199 → 31, 0.041 → 0.046 s; C
# (200 × 20,000) one λ at a time 13,150 → 146, 1.21 → 1.12 s (FISTA in blocks of 8: 1.07 s).
# On a GPU, whose FISTA iterations are kernel launches (11-19 µs each), not yet measured. Not
# part of a program's key in l1jax's cache: measure it on an empty one.
SQUARED_NEWTON = False
# For the logistic and Poisson losses, the curvature at each λ's warm start: 2 steps. The lower
# estimate lets FISTA start with longer steps, and the products saved count on short solves:
# warm, same hour, 5 → 2: D 10,706 → 9,956 iterations, 4.69 → 4.37 s; the sparse L1 logistic
# path (20000 × 40000) 2,199 → 2,133, 8.36 → 7.80 s (3 steps: D 4.60 s; the squared loss with
# 3: A 2.09 → 2.33 s).
CURVATURE_STEPS = 2
# FISTA's iterations between two certificates (duality gaps) on the working set (solvers'
# default: 10). A block stops at the first check where all its λs are certified, so checking
# more often stops sooner, for one more gap per check. Warm, same hour, 10 → 6: iterations A
# 11,458 → 11,108, B 4,247 → 3,733, C 23,455 → 23,087, D 11,232 → 10,706, sparse L1 logistic
# (20000 × 40000) 2,529 → 2,199; seconds A 2.20 → 2.10, B 0.162 → 0.143, C 0.47 → 0.47, D 5.06
# → 4.72, sparse 9.0 → 8.5 (every 5: C 0.50 s; every 8: B 0.151 s, D 4.56 s; every 4: C 0.52 s).
CHECK_EVERY = 6
# A block's first working set: the support and the best strong-rule candidates, at most
# max(16, support / share). On a sparse X, whose products cost only the working set's stored
# entries, a larger share saves rounds: warm, same hour, /4 → /2: lasso 20000 × 40000 851 → 777
# iterations, 1.45 → 1.25 s; L1 logistic 2,133 → 1,933, 7.61 → 6.41 s (2000 × 4000: 0.42 → 0.38
# and 2.46 → 2.09 s). On a dense X it costs: A 2.15 → 2.63 s, C 0.48 → 0.59 s (D 4.38 → 4.28).
STRONG_SHARE = {False: 4, True: 2}  # (by whether X is sparse)
# λs per FISTA block for the logistic and Poisson losses on a CPU (others: 8; accelerators
# keep 8 too, on the assumption, not measured, that a product for 4 λs costs them about what
# one for 8 does, so that halving the block would only lengthen the path). The block's λs
# start from the solution 1-4 λs back, not 1-8, and their curvatures are closer: warm, same
# hour, 8 → 4: D
# 9,956 → 7,972 iterations, 4.80 → 4.33 s; sparse L1 logistic 20000 × 40000 1,933 → 1,637, 7.78
# → 7.38 s, 2000 × 4000 2.40 → 1.58 s (D with 6: 4.62 s; with 2: 5.92 s). The squared loss keeps
# 8: A 2.37 → 2.38 s, B 0.160 → 0.160, C 0.655 → 0.646, sparse 1.48 → 1.65 s.
GLM_BLOCK = 4
# The squared loss in design form (p > n, dense X, no groups) on a CPU solves one λ at a time
# when its first working set holds at least this share of the columns: each λ starts from the
# one just before, and no λ waits for the slowest of a block, while the checks on all p columns
# (one product per round, not one per 8 λs) stay cheap next to FISTA on the working set. Warm,
# paired (block 8 → 1, tol 1e-6): A 1000 × 5000 3.16 → 2.78 s, A quick 200 × 1000 0.249 → 0.106
# s, C quick 50 × 2000 0.081 → 0.044 s, 500 × 2000 (50 λs) 1.05 → 0.70 s; but C 200 × 20000
# (working set 1/80 of the columns: the checks dominate) 0.69 → 1.14 s, and the Gram form (p ≤
# n) 1.3-1.6× slower (B 10000 × 500: 0.186 → 0.316 s), so both keep 8.
ONE_LAMBDA_SHARE = 1 / 32
# The Gram form (p ≤ n) on a CPU also solves one λ at a time when its padded Gram matrix has at
# most this many columns: such a path costs a few milliseconds either way, and its program
# compiles faster (one λ: no batched products; float64, no tree of reductions, _run_options).
# Paired, new processes, path with 100 λs (compile, warm): 2000 × 30 2.13 → 0.94 s, 5.1 → 7.1
# ms; 1000 × 60 1.85 → 0.97 s, 6.7 → 9.7 ms; 5000 × 25 1.29 → 0.87 s, 2.8 → 6.9 ms; the main
# job's 10-fold cv_path (diabetes, 442 × 10) 1.51-1.75 → 1.01-1.26 s, 61-76 → 90-94 ms. Wider
# Gram matrices keep 8: 300 × 100 compiles 1.52 → 0.85 s but runs 11.4 → 27.0 ms, and B
# (10000 × 500) 0.186 → 0.316 s.
SMALL_GRAM = 64


class Problem(NamedTuple):
    """The traced inputs of one path (a pytree; a leading axis vmaps over many paths).

    Attributes:
      data: :class:`l1jax.solvers.Data` on all features: design form (``Xt`` ``(p, n)``, ``y``,
        ``s`` normalized) or Gram form (``G``, ``c``, ``yy``; squared loss, centred); ``y``
        ``(n, m)`` or ``c`` ``(p, m)`` for a multi-task path.
      lambdas: ``(Kp,)`` λs, descending, padded to whole blocks by repeating the last one. With
        ``relative`` they are fractions of λ_max, computed inside at the start of the path.
      n_lambdas: number of real λs.
      relative: bool, see ``lambdas``.
      rho: ``l1_ratio``.
      v: ``(p,)`` penalty factors.
      valid: ``(p,)`` bool: a real feature whose (standardized) column is not zero.
      tol: relative duality-gap tolerance.
      p_null: the gap scale ``P_null``.
      max_iter: FISTA iteration cap per block and round.
      f_sat: the data loss of the saturated model (0 but for Poisson): with ``p_null`` it
        gives the fraction of deviance explained, ``1 − (F(β) − f_sat) / p_null``.
      early_stop: bool, stop the path by glmnet's rule (:func:`stop_rule`).
      groups: None, or ``(p_cols,)`` ints: a group penalty, the group of each column (``v``
        and ``valid`` are then per group).
      v2: ``(p,)`` the L2 part's penalty factors (None: ``v``), :func:`l1jax.solvers.elastic_net`.
    """

    data: solvers.Data
    lambdas: jax.Array
    n_lambdas: jax.Array
    relative: jax.Array
    rho: jax.Array
    v: jax.Array
    valid: jax.Array
    tol: jax.Array
    p_null: jax.Array
    max_iter: jax.Array
    f_sat: jax.Array
    early_stop: jax.Array
    groups: jax.Array | None = None
    v2: jax.Array | None = None


class State(NamedTuple):
    """Where a path stands (a pytree): what the next capacity continues from.

    Attributes:
      k: first λ of the next block.
      lambdas: ``(Kp,)`` the λs, absolute.
      lambda_max: λ_max of the data (at the fit of the unpenalized block).
      beta, b, grad: the warm start (the last block's smallest λ) and its gradient (``(p,)``,
        ``()``, ``(p,)``; with a task axis ``(p, m)``, ``(m,)``, ``(p, m)``).
      lam_prev: that λ.
      coef, intercept, gap, n_iter, status, dev: ``(Kp, p)`` and ``(Kp,)`` results so far
        (``dev``: the fraction of deviance explained); ``coef`` ``(Kp, p, m)`` and
        ``intercept`` ``(Kp, m)`` with a task axis.
      n_fit: the number of λs the path keeps (``n_lambdas`` unless it stopped early).
      need: 0, or the working-set size the block at ``k`` needs (more than the capacity).
    """

    k: jax.Array
    lambdas: jax.Array
    lambda_max: jax.Array
    beta: jax.Array
    b: jax.Array
    grad: jax.Array
    lam_prev: jax.Array
    coef: jax.Array
    intercept: jax.Array
    gap: jax.Array
    n_iter: jax.Array
    status: jax.Array
    dev: jax.Array
    n_fit: jax.Array
    need: jax.Array


class Static(NamedTuple):
    """The static options of a path (hashable: they key the compiled programs)."""

    loss: str
    positive: bool
    fit_intercept: bool  # of the smooth part (False in Gram form: the intercept is centred out)
    free: bool  # some coordinate may be unpenalized (penalty_factor 0, or λ = 0)
    block: int  # λs solved together
    entrywise: bool = False  # a task axis with the penalty on each entry, not on the rows
    free_cap: int = 0  # > 0: at most that many free columns, at every λ (see free_capacity)


def free_capacity(n_free: int, lambdas, positive: bool, sparse: bool = False) -> int:
    """:attr:`Static.free_cap` of a path whose ``n_free`` columns have no penalty (factor 0):
    a power of 2 (programs shared), or 0 (the refits' Newton-CG masks all columns) where λ = 0
    frees every column, under ``β ≥ 0`` (free coordinates at 0 leave the block) and on a sparse
    X. See :func:`l1jax.solvers.free_columns`."""
    if n_free == 0 or positive or sparse or np.any(np.asarray(lambdas) == 0):
        return 0
    return max(8, 1 << (int(n_free) - 1).bit_length())


def _pos(g, positive, tasks=False, entrywise=False, groups=None, n_groups=0):
    """Correlations ``z = −g`` that the penalty must dominate (only ``z > 0`` with ``β ≥ 0``);
    with a task axis (``tasks``), the norms of the rows of ``g`` (their largest entry
    ``max_c |g_jc|`` with an ``entrywise`` penalty); with ``groups`` (the group of each
    column), the norms of the ``n_groups`` groups (``(…, n_groups)``)."""
    if groups is not None:
        return solvers.group_norms(groups, g, n_groups)
    if tasks and entrywise:
        return jnp.max(jnp.abs(g), axis=-1)
    if tasks:
        return solvers.row_norms(g)
    return jnp.maximum(-g, 0) if positive else jnp.abs(g)


def _top_k(score: jax.Array, k: int) -> jax.Array:
    """The indices of the ``k`` largest scores (ties: the lower index first), ranked in float32:
    XLA:CPU sorts float64 (3.4 ms for 20,480 scores, whatever ``k``) but selects float32 with
    a kernel of its own (0.15 ms for k = 384). The scores only rank the candidates of a
    working set, and the duality gap certifies whatever set they give."""
    return jax.lax.top_k(score.astype(jnp.float32), k)[1]


def _zeros_lin(data: solvers.Data, dtype):
    """``Xβ`` or ``Gβ`` at β = 0."""
    rows = data.G.shape[0] if data.gram else data.y.shape[0]
    return jnp.zeros((rows, *data.tasks), dtype)


def init(problem: Problem, b0, st: Static) -> State:
    """The start of a path: the unpenalized block (intercept, features with ``v = 0``) fitted
    with every penalized coefficient at 0, its gradient, and λ_max, the smallest λ at which
    every penalized coefficient stays 0 (glmnet: the first λ of the grid is the first with a
    penalized coefficient about to enter)."""
    data, v = problem.data, problem.v
    dtype = v.dtype
    p = v.shape[0]
    grp = problem.groups  # (groups: p of them, ncol coefficients)
    ncol = p if grp is None else grp.shape[0]
    tasks = data.tasks
    pen = solvers.elastic_net(jnp.ones((), dtype), 1.0, v, problem.valid.astype(dtype), grp)
    ref = solvers._refit_free(
        st.loss, data, pen, _zeros_lin(data, dtype), jnp.zeros((ncol, *tasks), dtype),
        b0.astype(dtype), st.positive, st.fit_intercept, st.free,
    )  # fmt: skip
    penalized = problem.valid & (v > 0)
    zpos = _pos(ref.g, st.positive, bool(tasks), st.entrywise, grp, p)
    # (ρ = 0, ridge: +inf where a feature's gradient can move it, 0 where it cannot, as one
    # held at 0 by β ≥ 0; 0/0 was NaN, and λ_max 1: every λ ≥ 1 the null model, uncertified)
    ratio = jnp.where(zpos > 0, zpos / jnp.where(penalized, problem.rho * v, 1), 0)
    lmax = jnp.max(jnp.where(penalized, ratio, 0), initial=0)
    lmax = jnp.where(lmax > 0, lmax, 1.0)  # nothing can enter: every λ gives the same fit
    lambdas = problem.lambdas * jnp.where(problem.relative, lmax, 1)
    Kp = lambdas.shape[0]
    beta = jnp.where(ref.ok, ref.beta, 0)
    return State(
        k=jnp.zeros((), jnp.int32),
        lambdas=lambdas,
        lambda_max=lmax,
        beta=beta,
        b=jnp.where(ref.ok, ref.b, b0).astype(dtype),
        grad=ref.g,
        lam_prev=lambdas[0],
        coef=jnp.zeros((Kp, ncol, *tasks), dtype),
        intercept=jnp.zeros((Kp, *tasks), dtype),
        gap=jnp.zeros(Kp, dtype),
        n_iter=jnp.zeros(Kp, jnp.int32),
        status=jnp.zeros(Kp, jnp.int32),
        dev=jnp.zeros(Kp, dtype),
        n_fit=problem.n_lambdas.astype(jnp.int32),
        need=jnp.zeros((), jnp.int32),
    )


def _gather(data: solvers.Data, idx, mask, chunk, slots: int = 0):
    """The working set's columns (``idx``, ``mask`` of length M) in pieces
    (:func:`l1jax.solvers.pieces_layout`): :func:`_gather_dense` cut into arrays of their own
    (once per round); a sparse ``X`` gives its columns' entries in ``slots`` places when
    ``slots`` is set."""
    if data.Xs is not None and slots:
        return solvers.Data(Xs=data.Xs.select(idx, mask, slots), y=data.y, s=data.s)
    bounds = np.cumsum([0, *solvers.pieces_layout(idx.shape[0], chunk)])
    dense = _gather_dense(data, idx, mask)
    A = dense.G if data.gram else dense.Xt
    pieces = tuple(A[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True))
    if data.gram:
        return dense._replace(G=None, Gc=pieces)
    return dense._replace(Xt=None, Xc=pieces)


DENSE_FROM = 512  # capacities above this: FISTA on dense working sets of a few widths
DENSE_FACTORS = (4, 2, 4 / 3, 1)  # those widths: M/4, M/2, 3M/4, M (M only when full)


def dense_widths(M: int, chunk: int, full: bool = True) -> list[int] | None:
    """The widths of FISTA's dense working sets in a program of capacity ``M`` (whole chunks),
    or None: FISTA on the pieces of :func:`_gather`, as Newton. Without ``full``, the widest
    is 3M/4 and working sets are limited to it (:func:`run`).

    Each width is one FISTA in the program, in a ``switch`` on the working set's size: on the
    smallest width that holds it, gathered into one array, products cost what they do on a
    matrix of that width. Over pieces (:func:`l1jax.solvers.pieces_layout`) they cost 1.35-1.6×
    as much (a product per piece, each with its thunks): warm, on the full benchmarks, A 6.1 →
    4.0 s, D 11.5 → 7.7 s with these 4 widths (2 widths: 5.0 and 9.9 s; 5: 3.9 and 8.2 s), for
    0.6-1.2 s more compilation than the pieces' one FISTA. Up to :data:`DENSE_FROM` the pieces
    are as fast (C, B, A quick: one dense width was 10-40% slower, four compiled 1.4 s more)."""
    if M <= DENSE_FROM:
        return None
    factors = DENSE_FACTORS if full else DENSE_FACTORS[:-1]
    return sorted({min(M, math.ceil(M / (f * chunk)) * chunk) for f in factors})


def on_widths(loss: str, entrywise: bool, grouped: bool, sparse_entries: bool) -> bool:
    """Whether FISTA's working sets of capacities above :data:`DENSE_FROM` are dense widths
    (:func:`dense_widths`): not for the multinomial's entrywise Newton, a group penalty or a
    sparse X's entries, which stay on the pieces (the host's :func:`solve` and the traced
    :func:`_block` decide it here, together)."""
    return not (loss == MULTINOMIAL and entrywise or grouped or sparse_entries)


def _gather_dense(data: solvers.Data, idx, mask):
    """The working set's columns (``idx``, ``mask``) as one dense array (Gram: its block)."""
    if data.gram:
        return solvers.Data(
            G=data.G[idx][:, idx] * mask[:, None] * mask[None, :],
            c=data.c[idx] * (mask[:, None] if data.tasks else mask),
            yy=data.yy,
        )
    if data.Xs is not None:
        return solvers.Data(Xt=data.Xs.gather(idx, mask, data.y.shape[0]), y=data.y, s=data.s)
    return solvers.Data(Xt=data.Xt[idx] * mask[:, None], y=data.y, s=data.s)


def _one_lambda(fun, *args):
    """``fun`` on the one λ of a block (the leading axis, of length 1, of every argument), its
    outputs given the axis back."""
    return jax.tree.map(lambda a: a[None], fun(*jax.tree.map(lambda a: a[0], args)))


def _extrapolated(state: State, lams, B: int):
    """The block's warm starts: the last solution moved along the path's last step, to each λ
    of the block (a lasso's path is linear in λ between the points where its support changes),
    on that solution's support and where no sign changes; the last solution itself where there
    is no earlier one to take a step from."""
    k = state.k
    before = state.coef[jnp.maximum(k - 2, 0)]
    lam_before = state.lambdas[jnp.maximum(k - 2, 0)]
    step = state.lam_prev - lam_before  # (< 0 on a decreasing grid)
    ok = (k >= 2) & (step < 0)
    t = jnp.where(ok, (lams - state.lam_prev) / jnp.where(ok, step, -1), 0)
    t = jnp.clip(t, 0, 2 * B).reshape((B,) + (1,) * state.beta.ndim)
    moved = state.beta + t * (state.beta - before)
    return jnp.where(moved * state.beta > 0, moved, 0).astype(state.beta.dtype)


def _block(problem: Problem, state: State, st: Static, M: int, chunk: int, lams_mesh,
           slots: int = 0, dense: bool = True, full: bool = False) -> State:  # fmt: skip
    """Solve the block of λs at ``state.k`` on working sets of capacity ``M`` (``slots``: a
    sparse X's working-set entries, :func:`_gather`; ``dense``, ``full``: see :func:`run`)."""
    data, v, valid = problem.data, problem.v, problem.valid
    v2 = v if problem.v2 is None else problem.v2
    dtype = v.dtype
    p = v.shape[0]
    # Groups: p groups of the ncol columns (grp: the group of each); M counts columns, and at
    # most kg groups fit in a working set.
    grp = problem.groups
    ncol = p if grp is None else grp.shape[0]
    kg = min(M, p)
    B = st.block
    # A block of one λ (Newton's blocks; one response, one device) runs its solver and
    # certificate on that λ alone, not vmapped over a block of one: vmap's batching of their
    # while loops was a third of the tracing of D quick's program (0.2 of 0.6 s).
    single = B == 1 and lams_mesh is None and not problem.data.tasks
    rho, tol, p_null = problem.rho, problem.tol, problem.p_null
    lams = jax.lax.dynamic_slice(state.lambdas, (state.k,), (B,))
    penalized = valid & (v > 0)
    always = valid & (v == 0)
    arange_m = jnp.arange(M)
    # Small working sets of the logistic and Poisson losses: Newton steps; otherwise FISTA (a
    # sparse X: on its working set's entries, or dense columns for Newton if not too many).
    # (groups: FISTA, whose prox is the group penalty's; Newton's orthants are the lasso's)
    newton = ((st.loss in ("logistic", "poisson")
               or st.loss == "squared" and SQUARED_NEWTON and not data.tasks)
              and not data.gram and M <= NEWTON_MAX and grp is None)  # fmt: skip
    # (multinomial, entrywise: Newton on the class axis, at any size: its conjugate gradients
    # cost a FISTA iteration each, and it takes 10-50× fewer of them on wide or near-separable
    # fits; the limit of 1,024 entries it had left 1000 × 400 × 3 to FISTA, 140,277 iterations)
    softmax_newton = st.loss == MULTINOMIAL and st.entrywise
    if data.Xs is not None:
        newton = newton and M * data.y.shape[0] <= SPARSE_BLOCK
        slots = 0 if newton else slots

    fista_widths = None
    if dense and not newton and on_widths(st.loss, st.entrywise, grp is not None,
                                          data.Xs is not None and bool(slots)):  # fmt: skip
        fista_widths = dense_widths(M, chunk, full)  # (else pieces: Newton, groups, sparse entries)
    # The working set's size limit: the capacity, or the widest dense width (``need`` above it)
    ws_max = M if fista_widths is None else fista_widths[-1]
    # A task axis (multi-task: β (p, m)): a feature is a row, in or out for all tasks at once.
    tasks = data.tasks
    multi = bool(tasks)
    rows = (lambda a: a[..., None]) if multi else (lambda a: a)  # noqa: E731

    def entries(a):  # per-feature weights on every entry of a row (an entrywise penalty)
        return jnp.broadcast_to(a[:, None], (*a.shape, *tasks)) if st.entrywise else a

    # The working set: support, unpenalized features, best strong-rule candidates.
    zpos = _pos(state.grad, st.positive, multi, st.entrywise, grp, p)
    if grp is not None:
        counts = jax.ops.segment_sum(jnp.ones(ncol, jnp.int32), grp, num_segments=p)
        support = (solvers.group_norms(grp, state.beta, p) > 0) | always
    else:
        support = (jnp.any(state.beta != 0, axis=-1) if multi else state.beta != 0) | always
    n_sup = jnp.sum(support)
    cand = penalized & ~support
    thresh = rho * v * jnp.maximum(2 * lams[-1] - state.lam_prev, 0)
    strong = cand & (zpos >= thresh)
    score = jnp.where(cand, zpos / jnp.where(penalized, v, 1), -jnp.inf)
    share = STRONG_SHARE[data.Xs is not None]
    extra = jnp.minimum(jnp.sum(strong), jnp.maximum(16, n_sup // share))
    order = _top_k(jnp.where(support, jnp.inf, jnp.where(strong, score, -jnp.inf)), kg)
    if grp is None:
        work = jnp.zeros(p, bool).at[order].set(arange_m < jnp.minimum(n_sup + extra, ws_max))
    else:  # the support and the candidates whose columns still fit
        fits = jnp.cumsum(counts[order]) <= M
        work = jnp.zeros(p, bool).at[order].set((jnp.arange(kg) < n_sup + extra) & fits)
    empty = n_sup + extra == 0
    work = jnp.where(empty, jnp.arange(p) == jnp.argmax(score), work)
    if grp is None:
        need0 = jnp.where(n_sup > ws_max, n_sup, 0).astype(jnp.int32)
    else:  # (columns)
        sup_cols = jnp.sum(jnp.where(support, counts, 0))
        need0 = jnp.where(sup_cols > M, sup_cols, 0).astype(jnp.int32)
    # The λs at λ_max or above (to a few ulps) take the null model as it is, by construction:
    # FISTA's gradient sums in another order than λ_max's (chunks, GPU reductions), so at λ_max
    # its tie could break either way. The warm start is the null model while every λ before
    # was one (the first block, and those after null blocks).
    null_from = state.lambda_max * (1 - 8 * jnp.finfo(dtype).eps)
    null = (lams >= null_from) & ((state.k == 0) | (state.lam_prev >= null_from))

    def solve(sub, pen, beta0, b0, tol_abs, max_iter):
        if softmax_newton:
            return solvers.softmax_newton_block(
                sub, pen, beta0, b0, tol_abs, jnp.minimum(max_iter, NEWTON_STEPS),
                fit_intercept=st.fit_intercept, free=st.free,
            )  # fmt: skip
        if newton:  # (no FISTA in the same program: ~2 s more of compilation; a λ that Newton
            # leaves unconverged gets more steps in the next round, and its certificate says so)
            return solvers.newton_block(
                sub, pen, beta0, b0, tol_abs, jnp.minimum(max_iter, NEWTON_STEPS),
                loss=st.loss, positive=st.positive, fit_intercept=st.fit_intercept, free=st.free,
                free_cap=st.free_cap,
            )  # fmt: skip
        steps = POWER_STEPS if st.loss == "squared" else CURVATURE_STEPS
        power = {} if st.loss == MULTINOMIAL else {"n_power": steps}
        if st.loss == "squared":
            zero = jnp.zeros(b0.shape[:1], b0.dtype) if multi else jnp.zeros_like(b0)
            top = solvers.lipschitz(st.loss, sub, st.fit_intercept, **power)
            step = zero + solvers.STEP_START / top  # (see STEP_START: backtracking from L/1.3)
        else:  # the local curvature at each λ's warm start

            def curvature(bt, bb):
                return solvers.lipschitz(st.loss, sub, st.fit_intercept, bt, bb, **power)

            step = 1 / (curvature(beta0, b0) if single else jax.vmap(curvature)(beta0, b0))
        return solvers.fista_block(
            sub, pen, beta0, b0, step, tol_abs, loss=st.loss, positive=st.positive,
            fit_intercept=st.fit_intercept, max_iter=max_iter, free=st.free,
            check_every=CHECK_EVERY, free_cap=st.free_cap,
        )  # fmt: skip

    if lams_mesh is not None:  # each device runs its own λs' loop: no lockstep across devices
        lam_spec, rep = jax.sharding.PartitionSpec("lambdas"), jax.sharding.PartitionSpec()
        solve = jax.shard_map(
            solve, mesh=lams_mesh, in_specs=(rep, lam_spec, lam_spec, lam_spec, lam_spec, rep),
            out_specs=lam_spec, axis_names={"lambdas"},
        )  # fmt: skip

    def penalty_at(lam):  # the penalty of one λ on all features
        return solvers.elastic_net(lam, rho, entries(v), entries(valid.astype(dtype)), grp,
                                   entries(v2))  # fmt: skip

    fcols = None  # the free columns, for the refits of every λ's certificate (free_columns)
    if st.free and 0 < st.free_cap < ncol and not st.positive and data.Xs is None:
        fcols = solvers.free_columns(data, penalty_at(lams[0]), st.free_cap)

    def certify(lam, beta, lin, b):
        _, gap, g = solvers._certify(
            st.loss,
            data,
            penalty_at(lam),
            lin,
            beta,
            b,
            st.positive,
            False,
            st.fit_intercept,
            st.free,
            fcols=fcols,
        )
        return g, gap, solvers._value(st.loss, data, lin, beta, b)

    class Round(NamedTuple):
        work: jax.Array
        betas: jax.Array
        bs: jax.Array
        spent: jax.Array
        tol_in: jax.Array
        rounds: jax.Array
        done: jax.Array
        need: jax.Array
        gap: jax.Array
        grad: jax.Array
        value: jax.Array

    def round_(r: Round) -> Round:
        size = jnp.sum(r.work)
        if grp is None:
            (idx,) = jnp.nonzero(r.work, size=M, fill_value=0)
            mask = (arange_m < size).astype(dtype)
            cols, cmask, width, sub_grp = idx, mask, size, None
        else:  # the columns of the working set's groups, and their groups' places in it
            (idx,) = jnp.nonzero(r.work, size=kg, fill_value=0)
            mask = (jnp.arange(kg) < size).astype(dtype)
            in_work = r.work[grp]
            width = jnp.sum(in_work)
            (cols,) = jnp.nonzero(in_work, size=M, fill_value=0)
            cmask = (arange_m < width).astype(dtype)
            place = jnp.zeros(p, jnp.int32).at[jnp.where(mask > 0, idx, p)].set(
                jnp.arange(kg, dtype=jnp.int32), mode="drop")  # fmt: skip
            sub_grp = place[grp[cols]]
        pen = jax.vmap(lambda lam: solvers.elastic_net(lam, rho, entries(v[idx] * mask),
                                                       entries(mask), sub_grp,
                                                       entries(v2[idx] * mask)))(lams)  # fmt: skip
        beta0 = r.betas[:, cols] * rows(cmask)
        tol_abs = jnp.where(null, jnp.inf, r.tol_in * p_null).astype(dtype)

        def on(sub, W):
            """Solve on the working set's first ``W`` columns (``sub``): β on all ``M``, the
            intercepts, iterations, codes and (design form) ``Xβ``."""
            cut = (lambda a: a[:, :W]) if W < M else (lambda a: a)  # noqa: E731
            args = (jax.tree.map(cut, pen), cut(beta0), r.bs, tol_abs)
            if single:
                out = _one_lambda(lambda *a: solve(sub, *a, problem.max_iter), *args)
            else:
                out = solve(sub, *args, problem.max_iter)
            beta_w = jnp.where(rows(null[:, None]), cut(beta0), out[0]) * rows(cmask[:W])
            lin = None if data.gram else jax.vmap(lambda bt: solvers._linear(sub, bt))(beta_w)
            if W < M:  # (back to the capacity's M columns)
                beta_w = jnp.zeros_like(beta0).at[:, :W].set(beta_w)
            return beta_w, out[1], out[4], out[5], lin

        if fista_widths is None:
            sub = _gather(data, cols, cmask, chunk, slots)._replace(active=width)
            beta_w, b_w, it, codes, lin = on(sub, M)
        else:  # dense working sets of a few widths, one FISTA each (see fista_widths)

            def at(W):
                return lambda: on(_gather_dense(data, cols[:W], cmask[:W]), W)

            k = jnp.sum(width > jnp.asarray(fista_widths[:-1]))
            beta_w, b_w, it, codes, lin = jax.lax.switch(k, [at(W) for W in fista_widths])
        b_w, it = jnp.where(rows(null), r.bs, b_w), jnp.where(null, 0, it)
        betas = jnp.zeros((B, ncol, *tasks), dtype).at[:, cols].add(beta_w)
        if data.gram and multi:  # G B on all features (G symmetric: its rows are columns)
            lin = solvers._dot(data.G[idx].T, beta_w)
        elif data.gram:  # G β on all features, from the working set's rows of G
            lin = solvers._dot(beta_w, data.G[cols])
        on_lams = functools.partial(_one_lambda, certify) if single else jax.vmap(certify)
        g_all, gap_abs, value = on_lams(lams, betas, lin, b_w)
        gap_rel = gap_abs / p_null
        zz = _pos(g_all, st.positive, multi, st.entrywise, grp, p)
        limit = lams[:, None] * rho * v[None, :]
        ratio = zz / jnp.where(limit > 0, limit, 1)
        viol = jnp.any(zz > limit * (1 + 1e-7), axis=0) & penalized & ~r.work
        n_viol = jnp.sum(viol)
        n_add = jnp.minimum(n_viol, jnp.maximum(16, size // 2))
        vorder = _top_k(jnp.where(viol, jnp.max(ratio, axis=0), -jnp.inf), kg)
        if grp is None:
            work = r.work | jnp.zeros(p, bool).at[vorder].set(arange_m < n_add)
        else:
            work = r.work | jnp.zeros(p, bool).at[vorder].set(jnp.arange(kg) < n_add)
        half = 0.5 * tol
        few = n_add <= jnp.maximum(2, size // 100)
        tighter = jnp.maximum(half, r.tol_in * 0.01)
        tol_viol = jnp.where(few & (r.tol_in > half), tighter, r.tol_in)
        tol_none = jnp.where(r.tol_in > half, tighter, 0.1 * r.tol_in)
        give_up = (r.tol_in <= half) & jnp.any(codes != solvers.Status.CONVERGED)
        finished = (n_viol == 0) & (jnp.all(gap_rel <= tol) | give_up)
        if grp is None:
            need = jnp.where((n_viol > 0) & (size + n_add > ws_max), size + n_add,
                             0).astype(jnp.int32)  # fmt: skip
        else:  # (columns)
            wanted = jnp.sum(jnp.where(work, counts, 0))
            need = jnp.where((n_viol > 0) & (wanted > M), wanted, 0).astype(jnp.int32)
        return Round(
            work=work,
            betas=betas,
            bs=b_w,
            spent=r.spent + it,
            tol_in=jnp.where(n_viol > 0, tol_viol, tol_none),
            rounds=r.rounds + 1,
            done=finished | (need > 0) | (r.rounds + 1 >= MAX_ROUNDS),
            need=need,
            gap=gap_rel,
            grad=g_all,
            value=value,
        )

    betas0 = _extrapolated(state, lams, B)
    if single and st.loss in ("logistic", "poisson") and grp is None:
        # A GLM's path is not linear in λ: where the step along the path's last one fits worse
        # than the last solution, start from that (near separation, coefficients of 270 moved
        # to an objective of 9.6 against 0.015, where Newton's steps stalled at 2.1)
        def objective(beta):
            pen = solvers.elastic_net(lams[0], rho, v, valid.astype(dtype), None, v2)
            return (solvers._value(st.loss, data, solvers._linear(data, beta), beta, state.b)
                    + solvers._penalty_value(pen, beta))  # fmt: skip

        betas0 = jnp.where(objective(betas0[0]) > objective(state.beta), state.beta[None], betas0)
    r0 = Round(
        work=work,
        betas=betas0,
        bs=jnp.broadcast_to(state.b, (B, *tasks)),
        spent=jnp.zeros(B, jnp.int32),
        tol_in=jnp.maximum(0.5 * tol, jnp.asarray(1e-4, dtype)),
        rounds=jnp.zeros((), jnp.int32),
        done=need0 > 0,
        need=need0,
        gap=jnp.zeros(B, dtype),
        grad=jnp.zeros((B, ncol, *tasks), dtype),
        value=jnp.zeros(B, dtype),
    )
    r = jax.lax.while_loop(lambda r: ~r.done, round_, r0)

    # The block's results, unless it needs a larger capacity (``r.need > 0``: then the state
    # stays as it is, but for ``need``). Selected row by row and written in place, not by a
    # ``lax.cond`` on the whole state, whose branches copied its (Kp, p) arrays once per block:
    # a 30 × 5 lasso with 8,000 λs took 2.27 s against 0.98 s for 4,000.
    keep = r.need > 0
    k = state.k
    last = jnp.minimum(B, problem.n_lambdas - k) - 1
    bad = jnp.isnan(r.gap[last])

    def put(a, new):  # rows k … k + B − 1 of ``a``: ``new``, or as they were
        old = jax.lax.dynamic_slice_in_dim(a, k, B, axis=0)
        return jax.lax.dynamic_update_slice_in_dim(a, jnp.where(keep, old, new), k, axis=0)

    def pick(old, new):
        return jnp.where(keep, old, new)

    dev = put(state.dev, 1 - (r.value - problem.f_sat) / p_null)
    at = k + jnp.arange(B)
    stop = (
        problem.early_stop
        & (at < problem.n_lambdas)
        & stop_rule(st.loss, dev, at, bool(problem.data.tasks))
    )
    return state._replace(
        k=pick(k, k + B),
        beta=pick(state.beta, jnp.where(bad, 0, r.betas[last])),
        b=pick(state.b, r.bs[last]),
        grad=pick(state.grad, r.grad[last]),
        lam_prev=pick(state.lam_prev, lams[last]),
        coef=put(state.coef, r.betas),
        intercept=put(state.intercept, r.bs),
        gap=put(state.gap, r.gap),
        n_iter=put(state.n_iter, r.spent),
        status=put(state.status, solvers._status(r.gap, tol)),
        dev=dev,
        n_fit=pick(
            state.n_fit,
            jnp.where(jnp.any(stop), k + jnp.argmax(stop).astype(k.dtype) + 1, state.n_fit),
        ),
        need=jnp.where(keep, r.need, state.need),  # (the capacity the host grows to)
    )


DEVMAX = 0.999  # glmnet.control()'s devmax, fdev and mnlam
FDEV = 1e-5
MNLAM = 5


def stop_rule(loss: str, dev, at, tasks: bool = False):
    """glmnet's early stop of an automatic path (``glmnet.control``): at the λs of indices ``at``
    (0-based; from the 5th λ on), stop when the fraction of deviance explained ``dev`` exceeds
    0.999, or when it gained less than 1e-5 since the previous λ: relative to ``dev`` for the
    squared loss, relative to the deviance left, ``1 − dev``, for the squared loss with ``tasks``
    (glmnet's mgaussian: the residual sum of squares fell by less than 1e-5 of itself), absolute
    for the logistic and multinomial losses, and relative over the last 4 λs (times 10) for
    Poisson. ``dev`` is the whole path's array; returns a bool per ``at``."""
    d = dev[at]
    back = 1 if loss != "poisson" else MNLAM - 1
    gain = d - dev[jnp.maximum(at - back, 0)]
    if loss == "squared" and tasks:
        floor = FDEV * (1 - d)
    else:
        floor = {"squared": FDEV * d, "poisson": 10 * FDEV * d}.get(loss, FDEV)
    return (at >= MNLAM - 1) & ((d > DEVMAX) | (gain < floor))


class Start(NamedTuple):
    """The state a path starts from: only the intercept of the null model (:func:`init` does
    the rest inside the program, so a path is one program, not two)."""

    b0: jax.Array


def _run_options(static: dict, dtype=None) -> dict:
    """XLA options of a :func:`run` program on a CPU (beyond l1jax's own; passes that
    ``XLA_FLAGS`` leaves out stay out, :func:`l1jax._programs._with_flag_passes`): XLA's
    while-loop-invariant code motion is left out of two kinds of programs, where it was the
    largest of XLA's passes over their nested loops and leaving it out changed neither results
    (to the bit) nor run time:

    - FISTA on dense widths (capacities above :data:`DENSE_FROM`, a dense X): A's and D's
      programs (capacities 1,536 and 2,048) compile in 2.23 and 2.33 s instead of 2.62 and 2.77
      s (medians of three, one process); warm, two pairs each: A 2.56/2.60 → 2.58/2.55 s, D
      4.46/4.81 → 4.44/4.84 s.
    - Newton's (logistic and Poisson, capacities up to :data:`NEWTON_MAX`, a dense X): D quick
      1.98/1.93 → 1.50/1.53 s of compilation, warm 0.122/0.120 → 0.116/0.118 s; 1000 × 200, 100
      λs, logistic 1.75/1.81 → 1.44/1.51 s, warm 0.507/0.525 → 0.505/0.524 s, Poisson
      1.98/1.96 → 1.40/1.41 s, warm 0.475/0.474 → 0.463/0.468 s; and the multinomial's Newton
      on the class axis (any capacity), 600 × 100, 3 classes, 50 λs: 2.07/2.18 → 1.88/1.89 s,
      warm 0.284/0.291 → 0.277/0.290 s.

    Other programs keep it: FISTA on the pieces of small working sets ran 5-12% slower warm
    without it (A and C quick; a multi-task path 200 × 800 × 4, 4-5%, for 0.4 s less
    compilation; a lasso 400 × 1500 compiled 0.2-0.8 s slower), a sparse X's programs 3-5% (the
    L1 logistic path, 2000 × 4000).
    (A group penalty's programs, whose FISTA stays on the pieces, are not told apart here: the
    groups are an argument, not a static option.)

    Float64 programs that solve one λ at a time (``block`` 1: the squared loss with ``p > n`` or a
    small Gram matrix on a CPU, Newton's, single λs) also leave out XLA's tree of reductions
    (``tree_reduction_rewriter``, which splits each reduction of 33 to about 16,000 entries into
    windows of 32). Each of its reduce-windows becomes a kernel that LLVM compiles as a module
    of its own, at about 8 ms each: A quick's program had 149 such kernels, 64 of them from the
    tree, and they took more of LLVM's time than the 32 parts of the rest. Without it (first
    call − warm, empty cache, paired): A quick 2.81, 2.84 → 2.41, 2.02 s; C quick 2.28, 2.78 →
    1.70, 2.16 s; D quick 3.31, 3.56 → 2.68, 2.83 s; A 3.30 → 2.66 s; warm the same or faster (C
    quick 0.040-0.047 → 0.029-0.031 s). The reductions then run as XLA's loops: vectorized,
    about as accurate as the tree (float32 sums of 100-70,000 entries: relative errors 4e-10 to
    1e-7), but less accurate at LLVM's optimization level 0 (the test suite's build), where
    float32 sums lost enough to turn the null model's duality gap of a 500-row logistic path
    from +1.7e-7 to −6.4e-6 (a gap of rounding noise either way, and a certificate must not be
    negative): float32 keeps the tree, whose pairwise sums bound the error whatever LLVM does.
    Blocks of λs keep it too: their batched reductions, fused without it, took LLVM 2.5× longer
    (B quick, 8 λs: 1.5 → 1.9 s of compilation; D, 4 λs: 2.7 → 3.7 s)."""
    st, capacity, sparse = static["st"], static["capacity"], bool(static["slots"])
    dense_widths = (capacity > DENSE_FROM and static["dense"]
                    and on_widths(st.loss, st.entrywise, False, sparse))  # fmt: skip
    newton = (st.loss in ("logistic", "poisson") and capacity <= NEWTON_MAX
              or st.loss == MULTINOMIAL and st.entrywise) and not sparse  # fmt: skip
    passes = ["while-loop-invariant-code-motion"] if dense_widths or newton else []
    if st.block == 1 and dtype == np.float64:
        passes.append("tree_reduction_rewriter")
    return {"xla_disable_hlo_passes": ",".join(passes)} if passes else {}


@functools.partial(program, static_argnames=("st", "capacity", "chunk", "lams_mesh", "slots",
                                             "dense", "full"), options=_run_options)  # fmt: skip
def run(problem: Problem, state: State | Start, *, st: Static, capacity: int, chunk: int = CHUNK,
        lams_mesh=None, slots: int = 0, dense: bool = True,
        full: bool = False) -> State:  # fmt: skip
    """Continue a path from ``state`` (or begin it from a :class:`Start`) on working sets of
    capacity ``capacity`` until it is done or a block needs more (``need``); ``slots``: the
    working set's entries of a sparse X (:func:`slots_for`). ``dense=False`` keeps FISTA on the
    pieces of every capacity (:func:`dense_widths`): for a ``vmap`` of ``run``, where the
    widths' switch would run every width's FISTA. Without ``full``, a program whose FISTA runs
    on dense widths holds working sets up to 3/4 of the capacity only (its widest width: the
    capacity's own FISTA is left out, 0.45-0.5 s of compilation on A and D, whose working sets
    never reached it) and asks for more (``need``) beyond: :func:`solve` then runs the
    ``full`` program of the same capacity."""
    if isinstance(state, Start):
        state = init(problem, state.b0, st)

    def cond(s):
        return (s.k < s.n_fit) & (s.need == 0)

    return jax.lax.while_loop(
        cond,
        lambda s: _block(problem, s, st, capacity, chunk, lams_mesh, slots, dense, full),
        state,
    )


def capacity_for(size: int, p: int, chunk: int = CHUNK) -> int:
    """The capacity for a working set of ``size``: whole chunks, at most ``p`` rounded up to a
    chunk, in 4 steps per octave (at most 19% padding) so that few programs ever compile."""
    size = max(size, chunk)
    step = max(chunk, 2 ** (size.bit_length() - 3))
    cap = -(-size // step) * step
    return min(-(-cap // chunk) * chunk, -(-p // chunk) * chunk)


def first_capacity(n: int, p: int, l1_ratio: float, chunk: int, p_pad: int,
                   n_pad: int) -> int:  # fmt: skip
    """A capacity that a lasso path rarely outgrows: its support has at most min(n, p)
    features; the working set about 1.25 times that. Small problems (``n·p ≤ 2**20``) take it
    from their padded sizes, which data up to 15% larger share (:func:`padded`)."""
    if n * p <= SMALL:
        n, p = n_pad, p_pad
    return min(capacity_for(max(256, math.ceil(1.3 * min(n, p))), p, chunk), p_pad)


def solve(problem: Problem, state: State | Start, st: Static, capacity: int, *, chunk: int = CHUNK,
          runner=None, lams_mesh=None, slots=None, widths: bool = False,
          trim: bool = False) -> State:  # fmt: skip
    """Run the path to its end, growing the capacity whenever a block needs more (the host
    side of the engine: one scalar comes back per capacity). ``runner`` replaces :func:`run`
    (e.g. a vmapped version); ``slots`` maps a capacity to a sparse X's working-set entries
    (:func:`slots_for`). ``widths``: FISTA runs on dense widths above :data:`DENSE_FROM`
    (:func:`dense_widths`), on every width (``full``) but, with ``trim``, in the first
    program: if that one needs more than 3/4 of its capacity, the same capacity's ``full``
    program goes on (a lasso's support rarely passes min(n, p), about 3/4 of the first
    capacity; an elastic net's or a multi-task path's can, and would compile both)."""
    runner = run if runner is None else runner
    p = problem.v.shape[-1] if problem.groups is None else problem.groups.shape[-1]  # columns
    full = widths and not trim
    while True:  # (a Start state: the first call also begins the path)
        extra = {} if slots is None else {"slots": slots(capacity)}
        extra = {**extra, "full": True} if full and capacity > DENSE_FROM else extra
        with one_blas_thread():  # (need: the program has run)
            state = runner(problem, state, st=st, capacity=capacity, chunk=chunk,
                           lams_mesh=lams_mesh, **extra)  # fmt: skip
            need = int(np.max(np.asarray(state.need)))
        if need == 0:
            return state
        if not (widths and not full and capacity > DENSE_FROM and need <= capacity):
            capacity = capacity_for(max(need, capacity + 1), p, chunk)
        full = widths  # (the same capacity's full program, or a larger capacity's)
        state = state._replace(need=jnp.zeros_like(state.need))


# ----------------------------------------------------------------------------------------------
# The host side of a path on bucketed shapes (used by path, cv_path and stability_selection).


def bucket(size: int, smallest: int = 8) -> int:
    """The padded length of an axis: ``size`` rounded up to 4 steps per octave (at most 25%
    more; 9% on average), so that data sets of similar sizes share compiled programs."""
    size = max(int(size), smallest)
    step = max(1, 2 ** (size.bit_length() - 3))
    return -(-size // step) * step


SPARSE_BLOCK = 2**25  # a sparse X's dense working-set columns (first capacity, Newton): entries
SMALL = 2**20  # n·p up to this: shapes with headroom, shared (see padded)
HEADROOM = 1.15
_shapes: dict[tuple, list] = {}  # key -> padded shapes (or entry counts) of small problems
_taken: dict[tuple, Any] = {}  # (key, sizes) -> the padded shape (or count) its first fit took
MAX_TAKEN = 4096


def clear_shapes() -> None:
    """Forget the shapes of this process's earlier small problems (:func:`padded`,
    :func:`entries_padded`), as in a new process."""
    _shapes.clear()
    _taken.clear()


def _shared(key: tuple, seen: tuple, own, holds, size):
    """``own``, the padded shape (or count) of a small problem ``seen``, or the smallest that an
    earlier problem with the same ``key`` registered, if it ``holds`` this one and its ``size``
    is at most twice ``own``'s (``own`` is registered when none does). The first answer for
    ``seen`` is kept: the same data give the same results, to the last bit, whatever the
    process fitted in between (for the first :data:`MAX_TAKEN` sizes a process fits: past
    them, a size fitted again may take another shape, its results differing within ``tol``)."""
    if seen in _taken:
        return _taken[seen]
    known = _shapes.setdefault(key, [])
    fits = [shape for shape in known if holds(shape) and size(shape) <= 2 * size(own)]
    if fits:
        own = min(fits, key=size)
    elif len(known) < 64:
        known.append(own)
    if len(_taken) < MAX_TAKEN:
        _taken[seen] = own
    return own


def entries_padded(nnz: int, key: tuple, headroom: bool = True) -> int:
    """The padded number of a sparse ``X``'s stored entries (whole
    :data:`l1jax._sparse.ENTRY_CHUNK`), as :func:`padded` pads shapes: a bucket (4 per octave)
    of 15% more entries, or the smallest count an earlier problem with the same ``key`` (its
    padded shapes and settings) took, if it holds them and is at most twice its own: data of
    one shape with up to 15% more entries compile nothing new (2,050 entries after 2,000
    compiled 3 programs, 3.9 s). A count fitted before keeps what it took then."""
    if not headroom or nnz > SMALL:
        return _sparse.entry_slots(bucket(nnz, 1024))
    need = _sparse.entry_slots(bucket(math.ceil(nnz * HEADROOM), 1024))
    return _shared(("entries", *key), ("entries", *key, nnz), need, lambda count: count >= nnz,
                   lambda count: count)  # fmt: skip


def sparse_capacity(n_pad: int, chunk: int) -> int:
    """The largest capacity (whole chunks, at least one) whose dense columns of ``n_pad`` rows
    hold at most :data:`SPARSE_BLOCK` entries."""
    return max(chunk, SPARSE_BLOCK // n_pad // chunk * chunk)


def slots_for(X: _sparse.SparseX, nnz_pad: int, key: tuple = (), headroom: bool = True):
    """For a sparse X, a function giving the entries a working set of capacity ``M`` may hold:
    those of the ``M`` densest columns, padded as :func:`entries_padded` pads (few programs,
    shared by data with up to 15% more entries), at most ``nnz_pad``."""
    top = np.cumsum(np.sort(np.diff(X.scaled.indptr))[::-1])

    def slots(M: int) -> int:
        count = int(top[min(M, top.size) - 1]) if top.size else 1
        return min(nnz_pad, entries_padded(count, (*key, "slots", M), headroom))

    return slots


def padded(n: int, p: int, gram: bool = False, key: tuple = (),
           headroom: bool = True) -> tuple[int, int, int]:  # fmt: skip
    """``(n_pad, chunk, p_pad)``: the padded rows (``n`` itself in the Gram form, where no
    program sees them), the chunk width of working sets and the padded columns (whole chunks)
    of an ``n × p`` problem. Sizes are buckets (4 per octave), so data of similar sizes share
    compiled programs. Small problems (``n·p ≤ 2**20``: padding costs little there, and
    compilation is most of a call) are padded as if 15% larger and take the smallest shape
    that an earlier small problem of this process with the same ``key`` (what else its
    programs depend on) compiled, if they fit in it and it is at most twice their own: after a
    first fit, data up to 15% larger compile nothing new. A size fitted before keeps the shape
    it took then (a fit in between may have offered a smaller one): the same data give the same
    results, to the last bit, whatever the process fitted in between (:func:`_shared`: for
    the first :data:`MAX_TAKEN` sizes). ``headroom=False``: the
    bucket of ``n × p`` itself (many fits of one shape, e.g. stability selection's halves:
    0.77× the time of 15% headroom on 150 × 1000)."""
    small = n * p <= SMALL and headroom
    grow = HEADROOM if small else 1.0
    n_pad = 1 if gram else bucket(math.ceil(n * grow), 128)
    p_pad = bucket(math.ceil(p * grow), 32)
    if small:
        n_pad, p_pad = _shared((gram, *key), (gram, *key, n, p), (n_pad, p_pad),
                               lambda s: s[0] >= min(n, n_pad) and s[1] >= p,
                               lambda s: s[0] * s[1])  # fmt: skip
    n_pad = n if gram else n_pad
    chunk = min(CHUNK, p_pad)
    return n_pad, chunk, -(-p_pad // chunk) * chunk


SHARED_LAMBDAS = 128  # grids of up to this many λs share one program, while ...
SHARED_ENTRIES = 2**20  # ... their padded results (λs × columns × fits) hold at most this many


def n_lambdas_padded(K: int, block: int, width: int = 1) -> int:
    """The padded length of a grid of ``K`` λs, in whole blocks: a power of two, at least 16,
    and :data:`SHARED_LAMBDAS` while its results ``(Kp, width)`` (``width``: padded columns ×
    fits) stay within :data:`SHARED_ENTRIES`, so that grids of different lengths share their
    programs (a path of 20 λs and one of 100; the padded λs are never solved)."""
    Kp = max(16, 1 << (int(K) - 1).bit_length())
    while Kp < SHARED_LAMBDAS and 2 * Kp * width <= SHARED_ENTRIES:
        Kp *= 2
    return -(-Kp // block) * block


GRAM_P = 4096  # the squared loss with p ≤ n runs on the p × p Gram matrix up to this p


def gram_form(loss: str, n: int, p: int) -> bool:
    """Whether :func:`fit_path` solves on the Gram matrix: the squared loss with ``p ≤ n``."""
    return loss == "squared" and p <= n and p <= GRAM_P


def small_gram(loss: str, n: int, p: int, *, tasks=(), groups=None, gram_ok=True) -> bool:
    """Whether a path (or a fold's, vmapped) solves one λ at a time for its small Gram matrix
    (on a CPU, one response, no groups: :data:`SMALL_GRAM`)."""
    return (jax.default_backend() == "cpu" and not tasks and groups is None and gram_ok
            and gram_form(loss, n, p) and bucket(p, 32) <= SMALL_GRAM)  # fmt: skip


def host_gram(loss: str, X, mesh) -> bool:
    """Whether the Gram matrix of ``X`` is formed on the host, by NumPy's BLAS (a dense NumPy
    ``X``, no mesh, a CPU backend): then :func:`l1jax._inputs.prepare` forms it
    (``gram=True``) and no standardized copy of ``X`` is made."""
    return (isinstance(X, np.ndarray) and gram_form(loss, *X.shape) and mesh is None
            and jax.default_backend() == "cpu")  # fmt: skip


def fit_path(prep, lambdas, relative, *, loss, l1_ratio, positive, fit_intercept, tol,
             max_iter, block, mesh=None, early_stop=False, pad_to=0,
             entrywise=False, groups=None, headroom=True, grid_only=False,
             gram_ok=True):  # fmt: skip
    """One path by the engine, on bucketed shapes: rows are padded with zero weight and columns
    with zeros (marked invalid); squared loss with ``p ≤ n`` runs on the Gram matrix. ``prep``
    is :class:`l1jax._inputs.Prepared` (standardized data), ``lambdas`` are absolute, or
    fractions of λ_max when ``relative``; ``early_stop`` stops a relative grid by glmnet's
    rule (:func:`stop_rule`); ``block`` None picks the block size (1 where Newton steps
    are likely and, on a CPU, for the squared loss with p > n (:data:`ONE_LAMBDA_SHARE`) or a
    small Gram matrix (:data:`SMALL_GRAM`), 2 for a task axis (multi-task, multinomial), else
    8); ``pad_to`` pads the grid as one of that many λs (the folds of an early-stopped path
    share its program);
    ``headroom``: see :func:`padded`; ``grid_only`` fits no λ (the same program, which stops
    after its start: the null model and λ_max); ``gram_ok`` False keeps a squared loss with
    ``p ≤ n`` off the Gram matrix (:func:`l1jax._inputs.gram_is_exact`). Returns the
    engine's final state as NumPy arrays trimmed to the λs fitted and the real features
    (``coef``, ``intercept``, ``gap``, ``n_iter``, ``status``, ``lambdas``, ``dev``: the
    fraction of deviance explained; on the Gram matrix also ``gram_exact``,
    :func:`l1jax._inputs.gram_solution_is_exact`: False asks for the path again on X), and
    λ_max. A multi-task ``prep.y`` ``(n, m)`` (squared
    loss, dense X, one device) gives ``coef`` ``(K, p, m)`` and ``intercept`` ``(K, m)``; so
    does ``loss="multinomial"`` with ``prep.y`` one-hot ``(n, C)``, whose penalty is on each
    entry of β with ``entrywise`` (else on its rows, as a multi-task path's).

    ``groups`` ``(p,)`` (ints ``0 … q − 1``; one response, dense NumPy ``X``, one device) asks
    for the group penalty ``λ Σ_g v_g (ρ ‖β_g‖₂ + (1 − ρ)/2 ‖β_g‖²)`` with ``prep.v`` ``(q,)``,
    one factor per group (:attr:`Problem.groups`: the engine's features are the groups, padded
    to a bucket of at least ``q + 1``, the last holding the padded columns)."""
    X, y, s, v = prep.X, prep.y, prep.s, prep.v
    v2 = v if prep.v2 is None else prep.v2  # the L2 part's factors (a preconditioned elastic net)
    n, p = y.shape[0], prep.x_scale.shape[0]
    col_ok = (prep.x_scale > 0) & prep.nonzero
    if groups is not None:  # a group with a nonzero column
        group_ok = np.bincount(groups, weights=col_ok, minlength=v.shape[0]) > 0
    tasks = y.shape[1:]  # (m,) for a multi-task y (n, m): squared loss, one device, dense X
    dtype = y.dtype
    sparse = isinstance(X, _sparse.SparseX)
    K = lambdas.shape[0]
    place = _sharding.Placement(mesh)
    if block is None:  # Newton's steps gain from the warm start of the λ just before
        guess = first_capacity(n, p, l1_ratio, CHUNK, bucket(p, 32), bucket(n, 128))
        if sparse:  # (see the capacity below; Newton gathers its columns dense)
            guess = min(guess, sparse_capacity(bucket(n, 128), CHUNK))
            guess = guess if guess * bucket(n, 128) <= SPARSE_BLOCK else NEWTON_MAX + 1
        # (multi-task FISTA: 2, 1.2-1.8× faster than 8 on benchmarks/multitask.py's problems,
        # where the slowest of a block's λs sets its iterations; multinomial too: wine's path
        # of 27 λs, warm, 1.5 s against 4.8 s entrywise, 0.9 s against 2.7 s grouped)
        glm = loss in ("logistic", "poisson") and groups is None
        newton = glm and guess <= NEWTON_MAX
        cpu = jax.default_backend() == "cpu"
        one = (loss == "squared" and not tasks and not sparse and groups is None and p > n
               and cpu and guess >= ONE_LAMBDA_SHARE * bucket(p, 32))  # fmt: skip
        small = small_gram(loss, n, p, tasks=tasks, groups=groups, gram_ok=gram_ok)
        block = 1 if newton or one or small else 2 if tasks else GLM_BLOCK if glm and cpu else 8
    block = -(-block // place.n_lams) * place.n_lams  # whole λ shards
    Kp = n_lambdas_padded(max(K, pad_to), block, bucket(p, 32) * math.prod(tasks))
    use_gram = gram_ok and gram_form(loss, n, p)
    ok = col_ok if groups is None else group_ok
    free = bool(np.any(v[ok] == 0) or np.any(lambdas == 0))
    free_cols = ok & (v == 0) if groups is None else np.isin(groups, np.flatnonzero(ok & (v == 0)))
    free_cap = free_capacity(int(np.sum(free_cols)), lambdas, positive, sparse and not use_gram)
    key = (loss, np.dtype(dtype).name, positive, fit_intercept, free, block, Kp, place.mesh)
    key = (*key, tasks) if tasks else key
    key = (*key, "entrywise") if entrywise else key
    q_pad = 0 if groups is None else bucket(v.shape[0] + 1, 32)
    key = (*key, "groups", q_pad) if groups is not None else key
    n_pad, chunk, p_pad = padded(n, p, use_gram, key, headroom)
    n_pad = n_pad if use_gram else _sharding.round_up(n_pad, place.n_data)
    if isinstance(X, jax.Array):  # rows already padded and placed by _prepare_on_devices
        n_pad = max(n_pad, X.shape[0])
    lams = np.concatenate([lambdas, np.repeat(lambdas[-1], Kp - K)]).astype(dtype)
    if groups is None:
        valid = np.zeros(p_pad, bool)
        valid[:p] = col_ok
        v_pad = np.zeros(p_pad, dtype)
        v_pad[:p] = v
    else:  # per group; the padded columns in the last (padded) group
        valid = np.zeros(q_pad, bool)
        valid[: v.shape[0]] = group_ok
        v_pad = np.zeros(q_pad, dtype)
        v_pad[: v.shape[0]] = v
        grp = np.full(p_pad, q_pad - 1, np.int32)
        grp[:p] = groups
    v2_pad = v_pad.copy()
    v2_pad[: v2.shape[0]] = v2
    yd, sd = (np.concatenate([a, np.zeros((n_pad - n, *a.shape[1:]), dtype)]) for a in (y, s))
    if use_gram:
        yc = yd - (s @ y if fit_intercept else 0.0)
        if prep.gram is not None:  # formed by prepare (host_gram)
            G, c = prep.gram
        elif sparse:  # the sparse product, on the host
            G, c = (a.astype(dtype) for a in _sparse.gram_host(X, s.astype(np.float64), yc))
        else:  # on the devices (X may be row-sharded): padded there, never gathered; rows
            # of zero weight up to whole "data" shards (a jax.Array X: padded by prepare)
            rows = _sharding.round_up(n_pad, place.n_data)
            xp = jnp if isinstance(X, jax.Array) else np
            Xg = X if X.shape[0] == rows else xp.pad(X, ((0, rows - X.shape[0]), (0, 0)))
            sg, yg = (np.concatenate([a, np.zeros((rows - n_pad, *a.shape[1:]), a.dtype)])
                      for a in (sd, yc))  # fmt: skip
            G, c = gram(place.rows(Xg), place.rows(sg), place.rows(yg))
        xp = np if isinstance(G, np.ndarray) else jnp
        yy = sd @ (yc * yc) if not tasks else sd @ np.sum(yc * yc, axis=1)
        full = solvers.Data(
            G=place.replicated(xp.pad(G, ((0, p_pad - p), (0, p_pad - p)))),
            c=place.replicated(xp.pad(c, ((0, p_pad - p), *[(0, 0)] * len(tasks)))),
            yy=np.asarray(yy, dtype),
        )  # fmt: skip
        b0 = np.zeros(tasks, dtype)
    else:
        if sparse:  # X̃ᵀ's stored entries (a bucketed count: similar data share programs)
            Xt = None
            nnz_pad = entries_padded(X.scaled.nnz, (*key, n_pad, p_pad), headroom)
            cols = _sparse.to_cols(X, p_pad, dtype, nnz_pad)
        elif isinstance(X, np.ndarray):
            Xt = transposed(X, p_pad, n_pad, dtype, place)
        else:  # on the devices: pad there
            Xt = jnp.pad(X.T, ((0, p_pad - p), (0, n_pad - X.shape[0])))
            Xt = jax.device_put(Xt, place.sharding(None, place.data)) if place.mesh else Xt
        full = solvers.Data(Xt=Xt, y=place.rows(yd), s=place.rows(sd),
                            Xs=cols if sparse else None)  # fmt: skip
        b0 = np.asarray(solvers.null_intercept(loss, y, s, fit_intercept, np), dtype)
    y64, s64 = y.astype(np.float64), s.astype(np.float64)
    p_null = float(solvers.gap_scale(loss, y64, s64, fit_intercept, np))
    f_sat = solvers._null_and_saturated(loss, y64, s64, fit_intercept, np)[2]
    problem = Problem(
        data=full,
        lambdas=place.replicated(lams),
        n_lambdas=np.asarray(0 if grid_only else K, np.int32),
        relative=np.asarray(relative),
        rho=np.asarray(l1_ratio, dtype),
        v=place.replicated(v_pad),
        valid=place.replicated(valid),
        tol=np.asarray(tol, dtype),
        p_null=np.asarray(p_null, dtype),
        max_iter=np.asarray(max_iter, np.int32),
        f_sat=np.asarray(f_sat, dtype),
        early_stop=np.asarray(bool(early_stop and relative)),
        groups=None if groups is None else place.replicated(grp),
        v2=place.replicated(v2_pad),
    )
    st = Static(
        loss=loss, positive=positive, fit_intercept=fit_intercept and not use_gram,
        free=free,
        block=block,
        entrywise=entrywise,
        free_cap=free_cap,
    )  # fmt: skip
    state = Start(np.asarray(b0))
    capacity = first_capacity(n, int(valid.sum() if groups is None else col_ok.sum()), l1_ratio,
                              chunk, p_pad, p_pad if use_gram else n_pad)  # fmt: skip
    if sparse and not use_gram:  # the working set's dense columns: at most SPARSE_BLOCK entries
        capacity = min(capacity, sparse_capacity(n_pad, chunk))
    # (the first program trims its widest dense width for a one-response lasso: solve)
    widths = on_widths(loss, entrywise, groups is not None, sparse and not use_gram)
    state = solve(problem, state, st, capacity, chunk=chunk,
                  lams_mesh=place.mesh if place.lams else None,
                  slots=slots_for(X, nnz_pad, (*key, n_pad, p_pad), headroom)
                  if sparse and not use_gram else None,
                  widths=widths, trim=l1_ratio == 1 and not tasks)  # fmt: skip
    K = int(place.fetch(state.n_fit))
    names = ("coef", "intercept", "gap", "n_iter", "status", "lambdas", "dev")
    out = {k: place.fetch(getattr(state, k))[:K] for k in names}
    out["coef"] = out["coef"][:, :p]
    if use_gram and fit_intercept:
        out["intercept"] = out["intercept"] + (s @ y)
    if use_gram and not grid_only:  # False: solve it again on X (the caller's)
        out["gram_exact"] = _inputs.gram_solution_is_exact(
            G, out["coef"], out["status"] == solvers.Status.CONVERGED, out["lambdas"],
            l1_ratio, v2 if groups is None else v2[groups], dtype, tol,
        )  # fmt: skip
    return out, float(place.fetch(state.lambda_max))


FILLED = 2**23  # entries of X̃ᵀ from which one device receives it a slice at a time (32 MB)


def transposed(X: np.ndarray, p_pad: int, n_pad: int, dtype, place) -> Any:
    """``Xᵀ`` padded with zeros to ``(p_pad, n_pad)`` and placed as the engine holds it. A large
    one on one device is filled there a slice of :data:`_inputs.GRAM_SLICE` entries at a time
    (:func:`_filled`): its padded host copy beside the device's took X's size once more (a
    float32 path on 2,000 × 20,000: peak memory 3.1 → 2.4 times X)."""
    n, p = X.shape
    width = max(1, _inputs.GRAM_SLICE // n_pad)
    if place.mesh is not None or p_pad * n_pad <= FILLED or width >= p_pad:
        Xt = np.zeros((p_pad, n_pad), dtype)
        Xt[:p, :n] = X.T
        return place.put(Xt, None, place.data)
    Xt = jnp.zeros((p_pad, n_pad), dtype)
    for j in range(0, p, width):
        start = min(j, p_pad - width)  # (the last slice overlaps the one before it)
        block = np.zeros((width, n_pad), dtype)  # (a new one each: the transfer may read it late)
        block[: min(p - start, width), :n] = X[:, start : start + width].T
        Xt = _filled(Xt, block, start)
    return Xt


@functools.partial(jit, donate_argnums=0)
@highest
def _filled(Xt, block, start):
    """``Xt`` with rows ``start …`` replaced by ``block``, in place (``Xt`` is donated)."""
    return jax.lax.dynamic_update_slice(Xt, block, (start, 0))


@jit
@highest
def gram(X, s, y):
    """``G = XᵀSX`` and ``c = XᵀSy`` (one BLAS product on √s-scaled rows; ``y`` ``(n,)``, or
    ``(n, m)`` for ``c`` ``(p, m)``)."""
    Xw = X * jnp.sqrt(s)[:, None]
    return Xw.T @ Xw, ((s * y) @ X if y.ndim == 1 else X.T @ (s[:, None] * y))

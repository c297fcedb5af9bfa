"""``l1jax.cv_path``: K-fold cross-validated regularization paths (the host boundary).

Folds are a fixed-shape ``(n_folds, n)`` mask of training weights (zero on the held-out rows),
so every fold has the shapes of the full data and reuses its compiled program (on a CPU, a
design-form X of :data:`ROWS_ONLY_ENTRIES` entries or more: each fold on its training rows
alone, :func:`_rows_only`). On one CPU the fits run through :func:`l1jax.path`'s engine
program, one per core at a time (threads, folds beside the refit); on accelerators and meshes
all folds × all λs are fitted in one compiled call, the engine ``vmap``-ed over the masks (on
each fold's Gram matrix for the squared loss with p ≤ n). Each fold is standardized with its
own training weights, so nothing leaks from the held-out rows. The λ grid comes from the full
data (the refit :func:`l1jax.path`), as in glmnet's ``cv.glmnet``.

A sequence of ``l1_ratio`` values (glmnet users' grid over alpha) adds fits: every
(l1_ratio, fold) pair is one more path. With ``mesh=`` those pairs are split over the mesh axis
``"lambdas"`` and the rows of X over its axis ``"data"`` (docs/scale-out.md).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import itertools
import os
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import ArrayLike

from l1jax import _inputs, _progress, _sharding, _sparse, engine, solvers
from l1jax._inputs import Matrix
from l1jax._programs import host_entry, in_caller_scope, one_blas_thread, program, to_device
from l1jax.losses import MULTINOMIAL
from l1jax.path import (
    PathResult,
    _path,
    column_names,
    fitted_words,
    host_predict,
    path,
    reported,
    warn_unconverged,
)  # fmt: skip

__all__ = ["CVResult", "SCORINGS", "cv_path"]

#: The scores each loss accepts; the first is the default. Lower is better for all but AUC.
SCORINGS = {
    "squared": ("mse",),
    "logistic": ("deviance", "misclassification", "auc"),
    "poisson": ("deviance",),
    "multinomial": ("deviance", "misclassification"),
}


class CVResult(NamedTuple):
    """A cross-validated regularization path (a pytree of arrays, numbers and the ``scoring``
    name: its arrays pass through ``jax.tree.map``, but not as an argument of ``jax.jit``).

    With a sequence of ``R`` ``l1_ratio`` values, ``lambdas``, ``cv_mean`` and ``cv_se`` gain a
    leading ``R`` axis (each ratio has its own λ grid), ``fold_scores`` is ``(R, n_folds, K)``,
    the best pair is ``(l1_ratio_min, lambda_min)``, and ``lambda_1se``, ``index_min``,
    ``index_1se`` and ``path`` refer to the row ``index_l1_ratio`` of ``l1_ratio_min``.

    Attributes:
      lambdas: ``(K,)`` the λ grid of the full data, descending.
      cv_mean: ``(K,)`` mean held-out score over the folds (weighted by each fold's held-out
        sample weight: the mean over all held-out rows for MSE and deviance). The scores
        (``cv_mean``, ``cv_se``, ``fold_scores``) are NumPy float64 whatever the data's dtype
        (summed on the host, as scikit-learn's); ``lambdas`` and ``path`` in the data's.
      cv_se: ``(K,)`` its standard error over the folds (under 3 rows per fold, over the
        rows; see :func:`cv_path`).
      lambda_min: the λ of the best ``cv_mean``.
      lambda_1se: the largest λ whose ``cv_mean`` is within one ``cv_se`` of the best.
      index_min: index of ``lambda_min`` in ``lambdas``.
      index_1se: index of ``lambda_1se`` in ``lambdas``.
      path: the :class:`l1jax.PathResult` refitted on all the data at ``lambdas``.
      fold_scores: ``(n_folds, K)`` held-out score of each fold.
      fold_ids: ``(n,)`` the fold (``0 … n_folds − 1``) that holds out each row.
      scoring: the score's name (``"mse"``, ``"deviance"``, ``"misclassification"``, ``"auc"``).
      l1_ratio: the ``l1_ratio`` given: a float, or an ``(R,)`` array for a grid.
      l1_ratio_min: the ``l1_ratio`` of the best pair (the given float without a grid).
      index_l1_ratio: index of ``l1_ratio_min`` in ``l1_ratio`` (0 without a grid).
      paths: the refitted paths of every ``l1_ratio``, a tuple of ``R`` (``(path,)`` without
        a grid).
    """

    lambdas: np.ndarray
    cv_mean: np.ndarray
    cv_se: np.ndarray
    lambda_min: float
    lambda_1se: float
    index_min: int
    index_1se: int
    path: PathResult
    fold_scores: np.ndarray
    fold_ids: np.ndarray
    scoring: str
    l1_ratio: float | np.ndarray = 1.0
    l1_ratio_min: float = 1.0
    index_l1_ratio: int = 0
    paths: tuple[PathResult, ...] = ()


# ----------------------------------------------------------------------------------------------
# The folds: all fitted in one compiled call.


def _column_factors(penalty_factor, groups, X):
    """One penalty factor per column of ``X`` (a group's for each of its columns), or None where
    they are the default or not valid (:func:`l1jax.path` then names the problem)."""
    if penalty_factor is None or groups is None:
        return penalty_factor
    try:
        layout = _inputs.check_groups(groups, X.shape[1], penalty_factor)
    except (TypeError, ValueError):
        return None
    return layout.factors[layout.codes]


def _fold_problems(X, y, train_weights, lambdas, n_lambdas, penalty_factor, l1_ratio, tol,
                   max_iter, *, st, fit_intercept, standardize, gram):  # fmt: skip
    """One :class:`l1jax.engine.Problem` per fit (traced): fit ``m`` uses the weights
    ``train_weights[m]`` ``(M, n)`` (zero on held-out rows), the λs ``lambdas[m]`` and
    ``l1_ratio[m]``, standardized with its own training weights (as :func:`l1jax.path` does on
    the training rows alone); on its own Gram matrix when ``gram``. ``X`` ``(n, p)`` and ``y``
    are shared by the fits, or ``(M, n, p)`` and ``(M, n)``: each fit's own rows. Also returns
    each fit's column means and scales and the intercept shift of the Gram form."""
    dtype = X.dtype
    y = y.astype(dtype)

    def one(X, y, s, lams, rho):
        s = s / jnp.sum(s)
        Xc, mean, scale = _inputs.center_scale(jnp, X, s, fit_intercept, standardize)
        # The squared loss's y centred (the intercept takes its mean back): in float32 the
        # residual of a y far from 0 rounds by ε |y|, which no gap gets below (path's _path)
        centred = fit_intercept and st.loss == "squared"
        y_mean = s @ y if centred else jnp.zeros((), dtype)
        yc = y - y_mean
        if gram:
            G, c = engine.gram(Xc, s, yc)
            data = solvers.Data(G=G, c=c, yy=s @ (yc * yc))
            b0 = jnp.zeros((), dtype)
        else:
            data = solvers.Data(Xt=Xc.T, y=yc, s=s)
            b0 = solvers.null_intercept(st.loss, yc, s, fit_intercept)
        f_sat = solvers._null_and_saturated(st.loss, y, s, fit_intercept)[2]
        problem = engine.Problem(
            data=data, lambdas=lams, n_lambdas=n_lambdas, relative=jnp.asarray(False), rho=rho,
            v=penalty_factor, valid=jnp.any(Xc != 0, axis=0), tol=tol,
            p_null=solvers.gap_scale(st.loss, y, s, fit_intercept), max_iter=max_iter,
            f_sat=jnp.asarray(f_sat, dtype), early_stop=jnp.asarray(False),
        )  # fmt: skip
        return problem, b0, mean, scale, y_mean

    own = 0 if X.ndim == 3 else None
    return jax.vmap(one, in_axes=(own, own, 0, 0, 0))(X, y, train_weights, lambdas, l1_ratio)


_FOLD_STATIC = ("st", "fit_intercept", "standardize", "gram", "capacity", "chunk", "fits_mesh")


def _fits(args, states, *, st, fit_intercept, standardize, gram, capacity, chunk, fits_mesh):
    """The engine vmapped over the fits of :func:`_fold_problems` (``args``: its arguments),
    from ``states`` (``None``: from their start). With ``fits_mesh``, each device of its axis
    ``"lambdas"`` runs the engine on its own fits (a ``shard_map`` over that axis; ``"data"``
    stays XLA's): the engine's loops of one device's fits end when those fits are done, with
    no collective across ``"lambdas"`` in them (under a plain ``vmap`` of the sharded fits,
    every iteration waited for the slowest fit of all devices, and across hosts for the
    network). Returns the states, the column means and scales, the intercept shifts and the
    Gram matrices (None without ``gram``)."""

    def fit(*args):
        problems, b0, mean, scale, y_mean = _fold_problems(
            *args[:9], st=st, fit_intercept=fit_intercept, standardize=standardize, gram=gram
        )
        start = engine.Start(b0) if states is None else args[9]
        run = functools.partial(engine.run, st=st, capacity=capacity, chunk=chunk, dense=False)
        return jax.vmap(run)(problems, start), mean, scale, y_mean, problems.data.G

    args = args if states is None else (*args, states)
    if fits_mesh is None:
        return fit(*args)
    fits, rep = jax.sharding.PartitionSpec("lambdas"), jax.sharding.PartitionSpec()
    rows = fits if args[0].ndim == 3 else rep  # (each fit's own rows, or rows shared by all)
    #   X,    y,    train_weights, lambdas, n_lambdas, penalty_factor, l1_ratio, tol, max_iter
    specs = (rows, rows, fits, fits, rep, rep, fits, rep, rep, fits)[: len(args)]
    # (check_vma=False: the engine's loops start some carries from constants, which JAX's check
    # of what varies over "lambdas" refuses under vmap; each device's values are its own anyway)
    return jax.shard_map(fit, mesh=fits_mesh, in_specs=specs, out_specs=fits,
                         axis_names={"lambdas"}, check_vma=False)(*args)  # fmt: skip


@functools.partial(program, static_argnames=_FOLD_STATIC)
def _fit_folds(X, y, train_weights, lambdas, n_lambdas, penalty_factor, l1_ratio, tol, max_iter,
               *, st, fit_intercept, standardize, gram, capacity, chunk,
               fits_mesh=None):  # fmt: skip
    """Fit M paths at once (:func:`_fold_problems`), all folds × all λs in one compiled
    program: the working-set engine vmapped over the fits (per device of ``fits_mesh``'s axis
    ``"lambdas"``: :func:`_fits`). Returns the engine states (``need`` > 0 where a fit outgrew
    ``capacity``: :func:`_continue_folds` goes on from there), the column means and scales, the
    Gram form's intercept shifts and Gram matrices. The inputs' shardings (fits over
    ``"lambdas"``, rows over ``"data"``) carry through."""
    args = (X, y, train_weights, lambdas, n_lambdas, penalty_factor, l1_ratio, tol, max_iter)
    return _fits(args, None, st=st, fit_intercept=fit_intercept, standardize=standardize,
                 gram=gram, capacity=capacity, chunk=chunk, fits_mesh=fits_mesh)  # fmt: skip


@functools.partial(program, static_argnames=_FOLD_STATIC)
def _continue_folds(X, y, train_weights, lambdas, n_lambdas, penalty_factor, l1_ratio, tol,
                    max_iter, states, *, st, fit_intercept, standardize, gram, capacity,
                    chunk, fits_mesh=None):  # fmt: skip
    """:func:`_fit_folds` from ``states`` at a larger capacity (fits that are done stay)."""
    args = (X, y, train_weights, lambdas, n_lambdas, penalty_factor, l1_ratio, tol, max_iter)
    return _fits(args, states, st=st, fit_intercept=fit_intercept, standardize=standardize,
                 gram=gram, capacity=capacity, chunk=chunk, fits_mesh=fits_mesh)[0]  # fmt: skip


GRAM_MAX_P = 1024  # squared loss with p ≤ min(n, this): folds solved on their own p × p Gram


def _solve_folds(args, *, loss, fit_intercept, standardize, positive, free, n, p,
                 block=8, gram_ok=True, mesh=None, free_cap=0):  # fmt: skip
    """All fits to the end of their paths: the engine at the first capacity, then larger ones
    for the fits that need it (on Gram matrices where ``gram_ok``: see
    :func:`l1jax._inputs.gram_is_exact`; all again on X when a fit's support squared there is
    too ill-conditioned, :func:`l1jax._inputs.gram_solution_is_exact`). Returns the states
    (fetched) and the standardization."""
    gram = gram_ok and loss == "squared" and p <= min(n, GRAM_MAX_P)
    st = engine.Static(loss=loss, positive=positive, fit_intercept=fit_intercept and not gram,
                       free=free, block=block, free_cap=free_cap)  # fmt: skip
    chunk = min(engine.CHUNK, args[0].shape[-1])
    p_pad = args[0].shape[-1]
    capacity = engine.first_capacity(n, p, 1.0, chunk, p_pad, p_pad if gram else args[0].shape[-2])
    fits_mesh = mesh if _sharding.axis_size(mesh, "lambdas") > 1 else None  # (Auto axes already)
    kw = dict(st=st, fit_intercept=fit_intercept, standardize=standardize, gram=gram, chunk=chunk,
              fits_mesh=fits_mesh)  # fmt: skip
    states, mean, scale, y_mean, G = _fit_folds(*args, capacity=capacity, **kw)
    while True:
        need = int(np.max(_sharding.to_host(states.need)))
        if need == 0:
            break
        capacity = engine.capacity_for(max(need, capacity + 1), p_pad, chunk)
        states = states._replace(need=jnp.zeros_like(states.need))
        states = _continue_folds(*args, states, capacity=capacity, **kw)
    if gram and not _gram_solutions_exact(args, states, G):
        return _solve_folds(args, loss=loss, fit_intercept=fit_intercept, standardize=standardize,
                            positive=positive, free=free, n=n, p=p, block=block, gram_ok=False,
                            mesh=mesh, free_cap=free_cap)  # fmt: skip
    return states, mean, scale, y_mean, gram


def _gram_solutions_exact(args, states, G) -> bool:
    """:func:`l1jax._inputs.gram_solution_is_exact` for each fit of :func:`_solve_folds`."""
    host = _sharding.to_host
    lams, v, ratios, tol = host(args[3]), host(args[5]), host(args[6]), float(host(args[7]))
    coef, status, G = host(states.coef), host(states.status), host(G)
    return all(_inputs.gram_solution_is_exact(
        G[m], coef[m], status[m] == solvers.Status.CONVERGED, lams[m], float(ratios[m]), v,
        G.dtype, tol) for m in range(G.shape[0]))  # fmt: skip


def _batched(mesh) -> bool:
    """Solve the fits vmapped in one program (accelerators, and meshes: the fits are split over
    their devices), or one by one through the program of :func:`l1jax.path` (one CPU:
    no extra compilation, and faster there, as a vmapped while loop runs every fit until the
    slowest one is done: 5-fold A quick 3.8 s against 8.4 s)."""
    if BATCHED is not None:
        return BATCHED
    return mesh is not None or jax.default_backend() != "cpu"


BATCHED = None  # None: by backend (above); True/False forces a mode (tests)


THREADED_ENTRIES = 2**24  # fits of X up to this many entries (134 MB in float64) run threaded


def _workers(jobs: int, X) -> int:
    """Threads for ``jobs`` fits of ``X``'s rows one by one: one per core this process may use
    (XLA runs its programs outside the GIL; a small fit keeps about one core busy), or one
    when X has more than :data:`THREADED_ENTRIES` entries (each fit holds a padded copy of its
    rows: threads would multiply the memory of a large X)."""
    if _entries(X) > THREADED_ENTRIES:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(jobs, cores))


ROWS_ONLY_ENTRIES = 2**21  # folds of an X from this many entries fit on their rows alone


def _rows_only(loss: str, X) -> bool:
    """Whether each fold, fitted one by one (a CPU), takes its training rows alone: in the design
    form, whose products cost what its rows do, when X has at least :data:`ROWS_ONLY_ENTRIES`
    entries (stored ones for SciPy's sparse X). Otherwise it keeps all rows, the held-out ones
    at weight 0: the Gram form (the squared loss, p ≤ n) on RowGrams' matrices, and smaller
    data on the refit's own program, not one more to compile. Measured (BENCHMARKS.md,
    "Cross-validation"): 5-fold warm, C full (200 × 20,000) 4.2-5.0 → 3.9-4.4 s, A full (1000 ×
    5000) 37.5-38.9 → 28.0-30.8 s; on the quick problems (1-2 × 10⁵ entries) their own program
    cost the first call on an empty cache 0.2-3.7 s more (A quick 1.6-2.2 s) for 0-0.15 s less
    warm."""
    return not engine.gram_form(loss, *X.shape) and _entries(X) >= ROWS_ONLY_ENTRIES


def _entries(X) -> int:
    """The entries of ``X`` (a SciPy sparse X: its stored ones)."""
    return getattr(X, "nnz", None) or X.shape[0] * X.shape[1]


def _fit_one_by_one(X, y, s, held, lam_grid, ratios, *, mesh, rows_only=False, report=None,
                    pad_to=0, what="fold", pool=None, ahead=None, keep=None,
                    **opts):  # fmt: skip
    """Each (l1_ratio, fold) fit by :func:`l1jax.path` on the fold's training rows (weight 0 on
    the held-out rows), one per thread on each core (:func:`_workers`: 100 halves of 150 × 1000,
    1.7-2× faster on 2 cores than one after another). Returns ``coef`` ``(R, F, K, p)``,
    ``intercept``, ``gap`` and ``status`` ``(R, F, K)``. With ``rows_only``, on the training
    rows alone (``X[~held[f]]``: the same fit, at the cost of its own rows; a program of their
    shape, bucketed without the 15% headroom of small data: the fits share one shape).
    ``pool``: the threads to use (else new ones); ``ahead``: Futures of fits already started
    (``{(r, f): Future}``, :func:`_fold_fit`), whose λs may go on past the ``K`` of
    ``lam_grid`` (their first ``K`` are kept). ``keep(coef, (r, f))``: what to keep of each
    fit's coefficients ``(K, p…)``, taken in its thread as it finishes (``coef`` is then the
    ``R`` lists of ``F`` of what it returns): not R·F·K·p float64s (stability selection keeps
    their nonzero pattern, cv_path the held-out rows' predictions). Last, ``n_iter``
    ``(R, F, K)`` (:func:`l1jax.path.warn_unconverged` tells stalls by it)."""
    R, F = len(ratios), held.shape[0]
    K = lam_grid.shape[1]
    ahead = ahead or {}

    def kept(res, job):
        return res if keep is None else res._replace(coef=keep(np.asarray(res.coef)[:K], job))

    done = itertools.count(1)

    @in_caller_scope  # (float64 data: follows_float64's jax.enable_x64 holds in the threads)
    def fit(job):
        r, f = job
        res = _fold_fit(X, y, s, held[f], lam_grid[r], ratios[r], mesh=mesh, rows_only=rows_only,
                        pad_to=pad_to, **opts)  # fmt: skip
        res = kept(res, job)
        fitted()
        return res

    def fitted(*_):
        if report is not None:
            report(f"{what} {next(done)}/{R * F} fitted")

    for future in ahead.values():
        future.add_done_callback(fitted)

    jobs = [(r, f) for r in range(R) for f in range(F) if (r, f) not in ahead]
    with contextlib.ExitStack() as threads:
        workers = _workers(len(jobs), X)
        if ahead or workers > 1:  # (the fits' own threads use the cores)
            threads.enter_context(one_blas_thread())
        if pool is None:
            pool = threads.enter_context(
                concurrent.futures.ThreadPoolExecutor(workers, "l1jax-fit")
            )
        futures = {**ahead, **{job: pool.submit(fit, job) for job in jobs}}
        fits = [futures[r, f].result() for r in range(R) for f in range(F)]
        fits = [kept(fits[i], job) if job in ahead else fits[i]  # (started ahead: kept here)
                for i, job in enumerate((r, f) for r in range(R) for f in range(F))]  # fmt: skip

    def stack(name):
        return np.stack([getattr(r, name)[:K] for r in fits]).reshape(
            R, F, K, *getattr(fits[0], name).shape[1:]
        )

    if keep is None:
        coef = stack("coef").astype(np.float64)
    else:
        coef = [[fits[r * F + f].coef for f in range(F)] for r in range(R)]
    return (coef, stack("intercept").astype(np.float64), stack("gap"), stack("status"),
            stack("n_iter"))  # fmt: skip


def _host_float(X):
    """``X`` (NumPy or SciPy sparse) as the folds get it: a float32 or float64 ``X`` as it is
    (each fit standardizes in float64 a slice at a time: a float64 copy of a float32 X held
    two of its sizes more for the whole cross-validation), any other in float64."""
    return X if X.dtype in (np.float32, np.float64) else X.astype(np.float64)


def _fold_fit(X, y, s, held, lams, ratio, *, mesh, rows_only, pad_to, **opts) -> PathResult:
    """One fold's path at ``lams`` on the rows not ``held`` (see :func:`_fit_one_by_one`)."""
    rows = ~held if rows_only else slice(None)
    # In the refit's dtype: y comes in float64 (and X in float64 unless float32: _host_float),
    # which with x64 on fitted float32 data's folds in float64 beside a float32 refit; float32
    # λs scope x64 off, as the folds of x64's default run.
    with jax.enable_x64(np.dtype(lams.dtype) == np.float64):
        res, _ = _path(
            X[rows], y[rows], l1_ratio=ratio, lambdas=lams, lambda_min_ratio=None,
            sample_weight=np.where(held, 0.0, s)[rows], block_size=None, mesh=mesh,
            pad_to=pad_to, headroom=not rows_only, check_free=False, **opts,
        )  # fmt: skip
    return res


def _fit_batched(X_arr, y_arr, s, held, lam_grid, ratios, *, loss, fit_intercept, standardize,
                 penalty_factor, positive, tol, max_iter, mesh, rows=None):  # fmt: skip
    """All (l1_ratio, fold) fits in one vmapped program (:func:`_solve_folds`), with the fits
    split over the mesh axis ``"lambdas"`` and the rows over ``"data"``. With ``rows``
    ``(F, h)``, the indices of each fold's training rows (as many for every fold), each fit
    gets its own ``h`` rows of ``X`` (``held`` is then ignored): the same fits at the cost of
    their own rows, not all ``n``."""
    R, F = len(ratios), held.shape[0]
    p = X_arr.shape[1]
    gram_ok = _inputs.gram_is_exact(X_arr, s, penalty_factor, lam_grid, fit_intercept,
                                    lam_grid.dtype, tol)  # fmt: skip
    # Unpenalized columns that are, on all rows, combinations of those before them (so on every
    # fold's) are zero columns, as path's drop_aliased leaves them out (every level of a one-hot
    # encoding with an intercept: every fit UNBOUNDED, each told to drop columns)
    aliased = _inputs.aliased_columns(X_arr, s, penalty_factor, fit_intercept)
    if rows is not None:  # (F, h, p): each fold's rows
        X_arr, y_arr, s = X_arr[rows], y_arr[rows], s[rows]
        held = np.zeros(rows.shape, bool)
    n = X_arr.shape[-2]
    K = lam_grid.shape[1]
    dtype = lam_grid.dtype
    # One fit per (l1_ratio, fold) pair, pair m = r·F + f, padded with copies of the first fits
    # to whole "lambdas" shards. Zero-weight padding rows: a few shapes of n compile (and whole
    # "data" shards), and the fits are unchanged.
    M = R * F
    pairs = np.arange(_sharding.round_up(M, _sharding.axis_size(mesh, "lambdas"))) % M
    n_pad, chunk, p_pad = engine.padded(n, p)
    pad = _sharding.round_up(n_pad, _sharding.axis_size(mesh, "data")) - n
    train_w = np.pad(np.where(held, 0.0, s), ((0, 0), (0, pad)))
    v = np.ones(p) if penalty_factor is None else np.asarray(penalty_factor, np.float64)
    Kp = engine.n_lambdas_padded(K, 8, len(pairs) * p_pad)
    lams = np.concatenate([lam_grid, np.repeat(lam_grid[:, -1:], Kp - K, axis=1)], axis=1)
    data, fits = _sharding.axis(mesh, "data"), _sharding.axis(mesh, "lambdas")
    put = functools.partial(_put, mesh, dtype)
    if rows is None:  # shared by the fits
        X_pad = np.pad(X_arr, ((0, pad), (0, p_pad - p)))
        X_pad[:, aliased] = 0
        X_in = put(X_pad, data, None)
        y_in = put(np.pad(y_arr, (0, pad)), data)
    else:
        X_pad = np.pad(X_arr, ((0, 0), (0, pad), (0, p_pad - p)))[pairs % F]
        X_pad[..., aliased] = 0
        X_in = put(X_pad, fits, data, None)
        y_in = put(np.pad(y_arr, ((0, 0), (0, pad)))[pairs % F], fits, data)
    args = (
        X_in,
        y_in,
        put(train_w[pairs % F], fits, data),
        put(lams[pairs // F], fits, None),
        to_device(K, jnp.int32),
        put(np.pad(v, (0, p_pad - p)), None),
        put(np.asarray(ratios, np.float64)[pairs // F], fits),
        put(tol),
        to_device(max_iter, jnp.int32),
    )
    states, mean, scale, y_mean, gram = _solve_folds(
        args, loss=loss, fit_intercept=bool(fit_intercept), standardize=bool(standardize),
        positive=bool(positive),
        free=bool(np.any(v == 0) or np.any(lam_grid == 0)), n=n, p=p, gram_ok=gram_ok, mesh=mesh,
        free_cap=engine.free_capacity(int(np.sum(v == 0)), lam_grid, bool(positive)),
        block=1 if engine.small_gram(loss, n, p, gram_ok=gram_ok) else 8,  # (path's own block)
    )  # fmt: skip
    fetch = lambda a: _sharding.to_host(a)[:M].astype(np.float64)  # noqa: E731
    mean, scale = fetch(mean)[:, :p], fetch(scale)[:, :p]
    coef = fetch(states.coef)[:, :K, :p] / scale[:, None, :]
    intercept = fetch(states.intercept)[:, :K] + fetch(y_mean)[:, None]
    if fit_intercept:
        intercept = intercept - np.einsum("mkp,mp->mk", coef, mean)
    coef = coef.reshape(R, F, K, p)
    intercept = intercept.reshape(R, F, K)
    gap = fetch(states.gap)[:, :K].reshape(R, F, K)
    status = _sharding.to_host(states.status)[:M, :K].reshape(R, F, K)
    n_iter = _sharding.to_host(states.n_iter)[:M, :K].reshape(R, F, K)
    return coef, intercept, gap, status, n_iter


# ----------------------------------------------------------------------------------------------
# Held-out scores (host side, float64).


def _weighted_auc(y, eta, w) -> np.ndarray:
    """Area under the ROC curve of scores ``eta`` ``(K, m)`` for 0/1 labels ``y`` ``(m,)`` with
    weights ``w``: the weighted probability that a positive outscores a negative, ties ½."""
    pos, neg = w * (y == 1), w * (y == 0)
    out = np.empty(eta.shape[0])
    for k, e in enumerate(eta):
        values, inverse = np.unique(e, return_inverse=True)
        p = np.bincount(inverse, pos, values.size)
        q = np.bincount(inverse, neg, values.size)
        below = np.cumsum(q) - q  # negative weight strictly below each value
        out[k] = np.sum(p * (below + 0.5 * q)) / (p.sum() * q.sum())
    return out


def _scores(scoring, loss, y, eta, w) -> np.ndarray:
    """Weighted mean held-out score per λ: ``eta`` ``(K, m)``, ``y`` and ``w`` ``(m,)`` (multi-
    task: ``eta`` ``(K, m, tasks)``, ``y`` ``(m, tasks)``, the squared errors summed over the
    tasks of each row, as glmnet's ``mgaussian``)."""
    if scoring == "auc":
        return _weighted_auc(y, eta, w)
    return _units(scoring, loss, y, eta) @ w / w.sum()


def _units(scoring, loss, y, eta) -> np.ndarray:
    """The score of each held-out row ``(K, m)`` (all but ``"auc"``, a score of pairs)."""
    if scoring == "mse":
        unit = (y - eta) ** 2
        unit = unit.sum(axis=-1) if unit.ndim == 3 else unit
    elif scoring == "misclassification" and loss == MULTINOMIAL:  # y one-hot (m, C)
        unit = (eta.argmax(axis=-1) != y.argmax(axis=-1)).astype(np.float64)
    elif scoring == "misclassification":
        unit = ((eta > 0) != (y == 1)).astype(np.float64)
    elif loss == MULTINOMIAL:  # deviance −2 log-likelihood
        from scipy.special import logsumexp  # (here: 0.1 s less to import l1jax)

        unit = 2 * (logsumexp(eta, axis=-1) - np.sum(y * eta, axis=-1))
    elif loss == "logistic":  # deviance −2 log-likelihood
        unit = 2 * (np.logaddexp(0.0, eta) - y * eta)
    else:  # poisson deviance 2 (y log(y/μ) − (y − μ))
        mu = np.exp(eta)
        ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
        unit = 2 * (ylogy - y * eta - (y - mu))
    return unit


# ----------------------------------------------------------------------------------------------
# The public entry point.


@host_entry
@_sharding.outside_context_mesh
@_inputs.follows_float64
def cv_path(
    X: Matrix,
    y: ArrayLike,
    *,
    n_folds: int = 10,
    fold_ids: ArrayLike | None = None,
    seed: int = 0,
    scoring: str | None = None,
    loss: str = "squared",
    l1_ratio: float | Sequence[float] = 1.0,
    lambdas: int | ArrayLike = 100,
    lambda_min_ratio: float | None = None,
    fit_intercept: bool = True,
    standardize: bool = True,
    penalty_factor: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    positive: bool = False,
    tol: float | None = None,
    max_iter: int = 20_000,
    mesh: jax.sharding.Mesh | None = None,
    early_stop: bool = True,
    verbose: bool = False,
    grouped: bool = False,
    groups: ArrayLike | None = None,
) -> CVResult:
    """Cross-validate a whole lasso / elastic-net path of a GLM (as glmnet's ``cv.glmnet``).

    The objective of each fit is that of :func:`l1jax.path`::

        min_{β, b}  (1/Σs) Σ_i s_i ℓ(y_i, b + x_iᵀβ) + λ Σ_j v_j (ρ |β_j| + (1 − ρ)/2 β_j²)

    (with ``groups``, the group penalty ``λ Σ_g w_g (ρ ‖β_g‖₂ + (1 − ρ)/2 ‖β_g‖²)``, ``w`` =
    ``penalty_factor`` one per group; multi-task and multinomial as there). First the path is
    fitted on all the data (this gives the λ grid, from λ_max of the full data, and the
    ``path`` of the result; with an int ``lambdas`` it stops early as glmnet's does, see
    ``early_stop`` in :func:`l1jax.path`, and the folds fit the λs it kept). Then, for each
    fold ``f``, the same λs are fitted on the other folds' rows (the held-out rows get weight 0;
    standardization uses the training rows only) and scored on the held-out rows. Each fit is a
    warm-started path certified by its duality gap. On a CPU the fits run through the path's own
    program (a fold of a design-form X of 2²¹ entries or more: on its training rows alone, a
    program of their shape), one per core at a time (threads; with 2 or more cores and one
    ``l1_ratio``, folds run beside the refit: with given λs all of them, with an automatic grid
    the first, on the whole grid, keeping the λs the refit kept); on accelerators and meshes
    all folds are solved in one compiled call, ``vmap``-ed over them.

    Scores (``scoring``; lower is better except ``"auc"``): ``"mse"`` (squared loss, the
    default), ``"deviance"`` (logistic and multinomial: ``−2 log-likelihood``, for multinomial
    ``2 (log Σ_c e^{η_c} − η_y)``; Poisson: ``2 (y log(y/μ) − (y − μ))``; the default for all
    three), ``"misclassification"`` (logistic, predicted class ``η > 0``; multinomial, the class
    of the largest ``η_c``) and ``"auc"`` (logistic). Each fold's score ``e_f`` is the
    ``sample_weight``-weighted mean over its held-out rows (AUC: weighted over its pairs), and
    with ``w_f`` the fold's total held-out weight (glmnet's convention)::

        cv_mean = Σ_f w_f e_f / Σ_f w_f
        cv_se   = sqrt( Σ_f w_f (e_f − cv_mean)² / Σ_f w_f / (F − 1) )

    With equal fold weights, ``cv_se`` is the sample standard deviation of the fold scores
    (``ddof=1``) divided by ``√F``. With fewer than 3 rows per fold (``n < 3 F``; not for AUC)
    it spreads the held-out rows' own scores ``e_i`` instead, as ``cv.glmnet`` then does
    (``grouped=FALSE``): ``sqrt( Σ_i w_i (e_i − cv_mean)² / Σ_i w_i / (n − 1) )``, the same
    value when every fold holds one row (leave-one-out). A row of ``sample_weight`` 0 counts in
    ``n`` and takes its place in the random folds, as in ``cv.glmnet`` (drop it to have it do
    neither). ``lambda_min`` minimizes ``cv_mean``
    (maximizes it for AUC); ``lambda_1se`` is the largest λ whose ``cv_mean`` is within
    ``cv_se[index_min]`` of the best (the one-standard-error rule of Hastie, Tibshirani &
    Friedman).

    **Against** ``cv.glmnet`` given the same ``foldid`` and λs (R glmnet 4.1-6): the same
    ``cvm``, ``cvsd``, ``lambda.min`` and ``lambda.1se`` (AUC and misclassification to
    rounding, deviance and MSE to the fits' accuracy) but where glmnet's own conventions differ.
    Its binomial and multinomial deviance clips the held-out probabilities to
    ``[1e-5, 1 − 1e-5]`` (a confidently wrong row costs at most about 23; on ordinary data
    1e-6 relative apart, on data with a confidently mislabelled row another ``lambda.min``):
    here the deviance is the exact ``−2 log-likelihood``, as scikit-learn's ``log_loss``. Below
    10 rows per fold it replaces AUC by deviance (with a warning); here AUC is what is scored.
    It recomputes inside every fold the quantities that :func:`l1jax.path`'s translations use
    (σ_y of its gaussian elastic net, the σ_j of ``intercept=FALSE``), so those translations
    reproduce its paths, not its cross-validation. Its ``grouped`` argument is this one's
    fold rule above; ``grouped`` here is the multinomial penalty (its ``type.multinomial``).

    **A grid over** ``l1_ratio`` (glmnet users' grid over alpha): pass a sequence of R values.
    Each ratio gets its own λ grid (from its own λ_max; the same array when ``lambdas`` is an
    array) and its own refit on all the data; all R × F fold fits are solved in the same compiled
    call. ``cv_mean`` and ``cv_se`` are then ``(R, K)``; the best pair ``(l1_ratio_min,
    lambda_min)`` minimizes ``cv_mean`` over both axes (ties: the first ratio given, the largest
    λ), and ``lambda_1se`` applies the one-standard-error rule along the row of
    ``l1_ratio_min``. A float keeps the results one-dimensional, as above.

    **Several devices**: with ``mesh=`` the R × F fold fits are split over the mesh axis
    ``"lambdas"`` (padded with copies of the first fits to whole shards) and the rows of X over
    its axis ``"data"`` (padded with rows of zero weight); the refits use ``path(mesh=mesh)``.
    Results are the single-device run's to the same tolerance (sums in another order can stop
    the solver at another iterate within ``tol``; docs/scale-out.md).

    Args:
      X: ``(n, p)`` real design matrix.
      y: ``(n,)`` targets, or ``(n, m)`` for a multi-task path (squared loss, see
        :func:`l1jax.path`): ``"mse"`` then sums the squared errors of a held-out row over its
        ``m`` tasks (glmnet's ``mgaussian``; ``m`` times scikit-learn's ``MultiTaskLassoCV``
        ``mse_path_``), and the folds are fitted one by one (not ``vmap``-ed). Class labels for
        ``loss="multinomial"`` (as :func:`l1jax.path`; folds fitted one by one too, and every
        fold's training rows must hold every class).
      n_folds: number of folds F, 2 ≤ F ≤ n (ignored when ``fold_ids`` is given).
      fold_ids: ``(n,)`` fold of each row, integers ``0 … F − 1`` (F ≥ 2, no fold empty;
        glmnet's ``foldid``, ``1 … F``, is read as ``0 … F − 1``);
        default: random balanced folds from ``seed``, stratified by class for
        ``loss="logistic"`` and ``"multinomial"``.
      seed: seed of the random folds.
      scoring: see above; ``None`` is ``"mse"`` (squared) or ``"deviance"``.
      l1_ratio: ρ in [0, 1] as in :func:`l1jax.path`, or a sequence of them (a grid, above).
      loss, lambdas, lambda_min_ratio, fit_intercept, standardize, penalty_factor,
        sample_weight, positive, tol, max_iter, early_stop: as in :func:`l1jax.path`
        (``max_iter`` is the FISTA iteration cap per λ in the folds). With an ``l1_ratio``
        grid, every ratio keeps as many λs as the longest of their early-stopped paths.
      verbose: print progress lines on stderr: compilations, the path on all rows, each fold.
      grouped: ``loss="multinomial"`` only: the row penalty across the classes, as in
        :func:`l1jax.path`.
      groups: ``(p,)`` a group label per column of ``X`` (or lists of column indices):
        group lasso / group elastic net, as in :func:`l1jax.path` (``penalty_factor`` then has
        one entry per group); the folds are
        fitted one by one through the path's program (not ``vmap``-ed).
      mesh: optional ``jax.sharding.Mesh`` with axes ``"lambdas"`` and/or ``"data"`` (above).

    Returns:
      :class:`CVResult`.

    Raises:
      ValueError, TypeError: on bad input, naming the argument and the fix.

    Example:
      >>> import numpy as np
      >>> import l1jax
      >>> rng = np.random.default_rng(0)
      >>> X = rng.standard_normal((60, 5)); y = X[:, 0] - 2 * X[:, 1] + rng.standard_normal(60)
      >>> cv = l1jax.cv_path(X, y, n_folds=5, lambdas=20)
      >>> cv.cv_mean.shape, bool(cv.lambda_1se >= cv.lambda_min)  # glmnet's stop: 15 of 20 λs
      ((15,), True)
      >>> np.flatnonzero(cv.path.coef[cv.index_1se]).tolist()
      [0, 1]
      >>> grid = l1jax.cv_path(X, y, n_folds=5, lambdas=20, l1_ratio=[0.5, 1.0])
      >>> grid.cv_mean.shape, grid.l1_ratio_min in (0.5, 1.0)
      ((2, 17), True)
      >>> groups = [0, 0, 1, 1, 2]  # group lasso: features 0 and 1 enter together
      >>> cvg = l1jax.cv_path(X, y, n_folds=5, lambdas=20, groups=groups)
      >>> np.flatnonzero(cvg.path.coef[cvg.index_1se]).tolist(), cvg.path.groups.tolist()
      ([0, 1], [0, 0, 1, 1, 2])
    """
    _inputs.check_loss(loss, multinomial=True)
    _inputs.check_flag(verbose, "verbose")
    _inputs.check_flag(grouped, "grouped")
    with _progress.progress("l1jax.cv_path", verbose) as report, contextlib.ExitStack() as threads:
        if scoring is None:
            scoring = SCORINGS[loss][0]
        if not isinstance(scoring, str) or scoring not in SCORINGS[loss]:
            raise ValueError(
                f"scoring must be one of {SCORINGS[loss]} for loss={loss!r}, got {scoring!r}"
            )
        # a jax.Array X (even one spanning hosts) is gathered: cv_path scores folds with NumPy
        # (a sparse X stays sparse: SciPy CSR)
        _inputs.check_column_labels(X, penalty_factor=penalty_factor, groups=groups)
        _inputs.check_row_labels(X, y=y, sample_weight=sample_weight, fold_ids=fold_ids)
        names = column_names(X)  # (the refit's feature_names, as path's)
        X = X_arr = _inputs.host_rows(X)
        y = _sharding.to_host(y) if isinstance(y, jax.Array) else y
        if loss == MULTINOMIAL:
            _inputs.refuse_mixed_labels(y, "y")
        y_arr = np.asarray(y)
        multi = y_arr.ndim == 2  # multi-task: path() checks the rest (loss, positive, mesh)
        if (X_arr.ndim != 2 or y_arr.ndim != 1 + multi or X_arr.shape[0] != y_arr.shape[0]
                or multi and loss != "squared" or 0 in X_arr.shape):  # fmt: skip
            # path() gives the precise message.
            path(X, y, loss=loss, lambdas=1, fit_intercept=fit_intercept)
        labels = None
        if loss == MULTINOMIAL:  # the fits take the labels; the scores their one-hot matrix
            labels, (y_arr, classes) = y_arr, _inputs.check_labels(y_arr)
        n = X_arr.shape[0]
        ids = _inputs.check_folds(n, y_arr if labels is None else labels, n_folds, fold_ids, seed,
                                  loss)  # fmt: skip
        F = int(ids.max()) + 1
        held = ids[None, :] == np.arange(F)[:, None]  # (F, n)
        y64, s = (
            _inputs.floats(y_arr),
            _inputs.floats(np.ones(n) if sample_weight is None else sample_weight),
        )
        scaled = _inputs.unit_scale(s)  # (their sums must not overflow)
        if scaled is not s and sample_weight is not None:
            sample_weight = s = scaled
        factors = _column_factors(penalty_factor, groups, X_arr)
        content_checked = y64 is not None and s is not None and s.shape == (n,) and np.all(s >= 0)
        if content_checked:  # cheap checks before the refit (otherwise path() names the problem)
            _inputs.check_fold_content(y64, s, held, loss, scoring, fit_intercept)
            if labels is not None:
                _inputs.check_fold_classes(y64, classes, s, held, fit_intercept)
            _inputs.check_separation(X_arr, y64, s, factors, loss, fit_intercept, positive, held)

        ratios = _inputs.check_l1_ratios(l1_ratio)
        grid = ratios is not None
        ratios = ratios if grid else [l1_ratio]
        mesh = _sharding.auto(_sharding.check_mesh(mesh, "cv_path"))

        weighted = n if not content_checked else int(np.count_nonzero(s))  # (s: checked >= 0)
        report(f"fitting the {loss} path on all {n} rows" if weighted == n else
               f"fitting the {loss} path on the {weighted} rows of positive weight")  # fmt: skip
        batched = (_batched(mesh) and not _sparse.is_sparse(X_arr) and not multi and labels is None
                   and groups is None)  # fmt: skip
        pad_to = lambdas if _inputs.is_grid_size(lambdas) else 0  # (folds on the refit's program)

        # (the folds' Gram matrices, where formed on the host: one product of X, less each
        # fold's held-out rows; X as the folds get it, _host_float; the refit's too, of a
        # float32 or float64 X)
        row_grams = None
        if isinstance(X_arr, np.ndarray) and X_arr.dtype.kind in "fiu":  # (else path names it)
            X_arr = _host_float(X_arr)
            row_grams = _inputs.RowGrams(X_arr) if F >= 3 else None
        keywords = dict(
            loss=loss, lambdas=lambdas, lambda_min_ratio=lambda_min_ratio,
            fit_intercept=fit_intercept, standardize=standardize, penalty_factor=penalty_factor,
            sample_weight=sample_weight, positive=positive, tol=tol, max_iter=max_iter,
            mesh=mesh, early_stop=early_stop, grouped=grouped, groups=groups,
            check_free=not content_checked,  # (all rows checked above, with the folds)
        )  # fmt: skip

        def refit(l1_ratio, lambdas=lambdas):  # (l1jax.path on all rows: checks and results;
            # its warning comes with the folds': a refit in a thread has no user's line)
            return reported(X, y, False, {**keywords, "l1_ratio": l1_ratio, "lambdas": lambdas,
                                          "block_size": None}, row_grams, where=None)  # fmt: skip

        def fold_options(dtype) -> dict:
            return dict(loss=loss, fit_intercept=bool(fit_intercept),
                        standardize=bool(standardize), penalty_factor=penalty_factor,
                        positive=bool(positive), max_iter=int(max_iter), mesh=mesh,
                        tol=_inputs.default_tol(dtype) if tol is None else tol,
                        grouped=grouped, groups=groups, row_grams=row_grams)  # fmt: skip

        rows_only = _rows_only(loss, X_arr)
        fulls, pool, ahead = None, None, {}
        if not batched and not grid and content_checked and _workers(F + 1, X_arr) > 1:
            # The first fold runs beside the refit (which would leave a core idle), on the λs
            # the refit will have before its early stop (its first K are kept).
            lams = _path(X, y, l1_ratio=l1_ratio, block_size=None, grid_only=True,
                         row_grams=row_grams, **keywords)  # fmt: skip
            if lams is not None:
                # (every fold with given λs, which do not stop early; else the first)
                first = F if not _inputs.is_grid_size(lambdas) else 1
                threads.enter_context(one_blas_thread())  # (see _fit_one_by_one)
                X_arr = _host_float(X_arr)
                y_arr = y_arr.astype(np.float64)
                s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
                pool = threads.enter_context(concurrent.futures.ThreadPoolExecutor(
                    _workers(F + 1, X_arr), "l1jax-fit"))  # fmt: skip
                refitted = pool.submit(in_caller_scope(refit), l1_ratio=l1_ratio)
                for f in range(first):
                    ahead[0, f] = pool.submit(
                        in_caller_scope(_fold_fit), X_arr, y_arr if labels is None else labels,
                        s, held[f], lams, l1_ratio, rows_only=rows_only, pad_to=pad_to,
                        **fold_options(lams.dtype),
                    )  # fmt: skip
                fulls = (refitted.result(),)
                if not np.array_equal(fulls[0].lambdas, lams[: fulls[0].lambdas.size]):
                    ahead = {}  # (not seen: the refit's λs are those computed here)
        if fulls is None:
            fulls = tuple(refit(l1_ratio=ratio) for ratio in ratios)
        K = max(f.lambdas.size for f in fulls)
        if any(f.lambdas.size < K for f in fulls):  # (an l1_ratio grid): continue the short grids
            fulls = tuple(f if f.lambdas.size == K else refit(ratio, _continued(f.lambdas, K))
                          for f, ratio in zip(fulls, ratios, strict=True))  # fmt: skip
        full = fulls[0]
        R = len(fulls)
        report(f"fitted {fitted_words(full, lambdas)}; now {R * F} fold fits")
        dtype = full.lambdas.dtype
        tol = _inputs.default_tol(dtype) if tol is None else tol
        X_arr = _host_float(X_arr)
        y_arr = y_arr.astype(np.float64)
        s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
        if not content_checked:
            _inputs.check_fold_content(y_arr, s, held, loss, scoring, fit_intercept)
            if labels is not None:
                _inputs.check_fold_classes(y_arr, classes, s, held, fit_intercept)
            _inputs.check_separation(X_arr, y_arr, s, factors, loss, fit_intercept, positive, held)
        lam_grid = np.stack([f.lambdas for f in fulls])  # (R, K)
        K = lam_grid.shape[1]

        opts = fold_options(dtype)
        if batched:
            opts = {k: v for k, v in opts.items() if k not in ("grouped", "groups", "row_grams")}
            coef, intercept, gap, status, n_iter = _fit_batched(X_arr, y_arr, s, held, lam_grid,
                                                                ratios, **opts)  # fmt: skip
            zero = np.zeros((K, *coef.shape[4:]))
            eta = [[host_predict(coef[r, f], zero, X_arr[held[f]]) for f in range(F)]
                   for r in range(R)]  # fmt: skip
        else:
            fit_y = y_arr if labels is None else labels  # (multinomial: the fits take labels)

            def held_out(coef, job):  # ``X coefᵀ`` on the fold's held-out rows, in its thread:
                # (R, F, K, p) float64 coefficients took 2.4 GB for 100 × 300,000 (5 folds)
                coef = coef.astype(np.float64)
                return host_predict(coef, np.zeros((K, *coef.shape[2:])), X_arr[held[job[1]]])

            eta, intercept, gap, status, n_iter = _fit_one_by_one(
                X_arr, fit_y, s, held, lam_grid, ratios, report=report, pad_to=pad_to,
                pool=pool, ahead=ahead, rows_only=rows_only, keep=held_out, **opts,
            )  # fmt: skip
        report(f"fitted the {R * F} folds")
        warn_unconverged("l1jax.cv_path (its refit on all rows)",
                         np.stack([f.status for f in fulls]), np.stack([f.gap for f in fulls]),
                         lam_grid, tol, max_iter,
                         n_iter=np.stack([f.n_iter for f in fulls]))  # fmt: skip
        warn_unconverged("l1jax.cv_path", status, gap, lam_grid[:, None, :], tol, max_iter,
                         what="fold × λ fits", n_iter=n_iter)  # fmt: skip

        fold_scores = np.empty((R, F, K))
        # Under 3 rows per fold cv_se spreads the rows' scores, as cv.glmnet (which then
        # enforces grouped=FALSE): a fold's mean of 1 or 2 rows is no sample of fold scores.
        units = np.empty((R, K, n)) if scoring != "auc" and n < 3 * F else None
        with np.errstate(over="ignore", invalid="ignore"):  # (inf is the score: below)
            for f in range(F):
                rows_f = held[f]
                for r in range(R):
                    eta_rf = _plus(intercept[r, f], eta[r][f])
                    if units is None:
                        fold_scores[r, f] = _scores(scoring, loss, y_arr[rows_f], eta_rf,
                                                    s[rows_f])  # fmt: skip
                    else:
                        units[r][:, rows_f] = _units(scoring, loss, y_arr[rows_f], eta_rf)
                        fold_scores[r, f] = units[r][:, rows_f] @ s[rows_f] / s[rows_f].sum()
            w = (held * s[None, :]).sum(axis=1)
            cv_mean = np.einsum("f,rfk->rk", w, fold_scores) / w.sum()
            if units is None:
                spread = np.einsum("f,rfk->rk", w, (fold_scores - cv_mean[:, None]) ** 2)
                cv_se = np.sqrt(spread / w.sum() / (F - 1))
            else:
                spread = np.einsum("i,rki->rk", s, (units - cv_mean[:, :, None]) ** 2)
                cv_se = np.sqrt(spread / s.sum() / (n - 1))

        # The first best pair in (l1_ratio as given, λ descending) order: the largest λ among ties;
        # among finite scores (a fold's held-out prediction can overflow: inf, and inf − inf in
        # cv_se was NaN; an IndexError followed)
        score = _finite_scores(scoring, cv_mean, fold_scores)
        best_r, index_min = (int(i) for i in np.unravel_index(np.argmin(score), (R, K)))
        bound = score[best_r, index_min] + cv_se[best_r, index_min]
        index_1se = int(np.flatnonzero(score[best_r] <= bound)[0])
        one = (lambda a: a) if grid else (lambda a: a[0])
        fulls = tuple(full._replace(feature_names=names) for full in fulls)
        return CVResult(
            lambdas=one(lam_grid).astype(dtype),
            cv_mean=one(cv_mean),
            cv_se=one(cv_se),
            lambda_min=float(lam_grid[best_r, index_min]),
            lambda_1se=float(lam_grid[best_r, index_1se]),
            index_min=index_min,
            index_1se=index_1se,
            path=fulls[best_r],
            fold_scores=one(fold_scores),
            fold_ids=ids,
            scoring=scoring,
            l1_ratio=np.asarray(ratios, np.float64) if grid else float(l1_ratio),
            l1_ratio_min=float(ratios[best_r]),
            index_l1_ratio=best_r,
            paths=fulls,
        )


def _plus(intercept, eta) -> np.ndarray:
    """The held-out predictions ``intercept + X coefᵀ`` from ``X coefᵀ`` (as
    :func:`l1jax.path.host_predict` forms them)."""
    return intercept[:, None, :] + eta if eta.ndim == 3 else intercept[:, None] + eta


def _finite_scores(scoring, cv_mean, fold_scores) -> np.ndarray:
    """``cv_mean`` ``(R, K)`` as a score to minimize (AUC negated), +inf where it is not finite;
    a ``ValueError`` when no λ has a finite one (``fold_scores`` ``(R, F, K)``: the folds to
    name)."""
    finite = np.isfinite(cv_mean)
    if not finite.any():
        folds = np.flatnonzero(~np.isfinite(fold_scores).any(axis=(0, 2))).tolist()
        raise ValueError(
            f"cv_path: no λ has a finite cross-validation {scoring}: the held-out scores of "
            f"fold(s) {folds} are not finite at any λ (their predictions overflow, as for a row "
            "of X far outside the other rows' range, which the fold's fit extrapolates to): "
            "transform or leave out such rows of X"
        )  # fmt: skip
    return np.where(finite, (-1.0 if scoring == "auc" else 1.0) * cv_mean, np.inf)


def _continued(lambdas, K) -> np.ndarray:
    """The first ``K`` λs of the log-spaced grid that an early-stopped ``lambdas`` began."""
    lam = np.asarray(lambdas, np.float64)
    ratio = lam[1] / lam[0] if lam.size > 1 else 1.0
    return lam[0] * ratio ** np.arange(K)


def _put(mesh, dtype, value, *spec):
    """``value`` as a ``dtype`` array on ``mesh`` with the given PartitionSpec (without a mesh:
    on the default device)."""
    sharding = None if mesh is None else jax.sharding.NamedSharding(
        mesh, jax.sharding.PartitionSpec(*spec))  # fmt: skip
    return to_device(value, dtype, sharding)

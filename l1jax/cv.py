"""``l1jax.cv_path``: K-fold cross-validated regularization paths (the host boundary).

Folds are a fixed-shape ``(n_folds, n)`` mask of training weights, so every fold has the same
shapes and all folds × all λs are fitted in one compiled call, ``vmap``-ed over the masks (on
each fold's Gram matrix, on working sets when p ≫ n, else the pure core
:func:`l1jax.solve_path`). Each fold is standardized with its own
training weights inside that call, so nothing leaks from the held-out rows. The λ grid comes
from the full data (the refit :func:`l1jax.path`), as in glmnet's ``cv.glmnet``.

A sequence of ``l1_ratio`` values (glmnet users' grid over alpha) adds fits: every
(l1_ratio, fold) pair is one path of the same compiled call. With ``mesh=`` those pairs are split
over the mesh axis ``"lambdas"`` and the rows of X over its axis ``"data"`` (docs/scale-out.md).
"""

from __future__ import annotations

import functools
import numbers
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from l1jax import _sharding, solvers
from l1jax.losses import LOSSES
from l1jax.path import (
    ConvergenceWarning,
    PathResult,
    _center_scale,
    _check_scalar,
    _gram,
    path,
)

__all__ = ["CVResult", "SCORINGS", "cv_path"]

#: The scores each loss accepts; the first is the default. Lower is better for all but AUC.
SCORINGS = {
    "squared": ("mse",),
    "logistic": ("deviance", "misclassification", "auc"),
    "poisson": ("deviance",),
}


class CVResult(NamedTuple):
    """A cross-validated regularization path (a pytree of arrays and numbers).

    With a sequence of ``R`` ``l1_ratio`` values, ``lambdas``, ``cv_mean`` and ``cv_se`` gain a
    leading ``R`` axis (each ratio has its own λ grid), ``fold_scores`` is ``(R, n_folds, K)``,
    the best pair is ``(l1_ratio_min, lambda_min)``, and ``lambda_1se``, ``index_min``,
    ``index_1se`` and ``path`` refer to the row ``index_l1_ratio`` of ``l1_ratio_min``.

    Attributes:
      lambdas: ``(K,)`` the λ grid of the full data, descending.
      cv_mean: ``(K,)`` mean held-out score over the folds (weighted by each fold's held-out
        sample weight: the mean over all held-out rows for MSE and deviance).
      cv_se: ``(K,)`` its standard error over the folds (see :func:`cv_path`).
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


@functools.partial(
    jax.jit,
    static_argnames=("loss", "fit_intercept", "standardize", "positive", "max_iter", "free"),
)
def _fit_folds(X, y, train_weights, lambdas, penalty_factor, l1_ratio, tol, *,
               loss, fit_intercept, standardize, positive, max_iter, free=True):  # fmt: skip
    """Fit M paths at once: fit ``m`` uses the weights ``train_weights[m]`` ``(M, n)`` (zero on
    held-out rows), the λs ``lambdas[m]`` ``(M, K)`` and ``l1_ratio[m]`` ``(M,)``.

    Each fit is centred and scaled with its own training weights (as :func:`l1jax.path` does on
    the training rows alone), solved by :func:`l1jax.solve_path` and mapped back to the original
    scale. Returns ``coef`` ``(M, K, p)``, ``intercept``, ``gap`` and ``status`` ``(M, K)``.
    The inputs' shardings (fits over ``"lambdas"``, rows over ``"data"``) carry through.
    """

    def one(s, lambdas, l1_ratio):
        s = s / jnp.sum(s)
        Xc, mean, scale = _center_scale(jnp, X, s, fit_intercept, standardize)
        n, p = X.shape
        capacity = _sharding.round_up(n, 128)  # a lasso's support has at most n features
        if loss == "squared" and p <= min(n, GRAM_MAX_P):
            res = _gram_path(
                Xc, y, s, lambdas, penalty_factor, l1_ratio, tol,
                fit_intercept=fit_intercept, positive=positive, max_iter=max_iter, free=free,
            )  # fmt: skip
        elif 2 * capacity <= p:
            res = _working_set_path(
                Xc, y, s, lambdas, penalty_factor, l1_ratio, tol, loss=loss,
                fit_intercept=fit_intercept, positive=positive, max_iter=max_iter,
                capacity=capacity, free=free,
            )  # fmt: skip
        else:
            res = solvers.solve_path(
                Xc, y, lambdas,
                loss=loss, l1_ratio=l1_ratio, penalty_factor=penalty_factor, sample_weight=s,
                fit_intercept=fit_intercept, positive=positive, tol=tol, max_iter=max_iter,
            )  # fmt: skip
        coef = res.coef / scale
        intercept = res.intercept - coef @ mean if fit_intercept else res.intercept
        return coef, intercept, res.gap, res.status

    return jax.vmap(one)(train_weights, lambdas, l1_ratio)


GRAM_MAX_P = 1024  # squared loss with p ≤ min(n, this): folds solved on their own p × p Gram


def _gram_path(Xc, y, s, lambdas, v, l1_ratio, tol, *, fit_intercept, positive, max_iter,
               free):  # fmt: skip
    """The squared-loss path of one fold on its Gram matrix ``XᵀSX`` (as :func:`l1jax.path`
    does for p ≤ n): an iteration costs p² instead of n·p. ``Xc`` is already centred with the
    fold's weights ``s`` (normalized), so the intercept is ``s·y`` on the standardized scale."""
    y = y.astype(Xc.dtype)
    y_mean = s @ y if fit_intercept else jnp.zeros((), Xc.dtype)
    yc = y - y_mean
    G, c = _gram(Xc, s, yc)
    data = solvers.Data(G=G, c=c, yy=s @ (yc * yc))
    scale = solvers.gap_scale("squared", y, s, fit_intercept)
    step = 1 / solvers.lipschitz("squared", data, False)
    v = v.astype(Xc.dtype)

    def one(beta, lam):
        pen = solvers.elastic_net(lam, l1_ratio, v)
        beta, _, _, gap, n_iter, status = solvers.fista_block(
            data, pen, beta, jnp.zeros((), Xc.dtype), step, tol * scale,
            loss="squared", positive=positive, fit_intercept=False, max_iter=max_iter,
            free=free,
        )  # fmt: skip
        return beta, (beta, gap / scale, n_iter, status)

    _, (coef, gap, n_iter, status) = jax.lax.scan(one, jnp.zeros_like(v), lambdas)
    intercept = jnp.broadcast_to(y_mean, lambdas.shape)
    return solvers.SolverResult(lambdas, coef, intercept, gap, n_iter, status)


def _working_set_path(Xc, y, s, lambdas, v, l1_ratio, tol, *, loss, fit_intercept, positive,
                      max_iter, capacity, free=True, max_rounds=6):  # fmt: skip
    """One fold's path for p ≫ n inside the compiled call: at each λ, FISTA on the ``capacity``
    columns that matter most (the support, then the largest gradients), re-selected until the
    duality gap on all p features meets ``tol``; after ``max_rounds`` a FISTA on all features
    finishes (a support larger than the capacity). An iteration then costs n·capacity instead
    of n·p and the step follows the working set's smaller curvature."""
    dtype = Xc.dtype
    p = Xc.shape[1]
    y, v = y.astype(dtype), v.astype(dtype)
    full = solvers.Data(X=Xc, y=y, s=s, Xt=Xc.T)
    scale = solvers.gap_scale(loss, y, s, fit_intercept)
    tol_abs = tol * scale
    penalized = v > 0
    kw = dict(loss=loss, positive=positive, fit_intercept=fit_intercept, free=free)

    def measure(pen, beta, b):  # the gradient and the duality gap on all features
        lin = solvers._linear(full, beta)
        _, gap, g = solvers._certify(
            loss, full, pen, lin, beta, b, positive, False, fit_intercept, free
        )
        return g, gap

    def one(carry, lam):
        beta, b = carry
        pen = solvers.elastic_net(lam, l1_ratio, v)

        def unfinished(st):
            return (st[3] > tol_abs) & (st[4] < max_rounds) & jnp.isfinite(st[3])

        def round_(st):
            beta, b, g, _, rounds, iters = st
            z = jnp.maximum(-g, 0) if positive else jnp.abs(g)
            score = jnp.where(penalized, z / jnp.where(penalized, v, 1), jnp.inf)
            _, idx = jax.lax.top_k(jnp.where(beta != 0, jnp.inf, score), capacity)
            sub = solvers.Data(X=Xc[:, idx], y=y, s=s, Xt=full.Xt[idx])
            sub_pen = solvers.Penalty(pen.l1[idx], pen.l2[idx], pen.mask[idx])
            step = 1 / solvers.lipschitz(loss, sub, fit_intercept, beta[idx], b)
            # The gap re-measured on all features after FISTA's last (exact-zeros) step can
            # exceed the sub-solve's own: each new round solves 10× tighter (as path does).
            sub_tol = 0.5 * tol_abs * jnp.power(jnp.asarray(0.1, dtype), rounds)
            beta_w, b, _, _, it, _ = solvers.fista_block(
                sub, sub_pen, beta[idx], b, step, sub_tol, max_iter=max_iter, **kw
            )
            beta = jnp.zeros_like(beta).at[idx].set(beta_w)
            g, gap = measure(pen, beta, b)
            return beta, b, g, gap, rounds + 1, iters + it

        g, gap = measure(pen, beta, b)
        beta, b, g, gap, _, iters = jax.lax.while_loop(unfinished, round_, (beta, b, g, gap, 0, 0))
        # Not certified on the working sets: FISTA on all features (0 iterations otherwise).
        finish = gap > tol_abs
        step = 1 / solvers.lipschitz(loss, full, fit_intercept, beta, b)
        beta_f, b_f, _, _, it, _ = solvers.fista_block(
            full, pen, beta, b, step, 0.01 * tol_abs, max_iter=jnp.where(finish, max_iter, 0),
            **kw,
        )  # fmt: skip
        # (its closing proximal step runs even after 0 iterations: keep a certified point)
        beta, b = jnp.where(finish, beta_f, beta), jnp.where(finish, b_f, b)
        it = jnp.where(finish, it, 0)
        _, gap = measure(pen, beta, b)
        status = solvers._status(gap, tol_abs)
        return (beta, b), (beta, b, gap / scale, iters + it, status)

    init = (jnp.zeros(p, dtype), solvers.null_intercept(loss, y, s, fit_intercept).astype(dtype))
    _, (coef, intercept, gap, n_iter, status) = jax.lax.scan(one, init, lambdas)
    return solvers.SolverResult(lambdas, coef, intercept, gap, n_iter, status)


def _bucket(size: int, smallest: int = 64) -> int:
    """The padded size of an axis: ``smallest``, or ``size`` rounded up to 4 steps per octave
    (at most 25% more), so that data sets of similar sizes share one compiled program."""
    if size <= smallest:
        return smallest
    step = 2 ** (size.bit_length() - 3)
    return -(-size // step) * step


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
    """Weighted mean held-out score per λ: ``eta`` ``(K, m)``, ``y`` and ``w`` ``(m,)``."""
    if scoring == "auc":
        return _weighted_auc(y, eta, w)
    if scoring == "mse":
        unit = (y - eta) ** 2
    elif scoring == "misclassification":
        unit = ((eta > 0) != (y == 1)).astype(np.float64)
    elif loss == "logistic":  # deviance −2 log-likelihood
        unit = 2 * (np.logaddexp(0.0, eta) - y * eta)
    else:  # poisson deviance 2 (y log(y/μ) − (y − μ))
        mu = np.exp(eta)
        ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
        unit = 2 * (ylogy - y * eta - (y - mu))
    return unit @ w / w.sum()


# ----------------------------------------------------------------------------------------------
# Validation of the fold arguments.


def _make_fold_ids(y, n_folds, seed, loss) -> np.ndarray:
    """Random balanced folds; for ``loss="logistic"`` stratified by class (each fold holds both
    classes in about the proportion of the data)."""
    n = y.shape[0]
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    if loss == "logistic":
        order = order[np.argsort(y[order], kind="stable")]
    fold_ids = np.empty(n, np.int64)
    fold_ids[order] = np.arange(n) % n_folds
    return fold_ids


def _check_folds(n, y, n_folds, fold_ids, seed, loss) -> np.ndarray:
    if fold_ids is None:
        if isinstance(n_folds, bool) or not isinstance(n_folds, numbers.Integral):
            raise TypeError(f"n_folds must be an int, got {type(n_folds).__name__}")
        if not 2 <= n_folds <= n:
            raise ValueError(
                f"n_folds must be between 2 and the number of samples ({n}), got {n_folds}"
            )
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        return _make_fold_ids(y, int(n_folds), int(seed), loss)
    ids = np.asarray(fold_ids)
    if ids.ndim != 1 or ids.shape[0] != n:
        raise ValueError(
            f"fold_ids must be a 1-D array with one fold label per sample ({n}), "
            f"got shape {ids.shape}"
        )
    if ids.dtype == bool or not np.issubdtype(ids.dtype, np.number):
        raise TypeError(f"fold_ids must hold integer fold labels 0 … F-1, got dtype {ids.dtype}")
    if not np.all(np.isfinite(ids)) or np.any(ids != np.round(ids)) or np.any(ids < 0):
        raise ValueError("fold_ids must hold integer fold labels 0 … F-1 (non-negative integers)")
    ids = ids.astype(np.int64)
    counts = np.bincount(ids)
    if counts.size < 2:
        raise ValueError("fold_ids must name at least 2 folds (labels 0 … F-1), got 1")
    if np.any(counts == 0):
        empty = np.flatnonzero(counts == 0).tolist()
        raise ValueError(
            f"fold_ids leaves fold {empty[0]} empty (labels must be 0 … F-1 = {counts.size - 1}, "
            f"every fold with at least one sample); empty folds: {empty}"
        )
    return ids


# ----------------------------------------------------------------------------------------------
# The public entry point.


def cv_path(
    X,
    y,
    *,
    n_folds: int = 10,
    fold_ids=None,
    seed: int = 0,
    scoring: str | None = None,
    loss: str = "squared",
    l1_ratio: float | Sequence[float] = 1.0,
    lambdas=100,
    lambda_min_ratio: float | None = None,
    fit_intercept: bool = True,
    standardize: bool = True,
    penalty_factor=None,
    sample_weight=None,
    positive: bool = False,
    tol: float | None = None,
    max_iter: int = 20_000,
    mesh: jax.sharding.Mesh | None = None,
) -> CVResult:
    """Cross-validate a whole lasso / elastic-net path of a GLM (as glmnet's ``cv.glmnet``).

    The objective of each fit is that of :func:`l1jax.path`::

        min_{β, b}  (1/Σs) Σ_i s_i ℓ(y_i, b + x_iᵀβ) + λ Σ_j v_j (ρ |β_j| + (1 − ρ)/2 β_j²)

    First the path is fitted on all the data (this gives the λ grid, from λ_max of the full
    data, and the ``path`` of the result). Then, for each fold ``f``, the same λs are fitted on
    the other folds' rows (the held-out rows get weight 0; standardization uses the training
    rows only) and scored on the held-out rows. All folds are solved in one compiled call,
    ``vmap``-ed over the folds, each a warm-started path certified by its duality gap: on its
    own Gram matrix (squared loss, p ≤ min(n, 1024)), on working sets of the columns with the
    largest gradients (p ≥ 2·n, rounded up to 128), else by :func:`l1jax.solve_path`.

    Scores (``scoring``; lower is better except ``"auc"``): ``"mse"`` (squared loss, the
    default), ``"deviance"`` (logistic: ``−2 log-likelihood``; Poisson:
    ``2 (y log(y/μ) − (y − μ))``; the default for both), ``"misclassification"`` (logistic,
    predicted class ``η > 0``) and ``"auc"`` (logistic). Each fold's score ``e_f`` is the
    ``sample_weight``-weighted mean over its held-out rows (AUC: weighted over its pairs), and
    with ``w_f`` the fold's total held-out weight (glmnet's convention)::

        cv_mean = Σ_f w_f e_f / Σ_f w_f
        cv_se   = sqrt( Σ_f w_f (e_f − cv_mean)² / Σ_f w_f / (F − 1) )

    With equal fold weights, ``cv_se`` is the sample standard deviation of the fold scores
    (``ddof=1``) divided by ``√F``. ``lambda_min`` minimizes ``cv_mean`` (maximizes it for AUC);
    ``lambda_1se`` is the largest λ whose ``cv_mean`` is within ``cv_se[index_min]`` of the best
    (the one-standard-error rule of Hastie, Tibshirani & Friedman).

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
    Results equal the single-device run to rounding (docs/scale-out.md).

    Args:
      X: ``(n, p)`` real design matrix.
      y: ``(n,)`` targets.
      n_folds: number of folds F, 2 ≤ F ≤ n (ignored when ``fold_ids`` is given).
      fold_ids: ``(n,)`` fold of each row, integers ``0 … F − 1`` (F ≥ 2, no fold empty);
        default: random balanced folds from ``seed``, stratified by class for
        ``loss="logistic"``.
      seed: seed of the random folds.
      scoring: see above; ``None`` is ``"mse"`` (squared) or ``"deviance"``.
      l1_ratio: ρ in [0, 1] as in :func:`l1jax.path`, or a sequence of them (a grid, above).
      loss, lambdas, lambda_min_ratio, fit_intercept, standardize, penalty_factor,
        sample_weight, positive, tol, max_iter: as in :func:`l1jax.path` (``max_iter`` is the
        FISTA iteration cap per λ in the folds).
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
      >>> cv.cv_mean.shape, bool(cv.lambda_1se >= cv.lambda_min)
      ((20,), True)
      >>> np.flatnonzero(cv.path.coef[cv.index_1se]).tolist()
      [0, 1]
      >>> grid = l1jax.cv_path(X, y, n_folds=5, lambdas=20, l1_ratio=[0.5, 1.0])
      >>> grid.cv_mean.shape, grid.l1_ratio_min in (0.5, 1.0)
      ((2, 20), True)
    """
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if scoring is None:
        scoring = SCORINGS[loss][0]
    if not isinstance(scoring, str) or scoring not in SCORINGS[loss]:
        raise ValueError(
            f"scoring must be one of {SCORINGS[loss]} for loss={loss!r}, got {scoring!r}"
        )
    # a jax.Array X (even one spanning hosts) is gathered: cv_path scores folds with NumPy
    X, y = (_sharding.to_host(a) if isinstance(a, jax.Array) else a for a in (X, y))
    X_arr, y_arr = np.asarray(X), np.asarray(y)
    if X_arr.ndim != 2 or y_arr.ndim != 1 or X_arr.shape[0] != y_arr.shape[0]:
        # path() gives the precise message.
        path(X, y, loss=loss, lambdas=1, fit_intercept=fit_intercept)
    n = X_arr.shape[0]
    ids = _check_folds(n, y_arr, n_folds, fold_ids, seed, loss)
    F = int(ids.max()) + 1
    held = ids[None, :] == np.arange(F)[:, None]  # (F, n)
    y64, s = _floats(y_arr), _floats(np.ones(n) if sample_weight is None else sample_weight)
    content_checked = y64 is not None and s is not None and s.shape == (n,)
    if content_checked:  # cheap checks before the refit (otherwise path() names the problem)
        _check_fold_content(y64, s, held, loss, scoring, fit_intercept)

    ratios = _check_l1_ratios(l1_ratio)
    grid = ratios is not None
    ratios = ratios if grid else [l1_ratio]
    mesh = _sharding.auto(_sharding.check_mesh(mesh, "cv_path"))

    fulls = tuple(
        path(
            X,
            y,
            loss=loss,
            l1_ratio=ratio,
            lambdas=lambdas,
            lambda_min_ratio=lambda_min_ratio,
            fit_intercept=fit_intercept,
            standardize=standardize,
            penalty_factor=penalty_factor,
            sample_weight=sample_weight,
            positive=positive,
            tol=tol,
            max_iter=max_iter,
            mesh=mesh,
        )
        for ratio in ratios
    )
    full = fulls[0]
    R = len(fulls)
    dtype = full.lambdas.dtype
    if tol is None:
        tol = 1e-7 if dtype == np.float64 else 1e-5
    X_arr = X_arr.astype(np.float64)
    y_arr = y_arr.astype(np.float64)
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    if not content_checked:
        _check_fold_content(y_arr, s, held, loss, scoring, fit_intercept)
    lam_grid = np.stack([f.lambdas for f in fulls])  # (R, K)
    K = lam_grid.shape[1]

    # One fit per (l1_ratio, fold) pair, pair m = r·F + f, padded with copies of the first fits
    # to whole "lambdas" shards. Zero-weight padding rows: a few shapes of n compile (and whole
    # "data" shards), and the fits are unchanged.
    M = R * F
    pairs = np.arange(_sharding.round_up(M, _sharding.axis_size(mesh, "lambdas"))) % M
    pad = _sharding.round_up(_bucket(n), _sharding.axis_size(mesh, "data")) - n
    train_w = np.pad(np.where(held, 0.0, s[None, :]), ((0, 0), (0, pad)))
    v = np.ones(X_arr.shape[1]) if penalty_factor is None else np.asarray(penalty_factor)
    rows, fits = _sharding.axis(mesh, "data"), _sharding.axis(mesh, "lambdas")
    put = functools.partial(_put, mesh, dtype)
    out = _fit_folds(
        put(np.pad(X_arr, ((0, pad), (0, 0))), rows, None),
        put(np.pad(y_arr, (0, pad)), rows),
        put(train_w[pairs % F], fits, rows),
        put(lam_grid[pairs // F], fits, None),
        put(v, None),
        put(np.asarray(ratios, np.float64)[pairs // F], fits),
        put(tol),
        loss=loss, fit_intercept=bool(fit_intercept), standardize=bool(standardize),
        positive=bool(positive), max_iter=int(max_iter),
        free=bool(np.any(v == 0) or np.any(lam_grid == 0)),
    )  # fmt: skip
    coef, intercept, gap, status = (_sharding.to_host(a)[:M] for a in out)
    coef = coef.astype(np.float64).reshape(R, F, K, -1)
    intercept = intercept.astype(np.float64).reshape(R, F, K)
    gap, status = gap.reshape(R, F, K), status.reshape(R, F, K)
    bad = status != solvers.Status.CONVERGED
    if bad.any():
        finite = np.where(np.isfinite(gap), gap, np.inf)
        r, f, k = np.unravel_index(np.argmax(finite), finite.shape)
        where = f"fold {f}, l1_ratio={ratios[r]:g}, " if grid else f"fold {f}, "
        warnings.warn(
            f"l1jax.cv_path: {int(bad.sum())} of {bad.size} fold × λ fits did not converge: "
            f"worst relative duality gap {gap[r, f, k]:.3g} ({where}λ={lam_grid[r, k]:.4g}), "
            f"tol={tol:g}. Increase max_iter (now {max_iter}), loosen tol, or stop the path at "
            "a larger λ (a larger lambda_min_ratio).",
            ConvergenceWarning,
            stacklevel=2,
        )

    fold_scores = np.empty((R, F, K))
    for f in range(F):
        rows_f = held[f]
        for r in range(R):
            eta = intercept[r, f][:, None] + coef[r, f] @ X_arr[rows_f].T  # (K, m)
            fold_scores[r, f] = _scores(scoring, loss, y_arr[rows_f], eta, s[rows_f])
    w = (held * s[None, :]).sum(axis=1)
    cv_mean = np.einsum("f,rfk->rk", w, fold_scores) / w.sum()
    cv_se = np.sqrt(np.einsum("f,rfk->rk", w, (fold_scores - cv_mean[:, None]) ** 2) / w.sum()
                    / (F - 1))  # fmt: skip

    sign = -1.0 if scoring == "auc" else 1.0
    # The first best pair in (l1_ratio as given, λ descending) order: the largest λ among ties.
    best_r, index_min = (int(i) for i in np.unravel_index(np.argmin(sign * cv_mean), (R, K)))
    bound = sign * cv_mean[best_r, index_min] + cv_se[best_r, index_min]
    index_1se = int(np.flatnonzero(sign * cv_mean[best_r] <= bound)[0])
    one = (lambda a: a) if grid else (lambda a: a[0])
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


def _put(mesh, dtype, value, *spec):
    """``value`` as a ``dtype`` array on ``mesh`` with the given PartitionSpec (without a mesh:
    on the default device)."""
    value = np.asarray(value, dtype)
    if mesh is None:
        return jnp.asarray(value)
    return jax.device_put(
        value, jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(*spec))
    )


def _check_l1_ratios(l1_ratio) -> list[float] | None:
    """None for a single ``l1_ratio`` (path() checks it), else the grid as a list of floats."""
    if np.ndim(l1_ratio) == 0 or isinstance(l1_ratio, str | bytes):
        return None
    values = np.asarray(l1_ratio)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"l1_ratio must be a number or a 1-D sequence of numbers, got shape {values.shape}"
        )
    if values.dtype == bool or not np.issubdtype(values.dtype, np.number):
        raise TypeError(f"l1_ratio must hold numbers in [0, 1], got dtype {values.dtype}")
    return [_check_scalar(float(r), "l1_ratio", 0.0, 1.0) for r in values]


def _floats(a):
    """``a`` as a finite float64 array, or None (then :func:`l1jax.path` reports the problem)."""
    try:
        out = np.asarray(a, np.float64)
    except (TypeError, ValueError):
        return None
    return out if np.all(np.isfinite(out)) else None


def _check_fold_content(y, s, held, loss, scoring, fit_intercept) -> None:
    """Every fold needs held-out weight, and a training set the loss can fit."""
    train_w = np.where(held, 0.0, s[None, :])
    for f in range(held.shape[0]):
        if not np.any(s[held[f]] > 0):
            raise ValueError(
                f"fold {f} holds out no sample with positive sample_weight; every fold of "
                "fold_ids / n_folds needs at least one"
            )
        if not np.any(train_w[f] > 0):
            raise ValueError(
                f"fold {f} leaves no training sample with positive sample_weight; use more folds"
            )
        active = y[train_w[f] > 0]
        if fit_intercept and loss == "logistic" and np.all(active == active[0]):
            raise ValueError(
                f"the training rows of fold {f} hold a single class; use fewer folds or "
                "fold_ids that put both classes in every fold"
            )
        if fit_intercept and loss == "poisson" and not np.any(active > 0):
            raise ValueError(
                f"the training rows of fold {f} have y all zero (the Poisson intercept would be "
                "-inf); use fewer folds or other fold_ids"
            )
        if scoring == "auc":
            test = y[held[f] & (s > 0)]
            if np.all(test == test[0]):
                raise ValueError(
                    f"fold {f} holds out a single class, so its AUC is undefined; use fewer "
                    "folds, or another scoring"
                )

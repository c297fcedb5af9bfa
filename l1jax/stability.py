"""``l1jax.stability_selection``: the features that the lasso selects on most halves of the data.

One lasso fit's support is unstable: refit it on half the rows and features come and go.
Stability selection (Meinshausen & Bühlmann 2010) fits the whole path on many random halves
and keeps the features whose selection probability, at some λ of the range, reaches a
threshold; complementary pairs of halves (Shah & Samworth 2013) make the most of the data.
The halves are fitted as :func:`l1jax.cv_path` fits its folds, each standardized on its own
rows: on accelerators and meshes all halves × all λs in one compiled program (the working-set
engine vmapped over the halves, each on its own rows), on a CPU one half per core at a time
through the engine of :func:`l1jax.path`, on programs of the halves' shape (faster there).
"""

from __future__ import annotations

import math
import threading
from typing import NamedTuple

import jax
import numpy as np
from numpy.typing import ArrayLike

from l1jax import _inputs, _progress, _sharding, _sparse, cv
from l1jax._inputs import Matrix, check_int, check_scalar, float_dtype
from l1jax._programs import host_entry
from l1jax.path import column_names, path_for, warn_unconverged

__all__ = ["StabilityResult", "stability_selection"]

DEFAULT_LAMBDAS = 100
DECADE = 16  # λs per decade of the search for the end of the λ range (the program of 16 λs)


class StabilityResult(NamedTuple):
    """Stability selection's result (a pytree of arrays and numbers).

    Attributes:
      lambdas: ``(K,)`` the λs, descending.
      probabilities: ``(K, p)`` the fraction of subsamples whose fit at each λ has the feature
        nonzero (NumPy float64, whatever the data's dtype).
      subsamples: ``(B, n)`` bool, the rows of each subsample (complementary pairs: rows
        ``2i`` and ``2i + 1`` are disjoint halves).
      selected: ``(p,)`` bool, ``max_probability >= threshold``, among the penalized features
        (``penalty_factor`` > 0).
      max_probability: ``(p,)`` the largest probability of each feature over the λs.
      error_bound: the bound ``q² / ((2·threshold − 1)·p)`` on the expected number of falsely
        selected features (Meinshausen & Bühlmann 2010, Theorem 1, under its assumptions: see
        :func:`stability_selection`), ``p`` the penalized features a fit can select (not
        those constant on the rows of positive weight).
      threshold: the threshold used.
      mean_selected: ``q``, the mean over the subsamples of the number of penalized features
        selected at some λ of the range (each subsample's union over the λs).
      feature_names: ``(p,)`` the column names of a pandas DataFrame ``X`` whose names are all
        strings (as :attr:`l1jax.PathResult.feature_names`); else None.
        :func:`l1jax.plot_stability` labels by them.
    """

    lambdas: np.ndarray
    probabilities: np.ndarray
    subsamples: np.ndarray
    selected: np.ndarray
    max_probability: np.ndarray
    error_bound: float
    threshold: float
    mean_selected: float
    feature_names: np.ndarray | None = None


def _check_settings(loss, n_subsamples, threshold, seed, lambdas) -> tuple:
    """``(B, threshold, seed, K)``, K the number of λs of the default range (None: ``lambdas``
    is an array, for :func:`l1jax.path` to check)."""
    _inputs.check_loss(loss)  # (multinomial: named as not supported here)
    B = check_int(n_subsamples, "n_subsamples", 2)
    if B % 2:
        raise ValueError(
            f"n_subsamples must be even (complementary pairs: each half and its complement), "
            f"got {B}; use {B + 1}"
        )
    threshold = check_scalar(threshold, "threshold", 0.5, 1.0, low_open=True)
    seed = check_int(seed, "seed", 0)
    K = DEFAULT_LAMBDAS if lambdas is None else lambdas
    if _inputs.is_grid_size(K):
        return B, threshold, seed, _inputs.check_grid_size(K)
    return B, threshold, seed, None


def _complementary_pairs(n: int, n_subsamples: int, *, seed: int = 0, y=None,
                        sample_weight=None) -> np.ndarray:  # fmt: skip
    """``(n_subsamples, n)`` bool masks: ``n_subsamples / 2`` random halves and their
    complements (Shah & Samworth 2013): rows ``2i`` and ``2i + 1`` are disjoint, each holding
    ``⌊m/2⌋`` of the ``m`` rows of positive ``sample_weight`` (with m odd, one row sits out of
    that pair). With ``y`` given (class labels), each half is stratified: every class is split
    as evenly as its count allows (with m odd, the row that sits out is one of a class of odd
    count, drawn at random)."""
    rng = np.random.default_rng(seed)
    rows = np.arange(n) if sample_weight is None else np.flatnonzero(sample_weight > 0)
    half = rows.size // 2
    out = np.zeros((n_subsamples, n), bool)
    odd = None  # with y and m odd: the rows that may sit out (of a class of odd count)
    if y is not None and rows.size % 2:
        labels, counts = np.unique(y[rows], return_counts=True)
        odd = np.flatnonzero(np.isin(y[rows], labels[counts % 2 == 1]))  # (one class at least)
    for i in range(n_subsamples // 2):
        order = rows[rng.permutation(rows.size)]
        if odd is not None:  # the row that sits out goes last
            out_row = rows[rng.choice(odd)]
            order = np.append(order[order != out_row], out_row)
        paired = order[: 2 * half]
        if y is not None:  # by class, random within: neighbours (2k, 2k + 1) share a class
            paired = paired[np.argsort(y[paired], kind="stable")]
        first, second = paired[0::2], paired[1::2]
        swap = rng.random(half) < 0.5
        out[2 * i, np.where(swap, second, first)] = True
        out[2 * i + 1, np.where(swap, first, second)] = True
    return out


def _check_subsamples(subsamples, y, loss, fit_intercept) -> None:
    """Every half must be a problem the loss can fit (as every CV fold's training rows)."""
    for b, rows in enumerate(subsamples):
        active = y[rows]
        if fit_intercept and loss == "logistic" and np.all(active == active[0]):
            raise ValueError(
                f"subsample {b} holds a single class of y (the data has too few rows of one "
                "class to split it in halves); stability selection needs both classes in "
                "every half"
            )
        if fit_intercept and loss == "poisson" and not np.any(active > 0):
            raise ValueError(
                f"subsample {b} has y all zero (the Poisson intercept would be -inf); "
                "stability selection needs positive counts in every half"
            )


WHOLE = "l1jax.stability_selection (its path on all rows, which sets the λs)"
MIN_ROWS = 4  # rows of positive weight: halves of at least 2 (one row standardizes to nothing)


def _candidates(penalty_factor, p: int) -> np.ndarray:
    """``(p,)`` bool: the features that stability selection selects among, the penalized ones
    (``penalty_factor`` 0 keeps a feature in every fit: it is not a candidate)."""
    v = _inputs.check_weights(penalty_factor, "penalty_factor", p, "feature")
    if v is None:
        return np.ones(p, bool)
    if not np.any(v > 0):
        raise ValueError(
            "penalty_factor must be positive for some feature: stability selection selects "
            "among the penalized features (penalty_factor 0 keeps a feature in every fit)"
        )
    return v > 0


def _selectable(X, sample_weight, fit_intercept: bool) -> np.ndarray:
    """``(p,)`` bool: the features a fit can select, every one but those constant on the rows
    of positive weight (with an intercept, by path's rule: a spread of at most
    :data:`l1jax._inputs.FLAT_RATIO` of the mean, the rounding of a centring; a sparse column
    only when equal on all those rows), or all 0 there (without): their coefficients are 0 in
    every half, and counted in the ``p`` of the bound they deflated it at will (3,000 constant
    columns beside 20 features: from 8.2 to 0.05, same fits, same selections). Bad weights
    are path's to name (its checks run after this one): all rows then."""
    w = np.ones(X.shape[0])
    if sample_weight is not None:
        try:
            given = np.asarray(sample_weight, np.float64)
            if given.shape == w.shape and np.all(given >= 0) and np.any(given > 0):
                w = _inputs.unit_scale(given)  # (1e308: their sum must not overflow)
        except (TypeError, ValueError):
            pass
    rows = w > 0
    w = w[rows] / w[rows].sum()
    try:
        if _sparse.is_sparse(X):  # (only columns equal on all those rows: no centring here)
            kept = X[rows]
            top, low = (np.asarray(m.toarray(), np.float64).ravel()
                        for m in (kept.max(axis=0), kept.min(axis=0)))  # fmt: skip
            return top != low if fit_intercept else (top != 0) | (low != 0)
        flat = np.empty(X.shape[1], bool)
        step = max(1, _inputs.GRAM_SLICE // max(w.size, 1))  # (columns at a time: no copy of X)
        for j in range(0, X.shape[1], step):
            block = np.asarray(X[:, j : j + step] if rows.all() else X[rows, j : j + step],
                               np.float64)  # fmt: skip
            top, low = block.max(axis=0), block.min(axis=0)
            if not fit_intercept:
                flat[j : j + step] = (top == 0) & (low == 0)
                continue
            with np.errstate(all="ignore"):  # (NaN, inf, overflow: varying, path names them)
                mean = w @ block
                spread = np.sqrt(_inputs._weighted_squares(np, w, block - mean))
                flat[j : j + step] = (top == low) | _inputs._flat(np, spread, mean)
    except (TypeError, ValueError):  # (not numbers: path names it)
        return np.ones(X.shape[1], bool)
    return ~flat


def _range_end(X, y, max_selected: int, lambda_min_ratio: float, candidates, mesh,
               options) -> tuple:  # fmt: skip
    """λ_max of all the data, the end of the default λ range and the fits of the search
    (``(status, gap, lambdas, n_iter)``, for one warning of unconverged λs): the first λ of a
    grid of 16 per decade at which the path on all the data has ``max_selected`` nonzero
    coefficients among the ``candidates`` (the penalized features). The path runs one decade at
    a time (the first from λ_max down to ``max(0.1, lambda_min_ratio) · λ_max``) and stops
    there, or at ``lambda_min_ratio · λ_max``, its last λ, if it never gets there, so that a
    small ``max_selected`` costs a short path."""
    low = max(0.1, lambda_min_ratio)
    res = path_for(None, X, y, lambdas=DECADE, lambda_min_ratio=low, mesh=mesh,
                   early_stop=False, **options)  # fmt: skip
    lam_max, first, fits = float(res.lambdas[0]), 1, []
    while True:
        fits.append((res.status, res.gap, res.lambdas, res.n_iter))
        counts = (np.asarray(res.coef)[:, candidates] != 0).sum(axis=1)
        reached = np.flatnonzero(counts >= max_selected)
        if reached.size:
            return lam_max, float(res.lambdas[max(int(reached[0]), first)]), fits
        if low <= lambda_min_ratio * (1 + 1e-9):
            return lam_max, float(res.lambdas[-1]), fits
        nxt = max(low / 10, lambda_min_ratio)
        grid = lam_max * np.geomspace(low, nxt, DECADE + 1)[1:]
        res, low, first = path_for(None, X, y, lambdas=grid, mesh=mesh, **options), nxt, 0


@host_entry
@_sharding.outside_context_mesh
@_inputs.follows_float64
def stability_selection(
    X: Matrix,
    y: ArrayLike,
    *,
    n_subsamples: int = 100,
    threshold: float = 0.6,
    max_selected: int | None = None,
    lambdas: int | ArrayLike | None = None,
    seed: int = 0,
    loss: str = "squared",
    l1_ratio: float = 1.0,
    lambda_min_ratio: float | None = None,
    fit_intercept: bool = True,
    standardize: bool = True,
    penalty_factor: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    positive: bool = False,
    tol: float | None = None,
    max_iter: int = 20_000,
    mesh: jax.sharding.Mesh | None = None,
    verbose: bool = False,
) -> StabilityResult:
    """Stability selection with complementary pairs: which features L1 really selects.

    Fits the path of :func:`l1jax.path` (same objective, same options) on ``n_subsamples``
    halves of the rows: ``n_subsamples / 2`` random halves and their complements (Shah &
    Samworth 2013), stratified by class for ``loss="logistic"``; with ``sample_weight`` a
    half's weights are the given ones on its rows, 0 elsewhere. Each half is standardized with
    its own rows. The selection probability of feature ``j`` at λ is the fraction of halves
    whose fit at λ has ``β_j ≠ 0``; the stable set (Meinshausen & Bühlmann 2010) is::

        selected_j = max_λ probability(λ, j) >= threshold

    and, with ``q`` the mean over the halves of the number of features nonzero at some λ of the
    range, the expected number of falsely selected features is at most (Meinshausen &
    Bühlmann's Theorem 1; Shah & Samworth show it holds for complementary pairs)::

        error_bound = q² / ((2·threshold − 1)·p)

    under the theorem's two assumptions: the noise features are exchangeable, and the lasso
    does no worse than random guessing among them. Neither can be checked from the data, and
    where they fail the bound does not hold: a noise feature correlated 0.9 with the signal
    (outside the lasso's irrepresentable condition) was selected in 20 data sets of 20 with
    ``error_bound`` 0.08. Read it as a guide under those assumptions, not a guarantee.

    The candidates are the penalized features: one with ``penalty_factor`` 0 is in every fit
    (its probabilities are there as for any feature) but is never ``selected``, and ``q`` and
    ``p`` count the penalized features only; ``p`` counts only those a fit can select: a
    column constant on the rows of positive weight (to path's rule, with an intercept;
    without, a column of zeros) has coefficient 0 in every half, and is not a noise feature of
    the theorem (3,000 constant columns beside 20 features took the bound from 8.2 to 0.05,
    the same fits).

    On accelerators and meshes all halves × all λs are solved in one compiled program, the
    working-set engine of :func:`l1jax.path` vmapped over the halves (as
    :func:`l1jax.cv_path`'s folds); with ``mesh=`` the halves are split over its axis
    ``"lambdas"`` and their rows over its axis ``"data"``. On a CPU the halves run through the
    engine of :func:`l1jax.path`, one per core at a time (a vmapped loop runs every half until
    the slowest is done, which costs more than it saves there), each on its own rows: a
    program of the halves' shape, without the 15% headroom of small data (their fits run
    faster for it; new data of a similar size may compile it again).

    Args:
      X: ``(n, p)`` real design matrix, ``n ≥ 4``.
      y: ``(n,)`` targets.
      n_subsamples: B, the number of halves: even (complementary pairs), at least 2.
      threshold: the selection probability in (0.5, 1] a stable feature reaches.
      max_selected: where the default λ range stops: at the first λ of the path on all the
        data with this many nonzero coefficients among the penalized features, in [1, their
        number]; default ``⌈√(0.8·p)⌉``, ``p`` the bound's (were ``q`` that small, the bound
        would be about ``0.8 / (2·threshold − 1)``; but fits on half the rows select more at
        the same λ, and over the range's union: ``q`` 1.5-2.6 times ``max_selected``
        measured, a bound of 12 for 50 features at threshold 0.6). That path runs on a grid
        of 16 λs per decade (the first decade: 16 λs from λ_max, down to ``max(0.1,
        lambda_min_ratio) · λ_max``), one decade at a time, down to ``lambda_min_ratio ·
        λ_max`` at most; if it never gets to ``max_selected`` nonzeros, the range stops there.
      lambdas: None (100 λs), an int K (K λs log-spaced over the default range above), or an
        array of λs, used as given (descending).
      lambda_min_ratio: in (0, 1), where the search for the end of the default range gives up
        (default 1e-4 if n ≥ p, else 1e-2, as :func:`l1jax.path`).
      seed: seed of the random halves.
      sample_weight: as in :func:`l1jax.path`; at least 4 rows of positive weight (halves of
        2 rows or more).
      loss, l1_ratio, fit_intercept, standardize, penalty_factor, positive, tol, max_iter: as
        in :func:`l1jax.path`.
      mesh: optional ``jax.sharding.Mesh`` with axes ``"lambdas"`` and/or ``"data"``.
      verbose: print progress lines on stderr: compilations, the λ range, each subsample.

    Returns:
      :class:`StabilityResult`: ``lambdas`` ``(K,)``, ``probabilities`` ``(K, p)``,
      ``subsamples`` ``(B, n)``, ``selected`` and ``max_probability`` ``(p,)``,
      ``error_bound``, ``threshold``, ``mean_selected``, ``feature_names`` (a DataFrame's
      string column names, else None).

    Raises:
      ValueError, TypeError: on bad input, naming the argument and the fix.

    References:
      N. Meinshausen, P. Bühlmann (2010), "Stability selection", JRSS B 72(4), 417-473.
      R. Shah, R. Samworth (2013), "Variable selection with error control: another look at
      stability selection", JRSS B 75(1), 55-80.

    Example:
      >>> import numpy as np
      >>> import l1jax
      >>> rng = np.random.default_rng(0)
      >>> X = rng.standard_normal((60, 8)); y = X[:, 0] - 2 * X[:, 1] + rng.standard_normal(60)
      >>> st = l1jax.stability_selection(X, y, n_subsamples=20, lambdas=12)
      >>> st.probabilities.shape, st.subsamples.shape
      ((12, 8), (20, 60))
      >>> np.flatnonzero(st.selected).tolist()
      [0, 1]
    """
    _inputs.check_flag(verbose, "verbose")
    with _progress.progress("l1jax.stability_selection", verbose) as report:
        B, threshold, seed, K = _check_settings(loss, n_subsamples, threshold, seed, lambdas)
        _inputs.check_column_labels(X, penalty_factor=penalty_factor)
        _inputs.check_row_labels(X, y=y, sample_weight=sample_weight)
        feature_names = column_names(X)
        X = _inputs.host_rows(X)  # (a sparse X stays sparse: SciPy CSR)
        y = _sharding.to_host(y) if isinstance(y, jax.Array) else y
        _inputs.refuse_multitask(y, "stability_selection")
        mesh = _sharding.auto(_sharding.check_mesh(mesh, "stability_selection"))
        options = dict(
            loss=loss, l1_ratio=l1_ratio, fit_intercept=fit_intercept, standardize=standardize,
            penalty_factor=penalty_factor, sample_weight=sample_weight, positive=positive, tol=tol,
            max_iter=max_iter,
        )  # fmt: skip
        X_arr = X
        if X_arr.ndim != 2 or 0 in X_arr.shape:
            path_for(WHOLE, X, y, lambdas=1, **options)  # raises path's message
        n, p = X_arr.shape
        if n < MIN_ROWS:
            raise ValueError(
                f"X must have at least {MIN_ROWS} samples to split into halves of "
                f"{MIN_ROWS // 2} rows or more, got n_samples = {n}"
            )
        candidates = _candidates(penalty_factor, p)
        n_selectable = int(np.count_nonzero(candidates & _selectable(X_arr, sample_weight,
                                                                     fit_intercept)))  # fmt: skip
        if max_selected is None:
            max_selected = math.ceil(math.sqrt(0.8 * max(n_selectable, 1)))
        max_selected = check_int(max_selected, "max_selected", 1, int(candidates.sum()),
                                 "the number of penalized features")  # fmt: skip
        if lambda_min_ratio is None:
            lambda_min_ratio = 1e-4 if n >= p else 1e-2
        lambda_min_ratio = check_scalar(lambda_min_ratio, "lambda_min_ratio", 0.0, 1.0, True, True)
        # The path on all the data checks the input (in path's words) and gives the λ range.
        if K is not None:
            lam_max, lam_end, search = _range_end(X, y, max_selected, lambda_min_ratio,
                                                  candidates, mesh, options)  # fmt: skip
            grid = np.geomspace(lam_max, lam_end, K)
        else:
            whole = path_for(WHOLE, X, y, lambdas=lambdas, mesh=mesh, early_stop=False,
                             **options)  # fmt: skip
            grid, search = np.asarray(whole.lambdas, np.float64), []
        dtype = float_dtype(X_arr, np.asarray(y))
        tol = _inputs.default_tol(dtype) if tol is None else tol
        if search:  # (one warning for the decades of the search)
            status, gap, lams, n_iter = (np.concatenate(a) for a in zip(*search, strict=True))
            warn_unconverged(WHOLE, status, gap, lams, tol, max_iter, n_iter=n_iter)
        X64, y64 = X_arr.astype(np.float64), np.asarray(y, np.float64)
        s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
        s = _inputs.unit_scale(s)  # (their sums must not overflow)
        if np.count_nonzero(s) < MIN_ROWS:
            raise ValueError(
                f"sample_weight must be positive on at least {MIN_ROWS} samples to split them "
                f"into halves of {MIN_ROWS // 2} rows or more, got {np.count_nonzero(s)}"
            )

        report(f"{B} subsamples × {grid.size} λs from {grid[0]:.4g} to {grid[-1]:.4g}")
        subsamples = _complementary_pairs(
            n, B, seed=seed, y=y64 if loss == "logistic" else None, sample_weight=s
        )
        _check_subsamples(subsamples, y64, loss, fit_intercept)
        opts = dict(loss=loss, fit_intercept=bool(fit_intercept), standardize=bool(standardize),
                    penalty_factor=penalty_factor, positive=bool(positive), tol=tol,
                    max_iter=int(max_iter), mesh=mesh)  # fmt: skip
        # Of each fit only the counts of its nonzero coefficients are kept (K × p in all), and
        # which features it selected at some λ (B × p bools): its B·K·p float64 coefficients,
        # stacked and copied, took 3.4 GB for B = 100 halves of 200 × 20,000 (K = 100)
        counts = np.zeros((grid.size, p), np.int64)
        lock = threading.Lock()

        def keep(coef, job=None):  # (K, p): one fit's path
            nonzero = coef != 0
            with lock:
                np.add(counts, nonzero, out=counts)
            return nonzero.any(axis=0)  # (p,)

        if cv._batched(mesh) and not _sparse.is_sparse(X_arr):
            # vmapped over the halves (as cv_path's folds), each on its own rows
            rows = np.stack([np.flatnonzero(half) for half in subsamples])  # (B, ⌊m/2⌋)
            coef, _, gap, status, n_iter = cv._fit_batched(X64, y64, s, ~subsamples, grid[None],
                                                   [l1_ratio], rows=rows, **opts)  # fmt: skip
            entered = [[keep(c) for c in coef[0]]]
        else:  # through path's program, one per core at a time, each on its half's rows
            entered, _, gap, status, n_iter = cv._fit_one_by_one(
                X64, y64, s, ~subsamples, grid[None], [l1_ratio], rows_only=True, report=report,
                what="subsample", keep=keep, **opts,
            )  # fmt: skip
        entered, gap, status = np.stack(entered[0]), gap[0], status[0]  # (B, p), (B, K)
        warn_unconverged("l1jax.stability_selection", status, gap, grid, tol, max_iter,
                         what="subsample × λ fits", n_iter=n_iter[0])  # fmt: skip
        probabilities = counts / B
        max_probability = probabilities.max(axis=0)
        q = float(entered[:, candidates].sum(axis=1).mean())
        return StabilityResult(
            lambdas=grid.astype(dtype),
            probabilities=probabilities,
            subsamples=subsamples,
            selected=(max_probability >= threshold) & candidates,
            max_probability=max_probability,
            error_bound=q**2 / ((2 * threshold - 1) * max(n_selectable, 1)),
            threshold=threshold,
            mean_selected=q,
            feature_names=feature_names,
        )

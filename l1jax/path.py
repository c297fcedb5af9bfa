"""``l1jax.path``: whole regularization paths in one call (the host boundary).

``path`` checks its arguments and standardizes (:mod:`l1jax._inputs`), runs the working-set
engine along the λ grid (:func:`l1jax.engine.fit_path`: warm starts, strong-rule working sets,
blocks of neighbouring λs, all in one compiled program), returns coefficients on the original
scale and warns once when some λ did not converge.
"""

from __future__ import annotations

import inspect
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import ArrayLike

from l1jax import _inputs, _progress, _sharding, _sparse, engine, solvers
from l1jax._inputs import Matrix, column_names
from l1jax._programs import highest, host_entry, jit
from l1jax._warnings import warn_convergence
from l1jax.losses import MULTINOMIAL

__all__ = ["ConvergenceWarning", "PathResult", "path"]


class ConvergenceWarning(UserWarning):
    """Some λs of a path did not reach the requested tolerance."""


class PathResult(NamedTuple):
    """A regularization path (a pytree of arrays; it crosses ``jit`` and ``vmap``, unless its
    ``classes``, ``groups`` or ``feature_names`` are strings, which are no JAX arrays: pass
    ``res._replace(classes=None)`` then).

    Attributes:
      lambdas: ``(K,)`` penalty strengths, descending.
      coef: ``(K, p)`` coefficients on the original scale of ``X``; ``(K, p, m)`` for a
        multi-task ``y`` ``(n, m)``.
      intercept: ``(K,)`` intercepts (0 when ``fit_intercept=False``); ``(K, m)`` multi-task.
      converged: ``(K,)`` bool, ``gap <= tol``.
      n_iter: ``(K,)`` inner iterations spent on each λ (over all its working sets).
      gap: ``(K,)`` relative duality gap ``(P − D) / P_null``, the optimality certificate.
      status: ``(K,)`` :class:`l1jax.solvers.Status` codes.
      dev_ratio: ``(K,)`` fraction of the null deviance explained, ``1 − D(β) / D_null``
        (glmnet's ``dev.ratio``; R² for the squared loss), on the training data and weights.
      classes: ``(C,)`` the class labels of a multinomial path (the order of the last axis of
        ``coef``, ``intercept`` and ``predict``, as scikit-learn's ``classes_``); else None.
      groups: ``(p,)`` the group label of each column of a group-lasso path (the ``groups``
        given); else None. ``np.unique(groups)`` orders its ``penalty_factor``.
      feature_names: ``(p,)`` the column names of a pandas DataFrame ``X`` whose names are all
        strings (as scikit-learn's ``feature_names_in_``); else None. :meth:`predict` then
        refuses a DataFrame with other columns, or the same in another order, and the plots
        name the features by them.
    """

    lambdas: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    gap: np.ndarray
    status: np.ndarray
    dev_ratio: np.ndarray | None = None
    classes: np.ndarray | None = None
    groups: np.ndarray | None = None
    feature_names: np.ndarray | None = None

    def predict(self, X) -> np.ndarray:
        """Linear predictor ``η = intercept + X coefᵀ`` for every λ, shape ``(K, n)`` (``(K, n, m)``
        for a multi-task path, ``(K, n, C)`` for a multinomial one: one column per class).

        For logistic and Poisson paths this is the link scale (log-odds, log-rate); apply
        :func:`l1jax.losses.mean_function` for probabilities or rates (multinomial: the softmax
        over the last axis; its argmax indexes ``classes``). At the path's λs only: for another
        λ fit it, ``l1jax.path(X, y, lambdas=np.array([lam]), ...)`` (glmnet's ``predict(fit,
        s=lam, exact=TRUE)``; its default ``exact=FALSE`` interpolates the coefficients linearly
        between the two nearest λs of the grid, an approximation: 3e-3 apart on a logistic
        path's linear predictor). A ``jax.Array`` ``X``
        (e.g. row-sharded) gives a ``jax.Array`` computed where ``X`` lives (columns sharded as
        the rows of ``X``); anything else gives NumPy.
        """
        check_feature_names(X, self.feature_names)
        on_devices = isinstance(X, jax.Array)
        sparse = _sparse.is_sparse(X)
        if on_devices:  # (NaN and inf refused, as for NumPy: they predicted NaN)
            _inputs.check_finite_on_devices(X, "X")
        elif sparse:
            X = _sparse.as_csc(X)
        else:  # (read as the path read its X: numbers held as objects or as text columns of a
            # DataFrame; NaN and inf refused, as scikit-learn's predict does)
            X = _inputs.as_real_array(X, "X", 2)
        if np.ndim(X) != 2 or X.shape[1] != self.coef.shape[1]:
            raise ValueError(
                f"X must have shape (n, {self.coef.shape[1]}) like the data of the path, "
                f"got {np.shape(X)}"
            )
        if np.dtype(X.dtype).kind not in "biuf":
            raise TypeError(f"X must hold real numbers (floats, ints or bools), got dtype "
                            f"{X.dtype}")  # fmt: skip
        if on_devices:  # (in X's floating dtype; ints and bools in the coefficients': cast to
            # X's dtype, int32 coefficients predicted zeros)
            dtype = X.dtype if np.dtype(X.dtype).kind == "f" else \
                jax.dtypes.canonicalize_dtype(self.coef.dtype)  # fmt: skip
            coef, intercept = (jnp.asarray(a, dtype) for a in (self.coef, self.intercept))
            return _predict(coef, intercept, X.astype(dtype))
        return host_predict(self.coef, self.intercept, X)


def check_feature_names(X, names) -> None:
    """A DataFrame ``X`` given to predict must have the columns of the path's data
    (``names``), in their order: they are read by position (a reordered frame predicted 7.7
    off, silently)."""
    columns = column_names(X)  # (a frame without string names: by position, as an array)
    if names is None or columns is None or list(columns) == list(names):
        return
    if sorted(columns) == sorted(names):
        raise ValueError("X has the columns of the path's data in another order, which would "
                         "be read by position; pass X[res.feature_names]")  # fmt: skip
    missing = [name for name in names if name not in set(columns)]
    unexpected = [name for name in columns if name not in set(names)]
    raise ValueError(f"X's columns are not those of the path's data (res.feature_names); "
                     f"missing: {missing[:5]}, not seen in the fit: {unexpected[:5]}")  # fmt: skip


def features_in(coef) -> np.ndarray:
    """``(K, p)`` bool: the features with a nonzero coefficient at each λ, for ``coef``
    ``(K, p)``, or ``(K, p, m)`` (multi-task, multinomial: nonzero in some task or class)."""
    coef = np.asarray(coef)
    return (coef != 0).reshape(coef.shape[0], coef.shape[1], -1).any(axis=2)


def host_predict(coef, intercept, X) -> np.ndarray:
    """``η = intercept + X coefᵀ`` in NumPy for every λ: ``(K, n)``, or ``(K, n, m)`` for
    ``coef`` ``(K, p, m)`` (multi-task, multinomial); ``X`` NumPy or SciPy sparse."""
    sparse = _sparse.is_sparse(X)
    if coef.ndim == 3:
        eta = np.stack([X @ c for c in coef]) if sparse else np.einsum("np,kpm->knm", X, coef)
        return intercept[:, None, :] + eta
    if sparse:
        return intercept[:, None] + (X @ coef.T).T
    return intercept[:, None] + coef @ X.T


@jit
@highest
def _predict(coef, intercept, X):
    if coef.ndim == 3:  # multi-task
        return intercept[:, None, :] + jnp.einsum("np,kpm->knm", X, coef)
    return intercept[:, None] + coef @ X.T


# ----------------------------------------------------------------------------------------------
# The public entry point.


@host_entry
@_sharding.outside_context_mesh
@_inputs.follows_float64
def path(
    X: Matrix,
    y: ArrayLike,
    *,
    loss: str = "squared",
    l1_ratio: float = 1.0,
    lambdas: int | ArrayLike = 100,
    lambda_min_ratio: float | None = None,
    fit_intercept: bool = True,
    standardize: bool = True,
    penalty_factor: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    positive: bool = False,
    tol: float | None = None,
    max_iter: int = 20_000,
    block_size: int | None = None,
    mesh: jax.sharding.Mesh | None = None,
    early_stop: bool = True,
    verbose: bool = False,
    grouped: bool = False,
    groups: ArrayLike | None = None,
) -> PathResult:
    """Compute a whole lasso / elastic-net path of a GLM in one call.

    Solves, for each λ of a decreasing grid (glmnet's and scikit-learn's convention, scikit-learn
    calls λ ``alpha``)::

        min_{β, b}  (1/Σs) Σ_i s_i ℓ(y_i, b + x_iᵀβ) + λ Σ_j v_j (ρ |β_j| + (1 − ρ)/2 β_j²)

    with ``ℓ`` the squared loss ``½(y − η)²``, the logistic loss ``log(1 + e^η) − yη`` (y ∈ {0, 1})
    or the Poisson loss ``e^η − yη`` (y ≥ 0, log link); ``s`` = ``sample_weight``, ``v`` =
    ``penalty_factor``, ``ρ`` = ``l1_ratio``.

    **Multi-task** (a 2-D ``y`` of shape ``(n, m)``, squared loss; scikit-learn's
    ``MultiTaskLasso`` / ``MultiTaskElasticNet``, glmnet's ``family="mgaussian"``)::

        min_{B, b}  (1/Σs) Σ_i s_i ½‖y_i − b − Bᵀx_i‖² + λ Σ_j v_j (ρ ‖B_j‖₂ + (1 − ρ)/2 ‖B_j‖²)

    with ``B_j`` the row of feature ``j`` (its ``m`` coefficients): a feature is selected for
    all tasks at once. λ_max is ``max_j ‖X̃_jᵀ S (Y − Ȳ)‖₂ / (ρ v_j)``, and the duality gap uses
    the group dual norm ``max_j ‖X̃_jᵀθ‖₂ / v_j``. ``coef`` is ``(K, p, m)``, ``intercept``
    ``(K, m)``, ``predict(X)`` ``(K, n, m)``. A ``y`` of shape ``(n, 1)`` is a multi-task path
    of one task (the same problem as the 1-D ``y``, with a trailing axis, solved to the same
    tol by another program: coefficients apart within what the tolerance allows, e.g. 2e-8 for a
    well-conditioned lasso of 40 × 5, 1e-4 relative for an elastic net with p > n).

    **Multinomial** (``loss="multinomial"``, ``y`` ``(n,)`` class labels of any sortable type,
    floats only if whole numbers, as scikit-learn's; the ``C ≥ 2`` classes are ``np.unique(y)``,
    returned as ``classes``): with ``Y`` the one-hot ``(n, C)`` matrix of ``y`` and one
    coefficient vector per class (glmnet's symmetric parametrization; scikit-learn's
    ``LogisticRegression`` with ``l1_ratio``)::

        min_{B, b}  (1/Σs) Σ_i s_i (log Σ_c e^{η_ic} − Σ_c Y_ic η_ic)
                    + λ Σ_j v_j Σ_c (ρ |B_jc| + (1 − ρ)/2 B_jc²),     η_i = b + Bᵀx_i

    ``B`` ``(p, C)``, ``b`` ``(C,)`` unpenalized. (A constant added to a row ``B_j`` changes no
    probability, and the lasso's ``Σ_c |B_jc|`` neither while it stays between the row's two
    middle entries: with ρ = 1, not grouped and an even number of classes the minimizer can be a
    segment, whose middle glmnet returns and l1jax a point of, often an end (sparser); their
    objectives and probabilities agree, coefficients by a constant per row.) ``grouped=True``
    penalizes each feature's row instead, ``λ Σ_j v_j (ρ ‖B_j‖₂ + (1 − ρ)/2 ‖B_j‖²)`` (glmnet's
    ``type.multinomial="grouped"``): a feature then enters for all classes at once. λ_max is
    ``max_j max_c |X̃_jᵀ S (Y − Ȳ)_c| / (ρ v_j)`` (the row norm with ``grouped``); the duality
    gap uses the dual of the softmax loss (the negative entropy of ``Y − α(Y − P)``) and the
    matching dual norm. ``coef`` is ``(K, p, C)``, ``intercept`` ``(K, C)`` (centred to sum 0
    over the classes at each λ, as glmnet's: a constant added to all changes no probability),
    ``predict(X)`` the
    linear predictors ``(K, n, C)`` (softmax over the last axis for probabilities). Not with
    ``positive``, a zero ``penalty_factor``, λ = 0, a sparse ``X`` or a ``mesh`` (yet).

    **Group lasso / group elastic net** (``groups``: a label per column of ``X``, of any one
    sortable type; one response of the squared, logistic or Poisson loss; as grpreg and skglm)::

        min_{β, b}  (1/Σs) Σ_i s_i ℓ(y_i, b + x_iᵀβ) + λ Σ_g w_g (ρ ‖β_g‖₂ + (1 − ρ)/2 ‖β_g‖²)

    with ``β_g`` the coefficients of the columns labelled ``g``: a group enters or leaves the
    model whole. The groups are the sorted distinct labels, ``np.unique(groups)``, and
    ``penalty_factor`` then has one entry ``w_g`` per group in that order (default ``√|g|``, the
    square root of the group's size, as grpreg; skglm's and celer's default is 1: pass
    ``np.ones(n_groups)`` to fit theirs); ``w_g = 0`` leaves a group unpenalized. λ_max is
    ``max_g ‖X̃_gᵀ S (y − μ₀)‖₂ / (ρ w_g)`` (μ₀ the fit of the intercept and the unpenalized
    groups), the strong rule, the
    working sets and the violations go by group norms, and the duality gap uses the group dual
    norm ``max_g ‖X̃_gᵀθ‖₂ / w_g``, so ``converged`` is certified as for the lasso. With
    ``standardize=True`` the columns are standardized one by one (not orthonormalized group by
    group as grpreg does); with ``standardize=False`` each group's columns are divided by one
    scale, the root mean square of their spreads, which moves into the group's factor (an exact
    change of variables: columns of different units converge as standardized ones do). Solved
    by FISTA with block soft-thresholding, on the columns as given (group norms by segment
    sums: groups of any sizes, in any order, cost no padding).
    ``coef`` is ``(K, p)`` as usual and ``groups`` is kept on the result. Not with
    ``positive``, a sparse ``X``, a ``mesh``, a 2-D ``y`` or
    ``loss="multinomial"`` (yet).

    With ``standardize=True`` (as glmnet) the columns are centred and scaled to unit weighted
    variance (1/n), the penalty applies to the standardized coefficients, and ``coef`` is returned
    on the original scale; without an intercept (``fit_intercept=False``) the columns are not
    centred, and are scaled by their weighted root mean square instead (glmnet's
    ``intercept=FALSE`` scales them by their centred standard deviations: see below). A constant
    column gets coefficient 0 (with an intercept, with or
    without standardization; a column whose spread is at most 1000 ε of its mean, 2.2e-13 in
    float64, is constant: the rounding of its centring).
    A column of small values is not: standardized, its units do not matter (in float32 its
    spread must be at least 1e-30, and 1e-15 without standardization, in float64 1e-150, else a
    ValueError).

    **Against glmnet** (R glmnet 4.1-6, 83 configurations of the three losses, multi-task and
    multinomial, weights, factors, ``positive``, ``cv.glmnet``): the same λ grids, early stops
    and coefficients to glmnet's own accuracy (1e-6 relative at its ``thresh=1e-14`` and our
    ``tol=1e-12``; at the defaults, ``tol=1e-7`` here and ``thresh=1e-7`` there, about 5e-5
    relative here and 1e-4 to 4e-4 there, each from the tight fit), where it solves the
    objective above. Four of its conventions differ from that objective, and give
    other coefficients: it rescales ``penalty.factor`` to sum to p (pass ``v * p / v.sum()``;
    columns it leaves out, by ``exclude`` or a factor ``Inf``, count 1 each in that sum: drop
    them and pass the others' ``v * p / (v.sum() + n_left_out)``, p counting them too);
    its gaussian elastic net (α < 1) standardizes y first, which weighs its ridge part by
    1/σ_y (σ_y: y's weighted 1/n standard deviation, with ``intercept=FALSE`` its uncentred
    weighted root mean square; pass ``l1_ratio=α / (α + (1 − α)/σ_y)``
    and the λs times ``α + (1 − α)/σ_y``); with ``intercept=FALSE`` it divides the uncentred
    columns by their centred standard deviations σ_j, weighted (1/Σs) as σ_y (a lasso: pass
    ``standardize=False``, ``penalty_factor=σ``); with ``lower.limits=0`` its early stop keeps
    only the 0.999 deviance rule (pass ``early_stop=False`` to compare whole grids), and its
    λ_max is still the largest ``|gradient|`` at zero where ours (``positive=True``) is the
    largest positive one, the smallest λ whose fit is zero (pass glmnet's λs to compare where
    they differ); below α = 1e-3 its λ_max divides by ``max(α, 1e-3)`` where ours divides by ρ
    (again the smallest λ whose fit is zero: 10 times glmnet's at α = 1e-4; pass its λs).
    ``cv.glmnet`` without given λs fits each fold on a grid of its own and interpolates;
    :func:`l1jax.cv_path` fits every fold at the full data's λs (pass them to ``cv.glmnet``
    to compare).

    ``tol`` is a relative duality gap: each λ stops when ``(P − D) / P_null ≤ tol``, where
    ``P_null`` is the objective of the intercept-only model (for Poisson, minus that of the
    saturated model, so the scale is the positive null deviance / 2), so the objective is within
    ``tol · P_null`` of the optimum. The default, ``1e-7`` in float64 (relative objective accuracy
    of about 1e-7 or better), is ``1e-5`` in float32 (float32 cannot certify much tighter gaps;
    where its rounding of Xβ and β keeps even that out of reach, e.g. fits near saturation at
    small λ (nearly separable classes, Poisson counts of 0 or in the thousands: |Xβ| in the
    tens), a solve stops once its steps lower neither the gap nor the objective, and the λ is
    reported unconverged; float64 data is solved, and certified, in float64).
    What rounding leaves of the unpenalized block's gradient (intercept, ``penalty_factor`` 0;
    ``cond · ε`` when its columns are nearly collinear) is added to the gap, and so is what
    storing the intercept in the path's dtype may cost (the intercept on the original scale,
    ``b̃ − coef · x̄``, is of the size of ``coef · x̄``: in float32 a column whose mean is 10⁶
    times its spread leaves it 0.06 apart, a relative gap of about 1e-4; centre such columns);
    a gap is at the level of rounding below a few ``ε |P| / P_null`` (about 1e-12 in float64,
    1e-7 in float32; a GPU sums in another order than a CPU, so their last bits differ). The
    squared and Poisson gaps are formed from terms that vanish at the optimum (a Poisson
    objective with counts in the tens is 20 ``P_null``, whose ``P − D`` rounded by 20 ε); the
    logistic and multinomial gaps as ``P − D`` (their ``|P|`` is at most about ``P_null``).
    A gap below ``−max(1000 ε, 1e-12)`` is no certificate (weak duality failed by more than
    rounding: a float32 free block of columns 10¹² apart in scale): that λ is MAX_ITER.
    A squared-loss path with ``p ≤ n`` is solved on its ``p × p`` Gram matrix, whose rounding
    squares the condition number of the columns it fits and which no gap there can see: where
    that could cost more than a tenth of ``tol`` (nearly collinear columns in float32), the path
    is solved again on ``X``. λs that do not reach ``tol`` have ``converged = False`` and cause
    one :class:`ConvergenceWarning`.

    Args:
      X: ``(n, p)`` real design matrix. Its dtype sets the precision: float64 (or longdouble)
        NumPy data, and lists of Python floats, are solved in float64 (even with JAX's x64
        off: a scoped ``jax.enable_x64``), float32 in float32 (but with x64 on, beside a
        float64 ``y``: in float64); other inputs (a ``jax.Array``, integers) follow JAX's x64
        setting.
        A ``jax.Array`` stays on its devices: it is checked and standardized there and never
        gathered to the host or to one device, so an ``X`` that arrives row-sharded over a
        mesh axis ``"data"`` (e.g. from ``jax.make_array_from_process_local_data``, each host
        loading its own rows) may be larger than one device's or one host's memory. Its mesh
        is used when ``mesh`` is None.
      y: ``(n,)`` targets, or ``(n, m)``: one column per task (multi-task, ``loss="squared"``
        only; not with ``positive``, a sparse ``X`` or a ``mesh``).
      loss: ``"squared"``, ``"logistic"``, ``"poisson"`` or ``"multinomial"`` (class labels
        ``y``, above).
      l1_ratio: ρ in [0, 1]; 1 is the lasso. 0 (ridge) needs explicit ``lambdas``.
      lambdas: an int K (a grid of K values log-spaced from λ_max to
        ``lambda_min_ratio · λ_max``, which may stop early: ``early_stop``; glmnet's
        ``nlambda``), or λs ≥ 0, a float or an array (returned in descending order, all
        fitted; glmnet's ``lambda``): ``lambdas=1`` is a grid of one, λ_max, ``lambdas=1.0``
        the λ 1. Where λ_max = 0 (a constant ``y``, every feature unpenalized, or
        ``positive=True`` with no feature correlated positively with the residual), every
        λ ≥ 0 has the same solution, and the grid of K is the bare fractions
        ``1 … lambda_min_ratio``.
      lambda_min_ratio: in (0, 1); default 1e-4 if n ≥ p else 1e-2 (glmnet's: n rows, p columns).
      fit_intercept: fit an unpenalized intercept.
      standardize: standardize the columns (see above).
      penalty_factor: ``(p,)`` non-negative ``v``; 0 leaves a feature unpenalized. An
        unpenalized column that is, to rounding, a linear combination of earlier unpenalized
        ones and the intercept (one-hot columns of every level, a column given twice) adds no
        fit and gets coefficient 0 (R's ``lm`` reports it ``NA``; not with ``positive``).
        Unpenalized columns (and the intercept) that separate a logistic ``y``'s classes, or
        can fit a Poisson mean of 0 to samples whose ``y`` are all 0, leave no λ a minimizer:
        a ``ValueError`` (checked exactly up to 60,000 distinct rows × columns of the block;
        beyond, by its columns of at most 32 distinct values, e.g. dummies, together or one
        by one; a separation only by columns of many values is left to the engine: λs come
        back :attr:`Status.UNBOUNDED`, or CONVERGED where the loss is flat to rounding, with
        coefficients of 30 or more). With ``groups``: one entry per
        group, in the order of ``np.unique(groups)`` (above).
      sample_weight: ``(n,)`` non-negative weights, normalized inside. Poisson rates with
        exposures ``e`` (glmnet's ``offset = log(e)``; no offset argument here): fit the rates
        ``y / e`` with ``sample_weight=e`` at ``λ · n / Σe`` for glmnet's λ, the same
        coefficients; the columns are then standardized with the weights ``e`` (glmnet's
        offset fit standardizes them unweighted): pass ``standardize=False`` and columns
        scaled as you want them to match it exactly.
      positive: constrain the coefficients to be ≥ 0 (all of them, those with
        ``penalty_factor`` 0 too, as glmnet's ``lower.limits = 0``; not the intercept).
      tol: relative duality-gap tolerance (see above).
      max_iter: inner-iteration cap per block of λs and working set (one solve; a λ whose
        working set grows is solved again, so its ``n_iter``, their sum, can exceed it).
      block_size: how many neighbouring λs are solved together; default: 1 where the engine
        takes Newton steps (logistic and Poisson paths whose working sets stay within 512
        columns: each λ warm-starts from the one before) and, on a CPU, for the squared loss
        with p > n whose working sets hold at least 1/32 of the columns (dense X, no groups)
        or with p ≤ n and at most 64 columns, padded (its program compiles faster; such a
        path takes milliseconds either way),
        2 for multi-task paths, 4 for other logistic and Poisson paths on a CPU, else 8.
      mesh: optional ``jax.sharding.Mesh`` to run on several devices: each block of λs is split
        over its axis ``"lambdas"`` and the rows of ``X`` over its axis ``"data"`` (data
        parallel: ``Xᵀr`` is reduced across devices); either axis may be absent. Shapes that do
        not divide evenly are padded (rows of zero weight, repeated λs). Results are the
        single-device run's to the same ``tol`` (sums in another order can stop the solver at
        another iterate within it). Default: the mesh a sharded ``jax.Array`` ``X`` is on.
      early_stop: with an int ``lambdas`` (an automatic grid), stop the path as glmnet does
        once more λs explain nothing new: from the 5th λ on, when the fraction of deviance
        explained ``dev_ratio`` exceeds 0.999 or gains less than 1e-5 from one λ to the next
        (relative to ``dev_ratio`` for the squared loss, to ``1 − dev_ratio`` for a multi-task
        one, as glmnet's mgaussian; for Poisson, relative over 4 λs and times 10). The result
        then has fewer than K λs: those fitted. An array of λs is always fitted whole.
      verbose: print progress lines on stderr: the compilations of a first call with new
        shapes (seconds each; the programs are kept on disk for later calls) and the λs fitted.
      grouped: ``loss="multinomial"`` only: penalize each feature's coefficients across the
        classes as a group (their ℓ2 norm), not entry by entry (above).
      groups: ``(p,)`` a group label per column of ``X``: the group lasso / group elastic net
        (above), or skglm's list of lists of column indices (``groups[g]`` the columns of group
        ``g``, every column in one: labels ``g``); None (default): every feature is its own
        group (the lasso).

    Returns:
      :class:`PathResult`: ``lambdas`` ``(K,)`` descending, ``coef`` ``(K, p)``, ``intercept``,
      ``converged``, ``n_iter``, ``gap``, ``status``, ``dev_ratio`` ``(K,)``, and
      ``predict(X)`` ``(K, n)``; multi-task: ``coef`` ``(K, p, m)``, ``intercept`` ``(K, m)``
      and ``predict(X)`` ``(K, n, m)`` (the rest as above: one certificate per λ); multinomial:
      the same with ``m = C`` classes, and ``classes`` ``(C,)``; with ``groups``, the shapes of
      one response and ``groups`` ``(p,)``.

    Raises:
      ValueError, TypeError: on bad input, naming the argument and the fix.

    Example:
      >>> import numpy as np
      >>> import l1jax
      >>> X = np.array([[-1.0], [0.0], [1.0]]); y = np.array([-1.0, 0.0, 1.0])
      >>> res = l1jax.path(X, y, lambdas=np.array([0.1, 0.5, 1.0]), standardize=False)
      >>> [round(float(v), 4) for v in res.lambdas], [round(float(c), 4) for c in res.coef[:, 0]]
      ([1.0, 0.5, 0.1], [0.0, 0.25, 0.85])
      >>> Y = np.stack([y, 2 * y], axis=1)  # two tasks
      >>> res = l1jax.path(X, Y, lambdas=np.array([0.1, 0.5]), standardize=False)
      >>> res.coef.shape, res.intercept.shape, res.predict(X).shape
      ((2, 1, 2), (2, 2), (2, 3, 2))
      >>> labels = np.array(["a", "b", "c"])
      >>> res = l1jax.path(X, labels, loss="multinomial", lambdas=np.array([0.1, 0.01]))
      >>> res.coef.shape, res.classes.tolist(), res.predict(X)[-1].argmax(axis=1).tolist()
      ((2, 1, 3), ['a', 'b', 'c'], [0, 1, 2])
      >>> rng = np.random.default_rng(0)
      >>> Xg = rng.standard_normal((50, 6)); yg = Xg[:, 0] + Xg[:, 1] + rng.standard_normal(50)
      >>> res = l1jax.path(Xg, yg, groups=["u", "u", "v", "v", "w", "w"], lambdas=10,
      ...                  lambda_min_ratio=0.1)
      >>> res.coef.shape, (res.coef[3] != 0).tolist()  # the group "u" enters first, whole
      ((10, 6), [True, True, False, False, False, False])
    """
    _inputs.check_flag(verbose, "verbose")
    return reported(X, y, verbose, dict(
        loss=loss, l1_ratio=l1_ratio, lambdas=lambdas, lambda_min_ratio=lambda_min_ratio,
        fit_intercept=fit_intercept, standardize=standardize, penalty_factor=penalty_factor,
        sample_weight=sample_weight, positive=positive, tol=tol, max_iter=max_iter,
        block_size=block_size, mesh=mesh, early_stop=early_stop, grouped=grouped, groups=groups,
    ))  # fmt: skip


def reported(X, y, verbose: bool, options: dict, row_grams=None,
             where: str | None = "l1jax.path") -> PathResult:  # fmt: skip
    """:func:`path` (its progress lines and warnings) on :func:`_path`'s keyword ``options``,
    and ``row_grams`` (see :func:`_path`: cv_path's refit shares its folds' product of X).
    ``where`` names the call in the warning of unconverged λs (``None``: no warning, the caller
    gives it; a fit in a worker thread has no user's line to name)."""
    lambdas = options["lambdas"]
    with _progress.progress("l1jax.path", verbose) as report:
        report(f"fitting a {options['loss']} path ({_grid_words(lambdas)})")
        res, tol = _path(X, y, row_grams=row_grams, **options)
        res = res._replace(feature_names=column_names(X))
        report(f"fitted {fitted_words(res, lambdas)}")
    if where is not None:
        warn_unconverged(where, res.status, res.gap, res.lambdas, tol, options["max_iter"],
                         n_iter=res.n_iter)  # fmt: skip
    return res


def path_for(where: str | None, X, y, **options) -> PathResult:
    """:func:`path` with ``options`` (its defaults for the rest), run by the public function
    ``where`` on all the data, whose name its warning of unconverged λs gives (``None``: no
    warning, the caller gives it)."""
    defaults = {name: param.default for name, param in inspect.signature(path).parameters.items()
                if param.kind is param.KEYWORD_ONLY and name != "verbose"}  # fmt: skip
    return reported(X, y, False, {**defaults, **options}, where=where)


def _grid_words(lambdas) -> str:
    automatic = _inputs.is_grid_size(lambdas)
    return f"up to {lambdas} λs" if automatic else f"{np.size(lambdas)} λs"


def fitted_words(res: PathResult, lambdas) -> str:
    """``"K λs"``, with the early stop and the unconverged λs (progress lines)."""
    K = res.lambdas.size
    words = f"{K} λs"
    if _inputs.is_grid_size(lambdas) and K < lambdas:
        words += (f" (stopped early by glmnet's rule: {res.dev_ratio[-1]:.4g} of the deviance "
                  "explained)")  # fmt: skip
    bad = int(np.sum(~np.asarray(res.converged)))
    return words + (f", {bad} not converged" if bad else "")


def warn_unconverged(where, status, gap, lambdas, tol, max_iter, what="λs", n_iter=None):
    """One :class:`ConvergenceWarning` per kind of failure (λs :attr:`Status.UNBOUNDED`,
    :attr:`Status.NONFINITE`, the others) for the fits of ``status`` (any shape, ``lambdas``
    broadcast to it) that did not converge, at the user's line
    (:func:`l1jax._warnings.user_stacklevel`). With ``n_iter`` (as ``status``), fits that all
    stopped before ``max_iter`` stalled: the warning does not ask for more iterations."""

    def warn(message: str) -> None:  # (in the caller's words: an estimator's, convergence_as)
        warn_convergence(message, ConvergenceWarning)

    status, gap = np.asarray(status), np.asarray(gap)
    lambdas = np.broadcast_to(lambdas, status.shape)
    converged = status == solvers.Status.CONVERGED
    unbounded = status == solvers.Status.UNBOUNDED
    if unbounded.any():
        warn(
            f"{where}: {int(unbounded.sum())} of {status.size} {what} have no finite "
            f"minimizer (status UNBOUNDED, first at λ={lambdas[unbounded][0]:.4g}): the "
            "unpenalized part of the model (the intercept, features with penalty_factor 0, or "
            "every feature at λ = 0) separates the data (classes) or its columns are (nearly) "
            "collinear, so its coefficients diverge. Use λ > 0 and penalize those features "
            "(penalty_factor > 0), or drop the collinear ones."
        )
    nonfinite = status == solvers.Status.NONFINITE
    if nonfinite.any():  # (no number of iterations helps: say what does)
        warn(
            f"{where}: {int(nonfinite.sum())} of {status.size} {what} did not converge: the fit "
            f"reached a value that is not finite (NaN or inf; status NONFINITE, first at "
            f"λ={lambdas[nonfinite][0]:.4g}), a numerical failure that more iterations do not "
            "mend. Pass X as float64, or rescale what is extreme (sample_weight spanning many "
            "orders of magnitude, features or y far from 1)."
        )
    bad = ~converged & ~unbounded & ~nonfinite
    if bad.any():
        worst = np.unravel_index(np.argmax(np.where(bad, np.abs(np.nan_to_num(gap, nan=np.inf)),
                                                    -1)), gap.shape)  # fmt: skip
        hint = ""
        if gap.dtype == np.float32:  # (the gaps of a float32 fit are float32)
            hint = (
                " In float32 a duality gap can stall at the level of rounding when |Xβ| is "
                "large (fits near saturation at small λ: nearly separable classes, Poisson "
                "counts of 0 or in the thousands), when columns are nearly collinear at small "
                "λ, or when the penalties of the columns span many orders of magnitude "
                "(standardize=False on columns of very different scales, or such "
                "penalty_factor), and an intercept cannot be stored to within tol when a "
                "column's mean, or y's, is many times its spread (centre them first): pass X as "
                "float64 NumPy data (solved in float64 even with JAX's x64 off) to certify it."
            )
        fix = f"Increase max_iter (now {max_iter}), loosen tol,"
        spent = None if n_iter is None else int(np.max(np.asarray(n_iter)[bad]))
        if spent is not None and spent < max_iter:  # (a float32 gap at its rounding's level)
            fix = (f"They stalled (their steps no longer lowered the gap), at most {spent} "
                   f"iterations in: a larger max_iter (now {max_iter}) does not help. Loosen "
                   "tol,")  # fmt: skip
        warn(
            f"{where}: {int(bad.sum())} of {status.size} {what} did not converge: worst "
            f"relative duality gap {gap[worst]:.3g} at λ={lambdas[worst]:.4g}, tol={tol:g}"
            f"{' (negative beyond rounding: no certificate)' if gap[worst] < 0 else ''}. "
            f"{fix} or stop the path at a larger λ (a larger lambda_min_ratio).{hint}"
        )


def _centred(intercept: np.ndarray) -> np.ndarray:
    """A multinomial intercept ``(..., C)`` shifted to sum 0 over the classes (glmnet's
    choice; adding a constant to every class's intercept changes no probability)."""
    return intercept - intercept.mean(axis=-1, keepdims=True)


def _mean(y: np.ndarray, s: np.ndarray):
    """The ``s``-weighted mean of ``y`` (float64, along its first axis), corrected by a second
    pass: to a few ulps of y's spread, not of its mean (a y of mean 1e15 and unit spread: 0.3
    off, which its centred fit's intercept, taken as 0, never saw)."""
    mean = (s @ y) / s.sum()
    return mean + (s @ (y - mean)) / s.sum()


def _stored_intercept(loss, exact, stored, y, s, p_null, slack) -> np.ndarray:
    """What storing each λ's intercept ``exact`` (float64, from the coefficients as returned:
    a sum and its rounding's error, to within ``slack``, what its other float64 arithmetic may
    have rounded) as ``stored`` (the path's dtype) may add to its objective, relative to
    ``P_null``: a shift ``δ`` of the intercept raises the data loss by at most ``½ L ‖δ‖²``
    beyond its first-order term (which the intercept's own optimality makes 0: exactly for the
    squared loss, whose intercept here is the optimum given the coefficients; to the engine's
    Newton steps on the unpenalized block for the others), with ``L`` the loss's curvature
    along it: 1 (squared), 1/4 (logistic), 1/2 (multinomial), ``Σ s μ e^{|δ|}`` (Poisson, where
    ``Σ s μ = Σ s y`` at the intercept's optimum). In float32 it is not small when ``Xβ``'s
    uncentred part is large: a column whose mean is 10⁶ times its spread gives an intercept of
    about 10⁶ with a float32 step of 0.06, a relative gap of 1e-4 on its own; in float64 a y of
    mean 1e14 gets its mean back 0.01 off (a relative 1e-5, reported converged at tol 1e-7)."""
    d = np.abs((np.asarray(stored, np.float64) - exact[0]) - exact[1]) + slack
    norm = np.sqrt(d * d if d.ndim == 1 else np.sum(d * d, axis=-1))
    if loss == "poisson":
        curvature = (s @ y / np.sum(s)) * np.exp(norm)
    else:
        curvature = {"squared": 1.0, "logistic": 0.25, MULTINOMIAL: 0.5}[loss]
    return 0.5 * curvature * norm * norm / p_null


def _path(
    X,
    y,
    *,
    loss,
    l1_ratio,
    lambdas,
    lambda_min_ratio,
    fit_intercept,
    standardize,
    penalty_factor,
    sample_weight,
    positive,
    tol,
    max_iter,
    block_size,
    mesh,
    early_stop=False,
    pad_to=0,
    grouped=False,
    groups=None,
    headroom=True,
    grid_only=False,
    row_grams=None,
    check_free=True,
):
    """:func:`path` without its warnings: ``(PathResult, tol)``. ``pad_to``, ``headroom``: see
    :func:`l1jax.engine.fit_path`; ``row_grams``: the products of ``X``'s rows
    (:class:`l1jax._inputs.RowGrams`) for a Gram matrix formed on the host; ``check_free``
    False: no :func:`l1jax._inputs.check_separation` (a cross-validation's folds, checked with
    their names, and stability selection's halves, whose statuses report it). With
    ``grid_only``, only the λs that the path would fit (all of them: before any early stop),
    found by the path's own program stopped after its start (λ_max), or None for data whose
    null model is already optimal."""
    _inputs.check_column_labels(X, penalty_factor=penalty_factor, groups=groups)
    _inputs.check_row_labels(X, y=y, sample_weight=sample_weight)
    _inputs.check_flag(early_stop, "early_stop")
    _inputs.check_flag(grouped, "grouped")
    if grouped and loss != MULTINOMIAL:
        raise ValueError(f"grouped=True is for loss='multinomial' (a row penalty across the "
                         f"classes), got loss={loss!r}; drop grouped")  # fmt: skip
    if groups is not None:  # (before y's checks: a multinomial y is refused by name)
        _inputs.check_loss(loss, multinomial=True)
        _inputs.check_group_limits(X, y, loss=loss, positive=positive, mesh=mesh)
    args = _inputs.check_path(
        X, y, loss=loss, l1_ratio=l1_ratio, lambdas=lambdas, lambda_min_ratio=lambda_min_ratio,
        fit_intercept=fit_intercept, standardize=standardize,
        penalty_factor=None if groups is not None else penalty_factor,
        sample_weight=sample_weight, positive=positive, tol=tol, max_iter=max_iter,
        block_size=block_size, mesh=mesh, labels=_inputs._column_labels(X),
    )  # fmt: skip
    X, y, sample_weight, grid, dtype, tol = args.X, args.y, args.sample_weight, args.grid, \
        args.dtype, args.tol  # fmt: skip
    if grid_only and not args.relative:  # the λs given
        return grid.astype(dtype)
    n, p = X.shape
    layout = None
    if groups is not None:
        _inputs.check_group_limits(X, y, loss=loss, positive=positive, mesh=args.mesh)
        layout = _inputs.check_groups(groups, p, penalty_factor)
        _inputs.check_representable(layout.factors, "penalty_factor", dtype, "group")
        if isinstance(X, jax.Array):  # (one device: the columns are laid out on the host)
            X = _sharding.to_host(X)
    tasks = y.shape[1:]  # (m,) for a multi-task y
    # The raw-scale lasso and elastic net on scaled columns (_inputs._preconditioned): the
    # squared and multinomial losses (FISTA, and the multinomial's Newton steps), and every
    # loss on a sparse X (word counts: FISTA's iterations ÷ 10-40). Not the logistic and
    # Poisson losses on a dense X, whose small working sets take Newton steps: those stalled on
    # a near-separable fit on scaled columns that the raw scale solved (scikit-learn's
    # weight-equivalence check of LogisticLassoCV: relative gap 0.1 after 4 steps).
    # (Multinomial: raw wine, λ = 0.01, weighted: unconverged after 20,000 iterations on the raw
    # scale; 2,174 to a 1e-10 gap on scaled columns.)
    smooth_first_order = loss in ("squared", MULTINOMIAL)
    precondition = smooth_first_order or _sparse.is_sparse(X)
    precondition = precondition or layout is not None  # (FISTA; _inputs.group_preconditioned)
    s64 = np.ones(n) if sample_weight is None else sample_weight.astype(np.float64)
    # ... but the logistic and Poisson losses on raw columns far from unit scale in one unit
    # (_inputs.common_unit: their relative scales kept)
    unit = None
    if loss in ("logistic", "poisson") and not standardize and isinstance(X, np.ndarray) \
            and layout is None:  # fmt: skip
        unit = _inputs.common_unit(X, s64 / s64.sum(), fit_intercept)
        precondition = precondition or unit is not None
    # The Gram form unless it would square an ill-conditioned free block (gram_is_exact; a
    # group's factor is each of its columns'), and again on X when it squared an
    # ill-conditioned support (gram_solution_is_exact)
    factors = args.penalty_factor if layout is None else layout.factors[layout.codes]
    gram = engine.gram_form(loss, n, p) and _inputs.gram_is_exact(
        X, sample_weight, factors, grid, fit_intercept, dtype, tol)  # fmt: skip

    # The squared loss's y centred here in float64, its mean given back to the intercept: in
    # float32 the residual y − Xβ − b of a y far from 0 rounds by ε |y|, which the gap cannot
    # get below (a y 100 σ from 0 on columns shifted by ±70: λs at 1e-2 λ_max stalled at gaps
    # of 5e-5 whose errors were 5e-8)
    centred = loss == "squared" and fit_intercept
    y64 = y.astype(np.float64)
    y_shift = _mean(y64, s64) if centred else 0.0

    def prepared(gram):
        if isinstance(X, jax.Array):
            prep = _inputs.prepare_on_devices(
                X, y, sample_weight, args.penalty_factor, _sharding.Placement(args.mesh),
                fit_intercept=fit_intercept, standardize=standardize, dtype=dtype,
                precondition=precondition,
            )  # fmt: skip
        else:
            prep = _inputs.prepare(
                X, y, sample_weight, args.penalty_factor, fit_intercept=fit_intercept,
                standardize=standardize, dtype=dtype, precondition=precondition,
                gram=gram and engine.host_gram(loss, X, args.mesh), row_grams=row_grams,
            )  # fmt: skip
        if centred:
            prep = prep._replace(y=(y64 - y_shift).astype(dtype))
        prep = _inputs.drop_aliased(prep, X, sample_weight, factors, fit_intercept, positive)
        if unit is not None:
            v = _inputs.weights(n, p, sample_weight, args.penalty_factor)[1]
            prep = _inputs.uniformly_preconditioned(prep, v, unit)
        if layout is None:
            return prep
        # (one penalty factor per group, one scale per group)
        return _inputs.group_preconditioned(prep, layout.codes, layout.factors, standardize)

    if check_free:
        _inputs.check_separation(X, y, sample_weight, factors, loss, fit_intercept, positive)
    prep = prepared(gram)
    _inputs.check_tiny_columns(X, prep.nonzero)

    p_null, l_null, l_sat = solvers._null_and_saturated(loss, y64, s64, fit_intercept, np)
    eps = np.finfo(np.float64).eps
    constant = p_null <= 64 * eps * (abs(l_null) + abs(l_sat))
    if centred:  # (a constant y whose mean rounds, as 3.0 in 80 rows, left P_null at 1e-31,
        # λ_max at 2e-32 and gaps of 1e251. Now each task's spread about its mean corrected by a
        # second pass, y_shift: 0 for a constant y, or the rounding of an offset (d's mean
        # squared cancels its mean square). A y of mean 1e15 and unit spread (50 ulps), or of
        # 1e16 ± 4 (2 ulps), is not constant: taken for one, its gaps were 0 at 0.08-0.9 from
        # optimal; and its P_null was 0.3% too large, the mean's rounding in it)
        w = s64 / s64.sum()
        d = y64 - y_shift  # (exact, and its mean: the mean's own rounding, 0.03 at 1e15)
        square = w @ np.square(d)
        spread = square - np.square(w @ d)  # (per task: a constant task beside others is one)
        p_null = 0.5 * float(np.sum(spread))
        constant = bool(np.all(spread <= 8 * eps * square))
    if constant:
        # The intercept-only model already fits as well as the saturated one (constant y, a
        # single weighted sample): it is optimal at every λ, and the relative gap is 0/0.
        K = grid.size
        if centred:  # (the corrected mean, to the last bit: 0.1 was 1 ulp off)
            b0 = y_shift
        else:
            b0 = solvers.null_intercept(loss, y64, s64, fit_intercept, np)
        b0 = _centred(b0) if loss == MULTINOMIAL and fit_intercept else b0
        res = PathResult(
            lambdas=grid.astype(dtype), coef=np.zeros((K, p, *tasks), dtype),
            intercept=np.full((K, *tasks), b0, dtype), converged=np.ones(K, bool),
            n_iter=np.zeros(K, np.int64), gap=np.zeros(K, dtype),
            status=np.zeros(K, np.int32), dev_ratio=np.zeros(K, dtype), classes=args.classes,
            groups=None if layout is None else layout.labels,
        )  # fmt: skip
        return None if grid_only else (res, tol)  # (no engine run: no λ_max to scale by)

    def fit(prep, gram):
        with np.errstate(all="ignore"):  # (thread-safe, unlike warnings.catch_warnings)
            return engine.fit_path(
                prep, grid, args.relative,
                loss=loss, l1_ratio=args.l1_ratio, positive=bool(positive),
                fit_intercept=bool(fit_intercept), tol=tol, max_iter=int(max_iter),
                block=(1 if grid.size == 1 else None if block_size is None
                       else min(block_size, grid.size)),  # (a block no larger than the grid)
                mesh=args.mesh,
                early_stop=bool(early_stop), pad_to=pad_to,
                entrywise=loss == MULTINOMIAL and not grouped,
                groups=None if layout is None else layout.codes, headroom=headroom,
                grid_only=grid_only, gram_ok=gram,
            )  # fmt: skip

    out, lambda_max = fit(prep, gram)
    if not out.pop("gram_exact", True):  # its rounding could cost more than its gaps say
        out, lambda_max = fit(prep if prep.X is not None else prepared(False), False)
    if grid_only:  # as the engine's start computes them (one rounding, in the path's dtype)
        return grid.astype(dtype) * (np.asarray(lambda_max, dtype) if args.relative else 1)
    grid, coef, intercept, gap = out["lambdas"], out["coef"], out["intercept"], out["gap"]
    n_iter, status = out["n_iter"].astype(np.int64), out["status"]
    eps64, slack = np.finfo(np.float64).eps, 0.0  # (slack: what the float64 sums below may
    # round, at most (p + 1) ε of the products' sizes and ε of each sum's; the last one's, by
    # far the largest where y's mean is large, is taken exactly: _two_sum's error)
    if tasks:  # (K, p, m): the rows of B on the original scale
        coef = (coef / prep.x_scale[None, :, None]).astype(dtype)
        if fit_intercept:
            intercept = intercept - np.einsum("kpm,p->km", coef, prep.x_mean)
            slack = (p + 1) * eps64 * np.einsum("kpm,p->km", np.abs(coef), np.abs(prep.x_mean))
    else:
        coef = (coef / prep.x_scale[None, :]).astype(dtype)
        if fit_intercept:
            intercept = intercept - coef @ prep.x_mean
            slack = (p + 1) * eps64 * (np.abs(coef) @ np.abs(prep.x_mean))
    slack = slack + eps64 * np.abs(intercept)
    intercept, rounding = solvers._two_sum(np.asarray(intercept, np.float64), y_shift)
    if loss == MULTINOMIAL and fit_intercept:  # (the common shift, free, stayed where the null
        intercept = _centred(intercept)  # model's log proportions put it: glmnet's sum to 0)
        slack = slack + tasks[0] * eps64 * np.abs(intercept)
    if fit_intercept:  # (float64 here, from the coefficients as returned)
        rounded = intercept.astype(dtype)
        gap = gap + _stored_intercept(loss, (intercept, rounding), rounded, y64, s64, p_null,
                                      slack).astype(gap.dtype)  # fmt: skip
        status = np.where((status == solvers.Status.CONVERGED) & (gap > tol),
                          solvers.Status.MAX_ITER, status).astype(status.dtype)  # fmt: skip
        intercept = rounded
    infeasible = gap < -solvers.negative_floor(gap.dtype)  # (no certificate: see there)
    status = np.where((status == solvers.Status.CONVERGED) & infeasible,
                      solvers.Status.MAX_ITER, status).astype(status.dtype)  # fmt: skip
    zero = (grid == 0) & (status == solvers.Status.CONVERGED)
    if zero.any() and _inputs.separated_at_zero(X, y, sample_weight, loss, fit_intercept,
                                                positive):  # fmt: skip
        status = np.where(zero, solvers.Status.UNBOUNDED, status).astype(status.dtype)
        gap = np.where(zero, np.inf, gap).astype(gap.dtype)
    converged = status == solvers.Status.CONVERGED
    res = PathResult(
        lambdas=grid.astype(dtype),
        coef=coef,
        intercept=intercept.astype(dtype),
        converged=converged,
        n_iter=n_iter,
        gap=gap,
        status=status,
        dev_ratio=out["dev"].astype(dtype),
        classes=args.classes,
        groups=None if layout is None else layout.labels,
    )
    return res, tol

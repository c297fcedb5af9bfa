"""scikit-learn estimators on top of :func:`l1jax.path` and :func:`l1jax.cv_path`.

``pip install "l1jax[sklearn]"``; this module imports scikit-learn, ``import l1jax`` does not.

- :class:`Lasso`, :class:`ElasticNet`: one penalty strength, as ``sklearn.linear_model``'s.
- :class:`LassoCV`, :class:`ElasticNetCV`: the whole path cross-validated, then refitted.
- :class:`MultiTaskLasso`, :class:`MultiTaskElasticNet` (and their ``CV``): a 2-D ``y``, one
  column per task, with features selected for all tasks at once (a row penalty).
- :class:`LogisticLasso`: an L1 (or elastic-net) logistic regression classifier, binary or
  multinomial (softmax) for more classes; :class:`LogisticLassoCV` chooses its α by
  cross-validation.
- :class:`StabilitySelection`: a feature selector (``get_support``, ``transform``) by
  :func:`l1jax.stability_selection`, for pipelines.

They take scikit-learn's parameter names (the regressors all of their scikit-learn namesake's:
its solver settings are checked and change nothing) and solve scikit-learn's objective
(``alpha`` is λ)::

    (1/Σs) Σ_i s_i ℓ(y_i, b + x_iᵀβ) + α (ρ ‖β‖₁ + (1 − ρ)/2 ‖β‖²)

with ``ℓ = ½(y − η)²`` for the regressors and the logistic loss for the classifiers,
``ρ = l1_ratio`` and ``s`` the sample weights. The multi-task models sum ``ℓ`` over the tasks
and penalize the norms of the rows of the coefficient matrix (one row per feature); the
classifiers of more than two classes take the softmax loss and one coefficient per (feature,
class) (:func:`l1jax.path`'s multi-task and multinomial objectives).

Unlike glmnet, and like scikit-learn, the features are not standardized unless
``standardize=True``. The fits run in float64 (a scoped ``jax.enable_x64``, whatever the
global JAX setting), float32 data too, whose ``coef_`` and predictions are then float64 where
scikit-learn's ``Lasso`` keeps float32, on data padded to a few fixed shapes with
zero-weight rows and zero columns, so that fits of similar sizes share one compiled program.
Non-convergence is reported as a ``ConvergenceWarning`` that is both scikit-learn's and
l1jax's (a filter of either catches it).
"""

from __future__ import annotations

import collections.abc
import numbers
import re
from typing import Any, NamedTuple

import jax
import numpy as np

try:
    import sklearn
except ImportError as err:  # (a bare "No module named 'sklearn'" said nothing of the extra)
    raise ImportError('l1jax.estimators needs scikit-learn: pip install "l1jax[sklearn]"') from err
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.feature_selection import SelectorMixin
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, process_routing
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from l1jax import _sparse
from l1jax._inputs import (
    Groups,
    check_flag,
    check_groups,
    check_order,
    check_row_labels,
    refuse_masked,
)
from l1jax._warnings import convergence_as
from l1jax.cv import CVResult, cv_path
from l1jax.engine import bucket, host_gram
from l1jax.path import ConvergenceWarning, PathResult, path
from l1jax.stability import StabilityResult, stability_selection

__all__ = [
    "Lasso",
    "ElasticNet",
    "LassoCV",
    "ElasticNetCV",
    "MultiTaskLasso",
    "MultiTaskElasticNet",
    "GroupLasso",
    "GroupLassoCV",
    "MultiTaskLassoCV",
    "MultiTaskElasticNetCV",
    "LogisticLasso",
    "LogisticLassoCV",
    "StabilitySelection",
]

_DTYPES = np.float64  # scikit-learn's precision; also one family of compiled programs
_SPARSE = ("csr", "csc", "coo")  # a sparse X is fitted sparse (l1jax.path), never densified
ESTIMATOR_TOL = 1e-9  # default relative duality gap of the estimators in float64 (see _options)


def _scipy(X):
    """A ``jax.experimental.sparse`` BCOO/BCSR ``X`` as SciPy CSC (scikit-learn's checks know
    SciPy's sparse matrices only: it read a BCOO as an array of objects); anything else as is."""
    if _sparse.is_sparse(X) and not _sparse.is_scipy_sparse(X):
        return _sparse.as_csc(X)
    return X


def _alpha_sequence(alphas, kinds: str) -> np.ndarray:
    """``alphas`` given as a sequence, as float64, or raise as scikit-learn does for a scalar
    (a float is not a grid: ``alphas=2.5`` would be one α, ``alphas=[2.5]`` says so)."""
    if alphas is None or isinstance(alphas, (bool, str)) or np.ndim(alphas) == 0:
        raise TypeError(f"alphas must be {kinds} or a sequence of alphas, got {alphas!r}"
                        + (f"; for this one alpha pass [{float(alphas)!r}]"
                           if isinstance(alphas, numbers.Real) and not isinstance(alphas, bool)
                           else ""))  # fmt: skip
    return np.asarray(alphas, np.float64)


class _FitConvergenceWarning(ConvergenceWarning, SklearnConvergenceWarning):
    """An estimator's unconverged fit: both l1jax's and scikit-learn's ``ConvergenceWarning``
    (a filter of either catches it)."""


_FitConvergenceWarning.__name__ = "ConvergenceWarning"  # (as printed; pickled by __qualname__)


def _in_words(message: str, words: dict[str, str] | None) -> str:
    """``message`` with l1jax's names replaced by the estimator's (``words``), at once."""
    if not words:
        return message
    names = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
    return re.sub(rf"\b({names})\b", lambda m: words[m[1]], message)


def _call(fn, *args, owner: str, words: dict[str, str] | None = None, **kwargs):
    """Run an l1jax fit in float64 for the estimator ``owner``, its convergence warnings also
    scikit-learn's; the errors of its arguments and its warnings name the estimator's
    (``words``: l1jax's name → the estimator's; "l1jax.path:" was named in a Lasso's warning,
    with a lambda_min_ratio it does not have)."""

    def rename(message: str) -> str:
        message = re.sub(rf"^l1jax\.{fn.__name__}\b", f"{owner}.fit", message)
        if "lambda_min_ratio" not in (words or {}):  # (one α: no path to stop earlier)
            message = message.replace("), loosen tol, or stop the path at a larger λ (a larger "
                                      "lambda_min_ratio)", ") or loosen tol")  # fmt: skip
        return _in_words(message, words)

    with convergence_as(_FitConvergenceWarning, rename), jax.enable_x64(True):
        try:
            return fn(*args, **kwargs)
        except (TypeError, ValueError) as err:
            message = _in_words(str(err), words)
            if message == str(err):
                raise
            raise type(err)(message) from None


def _check_alpha(alpha, name="alpha"):
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"{name} must be a real number >= 0, got {type(alpha).__name__}")
    if not alpha >= 0 or not np.isfinite(alpha):
        raise ValueError(f"{name} must be a finite number >= 0, got {alpha}")
    return float(alpha)


# scikit-learn's settings of its coordinate-descent solver, accepted (and checked) by the
# regressors that mirror scikit-learn's so that code written for those runs unchanged. None of
# them changes the solution: l1jax's solver reaches ``tol`` from its own start, whatever the
# order of its updates, never writes into ``X``, forms ``X̃ᵀX̃`` itself when that pays (n ≫ p)
# and solves every fold of a CV in one compiled call (``n_jobs``). ``verbose`` of the CV
# estimators is :func:`l1jax.cv_path`'s.
_SOLVER_SETTINGS = dict(precompute="auto", copy_X=True, warm_start=False, random_state=None,
                        selection="cyclic", n_jobs=None, verbose=False)  # fmt: skip


def _check_solver_settings(est) -> None:
    """Refuse a scikit-learn solver setting of ``est`` that scikit-learn would refuse too (and a
    precomputed Gram matrix, which l1jax does not take)."""
    get = {name: getattr(est, name, default) for name, default in _SOLVER_SETTINGS.items()}
    precompute = get["precompute"]
    if hasattr(precompute, "shape") or isinstance(precompute, list | tuple):
        raise ValueError(
            "precompute: a precomputed Gram matrix is not accepted (l1jax forms "
            "XᵀX itself when n_samples ≫ n_features); pass precompute='auto'"
        )
    if not (isinstance(precompute, bool | np.bool_) or precompute == "auto"):
        raise ValueError(f"precompute must be 'auto', True or False, got {precompute!r}")
    check_flag(get["copy_X"], "copy_X")
    check_flag(get["warm_start"], "warm_start")
    if get["selection"] not in ("cyclic", "random"):
        raise ValueError(f"selection must be 'cyclic' or 'random', got {get['selection']!r}")
    check_random_state(get["random_state"])  # (scikit-learn's ValueError names the bad seed)
    jobs = get["n_jobs"]
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, numbers.Integral)
                             or jobs == 0):  # fmt: skip
        raise ValueError(f"n_jobs must be None or a nonzero int, got {jobs!r}")
    verbose = get["verbose"]
    if not isinstance(verbose, bool | np.bool_) and not (
        isinstance(verbose, numbers.Integral) and verbose >= 0
    ):
        raise ValueError(f"verbose must be True/False or an int >= 0, got {verbose!r}")


def _validated(est, X, y, sample_weight, **options):
    """scikit-learn's ``validate_data`` of ``(X, y)`` and its check of ``sample_weight``, with
    masked arrays holding masked entries refused (scikit-learn's checks drop the mask and fit
    the hidden values; :func:`l1jax.path` refuses them)."""
    for name, value in (("X", X), ("y", y), ("sample_weight", sample_weight)):
        refuse_masked(value, name)
    check_row_labels(X, y=y, sample_weight=sample_weight)
    missing = int(np.asarray(y.isna()).sum()) if hasattr(y, "isna") else 0  # (a pandas y: pd.NA
    if missing:  # in a string target was "boolean value of NA is ambiguous", naming nothing)
        raise ValueError(f"y has missing values (None, NaN or pandas' NA) in {missing} of its "
                         "entries; drop those samples or impute them")  # fmt: skip
    X, y = validate_data(est, _scipy(X), y, dtype=_DTYPES, **options)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                             ensure_non_negative=True)  # fmt: skip
    return X, y, sample_weight


class _Linear(BaseEstimator):
    """Shared input checks and prediction of the linear models here."""

    _accept_sparse: tuple[str, ...] | bool = _SPARSE  # (the multi-task models: dense only)
    _per_target = True  # ElasticNet's 2-D y: one model per column (the multi-task models: one)
    # l1jax's argument names in its errors → this estimator's (_CrossValidated, _Grouped: theirs)
    _words: dict[str, str] = {"lambdas": "alpha"}

    def _fit_data(self, X, y, sample_weight, *, y_numeric=True, multi_output=False):
        return _validated(self, X, y, sample_weight, accept_sparse=self._accept_sparse,
                          y_numeric=y_numeric, multi_output=multi_output)  # fmt: skip

    @staticmethod
    def _padded(X, y, sample_weight, fold_ids=None, *, loss: str):
        """Append zero-weight rows and zero columns up to a few fixed sizes
        (:func:`l1jax.engine.bucket`: 128 rows, 16 columns, then 4 sizes per octave). The
        solution is unchanged (a zero column gets coefficient 0; trim it), and data of similar
        sizes (a scikit-learn CV, a grid search) reuse one compiled program instead of
        compiling one per shape. Not where the fits of ``loss`` form the Gram matrix on the
        host (:func:`l1jax.engine.host_gram`), whose programs see its bucketed size: there the
        padded copy of X was a third of the time of a Lasso on 200,000 × 100."""
        if host_gram(loss, X, None):
            return X, y, sample_weight, fold_ids
        n, p = X.shape
        rows, cols = bucket(n, 128) - n, bucket(p, 16) - p
        if fold_ids is not None and n < 3 * (fold_ids.max() + 1):
            rows = 0  # (cv_path's cv_se spreads the rows' scores under 3 rows per fold, over
            # n − 1: padded rows counted in n hid that rule; glmnet's lambda.1se differed)
        sw = np.ones(n, X.dtype) if sample_weight is None else sample_weight
        if sparse.issparse(X):
            X = sparse.csr_matrix(X, copy=True)
            X.resize((n + rows, p + cols))  # (zero rows and columns: nothing stored)
        else:
            X = np.pad(X, ((0, rows), (0, cols)))
        y = np.pad(y, [(0, rows)] + [(0, 0)] * (y.ndim - 1))  # (a multi-task y: rows only)
        sw = np.pad(sw, (0, rows))
        if fold_ids is not None:
            fold_ids = np.concatenate([fold_ids, np.arange(rows) % (fold_ids.max() + 1)])
        return X, y, sw, fold_ids

    def _options(self):
        # A gap of 1e-7 · P_null leaves coefficients ~1e-6 apart between two equivalent fits
        # (weights vs repeated rows); scikit-learn's checks ask predictions to agree to 1e-7.
        # (The fits run in float64 whatever JAX's global flag, _call: the default follows them;
        # it once read the flag, so that float64 data with x64 off were solved to 1e-7.)
        _check_solver_settings(self)
        tol = ESTIMATOR_TOL if self.tol is None else self.tol
        return dict(fit_intercept=self.fit_intercept, standardize=self.standardize,
                    positive=getattr(self, "positive", False), tol=tol, max_iter=self.max_iter,
                    verbose=bool(getattr(self, "verbose", False)))  # fmt: skip

    def _penalty_options(self, p: int, p_pad: int) -> dict:
        """More options of :func:`l1jax.path` and :func:`l1jax.cv_path` for ``p`` features
        padded to ``p_pad`` (the group penalty's, :class:`_Grouped`)."""
        return {}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = bool(self._accept_sparse)
        return tags

    def _decision(self, X):
        check_is_fitted(self)
        refuse_masked(X, "X")
        X = validate_data(self, _scipy(X), dtype=_DTYPES, accept_sparse=self._accept_sparse,
                          reset=False)  # fmt: skip
        return X @ self.coef_.T + self.intercept_

    def _no_intercept(self):
        """``intercept_`` 0.0 without an intercept, as scikit-learn's regressors set it (a
        float, whatever the shape of ``y``); returns ``self``."""
        if not self.fit_intercept:
            self.intercept_ = 0.0
        return self

    @staticmethod
    def _at(res: PathResult, k: int, p: int):
        """The coefficients and intercept of λ ``k`` of ``res`` without the padded columns, in
        scikit-learn's layout: ``(n_features,)`` and a scalar, or for a path with a task (or
        class) axis ``(n_tasks, n_features)`` and ``(n_tasks,)``."""
        coef = np.asarray(res.coef[k, :p])
        if coef.ndim == 2:
            return np.ascontiguousarray(coef.T), np.asarray(res.intercept[k])
        return coef, res.intercept.dtype.type(res.intercept[k])


def _without_padding(res: PathResult, p: int, est) -> PathResult:
    """``res`` without the columns :meth:`_Linear._padded` appended (and their group), with
    the names of the columns ``est`` was fitted on (its path saw NumPy: the plots of its
    ``path_`` labelled the features by number)."""
    groups = None if res.groups is None else res.groups[:p]
    return res._replace(coef=res.coef[:, :p], groups=groups, feature_names=_names_of(est))


def _names_of(est) -> np.ndarray | None:
    names = getattr(est, "feature_names_in_", None)
    return None if names is None else names.copy()


# ----------------------------------------------------------------------------------------------
# One penalty strength.


class ElasticNet(RegressorMixin, _Linear):
    """Linear regression with an elastic-net penalty, solved by :func:`l1jax.path`.

    Minimizes ``(1/2n) ‖y − Xβ − b‖² + α (ρ ‖β‖₁ + (1 − ρ)/2 ‖β‖²)`` (sample-weighted when
    ``sample_weight`` is given), scikit-learn's ``ElasticNet`` objective.

    Args:
      alpha: the penalty strength λ ≥ 0.
      l1_ratio: ρ in [0, 1]; 1 is the lasso.
      fit_intercept: fit an unpenalized intercept.
      standardize: penalize the coefficients of standardized features (glmnet); the
        coefficients are returned on the original scale either way.
      positive: constrain the coefficients to be ≥ 0.
      tol: relative duality-gap tolerance of :func:`l1jax.path` (None: 1e-9, so that the
        predictions of equivalent fits agree to about scikit-learn's 1e-7; the fits run in
        float64). A gap bounds the objective, not the coefficients: a coefficient off by δ
        raises the objective by about ½μδ² (μ the fit's curvature along it), so coefficients
        may differ from the exact ones by about ``√(2·tol·P_null/μ)``, of the order of
        ``√tol`` on standardized data (1.6e-5 measured at ``alpha=1, l1_ratio=0.2``, 1.8e-5
        at ``l1_ratio=0.01``), and more where the gap's scale ``P_null``, the intercept-only
        objective, dwarfs the fit's (``fit_intercept=False`` with a ``y`` far from 0, p > n:
        1e-3 at ``l1_ratio=0.5``); lower ``tol`` for closer ones.
      max_iter: inner-iteration cap per working set (a fit may grow its working set a few
        times, so ``n_iter_`` may exceed it).
      precompute, copy_X, warm_start, random_state, selection: scikit-learn's settings of its
        coordinate descent, accepted and checked so that code written for scikit-learn runs
        unchanged; none changes the solution (l1jax's solver reaches ``tol`` from its own start,
        forms ``XᵀX`` itself when n ≫ p and never writes into ``X``). A precomputed Gram
        matrix is refused.

    A 2-D ``y`` ``(n_samples, n_targets)`` fits one model per column, as scikit-learn's
    ``ElasticNet`` does (``MultiTaskElasticNet`` selects the features of all targets at once).

    Attributes:
      coef_: ``(n_features,)`` coefficients (``(n_targets, n_features)`` for a 2-D ``y``).
      intercept_: the intercept (``(n_targets,)``; 0.0 without one, as scikit-learn's).
      n_iter_: solver iterations, over all working sets (a list, one per target).
      dual_gap_: the relative duality gap reached (``(n_targets,)``).
      path_: the :class:`l1jax.PathResult` (one λ; a tuple of one per target).

    Example:
      >>> from l1jax.estimators import ElasticNet
      >>> model = ElasticNet(alpha=0.1, l1_ratio=0.5).fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])
      >>> round(float(model.coef_[0]), 4), round(float(model.predict([[3.0]])[0]), 4)
      (0.8605, 2.7209)
    """

    _fixed_l1_ratio: float | None = None

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, standardize=False,
                 positive=False, tol=None, max_iter=20_000, precompute=False, copy_X=True,
                 warm_start=False, random_state=None, selection="cyclic"):  # fmt: skip
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.positive = positive
        self.tol = tol
        self.max_iter = max_iter
        self.precompute = precompute
        self.copy_X = copy_X
        self.warm_start = warm_start
        self.random_state = random_state
        self.selection = selection

    def _l1_ratio(self):
        return self._fixed_l1_ratio if self._fixed_l1_ratio is not None else self.l1_ratio

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # (a 2-D y: one model per column)
        return tags

    def fit(self, X, y, sample_weight=None, check_input=True):
        """Fit the model; returns ``self``. (``check_input``, scikit-learn's: accepted, and the
        input is checked either way.)"""
        X, y, sample_weight = self._fit_data(X, y, sample_weight, multi_output=True)
        alpha = _check_alpha(self.alpha)
        p = X.shape[1]
        X, y, sample_weight, _ = self._padded(X, y, sample_weight, loss="squared")
        fits = []
        for target in y.T if y.ndim == 2 and self._per_target else [y]:
            res: PathResult = _call(
                path, X, target, owner=type(self).__name__, words=self._words, loss="squared",
                l1_ratio=self._l1_ratio(),
                lambdas=np.array([alpha]), sample_weight=sample_weight,
                **self._penalty_options(p, X.shape[1]), **self._options(),
            )  # fmt: skip
            res = _without_padding(res, p, self)
            fits.append((res, *self._at(res, 0, p)))
        if len(fits) > 1:  # (scikit-learn's layout of several targets)
            self.path_ = tuple(f[0] for f in fits)
            self.coef_ = np.stack([f[1] for f in fits])
            self.intercept_ = np.array([f[2] for f in fits])
            self.n_iter_ = [int(f[0].n_iter[0]) for f in fits]
            self.dual_gap_ = np.array([f[0].gap[0] for f in fits], np.float64)
            return self._no_intercept()
        ((self.path_, self.coef_, intercept),) = fits  # (a y of one column: scikit-learn's
        # coef_ (n_features,) and intercept_ (1,))
        self.intercept_ = np.atleast_1d(intercept) if y.ndim == 2 and self._per_target else \
            intercept  # fmt: skip
        self.n_iter_ = int(self.path_.n_iter[0])
        self.dual_gap_ = np.float64(self.path_.gap[0])
        return self._no_intercept()

    @property
    def sparse_coef_(self):
        """``coef_`` as a SciPy CSR matrix (scikit-learn's), ``(1, n_features)`` or
        ``(n_targets, n_features)``."""
        check_is_fitted(self)
        return sparse.csr_matrix(np.atleast_2d(self.coef_))

    def predict(self, X):
        """``X @ coef_ + intercept_``."""
        return self._decision(X)


class Lasso(ElasticNet):
    """Linear regression with an L1 penalty (:class:`ElasticNet` with ``l1_ratio=1``).

    Minimizes ``(1/2n) ‖y − Xβ − b‖² + α ‖β‖₁``, scikit-learn's ``Lasso`` objective; see
    :class:`ElasticNet` for the parameters and attributes.

    Example:
      >>> from l1jax.estimators import Lasso
      >>> model = Lasso(alpha=0.1).fit([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0]], [0.0, 1.0, 2.0])
      >>> [round(float(c), 4) for c in model.coef_]
      [0.85, 0.0]
    """

    _fixed_l1_ratio = 1.0

    def __init__(self, alpha=1.0, *, fit_intercept=True, standardize=False, positive=False,
                 tol=None, max_iter=20_000, precompute=False, copy_X=True, warm_start=False,
                 random_state=None, selection="cyclic"):  # fmt: skip
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.positive = positive
        self.tol = tol
        self.max_iter = max_iter
        self.precompute = precompute
        self.copy_X = copy_X
        self.warm_start = warm_start
        self.random_state = random_state
        self.selection = selection


class _Grouped:
    """The group penalty of :class:`GroupLasso` and :class:`GroupLassoCV` (``groups`` and
    ``weights``, checked at fit time)."""

    _accept_sparse = False

    @property
    def _words(self) -> dict[str, str]:
        return super()._words | {"penalty_factor": "weights"}

    def _groups(self, p: int) -> Groups:
        """The checked groups (codes in ``np.unique`` order) and their weights."""
        groups = self.groups
        if groups is None or isinstance(groups, bool | float | str):
            raise TypeError(f"groups must be a label per feature ({p}) or an int (the size of "
                            f"contiguous groups), got {groups!r}")  # fmt: skip
        if isinstance(groups, numbers.Integral):
            if groups < 1:
                raise ValueError(f"groups as an int is the size of contiguous groups, >= 1; got "
                                 f"{groups}")  # fmt: skip
            groups = np.arange(p) // groups
        # (a Series of X's column names in another order: refused, as path does)
        check_order(groups, getattr(self, "feature_names_in_", None), "groups", "X's columns",
                    "X.columns")  # fmt: skip
        try:
            return check_groups(groups, p, self.weights)
        except (TypeError, ValueError) as err:  # (path's words for the weights)
            raise type(err)(str(err).replace("penalty_factor", "weights")) from None

    def _penalty_options(self, p: int, p_pad: int) -> dict:
        groups = self._groups(p)
        # The padded (zero) columns form one more group of their own, which stays zero.
        codes = np.concatenate([groups.codes, np.full(p_pad - p, len(groups.factors))])
        factors = np.append(groups.factors, 1.0) if p_pad > p else groups.factors
        return dict(groups=codes, penalty_factor=factors)


class GroupLasso(_Grouped, ElasticNet):
    """Linear regression with a group-lasso (group elastic-net) penalty, solved by
    :func:`l1jax.path` with ``groups``: the features of a group enter or leave the model together.

    Minimizes ``(1/2n) ‖y − Xβ − b‖² + α Σ_g w_g (ρ ‖β_g‖₂ + (1 − ρ)/2 ‖β_g‖²)`` (sample-weighted
    when ``sample_weight`` is given), ``β_g`` the coefficients of group ``g``; skglm's and
    celer's ``GroupLasso`` at ``l1_ratio=1`` with the same weights (theirs default to 1, ours
    to ``√|g|``: pass ``weights=np.ones(n_groups)`` to fit their default model).

    Args:
      alpha: the penalty strength λ ≥ 0.
      groups: a label per feature, ``(n_features,)`` of any one sortable type (the groups are
        ``np.unique(groups)``, in any order and of any sizes), or an int ``s``: contiguous
        groups of ``s`` features (skglm's convention; the last one may be shorter), or
        skglm's list of lists of feature indices (``groups[g]`` those of group ``g``).
      weights: ``(n_groups,)`` the group weights ``w_g`` in the order of ``np.unique(groups)``
        (0 leaves a group unpenalized); None: ``√|g|``, as grpreg (skglm and celer: 1).
      l1_ratio: ρ in [0, 1]; 1 is the group lasso.
      fit_intercept, standardize, tol, max_iter: as in :class:`ElasticNet` (no ``positive``).

    Attributes:
      coef_: ``(n_features,)`` coefficients; a group is zero or nonzero as a whole.
      intercept_, n_iter_, dual_gap_, path_: as in :class:`ElasticNet`.

    Example:
      >>> import numpy as np
      >>> from l1jax.estimators import GroupLasso
      >>> rng = np.random.default_rng(0)
      >>> X = rng.standard_normal((40, 6)); y = X[:, 0] - X[:, 1] + 0.1 * rng.standard_normal(40)
      >>> model = GroupLasso(alpha=0.1, groups=[0, 0, 1, 1, 2, 2]).fit(X, y)
      >>> (model.coef_ != 0).tolist()
      [True, True, False, False, False, False]
    """

    _fixed_l1_ratio = None

    def __init__(self, alpha=1.0, *, groups=1, weights=None, l1_ratio=1.0, fit_intercept=True,
                 standardize=False, tol=None, max_iter=20_000):  # fmt: skip
        self.alpha = alpha
        self.groups = groups
        self.weights = weights
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.tol = tol
        self.max_iter = max_iter


# ----------------------------------------------------------------------------------------------
# Cross-validated paths.


def _split_params(estimator, sample_weight, params: dict) -> tuple[Any, dict]:
    """``(cv, split)``: the estimator's ``cv`` (an iterator of splits as a list: routing reads
    ``cv`` too, and used up a generator before the folds were drawn) and the metadata of its
    ``split`` (``groups`` of a ``GroupKFold``), routed from ``fit(**params)`` as
    scikit-learn's CV estimators route it: with its metadata routing on (a grid search's or a
    nested ``cross_validate``'s ``params`` reach the inner splitter; they were refused, so a
    grouped inner CV was impossible); off, refused by name, as scikit-learn refuses them, with
    the ways to pass them."""
    cv = estimator.cv
    iterable = isinstance(cv, collections.abc.Iterable) and not isinstance(cv, str)
    if iterable and not hasattr(cv, "split"):  # (a float or a str: check_cv's error)
        cv = list(cv)
    if not sklearn.get_config()["enable_metadata_routing"]:
        if params:
            raise TypeError(
                f"{type(estimator).__name__}.fit() takes {', '.join(sorted(params))} for cv's "
                "splitter with scikit-learn's metadata routing on only "
                "(sklearn.set_config(enable_metadata_routing=True)), as scikit-learn's CV "
                "estimators; or pass the splits as cv, e.g. "
                "cv=list(GroupKFold(5).split(X, y, groups))"
            )
        return cv, {}
    routed = process_routing(estimator, "fit", sample_weight=sample_weight, **params)
    return cv, routed.splitter.split


def _fold_ids(cv, X, y, *, classifier=False, split: dict | None = None) -> np.ndarray:
    """Fold labels from scikit-learn's ``cv`` (None: 5-fold ``KFold``; an int; a splitter; an
    iterable of (train, test)), split with the metadata ``split`` (:func:`_split_params`). The
    test sets must partition the samples, and each fold must train on all the other samples
    (l1jax's folds; a gap or purge would be ignored)."""
    n = X.shape[0]
    if n < 2:
        raise ValueError(f"cross-validation needs at least 2 samples, got n_samples = {n}")
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool) and not 2 <= cv <= n:
        raise ValueError(f"cv must be between 2 and n_samples = {n} folds, got {cv}")
    splitter = check_cv(5 if cv is None else cv, y, classifier=classifier)
    ids = np.full(n, -1, np.int64)
    for f, (train, test) in enumerate(splitter.split(X, y, **(split or {}))):
        test, trained = np.asarray(test), np.zeros(n, bool)  # (indices or boolean masks)
        for part in (train, test):  # (splits of other data, as a list of a nested CV's whole
            # data's splits: NumPy's IndexError)
            part = np.asarray(part)
            if part.dtype == bool and part.shape != (n,) or part.dtype != bool and part.size \
                    and not -n <= part.min() <= part.max() < n:  # fmt: skip
                raise ValueError(f"cv's split {f} holds sample indices out of range for "
                                 f"{n} samples: splits of other data? (in a nested "
                                 "cross-validation, route groups to cv's splitter with "
                                 "scikit-learn's metadata routing instead)")  # fmt: skip
        if np.any(ids[test] >= 0):
            raise ValueError("cv must hold out every sample exactly once (folds that partition)")
        ids[test] = f
        trained[np.asarray(train)] = True
        rest = ids != f
        if not np.array_equal(trained, rest):
            out, leak = np.count_nonzero(rest & ~trained), np.count_nonzero(trained & ~rest)
            raise ValueError(
                f"cv's split {f} does not train on exactly the samples outside its test set "
                f"({out} left out, {leak} of the test set in); l1jax's folds train on all the "
                "others: pass splits whose train is the complement of test (e.g. KFold), or "
                "fold_ids to l1jax.cv_path"
            )
    if np.any(ids < 0):
        raise ValueError("cv must hold out every sample exactly once (folds that partition)")
    return ids


class _CVFit(NamedTuple):
    """The cross-validated paths of one target, one per ``l1_ratio`` (without the padding)."""

    results: list[CVResult]
    ratios: list[float]
    many: bool  # an l1_ratio grid was given
    best: int  # the index of the chosen l1_ratio
    index: int  # the index of the chosen α in its grid


class _CrossValidated(_Linear):
    """The choice of α (and ρ) by :func:`l1jax.cv_path`, shared by the CV estimators."""

    _words = {"lambdas": "alphas", "lambda_min_ratio": "eps", "fold_ids / n_folds": "cv",
              "fold_ids": "cv", "n_folds": "cv"}  # fmt: skip

    _fixed_l1_ratio: float | None = None

    def get_metadata_routing(self) -> MetadataRouter:
        """scikit-learn's metadata routing: this estimator's own requests (``sample_weight``
        of ``fit`` and ``score``), and ``fit``'s other metadata (``groups``) to ``cv``'s
        ``split``, as scikit-learn's CV estimators route them."""
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                splitter=check_cv(self.cv),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )  # fmt: skip
        )

    def _l1_ratios(self):
        if self._fixed_l1_ratio is not None:
            return [self._fixed_l1_ratio], False
        # (a list of one ratio is one ratio, as scikit-learn's squeezed alphas_ and mse_path_)
        many = np.ndim(self.l1_ratio) > 0 and np.size(self.l1_ratio) != 1
        if np.ndim(self.l1_ratio) > 1:
            raise ValueError(f"l1_ratio must be a number or a 1-D sequence of numbers, got shape "
                             f"{np.shape(self.l1_ratio)}")  # fmt: skip
        ratios = [float(r) for r in np.ravel(self.l1_ratio)] if np.ndim(self.l1_ratio) else \
            [self.l1_ratio]  # fmt: skip
        return ratios, many

    def _cross_validate(self, X, y, sample_weight, fold_ids, *, loss, scoring=None,
                        **options) -> _CVFit:  # fmt: skip
        """cv_path for each l1_ratio on the padded data (``options``: more of cv_path's); the
        best (ρ, α) by ``alpha_rule``."""
        if self.alpha_rule not in ("min", "1se"):
            raise ValueError(f"alpha_rule must be 'min' or '1se', got {self.alpha_rule!r}")
        if self.eps is None or isinstance(self.eps, (bool, str)):  # (None: not cv_path's default)
            raise TypeError(f"eps must be a number in (0, 1), alpha_min / alpha_max, got "
                            f"{self.eps!r}")  # fmt: skip
        grid = self.alphas
        if not (isinstance(grid, numbers.Integral) and not isinstance(grid, bool)):
            grid = _alpha_sequence(grid, "an int (the grid's size, e.g. 100)")
        ratios, many = self._l1_ratios()
        n, p = X.shape
        X, y, sample_weight, fold_ids = self._padded(X, y, sample_weight, fold_ids, loss=loss)
        options |= self._penalty_options(p, X.shape[1])  # (checked once, not per ratio)
        results: list[CVResult] = []
        for ratio in ratios:
            results.append(_call(
                cv_path, X, y, owner=type(self).__name__, words=self._words, fold_ids=fold_ids,
                loss=loss, scoring=scoring,
                l1_ratio=ratio, lambdas=grid,
                lambda_min_ratio=self.eps if isinstance(grid, numbers.Integral) else None,
                sample_weight=sample_weight, early_stop=False, **self._options(), **options,
            ))  # fmt: skip
        sign = -1.0 if results[0].scoring == "auc" else 1.0  # AUC: higher is better
        if self.alpha_rule == "min":  # scikit-learn's rule: each fold counts once (cv_path's
            # cv_mean weighs a fold by its held-out weight, glmnet's rule; with sample weights or
            # folds of unequal sizes the two can pick different αs)
            scores = [sign * r.fold_scores.mean(axis=0) for r in results]
            index = [int(np.argmin(m)) for m in scores]
            best = int(np.argmin([m[k] for m, k in zip(scores, index, strict=True)]))
        else:  # cv_path's rule for a grid of l1_ratios: the ratio of the best cv_mean, then
            # the largest α of its row within one standard error of that best
            best = int(np.argmin([np.min(sign * r.cv_mean) for r in results]))
            index = [r.index_1se for r in results]
        results = [  # without the padding
            r._replace(path=_without_padding(r.path, p, self), fold_ids=r.fold_ids[:n])
            for r in results
        ]
        return _CVFit(results, ratios, many, best, index[best])


class ElasticNetCV(RegressorMixin, _CrossValidated):
    """Elastic net with α chosen by K-fold cross-validation of the whole path
    (:func:`l1jax.cv_path`: all folds and all αs in one compiled call), then refitted on all
    the data.

    Args:
      l1_ratio: ρ in (0, 1], or a list of them (the best pair (ρ, α) is chosen).
      eps: ``alpha_min / alpha_max`` of the grid.
      alphas: an int (the grid size, from ``alpha_max`` down to ``eps · alpha_max``, log-spaced)
        or an array of αs.
      cv: None (5-fold ``KFold``, as scikit-learn), an int, a splitter or an iterable of
        ``(train, test)`` whose test sets partition the samples, each ``train`` the rest (a
        splitter that needs ``groups``: ``fit(X, y, groups=groups)`` with scikit-learn's
        metadata routing on, as scikit-learn's CV estimators, which also reaches an inner
        splitter from a grid search's or a nested ``cross_validate``'s ``params``; or pass
        its splits, ``cv=list(GroupKFold(5).split(X, y, groups))``).
      alpha_rule: ``"min"`` (the lowest mean of ``mse_path_`` over the folds, each fold
        counted once: scikit-learn's rule) or ``"1se"`` (the largest α within one standard
        error of the best ``cv_mean``, glmnet's ``lambda.1se``; ``cv_mean`` weighs each fold by
        its held-out weight, see :func:`l1jax.cv_path`; with a list of ``l1_ratio``, along the
        row of the ratio with the best ``cv_mean``, as :func:`l1jax.cv_path` chooses).
      fit_intercept, standardize, positive, tol, max_iter: as in :class:`ElasticNet`.
      verbose: progress on stderr (:func:`l1jax.cv_path`'s).
      precompute, copy_X, n_jobs, random_state, selection: scikit-learn's solver settings,
        checked, without effect on the solution (as in :class:`ElasticNet`; all folds are
        solved at once in one compiled call, whatever ``n_jobs``).

    Attributes:
      alpha_, l1_ratio_: the chosen α and ρ (no ``l1_ratio_`` for :class:`LassoCV` and
        :class:`MultiTaskLassoCV`, as scikit-learn's).
      alphas_: ``(n_alphas,)`` (or ``(n_l1_ratio, n_alphas)`` for two ratios or more, each
        with its own grid; given ``alphas`` are one grid for all) the grid(s), descending.
      mse_path_: ``(n_alphas, n_folds)`` (or ``(n_l1_ratio, n_alphas, n_folds)``) held-out MSE,
        an axis of length 1 squeezed away as scikit-learn does (one α: ``(n_folds,)``).
      coef_, intercept_, n_iter_, dual_gap_: the refit at ``alpha_``.
      cv_results_: the :class:`l1jax.CVResult` of ``l1_ratio_``.
    """

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True,
                 standardize=False, positive=False, tol=None, max_iter=20_000, cv=None,
                 alpha_rule="min", precompute="auto", copy_X=True, verbose=False, n_jobs=None,
                 random_state=None, selection="cyclic"):  # fmt: skip
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.positive = positive
        self.tol = tol
        self.max_iter = max_iter
        self.cv = cv
        self.alpha_rule = alpha_rule
        self.precompute = precompute
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.selection = selection

    def fit(self, X, y, sample_weight=None, **params):
        """Cross-validate the path, choose α (and ρ), refit; returns ``self``."""
        splits, split = _split_params(self, sample_weight, params)
        X, y, sample_weight = self._fit_data(X, y, sample_weight, multi_output=True)
        if self._per_target and y.ndim == 2:  # (as scikit-learn)
            if y.shape[1] > 1:
                raise ValueError(f"{type(self).__name__} fits one target; for several (a 2-D "
                                 "y) use MultiTaskLassoCV or MultiTaskElasticNetCV, or one "
                                 f"{type(self).__name__} per column")  # fmt: skip
            y = column_or_1d(y, warn=True)
        fold_ids = _fold_ids(splits, X, y, split=split)
        fit = self._cross_validate(X, y, sample_weight, fold_ids, loss="squared")
        cv, k = fit.results[fit.best], fit.index
        self.cv_results_ = cv
        if self._fixed_l1_ratio is None:  # (scikit-learn's lasso CVs have no l1_ratio_)
            self.l1_ratio_ = fit.ratios[fit.best]
        self.alpha_ = np.float64(cv.lambdas[k])
        own = fit.many and np.ndim(self.alphas) == 0  # (given αs: one grid for all, as sklearn)
        self.alphas_ = np.array([r.lambdas for r in fit.results]) if own else cv.lambdas
        # (multi-task: cv_path sums a row's squared errors over its tasks; scikit-learn's
        # mse_path_ is their mean)
        mse = np.array([r.fold_scores.T for r in fit.results]) / (y.shape[1] if y.ndim == 2 else 1)
        self.mse_path_ = np.squeeze(mse)  # (as scikit-learn's: one α, one ratio, no axis)
        self.coef_, self.intercept_ = self._at(cv.path, k, X.shape[1])
        self.n_iter_ = int(cv.path.n_iter[k])
        self.dual_gap_ = np.float64(cv.path.gap[k])
        return self._no_intercept()

    def predict(self, X):
        """``X @ coef_ + intercept_`` at the chosen α."""
        return self._decision(X)


class LassoCV(ElasticNetCV):
    """Lasso with α chosen by K-fold cross-validation (:class:`ElasticNetCV` with
    ``l1_ratio=1``); see there for the parameters and attributes.

    Example:
      >>> import numpy as np
      >>> from l1jax.estimators import LassoCV
      >>> rng = np.random.default_rng(0)
      >>> X = rng.standard_normal((50, 4)); y = 3 * X[:, 0] + 0.1 * rng.standard_normal(50)
      >>> model = LassoCV(alphas=20, alpha_rule="1se").fit(X, y)
      >>> np.flatnonzero(model.coef_).tolist(), model.mse_path_.shape
      ([0], (20, 5))
    """

    _fixed_l1_ratio = 1.0

    def __init__(self, *, eps=1e-3, alphas=100, fit_intercept=True, standardize=False,
                 positive=False, tol=None, max_iter=20_000, cv=None, alpha_rule="min",
                 precompute="auto", copy_X=True, verbose=False, n_jobs=None, random_state=None,
                 selection="cyclic"):  # fmt: skip
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.positive = positive
        self.tol = tol
        self.max_iter = max_iter
        self.cv = cv
        self.alpha_rule = alpha_rule
        self.precompute = precompute
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.selection = selection


class GroupLassoCV(_Grouped, ElasticNetCV):
    """Group lasso (group elastic net) with α chosen by K-fold cross-validation of the whole
    path (:func:`l1jax.cv_path` with ``groups``), then refitted on all the data.

    Minimizes :class:`GroupLasso`'s objective at the chosen α; ``groups`` and ``weights`` as
    there, the grid and the choice as in :class:`ElasticNetCV` (``alpha_max`` by group norms:
    the smallest α at which every penalized group is zero).

    Args:
      groups, weights: as in :class:`GroupLasso`.
      l1_ratio: ρ in (0, 1], or a list of them (the best pair (ρ, α) is chosen); 1 is the
        group lasso.
      eps, alphas, cv, alpha_rule, fit_intercept, standardize, tol, max_iter: as in
        :class:`ElasticNetCV` (no ``positive``).

    Attributes:
      alpha_, l1_ratio_, alphas_, mse_path_, coef_, intercept_, n_iter_, dual_gap_,
      cv_results_: as in :class:`ElasticNetCV`; a group of ``coef_`` is zero or nonzero as a
      whole.

    Example:
      >>> import numpy as np
      >>> from l1jax.estimators import GroupLassoCV
      >>> rng = np.random.default_rng(0)
      >>> X = rng.standard_normal((60, 6)); y = X[:, 0] - X[:, 1] + 0.1 * rng.standard_normal(60)
      >>> model = GroupLassoCV(groups=[0, 0, 1, 1, 2, 2], alphas=20, alpha_rule="1se").fit(X, y)
      >>> (model.coef_ != 0).tolist(), model.mse_path_.shape
      ([True, True, False, False, False, False], (20, 5))
    """

    def __init__(self, *, groups=1, weights=None, l1_ratio=1.0, eps=1e-3, alphas=100,
                 fit_intercept=True, standardize=False, tol=None, max_iter=20_000, cv=None,
                 alpha_rule="min"):  # fmt: skip
        self.groups = groups
        self.weights = weights
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.tol = tol
        self.max_iter = max_iter
        self.cv = cv
        self.alpha_rule = alpha_rule


# ----------------------------------------------------------------------------------------------
# Several tasks at once (a 2-D y).


class _MultiTask(_Linear):
    """The multi-task models: a 2-D ``y`` ``(n_samples, n_tasks)`` fitted by :func:`l1jax.path`
    with its task axis (a feature is selected for all tasks at once); dense ``X`` only."""

    _accept_sparse = False
    _per_target = False  # (ElasticNet.fit: one path of all tasks, not one per column)

    def _fit_data(self, X, y, sample_weight, *, y_numeric=True, multi_output=True):
        X, y, sample_weight = _validated(self, X, y, sample_weight, multi_output=True,
                                         y_numeric=True)  # fmt: skip
        if y.ndim == 1:
            single = type(self).__name__.removeprefix("MultiTask")  # (LassoCV for MultiTaskLassoCV)
            raise ValueError(f"{type(self).__name__} needs y of shape (n_samples, n_tasks); for "
                             f"one task (a 1-D y) use {single}")  # fmt: skip
        return X, y, sample_weight

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        return tags


class MultiTaskElasticNet(_MultiTask, ElasticNet):
    """Multi-task linear regression with a row-wise elastic-net penalty, solved by
    :func:`l1jax.path` (a 2-D ``y``); scikit-learn's ``MultiTaskElasticNet``.

    Minimizes ``(1/2n) ‖Y − XW − b‖²_F + α (ρ Σ_j ‖W_j‖₂ + (1 − ρ)/2 ‖W‖²_F)`` (sample-weighted
    when ``sample_weight`` is given), ``W_j`` the row of feature ``j`` (its coefficient in every
    task): a feature enters all tasks at once or none.

    Args:
      alpha, l1_ratio, fit_intercept, standardize, tol, max_iter: as in :class:`ElasticNet`
      (no ``positive``: the multi-task path has no sign constraint).
      copy_X, warm_start, random_state, selection: scikit-learn's solver settings, checked,
        without effect on the solution (as in :class:`ElasticNet`).

    Attributes:
      coef_: ``(n_tasks, n_features)`` coefficients (scikit-learn's layout: ``W`` transposed).
      intercept_: ``(n_tasks,)`` intercepts.
      n_iter_, dual_gap_, path_: as in :class:`ElasticNet` (``path_.coef`` is ``(1, p, m)``).

    Example:
      >>> import numpy as np
      >>> from l1jax.estimators import MultiTaskElasticNet
      >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
      >>> Y = np.stack([X[:, 0], -2 * X[:, 0]], axis=1)
      >>> model = MultiTaskElasticNet(alpha=0.1).fit(X, Y)
      >>> model.coef_.shape, model.predict(X).shape, bool(np.all(model.coef_[:, 1] == 0))
      ((2, 2), (4, 2), True)
    """

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True, standardize=False,
                 tol=None, max_iter=20_000, copy_X=True, warm_start=False, random_state=None,
                 selection="cyclic"):  # fmt: skip
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.tol = tol
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.warm_start = warm_start
        self.random_state = random_state
        self.selection = selection


class MultiTaskLasso(MultiTaskElasticNet):
    """Multi-task lasso (:class:`MultiTaskElasticNet` with ``l1_ratio=1``): minimizes
    ``(1/2n) ‖Y − XW − b‖²_F + α Σ_j ‖W_j‖₂``, scikit-learn's ``MultiTaskLasso``; see
    :class:`MultiTaskElasticNet` for the parameters and attributes.

    Example:
      >>> import numpy as np
      >>> from l1jax.estimators import MultiTaskLasso
      >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
      >>> model = MultiTaskLasso(alpha=0.1).fit(X, np.stack([X[:, 0], X[:, 0] + 1], axis=1))
      >>> np.round(model.coef_, 4).tolist(), np.round(model.intercept_, 4).tolist()
      ([[0.9434, 0.0], [0.9434, 0.0]], [0.0849, 1.0849])
    """

    _fixed_l1_ratio = 1.0

    def __init__(self, alpha=1.0, *, fit_intercept=True, standardize=False, tol=None,
                 max_iter=20_000, copy_X=True, warm_start=False, random_state=None,
                 selection="cyclic"):  # fmt: skip
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.tol = tol
        self.max_iter = max_iter
        self.copy_X = copy_X
        self.warm_start = warm_start
        self.random_state = random_state
        self.selection = selection


class MultiTaskElasticNetCV(_MultiTask, ElasticNetCV):
    """Multi-task elastic net with α chosen by K-fold cross-validation of the whole path
    (:func:`l1jax.cv_path` with a 2-D ``y``), then refitted on all the data; scikit-learn's
    ``MultiTaskElasticNetCV`` for the objective of :class:`MultiTaskElasticNet`.

    Args:
      l1_ratio, eps, alphas, cv, alpha_rule, fit_intercept, standardize, tol, max_iter,
        verbose, copy_X, n_jobs, random_state, selection: as in :class:`ElasticNetCV`.

    Attributes:
      alpha_, l1_ratio_, alphas_, n_iter_, dual_gap_, cv_results_: as in :class:`ElasticNetCV`.
      mse_path_: ``(n_alphas, n_folds)`` (or ``(n_l1_ratio, n_alphas, n_folds)``) held-out
        mean squared error over the entries of ``Y`` (scikit-learn's; ``cv_results_`` sums
        each row's squared errors over the tasks, as glmnet's ``mgaussian``: ``n_tasks`` times
        this).
      coef_, intercept_: ``(n_tasks, n_features)`` and ``(n_tasks,)``, the refit at ``alpha_``.
    """

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True,
                 standardize=False, tol=None, max_iter=20_000, cv=None, alpha_rule="min",
                 copy_X=True, verbose=False, n_jobs=None, random_state=None,
                 selection="cyclic"):  # fmt: skip
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.tol = tol
        self.max_iter = max_iter
        self.cv = cv
        self.alpha_rule = alpha_rule
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.selection = selection


class MultiTaskLassoCV(MultiTaskElasticNetCV):
    """Multi-task lasso with α chosen by K-fold cross-validation (:class:`MultiTaskElasticNetCV`
    with ``l1_ratio=1``); scikit-learn's ``MultiTaskLassoCV``.

    Example:
      >>> import numpy as np
      >>> from l1jax.estimators import MultiTaskLassoCV
      >>> rng = np.random.default_rng(0)
      >>> X = rng.standard_normal((60, 5)); Y = np.outer(X[:, 0], [1.0, -2.0])
      >>> model = MultiTaskLassoCV(alphas=10).fit(X, Y + 0.1 * rng.standard_normal((60, 2)))
      >>> model.coef_.shape, model.mse_path_.shape, bool(model.alpha_ in model.alphas_)
      ((2, 5), (10, 5), True)
    """

    _fixed_l1_ratio = 1.0

    def __init__(self, *, eps=1e-3, alphas=100, fit_intercept=True, standardize=False, tol=None,
                 max_iter=20_000, cv=None, alpha_rule="min", copy_X=True, verbose=False,
                 n_jobs=None, random_state=None, selection="cyclic"):  # fmt: skip
        self.eps = eps
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.tol = tol
        self.max_iter = max_iter
        self.cv = cv
        self.alpha_rule = alpha_rule
        self.copy_X = copy_X
        self.verbose = verbose
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.selection = selection


# ----------------------------------------------------------------------------------------------
# Classification.


class _Classifier(ClassifierMixin, _Linear):
    """The classes and predictions of the logistic models here: one binary model for two
    classes (of ``classes_[1]``), else one multinomial (softmax) model of all the classes."""

    @property
    def _words(self) -> dict[str, str]:
        """(and the classes by their labels: l1jax's errors name the encoded index)"""
        labels = np.asarray(getattr(self, "classes_", [])).tolist()
        return super()._words | {f"class {i} of y": f"class {label!r} of y"
                                 for i, label in enumerate(labels)} | {
            "drop the 0 or use a small λ": "use a small alpha > 0"}  # fmt: skip

    def _classes(self, y):
        """Set ``classes_``; returns ``y`` encoded as class indices."""
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; got 1 class "
                f"({self.classes_.tolist()[0]!r})"
            )
        return encoded

    def _problem(self, X, encoded):
        """``(X, target, options)`` of the path to fit: the 0/1 target of ``classes_[1]`` and
        the logistic loss for two classes, else the class indices and the multinomial loss
        (``grouped`` passed on; a sparse ``X`` densified, as the multinomial path is dense)."""
        check_flag(self.grouped, "grouped")  # (used for more than two classes only)
        if self.classes_.size == 2:
            return X, (encoded == 1).astype(X.dtype), dict(loss="logistic")
        if sparse.issparse(X):
            X = X.toarray()
        return X, encoded, dict(loss="multinomial", grouped=self.grouped)

    def decision_function(self, X):
        """Linear predictors: the log-odds ``(n,)`` of ``classes_[1]`` for two classes, else
        ``(n, n_classes)``, one column per class (softmax them for probabilities)."""
        scores = self._decision(X)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict_proba(self, X):
        """Class probabilities ``(n, n_classes)``: the logistic function of the log-odds for two
        classes, else the softmax of :meth:`decision_function`'s rows."""
        scores = self._decision(X).astype(np.float64)
        if scores.shape[1] == 1:
            # σ(s) and σ(−s) as exp(−log(1 + e^∓s)): no overflow warning at large |s|
            return np.hstack([np.exp(-np.logaddexp(0, scores)), np.exp(-np.logaddexp(0, -scores))])
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """``log(predict_proba(X))``."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each row."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def _set_fit(self, res: PathResult, k: int, p: int) -> None:
        """``coef_`` ``(1 or n_classes, n_features)``, ``intercept_`` and ``n_iter_`` ``(1,)``
        from λ ``k`` of the binary or multinomial path ``res``."""
        coef, intercept = self._at(res, k, p)
        self.coef_ = coef.reshape(-1, p)
        intercept = np.atleast_1d(intercept)  # (multinomial: summing to 0, as scikit-learn's)
        self.intercept_ = intercept - intercept.mean() if intercept.size > 1 else intercept
        self.n_iter_ = np.array([int(res.n_iter[k])], np.int32)


class LogisticLasso(_Classifier):
    """Logistic regression with an L1 (or elastic-net) penalty, solved by :func:`l1jax.path`.

    For two classes it minimizes ``(1/n) Σ_i [log(1 + e^{η_i}) − y_i η_i] + α (ρ ‖β‖₁ +
    (1 − ρ)/2 ‖β‖²)`` with ``η = b + Xβ`` and ``y_i = 1`` for ``classes_[1]``. For more classes,
    the multinomial (softmax) model with one coefficient vector per class (glmnet's symmetric
    parametrization; scikit-learn's ``LogisticRegression``)::

        (1/n) Σ_i (log Σ_c e^{η_ic} − η_{i y_i}) + α Σ_j Σ_c (ρ |B_jc| + (1 − ρ)/2 B_jc²)

    with ``η_i = b + Bᵀx_i``; ``grouped=True`` penalizes each feature's row across the classes
    instead, ``α Σ_j (ρ ‖B_j‖₂ + (1 − ρ)/2 ‖B_j‖²)`` (glmnet's ``type.multinomial="grouped"``:
    a feature is selected for all classes or none). Sample-weighted when ``sample_weight`` is
    given. The multinomial model needs ``alpha > 0`` and no ``positive``; a sparse ``X`` is
    densified for it.

    Args:
      alpha: the penalty strength λ ≥ 0 (``1 / (C · n)`` in ``LogisticRegression``'s terms,
        ``n`` the number of samples, or the sum of ``sample_weight`` when it is given).
      l1_ratio: ρ in [0, 1]; 1 (the default) is the lasso.
      grouped: the row penalty above for more than two classes (no effect on two classes).
      fit_intercept, standardize, positive, tol, max_iter: as in :class:`ElasticNet`.

    Attributes:
      classes_: the class labels (sorted, as ``np.unique``).
      coef_: ``(1, n_features)`` for two classes, else ``(n_classes, n_features)``.
      intercept_: ``(1,)`` or ``(n_classes,)`` (multinomial: centred to sum 0, as
        scikit-learn's; the model determines them up to a common constant only). Without an
        L2 part (``l1_ratio=1``) and with an even number of classes, the multinomial
        coefficients are not unique either: a feature's row may shift by a common constant
        within a range at no cost, so an equally optimal fit (scikit-learn's, glmnet's) may have
        other coefficients, and other zeros.
      n_iter_: ``(1,)`` solver iterations.

    Example:
      >>> from l1jax.estimators import LogisticLasso
      >>> X = [[-2.0, 0.3], [-1.0, -0.2], [1.0, 0.1], [2.0, -0.4]]
      >>> model = LogisticLasso(alpha=0.05).fit(X, ["no", "no", "yes", "yes"])
      >>> model.predict([[1.5, 0.0]]).tolist(), float(model.coef_[0, 1])
      (['yes'], 0.0)
      >>> three = LogisticLasso(alpha=0.05).fit(X, ["a", "b", "c", "c"])
      >>> three.coef_.shape, three.predict_proba(X).sum(axis=1).round(12).tolist()
      ((3, 2), [1.0, 1.0, 1.0, 1.0])
    """

    def __init__(self, alpha=0.01, *, l1_ratio=1.0, grouped=False, fit_intercept=True,
                 standardize=False, positive=False, tol=None, max_iter=20_000):  # fmt: skip
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.grouped = grouped
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.positive = positive
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X, y, sample_weight=None):
        """Fit the binary or multinomial model; returns ``self``. A class whose samples all
        weigh 0 (a bootstrap's counts that missed a rare class, as ``BaggingClassifier``
        gives them) has no data: its probability is 0 (its decision values those of the
        first weighed class less 708, the log of the smallest normal number: finite) and the
        model of the other classes is fitted without it (with ``fit_intercept=True``;
        without, as given)."""
        X, y, sample_weight = self._fit_data(X, y, sample_weight, y_numeric=False)
        encoded = self._classes(y)
        alpha = _check_alpha(self.alpha)
        n_classes, p = self.classes_.size, X.shape[1]
        weighed = np.arange(n_classes)  # (without an intercept a class's probability is the
        if sample_weight is not None and self.fit_intercept:  # coefficients': fitted as given)
            weighed = np.flatnonzero(np.bincount(encoded, weights=sample_weight,
                                                 minlength=n_classes) > 0)  # fmt: skip
        if weighed.size < n_classes:  # (a zero weight drops a row: scikit-learn's contract)
            rows = np.isin(encoded, weighed)
            X, sample_weight = X[rows], sample_weight[rows]
            encoded = np.searchsorted(weighed, encoded[rows])
        X, target, loss = self._problem(X, encoded)  # (more than two classes: multinomial,
        # of the classes with weight)
        if weighed.size == 1:  # (every sample of one class: probability 1, no model to fit)
            self._set_weighed(np.zeros((1, p)), np.zeros(1), np.zeros(1, np.int32), weighed)
            return self
        X, target, sample_weight, _ = self._padded(X, target, sample_weight, loss=loss["loss"])
        res = _call(path, X, target, owner=type(self).__name__, words=self._words,
                    l1_ratio=self.l1_ratio,
                    lambdas=np.array([alpha]), sample_weight=sample_weight, **loss,
                    **self._options())  # fmt: skip
        self._set_fit(res, 0, p)
        if weighed.size < n_classes:
            self._set_weighed(self.coef_, self.intercept_, self.n_iter_, weighed)
        return self

    def _set_weighed(self, coef, intercept, n_iter, weighed) -> None:
        """``coef_`` and ``intercept_`` of all the classes from those of the classes
        ``weighed``. Each of the others, which weigh nothing, gets the coefficients of the
        first weighed class and its intercept minus 708 (the log of the smallest normal
        number): its decision values are that class's less 708 on every row, finite, its
        probability at most e^-708 of that class's, 0. For two classes, one weighed, the
        log-odds of ``classes_[1]`` are ±708."""
        n_classes, p = self.classes_.size, coef.shape[-1]
        # (not −inf: scikit-learn's tools take decision values finite, and a calibration or a
        # bag's mean of ±inf was NaN; not a constant: a row far out, where every weighed
        # class scored below it, gave the weightless class probability 1)
        far = float(np.log(np.finfo(coef.dtype).tiny))
        if n_classes == 2:  # (one class weighed: the other's probability e^far, 0)
            self.coef_ = np.zeros((1, p), coef.dtype)
            self.intercept_ = np.array([-far if weighed[0] == 1 else far], coef.dtype)
        else:
            self.coef_ = np.zeros((n_classes, p), coef.dtype)
            self.intercept_ = np.zeros(n_classes, coef.dtype)
            self.coef_[weighed] = coef  # (one class weighed: 0 and 0)
            self.intercept_[weighed] = intercept
            empty = np.setdiff1d(np.arange(n_classes), weighed)
            self.coef_[empty] = self.coef_[weighed[0]]
            self.intercept_[empty] = self.intercept_[weighed[0]] + far
        self.n_iter_ = np.asarray(n_iter, np.int32)


_SCORING_NAMES = {"neg_log_loss": "deviance", "accuracy": "misclassification", "roc_auc": "auc"}


class LogisticLassoCV(_Classifier, _CrossValidated):
    """L1 (or elastic-net) logistic regression with α chosen by K-fold cross-validation of the
    whole path (:func:`l1jax.cv_path` with ``loss="logistic"``, or ``"multinomial"`` for more
    than two classes), then refitted on all the data; scikit-learn's ``LogisticRegressionCV``
    for the objective of :class:`LogisticLasso`.

    Args:
      l1_ratio: ρ in (0, 1], or a list of them (the best pair (ρ, α) is chosen).
      eps: ``alpha_min / alpha_max`` of the grid.
      alphas: an int (the grid size, from ``alpha_max`` down to ``eps · alpha_max``, log-spaced)
        or an array of αs (a ``C`` of ``LogisticRegressionCV`` is the α ``1 / (C · n)``, ``n``
        the training rows' number or sum of ``sample_weight``: it keeps C over the folds, so its
        effective α moves with each fold's size, where this one's is the same in every fold).
      cv: None (5-fold ``StratifiedKFold``, as scikit-learn), an int (stratified), a splitter
        or an iterable of ``(train, test)`` whose test sets partition the samples (for more
        than two classes, every fold's training rows must hold every class; a splitter that
        needs ``groups``: pass its splits, as in :class:`ElasticNetCV`).
      scoring: the held-out score: ``"deviance"`` (None, the default; scikit-learn's
        ``"neg_log_loss"`` times −2), ``"misclassification"`` (or ``"accuracy"``) or, for two
        classes, ``"auc"`` (or ``"roc_auc"``).
      alpha_rule: ``"min"`` (the best mean score over the folds, each fold counted once, as
        ``LogisticRegressionCV``) or ``"1se"`` (the largest α within one standard error of the
        best ``cv_mean``, glmnet's ``lambda.1se``).
      grouped: the row penalty of :class:`LogisticLasso` for more than two classes.
      fit_intercept, standardize, positive, tol, max_iter: as in :class:`ElasticNet`.

    Attributes:
      classes_: the class labels.
      alpha_, l1_ratio_: ``(1,)`` for two classes, else ``(n_classes,)`` (one value repeated:
        the multinomial model has one α, as ``LogisticRegressionCV``'s ``C_``): the chosen α, ρ.
      alphas_: ``(1, n_alphas)`` (or ``(1, n_l1_ratio, n_alphas)``) the grid(s).
      coef_, intercept_, n_iter_: the refit at the chosen α, shaped as :class:`LogisticLasso`'s.
      cv_results_: a list of the one :class:`l1jax.CVResult` (at ``l1_ratio_``): ``cv_mean``,
        ``cv_se`` and ``fold_scores`` hold the scores along the grid.

    Example:
      >>> import numpy as np
      >>> from l1jax.estimators import LogisticLassoCV
      >>> rng = np.random.default_rng(0)
      >>> X = rng.standard_normal((80, 4))
      >>> y = np.where(X[:, 0] + rng.standard_normal(80) > 0, "yes", "no")
      >>> model = LogisticLassoCV(alphas=20, alpha_rule="1se").fit(X, y)
      >>> np.flatnonzero(model.coef_[0]).tolist(), model.alpha_.shape
      ([0], (1,))
    """

    def __init__(self, *, l1_ratio=1.0, eps=1e-3, alphas=100, scoring=None, grouped=False,
                 fit_intercept=True, standardize=False, positive=False, tol=None,
                 max_iter=20_000, cv=None, alpha_rule="min"):  # fmt: skip
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.alphas = alphas
        self.scoring = scoring
        self.grouped = grouped
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.positive = positive
        self.tol = tol
        self.max_iter = max_iter
        self.cv = cv
        self.alpha_rule = alpha_rule

    def _scoring(self) -> str | None:
        """cv_path's name of ``scoring`` (after ``_classes``), refused by the estimator's
        names when it does not suit the number of classes."""
        names = [None, "deviance", "neg_log_loss", "misclassification", "accuracy"]
        names += ["auc", "roc_auc"] if self.classes_.size == 2 else []
        if not any(self.scoring is name or self.scoring == name for name in names):
            raise ValueError(f"scoring must be one of {names[1:]} for {self.classes_.size} "
                             f"classes, got {self.scoring!r}")  # fmt: skip
        return _SCORING_NAMES.get(self.scoring, self.scoring)

    def fit(self, X, y, sample_weight=None, **params):
        """Cross-validate the path, choose α (and ρ), refit; returns ``self``."""
        splits, split = _split_params(self, sample_weight, params)
        X, y, sample_weight = self._fit_data(X, y, sample_weight, y_numeric=False)
        encoded = self._classes(y)
        if sample_weight is not None:  # (its folds would hold no sample of it that counts)
            mass = np.bincount(encoded, weights=sample_weight, minlength=self.classes_.size)
            if (mass <= 0).any():
                label = self.classes_.tolist()[np.flatnonzero(mass <= 0)[0]]
                raise ValueError(
                    f"sample_weight leaves class {label!r} of y without weight, which "
                    f"{type(self).__name__} cannot cross-validate; drop its samples from X and "
                    "y, or weight them (LogisticLasso, with an intercept, gives it probability "
                    "0)"
                )
        scoring = self._scoring()
        fold_ids = _fold_ids(splits, X, y, classifier=True, split=split)
        p = X.shape[1]
        X, target, loss = self._problem(X, encoded)
        fit = self._cross_validate(X, target, sample_weight, fold_ids, scoring=scoring, **loss)
        cv, k = fit.results[fit.best], fit.index
        models = 1 if self.classes_.size == 2 else self.classes_.size
        self.cv_results_ = [cv]
        self.alpha_ = np.full(models, cv.lambdas[k], np.float64)
        self.l1_ratio_ = np.full(models, fit.ratios[fit.best], np.float64)
        self.alphas_ = np.array([[r.lambdas for r in fit.results] if fit.many else cv.lambdas])
        self._set_fit(cv.path, k, p)
        return self


# ----------------------------------------------------------------------------------------------
# Feature selection.


class StabilitySelection(SelectorMixin, BaseEstimator):
    """Stability selection (:func:`l1jax.stability_selection`) as a scikit-learn feature
    selector: the features whose lasso (or elastic-net) selection probability over random
    halves of the data reaches ``threshold`` at some α of the range.

    The path of :func:`l1jax.path` (``(1/Σs) Σ_i s_i ℓ(y_i, b + x_iᵀβ) + α (ρ ‖β‖₁ + (1 − ρ)/2
    ‖β‖²)``) is fitted on ``n_subsamples`` halves of the rows (complementary pairs, stratified
    by class for ``loss="logistic"``); ``get_support()`` and ``transform`` keep the features
    with ``max_probability_ >= threshold``, with at most ``error_bound_`` of them selected
    falsely in expectation under Meinshausen & Bühlmann's (2010) assumptions (exchangeable
    noise features, a lasso no worse than random guessing among them; see
    :func:`l1jax.stability_selection`). Unlike the other estimators here,
    and as glmnet and Meinshausen & Bühlmann, the features are standardized by default.

    Args:
      n_subsamples: the number of halves, even.
      threshold: the selection probability in (0.5, 1] a kept feature reaches.
      max_selected: where the default α range stops: at the first α of the path on all the
        data with this many nonzero coefficients (default ``⌈√(0.8·p)⌉``).
      alphas: None (100 αs), an int (that many αs over the default range) or an array of αs.
      loss: ``"squared"`` (a numeric target), ``"logistic"`` (a target of two classes) or
        ``"poisson"`` (counts or rates ≥ 0), as :func:`l1jax.stability_selection` takes.
      l1_ratio: ρ in (0, 1]; 1 is the lasso.
      eps: where the search for the end of the default range gives up, as a fraction of
        ``alpha_max`` (None: 1e-4 if n ≥ p, else 1e-2).
      fit_intercept, standardize, positive, tol, max_iter: as in :func:`l1jax.path`.
      random_state: an int (the seed of the halves), a ``numpy.random.RandomState`` or None.

    Attributes:
      alphas_: ``(n_alphas,)`` the αs, descending.
      probabilities_: ``(n_alphas, n_features)`` selection probabilities.
      max_probability_: ``(n_features,)`` the largest probability of each feature.
      support_: ``(n_features,)`` bool, the kept features (``get_support()``).
      error_bound_: the bound on the expected number of falsely kept features.
      subsamples_: ``(n_subsamples, n_samples)`` bool, the halves.
      stability_: the :class:`l1jax.StabilityResult`.
      classes_: for ``loss="logistic"``, the two class labels (the second is 1).

    Example:
      >>> import numpy as np
      >>> from l1jax.estimators import StabilitySelection
      >>> rng = np.random.default_rng(0)
      >>> X = rng.standard_normal((60, 8)); y = X[:, 0] - 2 * X[:, 1] + rng.standard_normal(60)
      >>> selector = StabilitySelection(n_subsamples=20, alphas=12).fit(X, y)
      >>> selector.get_support(indices=True).tolist(), selector.transform(X).shape
      ([0, 1], (60, 2))
    """

    def __init__(self, *, n_subsamples=100, threshold=0.6, max_selected=None, alphas=None,
                 loss="squared", l1_ratio=1.0, eps=None, fit_intercept=True, standardize=True,
                 positive=False, tol=None, max_iter=20_000, random_state=0):  # fmt: skip
        self.n_subsamples = n_subsamples
        self.threshold = threshold
        self.max_selected = max_selected
        self.alphas = alphas
        self.loss = loss
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.positive = positive
        self.tol = tol
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        """Fit the path on the halves and select the stable features; returns ``self``."""
        if self.loss not in ("squared", "logistic", "poisson"):
            raise ValueError(f"loss must be 'squared', 'logistic' or 'poisson', got "
                             f"{self.loss!r}")  # fmt: skip
        logistic = self.loss == "logistic"
        X, y, sample_weight = _validated(self, X, y, sample_weight, accept_sparse=_SPARSE,
                                         y_numeric=not logistic)  # fmt: skip
        if logistic:
            check_classification_targets(y)
            self.classes_, y = np.unique(y, return_inverse=True)
            if self.classes_.size != 2:
                raise ValueError(
                    f"loss='logistic' needs a target of 2 classes, got {self.classes_.size}"
                )
            y = y.astype(_DTYPES)
        elif hasattr(self, "classes_"):  # (an earlier logistic fit's)
            del self.classes_
        seed = self.random_state
        if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
            seed = int(check_random_state(seed).randint(np.iinfo(np.int32).max))
        alphas = self.alphas
        if alphas is not None and not isinstance(alphas, numbers.Integral):
            alphas = _alpha_sequence(alphas, "None, an int (the number of alphas)")
        result: StabilityResult = _call(
            stability_selection, X, y, owner=type(self).__name__,
            words={"lambdas": "alphas", "lambda_min_ratio": "eps", "seed": "random_state"},
            n_subsamples=self.n_subsamples, threshold=self.threshold,
            max_selected=self.max_selected, lambdas=alphas, seed=seed, loss=self.loss,
            l1_ratio=self.l1_ratio, lambda_min_ratio=self.eps, fit_intercept=self.fit_intercept,
            standardize=self.standardize, sample_weight=sample_weight, positive=self.positive,
            tol=self.tol, max_iter=self.max_iter,
        )  # fmt: skip
        self.stability_ = result._replace(feature_names=_names_of(self))
        self.alphas_ = np.asarray(result.lambdas, np.float64)
        self.probabilities_ = result.probabilities
        self.max_probability_ = result.max_probability
        self.support_ = np.asarray(result.selected, bool)
        self.error_bound_ = float(result.error_bound)
        self.subsamples_ = result.subsamples
        return self

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_

    def transform(self, X):
        """``X``'s columns of the kept features (a BCOO/BCSR ``X``: as SciPy CSC)."""
        refuse_masked(X, "X")
        return super().transform(_scipy(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.sparse = True
        return tags

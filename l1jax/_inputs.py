"""Input checking and standardization, shared by :func:`l1jax.path`, :func:`l1jax.cv_path`,
:func:`l1jax.stability_selection` and the estimators (host side, before anything is traced).

Every check raises a ``ValueError`` or ``TypeError`` that names the argument and the fix.
:func:`check_path` checks the arguments of a path; :func:`prepare` (NumPy ``X``) and
:func:`prepare_on_devices` (a ``jax.Array`` ``X``, never gathered) centre and scale the columns.
"""

from __future__ import annotations

import collections
import functools
import math
import numbers
import threading
from typing import TYPE_CHECKING, Any, NamedTuple, Union

import jax
import jax.numpy as jnp
import numpy as np
from numpy.typing import ArrayLike

from l1jax import _sharding, _sparse
from l1jax._programs import highest, jit
from l1jax.losses import LOSSES, MULTINOMIAL

# The type of ``X`` in the public API: a 2-D array-like (NumPy, JAX, pandas) or a sparse matrix
# (for type checkers; at run time ``Any``, as SciPy is imported only when an X is sparse).
if TYPE_CHECKING:
    import scipy.sparse
    from jax.experimental import sparse as jsparse

    Matrix = Union[  # noqa: UP007
        ArrayLike, scipy.sparse.spmatrix, scipy.sparse.sparray, jsparse.BCOO, jsparse.BCSR
    ]
else:
    Matrix = Any


def follows_float64(fun):
    """Decorate a public entry point ``fun(X, y, ...)`` so that a float64 ``X`` (NumPy, or a
    DataFrame of float64 columns, :func:`_data_dtype`) is solved in float64 even when JAX's
    x64 is off (JAX's default), inside a scoped ``jax.enable_x64(True)``: float64 data in,
    float64 results out, as scikit-learn and glmnet users expect; JAX's global configuration is
    left alone. float32 data, and ``X`` given as a ``jax.Array``, follow JAX's setting as
    before."""

    @functools.wraps(fun)
    def wrapped(X, *args, **kwargs):
        if jax.config.jax_enable_x64 or isinstance(X, jax.Array):
            return fun(X, *args, **kwargs)
        dtype = _data_dtype(X)
        if dtype is None:
            return fun(X, *args, **kwargs)  # the call itself names the problem
        if dtype.kind != "f" or dtype.itemsize < 8:  # (a longdouble X: float64, not float32)
            return fun(X, *args, **kwargs)
        with jax.enable_x64(True):
            return fun(X, *args, **kwargs)

    return wrapped


def _data_dtype(X) -> np.dtype | None:
    """The NumPy dtype of the numbers in ``X`` (None: none to tell). A DataFrame's is that of
    its columns, pandas' nullable ones by their NumPy type (``Float64`` is float64: NumPy
    reads such a frame as objects)."""
    dtype = getattr(X, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind != "O":
        return dtype
    if isinstance(dtype, np.dtype):  # numbers held as objects: read as float64 (as_real_array),
        # as a list of them is (they were solved in float32 with x64 off)
        try:
            return np.asarray(X, np.float64).dtype
        except (TypeError, ValueError):
            return dtype
    if dtype is None and hasattr(X, "dtypes"):  # (a DataFrame)
        try:
            dtype = np.result_type(*[getattr(d, "numpy_dtype", d) for d in X.dtypes])
        except TypeError:
            dtype = None  # (categorical columns, polars' types: as NumPy reads them)
        if dtype is not None and dtype.kind != "O":
            return dtype
    try:
        dtype = np.asarray(X).dtype  # (lists, polars frames)
    except (TypeError, ValueError):
        return None
    if dtype.kind == "O":  # (numbers held as objects or strings, a list of Decimals among them:
        try:  # float64, as as_real_array reads them; they were solved in float32)
            return np.asarray(X, np.float64).dtype
        except (TypeError, ValueError):
            pass
    return dtype


def float_dtype(*arrays) -> np.dtype:
    if not jax.config.jax_enable_x64:
        return np.dtype(np.float32)
    if all(np.dtype(a.dtype) == np.float32 for a in arrays if a is not None):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def check_dtype(arr, name: str, ndim: int):
    if arr.dtype != object and jnp.issubdtype(arr.dtype, jnp.floating) and arr.dtype.itemsize < 2:
        raise TypeError(f"{name} has dtype {arr.dtype}, too narrow to solve in; cast it: "
                        f"{name}.astype(np.float32)")  # fmt: skip
    if arr.dtype.name == "bfloat16":
        raise TypeError(f"{name} has dtype bfloat16, which the paths do not solve in; cast it: "
                        f"{name}.astype(np.float32)")  # fmt: skip
    if arr.dtype.kind == "m":  # (NumPy counts time spans as integers; float() then failed)
        raise TypeError(f"{name} holds time spans (dtype {arr.dtype}); convert them to numbers, "
                        "e.g. seconds: .astype('timedelta64[s]').astype(float)")  # fmt: skip
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        what = (
            " (entries that are not numbers: text, None, or missing values such as pandas' "
            "NA; encode, impute or drop them)"
            if arr.dtype == object
            else ""
        )
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}{what}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}; pass its real part")
    if arr.ndim != ndim:
        shape = "(n_samples, n_features)" if ndim == 2 else "a 1-D array"
        raise ValueError(f"{name} must be {shape}, got an array of shape {arr.shape}")


_TIMES = ("datetime", "date", "timedelta", "duration", "time", "period", "timestamp")  # (pandas',
# polars', pyarrow's: date32, timestamp, duration, time64)
_TEXTS = ("object", "str", "large_str", "category", "utf8", "categorical", "enum", "interval",
          "dictionary")  # fmt: skip


def _is_pandas(value) -> bool:
    """Whether ``value`` is a pandas object (a DataFrame, a Series)."""
    return type(value).__module__.split(".")[0] == "pandas"


def check_frame_columns(frame, name: str, text: bool = True) -> None:
    """Refuse the columns of a data frame (pandas, polars) that are not numbers, by label and
    dtype: dates and times (polars' were read as their epoch counts, fitted without a word),
    and with ``text`` (NumPy read the frame as objects) text or categories of text (NumPy's
    "dtype object" named no column)."""
    columns, dtypes = _column_labels(frame), getattr(frame, "dtypes", None)
    if dtypes is None:  # (a pyarrow Table: its schema's types)
        dtypes = getattr(getattr(frame, "schema", None), "types", None)
    if columns is None or dtypes is None:
        return
    dtypes = list(dtypes)  # (pandas: a Series of dtypes; polars: a list)
    if len(dtypes) != len(columns):
        return
    times = [(c, str(d)) for c, d in zip(columns, dtypes, strict=True)
             if str(d).lower().startswith(_TIMES)]  # fmt: skip
    if times:
        raise TypeError(f"{name} has columns of dates or times: {_named(times)}; convert "
                        "them to numbers (e.g. days since a date) or leave them out")  # fmt: skip
    bad = []
    for c, d in zip(columns, dtypes, strict=True) if text else ():
        if str(d).lower().startswith(_TEXTS):
            try:
                np.asarray(frame[c], np.float64)
            except (TypeError, ValueError, KeyError):
                bad.append((c, str(d)))
    if bad:
        raise TypeError(f"{name} has columns that are not numbers: {_named(bad)}; encode "
                        "them (e.g. one-hot: pandas.get_dummies) or leave them out")  # fmt: skip


def _named(columns: list) -> str:
    """``[(label, dtype), ...]`` as ``'a' (dtype), ...``, the first 5."""
    more = f", and {len(columns) - 5} more" if len(columns) > 5 else ""
    return ", ".join(f"{c!r} ({d})" for c, d in columns[:5]) + more


def refuse_masked(value, name: str, fix: str = "or drop their rows") -> None:
    """A NumPy masked array with masked entries is refused by ``name``: np.asarray would drop
    the mask and use the hidden values."""
    # (np.ma.is_masked reads ``value._mask``: a pandas column or index label "_mask")
    if isinstance(value, np.ma.MaskedArray) and np.ma.is_masked(value):
        raise ValueError(f"{name} is a masked array with masked entries; fill them "
                         f"({name}.filled(value)) {fix}")  # fmt: skip


def as_real_array(value, name: str, ndim: int, *, finite: bool = True) -> np.ndarray:
    """``value`` as a real NumPy array of ``ndim`` dimensions; with ``finite``, NaN and inf are
    refused here (else the caller's :func:`check_magnitude` refuses them)."""
    refuse_masked(value, name)
    if _sparse.is_sparse(value):  # (np.asarray makes it a 0-d object array)
        dense = _sparse.densified(value, name) + (".ravel()" if ndim == 1 else "")
        raise TypeError(f"{name} must be a dense array, got a sparse matrix; pass {dense}")
    try:
        arr = _sharding.to_host(value) if isinstance(value, jax.Array) else np.asarray(value)
    except (TypeError, ValueError) as err:  # (a ragged list: NumPy's message named no argument;
        check_frame_columns(value, name)  # a pyarrow Table of dates: NumPy's DTypePromotionError)
        if isinstance(err, TypeError):
            raise
        raise ValueError(f"{name} must be a rectangular array of numbers (rows of equal "
                         f"length): {str(err).splitlines()[0]}") from err  # fmt: skip
    numeric = arr.dtype.kind in "fiub"
    if not (numeric and _is_pandas(value)):  # (pandas reads dates as datetime64 or objects: a
        # numeric array has none, and the scan of 50,000 columns' dtypes cost 0.15 s a fit;
        # polars reads them as their epoch counts)
        check_frame_columns(value, name, not numeric)
    if arr.dtype == object and hasattr(value, "isna"):  # (pandas: name where the NAs are)
        missing = value.isna()
        if bool(np.asarray(missing).any()):
            where = (f" in columns {list(value.columns[missing.any()])}"
                     if hasattr(value, "columns") else
                     f" in {int(np.asarray(missing).sum())} of its entries")  # fmt: skip
            raise ValueError(f"{name} has missing values (NaN or NA){where}; impute them or "
                             "drop their rows")  # fmt: skip
    if arr.dtype == object:  # (pandas' nullable columns, e.g. Int64 without NA: numbers)
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            pass  # (check_dtype names it)
    check_dtype(arr, name, ndim)
    if finite:
        _check_finite(arr, name, _column_labels(value))
    return arr


def _not_finite(name: str) -> ValueError:
    return ValueError(f"{name} contains NaN or inf; remove or impute those entries")


def _check_finite(arr: np.ndarray, name: str, labels: list | None = None) -> None:
    """NaN and inf refused by ``name``; in a 2-D ``arr``, naming their columns (by
    ``labels``, a data frame's, or by index: a float frame's NaN was named by no column,
    unlike a nullable one's)."""
    if np.all(np.isfinite(arr)):
        return
    if arr.ndim != 2:
        raise _not_finite(name)
    bad = np.flatnonzero(~np.all(np.isfinite(arr), axis=0))
    where = [labels[j] for j in bad[:10]] if labels and len(labels) == arr.shape[1] else \
        bad[:10].tolist()  # fmt: skip
    more = f" and {bad.size - 10} more" if bad.size > 10 else ""
    raise ValueError(f"{name} contains NaN or inf in columns {where}{more}; remove or impute "
                     "those entries")  # fmt: skip


def check_finite_on_devices(X: jax.Array, name: str) -> None:
    """:func:`_check_finite` of a ``jax.Array``: one reduction where it lives, one number read
    back (a traced one is not read)."""
    if not isinstance(X, jax.core.Tracer) and not bool(jnp.all(jnp.isfinite(X))):
        raise _not_finite(name)


def host_rows(X):
    """``X`` on the host in a form whose rows can be taken (``X[rows]``) and multiplied: NumPy,
    or a sparse ``X`` as a checked SciPy CSR matrix (never densified). NaN and inf refused here
    only in a data frame, naming its columns by label (the fits' checks see a NumPy array)."""
    if _sparse.is_sparse(X):
        return _sparse.as_csc(X, "X").tocsr()
    return as_real_array(X, "X", 2, finite=_column_labels(X) is not None)


def unit_scale(s):
    """Sample weights ``s`` (None, or a float array) divided by their largest when it lies
    beyond 1e±100, else ``s`` itself: the fits normalize them by their sum, which must neither
    overflow nor underflow (weights of 1e308 made every normalized weight 0)."""
    top = 1.0 if s is None else float(np.max(s, initial=0))  # (float: 1e100 is no float32)
    return s / top if np.isfinite(top) and top > 0 and not 1e-100 < top < 1e100 else s


def rescaling(loss: str) -> str:
    """What rescaling ``y`` by a power of 10 does to the fit of ``loss``, for the messages
    that ask for it (the squared loss's words for a Poisson ``y`` were wrong)."""
    if loss == "poisson":
        return ("a Poisson loss's coefficients stay, its intercept moves by the factor's log and "
                "its λs scale with it")  # fmt: skip
    return "a squared loss's coefficients, intercept and λs scale with it"


def check_magnitude(values, name: str, n: int, dtype, nonzero_rows=None,
                    labels: list | None = None, loss: str | None = None) -> None:  # fmt: skip
    """Refuse entries so large that ``n`` of their squares overflow ``dtype``, and NaN or inf.

    Mostly in one pass over ``values`` (a large X is read at the speed of memory, ~5 ms per
    40 MB): their sum of squares, when finite and at most ``max(dtype) / n``, bounds every entry
    (NaN and inf would make it NaN or inf); otherwise the entries are looked at one by one,
    against the bound over the rows that hold a nonzero (``nonzero_rows()``, when given).
    ``labels``: a data frame's column labels, to name the columns of NaN or inf; ``loss``:
    for targets, what rescaling them does."""
    limit = math.sqrt(np.finfo(dtype).max / max(n, 1))
    flat = values.ravel(order="K") if values.dtype.kind == "f" else None
    if flat is not None and np.may_share_memory(flat, values):  # (no copy: contiguous)
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(flat @ flat)
        if math.isfinite(total) and total <= limit * limit:
            return
    _check_finite(values, name, labels)
    big = max(float(np.max(values, initial=0)), -float(np.min(values, initial=0)))  # (no copy)
    if big <= limit:
        return
    # Rows of zeros add nothing to a sum of squares (an estimator's padding, zero-weight rows
    # the user left blank): the bound is over the rows that hold something.
    rows = n if nonzero_rows is None else nonzero_rows()
    limit = math.sqrt(np.finfo(dtype).max / max(rows, 1))
    if big > limit:
        counted = f"{rows} rows" if rows == n else f"its {rows} nonzero rows"
        raise ValueError(
            f"{name} has entries up to {big:.3g}, too large for {np.dtype(dtype).name}: their "
            f"squares over {counted} overflow (above {limit:.3g}); rescale {name} (divide it by "
            "a power of 10" + (f": {rescaling(loss)})" if loss else ")")
        )


def _nonzero_rows(values) -> int:
    """How many rows of ``values`` (dense or SciPy sparse, 1-D or 2-D) hold a nonzero."""
    if _sparse.is_sparse(values):
        coo = values.tocoo()
        return int(np.unique(coo.row[coo.data != 0]).size)
    return int(np.count_nonzero(values if values.ndim == 1 else np.any(values != 0, axis=1)))


def check_not_tiny(values, name: str, dtype, loss: str = "squared") -> None:
    """Refuse ``values`` whose largest magnitude is positive but so small that its square (and
    so the objective, its null value and the duality gap) falls below ``dtype``'s normal
    numbers by less than a unit of rounding: XLA flushes such numbers to 0 on CPUs, and a gap of
    0 certified a path 2.5e-3 from its optimum (y of 1e-156 in float64, 1e-18 in float32)."""
    floor = math.sqrt(np.finfo(dtype).tiny / np.finfo(dtype).eps)
    big = float(np.max(np.abs(values), initial=0.0))
    if 0 < big < floor:
        squares = (" would lose their precision near the dtype's smallest numbers" if loss ==
                   "poisson" else ", of the size of their squares, would underflow")  # fmt: skip
        raise ValueError(
            f"{name} has entries of at most {big:.3g}, too small for {np.dtype(dtype).name}: "
            f"the objective and its duality gap{squares} (below {floor:.3g}); "
            f"rescale {name} (multiply it by a power of 10: {rescaling(loss)})"
        )


def check_representable(values, name: str, dtype, what: str = "feature") -> None:
    """Refuse positive entries that ``dtype`` cannot hold as normal numbers: below its smallest
    (flushed to 0 on the device, where the host saw them positive: a column left out of λ_max
    and its certificate) or above its largest (inf)."""
    if values is None:
        return
    info = np.finfo(dtype)
    positive = values[values > 0]
    if positive.size and (positive.min() < info.tiny or positive.max() > info.max):
        raise ValueError(
            f"{name} must be 0 or between {info.tiny:.3g} and {info.max:.3g} in "
            f"{np.dtype(dtype).name}, got entries from {positive.min():.3g} to "
            f"{positive.max():.3g}; use 0 for an unpenalized {what}, or rescale the factors "
            "(only their ratios and λ's product with them matter)"
        )


def default_tol(dtype) -> float:
    """The relative duality-gap tolerance of a fit in ``dtype`` when none is given: 1e-7 in
    float64, 1e-5 in float32 (what float32 can certify: at 1e-7 its fits ended at max_iter)."""
    return 1e-7 if np.dtype(dtype) == np.float64 else 1e-5


def check_some_weight(sample_weight) -> None:
    """Refuse checked sample weights that are all zero (they are normalized by their sum)."""
    if sample_weight is not None and not np.any(sample_weight > 0):
        raise ValueError("sample_weight is all zero; give at least one sample a positive weight")


def check_weights(value, name: str, length: int, what: str) -> np.ndarray | None:
    if value is None:
        return None
    arr = factor_array(value, what) if name == "penalty_factor" else as_real_array(value, name, 1)
    if arr.shape[0] != length:
        raise ValueError(f"{name} must have one entry per {what} ({length}), got {arr.shape[0]}")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative, got a minimum of {arr.min()}")
    return arr


def factor_array(value, what: str) -> np.ndarray:
    """``penalty_factor`` as a finite real array, one per ``what`` (feature or group); an inf,
    glmnet's way to leave a feature out, is refused with the way here."""
    arr = as_real_array(value, "penalty_factor", 1, finite=False)
    if np.any(np.isposinf(arr)):
        raise ValueError(
            f"penalty_factor is inf for {what} {np.flatnonzero(np.isposinf(arr)).tolist()}: to "
            f"leave a {what} out (glmnet's penalty.factor Inf, or its exclude), drop its "
            f"column{'s' if what == 'group' else ''} from X (glmnet's own rescaling of the "
            f"others: path's docstring, Against glmnet)"
        )
    _check_finite(arr, "penalty_factor")
    return arr


def check_scalar(value, name: str, low=None, high=None, low_open=False, high_open=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value}")
    return value


class Prepared(NamedTuple):
    X: np.ndarray | jax.Array | _sparse.SparseX  # centred (with intercept) and scaled columns; a
    # jax.Array: placed; SparseX: centred and scaled implicitly
    y: np.ndarray
    s: np.ndarray  # normalized sample weights
    v: np.ndarray  # penalty factors
    x_mean: np.ndarray
    x_scale: np.ndarray
    nonzero: np.ndarray  # (p,) bool: the standardized column has a nonzero entry
    gram: tuple[np.ndarray, np.ndarray] | None = None  # (G, c) = (X̃ᵀSX̃, X̃ᵀS(y − ȳ)) of the
    # standardized X̃, formed slice by slice without X̃ (prepare(gram=True): X is then None)
    v2: np.ndarray | None = None  # the L2 part's penalty factors (None: v; _preconditioned)


def center_scale(xp, X, s, fit_intercept, standardize):
    """Weighted column means and scales (1/n variance, as glmnet) and the standardized ``X``,
    with ``xp`` NumPy (on the host, float64) or ``jax.numpy`` (inside a jitted program, on the
    devices that hold the rows). A constant column becomes 0 and gets scale 1, a row of weight
    0 (a fold's held-out row) 0: inert, where its outlying values overflowed (e^η of a
    Poisson loss, or their squares here: 0 · inf, NaN gaps and wrong coefficients)."""
    p = X.shape[1]
    x_mean = s @ X if fit_intercept else xp.zeros(p, X.dtype)
    Xc = X - x_mean  # the one working copy (NumPy divides it in place below)
    if xp is np:
        Xc[s == 0] = 0.0
    else:
        Xc = xp.where((s > 0)[:, None], Xc, 0.0)
    if fit_intercept and xp is not np:  # on the devices, maybe in float32: a second pass. The
        # first mean errs by ε |μ|, which a column 1e4 σ from 0 kept after centring (1e-3 σ in
        # float32); a device Gram matrix then coupled it to the intercept it ignores (float32
        # squared loss: errors of 1e-5 · P_null above gaps of 3e-7)
        drift = s @ Xc
        x_mean, Xc = x_mean + drift, Xc - drift
        # A column equal on every row of weight > 0 is constant, whatever its centring's
        # rounding: float32 left a spread of 1.4e-9 of the mean (above 1e-10),
        # scaled to a column of 1.0000191 beside the intercept (coefficient −15, "converged").
        # (by its largest and smallest entry: reductions over the rows, which stay where they
        # are on a mesh; taking a row to compare with gathered X whole)
        kept = (s > 0)[:, None]
        top = xp.max(xp.where(kept, X, -xp.inf), axis=0)
        Xc = xp.where(top == xp.min(xp.where(kept, X, xp.inf), axis=0), 0.0, Xc)
    if not standardize:  # (unscaled, but a column constant up to its centring's rounding is 0)
        if fit_intercept:
            flat = _flat(xp, xp.sqrt(_weighted_squares(xp, s, Xc)), x_mean)
            Xc = xp.where(flat, 0.0, Xc) if xp is not np else _zero_columns(Xc, flat)
        return Xc, x_mean, xp.ones(p, X.dtype)
    divisor, scale = _column_scales(xp, _weighted_squares(xp, s, Xc), x_mean)
    Xc /= divisor
    return Xc, x_mean, scale


FLAT_RATIO = 1000 * float(np.finfo(np.float64).eps)  # (2.2e-13) the spread, relative to its
# mean, up to which a column is constant but for the rounding of its centring (which with unequal
# weights leaves ε |μ| and more on long columns: a constant column then got coefficients of 1e-9
# without standardization). 1e-10 dropped a column of 10¹¹ + N(0, 1), whose float64 values hold
# it to 1e-5, and certified the fit without it; on the devices too, whatever X's dtype: a float32
# column with one row an ulp off, of small weight (a spread of 4e-12 of its mean), was dropped
# there and the fit certified at 5.5× the optimal objective. (The host centres in float64; the
# devices' exactly constant columns are found by their largest and smallest entries.)


def _flat(xp, spread, x_mean):
    """Columns whose spread (the square root of their weighted sum of squares about the mean) is
    at most :data:`FLAT_RATIO` of their mean: constant but for the rounding of their centring.
    :func:`_column_scales` also takes columns of spread 0."""
    return spread <= FLAT_RATIO * xp.abs(x_mean)


def _zero_columns(Xc, flat):
    Xc[:, flat] = 0.0
    return Xc


def _column_scales(xp, squares, x_mean):
    """``(divisor, scale)`` of columns with weighted sums of squares ``squares`` (about their
    means ``x_mean``): √squares, but a constant column (scale 0, or at most :data:`FLAT_RATIO`
    of its mean) is divided by inf (it becomes 0) and gets scale 1. One rule for
    :func:`center_scale` and :func:`_gram_of`. A column of small values is not constant:
    standardized, its units do not matter (a spread of 1e-11 about 0 was taken for constant,
    its feature dropped)."""
    scale = xp.sqrt(squares)
    constant = (scale == 0) | _flat(xp, scale, x_mean)
    return xp.where(constant, xp.inf, scale), xp.where(constant, 1.0, scale)


def _weighted_squares(xp, s, Xc):
    """``s @ Xc²``; NumPy's without a temporary the size of ``Xc`` (one ``einsum`` loop: on
    10,000 × 500, 2.5 ms against 8 ms of fresh pages and a product)."""
    return np.einsum("i,ij,ij->j", s, Xc, Xc) if xp is np else s @ xp.square(Xc)


GRAM_SLICE = 2**21  # entries of X (16 MB in float64) read at a time by prepare, rows for the Gram
# matrix (gram=True) and for X̃ of an X not in float64 (_standardized), and of X̃ᵀ placed on a
# device by engine.transposed


BENIGN = 100.0  # mean² / variance up to which a Gram matrix may be centred after the product


class RowGrams:
    """``Σ x xᵀ`` over rows of one dense ``X`` (its uncentred, unweighted Gram matrix) for the
    fits of a cross-validation: a fold's is the whole ``XᵀX``, formed once, less its held-out
    rows' own. 5 folds of 10,000 × 500 (B): one product of ``X`` and five of 2,000 rows,
    against five of 8,000 kept rows taken a slice at a time (the folds' Gram work, summed over
    their threads: 0.57-0.65 s before, 0.36-0.44 s with it). Thread-safe (the folds run in
    threads); arrays other than ``X`` or a view of all of it (the same memory, shape and
    strides) get None (their own product, :func:`_uncentred_gram`). ``X`` is held, so that its
    memory cannot be another array's while this lives."""

    def __init__(self, X: np.ndarray):
        self._X = X
        self._key = self._layout(X)
        self._whole = None
        self._lock = threading.Lock()

    @staticmethod
    def _layout(X) -> tuple:
        return X.__array_interface__["data"][0], X.shape, X.strides, X.dtype.str

    def __call__(self, X, rows) -> np.ndarray | None:
        """A new array: ``Σ`` over the rows of ``X`` where ``rows`` (a mask; None: all)."""
        if not isinstance(X, np.ndarray) or self._layout(X) != self._key:
            return None
        with self._lock:
            if self._whole is None:
                self._whole = X.T @ X if _whole_for_blas(X) else _row_products(X)
        return self._whole.copy() if rows is None else self._whole - _row_products(X, ~rows)


def _whole_for_blas(X) -> bool:
    """``X`` is float64 and contiguous: BLAS takes all of it as it is, copying none of it."""
    return X.dtype == np.float64 and (X.flags.c_contiguous or X.flags.f_contiguous)


def _row_products(X, rows=None) -> np.ndarray:
    """``Σ x xᵀ`` (float64) over the rows of ``X`` where the mask ``rows`` holds (None: all),
    :data:`GRAM_SLICE` entries at a time: no copy of ``X`` larger than a slice."""
    G, step = np.zeros((X.shape[1],) * 2), max(1, GRAM_SLICE // max(X.shape[1], 1))
    for i in range(0, X.shape[0], step):
        part = X[i : i + step] if rows is None else X[i : i + step][rows[i : i + step]]
        part = np.asarray(part, np.float64)
        G += part.T @ part
    return G


def _uncentred_gram(X, w, x_mean, rows=None, row_grams=None):
    """``XᵀX · w − x̄ x̄ᵀ`` (equal weights ``w``; one BLAS product of the float64, contiguous
    ``X`` as it is, no centred copy) when that is as accurate as centring first, else None.
    With ``rows`` (a mask: the rows of weight ``w``, the others of weight 0, as a fold's or a
    subsample's), the product of those rows, :data:`GRAM_SLICE` entries at a time.
    Centring after the product loses about ``ε · x̄_j²`` in ``G_jj``: it is taken only where
    every column's ``x̄_j²`` is at most :data:`BENIGN` times its variance, estimated first on
    128 spread rows and then checked on ``G``'s diagonal (constant columns, whose variance must
    come out 0, go the exact way). On 10,000 × 500, the whole _gram_of: 24 ms against 30 ms by
    slices. ``row_grams`` (a :class:`RowGrams` of ``X``, or None) gives the product."""
    kept = np.arange(X.shape[0]) if rows is None else np.flatnonzero(rows)  # (of weight w)
    sample = np.asarray(X[kept[:: max(1, kept.size // 128)][:128]], np.float64)
    if np.any(x_mean**2 > BENIGN * np.var(sample, axis=0)):
        return None
    G = None if row_grams is None else row_grams(X, rows)
    if G is None:
        G = X.T @ X if rows is None else _row_products(X, rows)
    G *= w
    G -= np.outer(x_mean, x_mean)
    return None if np.any(np.diag(G) * BENIGN < x_mean**2) else G


def _row_slices(n: int, p: int) -> list[slice]:
    """Slices of the ``n`` rows of an ``n × p`` X, :data:`GRAM_SLICE` entries each."""
    step = max(1, GRAM_SLICE // max(p, 1))
    return [slice(i, i + step) for i in range(0, n, step)]


def _sliced_mean(X, s, slices, fit_intercept: bool) -> np.ndarray:
    """``s @ X`` in float64 a slice of rows at a time (zeros without an intercept)."""
    x_mean = np.zeros(X.shape[1])
    if fit_intercept:
        for r in slices:
            x_mean += s[r] @ np.asarray(X[r], np.float64)
    return x_mean


def _gram_of(X, y, s, fit_intercept, scaled, row_grams=None):
    """``(x_mean, scale, nonzero, G, c)`` as :func:`center_scale` and
    :func:`l1jax.engine.gram` give them, without a centred copy of ``X``: with equal weights
    and modest means, one product of ``X`` itself, centred after (:func:`_uncentred_gram`; a
    fold's weights, equal or 0, or an X that BLAS would copy: the kept rows' products, a slice
    at a time; 10,000 × 500, a fold's: 34 ms against 74 ms centred); else its rows are centred
    (in float64) a slice at a time and their products summed. The
    column scales are then √diag(G) (the same weighted sums of squares), applied to ``G`` and
    ``c``: p × p work instead of n × p, and no second X in memory either way. (10,000 × 500, in
    a path: 39-44 ms by slices, 27 ms by one product.) ``row_grams``: see
    :func:`_uncentred_gram`."""
    n, p = X.shape
    slices = _row_slices(n, p)
    x_mean = _sliced_mean(X, s, slices, fit_intercept)
    y64 = np.asarray(y, np.float64)
    yc = y64 - (s @ y64 if fit_intercept else 0.0)
    sy = s * yc if yc.ndim == 1 else s[:, None] * yc
    kept = s > 0  # (a fold's or a subsample's rows; the others have weight 0)
    w = s[kept][0]
    equal = bool(np.all(s[kept] == w))
    uniform = equal and bool(kept.all())
    whole = _whole_for_blas(X)
    G = None
    if equal:  # (the whole X: BLAS copies none of it; else slices of the kept rows)
        G = _uncentred_gram(X, w, x_mean, None if whole and uniform else kept, row_grams)
    if G is not None:  # (Σ s (x − x̄) yc = Xᵀ S yc − x̄ Σ s yc: the second term is rounding)
        c = X.T @ sy if whole else sum(np.asarray(X[r], np.float64).T @ sy[r] for r in slices)
        c = c - (np.outer(x_mean, sy.sum(axis=0)) if yc.ndim == 2 else x_mean * sy.sum())
    else:
        G, c = np.zeros((p, p)), np.zeros((p, *y.shape[1:]))
        for r in slices:
            Xc = np.asarray(X[r], np.float64) - x_mean  # (a new array: the user's X stays)
            c += Xc.T @ sy[r]
            if not uniform:
                Xc *= np.sqrt(s[r])[:, None]
            G += Xc.T @ Xc
        if uniform:
            G *= w
    squares = np.diag(G).copy()
    if not scaled:
        return x_mean, np.ones(p), (squares > 0) & ~_flat(np, np.sqrt(squares), x_mean), G, c
    divisor, scale = _column_scales(np, squares, x_mean)
    inv = 1 / divisor
    with np.errstate(over="ignore", invalid="ignore"):  # (columns too small to scale, whose
        # inverse squared overflows: check_spread refuses them next)
        G *= inv[:, None] * inv[None, :]
        c *= inv[:, None] if c.ndim == 2 else inv
    return x_mean, scale, (inv > 0) & (squares > 0), G, c


GRAM_ACCURACY = 1e-3  # the share of tol that forming the Gram matrix may cost (gram_is_exact)


def gram_is_exact(X, sample_weight, penalty_factor, lambdas, fit_intercept, dtype, tol) -> bool:
    """Whether a squared-loss path may run on the Gram matrix with its free columns (those
    with ``penalty_factor`` 0, or every column when some λ is 0) as they are. The Gram matrix
    squares their condition number: forming it in ``dtype`` moves the free block's solution
    along its weakest direction by about ``ε · cond`` (cond of the free columns' correlation
    matrix, centred with the intercept), which costs about ``(ε · cond)²`` of the objective,
    relative to P_null, that no certificate on the Gram matrix can see (two free columns 1e-7
    apart: a gap of 1e-9 certified a suboptimality of 4e-5 in float64). Where that could pass
    :data:`GRAM_ACCURACY` · ``tol``, the path runs on ``X`` itself (whose solve sees the
    unsquared condition number). Only the free columns are read (``n × |free|``), and their
    standardized Gram matrix is :func:`_gram_of`'s."""
    n, p = X.shape
    s, v = weights(n, p, *(None if a is None else np.asarray(a, np.float64)
                           for a in (sample_weight, penalty_factor)))  # fmt: skip
    free = np.flatnonzero((v == 0) | bool(np.any(np.asarray(lambdas) == 0)))
    if free.size == 0:
        return True
    Xf = _host_columns(X, free)
    _, _, fitted, G, _ = _gram_of(Xf, np.zeros(n), s, fit_intercept, True)
    if not fitted.any():  # (constant columns are not fitted)
        return True
    ev = np.linalg.eigvalsh(G[np.ix_(fitted, fitted)])
    cond = ev[-1] / max(ev[0], ev[-1] * np.finfo(np.float64).eps)
    return bool((np.finfo(dtype).eps * cond) ** 2 <= GRAM_ACCURACY * tol)


GRAM_SOLUTION_ACCURACY = 0.1  # the share of tol that the Gram matrix's rounding may cost a
# solved path (gram_solution_is_exact): a tenth of tol where the measured costs were at most a
# third of (ε · cond)² (two lies: 4e-5 of 1.2e-4 in float64, 1e-5 of 5e-3 in float32)


def gram_solution_is_exact(G, coef, converged, lambdas, l1_ratio, v, dtype, tol) -> bool:
    """Whether a squared-loss path solved on the Gram matrix ``G`` (standardized, as the engine
    solved it) is certified by its Gram-form gaps, after the fact. Those gaps certify the
    problem that ``G`` as rounded poses; its solution moves from the data's by about
    ``ε · cond`` of the Hessian ``H = G_AA + λ (1 − ρ) V_A`` on the support ``A``, which costs
    ``(ε · cond)²`` of the objective that no Gram-form gap can see (:func:`gram_is_exact` checks
    the free columns before the solve; this checks what the solve made active). Penalized
    columns need it too: float32 pairs of columns 1e-3 apart with an intercept, elastic net at
    1e-7 λ_max, were certified at gaps of 4e-6 with errors of 1.4e-5 (``tol`` 1e-5); uncentred
    columns 100 σ from 0 without intercept, a ridge at 1e-4 λ_max, at 5e-5 with 6e-5 (1e-4).
    One Cholesky test bounds every converged λ's ``cond`` at once: ``A`` lies in the union ``U``
    of the converged supports and ``λ`` is at least the least converged ``λ``, so (interlacing)
    ``λ_min(H) ≥ λ_min(G_UU + λ_min (1 − ρ) V_U)`` and ``‖G_AA‖ ≤ ‖G_UU‖``, and
    ``(ε ‖G_UU‖ / λ_min)² ≤`` :data:`GRAM_SOLUTION_ACCURACY` · ``tol`` is asked. ``coef``
    ``(K, p)`` or ``(K, p, m)`` (standardized, as solved), ``converged`` ``(K,)``, ``lambdas``
    absolute, ``v`` ``(p,)`` the L2 part's factor of each column. Costs ``|U|³ / 3`` (5 ms
    at ``|U|`` = 500)."""
    B = np.asarray(coef)[np.asarray(converged)]
    if B.shape[0] == 0:
        return True
    U = np.flatnonzero(np.any(B.reshape(*B.shape[:2], -1) != 0, axis=(0, 2)))
    if U.size == 0:
        return True
    G_UU = np.asarray(_sharding.to_host(G), np.float64)[np.ix_(U, U)]
    if U.size <= 64:  # ‖G_UU‖ exactly (a small fit's 30 products and norms: 0.3 of its 1.8 ms)
        top_norm = float(np.max(np.abs(np.linalg.eigvalsh(G_UU))))
    else:  # power iteration (from below; a few % suffice here)
        top = np.random.default_rng(0).standard_normal(U.size)
        for _ in range(30):
            top = G_UU @ (top / np.linalg.norm(top))
        top_norm = float(np.linalg.norm(top))
    ridge = (1 - l1_ratio) * float(np.min(np.asarray(lambdas)[np.asarray(converged)]))
    floor = np.finfo(dtype).eps * top_norm / math.sqrt(GRAM_SOLUTION_ACCURACY * tol)
    H = G_UU + np.diag(ridge * np.asarray(v, np.float64)[U] - floor)
    try:
        np.linalg.cholesky(H)
    except np.linalg.LinAlgError:  # λ_min(H) < floor
        return False
    return True


def weights(n, p, sample_weight, penalty_factor):
    s = np.ones(n) if sample_weight is None else sample_weight.astype(np.float64)
    v = np.ones(p) if penalty_factor is None else penalty_factor.astype(np.float64)
    return s / s.sum(), v


FLOAT32_SPREAD = 1e-30  # the least spread of a float32 column that is not constant
FLOAT64_SPREAD = 1e-150  # the same in float64: its square above the least normal float64


def check_spread(scale, dtype, raw: bool = False) -> None:
    """Refuse float32 columns whose ``scale`` (their spread, where they are scaled; 1 for a
    constant one) is below :data:`FLOAT32_SPREAD`: their coefficient, about ``1 / scale``
    times a standardized one, would overflow float32 (values 1e-39 became an inf coefficient,
    certified with a NaN gap). ``raw`` (unstandardized columns, preconditioned: their L2
    factor is ``v / scale²``, :func:`_preconditioned`): below its square root. float64
    columns below :data:`FLOAT64_SPREAD`: their squares (Gram entries, curvatures) are
    subnormal, which XLA flushes to zero (a column of 1e-160 made every coefficient 0 with a
    non-finite iterate; a whole X of 1e-170 gave zeros without a warning)."""
    if np.dtype(dtype) == np.float32:
        floor, fix = (
            (math.sqrt(FLOAT32_SPREAD) if raw else FLOAT32_SPREAD),
            ", or pass X as float64",
        )
    elif np.dtype(dtype) == np.float64:
        floor, fix = FLOAT64_SPREAD, ""
    else:
        return
    small = np.flatnonzero(np.asarray(scale) < floor)
    if small.size:
        j = int(small[0])
        raise _too_small(j, float(np.asarray(scale)[j]), floor, np.dtype(dtype).name, fix)


def _too_small(j: int, spread: float, floor: float, dtype: str, fix: str = "") -> ValueError:
    return ValueError(
        f"X's column {j} has a spread of {spread:.3g} about its mean, below the {floor:g} that "
        f"{dtype} can fit; multiply the column by a power of ten (and its coefficient by the "
        f"same){fix}"
    )


ALIASED_MAX = 256  # unpenalized columns checked for exact collinearity (a QR of n × this many)
ALIASED_TOL = 1e-11  # residuals of unit columns below which a column is another's, to rounding


def _dependent(cols: np.ndarray, size: np.ndarray, eps: float) -> np.ndarray:
    """``(k,)`` bool: the unit columns of ``cols`` ``(m, k)`` that are, to rounding, linear
    combinations ``Σ c_i x_i`` of the columns before them that are not (Gram-Schmidt in their
    order, each projection done twice; on a QR's ``R``, whose columns have the relations of the
    data's, it costs ``k³``). Rounding: what storing them may leave, ``2 ε (size_j + Σ |c_i|
    size_i)`` (``size``: each column's stored size over its centred norm, ``ε`` the data's), at
    least :data:`ALIASED_TOL`: x0 + x1 beside an x0 of mean 1e6 rounds by 4e-11 of its centred
    norm (kept, it gave coefficients of 1e9), while a column independent of such an x0 stays
    (the sizes of all earlier columns left it out, the fit certified 0.99 off). A QR's own
    ``|R_jj|`` is not the test once a column is dependent: its rounding still takes a
    direction, which a later independent column then lacks (12 unpenalized columns of 10 rows,
    two of them copies: an independent one was left out, the fit 0.29 off, CONVERGED)."""
    import scipy.linalg  # (a dependency of jax's; imported here, where it is needed)

    basis = np.zeros((cols.shape[0], 0))
    T = np.zeros((0, 0))  # (the kept columns = basis @ T, T upper triangular)
    kept: list[int] = []
    dependent = np.zeros(cols.shape[1], bool)
    for j in range(cols.shape[1]):
        c, a = cols[:, j], np.zeros(len(kept))
        for _ in range(2):
            coords = basis.T @ c
            c, a = c - basis @ coords, a + coords
        norm = np.linalg.norm(c)
        combination = scipy.linalg.solve_triangular(T, a) if kept else a
        rounding = 2 * eps * (size[j] + np.abs(combination) @ size[kept])
        dependent[j] = norm < max(ALIASED_TOL, rounding)
        if not dependent[j]:
            basis = np.column_stack([basis, c / norm])
            T = np.block([[T, a[:, None]], [np.zeros((1, len(kept))), np.array([[norm]])]])
            kept.append(j)
    return dependent


def aliased_columns(X, sample_weight, penalty_factor, fit_intercept: bool,
                    nonzero=None) -> np.ndarray:  # fmt: skip
    """The indices of the unpenalized columns (``penalty_factor`` 0, among the ``nonzero``
    ones where given) that :func:`drop_aliased` leaves out: to rounding, linear combinations
    of the unpenalized columns before them and the intercept."""
    none = np.zeros(0, np.int64)
    if penalty_factor is None:
        return none
    free = np.asarray(penalty_factor) == 0
    free = np.flatnonzero(free if nonzero is None else np.asarray(nonzero) & free)
    if free.size == 0 or free.size > ALIASED_MAX or (free.size == 1 and not fit_intercept):
        return none
    cols = _host_columns(X, free)
    s = np.ones(cols.shape[0]) if sample_weight is None else np.asarray(sample_weight, np.float64)
    s = s / s.sum()
    raw = np.sqrt(s @ np.square(cols))  # (the size of what is stored)
    if fit_intercept:
        cols = cols - s @ cols
    cols = np.sqrt(s)[:, None] * cols
    norms = np.linalg.norm(cols, axis=0)
    varies = norms > 0  # (constant columns are the caller's: zero columns already)
    free, cols, raw, norms = free[varies], cols[:, varies], raw[varies], norms[varies]
    if free.size == 0:
        return none
    R = np.linalg.qr(cols / norms, mode="r")  # (min(n, k), k): the columns' relations
    # To the rounding of X's own dtype (x0 + x1 stored in float32 left a residual of 2.3e-8,
    # and every λ came back UNBOUNDED, coefficients of 1e6), relative to what is stored
    stored = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64
    aliased = free[_dependent(R, np.maximum(raw / norms, 1), float(np.finfo(stored).eps))]
    return aliased


def drop_aliased(prep: Prepared, X, sample_weight, penalty_factor, fit_intercept: bool,
                 positive: bool = False) -> Prepared:  # fmt: skip
    """``prep`` with the unpenalized columns that are, to rounding, linear combinations of the
    other unpenalized ones and the intercept marked as zero columns (coefficient 0: R's ``lm``
    reports them ``NA``). One-hot columns of every level with an intercept, or a column given
    twice, span the same fits as the rest: the minimum is the same, only the split among them is
    free, and the engine's Newton steps on the unpenalized block divided the rounding left in
    that block's null space by a curvature of rounding's size (coefficients of ±1e16, every λ
    UNBOUNDED or unconverged). Found by Gram-Schmidt on the block's weighted, centred, unit
    columns in their order (float64, :func:`_dependent`): a residual below
    :data:`ALIASED_TOL` leaves column ``j`` out, the later of the columns it repeats, as R's
    ``lm`` (its standardized data zeroed too, so that a group that holds it fits without it).
    ``penalty_factor``: one per column (a group's for each of its columns). With ``positive``
    such columns are refused by name: under ``β ≥ 0`` they span a cone, which leaving one out
    changes (every level of a one-hot encoding with an intercept: FISTA stalled at a gap of
    0.68). Up to :data:`ALIASED_MAX` such columns (more are left as they are); columns
    near-collinear but not to rounding (1e-7 apart) are kept, as the solvers certify those."""
    if penalty_factor is None:
        return prep
    aliased = aliased_columns(X, sample_weight, penalty_factor, fit_intercept, prep.nonzero)
    if aliased.size == 0:
        return prep
    if positive:
        raise ValueError(
            f"columns {aliased.tolist()} of X are unpenalized (penalty_factor 0) and, to "
            f"rounding, linear combinations of the unpenalized columns before them"
            f"{' and the intercept' if fit_intercept else ''} (e.g. every level of a one-hot "
            "encoding); with positive=True they cannot be left out: drop them (e.g. one level), "
            "or give them a penalty_factor > 0"
        )
    nonzero = np.array(prep.nonzero, copy=True)
    nonzero[aliased] = False
    Xs, gram = prep.X, prep.gram
    if isinstance(Xs, np.ndarray):  # (prepare's own standardized copy)
        Xs[:, aliased] = 0
    elif isinstance(Xs, jax.Array):
        Xs = Xs.at[:, aliased].set(0)
    if gram is not None:
        G, c = np.array(gram[0], copy=True), np.array(gram[1], copy=True)
        G[aliased, :], G[:, aliased], c[aliased] = 0, 0, 0
        gram = (G, c)
    return prep._replace(X=Xs, nonzero=nonzero, gram=gram)


def _host_columns(X, cols, rows=None) -> np.ndarray:
    """Columns ``cols`` of ``X`` (dense, SciPy sparse or a ``jax.Array``) as a float64 array;
    only the ``rows`` (indices) given."""
    if rows is not None:
        X = X[rows]
    if _sparse.is_scipy_sparse(X) and X.format == "csc" and len(cols) == 1:  # (SciPy's own
        # indexing: 60 µs a column, 3 s for the parts of 50,000 columns)
        part = slice(X.indptr[cols[0]], X.indptr[cols[0] + 1])
        column = np.zeros((X.shape[0], 1))
        np.add.at(column[:, 0], X.indices[part], X.data[part])  # (duplicates summed, as SciPy)
        return column
    if _sparse.is_scipy_sparse(X):
        return np.asarray(X[:, cols].toarray(), np.float64)
    return np.asarray(_sharding.to_host(X[:, cols]) if isinstance(X, jax.Array) else X[:, cols],
                      np.float64)  # fmt: skip


def check_tiny_columns(X, nonzero) -> None:
    """Refuse columns taken for constant (``nonzero`` False) whose entries are all below
    :data:`FLOAT64_SPREAD` in magnitude yet not all equal: their sums of squares underflowed
    float64 to 0, so they were dropped as constant (a whole X of 1e-170: every coefficient 0,
    certified as optimal, where y was 3 X₀ × 1e170). The message is :func:`check_spread`'s.
    Only the largest magnitudes of those columns are read first (a sparse X's stored entries)."""
    cols = np.flatnonzero(~np.asarray(nonzero, bool))
    if cols.size == 0:
        return
    if _sparse.is_scipy_sparse(X):
        top = np.asarray(abs(X[:, cols]).max(axis=0).toarray()).ravel()
    elif isinstance(X, jax.Array):  # (read on the host, 256 columns at a time: the device's
        # arithmetic flushes subnormal entries to 0, which hid a column of 1e-310)
        top = np.concatenate([np.max(np.abs(_host_columns(X, cols[i : i + 256])), axis=0,
                                     initial=0) for i in range(0, cols.size, 256)])  # fmt: skip
    else:
        top = np.max(np.abs(np.asarray(X)[:, cols]), axis=0, initial=0)
    small = cols[(top > 0) & (top < FLOAT64_SPREAD)]
    if small.size == 0:
        return
    c = _host_columns(X, small)
    varies = np.flatnonzero(np.any(c != c[:1], axis=0))
    if varies.size:
        i = varies[0]
        spread = float(np.max(np.abs(c[:, i] - c[:, i].mean())))
        raise _too_small(int(small[i]), spread, FLOAT64_SPREAD, "float64")


SEPARATION_SIZE = 60_000  # distinct rows × columns of the unpenalized block up to which it is
# checked, each of all rows and a cross-validation's folds (its linear program, logistic and
# Poisson: 0.09 s at 19,000 × 6, 0.12 and 0.57 s at 4,000 × 51; a Poisson cv_path of 2,300 rows
# × 51 free columns and 10 folds spent 2.7-6.3 s in them at 120,000; SciPy's import once, 0.3 s)
SEPARATION_ROWS = 8 * SEPARATION_SIZE  # rows × columns of the block beyond which its distinct
# rows are first counted by a hash, column by column (the float64 copy, centring and sort of
# the block cost 0.9 s at 20,000 × 251 and 12 s at 200,000 × 251 before the distinct rows were
# found too many; a block of few distinct rows, unpenalized dummies on 100,000 rows, is checked)


def check_separation(X, y, sample_weight, factors, loss: str, fit_intercept: bool,
                     positive: bool, held=None) -> None:  # fmt: skip
    """Refuse logistic or Poisson data on which the unpenalized block (the intercept and the
    columns of ``factors`` 0) has no finite minimizer: classes that it separates, or samples of
    ``y`` 0 to which it can fit a mean of 0. Then no λ has a minimizer (along that direction
    the loss falls for ever, the penalty unchanged); the engine's Newton steps on the block
    either ran out (status UNBOUNDED) or stopped where the loss was flat to rounding
    (CONVERGED, with coefficients of 13-61 that mean nothing), from one λ to the next, and in
    float32 never flagged. Decided exactly by a linear program (SciPy's HiGHS) on the distinct
    rows of the block, up to :data:`SEPARATION_SIZE` entries (more: the part of its columns of
    few values, or each of them, :func:`_separation_of_parts`; the rest is left to the engine's
    statuses), in float64, the direction it finds checked to rounding. ``held`` ``(F, n)``:
    also the training rows of each fold (a cross-validation's), after all rows."""
    if loss not in ("logistic", "poisson") or factors is None:
        return
    v = floats(factors)
    if v is None or v.shape != (X.shape[1],):
        return  # (path names the problem)
    free = np.flatnonzero(v == 0)
    f = _separation(X, y, sample_weight, free, loss, fit_intercept, positive, held)
    if f is False:
        return
    names = f"the unpenalized column{'s' * (free.size > 1)} {free.tolist()} of X"
    names += f" (penalty_factor 0){' and the intercept' if fit_intercept else ''}"
    one = free.size == 1 and not fit_intercept
    what = (f"separate{'s' * one} the classes of y" if loss == "logistic" else
            "can fit a mean of 0 to samples whose y are all 0")  # fmt: skip
    where = "" if f is None else f" in the training rows of fold {f}"
    fix = "" if f is None else ", or use other fold_ids"
    raise ValueError(
        f"{names} {what}{where}: the {loss} fit has no finite minimizer at any λ (the "
        f"coefficients grow without bound); give {'it' if free.size == 1 else 'them'} a "
        f"penalty_factor > 0 or leave {'it' if free.size == 1 else 'them'} out{fix}"
    )


def separated_at_zero(X, y, sample_weight, loss: str, fit_intercept: bool,
                      positive: bool) -> bool:  # fmt: skip
    """Whether a logistic or Poisson fit at λ = 0, where every column is unpenalized, has no
    finite minimizer (:func:`check_separation`'s test on all the columns; beyond
    :data:`ALIASED_MAX` of them, on their parts): its Poisson fit stopped where the loss was
    flat to rounding, CONVERGED with a coefficient of −33 for a mean of 0 that no finite one
    reaches."""
    if loss not in ("logistic", "poisson"):
        return False
    free = np.arange(X.shape[1])
    return _separation(X, y, sample_weight, free, loss, fit_intercept, positive) is not False


def _separation(X, y, sample_weight, free, loss, fit_intercept, positive, held=None):
    """The rows on which the intercept and the columns ``free`` of ``X`` have no finite
    minimizer (:func:`_separated`): None for all rows, else the first fold (of ``held``) whose
    training rows; False for none (or not checked: too many columns, bad input)."""
    y = floats(y)
    s = floats(np.ones(X.shape[0]) if sample_weight is None else sample_weight)
    if y is None or s is None or s.shape != y.shape:
        return False  # (path names the problem)
    if free.size == 0:
        return False
    k = free.size + bool(fit_intercept)
    large = np.count_nonzero(s > 0) * k > SEPARATION_ROWS
    if (large or free.size > ALIASED_MAX) and _sparse.is_scipy_sparse(X) and X.format != "csc":
        X = X.tocsc()  # (read column by column below: a CSR's columns 10 ms each at 200,000 rows)
    # One program for the block, unless its columns are too many (a dummy's separation was
    # certified beside 257 columns) or its distinct rows (as _separated would find: its rows,
    # signed or split by y, are no fewer): then its parts.
    whole = free.size <= ALIASED_MAX and (
        not large or _distinct_rows(X, free, s > 0) * k <= SEPARATION_SIZE
    )
    if whole:
        A = _host_columns(X, free)
        if fit_intercept:  # (centred: the same directions, without an offset of 1e8 whose
            # rounding hid margins of 0.01 in the check of the answer)
            A = np.c_[np.ones(A.shape[0]), A - np.mean(A, axis=0)]
        folds = [None] if held is None else [None, *range(held.shape[0])]
        for f in folds:
            rows = (s > 0) if f is None else (s > 0) & ~held[f]
            separated = _separated(A[rows], y[rows], loss, positive, fit_intercept)
            if separated is None:
                break
            if separated:
                return f
        else:
            return False
    return _separation_of_parts(X, y, s, free, loss, fit_intercept, positive, held)


FEW_VALUES = 32  # distinct values of a column (a dummy, a code) that a too-large block's parts
# are made of (:func:`_separation_of_parts`)


def _separation_of_parts(X, y, s, free, loss, fit_intercept, positive, held):
    """:func:`_separation` of a block with too many distinct rows, on its parts whose rows are
    few: the columns of ``free`` with at most :data:`FEW_VALUES` distinct values together, or
    else one by one. A part that has no finite minimizer (the other coefficients held at 0) is
    a block that has none: at λ = 0, a dummy on rows of y = 0 beside one continuous column on
    25,000 rows was CONVERGED with a Poisson coefficient of −35 (the block was not checked). A
    separation only by several columns of many values is left to the engine's statuses. The
    few-valued columns are told by their first rows (read at once), each part's rows are its
    distinct rows and classes of y, counted (no sort of the block), and one column's linear
    program is run only where its values by class allow a separation. ``y`` and the weights
    ``s`` as :func:`_separation` read them (float arrays)."""
    weighted, positives = s > 0, (y > 0).astype(np.int64)
    if not weighted.any():
        return False
    top = X[np.flatnonzero(weighted)[: 8 * FEW_VALUES]]  # (the first rows, all columns)
    singles = []  # (columns, each row's code: rows of a code are the same on the columns)
    for chunk in np.split(free, range(1024, free.size, 1024)):  # (1,024 columns at a time)
        for j, first_rows in zip(chunk, _host_columns(top, chunk).T, strict=True):
            values = np.unique(first_rows)  # (a continuous column: told by its first rows)
            if values.size > FEW_VALUES:
                continue
            column = _host_columns(X, [j])[:, 0]
            column = np.where(weighted, column, first_rows[0])  # (rows of weight 0: any)
            code = np.minimum(np.searchsorted(values, column), values.size - 1)
            if not np.array_equal(values[code], column):  # (values past the first rows: a
                # dummy 0 on them, sorted data, was left out)
                values, code = np.unique(column, return_inverse=True)
                if values.size > FEW_VALUES:
                    continue
            singles.append((np.array([j]), code.reshape(-1), values))
    # (rows counted by the code of their values and class of y: of weight 0, out of each fold)
    rows = np.flatnonzero(weighted), np.flatnonzero(~weighted), \
        [] if held is None else [np.flatnonzero(h & weighted) for h in held]  # fmt: skip
    options = dict(loss=loss, fit_intercept=fit_intercept, positive=positive)
    if 1 < len(singles) < free.size:  # (all of the few-valued columns together first)
        code, size = np.zeros(X.shape[0], np.int64), SEPARATION_SIZE // (len(singles) + 1)
        for _, c, _ in singles:
            code = np.unique(code * (FEW_VALUES + 1) + c, return_inverse=True)[1]
            if code.max() >= size:
                break
        else:
            cols = np.concatenate([cols for cols, _, _ in singles])
            f = _part_separation(X, cols, code, None, positives, rows, **options)
            if f is not None:  # (None: too many rows for the program after all)
                return f
    for cols, code, values in singles:
        f = _part_separation(X, cols, code, values, positives, rows, **options)
        if f is not False:
            return f
    return False


def _part_separation(X, cols, code, values, positives, rows, *, loss, fit_intercept, positive):
    """:func:`_separation_of_parts`'s test of one part, the columns ``cols`` whose rows have the
    ``code`` of their values (one column's ``values``, else None: read), on ``rows``, the
    indices of the rows of weight > 0, of weight 0, and held out of each fold: None for all
    rows, the first fold whose training rows, False for none; None also, for a part of several
    columns, when its rows are too many."""
    weighted, zero, held = rows
    k = 2 * (code.max() + 1)
    key = 2 * code + positives
    total = np.bincount(key, minlength=k) - np.bincount(key[zero], minlength=k)
    if values is None:
        first = np.zeros(k // 2, np.int64)
        first[code[weighted]] = weighted  # (a row of each code: one of weight > 0, whose
        values = _host_columns(X, cols, first)  # values are its code's)
    A = values.reshape(k // 2, cols.size)
    if fit_intercept:
        A = np.c_[np.ones(A.shape[0]), A - np.mean(A, axis=0)]
    for f in [None, *range(len(held))]:
        counts = total if f is None else total - np.bincount(key[held[f]], minlength=k)
        seen = np.flatnonzero(counts)
        if cols.size == 1 and not _may_separate(seen // 2, seen % 2, loss):
            continue
        separated = _separated(A[seen // 2], seen % 2, loss, positive, fit_intercept)
        if separated is None:
            return None
        if separated:
            return f
    return False


def _may_separate(codes, classes, loss: str) -> bool:
    """Whether one column whose values, in order, have the ``codes`` seen with the ``classes``
    (y > 0 or not) may separate them, with the intercept or without: a logistic y's classes
    must take values on either side of a threshold (ties at it only), a Poisson y's positive
    counts one value (where the fitted mean is not 0). Else no linear program is run."""
    one, other = codes[classes == 1], codes[classes == 0]
    if loss == "poisson":
        return one.size <= 1
    if one.size == 0 or other.size == 0:
        return True
    return bool(one.min() >= other.max() or other.min() >= one.max())


def _distinct_rows(X, free, rows) -> int:
    """How many distinct rows the columns ``free`` of ``X`` have on ``rows`` (bool), by an
    exact hash of their float64 bits taken column by column (no copy of the block; a collision
    only undercounts, which leaves the decision to :func:`_separated`'s own count)."""
    h = np.zeros(np.count_nonzero(rows), np.uint64)
    for j in free:
        bits = (_host_columns(X, [j])[rows, 0] + 0.0).view(np.uint64)  # (+ 0.0: −0.0 is 0.0)
        # (its high half folded into the low: small integers' bits are all high, and 250
        # columns of 0 and 1 hashed to 4,069 values for 20,000 distinct rows)
        h = (h * np.uint64(1099511628211)) ^ bits ^ (bits >> np.uint64(32))
    return np.unique(h).size


def _unique_rows(A) -> np.ndarray:
    """The distinct rows of ``A``, by a sort on its columns (``np.unique(A, axis=0)`` compares
    rows as bytes: 14× slower on 200,000 × 2)."""
    A = A[np.lexsort(A.T[::-1])]
    return A[np.r_[True, np.any(A[1:] != A[:-1], axis=1)]] if A.shape[0] else A


def _separated(A, y, loss: str, positive: bool, intercept: bool) -> bool | None:
    """Whether a direction ``d`` of the block ``A`` (rows: samples) lowers the loss for ever:
    logistic, margins ``±A d`` (+ for y = 1) all ≥ 0 and not all 0; Poisson, ``A d`` 0 on the
    samples with y > 0 and ≤ 0, not all 0, on those with y = 0. Found by a linear program, its
    answer checked in float64 (a margin below 0 beyond rounding is a finite minimizer). None:
    not checked, the distinct rows too many (:data:`SEPARATION_SIZE`)."""
    if loss == "logistic":
        keep, zero = _unique_rows(np.where(y[:, None] > 0, A, -A)), np.empty((0, A.shape[1]))
    else:
        keep, zero = _unique_rows(-A[y == 0]), _unique_rows(A[y > 0])
    if (keep.shape[0] + zero.shape[0]) * A.shape[1] > SEPARATION_SIZE:
        return None
    if keep.shape[0] == 0:
        return False
    scale = np.max(np.abs(np.r_[keep, zero]), axis=0)
    scale = np.where(scale > 0, scale, 1)
    keep, zero = keep / scale, zero / scale
    from scipy.optimize import linprog

    k = A.shape[1]
    bounds = [(None, None)] * k
    if positive:  # (the block's columns only move up; the intercept either way)
        bounds = bounds[:1] + [(0, None)] * (k - 1) if intercept else [(0, None)] * k
    lp = linprog(np.zeros(k), A_ub=np.r_[-keep, -keep.sum(0, keepdims=True)],
                 b_ub=np.r_[np.zeros(keep.shape[0]), -1.0],
                 A_eq=zero if zero.shape[0] else None,
                 b_eq=np.zeros(zero.shape[0]) if zero.shape[0] else None,
                 bounds=bounds, method="highs")  # fmt: skip
    if lp.status != 0:
        return False
    d = lp.x
    if zero.shape[0]:  # (onto the null space of the rows held at 0: HiGHS's own residual, 4e-16,
        # failed the check below, and a Poisson dummy on rows of y = 0 went unseen, 1 in 5; a
        # direction the projection takes most of was none, its rest rounding)
        moved = np.linalg.lstsq(zero, zero @ d, rcond=None)[0]
        if np.linalg.norm(moved) > 0.5 * np.linalg.norm(d):
            return False
        d = d - moved
    eps = np.finfo(np.float64).eps
    m, noise = keep @ d, 64 * eps * (np.abs(keep) @ np.abs(d))
    held_zero = np.all(np.abs(zero @ d) <= 64 * eps * (np.abs(zero) @ np.abs(d)))
    return bool(held_zero and np.all(m >= -noise) and np.any(m > 64 * noise))


def _preconditioned(v, scale, standardize, precondition, dtype):
    """The penalty factors of the L1 and L2 parts, ``(v, v2)``, on scaled columns: with
    ``standardize=False``, ``precondition`` scales the columns all the same, and ``β_j =
    β̃_j / σ_j`` moves ``σ_j`` into the penalty factors (``v / σ`` for ``|β_j|``, ``v / σ²``
    for ``β_j²``), an exact change of variables (the same solution, λ_max, duality gap and KKT
    conditions) that makes first-order steps as well conditioned as on standardized data
    (columns whose scales span decades, as word counts do, otherwise take 10× more iterations;
    an elastic net with one column 10⁴ times the others' scale: unconverged after 80,000). ``v2``
    is None when it equals ``v``; both in ``dtype``. Every route of :func:`prepare` comes here,
    so columns float32 cannot fit are refused here (:func:`check_spread`)."""
    check_spread(scale, dtype, precondition and not standardize)
    if not precondition or standardize:
        return v.astype(dtype), None
    return (v / scale).astype(dtype), (v / np.square(scale)).astype(dtype)


def group_preconditioned(prep: Prepared, codes: np.ndarray, factors: np.ndarray,
                         standardize: bool) -> Prepared:  # fmt: skip
    """A group penalty's :class:`Prepared`, one factor per group (``v`` ``(q,)``, ``factors``),
    from :func:`prepare`'s with ``precondition`` (columns scaled one by one; ``codes``: the group
    of each column). Standardized, the factors as given. Else the columns of a group ``g`` share
    one scale ``c_g``, the root mean square of their spreads (a group's norm mixes its columns:
    one scale for all of them is an exact change of variables, β_g = β̃_g / c_g, with factors
    ``v_g / c_g`` for ``‖β_g‖₂`` and ``v_g / c_g²`` for ``‖β_g‖²``, as :func:`_preconditioned`'s
    for one column). Groups of columns of similar scales, and singletons, are then as well
    conditioned as standardized ones: float32, columns of 1000 and 1, stalled at gaps of 0.2."""
    dtype = prep.y.dtype
    if standardize:
        return prep._replace(v=factors.astype(dtype), v2=None)
    q = factors.shape[0]
    sigma = np.asarray(prep.x_scale, np.float64)
    kept = prep.nonzero.astype(np.float64)  # (a constant column: scale 1, all zeros)
    squares = np.bincount(codes, weights=kept * np.square(sigma), minlength=q)
    count = np.bincount(codes, weights=kept, minlength=q)
    c = np.where(count > 0, np.sqrt(squares / np.maximum(count, 1)), 1.0)
    return _rescaled(prep, c[codes], factors, c)


def _rescaled(prep: Prepared, scale: np.ndarray, factors: np.ndarray, unit) -> Prepared:
    """``prep``'s columns, each divided by its own spread (:func:`prepare` with
    ``precondition``), divided by ``scale`` ``(p,)`` instead, and the penalty ``factors`` (one
    per column or group) of the coefficients in ``unit`` (``β = β̃ / unit``: ``v / unit`` for
    the L1 part, ``v / unit²`` for the L2 part; ``unit`` the scale of each factor's columns)."""
    dtype = prep.y.dtype
    r = np.asarray(prep.x_scale, np.float64) / scale  # each X̃ column times r
    X = None if prep.X is None else prep.X * r.astype(dtype)
    gram = prep.gram
    if gram is not None:
        G, cy = gram
        gram = ((G * np.outer(r, r)).astype(dtype), (cy * r).astype(dtype))
    return prep._replace(X=X, gram=gram, x_scale=scale, v=(factors / unit).astype(dtype),
                         v2=(factors / np.square(unit)).astype(dtype))  # fmt: skip


UNIT_RANGE = (1e-2, 1e2)  # column units that a GLM on raw columns is solved in as they are


def common_unit(X, s, fit_intercept) -> float | None:
    """The geometric mean of the weighted spreads of ``X``'s columns (NumPy, dense; ``s``
    normalized weights; uncentred without an intercept, as :func:`center_scale`) when it lies
    outside :data:`UNIT_RANGE`, else None. A logistic or Poisson path on raw columns (not
    preconditioned column by column: its Newton steps stalled on scaled columns near
    separation) is then solved in that unit (:func:`uniformly_preconditioned`): in float32,
    columns all in units of 1e-4 (or 1e4) left 91 of 92 λs unconverged at gaps of 0.33, their
    coefficients 1e4 times the intercept's size."""
    Xf = np.asarray(X, np.float64)
    squares = np.einsum("i,ij,ij->j", s, Xf, Xf)
    if fit_intercept:
        squares = squares - np.square(s @ Xf)  # (a rough spread suffices for a unit)
    spread = np.sqrt(np.maximum(squares, 0))
    spread = spread[spread > 0]
    if spread.size == 0:
        return None
    unit = float(np.exp(np.mean(np.log(spread))))
    return None if UNIT_RANGE[0] <= unit <= UNIT_RANGE[1] else unit


def uniformly_preconditioned(prep: Prepared, factors: np.ndarray, unit: float) -> Prepared:
    """:func:`prepare`'s with ``precondition`` (columns scaled one by one) with every column
    divided by ``unit`` instead (:func:`common_unit`): β = β̃ / unit moves into the penalty
    factors (``v / unit``, ``v / unit²``), an exact change of variables that keeps the raw
    columns' relative scales."""
    return _rescaled(prep, np.full(prep.x_scale.shape, unit), factors, unit)


def prepare(X, y, sample_weight, penalty_factor, *, fit_intercept, standardize, dtype,
            precondition=False, gram=False, row_grams=None):  # fmt: skip
    """Standardized data on the host (float64 arithmetic, then ``dtype``): :class:`Prepared`.
    A sparse ``X`` (SciPy CSC, from :func:`check_path`) is standardized implicitly and stays
    sparse (:class:`l1jax._sparse.SparseX`). ``precondition``: see :func:`_preconditioned`.
    ``gram`` (a dense X): only its Gram matrix and ``Xᵀ S (y − ȳ)`` (:func:`_gram_of`), in
    :attr:`Prepared.gram`, and no standardized X; ``row_grams`` (a :class:`RowGrams` of ``X``)
    gives its product."""
    s, v = weights(*X.shape, sample_weight, penalty_factor)
    scaled = standardize or precondition
    if gram and not _sparse.is_scipy_sparse(X):
        x_mean, scale, nonzero, G, c = _gram_of(X, y, s, fit_intercept, scaled, row_grams)
        v, v2 = _preconditioned(v, scale, standardize, precondition, dtype)
        return Prepared(None, y.astype(dtype), s.astype(dtype), v, x_mean, scale, nonzero,
                        (G.astype(dtype), c.astype(dtype)), v2)  # fmt: skip
    if _sparse.is_scipy_sparse(X):
        Xs, x_mean, scale, nonzero = _sparse.prepare(
            X, s, fit_intercept=fit_intercept, standardize=scaled
        )
        v, v2 = _preconditioned(v, scale, standardize, precondition, dtype)
        return Prepared(Xs, y.astype(dtype), s.astype(dtype), v, x_mean, scale, nonzero,
                        v2=v2)  # fmt: skip
    Xc, x_mean, scale, nonzero = _standardized(X, s, fit_intercept, scaled, dtype)
    v, v2 = _preconditioned(v, scale, standardize, precondition, dtype)
    return Prepared(Xc, y.astype(dtype), s.astype(dtype), v, x_mean, scale, nonzero, v2=v2)


def _standardized(X, s, fit_intercept, scaled, dtype):
    """``(X̃, x_mean, scale, nonzero)``: :func:`center_scale` of a dense NumPy ``X`` in float64,
    ``X̃`` a new array of ``dtype``. A float64 ``X`` solved in float64 is centred whole (its one
    working copy is ``X̃``); any other a slice of :data:`GRAM_SLICE` entries at a time, never
    copied whole to float64 (a float32 X took 5 of its sizes more: its float64 copy, that copy
    centred, then ``X̃``): slices of whole columns of an F-ordered ``X``, else of rows (its
    means, then its sums of squares, then ``X̃``: slices of columns read a C-ordered X once
    each, 2× slower on 200,000 × 100; slices of rows read an F-ordered one thrice, 2.6× slower
    on 2,000 × 20,000)."""
    if X.dtype == np.float64 and np.dtype(dtype) == np.float64:
        Xc, x_mean, scale = center_scale(np, X, s, fit_intercept, scaled)  # (X is not written)
        return Xc, x_mean, scale, np.any(Xc != 0, axis=0)
    n, p = X.shape
    if X.flags.f_contiguous:  # (its columns whole: center_scale of a slice of them at a time)
        out, x_mean, scale = np.empty((n, p), dtype, "F"), np.empty(p), np.empty(p)
        nonzero = np.empty(p, bool)
        width = max(1, GRAM_SLICE // n)
        for j in range(0, p, width):
            cols = slice(j, j + width)
            Xc, x_mean[cols], scale[cols] = center_scale(
                np, np.asarray(X[:, cols], np.float64), s, fit_intercept, scaled
            )  # fmt: skip
            out[:, cols], nonzero[cols] = Xc, np.any(Xc != 0, axis=0)
        return out, x_mean, scale, nonzero
    slices = _row_slices(n, p)
    x_mean = _sliced_mean(X, s, slices, fit_intercept)

    def centred(r):  # (rows of weight 0 are 0, as center_scale makes them, before any square)
        Xc = np.asarray(X[r], np.float64) - x_mean
        Xc[s[r] == 0] = 0.0
        return Xc

    squares = sum((_weighted_squares(np, s[r], centred(r)) for r in slices), np.zeros(p))
    if scaled:
        divisor, scale = _column_scales(np, squares, x_mean)
    else:  # (a column constant up to its centring's rounding is 0, as center_scale has it)
        flat = _flat(np, np.sqrt(squares), x_mean) if fit_intercept else np.zeros(p, bool)
        divisor, scale = np.where(flat, np.inf, 1.0), np.ones(p)
    out = np.empty((n, p), dtype)
    nonzero = np.zeros(p, bool)
    for r in slices:
        Xc = centred(r)
        Xc /= divisor
        out[r] = Xc
        nonzero |= np.any(Xc != 0, axis=0)
    return out, x_mean, scale, nonzero


@functools.partial(jit, static_argnames=("fit_intercept", "standardize", "rows"))
@highest
def prepare_rows(X, s, *, fit_intercept, standardize, rows):
    """:func:`center_scale` on the devices that hold the rows of ``X``: a row-sharded ``X`` is
    never gathered. ``s`` may be longer than ``X`` (rows of zero weight that pad the samples to
    whole shards): ``X`` gets zero rows to match. The result is laid out as ``rows`` (a
    ``NamedSharding``, or None). Also returns whether the input is finite."""
    finite = jnp.all(jnp.isfinite(X))
    n = X.shape[0]
    X = jnp.pad(X.astype(s.dtype), ((0, s.shape[0] - n), (0, 0)))
    Xc, x_mean, scale = center_scale(jnp, X, s, fit_intercept, standardize)
    Xc = jnp.where((jnp.arange(s.shape[0]) < n)[:, None], Xc, 0)  # the padding stays zero
    if rows is not None:
        Xc = jax.lax.with_sharding_constraint(Xc, rows)
    return Xc, x_mean, scale, jnp.any(Xc != 0, axis=0), finite


def prepare_on_devices(X, y, sample_weight, penalty_factor, place, *,
                        fit_intercept, standardize, dtype, precondition=False):  # fmt: skip
    """:func:`prepare` for ``X`` given as a ``jax.Array`` (e.g. row-sharded over ``"data"``):
    the standardized ``X`` stays on the devices, padded to whole ``"data"`` shards, and only
    p-vectors come back to the host."""
    n, p = X.shape
    s, v = weights(n, p, sample_weight, penalty_factor)
    pad = -n % place.n_data
    s_pad = np.concatenate([s, np.zeros(pad)]).astype(dtype)
    rows = place.sharding(place.data, None)
    if rows is not None:  # device to device: each device receives its rows (if need be)
        if pad:  # on the devices X is on now (a row-sharded X has no pad): shards divide evenly
            X = jnp.pad(X, ((0, pad), (0, 0)))
        X = jax.device_put(X, rows)
    Xc, x_mean, scale, nonzero, finite = prepare_rows(
        X, place.rows(s_pad), fit_intercept=fit_intercept, standardize=standardize or precondition,
        rows=rows,
    )  # fmt: skip
    x_mean, scale, nonzero, finite = (place.fetch(a) for a in (x_mean, scale, nonzero, finite))
    if not finite:
        raise ValueError("X contains NaN or inf; remove or impute those entries")
    v, v2 = _preconditioned(v, scale.astype(np.float64), standardize, precondition, dtype)
    return Prepared(
        Xc, y.astype(dtype), s.astype(dtype), v,
        x_mean.astype(np.float64), scale.astype(np.float64), nonzero, v2=v2,
    )  # fmt: skip


def mesh_of(X: jax.Array, mesh):
    """The mesh for an ``X`` given as a ``jax.Array``: ``mesh`` when given (``X`` is moved to
    its ``"data"`` rows, device to device), else the mesh ``X`` is sharded on."""
    if mesh is not None or len(X.sharding.device_set) == 1:
        return mesh
    if isinstance(X.sharding, jax.sharding.NamedSharding):
        names = X.sharding.mesh.axis_names
        if all(a in _sharding.AXES for a in names):
            return X.sharding.mesh
    raise ValueError(
        f"X is a jax.Array sharded over {len(X.sharding.device_set)} devices but mesh is None "
        "and X's sharding names no mesh axes 'lambdas'/'data'; pass mesh= (e.g. "
        "jax.make_mesh((n_devices,), ('data',))) to say how to split the rows"
    )


def check_int(value, name: str, low: int, high: int | None = None, what: str = "") -> int:
    """``value`` as an int in ``[low, high]``, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        where = f">= {low}" if high is None else f"between {low} and {high}"
        where += f" ({what})" if what and high is not None else ""
        raise ValueError(f"{name} must be {where}, got {value}")
    return int(value)


def check_flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_loss(loss, multinomial: bool = False) -> str:
    """``loss`` as a name of :data:`l1jax.losses.LOSSES` (or ``"multinomial"`` where the caller
    fits it: ``multinomial``), or raise."""
    names = LOSSES + (MULTINOMIAL,) if multinomial else LOSSES
    if not isinstance(loss, str):
        raise TypeError(f"loss must be a string, one of {names}, got {type(loss).__name__}")
    # (glmnet's family names, scikit-learn's, or a name in other case or with spaces)
    word = loss.strip().lower()
    if word in (MULTINOMIAL, "mgaussian") and not multinomial:  # (where a 2-D y is refused)
        what = "loss='multinomial'" if word == MULTINOMIAL else "glmnet's mgaussian (loss=" \
            "'squared' with a 2-D y)"  # fmt: skip
        raise ValueError(f"{what} is fitted by l1jax.path and l1jax.cv_path only (not yet "
                         f"here); use one of them, or one of {LOSSES}, got {loss!r}")  # fmt: skip
    if loss not in names:
        meant = {"gaussian": "squared", "mgaussian": "squared", "binomial": "logistic",
                 "squared_error": "squared", "log_loss": "logistic"}.get(word, word)  # fmt: skip
        hint = ""
        if meant in names and meant != loss:
            hint = f" (did you mean {meant!r}{' with a 2-D y' if word == 'mgaussian' else ''}?)"
        raise ValueError(f"loss must be one of {names}, got {loss!r}{hint}")
    return loss


class PathArgs(NamedTuple):
    """The checked arguments of a path (:func:`check_path`)."""

    X: np.ndarray | jax.Array  # a jax.Array stays on its devices (values checked there)
    y: np.ndarray
    sample_weight: np.ndarray | None
    penalty_factor: np.ndarray | None
    l1_ratio: float
    grid: np.ndarray  # descending: fractions of λ_max when relative, else the λs
    relative: bool
    tol: float
    dtype: np.dtype
    mesh: jax.sharding.Mesh | None
    classes: np.ndarray | None = None  # loss="multinomial": the labels, columns of the one-hot y


MAX_GRID = 10**6  # the longest automatic grid (a larger int is more likely a λ mistyped)


def is_grid_size(lambdas) -> bool:
    """``lambdas`` asks for an automatic grid of that many λs (an int, not a bool)."""
    return isinstance(lambdas, numbers.Integral) and not isinstance(lambdas, bool)


def _round_up(x: float, digits: int = 3) -> str:
    """``x`` shown with ``digits`` significant digits, rounded up: a bound a message suggests
    passes the check it came from when copied (2.2204e-16 shown as 2.22e-16 would not)."""
    step = 10.0 ** (math.floor(math.log10(x)) - digits + 1)
    shown = f"{math.ceil(x / step) * step:.{digits}g}"
    return shown if float(shown) >= x else f"{float(shown) + step:.{digits}g}"


def check_grid_size(lambdas: int) -> int:
    """A grid size ``lambdas`` (:func:`is_grid_size`) from 1 to :data:`MAX_GRID`, or raise."""
    if not 1 <= lambdas <= MAX_GRID:
        raise ValueError(f"lambdas must be a grid size from 1 to {MAX_GRID:,} or an array of λs, "
                         f"got {lambdas}")  # fmt: skip
    return int(lambdas)


def check_path(X, y, *, loss, l1_ratio, lambdas, lambda_min_ratio, fit_intercept, standardize,
               penalty_factor, sample_weight, positive, tol, max_iter, block_size,
               mesh, labels: list | None = None) -> PathArgs:  # fmt: skip
    """Check the arguments of :func:`l1jax.path` (in its words) and build its λ grid. With
    ``loss="multinomial"`` the class labels ``y`` come back one-hot (``PathArgs.classes``).
    ``labels``: the column labels of a data frame ``X`` (naming the columns of NaN or inf)."""
    check_loss(loss, multinomial=True)
    on_devices = isinstance(X, jax.Array)  # kept where it is: never gathered to the host
    if _sparse.is_sparse(X):  # kept sparse: never densified
        X = _sparse.as_csc(X, "X")
        if mesh is not None:
            raise ValueError(
                "a sparse X runs on one device: pass mesh=None (or a dense X to shard its rows)"
            )
    elif on_devices:
        check_dtype(X, "X", 2)  # its values are checked on the devices
        X = _sharding.as_auto(X)
        mesh = mesh_of(X, mesh)
    else:
        X = as_real_array(X, "X", 2, finite=False)  # (NaN and inf: check_magnitude, below)
    refuse_sparse_y(y)
    classes = None
    if loss == "logistic":
        check_binary_labels(y)
    if loss == MULTINOMIAL:
        y, classes = check_labels(y)
        check_multinomial(X, positive=positive, mesh=mesh)
        y = y.astype(np.float32) if X.dtype == np.float32 else y
    if np.ndim(y) not in (1, 2):
        raise ValueError(f"y must be (n_samples,) or (n_samples, n_tasks) for a multi-task fit, "
                         f"got an array of shape {np.shape(y)}")  # fmt: skip
    y = as_real_array(y, "y", np.ndim(y))
    n, p = X.shape
    if n == 0 or p == 0:
        raise ValueError(f"X must have at least one sample and one feature, got shape {X.shape}")
    if y.shape[0] != n:
        what = "entry" if y.ndim == 1 or classes is not None else "row"  # (labels: one-hot here)
        raise ValueError(f"y must have one {what} per row of X ({n}), got {y.shape[0]}")
    if y.ndim == 2 and classes is None:
        check_multitask(X, y, loss=loss, positive=positive, mesh=mesh)
    sample_weight = check_weights(sample_weight, "sample_weight", n, "sample")
    penalty_factor = check_weights(penalty_factor, "penalty_factor", p, "feature")
    check_some_weight(sample_weight)
    if classes is not None and penalty_factor is not None and np.any(penalty_factor == 0):
        raise ValueError(
            "penalty_factor must be positive for loss='multinomial' (unpenalized "
            "features are not supported with it yet); use a small positive value"
        )
    if classes is not None and sample_weight is not None and fit_intercept:
        check_class_weights(y, classes, sample_weight)
    check_targets(y, sample_weight, loss, fit_intercept)
    l1_ratio = check_scalar(l1_ratio, "l1_ratio", 0.0, 1.0)
    for name, flag in (("fit_intercept", fit_intercept), ("standardize", standardize),
                       ("positive", positive)):  # fmt: skip
        check_flag(flag, name)
    check_int(max_iter, "max_iter", 1, 2**31 - 1, "an int32 count")
    if block_size is not None:
        check_int(block_size, "block_size", 1)
    _sharding.check_mesh(mesh, "path")
    dtype = float_dtype(X, y)
    # Squares that overflow: X's on the host (standardized in float64), y's in the path's dtype
    # (its residuals; a y of 1e300 overflowed P_null, and the path took y for a constant)
    if not on_devices:
        sparse = _sparse.is_sparse(X)
        check_magnitude(X.data if sparse else X, "X", n, np.float64, lambda: _nonzero_rows(X),
                        None if sparse else labels)  # fmt: skip
    check_magnitude(y, "y", n, dtype, lambda: _nonzero_rows(y), loss=loss)
    check_not_tiny(y, "y", dtype, loss)
    check_representable(penalty_factor, "penalty_factor", dtype)
    sample_weight = unit_scale(sample_weight)
    tol = check_scalar(default_tol(dtype) if tol is None else tol, "tol", 0.0)

    relative = is_grid_size(lambdas)
    if relative:  # fractions of λ_max, which the engine finds at the start of the path
        check_grid_size(lambdas)
        if l1_ratio == 0:
            raise ValueError(
                "l1_ratio=0 (ridge) has no λ_max, so the automatic grid is undefined; "
                "pass explicit lambdas or use l1_ratio > 0"
            )
        if l1_ratio < np.finfo(dtype).eps:  # (λ_max = max |∇| / l1_ratio became inf)
            raise ValueError(
                f"l1_ratio={l1_ratio:g} is below {np.dtype(dtype).name}'s precision "
                f"({np.finfo(dtype).eps:.5g}): the penalty is ridge's to rounding, whose λ_max "
                f"is infinite, so the automatic grid is undefined; use l1_ratio >= "
                f"{_round_up(np.finfo(dtype).eps)} or pass explicit lambdas"
            )  # fmt: skip
        if lambda_min_ratio is None:
            lambda_min_ratio = 1e-4 if n >= p else 1e-2
        lambda_min_ratio = check_scalar(
            lambda_min_ratio, "lambda_min_ratio", 0.0, 1.0, low_open=True, high_open=True
        )
        if lambda_min_ratio < np.finfo(dtype).tiny:  # (its λs would become 0)
            raise ValueError(f"lambda_min_ratio must be at least {np.finfo(dtype).tiny:.3g} in "
                             f"{np.dtype(dtype).name}, got {lambda_min_ratio:g}")  # fmt: skip
        grid = np.logspace(0, np.log10(lambda_min_ratio), int(lambdas))
    else:
        grid = np.sort(check_lambdas(lambdas, dtype))[::-1]
        if classes is not None and grid[-1] == 0:
            raise ValueError("lambdas must be > 0 for loss='multinomial' (λ = 0 leaves the "
                             "softmax unpenalized); drop the 0 or use a small λ")  # fmt: skip
        if lambda_min_ratio is not None:
            check_scalar(lambda_min_ratio, "lambda_min_ratio", 0.0, 1.0, True, True)
    return PathArgs(X, y, sample_weight, penalty_factor, l1_ratio, grid, relative, tol, dtype,
                    mesh, classes)  # fmt: skip


def check_order(value, labels, name: str, what: str, fix: str) -> None:
    """A pandas Series ``value`` whose index holds ``labels`` (X's columns, the sorted group
    labels) in another order is refused: it was taken by position, silently (a penalty factor
    of 0 meant for column x1 landed on x4)."""
    index = getattr(value, "index", None)
    if index is None or labels is None or not hasattr(value, "to_numpy"):
        return
    if type(index).__name__ == "RangeIndex" and index.start == 0 and index.step == 1:
        return  # (pandas' default index: no labels, meant by position)
    index, labels = list(index), list(labels)
    try:
        shared = set(index) & set(labels)
    except TypeError:  # (unhashable labels)
        return
    same = len(index) == len(labels) and all(map(_same_label, index, labels))
    if shared and not same:  # (labelled by them, but in another order or with others)
        raise ValueError(f"{name} is a Series labelled by {what} in another order or with other "
                         f"labels, which would be read by position; pass "
                         f"{name}.reindex({fix}) (or its values in that order)")  # fmt: skip


def _column_labels(X) -> list | None:
    """A data frame's column labels (pandas, polars; a pyarrow Table's ``column_names``, as its
    ``columns`` are the columns themselves), or None for an array. (``columns`` first: pandas
    makes every column an attribute, and a column named "column_names" was taken for the
    names.)"""
    columns = getattr(X, "columns", None)
    if columns is None:
        return None
    labels = list(columns)
    label = str | bytes | numbers.Number | tuple | np.generic
    # (pyarrow: a list of arrays, not labels; a pandas Index holds labels of any kind: dates,
    # intervals, whose order must be checked as well)
    if isinstance(columns, list) and not all(isinstance(c, label) for c in labels):
        names = getattr(X, "column_names", None)
        return list(names) if isinstance(names, list | tuple) else None
    return labels


def column_names(X) -> np.ndarray | None:
    """A data frame's column names when they are all strings, as an object array; else None
    (scikit-learn's rule for ``feature_names_in_``, refusing what its estimators refuse: names
    of mixed types, and repeated names, which predict could not match to columns)."""
    labels = _column_labels(X)
    if not labels:
        return None
    strings = [isinstance(label, str) for label in labels]
    if not all(strings):
        if any(strings):
            kinds = sorted({type(label).__name__ for label in labels})
            raise TypeError(f"X's column names must be all strings or none, got {kinds}; "
                            "convert them, e.g. X.columns = X.columns.astype(str)")  # fmt: skip
        return None
    if len(set(labels)) < len(labels):
        repeated = sorted(label for label, k in collections.Counter(labels).items() if k > 1)
        raise ValueError(f"X has repeated column names {repeated[:5]}; rename them (a name must "
                         "tell one column)")  # fmt: skip
    return np.asarray(labels, dtype=object)


def check_column_labels(X, **values) -> None:
    """:func:`check_order` of per-column arguments (``penalty_factor``, ``groups``) against a
    DataFrame ``X``'s columns, whose names are checked (:func:`column_names`)."""
    column_names(X)
    columns = _column_labels(X)
    for name, value in values.items():
        check_order(value, columns, name, "X's columns", "X.columns")


def check_row_labels(X, **values) -> None:
    """A Series of the rows (``y``, ``sample_weight``, ``fold_ids``) labelled by a pandas
    ``X``'s row labels in another order or with other labels is refused, as :func:`check_order`
    refuses columns: read by position (as scikit-learn reads it), each row got another row's
    target (``y.sample(frac=1)``: another model, no word said). pandas' default index (0, 1,
    ..., n − 1) on the Series labels nothing; on ``X`` it labels only against a Series whose
    labels are the same positions shuffled (a scaled ``X`` made afresh or a pipeline's frames
    beside a subset of y's labels are read by position); a frame ``y`` (multi-task) is checked
    the same way."""
    rows = getattr(X, "index", None)
    if rows is None or not _is_pandas(X) or not hasattr(X, "columns"):
        return
    for name, value in values.items():
        index = getattr(value, "index", None)
        if (index is None or not hasattr(value, "to_numpy") or not hasattr(index, "equals")
                or _default_index(index)):  # fmt: skip
            continue
        try:
            same = index.equals(rows) or (
                len(index) == len(rows) and bool(np.all(index.to_numpy() == rows.to_numpy()))
            )
            if _default_index(rows):  # (only a shuffle of X's positions, y.sample(frac=1))
                shared = not same and len(index) == len(rows) and bool(
                    np.array_equal(np.sort(index.to_numpy()), rows.to_numpy()))  # fmt: skip
            else:
                shared = not same and len(index.intersection(rows)) > 0
        except (TypeError, ValueError):  # (labels of kinds that do not compare: none shared)
            continue
        if shared:
            raise ValueError(f"{name} is a Series labelled by X's rows (X.index) in another "
                             f"order or with other labels, which would be read by position; "
                             f"pass {name}.reindex(X.index) to pair them by label, or "
                             f"{name}.to_numpy() if they are in X's row order")  # fmt: skip


def _default_index(index) -> bool:
    """pandas' default row labels, 0, 1, ..., n − 1: positions, no labels."""
    return type(index).__name__ == "RangeIndex" and index.start == 0 and index.step == 1


def _same_label(a, b) -> bool:
    """Whether two labels are the same, missing ones too (a NaN label is no label's equal, its
    own neither: X's own columns were refused as in another order; pd.NA's == raised)."""
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _missing(value) -> bool:
    """Whether one label is a missing value: None, NaN, or pandas' NA or NaT (whose ``!=``
    raised "boolean value of NA is ambiguous")."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value)  # (NaN)
    except (TypeError, ValueError):
        return False


def _sorted_labels(values: np.ndarray, name: str, kind: str, fix: str):
    """``np.unique(values, return_inverse=True)`` of 1-D labels of any one sortable type (class
    labels, group labels), refusing complex, NaN, inf and None labels by ``name``."""
    if np.iscomplexobj(values):
        raise TypeError(f"{name} must hold real or string {kind}, got complex dtype {values.dtype}")
    if np.issubdtype(values.dtype, np.number) and not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or inf {kind}; {fix}")
    if values.dtype == object and any(_missing(v) for v in values):
        raise ValueError(f"{name} contains missing {kind} (None, NaN or pandas' NA); {fix}")
    try:
        return np.unique(values, return_inverse=True)
    except TypeError as err:
        raise TypeError(f"{name} must hold {kind} of one sortable type ({err})") from None


def refuse_mixed_labels(labels, name: str) -> None:
    """A list of labels mixing strings and numbers is refused by ``name``: NumPy would turn 1
    and '1' into one label (a multinomial y of both: "a single class")."""
    if isinstance(labels, list | tuple) and len({isinstance(c, str | bytes) for c in labels}) > 1:
        raise TypeError(f"{name} mixes strings and numbers (NumPy would turn 1 and '1' into one "
                        "label); give labels of one type")  # fmt: skip


def check_labels(y) -> tuple[np.ndarray, np.ndarray]:
    """The class labels ``y`` ``(n,)`` of a multinomial path as ``(Y, classes)``: ``classes`` the
    sorted distinct labels (``np.unique``, scikit-learn's ``classes_``), at least 2, and ``Y`` the
    one-hot ``(n, C)`` float64 matrix of ``y`` in their order."""
    refuse_mixed_labels(y, "y")
    y = _sharding.to_host(y) if isinstance(y, jax.Array) else np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D array of class labels for loss='multinomial', got an "
                         f"array of shape {y.shape}")  # fmt: skip
    classes, codes = _sorted_labels(y, "y", "class labels", "remove those samples")
    if np.issubdtype(classes.dtype, np.floating) and np.any(classes != np.round(classes)):
        value = classes[classes != np.round(classes)][0].tolist()
        raise ValueError(  # (scikit-learn's "continuous" targets)
            f"y holds non-integer values (e.g. {value!r}) for loss='multinomial', whose y are "
            "class labels (integers or strings); a continuous response wants loss='squared'"
        )
    if classes.size < 2:
        what = f"a single class ({classes[0].tolist()!r})" if classes.size else "no sample"
        raise ValueError(f"y holds {what} for loss='multinomial'; it needs at least 2 classes")
    return np.eye(classes.size)[codes.reshape(-1)], classes


def check_binary_labels(y) -> None:
    """A logistic ``y`` of labels that are no numbers (text, categories) is refused, naming
    them and an encoding as 0/1 (NumPy would only say that they are not numbers)."""
    arr = y if isinstance(y, np.ndarray | jax.Array) else np.asarray(y)
    if arr.dtype.kind not in "USO":
        return
    try:
        arr.astype(np.float64)  # (an object array of numbers: checked as numbers)
        return
    except (TypeError, ValueError):
        pass
    if arr.dtype == object and any(_missing(v) for v in arr.ravel()):
        return  # (missing values, None or pandas' NA: as_real_array names them)
    labels = np.unique(arr.astype(str))
    shown = ", ".join(repr(v) for v in labels[:3].tolist()) + (", ..." if labels.size > 3 else "")
    raise TypeError(
        f"y holds labels ({shown}) for loss='logistic', whose y are 0/1: encode one class as 1, "
        f"e.g. y = (y == {labels[-1].item()!r}) * 1.0, or pass loss='multinomial', which takes "
        "labels"
    )


def check_multinomial(X, *, positive, mesh) -> None:
    """``loss="multinomial"`` runs on one device, on a dense ``X``, without sign constraints (the
    classes' coefficients are only defined up to a common shift)."""
    _task_axis_limits(X, positive, mesh, "loss='multinomial'")


def check_multitask(X, y, *, loss, positive, mesh) -> None:
    """A 2-D ``y`` ``(n, m)`` asks for a multi-task path: squared loss only, and not (yet) with
    ``positive``, a sparse ``X`` or several devices."""
    if y.shape[1] == 0:
        raise ValueError(f"y of shape {y.shape} has no column; a multi-task y needs one column "
                         "per task (at least one)")  # fmt: skip
    if loss != "squared":
        raise ValueError(
            f"y of shape {y.shape} (2-D: one column per task) is a multi-task fit, which needs "
            f"loss='squared', got loss={loss!r}; pass a 1-D y for a {loss} path"
        )
    _task_axis_limits(X, positive, mesh, "a 2-D (multi-task) y")


def _task_axis_limits(X, positive, mesh, what: str) -> None:
    """What a path with a task axis (``what``) does not support yet: ``positive``, a sparse
    ``X``, several devices."""
    if positive:
        raise ValueError(f"positive=True is not supported with {what}; pass positive=False")
    if _sparse.is_sparse(X):
        raise ValueError(f"a sparse X is not supported with {what} yet; pass a dense X "
                         f"({_sparse.densified(X)})")  # fmt: skip
    if mesh is not None:
        raise ValueError(f"{what} runs on one device: pass mesh=None and an X that is not "
                         "sharded over several devices")  # fmt: skip


def refuse_sparse_y(y) -> None:
    if _sparse.is_sparse(y):
        raise TypeError("y must be a dense 1-D array, got a sparse matrix; pass "
                        f"{_sparse.densified(y, 'y')}.ravel()")  # fmt: skip


def refuse_multitask(y, where: str) -> None:
    """``where`` (a function that fits 1-D targets only) refuses a 2-D ``y`` by name."""
    refuse_sparse_y(y)
    if np.ndim(y) == 2:
        raise ValueError(
            f"{where} does not support a 2-D (multi-task) y yet, got y of shape {np.shape(y)}; "
            "l1jax.path and l1jax.cv_path fit multi-task paths, or pass one column of y at a time"
        )


class Groups(NamedTuple):
    """The checked ``groups`` of a group-lasso path (:func:`check_groups`)."""

    labels: np.ndarray  # (p,) the labels as given
    codes: np.ndarray  # (p,) ints 0 … q − 1: the group of each column, in np.unique's order
    factors: np.ndarray  # (q,) float64 penalty factors, one per group


def _index_lists(groups, p: int) -> np.ndarray | None:
    """skglm's other form of ``groups``, a list of lists of column indices (``groups[g]`` the
    columns of group ``g``), as labels (group ``g``'s label ``g``: ``penalty_factor`` in the
    lists' order); None for any other ``groups``. Every column in exactly one group."""
    if not (isinstance(groups, list | tuple) and groups
            and all(isinstance(g, list | tuple | range | np.ndarray | jax.Array)
                    for g in groups)):  # fmt: skip
        return None
    form = f"groups as lists of column indices (skglm's form) must hold ints in [0, {p})"
    labels = np.full(p, -1, np.int64)
    for g, cols in enumerate(groups):
        cols = _sharding.to_host(cols) if isinstance(cols, jax.Array) else np.asarray(cols)
        if cols.ndim != 1 or cols.size == 0 or cols.dtype.kind not in "iu":
            raise ValueError(f"{form}, one list per group; group {g} is {groups[g]!r}")
        if cols.min() < 0 or cols.max() >= p:
            bad = cols.min() if cols.min() < 0 else cols.max()
            raise ValueError(f"{form}; group {g} holds {bad}")
        taken = cols[labels[cols] != -1]
        twice = np.flatnonzero(np.bincount(cols) > 1)
        if taken.size or twice.size:
            j = taken[0] if taken.size else twice[0]
            where = f"in groups {labels[j]} and {g}" if taken.size else f"twice in group {g}"
            raise ValueError(f"groups as lists of column indices must put each column of X in "
                             f"one group; column {j} is {where}")  # fmt: skip
        labels[cols] = g
    missing = np.flatnonzero(labels == -1)
    if missing.size:
        raise ValueError(f"groups as lists of column indices must put every column of X in a "
                         f"group; columns {missing[:5].tolist()} are in none (give them groups "
                         f"of their own, [j])")  # fmt: skip
    return labels


def check_groups(groups, p: int, penalty_factor) -> Groups:
    """``groups`` ``(p,)``: a label per column of ``X`` (any one sortable type), or skglm's
    list of lists of column indices (:func:`_index_lists`); the groups are the sorted distinct
    labels (``np.unique``), and ``penalty_factor`` has one non-negative entry per group in that
    order (default ``√|g|``, as grpreg; skglm's and celer's are 1)."""
    if _sparse.is_sparse(groups):
        raise TypeError("groups must be a dense 1-D array of labels, one per column of X; got a "
                        "sparse matrix")  # fmt: skip
    lists = _index_lists(groups, p)
    groups = groups if lists is None else lists
    refuse_mixed_labels(groups, "groups")
    refuse_masked(groups, "groups", "or drop those columns")
    try:
        labels = _sharding.to_host(groups) if isinstance(groups, jax.Array) else np.asarray(groups)
    except ValueError:  # (ragged lists: NumPy's "inhomogeneous shape")
        labels = np.empty(0, object)
    if labels.ndim != 1 or labels.shape[0] != p:
        sizes = ""
        if labels.ndim == 1 and labels.dtype.kind in "iu" and labels.size and (
                labels.min() > 0 and labels.sum() == p):  # fmt: skip
            sizes = ("; skglm's group sizes are np.repeat(np.arange(len(sizes)), sizes) as "
                     "labels")  # fmt: skip
        got = f"shape {labels.shape}" if labels.size else f"{groups!r}"[:80]
        raise ValueError(
            f"groups must be a 1-D array with one label per column of X ({p}), "
            f"or a list of lists of column indices (skglm's), got {got}{sizes}"
        )
    names, codes = _sorted_labels(labels, "groups", "labels", "give every column of X a group")
    check_order(penalty_factor, names.tolist(), "penalty_factor", "the group labels",
                "np.unique(groups)")  # fmt: skip
    counts = np.bincount(codes.reshape(-1), minlength=names.size)
    if penalty_factor is None:
        factors = np.sqrt(counts.astype(np.float64))
    else:
        factors = factor_array(penalty_factor, "group")
        if factors.shape[0] != names.size:
            raise ValueError(
                f"penalty_factor must have one entry per group ({names.size}, in the order of "
                f"the sorted labels np.unique(groups)) when groups is given, got "
                f"{factors.shape[0]}; omit it for the default √(group size)"
            )
        if np.any(factors < 0):
            raise ValueError(f"penalty_factor must be non-negative, got a minimum of "
                             f"{factors.min()}")  # fmt: skip
        factors = factors.astype(np.float64)
    # (a copy: the results keep the labels, which must not follow the caller's later edits)
    return Groups(labels.copy(), codes.reshape(-1).astype(np.int64), factors)


def check_group_limits(X, y, *, loss, positive, mesh) -> None:
    """What a group penalty does not support (yet): one response of the squared, logistic or
    Poisson loss, on a dense ``X``, without sign constraints, on one device."""
    if loss == MULTINOMIAL or np.ndim(y) == 2:
        if loss == MULTINOMIAL:
            what, fix = "loss='multinomial'", ("grouped=True for each feature's coefficients "
                                               "across the classes as a group, or a 1-D y with "
                                               "another loss")  # fmt: skip
        else:
            what, fix = "a 2-D (multi-task) y", "or fit the columns of y one by one with groups"
        raise ValueError(f"groups is not supported with {what} (its rows are already groups: "
                         f"a feature's coefficients); pass groups=None, {fix}")  # fmt: skip
    if positive:
        raise ValueError("positive=True is not supported with groups; pass positive=False")
    if _sparse.is_sparse(X):
        raise ValueError("a sparse X is not supported with groups yet; pass a dense X "
                         f"({_sparse.densified(X)})")  # fmt: skip
    if mesh is not None:
        raise ValueError("groups runs on one device: pass mesh=None and an X that is not "
                         "sharded over several devices")  # fmt: skip


def check_lambdas(lambdas, dtype=None) -> np.ndarray:
    """An array of λs (float64, 1-D, finite, ≥ 0, not empty; with ``dtype``, the data's, each
    representable there: none beyond its largest number or, but 0, below its smallest normal
    one, which would become inf or 0), or raise."""
    refuse_masked(lambdas, "lambdas", "or pass the λs you want")
    lam_arr = np.asarray(lambdas)
    if lam_arr.dtype == object or not np.issubdtype(lam_arr.dtype, np.number):
        raise TypeError(f"lambdas must be an int or an array of numbers, got {lambdas!r}")
    if np.iscomplexobj(lam_arr):
        raise TypeError(f"lambdas must be real, got complex values {lambdas!r}")
    if lam_arr.ndim > 1:
        raise ValueError(f"lambdas must be a 1-D array of λs, got shape {lam_arr.shape}")
    lam_arr = lam_arr.astype(np.float64).reshape(-1)
    if lam_arr.size == 0:
        raise ValueError("lambdas is empty; pass at least one λ (or a grid size)")
    if np.any(np.isnan(lam_arr)) or np.any(lam_arr < 0) or np.any(np.isinf(lam_arr)):
        raise ValueError("lambdas must be finite and >= 0 (no NaN, inf or negative values)")
    if dtype is not None:
        info = np.finfo(dtype)
        if lam_arr.max() > info.max or np.any((lam_arr > 0) & (lam_arr < info.tiny)):
            raise ValueError(
                f"lambdas must lie within {info.dtype.name}'s range (the data's: at most "
                f"{info.max:.3g}, and 0 or at least {info.tiny:.3g}), got values from "
                f"{lam_arr.min():.3g} to {lam_arr.max():.3g}; pass other λs"
                + (" or float64 data" if info.dtype != np.float64 else "")
            )
    return lam_arr


def check_targets(y, sample_weight, loss, fit_intercept) -> None:
    """``y`` must suit the loss (0/1 labels, counts ≥ 0) on its positively weighted rows."""
    if loss == "logistic" and not np.all((y == 0) | (y == 1)):
        raise ValueError("y must be 0 or 1 for loss='logistic'; encode the two classes as 0/1")
    if loss == "poisson" and np.any(y < 0):
        raise ValueError("y must be non-negative for loss='poisson' (counts or rates)")
    active = y if sample_weight is None else y[sample_weight > 0]
    if fit_intercept and loss == "logistic" and np.all(active == active[0]):
        if np.any(y != active[0]):  # (both classes in y: the weights leave one out)
            raise ValueError("sample_weight gives weight to the samples of one class of y "
                             "only; loss='logistic' needs both classes weighted: weight "
                             "samples of the other too")  # fmt: skip
        raise ValueError("y holds a single class for loss='logistic'; it needs both 0 and 1")
    if fit_intercept and loss == "poisson" and not np.any(active > 0):
        if np.any(y > 0):  # (the weights leave the positive counts out)
            raise ValueError("sample_weight gives weight to samples of y 0 only; loss="
                             "'poisson' with an intercept needs a weighted count > 0 (its "
                             "intercept would be -inf): weight samples of positive y "
                             "too")  # fmt: skip
        raise ValueError("y is all zero for loss='poisson': the intercept would be -inf (every "
                         "mean 0 fits it); a Poisson model needs some count > 0")  # fmt: skip


# ----------------------------------------------------------------------------------------------
# Cross-validation folds and grids (cv_path, stability_selection).


def make_fold_ids(y, n_folds, seed, loss) -> np.ndarray:
    """Random balanced folds; for ``loss="logistic"`` and ``"multinomial"`` stratified by class
    (each fold holds every class in about the proportion of the data)."""
    n = y.shape[0]
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    if loss in ("logistic", MULTINOMIAL):  # (class labels of any sortable type)
        order = order[np.argsort(y[order], kind="stable")]
    fold_ids = np.empty(n, np.int64)
    fold_ids[order] = np.arange(n) % n_folds
    return fold_ids


def check_folds(n, y, n_folds, fold_ids, seed, loss) -> np.ndarray:
    if fold_ids is None:
        if isinstance(n_folds, bool) or not isinstance(n_folds, numbers.Integral):
            raise TypeError(f"n_folds must be an int, got {type(n_folds).__name__}")
        if not 2 <= n_folds <= n:
            raise ValueError(
                f"n_folds must be between 2 and the number of samples ({n}), got {n_folds}"
            )
        return make_fold_ids(y, int(n_folds), check_int(seed, "seed", 0), loss)
    refuse_masked(fold_ids, "fold_ids", "or drop their rows")
    ids = np.asarray(fold_ids)
    if ids.ndim != 1 or ids.shape[0] != n:
        raise ValueError(
            f"fold_ids must be a 1-D array with one fold label per sample ({n}), "
            f"got shape {ids.shape}"
        )
    if ids.dtype == bool or not np.issubdtype(ids.dtype, np.number) or np.iscomplexobj(ids):
        raise TypeError(f"fold_ids must hold integer fold labels 0 … F-1, got dtype {ids.dtype}")
    if not np.all(np.isfinite(ids)) or np.any(ids != np.round(ids)) or np.any(ids < 0):
        raise ValueError("fold_ids must hold integer fold labels 0 … F-1 (non-negative integers)")
    ids = ids.astype(np.int64)
    # glmnet's foldid, 1 … F (F ≤ n; and bincount would count up to the label)
    if ids.max() <= n and ids.min() == 1 and np.all(np.bincount(ids)[1:]):
        ids = ids - 1
    if ids.max() >= n:  # (n folds at most)
        raise ValueError(f"fold_ids must hold labels 0 … F-1 with F <= the number of samples "
                         f"({n}), every fold non-empty; got a label {ids.max()}")  # fmt: skip
    counts = np.bincount(ids)
    if counts.size < 2:
        raise ValueError("fold_ids must name at least 2 folds (labels 0 … F-1), got 1")
    if np.any(counts == 0):
        empty = np.flatnonzero(counts == 0).tolist()
        raise ValueError(
            f"fold_ids leaves fold {empty[0]} empty (labels must be 0 … F-1 = {counts.size - 1}, "
            f"or glmnet's 1 … F, every fold with at least one sample); empty folds: {empty}"
        )
    return ids


def check_l1_ratios(l1_ratio) -> list[float] | None:
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
    return [check_scalar(float(r), "l1_ratio", 0.0, 1.0) for r in values]


def floats(a):
    """``a`` as a finite float64 array, or None (then :func:`l1jax.path` reports the problem)."""
    try:
        out = np.asarray(a, np.float64)
    except (TypeError, ValueError):
        return None
    return out if np.all(np.isfinite(out)) else None


def _check_one_of_a_kind(y, loss: str) -> None:
    """A logistic ``y`` (of positive weight) with one sample of a class, or a Poisson one with
    one nonzero count: the fold that holds it out cannot be fitted, whatever the folds ("use
    fewer folds" was told)."""
    if loss == "logistic":
        values, counts = np.unique(y, return_counts=True)
        one = values.size == 2 and counts.min() == 1
        what = f"one sample of class {values[np.argmin(counts)].item()!r}" if one else ""
    else:
        what = "one nonzero count" if np.count_nonzero(y > 0) == 1 else ""
    if what:
        raise ValueError(
            f"y has {what} (of positive weight): the fold that holds it out trains "
            "without it, whatever the folds; cross-validation needs at least 2"
        )


def check_fold_content(y, s, held, loss, scoring, fit_intercept) -> None:
    """Every fold needs held-out weight, and a training set the loss can fit."""
    check_some_weight(s)  # (not blamed on the folds)
    if fit_intercept and loss in ("logistic", "poisson"):
        check_targets(y, s, loss, fit_intercept)  # (all the data's, named as path names them:
        _check_one_of_a_kind(y[s > 0], loss)  # "use fewer folds" was told)
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


def check_class_weights(Y, classes, s) -> None:
    """Multinomial with an intercept: every class (``Y`` one-hot ``(n, C)``) needs a sample of
    positive weight ``s``, or its intercept would be -inf."""
    empty = np.flatnonzero(s @ Y <= 0)
    if empty.size:
        label = classes[empty[0]].tolist()
        raise ValueError(
            f"sample_weight leaves class {label!r} of y without weight: its intercept would "
            "be -inf; drop its samples from X and y, or weight them"
        )


def check_fold_classes(Y, classes, s, held, fit_intercept) -> None:
    """Multinomial: every fold's training rows need every class (``Y`` one-hot ``(n, C)``), or
    that class's intercept would be -inf (:func:`check_class_weights` first: a class that
    ``sample_weight`` leaves out is named as such, not blamed on the folds)."""
    if not fit_intercept:
        return
    check_class_weights(Y, classes, s)
    for f in range(held.shape[0]):
        missing = np.flatnonzero(np.where(held[f], 0.0, s) @ Y <= 0)
        if missing.size:
            label = classes[missing[0]].tolist()
            if np.count_nonzero((s > 0) & (Y[:, missing[0]] > 0)) < 2:  # (no folds help)
                raise ValueError(
                    f"class {label!r} of y has one sample (of positive weight): a fold that "
                    "holds it out trains without it, whatever the folds (its intercept would "
                    "be -inf); drop its sample or merge it into another class"
                )
            raise ValueError(
                f"the training rows of fold {f} hold no sample of class {label!r} of y; use "
                "fewer folds (a class needs more members than folds) or fold_ids with every "
                "class in every training set"
            )

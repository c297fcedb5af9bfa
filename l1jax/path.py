"""``l1jax.path``: whole regularization paths in one call (the host boundary).

``path`` validates the input, standardizes, builds the λ grid and drives the pure solver of
:mod:`l1jax.solvers` along the path with warm starts, strong-rule working sets and blocks of
neighbouring λs solved together; it returns coefficients on the original scale and warns once
when some λ did not converge.
"""

from __future__ import annotations

import functools
import math
import numbers
import warnings
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from l1jax import _sharding, engine, solvers
from l1jax._programs import highest
from l1jax.losses import LOSSES

__all__ = ["ConvergenceWarning", "PathResult", "path"]


class ConvergenceWarning(UserWarning):
    """Some λs of a path did not reach the requested tolerance."""


class PathResult(NamedTuple):
    """A regularization path (a pytree of arrays; it crosses ``jit`` and ``vmap``).

    Attributes:
      lambdas: ``(K,)`` penalty strengths, descending.
      coef: ``(K, p)`` coefficients on the original scale of ``X``.
      intercept: ``(K,)`` intercepts (0 when ``fit_intercept=False``).
      converged: ``(K,)`` bool, ``gap <= tol``.
      n_iter: ``(K,)`` inner iterations spent on each λ.
      gap: ``(K,)`` relative duality gap ``(P − D) / P_null``, the optimality certificate.
      status: ``(K,)`` :class:`l1jax.solvers.Status` codes.
    """

    lambdas: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    gap: np.ndarray
    status: np.ndarray

    def predict(self, X) -> np.ndarray:
        """Linear predictor ``η = intercept + X coefᵀ`` for every λ, shape ``(K, n)``.

        For logistic and Poisson paths this is the link scale (log-odds, log-rate); apply
        :func:`l1jax.losses.mean_function` for probabilities or rates. A ``jax.Array`` ``X``
        (e.g. row-sharded) gives a ``jax.Array`` computed where ``X`` lives (columns sharded as
        the rows of ``X``); anything else gives NumPy.
        """
        on_devices = isinstance(X, jax.Array)
        X = X if on_devices else np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.coef.shape[1]:
            raise ValueError(
                f"X must have shape (n, {self.coef.shape[1]}) like the data of the path, "
                f"got {X.shape}"
            )
        if on_devices:
            coef, intercept = (jnp.asarray(a, X.dtype) for a in (self.coef, self.intercept))
            return _predict(coef, intercept, X)
        return self.intercept[:, None] + self.coef @ X.T


@jax.jit
@highest
def _predict(coef, intercept, X):
    return intercept[:, None] + coef @ X.T


# ----------------------------------------------------------------------------------------------
# Validation (host side, before anything is traced).


def _float_dtype(*arrays) -> np.dtype:
    if not jax.config.jax_enable_x64:
        return np.dtype(np.float32)
    if all(np.dtype(a.dtype) == np.float32 for a in arrays if a is not None):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _check_dtype(arr, name: str, ndim: int):
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}; pass its real part")
    if arr.ndim != ndim:
        shape = "(n_samples, n_features)" if ndim == 2 else "a 1-D array"
        raise ValueError(f"{name} must be {shape}, got an array of shape {arr.shape}")


def _as_real_array(value, name: str, ndim: int) -> np.ndarray:
    arr = _sharding.to_host(value) if isinstance(value, jax.Array) else np.asarray(value)
    _check_dtype(arr, name, ndim)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf; remove or impute those entries")
    return arr


def _check_weights(value, name: str, length: int, what: str) -> np.ndarray | None:
    if value is None:
        return None
    arr = _as_real_array(value, name, 1)
    if arr.shape[0] != length:
        raise ValueError(f"{name} must have one entry per {what} ({length}), got {arr.shape[0]}")
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative, got a minimum of {arr.min()}")
    return arr


def _check_scalar(value, name: str, low=None, high=None, low_open=False, high_open=False):
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


class _Prepared(NamedTuple):
    X: np.ndarray | jax.Array  # centred (with intercept) and scaled columns; a jax.Array: placed
    y: np.ndarray
    s: np.ndarray  # normalized sample weights
    v: np.ndarray  # penalty factors
    x_mean: np.ndarray
    x_scale: np.ndarray
    nonzero: np.ndarray  # (p,) bool: the standardized column has a nonzero entry


def _center_scale(xp, X, s, fit_intercept, standardize):
    """Weighted column means and scales (1/n variance, as glmnet) and the standardized ``X``,
    with ``xp`` NumPy (on the host, float64) or ``jax.numpy`` (inside a jitted program, on the
    devices that hold the rows). A constant column becomes 0 and gets scale 1."""
    p = X.shape[1]
    x_mean = s @ X if fit_intercept else xp.zeros(p, X.dtype)
    Xc = X - x_mean  # the one working copy (NumPy divides it in place below)
    if not standardize:
        return Xc, x_mean, xp.ones(p, X.dtype)
    scale = xp.sqrt(s @ xp.square(Xc))
    constant = scale <= 1e-10 * xp.maximum(1.0, xp.abs(x_mean))
    Xc /= xp.where(constant, xp.inf, scale)
    return Xc, x_mean, xp.where(constant, 1.0, scale)


def _weights(n, p, sample_weight, penalty_factor):
    s = np.ones(n) if sample_weight is None else sample_weight.astype(np.float64)
    v = np.ones(p) if penalty_factor is None else penalty_factor.astype(np.float64)
    return s / s.sum(), v


def _prepare(X, y, sample_weight, penalty_factor, *, loss, fit_intercept, standardize, dtype):
    s, v = _weights(*X.shape, sample_weight, penalty_factor)
    Xf = np.asarray(X, dtype=np.float64)  # never written to: the user's array stays as it is
    Xc, x_mean, scale = _center_scale(np, Xf, s, fit_intercept, standardize)
    return _Prepared(
        Xc.astype(dtype, copy=False),
        y.astype(dtype),
        s.astype(dtype),
        v.astype(dtype),
        x_mean,
        scale,
        np.any(Xc != 0, axis=0),
    )


@functools.partial(jax.jit, static_argnames=("fit_intercept", "standardize", "rows"))
@highest
def _prepare_rows(X, s, *, fit_intercept, standardize, rows):
    """:func:`_center_scale` on the devices that hold the rows of ``X``: a row-sharded ``X`` is
    never gathered. ``s`` may be longer than ``X`` (rows of zero weight that pad the samples to
    whole shards): ``X`` gets zero rows to match. The result is laid out as ``rows`` (a
    ``NamedSharding``, or None). Also returns whether the input is finite."""
    finite = jnp.all(jnp.isfinite(X))
    n = X.shape[0]
    X = jnp.pad(X.astype(s.dtype), ((0, s.shape[0] - n), (0, 0)))
    Xc, x_mean, scale = _center_scale(jnp, X, s, fit_intercept, standardize)
    Xc = jnp.where((jnp.arange(s.shape[0]) < n)[:, None], Xc, 0)  # the padding stays zero
    if rows is not None:
        Xc = jax.lax.with_sharding_constraint(Xc, rows)
    return Xc, x_mean, scale, jnp.any(Xc != 0, axis=0), finite


def _prepare_on_devices(X, y, sample_weight, penalty_factor, place, *,
                        fit_intercept, standardize, dtype):  # fmt: skip
    """:func:`_prepare` for ``X`` given as a ``jax.Array`` (e.g. row-sharded over ``"data"``):
    the standardized ``X`` stays on the devices, padded to whole ``"data"`` shards, and only
    p-vectors come back to the host."""
    n, p = X.shape
    s, v = _weights(n, p, sample_weight, penalty_factor)
    pad = -n % place.n_data
    s_pad = np.concatenate([s, np.zeros(pad)]).astype(dtype)
    rows = place.sharding(place.data, None)
    if rows is not None:  # device to device: each device receives its rows (if need be)
        if pad:  # on the devices X is on now (a row-sharded X has no pad): shards divide evenly
            X = jnp.pad(X, ((0, pad), (0, 0)))
        X = jax.device_put(X, rows)
    Xc, x_mean, scale, nonzero, finite = _prepare_rows(
        X, place.rows(s_pad), fit_intercept=fit_intercept, standardize=standardize, rows=rows
    )
    x_mean, scale, nonzero, finite = (place.fetch(a) for a in (x_mean, scale, nonzero, finite))
    if not finite:
        raise ValueError("X contains NaN or inf; remove or impute those entries")
    return _Prepared(
        Xc, y.astype(dtype), s.astype(dtype), v.astype(dtype),
        x_mean.astype(np.float64), scale.astype(np.float64), nonzero,
    )  # fmt: skip


# ----------------------------------------------------------------------------------------------
# Jitted pieces of the host-driven path (compiled once per shape, reused across λs and calls).


@jax.jit
@highest
def _gram(X, s, y):
    """``G = XᵀSX`` and ``c = XᵀSy`` (one BLAS product on √s-scaled rows)."""
    Xw = X * jnp.sqrt(s)[:, None]
    return Xw.T @ Xw, (s * y) @ X


def _gram_host(X, s, y):
    """:func:`_gram` in NumPy, for an X already on the host of a CPU run."""
    Xw = X * s[0] ** 0.5 if np.all(s == s[0]) else X * np.sqrt(s)[:, None]
    return Xw.T @ Xw, (s * y) @ X


class _Placement:
    """Where arrays live: on the default device, or sharded over a ``jax.sharding.Mesh`` with
    rows of X over its axis ``"data"`` and the λ block over its axis ``"lambdas"`` (either may
    be absent). XLA's partitioner then runs every product on the shards and reduces Xᵀr across
    devices; nothing else changes."""

    def __init__(self, mesh):
        self.mesh = mesh = _sharding.auto(mesh)  # jax.make_mesh gives Explicit axes
        names = () if mesh is None else mesh.axis_names
        self.data = "data" if "data" in names else None
        self.lams = "lambdas" if "lambdas" in names else None
        self.n_data = 1 if self.data is None else mesh.shape["data"]
        self.n_lams = 1 if self.lams is None else mesh.shape["lambdas"]

    def sharding(self, *spec):  # a NamedSharding on the mesh (None without one)
        if self.mesh is None:
            return None
        return jax.sharding.NamedSharding(self.mesh, jax.sharding.PartitionSpec(*spec))

    def put(self, value, *spec):
        value = jnp.asarray(value)
        return value if self.mesh is None else jax.device_put(value, self.sharding(*spec))

    def fetch(self, value) -> np.ndarray:  # to NumPy, gathered from every host if need be
        return _sharding.to_host(value)

    def rows(self, value):  # (n, ...) arrays: samples over "data"
        return self.put(value, self.data, *([None] * (np.ndim(value) - 1)))

    def block(self, value):  # (B, ...) arrays: λs over "lambdas"
        return self.put(value, self.lams, *([None] * (np.ndim(value) - 1)))

    def replicated(self, value):
        return self.put(value, *([None] * np.ndim(value)))


def _mesh_of(X: jax.Array, mesh):
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


def bucket(size: int, smallest: int = 8) -> int:
    """The padded length of an axis: ``size`` rounded up to 4 steps per octave (at most 25%
    more; 9% on average), so that data sets of similar sizes share compiled programs."""
    size = max(int(size), smallest)
    step = max(1, 2 ** (size.bit_length() - 3))
    return -(-size // step) * step


def _solve_engine(prep, lambdas, relative, *, loss, l1_ratio, positive, fit_intercept, tol,
                  max_iter, block, mesh=None):  # fmt: skip
    """The path by the working-set engine (:mod:`l1jax.engine`), on bucketed shapes: rows are
    padded with zero weight and columns with zeros (marked invalid). ``lambdas`` are absolute,
    or fractions of λ_max when ``relative``. Returns the engine's final state, trimmed to the
    real λs and features (NumPy), and λ_max."""
    X, y, s, v = prep.X, prep.y, prep.s, prep.v
    n, p = y.shape[0], X.shape[1]
    dtype = X.dtype
    K = lambdas.shape[0]
    place = _Placement(mesh)
    block = -(-block // place.n_lams) * place.n_lams  # whole λ shards
    Kp = -(-bucket(K, 16) // block) * block
    chunk = min(engine.CHUNK, bucket(p, 32))
    p_pad = -(-bucket(p, 32) // chunk) * chunk
    gram = loss == "squared" and p <= n and p <= 4096
    n_pad = n if gram else _sharding.round_up(bucket(n, 128), place.n_data)
    if not isinstance(X, np.ndarray):  # rows already padded and placed by _prepare_on_devices
        n_pad = max(n_pad, X.shape[0])
    lams = np.concatenate([lambdas, np.repeat(lambdas[-1], Kp - K)]).astype(dtype)
    valid = np.zeros(p_pad, bool)
    valid[:p] = (prep.x_scale > 0) & prep.nonzero
    v_pad = np.zeros(p_pad, dtype)
    v_pad[:p] = v
    yd, sd = (np.concatenate([a, np.zeros(n_pad - n, dtype)]) for a in (y, s))
    if gram:
        yc = yd - (s @ y if fit_intercept else 0.0)
        if isinstance(X, np.ndarray) and place.mesh is None and jax.default_backend() == "cpu":
            G, c = _gram_host(X, s, yc)  # BLAS's syrk: ~4× XLA's CPU product, no X transfer
        else:  # on the devices (X may be row-sharded): padded there, never gathered
            G, c = _gram(place.rows(X), place.rows(s), place.rows(yc))
        xp = np if isinstance(G, np.ndarray) else jnp
        full = solvers.Data(
            G=place.replicated(xp.pad(G, ((0, p_pad - p), (0, p_pad - p)))),
            c=place.replicated(xp.pad(c, (0, p_pad - p))), yy=jnp.asarray(sd @ (yc * yc), dtype),
        )  # fmt: skip
        b0 = np.zeros((), dtype)
    else:
        if isinstance(X, np.ndarray):
            Xt = np.zeros((p_pad, n_pad), dtype)
            Xt[:p, :n] = X.T
            Xt = place.put(Xt, None, place.data)
        else:  # on the devices: pad there
            Xt = jnp.pad(X.T, ((0, p_pad - p), (0, n_pad - X.shape[0])))
            Xt = jax.device_put(Xt, place.sharding(None, place.data)) if place.mesh else Xt
        full = solvers.Data(Xt=Xt, y=place.rows(yd), s=place.rows(sd))
        b0 = np.asarray(solvers.null_intercept(loss, y, s, fit_intercept, np), dtype)
    p_null = float(solvers.gap_scale(loss, y.astype(np.float64), s.astype(np.float64),
                                     fit_intercept, np))  # fmt: skip
    problem = engine.Problem(
        data=full,
        lambdas=place.replicated(lams),
        n_lambdas=jnp.asarray(K, jnp.int32),
        relative=jnp.asarray(relative),
        rho=jnp.asarray(l1_ratio, dtype),
        v=place.replicated(v_pad),
        valid=place.replicated(valid),
        tol=jnp.asarray(tol, dtype),
        p_null=jnp.asarray(p_null, dtype),
        max_iter=jnp.asarray(max_iter, jnp.int32),
    )
    st = engine.Static(
        loss=loss, positive=positive, fit_intercept=fit_intercept and not gram,
        free=bool(np.any(v[valid[:p]] == 0) or np.any(lambdas == 0)),
        block=block,
    )  # fmt: skip
    state = engine.Start(jnp.asarray(b0))
    capacity = engine.first_capacity(n, int(valid.sum()), l1_ratio, chunk)
    capacity = min(capacity, p_pad)
    state = engine.solve(problem, state, st, capacity, chunk=chunk,
                         lams_mesh=place.mesh if place.lams else None)  # fmt: skip
    out = {k: place.fetch(getattr(state, k))[:K] for k in ("coef", "intercept", "gap", "n_iter",
                                                            "status", "lambdas")}  # fmt: skip
    out["coef"] = out["coef"][:, :p]
    if gram and fit_intercept:
        out["intercept"] = out["intercept"] + (s @ y)
    return out, float(place.fetch(state.lambda_max))


# ----------------------------------------------------------------------------------------------
# The public entry point.


def path(
    X,
    y,
    *,
    loss: str = "squared",
    l1_ratio: float = 1.0,
    lambdas=100,
    lambda_min_ratio: float | None = None,
    fit_intercept: bool = True,
    standardize: bool = True,
    penalty_factor=None,
    sample_weight=None,
    positive: bool = False,
    tol: float | None = None,
    max_iter: int = 20_000,
    block_size: int = 8,
    mesh: jax.sharding.Mesh | None = None,
) -> PathResult:
    """Compute a whole lasso / elastic-net path of a GLM in one call.

    Solves, for each λ of a decreasing grid (glmnet's and scikit-learn's convention, scikit-learn
    calls λ ``alpha``)::

        min_{β, b}  (1/Σs) Σ_i s_i ℓ(y_i, b + x_iᵀβ) + λ Σ_j v_j (ρ |β_j| + (1 − ρ)/2 β_j²)

    with ``ℓ`` the squared loss ``½(y − η)²``, the logistic loss ``log(1 + e^η) − yη`` (y ∈ {0, 1})
    or the Poisson loss ``e^η − yη`` (y ≥ 0, log link); ``s`` = ``sample_weight``, ``v`` =
    ``penalty_factor``, ``ρ`` = ``l1_ratio``.

    With ``standardize=True`` (as glmnet) the columns are centred and scaled to unit weighted
    variance (1/n), the penalty applies to the standardized coefficients, and ``coef`` is returned
    on the original scale; a constant column gets coefficient 0.

    ``tol`` is a relative duality gap: each λ stops when ``(P − D) / P_null ≤ tol``, where
    ``P_null`` is the objective of the intercept-only model (for Poisson, minus that of the
    saturated model, so the scale is the positive null deviance / 2), so the objective is within
    ``tol · P_null`` of the optimum. The default, ``1e-7`` in float64 (relative objective accuracy
    of about 1e-7 or better), is ``1e-5`` in float32 (float32 cannot certify much tighter gaps).
    λs that do not reach it have ``converged = False`` and cause one :class:`ConvergenceWarning`.

    Args:
      X: ``(n, p)`` real design matrix (float64 when ``jax_enable_x64`` is on, else float32).
        A ``jax.Array`` stays on its devices: it is checked and standardized there and never
        gathered to the host or to one device, so an ``X`` that arrives row-sharded over a
        mesh axis ``"data"`` (e.g. from ``jax.make_array_from_process_local_data``, each host
        loading its own rows) may be larger than one device's or one host's memory. Its mesh
        is used when ``mesh`` is None.
      y: ``(n,)`` targets.
      loss: ``"squared"``, ``"logistic"`` or ``"poisson"``.
      l1_ratio: ρ in [0, 1]; 1 is the lasso. 0 (ridge) needs explicit ``lambdas``.
      lambdas: an int K (a grid of K values log-spaced from λ_max to
        ``lambda_min_ratio · λ_max``), or an array of λs ≥ 0 (returned in descending order).
      lambda_min_ratio: in (0, 1); default 1e-4 if n > p else 1e-2 (glmnet).
      fit_intercept: fit an unpenalized intercept.
      standardize: standardize the columns (see above).
      penalty_factor: ``(p,)`` non-negative ``v``; 0 leaves a feature unpenalized.
      sample_weight: ``(n,)`` non-negative weights, normalized inside.
      positive: constrain the coefficients to be ≥ 0.
      tol: relative duality-gap tolerance (see above).
      max_iter: inner-iteration cap per block of λs and working set.
      block_size: how many neighbouring λs are solved together.
      mesh: optional ``jax.sharding.Mesh`` to run on several devices: each block of λs is split
        over its axis ``"lambdas"`` and the rows of ``X`` over its axis ``"data"`` (data
        parallel: ``Xᵀr`` is reduced across devices); either axis may be absent. Shapes that do
        not divide evenly are padded (rows of zero weight, repeated λs). Results equal the
        single-device run to rounding. Default: the mesh a sharded ``jax.Array`` ``X`` is on.

    Returns:
      :class:`PathResult`: ``lambdas`` ``(K,)`` descending, ``coef`` ``(K, p)``, ``intercept``,
      ``converged``, ``n_iter``, ``gap``, ``status`` ``(K,)``, and ``predict(X)`` ``(K, n)``.

    Raises:
      ValueError, TypeError: on bad input, naming the argument and the fix.

    Example:
      >>> import numpy as np
      >>> import l1jax
      >>> X = np.array([[-1.0], [0.0], [1.0]]); y = np.array([-1.0, 0.0, 1.0])
      >>> res = l1jax.path(X, y, lambdas=np.array([0.1, 0.5, 1.0]), standardize=False)
      >>> [round(float(v), 4) for v in res.lambdas], [round(float(c), 4) for c in res.coef[:, 0]]
      ([1.0, 0.5, 0.1], [0.0, 0.25, 0.85])
    """
    res, tol = _path(
        X, y, loss=loss, l1_ratio=l1_ratio, lambdas=lambdas, lambda_min_ratio=lambda_min_ratio,
        fit_intercept=fit_intercept, standardize=standardize, penalty_factor=penalty_factor,
        sample_weight=sample_weight, positive=positive, tol=tol, max_iter=max_iter,
        block_size=block_size, mesh=mesh,
    )  # fmt: skip
    warn_unconverged("l1jax.path", res.status, res.gap, res.lambdas, tol, max_iter)
    return res


def warn_unconverged(where, status, gap, lambdas, tol, max_iter, what="λs", stacklevel=3):
    """One :class:`ConvergenceWarning` (two when some λ is :attr:`Status.UNBOUNDED`) for the
    fits of ``status`` (any shape, ``lambdas`` broadcast to it) that did not converge."""
    status, gap = np.asarray(status), np.asarray(gap)
    lambdas = np.broadcast_to(lambdas, status.shape)
    converged = status == solvers.Status.CONVERGED
    unbounded = status == solvers.Status.UNBOUNDED
    if unbounded.any():
        warnings.warn(
            f"{where}: {int(unbounded.sum())} of {status.size} {what} have no finite "
            f"minimizer (status UNBOUNDED, first at λ={lambdas[unbounded][0]:.4g}): the "
            "unpenalized part of the model (the intercept, features with penalty_factor 0, or "
            "every feature at λ = 0) separates the data, so its coefficients diverge. Use λ > 0 "
            "and penalize those features (penalty_factor > 0).",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
    bad = ~converged & ~unbounded
    if bad.any():
        worst = np.unravel_index(np.argmax(np.where(bad, np.nan_to_num(gap, nan=np.inf), -1)),
                                 gap.shape)  # fmt: skip
        warnings.warn(
            f"{where}: {int(bad.sum())} of {status.size} {what} did not converge: worst "
            f"relative duality gap {gap[worst]:.3g} at λ={lambdas[worst]:.4g}, tol={tol:g}. "
            f"Increase max_iter (now {max_iter}), loosen tol, or stop the path at a larger λ "
            "(a larger lambda_min_ratio).",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )


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
):
    """:func:`path` without its warnings: ``(PathResult, tol)``."""
    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    on_devices = isinstance(X, jax.Array)  # kept where it is: never gathered to the host
    if on_devices:
        _check_dtype(X, "X", 2)  # its values are checked on the devices
        mesh = _mesh_of(X, mesh)
    else:
        X = _as_real_array(X, "X", 2)
    y = _as_real_array(y, "y", 1)
    n, p = X.shape
    if n == 0 or p == 0:
        raise ValueError(f"X must have at least one sample and one feature, got shape {X.shape}")
    if y.shape[0] != n:
        raise ValueError(f"y must have one entry per row of X ({n}), got {y.shape[0]}")
    sample_weight = _check_weights(sample_weight, "sample_weight", n, "sample")
    penalty_factor = _check_weights(penalty_factor, "penalty_factor", p, "feature")
    if sample_weight is not None and not np.any(sample_weight > 0):
        raise ValueError("sample_weight is all zero; give at least one sample a positive weight")
    if loss == "logistic" and not np.all((y == 0) | (y == 1)):
        raise ValueError("y must be 0 or 1 for loss='logistic'; encode the two classes as 0/1")
    if loss == "poisson" and np.any(y < 0):
        raise ValueError("y must be non-negative for loss='poisson' (counts or rates)")
    active = y if sample_weight is None else y[sample_weight > 0]
    if fit_intercept and loss == "logistic" and np.all(active == active[0]):
        raise ValueError("y holds a single class for loss='logistic'; it needs both 0 and 1")
    if fit_intercept and loss == "poisson" and not np.any(active > 0):
        raise ValueError("y is all zero for loss='poisson': the intercept would be -inf")
    l1_ratio = _check_scalar(l1_ratio, "l1_ratio", 0.0, 1.0)
    for name, flag in (("fit_intercept", fit_intercept), ("standardize", standardize),
                       ("positive", positive)):  # fmt: skip
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral):
        raise TypeError(f"max_iter must be an int, got {type(max_iter).__name__}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    if isinstance(block_size, bool) or not isinstance(block_size, numbers.Integral):
        raise TypeError(f"block_size must be an int, got {type(block_size).__name__}")
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    _sharding.check_mesh(mesh, "path")
    dtype = _float_dtype(X, y)
    if tol is None:
        tol = 1e-7 if dtype == np.float64 else 1e-5
    tol = _check_scalar(tol, "tol", 0.0)

    auto_grid = isinstance(lambdas, numbers.Integral) and not isinstance(lambdas, bool)
    if auto_grid:
        if lambdas < 1:
            raise ValueError(f"lambdas must be a grid size >= 1 or an array of λs, got {lambdas}")
        if l1_ratio == 0:
            raise ValueError(
                "l1_ratio=0 (ridge) has no λ_max, so the automatic grid is undefined; "
                "pass explicit lambdas or use l1_ratio > 0"
            )
        if lambda_min_ratio is None:
            lambda_min_ratio = 1e-4 if n > p else 1e-2
        lambda_min_ratio = _check_scalar(
            lambda_min_ratio, "lambda_min_ratio", 0.0, 1.0, low_open=True, high_open=True
        )
    else:
        lam_arr = np.asarray(lambdas)
        if lam_arr.dtype == object or not np.issubdtype(lam_arr.dtype, np.number):
            raise TypeError(f"lambdas must be an int or an array of numbers, got {lambdas!r}")
        lam_arr = lam_arr.astype(np.float64).reshape(-1)
        if lam_arr.size == 0:
            raise ValueError("lambdas is empty; pass at least one λ (or a grid size)")
        if np.any(np.isnan(lam_arr)) or np.any(lam_arr < 0) or np.any(np.isinf(lam_arr)):
            raise ValueError("lambdas must be finite and >= 0 (no NaN, inf or negative values)")
        if lambda_min_ratio is not None:
            _check_scalar(lambda_min_ratio, "lambda_min_ratio", 0.0, 1.0, True, True)

    if on_devices:
        place = _Placement(mesh)
        prep = _prepare_on_devices(
            X, y, sample_weight, penalty_factor, place,
            fit_intercept=fit_intercept, standardize=standardize, dtype=dtype,
        )  # fmt: skip
    else:
        prep = _prepare(
            X, y, sample_weight, penalty_factor,
            loss=loss, fit_intercept=fit_intercept, standardize=standardize, dtype=dtype,
        )  # fmt: skip
    if auto_grid:  # fractions of λ_max, which the engine finds at the start of the path
        grid = np.logspace(0, np.log10(lambda_min_ratio), int(lambdas))
    else:
        grid = np.sort(lam_arr)[::-1]

    s64 = np.ones(n) if sample_weight is None else sample_weight.astype(np.float64)
    p_null, l_null, l_sat = solvers._null_and_saturated(
        loss, y.astype(np.float64), s64, fit_intercept, np
    )
    if p_null <= 64 * np.finfo(np.float64).eps * (abs(l_null) + abs(l_sat)):
        # The intercept-only model already fits as well as the saturated one (constant y, a
        # single weighted sample): it is optimal at every λ, and the relative gap is 0/0.
        K = grid.size
        b0 = solvers.null_intercept(loss, y.astype(np.float64), s64, fit_intercept, np)
        res = PathResult(
            lambdas=grid.astype(dtype), coef=np.zeros((K, p), dtype),
            intercept=np.full(K, b0, dtype), converged=np.ones(K, bool),
            n_iter=np.zeros(K, np.int64), gap=np.zeros(K, dtype),
            status=np.zeros(K, np.int32),
        )  # fmt: skip
        return res, tol
    with np.errstate(all="ignore"):  # (thread-safe, unlike warnings.catch_warnings)
        out, _ = _solve_engine(
            prep, grid, auto_grid,
            loss=loss, l1_ratio=l1_ratio, positive=bool(positive),
            fit_intercept=bool(fit_intercept), tol=tol, max_iter=int(max_iter),
            block=1 if grid.size == 1 else int(block_size), mesh=mesh,
        )  # fmt: skip
    grid, coef, intercept, gap = out["lambdas"], out["coef"], out["intercept"], out["gap"]
    n_iter, status = out["n_iter"].astype(np.int64), out["status"]
    coef = (coef / prep.x_scale[None, :]).astype(dtype)
    if fit_intercept:
        intercept = (intercept - coef @ prep.x_mean).astype(dtype)
    converged = status == solvers.Status.CONVERGED
    res = PathResult(
        lambdas=grid.astype(dtype),
        coef=coef,
        intercept=intercept.astype(dtype),
        converged=converged,
        n_iter=n_iter,
        gap=gap,
        status=status,
    )
    return res, tol

"""Proximal operators of the l1jax penalties, on arrays and on pytrees.

Every operator here follows one contract (house style rule 3): given a point ``x`` and a
``threshold`` t >= 0 it returns

    prox_{t P}(x) = argmin_z  ½ ‖z − x‖² + t · P(z)

where ``P`` is the penalty of the same name in :mod:`l1jax.penalties` (with the same ``weights``).
All operators are pure, work on any pytree of arrays, keep each floating leaf's dtype (an
integer leaf comes back in JAX's default float dtype, whatever the threshold, eager or traced;
a bool leaf, and a complex one for ``nonneg_l1`` and ``group_l1``, is a ``TypeError``), accept
a traced ``threshold`` (so ``jax.vmap``/``jax.grad`` over λ work without recompiling), give
exact zeros, propagate NaN (in ``x`` or the threshold), keep ±inf for a finite threshold, give 0
at an infinite one (where a weight or ``l1_ratio`` switches a part of the penalty off, that part
counts as 0, not ``inf · 0``; a threshold of 0 is the identity, infinite weights included), and
have finite gradients everywhere, 0 included. A negative threshold, weight or ``l1_ratio`` is a
``ValueError`` when given as a number or a NumPy array; given as a ``jax.Array`` (traced, or on a
device, which is not read back) it makes the entries it touches NaN.
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from l1jax._programs import highest

__all__ = ["soft_threshold", "l1", "nonneg_l1", "l2", "elastic_net", "group_l1"]

PyTree = Any


def _float_leaf(x) -> jax.Array:
    """``x`` as an array, an integer one in JAX's default float dtype: its prox is a float
    (the threshold's NaN of a negative device value has no integer; an int32 leaf came back
    int32 at a Python int threshold, float32 at the same one traced, and expanded at a
    negative device one)."""
    x = jnp.asarray(x)
    return x.astype(jnp.result_type(float)) if jnp.issubdtype(x.dtype, jnp.integer) else x


def _like(value, x: jax.Array) -> jax.Array:
    """``value`` as an array of ``x``'s floating dtype (bf16 params stay bf16)."""
    value = jnp.asarray(value)
    if jnp.issubdtype(x.dtype, jnp.floating):
        return value.astype(x.dtype)
    return value


_RANGES = {
    ">= 0": lambda v: v >= 0,
    "> 0": lambda v: v > 0,
    "in [0, 1)": lambda v: (v >= 0) & (v < 1),
}


def _check_hyperparam(fn_name: str, name: str, value, bound: str = ">= 0", *,
                      schedule: bool = True) -> None:  # fmt: skip
    """Refuse a concrete hyperparameter that is not a finite real number within ``bound`` (a key
    of ``_RANGES``): ``TypeError`` for bools, complex numbers, strings, ``None`` and lists,
    ``ValueError`` for values out of range, NaN or inf. Schedules (callables, where
    ``schedule``: else a ``TypeError``) and traced arrays cannot be checked here and pass."""
    if callable(value) and not schedule:
        raise TypeError(f"{fn_name}: {name} must be a number (a scalar array too), not a "
                        f"callable: {value!r}")  # fmt: skip
    if callable(value) or isinstance(value, jax.core.Tracer) and np.ndim(value) == 0:
        return
    real = isinstance(value, numbers.Real | np.ndarray | np.generic | jax.Array) and any(
        jnp.issubdtype(jnp.result_type(value), kind) for kind in (jnp.integer, jnp.floating)
    )  # bools are neither
    if not real:
        or_schedule = schedule and name in ("lam", "learning_rate")
        raise TypeError(
            f"{fn_name}: {name} must be a real number (a scalar array too)"
            f"{' (or an optax schedule)' if or_schedule else ''}, "
            f"got {type(value).__name__} {value!r}"
        )
    if np.ndim(value) != 0:  # (it would broadcast against the params, or fail inside JAX)
        raise ValueError(f"{fn_name}: {name} must be a scalar (a number or a 0-d array), got "
                         f"shape {np.shape(value)}" + ("; jax.vmap over λs for several"
                                                       if name == "lam" else ""))  # fmt: skip
    if isinstance(value, jax.core.Tracer):  # (its shape is known; its values are not)
        return
    values = np.asarray(value)
    if not np.all(np.isfinite(values) & _RANGES[bound](values)):
        raise ValueError(f"{fn_name}: {name} must be {bound} and finite, got {value!r}")


def _check_axis(fn_name: str, axis) -> None:
    """A group axis is an int (not a bool) or None."""
    if axis is not None and (not isinstance(axis, numbers.Integral) or isinstance(axis, bool)):
        hint = ("; under optax.inject_hyperparams, name it in static_args=('axis', ...)"
                if isinstance(axis, jax.Array | jax.core.Tracer) else "")  # fmt: skip
        raise TypeError(f"{fn_name}: axis must be an int or None, got {axis!r}{hint}")


def _check_nonneg(fn_name: str, high: float | None = None, **values) -> None:
    """Refuse negative entries of each host value (a number, a NumPy array or a pytree of them),
    named by its keyword: a negative threshold or weight would expand instead of shrink (a
    negative penalty), silently; with ``high``, entries above it too (an ``l1_ratio`` above 1: no
    convex penalty). NaN and ±inf pass (NaN propagates and an infinite threshold zeroes, as
    documented). A ``jax.Array`` (traced, or on a device) is not read: reading it would wait for
    the device at every step of an eager optax loop (0.71 → 1.07 ms a step measured)."""
    for name, value in values.items():
        if value is None and name in ("threshold", "l1_ratio"):  # (weights may be None)
            raise TypeError(f"{fn_name}: {name} must be a number or an array, got None")
        for leaf in jax.tree.leaves(value):
            if callable(leaf):
                continue
            try:
                kind = np.dtype(jnp.result_type(leaf)).kind
            except TypeError:  # (a string, an object: refused below)
                kind = "O"
            if kind == "c" or kind == "b" and name != "weights":  # (a dtype: nothing is read)
                raise TypeError(f"{fn_name}: {name} must hold real numbers, got dtype "
                                f"{jnp.result_type(leaf)}")  # fmt: skip
            if isinstance(leaf, jax.Array | jax.core.Tracer):
                continue
            arr = np.asarray(leaf)
            if arr.dtype.kind not in "iufb":  # (JAX's "not a valid JAX type" named nothing)
                raise TypeError(f"{fn_name}: {name} must hold real numbers, got "
                                f"{type(leaf).__name__} {leaf!r:.60}")  # fmt: skip
            if arr.dtype.kind not in "iuf":
                continue
            if np.any(arr < 0) or high is not None and np.any(arr > high):
                got = (f"a minimum of {np.nanmin(arr).item()!r}" if high is None
                       else repr(leaf))  # fmt: skip
                bound = ">= 0" if high is None else f"in [0, {high:g}]"
                raise ValueError(f"{fn_name}: {name} must be {bound}, got {got}")


def _group_weights(fn_name: str, w: jax.Array, x: jax.Array, axis) -> None:
    """Refuse group weights ``w`` of a leaf ``x`` that are neither a scalar nor of the leaf's
    shape without ``axis`` (one per group): they would broadcast into another shape."""
    groups = () if axis is None else tuple(np.delete(np.array(x.shape, int), axis).tolist())
    if w.ndim and w.shape != groups:
        raise ValueError(
            f"{fn_name}: weights of a leaf of shape {x.shape} must be a scalar or one per group, "
            f"of shape {groups} (the leaf's shape without axis={axis}), got shape {w.shape}"
        )


@jax.jit  # (one dispatch in eager mode, not four; elementwise: highest for the policy's sake)
@highest
def _times(t: jax.Array, c: jax.Array) -> jax.Array:
    """``t · c`` with ``inf · 0 = 0`` either way round: an infinite threshold on a part of the
    penalty that is switched off (a weight or a ratio of 0) is no penalty, and a threshold of 0
    on a coordinate of infinite weight (held at 0 by any positive one) is no step, not NaN."""
    return jnp.where(jnp.isinf(t) & (c == 0), 0, t) * jnp.where((t == 0) & jnp.isinf(c), 0, c)


def _nan_unless(ok: jax.Array, value: jax.Array) -> jax.Array:
    """``value`` where ``ok``, NaN elsewhere, with no NaN constant (it trips a user's
    ``jax_debug_nans`` in eager mode wherever ``ok`` holds): log(−1) is the NaN, log(1) = 0
    elsewhere, and no derivative flows through it."""
    dtype = jnp.result_type(value, float)
    return value + jnp.log(jnp.where(ok, 1, -1).astype(dtype))


def _unread(value, arr: jax.Array, high: float | None = None) -> jax.Array:
    """``arr`` (``value`` in some dtype) with the entries out of [0, ``high``] made NaN when
    ``value`` is a ``jax.Array``, traced or on a device, which :func:`_check_nonneg` does not
    read: a negative threshold or weight expanded instead of shrinking, silently."""
    if not isinstance(value, jax.Array | jax.core.Tracer):
        return arr
    return _nan_outside(arr, high)


@functools.partial(jax.jit, static_argnames="high")  # (one dispatch in eager mode, not five)
@highest
def _nan_outside(arr: jax.Array, high: float | None) -> jax.Array:
    ok = arr >= 0 if high is None else (arr >= 0) & (arr <= high)
    return _nan_unless(ok, arr)


def _check_fits(fn_name: str, name: str, value, x: jax.Array, scalar: bool = False) -> None:
    """A ``threshold`` (or ``l1_ratio``) must be a scalar or, where not ``scalar``, broadcast
    against each leaf (a column of thresholds gives the path of solutions): a ``(3,)`` one on a
    ``(2,)`` leaf failed with JAX's broadcasting error, which named nothing."""
    shape = jnp.shape(value)
    try:
        fits = not shape or not scalar and bool(np.broadcast_shapes(shape, jnp.shape(x)))
    except ValueError:
        fits = False
    if not fits:
        how = "" if scalar else " (or broadcast against each leaf: a column for a path)"
        raise ValueError(f"{fn_name}: {name} must be a scalar{how}, got shape {shape} for a "
                         f"leaf of shape {jnp.shape(x)}; jax.vmap over λs for several")  # fmt: skip


def _threshold(fn_name: str, threshold, x: jax.Array, w) -> tuple[jax.Array, jax.Array]:
    """``x`` and the threshold ``t · w`` of its entries (``w=None``: ``t``), in ``x``'s dtype,
    broadcast to one shape (explicitly: a user's ``jax_numpy_rank_promotion="raise"``), with
    negative device values NaN (:func:`_unread`)."""
    _check_fits(fn_name, "threshold", threshold, x)
    t = _unread(threshold, _like(threshold, x))
    if w is not None:
        w = _unread(w, _like(w, x))
        t = _times(*jnp.broadcast_arrays(t, w))
    if jnp.ndim(t) and jnp.shape(t) != jnp.shape(x):  # (a scalar stays one: XLA divides by
        x, t = jnp.broadcast_arrays(x, t)  # it as the user's jit of the same formula does)
    return x, t


def _map(fn, params: PyTree, weights: PyTree | None, fn_name: str, *,
         complex_ok: bool = True, elementwise: bool = True) -> PyTree:  # fmt: skip
    """``fn`` on each leaf of ``params`` (with its weight), after :func:`_check_leaf`;
    ``weights`` must have the structure of ``params`` and, ``elementwise``, leaves that
    broadcast to their leaf's shape (JAX's own errors named neither)."""
    for leaf in jax.tree.leaves(params):
        _check_leaf(fn_name, "params", leaf, complex_ok)
    if weights is None:
        return jax.tree.map(lambda x: fn(_float_leaf(x), None), params)
    _check_weights_like(fn_name, params, weights, elementwise)
    return jax.tree.map(lambda x, w: fn(_float_leaf(x), w), params, weights)


def _check_leaf(fn_name: str, name: str, leaf, complex_ok: bool = True,
                what: str = "a leaf") -> None:  # fmt: skip
    """Refuse a bool ``leaf`` (JAX's own error named nothing, or it became 0./1.), a string,
    and, where not ``complex_ok``, a complex one (its prox would be that of another penalty)."""
    if isinstance(leaf, str | bytes):
        raise TypeError(f"{fn_name}: {name} must be arrays of numbers, got {what} {leaf!r}")
    dtype = leaf.dtype if hasattr(leaf, "dtype") else np.asarray(leaf).dtype  # (a list)
    if dtype == jnp.bool_ or not complex_ok and jnp.issubdtype(dtype, jnp.complexfloating):
        raise TypeError(f"{fn_name}: {name} must be {'real ' if not complex_ok else ''}"
                        f"numbers, got {what} of dtype {dtype}")  # fmt: skip


def _check_weights_like(
    fn_name: str, params: PyTree, weights: PyTree | None, elementwise: bool, summed: bool = False
):
    """``weights`` (unless None) must have the structure of ``params`` and, ``elementwise``,
    leaves that broadcast to their leaf's shape (JAX's own errors named neither; a penalty's
    weights of shape (2, 3) on a leaf (3,) counted it twice), or, ``summed`` (a penalty's
    total), leaves of one number."""
    if weights is None:
        return
    structure = jax.tree.structure(params)
    if jax.tree.structure(weights) != structure:
        masked = "MaskedNode" in str(structure)
        raise ValueError(
            f"{fn_name}: weights must be a pytree like params (one weight per leaf): params are "
            f"{structure}, weights {jax.tree.structure(weights)}"
            + ("; under a mask the prox sees optax.MaskedNode() where the mask is False: put "
               "optax.MaskedNode() there in weights, or leave the mask out and give those "
               "leaves weight 0" if masked else "")
        )  # fmt: skip
    if elementwise:
        for x, w in zip(jax.tree.leaves(params), jax.tree.leaves(weights), strict=True):
            shape, wshape = jnp.shape(x), jnp.shape(w)
            if summed and math.prod(wshape) == 1:  # (a penalty's sum: a (1,) weight is a scalar)
                continue
            try:
                fits = np.broadcast_shapes(wshape, shape) == tuple(shape)
            except ValueError:  # (shapes that do not broadcast at all)
                fits = False
            if not fits:
                raise ValueError(
                    f"{fn_name}: weights has a leaf of shape {wshape} for a params leaf of "
                    f"shape {shape}; give each leaf weights of its shape (or a scalar, or a "
                    "shape that broadcasts to it)"
                )


def soft_threshold(x: jax.Array, threshold: jax.Array | float) -> jax.Array:
    """Elementwise soft-thresholding, the prox of t·|z|.

    Solves ``argmin_z ½ (z − x)² + t |z|`` for each entry, that is
    ``sign(x) · max(|x| − t, 0)``. ``threshold`` broadcasts against ``x``: a ``(K, 1)`` column of
    thresholds against a ``(p,)`` vector gives the ``(K, p)`` path of solutions.

    Args:
      x: array of any shape.
      threshold: non-negative scalar or array broadcastable with ``x``.

    Returns:
      An array of the broadcast shape, in ``x``'s dtype. Entries with ``|x| <= t`` are exact
      zeros; NaN (in ``x`` or ``t``) stays NaN and ±inf stays ±inf for a finite ``t``
      (``soft_threshold(±inf, inf)`` is NaN, ``inf − inf``).

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import prox
      >>> prox.soft_threshold(jnp.array([-2.0, 0.5, 3.0]), 1.0)
      Array([-1.,  0.,  2.], dtype=float32)
      >>> prox.soft_threshold(jnp.array([3.0]), jnp.array([[1.0], [2.0]])).shape
      (2, 1)
    """
    _check_nonneg("prox.soft_threshold", threshold=threshold)
    _check_leaf("prox.soft_threshold", "x", x, what="an array")  # (bool: inside jnp.sign)
    x = _float_leaf(x)
    # (a negative device threshold NaN, as in every operator: it expanded x under jit)
    return _soft(x, _unread(threshold, _like(threshold, x)))


def _soft(x: jax.Array, t: jax.Array, ties: bool = True) -> jax.Array:
    """:func:`soft_threshold` of a float ``x`` at a threshold ``t`` already checked (the
    operators' own, and the solvers' and transforms' thresholds, which they derive from checked
    ones: its checks once more were work done twice on their hot paths). ``ties=False``: a
    tie |x| = t takes the outside's derivative (the same values; the path solvers', whose
    derivatives are implicit, save the test: 7% of a Gram-form path)."""
    # (broadcast explicitly: a column of thresholds works under jax_numpy_rank_promotion="raise")
    x, t = jnp.broadcast_arrays(x, t)
    # An exact 0 inside the band, x − sign(x)·t outside it, where NaN lands (|NaN| < t is false)
    # and stays NaN. Unlike x − clip(x, −t, t) there is no tie at x = t = 0, where clip's
    # derivative in t is −¼ although prox(0, t) = 0 for every t. A finite tie |x| = t > 0 is
    # inside the band (the value is 0 either way): a zero's derivative is 0 there too, as
    # solve_path's at λ_max (minimize's was the other side's, −n/‖x_j‖² at every grid's first
    # λ); inf at an infinite t stays NaN (inf − inf).
    a = jnp.abs(x)
    inside = (a < t) | ((a == t) & (t > 0) & (t < jnp.inf)) if ties else a < t
    return jnp.where(inside, 0, x - jnp.sign(x) * t)


def l1(params: PyTree, threshold, weights: PyTree | None = None) -> PyTree:
    """Prox of the (weighted) L1 norm on a pytree.

    Solves ``argmin_z ½ ‖z − x‖² + t Σ_i w_i |z_i|`` leaf by leaf: soft-thresholding at
    ``t · w_i``.

    Args:
      params: pytree of arrays ``x``.
      threshold: non-negative scalar ``t`` (may be traced).
      weights: optional pytree like ``params`` of non-negative per-coordinate weights ``w``
        (leaves broadcastable to the matching leaf); ``None`` means all ones.

    Returns:
      A pytree like ``params``.

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import prox
      >>> prox.l1({"w": jnp.array([0.3, -1.5])}, 0.5)
      {'w': Array([ 0., -1.], dtype=float32)}
    """

    _check_nonneg("prox.l1", threshold=threshold, weights=weights)

    def one(x, w):
        return _soft(*_threshold("prox.l1", threshold, x, w))

    return _map(one, params, weights, "prox.l1")


def nonneg_l1(params: PyTree, threshold, weights: PyTree | None = None) -> PyTree:
    """Prox of the (weighted) L1 norm restricted to the non-negative orthant.

    Solves ``argmin_{z >= 0} ½ ‖z − x‖² + t Σ_i w_i z_i``, that is ``max(x − t w, 0)``.

    Args:
      params: pytree of arrays ``x``.
      threshold: non-negative scalar ``t``.
      weights: optional pytree like ``params`` of non-negative weights.

    Returns:
      A pytree like ``params`` with every entry ``>= 0`` (NaN stays NaN, +inf stays +inf).

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import prox
      >>> prox.nonneg_l1(jnp.array([-2.0, 0.5, 3.0]), 1.0)
      Array([0., 0., 2.], dtype=float32)
    """

    _check_nonneg("prox.nonneg_l1", threshold=threshold, weights=weights)

    def one(x, w):
        x, t = _threshold("prox.nonneg_l1", threshold, x, w)
        shifted = x - t
        # jnp.maximum propagates NaN; an explicit zero keeps the result exactly 0.
        return jnp.where(shifted > 0, shifted, jnp.where(jnp.isnan(shifted), shifted, 0))

    return _map(one, params, weights, "prox.nonneg_l1", complex_ok=False)


def l2(params: PyTree, threshold, weights: PyTree | None = None) -> PyTree:
    """Prox of the squared L2 penalty ``½ Σ w z²`` (shrinkage, never exact zeros).

    Solves ``argmin_z ½ ‖z − x‖² + t · ½ Σ_i w_i z_i²``, that is ``x / (1 + t w)``.

    Args:
      params: pytree of arrays ``x``.
      threshold: non-negative scalar ``t``.
      weights: optional pytree like ``params`` of non-negative weights.

    Returns:
      A pytree like ``params``.

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import prox
      >>> prox.l2(jnp.array([2.0, -4.0]), 1.0)
      Array([ 1., -2.], dtype=float32)
    """

    _check_nonneg("prox.l2", threshold=threshold, weights=weights)

    def one(x, w):
        x, t = _threshold("prox.l2", threshold, x, w)
        return x / (1 + t)

    return _map(one, params, weights, "prox.l2")


def elastic_net(params: PyTree, threshold, l1_ratio, weights: PyTree | None = None) -> PyTree:
    """Prox of the elastic-net penalty ``ρ Σ w|z| + (1 − ρ) ½ Σ w z²``.

    Solves ``argmin_z ½ ‖z − x‖² + t Σ_i w_i (ρ |z_i| + (1 − ρ)/2 z_i²)``, that is
    ``soft_threshold(x, t ρ w) / (1 + t (1 − ρ) w)``. ``l1_ratio = 1`` is :func:`l1`,
    ``l1_ratio = 0`` is :func:`l2`.

    Args:
      params: pytree of arrays ``x``.
      threshold: non-negative scalar ``t``.
      l1_ratio: ``ρ`` in [0, 1] (may be traced).
      weights: optional pytree like ``params`` of non-negative weights.

    Returns:
      A pytree like ``params``.

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import prox
      >>> prox.elastic_net(jnp.array([3.5, 0.2]), 1.0, 0.5)
      Array([2., 0.], dtype=float32)
    """

    _check_nonneg("prox.elastic_net", threshold=threshold, weights=weights)
    _check_nonneg("prox.elastic_net", high=1, l1_ratio=l1_ratio)

    def one(x, w):
        x, t = _threshold("prox.elastic_net", threshold, x, w)
        _check_fits("prox.elastic_net", "l1_ratio", l1_ratio, x)
        rho = _unread(l1_ratio, _like(l1_ratio, x), high=1)
        return _soft(x, _times(t, rho)) / (1 + _times(t, 1 - rho))

    return _map(one, params, weights, "prox.elastic_net")


def _safe_norm(x: jax.Array, axis, keepdims: bool) -> jax.Array:
    """Euclidean norm along ``axis``, NaN for a group with a NaN, inf for one with an inf.

    The squares are summed after dividing by the group's largest ``|x|``, so they neither
    overflow (float16 ``[300, 400]``: 500, not inf) nor underflow (float32 ``[1e-23, 1e-23]``
    is not 0); by a scale kept in ``[tiny, 2^−minexp]`` (2^126 in float32), whose inverse is a
    normal number: XLA divides by multiplying with the inverse, and float32 ``[1e38, 1]`` had a
    subnormal one, flushed to 0 (a norm of 0: the prox zeroed the group), and a float16 group
    of subnormals an inverse of inf (a norm of inf: never zeroed). The gradient is finite at 0,
    where it is 0 (the double-``where`` trick).
    """
    big = jnp.max(jnp.abs(x), axis=axis, keepdims=True, initial=0)  # NaN if there is a NaN
    scaled = (big > 0) & (big < jnp.inf)  # neither 0 nor inf nor NaN
    info = jnp.finfo(x.dtype)
    top = 2.0**-info.minexp  # (a power of 2 exactly, in every float dtype)
    scale = jax.lax.stop_gradient(jnp.where(scaled, jnp.clip(big, float(info.tiny), top), 1))
    sq = jnp.sum(jnp.square(x / scale), axis=axis, keepdims=True)  # in [1, group size]
    norm = scale * jnp.sqrt(jnp.where(scaled, sq, 1))
    norm = jnp.where(scaled, norm, jnp.where(big == 0, 0, big))
    return norm if keepdims else jnp.squeeze(norm, axis)


def group_l1(
    params: PyTree, threshold, weights: PyTree | None = None, *, axis: int | None = None
) -> PyTree:
    """Prox of the group-L1 (group lasso) penalty ``Σ_g w_g ‖z_g‖₂``: block soft-thresholding.

    Solves ``argmin_z ½ ‖z − x‖² + t Σ_g w_g ‖z_g‖₂``, that is
    ``x_g · max(1 − t w_g / ‖x_g‖₂, 0)`` for each group ``g``. A group is a whole leaf
    (``axis=None``) or the slices of a leaf along ``axis``: with a weight matrix of shape
    ``(n_in, n_out)``, ``axis=1`` makes each row a group (prune an input feature) and ``axis=0``
    each column (prune an output unit). Whole groups become exact zeros.

    Args:
      params: pytree of arrays.
      threshold: non-negative scalar ``t``.
      weights: optional pytree like ``params`` of non-negative group weights ``w_g``: a scalar per
        leaf, or an array of the leaf's shape with ``axis`` removed. ``None`` means 1 (pass
        ``sqrt`` of the group sizes for the classical group-lasso scaling).
      axis: the axis the norm runs over (``None``: the whole leaf is one group).

    Returns:
      A pytree like ``params``.

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import prox
      >>> W = jnp.array([[3.0, 4.0], [0.3, 0.4]])
      >>> prox.group_l1(W, 1.0, axis=1)
      Array([[2.4, 3.2],
             [0. , 0. ]], dtype=float32)
    """

    _check_nonneg("prox.group_l1", threshold=threshold, weights=weights)
    _check_axis("prox.group_l1", axis)

    def one(x, w):
        if axis is not None and not -x.ndim <= axis < x.ndim:
            raise ValueError(
                f"prox.group_l1: axis={axis} is out of range for a leaf of shape {x.shape}; "
                "leave such leaves out (mask=l1jax.skip_biases in group_soft_thresholding, "
                "whose groups are the rows or columns of weight matrices), or use axis=None"
            )  # fmt: skip
        _check_fits("prox.group_l1", "threshold", threshold, x, scalar=True)
        t = _unread(threshold, _like(threshold, x))
        if w is not None:
            w = _unread(w, _like(w, x))
            _group_weights("prox.group_l1", w, x, axis)
            if axis is not None and w.ndim:
                w = jnp.expand_dims(w, axis)
            t = _times(t, w)
        norm = _safe_norm(x, axis, keepdims=True)
        # (t = 0, an unpenalized group: the identity, and its derivative, also where the group
        # is 0, whose derivative was 0; at ‖x_g‖ = t > 0 the inside branch, 0: taking the
        # outside one there, of the same value, slowed a vmapped minimize 10× at XLA's -O0)
        positive = (norm > t) | (t == 0)
        scale = jnp.where(positive, 1 - t / jnp.where(positive & (norm > 0), norm, 1), 0)
        # NaN compares false: a NaN norm (a NaN entry) or threshold poisons its whole group.
        nan = jnp.isnan(norm) | jnp.isnan(t)
        # (norm + t: NaN there, with no NaN constant, which trips jax_debug_nans in eager mode)
        return jnp.where(nan, norm + t, scale * x).astype(x.dtype)

    return _map(one, params, weights, "prox.group_l1", complex_ok=False, elementwise=False)

"""Proximal operators of the l1jax penalties, on arrays and on pytrees.

Every operator here follows one contract (house style rule 3): given a point ``x`` and a
``threshold`` t >= 0 it returns

    prox_{t P}(x) = argmin_z  ½ ‖z − x‖² + t · P(z)

where ``P`` is the penalty of the same name in :mod:`l1jax.penalties` (with the same ``weights``).
All operators are pure, work on any pytree of arrays, keep each leaf's dtype, accept a traced
``threshold`` (so ``jax.vmap``/``jax.grad`` over λ work without recompiling), give exact zeros,
propagate NaN and keep ±inf, and have finite gradients everywhere, 0 included.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

__all__ = ["soft_threshold", "l1", "nonneg_l1", "l2", "elastic_net", "group_l1"]

PyTree = Any


def _like(value, x: jax.Array) -> jax.Array:
    """``value`` as an array of ``x``'s floating dtype (bf16 params stay bf16)."""
    value = jnp.asarray(value)
    if jnp.issubdtype(x.dtype, jnp.floating):
        return value.astype(x.dtype)
    return value


def _map(fn, params: PyTree, weights: PyTree | None) -> PyTree:
    if weights is None:
        return jax.tree.map(lambda x: fn(x, None), params)
    return jax.tree.map(fn, params, weights)


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
      zeros; NaN stays NaN and ±inf stays ±inf.

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import prox
      >>> prox.soft_threshold(jnp.array([-2.0, 0.5, 3.0]), 1.0)
      Array([-1.,  0.,  2.], dtype=float32)
      >>> prox.soft_threshold(jnp.array([3.0]), jnp.array([[1.0], [2.0]])).shape
      (2, 1)
    """
    x = jnp.asarray(x)
    t = _like(threshold, x)
    # x − clip(x, −t, t) is exactly 0 inside the band, keeps inf, and propagates NaN.
    return x - jnp.clip(x, -t, t)


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

    def one(x, w):
        t = threshold if w is None else _like(threshold, x) * _like(w, x)
        return soft_threshold(x, t)

    return _map(one, params, weights)


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

    def one(x, w):
        x = jnp.asarray(x)
        t = _like(threshold, x) if w is None else _like(threshold, x) * _like(w, x)
        shifted = x - t
        # jnp.maximum propagates NaN; an explicit zero keeps the result exactly 0.
        return jnp.where(shifted > 0, shifted, jnp.where(jnp.isnan(shifted), shifted, 0))

    return _map(one, params, weights)


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

    def one(x, w):
        x = jnp.asarray(x)
        t = _like(threshold, x) if w is None else _like(threshold, x) * _like(w, x)
        return x / (1 + t)

    return _map(one, params, weights)


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

    def one(x, w):
        x = jnp.asarray(x)
        t = _like(threshold, x) if w is None else _like(threshold, x) * _like(w, x)
        rho = _like(l1_ratio, x)
        return soft_threshold(x, t * rho) / (1 + t * (1 - rho))

    return _map(one, params, weights)


def _safe_norm(x: jax.Array, axis, keepdims: bool) -> jax.Array:
    """Euclidean norm with a finite gradient at 0 (the double-``where`` trick)."""
    sq = jnp.sum(jnp.square(x), axis=axis, keepdims=keepdims)
    positive = sq > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, sq, 1)), 0)


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

    def one(x, w):
        x = jnp.asarray(x)
        t = _like(threshold, x)
        if w is not None:
            w = _like(w, x)
            if axis is not None and w.ndim:
                w = jnp.expand_dims(w, axis)
            t = t * w
        norm = _safe_norm(x, axis, keepdims=True)
        positive = norm > t
        scale = jnp.where(positive, 1 - t / jnp.where(positive, norm, 1), 0)
        return jnp.where(jnp.isnan(norm), jnp.nan, scale * x).astype(x.dtype)

    return _map(one, params, weights)

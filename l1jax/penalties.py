"""Penalty functions on pytrees: L1, L2, elastic net and group L1.

The norms follow one convention (../DESIGN: "The objective"):

- ``l1(w) = Σ_i v_i |w_i|``
- ``l2(w) = ½ Σ_i v_i w_i²`` (its gradient is ``v·w``, as in ``optax.add_decayed_weights``; the
  textbook "sum of squared weights" is ``2 * l2``)
- ``elastic_net(w, ρ) = ρ · l1(w) + (1 − ρ) · l2(w)``
- ``group_l1(w) = Σ_g v_g ‖w_g‖₂``

with optional non-negative ``weights`` ``v``. Each returns a scalar in the params' dtype, promoted
with the weights' (summed in float32 or wider: bf16 and float16 params too), is
differentiable with a finite gradient everywhere (0 included) and is vmappable over weights.
At 0 the gradient is the subgradient of least norm: 0 (``jax.grad`` of ``l1`` is ``v·sign(w)``
with ``sign(0) = 0``, as :func:`l1jax.add_l1_subgradient` adds; that of ``group_l1`` is 0).
Integer and bool leaves count as numbers (as in ``optax.tree_utils.tree_norm``); complex
leaves are refused.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from l1jax.prox import (
    _check_axis,
    _check_nonneg,
    _check_weights_like,
    _group_weights,
    _like,
    _safe_norm,
    _times,
    _unread,
)

__all__ = ["l1", "l2", "elastic_net", "group_l1"]

PyTree = Any


def _wide(x) -> jax.Array:
    """``x`` as an array, bf16 and float16 widened to float32: their sums and squares are
    formed there (a float16 300² overflowed; 300 bf16 leaves' totals added in bf16 came 11%
    off), and the penalty is cast back to the params' dtype at the end."""
    x = jnp.asarray(x)
    if jnp.iscomplexobj(x):
        raise TypeError(f"penalties: params must be real, got a complex leaf ({x.dtype}); "
                        "penalize its real and imaginary parts as two leaves")  # fmt: skip
    if jnp.issubdtype(x.dtype, jnp.floating) and jnp.finfo(x.dtype).bits < 32:
        return x.astype(jnp.float32)
    if not jnp.issubdtype(x.dtype, jnp.inexact):  # (ints and bools count as numbers: in JAX's
        return x.astype(jnp.result_type(x.dtype, 1.0))  # default float, not truncated to int)
    return x


def _sum_leaves(fn, params: PyTree, weights: PyTree | None, name: str) -> jax.Array:
    _check_nonneg(f"penalties.{name}", weights=weights)

    _check_weights_like(f"penalties.{name}", params, weights, elementwise=name != "group_l1",
                        summed=True)  # fmt: skip

    def term(x, w):  # (a leaf's total in float32 or wider, and the dtype it is returned in: a
        # float one for ints and bools, whose penalty 2.75 came back 2)
        out = jnp.result_type(x) if w is None else jnp.result_type(x, w)
        return fn(_wide(x), w), out if jnp.issubdtype(out, jnp.inexact) else _wide(x).dtype

    # (the documented promotion, made here: under a user's strict dtype promotion, bf16 params
    # with float32 weights failed with JAX's TypePromotionError)
    with jax.numpy_dtype_promotion("standard"):
        if weights is None:
            terms = [term(x, None) for x in jax.tree.leaves(params)]
        else:
            flat, tree = jax.tree.flatten(params)
            terms = [term(x, w) for x, w in zip(flat, tree.flatten_up_to(weights), strict=True)]
        if not terms:
            return jnp.zeros([])
        total = sum((t for t, _ in terms[1:]), terms[0][0])
        return total.astype(jnp.result_type(*(out for _, out in terms)))


@jax.custom_jvp
def _abs(x: jax.Array) -> jax.Array:
    """``|x|``, differentiated as ``sign(x)``: the subgradient 0 at 0 (``jnp.abs`` gives 1)."""
    return jnp.abs(x)


@_abs.defjvp
def _abs_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return _abs(x), jnp.sign(x) * dx


def _weighted(values: jax.Array, w, x: jax.Array) -> jax.Array:
    """``Σ w · values``, a weight of 0 switching its entries off (``inf · 0`` is 0, as in
    :mod:`l1jax.prox`)."""
    if w is None:
        return jnp.sum(values)
    # (a value of 0 with an infinite weight, a coefficient held at 0: 0, and its gradient the
    # least-norm subgradient, not 0 · inf = NaN: the weight is masked too)
    w = jnp.where(values == 0, 0, _unread(w, _like(w, x)))  # (a negative device weight: NaN)
    return jnp.sum(_times(values, w))


def _l1(x: jax.Array, w) -> jax.Array:
    return _weighted(_abs(x), w, x)


def _l2(x: jax.Array, w) -> jax.Array:
    return _weighted(jnp.square(x), w, x) / 2


def l1(params: PyTree, weights: PyTree | None = None) -> jax.Array:
    """The (weighted) L1 norm ``Σ_i v_i |w_i|`` over all leaves.

    Args:
      params: pytree of arrays.
      weights: optional pytree like ``params`` of non-negative weights ``v`` (leaves broadcast to
        the matching leaf); ``None`` means ones. A weight of 0 leaves that coordinate unpenalized.

    Returns:
      A scalar. Its gradient is ``v · sign(w)``, 0 at ``w = 0`` (the subgradient of least norm).

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import penalties
      >>> penalties.l1({"a": jnp.array([1.0, -2.0]), "b": jnp.array(-3.0)})
      Array(6., dtype=float32)
    """
    return _sum_leaves(_l1, params, weights, "l1")


def l2(params: PyTree, weights: PyTree | None = None) -> jax.Array:
    """Half the (weighted) squared L2 norm, ``½ Σ_i v_i w_i²``; its gradient is ``v·w``.

    Args:
      params: pytree of arrays.
      weights: optional pytree like ``params`` of non-negative weights; ``None`` means ones.

    Returns:
      A scalar.

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import penalties
      >>> penalties.l2(jnp.array([1.0, -2.0]))
      Array(2.5, dtype=float32)
    """
    return _sum_leaves(_l2, params, weights, "l2")


def elastic_net(params: PyTree, l1_ratio, weights: PyTree | None = None) -> jax.Array:
    """The elastic-net penalty ``ρ Σ v|w| + (1 − ρ) ½ Σ v w²`` (scikit-learn and glmnet).

    Args:
      params: pytree of arrays.
      l1_ratio: ``ρ`` in [0, 1] (may be traced); 1 is :func:`l1`, 0 is :func:`l2`.
      weights: optional pytree like ``params`` of non-negative weights.

    Returns:
      A scalar.

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import penalties
      >>> penalties.elastic_net(jnp.array([1.0, -2.0]), 0.5)
      Array(2.75, dtype=float32)
    """
    _check_nonneg("penalties.elastic_net", high=1, l1_ratio=l1_ratio)

    def one(x, w):  # (ρ in the leaf's dtype: a float32 ρ kept bf16 params' penalty float32;
        # a part switched off by ρ counts 0 where it is inf: a square that overflows, an inf)
        rho = _unread(l1_ratio, _like(l1_ratio, x), high=1)
        return _times(rho, _l1(x, w)) + _times(1 - rho, _l2(x, w))

    return _sum_leaves(one, params, weights, "elastic_net")


def group_l1(
    params: PyTree, weights: PyTree | None = None, *, axis: int | None = None
) -> jax.Array:
    """The group-L1 (group lasso) penalty ``Σ_g v_g ‖w_g‖₂``.

    A group is a whole leaf (``axis=None``) or each slice of a leaf along ``axis`` (for a
    ``(n_in, n_out)`` weight matrix, ``axis=1`` makes each row a group, ``axis=0`` each column),
    matching :func:`l1jax.prox.group_l1`. Its gradient is finite at 0 (it is 0 there).

    Args:
      params: pytree of arrays.
      weights: optional pytree like ``params`` of group weights: a scalar per leaf, or an array of
        the leaf's shape with ``axis`` removed; ``None`` means ones.
      axis: the axis the Euclidean norm runs over; ``None`` for the whole leaf.

    Returns:
      A scalar.

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import penalties
      >>> penalties.group_l1(jnp.array([[3.0, 4.0], [0.0, 0.0]]), axis=1)
      Array(5., dtype=float32)
    """
    _check_axis("penalties.group_l1", axis)

    def one(x, w):
        if axis is not None and not -x.ndim <= axis < x.ndim:
            raise ValueError(
                f"penalties.group_l1: axis={axis} is out of range for a leaf of "
                f"shape {x.shape}; leave such leaves out (e.g. biases: "
                "l1jax.skip_biases) or use axis=None (the whole leaf a group)"
            )
        if w is not None:
            _group_weights("penalties.group_l1", jnp.asarray(w), x, axis)
        return _weighted(_safe_norm(x, axis, keepdims=False), w, x)

    return _sum_leaves(one, params, weights, "group_l1")

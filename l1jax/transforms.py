"""optax gradient transformations that put L1 (and its relatives) into any optimizer.

Three ways to regularize a training loop, each an :class:`optax.GradientTransformation`:

- :func:`add_l1_subgradient` and :func:`add_weight_decay` add the (sub)gradient of
  ``lam · penalties.l1`` or ``lam · penalties.l2`` to the updates; put them *before* the
  optimizer's scaling, like ``optax.add_decayed_weights``.
- :func:`soft_thresholding` (and the generic :func:`proximal`) apply a proximal operator to
  ``params + updates``; put them *last* in a chain. Only the proximal step gives exact zeros.
- :func:`proximal_gradient` is a ready optimizer: proximal gradient descent (ISTA), accelerated
  by default (FISTA with adaptive restart); :func:`sparse_params` returns its sparse iterate.

Hyperparameters ``lam`` and ``learning_rate`` accept Python numbers, (traced) arrays and optax
schedules (``callable(count)``, evaluated at the transformation's own step count), so a whole
training loop can be ``jax.jit``-compiled once and ``jax.vmap``-ped over a vector of λs;
concrete values are checked when the transformation is built (``TypeError``/``ValueError``
naming the argument); a negative value that could not be checked then (a traced or injected
array, a schedule's) makes the update NaN, as :func:`l1jax.minimize` reports a bad λ, rather
than silently growing the weights. All factories take ``mask=`` (as :func:`optax.masked`: a
pytree of booleans, or a prefix of the params' structure, or a callable returning one; ``False``
leaves, e.g. biases, are left alone) and work under :func:`optax.inject_hyperparams`, which
takes every callable argument for a schedule: with a callable ``mask`` pass
``static_args=("mask",)`` (otherwise the mask would be ``mask(step_count)``, one bool:
``l1jax.skip_biases`` raises a ``ValueError`` then, and so does ``update`` for params of several
leaves; another callable on params of one leaf would turn the prox silently off).
The proximal updates come in the promoted dtype of params and incoming updates, so that
``optax.apply_updates`` gives the prox's result back in the params' dtype, its exact zeros
exactly (bf16 params stay bf16, float32 params with bf16 gradients stay float32); its other
entries exactly where the updates are wider than the params, else to about a unit in the last
place of the larger of the param and the result (``p + (new − p)`` rounds twice: a result much
smaller than its param keeps the param's absolute precision, not its own relative one). Integer
and bool leaves (a step counter, a mask kept in the params) are not parameters: the
transformations that add to or act on incoming updates pass theirs through unchanged (no prox,
penalty or momentum), as ``optax.masked`` passes a masked-out leaf's; the whole optimizers
:func:`proximal_gradient` and :func:`adam_prox` give them the plain step of ``optax.sgd`` and
``optax.adam`` (their gradient is usually 0: a counter stays as it is).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from l1jax import prox
from l1jax._inputs import check_flag
from l1jax.prox import _check_hyperparam, _like, _nan_unless

__all__ = [
    "AddL1SubgradientState",
    "AddWeightDecayState",
    "ProximalState",
    "ProximalGradientState",
    "add_l1_subgradient",
    "add_weight_decay",
    "soft_thresholding",
    "proximal",
    "proximal_gradient",
    "sparse_params",
]

PyTree = Any
ProxFn = Callable[[PyTree, jax.Array], PyTree]


class AddL1SubgradientState(NamedTuple):
    """State of :func:`add_l1_subgradient`."""

    count: jax.Array  # int32 scalar: the number of updates so far (advances schedules)


class AddWeightDecayState(NamedTuple):
    """State of :func:`add_weight_decay`."""

    count: jax.Array  # int32 scalar: the number of updates so far (advances schedules)


class ProximalState(NamedTuple):
    """State of :func:`proximal` and :func:`soft_thresholding`."""

    count: jax.Array  # int32 scalar: the number of updates so far (advances schedules)


class ProximalGradientState(NamedTuple):
    """State of :func:`proximal_gradient`.

    Attributes:
      iterate: the proximal iterate ``x_k`` (same pytree and dtypes as params): the sparse
        answer. Under FISTA the params are the extrapolated point ``y_k``, not ``x_k``.
      momentum: FISTA's scalar ``t_k`` (``t_0 = 1``; reset to 1 on restart; stays 1 for ISTA).
      inner_state: state of the gradient-then-prox step.
    """

    iterate: PyTree
    momentum: jax.Array
    inner_state: optax.OptState


def _at(value, count: jax.Array):
    """A hyperparameter at step ``count``: schedules are called, numbers and arrays returned."""
    return value(count) if callable(value) else value


def _nonneg_at(fn_name: str, value, count: jax.Array, name: str):
    """``_at``, with a negative value (a schedule's, a traced or device array's: unchecked when
    the transformation was built) made NaN: the update is NaN, as ``minimize`` reports a bad λ,
    where a negative strength would silently grow the weights instead of shrinking them. A
    value that is not a scalar (a schedule's, or a traced array's: its shape is known) is a
    ``ValueError`` naming ``name``: it broadcast against the params (a bias of shape (2,) came
    back (3, 2) from a λ of shape (3, 1))."""
    if isinstance(value, numbers.Real):  # (checked >= 0 when built)
        return value
    value = _at(value, count)
    if jnp.ndim(value) != 0:
        raise ValueError(
            f"{fn_name}: {name} must be a scalar (a number, a 0-d array, or a schedule returning "
            f"one), got shape {jnp.shape(value)}"
            + ("; jax.vmap over λs for several" if name == "lam" else "")
        )
    return _nan_unless(value >= 0, value)


def _require_params(fn_name: str, params) -> None:
    if params is None:
        raise ValueError(
            f"{fn_name} needs the current params: call `optimizer.update(updates, state, params)`"
            " (optax passes params=None by default)"
        )


def _is_bool(leaf) -> bool:
    """Whether ``leaf`` is one bool (Python's, NumPy's or a 0-d array of them)."""
    try:
        return isinstance(leaf, bool) or jnp.ndim(leaf) == 0 and jnp.result_type(leaf) == jnp.bool_
    except TypeError:  # (a string, an object)
        return False


def _resolve_mask(fn_name: str, mask, params) -> PyTree:
    """``mask`` (a pytree of bools, a prefix of ``params``' structure, or a callable returning
    one) as one bool per leaf of ``params``, or a ``ValueError`` naming ``mask``."""
    resolved = mask(params) if callable(mask) else mask
    n_leaves = len(jax.tree.leaves(params))
    leaves = jax.tree.leaves(resolved)
    for leaf in leaves:  # (optax.masked's error was NumPy's "truth value ... is ambiguous")
        if not _is_bool(leaf):
            what = f"shape {jnp.shape(leaf)}" if hasattr(leaf, "shape") else repr(leaf)
            raise TypeError(
                f"{fn_name}: mask's leaves must be single bools, one per leaf of params (or a "
                f"prefix of it, as in optax.masked), got {type(leaf).__name__} {what}; a mask "
                "of entries within a leaf is not supported (split the leaf into two)"
            )  # fmt: skip
    single = jax.tree_util.treedef_is_leaf(jax.tree.structure(resolved)) and len(leaves) == 1
    if single and n_leaves > 1:
        raise ValueError(
            f"{fn_name}: mask is a single bool for params of {n_leaves} leaves. Under "
            "optax.inject_hyperparams a callable mask is taken for a schedule and called with "
            "the step count: pass static_args=('mask',) to inject_hyperparams. Otherwise give one "
            "bool per leaf (a pytree like params, or a callable such as l1jax.skip_biases), or "
            "mask=None to penalize every leaf"
        )
    try:
        return jax.tree.map(lambda m, sub: jax.tree.map(lambda _: m, sub), resolved, params)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"{fn_name}: mask must be a pytree of bools with the structure of params or a prefix "
            "of it (as in optax.masked), or a callable params -> such a pytree; got mask "
            f"{jax.tree.structure(resolved)} for params {jax.tree.structure(params)}"
        ) from err


def inexact(leaf) -> bool:
    """Whether a params leaf is a parameter: floating or complex (a Python float too). Integer
    and bool leaves (step counters, masks kept in the params) are left alone by l1jax's
    transformations: their updates pass through unchanged (a prox truncated to an int moved a
    counter by one every step; a bool was JAX's error)."""
    return bool(jnp.issubdtype(jnp.result_type(leaf), jnp.inexact))


def _maybe_masked(
    fn_name: str, transform: optax.GradientTransformation, mask
) -> optax.GradientTransformation:
    """``optax.masked(transform, mask)`` whose errors about the mask name it; integer and bool
    leaves are masked out too (:func:`inexact`). Without a mask on params of floating leaves
    only, ``transform`` itself (its state as documented)."""

    def selected(params):
        floats = jax.tree.map(inexact, params)
        if mask is None:
            return floats
        return jax.tree.map(lambda m, f: m and f, _resolve_mask(fn_name, mask, params), floats)

    def masked(params):  # (the mask of the params: optax.masked calls a callable on updates)
        if mask is None and all(jax.tree.leaves(jax.tree.map(inexact, params))):
            return transform
        return optax.masked(transform, selected(params))

    def init_fn(params):
        try:
            return masked(params).init(params)
        except (ValueError, TypeError):
            if mask is not None:
                _resolve_mask(fn_name, mask, params)  # raises the error that names mask
            raise

    def update_fn(updates, state, params=None):
        _require_params(fn_name, params)
        return masked(params).update(updates, state, params)

    return optax.GradientTransformation(init_fn, update_fn)


def _difference(new, params, updates) -> PyTree:
    """``new − params`` leaf by leaf, in the promoted dtype of params and updates: then
    ``optax.apply_updates`` (``p + u``, cast to the params' dtype) gives ``new`` back, exact zeros
    included, also for bf16 updates of float32 params."""

    def one(n, p, u):
        dtype = jnp.promote_types(jnp.result_type(p), jnp.result_type(u))  # (a Python scalar
        # leaf too, as optax.sgd takes)
        return jnp.asarray(n, dtype) - jnp.asarray(p, dtype)

    return jax.tree.map(one, new, params, updates)


def _zero_count() -> jax.Array:
    return jnp.zeros([], jnp.int32)


def _add_scaled_term(fn_name: str, lam, term: Callable[[jax.Array], jax.Array], state_cls, mask):
    """``updates + lam · term(params)`` leaf by leaf, in each update leaf's dtype."""
    _check_hyperparam(fn_name, "lam", lam)

    def init_fn(params):
        del params
        return state_cls(count=_zero_count())

    def update_fn(updates, state, params=None):
        _require_params(fn_name, params)
        strength = _nonneg_at(fn_name, lam, state.count, "lam")

        def one(u, p):
            u, p = jnp.asarray(u), jnp.asarray(p)  # (Python float leaves, as optax takes)
            return (u + _like(strength, p) * term(p)).astype(u.dtype)

        new_updates = jax.tree.map(one, updates, params)
        return new_updates, state_cls(count=optax.safe_int32_increment(state.count))

    return _maybe_masked(fn_name, optax.GradientTransformation(init_fn, update_fn), mask)


def add_l1_subgradient(lam: optax.ScalarOrSchedule, *, mask=None) -> optax.GradientTransformation:
    """Add the L1 subgradient ``lam · sign(params)`` to the updates.

    This is the gradient of ``lam · penalties.l1(params)`` with the subgradient 0 chosen at 0:
    ``u ← u + λ sign(w)``, ``sign(0) = 0``. Place it before the optimizer's scaling
    (``optax.chain(add_l1_subgradient(lam), optax.sgd(lr))``). Weights then hover around zero
    without reaching it; use :func:`soft_thresholding` for exact zeros.

    Args:
      lam: the strength λ >= 0: a number, a scalar (traced) array or an optax schedule of the
        step count.
      mask: optional pytree of booleans (or a callable ``params -> pytree``) as in
        :func:`optax.masked`; leaves marked ``False`` (e.g. biases) get no penalty. Under
        :func:`optax.inject_hyperparams` a callable mask needs ``static_args=("mask",)``.

    Returns:
      An :class:`optax.GradientTransformation` whose ``update`` requires ``params``.

    Example:
      >>> import jax.numpy as jnp
      >>> import optax
      >>> import l1jax
      >>> params = jnp.array([2.0, 0.0, -3.0])
      >>> tx = l1jax.add_l1_subgradient(0.5)
      >>> updates, _ = tx.update(jnp.ones(3), tx.init(params), params)
      >>> updates
      Array([1.5, 1. , 0.5], dtype=float32)
    """
    return _add_scaled_term("add_l1_subgradient", lam, jnp.sign, AddL1SubgradientState, mask)


def add_weight_decay(lam: optax.ScalarOrSchedule, *, mask=None) -> optax.GradientTransformation:
    """Add ``lam · params``, the gradient of ``lam · penalties.l2(params) = lam · ½ Σ w²``.

    ``u ← u + λ w``. Placed before ``optax.sgd(lr)`` it is classical L2 regularization
    (weights shrink, never to exactly zero).

    Args:
      lam: the strength λ >= 0: a number, a scalar (traced) array or an optax schedule of the
        step count.
      mask: optional pytree of booleans (or a callable ``params -> pytree``) as in
        :func:`optax.masked`; leaves marked ``False`` get no decay. Under
        :func:`optax.inject_hyperparams` a callable mask needs ``static_args=("mask",)``.

    Returns:
      An :class:`optax.GradientTransformation` whose ``update`` requires ``params``.

    Example:
      >>> import jax.numpy as jnp
      >>> import l1jax
      >>> params = jnp.array([2.0, 0.0, -4.0])
      >>> tx = l1jax.add_weight_decay(0.5)
      >>> updates, _ = tx.update(jnp.zeros(3), tx.init(params), params)
      >>> updates
      Array([ 1.,  0., -2.], dtype=float32)
    """
    return _add_scaled_term("add_weight_decay", lam, lambda p: p, AddWeightDecayState, mask)


def _proximal(fn_name: str, prox_fn: ProxFn, lam, learning_rate, mask):
    if not callable(prox_fn):
        raise TypeError(
            f"{fn_name}: prox_fn must be callable as prox_fn(params, threshold), "
            f"got {type(prox_fn).__name__}"
        )
    _check_hyperparam(fn_name, "lam", lam)
    _check_hyperparam(fn_name, "learning_rate", learning_rate, "> 0")

    def init_fn(params):
        del params
        return ProximalState(count=_zero_count())

    def update_fn(updates, state, params=None):
        _require_params(fn_name, params)
        lr = _nonneg_at(fn_name, learning_rate, state.count, "learning_rate")
        threshold = lr * _nonneg_at(fn_name, lam, state.count, "lam")
        moved = optax.apply_updates(params, updates)  # params + updates, in params' dtypes
        new_params = prox_fn(moved, threshold)
        new_updates = _difference(new_params, params, updates)
        return new_updates, ProximalState(count=optax.safe_int32_increment(state.count))

    return _maybe_masked(fn_name, optax.GradientTransformation(init_fn, update_fn), mask)


def proximal(
    prox_fn: ProxFn,
    lam: optax.ScalarOrSchedule,
    learning_rate: optax.ScalarOrSchedule,
    *,
    mask=None,
) -> optax.GradientTransformation:
    """A proximal step on ``params + updates``, for any prox operator; use it last in a chain.

    With ``z = params + updates`` (for ``optax.sgd(η)`` before it, ``z = w − η ∇f(w)``) and the
    threshold ``t = learning_rate · lam``, the new params are

        prox_fn(z, t) = argmin_x  ½ ‖x − z‖² + t · P(x),

    so ``optax.chain(optax.sgd(η), proximal(prox_fn, λ, η))`` is one proximal gradient step
    for ``f(w) + λ P(w)``. The returned updates are ``prox_fn(z, t) − params``. ``learning_rate``
    must match the step size of the optimizer before it (pass the same schedule to both).

    Args:
      prox_fn: ``prox_fn(params, threshold) -> params``, any operator of :mod:`l1jax.prox`, e.g.
        ``prox.l1``, ``prox.nonneg_l1``, ``functools.partial(prox.elastic_net, l1_ratio=0.5)``
        or ``functools.partial(prox.group_l1, axis=1)``.
      lam: the strength λ >= 0: a number, a scalar (traced) array or an optax schedule.
      learning_rate: the step size η > 0 of the gradient step before it: a number, a scalar array or
        an optax schedule.
      mask: optional pytree of booleans (or a callable ``params -> pytree``) as in
        :func:`optax.masked`; ``False`` leaves pass their updates through untouched. (Weights
        closed over by ``prox_fn`` then see only the masked leaves.)

    Returns:
      An :class:`optax.GradientTransformation` whose ``update`` requires ``params``. Under
      :func:`optax.inject_hyperparams` pass ``static_args="prox_fn"`` (it is a callable, not a
      schedule), and ``static_args=("prox_fn", "mask")`` with a callable ``mask``.

    Example:
      >>> import functools
      >>> import jax.numpy as jnp
      >>> import optax
      >>> from l1jax import prox, proximal
      >>> params = jnp.array([1.5, -0.25, 1.0])
      >>> tx = optax.chain(optax.sgd(0.5), proximal(prox.nonneg_l1, 0.5, 0.5))
      >>> updates, _ = tx.update(jnp.array([1.0, 0.0, 0.0]), tx.init(params), params)
      >>> optax.apply_updates(params, updates)
      Array([0.75, 0.  , 0.75], dtype=float32)
    """
    return _proximal("proximal", prox_fn, lam, learning_rate, mask)


def soft_thresholding(
    lam: optax.ScalarOrSchedule, learning_rate: optax.ScalarOrSchedule, *, mask=None
) -> optax.GradientTransformation:
    """L1 proximal step (soft-thresholding) on ``params + updates``; use it last in a chain.

    The L1 case of :func:`proximal`: with ``z = params + updates`` and ``t = learning_rate · lam``
    the new params are ``sign(z) · max(|z| − t, 0) = argmin_x ½ ‖x − z‖² + t ‖x‖₁``, with exact
    zeros. ``optax.chain(optax.sgd(η), soft_thresholding(λ, η))`` is one ISTA step for
    ``f(w) + λ ‖w‖₁`` (the lasso when ``f(w) = ‖y − Xw‖² / (2n)``, scikit-learn's ``alpha = λ``).

    Args:
      lam: the strength λ >= 0: a number, a scalar (traced) array or an optax schedule.
      learning_rate: the step size η > 0 of the optimizer before it (the same number or
        schedule).
      mask: optional pytree of booleans (or a callable ``params -> pytree``) as in
        :func:`optax.masked`; ``False`` leaves (e.g. biases) pass through untouched. Under
        :func:`optax.inject_hyperparams` a callable mask needs ``static_args=("mask",)``.

    Returns:
      An :class:`optax.GradientTransformation` whose ``update`` requires ``params``
      (``ValueError`` otherwise).

    Example:
      >>> import jax.numpy as jnp
      >>> import optax
      >>> import l1jax
      >>> params = {"w": jnp.array([1.5, -0.125, 0.0])}
      >>> tx = optax.chain(optax.sgd(0.5), l1jax.soft_thresholding(lam=0.5, learning_rate=0.5))
      >>> state = tx.init(params)
      >>> updates, state = tx.update({"w": jnp.array([1.0, 0.0, 0.0])}, state, params)
      >>> optax.apply_updates(params, updates)
      {'w': Array([0.75, 0.  , 0.  ], dtype=float32)}
    """
    return _proximal("soft_thresholding", prox.l1, lam, learning_rate, mask)


def _fista_momentum_dtype(params) -> jnp.dtype:
    """At least float32 for FISTA's ``t_k`` (bf16 cannot count steps), float64 for f64 params."""
    dtypes = [jnp.result_type(x) for x in jax.tree.leaves(params)]
    floats = [d for d in dtypes if jnp.issubdtype(d, jnp.floating)]
    # (the widest, not jnp.result_type: float32 beside float64 params is no promotion under a
    # user's jax_numpy_dtype_promotion="strict")
    widest = max((jnp.dtype(jnp.float32), *floats), key=lambda d: jnp.finfo(d).bits)
    return widest if floats else jnp.result_type(float)


def _tree_vdot(a, b, dtype) -> jax.Array:
    """The real inner product ``Σ Re⟨x, y⟩`` of two lists of leaves, in the real ``dtype``
    (complex leaves by both parts: cast to ``dtype`` they lost their imaginary parts, and FISTA's
    restart test then looked at the real parts alone)."""

    def term(x, y):  # (no jnp.result_type: bf16 beside float32 is no promotion under a user's
        # jax_numpy_dtype_promotion="strict")
        wide = dtype
        if jnp.iscomplexobj(x) or jnp.iscomplexobj(y):  # (complex of at least dtype)
            wide = jnp.complex128 if jnp.finfo(dtype).bits > 32 else jnp.complex64
        dot = jnp.vdot(x.astype(wide), y.astype(wide), precision=jax.lax.Precision.HIGHEST)
        return jnp.real(dot).astype(dtype)

    return sum((term(x, y) for x, y in zip(a, b, strict=True)), jnp.zeros([], dtype))


def _prox_gradient_step(fn_name: str, prox_fn, lam, learning_rate, mask):
    """The transformation ``g ↦ prox_fn(w − η g, η λ) − w`` (a gradient step, then the prox on
    the leaves ``mask`` selects): the step of :func:`proximal_gradient` and
    :func:`l1jax.minimize`."""
    return optax.chain(
        optax.scale_by_learning_rate(learning_rate),
        _proximal(fn_name, prox.l1 if prox_fn is None else prox_fn, lam, learning_rate, mask),
    )


def _own_copy(x):
    """``x`` in a buffer of its own (a JAX array, or a tracer: jit forwards an output that is its
    input unchanged in the same buffer), anything else (a Python float, a NumPy array) as is."""
    return jnp.copy(x) if isinstance(x, jax.Array) else x


def _fista_momentum(y, x_new, x_old, t: jax.Array, restart: bool):
    """FISTA's extrapolation from the proximal step ``y → x_new`` (previous iterate ``x_old``).

    Returns ``(y_new, t_new)``: ``t_new = (1 + √(1 + 4 t²)) / 2`` and
    ``y_new = x_new + (t − 1) / t_new · (x_new − x_old)`` (Beck & Teboulle 2009), or, with
    ``restart`` and ``(y − x_new)·(x_new − x_old) > 0``, ``t_new = 1`` and ``y_new = x_new``
    (the gradient restart of O'Donoghue & Candès 2015). ``y_new`` keeps each leaf's dtype.
    """
    t_new = (1 + jnp.sqrt(1 + 4 * t * t)) / 2
    beta = (t - 1) / t_new
    if restart:
        leaves = [jax.tree.leaves(tree) for tree in (y, x_new, x_old)]
        floats = [inexact(leaf) for leaf in leaves[1]]  # (integer and bool leaves: no momentum)
        back = [a - b for a, b, f in zip(leaves[0], leaves[1], floats, strict=True) if f]
        forward = [a - b for a, b, f in zip(leaves[1], leaves[2], floats, strict=True) if f]
        restart_now = _tree_vdot(back, forward, t.dtype) > 0
        beta = jnp.where(restart_now, 0, beta)
        t_new = jnp.where(restart_now, 1, t_new).astype(t.dtype)
    y_new = jax.tree.map(lambda xn, xo: xn + _like(beta, xn) * (xn - xo) if inexact(xn) else xn,
                         x_new, x_old)  # fmt: skip
    return y_new, t_new


def proximal_gradient(
    learning_rate: optax.ScalarOrSchedule,
    lam: optax.ScalarOrSchedule,
    *,
    prox_fn: ProxFn | None = None,
    accelerate: bool = True,
    restart: bool = True,
    mask=None,
) -> optax.GradientTransformation:
    """Proximal gradient descent for ``f(w) + λ P(w)``: ISTA, or FISTA (the default).

    Feed it the gradient of the smooth part ``f`` only. Each update computes the proximal
    gradient step from the current params ``y_k``

        x_{k+1} = prox_fn(y_k − η ∇f(y_k), η λ)

    and then, with ``accelerate=False`` (ISTA), the new params are ``y_{k+1} = x_{k+1}``;
    with ``accelerate=True`` (FISTA, Beck & Teboulle 2009) they are the extrapolated point

        t_{k+1} = (1 + √(1 + 4 t_k²)) / 2,
        y_{k+1} = x_{k+1} + (t_k − 1) / t_{k+1} · (x_{k+1} − x_k),

    with ``t_0 = 1``, ``x_0 = y_0`` = the initial params. With ``restart=True`` the momentum is
    reset (``t ← 1``, ``y_{k+1} = x_{k+1}``) whenever ``(y_k − x_{k+1})·(x_{k+1} − x_k) > 0``
    (the gradient restart of O'Donoghue & Candès 2015), which restores linear convergence on
    strongly convex problems such as most lassos.

    **Which point is the answer.** Gradients must be taken at the params, so under FISTA the
    params are the extrapolated ``y_k``, which is generally *not* sparse. The proximal iterate
    ``x_k``, with exact zeros, is kept in the state: get it with :func:`sparse_params`
    ``(opt_state)`` (or ``state.iterate``). For ISTA both coincide.

    With ``η ≤ 1 / L`` (``L`` the Lipschitz constant of ``∇f``; for the lasso
    ``‖X‖₂² / n``) ``F(x_k) − F*`` decreases as ``O(1/k)`` (ISTA) or ``O(1/k²)`` (FISTA).

    Args:
      learning_rate: the step size η > 0: a number, a scalar array or an optax schedule.
      lam: the strength λ >= 0: a number, a scalar (traced) array or an optax schedule.
      prox_fn: ``prox_fn(params, threshold) -> params``; ``None`` means :func:`l1jax.prox.l1`
        (the lasso). Under :func:`optax.inject_hyperparams` a non-default ``prox_fn`` needs
        ``static_args="prox_fn"`` (and a callable ``mask`` ``static_args=("prox_fn", "mask")``).
      accelerate: FISTA extrapolation (True) or plain ISTA (False); a bool.
      restart: adaptive (gradient) restart of the momentum; only used when ``accelerate``.
      mask: optional pytree of booleans (or a callable ``params -> pytree``) as in
        :func:`optax.masked`; ``False`` leaves get a plain (accelerated) gradient step and no
        prox. Under :func:`optax.inject_hyperparams` a callable mask needs
        ``static_args=("mask",)``.

    Returns:
      An :class:`optax.GradientTransformation` with :class:`ProximalGradientState` (nested inside
      a :class:`optax.InjectHyperparamsState` under ``inject_hyperparams``); ``update``
      requires ``params``.

    Example:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> import optax
      >>> import l1jax
      >>> X = jnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
      >>> y = jnp.array([2.0, 0.1, 2.1])
      >>> loss = lambda w: jnp.mean((y - X @ w) ** 2) / 2
      >>> opt = l1jax.proximal_gradient(learning_rate=1.0, lam=0.2)
      >>> w = jnp.zeros(2)
      >>> state = opt.init(w)
      >>> for _ in range(100):
      ...     updates, state = opt.update(jax.grad(loss)(w), state, w)
      ...     w = optax.apply_updates(w, updates)
      >>> l1jax.sparse_params(state)  # the sparse iterate x_k (w holds y_k)
      Array([1.7499999, 0.       ], dtype=float32)
    """
    accelerate = check_flag(accelerate, "proximal_gradient: accelerate")
    restart = check_flag(restart, "proximal_gradient: restart")
    step = _prox_gradient_step("proximal_gradient", prox_fn, lam, learning_rate, mask)

    def init_fn(params):
        return ProximalGradientState(
            iterate=jax.tree.map(_own_copy, params),  # (a step donating params and state:
            # "attempt to donate the same buffer twice" when the state held the params' own)
            momentum=jnp.ones([], _fista_momentum_dtype(params)),
            inner_state=step.init(params),
        )

    def update_fn(updates, state, params=None):
        _require_params("proximal_gradient", params)
        prox_step, inner_state = step.update(updates, state.inner_state, params)
        x_new = optax.apply_updates(params, prox_step)
        if not accelerate:
            return prox_step, ProximalGradientState(x_new, state.momentum, inner_state)

        y_new, t_new = _fista_momentum(params, x_new, state.iterate, state.momentum, restart)
        new_updates = jax.tree.map(  # (integer and bool leaves: the plain step, as optax.sgd)
            lambda y, p, u, step: _difference(y, p, u) if inexact(p) else step,
            y_new, params, updates, prox_step,
        )  # fmt: skip
        return new_updates, ProximalGradientState(x_new, t_new, inner_state)

    return optax.GradientTransformation(init_fn, update_fn)


def sparse_params(opt_state: optax.OptState, params: PyTree | None = None) -> PyTree:
    """The proximal iterate ``x_k`` of the :func:`proximal_gradient` inside ``opt_state``.

    Under FISTA the params that a training loop holds are the extrapolated point
    ``y_k = x_k + β_k (x_k − x_{k−1})`` (gradients are taken there), which is not sparse; the
    answer of the optimization, with exact zeros, is ``x_k``. This finds it in any optimizer
    state that contains exactly one :class:`ProximalGradientState` (plain, inside a chain, or
    inside :func:`optax.inject_hyperparams`); a state vmapped over λ gives a leading λ axis.
    Under :func:`optax.masked` or :func:`optax.multi_transform` the state holds only the
    leaves given to :func:`proximal_gradient` (optax's ``MaskedNode`` for the others): pass the
    loop's ``params`` to take the others from them.

    Args:
      opt_state: the state returned by ``init``/``update`` of an optimizer built with
        :func:`proximal_gradient`.
      params: optional, the params of the training loop: fills the leaves that
        :func:`proximal_gradient` does not update (``MaskedNode`` in its state).

    Returns:
      A pytree like the params.

    Raises:
      ValueError: when ``opt_state`` holds no, or more than one, :class:`ProximalGradientState`.

    Example:
      >>> import jax.numpy as jnp
      >>> import l1jax
      >>> opt = l1jax.proximal_gradient(learning_rate=0.5, lam=1.0)
      >>> params = jnp.array([3.0, 0.2])
      >>> state = opt.init(params)
      >>> updates, state = opt.update(jnp.zeros(2), state, params)
      >>> l1jax.sparse_params(state)
      Array([2.5, 0. ], dtype=float32)
    """

    def is_state(node) -> bool:
        return isinstance(node, ProximalGradientState)

    found = [s for s in jax.tree.leaves(opt_state, is_leaf=is_state) if is_state(s)]
    if len(found) != 1:
        raise ValueError(
            "sparse_params needs an optimizer state holding exactly one ProximalGradientState "
            f"(from l1jax.proximal_gradient); found {len(found)}"
        )
    iterate = found[0].iterate
    if params is None:
        return iterate

    def is_masked(node) -> bool:
        return isinstance(node, optax.MaskedNode)

    try:
        return jax.tree.map(lambda x, p: p if is_masked(x) else x, iterate, params,
                            is_leaf=is_masked)  # fmt: skip
    except ValueError as err:
        raise ValueError(
            "sparse_params: params must have the structure of the params the optimizer was "
            f"initialized with, got {jax.tree.structure(params)} for the state's "
            f"{jax.tree.structure(iterate, is_leaf=is_masked)}"
        ) from err

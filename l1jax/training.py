"""Sparse neural networks: many models at once, one per λ, and structured or adaptive prox steps.

- :func:`train_path` trains one model per λ in a single compiled program (a ``lax.scan``
  training loop whose step is ``jax.vmap``-ped over λ), with minibatches shared by all λs and
  progress reported through a host callback.
- :func:`group_soft_thresholding` prunes whole rows or columns of weight matrices (neurons,
  input features): the group-lasso prox as an optax transformation.
- :func:`adam_prox` is Adam followed by the L1 prox in Adam's own metric (per-coordinate
  threshold ``lr·λ / (√v̂ + ε)``, Yun, Lozano & Yang 2021), beside the plain
  ``optax.chain(optax.adam(lr), soft_thresholding(λ, lr))`` with threshold ``lr·λ``.
- :func:`skip_biases` is the usual mask: penalize weight matrices, leave biases alone.

See ``docs/training.md`` for when to use the subgradient, the prox or weight decay.
"""

from __future__ import annotations

import collections
import functools
import itertools
import logging
import numbers
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from numpy.typing import ArrayLike

from l1jax import _inputs, _programs, _sharding, prox
from l1jax._programs import bounded_jit, host_entry, static_key
from l1jax._warnings import add_note_once, user_stacklevel
from l1jax.prox import _check_axis, _check_hyperparam, _like
from l1jax.transforms import (
    _difference,
    _nonneg_at,
    _proximal,
    _require_params,
    _resolve_mask,
    _zero_count,
    inexact,
)

__all__ = [
    "AdamProxState",
    "TrainPathResult",
    "adam_prox",
    "batch_indices",
    "group_soft_thresholding",
    "skip_biases",
    "train_path",
]

PyTree = Any
LossFn = Callable[[PyTree, PyTree], jax.Array]
Progress = bool | int | Callable[[int, np.ndarray], Any]


# --- masks and structured sparsity ----------------------------------------------------------


def skip_biases(params: PyTree) -> PyTree:
    """A mask for ``mask=``: ``True`` for weight matrices (``ndim >= 2``), ``False`` otherwise.

    Biases, scales and other vectors or scalars are then left out of the penalty, as is usual:
    a zero bias removes nothing from a network, and penalizing it only biases the fit.

    Example:
      >>> import jax.numpy as jnp
      >>> import l1jax
      >>> l1jax.skip_biases({"w": jnp.ones((3, 2)), "b": jnp.ones(2)})
      {'b': False, 'w': True}
    """
    leaves = jax.tree.leaves(params)
    if (
        len(leaves) == 1
        and jnp.ndim(leaves[0]) == 0
        and jnp.issubdtype(jnp.result_type(leaves[0]), jnp.integer)
    ):  # (params are no integer scalar: optax.inject_hyperparams called it with its step count)
        raise ValueError(
            "skip_biases got an integer scalar, not params: optax.inject_hyperparams takes a "
            "callable mask for a schedule and calls it with the step count (with params of one "
            "leaf the prox would then be silently off); pass static_args=('mask',) to "
            "inject_hyperparams"
        )
    return jax.tree.map(lambda x: jnp.ndim(x) >= 2, params)


def group_soft_thresholding(
    lam: optax.ScalarOrSchedule,
    learning_rate: optax.ScalarOrSchedule,
    *,
    axis: int | None,
    mask=None,
) -> optax.GradientTransformation:
    """Group soft-thresholding (the group-lasso prox) on ``params + updates``; use it last.

    With ``z = params + updates`` and ``t = learning_rate · lam``, each group ``z_g`` becomes

        z_g · max(1 − t / ‖z_g‖₂, 0) = argmin_x ½ ‖x − z_g‖² + t ‖x‖₂,

    that is :func:`l1jax.prox.group_l1` with ``axis``: a group is a slice of a leaf along
    ``axis`` (``axis=None``: the whole leaf). For a dense layer ``x @ W`` with ``W`` of shape
    ``(n_in, n_out)``, ``axis=1`` makes each **row** a group (prune an input feature: its
    outgoing weights vanish together) and ``axis=0`` each **column** (prune an output unit: its
    incoming weights vanish together). Whole groups become exact zeros; the others shrink toward
    zero by ``t`` in norm. ``optax.chain(optax.sgd(η), group_soft_thresholding(λ, η, axis=1))``
    is one proximal gradient step for ``f(W) + λ Σ_rows ‖W_row‖₂``.

    Args:
      lam: the strength λ >= 0: a number, a scalar (traced) array or an optax schedule.
      learning_rate: the step size η > 0 of the optimizer before it (the same number or
        schedule).
      axis: the axis the norm runs over (required: 0 or 1 for a matrix, ``None`` for the leaf).
      mask: optional pytree of booleans or a callable ``params -> pytree`` (as in
        :func:`optax.masked`); ``False`` leaves pass through untouched. Biases have no ``axis=1``:
        mask them out with ``mask=l1jax.skip_biases``, or select single layers with a dict.
        Under :func:`optax.inject_hyperparams` pass ``static_args=("axis", "mask")``: it would
        take an int ``axis`` for a number and a callable ``mask`` for a schedule.

    Returns:
      An :class:`optax.GradientTransformation` whose ``update`` requires ``params``.

    Example:
      >>> import jax
      >>> import jax.numpy as jnp
      >>> import optax
      >>> import l1jax
      >>> params = {"w": jnp.array([[3.0, 4.0], [0.3, 0.4]]), "b": jnp.array([0.1, 0.1])}
      >>> tx = l1jax.group_soft_thresholding(1.0, 1.0, axis=1, mask=l1jax.skip_biases)
      >>> zeros = jax.tree.map(jnp.zeros_like, params)
      >>> updates, _ = tx.update(zeros, tx.init(params), params)
      >>> optax.apply_updates(params, updates)["w"]
      Array([[2.4, 3.2],
             [0. , 0. ]], dtype=float32)
    """
    _check_axis("group_soft_thresholding", axis)
    prox_fn = functools.partial(prox.group_l1, axis=axis)
    return _proximal("group_soft_thresholding", prox_fn, lam, learning_rate, mask)


# --- Adam with the L1 prox in Adam's metric -------------------------------------------------


class AdamProxState(NamedTuple):
    """State of :func:`adam_prox`."""

    count: jax.Array  # int32 scalar: the number of updates so far (advances schedules)
    adam: optax.ScaleByAdamState  # optax's own Adam moments (count, mu, nu)


def adam_prox(
    learning_rate: optax.ScalarOrSchedule,
    lam: optax.ScalarOrSchedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    *,
    mask=None,
) -> optax.GradientTransformation:
    """Adam, then the L1 prox with Adam's per-coordinate step: threshold ``lr·λ / (√v̂ + ε)``.

    Feed it the gradient ``g`` of the data loss ``f`` only. With Adam's bias-corrected moments
    ``m̂``, ``v̂`` (exactly :func:`optax.scale_by_adam`) and ``d = √v̂ + ε``, the new params are

        w⁺ = argmin_x ½ ‖x − z‖²_D + lr · λ ‖x‖₁,   z = w − lr · m̂ / d,   D = diag(d),
           = sign(z) · max(|z| − lr · λ / d, 0),

    the proximal step of ProxGen (Yun, Lozano & Yang, "Adaptive proximal gradient methods for
    structured neural networks", NeurIPS 2021) for Adam's diagonal preconditioner.

    **The trade-off against the plain threshold.** ``optax.chain(optax.adam(lr),
    l1jax.soft_thresholding(λ, lr))`` uses the same threshold ``lr·λ`` for every coordinate.
    Its fixed points satisfy ``0 ∈ ∇f + λ d ⊙ ∂‖w‖₁``: a *reweighted* lasso whose weights are
    the gradient scales ``d``, so λ is measured against Adam's normalized step (|m̂ / d| ≲ 1:
    λ ≥ 1 zeros nearly everything, whatever the loss scale). That makes λ grids easy to choose,
    but the problem solved is not ``f + λ‖w‖₁``. Here the fixed points satisfy
    ``0 ∈ ∇f + λ ∂‖w‖₁``: the stated objective, with λ in the units of the loss (as in
    :func:`l1jax.path`, scikit-learn or SGD + prox). The price: coordinates whose gradients are
    small (``v̂`` near 0: dead units, rarely active inputs, the first steps) get a threshold
    up to ``lr·λ/ε`` and are zeroed at once, and the results depend on ``ε``.

    Only separable penalties have a closed-form prox in a diagonal metric, so this is L1 only
    (group penalties: use :func:`group_soft_thresholding` after ``optax.adam``).

    Args:
      learning_rate: Adam's step size > 0: a number, a scalar array or an optax schedule.
      lam: the strength λ >= 0: a number, a scalar (traced) array or an optax schedule.
      b1: decay of the first moment, in [0, 1) (as :func:`optax.adam`).
      b2: decay of the second moment, in [0, 1).
      eps: > 0, added to ``√v̂`` (as :func:`optax.adam`); it bounds the threshold by
        ``lr·λ/ε``.
      mask: optional pytree of booleans like ``params`` (or a prefix of its structure, as in
        :func:`optax.masked`) or a callable ``params -> pytree``; ``False`` leaves (e.g.
        ``mask=l1jax.skip_biases``) get the plain Adam step, no prox. Under
        :func:`optax.inject_hyperparams` a callable mask needs ``static_args=("mask",)``.

    Returns:
      An :class:`optax.GradientTransformation` with :class:`AdamProxState`; ``update``
      requires ``params``.

    Example:
      >>> import jax.numpy as jnp
      >>> import optax
      >>> import l1jax
      >>> params = jnp.array([0.5, 0.5])
      >>> opt = l1jax.adam_prox(learning_rate=0.1, lam=0.5)
      >>> grads = jnp.array([1.0, 0.001])  # first step: m̂ = g, v̂ = g², threshold 0.05 / |g|
      >>> updates, _ = opt.update(grads, opt.init(params), params)
      >>> optax.apply_updates(params, updates).round(4)
      Array([0.35, 0.  ], dtype=float32)
    """
    _check_hyperparam("adam_prox", "learning_rate", learning_rate, "> 0")
    _check_hyperparam("adam_prox", "lam", lam)
    _check_hyperparam("adam_prox", "b1", b1, "in [0, 1)")
    _check_hyperparam("adam_prox", "b2", b2, "in [0, 1)")
    _check_hyperparam("adam_prox", "eps", eps, "> 0")
    adam = optax.scale_by_adam(b1=b1, b2=b2, eps=eps)

    def init_fn(params):
        return AdamProxState(count=_zero_count(), adam=adam.init(params))

    def update_fn(updates, state, params=None):
        _require_params("adam_prox", params)
        direction, adam_state = adam.update(updates, state.adam, params)  # m̂ / (√v̂ + ε)
        lr = _nonneg_at("adam_prox", learning_rate, state.count, "learning_rate")
        strength = _nonneg_at("adam_prox", lam, state.count, "lam")
        if mask is None:
            selected = jax.tree.map(lambda _: True, params)
        else:  # one bool per leaf, also from a prefix mask such as {"layer": True}
            selected = _resolve_mask("adam_prox", mask, params)
        nu_hat = optax.tree_utils.tree_bias_correction(adam_state.nu, b2, adam_state.count)

        def one(p, d, v, keep, u):
            p = jnp.asarray(p)  # (a Python float leaf)
            if not inexact(p):  # integer and bool leaves: Adam's own step, as optax.adam
                return -_like(lr, d) * d
            step = _like(lr, p)
            z = p - step * d.astype(p.dtype)
            if keep:
                real = jnp.finfo(p.dtype).dtype  # (complex params: a real threshold)
                # √v̂ + ε, as Adam (optax's v̂ of complex params is complex, |g|² + 0j: its real
                # part, as a cast to real dtypes will soon be refused by JAX)
                scale = jnp.real(jnp.sqrt(v)).astype(real) + jnp.asarray(eps, real)
                z = prox._soft(z, step * _like(strength, p) / scale)
            return _difference(z, p, u)

        new_updates = jax.tree.map(one, params, direction, nu_hat, selected, updates)
        return new_updates, AdamProxState(optax.safe_int32_increment(state.count), adam_state)

    return optax.GradientTransformation(init_fn, update_fn)


# --- many models at once: train_path --------------------------------------------------------


class TrainPathResult(NamedTuple):
    """The models trained by :func:`train_path`, one per λ (a pytree: crosses jit and vmap).

    Attributes:
      lambdas: ``(K,)`` the λs, in the given order, in the params' float dtype (>= float32).
      params: the trained params, each leaf with a leading ``K`` axis.
      losses: ``(K, steps)`` the data loss ``loss_fn(params, batch)`` of each step's batch, at
        the params before that step's update.
      opt_state: the final optimizer states, leaves with a leading ``K`` axis (for
        :func:`l1jax.proximal_gradient`, ``l1jax.sparse_params(res.opt_state)``).
      finite: ``(K,)`` bool, False where the last step's loss or the final params are
        non-finite (diverged); a loss non-finite for some steps that recovered is not flagged
        (``losses`` shows it).
    """

    lambdas: jax.Array
    params: PyTree
    losses: jax.Array
    opt_state: optax.OptState
    finite: jax.Array


def batch_indices(key: jax.Array, step, n_samples: int, batch_size: int) -> jax.Array:
    """The sample indices of minibatch ``step`` in :func:`train_path` (epochs without replacement).

    Epoch ``e = step // (n_samples // batch_size)`` shuffles the samples with
    ``jax.random.permutation(jax.random.fold_in(key, e), n_samples)`` and its steps take
    consecutive slices of ``batch_size`` (the last ``n_samples mod batch_size`` samples of each
    shuffle are skipped, so every batch has the same shape). Every λ sees the same batches.

    Args:
      key: a PRNG key.
      step: the 0-based step number (may be traced).
      n_samples: the number of samples (static).
      batch_size: the batch size (static), ``1 <= batch_size <= n_samples``.

    Returns:
      ``(batch_size,)`` int32 indices, distinct within a batch.

    Example:
      >>> import jax
      >>> from l1jax.training import batch_indices
      >>> key = jax.random.key(0)
      >>> a, b = batch_indices(key, 0, 4, 2), batch_indices(key, 1, 4, 2)
      >>> sorted(a.tolist() + b.tolist())  # one epoch sees every sample once
      [0, 1, 2, 3]
    """
    per_epoch = n_samples // batch_size
    step = jnp.asarray(step, jnp.int32)
    return _batch_of(_epoch_order(key, step // per_epoch, n_samples), step, per_epoch, batch_size)


def _epoch_order(key: jax.Array, epoch, n_samples: int) -> jax.Array:
    """The shuffle of epoch ``epoch`` (:func:`batch_indices`)."""
    return jax.random.permutation(jax.random.fold_in(key, epoch), n_samples).astype(jnp.int32)


def _batch_of(order: jax.Array, step, per_epoch: int, batch_size: int) -> jax.Array:
    """Minibatch ``step``'s slice of its epoch's shuffle ``order``."""
    start = (step % per_epoch) * batch_size
    return jax.lax.dynamic_slice_in_dim(order, start, batch_size)


class _Clock:
    """The start times and progress reports of the :func:`train_path` calls running, by their
    number (a traced argument of the program, passed to its reports): the progress lines'
    seconds, each of its own call (one start for all timed a thread's call from another's
    start), and each call's own ``progress`` (a static argument, a new callable per call, a
    logger's closure, compiled the whole program again)."""

    starts: dict[int, float] = {}
    reports: dict[int, Callable] = {}
    errors: dict[int, BaseException] = {}  # a report's own error, raised when its call returns
    numbers = itertools.count()


class _PrintProgress(NamedTuple):
    """The default progress report: one line per report on stderr (hashable: compiles once)."""

    steps: int

    def __call__(self, step, losses, seconds: float = 0.0) -> None:
        losses = np.asarray(losses)
        finite = losses[np.isfinite(losses)]
        spread = (
            f"loss min {finite.min():.4g}  median {np.median(finite):.4g}  max {finite.max():.4g}"
            if finite.size
            else "loss all non-finite"
        )
        diverged = losses.size - finite.size
        note = f"  ({diverged} non-finite)" if diverged else ""
        print(
            f"train_path: step {int(step):>{len(str(self.steps))}}/{self.steps}  "
            f"{losses.size} λs  {spread}{note}  [{seconds:.1f} s]",
            file=sys.stderr,
            flush=True,
        )


def _report_every(progress: Progress, steps: int) -> int:
    """Steps between two reports; 0 means none."""
    if progress is True:
        return max(1, steps // 10)
    if progress is False or progress is None:
        return 0
    if callable(progress):
        return max(1, steps // 10)
    if isinstance(progress, numbers.Integral) and not isinstance(progress, bool):
        if progress < 0:
            raise ValueError(
                f"train_path: progress must be >= 0 (steps between reports), got {progress}"
            )
        return int(progress)
    raise TypeError(
        "train_path: progress must be True, False, an int (steps between reports) or a callable "
        f"progress(step, losses), got {type(progress).__name__}"
    )


class _HostReport(NamedTuple):
    """A progress report as documented: the step an int, the losses a NumPy array of the first
    ``k`` λs (the rest pad the λ axis to whole shards of the mesh), to the report of the call
    numbered ``call`` (:class:`_Clock`); ``printed``, the default one, with the seconds since
    its call's start."""

    printed: bool
    k: int
    stops: bool = True  # a raising report stops the program (not on a mesh: below)

    def __call__(self, call, step, losses) -> None:
        report = _Clock.reports.get(int(call))
        if report is None:  # (a call that has returned: none left)
            return
        losses = np.asarray(losses)[: self.k]
        try:
            if self.printed:
                start = _Clock.starts.get(int(call), time.perf_counter())
                report(int(step), losses, time.perf_counter() - start)
            else:
                report(int(step), losses)
        except BaseException as err:  # (kept, to be raised as it is by train_path: from the
            # callback it came as JAX's INTERNAL error; a KeyboardInterrupt too)
            _Clock.reports.pop(int(call), None)  # no more reports to this call
            _Clock.errors[int(call)] = err
            if self.stops:  # (the program stops at once; JAX's log of it dropped. On a mesh
                # the other devices waited for this one in a collective until XLA aborted
                # the process: there the training runs to its end, without reports)
                raise _Stopped from None


class _Stopped(Exception):
    """Raised in a progress report whose callable raised: it stops the training program."""


class _QuietStop(logging.Filter):
    """Drops JAX's log ("jax.debug.callback failed", a traceback) of a :class:`_Stopped`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], _Stopped))


logging.getLogger("jax._src.debugging").addFilter(_QuietStop())


def _split_leading(mesh, name, tree):
    """Constrain every leaf's leading axis to mesh axis ``name`` (inside jit; no-op if no mesh)."""
    if mesh is None:
        return tree
    return jax.tree.map(
        lambda x: jax.lax.with_sharding_constraint(x, _sharding.leading(mesh, name, x.ndim)),
        tree,
    )


@bounded_jit("loss_fn", "optimizer", "steps", "batch_size", "every", "report", "mesh")
def _train_path(
    init_params, lambdas, data, key, call=0, *, loss_fn, optimizer, steps, batch_size, every,
    report, mesh=None,
):  # fmt: skip
    """The pure core: ``lax.scan`` over steps of a step ``vmap``-ped over the λ axis (axis 0).

    With a ``mesh``, the λ axis of params and optimizer states is split over its axis
    ``"lambdas"`` and each minibatch's rows over its axis ``"data"`` (when they divide evenly):
    XLA's partitioner then reduces the gradients across the ``"data"`` devices."""
    n_lambdas = lambdas.shape[0]
    models = functools.partial(_split_leading, mesh, _sharding.axis(mesh, "lambdas"))
    params = jax.tree.map(lambda x: jnp.broadcast_to(x, (n_lambdas, *x.shape)), init_params)
    params = models(params)
    states = models(jax.vmap(lambda lam: optimizer(lam).init(init_params))(lambdas))
    n_samples = jax.tree.leaves(data)[0].shape[0]
    n_data = _sharding.axis_size(mesh, "data")
    split_batch = batch_size is not None and n_data > 1 and batch_size % n_data == 0
    # Ordered effects run on one device only; on a mesh the reports are unordered callbacks
    # (issued in step order all the same: the steps are a sequential scan).
    ordered = mesh is None or mesh.size == 1

    def one_model(lam, p, state, batch):
        loss, grads = jax.value_and_grad(loss_fn)(p, batch)
        updates, state = optimizer(lam).update(grads, state, p)
        return optax.apply_updates(p, updates), state, loss

    all_models = jax.vmap(one_model, in_axes=(0, 0, 0, None))

    per_epoch = 1 if batch_size is None else n_samples // batch_size

    def step_fn(carry, step):
        p, state, order = carry
        if batch_size is None:
            batch = data
        else:  # (the epoch's shuffle once per epoch: at each step, it cost a step as much as
            # a whole shuffle of n, 29 ms at n = 60,000 for a 4-weight model; same batches)
            order = jax.lax.cond(
                (step % per_epoch == 0) & (step > 0),
                lambda: _epoch_order(key, step // per_epoch, n_samples),
                lambda: order,
            )
            idx = _batch_of(order, step, per_epoch, batch_size)
            batch = jax.tree.map(lambda x: jnp.take(x, idx, axis=0), data)
            if split_batch:
                batch = _split_leading(mesh, "data", batch)
        p, state, losses = all_models(lambdas, p, state, batch)
        p, state = models(p), models(state)
        if every:
            done = step + 1
            if mesh is not None:  # gather the (K,) losses for the host explicitly
                losses = jax.lax.with_sharding_constraint(losses, _sharding.replicated(mesh))
            jax.lax.cond(
                (done % every == 0) | (done == steps),
                lambda: jax.debug.callback(report, call, done, losses, ordered=ordered),
                lambda: None,
            )
        return (p, state, order), losses

    order = (jnp.zeros(0, jnp.int32) if batch_size is None
             else _epoch_order(key, 0, n_samples))  # fmt: skip
    (params, states, _), losses = jax.lax.scan(
        step_fn, (params, states, order), jnp.arange(steps, dtype=jnp.int32)
    )
    losses = losses.T  # (K, steps)
    finite = jnp.isfinite(losses[:, -1])
    for leaf in jax.tree.leaves(params):
        finite &= jnp.all(jnp.isfinite(leaf.reshape(n_lambdas, -1)), axis=1)
    if mesh is not None:  # the small per-λ results on every device (and host): fetchable
        lambdas, losses, finite = (
            jax.lax.with_sharding_constraint(a, _sharding.replicated(mesh))
            for a in (lambdas, losses, finite)
        )
    return TrainPathResult(lambdas, params, losses, states, finite)


def _place(mesh, init_params, lambdas, data, key, batch_size):
    """Put the inputs of :func:`_train_path` on ``mesh``: λs (padded with copies of the last one
    to whole shards) over ``"lambdas"``, rows of ``data`` over ``"data"`` when they divide
    evenly; everything else replicated (minibatches are split inside :func:`_train_path`)."""
    n_lams = _sharding.axis_size(mesh, "lambdas")
    n_data = _sharding.axis_size(mesh, "data")
    pad = _sharding.round_up(lambdas.shape[0], n_lams) - lambdas.shape[0]
    if pad:
        lambdas = jnp.concatenate([lambdas, jnp.repeat(lambdas[-1:], pad)])
    lambdas = jax.device_put(lambdas, _sharding.leading(mesh, _sharding.axis(mesh, "lambdas"), 1))
    n_samples = jax.tree.leaves(data)[0].shape[0]
    rows = _sharding.axis(mesh, "data") if n_samples % n_data == 0 else None
    data = jax.tree.map(
        lambda x: jax.device_put(x, _sharding.leading(mesh, rows, np.ndim(x))), data
    )
    init_params = jax.device_put(init_params, _sharding.replicated(mesh))
    key = None if key is None else jax.device_put(key, _sharding.replicated(mesh))
    return init_params, lambdas, data, key


# the optimizers checked (kept alive: one keyed by its id, unhashable, keeps its id meanwhile)
_CHECKED: collections.OrderedDict[tuple, Any] = collections.OrderedDict()


def _check_traced_lambda(optimizer, lam, init_params) -> None:
    """``optimizer(lam)`` built, initialized and applied with ``lam`` traced, as the program
    does (vmapped over the λs): ``float(lam)`` or ``if lam > 0`` in it passed the concrete
    check above and failed inside the compiled program with JAX's tracer error, which named
    neither train_path nor its argument. Once per optimizer and params' shapes (of the last
    MAX_PROGRAMS): a trace each call made a warm call of a small MLP 7× slower (2 → 14 ms)."""
    key = (
        static_key(optimizer),
        jax.tree.structure(init_params),
        jnp.result_type(lam),
        tuple((np.shape(x), jnp.result_type(x)) for x in jax.tree.leaves(init_params)),
    )
    if key in _CHECKED:
        _CHECKED.move_to_end(key)
        return

    def step(lam):
        transformation = optimizer(lam)
        state = transformation.init(init_params)
        return transformation.update(init_params, state, init_params)

    try:
        jax.eval_shape(step, lam)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError) as err:
        raise TypeError(
            "train_path: optimizer(lam) receives lam as a traced JAX scalar (one per model, "
            "vmapped): use it in JAX arithmetic, not as a Python number or NumPy array "
            f"(float(lam), np.asarray(lam), `if lam > 0`, a Python loop over it); "
            f"{str(err).splitlines()[0]}"
        ) from err
    except TypeError as err:  # (after JAX's, TypeErrors too: an update that needs more
        # arguments, optax.contrib.reduce_on_plateau's or optax.lbfgs's value=, failed bare)
        if "required keyword-only argument" not in str(err):
            raise
        raise TypeError(
            "train_path: optimizer(lam).update is called as update(grads, state, params), "
            "with no extra arguments; an optax transformation that needs more (value=, "
            "grad=, value_fn=: optax.contrib.reduce_on_plateau, optax.lbfgs) cannot run "
            f"here; {str(err).splitlines()[0]}"
        ) from err
    _CHECKED[key] = optimizer
    while len(_CHECKED) > _programs.MAX_PROGRAMS:
        _CHECKED.popitem(last=False)


def _check_int(name: str, value, low: int, high: int | None = None) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"train_path: {name} must be an int, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}] (the number of samples)"
        raise ValueError(f"train_path: {name} must be {bound}, got {value}")
    return int(value)


def _check_lambdas(lambdas, dtype) -> jax.Array:
    _inputs.refuse_masked(lambdas, "lambdas", "or pass the λs you want")
    values = np.asarray(lambdas)
    if values.dtype.kind == "O" and not any(
        isinstance(v, bool | np.bool_) for v in values.flat
    ):  # (a pandas Series of objects)
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError):
            pass
    if values.dtype.kind in "USO":  # (a string: "wrap it as [lam]" led to a second error)
        raise TypeError(f"train_path: lambdas must be real numbers (one λ per model), got "
                        f"{lambdas!r}; e.g. lambdas=[0.1]")  # fmt: skip
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            "train_path: lambdas must be a non-empty 1-D array of λs (one model each), got shape "
            f"{values.shape}; wrap a single value as [lam]"
        )
    if not (np.issubdtype(values.dtype, np.floating) or np.issubdtype(values.dtype, np.integer)):
        raise TypeError(f"train_path: lambdas must be real numbers, got dtype {values.dtype}")
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"train_path: lambdas must be finite and >= 0, got {values}")
    return jnp.asarray(values, dtype)


def _check_tree(name: str, tree) -> list:
    leaves = jax.tree.leaves(tree)
    if not leaves:
        raise ValueError(f"train_path: {name} has no arrays (an empty pytree)")
    for leaf in leaves:
        if not isinstance(leaf, jax.Array | np.ndarray | numbers.Number):
            raise TypeError(
                f"train_path: {name} must be a pytree of arrays, found {type(leaf).__name__}"
            )
        if jnp.issubdtype(jnp.result_type(leaf), jnp.inexact) and not bool(
            jnp.all(jnp.isfinite(leaf))
        ):
            raise ValueError(f"train_path: {name} holds NaN or inf values; clean them first")
    return leaves


@host_entry
@_sharding.outside_context_mesh
def train_path(
    loss_fn: LossFn,
    init_params: PyTree,
    optimizer: Callable[[jax.Array], optax.GradientTransformation],
    lambdas: ArrayLike,
    data: PyTree,
    *,
    steps: int,
    batch_size: int | None = None,
    key: jax.Array | None = None,
    progress: Progress = True,
    mesh: jax.sharding.Mesh | None = None,
) -> TrainPathResult:
    """Train one model per λ, all at once: one compiled program, λ as a ``vmap``-ped axis.

    For each ``λ_k`` it runs ``steps`` updates of the optimizer ``optimizer(λ_k)`` on the data
    loss ``loss_fn(params, batch)``, from the same ``init_params``:

        loss, g = value_and_grad(loss_fn)(w, batch_t);  u, s = opt.update(g, s, w);  w += u

    The regularization is in the optimizer, e.g. ``lambda lam: optax.chain(optax.adam(1e-2),
    l1jax.soft_thresholding(lam, 1e-2, mask=l1jax.skip_biases))``, so ``loss_fn`` holds no λ.
    The program is a ``lax.scan`` over steps whose body is the update ``vmap``-ped over the λ
    axis (axis 0 of every result), so K models cost about one model's dispatch and their
    matrix-vector work becomes matrix-matrix work; it compiles once per ``loss_fn``,
    ``optimizer``, shapes and settings (pass the same function objects to reuse it; as under
    ``jax.jit``, what ``loss_fn`` or ``optimizer`` reads from globals or from its object, a
    bound method's, is that of the first call: arrays, and Python numbers such as a learning
    rate swept in a loop around one ``optimizer``. Pass what changes in ``data``, or build a
    new function for each setting).

    Minibatches: with ``batch_size`` each step takes :func:`batch_indices` ``(key, t, n,
    batch_size)`` (epochs of shuffled samples); every λ sees the same batches, so the models
    are those of K separate runs with the same key (to rounding: vmapped arithmetic may round
    differently, 6e-8 apart in float32 after a step; momentum and non-convex losses can grow
    it: FISTA on a small MLP, 2e-6 after 40 steps and up to 5e-2 after 150 in float32, 1e-10
    in float64). Without it every step is full batch.

    Args:
      loss_fn: ``loss_fn(params, batch) -> scalar`` the data loss (differentiable in params);
        ``batch`` is ``data`` or a minibatch of it (same pytree, leading axis ``batch_size``).
      init_params: pytree of floating arrays, the starting point of every model.
      optimizer: ``optimizer(lam) -> optax.GradientTransformation`` for a (traced) scalar λ;
        its ``update`` receives the params.
      lambdas: ``(K,)`` non-negative finite λs, one model each (kept in the given order).
      data: pytree of arrays sharing a leading sample axis ``n``.
      steps: the number of updates, >= 1.
      batch_size: samples per step, in ``[1, n]``; ``None`` means full batch.
      key: PRNG key for the minibatches, required with ``batch_size`` (and only then).
      progress: ``True`` (default) prints a line to stderr every ``steps // 10`` steps (the
        losses' min, median and max over λs, the wall time); an int ``N`` prints every ``N``
        steps; ``False`` or ``0`` prints nothing; a callable ``progress(step, losses)`` receives
        the step count and the ``(K,)`` losses instead of the line (on the host, in order); an
        exception it raises (a ``KeyboardInterrupt`` too) stops the training and is raised by
        ``train_path`` (on a mesh of several devices the reports stop, and the training runs to
        its end first).
      mesh: optional ``jax.sharding.Mesh`` to train on several devices (or hosts): the λ axis
        (the models, with their optimizer states) is split over its axis ``"lambdas"`` and the
        samples over its axis ``"data"`` (data parallel: the gradients are reduced across
        devices); either axis may be absent. A λ count that does not divide ``"lambdas"`` is
        padded with copies of the last λ, dropped from the result, which then is a copy on
        every device (not sharded: choose K a multiple of that axis's size to keep each
        device's models on it alone). Rows are split only when
        they divide evenly (``n``, or ``batch_size`` with minibatches) and are replicated
        otherwise: padding rows would change ``loss_fn``. Results equal the single-device run
        to rounding. See docs/scale-out.md.

    Returns:
      A :class:`TrainPathResult` ``(lambdas, params, losses, opt_state, finite)``. A
      ``RuntimeWarning`` names the λs whose training diverged (``finite`` False).

    Raises:
      TypeError, ValueError: bad arguments, naming the argument (checked before compiling).

    Example:
      >>> import jax.numpy as jnp
      >>> import optax
      >>> import l1jax
      >>> X = jnp.eye(3); y = jnp.array([1.0, 0.2, -0.05])
      >>> loss = lambda w, d: jnp.mean((d[1] - d[0] @ w) ** 2) / 2
      >>> opt = lambda lam: optax.chain(optax.sgd(3.0), l1jax.soft_thresholding(lam, 3.0))
      >>> res = l1jax.train_path(loss, jnp.zeros(3), opt, [0.0, 0.1], (X, y),
      ...                        steps=5, progress=False)
      >>> res.params  # the lasso solutions soft(y, 3λ) (lr = 1/L = 3 solves it in one step)
      Array([[ 1.  ,  0.2 , -0.05],
             [ 0.7 ,  0.  ,  0.  ]], dtype=float32)
      >>> res.losses.shape
      (2, 5)
    """
    if not callable(loss_fn):
        raise TypeError(f"train_path: loss_fn must be callable, got {type(loss_fn).__name__}")
    if not callable(optimizer):
        raise TypeError(
            "train_path: optimizer must be a function lam -> optax.GradientTransformation "
            f"(e.g. lambda lam: optax.chain(optax.sgd(lr), l1jax.soft_thresholding(lam, lr))), "
            f"got {type(optimizer).__name__}"
        )
    param_leaves = _check_tree("init_params", init_params)
    for where, x in jax.tree_util.tree_leaves_with_path(init_params):
        if not jnp.issubdtype(jnp.result_type(x), jnp.floating):
            raise TypeError(
                f"train_path: init_params must hold floating-point arrays only, got "
                f"{jnp.result_type(x)} at {jax.tree_util.keystr(where) or 'its root'}: every "
                "leaf is trained (keep counters and other state out of the params: optax's "
                "states count steps; a complex parameter as its real and imaginary parts)"
            )
    data_leaves = _check_tree("data", data)
    sizes = {int(np.shape(x)[0]) if np.ndim(x) else None for x in data_leaves}
    if None in sizes or len(sizes) != 1:
        shapes = [np.shape(x) for x in data_leaves]
        listed = ", ".join(map(str, shapes[:6])) + (", ..." if len(shapes) > 6 else "")
        hint = ""
        if sum(shape == () for shape in shapes) > 1:  # (a Python list of numbers: leaves)
            hint = "; a Python list of numbers is a pytree of scalars: pass it as an array"
        raise ValueError(f"train_path: data leaves must share a leading sample axis, got "
                         f"{len(shapes)} leaves of shapes [{listed}]{hint}")  # fmt: skip
    (n_samples,) = sizes
    steps = _check_int("steps", steps, 1)
    if batch_size is not None:
        batch_size = _check_int("batch_size", batch_size, 1, n_samples)
        if key is None:
            raise ValueError("train_path: batch_size needs key= (a jax.random.key) to draw batches")
        typed = isinstance(key, jax.Array) and jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
        raw = (isinstance(key, jax.Array | np.ndarray) and key.shape == (2,)
               and key.dtype == np.uint32)  # fmt: skip
        if not (typed and key.ndim == 0 or raw):  # (one key, new style or old)
            raise TypeError(f"train_path: key must be one PRNG key, e.g. jax.random.key(0), got "
                            f"{key!r}")  # fmt: skip
    elif key is not None:
        raise ValueError(
            "train_path: key is only used with batch_size=; pass batch_size or drop it"
        )
    dtype = jnp.result_type(jnp.float32, *param_leaves)  # λ at least float32 (bf16 params)
    lambdas = _check_lambdas(lambdas, dtype)
    every = _report_every(progress, steps)
    report = progress if callable(progress) else _PrintProgress(steps)

    transformation = optimizer(lambdas[0])
    if not isinstance(transformation, optax.GradientTransformation):
        wrapper = hasattr(transformation, "gradient_transformation")  # (optax.MultiSteps)
        raise TypeError(
            "train_path: optimizer(lam) must return an optax.GradientTransformation, got "
            f"{type(transformation).__name__}"
            + ("; return its .gradient_transformation()" if wrapper else "")
        )
    _check_traced_lambda(optimizer, lambdas[0], init_params)
    example = data if batch_size is None else jax.tree.map(lambda x: x[:batch_size], data)
    try:
        out = jax.eval_shape(loss_fn, init_params, example)
    except Exception as err:
        add_note_once(err, "(l1jax.train_path: raised by loss_fn(init_params, batch), on "
                      "the params of one model and one batch of data; if init_params are a "
                      "TrainPathResult's params, they have a leading λ axis and cannot start "
                      "a new run: see docs/training.md)")  # fmt: skip
        raise
    if not (isinstance(out, jax.ShapeDtypeStruct) and out.shape == ()
            and jnp.issubdtype(out.dtype, jnp.floating)):  # fmt: skip
        raise TypeError("train_path: loss_fn(params, batch) must return a real (floating) "
                        f"scalar, got {out}")  # fmt: skip

    mesh = _sharding.auto(_sharding.check_mesh(mesh, "train_path"))
    n_models = lambdas.shape[0]
    if mesh is not None:
        init_params, lambdas, data, key = _place(mesh, init_params, lambdas, data, key, batch_size)
    printed = isinstance(report, _PrintProgress)
    call = next(_Clock.numbers) % 2**31
    _Clock.starts[call], _Clock.reports[call] = time.perf_counter(), report
    stops = mesh is None or mesh.size == 1
    report = _HostReport(printed, n_models, stops) if every else None
    try:
        result = _train_path(
            init_params,
            lambdas,
            data,
            key,
            np.int32(call),
            loss_fn=loss_fn,
            optimizer=optimizer,
            steps=steps,
            batch_size=batch_size,
            every=every,
            report=report,
            mesh=mesh,
        )
        if every:
            jax.effects_barrier()  # every progress line is out before we return
    except Exception:
        if call not in _Clock.errors:
            raise
    finally:
        _Clock.starts.pop(call, None)
        _Clock.reports.pop(call, None)
        error = _Clock.errors.pop(call, None)
    if error is not None:
        add_note_once(error, "(l1jax.train_path: raised by progress(step, losses), which "
                      + ("stopped the training)" if stops else "ended the reports: on a "
                         "mesh the training ran to its end)"))  # fmt: skip
        raise error from None
    if result.lambdas.shape[0] != n_models:  # drop the λs that padded the mesh axis
        result = jax.tree.map(lambda x: x[:n_models], result)
    finite = np.asarray(result.finite)
    if not finite.all():
        bad = np.asarray(result.lambdas)[~finite]
        warnings.warn(
            f"train_path: {bad.size} of {finite.size} models diverged (non-finite loss or params) "
            f"at λ = {np.array2string(bad, precision=4)}; lower the learning rate or clip the "
            "gradients (optax.clip_by_global_norm)",
            RuntimeWarning,
            stacklevel=user_stacklevel(),
        )
    return result

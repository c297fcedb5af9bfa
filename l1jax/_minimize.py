"""``l1jax.minimize``: proximal gradient for any smooth JAX function plus an l1jax penalty.

The successor of jaxopt's ``ProximalGradient``: one call minimizes

    F(w) = fun(w, *args) + λ · P(w)

over a pytree ``w``, for a smooth ``fun`` and any penalty ``P`` given by its prox (house rule 3:
``prox(x, t) = argmin_z ½ ‖z − x‖² + t P(z)``). It is FISTA with adaptive restart and
backtracking, sharing its step with :func:`l1jax.proximal_gradient`; it is pure (``jit``,
``vmap`` over λ or over data, a traced λ never recompiles), and its solution is differentiable
with respect to ``lam`` and ``args`` by implicit differentiation of the fixed point
``w = prox(w − η ∇fun(w), η λ)``, never by unrolling the loop.
"""

from __future__ import annotations

import functools
import numbers
import operator
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree
from numpy.typing import ArrayLike

from l1jax import prox as prox_ops
from l1jax._programs import _hashable, _top_level, bounded_jit, refuse_if_forked
from l1jax._warnings import add_note_once, warn_convergence
from l1jax.solvers import Status, _status
from l1jax.transforms import _fista_momentum, _fista_momentum_dtype, _prox_gradient_step

__all__ = ["MinimizeResult", "minimize"]

PyTree = Any

_MAX_BACKTRACKS = 30  # step halvings tried per iteration (a factor 1e-9)
_N_POWER = 5  # power iterations (Hessian-vector products) for the first step size
_GROW = 1.5  # the next step's first try after a step that passed at once


class MinimizeResult(NamedTuple):
    """Result of :func:`minimize` (a pytree: it crosses ``jit`` and ``vmap``).

    Attributes:
      params: the solution, a pytree like ``init_params`` (same dtypes), with exact zeros
        where the prox puts them; differentiable with respect to ``lam`` and ``args``. The
        iterate of the smallest ``error`` met (FISTA's errors are not monotone, and where
        rounding blurs the objective they can rise again).
      n_iter: ``int32`` number of FISTA iterations.
      error: the optimality error of ``params``, ``‖G_η(y)‖ / s``: the norm of the
        proximal-gradient mapping ``G_η(y) = (y − prox(y − η∇fun(y), ηλ)) / η`` at the
        extrapolated point ``y`` (``params`` is one proximal gradient step from it), relative
        to the scale ``s = max(‖G_η(x)‖, ‖∇fun(x)‖)`` at ``x = init_params``, or at zero params
        where it is smaller (:func:`minimize`), counting the rounding of the step in the
        params' dtypes (``eps·|y|`` per entry: a step that rounds away proves nothing); NaN
        when the objective, its gradient or ``lam`` is not valid.
      status: ``int32`` :class:`l1jax.Status`: converged, max_iter or non-finite.
    """

    params: PyTree
    n_iter: jax.Array
    error: jax.Array
    status: jax.Array

    @property
    def converged(self) -> jax.Array:
        """``error <= tol`` (a bool array; one entry per λ when vmapped)."""
        return self.status == Status.CONVERGED


# ----------------------------------------------------------------------------------------------
# Static settings: hashable, so that jit reuses one compiled program per (fun, prox, mask).


class _Static:
    """A hashable handle on a static setting: equal to another handle of an equal key."""

    def __init__(self, value, key):
        self.value, self._key = value, key

    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return isinstance(other, _Static) and self._key == other._key


def _static_callable(fn: Callable) -> _Static:
    """``functools.partial(prox.group_l1, axis=1)`` written afresh at each call still hits the
    compilation cache (partials compare by identity); other callables are keyed by themselves,
    or by identity when unhashable (the handle keeps them alive, so an id is never reused)."""
    keys = [fn]
    if isinstance(fn, functools.partial):
        keys.insert(0, ("partial", fn.func, fn.args, tuple(sorted(fn.keywords.items()))))
    for key in keys:  # a partial may hold arrays; a callable may lack __hash__
        if _hashable(key):
            return _Static(fn, key)
    return _Static(fn, ("id", id(fn)))


def _static_mask(mask, init_params) -> tuple[_Static | None, Any]:
    """``None``, a callable, or a pytree of bools (a prefix of the params, as optax.masked):
    checked, and returned as the static argument of the solve and as its pytree of bools on
    ``init_params``."""
    if mask is None:
        return None, None
    resolved = mask(init_params) if callable(mask) else mask
    leaves, treedef = jax.tree.flatten(resolved)
    if not all(isinstance(leaf, bool | np.bool_) for leaf in leaves):  # (not arrays, strings)
        raise TypeError(
            "minimize: mask must be a pytree of Python bools (a prefix of init_params' "
            "structure, as in optax.masked) or a callable returning one; got leaves "
            f"{[type(leaf).__name__ for leaf in leaves]}"
        )
    flags = tuple(bool(leaf) for leaf in leaves)
    n_leaves = len(jax.tree.leaves(init_params))
    if treedef.num_nodes == 1 and treedef.num_leaves == 1 and n_leaves > 1:  # (as the transforms)
        raise ValueError(
            f"minimize: mask is a single bool ({flags[0]}) for init_params of {n_leaves} "
            "leaves; use mask=None to penalize every leaf, or a pytree of bools like "
            "init_params with False on the leaves to leave unpenalized"
        )
    try:
        jax.tree.map(lambda m, sub: None, jax.tree.unflatten(treedef, flags), init_params)
    except (ValueError, TypeError) as err:
        raise ValueError(
            "minimize: mask must have the structure of init_params (or a prefix of it), with "
            f"True on the leaves to penalize; got mask {treedef}, init_params "
            f"{jax.tree.structure(init_params)}"
        ) from err
    if not any(flags):  # (λ then changes nothing: a lasso came back as least squares, dense)
        from l1jax.training import skip_biases

        hint = (" (l1jax.skip_biases leaves out every leaf of 1 dimension: a linear model's "
                "weight vector too)" if mask is skip_biases else "")  # fmt: skip
        raise ValueError(
            f"minimize: mask leaves every leaf of init_params unpenalized{hint}, so lam has no "
            "effect; put True on the leaves to penalize, e.g. mask={'w': True, 'b': False}"
        )
    flags_tree = jax.tree.unflatten(treedef, flags)
    if callable(mask):  # re-resolved on the iterates, exactly as optax.masked does
        return _static_callable(mask), flags_tree
    return _Static(flags_tree, (treedef, flags)), flags_tree


class _Problem(NamedTuple):
    fun: _Static  # fun(params, *args)
    prox: _Static  # prox(params, threshold), or prox(params, threshold, *prox_args) (n_prox)
    mask: _Static | None
    accelerate: bool
    n_prox: int = 0  # the last n_prox of the solve's args are the prox's (traced closures)


def _split(problem: _Problem, args) -> tuple[tuple, tuple]:
    """The solve's ``args`` as ``(fun's, prox's)``."""
    k = len(args) - problem.n_prox
    return tuple(args[:k]), tuple(args[k:])


class _ProxTemplate(NamedTuple):
    """A ``functools.partial`` prox whose traced or floating-point array arguments (e.g.
    ``l1_ratio=ρ`` being differentiated, ``weights=w``) are taken out, to be passed as the
    solve's arguments: called as ``template(params, threshold, *traced)``, it is the partial
    again."""

    func: Callable
    treedef: Any  # of (args, keywords)
    fixed: tuple  # the leaves, None where traced
    key: Any  # (hashable, or the id of the original partial, kept alive in ``origin``)
    origin: functools.partial

    def __call__(self, params, threshold, *traced):
        it = iter(traced)
        leaves = [next(it) if leaf is None else leaf for leaf in self.fixed]
        args, keywords = jax.tree.unflatten(self.treedef, leaves)
        return self.func(*args, params, threshold, **keywords)

    def __hash__(self):
        return hash(self.key)

    def __eq__(self, other):
        return isinstance(other, _ProxTemplate) and self.key == other.key


def _hoisted(leaf) -> bool:
    """A leaf of a partial prox's arguments that the solve takes as an argument: a traced one,
    or a concrete floating-point array (weights: new values must not compile a new program)."""
    if isinstance(leaf, jax.core.Tracer):
        return True
    return isinstance(leaf, jax.Array | np.ndarray) and jnp.issubdtype(leaf.dtype, jnp.inexact)


def _hoist_prox(prox, view=None, concrete: bool = True) -> tuple[Any, tuple]:
    """``(prox, hoisted)``: a ``functools.partial`` prox with traced leaves in its arguments
    (being differentiated, vmapped, jitted) or floating-point arrays as a :class:`_ProxTemplate`
    and those leaves, which the solve then takes as arguments, so that the implicit derivative
    sees them (closed over, they were constants: a gradient in ``l1_ratio`` or ``weights`` of
    0), and new weights reuse the compiled solve (an unhashable partial was keyed by its
    identity: each call of an adaptive lasso's loop compiled again, 0.5 s, and kept the
    program). Else ``(prox, ())``. A prox that reads the values of its arrays (Python control
    flow, NumPy, sizes: it does not trace on ``view``, the params as it sees them) keeps its
    concrete arrays as constants (``concrete=False``: only traced leaves are hoisted)."""
    if not isinstance(prox, functools.partial):
        return prox, ()
    pick = _hoisted if concrete else (lambda leaf: isinstance(leaf, jax.core.Tracer))
    leaves, treedef = jax.tree.flatten((prox.args, prox.keywords))
    hoisted = tuple(leaf for leaf in leaves if pick(leaf))
    if not hoisted:
        return prox, ()
    fixed = tuple(None if pick(leaf) else leaf for leaf in leaves)
    key = ("prox", prox.func, treedef, fixed)
    if not _hashable(key):
        key = ("prox", id(prox))
    template = _ProxTemplate(prox.func, treedef, fixed, key, prox)
    if concrete and view is not None and not all(map(_is_traced, hoisted)):
        try:
            jax.eval_shape(lambda *a: template(*a), view, jnp.ones((), jnp.float32), *hoisted)
        except Exception:  # (it needs them concrete)
            return _hoist_prox(prox, view, concrete=False)
    return template, hoisted


# ----------------------------------------------------------------------------------------------
# Pytree arithmetic, in the (at least float32) dtype of the scalars.


def _norm(tree, dtype) -> jax.Array:
    squares = [jnp.sum(jnp.square(x.astype(dtype))) for x in jax.tree.leaves(tree)]
    return jnp.sqrt(sum(squares, jnp.zeros([], dtype)))


def _rounding(y, g, step, lam, dtype) -> jax.Array:
    """How far the computed step ``prox(y − η g, ηλ) − y`` may be from the exact one: each
    entry's rounding to the grid of its dtype, ``eps·|y|``, or less where the step itself is
    smaller, ``η(|g| + λ)`` (0 where nothing moves: an exactly optimal start). A step below half
    a unit in the last place of ``y`` rounds away entirely."""
    squares = [
        jnp.sum(jnp.square(jnp.minimum(jnp.finfo(x.dtype).eps * jnp.abs(x.astype(dtype)),
                                       step * (jnp.abs(d.astype(dtype)) + lam))))
        for x, d in zip(jax.tree.leaves(y), jax.tree.leaves(g), strict=True)
    ]  # fmt: skip
    return jnp.sqrt(sum(squares, jnp.zeros([], dtype)))


def _vdot(a, b, dtype) -> jax.Array:
    terms = [
        jnp.sum(x.astype(dtype) * y.astype(dtype))
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True)
    ]
    return sum(terms, jnp.zeros([], dtype))


def _sub(a, b):
    return jax.tree.map(jnp.subtract, a, b)


def _prox_grad(problem: _Problem, params, grads, step, lam, pargs=()):
    """``prox(params − η grads, η λ)`` on the leaves the mask selects (a gradient step on the
    others): the step of :func:`l1jax.proximal_gradient`. ``pargs``: the prox's own arguments
    (:func:`_hoist_prox`)."""
    mask = None if problem.mask is None else problem.mask.value
    prox_fn = problem.prox.value
    if problem.n_prox:
        prox_fn = functools.partial(_with_args, prox_fn, pargs)
    tx = _prox_gradient_step("minimize", prox_fn, lam, step, mask)
    updates, _ = tx.update(grads, tx.init(params), params)
    return optax.apply_updates(params, updates)


def _with_args(prox_fn, pargs, params, threshold):
    return prox_fn(params, threshold, *pargs)


# ----------------------------------------------------------------------------------------------
# FISTA with adaptive restart and backtracking (the forward solve: no derivatives flow here).


class _Carry(NamedTuple):
    x: PyTree  # proximal iterate x_k (the answer)
    y: PyTree  # extrapolated point y_k (gradients are taken there)
    t: jax.Array  # FISTA momentum
    step: jax.Array  # η, the last step taken
    easy: jax.Array  # it passed the sufficient-decrease test at once: try a larger one next
    n_iter: jax.Array
    error: jax.Array
    stuck: jax.Array  # the last step rounded away entirely: later ones would change nothing
    best: PyTree  # the proximal iterate of the smallest error so far (the answer returned)
    best_error: jax.Array


def _first_step(grad_fn, x0, g0, dtype) -> jax.Array:
    """``1 / L`` with ``L`` the largest curvature of ``fun`` at ``x0``, by a few power
    iterations of Hessian-vector products from the gradient (backtracking corrects it)."""
    _, hvp = jax.linearize(grad_fn, x0)
    g_norm = _norm(g0, dtype)
    start = jax.tree.map(lambda g: jnp.where(g_norm > 0, g, jnp.ones_like(g)), g0)

    def power(_, carry):
        v, _ = carry
        n = jnp.maximum(_norm(v, dtype), jnp.finfo(dtype).tiny)
        hv = hvp(jax.tree.map(lambda a: a / n.astype(a.dtype), v))
        return hv, _norm(hv, dtype)  # ‖H v̂‖ for the unit vector v̂

    _, curvature = jax.lax.fori_loop(0, _N_POWER, power, (start, jnp.zeros([], dtype)))
    ok = jnp.isfinite(curvature) & (curvature > 0)
    return jnp.where(ok, 1 / jnp.where(ok, curvature, 1), 1).astype(dtype)


def _fista(problem: _Problem, x0, lam, args, tol, max_iter):
    """Returns ``(params, n_iter, error, step)``; see :func:`minimize`."""
    dtype = _fista_momentum_dtype(x0)
    args, pargs = _split(problem, args)

    def fun(w):  # (an array: a fun returning a Python float was an AttributeError)
        return jnp.asarray(problem.fun.value(w, *args))

    value_and_grad = jax.value_and_grad(fun)
    f0, g0 = value_and_grad(x0)
    step0 = _first_step(jax.grad(fun), x0, g0, dtype)

    # The error is relative to the scale max(‖G_η(x)‖, ‖∇fun(x)‖) at x0: the gradient's, or the
    # prox step's when x0 minimizes fun alone; a warm start near the solution keeps a fair
    # scale. But no larger than at zero params (where that scale is finite and not negligible:
    # not a saddle of a network at 0): a start far from the solution, with its large gradient,
    # stopped a lasso at an objective 30 times the optimum's as converged. The solve stops at
    # once when x0 is already optimal (G_η(x0) = 0, e.g. zeros for λ ≥ λ_max).
    def moved(x, g):  # ‖η G_η(x)‖, how far the proximal gradient step moves x
        return _norm(_sub(x, _prox_grad(problem, x, g, step0, lam, pargs)), dtype)

    def ratio(d, step, scale):  # ‖d‖ / η / s, 0 when d is: XLA folds the two divisions into one
        # by η·s, which can underflow to 0 (flushed), and 0 / 0 was NaN for an optimal x0
        return jnp.where(d == 0, 0, d / step / scale)

    d0 = moved(x0, g0)
    scale = jnp.maximum(d0 / step0, _norm(g0, dtype))
    zeros = jax.tree.map(jnp.zeros_like, x0)
    f_zero, g_zero = value_and_grad(zeros)
    at_zero = jnp.maximum(moved(zeros, g_zero) / step0, _norm(g_zero, dtype))
    fair = jnp.isfinite(f_zero) & jnp.isfinite(at_zero) & (at_zero > jnp.finfo(dtype).eps * scale)
    scale = jnp.where(fair, jnp.minimum(scale, at_zero), scale)
    scale = jnp.maximum(scale, jnp.sqrt(jnp.finfo(dtype).tiny))  # (η·s far from underflow)
    valid = (lam >= 0) & jnp.isfinite(f0) & jnp.isfinite(scale)
    # (the error counts the step's rounding, _rounding: a step that rounds away, y − η∇fun(y)
    # back onto y, is no proof of optimality; float32 stopped a lasso 3.5e-4 from its optimum
    # with error 0, where its columns' scales spanned 10⁴)
    d0 = d0 + _rounding(x0, g0, step0, lam, dtype)
    error0 = prox_ops._nan_unless(valid, ratio(d0, step0, scale)).astype(dtype)
    tol = jnp.asarray(tol, dtype)

    def body(c: _Carry) -> _Carry:
        f_y, g_y = value_and_grad(c.y)
        if problem.accelerate:  # FISTA's extrapolated y outside fun's domain (a log, a barrier;
            # x itself is always inside): start again from x, momentum reset. (It stopped
            # NONFINITE at iteration 3 of Σ c w − log w, which ISTA solved.)
            def outside(yft):
                y, f, g, _ = yft
                moved = _norm(_sub(y, c.x), dtype) > 0
                return moved & ~(jnp.isfinite(f) & jnp.isfinite(_norm(g, dtype)))

            def from_x(_):
                return (c.x, *value_and_grad(c.x), jnp.ones([], dtype))

            y, f_y, g_y, t = jax.lax.while_loop(outside, from_x, (c.y, f_y, g_y, c.t))
            c = c._replace(y=y, t=t)
        slack = 10 * jnp.finfo(f_y.dtype).eps * jnp.abs(f_y)

        def trial(step):
            """The proximal step from y and whether it passes the sufficient-decrease test
            ``fun(x⁺) ≤ fun(y) + ∇fun(y)·d + ‖d‖²/(2η)``, ``d = x⁺ − y`` (Beck & Teboulle)."""
            x_new = _prox_grad(problem, c.y, g_y, step, lam, pargs)
            d = _sub(x_new, c.y)
            d_norm = _norm(d, dtype)
            f_new = fun(x_new)
            bound = f_y.astype(dtype) + _vdot(g_y, d, dtype) + d_norm**2 / (2 * step)
            ok = f_new.astype(dtype) <= bound + slack.astype(dtype)
            clear = f_new.astype(dtype) <= bound - slack.astype(dtype)  # (rounding aside)
            return x_new, d_norm, ok, jnp.isfinite(f_new), clear

        def halve(ls):  # the first pass tries the current step: one copy of trial() to compile
            step, _, _, _, _, _, k = ls
            step = jnp.where(k == 0, step, step / 2)
            return (step, *trial(step), k + 1)

        # (the step grows again after an easy one: from a start of high curvature, exp(w) from
        # w = 12, a step that only shrank took 3,260 iterations where 39 do; a lasso 2-3×
        # fewer; the steps taken all pass the test, so the error certifies as before)
        first = jnp.where(c.easy, c.step * _GROW, c.step).astype(c.step.dtype)

        def not_yet(ls):
            _, _, _, ok, _, _, k = ls
            return ~ok & (k <= _MAX_BACKTRACKS)

        no = jnp.zeros([], bool)
        init = (first, c.y, jnp.zeros([], dtype), no, no, no, jnp.zeros([], jnp.int32))
        step, x_new, d_norm, _, finite, clear, tries = jax.lax.while_loop(not_yet, halve, init)
        finite = finite & jnp.isfinite(f_y) & jnp.isfinite(d_norm)
        off = d_norm + _rounding(c.y, g_y, step, lam, dtype)  # (d_norm itself: stuck below)
        error = prox_ops._nan_unless(finite, ratio(off, step, scale))  # (no NaN constant: a
        # user's jax_debug_nans)
        if problem.accelerate:
            y_new, t_new = _fista_momentum(c.y, x_new, c.x, c.t, restart=True)
        else:
            y_new, t_new = x_new, c.t
        # (x⁺ = y = x: a fixed point of the iteration as computed, FISTA's momentum included)
        stuck = (d_norm == 0) & (_norm(_sub(c.y, c.x), dtype) == 0)
        easy = (tries == 1) & clear  # (not a pass by the rounding slack: near the solution
        # it let the step grow without bound, and a group lasso no longer converged)
        # (the answer is the iterate of the smallest error: near the rounding floor a float32
        # step whose test compared rounding errors shrank to 2e-8, and the iterates drifted
        # away, the further the more iterations they were given; a float64 one passed 1e-10,
        # then rose to 1e-6)
        better = error < c.best_error  # (NaN: never)
        best = jax.tree.map(lambda a, b: jnp.where(better, a, b), x_new, c.best)
        best_error = jnp.where(better, error, c.best_error)
        return _Carry(x_new, y_new, t_new, step, easy, c.n_iter + 1, error, stuck, best,
                      best_error)  # fmt: skip

    def cond(c: _Carry) -> jax.Array:
        return (c.error > tol) & (c.n_iter < max_iter) & ~c.stuck  # NaN stops it

    init = _Carry(x0, x0, jnp.ones([], dtype), step0, jnp.zeros([], bool),
                  jnp.zeros([], jnp.int32), error0, jnp.zeros([], bool), x0,
                  jnp.full([], jnp.inf, dtype))  # fmt: skip
    c = jax.lax.while_loop(cond, body, init)
    # (no step taken: x0 and its error, as before; NaN: the non-finite iterate, NaN)
    last = (c.n_iter == 0) | jnp.isnan(c.error)
    error = jnp.where(last, c.error, c.best_error)
    best = jax.tree.map(lambda a, b: jnp.where(last, a, b), c.x, c.best)
    return best, c.n_iter, error, c.step


# ----------------------------------------------------------------------------------------------
# Implicit differentiation of the fixed point w = T(w, λ, args) = prox(w − η ∇fun(w), η λ).


def _linear_solve(matvec, b):
    """Solve ``matvec(x) = b`` by BiCGSTAB to a relative residual of ε^¾. The operator
    ``I − J (I − η∇²fun)`` is not symmetric, but for a convex ``fun`` (``0 ≼ η∇²fun ≺ 2I``
    after backtracking) and a prox Jacobian ``J`` (symmetric, eigenvalues in [0, 1]) its
    eigenvalues are real and positive."""
    dtype = jnp.result_type(*jax.tree.leaves(b))
    tol = float(jnp.finfo(dtype).eps) ** 0.75
    x, _ = jax.scipy.sparse.linalg.bicgstab(matvec, b, tol=tol, atol=0.0)
    return x


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _attach(problem: _Problem, params, step, lam, args):
    del step, lam, args
    return params


@_attach.defjvp
def _attach_jvp(problem, primals, tangents):
    params, step, lam, args = primals
    _, _, dlam, dargs = tangents  # the solver's own derivatives (of its loop) are never used
    # The solution attached again, so that a derivative of this rule (second order: a Hessian,
    # grad of a grad) sees dw/dθ through it: from the solver's stop-gradient'd output it saw
    # none, and second derivatives came out wrong without an error (a ridge's V'' 0.383 for
    # 0.483; 0 for a logistic one). At first order this is the identity.
    params = _attach(problem, params, step, lam, args)

    def fixed_point_map(w, lam, args):
        args, pargs = _split(problem, args)
        return _prox_grad(problem, w, jax.grad(problem.fun.value)(w, *args), step, lam, pargs)

    # (I − ∂_w T) dw = ∂_θ T · dθ. For the L1 prox ∂_w T = D (I − η H), D the 0/1 mask of the
    # support: rows off the support read dw_j = 0, rows on it η H_SS dw_S = ... (the
    # stationarity conditions on the support); any other prox enters through its Jacobian.
    _, rhs = jax.jvp(
        lambda lam, args: fixed_point_map(params, lam, args), (lam, args), (dlam, dargs)
    )
    _, t_w = jax.linearize(lambda w: fixed_point_map(w, lam, args), params)
    # One flat vector: leaves whose right-hand side does not depend on the perturbed inputs
    # (e.g. an unpenalized intercept when only λ moves) would otherwise reach the transposed
    # solve as constants, which custom_linear_solve cannot transpose.
    flat_rhs, unravel = ravel_pytree(rhs)

    def matvec(v):
        w = unravel(v)
        return ravel_pytree(_sub(w, t_w(w)))[0]

    solution = jax.lax.custom_linear_solve(
        matvec, flat_rhs, solve=_linear_solve, transpose_solve=_linear_solve
    )
    return params, unravel(solution)


@bounded_jit("problem")  # (a new fun per call: its programs let go past the last 32)
def _solve(x0, lam, args, tol, max_iter, *, problem: _Problem) -> MinimizeResult:
    fixed = jax.lax.stop_gradient((x0, lam, args, tol))
    x, n_iter, error, step = _fista(problem, *fixed, max_iter)
    params = _attach(problem, x, step, lam, args)
    return MinimizeResult(params, n_iter, error, _status(error, fixed[3]))


# ----------------------------------------------------------------------------------------------
# The public entry point: validate, hoist traced closures, solve, warn when eager.


def _wrap(fn: Callable) -> Callable:
    return lambda *a: fn(*a)


def _is_traced(value) -> bool:
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(value))


def _check_scalar(name: str, value, hint: str) -> None:
    """A concrete ``value`` must be a finite real number >= 0 (a traced one: 0-d, its value is
    not checked)."""
    if _is_traced(value):
        if np.ndim(value) != 0:  # (a vmapped λ of shape (K, 1): one λ per solve is (1,))
            raise ValueError(f"minimize: {name} must be a scalar, got a traced array of shape "
                             f"{np.shape(value)}; {hint}")  # fmt: skip
        return
    if isinstance(value, bool) or not (
        isinstance(value, numbers.Real) or isinstance(value, np.ndarray | jax.Array)
    ):
        raise TypeError(f"minimize: {name} must be a real number, got {type(value).__name__}"
                        + ("; " + hint if name == "lam" else ""))  # fmt: skip
    arr = np.asarray(value)
    if arr.ndim != 0:
        raise ValueError(f"minimize: {name} must be a scalar, got shape {arr.shape}; {hint}")
    if not np.issubdtype(arr.dtype, np.floating) and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"minimize: {name} must be a real number, got dtype {arr.dtype}")
    if not (np.isfinite(arr) and arr >= 0):
        raise ValueError(f"minimize: {name} must be a finite number >= 0, got {value!r}")


def _check(fun, init_params, lam, args, prox, tol, max_iter, accelerate, mask=None):
    """Check the arguments of :func:`minimize`; returns the mask as the solve's static
    argument, and its pytree of bools (:func:`_static_mask`)."""
    if not callable(fun):
        raise TypeError(f"minimize: fun must be callable as fun(params, *args), got {fun!r}")
    if not callable(prox):
        raise TypeError(
            "minimize: prox must be callable as prox(params, threshold), e.g. l1jax.prox.l1 or "
            f"functools.partial(l1jax.prox.group_l1, axis=1); got {prox!r}"
        )
    if not isinstance(args, tuple | list):
        raise TypeError(
            "minimize: args must be a tuple of the extra arguments of fun, e.g. args=(X, y) "
            f"(one array: args=(X,)); got {type(args).__name__}"
        )
    _check_scalar(
        "lam",
        lam,
        "to solve for several λs, jax.vmap over lam; for a strength per "
        "leaf or per coordinate, pass lam=1.0 and "
        "prox=functools.partial(l1jax.prox.l1, weights=...) (a pytree like params)",
    )
    _check_scalar("tol", tol, "tol is one relative tolerance")
    if not _is_traced(max_iter):
        arr = np.asarray(max_iter)
        if arr.ndim or not np.issubdtype(arr.dtype, np.integer) or isinstance(max_iter, bool):
            raise TypeError(f"minimize: max_iter must be an int, got {max_iter!r}")
        if not 1 <= arr <= 2**31 - 1:
            raise ValueError(f"minimize: max_iter must be between 1 and 2**31 - 1 (an int32 "
                             f"count), got {max_iter!r}")  # fmt: skip
    if not isinstance(accelerate, bool | np.bool_):
        raise TypeError(f"minimize: accelerate must be a bool, got {accelerate!r}")
    leaves = jax.tree.leaves(init_params)
    if not leaves:
        raise ValueError("minimize: init_params has no arrays: pass a pytree of float arrays")
    bad = [
        jnp.result_type(x) for x in leaves if not jnp.issubdtype(jnp.result_type(x), jnp.floating)
    ]
    if bad:
        raise TypeError(
            f"minimize: init_params must hold floating arrays, got dtypes {bad}; cast them, "
            "e.g. jax.tree.map(lambda x: jnp.asarray(x, float), init_params)"
        )
    try:
        out = jax.eval_shape(fun, init_params, *args)
    except Exception as err:  # (the user's own error, as raised: named, with how it is called)
        add_note_once(
            err,
            f"(l1jax.minimize: raised by fun(init_params, *args), fun called with "
            f"{1 + len(args)} positional arguments: the params and the {len(args)} of args; "
            "every entry of args is traced, Python numbers too: values that fix shapes or "
            "branches belong in fun's closure or a functools.partial)",
        )
        raise
    if not (hasattr(out, "shape") and out.shape == () and jnp.issubdtype(out.dtype, jnp.floating)):
        raise TypeError(
            "minimize: fun(init_params, *args) must return a scalar float (the smooth part of "
            f"the objective), got {out}"
        )
    static, flags = _static_mask(mask, init_params)  # (its errors first)
    _check_prox(prox, init_params, flags)
    return static, flags


def _closure_convert(fn: Callable, *example) -> tuple[Callable, list]:
    """:func:`jax.closure_convert` of ``fn`` on ``example``, hoisting every traced array it
    closes over: JAX's hoists only those that may carry a derivative, and an integer or bool
    one (a fold's row indices, a row mask, traced by the user's ``jit``) stayed inside the
    static ``fun``: under ``jit(grad(...))`` JAX's "No constant handler for type:
    DynamicJaxprTracer". (closure_convert caches on ``fn``: an unhashable callable goes in a
    fresh wrapper.)"""
    converted, hoisted = jax.closure_convert(fn if _hashable(fn) else _wrap(fn), *example)
    # (traced afresh: make_jaxpr's cache keys on fn too, and a bound method, or a partial of
    # one, reading an attribute traced anew gave the first trace's tracers, as closure_convert's
    # cache: JAX's UnexpectedTracerError at the second call)
    closed, out_shape = jax.make_jaxpr(_wrap(fn), return_shape=True)(*example)
    traced = [isinstance(c, jax.core.Tracer) for c in closed.consts]
    current = [c for c, t in zip(closed.consts, traced, strict=True) if t]
    if len(current) == len(hoisted) and all(map(operator.is_, current, hoisted)):
        return converted, hoisted  # (JAX's took them all, its own: its cached conversion)
    fixed = [None if t else c for c, t in zip(closed.consts, traced, strict=True)]
    jaxpr, out_tree = closed.jaxpr, jax.tree.structure(out_shape)

    def with_consts(*arguments):
        given = iter(arguments[len(example) :])
        consts = [next(given) if c is None else c for c in fixed]
        flat = jax.tree.leaves(tuple(arguments[: len(example)]))
        return jax.tree.unflatten(out_tree, jax.core.eval_jaxpr(jaxpr, consts, *flat))

    return with_consts, [c for c, t in zip(closed.consts, traced, strict=True) if t]


def _convert_prox(prox, view, dtype, pargs=()) -> tuple[Callable, tuple]:
    """``(prox, hoisted)`` with the traced arrays ``prox`` closes over as its trailing
    arguments (:func:`jax.closure_convert`), after its own ``pargs`` (those of a partial,
    :func:`_hoist_prox`: the function of a partial may close over tracers too), or ``(prox,
    ())`` where there are none, or where it does not trace on ``view`` (it reads values: they
    stay constants); its threshold in ``dtype``, the solve's."""
    threshold = jnp.zeros((), dtype)
    try:
        converted, hoisted = _closure_convert(prox, view, threshold, *pargs)
    except Exception:  # (Python control flow on its values: it runs as given)
        return prox, ()
    return (converted, tuple(hoisted)) if hoisted else (prox, ())


def _prox_view(init_params, flags):
    """The params as the prox sees them: under a mask (``flags``, a prefix of their structure)
    the leaves under a False flag become ``optax.MaskedNode()``, as :func:`optax.masked` gives
    them."""
    if flags is None:
        return init_params
    return jax.tree.map(
        lambda m, sub: jax.tree.map(lambda x: x if m else optax.MaskedNode(), sub),
        flags, init_params,
    )  # fmt: skip


def _check_prox(prox, init_params, flags=None) -> None:
    """``prox(init_params, threshold)`` must trace and give params of the same structure and
    shapes; else a ``TypeError`` naming ``prox``, with what went wrong. Under a mask (``flags``,
    a prefix of the params' structure) the prox sees the params as :func:`optax.masked` gives
    them (``optax.MaskedNode()`` for the unpenalized leaves)."""

    def shapes(tree):
        return jax.tree.map(lambda x: jnp.shape(x), tree)

    masked = flags is not None
    init_params = _prox_view(init_params, flags)
    # (a partial's concrete jax.Array arguments as NumPy: the prox's own checks read those,
    # where a device array is not read: weights of −1 as a jax.Array went through)
    probe = prox
    if isinstance(prox, functools.partial):
        leaves, treedef = jax.tree.flatten((prox.args, prox.keywords))
        host = [np.asarray(x) if isinstance(x, jax.Array) and not isinstance(x, jax.core.Tracer)
                else x for x in leaves]  # fmt: skip
        args, keywords = jax.tree.unflatten(treedef, host)
        probe = functools.partial(prox.func, *args, **keywords)
    try:
        out = jax.eval_shape(prox, init_params, jax.ShapeDtypeStruct((), jnp.float32))
    except Exception as err:  # (any error of the user's prox: named, the original chained)
        raise TypeError(
            f"minimize: prox(params, threshold) failed on init_params"
            f"{' (its penalized leaves, under mask)' if masked else ''}: "
            f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            + (
                "; for per-leaf weights leave mask out and give the unpenalized leaves weight 0"
                if masked
                else ""
            )
        ) from err
    if probe is not prox:
        try:
            jax.eval_shape(probe, init_params, jnp.ones((), jnp.float32))
        except ValueError as err:  # (a bad value, e.g. negative weights: the prox's check)
            raise ValueError(f"minimize: prox: {str(err).splitlines()[0]}") from err
        except Exception:  # (a prox that needs its arrays as jax.Arrays, w.at[k].set(...):
            pass  # it traced on them above; its values are not checked here)
    if jax.tree.structure(out) != jax.tree.structure(init_params) or shapes(out) != shapes(
            init_params):  # fmt: skip
        raise TypeError(
            "minimize: prox(params, threshold) must return params of init_params' structure "
            f"and shapes, got {shapes(out)} for {shapes(init_params)}"
        )


def _warn_if_not_converged(result: MinimizeResult, tol, max_iter) -> None:
    from l1jax.path import ConvergenceWarning

    status = int(result.status)
    if status == Status.CONVERGED:
        return
    if status == Status.NONFINITE:
        message = (
            f"minimize stopped after {int(result.n_iter)} iterations on a non-finite objective "
            "or gradient: check fun at init_params and the data in args, and that fun + lam · "
            "penalty is bounded below (params that grew without bound: a fun unbounded below, "
            "or a lam too small to bound it)"
        )
    else:
        coarsest = max((jnp.dtype(x.dtype) for x in jax.tree.leaves(result.params)),
                       key=lambda d: jnp.finfo(d).eps)  # fmt: skip
        # (in float64 rounding is rarely the cause: a fun that is not smooth, or not finite
        # near the iterate, stalls the backtracking too, or makes it crawl)
        wider = ("" if coarsest == jnp.dtype(jnp.float64) else
                 ", or enable float64 (jax.config.update('jax_enable_x64', True))")  # fmt: skip
        smooth = ("check that fun is differentiable and finite around the iterate (|x|, max or "
                  "a NaN region stall it: the non-smooth part belongs in prox)")  # fmt: skip
        if int(result.n_iter) < int(max_iter):  # stopped where its steps round away
            message = (
                f"minimize stalled after {int(result.n_iter)} iterations at relative error "
                f"{float(result.error):.3g} > tol={float(tol):.3g}: its steps round away in "
                f"{coarsest.name}, which cannot certify that tol here; {smooth}, rescale the "
                f"problem (columns of similar scales, y and X centred), loosen tol{wider}"
            )
        else:
            message = (
                f"minimize did not converge in {int(result.n_iter)} iterations: relative error "
                f"{float(result.error):.3g} > tol={float(tol):.3g}; raise max_iter, loosen "
                f"tol, {smooth}{wider}"
            )
    warn_convergence(message, ConvergenceWarning)


def minimize(
    fun: Callable[..., jax.Array],
    init_params: PyTree,
    *,
    lam: ArrayLike,
    args: tuple = (),
    prox: Callable[[PyTree, jax.Array], PyTree] = prox_ops.l1,
    mask=None,
    tol: float | ArrayLike = 1e-6,
    max_iter: int = 10_000,
    accelerate: bool = True,
) -> MinimizeResult:
    """Minimize ``fun(params, *args) + lam · P(params)`` by proximal gradient (FISTA).

    Solves, over a pytree ``w`` like ``init_params``,

        min_w  fun(w, *args) + λ P(w),

    for a smooth (differentiable, preferably convex) scalar ``fun`` and the penalty ``P`` whose
    prox is ``prox`` (``prox(x, t) = argmin_z ½ ‖z − x‖² + t P(z)``, as every operator of
    :mod:`l1jax.prox`): the lasso with ``prox.l1``, non-negative with ``prox.nonneg_l1``, the
    elastic net with ``functools.partial(prox.elastic_net, l1_ratio=ρ)``, the group lasso with
    ``functools.partial(prox.group_l1, axis=1)`` (rows of a matrix), weights through a partial
    (``weights=``), or your own prox of that signature. ``mask`` leaves leaves unpenalized.

    The algorithm is FISTA (Beck & Teboulle 2009) with adaptive gradient restart (O'Donoghue &
    Candès 2015), the step of :func:`l1jax.proximal_gradient`, and backtracking: the first step
    is ``1/L`` for the largest curvature of ``fun`` at ``init_params`` (a few Hessian-vector
    products), halved whenever the sufficient-decrease test fails and tried 1.5 times larger
    after a step that passed at once (a start where ``fun`` curves more than near the solution
    does not keep its small step), so there is no step size to tune. It stops when the norm of
    the proximal-gradient mapping ``G_η(y) = (y − prox(y − η ∇fun(y), η λ)) / η`` has fallen to
    ``tol`` times the scale of the problem, ``max(‖G_η(x)‖, ‖∇fun(x)‖)`` at ``x = init_params``,
    or at zero params where that is smaller (and finite and not negligible), so that a start far
    from the solution does not loosen the test (``error`` is that ratio), or after ``max_iter``
    iterations. The scale covers every leaf: an unpenalized one whose gradient dwarfs the
    others' at both points (an intercept started at 0 under an uncentred ``y``: at an offset of
    10⁴ a lasso stopped 4e-3 from its coefficients) loosens the test for the rest; start it at
    its null value (the mean of ``y``, as in docs/minimize.md) or centre ``y``. ``G_η(y) = 0``
    exactly at a minimizer, and the suboptimality of the returned ``params = prox(y − η∇fun(y),
    ηλ)`` is at most ``‖G_η(y)‖ · ‖y − w*‖``. ``init_params`` already optimal (e.g. zeros for λ
    ≥ λ_max) returns at once.

    **Transformations.** ``lam``, ``args``, ``init_params``, ``tol`` and ``max_iter`` may be
    traced:
    ``jax.jit``, ``jax.vmap`` over ``lam`` (a regularization path, one compiled program) or over
    data work, and a new λ does not recompile. ``fun``, ``prox`` and ``mask`` are static, as a
    function under ``jax.jit`` (define ``fun`` once: a fresh lambda per call compiles again; and
    arrays that ``fun`` reads from globals or from its object, as a bound method ``model.loss``
    reads ``model.data``, are those of its first call, also after the object changed: pass
    data that changes in ``args``). ``jax.grad`` (and ``jax.jvp``) of
    ``params`` with respect to ``lam`` and ``args``, to arrays that ``fun`` closes over and to
    the traced arguments of a ``functools.partial`` prox (``l1_ratio=ρ``, ``weights=w``), to
    any order (a Hessian, a gradient's gradient), use implicit differentiation of the fixed
    point ``w = prox(w − η∇fun(w), ηλ)``: a linear system ``(I − ∂_w T) dw = ∂_θ T dθ``
    solved by BiCGSTAB with Hessian-vector products of ``fun``. For
    the L1 prox ``∂_w T = D (I − η∇²fun)`` with ``D`` the 0/1 mask of the support, so this is
    the stationarity condition on the support (zeros have derivative 0). As for
    :mod:`l1jax.implicit`, the derivative is that of the current support (one-sided at a kink
    of the path), exact at the exact solution: use a tight ``tol`` when it matters. The system
    is singular when the solution is not unique (e.g. a lasso support larger than the number
    of samples): the derivative then comes out NaN or huge, without a warning.

    **Errors.** Bad input raises ``ValueError``/``TypeError`` naming the argument, before any
    tracing. Inside ``jit``/``vmap`` a traced ``lam`` cannot be checked: a negative or NaN λ,
    or a non-finite objective or gradient, gives ``error = NaN``, ``converged = False`` and
    ``status = Status.NONFINITE`` (``params = init_params`` for a bad λ), never an exception.
    Called eagerly (outside any transformation), a solve that did not converge warns once
    (:class:`l1jax.ConvergenceWarning`). float32 cannot certify much below ``1e-6``, and less
    where the scales of ``params`` differ widely (``error`` counts the rounding of each step,
    ``eps·|params|``, and a solve whose iterate stands still above ``tol`` stops there, not
    converged, with a warning that says so; so does a near-exact fit, whose loss at the
    optimum is far below the rounding of its terms); enable float64 for tighter tolerances.
    ``fun``'s own products keep the precision you give them: on GPUs and TPUs JAX's default runs
    float32 products in TF32 or bfloat16, whose gradients stall ``error`` near ``1e-3``; trace
    it under ``jax.default_matmul_precision("highest")`` (README "Precision").

    Args:
      fun: the smooth part, ``fun(params, *args) -> scalar``, twice differentiable by JAX (its
        Hessian-vector products give the first step and the implicit derivatives).
      init_params: the starting point: a pytree of floating arrays (it fixes the dtypes).
      lam: the strength λ >= 0: a scalar (may be traced; vmap over it for several λs).
      args: a tuple of extra arguments of ``fun`` (data), differentiable.
      prox: ``prox(params, threshold) -> params``; default :func:`l1jax.prox.l1`.
      mask: optional pytree of bools (or a callable ``params -> pytree``), as in
        :func:`optax.masked`: ``False`` leaves (e.g. an intercept) are not penalized. (With
        per-leaf ``weights``, leave ``mask`` out and give the unpenalized leaves weight 0:
        ``functools.partial(prox.l1, weights={"w": v, "b": 0.0})``; under ``mask`` the prox
        sees optax's placeholders for the ``False`` leaves, which weights cannot match.)
      tol: relative tolerance on the proximal-gradient mapping (see above); may be traced.
      max_iter: iteration cap (an int; may be traced).
      accelerate: FISTA with restart (True) or plain proximal gradient, ISTA (False).

    Returns:
      :class:`MinimizeResult`: ``params``, ``n_iter``, ``error``, ``status`` and the property
      ``converged``; every field gets a leading axis per ``vmap``.

    Example:
      >>> import jax, jax.numpy as jnp
      >>> import l1jax
      >>> X = jnp.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
      >>> y = jnp.array([2.0, 0.1, 2.1])
      >>> def loss(w, X, y):
      ...     return jnp.mean((y - X @ w) ** 2) / 2
      >>> r = l1jax.minimize(loss, jnp.zeros(2), lam=0.2, args=(X, y))
      >>> r.params.round(4), bool(r.converged)
      (Array([1.75, 0.  ], dtype=float32), True)
      >>> def w0(lam):  # on the support w₀(λ) = 2.05 − 1.5 λ
      ...     return l1jax.minimize(loss, jnp.zeros(2), lam=lam, args=(X, y)).params[0]
      >>> round(float(jax.grad(w0)(0.2)), 4)  # by implicit differentiation
      -1.5
    """
    refuse_if_forked("minimize")
    mask, flags = _check(fun, init_params, lam, args, prox, tol, max_iter, accelerate, mask)
    args = tuple(args)
    x0 = jax.tree.map(jnp.asarray, init_params)
    # Arrays that fun closes over and that are being differentiated (tracers) become explicit
    # arguments, so the implicit derivative sees them (jax.closure_convert). Outside any trace
    # there are none to hoist, and closure_convert's cache would keep every fun, with its data,
    # for good (a new lambda per call: +15,600 memory maps per 100 calls).
    # (closure_convert caches on fun: an unhashable callable goes in a fresh wrapper.)
    if not _top_level():
        converted, hoisted = _closure_convert(fun, x0, *args)
        if hoisted:
            fun, args = converted, (*args, *hoisted)
    # (and the traced or array arguments of a functools.partial prox: l1_ratio=ρ, weights=w;
    # then any prox's traced closure as fun's, a partial's function's too: a lambda over a
    # hyperparameter, the recipe of jaxopt's prox(x, hyperparams, scaling), had a derivative of
    # 0 in it, and under jit a traced weights vector was JAX's "No constant handler")
    view, dtype = _prox_view(x0, flags), _fista_momentum_dtype(x0)
    prox, prox_args = _hoist_prox(prox, view)
    if not _top_level():
        prox, closed = _convert_prox(prox, view, dtype, prox_args)
        prox_args = (*prox_args, *closed)
    args = (*args, *prox_args)
    problem = _Problem(_static_callable(fun), _static_callable(prox), mask, bool(accelerate),
                       len(prox_args))  # fmt: skip
    lam_arr = jnp.asarray(lam, dtype)
    with jax.transfer_guard_host_to_device("allow"):  # (its own settings, not the user's data:
        # a user's transfer_guard("disallow") with everything on the device refused them)
        tol, max_iter = jnp.asarray(tol, dtype), jnp.asarray(max_iter, jnp.int32)
    result = _solve(x0, lam_arr, args, tol, max_iter, problem=problem)
    if not _is_traced(result.status):
        _warn_if_not_converged(result, tol, max_iter)
    return result

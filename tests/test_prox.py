"""Prox operators: closed forms, the argmin property, broadcasting, NaN/inf, exact zeros, grads.

Cases × checks: every operator is a ``Case`` (the prox, a numpy reference of its closed form and
a numpy reference of its penalty); each check runs over all cases. The references are written
here, independently of l1jax.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from l1jax import penalties, prox


def _np_soft(x, t):
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


def _np_group(x, t, axis):
    norm = np.sqrt(np.sum(x * x, axis=axis, keepdims=True))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(norm > t, 1.0 - t / norm, 0.0)
    return scale * x


class Case(NamedTuple):
    name: str
    prox: Callable  # prox(x, t) on an array
    closed_form: Callable  # numpy: closed_form(x, t)
    penalty: Callable  # numpy: P(z), +inf outside the domain
    elementwise: bool  # the prox acts entry by entry (broadcasts against a column of t)


CASES = [
    Case("l1", prox.l1, _np_soft, lambda z: np.sum(np.abs(z)), True),
    Case(
        "nonneg_l1",
        prox.nonneg_l1,
        lambda x, t: np.maximum(x - t, 0.0),
        lambda z: np.sum(z) if np.all(z >= 0) else np.inf,
        True,
    ),
    Case("l2", prox.l2, lambda x, t: x / (1 + t), lambda z: 0.5 * np.sum(z * z), True),
    Case(
        "elastic_net",
        functools.partial(prox.elastic_net, l1_ratio=0.3),
        lambda x, t: _np_soft(x, 0.3 * t) / (1 + 0.7 * t),
        lambda z: 0.3 * np.sum(np.abs(z)) + 0.7 * 0.5 * np.sum(z * z),
        True,
    ),
    Case(
        "group_l1_leaf",
        prox.group_l1,
        lambda x, t: _np_group(x, t, None),
        lambda z: np.sqrt(np.sum(z * z)),
        False,
    ),
    Case(
        "group_l1_rows",
        lambda x, t: prox.group_l1(x.reshape(-1, 2), t, axis=1).reshape(x.shape),
        lambda x, t: _np_group(x.reshape(-1, 2), t, 1).reshape(x.shape),
        lambda z: np.sum(np.sqrt(np.sum(z.reshape(-1, 2) ** 2, axis=1))),
        False,
    ),
]
IDS = [c.name for c in CASES]


def _objective(case: Case, z, x, t):
    penalty = case.penalty(z)
    if np.isinf(penalty):  # outside the domain (0 · inf would be NaN)
        return np.inf
    return 0.5 * np.sum((z - x) ** 2) + t * penalty


# --- closed forms ---------------------------------------------------------------------------


def test_soft_threshold_hand_values():
    out = prox.soft_threshold(jnp.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5]), 1.0)
    np.testing.assert_array_equal(np.asarray(out), [-2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.5])


def test_group_hand_values():
    # ‖(3, 4)‖ = 5: scaled by 1 − 1/5; ‖(0.3, 0.4)‖ = 0.5 < 1: zeroed.
    W = jnp.array([[3.0, 4.0], [0.3, 0.4]])
    np.testing.assert_allclose(prox.group_l1(W, 1.0, axis=1), [[2.4, 3.2], [0.0, 0.0]])
    # columns as groups: ‖(3, 0.3)‖ ≈ 3.015, ‖(4, 0.4)‖ ≈ 4.02
    cols = np.asarray(prox.group_l1(W, 1.0, axis=0))
    np.testing.assert_allclose(cols[:, 0], np.array([3.0, 0.3]) * (1 - 1 / np.hypot(3, 0.3)))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_closed_form(case):
    rng = np.random.default_rng(0)
    x = rng.normal(scale=2.0, size=12)
    for t in [0.0, 0.3, 1.0, 5.0]:
        np.testing.assert_allclose(case.prox(jnp.asarray(x), t), case.closed_form(x, t), atol=1e-14)


def test_weights_scale_the_threshold():
    x = jnp.array([2.0, 2.0, -2.0, 0.5])
    w = jnp.array([0.0, 1.0, 3.0, 1.0])
    np.testing.assert_allclose(prox.l1(x, 0.5, w), [2.0, 1.5, -0.5, 0.0])
    np.testing.assert_allclose(prox.nonneg_l1(x, 0.5, w), [2.0, 1.5, 0.0, 0.0])
    np.testing.assert_allclose(prox.l2(x, 0.5, w), np.asarray(x) / (1 + 0.5 * np.asarray(w)))
    np.testing.assert_allclose(
        prox.elastic_net(x, 0.5, 0.5, w),
        _np_soft(np.asarray(x), 0.25 * np.asarray(w)) / (1 + 0.25 * np.asarray(w)),
    )
    # group weights: one per row of a (2, 2) matrix with axis=1
    W = jnp.array([[3.0, 4.0], [3.0, 4.0]])
    np.testing.assert_allclose(
        prox.group_l1(W, 1.0, jnp.array([1.0, 10.0]), axis=1), [[2.4, 3.2], [0.0, 0.0]]
    )


def test_pytree_leaves_are_independent():
    params = {"a": jnp.array([2.0, -0.1]), "b": (jnp.array(-3.0), jnp.array([[0.2, 5.0]]))}
    out = prox.l1(params, 0.5)
    chex.assert_trees_all_close(
        out, {"a": jnp.array([1.5, 0.0]), "b": (jnp.array(-2.5), jnp.array([[0.0, 4.5]]))}
    )
    # group_l1 with axis=None: each leaf is one group
    grouped = prox.group_l1({"big": jnp.array([3.0, 4.0]), "small": jnp.array([0.3, 0.4])}, 1.0)
    np.testing.assert_allclose(grouped["big"], [2.4, 3.2])
    np.testing.assert_array_equal(grouped["small"], [0.0, 0.0])


# --- the argmin property --------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    x=st.lists(st.floats(-10, 10, allow_nan=False), min_size=4, max_size=4),
    t=st.floats(0.0, 5.0),
    seed=st.integers(0, 2**31 - 1),
)
def test_no_perturbation_lowers_the_prox_objective(x, t, seed):
    x = np.asarray(x, np.float64)
    rng = np.random.default_rng(seed)
    for case in CASES:
        z = np.asarray(case.prox(jnp.asarray(x), t))
        best = _objective(case, z, x, t)
        assert np.isfinite(best), case.name
        directions = [rng.normal(size=x.shape) for _ in range(20)]
        directions += [np.eye(x.size)[i] * s for i in range(x.size) for s in (1.0, -1.0)]
        for d in directions:
            for eps in (1.0, 1e-2, 1e-5):
                other = _objective(case, z + eps * d, x, t)
                assert other >= best - 1e-9 * (1 + abs(best)), (case.name, z, eps * d)


# --- broadcasting over a column of thresholds -------------------------------------------------


@pytest.mark.parametrize("case", [c for c in CASES if c.elementwise], ids=lambda c: c.name)
def test_column_of_thresholds_gives_the_path(case):
    x = jnp.array([-3.0, -0.7, 0.0, 0.4, 2.0])
    ts = np.array([0.0, 0.5, 1.0, 4.0])
    path = np.asarray(case.prox(x, jnp.asarray(ts)[:, None]))
    assert path.shape == (4, 5)
    for k, t in enumerate(ts):
        np.testing.assert_allclose(path[k], case.closed_form(np.asarray(x), t), atol=1e-15)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vmap_over_threshold_equals_a_loop(case):
    x = jnp.array([-3.0, -0.7, 0.0, 0.4, 2.0, 1.0])
    ts = jnp.array([0.0, 0.5, 1.0, 4.0])
    batched = jax.jit(jax.vmap(case.prox, in_axes=(None, 0)))(x, ts)
    for k in range(ts.size):
        np.testing.assert_allclose(batched[k], case.prox(x, ts[k]), atol=1e-15)


# --- NaN, inf, exact zeros, dtypes ------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_nan_in_gives_nan_out(case):
    x = jnp.array([jnp.nan, 1.0, 3.0, -2.0])
    out = np.asarray(case.prox(x, 0.5))
    assert np.isnan(out[0])
    if case.elementwise:
        np.testing.assert_allclose(out[1:], case.closed_form(np.asarray(x[1:]), 0.5))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_inf_stays_inf(case):
    x = jnp.array([jnp.inf, 1.0, 3.0, 2.0])
    out = np.asarray(case.prox(x, 0.5))
    assert out[0] == np.inf
    neg = np.asarray(case.prox(-x, 0.5))
    if case.name == "nonneg_l1":
        np.testing.assert_array_equal(neg, 0.0)  # −inf projects to 0
    else:
        assert neg[0] == -np.inf


def test_soft_threshold_nan_threshold_and_mixed():
    out = np.asarray(prox.soft_threshold(jnp.array([jnp.nan, jnp.inf, -jnp.inf, 0.2]), 1.0))
    assert np.isnan(out[0]) and out[1] == np.inf and out[2] == -np.inf and out[3] == 0.0


@pytest.mark.parametrize("case", [c for c in CASES if c.name != "l2"], ids=lambda c: c.name)
def test_small_inputs_become_exact_zeros(case):
    x = jnp.array([1e-300, -0.49, 0.3, 0.0, -1e-8, 0.1])  # |x| and group norms < 0.3 t
    out = np.asarray(case.prox(x, 2.0))
    assert np.all(out == 0.0), out


def test_l2_only_shrinks():
    out = np.asarray(prox.l2(jnp.array([1e-8, -0.5]), 100.0))
    assert np.all(out != 0.0)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float32, jnp.float64])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_dtype_is_kept(case, dtype):
    x = jnp.array([3.0, -0.25, 1.5, 0.0], dtype)
    out = case.prox(x, jnp.asarray(0.5, jnp.float64))
    assert out.dtype == dtype
    np.testing.assert_allclose(
        np.asarray(out, np.float64),
        case.closed_form(np.asarray(x, np.float64), 0.5),
        rtol=1e-2 if dtype == jnp.bfloat16 else 1e-6,
    )


# --- finite gradients at 0 --------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_grad_is_finite_at_zero(case):
    @jax.jit
    def derivatives(x, t):
        gx = jax.grad(lambda v: jnp.sum(case.prox(v, t)))(x)
        gt = jax.grad(lambda s: jnp.sum(case.prox(x, s)))(t)
        return gx, gt, jax.jacfwd(lambda v: case.prox(v, t))(x)

    for t in [0.0, 0.5]:
        for value in jax.tree.leaves(derivatives(jnp.zeros(4), jnp.asarray(t))):
            assert np.all(np.isfinite(value)), (t, value)


def test_grad_values_away_from_zero():
    # d/dx soft(x, t) = 1 outside the band, 0 inside; d/dt = −sign(x) outside
    x = jnp.array([2.0, 0.1, -3.0])
    np.testing.assert_array_equal(jax.grad(lambda v: jnp.sum(prox.l1(v, 0.5)))(x), [1, 0, 1])
    np.testing.assert_allclose(jax.grad(lambda t: jnp.sum(prox.l1(x, t)))(0.5), -1 + 1)
    # group: d/dt of ‖prox‖ = −1 when the group survives
    W = jnp.array([3.0, 4.0])
    g = jax.grad(lambda t: jnp.linalg.norm(prox.group_l1(W, t)))(1.0)
    np.testing.assert_allclose(g, -1.0)


# --- NaN thresholds, infinite thresholds, extreme group norms, derivatives in t at 0 --------


def test_group_nan_entry_or_threshold_gives_nan_for_the_group():
    x = jnp.array([3.0, 4.0])
    assert np.all(np.isnan(prox.group_l1(x, jnp.nan)))  # was [0, 0]
    assert np.all(np.isnan(prox.group_l1(jnp.array([jnp.nan, 5.0]), 0.0)))  # was [nan, 0]
    rows = np.asarray(prox.group_l1(jnp.array([[jnp.nan, 1.0], [3.0, 4.0]]), 1.0, axis=1))
    assert np.all(np.isnan(rows[0]))
    np.testing.assert_allclose(rows[1], [2.4, 3.2])  # the other group is untouched by the NaN


def test_group_norms_neither_overflow_nor_underflow():
    # ‖(300, 400)‖ = 500 fits float16, the sum of squares (250 000) does not: shrunk by 1 − 1/5
    out = prox.group_l1(jnp.array([300.0, 400.0], jnp.float16), 100.0)
    assert out.dtype == jnp.float16
    np.testing.assert_array_equal(np.asarray(out, np.float64), [240.0, 320.0])
    # t = 0 is the identity, also for groups whose squares underflow to 0
    for x in (jnp.array([1e-23, 1e-23], jnp.float32), jnp.array([1e-4, 1e-4], jnp.float16)):
        np.testing.assert_array_equal(prox.group_l1(x, 0.0), x)
    tiny = jnp.array([3e-30, 4e-30], jnp.float32)  # norm 5e-30: below t = 6e-30 it is zeroed
    np.testing.assert_allclose(prox.group_l1(tiny, 1e-30), [2.4e-30, 3.2e-30], rtol=1e-6)
    np.testing.assert_array_equal(prox.group_l1(tiny, 6e-30), [0.0, 0.0])
    # empty leaves and empty groups stay empty (the scaling's max starts from 0)
    assert prox.group_l1(jnp.zeros(0), 1.0).shape == (0,)
    assert prox.group_l1(jnp.zeros((3, 0)), 1.0, axis=1).shape == (3, 0)
    assert float(penalties.group_l1(jnp.zeros(0))) == 0.0


def test_group_norms_of_the_largest_floats():
    """A float32 group whose largest |x| is above 1 / (the smallest normal number), 8.5e37:
    XLA divided by it as a product with its inverse, a subnormal flushed to 0, so the norm was 0,
    the penalty 0 and the prox zeroed the whole group."""
    for x in (jnp.array([1e38, 1.0], jnp.float32), jnp.array([2e37, 2e37], jnp.float32),
              jnp.array([4e4, 3e4], jnp.float16)):  # fmt: skip
        norm = float(np.linalg.norm(np.asarray(x, np.float64)))
        np.testing.assert_allclose(float(penalties.group_l1(x)), norm, rtol=1e-3)
        shrunk = np.asarray(x, np.float64) * (1 - 1 / norm)
        np.testing.assert_allclose(np.asarray(prox.group_l1(x, 1.0), np.float64), shrunk, rtol=1e-3)
        np.testing.assert_allclose(np.asarray(jax.jit(penalties.group_l1)(x), np.float64), norm,
                                   rtol=1e-3)  # fmt: skip
    # a float16 group of subnormals (6e-8 apart): its inverse overflowed (norm inf: never zeroed)
    tiny = jnp.array([3e-7, 4e-7], jnp.float16)
    np.testing.assert_array_equal(prox.group_l1(tiny, 1.0), [0.0, 0.0])
    shrunk = np.asarray(tiny, np.float64) * (1 - 1e-7 / 5.127e-7)
    np.testing.assert_allclose(np.asarray(prox.group_l1(tiny, 1e-7), np.float64), shrunk, atol=6e-8)


@pytest.mark.parametrize("rho", [0.0, 0.5, 1.0])
def test_infinite_threshold_zeroes_the_elastic_net(rho):
    x = jnp.array([1.0, -2.0, 0.0])
    np.testing.assert_array_equal(prox.elastic_net(x, jnp.inf, rho), 0.0)  # was NaN (inf·0)
    # a finite threshold that overflows float16 (1e5 > 65504) is inf there too
    np.testing.assert_array_equal(prox.elastic_net(x.astype(jnp.float16), 1e5, rho), 0.0)
    # a weight 0 leaves its coordinate unpenalized, even at t = inf
    w = jnp.array([0.0, 1.0, 1.0])
    np.testing.assert_array_equal(prox.elastic_net(x, jnp.inf, rho, weights=w), [1.0, 0.0, 0.0])


def test_soft_threshold_of_inf_at_an_infinite_threshold_is_nan():
    # ±inf stays ±inf for a finite t (test_inf_stays_inf); inf − inf is NaN, as documented
    out = np.asarray(prox.soft_threshold(jnp.array([jnp.inf, -jnp.inf, 5.0]), jnp.inf))
    assert np.all(np.isnan(out[:2])) and out[2] == 0.0


def test_derivative_in_the_threshold_is_zero_at_zero():
    # prox(0, t) = 0 for every t >= 0: its derivative in t at t = 0 is 0 (clip's tie gave −¼)
    assert jax.grad(lambda t: prox.soft_threshold(0.0, t))(0.0) == 0.0
    assert jax.grad(lambda t: prox.elastic_net(jnp.zeros(3), t, 0.5).sum())(0.0) == 0.0
    # and −sign(x) outside the band, 0 inside
    x = jnp.array([2.0, -3.0, 0.1])
    np.testing.assert_array_equal(jax.jacfwd(lambda t: prox.soft_threshold(x, t))(0.5), [-1, 1, 0])
    # A tie |x| = t > 0 is a zero, inside the band: derivative 0 in t and in x (it was the
    # outside's, so minimize's derivative at λ_max was the left one where solve_path's is 0)
    tie = jnp.array([0.5, -0.5])
    np.testing.assert_array_equal(prox.soft_threshold(tie, 0.5), [0, 0])
    np.testing.assert_array_equal(jax.jacfwd(lambda t: prox.soft_threshold(tie, t))(0.5), [0, 0])
    np.testing.assert_array_equal(jax.jacfwd(lambda v: prox.soft_threshold(v, 0.5))(tie), 0)
    # at t = 0 the prox is the identity, a zero's derivative in x 1 (an unpenalized leaf at 0)
    np.testing.assert_array_equal(jax.grad(lambda v: prox.soft_threshold(v, 0.0))(0.0), 1.0)


_PROX_FNS = {
    "l1": prox.l1,
    "nonneg_l1": prox.nonneg_l1,
    "l2": prox.l2,
    "elastic_net": lambda x, t, w=None: prox.elastic_net(x, t, 0.5, w),
    "group_l1": prox.group_l1,
}


@pytest.mark.parametrize("name", list(_PROX_FNS))
def test_negative_thresholds_and_weights_are_refused(name):
    """A negative threshold or weight on the host expanded instead of shrinking ([3, 4] at
    t = -1 gave [3.6, 4.8]); a jax.Array one (traced, or on a device) is not read."""
    fn, x = _PROX_FNS[name], jnp.array([3.0, 4.0])
    with pytest.raises(ValueError, match=rf"prox.{name}: threshold must be >= 0"):
        fn(x, -1.0)
    with pytest.raises(ValueError, match=rf"prox.{name}: weights must be >= 0"):
        fn(x, 1.0, np.array(-1.0) if name == "group_l1" else np.array([1.0, -1.0]))
    np.testing.assert_array_equal(jax.jit(fn)(x, 1.0), fn(x, 1.0))


@pytest.mark.parametrize("name", list(_PROX_FNS))
def test_thresholds_that_are_not_numbers_are_named(name):
    """(JAX's "not a valid JAX type" or "None is not a valid value for jnp.array")"""
    fn, x = _PROX_FNS[name], jnp.array([3.0, 4.0])
    for bad, words in (("0.1", "must hold real numbers, got str"), (None, "must be .*None")):
        with pytest.raises(TypeError, match=rf"prox.{name}: threshold {words}"):
            fn(x, bad)


@pytest.mark.parametrize("name", list(_PROX_FNS))
def test_integer_leaves_come_back_in_the_default_float_from_every_operator(name):
    """(group_l1 cast its result back to int32: [3, 4] at t = 1.5 gave [2, 2], the others
    [2.1, 2.8] as float)"""
    fn = _PROX_FNS[name]
    out = fn(jnp.array([3, 4]), 1.5)
    assert out.dtype == jnp.result_type(float)
    np.testing.assert_allclose(out, fn(jnp.array([3.0, 4.0], out.dtype), 1.5))


def test_an_integer_threshold_on_integer_leaves_gives_one_dtype_eager_or_traced():
    """prox.l1 of int32 leaves at an integer threshold came back int32 given a Python int, but
    float32 given a jax.Array or under jit; kept int32, a negative device threshold expanded
    them silently ([3, -3, 1] at −1: [4, −4, 2]). Now the default float every way, and NaN
    there, as for float leaves; soft_threshold under jit expanded float entries too."""
    x = jnp.array([3, -3, 1, 0])
    eager = prox.l1(x, 1)
    assert eager.dtype == jnp.result_type(float)
    for out in (prox.l1(x, jnp.asarray(1)), jax.jit(prox.l1)(x, 1),
                prox.soft_threshold(x, 1), jax.jit(prox.soft_threshold)(x, 1)):  # fmt: skip
        assert out.dtype == eager.dtype
        np.testing.assert_array_equal(out, eager)
    for fn in (prox.l1, prox.soft_threshold):
        assert np.all(np.isnan(jax.jit(fn)(x, -1)))
        assert np.all(np.isnan(fn(x * 1.0, jnp.asarray(-1.0))))


@pytest.mark.parametrize("rho", [-3.0, 1.5, np.array(2.0)])
def test_elastic_net_l1_ratio_outside_the_unit_interval_is_refused(rho):
    """ρ outside [0, 1] is no convex penalty: prox.elastic_net([1, 2], 1, -3) gave [0.8, 1.0],
    silently (probe); penalties.elastic_net too. A traced ρ is not read (jit works)."""
    from l1jax import penalties

    x = jnp.array([1.0, 2.0])
    with pytest.raises(ValueError, match=r"prox.elastic_net: l1_ratio must be in \[0, 1\]"):
        prox.elastic_net(x, 1.0, rho)
    with pytest.raises(ValueError, match=r"penalties.elastic_net: l1_ratio must be in \[0, 1\]"):
        penalties.elastic_net(x, rho)
    eager = prox.elastic_net(x, 1.0, 0.5)
    np.testing.assert_allclose(jax.jit(prox.elastic_net)(x, 1.0, 0.5), eager)


@pytest.mark.parametrize(
    "weights, axis",
    [(jnp.ones((5, 4)), 1), (jnp.ones(4), 1), (jnp.ones(5), 0), (jnp.ones(5), None)],
)
def test_group_weights_of_another_shape_are_refused(weights, axis):
    """One weight per group (the leaf's shape without ``axis``) or a scalar: the leaf's full
    shape broadcast the result to (5, 5, 4), silently."""
    W = jnp.ones((5, 4))
    with pytest.raises(ValueError, match="weights of a leaf of shape"):
        prox.group_l1(W, 0.1, weights, axis=axis)
    with pytest.raises(ValueError, match="weights of a leaf of shape"):
        penalties.group_l1(W, weights, axis=axis)
    groups = jnp.ones(5) if axis == 1 else jnp.ones(4) if axis == 0 else jnp.ones(())
    assert prox.group_l1(W, 0.1, groups, axis=axis).shape == W.shape


def test_group_prox_at_a_zero_threshold_is_the_identity_with_its_derivative():
    """At t = 0 (an unpenalized group) the identity: a zero group had Jacobian 0 for the identity
    map (and minimize's derivatives through an unpenalized group were 0)."""
    eye = np.eye(2)
    np.testing.assert_array_equal(jax.jacfwd(lambda x: prox.group_l1(x, 0.0))(jnp.zeros(2)), eye)
    weighted = jax.jacfwd(lambda x: prox.group_l1(x, 1.0, jnp.array([0.0, 1.0]), axis=1))
    np.testing.assert_array_equal(weighted(jnp.zeros((2, 2)))[0, :, 0, :], eye)
    x = jnp.array([3.0, 4.0])  # ‖x‖ = t > 0: 0, as it was
    np.testing.assert_array_equal(prox.group_l1(x, 5.0), [0.0, 0.0])
    np.testing.assert_array_equal(prox.group_l1(x, 0.0), x)


def test_a_zero_threshold_is_the_identity_also_at_infinite_weights():
    """t · w was 0 · inf = NaN at t = 0 (train_path's λ = 0 model went NaN and was reported
    diverged); any positive t holds such a coordinate at 0."""
    x, w = jnp.array([0.5, -2.0]), jnp.array([1.0, jnp.inf])
    for out in (prox.l1(x, 0.0, w), prox.elastic_net(x, 0.0, 0.5, w), prox.l2(x, 0.0, w),
                prox.nonneg_l1(jnp.abs(x), 0.0, w), prox.group_l1(x, 0.0, jnp.inf)):  # fmt: skip
        np.testing.assert_array_equal(out, jnp.abs(x) if out[1] > 0 else x)
    np.testing.assert_array_equal(prox.l1(x, 1e-30, w), [0.5, 0.0])


def test_negative_device_thresholds_weights_and_ratios_make_nan_not_growth():
    """A jax.Array is not read back, so a negative threshold or weight there (or ρ > 1)
    expanded the params ([0.5, -2] → [1.5, -3]) or divided by 0 (prox.l2: inf), silently."""
    x = jnp.array([0.5, -2.0])
    bad = {
        "l1": lambda: prox.l1(x, jnp.array(-1.0)),
        "l1 jit": lambda: jax.jit(prox.l1)(x, -1.0),
        "l1 weights": lambda: prox.l1(x, 1.0, jnp.array([1.0, -1.0])),
        "nonneg_l1": lambda: prox.nonneg_l1(x, jnp.array(-1.0)),
        "l2": lambda: prox.l2(x, jnp.array(-1.0)),
        "elastic_net ρ": lambda: prox.elastic_net(x, 0.1, jnp.array(1.5)),
        "group_l1": lambda: prox.group_l1(x, jnp.array(-1.0)),
        "group_l1 weights": lambda: prox.group_l1(x, 1.0, jnp.array(-1.0)),
    }
    for name, call in bad.items():
        out = np.asarray(call())
        assert np.all(np.isnan(out[1:])) if name == "l1 weights" else np.all(np.isnan(out)), name
    np.testing.assert_allclose(prox.elastic_net(x, jnp.array(1.0), jnp.array(0.5)), [0.0, -1.0])
    # (and the derivative in t of a valid one is that of the formula, nothing from the check)
    np.testing.assert_allclose(jax.grad(lambda t: prox.l1(x, t)[1])(jnp.array(0.5)), 1.0)


@pytest.mark.parametrize("name", ["l1", "nonneg_l1", "l2", "elastic_net", "group_l1"])
def test_a_threshold_that_does_not_broadcast_is_named(name):
    """A threshold is a scalar or broadcasts against each leaf (a column gives the path; not for
    group_l1, whose groups it would mix): a (3,) one on a (2,) leaf failed with JAX's error."""
    fn = getattr(prox, name)
    call = functools.partial(fn, l1_ratio=0.5) if name == "elastic_net" else fn
    bad = [jnp.array([0.1, 0.2, 0.3]), np.full(3, 0.1)]
    if name == "group_l1":
        bad.append(jnp.full((3, 1), 0.1))
    else:  # (with weights too: a column times the weights, against the leaf)
        out = call({"w": jnp.ones(2)}, jnp.full((3, 1), 0.1), weights={"w": jnp.full(2, 2.0)})
        np.testing.assert_allclose(out["w"], call({"w": jnp.ones(2)}, 0.2)["w"][None].repeat(3, 0))
    for t in bad:
        with pytest.raises(ValueError, match=rf"^prox.{name}: threshold must be a scalar"):
            call({"w": jnp.ones(2), "b": jnp.ones(())}, t)


def test_documented_broadcasts_hold_under_rank_promotion_raise():
    """Weights that broadcast to a leaf (prox.l2, elastic_net) and eta's leading axes
    (glm_loss) failed with JAX's error under a user's jax_numpy_rank_promotion="raise"."""
    from l1jax import losses

    W, w = jnp.ones((3, 4)), jnp.full(4, 0.5)
    with jax.numpy_rank_promotion("raise"):
        np.testing.assert_allclose(prox.l2(W, 1.0, w), jnp.full((3, 4), 1 / 1.5))
        np.testing.assert_allclose(prox.elastic_net(W, 1.0, 0.5, w), jnp.full((3, 4), 0.75 / 1.25))
        out = losses.glm_loss("squared", jnp.ones(3), jnp.zeros((2, 3)), jnp.ones(3))
        np.testing.assert_allclose(out, [0.5, 0.5])

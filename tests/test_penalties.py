"""Penalties: values against numpy, the stated norms, weights, pytrees, gradients (finite at 0)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import l1jax
from l1jax import penalties

W = np.array([[1.0, -2.0, 0.0], [0.5, 0.0, -3.0]])


def test_values_on_a_matrix():
    np.testing.assert_allclose(penalties.l1(jnp.asarray(W)), 6.5)
    np.testing.assert_allclose(penalties.l2(jnp.asarray(W)), 0.5 * (1 + 4 + 0.25 + 9))
    np.testing.assert_allclose(
        penalties.elastic_net(jnp.asarray(W), 0.25), 0.25 * 6.5 + 0.75 * 0.5 * 14.25
    )
    np.testing.assert_allclose(penalties.group_l1(jnp.asarray(W)), np.sqrt(14.25))
    np.testing.assert_allclose(
        penalties.group_l1(jnp.asarray(W), axis=1), np.sqrt(5.0) + np.sqrt(9.25)
    )
    np.testing.assert_allclose(
        penalties.group_l1(jnp.asarray(W), axis=0), np.sqrt(1.25) + 2.0 + 3.0
    )


def test_weights():
    v = np.array([[0.0, 1.0, 2.0], [3.0, 1.0, 1.0]])
    w, vj = jnp.asarray(W), jnp.asarray(v)
    np.testing.assert_allclose(penalties.l1(w, vj), np.sum(v * np.abs(W)))
    np.testing.assert_allclose(penalties.l2(w, vj), 0.5 * np.sum(v * W**2))
    np.testing.assert_allclose(
        penalties.elastic_net(w, 0.5, vj), 0.5 * np.sum(v * np.abs(W)) + 0.25 * np.sum(v * W**2)
    )
    rows = jnp.array([2.0, 0.0])  # one weight per row group; the second row is unpenalized
    np.testing.assert_allclose(penalties.group_l1(w, rows, axis=1), 2 * np.sqrt(5.0))


def test_pytrees_sum_over_leaves():
    params = {"a": jnp.array([1.0, -2.0]), "b": (jnp.array(-3.0), jnp.array([[0.5]]))}
    np.testing.assert_allclose(penalties.l1(params), 6.5)
    np.testing.assert_allclose(penalties.l2(params), 0.5 * (1 + 4 + 9 + 0.25))
    np.testing.assert_allclose(penalties.group_l1(params), np.sqrt(5) + 3 + 0.5)
    weights = {"a": jnp.array([0.0, 1.0]), "b": (jnp.array(2.0), jnp.array([[4.0]]))}
    np.testing.assert_allclose(penalties.l1(params, weights), 2 + 6 + 2)


def test_l2_is_half_the_sum_of_squares_and_its_gradient_is_w():
    w = jnp.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(penalties.l2(w), 7.0)
    np.testing.assert_allclose(jax.grad(penalties.l2)(w), w)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=6),
    st.floats(0.0, 1.0),
)
def test_elastic_net_interpolates(values, rho):
    w = np.asarray(values)
    expected = rho * np.sum(np.abs(w)) + (1 - rho) * 0.5 * np.sum(w * w)
    np.testing.assert_allclose(
        penalties.elastic_net(jnp.asarray(w), rho), expected, rtol=1e-12, atol=1e-12
    )


PENALTIES = {
    "l1": penalties.l1,
    "l2": penalties.l2,
    "elastic_net": functools.partial(penalties.elastic_net, l1_ratio=0.5),
    "group_l1_leaf": penalties.group_l1,
    "group_l1_rows": functools.partial(penalties.group_l1, axis=1),
    "group_l1_cols": functools.partial(penalties.group_l1, axis=0),
}


# The largest |gradient| at 0: every penalty picks the subgradient of least norm there, 0 (the
# subdifferential allows up to 1 per entry for l1 and 0.5 for the elastic net with ρ = 0.5).
BOUND_AT_ZERO: dict[str, float] = {}


@pytest.mark.parametrize("name", PENALTIES)
def test_grad_is_finite_at_zero(name):
    grad = jax.jit(jax.grad(PENALTIES[name]))
    zero = np.asarray(grad(jnp.zeros((2, 3))))
    assert np.all(np.isfinite(zero)), zero
    assert np.all(np.abs(zero) <= BOUND_AT_ZERO.get(name, 0.0)), zero  # a subgradient
    # one zero row next to a non-zero row: finite, and the zero row's group gradient is 0
    mixed = np.asarray(grad(jnp.array([[0.0, 0.0, 0.0], [3.0, 0.0, -4.0]])))
    assert np.all(np.isfinite(mixed)), mixed
    if name == "group_l1_rows":
        np.testing.assert_allclose(mixed, [[0.0, 0.0, 0.0], [0.6, 0.0, -0.8]])


def test_gradients_away_from_zero():
    w = jnp.array([[3.0, -4.0], [-0.5, 2.0]])
    np.testing.assert_allclose(jax.grad(penalties.l1)(w), [[1.0, -1.0], [-1.0, 1.0]])
    np.testing.assert_allclose(
        jax.grad(lambda x: penalties.group_l1(x, axis=1))(w),
        [[0.6, -0.8], [-0.5 / np.sqrt(4.25), 2.0 / np.sqrt(4.25)]],
    )


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float32, jnp.float64])
def test_result_dtype_follows_params(dtype):
    w = jnp.asarray(W, dtype)
    for name, fn in PENALTIES.items():
        assert fn(w).dtype == dtype, name


def test_vmap_over_weights():
    w = jnp.asarray(W)
    scales = jnp.array([0.0, 1.0, 2.5])
    batched = jax.vmap(lambda s: penalties.l1(w, s * jnp.ones_like(w)))(scales)
    np.testing.assert_allclose(batched, np.asarray(scales) * 6.5)


def test_penalized_adds_lam_times_penalty():
    def loss(w, target):
        return jnp.sum((w - target) ** 2)

    w = jnp.array([1.0, -2.0])
    target = jnp.array([0.0, 0.0])
    np.testing.assert_allclose(l1jax.penalized(loss, 0.5)(w, target), 5.0 + 0.5 * 3.0)
    np.testing.assert_allclose(l1jax.penalized(loss, 2.0, penalties.l2)(w, target), 5.0 + 2.0 * 2.5)
    lams = jnp.array([0.0, 1.0, 3.0])
    batched = jax.vmap(lambda lam: l1jax.penalized(loss, lam)(w, target))(lams)
    np.testing.assert_allclose(batched, 5.0 + 3.0 * np.asarray(lams))


def test_penalized_refuses_non_callables():
    with pytest.raises(TypeError, match="loss_fn"):
        l1jax.penalized(3.0, 0.1)
    with pytest.raises(TypeError, match="penalty"):
        l1jax.penalized(lambda w: w, 0.1, penalty="l1")


def test_l1_gradient_is_sign_with_zero_at_zero():
    # jnp.abs differentiates to 1 at 0; the L1 penalty gives sign(w), 0 at 0, as
    # add_l1_subgradient adds, so that a gradient step leaves exact zeros where they are
    w = jnp.array([0.0, 2.0, -3.0, 0.0])
    np.testing.assert_array_equal(jax.grad(penalties.l1)(w), [0.0, 1.0, -1.0, 0.0])
    np.testing.assert_array_equal(jax.jit(jax.grad(penalties.l1))(-w), [0.0, -1.0, 1.0, 0.0])
    weights = jnp.array([2.0, 2.0, 0.5, 1.0])
    np.testing.assert_array_equal(
        jax.grad(lambda x: penalties.l1(x, weights))(w), [0.0, 2.0, -0.5, 0.0]
    )
    np.testing.assert_array_equal(
        jax.grad(lambda x: penalties.elastic_net(x, 0.5))(w), [0.0, 0.5 + 1.0, -0.5 - 1.5, 0.0]
    )
    batched = jax.vmap(jax.grad(penalties.l1))(jnp.stack([w, -w]))
    np.testing.assert_array_equal(batched, [[0.0, 1.0, -1.0, 0.0], [0.0, -1.0, 1.0, 0.0]])
    np.testing.assert_array_equal(jax.hessian(penalties.l1)(w), np.zeros((4, 4)))
    f = l1jax.penalized(lambda x: jnp.sum(x) * 0.0, 0.5)
    np.testing.assert_array_equal(jax.grad(f)(jnp.zeros(3)), 0.0)


def test_group_l1_neither_overflows_nor_underflows():
    # the sum of squares of float16 (300, 400) overflows; the norm, 500, does not
    value = penalties.group_l1(jnp.array([300.0, 400.0], jnp.float16))
    assert value.dtype == jnp.float16 and float(value) == 500.0
    tiny = penalties.group_l1(jnp.array([3e-30, 4e-30], jnp.float32))  # squares underflow
    np.testing.assert_allclose(tiny, 5e-30, rtol=1e-6)
    assert np.isnan(penalties.group_l1(jnp.array([jnp.nan, 1.0])))
    assert penalties.group_l1(jnp.array([jnp.inf, 1.0])) == np.inf


@pytest.mark.parametrize("lam", [-0.5, float("nan"), float("inf"), jnp.array(-1.0)])
def test_penalized_refuses_a_negative_or_nan_lam(lam):
    with pytest.raises(ValueError, match="penalized: lam must be >= 0"):
        l1jax.penalized(lambda w: jnp.sum(w**2), lam)
    # a traced λ cannot be checked and passes
    assert jax.jit(lambda lam: l1jax.penalized(jnp.sum, lam)(jnp.ones(2)))(0.5) == 3.0


@pytest.mark.parametrize("name", ["l1", "l2", "group_l1", "elastic_net"])
def test_negative_weights_are_refused_and_zero_weights_switch_off(name):
    """A negative weight made a negative penalty (named by the function called: elastic_net's
    was reported as penalties.l1); a weight of 0 on an infinite entry (group) counts 0, as in
    l1jax.prox, not NaN."""
    fn = getattr(penalties, name)
    if name == "elastic_net":
        fn = functools.partial(penalties.elastic_net, l1_ratio=0.5)
    with pytest.raises(ValueError, match=rf"penalties.{name}: weights must be >= 0"):
        fn(jnp.array([3.0, 4.0]), weights=np.array(-1.0))
    x = jnp.array([jnp.inf, 4.0])
    w = jnp.array(0.0) if name == "group_l1" else jnp.array([0.0, 1.0])
    expected = {"l1": 4.0, "l2": 8.0, "group_l1": 0.0, "elastic_net": 0.5 * 4.0 + 0.5 * 8.0}
    assert float(fn(x, weights=w)) == expected[name]


def test_low_precision_params_are_summed_in_float32():
    # 300 bf16 leaves: their totals were added in bf16, 11% off; a float16 300² overflowed.
    rng = np.random.default_rng(0)
    tree = [jnp.asarray(rng.standard_normal((64, 64)) * 0.02, jnp.bfloat16) for _ in range(300)]
    exact = sum(np.abs(np.asarray(t, np.float64)).sum() for t in tree)
    total = penalties.l1(tree)
    assert total.dtype == jnp.bfloat16
    assert abs(float(total) - exact) <= 2 * float(jnp.finfo(jnp.bfloat16).eps) * exact
    half = jnp.array([300.0], jnp.float16)
    assert penalties.l2(half).dtype == jnp.float16  # (45000 and 40000 rounded to float16)
    assert float(penalties.l2(half)) == pytest.approx(45000.0, rel=1e-3)
    assert float(penalties.elastic_net(jnp.array([200.0, 200.0], jnp.float16), 0.0)) == (
        pytest.approx(40000.0, rel=1e-3)
    )
    # ρ given as a float32 array keeps bf16 params' penalty in bf16, as the module promises
    assert penalties.elastic_net(jnp.ones(3, jnp.bfloat16), jnp.float32(0.5)).dtype == jnp.bfloat16


def test_complex_leaves_and_a_missing_axis_are_named():
    # |3 + 4i|²/2 came out as -3.5 + 12i (z² for |z|²)
    for fn in (penalties.l1, penalties.l2, penalties.group_l1):
        with pytest.raises(TypeError, match="params must be real, got a complex leaf"):
            fn(jnp.array([3 + 4j, 0.1j]))
    with pytest.raises(ValueError, match="group_l1: axis=0 is out of range for a leaf of shape"):
        penalties.group_l1({"w": jnp.ones((2, 3)), "b": jnp.array(1.0)}, axis=0)


def test_integer_and_bool_params_are_not_truncated():
    """Ints and bools count as numbers: ½(4 + 1) = 2.5, not 2 (the float total was cast back
    to the leaf's integer dtype without weights, and kept with them)."""
    x = jnp.array([2, -1, 0])
    assert float(penalties.l2(x)) == 2.5 and float(penalties.l2(x, 1.0)) == 2.5
    assert float(penalties.elastic_net(x, 0.5)) == 0.5 * 3 + 0.5 * 2.5
    np.testing.assert_allclose(penalties.group_l1(x), np.sqrt(5.0), rtol=1e-15)  # (float64 here)
    assert penalties.group_l1(x).dtype == jnp.float64
    assert float(penalties.l1(jnp.array([True, False, True]))) == 2.0


def test_weights_must_be_like_the_params():
    with pytest.raises(ValueError, match=r"penalties.l1: weights has a leaf of shape \(2, 3\)"):
        penalties.l1(jnp.ones(3), jnp.ones((2, 3)))  # (6.0: the leaf counted twice)
    with pytest.raises(ValueError, match="penalties.l2: weights must be a pytree like params"):
        penalties.l2({"a": jnp.ones(3)}, {"b": 1.0})
    with pytest.raises(ValueError, match="penalties.l1: weights must be a pytree like params"):
        penalties.l1({"a": jnp.ones(3), "b": jnp.ones(3)}, 2.0)
    scalar_leaf = {"w": jnp.ones(3), "b": jnp.array(0.5)}  # (a (1,) weight of a sum: a scalar)
    assert float(penalties.l1(scalar_leaf, {"w": 2.0, "b": jnp.array([2.0])})) == 7.0


def test_an_infinite_weight_on_a_zero_coefficient_is_no_penalty():
    """(as prox.l1's: inf · 0 is 0, the coefficient held at 0; it was NaN)"""
    assert float(penalties.l1(jnp.array([0.0, 1.0]), jnp.array([jnp.inf, 1.0]))) == 1.0
    w, v = jnp.array([0.0, 2.0]), jnp.array([jnp.inf, 1.0])  # (and a finite gradient: not NaN)
    np.testing.assert_array_equal(jax.grad(lambda w: penalties.l1(w, v))(w), [0.0, 1.0])
    np.testing.assert_array_equal(jax.grad(lambda w: penalties.l2(w, v))(w), [0.0, 2.0])
    W = jnp.array([[0.0, 0.0], [3.0, 4.0]])
    assert float(penalties.group_l1(W, jnp.array([jnp.inf, 1.0]), axis=1)) == 5.0


def test_a_part_switched_off_by_l1_ratio_counts_zero_where_it_is_inf():
    """ρ = 1 (0) is the L1 (L2) penalty: its other part counted 0 · inf = NaN where a square
    overflowed or an entry was inf."""
    big = jnp.array([1e20, -2.0], jnp.float32)  # (1e40 overflows float32)
    assert float(penalties.elastic_net(big, 1.0)) == pytest.approx(1e20, rel=1e-6)
    v = jnp.array([jnp.inf, 1.0])
    assert float(penalties.elastic_net(v, 0.0)) == np.inf
    assert float(penalties.elastic_net(v, 1.0)) == np.inf


def test_negative_weights_and_l1_ratio_on_a_device_make_the_penalty_nan():
    """A jax.Array is not read back (no wait for the device), so a negative weight or a ρ out
    of [0, 1] there passed unchecked: a negative penalty (-2.5), or one above L1's."""
    x = jnp.array([0.5, -2.0])
    assert np.isnan(float(penalties.l1(x, jnp.array([-1.0, -1.0]))))
    assert np.isnan(float(penalties.elastic_net(x, jnp.array(1.5))))
    assert np.isnan(float(jax.jit(penalties.l2)(x, jnp.array([1.0, -1.0]))))
    # (valid ones as before, and their gradients finite)
    assert float(penalties.elastic_net(x, jnp.array(0.5))) == pytest.approx(0.5 * 2.5 + 0.5 * 2.125)
    g = jax.grad(lambda r: penalties.elastic_net(x, r))(jnp.array(0.5))
    assert float(g) == pytest.approx(2.5 - 2.125)


@pytest.mark.parametrize("name", ["l1", "l2", "elastic_net", "group_l1"])
def test_bf16_params_with_float32_weights_under_strict_promotion(name):
    """The documented promotion (params' dtype with the weights') failed with JAX's bare
    TypePromotionError under a user's ``jax_numpy_dtype_promotion("strict")``."""
    fn = getattr(penalties, name)
    if name == "elastic_net":
        fn = functools.partial(fn, l1_ratio=0.5)
    params = {"a": jnp.array([1.5, -2.0, 0.0], jnp.bfloat16), "b": jnp.array([0.25], jnp.float32)}
    weights = {"a": jnp.array([1.0, 2.0, 3.0], jnp.float32), "b": jnp.array([1.0], jnp.float32)}
    if name == "group_l1":
        weights = {"a": jnp.float32(2.0), "b": jnp.float32(1.0)}
    with jax.numpy_dtype_promotion("strict"):
        out = fn(params, weights=weights)
    ref = fn(jax.tree.map(lambda x: x.astype(jnp.float32), params), weights=weights)
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(out, ref, rtol=1e-6)

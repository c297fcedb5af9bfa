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


# The largest |gradient| at 0 allowed by the subdifferential (l1: [−1, 1] per entry; elastic net
# with ρ = 0.5: [−0.5, 0.5]; l2 and the group norms: the gradient at 0 is exactly 0).
BOUND_AT_ZERO = {"l1": 1.0, "elastic_net": 0.5}


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

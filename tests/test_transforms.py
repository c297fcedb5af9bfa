"""optax transformations: exact steps, the lasso against scikit-learn, vmap over λ, compile once,
inject_hyperparams, schedules, masks, dtypes and errors.

Expected values come from numpy recursions written here or from scikit-learn, never from l1jax.
"""

from __future__ import annotations

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import l1jax
from l1jax import penalties, prox

# --- a lasso problem, its references --------------------------------------------------------


def _lasso_data(n=60, p=15, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    coef = np.zeros(p)
    coef[:4] = [2.0, -1.5, 1.0, 0.5]
    y = X @ coef + 0.3 * rng.standard_normal(n)
    return X, y


X_NP, Y_NP = _lasso_data()
N, P = X_NP.shape
LR = float(N / np.linalg.norm(X_NP, 2) ** 2)  # 1 / L
ALPHA_MAX = float(np.max(np.abs(X_NP.T @ Y_NP)) / N)
ALPHA = 0.1 * ALPHA_MAX


def _np_soft(x, t):
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


def _np_grad(w):
    return X_NP.T @ (X_NP @ w - Y_NP) / N


def _loss(w, X, y):
    return jnp.mean(jnp.square(y - X @ w)) / 2


@functools.cache
def _sklearn_lasso(alpha):
    linear_model = pytest.importorskip("sklearn.linear_model")
    model = linear_model.Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=1_000_000)
    return model.fit(X_NP, Y_NP).coef_


def _train(optimizer, steps, X=X_NP, y=Y_NP, w0=None):
    """Full-batch training loop from w0 (zeros): returns (params, state)."""
    X = jnp.asarray(X)
    y = jnp.asarray(y, X.dtype)
    w0 = jnp.zeros(X.shape[1], X.dtype) if w0 is None else w0

    def step(carry, _):
        w, state = carry
        updates, state = optimizer.update(jax.grad(_loss)(w, X, y), state, w)
        return (optax.apply_updates(w, updates), state), None

    (w, state), _ = jax.lax.scan(step, (w0, optimizer.init(w0)), None, length=steps)
    return w, state


def _ista_chain(lam, lr=LR):
    return optax.chain(optax.sgd(lr), l1jax.soft_thresholding(lam, lr))


# --- exact steps ------------------------------------------------------------------------------


def test_chain_makes_exactly_one_proximal_gradient_step():
    w0 = np.random.default_rng(1).normal(size=P)
    lr, lam = 0.05, 3.0
    tx = _ista_chain(lam, lr)
    w = jnp.asarray(w0)
    updates, _ = tx.update(jax.grad(_loss)(w, X_NP, Y_NP), tx.init(w), w)
    new = np.asarray(optax.apply_updates(w, updates))
    expected = _np_soft(w0 - lr * _np_grad(w0), lr * lam)
    np.testing.assert_allclose(new, expected, rtol=1e-13, atol=1e-15)
    assert np.any(expected == 0) and np.all(new[expected == 0] == 0.0)  # exact zeros


def test_add_l1_subgradient_values_with_sign_zero_zero():
    params = {"a": jnp.array([2.0, 0.0, -3.0]), "b": jnp.array(-0.5)}
    updates = {"a": jnp.array([0.1, 0.2, 0.3]), "b": jnp.array(1.0)}
    tx = l1jax.add_l1_subgradient(0.5)
    out, state = tx.update(updates, tx.init(params), params)
    chex.assert_trees_all_close(out, {"a": jnp.array([0.6, 0.2, -0.2]), "b": jnp.array(0.5)})
    assert int(state.count) == 1


def test_add_weight_decay_is_the_gradient_of_lam_l2():
    params = {"a": jnp.array([2.0, 0.0, -3.0]), "b": jnp.array(-0.5)}
    updates = jax.tree.map(jnp.ones_like, params)
    tx = l1jax.add_weight_decay(0.2)
    out, _ = tx.update(updates, tx.init(params), params)
    chex.assert_trees_all_close(out, {"a": jnp.array([1.4, 1.0, 0.4]), "b": jnp.array(0.9)})
    grad_penalty = jax.grad(lambda p: 0.2 * penalties.l2(p))(params)
    chex.assert_trees_all_close(out, jax.tree.map(jnp.add, updates, grad_penalty))


def _np_group_rows(x, t):
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    return x * np.maximum(1 - t / np.maximum(norm, 1e-300), 0)


@pytest.mark.parametrize(
    ("prox_fn", "reference"),
    [
        (prox.nonneg_l1, lambda z, t: np.maximum(z - t, 0)),
        (
            functools.partial(prox.elastic_net, l1_ratio=0.5),
            lambda z, t: _np_soft(z, 0.5 * t) / (1 + 0.5 * t),
        ),
        (functools.partial(prox.group_l1, axis=1), _np_group_rows),
    ],
    ids=["nonneg_l1", "elastic_net", "group_rows"],
)
def test_generic_proximal_step(prox_fn, reference):
    w0 = np.array([[1.5, -0.2], [0.1, 0.05], [-2.0, 3.0]])
    g = np.array([[0.5, 0.5], [-0.5, 0.0], [1.0, -1.0]])
    lr, lam = 0.5, 0.8
    tx = optax.chain(optax.sgd(lr), l1jax.proximal(prox_fn, lam, lr))
    w = jnp.asarray(w0)
    updates, _ = tx.update(jnp.asarray(g), tx.init(w), w)
    expected = reference(w0 - lr * g, lr * lam)
    assert np.any(expected == 0)
    np.testing.assert_allclose(optax.apply_updates(w, updates), expected, rtol=1e-14)


def test_soft_thresholding_is_the_l1_proximal():
    w = jnp.array([1.0, -0.3, 0.05])
    g = jnp.array([0.2, -0.1, 0.0])
    a, b = l1jax.soft_thresholding(0.3, 0.5), l1jax.proximal(prox.l1, 0.3, 0.5)
    chex.assert_trees_all_equal(a.update(g, a.init(w), w)[0], b.update(g, b.init(w), w)[0])


def test_schedules_are_evaluated_at_the_step_count():
    def lam(count):
        return 0.1 * (count + 1)

    def lr(count):
        return 0.5 / (count + 1)

    tx = optax.chain(optax.sgd(lr), l1jax.soft_thresholding(lam, lr))
    w0 = np.array([1.0, -0.6, 0.3])
    g = np.array([0.2, 0.1, -0.4])
    w, state, expected = jnp.asarray(w0), tx.init(jnp.asarray(w0)), w0
    for k in range(3):
        updates, state = tx.update(jnp.asarray(g), state, w)
        w = optax.apply_updates(w, updates)
        expected = _np_soft(expected - lr(k) * g, lr(k) * lam(k))
        np.testing.assert_allclose(w, expected, rtol=1e-14)
    sub = l1jax.add_l1_subgradient(lam)
    state = sub.init(w)
    for k in range(2):
        out, state = sub.update(jnp.asarray(g), state, w)
        np.testing.assert_allclose(out, g + lam(k) * np.sign(np.asarray(w)))


# --- the lasso against scikit-learn -----------------------------------------------------------


def test_iterated_chain_reaches_sklearn_lasso():
    reference = _sklearn_lasso(ALPHA)
    assert 0 < np.sum(reference == 0) < P  # a real sparsity pattern
    w, _ = jax.jit(lambda: _train(_ista_chain(ALPHA), steps=3000))()
    w = np.asarray(w)
    np.testing.assert_allclose(w, reference, atol=1e-6)
    np.testing.assert_array_equal(w == 0.0, reference == 0.0)


@pytest.mark.parametrize("restart", [True, False])
def test_fista_reaches_sklearn_lasso_and_sparse_params_is_the_answer(restart):
    reference = _sklearn_lasso(ALPHA)
    opt = l1jax.proximal_gradient(LR, ALPHA, restart=restart)
    _, state = jax.jit(lambda: _train(opt, steps=1500))()
    x = np.asarray(l1jax.sparse_params(state))
    np.testing.assert_allclose(x, reference, atol=1e-6)
    np.testing.assert_array_equal(x == 0.0, reference == 0.0)


def _np_fista(w0, steps, lr, lam, restart):
    """FISTA on the lasso, written from Beck & Teboulle (2009) and O'Donoghue & Candès (2015)."""
    x_old, y, t = w0.copy(), w0.copy(), 1.0
    ys, xs = [], []
    for _ in range(steps):
        x = _np_soft(y - lr * _np_grad(y), lr * lam)
        if restart and np.dot(y - x, x - x_old) > 0:
            t_new, y = 1.0, x.copy()
        else:
            t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
            y = x + (t - 1) / t_new * (x - x_old)
        x_old, t = x, t_new
        ys.append(y.copy())
        xs.append(x.copy())
    return ys, xs


@pytest.mark.parametrize("restart", [True, False])
def test_fista_follows_the_textbook_recursion(restart):
    w0 = np.random.default_rng(2).normal(size=P)
    ys, xs = _np_fista(w0, 40, LR, ALPHA, restart)
    opt = l1jax.proximal_gradient(LR, ALPHA, restart=restart)
    update = jax.jit(opt.update)
    y, state = jnp.asarray(w0), opt.init(jnp.asarray(w0))
    for k in range(40):
        updates, state = update(jax.grad(_loss)(y, X_NP, Y_NP), state, y)
        y = optax.apply_updates(y, updates)
        np.testing.assert_allclose(y, ys[k], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(l1jax.sparse_params(state), xs[k], rtol=1e-10, atol=1e-12)
    assert np.any(xs[-1] == 0) and np.all(np.asarray(l1jax.sparse_params(state))[xs[-1] == 0] == 0)


def test_ista_mode_equals_the_chain_and_its_params_are_the_iterate():
    opt = l1jax.proximal_gradient(LR, ALPHA, accelerate=False)
    w_chain, _ = _train(_ista_chain(ALPHA), steps=25)
    w, state = _train(opt, steps=25)
    np.testing.assert_allclose(w, w_chain, rtol=1e-14, atol=1e-15)
    chex.assert_trees_all_equal(l1jax.sparse_params(state), w)


def test_sparse_params_finds_the_state_and_refuses_others():
    w = jnp.array([3.0, 0.2])
    opt = optax.inject_hyperparams(l1jax.proximal_gradient)(learning_rate=0.5, lam=1.0)
    chained = optax.chain(optax.clip(10.0), opt)
    updates, state = chained.update(jnp.zeros(2), chained.init(w), w)
    np.testing.assert_array_equal(l1jax.sparse_params(state), [2.5, 0.0])
    with pytest.raises(ValueError, match="ProximalGradientState"):
        l1jax.sparse_params(optax.sgd(0.1).init(w))


@pytest.mark.parametrize("wrapper", ["masked", "multi_transform"])
def test_sparse_params_under_a_mask_takes_the_other_leaves_from_params(wrapper):
    """Under optax.masked / multi_transform the state holds optax's MaskedNode for the leaves
    proximal_gradient does not update: sparse_params returned it; with params, those leaves
    are the loop's."""
    params = {"W": jnp.array([[1.0, -0.05], [0.2, 0.05]]), "b": jnp.array([0.3])}
    labels = {"W": True, "b": False}
    opt = (optax.masked(l1jax.proximal_gradient(1.0, 0.1), labels) if wrapper == "masked" else
           optax.multi_transform({True: l1jax.proximal_gradient(1.0, 0.1),
                                  False: optax.sgd(1.0)}, labels))  # fmt: skip
    grads = {"W": jnp.zeros((2, 2)), "b": jnp.array([0.5])}
    updates, state = opt.update(grads, opt.init(params), params)
    new = optax.apply_updates(params, updates)
    sparse = l1jax.sparse_params(state, new)
    np.testing.assert_allclose(sparse["W"], [[0.9, 0.0], [0.1, 0.0]], rtol=1e-15)  # soft(W, 0.1)
    np.testing.assert_array_equal(sparse["b"], new["b"])
    assert isinstance(l1jax.sparse_params(state)["b"], optax.MaskedNode)  # (without params)
    with pytest.raises(ValueError, match="params must have the structure"):
        l1jax.sparse_params(state, {"W": params["W"]})


# --- vmap over λ, compile once ----------------------------------------------------------------

OPTIMIZERS = {
    "l1_subgradient": lambda lam: optax.chain(l1jax.add_l1_subgradient(lam), optax.sgd(LR)),
    "weight_decay": lambda lam: optax.chain(l1jax.add_weight_decay(lam), optax.sgd(LR)),
    "soft_thresholding": _ista_chain,
    "proximal_gradient": lambda lam: l1jax.proximal_gradient(LR, lam),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_vmapped_training_loop_equals_a_python_loop_that_compiles_once(name):
    def fit(lam):
        w, state = _train(OPTIMIZERS[name](lam), steps=60)
        answer = l1jax.sparse_params(state) if name == "proximal_gradient" else w
        return answer

    lams = np.array([0.02, 0.1, 0.3, 1.0]) * ALPHA_MAX
    batched = np.asarray(jax.jit(jax.vmap(fit))(jnp.asarray(lams)))
    fit_jit = jax.jit(fit)
    looped = np.stack([np.asarray(fit_jit(float(lam))) for lam in lams])
    assert fit_jit._cache_size() == 1  # one compilation for the whole sweep
    np.testing.assert_allclose(batched, looped, rtol=1e-12, atol=1e-14)
    if name in ("soft_thresholding", "proximal_gradient"):
        np.testing.assert_array_equal(batched == 0.0, looped == 0.0)
        assert np.sum(looped[-1] == 0) > np.sum(looped[0] == 0)  # larger λ, sparser
    assert not np.allclose(looped[0], looped[-1])  # λ is really used


# --- inject_hyperparams -----------------------------------------------------------------------


def _run_steps(tx, params, grads_fn, steps):
    state = tx.init(params)
    for _ in range(steps):
        updates, state = tx.update(grads_fn(params), state, params)
        params = optax.apply_updates(params, updates)
    return params, state


def _grads(w):
    return jax.grad(_loss)(w, X_NP, Y_NP)


@pytest.mark.parametrize(
    "factory",
    [l1jax.add_l1_subgradient, l1jax.add_weight_decay],
    ids=["l1_subgradient", "weight_decay"],
)
def test_inject_hyperparams_equals_plain_for_additive_terms(factory):
    w0 = jnp.asarray(np.random.default_rng(3).normal(size=P))
    plain, _ = _run_steps(optax.chain(factory(0.3), optax.sgd(LR)), w0, _grads, 5)
    injected = optax.chain(optax.inject_hyperparams(factory)(lam=0.3), optax.sgd(LR))
    result, _ = _run_steps(injected, w0, _grads, 5)
    np.testing.assert_allclose(result, plain, rtol=1e-14)


def test_inject_hyperparams_soft_thresholding_equals_plain_and_can_be_changed():
    w0 = jnp.asarray(np.random.default_rng(4).normal(size=P))
    lam = 0.5 * ALPHA_MAX
    plain, _ = _run_steps(_ista_chain(lam), w0, _grads, 6)
    injected = optax.chain(
        optax.sgd(LR), optax.inject_hyperparams(l1jax.soft_thresholding)(lam=lam, learning_rate=LR)
    )
    result, state = _run_steps(injected, w0, _grads, 6)
    np.testing.assert_allclose(result, plain, rtol=1e-14, atol=1e-16)
    np.testing.assert_array_equal(result == 0.0, plain == 0.0)
    # change λ in the state: the next step uses the new value
    state[1].hyperparams["lam"] = jnp.asarray(2 * lam)
    updates, _ = injected.update(_grads(result), state, result)
    z = np.asarray(result) - LR * np.asarray(_grads(result))
    np.testing.assert_allclose(optax.apply_updates(result, updates), _np_soft(z, LR * 2 * lam))


def test_inject_hyperparams_proximal_gradient_equals_plain():
    w0 = jnp.asarray(np.random.default_rng(5).normal(size=P))
    _, plain = _run_steps(l1jax.proximal_gradient(LR, ALPHA), w0, _grads, 8)
    injected = optax.inject_hyperparams(l1jax.proximal_gradient)(learning_rate=LR, lam=ALPHA)
    _, state = _run_steps(injected, w0, _grads, 8)
    np.testing.assert_allclose(l1jax.sparse_params(state), l1jax.sparse_params(plain), rtol=1e-14)


def test_inject_hyperparams_generic_proximal_with_static_prox_fn():
    w = jnp.array([1.5, -0.25, 1.0])
    tx = optax.inject_hyperparams(l1jax.proximal, static_args="prox_fn")(
        prox.nonneg_l1, lam=0.5, learning_rate=0.5
    )
    updates, _ = tx.update(jnp.zeros(3), tx.init(w), w)
    np.testing.assert_allclose(optax.apply_updates(w, updates), [1.25, 0.0, 0.75])


# --- masks ------------------------------------------------------------------------------------

PARAMS = {"w": jnp.array([1.0, -0.05, 0.02]), "b": jnp.array([0.01, -0.02])}
GRADS = {"w": jnp.array([0.5, 0.0, -0.1]), "b": jnp.array([0.3, 0.0])}
MASK = {"w": True, "b": False}


@pytest.mark.parametrize("mask", [MASK, lambda params: MASK], ids=["tree", "callable"])
def test_mask_leaves_unmasked_leaves_untouched(mask):
    lr, lam = 0.1, 1.0
    for factory in (l1jax.add_l1_subgradient, l1jax.add_weight_decay):
        tx = factory(lam, mask=mask)
        out, _ = tx.update(GRADS, tx.init(PARAMS), PARAMS)
        chex.assert_trees_all_equal(out["b"], GRADS["b"])  # passed through, bit for bit
        assert not np.allclose(out["w"], GRADS["w"])
    tx = optax.chain(optax.sgd(lr), l1jax.soft_thresholding(lam, lr, mask=mask))
    new = optax.apply_updates(PARAMS, tx.update(GRADS, tx.init(PARAMS), PARAMS)[0])
    np.testing.assert_allclose(new["b"], np.asarray(PARAMS["b"]) - lr * np.asarray(GRADS["b"]))
    np.testing.assert_allclose(new["w"], [0.85, 0.0, 0.0])
    opt = l1jax.proximal_gradient(lr, lam, accelerate=False, mask=mask)
    updates, state = opt.update(GRADS, opt.init(PARAMS), PARAMS)
    chex.assert_trees_all_close(optax.apply_updates(PARAMS, updates), new)
    chex.assert_trees_all_close(l1jax.sparse_params(state), new)


def test_mask_with_inject_hyperparams():
    tx = optax.inject_hyperparams(l1jax.soft_thresholding)(lam=1.0, learning_rate=0.1, mask=MASK)
    updates, _ = tx.update(GRADS, tx.init(PARAMS), PARAMS)
    chex.assert_trees_all_equal(updates["b"], GRADS["b"])
    new_w = np.asarray(PARAMS["w"]) + np.asarray(GRADS["w"])
    np.testing.assert_allclose(optax.apply_updates(PARAMS, updates)["w"], _np_soft(new_w, 0.1))


LAYERS = {"w": jnp.array([[1.0, -0.05], [0.5, 2.0]]), "b": jnp.array([0.3, -0.01])}
INJECTABLE = {  # factory, its keyword arguments, the static_args a callable mask needs
    "add_l1_subgradient": (l1jax.add_l1_subgradient, dict(lam=1.0), ("mask",)),
    "soft_thresholding": (l1jax.soft_thresholding, dict(lam=1.0, learning_rate=0.1), ("mask",)),
    "proximal_gradient": (l1jax.proximal_gradient, dict(lam=1.0, learning_rate=0.1), ("mask",)),
    "adam_prox": (l1jax.adam_prox, dict(lam=1.0, learning_rate=0.1), ("mask",)),
    "group_soft_thresholding": (
        l1jax.group_soft_thresholding,
        dict(lam=1.0, learning_rate=0.1, axis=1),
        ("axis", "mask"),
    ),
}


@pytest.mark.parametrize("name", INJECTABLE)
def test_callable_mask_under_inject_hyperparams_needs_static_args(name):
    factory, kwargs, static = INJECTABLE[name]
    grads = {"w": jnp.array([[0.5, 0.0], [-1.0, 0.25]]), "b": jnp.array([0.5, 0.25])}
    plain = factory(**kwargs, mask=l1jax.skip_biases)
    expected, _ = plain.update(grads, plain.init(LAYERS), LAYERS)
    off = factory(**kwargs, mask={"w": False, "b": False})  # what a False mask(step) gave
    unpenalized, _ = off.update(grads, off.init(LAYERS), LAYERS)
    assert not np.array_equal(expected["w"], unpenalized["w"])
    injected = optax.inject_hyperparams(factory, static_args=static)(
        **kwargs, mask=l1jax.skip_biases
    )
    updates, _ = injected.update(grads, injected.init(LAYERS), LAYERS)
    chex.assert_trees_all_equal(updates, expected)
    # without static_args the mask is taken for a schedule: mask(step) is one bool (False),
    # which optax.masked would apply to every leaf, silently switching the penalty off: refused
    # by skip_biases (given a step count), and by update for another callable on several leaves
    # (on params of one leaf, W alone, skip_biases(step) was a valid mask: the prox was off)
    static = tuple(a for a in static if a != "mask")
    for mask, params, message in (
        (l1jax.skip_biases, LAYERS, "skip_biases got an integer scalar"),
        (l1jax.skip_biases, LAYERS["w"], "skip_biases got an integer scalar"),
        (lambda p: jax.tree.map(lambda x: jnp.ndim(x) > 1, p), LAYERS, "mask is a single bool"),
    ):
        wrong = optax.inject_hyperparams(factory, static_args=static)(**kwargs, mask=mask)
        g = grads if params is LAYERS else grads["w"]
        with pytest.raises(ValueError, match=rf"{message}.*static_args=\('mask',\)"):
            wrong.update(g, wrong.init(params), params)


@pytest.mark.parametrize("name", INJECTABLE)
def test_a_lam_that_is_no_scalar_is_refused_when_traced_or_scheduled(name):
    """A traced λ of shape (3, 1) (jax.jit(train)(lams) with the vmap forgotten) or a schedule
    returning a vector was broadcast against the params: a bias of shape (2,) came back (3, 2);
    a concrete one was refused already."""
    factory, kwargs, static = INJECTABLE[name]
    grads = jax.tree.map(jnp.zeros_like, LAYERS)

    def step(lam):
        tx = factory(**{**kwargs, "lam": lam}, mask=l1jax.skip_biases)
        return tx.update(grads, tx.init(LAYERS), LAYERS)[0]

    with pytest.raises(ValueError, match=r"lam must be a scalar .*got shape \(3, 1\)"):
        jax.jit(step)(jnp.full((3, 1), 0.5))
    with pytest.raises(ValueError, match=r"lam must be a scalar .*got shape \(2,\)"):
        step(lambda count: jnp.array([1.0, 20.0]))
    assert jax.tree.map(jnp.shape, jax.jit(step)(jnp.float32(0.5))) == jax.tree.map(
        jnp.shape, LAYERS
    )


def test_single_bool_mask_is_refused_for_several_leaves_only():
    tx = l1jax.soft_thresholding(1.0, 0.1, mask=True)
    with pytest.raises(ValueError, match="soft_thresholding: mask is a single bool"):
        tx.update(LAYERS, tx.init(LAYERS), LAYERS)
    w = LAYERS["w"]
    updates, _ = tx.update(jnp.zeros_like(w), tx.init(w), w)  # one leaf: one bool is fine
    np.testing.assert_allclose(optax.apply_updates(w, updates), _np_soft(np.asarray(w), 0.1))


@pytest.mark.parametrize("mask", [
    {"w": jnp.array([[True, False], [True, True]]), "b": False},  # per entry
    "w",  # a name
])  # fmt: skip
def test_mask_leaves_that_are_not_single_bools_are_named(mask):
    """(NumPy's "truth value of an array ... is ambiguous" from optax.masked; a string got the
    message about inject_hyperparams)"""
    tx = l1jax.soft_thresholding(1.0, 0.1, mask=mask)
    with pytest.raises(TypeError, match="soft_thresholding: mask's leaves must be single bools"):
        tx.update(LAYERS, tx.init(LAYERS), LAYERS)
    tx = l1jax.soft_thresholding(1.0, 0.1, mask={"w": np.bool_(True), "b": jnp.array(False)})
    updates, _ = tx.update(LAYERS, tx.init(LAYERS), LAYERS)  # NumPy and 0-d bools are bools
    np.testing.assert_array_equal(updates["b"], LAYERS["b"])  # (passed through)


def test_python_scalar_params_as_optax_takes_them():
    tx = optax.chain(optax.sgd(1.0), l1jax.soft_thresholding(1.0, 0.1))
    updates, _ = tx.update(0.3, tx.init(0.5), 0.5)  # (AttributeError: 'float' ... 'dtype')
    np.testing.assert_allclose(optax.apply_updates(0.5, updates), 0.1, rtol=1e-6)


@pytest.mark.parametrize("name", ["add_l1_subgradient", "soft_thresholding", "adam_prox"])
def test_a_mask_of_the_wrong_structure_is_named(name):
    factory, kwargs, _ = INJECTABLE[name]
    tx = factory(**kwargs, mask={"w": True})  # no entry for "b"
    with pytest.raises(ValueError, match=f"{name}: mask must be a pytree of bools"):
        tx.update(LAYERS, tx.init(LAYERS), LAYERS)


# --- dtypes -----------------------------------------------------------------------------------

DTYPE_OPTIMIZERS = {
    "l1_subgradient": lambda lam: optax.chain(l1jax.add_l1_subgradient(lam), optax.sgd(0.1)),
    "weight_decay": lambda lam: optax.chain(l1jax.add_weight_decay(lam), optax.sgd(0.1)),
    "soft_thresholding": lambda lam: _ista_chain(lam, 0.1),
    "proximal": lambda lam: optax.chain(
        optax.sgd(0.1), l1jax.proximal(functools.partial(prox.group_l1, axis=0), lam, 0.1)
    ),
    "proximal_gradient": lambda lam: l1jax.proximal_gradient(0.1, lam),
    "injected": lambda lam: optax.chain(
        optax.sgd(0.1), optax.inject_hyperparams(l1jax.soft_thresholding)(lam, 0.1)
    ),
}


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float32, jnp.float64])
@pytest.mark.parametrize("name", DTYPE_OPTIMIZERS)
def test_params_keep_their_dtype(name, dtype):
    params = {"w": jnp.array([1.0, -0.05, 0.5], dtype), "v": jnp.array([[0.25], [-2.0]], dtype)}

    @jax.jit
    def run(lam):  # lam is a traced float64: it must not promote the params
        opt = DTYPE_OPTIMIZERS[name](lam)
        p, state = params, opt.init(params)
        for _ in range(3):
            grads = jax.tree.map(lambda x: (0.5 * x).astype(dtype), p)
            updates, state = opt.update(grads, state, p)
            chex.assert_trees_all_equal_dtypes(updates, params)
            p = optax.apply_updates(p, updates)
        return p, state

    out, state = run(jnp.asarray(0.5, jnp.float64))
    chex.assert_trees_all_equal_dtypes(out, params)
    if name == "proximal_gradient":
        chex.assert_trees_all_equal_dtypes(l1jax.sparse_params(state), params)
    if name in ("soft_thresholding", "injected"):
        assert out["w"][1] == 0  # an exact zero, in every dtype


MIXED = {  # float32 master params, bf16 gradients (mixed precision)
    "soft_thresholding": lambda: _ista_chain(1.0, 0.1),
    "ista": lambda: l1jax.proximal_gradient(0.1, 1.0, accelerate=False),
    "fista": lambda: l1jax.proximal_gradient(0.1, 1.0),
    "adam_prox": lambda: l1jax.adam_prox(0.1, 1.0),
    "group": lambda: optax.chain(
        optax.sgd(0.1), l1jax.group_soft_thresholding(1.0, 0.1, axis=None)
    ),
}


@pytest.mark.parametrize("name", MIXED)
def test_bf16_gradients_of_float32_params_keep_exact_zeros(name):
    # one step: |w − 0.1·0.1| < 0.1 = lr·λ for w[:2] (bf16 cannot hold 0.05 nor −0.0501), and
    # the group v (norm < 0.1) is zeroed whole
    params = {
        "w": jnp.array([0.05, -0.0501, 3.3333], jnp.float32),
        "v": jnp.array([0.01, -0.02], jnp.float32),
    }
    grads = jax.tree.map(lambda x: jnp.full_like(x, 0.1, jnp.bfloat16), params)
    tx = MIXED[name]()
    updates, state = tx.update(grads, tx.init(params), params)
    new = optax.apply_updates(params, updates)
    prox_result = l1jax.sparse_params(state) if name == "fista" else new
    # p + bf16(new − p) was 1e-5 or so, not 0: now the zeros are exact
    if name == "group":
        np.testing.assert_array_equal(prox_result["v"], 0.0)
    else:
        np.testing.assert_array_equal(prox_result["w"][:2], 0.0)
    chex.assert_trees_all_equal_dtypes(new, params)
    chex.assert_trees_all_equal_dtypes(updates, params)  # promoted: float32, not bf16


# --- errors -----------------------------------------------------------------------------------

NEEDS_PARAMS = {
    "add_l1_subgradient": lambda: l1jax.add_l1_subgradient(0.1),
    "add_weight_decay": lambda: l1jax.add_weight_decay(0.1),
    "soft_thresholding": lambda: l1jax.soft_thresholding(0.1, 0.1),
    "soft_thresholding_masked": lambda: l1jax.soft_thresholding(0.1, 0.1, mask=MASK),
    "proximal": lambda: l1jax.proximal(prox.l2, 0.1, 0.1),
    "proximal_gradient": lambda: l1jax.proximal_gradient(0.1, 0.1),
}


@pytest.mark.parametrize("name", NEEDS_PARAMS)
def test_update_without_params_raises(name):
    tx = NEEDS_PARAMS[name]()
    state = tx.init(PARAMS)
    with pytest.raises(ValueError, match="params"):
        tx.update(GRADS, state)
    with pytest.raises(ValueError, match="params"):
        tx.update(GRADS, state, None)


NEGATIVE_STRENGTH = {
    "l1_subgradient": lambda lam: l1jax.add_l1_subgradient(lam),
    "weight_decay": lambda lam: l1jax.add_weight_decay(lam),
    "soft_thresholding": lambda lam: l1jax.soft_thresholding(lam, 0.5),
    "soft_thresholding_rate": lambda lam: l1jax.soft_thresholding(0.1, lam),
    "proximal_gradient": lambda lam: l1jax.proximal_gradient(0.5, lam),
    "adam_prox": lambda lam: l1jax.adam_prox(0.1, lam),
    "adam_prox_rate": lambda lam: l1jax.adam_prox(lam, 0.1),
    "schedule": lambda lam: l1jax.soft_thresholding(lambda count: lam - 0.0 * count, 0.5),
}


@pytest.mark.parametrize("name", NEGATIVE_STRENGTH)
def test_a_negative_strength_that_cannot_be_checked_makes_the_update_nan(name):
    """A traced (or injected, or scheduled) negative λ or learning rate cannot be refused when
    the transformation is built: it silently grew the weights ([0.5, −0.5] → [1.5, −1.5] with
    λ = −1); the update is now NaN, as minimize reports a bad λ. A valid one is finite."""
    params = jnp.array([0.5, -0.5])

    @jax.jit
    def step(lam):
        opt = NEGATIVE_STRENGTH[name](lam)
        updates, _ = opt.update(jnp.array([0.1, 0.2]), opt.init(params), params)
        return updates

    assert np.all(np.isnan(step(-1.0)))
    assert np.all(np.isfinite(step(0.3)))


def test_bad_hyperparameters_are_refused():
    with pytest.raises(ValueError, match="lam"):
        l1jax.soft_thresholding(-0.1, 0.1)
    with pytest.raises(ValueError, match="learning_rate"):
        l1jax.soft_thresholding(0.1, float("nan"))
    with pytest.raises(ValueError, match="lam"):
        l1jax.add_l1_subgradient(-1)
    with pytest.raises(ValueError, match="learning_rate"):
        l1jax.proximal_gradient(-0.5, 0.1)
    with pytest.raises(TypeError, match="prox_fn"):
        l1jax.proximal("l1", 0.1, 0.1)


@pytest.mark.parametrize(
    ("lam", "error"),
    [
        (jnp.array(-1.0), ValueError),  # a concrete array: checked like a number
        (np.float32(np.nan), ValueError),
        (float("inf"), ValueError),
        (True, TypeError),  # not 1
        (1j, TypeError),  # not its real part
        ([0.1], TypeError),
        (None, TypeError),
        ("a", TypeError),
        (jnp.array(True), TypeError),
        # (not a scalar: it broadcast against the params, or failed inside JAX at update)
        (jnp.array([0.1, 0.2]), ValueError),
        (np.ones((1,)), ValueError),
    ],
    ids=repr,
)
def test_bad_hyperparameter_values_and_types_are_refused_at_construction(lam, error):
    for factory in (
        lambda lam: l1jax.soft_thresholding(lam, 0.1),
        lambda lam: l1jax.add_l1_subgradient(lam),  # inf gave NaN at w = 0 (inf·0)
        lambda lam: l1jax.proximal_gradient(0.1, lam),
        lambda lam: l1jax.adam_prox(0.1, lam),
        lambda lam: l1jax.group_soft_thresholding(lam, 0.1, axis=None),
    ):
        with pytest.raises(error, match="lam must be"):
            factory(lam)
    with pytest.raises(error, match="learning_rate must be"):
        l1jax.soft_thresholding(0.1, lam)


def test_learning_rates_flags_and_adam_settings_are_checked():
    for lr in (0.0, -0.1, float("inf")):
        with pytest.raises(ValueError, match="learning_rate must be > 0"):
            l1jax.proximal_gradient(lr, 0.1)
        with pytest.raises(ValueError, match="learning_rate must be > 0"):
            l1jax.adam_prox(lr, 0.1)
    for bad in (dict(b1=1.0), dict(b1=-0.1), dict(b2=1.0), dict(eps=0.0), dict(eps=np.nan)):
        with pytest.raises(ValueError, match=f"{next(iter(bad))} must be"):
            l1jax.adam_prox(0.1, 0.1, **bad)
    with pytest.raises(TypeError, match="accelerate must be True or False"):
        l1jax.proximal_gradient(0.1, 0.1, accelerate=1)
    with pytest.raises(TypeError, match="restart must be True or False"):
        l1jax.proximal_gradient(0.1, 0.1, restart="yes")
    # schedules and traced values cannot be checked at construction and pass
    l1jax.soft_thresholding(optax.constant_schedule(-1.0), 0.1)
    out = jax.jit(lambda lam: l1jax.soft_thresholding(lam, 0.1).init(PARAMS).count)(-1.0)
    assert out == 0


MIXED_TRANSFORMS = {
    "soft_thresholding": lambda: optax.chain(optax.sgd(0.1), l1jax.soft_thresholding(0.1, 0.1)),
    "fista": lambda: l1jax.proximal_gradient(0.1, 0.1),
    "ista": lambda: l1jax.proximal_gradient(0.1, 0.1, accelerate=False),
    "adam_prox": lambda: l1jax.adam_prox(0.1, 0.1),
    "group": lambda: optax.chain(optax.sgd(0.1),
                                 l1jax.group_soft_thresholding(0.1, 0.1, axis=None)),
    "l1 subgradient": lambda: optax.chain(l1jax.add_l1_subgradient(0.1), optax.sgd(0.1)),
    "weight decay": lambda: optax.chain(l1jax.add_weight_decay(0.1), optax.sgd(0.1)),
    "masked": lambda: optax.chain(optax.sgd(0.1), l1jax.soft_thresholding(
        0.1, 0.1, mask=lambda params: {key: key == "w" for key in params})),
}  # fmt: skip


@pytest.mark.parametrize("name", MIXED_TRANSFORMS)
def test_integer_and_bool_leaves_are_left_alone(name):
    # A step counter kept in the params lost 1 a step to a prox truncated to an int (7 → 4 in
    # three steps); a bool leaf was JAX's 'sign does not accept dtype bool'.
    params = {"w": jnp.array([1.0, -0.1]), "step": jnp.array(7), "flag": jnp.array(True)}
    grads = {"w": jnp.array([0.1, 0.1]), "step": jnp.array(0), "flag": jnp.array(False)}
    floats_only = {"w": params["w"]}
    opt = MIXED_TRANSFORMS[name]()
    state, reference = opt.init(params), opt.init(floats_only)
    p, q = params, floats_only
    for _ in range(3):
        updates, state = opt.update(grads, state, p)
        p = optax.apply_updates(p, updates)
        updates, reference = opt.update({"w": grads["w"]}, reference, q)
        q = optax.apply_updates(q, updates)
    assert int(p["step"]) == 7 and bool(p["flag"])
    np.testing.assert_allclose(p["w"], q["w"], rtol=1e-6)  # (the float leaves as without them)


@pytest.mark.parametrize("name", MIXED_TRANSFORMS)
def test_a_step_that_donates_params_and_state(name):
    """proximal_gradient's state held the params' own buffers (its iterate): the usual step
    jitted with donate_argnums=(0, 1) was XLA's "attempt to donate the same buffer twice"."""
    opt = MIXED_TRANSFORMS[name]()

    def step(params, state):
        grads = {"w": params["w"] - 1.0, "step": jnp.zeros_like(params["step"])}
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    params = {"w": jnp.array([1.0, -0.1, 0.3]), "step": jnp.array(7)}
    expected, state = params, opt.init(params)
    for _ in range(3):
        expected, state = step(expected, state)
    donating = jax.jit(step, donate_argnums=(0, 1))
    for init in (opt.init, jax.jit(opt.init)):
        params = {"w": jnp.array([1.0, -0.1, 0.3]), "step": jnp.array(7)}
        state = init(params)
        for _ in range(3):
            params, state = donating(params, state)
        chex.assert_trees_all_close(params, expected, rtol=1e-6)


@pytest.mark.parametrize("make", [l1jax.add_l1_subgradient, l1jax.add_weight_decay,
                                  lambda lam: l1jax.adam_prox(0.1, lam)])  # fmt: skip
def test_python_float_leaves_as_optax_takes_them(make):
    # 'float' object has no attribute 'dtype'
    opt = make(0.1)
    params = {"w": jnp.array([1.0, -0.1]), "s": 0.5}
    updates, _ = opt.update({"w": jnp.ones(2), "s": 1.0}, opt.init(params), params)
    same, _ = opt.update({"w": jnp.ones(2), "s": jnp.array(1.0)}, opt.init(params),
                         {"w": params["w"], "s": jnp.array(0.5)})  # fmt: skip
    np.testing.assert_allclose(updates["s"], same["s"])


def test_bool_and_complex_hyperparameters_and_leaves_are_named():
    x = jnp.array([1.0, -0.2])
    for threshold in (jnp.array(0.1 + 1j), True, jnp.array(True)):  # (dropped, or read as 1)
        with pytest.raises(TypeError, match="prox.l1: threshold must hold real numbers"):
            prox.l1(x, threshold)
    with pytest.raises(TypeError, match="prox.l1: params must be numbers, got a leaf of dtype b"):
        prox.l1({"w": x, "flag": jnp.array([True, False])}, 0.1)
    for flags in (jnp.array([True, False]), "ab"):  # (bool: JAX's error inside jnp.sign)
        with pytest.raises(TypeError, match="prox.soft_threshold: x must be .*numbers, got an"):
            prox.soft_threshold(flags, 0.1)
    np.testing.assert_allclose(prox.soft_threshold([1.0, -2.0], 0.5), [0.5, -1.5])  # (a list)
    for fn in (prox.group_l1, prox.nonneg_l1):  # (group_l1's norm took z² for |z|²)
        with pytest.raises(TypeError, match="params must be real numbers, got a leaf of dtype c"):
            fn(jnp.array([3 + 4j, 0.1j]), 1.0)
    np.testing.assert_allclose(prox.l1(jnp.array([3 + 4j]), 1.0), [2.4 + 3.2j], rtol=1e-6)


def test_fista_restarts_see_both_parts_of_complex_params():
    """The restart test cast complex leaves to real (JAX: "will soon raise"), so the problem
    rotated by i restarted at other steps: its iterates are i times the real ones now."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((8, 5))
    H, c = jnp.asarray(A.T @ A / 8), jnp.asarray(rng.standard_normal(5))
    lr = 1 / float(np.linalg.eigvalsh(np.asarray(H)).max())

    def run(w, grad):
        opt = l1jax.proximal_gradient(lr, 0.05)
        state, restarts = opt.init(w), 0
        for _ in range(60):
            u, state = opt.update(grad(w), state, w)
            w = optax.apply_updates(w, u)
            restarts += int(state.momentum == 1)
        return w, restarts

    u, r_real = run(jnp.zeros(5), lambda u: H @ u - c)
    w, r_complex = run(jnp.zeros(5, jnp.complex128), lambda w: H @ w - 1j * c)
    assert r_real > 0 and r_complex == r_real
    np.testing.assert_allclose(w, 1j * u, atol=1e-12)

"""train_path (vmap over λ equals separate runs, sparsity grows with λ, progress, errors), the
group prox transformation, and adam_prox against its closed form.

References are numpy recursions or plain per-λ optax loops written here.
"""

from __future__ import annotations

import sys
import warnings

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import l1jax
from l1jax.training import batch_indices

# --- a small MLP classification problem -----------------------------------------------------

N_IN, N_HIDDEN, N_OUT = 8, 12, 3


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, N_IN))
    labels = np.argmax(X[:, :N_OUT] + 0.3 * rng.standard_normal((n, N_OUT)), axis=1)
    return jnp.asarray(X), jnp.asarray(labels)


def _init(seed=0):
    k1, k2 = jax.random.split(jax.random.key(seed))
    return {
        "w1": jax.random.normal(k1, (N_IN, N_HIDDEN), jnp.float64) / np.sqrt(N_IN),
        "b1": jnp.zeros(N_HIDDEN, jnp.float64),
        "w2": jax.random.normal(k2, (N_HIDDEN, N_OUT), jnp.float64) / np.sqrt(N_HIDDEN),
        "b2": jnp.zeros(N_OUT, jnp.float64),
    }


def _loss(params, batch):
    X, labels = batch
    hidden = jax.nn.relu(X @ params["w1"] + params["b1"])
    logits = hidden @ params["w2"] + params["b2"]
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


DATA = _data()
LR = 0.05


def _adam_l1(lam):
    return optax.chain(optax.adam(LR), l1jax.soft_thresholding(lam, LR, mask=l1jax.skip_biases))


def _adam_prox(lam):
    return l1jax.adam_prox(LR, lam, mask=l1jax.skip_biases)


def _separate_runs(optimizer, lambdas, steps, batch_size=None, key=None):
    """One model per λ, each a plain Python loop of optax updates (train_path's batches)."""

    @jax.jit
    def step(params, state, t, lam):
        batch = DATA
        if batch_size is not None:
            idx = batch_indices(key, t, DATA[0].shape[0], batch_size)
            batch = jax.tree.map(lambda x: x[idx], DATA)
        loss, grads = jax.value_and_grad(_loss)(params, batch)
        updates, state = optimizer(lam).update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    runs = []
    for lam in lambdas:
        params = _init()
        state = optimizer(lam).init(params)
        losses = []
        for t in range(steps):
            params, state, loss = step(params, state, t, lam)
            losses.append(loss)
        runs.append((params, np.asarray(losses)))
    return runs


def _zero_fraction(params):
    """Fraction of exactly-zero entries in the weight matrices, per λ (leading axis)."""
    mats = [params["w1"], params["w2"]]
    zeros = sum(np.sum(np.asarray(w) == 0, axis=(1, 2)) for w in mats)
    return zeros / sum(w[0].size for w in mats)


# --- train_path -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "optimizer, batch_size",
    [(_adam_l1, 16), (_adam_prox, None)],
    ids=["adam+soft_thresholding minibatch", "adam_prox full batch"],
)
def test_vmapped_equals_separate_runs(optimizer, batch_size):
    lambdas = [0.0, 0.01, 0.05]
    steps = 12
    key = None if batch_size is None else jax.random.key(3)
    res = l1jax.train_path(
        _loss,
        _init(),
        optimizer,
        lambdas,
        DATA,
        steps=steps,
        batch_size=batch_size,
        key=key,
        progress=False,
    )
    assert res.losses.shape == (3, steps)
    assert res.params["w1"].shape == (3, N_IN, N_HIDDEN)
    np.testing.assert_array_equal(res.lambdas, lambdas)
    assert bool(np.all(res.finite))
    for k, (params, losses) in enumerate(
        _separate_runs(optimizer, lambdas, steps, batch_size, key)
    ):
        chex.assert_trees_all_close(
            jax.tree.map(lambda x, k=k: x[k], res.params), params, atol=1e-6
        )
        np.testing.assert_allclose(res.losses[k], losses, atol=1e-6)


def test_zero_fraction_grows_with_lambda():
    lambdas = [0.0, 0.1, 0.3, 0.6, 0.9]  # Adam's normalized steps: λ ≳ 1 zeros nearly all
    res = l1jax.train_path(_loss, _init(), _adam_l1, lambdas, DATA, steps=150, progress=False)
    fraction = _zero_fraction(res.params)
    assert fraction[0] == 0.0
    assert np.all(np.diff(fraction) >= 0), fraction
    assert fraction[-1] > 0.5, fraction
    np.testing.assert_array_equal(res.params["b1"][-1] != 0, True)  # biases are masked out
    assert res.losses[0, -1] < res.losses[0, 0]  # it trained


def test_train_path_compiles_once_per_setting():
    traces = []

    def loss(params, batch):
        traces.append(1)
        return _loss(params, batch)

    for lambdas in ([0.0, 0.1], [0.2, 0.3]):
        l1jax.train_path(loss, _init(), _adam_l1, lambdas, DATA, steps=2, progress=False)
    # one trace for the boundary's shape check, one for the compiled program, both cached
    assert len(traces) == 2


def test_progress_lines_and_silence(capsys):
    l1jax.train_path(_loss, _init(), _adam_l1, [0.0, 0.1], DATA, steps=2, progress=False)
    assert capsys.readouterr() == ("", "")

    l1jax.train_path(_loss, _init(), _adam_l1, [0.0, 0.1], DATA, steps=6, progress=2)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == ""
    assert [line.split()[2] for line in lines] == ["2/6", "4/6", "6/6"], err
    assert all("2 λs" in line and "loss min" in line for line in lines)

    seen = []
    l1jax.train_path(
        _loss,
        _init(),
        _adam_l1,
        [0.0, 0.1],
        DATA,
        steps=5,
        progress=lambda step, losses: seen.append((step, losses)),
    )
    # every max(1, steps // 10) steps; as documented, the step an int and the losses a NumPy
    # array (they were a jax.Array each)
    assert [(step, losses.shape) for step, losses in seen] == [(t, (2,)) for t in range(1, 6)]
    assert all(type(step) is int and type(losses) is np.ndarray for step, losses in seen)
    assert capsys.readouterr() == ("", "")


def test_progress_callable_error_is_raised_as_is():
    """A progress callable that raised gave JAX's INTERNAL runtime error (the callback's
    traceback inside its message); it is raised as it is, and it stops the training."""
    calls, steps_run = [], []

    def failing(step, losses):
        calls.append(step)
        raise KeyError("no such logger")

    def counted(params, batch):
        jax.debug.callback(lambda: steps_run.append(1), ordered=True)
        return _loss(params, batch)

    with pytest.raises(KeyError, match="no such logger") as info:
        l1jax.train_path(counted, _init(), _adam_l1, [0.0, 0.1], DATA, steps=400,
                         progress=failing)  # fmt: skip
    assert calls == [40]  # no further reports after the first error (every 400 // 10 steps)
    assert len(steps_run) < 400  # (it stopped: the training ran to its end before)
    assert any("raised by progress" in note for note in info.value.__notes__)

    def interrupted(step, losses):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # (as it is too, not JAX's INTERNAL error)
        l1jax.train_path(_loss, _init(), _adam_l1, [0.0, 0.1], DATA, steps=5, progress=interrupted)

    stop = RuntimeError("stop")  # one exception object raised by every call: one note, not two

    def stopping(step, losses):
        raise stop

    for _ in range(2):
        with pytest.raises(RuntimeError) as info:
            l1jax.train_path(_loss, _init(), _adam_l1, [0.0, 0.1], DATA, steps=5, progress=stopping)
    assert len(info.value.__notes__) == 1


def test_progress_seconds_are_each_calls_own_with_threads(monkeypatch):
    """The default progress lines timed every call from the latest call's start (one clock
    for the process): a call in another thread, started while a slow one ran, made the slow
    one's lines count from its own start."""
    import threading
    import time

    running = threading.Event()

    def slow_loss(params, batch):  # 40 steps of 0.05 s
        jax.debug.callback(lambda: (running.set(), time.sleep(0.025)))  # (twice a step: 2 λs)
        return _loss(params, batch)

    class Stamped:  # stderr, each line with the time it was written
        lines = []

        def write(self, text):
            if text.strip():
                self.lines.append((time.perf_counter(), text))

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stderr", Stamped())
    slow = threading.Thread(target=l1jax.train_path, args=(slow_loss, _init(), _adam_l1,
                            [0.0, 0.1], DATA), kwargs=dict(steps=40, progress=40))  # fmt: skip
    slow.start()
    assert running.wait(60)  # (the slow call's program runs: its clock started before)
    time.sleep(0.5)
    other_start = time.perf_counter()
    l1jax.train_path(_loss, _init(), _adam_l1, [0.0, 0.1], DATA, steps=2, progress=False)
    slow.join()
    ((written, line),) = Stamped.lines
    seconds = float(line.rsplit("[", 1)[1].split()[0])
    # (from the other call's start it would be at most written − other_start)
    assert seconds >= written - other_start + 0.3, line


def test_divergence_warns_and_sets_finite():
    X = jnp.ones((4, 2))
    y = jnp.ones(4)

    def loss(w, batch):
        return jnp.mean((batch[1] - batch[0] @ w) ** 2)

    def opt(lam):
        return optax.chain(optax.sgd(1e3), l1jax.soft_thresholding(lam, 1e3))

    with pytest.warns(RuntimeWarning, match="1 of 2 models diverged"):
        res = l1jax.train_path(
            loss, jnp.zeros(2), opt, [0.0, 10.0], (X, y), steps=200, progress=False
        )
    np.testing.assert_array_equal(res.finite, [False, True])


def _call(**overrides):
    kwargs = dict(
        loss_fn=_loss,
        init_params=_init(),
        optimizer=_adam_l1,
        lambdas=[0.1],
        data=DATA,
        steps=2,
        progress=False,
    )
    kwargs.update(overrides)
    return l1jax.train_path(**kwargs)


@pytest.mark.parametrize(
    "overrides, error, match",
    [
        (dict(lambdas=0.1), ValueError, "lambdas must be a non-empty 1-D"),
        (dict(lambdas=[]), ValueError, "lambdas must be a non-empty 1-D"),
        (dict(lambdas=[[0.1]]), ValueError, "lambdas must be a non-empty 1-D"),
        (dict(lambdas=[0.1, -1.0]), ValueError, "lambdas must be finite and >= 0"),
        (dict(lambdas=[np.nan]), ValueError, "lambdas must be finite and >= 0"),
        (dict(steps=0), ValueError, "steps must be >= 1"),
        (dict(steps=2.0), TypeError, "steps must be an int"),
        (dict(batch_size=0, key=jax.random.key(0)), ValueError, "batch_size must be in"),
        (dict(batch_size=65, key=jax.random.key(0)), ValueError, "batch_size must be in"),
        (dict(batch_size=8), ValueError, "batch_size needs key="),
        (dict(batch_size=8, key=0), TypeError, "key must be one PRNG key"),
        (dict(batch_size=8, key=jax.random.split(jax.random.key(0))), TypeError, "one PRNG key"),
        (dict(key=jax.random.key(0)), ValueError, "key is only used with batch_size"),
        (dict(data=(DATA[0], DATA[1][:10])), ValueError, "data leaves must share"),
        (dict(data=(DATA[0], jnp.ones(()))), ValueError, "data leaves must share"),
        (dict(data=(DATA[0].at[0, 0].set(jnp.nan), DATA[1])), ValueError, "data holds NaN"),
        (dict(data={}), ValueError, "data has no arrays"),
        (dict(init_params={"w": jnp.ones(3, jnp.int32)}), TypeError, "floating-point"),
        # (which leaf, and why: a step counter among the params)
        (
            dict(init_params={"w": jnp.ones(3), "step": jnp.int32(0)}),
            TypeError,
            r"floating-point arrays only, got int32 at \['step'\]: every leaf is trained",
        ),
        # (a list of labels: one leaf per sample, all listed in a message of 4,000 characters)
        (
            dict(data=(DATA[0], [0] * 64)),
            ValueError,
            r"got 65 leaves of shapes \[\(64, 8\), \(\), \(\), \(\), \(\), \(\), \.\.\.\]; "
            r"a Python list of numbers is a pytree of scalars: pass it as an array$",
        ),
        # (λ used as a Python number: JAX's tracer error from inside the compiled program)
        (
            dict(optimizer=lambda lam: _adam_l1(float(lam))),
            TypeError,
            r"^train_path: optimizer\(lam\) receives lam as a traced JAX scalar",
        ),
        (
            dict(optimizer=lambda lam: _adam_l1(lam) if lam > 0 else optax.adam(LR)),
            TypeError,
            r"not as a Python number or NumPy array \(float\(lam\), np.asarray\(lam\), `if",
        ),
        (  # (NumPy's conversion of a tracer: JAX's own error)
            dict(optimizer=lambda lam: _adam_l1(np.asarray(lam))),
            TypeError,
            r"^train_path: optimizer\(lam\) receives lam as a traced JAX scalar",
        ),
        (  # (optax's own "missing 1 required keyword-only argument: 'value'")
            dict(
                optimizer=lambda lam: optax.chain(optax.sgd(LR), optax.contrib.reduce_on_plateau())
            ),
            TypeError,
            r"^train_path: optimizer\(lam\).update is called as update\(grads, state, params\)",
        ),  # fmt: skip
        (dict(lambdas="0.1"), TypeError, r"lambdas must be real numbers .*e.g. lambdas=\[0.1\]"),
        (dict(loss_fn="mse"), TypeError, "loss_fn must be callable"),
        (dict(loss_fn=lambda p, b: jnp.ones(2)), TypeError, "must return a real .*scalar"),
        (
            dict(loss_fn=lambda p, b: jnp.array(1)),
            TypeError,
            r"loss_fn.*real \(floating\) scalar.*dtype=int",
        ),  # (JAX's "grad requires real")
        (dict(optimizer=optax.adam(0.1)), TypeError, "optimizer must be a function"),
        (dict(optimizer=lambda lam: lam), TypeError, "must return an optax"),
        (
            dict(optimizer=lambda lam: optax.MultiSteps(_adam_l1(lam), 2)),
            TypeError,
            r"got MultiSteps; return its \.gradient_transformation\(\)",
        ),
        (dict(progress=-1), ValueError, "progress must be >= 0"),
        (dict(progress="yes"), TypeError, "progress must be True"),
    ],
)
def test_bad_arguments_name_the_argument(overrides, error, match):
    with pytest.raises(error, match=match):
        _call(**overrides)


def test_a_warm_call_builds_the_optimizer_once():
    """The check of a traced λ (float(lam) in optimizer) traced optimizer(lam) on every call:
    a warm call of a small MLP 7× slower (2 → 14 ms). Once per optimizer and shapes now: a
    warm call builds the optimizer once, for its check of the returned type."""
    built = []

    def optimizer(lam):
        built.append(lam)
        return _adam_l1(lam)

    for _ in range(2):
        built.clear()
        l1jax.train_path(_loss, _init(), optimizer, [0.0, 0.1], DATA, steps=2, progress=False)
    assert len(built) == 1


def test_the_check_of_a_traced_lambda_keeps_an_unhashable_optimizer_alive():
    """An unhashable optimizer (a dataclass) is remembered as checked by its id; let go, a new
    one could take its id and skip the check (JAX's tracer error instead of the TypeError)."""
    import dataclasses
    import gc
    import weakref

    @dataclasses.dataclass
    class Optimizer:
        lr: float = LR

        def __call__(self, lam):
            return _adam_l1(lam)

    optimizer = Optimizer()
    alive = weakref.ref(optimizer)
    with pytest.raises(TypeError, match="must return a real"):  # (checked, never compiled)
        l1jax.train_path(lambda p, b: jnp.ones(2), _init(), optimizer, [0.1], DATA, steps=1,
                         progress=False)  # fmt: skip
    del optimizer
    gc.collect()
    assert alive() is not None


def test_a_results_stacked_params_are_not_a_start_and_the_error_says_so():
    """A TrainPathResult's params passed as init_params (to continue a run) failed with the
    user's loss's broadcasting error and nothing more; a note now says why."""
    res = l1jax.train_path(_loss, _init(), _adam_l1, [0.0, 0.1], DATA, steps=2, progress=False)
    with pytest.raises(ValueError) as caught:  # (JAX's broadcasting error in the loss)
        l1jax.train_path(_loss, res.params, _adam_l1, [0.0, 0.1], DATA, steps=2, progress=False)
    assert "TrainPathResult's params, they have a leading λ axis" in "".join(caught.value.__notes__)


def test_batch_indices_cover_each_epoch_once():
    key = jax.random.key(1)
    epoch = np.concatenate([np.asarray(batch_indices(key, t, 10, 3)) for t in range(3)])
    assert len(set(epoch.tolist())) == 9  # 3 batches of 3, no repeats, one sample skipped
    nxt = np.concatenate([np.asarray(batch_indices(key, t, 10, 3)) for t in range(3, 6)])
    assert not np.array_equal(epoch, nxt)  # a new shuffle each epoch


# --- group soft-thresholding ----------------------------------------------------------------


def test_group_prox_zeroes_whole_rows_and_leaves_the_rest():
    w = jnp.array([[3.0, 4.0, 0.0], [0.1, -0.2, 0.2], [-6.0, 0.0, 8.0], [0.3, 0.0, 0.0]])
    params = {"w": w, "b": jnp.array([0.01, -0.01, 0.0])}
    grads = {"w": jnp.full_like(w, 0.5), "b": jnp.array([1.0, 2.0, 3.0])}
    lr, lam = 0.2, 2.0  # threshold 0.4
    tx = optax.chain(
        optax.sgd(lr), l1jax.group_soft_thresholding(lam, lr, axis=1, mask=l1jax.skip_biases)
    )
    updates, _ = tx.update(grads, tx.init(params), params)
    new = optax.apply_updates(params, updates)

    z = np.asarray(w) - lr * 0.5
    norms = np.linalg.norm(z, axis=1)
    expected = z * np.maximum(1 - lr * lam / norms, 0)[:, None]
    np.testing.assert_allclose(new["w"], expected, rtol=1e-12)
    np.testing.assert_array_equal(np.asarray(new["w"])[[1, 3]], 0.0)  # small rows: exact zeros
    assert np.all(np.asarray(new["w"])[[0, 2]] != 0)  # large rows keep every entry
    np.testing.assert_array_equal(new["b"], params["b"] - lr * grads["b"])  # bias: plain sgd


def test_group_prox_columns_and_in_training():
    w = jnp.array([[3.0, 0.1], [4.0, 0.1]])
    tx = l1jax.group_soft_thresholding(1.0, 0.5, axis=0)  # columns, threshold 0.5
    updates, _ = tx.update(jnp.zeros_like(w), tx.init(w), w)
    np.testing.assert_allclose(optax.apply_updates(w, updates), [[2.7, 0.0], [3.6, 0.0]])

    def opt(lam):
        return optax.chain(
            optax.sgd(0.5),
            l1jax.group_soft_thresholding(lam, 0.5, axis=1, mask=l1jax.skip_biases),
        )

    res = l1jax.train_path(_loss, _init(), opt, [0.1], DATA, steps=100, progress=False)
    zero = np.asarray(res.params["w1"][0]) == 0
    assert zero.all(axis=1).any()  # some input features pruned ...
    np.testing.assert_array_equal(zero.any(axis=1), zero.all(axis=1))  # ... row by row only


def test_group_prox_rejects_a_bad_axis():
    with pytest.raises(TypeError, match="axis must be an int or None"):
        l1jax.group_soft_thresholding(0.1, 0.1, axis=1.0)
    tx = l1jax.group_soft_thresholding(0.1, 0.1, axis=1)  # a bias vector has no axis 1
    params = {"w": jnp.ones((2, 2)), "b": jnp.ones(2)}
    with pytest.raises(ValueError, match=r"axis=1 is out of range .* shape \(2,\).*skip_biases"):
        tx.update(params, tx.init(params), params)


# --- adam_prox ------------------------------------------------------------------------------


def _np_soft(x, t):
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


def test_adam_prox_equals_its_closed_form():
    b1, b2, eps, lr, lam = 0.9, 0.99, 1e-8, 0.1, 0.3
    w0 = np.array([0.5, -0.05, 0.02, 1.0])
    grads = [np.array([1.0, 0.01, -0.5, 0.0]), np.array([0.5, -0.02, 0.1, 2.0])]
    params = {"w": jnp.asarray(w0), "b": jnp.asarray(w0)}
    opt = l1jax.adam_prox(lr, lam, b1, b2, eps, mask={"w": True, "b": False})
    adam = optax.adam(lr, b1, b2, eps)
    state, adam_state = opt.init(params), adam.init(params["b"])

    w, m, v = w0.copy(), np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, start=1):
        # first step: m̂ = g, v̂ = g², so z = w − lr·sign(g) and the threshold is lr·λ/(|g| + ε)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        d = np.sqrt(v_hat) + eps
        w = _np_soft(w - lr * m_hat / d, lr * lam / d)

        updates, state = opt.update({"w": jnp.asarray(g), "b": jnp.asarray(g)}, state, params)
        b_updates, adam_state = adam.update(jnp.asarray(g), adam_state, params["b"])
        expected_b = optax.apply_updates(params["b"], b_updates)
        params = optax.apply_updates(params, updates)
        np.testing.assert_allclose(params["w"], w, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(params["b"], expected_b, rtol=1e-12)  # masked: plain Adam
    assert np.asarray(params["w"])[1] == 0.0  # a small gradient: a large threshold


def test_adam_prox_needs_params_and_keeps_dtype():
    opt = l1jax.adam_prox(0.1, 0.1)
    w = jnp.ones(3, jnp.bfloat16)
    with pytest.raises(ValueError, match="adam_prox needs the current params"):
        opt.update(w, opt.init(w))
    updates, _ = opt.update(w, opt.init(w), w)
    assert updates.dtype == jnp.bfloat16
    with pytest.raises(ValueError, match="lam must be >= 0"):
        l1jax.adam_prox(0.1, -1.0)


def test_dtypes_follow_the_params():
    X, y = jnp.ones((4, 2), jnp.float32), jnp.ones(4, jnp.float32)

    def loss(w, batch):
        return jnp.mean((batch[1] - batch[0] @ w) ** 2)

    def opt(lam):
        return optax.chain(optax.sgd(0.1), l1jax.soft_thresholding(lam, 0.1))

    res = l1jax.train_path(
        loss, jnp.zeros(2, jnp.float32), opt, [0.0, 1.0], (X, y), steps=3, progress=False
    )
    assert res.params.dtype == res.losses.dtype == res.lambdas.dtype == jnp.float32


def test_adam_prox_accepts_a_prefix_mask():
    # a mask that is a prefix of the params' structure, as optax.masked accepts
    params = {
        "layer": {"w": jnp.array([[0.5, -0.02], [0.3, 1.0]]), "b": jnp.array([0.01, 0.2])},
        "out": {"w": jnp.array([[0.04], [-0.5]]), "b": jnp.array([0.03])},
    }
    grads = jax.tree.map(lambda x: 0.1 * jnp.ones_like(x), params)
    prefix = l1jax.adam_prox(0.1, 1.0, mask={"layer": True, "out": False})
    full_mask = {"layer": {"w": True, "b": True}, "out": {"w": False, "b": False}}
    full = l1jax.adam_prox(0.1, 1.0, mask=full_mask)
    expected, _ = full.update(grads, full.init(params), params)
    updates, _ = prefix.update(grads, prefix.init(params), params)
    chex.assert_trees_all_equal(updates, expected)
    new = optax.apply_updates(params, updates)
    # first step: z = w − 0.1 sign(g), threshold 0.1·1/|g| = 1: every "layer" weight is zeroed,
    # the "out" leaves take the plain Adam step
    np.testing.assert_array_equal(new["layer"]["w"], 0.0)
    np.testing.assert_array_equal(new["layer"]["b"], 0.0)
    np.testing.assert_allclose(new["out"]["w"], np.array([[0.04], [-0.5]]) - 0.1, rtol=1e-6)


def test_adam_prox_on_complex_params_shrinks_their_moduli():
    """One step on complex params, as optax.adam takes them (v̂ = |g|², real): the modulus of
    z = p − lr·m̂/(√v̂ + ε) soft-thresholded at lr·λ/(√v̂ + ε), the phase kept."""
    lr, lam, eps = 0.5, 0.3, 1e-8
    p = jnp.array([1 + 1j, 0.1j], jnp.complex128)
    g = jnp.array([0.5, 0.2], jnp.complex128)
    tx = l1jax.adam_prox(lr, lam, eps=eps)
    with warnings.catch_warnings():  # (optax's v̂ is complex here: cast to real, JAX warned that
        warnings.simplefilter("error", DeprecationWarning)  # it will soon refuse)
        updates, _ = tx.update(g, tx.init(p), p)
    scale = np.abs(np.asarray(g)) + eps  # first step: m̂ = g, √v̂ = |g|
    z = np.asarray(p) - lr * np.asarray(g) / scale
    modulus = np.maximum(np.abs(z) - lr * lam / scale, 0.0)
    np.testing.assert_allclose(p + updates, modulus * np.exp(1j * np.angle(z)), atol=1e-12)


def test_train_path_lets_go_of_the_programs_of_old_optimizers(monkeypatch):
    """An optimizer written inline (docs/training.md) is a new static argument per call: its
    programs were kept for good (+39 memory maps a call); the last MAX_PROGRAMS are now."""
    from l1jax import _programs, training

    monkeypatch.setattr(_programs, "MAX_PROGRAMS", 2)
    X = jnp.asarray(np.random.default_rng(0).standard_normal((20, 3)))
    y = X[:, 0]
    for _ in range(4):
        l1jax.train_path(lambda w, batch: jnp.mean((batch[0] @ w - batch[1]) ** 2), jnp.zeros(3),
                         lambda lam: l1jax.proximal_gradient(0.1, lam), [0.01], (X, y), steps=2,
                         progress=False)  # fmt: skip
    assert len(training._train_path._jits) <= 2


def test_a_new_progress_callable_per_call_compiles_nothing_new():
    """progress was a static argument of the program: a logger's closure made per call (a run's
    name in it) compiled the whole program again (0.23 s against 0.004 s warm, a probe). Each
    call's report is looked up by its number now; each gets its own lines."""
    from l1jax import training

    logs = []

    def logger(name):
        logs.append((name, []))
        return lambda step, losses: logs[-1][1].append((name, step))

    l1jax.train_path(_loss, _init(), _adam_l1, [0.0, 0.1], DATA, steps=2, progress=logger("a"))
    kept = list(training._train_path._jits)  # (the programs, by their static arguments)
    for name in ("b", "c"):
        l1jax.train_path(_loss, _init(), _adam_l1, [0.0, 0.1], DATA, steps=2,
                         progress=logger(name))  # fmt: skip
    assert list(training._train_path._jits) == kept
    assert [entries for _, entries in logs] == [[(n, 1), (n, 2)] for n in "abc"]


def test_unhashable_loss_and_progress_callables_are_keyed_by_identity():
    """A dataclass's instance (no hash) as ``loss_fn`` or ``progress`` failed with Python's bare
    "unhashable type" from the program cache; it is keyed by identity now, as minimize's funs
    are, and compiles once."""
    import dataclasses

    from l1jax import training

    @dataclasses.dataclass
    class Loss:
        scale: float = 1.0

        def __call__(self, params, batch):
            return self.scale * _loss(params, batch)

    @dataclasses.dataclass
    class Log:
        steps: list = dataclasses.field(default_factory=list)

        def __call__(self, step, losses):
            self.steps.append(step)

    loss, log = Loss(), Log()
    ref = l1jax.train_path(_loss, _init(), _adam_l1, [0.0, 0.1], DATA, steps=2, progress=False)
    for _ in range(2):
        res = l1jax.train_path(loss, _init(), _adam_l1, [0.0, 0.1], DATA, steps=2, progress=log)
        chex.assert_trees_all_close(res.params, ref.params, rtol=1e-12)
    kept = len(training._train_path._jits)
    l1jax.train_path(loss, _init(), _adam_l1, [0.0, 0.1], DATA, steps=2, progress=log)
    assert len(training._train_path._jits) == kept and log.steps

"""l1jax's precision policy: every matrix product of its own programs runs at ``HIGHEST``
precision for float32 inputs (README "Precision"), so float32 paths converge on GPUs and TPUs
too, where ``DEFAULT`` means TF32 or bfloat16 passes.

CI has no accelerator, so these tests read the programs instead of running them: each is lowered
(traced, never compiled) for float32 inputs and every ``dot_general`` of its StableHLO text must
say ``precision = [HIGHEST, HIGHEST]`` (a product without a precision is ``DEFAULT``)."""

import importlib
import re
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import l1jax
from l1jax import _inputs, _programs, engine, implicit, solvers, training

path_module = importlib.import_module("l1jax.path")  # (l1jax.path is the function)

F32 = np.float32
_DOT = re.compile(r"stablehlo\.dot(_general)?\b")
_HIGHEST = (
    "precision = [HIGHEST, HIGHEST]",  # the pretty form
    "#stablehlo<precision HIGHEST>, #stablehlo<precision HIGHEST>]",  # the generic form
)


def _dots(text: str) -> tuple[int, list[str]]:
    """The number of products in a StableHLO module and those not at HIGHEST precision."""
    lines = [line.strip() for line in text.splitlines() if _DOT.search(line)]
    return len(lines), [line for line in lines if not any(h in line for h in _HIGHEST)]


def assert_all_highest(text: str, at_least: int = 1) -> int:
    n, low = _dots(text)
    assert n >= at_least, f"expected products in the program, found {n}"
    assert not low, f"{len(low)} of {n} products below HIGHEST, e.g.\n" + "\n".join(low[:5])
    return n


@pytest.fixture(autouse=True)
def _float32_default():
    with jax.enable_x64(False):
        yield


class _Lowered(Exception):
    pass


@pytest.fixture
def first_program(monkeypatch):
    """``first_program(fn, *args, **kwargs)``: the StableHLO text of the first l1jax program that
    ``fn`` calls (lowered, not compiled; the call stops there)."""
    texts = []
    call = _programs.Program.__call__

    def lower_and_stop(self, *args, **kwargs):
        if texts:  # a program called inside the one being lowered (e.g. a vmapped engine)
            return call(self, *args, **kwargs)
        texts.append(None)
        texts[0] = self.lower(*args, **kwargs).as_text()
        raise _Lowered

    monkeypatch.setattr(_programs.Program, "__call__", lower_and_stop)

    def run(fn, *args, **kwargs):
        texts.clear()
        with pytest.raises(_Lowered):
            fn(*args, **kwargs)
        return texts[0]

    return run


def _data(loss, n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)).astype(F32)
    eta = X[:, 0] - X[:, 1]
    y = {"squared": eta, "logistic": eta > 0, "poisson": np.round(np.exp(eta / 2))}[loss]
    return X, y.astype(F32)


# ---------------------------------------------------------------------------------------------
# The engine (path, and cv_path one fit after another), its helpers and the pure core


@pytest.mark.parametrize(
    "loss, n, p, options",
    [
        pytest.param("squared", 40, 12, dict(l1_ratio=0.5, penalty_factor=[0.0] + [1.0] * 11),
                     id="squared-gram-enet-free"),
        pytest.param("squared", 12, 40, dict(positive=True), id="squared-design-positive"),
        pytest.param("logistic", 40, 12, dict(penalty_factor=[0.0] + [1.0] * 11),
                     id="logistic-free"),
        pytest.param("poisson", 40, 12, dict(l1_ratio=0.5), id="poisson-enet"),
    ],
)  # fmt: skip
def test_engine_products_are_highest(first_program, loss, n, p, options):
    X, y = _data(loss, n, p)
    text = first_program(l1jax.path, X, y, loss=loss, lambdas=4, **options)
    assert "tensor<" in text and "xf32>" in text  # the float32 program
    assert_all_highest(text, at_least=5)


def test_engine_ranks_candidates_in_float32_in_a_float64_program(first_program):
    """Not a precision rule but a speed one, read from the same text: XLA:CPU sorts a float64
    ``top_k`` (3.4 ms for 20,480 scores) and selects a float32 one with a kernel of its own
    (0.15 ms), so the engine ranks its working-set candidates in float32
    (``engine._top_k``: problem C's path 0.70 → 0.58 s, the same iterations)."""
    X, y = _data("squared", 12, 40)
    with jax.enable_x64(True):
        text = first_program(l1jax.path, X.astype(np.float64), y.astype(np.float64), lambdas=4)
    assert "xf64>" in text  # the float64 program
    tops = [line for line in text.splitlines() if "chlo.top_k" in line]
    assert len(tops) >= 2  # the working set's candidates, and the violations of each round
    assert all(re.search(r": tensor<\d+xf32> ->", line) for line in tops), tops


def test_programs_trace_at_highest():
    """Every :func:`l1jax._programs.program` traces its function under the policy (cv_path's
    vmapped engine over the folds included), whatever products it uses."""

    @_programs.program
    def products(a, v):
        return a @ v, v @ v, jnp.einsum("ij,j->i", a, v), jnp.tensordot(a, a, 2)

    text = products.lower(jnp.ones((3, 2), F32), jnp.ones(2, F32)).as_text()
    assert assert_all_highest(text) == 4
    from l1jax import cv

    assert isinstance(cv._fit_folds, _programs.Program)
    assert isinstance(cv._continue_folds, _programs.Program)


def _own_jitted():
    """``(name, function)`` for every jitted function and program defined at module level in the
    modules that ``import l1jax`` loads (the optional ones, plotting and estimators, hold none)."""
    found = []
    for module in [m for name, m in sys.modules.items() if name.startswith("l1jax.")]:
        for name, obj in vars(module).items():
            if isinstance(obj, type) or not hasattr(obj, "lower"):
                continue
            if getattr(obj, "__module__", None) == module.__name__:
                found.append((f"{module.__name__.removeprefix('l1jax.')}.{name}", obj))
    return found


def test_every_jitted_function_of_l1jax_is_under_the_policy():
    """A new jitted function must be traced under :func:`l1jax._programs.highest` too (or be
    a :class:`l1jax._programs.Program`, which is)."""
    # they run the user's model (which keeps its own precision); their own arithmetic is the
    # transforms' (tested below) or elementwise
    exempt = {"training._train_path", "_minimize._solve"}
    names = []
    for name, fn in _own_jitted():
        if name in exempt:
            continue
        inner = fn._fun if isinstance(fn, _programs.Program) else fn.__wrapped__
        assert getattr(inner, "_l1jax_highest", False), f"{name} is not traced under highest"
        names.append(name)
    assert {"engine.run", "solvers.solve_path", "solvers.lambda_max", "path._predict"} <= set(names)


@pytest.mark.parametrize("loss", ["squared", "logistic", "poisson"])
def test_solve_path_and_its_gradient_are_highest(loss):
    """The pure core, and its implicit derivatives (the custom JVP rule is traced when
    differentiated, outside the solver's program)."""
    X, y = _data(loss, 20, 6)
    lams = jnp.asarray([0.1, 0.05], F32)
    text = solvers.solve_path.lower(X, y, lams, loss=loss).as_text()
    assert_all_highest(text, at_least=5)

    def total(lam, X):
        res = solvers.solve_path(X, y, lam * lams, loss=loss, tol=1e-4, max_iter=50)
        return jnp.sum(res.coef) + jnp.sum(res.intercept)

    grad = jax.jit(jax.grad(total, argnums=(0, 1)))
    assert_all_highest(grad.lower(jnp.asarray(1.0, F32), X).as_text(), at_least=8)


@pytest.mark.parametrize("linear_solver", ["cg", "dense"])
def test_implicit_derivatives_are_highest(linear_solver):
    X, y = _data("logistic", 20, 6)

    def coef_sum(lam, X):
        one = implicit.solve_one(X, y, lam, loss="logistic", max_iter=50,
                                 linear_solver=linear_solver)  # fmt: skip
        return jnp.sum(one.coef)

    for fn in (jax.grad(coef_sum, argnums=(0, 1)), jax.jacfwd(coef_sum)):
        assert_all_highest(jax.jit(fn).lower(jnp.asarray(0.05, F32), X).as_text(), at_least=5)

    def attached(lam):  # a solution from elsewhere, derivatives from l1jax
        known = jax.lax.stop_gradient(jnp.zeros(6, F32).at[0].set(0.5 - lam))
        return jnp.sum(implicit.attach(known, 0.0, X, y, lam, linear_solver=linear_solver)[0])

    assert_all_highest(jax.jit(jax.grad(attached)).lower(jnp.asarray(0.1, F32)).as_text())


def test_lambda_max_predict_gram_and_standardization_are_highest():
    X, y = _data("squared", 20, 6)
    s = np.full(20, 1 / 20, F32)
    v = np.ones(6, F32)
    text = solvers.lambda_max.lower(X, y, s, v, 1.0, loss="squared", fit_intercept=True)
    assert_all_highest(text.as_text())
    coef, intercept = jnp.ones((3, 6), F32), jnp.zeros(3, F32)
    assert_all_highest(path_module._predict.lower(coef, intercept, X).as_text())
    assert_all_highest(engine.gram.lower(X, s, y).as_text(), at_least=2)
    prepare = _inputs.prepare_rows.lower(X, s, fit_intercept=True, standardize=True, rows=None)
    assert_all_highest(prepare.as_text(), at_least=2)


def test_predict_on_device_arrays_is_highest(monkeypatch):
    """``PathResult.predict`` of a ``jax.Array`` goes through the policy's ``_predict``."""
    X, _ = _data("squared", 20, 6)
    lowered = []
    predict = path_module._predict
    monkeypatch.setattr(path_module, "_predict", lambda *a: lowered.append(predict.lower(*a)))
    K = 3
    result = l1jax.PathResult(
        lambdas=np.ones(K), coef=np.ones((K, 6), F32), intercept=np.zeros(K, F32),
        converged=np.ones(K, bool), n_iter=np.zeros(K, int), gap=np.zeros(K),
        status=np.zeros(K, int),
    )  # fmt: skip
    result.predict(jnp.asarray(X))
    assert_all_highest(lowered[0].as_text())


# ---------------------------------------------------------------------------------------------
# The optax transformations and train_path: l1jax's prox and penalty code at HIGHEST, the
# user's own model left as the user wrote it


def _transforms(lr=0.1, lam=0.01):
    return [
        l1jax.proximal_gradient(lr, lam),  # FISTA with restart: a tree dot product
        optax.chain(optax.sgd(lr), l1jax.soft_thresholding(lam, lr)),
        optax.chain(optax.adam(lr), l1jax.add_l1_subgradient(lam), l1jax.add_weight_decay(lam)),
        optax.chain(optax.sgd(lr), l1jax.proximal(l1jax.prox.group_l1, lam, lr)),
    ]


def test_transform_updates_are_highest():
    params = {"w": jnp.ones((4, 3), F32), "b": jnp.zeros(3, F32)}
    grads = jax.tree.map(lambda x: 0.1 * jnp.ones_like(x), params)
    counts = []
    for tx in _transforms():

        def step(grads, params, tx=tx):
            updates, _ = tx.update(grads, tx.init(params), params)
            return optax.apply_updates(params, updates)

        n, low = _dots(jax.jit(step).lower(grads, params).as_text())
        assert not low, low[:3]
        counts.append(n)
    assert counts[0] >= 2  # FISTA's restart test: one dot product per leaf


def _user_loss(precision):
    def loss(w, batch):
        X, y = batch
        return jnp.mean((jnp.dot(X, w, precision=precision) - y) ** 2)

    return loss


def test_train_path_is_highest_and_leaves_the_users_model_alone():
    X, y = _data("squared", 16, 5)
    lams = jnp.asarray([0.1, 0.01], F32)

    def lower(loss_fn):
        return training._train_path.lower(
            jnp.zeros(5, F32), lams, (X, y), None, loss_fn=loss_fn,
            optimizer=lambda lam: l1jax.proximal_gradient(0.1, lam), steps=2, batch_size=None,
            every=0, report=None,
        ).as_text()  # fmt: skip

    # a model whose own products are HIGHEST: every product in the program is
    assert_all_highest(lower(_user_loss(jax.lax.Precision.HIGHEST)), at_least=3)
    # a model at DEFAULT stays so (its forward and backward products), l1jax's are HIGHEST
    n, low = _dots(lower(_user_loss(None)))
    n_user, _ = _dots(jax.jit(jax.grad(_user_loss(None))).lower(jnp.zeros(5, F32), (X, y))
                      .as_text())  # fmt: skip
    assert len(low) == n_user and n > n_user


def test_minimize_and_its_derivatives_are_highest():
    """l1jax.minimize's own arithmetic (and the linear solve of its implicit derivatives) adds
    no product below HIGHEST to a model whose products are HIGHEST."""
    X, y = _data("squared", 20, 5)
    loss = _user_loss(jax.lax.Precision.HIGHEST)

    def total(lam, X):
        r = l1jax.minimize(loss, jnp.zeros(5, F32), lam=lam, args=((X, y),), max_iter=20)
        return jnp.sum(r.params)

    for fn in (total, jax.grad(total, argnums=(0, 1)), jax.jacfwd(total)):
        assert_all_highest(jax.jit(fn).lower(jnp.asarray(0.1, F32), X).as_text())

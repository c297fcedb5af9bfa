"""Error messages that must be true for their input: the argument they name, the numbers they
state, and the fix they suggest (applied here, it must work). Found by an audit of every raise
reachable from the public API."""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import l1jax
from l1jax import estimators, losses, penalties, prox


def _data(n=40, p=5):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, p))
    return X, X[:, 0] + 0.1 * rng.standard_normal(n)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_l1_ratio_bound_a_message_suggests_passes(dtype):
    """The bound was eps rounded down (2.22e-16 < 2.2204e-16): copied, it was refused again."""
    X, y = (a.astype(dtype) for a in _data())
    with pytest.raises(ValueError, match="use l1_ratio >= ") as err:
        l1jax.path(X, y, l1_ratio=1e-20, lambdas=3)
    bound = float(re.search(r"use l1_ratio >= ([0-9.e+-]+)", str(err.value))[1])
    assert bound >= np.finfo(dtype).eps
    assert l1jax.path(X, y, l1_ratio=bound, lambdas=3).lambdas.shape == (3,)


def test_estimators_bound_magnitudes_by_the_users_rows():
    """An estimator pads 40 rows to 128 with zeros (p > n; a tall X's Gram matrix, formed on the
    host, is not padded); the bound on X's squares is over the rows that hold something, as
    path's (it refused data path fits, naming 128 rows)."""
    X, y = _data(p=50)
    big = X / np.abs(X).max() * 1.5e153  # below √(max / 40) = 2.1e153, above √(max / 128)
    model = estimators.Lasso(alpha=0.01, tol=1e-10).fit(big, y)
    reference = l1jax.path(big, y, lambdas=[0.01], standardize=False, tol=1e-10)
    assert np.count_nonzero(model.coef_) >= 1
    np.testing.assert_allclose(model.coef_, reference.coef[0], rtol=1e-6)
    with pytest.raises(ValueError, match=r"over its 40 nonzero rows overflow \(above 2.12e\+153\)"):
        estimators.Lasso().fit(big * 2, y)


def test_group_penalty_factors_outside_the_dtype_are_refused():
    """(Without groups they were; with groups a factor of 1e39 overflowed float32 into a
    NONFINITE warning that blamed X and y, and 1e-320 was flushed to 0 unsaid.)"""
    X, y = _data()
    groups = [0, 0, 1, 1, 2]
    f32 = X.astype(np.float32), y.astype(np.float32)
    with pytest.raises(ValueError, match=r"penalty_factor must be 0 or between .* float32.*group"):
        l1jax.path(*f32, groups=groups, penalty_factor=[1, 1e39, 1], lambdas=3)
    with pytest.raises(ValueError, match=r"penalty_factor must be 0 or between .* float64"):
        l1jax.cv_path(X, y, groups=groups, penalty_factor=[1, 1e-320, 1], lambdas=3)
    with pytest.raises(ValueError, match=r"^weights must be 0 or between"):
        estimators.GroupLasso(groups=groups, weights=[1, 1e-320, 1]).fit(X, y)


def test_glm_loss_multinomial():
    y = jax.nn.one_hot(jnp.array([0, 2, 1]), 3)
    eta = jnp.array([[1.0, 0.0, 0.0], [0.0, 0.0, 3.0], [0.0, 1.0, 0.0]])
    expected = jnp.mean(jax.nn.logsumexp(eta, axis=-1) - jnp.sum(y * eta, axis=-1))
    np.testing.assert_allclose(losses.glm_loss("multinomial", y, eta), expected, rtol=1e-6)
    with pytest.raises(ValueError, match=r"one-hot rows .* got y of shape \(3,\)"):  # IndexError
        losses.glm_loss("multinomial", jnp.ones(3), jnp.ones(3))
    with pytest.raises(ValueError, match="'poisson', 'multinomial'"):
        losses.glm_loss("huber", jnp.ones(3), jnp.ones(3))


@pytest.mark.parametrize("axis", [1.0, "rows", (0, 1), True])
def test_a_group_axis_must_be_an_int(axis):
    W = jnp.ones((2, 3))
    for fn, name in ((lambda: prox.group_l1(W, 1.0, axis=axis), "prox.group_l1"),
                     (lambda: penalties.group_l1(W, axis=axis), "penalties.group_l1")):  # fmt: skip
        with pytest.raises(TypeError, match=f"{name}: axis must be an int or None"):
            fn()


def test_prox_weights_must_match_the_params():
    with pytest.raises(ValueError, match=r"prox.l1: weights has a leaf of shape \(3,\) for a "
                       r"params leaf of shape \(2, 2\)"):  # fmt: skip
        prox.l1(jnp.ones((2, 2)), 1.0, weights=np.ones(3))
    with pytest.raises(ValueError, match="prox.elastic_net: weights must be a pytree like params"):
        prox.elastic_net({"a": jnp.ones(2), "b": jnp.ones(2)}, 1.0, 0.5, weights={"a": 1.0})
    with pytest.raises(TypeError, match="prox.l1: params must be arrays of numbers, got a leaf"):
        prox.l1("abc", 1.0)
    # weights that broadcast to their leaf are fine, and under vmap too
    np.testing.assert_array_equal(
        prox.l1(jnp.full((2, 2), 1.0), 0.5, weights=jnp.array([1.0, 2.0])), [[0.5, 0], [0.5, 0]]
    )
    out = jax.vmap(lambda w: prox.l1(jnp.full(3, 2.0), 0.5, weights=w))(jnp.ones((4, 3)))
    np.testing.assert_array_equal(out, np.full((4, 3), 1.5))


def test_soft_threshold_refuses_a_negative_threshold():
    with pytest.raises(ValueError, match="prox.soft_threshold: threshold must be >= 0"):
        prox.soft_threshold(jnp.array([1.0, -2.0]), -1.0)  # (it grew the entries: [2, -3])


@pytest.mark.parametrize("fit", [l1jax.cv_path, l1jax.stability_selection])
def test_a_ragged_x_is_named(fit):
    with pytest.raises(ValueError, match=r"^X must be a rectangular array of numbers"):
        fit([[1.0, 2.0], [3.0]], [1.0, 2.0])


def test_losses_named_in_full():
    X, y = _data()
    with pytest.raises(TypeError, match=r"'poisson', 'multinomial'\), got int"):
        l1jax.path(X, y, loss=3)
    with pytest.raises(ValueError, match="loss='multinomial' is fitted by l1jax.path and "
                       "l1jax.cv_path only"):  # fmt: skip
        l1jax.stability_selection(X, np.arange(40) % 3, loss="multinomial")


def test_estimators_name_their_own_fixes():
    X, y = _data()
    with pytest.raises(ValueError, match="for one task .* use LassoCV$"):
        estimators.MultiTaskLassoCV().fit(X, y)
    with pytest.raises(ValueError, match="for one task .* use ElasticNetCV$"):
        estimators.MultiTaskElasticNetCV().fit(X, y)
    labels = np.arange(40) % 3
    with pytest.raises(ValueError, match=r"^alpha must be > 0 .*; use a small alpha > 0$"):
        estimators.LogisticLasso(alpha=0).fit(X, labels)
    with pytest.raises(ValueError, match=r"got 1 class \(0.0\)$"):  # (not np.float64(0.0))
        estimators.LogisticLasso().fit(X, np.zeros(40))


def test_a_schedule_of_the_wrong_shape_names_the_transform():
    params = jnp.ones(3)
    tx = l1jax.soft_thresholding(lambda count: jnp.ones(2), 0.1)
    with pytest.raises(ValueError, match=r"^soft_thresholding: lam must be a scalar"):
        tx.update(jnp.zeros(3), tx.init(params), params)


def test_poisson_counts_left_out_by_the_weights_are_named():
    """Positive counts whose sample_weight is all 0 were reported as "y is all zero", which it
    is not, with no fix."""
    X = np.random.default_rng(1).standard_normal((40, 3))
    y = np.zeros(40)
    y[:5] = [1, 2, 3, 1, 4]
    w = np.r_[np.zeros(5), np.ones(35)]
    with pytest.raises(ValueError, match=r"^sample_weight gives weight to samples of y 0 only"):
        l1jax.path(X, y, loss="poisson", sample_weight=w)
    with pytest.raises(ValueError, match=r"^y is all zero .* needs some count > 0"):
        l1jax.path(X, np.zeros(40), loss="poisson")


@pytest.mark.parametrize(
    "fit, argument, says",
    [
        (l1jax.path, dict(offset=np.zeros(40)), "sample_weight=e"),
        (l1jax.path, dict(alpha=0.5), "pass l1_ratio"),
        (l1jax.path, dict(lower_limits=0.0), "positive=True"),
        (l1jax.path, dict(exclude=[1]), "drop those columns"),
        (l1jax.path, dict(weights=np.ones(40)), "pass sample_weight"),
        (l1jax.path, dict(l1ratio=0.5), "did you mean l1_ratio?"),
        (l1jax.cv_path, dict(nfolds=3), "pass n_folds"),
        (l1jax.cv_path, dict(keep=True), "not built"),
        (l1jax.stability_selection, dict(thresh=1e-9), "pass tol"),
    ],
)
def test_glmnet_and_sklearn_argument_names_say_what_to_pass(fit, argument, says):
    """glmnet's (and scikit-learn's) argument names got Python's bare "unexpected keyword
    argument": now the argument here, or what to do where there is none; the rename, applied,
    is accepted."""
    X, y = _data()
    with pytest.raises(TypeError, match=re.escape(says)):
        fit(X, y, **argument)
    ((_, value),) = argument.items()
    match = re.search(r"(?:pass|did you mean) (\w+)", says)
    if match:  # (the argument it names takes the value)
        kwargs = {l1jax.path: dict(lambdas=3), l1jax.cv_path: dict(lambdas=3, n_folds=3),
                  l1jax.stability_selection: dict(n_subsamples=4)}[fit]  # fmt: skip
        fit(X, y, **{**kwargs, match[1]: value})


def test_train_path_gets_no_glmnet_hints():
    """train_path was told to drop columns of X for exclude=, to use sample_weight for offset=
    (it has neither), and "did you mean mesh?" for thresh=."""
    for key in ("offset", "exclude", "thresh", "eps"):
        with pytest.raises(TypeError) as info:
            l1jax.train_path(lambda p, b: 0.0, {}, None, [0.1], (), steps=1, **{key: 1})
        assert str(info.value) == f"train_path() got an unexpected keyword argument {key!r}"
    with pytest.raises(TypeError, match=r"did you mean lambdas\?$"):  # (not "lambdas=N")
        l1jax.train_path(lambda p, b: 0.0, {}, None, [0.1], (), steps=1, n_lambdas=5)
    with pytest.raises(TypeError, match="'lam': pass lambdas"):  # (its optimizer's name)
        l1jax.train_path(lambda p, b: 0.0, {}, None, [0.1], (), steps=1, lam=0.1)


def test_the_convergence_warning_asks_for_more_iterations_only_where_they_help():
    """A float32 Poisson path on a column scaled by 1e4 (standardize=False) stalls at its
    rounding's level within some 200 iterations: the warning led with "Increase max_iter",
    and max_iter=200,000 converged no more λs. A fit stopped by max_iter is still told to."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 6))
    y = rng.poisson(np.exp(1 + 0.5 * X[:, 0] - 0.5 * X[:, 1])).astype(np.float32)
    X[:, 0] *= 1e4
    with pytest.warns(l1jax.ConvergenceWarning) as record:
        res = l1jax.path(X.astype(np.float32), y, loss="poisson", standardize=False, lambdas=20)
    stalled = ~np.asarray(res.converged)
    assert stalled.any() and np.asarray(res.n_iter)[stalled].max() < 20_000
    text = " ".join(str(w.message) for w in record)
    assert "a larger max_iter (now 20000) does not help" in text
    assert "Increase max_iter" not in text
    with pytest.warns(l1jax.ConvergenceWarning, match=r"Increase max_iter \(now 2\)"):
        l1jax.path(*_data(), lambdas=5, max_iter=2)


def test_cv_and_stability_tell_stalls_too():
    """cv_path (its folds and its refit) and stability_selection told stalled float32 fits (a
    y of mean 1e6: its intercept cannot be stored to within tol) to increase max_iter, which
    left every count and gap as it was; path said it does not help."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((100, 10)).astype(np.float32)
    y = (X[:, :3].sum(1) + 0.5 * rng.standard_normal(100) + 1e6).astype(np.float32)
    for fit in (lambda: l1jax.cv_path(X, y, n_folds=3, lambdas=8),
                lambda: l1jax.stability_selection(X, y, n_subsamples=4, lambdas=8)):  # fmt: skip
        with pytest.warns(l1jax.ConvergenceWarning) as record:
            fit()
        text = " ".join(str(w.message) for w in record)
        assert "a larger max_iter (now 20000) does not help" in text and "Increase" not in text


def test_glmnet_and_sklearn_loss_names_are_told_the_name_here():
    """glmnet's families (gaussian, binomial, mgaussian), scikit-learn's names and a name in
    other case only listed the losses."""
    X, y = _data()
    for given, meant in [("binomial", "'logistic'"), ("gaussian", "'squared'"),
                         ("mgaussian", "'squared' with a 2-D y"), ("Poisson ", "'poisson'"),
                         ("log_loss", "'logistic'")]:  # fmt: skip
        with pytest.raises(ValueError, match=rf"got {given!r} \(did you mean {meant}\?\)$"):
            l1jax.path(X, y, loss=given)
    with pytest.raises(ValueError, match=r"got 'cox'$"):
        l1jax.path(X, y, loss="cox")
    # where a 2-D y and the multinomial loss are refused, they say where they are fitted
    for given in ("mgaussian", "MULTINOMIAL"):
        with pytest.raises(ValueError, match=rf"fitted by l1jax.path .* got {given!r}$"):
            l1jax.solve_path(X, y, np.array([0.1]), loss=given)

"""Bad input to ``l1jax.path`` raises ValueError/TypeError naming the argument (issue 7, item 5).

Messages are matched on the argument's name only (as a whole word), so the wording stays the
implementation's. Every case starts from a valid call (checked by ``test_valid_baseline``) and
breaks exactly one thing.
"""

from __future__ import annotations

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp

import l1jax

N, P = 20, 5


def _data(loss="squared"):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, P))
    if loss == "logistic":
        y = (rng.random(N) < 0.5).astype(float)
        y[:2] = [0.0, 1.0]
    elif loss == "poisson":
        y = rng.poisson(1.0, N).astype(float)
    else:
        y = rng.standard_normal(N)
    return X, y


def _with_nan(a, value=np.nan):
    a = np.array(a, dtype=float)
    a.flat[1] = value
    return a


def _name(arg):
    return rf"\b{re.escape(arg)}\b"


def _call(X=None, y=None, loss="squared", **kw):
    X0, y0 = _data(loss)
    kw.setdefault("lambdas", 3)
    return l1jax.path(X0 if X is None else X, y0 if y is None else y, loss=loss, **kw)


@pytest.mark.parametrize("loss", ["squared", "logistic", "poisson"])
def test_valid_baseline(loss):
    """The unbroken call works, so every failure below is due to the one broken thing."""
    X, y = _data(loss)
    res = l1jax.path(
        X,
        y,
        loss=loss,
        lambdas=3,
        sample_weight=np.ones(N),
        penalty_factor=np.ones(P),
        lambda_min_ratio=0.1,
        tol=1e-6,
        max_iter=1000,
    )
    assert np.asarray(res.coef).shape == (3, P)


X_, Y_ = _data()

VALUE_ERRORS = [
    # non-finite data
    pytest.param(dict(X=_with_nan(X_)), "X", id="X-nan"),
    pytest.param(dict(X=_with_nan(X_, np.inf)), "X", id="X-inf"),
    pytest.param(dict(X=_with_nan(X_, -np.inf)), "X", id="X-neg-inf"),
    pytest.param(dict(y=_with_nan(Y_)), "y", id="y-nan"),
    pytest.param(dict(y=_with_nan(Y_, np.inf)), "y", id="y-inf"),
    pytest.param(dict(sample_weight=_with_nan(np.ones(N))), "sample_weight", id="sw-nan"),
    pytest.param(dict(sample_weight=_with_nan(np.ones(N), np.inf)), "sample_weight", id="sw-inf"),
    pytest.param(dict(penalty_factor=_with_nan(np.ones(P))), "penalty_factor", id="pf-nan"),
    pytest.param(dict(penalty_factor=_with_nan(np.ones(P), np.inf)), "penalty_factor", id="pf-inf"),
    # shapes
    pytest.param(dict(X=X_[:, 0]), "X", id="X-1d"),
    pytest.param(dict(X=X_[None]), "X", id="X-3d"),
    pytest.param(dict(y=Y_[:-1]), "y", id="y-length"),
    pytest.param(dict(sample_weight=np.ones(N + 1)), "sample_weight", id="sw-length"),
    pytest.param(dict(penalty_factor=np.ones(P - 1)), "penalty_factor", id="pf-length"),
    pytest.param(dict(X=np.zeros((0, P)), y=np.zeros(0)), "X", id="zero-samples"),
    pytest.param(dict(X=np.zeros((N, 0))), "X", id="zero-features"),
    # λ and the grid
    pytest.param(dict(lambdas=np.array([1.0, -0.1])), "lambdas", id="lambda-negative"),
    pytest.param(dict(lambdas=np.array([1.0, np.nan])), "lambdas", id="lambda-nan"),
    pytest.param(dict(lambdas=0), "lambdas", id="grid-size-0"),
    pytest.param(dict(lambdas=-4), "lambdas", id="grid-size-negative"),
    pytest.param(dict(lambdas=10**9), "lambdas", id="grid-size-huge"),  # (was a MemoryError)
    pytest.param(dict(lambdas=np.array([])), "lambdas", id="lambdas-empty"),
    pytest.param(dict(l1_ratio=-0.1), "l1_ratio", id="l1_ratio-negative"),
    pytest.param(dict(l1_ratio=1.1), "l1_ratio", id="l1_ratio-above-1"),
    pytest.param(dict(l1_ratio=np.nan), "l1_ratio", id="l1_ratio-nan"),
    pytest.param(dict(l1_ratio=0.0), "l1_ratio", id="l1_ratio-0-automatic-grid"),
    pytest.param(dict(lambda_min_ratio=0.0), "lambda_min_ratio", id="lmr-0"),
    pytest.param(dict(lambda_min_ratio=1.0), "lambda_min_ratio", id="lmr-1"),
    pytest.param(dict(lambda_min_ratio=-0.5), "lambda_min_ratio", id="lmr-negative"),
    pytest.param(dict(lambda_min_ratio=1.5), "lambda_min_ratio", id="lmr-above-1"),
    pytest.param(dict(lambda_min_ratio=np.nan), "lambda_min_ratio", id="lmr-nan"),
    # weights and penalty factors
    pytest.param(dict(penalty_factor=-np.ones(P)), "penalty_factor", id="pf-negative"),
    pytest.param(
        dict(sample_weight=np.r_[-1.0, np.ones(N - 1)]), "sample_weight", id="sw-negative"
    ),
    pytest.param(dict(sample_weight=np.zeros(N)), "sample_weight", id="sw-all-zero"),
    # loss and targets
    pytest.param(dict(loss="hinge"), "loss", id="unknown-loss"),
    pytest.param(
        dict(loss="logistic", y=np.r_[0.0, 1.0, 2.0 * np.ones(N - 2)]), "y", id="y-logistic-2"
    ),
    pytest.param(dict(loss="logistic", y=np.r_[-1.0, np.ones(N - 1)]), "y", id="y-logistic-pm1"),
    pytest.param(dict(loss="logistic", y=np.full(N, 0.5)), "y", id="y-logistic-0.5"),
    pytest.param(dict(loss="poisson", y=np.r_[-1.0, np.ones(N - 1)]), "y", id="y-poisson-negative"),
    # solver controls
    pytest.param(dict(tol=-1e-6), "tol", id="tol-negative"),
    pytest.param(dict(max_iter=0), "max_iter", id="max_iter-0"),
    pytest.param(dict(max_iter=-3), "max_iter", id="max_iter-negative"),
    pytest.param(dict(max_iter=2**40), "max_iter", id="max_iter-beyond-int32"),
    # magnitudes whose squares overflow (1e300: P_null overflowed and y looked constant)
    pytest.param(dict(y=Y_ * 1e300), "y", id="y-squares-overflow"),
    pytest.param(dict(X=X_ * 1e200), "X", id="X-squares-overflow"),
    pytest.param(dict(lambdas=np.ones((2, 2))), "lambdas", id="lambdas-2d"),
]


@pytest.mark.parametrize("kwargs, arg", VALUE_ERRORS)
def test_bad_value_raises_value_error(kwargs, arg):
    with pytest.raises(ValueError, match=_name(arg)):
        _call(**kwargs)


_STRINGS_X = np.array([["a"] * P] * N)
_OBJECT_X = np.array([[1.0, "a", None, 2.0, 3.0]] * N, dtype=object)

TYPE_ERRORS = [
    pytest.param(dict(X=_STRINGS_X), "X", id="X-strings"),
    pytest.param(dict(X=_OBJECT_X), "X", id="X-object"),
    pytest.param(dict(X=X_ + 1j), "X", id="X-complex"),
    pytest.param(dict(y=np.array(["a"] * N)), "y", id="y-strings"),
    pytest.param(dict(y=np.array([1.0, "a"] * (N // 2), dtype=object)), "y", id="y-object"),
    pytest.param(dict(y=Y_ + 1j), "y", id="y-complex"),
    pytest.param(dict(lambdas=[0.1 + 1j]), "lambdas", id="lambdas-complex"),
    pytest.param(dict(X=X_.astype("bfloat16")), "X", id="X-bfloat16"),
]


@pytest.mark.parametrize("kwargs, arg", TYPE_ERRORS)
def test_bad_dtype_raises_type_error(kwargs, arg):
    with pytest.raises(TypeError, match=_name(arg)):
        _call(**kwargs)


def test_loss_not_a_string_raises_type_error():
    X, y = _data()
    with pytest.raises(TypeError, match=_name("loss")):
        l1jax.path(X, y, loss=np.array(["squared", "x"]))


def test_unknown_keyword_raises_type_error():
    with pytest.raises(TypeError, match=_name("alpha")):
        _call(alpha=0.1)


def test_options_are_keyword_only():
    X, y = _data()
    with pytest.raises(TypeError):
        l1jax.path(X, y, "squared")


def test_l1_ratio_zero_with_explicit_grid_is_fine():
    """ρ = 0 is refused only with an automatic grid (λ_max is infinite there)."""
    X, y = _data()
    res = l1jax.path(X, y, l1_ratio=0.0, lambdas=np.array([1.0, 0.1]))
    assert np.all(np.isfinite(np.asarray(res.coef)))


# X given as a jax.Array stays on its devices (issue 5, item 4): its checks run there too.


def test_jax_array_x_with_nan_is_refused():
    import jax.numpy as jnp

    with pytest.raises(ValueError, match=_name("X")):
        _call(X=jnp.asarray(_with_nan(_data()[0])))


@pytest.mark.parametrize(
    "X, error",
    [
        (lambda X: X[:, 0], ValueError),  # 1-D
        (lambda X: X.astype(complex), TypeError),
    ],
)
def test_jax_array_x_bad_shape_or_dtype(X, error):
    import jax.numpy as jnp

    with pytest.raises(error, match=_name("X")):
        _call(X=jnp.asarray(X(_data()[0])))


def test_float64_data_is_solved_in_float64_when_x64_is_off():
    """Issue 17 item 4: a scikit-learn or glmnet user's float64 NumPy data gives float64
    results (and float64 accuracy) even with JAX's x64 off, JAX's default; the global setting is
    left as it was."""
    import jax
    from sklearn.linear_model import lasso_path

    rng = np.random.default_rng(0)
    X = rng.standard_normal((100, 8))
    y = X[:, 0] - X[:, 1] + 0.5 * rng.standard_normal(100)
    lams = np.array([0.1, 0.01])
    with jax.enable_x64(False):
        res = l1jax.path(X, y, lambdas=lams, standardize=False, tol=1e-10)
        assert not jax.config.jax_enable_x64
    assert res.coef.dtype == res.lambdas.dtype == np.float64
    _, coef, _ = lasso_path(X - X.mean(0), y - y.mean(), alphas=lams, tol=1e-12)
    np.testing.assert_allclose(res.coef, coef.T, rtol=1e-6, atol=1e-9)
    with jax.enable_x64(False):  # a longdouble X (wider still): float64, not float32
        wide = l1jax.path(X.astype(np.longdouble), y, lambdas=lams, standardize=False, tol=1e-10)
    assert wide.coef.dtype == np.float64
    with jax.enable_x64(False):  # numbers held as objects, as a list of them: float64 (was 32)
        held = l1jax.path(X.astype(object), y, lambdas=lams, standardize=False, tol=1e-10)
    np.testing.assert_array_equal(held.coef, res.coef)


def test_threaded_folds_and_halves_keep_float64_when_x64_is_off():
    """cv_path's folds and stability_selection's halves run in threads on a CPU; JAX's scoped
    settings are per thread, so each fit enters the caller's float64 scope again: with x64 off
    the fits equal those with x64 on (float32 folds would differ by ~1e-6 and warn)."""
    import warnings

    import jax

    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 12))
    y = X[:, 0] - 2 * X[:, 1] + rng.standard_normal(80)
    runs = {}
    for x64 in (True, False):  # global, as a user's setting (threads see only that)
        jax.config.update("jax_enable_x64", x64)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # an unconverged (float32) fit warns
                cv = l1jax.cv_path(X, y, n_folds=4, lambdas=12)
                st = l1jax.stability_selection(X, y, n_subsamples=4, lambdas=6)
        finally:
            jax.config.update("jax_enable_x64", True)  # the suite's setting (conftest)
        runs[x64] = cv, st
    (cv_on, st_on), (cv_off, st_off) = runs[True], runs[False]
    np.testing.assert_allclose(cv_off.cv_mean, cv_on.cv_mean, rtol=1e-10)
    np.testing.assert_array_equal(st_off.probabilities, st_on.probabilities)


def test_extreme_weights_fit_as_weights_of_one_scale():
    """Weights of 1e308 (their sum overflowed: every normalized weight 0, an IndexError) or of
    1e-310 give the fit of the same weights on a unit scale, in path, cv_path and
    stability_selection; the folds' labels are checked before they are counted (a label of 1e9
    made np.bincount allocate 8 GB); a block larger than the grid is the grid."""
    X, y = _data()
    w = np.random.default_rng(1).uniform(0.5, 1.0, N)
    ref = l1jax.path(X, y, lambdas=3, sample_weight=w)
    ref_cv = l1jax.cv_path(X, y, lambdas=3, n_folds=3, sample_weight=w)
    ref_st = l1jax.stability_selection(X, y, lambdas=3, n_subsamples=2, sample_weight=w)
    for scale in (1e308, 1e-310):
        res = l1jax.path(X, y, lambdas=3, sample_weight=w * scale)
        np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-12, atol=1e-14)
        cv = l1jax.cv_path(X, y, lambdas=3, n_folds=3, sample_weight=w * scale)
        np.testing.assert_allclose(cv.cv_mean, ref_cv.cv_mean, rtol=1e-9)
        st = l1jax.stability_selection(X, y, lambdas=3, n_subsamples=2, sample_weight=w * scale)
        np.testing.assert_array_equal(st.probabilities, ref_st.probabilities)
    ids = np.r_[10**9, np.arange(N - 1) % 2]
    with pytest.raises(ValueError, match=_name("fold_ids")):
        l1jax.cv_path(X, y, lambdas=3, fold_ids=ids)
    with pytest.raises(ValueError, match=_name("seed")):
        l1jax.cv_path(X, y, lambdas=3, seed=-1)
    big = l1jax.path(X, y, lambdas=3, block_size=2**31)
    np.testing.assert_allclose(big.coef, l1jax.path(X, y, lambdas=3).coef, rtol=1e-6, atol=1e-9)


def test_cv_and_stability_name_an_empty_x():
    """An X with no rows or no columns is named as such (it was blamed on n_folds or
    max_selected)."""
    with pytest.raises(ValueError, match=r"\bX must have at least one sample"):
        l1jax.cv_path(np.zeros((0, 3)), np.zeros(0))
    with pytest.raises(ValueError, match=r"\bX must have at least one sample"):
        l1jax.stability_selection(np.zeros((10, 0)), np.arange(10.0))


def test_pandas_nullable_numbers_fit_and_masked_entries_are_refused():
    """An object array of numbers (pandas' nullable Int64 columns) is numbers; a masked array's
    masked entries were fitted with their hidden values (np.asarray drops the mask)."""
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame({"a": pd.array(np.arange(N), dtype="Int64"), "b": X[:, 0]})
    res = l1jax.path(frame, y, lambdas=3)
    ref = l1jax.path(np.c_[np.arange(N, dtype=float), X[:, 0]], y, lambdas=3)
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-6, atol=1e-9)  # (to the tol)
    frame.loc[0, "a"] = pd.NA
    with pytest.raises(ValueError, match=r"^X has missing values \(NaN or NA\) in columns \['a'\]"):
        l1jax.path(frame, y, lambdas=3)
    masked = np.ma.masked_array(X, mask=np.zeros_like(X, bool))
    masked[0, 0] = np.ma.masked
    with pytest.raises(ValueError, match=r"\bX is a masked array"):
        l1jax.path(masked, y, lambdas=3)


def test_pandas_float64_columns_are_solved_in_float64_with_x64_off():
    """A DataFrame of pandas' nullable Float64 columns holds float64 numbers, which NumPy reads
    as objects: it was solved in float32 with JAX's x64 off (coefficients 5e-6 from the same
    numbers as a float64 array), now in float64 as NumPy float64 data are; Float32 columns stay
    float32."""
    pd = pytest.importorskip("pandas")
    X, y = _data()
    with jax.enable_x64(False):
        ref = l1jax.path(X, y, lambdas=5)
        assert ref.coef.dtype == np.float64
        for columns, dtype in (("Float64", np.float64), ({0: "Float64"}, np.float64),
                               ("Float32", np.float32)):  # fmt: skip
            res = l1jax.path(pd.DataFrame(X).astype(columns), y, lambdas=5)
            assert res.coef.dtype == dtype, columns
            if dtype == np.float64:
                np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-10, atol=1e-12)


def test_pandas_rows_labelled_in_another_order_are_not_read_by_position():
    """y (or sample_weight, fold_ids) a Series on X's row labels in another order (y.sample(
    frac=1)) was read by position: each row fitted another's target, another model, no word
    said (scikit-learn reads it so too; pandas would align it). Same order, or pandas' default
    index (meant by position), fits as NumPy."""
    pd = pytest.importorskip("pandas")
    from l1jax.estimators import Lasso

    X, y = _data()
    n = y.size
    frame = pd.DataFrame(X, index=[f"r{i}" for i in range(n)])
    target = pd.Series(y, index=frame.index)
    shuffled = target.iloc[np.random.default_rng(0).permutation(n)]
    fits = (l1jax.path, l1jax.cv_path, l1jax.stability_selection,
            lambda X, y, lambdas: Lasso(alpha=0.1).fit(X, y))  # fmt: skip
    for fit in fits:
        with pytest.raises(ValueError, match=r"y is a Series labelled by X's rows .*"
                                             r"y.reindex\(X.index\)"):  # fmt: skip
            fit(frame, shuffled, lambdas=3)
    weights = pd.Series(np.ones(n), index=shuffled.index)
    with pytest.raises(ValueError, match=r"sample_weight.reindex\(X.index\)"):
        l1jax.path(frame, target, sample_weight=weights, lambdas=3)
    with pytest.raises(ValueError, match=r"fold_ids.reindex\(X.index\)"):
        l1jax.cv_path(frame, target, fold_ids=pd.Series(np.arange(n) % 3, shuffled.index))
    ref = l1jax.path(X, y, lambdas=3).coef
    for same in (target, shuffled.reindex(frame.index), pd.Series(y)):
        np.testing.assert_allclose(l1jax.path(frame, same, lambdas=3).coef, ref, atol=1e-12)
    # pandas' default index on X labels nothing: a frame made afresh (a scaler's output, a
    # pipeline's) or reset beside a y that kept its labels is read by position, as scikit-
    # learn reads it (refused, its advice y.reindex(X.index) scrambled y); the same labels in
    # another dtype (nullable Int64 ids against int64) are the same labels
    fresh = pd.DataFrame(X)
    split_y = pd.Series(y, index=np.random.default_rng(1).permutation(3 * n)[:n])  # (a split's)
    np.testing.assert_allclose(l1jax.path(fresh, split_y, lambdas=3).coef, ref, atol=1e-12)
    Lasso(alpha=0.1).fit(fresh, split_y)
    # (but labels that are X's positions shuffled, y.sample(frac=1) beside a default X: refused)
    with pytest.raises(ValueError, match=r"y.reindex\(X.index\) to pair them by label, or"):
        l1jax.path(fresh, pd.Series(y, index=np.random.default_rng(1).permutation(n)), lambdas=3)
    ids = pd.DataFrame(X, index=pd.Index(np.arange(100, 100 + n), dtype="Int64"))
    by_id = pd.Series(y, index=np.arange(100, 100 + n))
    np.testing.assert_allclose(l1jax.path(ids, by_id, lambdas=3).coef, ref, atol=1e-12)
    with pytest.raises(ValueError, match=r"or y.to_numpy\(\) if they are in X's row order"):
        l1jax.path(ids, by_id[::-1], lambdas=3)


def test_frame_columns_that_are_not_numbers_are_named():
    """A column of dates, time spans or text in a frame of 30 was "dtype object (entries that
    are not numbers: text, None, or ... NA)", no column named (dates are no text); polars'
    dates were read as their epoch counts and fitted, silently."""
    pd = pytest.importorskip("pandas")
    X, y = _data()
    n = y.size
    columns = {
        "dates": (pd.date_range("2024-01-01", periods=n), r"dates or times: 'f2' \(datetime64"),
        "spans": (pd.to_timedelta(np.arange(n), "D"), r"dates or times: 'f2' \(timedelta64"),
        "text": (pd.Categorical(["lo", "hi"] * (n // 2)), r"not numbers: 'f2' \(category\)"),
        "words": (np.array(["x"] * n, dtype=object), r"not numbers: 'f2' \((object|str)\)"),
    }
    for values, match in columns.values():
        frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])]).assign(f2=values)
        with pytest.raises(TypeError, match=match):
            l1jax.path(frame, y, lambdas=3)
    numbers = pd.DataFrame(X).astype(object)  # (numbers held as objects: read as float64)
    np.testing.assert_allclose(l1jax.path(numbers, y, lambdas=3).coef,
                               l1jax.path(X, y, lambdas=3).coef, atol=1e-12)  # fmt: skip
    pl = pytest.importorskip("polars")
    dated = pl.DataFrame({"a": X[:, 0], "when": pd.date_range("2024-01-01", periods=n)})
    with pytest.raises(TypeError, match=r"dates or times: 'when' \(Datetime"):
        l1jax.path(dated, y, lambdas=3)


def test_pandas_labels_and_names_are_not_read_by_position():
    """A Series of penalty factors (or groups) labelled by X's columns in another order was taken
    by position (a 0 meant for x1 landed on x4); a path keeps a DataFrame's column names and
    predict refuses its columns in another order (7.7 off, silently), as scikit-learn does."""
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    factors = pd.Series(np.arange(1.0, X.shape[1] + 1), index=frame.columns)
    for fit in (l1jax.path, l1jax.cv_path, l1jax.stability_selection):
        with pytest.raises(ValueError, match=r"penalty_factor.reindex\(X.columns\)"):
            fit(frame, y, penalty_factor=factors[::-1], lambdas=3)
    ordered = l1jax.path(frame, y, penalty_factor=factors[::-1].reindex(frame.columns), lambdas=3)
    np.testing.assert_allclose(ordered.coef, l1jax.path(X, y, penalty_factor=factors.to_numpy(),
                                                        lambdas=3).coef, atol=1e-12)  # fmt: skip
    groups = pd.Series(np.arange(X.shape[1]) // 2, index=frame.columns)
    with pytest.raises(ValueError, match=r"groups.reindex\(X.columns\)"):
        l1jax.path(frame, y, groups=groups[::-1], lambdas=3)
    weights = pd.Series(np.arange(1.0, 4.0), index=[0, 1, 2])[::-1]
    with pytest.raises(ValueError, match=r"penalty_factor.reindex\(np.unique\(groups\)\)"):
        l1jax.path(frame, y, groups=groups, penalty_factor=weights, lambdas=3)
    assert ordered.feature_names.tolist() == frame.columns.tolist()
    np.testing.assert_array_equal(ordered.predict(frame), ordered.predict(X))
    with pytest.raises(ValueError, match=r"another order.*X\[res.feature_names\]"):
        ordered.predict(frame[frame.columns[::-1]])
    with pytest.raises(ValueError, match="in another order or with other labels"):  # (partly)
        l1jax.path(frame, y, penalty_factor=factors.rename({"x0": "z"})[::-1], lambdas=3)
    by_position = pd.Series(factors.to_numpy())  # (pandas' default index: by position)
    assert l1jax.path(frame, y, penalty_factor=by_position, lambdas=3).coef.shape[1] == X.shape[1]
    np.testing.assert_array_equal(ordered.predict(pd.DataFrame(X)), ordered.predict(X))
    with pytest.raises(ValueError, match=r"not seen in the fit: \['extra'\]"):
        ordered.predict(frame.assign(extra=1.0))
    cv = l1jax.cv_path(frame, y, lambdas=3, n_folds=3)
    assert cv.path.feature_names.tolist() == frame.columns.tolist()
    # labels of any kind: dates (a wide time series) and intervals (pd.cut) were read by position
    for labels in (pd.date_range("2024-01-01", periods=X.shape[1]),
                   pd.interval_range(0, X.shape[1])):  # fmt: skip
        dated = pd.DataFrame(X, columns=labels)
        with pytest.raises(ValueError, match=r"penalty_factor.reindex\(X.columns\)"):
            l1jax.path(dated, y, penalty_factor=factors.set_axis(labels)[::-1], lambdas=3)
    # (a NaN label equals no label, itself neither: X's own columns were another order)
    labels = pd.Index([np.nan, *range(1, X.shape[1])], dtype=float)
    numbered = pd.DataFrame(X, columns=labels)
    res = l1jax.path(numbered, y, penalty_factor=factors.set_axis(labels), lambdas=3)
    np.testing.assert_allclose(res.coef, ordered.coef, atol=1e-12)
    with pytest.raises(ValueError, match=r"penalty_factor.reindex\(X.columns\)"):
        l1jax.path(numbered, y, penalty_factor=factors.set_axis(labels)[::-1], lambdas=3)
    assert l1jax.path(X, y, lambdas=3).feature_names is None
    from l1jax.estimators import GroupLasso

    with pytest.raises(ValueError, match=r"^groups is a Series .*groups.reindex\(X.columns\)"):
        GroupLasso(alpha=0.1, groups=groups[::-1]).fit(frame, y)
    with pytest.raises(ValueError, match=r"^weights is a Series .*weights.reindex\(np.unique"):
        GroupLasso(alpha=0.1, groups=groups, weights=weights).fit(frame, y)


def test_pandas_text_and_missing_values_are_read_as_path_reads_them():
    """Numbers held as text columns are float64 (they were solved in float32 with x64 off), and
    predict reads them too; NA in labels is named (pd.NA != pd.NA raised "boolean value of NA
    is ambiguous"); time spans are refused by name (float() failed inside)."""
    pd = pytest.importorskip("pandas")
    X, y = _data()
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    text = frame.assign(x1=frame["x1"].astype(str))
    with jax.enable_x64(False):
        res = l1jax.path(text, y, lambdas=3)
        assert res.coef.dtype == np.float64
        np.testing.assert_allclose(res.predict(text), res.predict(X), rtol=1e-12)
    labels = pd.Series(np.where(y > 0, "a", "b"), dtype="string")
    labels.iloc[2] = pd.NA
    with pytest.raises(ValueError, match="y contains missing class labels"):
        l1jax.path(X, labels, loss="multinomial", lambdas=3)
    with pytest.raises(TypeError, match=r"X holds time spans .*astype\('timedelta64\[s\]'\)"):
        l1jax.path(np.arange(N).astype("timedelta64[s]").reshape(-1, 1), y)
    nan = X.copy()
    nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        res.predict(nan)
    # (a float frame's NaN was named by no column, a nullable one's by its column)
    frame = pd.DataFrame(nan, columns=[f"x{j}" for j in range(X.shape[1])])
    for fit in (l1jax.path, l1jax.cv_path, l1jax.stability_selection):  # (by index in the
        with pytest.raises(ValueError, match=r"^X contains NaN or inf in columns \['x0'\]"):
            fit(frame, y, lambdas=3)  # last two, which pass a NumPy copy to their fits)
    with pytest.raises(ValueError, match=r"^X contains NaN or inf in columns \[0\]"):
        l1jax.path(nan, y, lambdas=3)


def test_logistic_labels_that_are_no_numbers_are_named_with_an_encoding():
    """loss='logistic' with text labels said only that y must be numeric: now the labels are
    named, with an encoding as 0/1 and loss='multinomial' (which takes labels); in path,
    cv_path and stability_selection."""
    X, y = _data()
    words = np.where(y > np.median(y), "yes", "no")
    for fit in (l1jax.path, l1jax.cv_path, l1jax.stability_selection):
        with pytest.raises(
            TypeError,
            match=r"y holds labels \('no', 'yes'\) for "
            r"loss='logistic'.*\(y == 'yes'\) \* 1\.0.*multinomial",
        ):
            fit(X, words, loss="logistic", lambdas=3)
    res = l1jax.path(X, (words == "yes") * 1.0, loss="logistic", lambdas=3)  # (as it says)
    assert res.converged.all()
    with pytest.raises(TypeError, match=r"\by must be a numeric array.*missing values"):
        l1jax.path(X, np.where(y > 0, "a", None), loss="logistic", lambdas=3)


_LAYOUTS = {
    "C": lambda X: X,
    "F": np.asfortranarray,
    "strided": lambda X: np.asfortranarray(X)[::3, ::-1],
    "float32": lambda X: X.astype(np.float32),
    "float16": lambda X: X.astype(np.float16),  # (a sum of squares that overflows: looked at)
}


@pytest.mark.parametrize("layout", list(_LAYOUTS))
@pytest.mark.parametrize(
    "bad, refused",
    [(None, None), (np.nan, "NaN or inf"), (np.inf, "NaN or inf"), (-np.inf, "NaN or inf"),
     (1e160, "too large")],
)  # fmt: skip
def test_one_pass_bound_of_x_refuses_what_the_entrywise_checks_refuse(layout, bad, refused):
    """path's boundary bounds X's entries by their sum of squares (one pass) and looks at them
    one by one only when that sum is not small enough: on every layout and dtype a NaN, an inf
    or an entry whose squares overflow is refused, and ordinary data passes."""
    from l1jax._inputs import check_magnitude

    X = np.random.default_rng(0).standard_normal((300, 40)) * 100
    if bad is not None:
        X[123, 8] = bad
    X = _LAYOUTS[layout](X)
    if refused == "too large" and X.dtype != np.float64:
        refused = "NaN or inf"  # (1e160 is inf in float32 and float16)
    if refused is None:
        check_magnitude(X, "X", X.shape[0], np.float64)
    else:
        with pytest.raises(ValueError, match=refused):
            check_magnitude(X, "X", X.shape[0], np.float64)


def test_float32_sample_weight_raises_no_runtime_warning():
    """The weights' scale was compared with 1e100 in float32 (overflow in cast)."""
    import warnings

    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = l1jax.path(X, y, lambdas=3, sample_weight=np.ones(N, np.float32))
    np.testing.assert_allclose(res.coef, l1jax.path(X, y, lambdas=3).coef, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "call",
    [
        lambda X, y: l1jax.path(X, y, lambdas=np.array([1e300, 0.5])),
        lambda X, y: l1jax.cv_path(X, y, lambdas=np.array([1e300, 0.1])),
        lambda X, y: l1jax.path(X, y, lambdas=np.array([0.1, 1e-50])),
        lambda X, y: l1jax.solve_path(jnp.asarray(X), jnp.asarray(y), np.array([1e40, 0.1])),
    ],
)
def test_lambdas_beyond_the_data_dtype_are_refused(call):
    """float32 data: a λ of 1e300 became inf (NaN results, a warning suggesting max_iter), one
    of 1e-50 became 0 (an unpenalized fit nobody asked for)."""
    X, y = _data()
    with pytest.raises(ValueError, match=r"lambdas must lie within float32's range"):
        call(X.astype(np.float32), y.astype(np.float32))


def test_lambda_min_ratio_below_the_dtype_is_refused():
    X, y = _data()
    with pytest.raises(ValueError, match="lambda_min_ratio must be at least"):
        l1jax.path(X.astype(np.float32), y.astype(np.float32), lambdas=5, lambda_min_ratio=1e-50)
    np.testing.assert_allclose(l1jax.path(X, y, lambdas=np.array([1e300, 0.1])).coef[0], 0)


@pytest.mark.parametrize("dtype, ratio", [(np.float64, 1e-320), (np.float32, 1e-40),
                                          (np.float32, 1e-8)])  # fmt: skip
def test_an_l1_ratio_below_the_dtype_precision_is_refused_with_a_grid(dtype, ratio):
    """λ_max / l1_ratio overflowed: every λ inf and NONFINITE, a warning blaming X's dtype. With
    explicit λs the (ridge-like) fit goes on."""
    X, y = _data()
    X, y = X.astype(dtype), y.astype(dtype)
    with pytest.raises(ValueError, match=r"l1_ratio=.* is below float\d\d's precision"):
        l1jax.path(X, y, lambdas=5, l1_ratio=ratio)
    assert np.all(l1jax.path(X, y, lambdas=[1.0, 0.1], l1_ratio=ratio, tol=1e-4).converged)


@pytest.mark.parametrize("dtype, scale", [(np.float64, 1e-156), (np.float64, 1e-162),
                                          (np.float32, 1e-18)])  # fmt: skip
def test_a_y_too_small_for_its_dtype_is_refused(dtype, scale):
    """y scaled down until its squares (the objective, P_null and the duality gap) underflow:
    the device flushed them to 0, and every λ was certified with a gap of 0, 2.5e-3 from its
    optimum (1e-156 in float64; 6.7e-4 in float32 at 1e-18), or, below 1e-161, the null model
    came back as converged. A y scaled down less, within the dtype, fits the same path scaled
    (the squared loss is homogeneous), every λ converged."""
    X, y = _data()
    X, y = X.astype(dtype), y.astype(dtype)
    ref = l1jax.path(X, y, lambdas=6)
    with pytest.raises(ValueError, match=rf"y has entries .* too small for {np.dtype(dtype).name}"):
        l1jax.path(X, y * dtype(scale), lambdas=ref.lambdas * dtype(scale))
    ok = dtype(1e-140 if dtype == np.float64 else 1e-14)
    res = l1jax.path(X, y * ok, lambdas=ref.lambdas * ok)
    assert res.converged.all()
    atol = (1e-6 if dtype == np.float64 else 1e-3) * np.abs(ref.coef).max()
    np.testing.assert_allclose(res.coef / ok, ref.coef, rtol=0, atol=atol)


def test_a_poisson_y_out_of_range_is_told_how_rescaling_changes_its_fit():
    """The refusals of a y too small or too large told a Poisson user the squared loss's rule
    ("coefficients, intercept and λs scale with it"): a Poisson fit's coefficients stay, its
    intercept moves by the factor's log, its λs scale (checked here, at 1e3)."""
    X, y = _data()
    counts = np.round(np.exp(0.3 * X[:, 0]) * 3)
    for scale in (1e-150, 1e160):
        with pytest.raises(ValueError, match=r"Poisson loss's coefficients stay, its intercept"):
            l1jax.path(X, counts * scale, loss="poisson", lambdas=4)
    with pytest.raises(ValueError, match=r"a squared loss's coefficients, intercept and"):
        l1jax.path(X, y * 1e-150, lambdas=4)
    a = l1jax.path(X, counts, loss="poisson", lambdas=np.array([0.05]), tol=1e-12)
    b = l1jax.path(X, counts * 1e3, loss="poisson", lambdas=np.array([50.0]), tol=1e-12)
    np.testing.assert_allclose(b.coef, a.coef, atol=1e-10)
    np.testing.assert_allclose(b.intercept - a.intercept, np.log(1e3), rtol=1e-10)


@pytest.mark.parametrize("dtype, factor", [(np.float32, 1e-40), (np.float64, 1e-310),
                                           (np.float32, 1e300)])  # fmt: skip
def test_penalty_factors_the_dtype_cannot_hold_are_refused(dtype, factor):
    """A subnormal factor was positive on the host (no unpenalized block) and 0 on the device
    (which flushes it): its column was left out of λ_max and of the certificate, and the first
    λ returned the null model, converged, 0.16 from its optimum. One beyond float32's range
    became inf (every λ NONFINITE, a NumPy overflow warning)."""
    X, y = _data()
    v = np.r_[factor, np.ones(P - 1)]
    with pytest.raises(ValueError, match=r"penalty_factor must be 0 or between"):
        l1jax.path(X.astype(dtype), y.astype(dtype), penalty_factor=v, lambdas=4)


def test_solve_path_refuses_a_y_and_factors_too_small_for_the_dtype():
    """The same checks in the traceable solver, for concrete arguments."""
    X, y = _data()
    X, y = jnp.asarray(X, jnp.float32), jnp.asarray(y, jnp.float32)
    lams = jnp.array([0.1, 0.01], jnp.float32)
    with pytest.raises(ValueError, match=r"y has entries .* too small for float32"):
        l1jax.solve_path(X, y * 1e-18, lams)
    with pytest.raises(ValueError, match=r"penalty_factor must be 0 or between"):
        l1jax.solve_path(X, y, lams, penalty_factor=jnp.array([1e-40, 1.0, 1.0, 1.0, 1.0]))
    assert bool(l1jax.solve_path(X, y * 1e-14, lams * 1e-14, tol=1e-5).converged.all())


def test_a_ragged_x_is_named():
    with pytest.raises(ValueError, match=r"X must be a rectangular array"):
        l1jax.path([[1.0, 2.0], [3.0]], [1.0, 2.0])


@pytest.mark.parametrize("groups", [None, np.arange(6) // 2])
def test_an_inf_penalty_factor_names_glmnets_exclude(groups):
    """glmnet leaves a feature out where its penalty.factor is Inf; here that is dropping its
    column, said so (the message was "remove or impute those entries")."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 6)), rng.standard_normal(30)
    v = np.ones(6 if groups is None else 3)
    v[1] = np.inf
    what = "feature" if groups is None else "group"
    with pytest.raises(ValueError, match=rf"penalty_factor is inf for {what} \[1\]: .*exclude"):
        l1jax.path(X, y, penalty_factor=v, groups=groups)


def test_float64_columns_too_small_to_square_are_refused():
    """A float64 column of 1e-160 has a subnormal sum of squares (XLA flushes it to 0): every
    coefficient came back 0 with a non-finite iterate; a whole X of 1e-170 underflowed to sums
    of squares of 0 on the host, was dropped as constant columns and certified (all zeros where
    y was 3 X₀ × 1e170). Refused by name; 1e-140 is fitted, as X in its own units."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 6))
    y = -3 * X[:, 0] + 0.5 * X[:, 1] + rng.standard_normal(60)
    tiny = X.copy()
    tiny[:, 2] *= 1e-160
    sub = X.copy()
    sub[:, 4] *= 1e-310  # (subnormal: the device's arithmetic reads it as 0)
    for M in (tiny, sp.csr_matrix(tiny), X * 1e-170, jnp.asarray(sub)):
        for standardize in (True, False):
            with pytest.raises(ValueError, match=r"X's column \d has a spread of .* below the "
                                                 r"1e-150 that float64 can fit"):  # fmt: skip
                l1jax.path(M, y, lambdas=3, standardize=standardize)
    ref = l1jax.path(X, y, lambdas=5, tol=1e-12)
    small = l1jax.path(X * 1e-140, y, lambdas=5, tol=1e-12)
    np.testing.assert_allclose(small.coef * 1e-140, ref.coef, rtol=1e-9, atol=1e-12)


def test_integer_coo_duplicates_are_summed_in_float():
    """A COO X's duplicate entries are summed as numbers: converted to CSC in its own dtype,
    an int8 X's sums wrapped (185 read as -71) and a bool X's were or-ed, unlike the same X
    given to l1jax's estimators."""
    rng = np.random.default_rng(0)
    rows, cols = np.repeat(np.arange(30), 2), np.zeros(60, int)
    vals = rng.integers(60, 110, 60).astype(np.int8)  # (pairs summing past 127)
    dense = np.bincount(rows, vals.astype(float), minlength=30)[:, None]
    y = dense[:, 0] * 0.05 + rng.standard_normal(30)
    ref = l1jax.path(dense, y, lambdas=[0.01])
    for data in (vals, vals > 80):
        X = sp.coo_matrix((data, (rows, cols)), shape=(30, 1))
        summed = np.bincount(rows, data.astype(float), minlength=30)[:, None]
        want = ref if data.dtype != bool else l1jax.path(summed, y, lambdas=[0.01])
        res = l1jax.path(X, y, lambdas=[0.01])
        np.testing.assert_allclose(res.coef, want.coef, rtol=1e-9)
        dense_X = sp.coo_matrix((data.astype(float), (rows, cols)), shape=(30, 1)).toarray()
        np.testing.assert_allclose(res.predict(X), want.predict(dense_X), rtol=1e-9)


def test_masked_lambdas_fold_ids_and_groups_are_refused():
    """Masked entries of lambdas, fold_ids and groups were used with their hidden values (X, y,
    sample_weight and penalty_factor were refused already)."""
    X, y = _data()
    lam = np.ma.array([0.5, 0.1, 0.01], mask=[False, True, False])
    with pytest.raises(ValueError, match=r"^lambdas is a masked array"):
        l1jax.path(X, y, lambdas=lam)
    with pytest.raises(ValueError, match=r"^lambdas is a masked array"):
        l1jax.stability_selection(X, y, n_subsamples=4, lambdas=lam)
    folds = np.ma.array(np.arange(N) % 3, mask=np.arange(N) == 0)
    with pytest.raises(ValueError, match=r"^fold_ids is a masked array"):
        l1jax.cv_path(X, y, lambdas=[0.5, 0.1], fold_ids=folds)
    groups = np.ma.array(np.arange(X.shape[1]) // 2, mask=np.arange(X.shape[1]) == 1)
    with pytest.raises(ValueError, match=r"^groups is a masked array"):
        l1jax.path(X, y, lambdas=[0.1], groups=groups)
    # (a masked array without masked entries is its data; pandas' label "_mask" is no mask)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X).rename(columns={0: "_mask"}).rename(columns=str)
    np.testing.assert_allclose(l1jax.path(frame, y, lambdas=[0.1]).coef,
                               l1jax.path(X, y, lambdas=[0.1]).coef, rtol=1e-12)  # fmt: skip
    labelled = pd.Series([0.5, 0.1], index=["_mask", "b"])
    np.testing.assert_array_equal(l1jax.path(X, y, lambdas=labelled).lambdas, [0.5, 0.1])
    np.testing.assert_array_equal(l1jax.path(X, y, lambdas=np.ma.array([0.5, 0.1])).lambdas,
                                  [0.5, 0.1])  # fmt: skip


class _Frame:
    """A data frame as l1jax reads one, without pandas (not in the test extra): ``columns``
    (pandas, polars) or ``column_names`` beside ``columns`` of column data (pyarrow)."""

    def __init__(self, values, names, arrow=False):
        self.values = np.asarray(values)
        if arrow:
            self.column_names = list(names)
            self.columns = [self.values[:, j] for j in range(self.values.shape[1])]
        else:
            self.columns = list(names)

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)

    @property
    def shape(self):
        return self.values.shape


def test_frames_column_names_follow_scikit_learns_rules():
    """A pyarrow Table's names are its ``column_names`` (its ``columns`` are the columns: no
    names were kept, and predict read a reordered Table by position, 11.5 off); names of mixed
    types and repeated names are refused as scikit-learn's estimators refuse them (they were
    kept or dropped, and predict read a frame with two columns swapped by position)."""
    X, y = _data()
    names = [f"x{j}" for j in range(X.shape[1])]
    res = l1jax.path(_Frame(X, names, arrow=True), y, lambdas=[0.1])
    assert list(res.feature_names) == names
    with pytest.raises(ValueError, match="another order"):
        res.predict(_Frame(X[:, ::-1], names[::-1], arrow=True))
    mixed, repeated = [1, *names[1:]], ["a", "a", *names[2:]]
    fits = (lambda F: l1jax.path(F, y, lambdas=[0.1]),
            lambda F: l1jax.cv_path(F, y, lambdas=[0.1]),
            lambda F: l1jax.stability_selection(F, y, n_subsamples=2, lambdas=[0.1]))  # fmt: skip
    for fit in fits:
        with pytest.raises(TypeError, match=r"^X's column names must be all strings or none"):
            fit(_Frame(X, mixed))
        with pytest.raises(ValueError, match=r"^X has repeated column names \['a'\]"):
            fit(_Frame(X, repeated))
    assert l1jax.path(_Frame(X, range(X.shape[1])), y, lambdas=[0.1]).feature_names is None
    # (a pandas frame with a column named "column_names" has that column as an attribute: it
    # was taken for the names, and the order checks were lost)
    frame = _Frame(X, ["column_names", *names[1:]])
    frame.column_names = X[:, 0]
    assert list(l1jax.path(frame, y, lambdas=[0.1]).feature_names) == frame.columns


def test_numbers_held_as_objects_or_in_unknown_frames_keep_their_precision():
    """With x64 off, a list of Decimals was solved in float32 (an object array of them in
    float64, as float64 data are), and a frame whose column types NumPy cannot read (polars')
    in float64 even when they were float32."""
    import decimal

    X, y = _data()
    X32 = X.astype(np.float32)

    class Polars(_Frame):  # (dtypes that NumPy cannot read)
        dtypes = [object()]

    with jax.enable_x64(False):
        decimals = [[decimal.Decimal(str(float(v))) for v in row] for row in X]
        assert l1jax.path(decimals, y, lambdas=[0.1]).coef.dtype == np.float64
        assert l1jax.path(Polars(X32, "abcdef"[: X.shape[1]]), y, lambdas=[0.1]).coef.dtype == \
            np.float32  # fmt: skip


def test_a_column_far_from_zero_is_not_taken_for_constant():
    """A column of 10¹¹ + z (spread 1e-11 of its mean, held by float64 to 4e-6) was taken for
    constant by a 1e-10 rule and dropped, and the fit without it certified (0.95·P_null from
    the optimum); with an intercept a shift of a column changes nothing."""
    rng = np.random.default_rng(0)
    z, noise = rng.standard_normal(50), rng.standard_normal(50)
    y = z + 0.1 * noise
    shifted = l1jax.path(np.c_[1e11 + z, noise], y, lambdas=[0.01], tol=1e-10)
    plain = l1jax.path(np.c_[z, noise], y, lambdas=[0.01], tol=1e-10)
    np.testing.assert_allclose(shifted.coef, plain.coef, rtol=1e-4, atol=1e-6)
    assert shifted.coef[0, 0] > 0.9
    # (a constant column is still one: its centring's rounding is no feature)
    const = l1jax.path(np.c_[np.full(50, 1e11), noise], y, lambdas=[0.01],
                       sample_weight=rng.uniform(0.5, 2, 50), standardize=False)  # fmt: skip
    assert const.coef[0, 0] == 0

"""cv_path: equal to K-fold CV done by hand with l1jax.path, the λ-selection rules, the refit,
the folds, and bad input."""

from __future__ import annotations

import warnings

import jax
import numpy as np
import pytest

import l1jax
from l1jax.cv import _weighted_auc

TOL = 1e-11  # relative duality gap of both the folds and the hand-made reference
K = 12
RATIO = 1e-2  # the small-λ end of the grid, where the fits are slowest


def _data(n=60, p=5, seed=0, loss="squared"):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * np.linspace(1.0, 3.0, p) + 0.5
    eta = X @ np.array([1.0, -0.8, 0.0, 0.4, 0.0][:p]) * (0.7 if loss != "squared" else 1.0)
    if loss == "squared":
        y = eta + rng.standard_normal(n)
    elif loss == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = rng.poisson(np.exp(0.3 * eta)).astype(float)
    return X, y


def _unit(scoring, loss, y, eta):
    """Per-sample held-out losses, written out from the textbook formulas."""
    if scoring == "mse":
        return (y - eta) ** 2
    if scoring == "misclassification":
        return ((eta > 0).astype(float) != y).astype(float)
    if loss == "logistic":
        p = 1 / (1 + np.exp(-eta))
        return -2 * (y * np.log(p) + (1 - y) * np.log(1 - p))
    mu = np.exp(eta)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 2 * (np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu))


def _by_hand(X, y, cv, loss, scoring, sample_weight=None, **options):
    """K-fold CV with l1jax.path on the training rows of each fold, scored on the held-out rows."""
    s = np.ones(y.size) if sample_weight is None else sample_weight
    scores, weights = [], []
    for f in range(cv.fold_ids.max() + 1):
        test = cv.fold_ids == f
        fit = l1jax.path(
            X[~test], y[~test], loss=loss, lambdas=cv.lambdas, tol=TOL, max_iter=200_000,
            sample_weight=None if sample_weight is None else s[~test], **options,
        )  # fmt: skip
        eta = fit.intercept[:, None] + fit.coef @ X[test].T  # (K, m)
        if scoring == "auc":
            from sklearn.metrics import roc_auc_score

            scores.append([roc_auc_score(y[test], e, sample_weight=s[test]) for e in eta])
        else:
            scores.append(_unit(scoring, loss, y[test], eta) @ s[test] / s[test].sum())
        weights.append(s[test].sum())
    scores, w = np.array(scores), np.array(weights)
    mean = w @ scores / w.sum()
    F = len(w)
    se = np.sqrt(w @ (scores - mean) ** 2 / w.sum() / (F - 1))
    return scores, mean, se


CASES = {
    "squared-mse": dict(loss="squared", scoring="mse"),
    "squared-weighted": dict(loss="squared", scoring="mse", weighted=True),
    "logistic-deviance": dict(loss="logistic", scoring="deviance"),
    "logistic-auc": dict(loss="logistic", scoring="auc"),
    "poisson-deviance": dict(loss="poisson", scoring="deviance"),
}


@pytest.mark.parametrize("case", CASES)
def test_cv_path_equals_kfold_by_hand(case):
    opts = CASES[case]
    loss, scoring = opts["loss"], opts["scoring"]
    X, y = _data(loss=loss)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, y.size) if opts.get("weighted") else None
    fold_ids = np.arange(y.size) % 4
    cv = l1jax.cv_path(X, y, fold_ids=fold_ids, loss=loss, scoring=scoring, lambdas=K,
                       lambda_min_ratio=RATIO, sample_weight=sw, tol=TOL,
                       max_iter=200_000)  # fmt: skip
    scores, mean, se = _by_hand(X, y, cv, loss, scoring, sw)
    np.testing.assert_allclose(cv.fold_scores, scores, rtol=1e-6)
    np.testing.assert_allclose(cv.cv_mean, mean, rtol=1e-6)
    np.testing.assert_allclose(cv.cv_se, se, rtol=1e-6)
    if sw is None:  # equal folds: the mean of the fold scores and their std (ddof=1) / √F
        np.testing.assert_allclose(cv.cv_mean, cv.fold_scores.mean(axis=0), rtol=1e-12)
        se = cv.fold_scores.std(axis=0, ddof=1) / 2
        np.testing.assert_allclose(cv.cv_se, se, rtol=1e-12)
    # The refit is l1jax.path on all the data, with the same options.
    full = l1jax.path(X, y, loss=loss, lambdas=K, lambda_min_ratio=RATIO, sample_weight=sw,
                      tol=TOL, max_iter=200_000)  # fmt: skip
    for a, b in zip(cv.path, full, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(cv.lambdas, full.lambdas)
    _check_selection(cv)


def test_folds_gram_matrices_from_one_product_of_x(monkeypatch):
    """A fold's Gram matrix (squared loss, p ≤ n) is X's whole product less its held-out rows'
    (_inputs.RowGrams): equal to its kept rows' own product, for X or a view of all of it, and
    None for any other array; cv_path takes it for every fold and for the refit (and the refit's
    λ grid), whose path is l1jax.path's, and scores as by hand."""
    from l1jax import _inputs

    X, y = _data(n=90)
    held = np.arange(90) % 5 == 2
    grams = _inputs.RowGrams(X)
    kept = X[~held]
    np.testing.assert_allclose(grams(X[:], ~held), kept.T @ kept, rtol=1e-13,
                               atol=1e-13 * np.abs(X.T @ X).max())  # fmt: skip
    np.testing.assert_array_equal(grams(X, None), X.T @ X)
    assert grams(X.copy(), None) is None and grams(kept, None) is None
    assert grams(X[:, :4], None) is None and grams(X[:80], None) is None
    strided = np.repeat(X, 2, axis=1)[:, ::2]  # (not contiguous: products a slice at a time)
    np.testing.assert_allclose(_inputs.RowGrams(strided)(strided, ~held), kept.T @ kept,
                               rtol=1e-13, atol=1e-13 * np.abs(X.T @ X).max())  # fmt: skip
    calls = []
    monkeypatch.setattr(_inputs.RowGrams, "__call__",
                        lambda self, X, rows, call=_inputs.RowGrams.__call__:
                        calls.append(call(self, X, rows)) or calls[-1])  # fmt: skip
    fold_ids = np.arange(90) % 5
    cv = l1jax.cv_path(X, y, fold_ids=fold_ids, lambdas=K, lambda_min_ratio=RATIO, tol=TOL)
    # (5 folds, the refit, and its λ grid where a fold runs beside it: _workers; folds fitted
    # batched, on an accelerator, form no Gram matrix on the host, nor does a GPU's refit)
    batched, refit = l1jax.cv._batched(None), int(l1jax.engine.host_gram("squared", X, None))
    grid = int(not batched and l1jax.cv._workers(6, X) > 1)
    assert len(calls) == refit + (0 if batched else 5 + grid)
    assert all(G is not None for G in calls)
    ref = l1jax.path(X, y, lambdas=K, lambda_min_ratio=RATIO, tol=TOL)
    np.testing.assert_array_equal(cv.path.lambdas, ref.lambdas)
    np.testing.assert_allclose(cv.path.coef, ref.coef, rtol=1e-12, atol=1e-14)
    scores, mean, _ = _by_hand(X, y, cv, "squared", "mse", None)
    np.testing.assert_allclose(cv.fold_scores, scores, rtol=1e-6)
    np.testing.assert_allclose(cv.cv_mean, mean, rtol=1e-6)
    calls.clear()  # a float32 X: the folds get it as it is (no float64 copy), and so do the
    # refit and its λ grid: one product of it for every fit (before, the refit's was its own)
    l1jax.cv_path(X.astype(np.float32), y.astype(np.float32), fold_ids=fold_ids, lambdas=K)
    assert len(calls) == refit + (0 if batched else 5 + grid)
    assert all(G is not None for G in calls)


OPTIONS = {
    "no-intercept": dict(fit_intercept=False),
    "positive": dict(positive=True),
    "elastic-net": dict(l1_ratio=0.5),
    "raw-scale-penalty-factor": dict(standardize=False, penalty_factor=[0.0, 1.0, 2.0, 1.0, 1.0]),
}


@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("option", OPTIONS)
def test_cv_path_options_equal_kfold_by_hand(loss, option):
    """Every fit option reaches the fold fits as it reaches path() (squared loss: the folds'
    Gram-form solver; logistic: the design-form one)."""
    X, y = _data(loss=loss)
    scoring = "mse" if loss == "squared" else "deviance"
    cv = l1jax.cv_path(X, y, fold_ids=np.arange(y.size) % 4, loss=loss, lambdas=K,
                       lambda_min_ratio=RATIO, tol=TOL, max_iter=200_000,
                       **OPTIONS[option])  # fmt: skip
    scores, mean, _ = _by_hand(X, y, cv, loss, scoring, **OPTIONS[option])
    np.testing.assert_allclose(cv.fold_scores, scores, rtol=1e-6)
    np.testing.assert_allclose(cv.cv_mean, mean, rtol=1e-6)


def _check_selection(cv):
    sign = -1 if cv.scoring == "auc" else 1
    best = sign * cv.cv_mean
    assert cv.index_min == int(np.argmin(best))
    assert cv.lambda_min == cv.lambdas[cv.index_min]
    within = best <= best[cv.index_min] + cv.cv_se[cv.index_min]
    assert cv.index_1se == int(np.flatnonzero(within)[0])  # λs descend: the first is the largest
    assert cv.lambda_1se == cv.lambdas[cv.index_1se] >= cv.lambda_min
    assert not np.any(within[: cv.index_1se])


def test_misclassification_and_auc_scores_match_formulas():
    rng = np.random.default_rng(3)
    y = (rng.random(30) < 0.5).astype(float)
    eta = rng.standard_normal((3, 30))
    eta[0, :10] = 0.25  # ties
    w = rng.uniform(0.5, 2, 30)
    from sklearn.metrics import roc_auc_score

    expected = [roc_auc_score(y, e, sample_weight=w) for e in eta]
    np.testing.assert_allclose(_weighted_auc(y, eta, w), expected, rtol=1e-12)


def test_default_folds_balanced_reproducible_and_stratified():
    X, y = _data(n=50, loss="logistic")
    from l1jax._inputs import make_fold_ids as _make_fold_ids

    a = _make_fold_ids(y, 5, 0, "logistic")
    np.testing.assert_array_equal(a, _make_fold_ids(y, 5, 0, "logistic"))
    assert not np.array_equal(a, _make_fold_ids(y, 5, 1, "logistic"))
    assert np.all(np.bincount(a) == 10)
    for f in range(5):  # each fold holds about the class balance of the data
        assert abs(y[a == f].mean() - y.mean()) <= 1 / 10 + 1e-12
    b = _make_fold_ids(y, 7, 0, "squared")
    assert np.bincount(b).max() - np.bincount(b).min() <= 1


BAD = [
    (dict(n_folds=1), ValueError, "n_folds"),
    (dict(n_folds=21), ValueError, "n_folds"),
    (dict(n_folds=2.5), TypeError, "n_folds"),
    (dict(fold_ids=np.zeros(19, int)), ValueError, "fold_ids"),
    (dict(fold_ids=np.zeros(20, int)), ValueError, "fold_ids"),
    (dict(fold_ids=np.arange(20) % 3 * 2), ValueError, "fold 1 empty"),
    (dict(fold_ids=np.arange(20) % 2 - 0.5), ValueError, "fold_ids"),
    (dict(fold_ids=np.array(["a", "b"] * 10)), TypeError, "fold_ids"),
    (dict(fold_ids=np.arange(20) % 2 + 0j), TypeError, "fold_ids must hold integer"),
    # (all negative: was blamed on the folds, "fold 0 holds out no sample with positive ...")
    (dict(sample_weight=-np.ones(20)), ValueError, "^sample_weight must be non-negative"),
    # (all zero: also blamed on the folds; path and solve_path said what it is)
    (dict(sample_weight=np.zeros(20)), ValueError, "^sample_weight is all zero"),
    (
        dict(sample_weight=np.zeros(20), fold_ids=np.arange(20) % 2),
        ValueError,
        "^sample_weight is all zero",
    ),
    (dict(scoring="auc"), ValueError, "scoring"),
    (dict(scoring="r2"), ValueError, "scoring"),
    (dict(loss="hinge"), ValueError, "loss"),
    (
        dict(sample_weight=np.r_[np.zeros(10), np.ones(10)], fold_ids=np.arange(20) // 10),
        ValueError,
        "fold 0",
    ),
    (dict(l1_ratio=2.0), ValueError, "l1_ratio"),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), BAD)
def test_bad_input(kwargs, error, match):
    X, y = _data(n=20)
    with pytest.raises(error, match=match):
        l1jax.cv_path(X, y, lambdas=3, **kwargs)


def test_bad_logistic_folds():
    X = np.random.default_rng(0).standard_normal((8, 2))
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1.0])
    with pytest.raises(ValueError, match="single class"):
        l1jax.cv_path(X, y, loss="logistic", fold_ids=np.arange(8) // 4)
    with pytest.raises(ValueError, match="AUC"):
        l1jax.cv_path(X, y, loss="logistic", scoring="auc",
                      fold_ids=np.array([0, 1, 2, 0, 1, 2, 1, 2]))  # fmt: skip
    with pytest.raises(ValueError, match="X"):
        l1jax.cv_path(X[:, 0], y)
    # One sample of a class, or one nonzero count: no folds can train with it everywhere
    # ("use fewer folds" was told); weight 0 on a second one counts it out.
    one = np.array([0, 0, 0, 0, 0, 0, 0, 1.0])
    for loss in ("logistic", "poisson"):
        what = "one sample of class 1.0" if loss == "logistic" else "one nonzero count"
        with pytest.raises(ValueError, match=f"y has {what} .* needs at least 2"):
            l1jax.cv_path(X, one, loss=loss, n_folds=2)
    with pytest.raises(ValueError, match="y has one sample of class 1.0"):
        l1jax.cv_path(X, y, loss="logistic", n_folds=2, sample_weight=np.r_[np.ones(5), 0, 0, 0.0])
    with pytest.raises(ValueError, match="sample_weight gives weight to the samples of one class"):
        l1jax.cv_path(X, y, loss="logistic", n_folds=2, sample_weight=np.r_[np.ones(4), 0, 0, 0, 0])
    with pytest.raises(ValueError, match="sample_weight gives weight to samples of y 0 only"):
        l1jax.cv_path(X, one, loss="poisson", n_folds=2, sample_weight=np.r_[np.ones(7), 0.0])


WIDE = {  # p ≫ n: the folds are solved on working sets of the columns that matter
    "default": {},
    "positive-elastic-net-penalty-factor": dict(
        positive=True, l1_ratio=0.5, penalty_factor=np.r_[0.0, np.ones(299)]
    ),
}


@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("option", WIDE)
def test_wide_cv_path_equals_kfold_by_hand(loss, option):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 300))
    eta = X[:, :4] @ np.array([1.5, -1.0, 1.0, 0.5])
    y = eta + 0.5 * rng.standard_normal(40) if loss == "squared" else (eta > 0).astype(float)
    scoring = "mse" if loss == "squared" else "deviance"
    with warnings.catch_warnings():  # every fold × λ fit is certified at 1e-12
        warnings.simplefilter("error", l1jax.ConvergenceWarning)
        cv = l1jax.cv_path(X, y, fold_ids=np.arange(40) % 4, loss=loss, lambdas=K,
                           scoring=scoring, lambda_min_ratio=0.05, tol=1e-12, max_iter=200_000,
                           **WIDE[option])  # fmt: skip
    scores, mean, _ = _by_hand(X, y, cv, loss, scoring, **WIDE[option])
    # p ≫ n: the objective is nearly flat along many directions, so a gap of 1e-11..1e-12
    # pins the coefficients only to ~sqrt(gap · P_null / μ) ≈ 1e-6..1e-5 (μ: the curvature
    # left, λ(1 − ρ) or less); held-out scores agree to that, not to the gap itself.
    np.testing.assert_allclose(cv.fold_scores, scores, rtol=3e-5)
    np.testing.assert_allclose(cv.cv_mean, mean, rtol=3e-5)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_large_design_form_folds_fit_their_training_rows_alone(loss, monkeypatch):
    """From ``ROWS_ONLY_ENTRIES`` entries (here: any X), each fold of a design-form CV (p > n,
    or the logistic loss) is fitted on its training rows alone, not on all rows with the
    held-out ones at weight 0, beside the refit and after it; the scores are the by-hand ones.
    A Gram-form CV (the squared loss, p ≤ n) keeps all rows."""
    from l1jax import cv as cv_mod

    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 300))
    eta = X[:, :4] @ np.array([1.5, -1.0, 1.0, 0.5])
    y = eta + 0.5 * rng.standard_normal(40) if loss == "squared" else (eta > 0).astype(float)
    rows, real = [], cv_mod._path

    def spy(X, *args, **kwargs):
        rows.append(X.shape[0])
        return real(X, *args, **kwargs)

    monkeypatch.setattr(cv_mod, "_path", spy)
    monkeypatch.setattr(cv_mod, "BATCHED", False)  # (the CPU route on any backend)
    monkeypatch.setattr(cv_mod, "_workers", lambda jobs, X: 2)  # (fold 0 beside the refit)
    monkeypatch.setattr(cv_mod, "ROWS_ONLY_ENTRIES", 0)
    scoring = "mse" if loss == "squared" else "deviance"
    with warnings.catch_warnings():  # every fold × λ fit is certified at 1e-12
        warnings.simplefilter("error", l1jax.ConvergenceWarning)
        cv = l1jax.cv_path(
            X,
            y,
            fold_ids=np.arange(40) % 4,
            loss=loss,
            lambdas=K,
            scoring=scoring,
            lambda_min_ratio=0.05,
            tol=1e-12,
            max_iter=200_000,
        )
    # the refit's λ grid on all 40 rows (the refit itself: path's own), the 4 folds on their 30
    assert sorted(rows) == [30] * 4 + [40]
    scores, mean, _ = _by_hand(X, y, cv, loss, scoring)
    np.testing.assert_allclose(cv.fold_scores, scores, rtol=3e-5)  # (see the test above)
    np.testing.assert_allclose(cv.cv_mean, mean, rtol=3e-5)
    rows.clear()
    if loss == "squared":  # p ≤ n: the Gram form, on all rows
        l1jax.cv_path(X[:, :20], y, fold_ids=np.arange(40) % 4, lambdas=K)
        assert rows == [40] * 5


@pytest.mark.parametrize("loss", ["squared"])  # (the logistic case: same host loop, +27 s)
def test_working_sets_that_outgrow_their_capacity(loss, monkeypatch):
    """A first capacity of one chunk (128 columns) for supports of ~150 (elastic net, p > n):
    the engine stops, the host runs the next capacity from the same block, and path and
    cv_path give what they give with a capacity that fits from the start."""
    from l1jax import engine

    rng = np.random.default_rng(6)
    X = rng.standard_normal((150, 400))
    eta = X[:, :40] @ rng.uniform(0.2, 0.6, 40)
    y = eta + 0.3 * rng.standard_normal(150) if loss == "squared" else (eta > 0).astype(float)
    kw = dict(loss=loss, l1_ratio=0.2, lambdas=10, tol=1e-10, lambda_min_ratio=0.01)
    ref = l1jax.path(X, y, **kw)
    cv_ref = l1jax.cv_path(X, y, n_folds=3, **kw)
    sizes = []
    run = engine.run

    def recording(*args, capacity, **k):
        sizes.append(capacity)
        return run(*args, capacity=capacity, **k)

    monkeypatch.setattr(engine, "first_capacity", lambda *a, **k: 128)
    monkeypatch.setattr(engine, "run", recording)
    small = l1jax.path(X, y, **kw)
    assert sizes[0] == 128 and len(sizes) > 1  # the support outgrew the first capacity
    assert np.count_nonzero(small.coef[-1]) > 128
    assert small.converged.all() and ref.converged.all()
    np.testing.assert_allclose(small.coef, ref.coef, atol=1e-5)
    np.testing.assert_allclose(small.intercept, ref.intercept, atol=1e-5)
    cv_small = l1jax.cv_path(X, y, n_folds=3, **kw)
    np.testing.assert_allclose(cv_small.cv_mean, cv_ref.cv_mean, rtol=1e-6)
    assert cv_small.index_min == cv_ref.index_min


def test_unconverged_folds_warn_at_the_callers_line():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 60))  # p > n: FISTA on the columns, 1 step per round
    y = X[:, 0] + 0.1 * rng.standard_normal(30)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        l1jax.cv_path(X, y, n_folds=3, lambdas=np.array([0.5, 0.1]), max_iter=1, tol=1e-30)
    # one warning for the folds and one for the refit on all rows (it was "l1jax.path", at a
    # line of l1jax's: the refit runs in a worker thread), both at this line
    mine = [str(w.message).split(":")[0] for w in caught if w.filename == __file__]
    assert sorted(mine) == ["l1jax.cv_path", "l1jax.cv_path (its refit on all rows)"]
    assert len(caught) == 2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_first_fold_runs_beside_the_refit(dtype, monkeypatch):
    """With 2 threads, fold 0 is fitted while the refit runs, on all the λs of the grid (λ_max
    from the refit's own program: the refit's λs bit for bit); the other folds on the λs the
    refit kept before its early stop. The CV equals the one of fits one after another."""
    from l1jax import cv

    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5)).astype(dtype)
    y = (X[:, 0] - 2 * X[:, 1] + rng.standard_normal(60)).astype(dtype)
    grids, real = [], cv._fold_fit

    def spy(*args, **kwargs):
        grids.append(np.array(args[4]))
        return real(*args, **kwargs)

    monkeypatch.setattr(cv, "_fold_fit", spy)
    monkeypatch.setattr(cv, "BATCHED", False)  # (the CPU route on any backend)
    monkeypatch.setattr(cv, "_workers", lambda jobs, X: 2)
    tol = 1e-10 if dtype == np.float64 else 1e-6
    res = l1jax.cv_path(X, y, n_folds=5, lambdas=20, tol=tol)
    K = res.lambdas.size
    assert 5 <= K < 20  # glmnet's early stop
    assert sorted(g.size for g in grids) == [K] * 4 + [20]
    ahead = next(g for g in grids if g.size == 20)
    assert ahead.dtype == dtype
    np.testing.assert_array_equal(ahead[:K], res.lambdas)
    grids.clear()
    monkeypatch.setattr(cv, "_workers", lambda jobs, X: 1)
    seq = l1jax.cv_path(X, y, n_folds=5, lambdas=20, tol=tol)
    assert [g.size for g in grids] == [K] * 5
    np.testing.assert_array_equal(seq.lambdas, res.lambdas)
    np.testing.assert_allclose(res.fold_scores, seq.fold_scores,
                               rtol=1e-7 if dtype == np.float64 else 1e-3)  # fmt: skip
    assert (res.index_min, res.index_1se) == (seq.index_min, seq.index_1se)


def test_folds_with_given_lambdas_run_beside_the_refit(monkeypatch):
    """Given λs (no early stop): every fold runs beside the refit, on those λs; the same fits
    as one after another, bit for bit."""
    from l1jax import cv

    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 8))
    y = X[:, 0] - X[:, 2] + rng.standard_normal(50)
    lams = np.geomspace(1.0, 0.01, 7)
    started = []
    monkeypatch.setattr(cv, "BATCHED", False)
    monkeypatch.setattr(cv, "_workers", lambda jobs, X: 2)
    real = cv._fit_one_by_one

    def spy(*args, **kwargs):
        started.append(sorted(kwargs["ahead"]))
        return real(*args, **kwargs)

    monkeypatch.setattr(cv, "_fit_one_by_one", spy)
    res = l1jax.cv_path(X, y, n_folds=4, lambdas=lams)
    assert started == [[(0, f) for f in range(4)]]
    monkeypatch.setattr(cv, "_workers", lambda jobs, X: 1)
    seq = l1jax.cv_path(X, y, n_folds=4, lambdas=lams)
    assert started[-1] == []
    np.testing.assert_array_equal(res.fold_scores, seq.fold_scores)
    np.testing.assert_array_equal(res.path.coef, seq.path.coef)


def test_batched_folds_keep_off_the_gram_matrix_of_a_bad_free_block(monkeypatch):
    """n > p, two unpenalized columns 1e-7 apart: the vmapped folds (accelerators, meshes)
    stay off the Gram matrix as the folds through path's program do (_inputs.gram_is_exact):
    on it their solutions were off along the pair's weak direction, and the held-out errors of
    the two routes differed by 1.4e-3 (now 3e-5: the objective is flat along that direction,
    and the held-out rows are not)."""
    from test_certificates import _close_free_pair

    from l1jax import cv

    X, y = _close_free_pair()
    kw = dict(
        penalty_factor=np.array([0, 0, 1, 1, 1.0]),
        standardize=False,
        fit_intercept=False,
        lambdas=np.array([8.0, 4.0, 1.0]),
        n_folds=3,
        tol=1e-7,
    )
    means = []
    for batched in (False, True):
        monkeypatch.setattr(cv, "BATCHED", batched)
        means.append(l1jax.cv_path(X, y, **kw).cv_mean)
    np.testing.assert_allclose(means[1], means[0], rtol=2e-4)


def test_batched_folds_leave_out_aliased_free_columns(monkeypatch):
    """Every level of a one-hot encoding, unpenalized, with an intercept: the vmapped fits
    (accelerators, meshes; cv_path's folds and stability_selection's halves) did not leave the
    redundant level out as path does, and every fit came back UNBOUNDED, each with a warning
    telling the user to drop columns. Now no warning, and the scores of the folds one by one."""
    from l1jax import cv

    rng = np.random.default_rng(7)
    n = 80
    level = rng.integers(0, 4, n)
    Z = rng.standard_normal((n, 5))
    X = np.hstack([np.eye(4)[level], Z])
    v = np.r_[np.zeros(4), np.ones(5)]
    y = 0.5 * level + Z @ rng.standard_normal(5) + rng.standard_normal(n)
    means = []
    for batched in (False, True):
        monkeypatch.setattr(cv, "BATCHED", batched)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            means.append(l1jax.cv_path(X, y, penalty_factor=v, lambdas=6, n_folds=4).cv_mean)
            l1jax.stability_selection(X, y, penalty_factor=v, n_subsamples=4, lambdas=4)
    np.testing.assert_allclose(means[1], means[0], rtol=1e-6)


@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_folds_leave_out_float32_aliased_free_columns(monkeypatch, batched, loss):
    """Unpenalized float32 columns with x2 = x0 + x1 to float32's rounding: the refit leaves x2
    out (the aliasing threshold of X's dtype), and so do the folds, which got a float64 copy of
    X and judged it by float64's threshold (17-21 of 21-24 fits UNBOUNDED, warned; with x64 on,
    18 of 24 logistic fits unconverged; the refit's were certified). Now they get X as it is:
    no warning."""
    from l1jax import cv

    monkeypatch.setattr(cv, "BATCHED", batched)
    rng = np.random.default_rng(1)
    X = (rng.standard_normal((90, 12)) * 3 + 2).astype(np.float32)
    X[:, 2] = X[:, 0] + X[:, 1]
    y = X[:, 0].astype(float) - X[:, 4] + rng.standard_normal(90)
    y = y if loss == "squared" else (y > 0).astype(float)
    v = np.r_[np.zeros(3), np.ones(9)]
    with warnings.catch_warnings(), jax.enable_x64(False):  # (JAX's default: float32)
        warnings.simplefilter("error")
        res = l1jax.cv_path(X, y, loss=loss, penalty_factor=v, lambdas=8,
                            fold_ids=np.arange(90) % 3)  # fmt: skip
    assert res.path.converged.all() and np.isfinite(res.cv_mean).all()


def _outlying_counts(x00):
    """Poisson counts whose row 0 lies x00 standard deviations out on the feature that matters:
    fold 0 (fold_ids i % 4) holds it out, and its fit's prediction there overflows e^η."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 4))
    y = rng.poisson(np.exp(0.5 * X[:, 0])).astype(float)
    X[0, 0] = x00
    return X, y, dict(loss="poisson", lambdas=6, lambda_min_ratio=0.01,
                      fold_ids=np.arange(40) % 4)  # fmt: skip


def test_the_choice_is_among_finite_scores():
    """Held-out deviances that overflow (inf) at all λs but the first: λ_min and λ_1se are the
    first λ (cv_se was NaN there, and an IndexError followed); the folds' fits themselves
    converge (the held-out row has weight 0 in them: inert, _inputs.prepare)."""
    X, y, kw = _outlying_counts(1200.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", l1jax.ConvergenceWarning)
        cv = l1jax.cv_path(X, y, **kw)
    assert np.isfinite(cv.cv_mean[0]) and np.all(np.isinf(cv.cv_mean[1:]))
    assert cv.index_min == cv.index_1se == 0
    np.testing.assert_array_equal(np.isfinite(cv.fold_scores[1:]), True)


def test_no_finite_score_is_a_value_error_naming_the_fold():
    X, y, kw = _outlying_counts(1e4)
    with pytest.raises(ValueError, match=r"no λ has a finite cross-validation deviance.*fold\(s\) "
                                         r"\[0\].*rows of X"):  # fmt: skip
        l1jax.cv_path(X, y, **kw)


def test_glmnets_fold_ids_from_one_are_read_from_zero():
    # cv.glmnet's foldid counts 1 … F; l1jax refused it ("fold 0 empty") where a glmnet user
    # porting a script expects the same folds.
    X, y = _data(n=40)
    zero = l1jax.cv_path(X, y, fold_ids=np.arange(40) % 4, lambdas=5)
    one = l1jax.cv_path(X, y, fold_ids=np.arange(40) % 4 + 1, lambdas=5)
    np.testing.assert_array_equal(one.fold_ids, zero.fold_ids)
    np.testing.assert_array_equal(one.fold_scores, zero.fold_scores)
    with pytest.raises(ValueError, match="fold 0 empty .* or glmnet's 1 … F"):  # (with a gap)
        l1jax.cv_path(X, y, fold_ids=np.arange(40) % 3 * 2 + 1, lambdas=5)
    # leave-one-out as glmnet writes it, foldid = 1:n (a label n was refused before the shift)
    Xs, ys = X[:12], y[:12]
    one = l1jax.cv_path(Xs, ys, fold_ids=np.arange(1, 13), lambdas=5)
    zero = l1jax.cv_path(Xs, ys, fold_ids=np.arange(12), lambdas=5)
    np.testing.assert_array_equal(one.fold_scores, zero.fold_scores)
    with pytest.raises(ValueError, match=r"F <= the number of samples \(12\).*got a label 12"):
        l1jax.cv_path(Xs, ys, fold_ids=np.r_[np.arange(12)[:-1], 12], lambdas=5)


def test_float32_folds_whatever_jaxs_x64_flag():
    # The folds got X as the host's float64 copy: with x64 on, float32 data had its folds fitted
    # in float64 (at float32's tol) and its refit in float32; the CV curve moved by 2e-3.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((70, 9)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] + 0.5 * rng.standard_normal(70) > 0).astype(np.float32)
    with jax.enable_x64(False):  # (the suite runs with x64 on: conftest)
        off = l1jax.cv_path(X, y, loss="logistic", n_folds=3, lambdas=20)
    on = l1jax.cv_path(X, y, loss="logistic", n_folds=3, lambdas=20)
    assert on.path.coef.dtype == np.float32
    np.testing.assert_array_equal(on.fold_scores, off.fold_scores)

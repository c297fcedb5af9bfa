"""stability_selection: equal to refitting l1jax.path on each returned half, the error bound,
the threshold, the halves (complementary, stratified, seeded), the λ range and bad input.

Small shapes (n ≤ 128, p ≤ 32, K ≤ 16): the programs of tests/test_cv.py and tests/test_path.py,
compiled once per session."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse

import l1jax

B = 10  # subsamples: 5 complementary pairs
K = 8


def _data(n=60, p=5, seed=0, loss="squared"):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * np.linspace(1.0, 3.0, p) + 0.5
    eta = X @ np.array([1.0, -0.8, 0.0, 0.4, 0.0, 0.0][:p])
    if loss == "squared":
        return X, eta + 1.5 * rng.standard_normal(n)
    return X, (rng.random(n) < 1 / (1 + np.exp(-0.7 * eta))).astype(float)


def _refits(X, y, st, sample_weight=None, **options):
    """(B, K, p) nonzero patterns of l1jax.path on the rows of each half, at the same λs."""
    return np.array([
        l1jax.path(
            X[rows], y[rows], lambdas=st.lambdas,
            sample_weight=None if sample_weight is None else sample_weight[rows], **options,
        ).coef != 0
        for rows in st.subsamples
    ])  # fmt: skip


CASES = {
    "squared": dict(loss="squared"),
    "logistic": dict(loss="logistic"),
    "elastic net, penalty factors, weights": dict(
        loss="squared",
        l1_ratio=0.6,
        penalty_factor=np.array([1.0, 2.0, 1.0, 0.5, 1.0]),
        weighted=True,
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_probabilities_equal_refits_on_the_halves(case):
    options = dict(CASES[case])
    weighted = options.pop("weighted", False)
    X, y = _data(loss=options["loss"])
    w = None
    if weighted:
        w = np.random.default_rng(1).uniform(0.5, 2.0, y.size)
        w[:6] = 0.0  # rows of weight 0 belong to no half
    st = l1jax.stability_selection(X, y, n_subsamples=B, lambdas=K, sample_weight=w, **options)
    assert st.lambdas.shape == (K,) and st.probabilities.shape == (K, 5)
    assert st.subsamples.shape == (B, 60) and st.subsamples.dtype == bool
    if weighted:
        assert not st.subsamples[:, :6].any()
    nonzero = _refits(X, y, st, sample_weight=w, **options)
    np.testing.assert_array_equal(st.probabilities, nonzero.mean(axis=0))
    np.testing.assert_array_equal(st.max_probability, st.probabilities.max(axis=0))
    # q: the mean size of each half's union of supports over the λs; the bound's formula.
    q = nonzero.any(axis=1).sum(axis=1).mean()
    assert st.mean_selected == pytest.approx(q, rel=1e-12)
    assert st.error_bound == pytest.approx(q**2 / ((2 * 0.6 - 1) * 5), rel=1e-12)


def test_known_support_is_recovered():
    rng = np.random.default_rng(0)
    n, p = 100, 20
    X = rng.standard_normal((n, p))
    y = X[:, :3] @ np.array([1.5, -1.0, 1.0]) + rng.standard_normal(n)
    st = l1jax.stability_selection(X, y, n_subsamples=20, lambdas=10)
    assert np.all(st.max_probability[:3] == 1.0)  # the support: in every half
    false = np.flatnonzero(st.selected[3:])
    assert st.selected[:3].all() and false.size <= 1, false  # (none on this draw)
    assert st.max_probability[3:].mean() < 0.3


def test_selected_is_the_threshold_on_the_max_probability():
    X, y = _data()
    low = l1jax.stability_selection(X, y, n_subsamples=B, lambdas=K, threshold=0.55)
    edge = float(np.sort(low.max_probability)[1])  # a probability reached by some feature
    for threshold in (0.55, max(edge, 0.6), 0.9, 1.0):
        st = l1jax.stability_selection(X, y, n_subsamples=B, lambdas=K, threshold=threshold)
        np.testing.assert_array_equal(st.probabilities, low.probabilities)  # same halves
        np.testing.assert_array_equal(st.selected, st.max_probability >= threshold)  # ≥: kept
        assert st.threshold == threshold
        assert st.error_bound == pytest.approx(
            st.mean_selected**2 / ((2 * threshold - 1) * 5), rel=1e-12
        )


def test_complementary_halves_and_seeds():
    X, y = _data(n=61)  # odd: one row sits out of each pair
    st = l1jax.stability_selection(X, y, n_subsamples=B, lambdas=4, seed=7)
    first, second = st.subsamples[0::2], st.subsamples[1::2]
    assert not np.any(first & second)  # disjoint pairs
    assert np.all(st.subsamples.sum(axis=1) == 30)
    assert np.all((first | second).sum(axis=1) == 60)
    assert len({h.tobytes() for h in st.subsamples}) == B
    again = l1jax.stability_selection(X, y, n_subsamples=B, lambdas=4, seed=7)
    for a, b in zip(st, again, strict=True):
        np.testing.assert_array_equal(a, b)
    other = l1jax.stability_selection(X, y, n_subsamples=B, lambdas=4, seed=8)
    assert not np.array_equal(other.subsamples, st.subsamples)


def test_logistic_halves_are_stratified():
    X, _ = _data()
    y = np.zeros(60)
    y[[3, 11, 20, 28, 41, 50, 57]] = 1.0  # 7 positives: 3 in each half, one sits out or not
    st = l1jax.stability_selection(X, y, loss="logistic", n_subsamples=B, lambdas=4)
    positives = st.subsamples[:, y == 1].sum(axis=1)
    assert np.all((positives == 3) | (positives == 4)), positives
    assert np.all(st.subsamples[:, y == 0].sum(axis=1) >= 26)
    with pytest.raises(ValueError, match=r"subsample \d+ holds a single class"):
        l1jax.stability_selection(X, (np.arange(60) == 5).astype(float), loss="logistic",
                                  n_subsamples=2, lambdas=4)  # fmt: skip


def test_a_rare_class_is_split_evenly_whichever_label_it_has():
    X, _ = _data(n=61)  # odd: the row that sits out is of the class of odd count
    rare = np.isin(np.arange(61), [3, 40]).astype(float)  # 2 of 61: 1 in each half
    for y in (rare, 1 - rare):
        st = l1jax.stability_selection(X, y, loss="logistic", n_subsamples=B, lambdas=4)
        np.testing.assert_array_equal(st.subsamples[:, rare == 1].sum(axis=1), 1)
        assert np.all(st.subsamples.sum(axis=1) == 30)


def test_columns_no_fit_can_select_are_not_counted_in_the_bound():
    """Constant columns (on the rows of positive weight) have coefficient 0 in every half:
    counted in the bound's p, they deflated it at will (3,000 beside 20 features: 8.2 to
    0.05, the same fits). Without an intercept a constant column can be selected, a zero one
    cannot."""
    X, y = _data()
    w = np.ones(y.size)
    w[:4] = 0.0
    plain = l1jax.stability_selection(X, y, n_subsamples=B, lambdas=K, sample_weight=w,
                                      threshold=0.6)  # fmt: skip
    flat = np.full((y.size, 4), 2.0)
    flat[:4, 1] = -1.0  # (different on rows of weight 0 only)
    flat[:, 2] = 0.0
    flat[:, 3] = 1.0  # (but for one ulp: constant to path, whose coefficient is 0)
    flat[7, 3] = np.nextafter(1.0, 2.0)
    padded = np.hstack([X, flat])
    for Xp in (padded, scipy.sparse.csr_array(padded[:, :8])):  # (sparse: equal entries only)
        st = l1jax.stability_selection(Xp, y, n_subsamples=B, lambdas=K, sample_weight=w,
                                       threshold=0.6)  # fmt: skip
        np.testing.assert_allclose(st.lambdas, plain.lambdas, rtol=1e-12)  # (same max_selected)
        np.testing.assert_array_equal(st.probabilities[:, :5], plain.probabilities)
        assert not st.probabilities[:, 5:].any()
        assert st.error_bound == pytest.approx(plain.error_bound, rel=1e-12)
    st = l1jax.stability_selection(padded, y, n_subsamples=B, lambdas=K, sample_weight=w,
                                   fit_intercept=False, threshold=0.6)  # fmt: skip
    assert not st.probabilities[:, 7].any()  # (zeros: never; the constant ones may be)
    bound = st.mean_selected**2 / ((2 * 0.6 - 1) * 8)
    assert st.error_bound == pytest.approx(bound, rel=1e-12)


def test_unpenalized_features_are_in_every_fit_but_not_candidates():
    X, y = _data(p=5)
    pf = np.array([1.0, 1.0, 0.0, 1.0, 0.0])  # two noise features kept in every fit
    st = l1jax.stability_selection(X, y, n_subsamples=B, lambdas=K, penalty_factor=pf,
                                   threshold=0.6)  # fmt: skip
    nonzero = _refits(X, y, st, penalty_factor=pf)
    np.testing.assert_array_equal(st.probabilities, nonzero.mean(axis=0))
    np.testing.assert_array_equal(st.max_probability[pf == 0], 1.0)
    assert not st.selected[pf == 0].any()
    np.testing.assert_array_equal(st.selected[pf > 0], st.max_probability[pf > 0] >= 0.6)
    q = nonzero[:, :, pf > 0].any(axis=1).sum(axis=1).mean()  # the penalized features' union
    assert st.mean_selected == pytest.approx(q, rel=1e-12)
    assert st.error_bound == pytest.approx(q**2 / ((2 * 0.6 - 1) * 3), rel=1e-12)
    # The range ends where 2 penalized features are nonzero (the unpenalized ones are at λ_max).
    st = l1jax.stability_selection(X, y, n_subsamples=2, lambdas=K, max_selected=2,
                                   penalty_factor=pf)  # fmt: skip
    decade = l1jax.path(X, y, lambdas=16, lambda_min_ratio=0.1, penalty_factor=pf)
    first = np.flatnonzero((decade.coef[:, pf > 0] != 0).sum(axis=1) >= 2)[0]
    assert first > 1 and st.lambdas[-1] == pytest.approx(decade.lambdas[first], rel=1e-12)


def test_the_range_stops_at_lambda_min_ratio():
    X, y = _data()
    for ratio in (0.5, 0.05):  # (above and below the first decade's 0.1)
        st = l1jax.stability_selection(X, y, n_subsamples=2, lambdas=K, max_selected=5,
                                       lambda_min_ratio=ratio)  # fmt: skip
        assert st.lambdas[-1] / st.lambdas[0] >= ratio * (1 - 1e-9)


def test_lambda_range():
    X, y = _data()
    st = l1jax.stability_selection(X, y, n_subsamples=2, lambdas=K, max_selected=2)
    # From λ_max to the first λ of 16 in the first decade with 2 nonzeros on all the data.
    decade = l1jax.path(X, y, lambdas=16, lambda_min_ratio=0.1)
    assert st.lambdas[0] == pytest.approx(decade.lambdas[0], rel=1e-12)
    np.testing.assert_allclose(np.diff(np.log(st.lambdas)), np.log(st.lambdas[1] / st.lambdas[0]))
    first = np.flatnonzero((decade.coef != 0).sum(axis=1) >= 2)[0]
    assert first > 0
    assert st.lambdas[-1] == pytest.approx(decade.lambdas[first], rel=1e-12)
    given = np.array([0.05, 0.4, 0.2])
    st = l1jax.stability_selection(X, y, n_subsamples=2, lambdas=given)
    np.testing.assert_array_equal(st.lambdas, [0.4, 0.2, 0.05])


def test_unconverged_fits_warn_once():
    X, y = _data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        l1jax.stability_selection(X, y, n_subsamples=2, lambdas=np.array([0.5, 0.1]),
                                  max_iter=1, tol=1e-14)  # fmt: skip
    mine = [w for w in caught if str(w.message).startswith("l1jax.stability_selection:")]
    assert len(mine) == 1 and issubclass(mine[0].category, l1jax.ConvergenceWarning)
    assert "subsample × λ fits did not converge" in str(mine[0].message)
    # the path on all rows that sets the λs warns in stability_selection's name (it was
    # "l1jax.path" at a line of l1jax's), at the caller's line too
    assert all(w.filename == __file__ for w in caught)
    assert all(str(w.message).startswith("l1jax.stability_selection") for w in caught)
    # The search for the range's end (a decade at a time) warns once for all its decades.
    y = X[:, 0] * 10 + 0.01 * np.random.default_rng(0).standard_normal(60)  # (3 decades)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        l1jax.stability_selection(X, y, n_subsamples=2, lambdas=4, max_selected=5, max_iter=1,
                                  tol=1e-14, lambda_min_ratio=1e-3)  # fmt: skip
    whole = [w for w in caught if "its path on all rows" in str(w.message)]
    assert len(whole) == 1 and " of 48 λs did not converge" in str(whole[0].message), whole


BAD = {
    "odd n_subsamples": (dict(n_subsamples=3), ValueError, "n_subsamples must be even"),
    "n_subsamples 0": (dict(n_subsamples=0), ValueError, "n_subsamples must be >= 2"),
    "n_subsamples float": (dict(n_subsamples=10.0), TypeError, "n_subsamples must be an int"),
    "threshold 0.5": (dict(threshold=0.5), ValueError, "threshold must be > 0.5"),
    "threshold > 1": (dict(threshold=1.1), ValueError, "threshold must be <= 1"),
    "threshold text": (dict(threshold="0.7"), TypeError, "threshold must be a real number"),
    "max_selected 0": (dict(max_selected=0), ValueError, "max_selected must be between 1 and 5"),
    "max_selected > p": (dict(max_selected=6), ValueError, "max_selected must be between 1 and"),
    "lambdas 0": (dict(lambdas=0), ValueError, "lambdas must be a grid size from 1 to"),
    "lambdas 10**9": (dict(lambdas=10**9), ValueError, "lambdas must be a grid size from 1 to"),
    "negative lambdas": (dict(lambdas=np.array([0.1, -1.0])), ValueError, "lambdas must be"),
    "seed": (dict(seed=-1), ValueError, "seed must be >= 0"),
    "seed float": (dict(seed=0.5), TypeError, "seed must be an int"),
    "loss": (dict(loss="huber"), ValueError, "loss must be one of"),
    "lambda_min_ratio": (dict(lambda_min_ratio=1.0), ValueError, "lambda_min_ratio must be <"),
    "sample_weight": (dict(sample_weight=np.r_[1.0, np.zeros(59)]), ValueError,
                      "sample_weight must be positive on at least 4 samples"),
    "3 rows of positive weight": (dict(sample_weight=np.r_[1.0, 2.0, 1.0, np.zeros(57)]),
                                  ValueError, "at least 4 samples to split them into halves of 2"),
    "penalty_factor all 0": (dict(penalty_factor=np.zeros(5)), ValueError,
                             "penalty_factor must be positive for some feature"),
    "penalty_factor length": (dict(penalty_factor=np.ones(4)), ValueError,
                              "penalty_factor must have one entry per feature"),
}  # fmt: skip


@pytest.mark.parametrize("name", BAD)
def test_bad_input_names_the_argument(name):
    X, y = _data()
    kwargs, error, message = BAD[name]
    with pytest.raises(error, match=message):
        l1jax.stability_selection(X, y, **{"lambdas": 4, **kwargs})


def test_bad_data_names_the_argument():
    X, y = _data()
    with pytest.raises(ValueError, match="X must be"):
        l1jax.stability_selection(X[:, 0], y)
    with pytest.raises(ValueError, match="n_samples = 1"):
        l1jax.stability_selection(X[:1], y[:1])
    with pytest.raises(ValueError, match="at least 4 samples .* got n_samples = 3"):
        l1jax.stability_selection(X[:3], y[:3])  # (halves of 1 row: every column constant)
    with pytest.raises(ValueError, match="y must have one entry per row"):
        l1jax.stability_selection(X, y[:-1], lambdas=4)
    with pytest.raises(ValueError, match="y must be 0 or 1"):
        l1jax.stability_selection(X, y, loss="logistic", lambdas=4)


def test_halves_take_their_own_bucket(monkeypatch):
    """The halves share one shape, so they are bucketed without the 15% headroom that lets
    later, larger data reuse a small problem's programs: 150 × 1000 halves run on 160 × 1024
    (buckets of 4 per octave), not 192 × 1280 as a lone path of that size (0.77× the time)."""
    from l1jax import cv, engine

    assert engine.padded(150, 1000, headroom=False) == (160, 128, 1024)
    engine.clear_shapes()
    assert engine.padded(150, 1000) == (192, 128, 1280)
    seen = []
    real = engine.padded

    def spy(n, p, gram=False, key=(), headroom=True):
        seen.append((n, headroom))
        return real(n, p, gram, key, headroom)

    monkeypatch.setattr(engine, "padded", spy)
    monkeypatch.setattr(cv, "BATCHED", False)  # (the CPU route: path's program per half)
    X, y = _data()  # (the shapes of the tests above: nothing new to compile)
    l1jax.stability_selection(X, y, n_subsamples=2, lambdas=4)
    assert [h for n, h in seen if n == 30] == [False, False]  # the two halves
    assert [h for n, h in seen if n == 60] == [True]  # the range search on all rows


def test_the_halves_hand_back_their_nonzero_pattern_not_their_paths(monkeypatch):
    """Memory: of each half's path only which features it selected is kept (and the counts of
    nonzero coefficients, K × p in all): the B·K·p float64 coefficients, stacked and copied,
    took 3.4 GB for 100 halves of 200 × 20,000 with 100 λs."""
    from l1jax import cv

    kept = []
    real = cv._fit_one_by_one

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        kept.append(out[0])
        return out

    monkeypatch.setattr(cv, "_fit_one_by_one", spy)
    monkeypatch.setattr(cv, "BATCHED", False)
    X, y = _data()
    st = l1jax.stability_selection(X, y, n_subsamples=B, lambdas=K)
    assert len(kept) == 1 and len(kept[0]) == 1 and len(kept[0][0]) == B  # (R = 1 ratio)
    entered = np.stack(kept[0][0])
    assert entered.dtype == bool and entered.shape == (B, 5)
    assert st.mean_selected == pytest.approx(entered.sum(axis=1).mean(), rel=1e-12)

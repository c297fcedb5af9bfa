"""plot_path, plot_cv and plot_stability render with the Agg backend, return the Axes and show
what they say."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

import l1jax  # noqa: E402

NAMES = ["alpha", "beta", "gamma", "delta", "epsilon"]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def cv():
    rng = np.random.default_rng(0)  # the shapes of tests/test_cv.py: compiled once per session
    X = rng.standard_normal((60, 5)) * np.linspace(1.0, 3.0, 5) + 0.5
    y = X @ np.array([1.0, -0.8, 0.0, 0.4, 0.0]) + rng.standard_normal(60)
    return l1jax.cv_path(X, y, fold_ids=np.arange(60) % 4, lambdas=12)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _save(ax, tmp_path, name):
    out = tmp_path / name
    ax.figure.savefig(out, dpi=60)
    assert out.read_bytes()[:8] == PNG
    return out


def _top(ax):
    (top,) = ax.child_axes
    return top


def test_plot_path_against_log_lambda(cv, tmp_path):
    ax = l1jax.plot_path(cv.path, feature_names=NAMES)
    assert isinstance(ax, matplotlib.axes.Axes)
    assert ax.get_xscale() == "log"
    left, right = ax.get_xlim()
    assert left > right  # λ decreases to the right
    assert len(ax.get_lines()) == 5 + 1  # one per feature, and the zero line
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), cv.path.coef[:, 0])
    labels = {t.get_text() for t in ax.texts}
    assert labels == {n for n, c in zip(NAMES, cv.path.coef[-1], strict=True) if c != 0}
    top = _top(ax)
    nonzero = (cv.path.coef != 0).sum(axis=1)
    counts = [int(t.get_text()) for t in top.get_xticklabels()]
    assert set(counts) <= set(nonzero.tolist()) and counts[0] == nonzero[0]
    assert "nonzero" in top.get_xlabel()
    _save(ax, tmp_path, "path.png")


@pytest.mark.parametrize("plot", [l1jax.plot_path, l1jax.plot_cv])
def test_the_count_axis_follows_a_zoom_and_leaves_pyplot_on_the_plot(cv, plot):
    """The counts are a secondary axis of the plot: zoomed, each count stays over its λ (a twiny
    copy of the limits drifted: 1 nonzero shown where 2 were), and plt.title or plt.xlim act on
    the plot, not on a hidden twin; a second plot on the axes replaces the counts."""
    fig, ax = plt.subplots()
    plot(cv, ax=ax)
    assert plt.gca() is ax and fig.axes == [ax]
    top = _top(ax)
    ticks = top.get_xticks()
    ax.set_xlim(cv.lambdas[2], cv.lambdas[-3])
    fig.canvas.draw()
    np.testing.assert_allclose(top.transData.transform(np.c_[ticks, ticks])[:, 0],
                               ax.transData.transform(np.c_[ticks, ticks])[:, 0])  # fmt: skip
    nonzero = (cv.path.coef != 0).sum(axis=1)
    for tick, label in zip(ticks, top.get_xticklabels(), strict=True):
        assert int(label.get_text()) == nonzero[np.argmin(np.abs(cv.lambdas - tick))]
    plot(cv, ax=ax)
    assert len(ax.child_axes) == 1


def test_fits_at_lambda_zero_are_counted_in_the_legend():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 3))
    y = X[:, 0] + rng.standard_normal(30)
    res = l1jax.path(X, y, lambdas=[1.0, 0.1, 0.0])
    note = "1 fit at λ = 0 not drawn (off the log axis)"
    ax = l1jax.plot_path(res)
    assert note in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_lines()[0].get_xdata().tolist() == [1.0, 0.1]
    ax = l1jax.plot_path(res, xvar="norm")  # (drawn there)
    assert ax.get_legend() is None and ax.get_lines()[0].get_xdata().size == 3
    cv0 = l1jax.cv_path(X, y, lambdas=[1.0, 0.1, 0.0], n_folds=3)
    assert note in [t.get_text() for t in l1jax.plot_cv(cv0).get_legend().get_texts()]


def _many_features(p=30, K=40):
    """A made-up path (no solver): 25 of 30 features enter in the first fifth of the λs, so the
    count of nonzeros then stays at 25; one ends far below the others."""
    lambdas = np.geomspace(1.0, 1e-3, K)
    enter = np.geomspace(0.9, 0.25, p - 5)
    size = np.linspace(1.0, 1.6, p - 5) * np.where(np.arange(p - 5) % 2, 1.0, -1.0)
    size[0] = -8.0
    coef = np.zeros((K, p))
    coef[:, : p - 5] = size * np.log(np.maximum(enter / lambdas[:, None], 1.0))
    return SimpleNamespace(lambdas=lambdas, coef=coef)


def test_plot_path_with_many_features(tmp_path):
    res = _many_features()
    names = [f"feature {j}" for j in range(30)]
    ax = l1jax.plot_path(res, feature_names=names)
    strongest = set(np.argsort(-np.abs(res.coef[-1]))[:10].tolist())
    assert {t.get_text() for t in ax.texts} == {names[j] for j in strongest}  # 10 labels
    colours = [to_hex(line.get_color()) for line in ax.get_lines()[:30]]
    assert len({colours[j] for j in strongest}) == 10  # distinct, and none of them grey
    assert {colours[j] for j in range(30) if j not in strongest} == {to_hex("0.78")}
    assert to_hex("0.78") not in {colours[j] for j in strongest}
    assert "20 other features" in [t.get_text() for t in ax.get_legend().get_texts()]
    ax.figure.canvas.draw()
    box = ax.get_window_extent()
    labels = sorted((t.get_window_extent() for t in ax.texts), key=lambda b: b.y0)
    assert all(box.y0 <= b.y0 and b.y1 <= box.y1 for b in labels)  # inside the axes' height
    assert all(a.y1 <= b.y0 + 0.5 for a, b in zip(labels[:-1], labels[1:], strict=True))
    counts = [t.get_text() for t in _top(ax).get_xticklabels()]
    assert len(counts) == len(set(counts)) >= 3  # each count once
    _save(ax, tmp_path, "many.png")


def test_plot_path_against_l1_norm_and_scaled(cv, tmp_path):
    scale = np.arange(1.0, 6.0)
    ax = l1jax.plot_path(cv, xvar="norm", scale=scale)
    x = ax.get_lines()[0].get_xdata()
    np.testing.assert_allclose(x, np.abs(cv.path.coef * scale).sum(axis=1))
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), 2 * cv.path.coef[:, 1])
    assert ax.get_xscale() == "linear" and "L1 norm" in ax.get_xlabel()
    assert ax.get_ylabel() == "standardized coefficient"
    assert not ax.texts  # no names given, no labels
    _save(ax, tmp_path, "norm.png")


def test_plot_path_of_a_cv_result_marks_both_lambdas(cv):
    ax = l1jax.plot_path(cv)
    vertical = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() != "-"]
    np.testing.assert_allclose(sorted(vertical), sorted([cv.lambda_min, cv.lambda_1se]))


def test_plot_cv(cv, tmp_path):
    fig, given = plt.subplots()
    ax = l1jax.plot_cv(cv, ax=given)
    assert ax is given
    assert ax.get_ylabel() == "mean squared error" and ax.get_xscale() == "log"
    (bars,) = ax.containers
    np.testing.assert_allclose(bars.lines[0].get_ydata(), cv.cv_mean)
    segments = bars.lines[2][0].get_segments()
    np.testing.assert_allclose([s[1, 1] - s[0, 1] for s in segments], 2 * cv.cv_se)
    vertical = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() != "None"]
    np.testing.assert_allclose(sorted(vertical), sorted([cv.lambda_min, cv.lambda_1se]))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("λ_min" in t for t in legend) and any("λ_1se" in t for t in legend)
    _save(ax, tmp_path, "cv.png")


def test_no_show(cv, monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plt.show() was called"))
    l1jax.plot_cv(cv)
    l1jax.plot_path(cv)


def test_bad_arguments(cv):
    with pytest.raises(ValueError, match="xvar"):
        l1jax.plot_path(cv, xvar="dev")
    with pytest.raises(ValueError, match="feature_names"):
        l1jax.plot_path(cv, feature_names=["a"])
    with pytest.raises(ValueError, match="scale"):
        l1jax.plot_path(cv, scale=[1.0, 2.0])
    with pytest.raises(TypeError, match="PathResult"):
        l1jax.plot_path(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="CVResult"):
        l1jax.plot_cv(cv.path)


def test_bad_ax_max_labels_and_scale_are_named(cv):
    for draw in (l1jax.plot_path, l1jax.plot_cv):
        with pytest.raises(TypeError, match=r"\bax\b must be a matplotlib Axes"):
            draw(cv, ax=3)
    with pytest.raises(TypeError, match=r"\bmax_labels\b must be an int"):
        l1jax.plot_path(cv, max_labels="a")
    with pytest.raises(ValueError, match=r"\bmax_labels\b must be >= 0"):
        l1jax.plot_path(cv, max_labels=-1)
    with pytest.raises(TypeError, match=r"\bscale\b must be a numeric array"):
        l1jax.plot_path(cv, scale="a")
    with pytest.raises(ValueError, match=r"\bscale\b contains NaN"):
        l1jax.plot_path(cv, scale=np.full(5, np.nan))
    assert not plt.get_fignums()  # refused before any figure was made


def test_a_path_whose_only_lambda_is_zero_names_the_way_out():
    """λ = 0 has no place on a log axis: a named error that says what to draw instead, and
    that way (xvar="norm") draws."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4))
    y = X[:, 0] - X[:, 1] + 0.1 * rng.standard_normal(30)
    res = l1jax.path(X, y, lambdas=[0.0])
    with pytest.raises(ValueError, match=r"\bresult\b has no λ > 0.*xvar='norm'"):
        l1jax.plot_path(res)
    cv0 = l1jax.cv_path(X, y, lambdas=[0.0], fold_ids=np.arange(30) % 3)
    with pytest.raises(ValueError, match=r"\bcv\b has no λ > 0.*lambdas=20.*xvar='norm'"):
        l1jax.plot_cv(cv0)
    assert not plt.get_fignums()
    for result in (res, cv0):
        ax = l1jax.plot_path(result, xvar="norm")
        drawn = getattr(result, "path", result).coef[:, 0]
        np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), drawn)
        left, right = ax.get_xlim()
        assert left < right


def test_lambda_min_of_zero_is_named_in_the_legend_only():
    """A grid ending at λ = 0 whose best λ is 0: the legends of plot_cv and plot_path name it
    (it has no place on their log axes), and the λs > 0 are drawn as ever."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 3))
    y = X @ np.array([2.0, -1.0, 0.5]) + 0.01 * rng.standard_normal(60)
    cv0 = l1jax.cv_path(X, y, lambdas=[0.5, 0.1, 0.0], fold_ids=np.arange(60) % 3)
    assert cv0.lambda_min == 0.0
    for ax in (l1jax.plot_cv(cv0), l1jax.plot_path(cv0)):
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert any(t.startswith("λ_min = 0 (") and "off the log axis" in t for t in legend)
        vertical = [
            line.get_xdata()[0]
            for line in ax.get_lines()
            if len(line.get_xdata()) and line.get_linestyle() not in ("-", "None")
        ]
        assert all(x > 0 for x in vertical)
        plt.close(ax.figure)


def test_missing_matplotlib_names_the_extra(cv, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "l1jax\[plot\]"'):
        l1jax.plot_cv(cv)


def test_plot_stability(tmp_path):
    rng = np.random.default_rng(0)  # the shapes of tests/test_stability.py
    X = rng.standard_normal((60, 5)) * np.linspace(1.0, 3.0, 5) + 0.5
    y = X @ np.array([1.0, -0.8, 0.0, 0.4, 0.0]) + 1.5 * rng.standard_normal(60)
    st = l1jax.stability_selection(X, y, n_subsamples=10, lambdas=8)
    assert 0 < st.selected.sum() < 5
    ax = l1jax.plot_stability(st, feature_names=NAMES)
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "selection probability"
    left, right = ax.get_xlim()
    assert left > right  # λ decreases to the right, as plot_path
    lines = ax.get_lines()
    for j in range(5):
        np.testing.assert_allclose(lines[j].get_ydata(), st.probabilities[:, j])
    (threshold,) = [line for line in lines if line.get_linestyle() == "--"]
    assert threshold.get_ydata()[0] == st.threshold
    assert {t.get_text() for t in ax.texts} == {NAMES[j] for j in np.flatnonzero(st.selected)}
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"E[false] ≤ {st.error_bound:.3g}" in legend[0]
    _save(ax, tmp_path, "stability.png")
    with pytest.raises(ValueError, match="feature_names"):
        l1jax.plot_stability(st, feature_names=NAMES[:2])
    for names in (5, set(NAMES)):  # (a set has no order)
        with pytest.raises(TypeError, match="feature_names must be a sequence of"):
            l1jax.plot_stability(st, feature_names=names)
    with pytest.raises(TypeError, match="StabilityResult"):
        l1jax.plot_stability(st.probabilities)
    with pytest.raises(ValueError, match=r"\bmax_labels\b must be >= 0"):
        l1jax.plot_stability(st, max_labels=-1)
    with pytest.raises(TypeError, match=r"\bmax_labels\b must be an int"):
        l1jax.plot_stability(st, max_labels=2.0)
    with pytest.raises(TypeError, match=r"\bax\b must be a matplotlib Axes"):
        l1jax.plot_stability(st, ax="left")


def test_stability_on_a_dataframe_keeps_its_column_names_for_the_plot():
    """As PathResult.feature_names: a DataFrame's column names are kept and label the plot."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    y = X @ np.array([2.0, -2.0, 0.0, 0.0, 0.0]) + 0.3 * rng.standard_normal(60)
    st = l1jax.stability_selection(pd.DataFrame(X, columns=NAMES), y, n_subsamples=6, lambdas=5)
    assert st.feature_names.tolist() == NAMES
    assert l1jax.stability_selection(X, y, n_subsamples=6, lambdas=5).feature_names is None
    ax = l1jax.plot_stability(st)
    assert {t.get_text() for t in ax.texts} == {NAMES[j] for j in np.flatnonzero(st.selected)}
    assert {t.get_text() for t in ax.texts} == {"alpha", "beta"}
    plt.close(ax.figure)


# ----------------------------------------------------------------------------------------------
# Paths with a task axis: multi-task (Y (n, m)) and multinomial (class labels).


@pytest.fixture(scope="module")
def multitask_cv():
    rng = np.random.default_rng(1)  # the shapes of tests/test_multitask.py's "tall" problems
    X = rng.standard_normal((50, 8))
    B = np.zeros((8, 3))
    B[:3] = rng.standard_normal((3, 3))
    Y = X @ B + 0.5 * rng.standard_normal((50, 3))
    return l1jax.cv_path(X, Y, fold_ids=np.arange(50) % 5, lambdas=10, early_stop=False)


@pytest.fixture(scope="module")
def multinomial_cv():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    return l1jax.cv_path(X, labels, loss="multinomial", n_folds=3, lambdas=8, early_stop=False)


def test_plot_path_of_a_multitask_path_draws_row_norms(multitask_cv, tmp_path):
    res = multitask_cv.path
    names = [f"x{j}" for j in range(8)]
    ax = l1jax.plot_path(res, feature_names=names)
    assert len(ax.get_lines()) == 8 + 1  # one per feature, and the zero line
    norms = np.linalg.norm(res.coef, axis=2)
    for j in range(8):
        np.testing.assert_allclose(ax.get_lines()[j].get_ydata(), norms[:, j])
    assert ax.get_ylabel() == "‖coefficients‖₂ over 3 tasks"
    assert {t.get_text() for t in ax.texts} == {names[j] for j in np.flatnonzero(norms[-1])}
    counts = [int(t.get_text()) for t in _top(ax).get_xticklabels()]
    assert set(counts) <= set((norms != 0).sum(axis=1).tolist())  # features, not entries
    _save(ax, tmp_path, "multitask.png")
    plt.close("all")
    one = l1jax.plot_path(res, response=2, xvar="norm")
    np.testing.assert_allclose(one.get_lines()[0].get_ydata(), res.coef[:, 0, 2])
    np.testing.assert_allclose(one.get_lines()[0].get_xdata(), np.abs(res.coef[:, :, 2]).sum(1))
    assert one.get_ylabel() == "coefficient (task 2)"
    with pytest.raises(ValueError, match="task index from 0 to 2"):
        l1jax.plot_path(res, response=3)


def test_plot_path_of_a_multinomial_path(multinomial_cv, tmp_path):
    cv = multinomial_cv
    ax = l1jax.plot_path(cv, feature_names=["sl", "sw", "pl", "pw"])
    np.testing.assert_allclose(ax.get_lines()[2].get_ydata(), np.linalg.norm(cv.path.coef[:, 2],
                                                                              axis=1))  # fmt: skip
    assert ax.get_ylabel() == "‖coefficients‖₂ over 3 classes"
    vertical = [line.get_xdata()[0] for line in ax.get_lines() if line.get_linestyle() != "-"]
    np.testing.assert_allclose(sorted(vertical), sorted([cv.lambda_min, cv.lambda_1se]))
    _save(ax, tmp_path, "multinomial.png")
    plt.close("all")
    ax = l1jax.plot_path(cv, response="virginica", scale=np.arange(1.0, 5.0))
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), 2 * cv.path.coef[:, 1, 2])
    assert ax.get_ylabel() == "standardized coefficient (class virginica)"
    with pytest.raises(ValueError, match="one of the classes"):
        l1jax.plot_path(cv, response=0)
    with pytest.raises(ValueError, match="drop response"):
        l1jax.plot_path(SimpleNamespace(lambdas=np.ones(2), coef=np.ones((2, 3))), response=0)


@pytest.mark.parametrize("which", ["multitask_cv", "multinomial_cv"])
def test_plot_cv_with_a_task_axis(which, request, tmp_path):
    cv = request.getfixturevalue(which)
    ax = l1jax.plot_cv(cv)
    (bars,) = ax.containers
    np.testing.assert_allclose(bars.lines[0].get_ydata(), cv.cv_mean)
    assert ax.get_ylabel() == ("mean squared error (summed over 3 tasks)"
                               if which == "multitask_cv" else "deviance")  # fmt: skip
    features = (cv.path.coef != 0).any(axis=2).sum(axis=1)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"({features[cv.index_min]} nonzero)" in legend[0]
    counts = [int(t.get_text()) for t in _top(ax).get_xticklabels()]
    assert set(counts) <= set(features.tolist()) and max(counts) <= cv.path.coef.shape[1]
    _save(ax, tmp_path, f"{which}.png")


def test_plot_stability_refuses_a_result_without_a_positive_lambda():
    """It drew an empty log axis that failed at savefig (plot_path and plot_cv refuse it)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4))
    st = l1jax.stability_selection(X, X[:, 0], n_subsamples=4, lambdas=np.array([0.0]))
    with pytest.raises(ValueError, match="no λ > 0 to draw on a log axis"):
        l1jax.plot_stability(st)


def _visible_x_labels(ax) -> list[str]:
    """The numbers the drawn x axis shows: labelled ticks (major or minor) inside its limits."""
    ax.figure.canvas.draw()
    lo, hi = sorted(ax.get_xlim())
    ticks = ax.xaxis.get_major_ticks() + ax.xaxis.get_minor_ticks()
    return [
        t.label1.get_text()
        for t in ticks
        if lo <= t.get_loc() <= hi and t.label1.get_visible() and t.label1.get_text()
    ]


@pytest.mark.parametrize(("lambdas", "expected"), [
    ([45.2, 30.0, 21.0], {"30", "40"}),  # no power of ten inside: every minor tick
    ([150.0, 40.0, 2.0], {"100", "10", "50", "20", "5"}),  # under two decades: 2·, 5·10ᵏ too
])  # fmt: skip
def test_a_lambda_axis_without_a_decade_still_shows_numbers(lambdas, expected):
    # The stability path of the README's diabetes example runs from 45.2 to 21.0: its λ axis
    # showed no number at all, as only powers of ten were labelled.
    fake = SimpleNamespace(lambdas=np.array(lambdas), coef=np.array([[0.0], [1.0], [2.0]]))
    shown = set(_visible_x_labels(l1jax.plot_path(fake)))
    assert expected <= shown
    wide = SimpleNamespace(lambdas=np.geomspace(1e3, 1e-2, 6), coef=np.zeros((6, 1)))
    assert set(_visible_x_labels(l1jax.plot_path(wide))) == {"0.01", "0.1", "1", "10", "100",
                                                             "1000"}  # fmt: skip


def test_a_one_lambda_path_draws_a_point_per_feature():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.5]])
    res = l1jax.path(X, X @ [1.0, -2.0], lambdas=[0.3])
    for xvar in ("lambda", "norm"):
        ax = l1jax.plot_path(res, xvar=xvar)
        assert [line.get_marker() for line in ax.get_lines()[:2]] == ["o", "o"]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3))
    st = l1jax.stability_selection(X, X[:, 0] + 0.1 * rng.standard_normal(20), lambdas=[0.2],
                                   n_subsamples=4)  # fmt: skip
    ax = l1jax.plot_stability(st)
    assert ax.get_lines()[0].get_marker() == "o"


def test_frame_names_reach_the_plots_and_a_scale_in_another_order_is_refused():
    """An estimator fitted on a DataFrame kept its names (feature_names_in_) but its l1jax
    results (path_, stability_) did not: their plots labelled the features by number. A
    scale=X.std() Series in another order than the result's features was read by position
    (a coefficient drawn ×100 off)."""
    pd = pytest.importorskip("pandas")
    from l1jax.estimators import Lasso, LassoCV, StabilitySelection

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.standard_normal((60, 4)), columns=["age", "bmi", "bp", "s1"])
    y = X.to_numpy() @ [2.0, 0.0, -1.0, 0.0] + 0.1 * rng.standard_normal(60)
    sel = StabilitySelection(n_subsamples=10, alphas=8).fit(X, y)
    assert sel.stability_.feature_names.tolist() == list(X.columns)
    assert {t.get_text() for t in l1jax.plot_stability(sel.stability_).texts} == {"age", "bp"}
    assert Lasso(alpha=0.1).fit(X, y).path_.feature_names.tolist() == list(X.columns)
    assert LassoCV(cv=3).fit(X, y).cv_results_.path.feature_names.tolist() == list(X.columns)
    assert Lasso(alpha=0.1).fit(X.to_numpy(), y).path_.feature_names is None
    res = l1jax.path(X, y, lambdas=3)
    l1jax.plot_path(res, scale=X.std())
    with pytest.raises(ValueError, match=r"scale.reindex\(res.feature_names\)"):
        l1jax.plot_path(res, scale=X.std()[["s1", "bp", "bmi", "age"]])

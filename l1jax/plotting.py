"""Plots of regularization paths, their cross-validation curves (as glmnet's ``plot``) and
stability paths.

matplotlib is an optional dependency (``pip install "l1jax[plot]"``), imported only when a
function here is called. Every function draws on the given ``Axes`` (or a new figure's), returns
the ``Axes`` and never calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from l1jax._inputs import as_real_array, check_int, check_order
from l1jax.path import features_in

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from l1jax.cv import CVResult
    from l1jax.path import PathResult
    from l1jax.stability import StabilityResult

__all__ = ["plot_path", "plot_cv", "plot_stability"]

_SCORE_LABELS = {
    "mse": "mean squared error",
    "deviance": "deviance",
    "misclassification": "misclassification rate",
    "auc": "AUC",
}


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError('l1jax plotting needs matplotlib: pip install "l1jax[plot]"') from err
    return plt


def _check_ax(ax) -> None:
    """Refuse an ``ax`` that is neither None nor a matplotlib ``Axes`` (before anything is
    drawn)."""
    if ax is None:
        return
    try:
        from matplotlib.axes import Axes
    except ImportError:  # pragma: no cover - depends on the environment
        _pyplot()  # (raises, naming the extra to install)
    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes (e.g. plt.subplots()[1]) or None for a "
                        f"new figure, got {type(ax).__name__}")  # fmt: skip


def _axes(ax):
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(7, 4.5))
    return ax  # (given Axes: matplotlib is there, and pyplot is not needed)


def _feature_names(feature_names, p: int) -> list[str] | None:
    """``feature_names`` as ``p`` strings to show (None stays None): a ``$`` is shown as
    itself (names are data, not matplotlib's mathtext, which failed on "spend_$10_$20")."""
    if feature_names is None:
        return None
    unordered = (bytes, dict, set, frozenset)
    if isinstance(feature_names, unordered) or not isinstance(feature_names, Iterable):
        raise TypeError(f"feature_names must be a sequence of {p} names (one per feature), got "
                        f"{type(feature_names).__name__}")  # fmt: skip
    names = [str(name).replace("$", r"\$") for name in feature_names]
    if len(names) != p:
        raise ValueError(f"feature_names must have one name per feature ({p}), got {len(names)}")
    return names


def _positive_lambdas(lambdas: np.ndarray, name: str, instead: str) -> np.ndarray:
    """The mask of the λs > 0, the ones a log axis can show; raise when there is none."""
    keep = lambdas > 0
    if not keep.any():
        raise ValueError(f"{name} has no λ > 0 to draw on a log axis (its λs: "
                         f"{lambdas.tolist()}); {instead}")  # fmt: skip
    return keep


def _zero_note(ax, keep: np.ndarray) -> list:
    """A legend entry (an empty line) for the fits at λ = 0 that a log axis leaves out, else
    nothing: they were dropped without a word (and the labels at the lines' ends are then the
    smallest positive λ's)."""
    dropped = int(np.size(keep) - np.count_nonzero(keep))
    if not dropped:
        return []
    fits = "1 fit" if dropped == 1 else f"{dropped} fits"
    return ax.plot([], [], ls="none", label=f"{fits} at λ = 0 not drawn (off the log axis)")


def _mark_lambda(ax, lam: float, label: str, **style):
    """A dashed vertical line at ``lam`` labelled ``label``, or, for λ = 0 (no place on a log
    axis), an empty line that names it in the legend only ("off the log axis")."""
    if lam > 0:
        return ax.axvline(lam, label=label, **style)
    note = "off the log axis"
    off = f"{label[:-1]}; {note})" if label.endswith(")") else f"{label} ({note})"
    return ax.plot([], [], label=off, **style)[0]


def _log_x(ax) -> None:
    """A log-scale x axis labelled in plain numbers (0.01, 0.1, 1, 10; 1e-05 beyond), not
    matplotlib's default powers of ten, whose mathtext costs 0.2 s at the first drawing. An
    axis of less than two decades also labels minor ticks (2·10ᵏ and 5·10ᵏ; all of them under
    one decade), as matplotlib's own log axes do: a stability path or a short grid often holds
    no power of ten at all."""
    from matplotlib.ticker import FuncFormatter

    def minor(value, _):
        lo, hi = sorted(ax.get_xlim())
        decades = np.log10(hi / lo) if lo > 0 else np.inf
        mantissa = round(value / 10.0 ** np.floor(np.log10(value) + 1e-9))
        if decades < 1 or (decades < 2 and mantissa in (2, 5)):
            return f"{value:g}"
        return ""

    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(minor))


def _palette(n: int) -> list:
    """``n`` distinct colours, none of them grey (the colour of the unlabelled lines): tab10
    (its grey made black), tab20 without its greys, else a continuous colormap."""
    from matplotlib import colormaps

    if n <= 10:
        return [colormaps["tab10"](i) if i != 7 else "black" for i in range(n)]
    if n <= 18:
        return [colormaps["tab20"](i) for i in range(20) if i not in (14, 15)][:n]
    return [colormaps["turbo"](t) for t in np.linspace(0.05, 0.95, n)]


_TOP_LABEL = "l1jax: nonzero counts"  # (found again by a second plot on the same axes)


def _top_axis(ax, x, nonzeros, log: bool, label: str = "nonzero coefficients") -> None:
    """A top axis that counts the nonzero coefficients (or features: ``label``): each count
    once, where the path first reaches it, at most about 8 ticks (at least 1/8 of the axis
    apart). A secondary axis of ``ax``: its ticks stay on their λs when ``ax`` is zoomed (a
    ``twiny`` copy of the limits drifted off them), and ``ax`` stays pyplot's current axes
    (``plt.title`` and ``plt.xlim`` went to the hidden twin). A second plot on ``ax`` replaces
    the axis of the first."""
    for child in list(ax.child_axes):
        if child.get_label() == _TOP_LABEL:
            child.remove()
    top = ax.secondary_xaxis("top")
    top.set_label(_TOP_LABEL)
    lo, hi = sorted(ax.get_xlim())
    inside = np.flatnonzero((x >= lo) & (x <= hi))
    if inside.size:
        coords = np.log(x) if log else x
        min_gap = (coords[inside].max() - coords[inside].min()) / 8
        picks, seen = [], set()
        for i in inside:  # in path order
            if nonzeros[i] in seen or (picks and abs(coords[i] - coords[picks[-1]]) < min_gap):
                continue
            picks.append(i)
            seen.add(nonzeros[i])
        top.set_xticks(x[picks])
        top.set_xticklabels([str(int(nonzeros[i])) for i in picks])
    top.minorticks_off()
    top.tick_params(axis="x", labelsize=8, length=3)
    top.set_xlabel(label, fontsize=9)


def _spread(values: np.ndarray, gap: float, lo: float, hi: float) -> np.ndarray:
    """Label positions near ``values``, at least ``gap`` apart (less when they would not fit)
    and inside ``[lo, hi]`` by half a gap, keeping their mean near the data."""
    order = np.argsort(values)
    n = values.size
    gap = min(gap, (hi - lo) / max(n, 1))
    bottom, top = lo + gap / 2, hi - gap / 2
    pos = np.clip(values[order].astype(float), bottom, top)
    for i in range(1, n):
        pos[i] = max(pos[i], pos[i - 1] + gap)
    pos -= max(0.0, (pos[-1] - values[order][-1]) / 2) if n else 0.0
    for i in range(n - 1, -1, -1):
        pos[i] = min(pos[i], top if i == n - 1 else pos[i + 1] - gap)
    for i in range(n):
        pos[i] = max(pos[i], bottom if i == 0 else pos[i - 1] + gap)
    out = np.empty_like(pos)
    out[order] = pos
    return out


def plot_path(
    result: PathResult | CVResult,
    ax: Axes | None = None,
    xvar: str = "lambda",
    feature_names: Sequence[str] | None = None,
    scale=None,
    max_labels: int = 10,
    response=None,
) -> Axes:
    """Draw the coefficient paths of a :class:`l1jax.PathResult` (or of a CV result's refit).

    One line per feature: its coefficient (on the original scale of ``X``) against λ on a log
    axis, λ decreasing to the right so that the model grows left to right (``xvar="lambda"``),
    or against the L1 norm ``Σ_j |β_j|`` of the whole coefficient vector (``xvar="norm"``). The
    top axis counts the nonzero coefficients. With more than ``max_labels`` features, only the
    ``max_labels`` largest at the end of the path (the smallest λ) get colours, the others are
    thin grey lines; with ``feature_names``, the coloured lines that end nonzero are labelled
    at their right end, the labels spread apart within the height of the axes. Given a
    :class:`l1jax.CVResult`, its ``lambda_min`` and ``lambda_1se`` are marked too (on the λ
    axis). Fits at λ = 0 have no place on the log axis: the legend counts them, and
    ``xvar="norm"`` draws them.

    Features measured in different units have coefficients of very different sizes; pass
    ``scale=X.std(axis=0)`` to draw the standardized coefficients ``β_j · sd(x_j)`` (the
    change in the prediction per standard deviation of each feature) instead; with
    ``xvar="norm"`` the L1 norm is then that of the drawn coefficients.

    A path with a task axis (multi-task, ``coef`` ``(K, p, m)``; multinomial, one column per
    class) draws one line per feature too: by default the Euclidean norm ``‖B_j‖₂`` of the
    feature's coefficients over the tasks or classes (glmnet's ``type.coef="2norm"``; zero
    exactly when the feature is out of the model), and ``xvar="norm"`` is then ``Σ_j ‖B_j‖₂``;
    ``response=`` draws the signed coefficients of one task (its index) or of one class (its
    label, one of ``result.classes``) instead. The top axis counts the features with a nonzero
    coefficient (in any task or class, or in the one drawn).

    Args:
      result: a :class:`l1jax.PathResult`, or a :class:`l1jax.CVResult` (its ``path``).
      ax: the matplotlib ``Axes`` to draw on; default: a new figure's.
      xvar: ``"lambda"`` or ``"norm"``.
      feature_names: ``p`` names of the features (default: the path's ``feature_names``, a
        DataFrame's columns).
      scale: optional ``(p,)`` finite factors that multiply the coefficients before drawing.
      max_labels: the most lines (≥ 0) to colour and label (distinct colours, none grey: tab10 up
        to 10, tab20 up to 18, a continuous colormap beyond).
      response: for a path with a task axis: None (the row norms, above), a task's index
        (multi-task) or a class label (multinomial) to draw that column's coefficients.

    Returns:
      The ``Axes``.

    Example:
      >>> import matplotlib; matplotlib.use("Agg")
      >>> import numpy as np, l1jax
      >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.5]]); y = X @ [1.0, -2.0]
      >>> ax = l1jax.plot_path(l1jax.path(X, y, lambdas=10), feature_names=["a", "b"])
      >>> ax.get_xlabel()
      'λ (log scale)'
      >>> ax = l1jax.plot_path(l1jax.path(X, np.stack([y, -y], axis=1), lambdas=10))
      >>> ax.get_ylabel()
      '‖coefficients‖₂ over 2 tasks'
    """
    res = getattr(result, "path", result)
    if not hasattr(res, "coef") or not hasattr(res, "lambdas"):
        raise TypeError(
            f"result must be an l1jax.PathResult or CVResult, got {type(result).__name__}"
        )
    if xvar not in ("lambda", "norm"):
        raise ValueError(f"xvar must be 'lambda' or 'norm', got {xvar!r}")
    _check_ax(ax)
    check_int(max_labels, "max_labels", 0)
    coef = np.asarray(res.coef, np.float64)
    lambdas = np.asarray(res.lambdas, np.float64)
    p = coef.shape[1]
    if scale is not None:  # (X.std() of a frame in another order: read by position, silently)
        names = getattr(res, "feature_names", None)
        check_order(scale, None if names is None else list(names), "scale",
                    "the result's features", "res.feature_names")  # fmt: skip
        scale = as_real_array(scale, "scale", 1).astype(np.float64)
        if scale.shape != (p,):
            raise ValueError(f"scale must have one factor per feature ({p},), got {scale.shape}")
        coef = coef * scale.reshape((p,) + (1,) * (coef.ndim - 2))
    coef, what = _per_feature(coef, getattr(res, "classes", None), response)
    if feature_names is None:  # (a DataFrame's column names, kept by the path)
        feature_names = getattr(res, "feature_names", None)
    feature_names = _feature_names(feature_names, p)
    log = xvar == "lambda"
    if log:  # λ = 0 has no place on a log axis
        keep = _positive_lambdas(lambdas, "result", "draw the path against the L1 norm of "
                                 "its coefficients instead: xvar='norm'")  # fmt: skip
    ax = _axes(ax)
    nonzeros = (coef != 0).sum(axis=1)
    if log:
        x = lambdas[keep]
        coef, nonzeros = coef[keep], nonzeros[keep]
    else:
        x = np.abs(coef).sum(axis=1)
    end = coef[np.argmin(x) if log else np.argmax(x)] if x.size else np.zeros(p)
    if p <= max_labels:  # every line its own colour, by feature
        strongest = np.arange(p)
    else:  # the largest at the end of the path, by size; the rest grey
        strongest = np.argsort(-np.abs(end), kind="stable")[:max_labels]
        strongest = strongest[end[strongest] != 0]
    colors = dict(zip(strongest.tolist(), _palette(strongest.size), strict=True))
    lines = ax.plot(x, coef, marker="o" if x.size == 1 else None)  # (one λ: a point each)
    for j, line in enumerate(lines):
        line.set(color=colors.get(j, "0.78"), lw=1.4 if j in colors else 0.8,
                 zorder=2 if j in colors else 1)  # fmt: skip
        if feature_names is not None:
            line.set_label(feature_names[j])
    ax.axhline(0.0, color="0.6", lw=0.8, zorder=0)
    if log:
        _log_x(ax)
        ax.set_xlim(x.max() * 1.15, x.min() / 1.15)  # λ decreasing: the model grows rightwards
        ax.set_xlabel("λ (log scale)")
    else:
        span = (x.max() - x.min() if x.size else 0.0) or 1.0  # (one λ: a span of 0)
        ax.set_xlim(x.min() - 0.02 * span, x.max() + 0.02 * span)
        if what.startswith("‖"):
            ax.set_xlabel("sum of the row norms  Σ_j ‖B_j‖₂" + ("" if scale is None
                          else " (standardized coefficients)"))  # fmt: skip
        else:
            ax.set_xlabel("L1 norm of the " + ("coefficients  Σ|β|" if scale is None
                          else "standardized coefficients  Σ|β·scale|"))  # fmt: skip
    ylabel = "coefficient" if scale is None else "standardized coefficient"
    if what.startswith("‖"):  # row norms
        ax.set_ylabel(f"‖{ylabel}s‖₂{what[1:]}")
    else:
        ax.set_ylabel(ylabel + what)
    handles = []
    if log and hasattr(result, "lambda_1se"):
        handles = [
            _mark_lambda(ax, lam, f"{name} = {lam:.3g}", color="0.35", ls=style, lw=1.0, zorder=0)
            for lam, name, style in ((result.lambda_min, "λ_min", "--"),
                                     (result.lambda_1se, "λ_1se", ":"))
        ]  # fmt: skip
    if len(colors) < p:
        from matplotlib.lines import Line2D

        others = f"{p - len(colors)} other features"
        handles.append(Line2D([], [], color="0.78", lw=0.8, label=others))
    if log:
        handles += _zero_note(ax, keep)
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=False)
    ax.grid(True, color="0.92", lw=0.6)
    if x.size:
        _top_axis(ax, x, nonzeros, log, "nonzero features" if what.startswith("‖")
                  else "nonzero coefficients")  # fmt: skip
    show = np.array([j for j in colors if end[j] != 0], int)
    if feature_names is not None and show.size:
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo, hi)  # the labels are placed in these limits
        pos = _spread(end[show], 0.045 * (hi - lo), lo, hi)
        from matplotlib.transforms import blended_transform_factory

        beside = blended_transform_factory(ax.transAxes, ax.transData)  # x: axes, y: data
        for j, y_label in zip(show, pos, strict=True):
            ax.text(1.01, y_label, feature_names[j], transform=beside, va="center",
                    fontsize=8, color=colors[j], clip_on=False)  # fmt: skip
    ax.set_title("regularization path", fontsize=10, loc="left")
    return ax


def _per_feature(coef: np.ndarray, classes, response) -> tuple[np.ndarray, str]:
    """``(K, p)`` values to draw per feature, and the words that say what they are (appended to
    the y label): ``coef`` itself, or for a path with a task axis ``(K, p, m)`` the norms of
    its rows (``"‖ over m tasks"``: the label becomes a norm) or the column of ``response``."""
    if coef.ndim == 2:
        if response is not None:
            raise ValueError("response is for a path with a task axis (multi-task or "
                             "multinomial); this path has one response: drop response")  # fmt: skip
        return coef, ""
    m = coef.shape[2]
    kind = "classes" if classes is not None else "tasks"
    if response is None:
        return np.linalg.norm(coef, axis=2), f"‖ over {m} {kind}"
    if classes is not None:
        classes = np.asarray(classes)
        found = np.flatnonzero(classes == response) if np.ndim(response) == 0 else []
        if len(found) != 1:
            raise ValueError(f"response must be one of the classes {classes.tolist()}, got "
                             f"{response!r}")  # fmt: skip
        return coef[:, :, found[0]], f" (class {classes[found[0]]!s})"
    if isinstance(response, bool) or not isinstance(response, (int, np.integer)) \
            or not -m <= response < m:  # fmt: skip
        raise ValueError(f"response must be a task index from 0 to {m - 1}, got {response!r}")
    return coef[:, :, response], f" (task {int(response) % m})"


def plot_cv(cv: CVResult, ax: Axes | None = None) -> Axes:
    """Draw the cross-validation curve of a :class:`l1jax.CVResult`.

    The mean held-out score against λ (log axis, λ decreasing to the right), with error bars of
    one standard error, dashed vertical lines at ``lambda_min`` and ``lambda_1se``, and the number
    of nonzero coefficients of the refit path along the top axis (for a multi-task or
    multinomial path: of the features with a nonzero coefficient in some task or class). For an
    ``l1_ratio`` grid, the curve of the best ``l1_ratio`` (``cv.l1_ratio_min``).

    Args:
      cv: the result of :func:`l1jax.cv_path`.
      ax: the matplotlib ``Axes`` to draw on; default: a new figure's.

    Returns:
      The ``Axes``.

    Example:
      >>> import matplotlib; matplotlib.use("Agg")
      >>> import numpy as np, l1jax
      >>> rng = np.random.default_rng(0)
      >>> X = rng.standard_normal((60, 5)); y = X[:, 0] - 2 * X[:, 1] + rng.standard_normal(60)
      >>> ax = l1jax.plot_cv(l1jax.cv_path(X, y, n_folds=5, lambdas=20))
      >>> ax.get_ylabel()
      'mean squared error'
    """
    if not hasattr(cv, "cv_mean") or not hasattr(cv, "lambda_1se"):
        raise TypeError(f"cv must be an l1jax.CVResult, got {type(cv).__name__}")
    _check_ax(ax)
    lambdas = np.asarray(cv.lambdas, np.float64)
    mean = np.asarray(cv.cv_mean, np.float64)
    se = np.asarray(cv.cv_se, np.float64)
    grid = mean.ndim == 2  # an l1_ratio grid: draw the row of the best l1_ratio
    if grid:
        row = cv.index_l1_ratio
        lambdas, mean, se = lambdas[row], mean[row], se[row]
    instead = "cross-validate over λs > 0 (lambdas=20: an automatic grid), or draw its path"
    keep = _positive_lambdas(lambdas, "cv", instead + " with plot_path(cv, xvar='norm')")
    ax = _axes(ax)
    x, mean, se = lambdas[keep], mean[keep], se[keep]
    ax.errorbar(
        x, mean, yerr=se, fmt="o", ms=3.5, color="tab:red", ecolor="0.65", elinewidth=0.9,
        capsize=1.5, zorder=3,
    )  # fmt: skip
    _log_x(ax)
    ax.set_xlim(x.max() * 1.15, x.min() / 1.15)
    counts = features_in(cv.path.coef).sum(axis=1)  # (features in the model, whatever the tasks)
    nonzeros = counts[keep]
    for lam, name, style in ((cv.lambda_min, "λ_min", "--"), (cv.lambda_1se, "λ_1se", ":")):
        k = int(np.argmin(np.abs(lambdas - lam)))
        n_nz = int(counts[k])
        _mark_lambda(ax, lam, f"{name} = {lam:.3g} ({n_nz} nonzero)", color="0.25", ls=style,
                     lw=1.1)  # fmt: skip
    ax.set_xlabel("λ (log scale)")
    ylabel = _SCORE_LABELS.get(cv.scoring, cv.scoring)
    coef_shape = np.shape(cv.path.coef)
    if cv.scoring == "mse" and len(coef_shape) == 3:  # multi-task: a row's errors summed
        ylabel += f" (summed over {coef_shape[2]} tasks)"
    ax.set_ylabel(ylabel)
    ax.grid(True, color="0.92", lw=0.6)
    _zero_note(ax, keep)
    ax.legend(loc="best", fontsize=8, frameon=False)
    n_folds = np.asarray(cv.fold_scores).shape[-2]
    title = f"{n_folds}-fold cross-validation (± 1 standard error)"
    if grid:
        title += f", l1_ratio = {cv.l1_ratio_min:g}"
    ax.set_title(title, fontsize=10, loc="left")
    _top_axis(ax, x, nonzeros, True, "nonzero coefficients" if np.ndim(cv.path.coef) == 2
              else "nonzero features")  # fmt: skip
    return ax


def plot_stability(
    result: StabilityResult,
    ax: Axes | None = None,
    feature_names: Sequence[str] | None = None,
    max_labels: int = 10,
) -> Axes:
    """Draw the stability path of a :class:`l1jax.StabilityResult` (Meinshausen & Bühlmann 2010,
    Figure 1).

    One line per feature: its selection probability against λ (log axis, λ decreasing to the
    right, as :func:`plot_path`). The selected features (those whose probability reaches the
    threshold somewhere) are coloured and labelled at their right end (by ``feature_names``, else
    by their column index), the others are thin grey lines; a dashed line marks the threshold,
    and the legend gives the bound on the expected number of false selections.

    Args:
      result: the result of :func:`l1jax.stability_selection`.
      ax: the matplotlib ``Axes`` to draw on; default: a new figure's.
      feature_names: ``p`` names of the features (default: the result's ``feature_names``, a
        DataFrame's column names).
      max_labels: the most selected features to colour and label (the most stable first).

    Returns:
      The ``Axes``.

    Example:
      >>> import matplotlib; matplotlib.use("Agg")
      >>> import numpy as np, l1jax
      >>> rng = np.random.default_rng(0)
      >>> X = rng.standard_normal((60, 8)); y = X[:, 0] - 2 * X[:, 1] + rng.standard_normal(60)
      >>> st = l1jax.stability_selection(X, y, n_subsamples=20, lambdas=12)
      >>> ax = l1jax.plot_stability(st, feature_names="abcdefgh")
      >>> ax.get_ylabel(), sorted(t.get_text() for t in ax.texts)
      ('selection probability', ['a', 'b'])
    """
    if not hasattr(result, "probabilities") or not hasattr(result, "selected"):
        raise TypeError(f"result must be an l1jax.StabilityResult, got {type(result).__name__}")
    _check_ax(ax)
    check_int(max_labels, "max_labels", 0)
    prob = np.asarray(result.probabilities, np.float64)
    lambdas = np.asarray(result.lambdas, np.float64)
    K, p = prob.shape
    if feature_names is None:  # (a DataFrame's column names, kept by stability_selection)
        feature_names = getattr(result, "feature_names", None)
    feature_names = _feature_names(feature_names, p)
    names = feature_names or [str(j) for j in range(p)]
    keep = _positive_lambdas(lambdas, "result", "a λ = 0 fit selects every feature")
    ax = _axes(ax)
    x, prob = lambdas[keep], prob[keep]
    best = prob.max(axis=0)
    selected = np.flatnonzero(np.asarray(result.selected))
    shown = selected[np.argsort(-best[selected], kind="stable")][:max_labels]
    colors = dict(zip(shown.tolist(), _palette(shown.size), strict=True))
    lines = ax.plot(x, prob, marker="o" if x.size == 1 else None)
    for j, line in enumerate(lines):
        strong = j in colors or j in selected
        line.set(color=colors.get(j, "0.35" if strong else "0.78"), lw=1.5 if strong else 0.8,
                 zorder=2 if strong else 1)  # fmt: skip
    threshold = float(result.threshold)
    handles = [
        ax.axhline(threshold, color="0.2", ls="--", lw=1.0, zorder=0,
                   label=f"threshold {threshold:g}: {selected.size} selected, "
                   f"E[false] ≤ {float(result.error_bound):.3g}")
    ]  # fmt: skip
    if selected.size < p:
        from matplotlib.lines import Line2D

        others = f"{p - selected.size} other features"
        handles.append(Line2D([], [], color="0.78", lw=0.8, label=others))
    handles += _zero_note(ax, keep)
    ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=False)
    _log_x(ax)
    ax.set_xlim(x.max() * 1.05, x.min() / 1.05)  # λ decreasing: the model grows rightwards
    ax.set_ylim(-0.02, 1.08)
    ax.set_xlabel("λ (log scale)")
    ax.set_ylabel("selection probability")
    ax.grid(True, color="0.92", lw=0.6)
    if shown.size:
        lo, hi = ax.get_ylim()
        end = prob[-1, shown]
        pos = _spread(end, 0.045 * (hi - lo), lo, hi)
        from matplotlib.transforms import blended_transform_factory

        beside = blended_transform_factory(ax.transAxes, ax.transData)  # x: axes, y: data
        for j, y_label in zip(shown, pos, strict=True):
            ax.text(1.01, y_label, names[j], transform=beside, va="center", fontsize=8,
                    color=colors[j], clip_on=False)  # fmt: skip
    B = np.asarray(result.subsamples).shape[0]
    ax.set_title(f"stability path ({B} subsamples, complementary halves)", fontsize=10,
                 loc="left")  # fmt: skip
    return ax

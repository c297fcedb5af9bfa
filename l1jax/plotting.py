"""Plots of regularization paths and their cross-validation curves (as glmnet's ``plot``).

matplotlib is an optional dependency (``pip install "l1jax[plot]"``), imported only when a
function here is called. Every function draws on the given ``Axes`` (or a new figure's), returns
the ``Axes`` and never calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from l1jax.cv import CVResult
    from l1jax.path import PathResult

__all__ = ["plot_path", "plot_cv"]

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


def _axes(ax):
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(7, 4.5))
    else:
        _pyplot()
    return ax


def _top_axis(ax, x, nonzeros, log: bool) -> None:
    """A top axis that counts the nonzero coefficients at about 8 points along ``x``."""
    top = ax.twiny()
    if log:
        top.set_xscale("log")
    top.set_xlim(ax.get_xlim())
    lo, hi = sorted(ax.get_xlim())
    inside = np.flatnonzero((x >= lo) & (x <= hi))
    if inside.size:
        coords = np.log(x[inside]) if log else x[inside]
        targets = np.linspace(coords.min(), coords.max(), 8)
        picks = np.unique([inside[np.argmin(np.abs(coords - t))] for t in targets])
        top.set_xticks(x[picks])
        top.set_xticklabels([str(int(nonzeros[i])) for i in picks])
    top.minorticks_off()
    top.tick_params(axis="x", labelsize=8, length=3)
    top.set_xlabel("nonzero coefficients", fontsize=9)


def _spread(values: np.ndarray, gap: float) -> np.ndarray:
    """Move sorted label positions apart by at least ``gap``, keeping their mean near the data."""
    order = np.argsort(values)
    pos = values[order].astype(float)
    for i in range(1, pos.size):
        pos[i] = max(pos[i], pos[i - 1] + gap)
    pos -= max(0.0, (pos[-1] - values[order][-1]) / 2) if pos.size else 0.0
    for i in range(pos.size - 2, -1, -1):
        pos[i] = min(pos[i], pos[i + 1] - gap)
    out = np.empty_like(pos)
    out[order] = pos
    return out


def plot_path(
    result: PathResult | CVResult,
    ax: Axes | None = None,
    xvar: str = "lambda",
    feature_names: Sequence[str] | None = None,
    scale=None,
    max_labels: int = 20,
) -> Axes:
    """Draw the coefficient paths of a :class:`l1jax.PathResult` (or of a CV result's refit).

    One line per feature: its coefficient (on the original scale of ``X``) against λ on a log
    axis, λ decreasing to the right so that the model grows left to right (``xvar="lambda"``),
    or against the L1 norm ``Σ_j |β_j|`` of the whole coefficient vector (``xvar="norm"``). The
    top axis counts the nonzero coefficients. With ``feature_names``, the lines are labelled
    at their right end (the ``max_labels`` largest final coefficients, when there are many).
    Given a :class:`l1jax.CVResult`, its ``lambda_min`` and ``lambda_1se`` are marked too.

    Features measured in different units have coefficients of very different sizes; pass
    ``scale=X.std(axis=0)`` to draw the standardized coefficients ``β_j · sd(x_j)`` (the
    change in the prediction per standard deviation of each feature) instead; with
    ``xvar="norm"`` the L1 norm is then that of the drawn coefficients.

    Args:
      result: a :class:`l1jax.PathResult`, or a :class:`l1jax.CVResult` (its ``path``).
      ax: the matplotlib ``Axes`` to draw on; default: a new figure's.
      xvar: ``"lambda"`` or ``"norm"``.
      feature_names: ``p`` names of the features.
      scale: optional ``(p,)`` factors that multiply the coefficients before drawing.
      max_labels: the most lines to label.

    Returns:
      The ``Axes``.

    Example:
      >>> import matplotlib; matplotlib.use("Agg")
      >>> import numpy as np, l1jax
      >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.5]]); y = X @ [1.0, -2.0]
      >>> ax = l1jax.plot_path(l1jax.path(X, y, lambdas=10), feature_names=["a", "b"])
      >>> ax.get_xlabel()
      'λ (log scale)'
    """
    res = getattr(result, "path", result)
    if not hasattr(res, "coef") or not hasattr(res, "lambdas"):
        raise TypeError(
            f"result must be an l1jax.PathResult or CVResult, got {type(result).__name__}"
        )
    if xvar not in ("lambda", "norm"):
        raise ValueError(f"xvar must be 'lambda' or 'norm', got {xvar!r}")
    coef = np.asarray(res.coef, np.float64)
    lambdas = np.asarray(res.lambdas, np.float64)
    K, p = coef.shape
    if scale is not None:
        scale = np.asarray(scale, np.float64)
        if scale.shape != (p,):
            raise ValueError(f"scale must have one factor per feature ({p},), got {scale.shape}")
        coef = coef * scale
    if feature_names is not None:
        feature_names = [str(name) for name in feature_names]
        if len(feature_names) != p:
            raise ValueError(
                f"feature_names must have one name per feature ({p}), got {len(feature_names)}"
            )
    ax = _axes(ax)
    nonzeros = (coef != 0).sum(axis=1)
    log = xvar == "lambda"
    if log:
        keep = lambdas > 0  # λ = 0 has no place on a log axis
        x = lambdas[keep]
        coef, nonzeros = coef[keep], nonzeros[keep]
    else:
        x = np.abs(coef).sum(axis=1)
    colors = _pyplot().get_cmap("tab10" if p <= 10 else "tab20")
    lines = ax.plot(x, coef, lw=1.4)
    for j, line in enumerate(lines):
        line.set_color(colors(j % colors.N))
        if feature_names is not None:
            line.set_label(feature_names[j])
    ax.axhline(0.0, color="0.6", lw=0.8, zorder=0)
    if log:
        ax.set_xscale("log")
        ax.set_xlim(x.max() * 1.15, x.min() / 1.15)  # λ decreasing: the model grows rightwards
        ax.set_xlabel("λ (log scale)")
    else:
        span = x.max() - x.min() if x.size else 1.0
        ax.set_xlim(x.min() - 0.02 * span, x.max() + 0.02 * span)
        ax.set_xlabel("L1 norm of the " + ("coefficients  Σ|β|" if scale is None
                      else "standardized coefficients  Σ|β·scale|"))  # fmt: skip
    ax.set_ylabel("coefficient" if scale is None else "standardized coefficient")
    if log and hasattr(result, "lambda_1se"):
        marks = [
            ax.axvline(lam, color="0.35", ls=style, lw=1.0, zorder=0, label=f"{name} = {lam:.3g}")
            for lam, name, style in ((result.lambda_min, "λ_min", "--"),
                                     (result.lambda_1se, "λ_1se", ":"))
        ]  # fmt: skip
        ax.legend(handles=marks, loc="lower left", fontsize=8, frameon=False)
    ax.grid(True, color="0.92", lw=0.6)
    if x.size:
        _top_axis(ax, x, nonzeros, log)
    if feature_names is not None and x.size:
        end = coef[np.argmax(x) if not log else np.argmin(x)]
        show = np.flatnonzero(end != 0)
        show = show[np.argsort(-np.abs(end[show]))[:max_labels]]
        if show.size:
            lo, hi = ax.get_ylim()
            pos = _spread(end[show], 0.045 * (hi - lo))
            from matplotlib.transforms import blended_transform_factory

            beside = blended_transform_factory(ax.transAxes, ax.transData)  # x: axes, y: data
            for j, y_label in zip(show, pos, strict=True):
                ax.text(1.01, y_label, feature_names[j], transform=beside, va="center",
                        fontsize=8, color=colors(j % colors.N), clip_on=False)  # fmt: skip
    ax.set_title("regularization path", fontsize=10, loc="left")
    return ax


def plot_cv(cv: CVResult, ax: Axes | None = None) -> Axes:
    """Draw the cross-validation curve of a :class:`l1jax.CVResult`.

    The mean held-out score against λ (log axis, λ decreasing to the right), with error bars of
    one standard error, dashed vertical lines at ``lambda_min`` and ``lambda_1se``, and the number
    of nonzero coefficients of the refit path along the top axis. For an ``l1_ratio`` grid, the
    curve of the best ``l1_ratio`` (``cv.l1_ratio_min``).

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
    ax = _axes(ax)
    lambdas = np.asarray(cv.lambdas, np.float64)
    mean = np.asarray(cv.cv_mean, np.float64)
    se = np.asarray(cv.cv_se, np.float64)
    grid = mean.ndim == 2  # an l1_ratio grid: draw the row of the best l1_ratio
    if grid:
        row = cv.index_l1_ratio
        lambdas, mean, se = lambdas[row], mean[row], se[row]
    keep = lambdas > 0
    x, mean, se = lambdas[keep], mean[keep], se[keep]
    ax.errorbar(
        x, mean, yerr=se, fmt="o", ms=3.5, color="tab:red", ecolor="0.65", elinewidth=0.9,
        capsize=1.5, zorder=3,
    )  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlim(x.max() * 1.15, x.min() / 1.15)
    nonzeros = (np.asarray(cv.path.coef) != 0).sum(axis=1)[keep]
    for lam, name, style in ((cv.lambda_min, "λ_min", "--"), (cv.lambda_1se, "λ_1se", ":")):
        k = int(np.argmin(np.abs(lambdas - lam)))
        n_nz = int((np.asarray(cv.path.coef[k]) != 0).sum())
        ax.axvline(
            lam, color="0.25", ls=style, lw=1.1, label=f"{name} = {lam:.3g} ({n_nz} nonzero)"
        )
    ax.set_xlabel("λ (log scale)")
    ax.set_ylabel(_SCORE_LABELS.get(cv.scoring, cv.scoring))
    ax.grid(True, color="0.92", lw=0.6)
    ax.legend(loc="best", fontsize=8, frameon=False)
    n_folds = np.asarray(cv.fold_scores).shape[-2]
    title = f"{n_folds}-fold cross-validation (± 1 standard error)"
    if grid:
        title += f", l1_ratio = {cv.l1_ratio_min:g}"
    ax.set_title(title, fontsize=10, loc="left")
    _top_axis(ax, x, nonzeros, True)
    return ax

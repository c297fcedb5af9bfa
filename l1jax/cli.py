"""The command line, ``python -m l1jax``: cross-validated lasso / elastic-net paths.

    python -m l1jax                        # the diabetes data (Efron et al. 2004), shipped inside
    python -m l1jax path FILE.csv --target COLUMN [--loss squared|logistic|poisson]
                    [--l1-ratio R] [--cv K] [--plot OUT.png] [--out COEF.csv]
    python -m l1jax demo [--help]          # L1 subgradient vs L1 prox vs L2 weight decay

Bad input exits with status 1 (2 for bad options) and one line on stderr, never a traceback.
Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
import warnings
from collections.abc import Sequence
from importlib import resources
from typing import NamedTuple

import numpy as np

__all__ = ["Table", "read_csv", "load_diabetes", "main"]

DIABETES_PATH = "diabetes.csv"
PATH_PNG = "diabetes_path.png"
CV_PNG = "diabetes_cv.png"


class Table(NamedTuple):
    """Numeric data read from a CSV file: features, target and their names."""

    X: np.ndarray  # (n, p) float64
    y: np.ndarray  # (n,)
    feature_names: list[str]
    target: str
    classes: list[str] | None = None  # for a recoded binary target: the labels of 0 and 1


class InputError(ValueError):
    """Bad input of the command line: printed as one line, exit status 1."""


def _number(cell: str, where: str) -> float:
    text = cell.strip()
    if not text:
        raise InputError(f"{where} is empty (missing values are not supported; impute them)")
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where} is not a number: {text[:40]!r}") from None
    if not math.isfinite(value):
        raise InputError(f"{where} is not a finite number: {text[:40]!r}")
    return value


def read_csv(file, target: str, *, binary: bool = False) -> Table:
    """Read a CSV file with a header row: every column numeric, ``target`` the response.

    Args:
      file: a path or an open text file.
      target: the name of the response column; all other columns are the features.
      binary: recode a target of two distinct values (numbers or labels) as 0/1 (the larger
        or, for labels, the later in sorted order is 1); more or fewer values raise.

    Returns:
      :class:`Table`.

    Raises:
      InputError (a ValueError): with one line naming the file, line and column at fault.
      OSError: the file cannot be read.
    """
    name = getattr(file, "name", str(file))
    if hasattr(file, "read"):
        rows = list(csv.reader(file))
    else:
        with open(file, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    rows = [(i + 1, row) for i, row in enumerate(rows) if any(cell.strip() for cell in row)]
    if not rows:
        raise InputError(f"{name} is empty; it needs a header row and data rows")
    _, header = rows[0]
    header = [cell.strip() for cell in header]
    if target not in header:
        raise InputError(
            f"column {target!r} is not in {name}; its columns are: {', '.join(header)}"
        )
    if len(set(header)) != len(header):
        dup = sorted({h for h in header if header.count(h) > 1})
        raise InputError(f"{name} has duplicate column names: {', '.join(dup)}")
    if len(header) < 2:
        raise InputError(f"{name} has only the column {target!r}; it needs feature columns too")
    if len(rows) < 2:
        raise InputError(f"{name} has a header but no data rows")
    t = header.index(target)
    features = [h for j, h in enumerate(header) if j != t]
    X = np.empty((len(rows) - 1, len(features)))
    raw_y = []
    for r, (line, row) in enumerate(rows[1:]):
        if len(row) != len(header):
            raise InputError(
                f"{name} line {line} has {len(row)} cells, the header has {len(header)}"
            )
        cells = [cell for j, cell in enumerate(row) if j != t]
        for j, cell in enumerate(cells):
            X[r, j] = _number(cell, f"{name} line {line}, column {features[j]!r},")
        raw_y.append((line, row[t].strip()))
    classes = None
    if binary:
        values = sorted({cell for _, cell in raw_y}, key=_sort_key)
        if len(values) != 2:
            shown = ", ".join(values[:5]) + (", ..." if len(values) > 5 else "")
            raise InputError(
                f"target {target!r} must be binary for --loss logistic: it has {len(values)} "
                f"distinct values ({shown})"
            )
        y = np.array([float(cell == values[1]) for _, cell in raw_y])
        classes = values
    else:
        y = np.array([_number(cell, f"{name} line {line}, column {target!r},")
                      for line, cell in raw_y])  # fmt: skip
    return Table(X, y, features, target, classes)


def _sort_key(cell: str):
    try:
        return (0, float(cell), cell)
    except ValueError:
        return (1, 0.0, cell)


def load_diabetes() -> Table:
    """The diabetes data of Efron, Hastie, Johnstone & Tibshirani (2004), "Least angle
    regression", shipped with l1jax: 442 patients, 10 baseline variables (age, sex, body mass
    index, blood pressure, six serum measurements s1-s6) on their original scales, and a
    measure of disease progression one year later (``target``)."""
    source = resources.files("l1jax") / "data" / DIABETES_PATH
    with source.open("r", encoding="utf-8") as handle:
        return read_csv(handle, "target")


# ----------------------------------------------------------------------------------------------
# Running a job.


def _progress(message: str) -> None:
    print(f"[l1jax] {message}", file=sys.stderr, flush=True)


def _rows_to_show(nonzeros: np.ndarray, marks: dict[int, str]) -> list[int]:
    """The first λ of each support size, the marked λs and the last λ."""
    first = [0] + [k for k in range(1, nonzeros.size) if nonzeros[k] != nonzeros[k - 1]]
    return sorted(set(first) | set(marks) | {nonzeros.size - 1})


def _report(table: Table, result, cv) -> str:
    """The compact text table: λ, nonzeros, CV error; the chosen λs and the features they keep."""
    path = cv.path if cv is not None else result
    coef = np.asarray(path.coef, np.float64)
    nonzeros = (coef != 0).sum(axis=1)
    marks = {}
    if cv is not None:
        marks = {cv.index_min: "λ_min", cv.index_1se: "λ_1se"}
        if cv.index_min == cv.index_1se:
            marks = {cv.index_min: "λ_min = λ_1se"}
    score = cv.scoring if cv is not None else ""
    head = f"{'λ':>11} {'nonzero':>8}"
    if cv is not None:
        head += f" {'CV ' + score:>20} {'± se':>10}"
    lines = [head]
    for k in _rows_to_show(nonzeros, marks):
        line = f"{path.lambdas[k]:>11.4g} {nonzeros[k]:>8d}"
        if cv is not None:
            line += f" {cv.cv_mean[k]:>20.5g} {cv.cv_se[k]:>10.3g}"
        if k in marks:
            line += f"   <- {marks[k]}"
        lines.append(line)
    chosen = [(k, name) for k, name in marks.items()]
    if not chosen:
        chosen = [(coef.shape[0] - 1, "the smallest λ")]
    lines.append("")
    names = table.feature_names
    width = max(8, *(len(n) for n in names))
    for k, label in sorted(chosen):
        keep = np.flatnonzero(coef[k])
        lines.append(
            f"{label} = {path.lambdas[k]:.4g} keeps {keep.size} of {len(names)} features"
            + (f": {', '.join(names[j] for j in keep)}" if keep.size else "")
        )
    lines.append("")
    lines.append(f"{'coefficient':<{width}} " + " ".join(f"{name:>14}" for _, name in
                                                      sorted(chosen)))  # fmt: skip
    lines.append(f"{'(intercept)':<{width}} " + " ".join(
        f"{path.intercept[k]:>14.5g}" for k, _ in sorted(chosen)))  # fmt: skip
    for j, name in enumerate(names):
        cells = [f"{coef[k, j]:>14.5g}" if coef[k, j] != 0 else f"{'.':>14}"
                 for k, _ in sorted(chosen)]  # fmt: skip
        lines.append(f"{name:<{width}} " + " ".join(cells))
    return "\n".join(lines)


def _write_coef(out: str, table: Table, path, cv) -> None:
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        extra = ["cv_mean", "cv_se"] if cv is not None else []
        writer.writerow(["lambda", *extra, "nonzero", "intercept", *table.feature_names])
        for k in range(path.lambdas.size):
            cells = [repr(float(path.lambdas[k]))]
            if cv is not None:
                cells += [repr(float(cv.cv_mean[k])), repr(float(cv.cv_se[k]))]
            cells += [str(int((path.coef[k] != 0).sum())), repr(float(path.intercept[k]))]
            cells += [repr(float(c)) for c in path.coef[k]]
            writer.writerow(cells)


def _save_plots(table: Table, path, cv, files: Sequence[str]) -> None:
    """Path and CV plots: two files, or both panels in one file when one name is given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from l1jax.plotting import plot_cv, plot_path

    scale = table.X.std(axis=0)
    names = table.feature_names
    if len(files) == 2 or cv is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.8))
        plot_path(cv if cv is not None else path, ax=ax, feature_names=names, scale=scale)
        fig.savefig(files[0], dpi=110, bbox_inches="tight")
        plt.close(fig)
        if cv is not None:
            fig, ax = plt.subplots(figsize=(7.5, 4.8))
            plot_cv(cv, ax=ax)
            fig.savefig(files[1], dpi=110, bbox_inches="tight")
            plt.close(fig)
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 4.8))
    plot_path(cv, ax=left, feature_names=names, scale=scale)
    plot_cv(cv, ax=right)
    fig.tight_layout(w_pad=4)
    fig.savefig(files[0], dpi=110, bbox_inches="tight")
    plt.close(fig)


def _run(table: Table, args, plot_files: Sequence[str], source: str) -> None:
    import jax

    jax.config.update("jax_enable_x64", True)  # a command-line run owns its process
    import l1jax

    n, p = table.X.shape
    _progress(f"data: {source}: {n} rows, {p} features, target {table.target!r}"
              + (f" (1 = {table.classes[1]!r}, 0 = {table.classes[0]!r})"
                 if table.classes else ""))  # fmt: skip
    what = "lasso" if args.l1_ratio == 1 else f"elastic net (l1_ratio={args.l1_ratio:g})"
    options = dict(loss=args.loss, l1_ratio=args.l1_ratio, lambdas=args.n_lambdas)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if args.cv:
            _progress(
                f"fitting the {args.loss} {what} path ({args.n_lambdas} λs) on all rows and on "
                f"{args.cv} folds (the first run compiles for a few seconds) ..."
            )
            cv = l1jax.cv_path(table.X, table.y, n_folds=args.cv, seed=args.seed, **options)
            path = cv.path
        else:
            _progress(f"fitting the {args.loss} {what} path ({args.n_lambdas} λs) ...")
            cv, path = None, l1jax.path(table.X, table.y, **options)
    for w in caught:
        print(f"[l1jax] warning: {w.message}", file=sys.stderr)
    _progress(f"fitted in {time.perf_counter() - start:.1f} s")
    title = f"{args.loss} {what}, {n} rows × {p} features"
    if cv is not None:
        title += f", {args.cv}-fold cross-validation"
    print(title)
    print(_report(table, path, cv))
    if args.out:
        _write_coef(args.out, table, path, cv)
        _progress(f"wrote {path.lambdas.size} rows of coefficients to {args.out}")
    plot_files = list(plot_files) if cv is not None else list(plot_files)[:1]
    if plot_files:
        _progress("drawing the plots ...")
        _save_plots(table, path, cv, plot_files)
        _progress("saved " + " and ".join(plot_files))
        print("plots: " + ", ".join(plot_files))


# ----------------------------------------------------------------------------------------------
# The argument parser.


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _ratio(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {value}")
    return value


def _add_fit_options(parser: argparse.ArgumentParser, *, loss: bool) -> None:
    if loss:
        parser.add_argument(
            "--loss", choices=("squared", "logistic", "poisson"), default="squared",
            help="squared (regression, default), logistic (a binary target: two distinct "
            "values or labels) or poisson (counts)",
        )  # fmt: skip
    else:
        parser.set_defaults(loss="squared")
    parser.add_argument(
        "--l1-ratio", type=_ratio, default=1.0, metavar="R",
        help="elastic-net mixing in (0, 1]: 1 is the lasso (default), smaller adds ridge",
    )  # fmt: skip
    parser.add_argument(
        "--cv", type=_positive_int, default=10, metavar="K",
        help="number of cross-validation folds, 0 for no CV (default 10)",
    )  # fmt: skip
    parser.add_argument(
        "--n-lambdas", type=_positive_int, default=100, metavar="N",
        help="number of λs, log-spaced from λ_max down (default 100)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of the random folds (default 0)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m l1jax",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Cross-validated lasso and elastic-net regularization paths with l1jax.\n\n"
            "Without a command: a 10-fold cross-validated lasso path on the diabetes data of\n"
            "Efron et al. (2004, 442 patients, 10 features, shipped with l1jax). It prints λ,\n"
            "the number of nonzero coefficients and the CV error along the path, the two\n"
            "chosen λs (λ_min: the lowest CV error; λ_1se: the largest λ within one standard\n"
            f"error of it) with the features they keep, and saves {PATH_PNG} and\n"
            f"{CV_PNG} in the current directory."
        ),
        epilog=(
            "examples:\n"
            "  python -m l1jax\n"
            "  python -m l1jax path data.csv --target y --cv 5 --plot fit.png --out coef.csv\n"
            "  python -m l1jax path data.csv --target sick --loss logistic --l1-ratio 0.5\n"
            "  python -m l1jax demo --steps 300\n\n"
            "The objective, for each λ: (1/n) Σ loss(y_i, b + x_i·β) + λ (R |β|₁ + (1-R)/2 |β|²)\n"
            "on standardized features; coefficients are reported on the original scale."
        ),
    )
    _add_fit_options(parser, loss=False)
    sub = parser.add_subparsers(dest="command", metavar="{path,demo}")
    p = sub.add_parser(
        "path",
        help="the same for your CSV file (header row, numeric columns)",
        description=(
            "Fit a regularization path to FILE.csv: a header row, then numeric rows; the\n"
            "--target column is the response, every other column a feature. Prints the same\n"
            "table as the default job."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE.csv", help="the data, with a header row")
    p.add_argument("--target", required=True, metavar="COLUMN", help="the response column")
    _add_fit_options(p, loss=True)
    p.add_argument(
        "--plot", metavar="OUT.png",
        help="save the path plot (and the CV plot beside it, with --cv) to this PNG",
    )  # fmt: skip
    p.add_argument(
        "--out", metavar="COEF.csv",
        help="write the path: one row per λ (lambda, cv_mean, cv_se, nonzero, intercept, "
        "one column per feature)",
    )  # fmt: skip
    sub.add_parser(
        "demo",
        help="L1 subgradient vs L1 prox vs L2 weight decay on a toy model "
        "(python -m l1jax demo --help)",
        add_help=False,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 on success)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:
        from l1jax import demo

        demo.main(argv[1:])
        return 0
    args = _parser().parse_args(argv)
    if args.cv == 1:
        _fail("--cv must be 0 (no cross-validation) or at least 2 folds, got 1")
        return 2
    if args.n_lambdas < 1:
        _fail("--n-lambdas must be at least 1")
        return 2
    try:
        if args.command == "path":
            if args.plot and not _have_matplotlib():
                raise InputError('--plot needs matplotlib: pip install "l1jax[plot]"')
            table = read_csv(args.file, args.target, binary=args.loss == "logistic")
            plots = [args.plot] if args.plot else []
            _run(table, args, plots, args.file)
        else:
            args.out = None
            plots = [PATH_PNG, CV_PNG]
            if not _have_matplotlib():
                _progress('matplotlib is not installed, so no plots: pip install "l1jax[plot]"')
                plots = []
            _run(load_diabetes(), args, plots, "diabetes data (Efron et al. 2004)")
    except InputError as err:
        _fail(str(err))
        return 1
    except FileNotFoundError as err:
        _fail(f"no such file: {err.filename}")
        return 1
    except (OSError, UnicodeDecodeError) as err:
        _fail(f"cannot read or write a file: {err}")
        return 1
    except (ValueError, TypeError) as err:
        _fail(str(err).splitlines()[0] if str(err) else type(err).__name__)
        return 1
    except ImportError as err:
        _fail(str(err))
        return 1
    return 0


def _have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _fail(message: str) -> None:
    print(f"l1jax: error: {message}", file=sys.stderr)

"""``python -m l1jax``: the default job, ``path FILE.csv``, ``--help`` and bad input, each in a
subprocess, on CSV files written here. The jobs start together (they are mostly compilation)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import l1jax
from l1jax import cv
from l1jax.cli import InputError, _columns_of, _in_cli_terms, main, read_csv

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"
NAMES = ["height", "weight", "dose", "noise"]


def _write(path: Path, header, rows) -> Path:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _regression(n=50):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 4)) * [1.0, 10.0, 0.1, 1.0]
    y = X @ [2.0, 0.1, 0.0, 0.0] + 0.5 * rng.standard_normal(n)
    return X, y


def _files(tmp: Path) -> dict[str, Path]:
    X, y = _regression()
    rows = [[*(repr(float(v)) for v in x), repr(float(t))] for x, t in zip(X, y, strict=True)]
    good = _write(
        tmp / "good.csv",
        ["", "height", "weight", "y", "dose", "noise"],
        [[str(i), *r[:2], *r[4:], *r[2:4]] for i, r in enumerate(rows)],
    )  # fmt: skip  (as pandas writes it: its index first; the target in the middle)
    labels = ["yes" if t > 0 else "no" for t in y]
    files = {
        "good": good,
        "labels": _write(
            tmp / "labels.csv",
            [*NAMES, "sick"],
            [[*r[:4], s] for r, s in zip(rows, labels, strict=True)],
        ),  # fmt: skip
        "empty": _write(tmp / "empty.csv", [], []),
        "header_only": _write(tmp / "header_only.csv", [*NAMES, "y"], []),
        "text_cell": _write(
            tmp / "text_cell.csv",
            [*NAMES, "y"],
            rows[:3] + [["1", "2", "oops", "4", "5"]] + rows[3:],
        ),  # fmt: skip
        "three_classes": _write(
            tmp / "three.csv", [*NAMES, "y"], [[*r[:4], str(i % 3)] for i, r in enumerate(rows)]
        ),  # fmt: skip
        "ragged": _write(tmp / "ragged.csv", [*NAMES, "y"], rows[:5] + [rows[5][:3]]),
    }
    (tmp / "empty.csv").write_text("")
    return files


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("JAX_ENABLE_X64", None)
    env["MPLBACKEND"] = "Agg"
    return env


BAD = {
    "missing file": (["path", "nowhere.csv", "--target", "y"], "nowhere.csv"),
    "empty file": (["path", "empty.csv", "--target", "y"], "empty"),
    "header only": (["path", "header_only.csv", "--target", "y"], "no data rows"),
    "unknown column": (["path", "good.csv", "--target", "age"], "'age' is not in"),
    "non-numeric cell": (["path", "text_cell.csv", "--target", "y"], "'oops'"),
    "text feature": (["path", "text_cell.csv", "--target", "y"], "leave it out with --drop dose"),
    "ragged row": (["path", "ragged.csv", "--target", "y"], "line 7 has 3 cells"),
    "--grouped, no classes": (
        ["path", "good.csv", "--target", "y", "--grouped"],
        "--grouped is for a multinomial fit",
    ),
    "--grouped, several targets": (  # (it was accepted, and meant nothing)
        ["path", "good.csv", "--target", "y", "noise", "--grouped"],
        "--grouped is for a multinomial fit",
    ),
    "labels for squared": (["path", "labels.csv", "--target", "sick"], "add --loss logistic"),
    "too many folds": (["path", "good.csv", "--target", "y", "--cv", "51"], "--cv 51 asks"),
    "one fold": (["path", "good.csv", "--target", "y", "--cv", "1"], "--cv"),
    "bad ratio": (["path", "good.csv", "--target", "y", "--l1-ratio", "0"], "--l1-ratio"),
    "no target": (["path", "good.csv"], "--target"),
    # each range says what it accepts (it said ">= 0", then refused 0 with "at least 1")
    "no lambdas": (["path", "good.csv", "--target", "y", "--n-lambdas", "0"], "must be >= 1"),
    "ratio of 1": (
        ["path", "good.csv", "--target", "y", "--lambda-min-ratio", "1"],
        "--lambda-min-ratio: must be in (0, 1)",
    ),
    "no iterations": (["path", "good.csv", "--target", "y", "--max-iter", "0"], "must be >= 1"),
    "infinite tol": (["path", "good.csv", "--target", "y", "--tol", "inf"], "finite number > 0"),
    # the demo: it printed untrained zeros under the conclusion they illustrate, or a traceback
    "demo, no steps": (["demo", "--steps", "0"], "--steps: must be >= 1, got 0"),
    "demo, negative λ": (["demo", "--lam", "-1"], "--lam: must be a finite number >= 0"),
    "demo, nan λ": (["demo", "--lam", "nan"], "--lam: must be a finite number >= 0"),
    "demo, infinite λ": (["demo", "--l2-lam", "inf"], "--l2-lam: must be a finite number >= 0"),
    # output files that cannot be written: refused before the fit (after it, as "no such file")
    "--out in no folder": (
        ["path", "good.csv", "--target", "y", "--out", "no/coef.csv"],
        "the folder",
    ),
    "--plot a folder": (["path", "good.csv", "--target", "y", "--plot", "."], "is a folder"),
}
# Through the real entry point in a subprocess (exit status, stderr); the rest in this process.
BAD_SUBPROCESS = ("missing file", "one fold")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    _files(tmp)
    commands = {
        "default": [],
        "path": [
            "path",
            "good.csv",
            "--target",
            "y",
            "--cv",
            "5",
            "--plot",
            "fit.png",
            "--out",
            "coef.csv",
        ],  # fmt: skip
        "logistic": [
            "path",
            "labels.csv",
            "--target",
            "sick",
            "--loss",
            "logistic",
            "--l1-ratio",
            "0.5",
            "--cv",
            "0",
            "--n-lambdas",
            "20",
            "--plot",
            "logistic.png",
        ],  # fmt: skip
        "stability": [
            "path",
            "good.csv",
            "--target",
            "y",
            "--stability",
            "10",
            "--n-lambdas",
            "8",
            "--plot",
            "stability.png",
            "--out",
            "probabilities.csv",
        ],  # fmt: skip
        "no matplotlib, default": ["--cv", "0", "--n-lambdas", "10"],
        "quiet": ["path", "good.csv", "--target", "y", "--cv", "3", "--quiet"],
        "no early stop": [
            "path",
            "good.csv",
            "--target",
            "y",
            "--cv",
            "0",
            "--no-early-stop",
            "--n-lambdas",
            "30",
        ],
        "no matplotlib, --plot": [
            "path",
            str(tmp / "good.csv"),
            "--target",
            "y",
            "--plot",
            "x.png",
        ],  # fmt: skip
        **{name: BAD[name][0] for name in BAD_SUBPROCESS},
    }

    # A matplotlib that cannot be imported, for the runs named "no matplotlib ...".
    blocker = tmp / "no_matplotlib" / "matplotlib"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('No module named matplotlib')\n")

    def start(argv, name):
        env = _env()
        cwd = tmp
        if name.startswith("no matplotlib"):
            env["PYTHONPATH"] = os.pathsep.join([str(blocker.parent), env["PYTHONPATH"]])
            cwd = blocker.parent
        return subprocess.Popen(
            [sys.executable, "-m", "l1jax", *argv], cwd=cwd, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    results = {}
    # The default job first and alone, so that its time is its own; then the rest together.
    for batch in (["default"], [name for name in commands if name != "default"]):
        began = time.perf_counter()
        procs = {name: start(commands[name], name) for name in batch}
        for name, proc in procs.items():
            out, err = proc.communicate(timeout=240)
            results[name] = (proc.returncode, out, err, time.perf_counter() - began)
    return tmp, results


def test_default_job(runs):
    tmp, results = runs
    code, out, err, seconds = results["default"]
    assert code == 0, err
    assert seconds < 60
    assert "Traceback" not in err
    assert "442 rows × 10 features, 10-fold cross-validation" in out
    assert "<- λ_min" in out and "<- λ_1se" in out
    assert "λ_1se = " in out and "keeps" in out and "bmi" in out and "s5" in out
    for name in ("diabetes_path.png", "diabetes_cv.png"):
        assert name in out
        data = (tmp / name).read_bytes()
        assert data[:8] == PNG and len(data) > 10_000
    assert "[l1jax]" in err  # progress lines go to stderr
    assert "[l1jax.cv_path" in err  # the library's: fold by fold on a CPU, at once elsewhere
    assert ("fitted the 10 folds" if cv._batched(None) else "fold 10/10") in err


def test_quiet_prints_no_progress(runs):
    _, results = runs
    code, out, err, _ = results["quiet"]
    assert code == 0, err
    assert "3-fold cross-validation" in out
    assert "[l1jax" not in err, err


def test_no_early_stop_fits_every_lambda(runs):
    _, results = runs
    code, out, err, _ = results["no early stop"]
    assert code == 0, err
    assert "fitted 30 λs" in err and "stopped early" not in err


def test_path_on_a_csv(runs):
    tmp, results = runs
    code, out, err, _ = results["path"]
    assert code == 0, err
    assert "50 rows × 4 features, 5-fold cross-validation" in out
    assert "good.csv: left out column 1, which has no name and numbers the rows" in err
    assert (tmp / "fit.png").read_bytes()[:8] == PNG
    with open(tmp / "coef.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["lambda", "cv_mean", "cv_se", "nonzero", "intercept", *NAMES]
    X, y = _regression()
    ref = l1jax.path(X, y)  # the CLI refits on all the data, in float64 (stopped as glmnet's)
    assert len(rows) == 1 + ref.lambdas.size  # one row per λ
    table = np.array(rows[1:], dtype=float)
    np.testing.assert_allclose(table[:, 0], ref.lambdas, rtol=1e-12)
    np.testing.assert_allclose(table[:, 5:], ref.coef, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(table[:, 4], ref.intercept, rtol=1e-6, atol=1e-8)
    assert np.all(table[:, 3] == (ref.coef != 0).sum(axis=1))


def test_logistic_with_labels(runs):
    tmp, results = runs
    code, out, err, _ = results["logistic"]
    assert code == 0, err
    assert "1 = 'yes', 0 = 'no'" in err
    assert "logistic elastic net (l1_ratio=0.5)" in out
    assert "the smallest λ" in out  # no CV: the report shows the last λ
    assert (tmp / "logistic.png").read_bytes()[:8] == PNG


def test_stability_selection(runs):
    tmp, results = runs
    code, out, err, _ = results["stability"]
    assert code == 0, err
    assert "50 rows × 4 features, stability selection: 10 halves × 8 λs" in out
    X, y = _regression()
    st = l1jax.stability_selection(X, y, n_subsamples=10, lambdas=8)  # the CLI's, in float64
    assert st.selected.any() and not st.selected.all()
    for j, name in enumerate(NAMES):
        mark = "   selected" if st.selected[j] else ""
        assert f"{name:<8} {st.max_probability[j]:>11.2f}{mark}\n" in out, out
    chosen = ", ".join(NAMES[j] for j in np.argsort(-st.max_probability) if st.selected[j])
    assert f"selected {st.selected.sum()} of 4 features (threshold 0.6): {chosen}" in out
    assert f"expected number of false selections <= {st.error_bound:.3g}" in out
    assert (tmp / "stability.png").read_bytes()[:8] == PNG
    with open(tmp / "probabilities.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["lambda", *NAMES]
    table = np.array(rows[1:], dtype=float)
    np.testing.assert_allclose(table[:, 0], st.lambdas, rtol=1e-12)
    np.testing.assert_array_equal(table[:, 1:], st.probabilities)


def test_without_matplotlib(runs):
    tmp, results = runs
    code, out, err, _ = results["no matplotlib, default"]
    assert code == 0, err  # the table, without the plots
    assert "keeps" in out and "-m pip install matplotlib" in err
    assert not list((tmp / "no_matplotlib").glob("*.png"))
    code, out, err, _ = results["no matplotlib, --plot"]
    assert code == 1 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("python -m l1jax: error: --plot needs matplotlib; install it")
    assert last.endswith(" -m pip install matplotlib")


def _in_process(argv, capsys) -> tuple[int, str, str]:
    """``main(argv)``'s exit status (argparse exits by SystemExit), stdout and stderr."""
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_help(capsys):
    code, out, _ = _in_process(["--help"], capsys)
    assert code == 0
    for word in ("diabetes", "path", "demo", "λ_1se", "diabetes_cv.png", "--cv"):
        assert word in out
    code, out, _ = _in_process(["path", "--help"], capsys)
    assert code == 0
    for word in ("--target", "--loss", "--l1-ratio", "--cv", "--plot", "--out", "logistic",
                 "--stability", "--threshold"):  # fmt: skip
        assert word in out


@pytest.mark.parametrize("name", BAD)
def test_bad_input_is_one_clear_line(runs, name, capsys, monkeypatch):
    tmp, results = runs
    if name in BAD_SUBPROCESS:
        code, out, err, _ = results[name]
    else:
        monkeypatch.chdir(tmp)
        code, out, err = _in_process(BAD[name][0], capsys)
    assert code != 0
    if name.startswith(("demo", "no ", "ratio", "infinite")):  # argparse's usage errors
        assert code == 2
    assert "Traceback" not in err
    assert BAD[name][1] in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith(("l1jax: error:", "python -m l1jax")), err  # one line says it all
    assert BAD[name][1] in last, err


# ----------------------------------------------------------------------------------------------
# Real files: separators, headers, index columns, missing cells. Read in this process (no fit).

ROWS = [["1.5", "2", "0.25", "3.1"], ["0.5", "1", "0.75", "1.2"], ["2.5", "0", "0.5", "2.8"],
        ["1", "3", "0.125", "0.4"], ["3", "1", "1", "4.4"], ["2", "2", "0.5", "2.2"]]  # fmt: skip
HEADER = ["a", "b", "c", "y"]


def _text(header, rows, sep=",") -> str:
    lines = ([sep.join(header)] if header is not None else []) + [sep.join(r) for r in rows]
    return "\n".join(lines) + "\n"


def _with(row, col, cell):
    rows = [list(r) for r in ROWS]
    rows[row][col] = cell
    return rows


FILES = {
    "pandas.csv": _text(["", *HEADER], [[str(i), *r] for i, r in enumerate(ROWS)]),
    "semi.csv": _text(HEADER, ROWS, ";"),
    "tab.csv": _text(HEADER, ROWS, "\t"),
    "comma_decimal.csv": _text(HEADER, [[c.replace(".", ",") for c in r] for r in ROWS], ";"),
    "no_header.csv": _text(None, ROWS),
    "unnamed_data.csv": _text(["", *HEADER], [["0.5", *r] for r in ROWS]),
    "unnamed_ints.csv": _text(
        ["", *HEADER], [[str(i), *r] for i, r in zip([2, 5, 8, 3, 1, 9], ROWS, strict=True)]
    ),  # (integers, but not a row numbering: data)
    "filtered_index.csv": _text(
        ["", *HEADER], [[str(i), *r] for i, r in zip([0, 2, 3, 7, 8, 11], ROWS, strict=True)]
    ),  # (a filtered frame's index, increasing)
    "two_targets.csv": _text(["a", "y", "c", "y"], ROWS),
    "trailing.csv": _text([*HEADER, ""], [[*r, ""] for r in ROWS]),
    "ids.csv": _text(["id", *HEADER], [[str(i + 1), *r] for i, r in enumerate(ROWS)]),
    "na.csv": _text(HEADER, _with(3, 1, "NA")),
    "nan.csv": _text(HEADER, _with(2, 0, "NaN")),
    "na_target.csv": _text(HEADER, _with(1, 3, "NA")),
    "labels.csv": _text(HEADER, [[*r[:3], "yes" if float(r[3]) > 2 else "no"] for r in ROWS]),
    "negative.csv": _text(HEADER, _with(0, 3, "-1")),
    "inf_target.csv": _text(HEADER, _with(0, 3, "inf")),
    "separators.csv": ",,,\n,,,\n",
    "one_row.csv": _text(HEADER, ROWS[:1]),
    "blank_row.csv": _text(HEADER, [*ROWS[:2], ["", "", "", ""], *ROWS[2:]]),
    "old_mac.csv": _text(HEADER, ROWS).replace("\n", "\r"),
    "thousands.csv": _text(HEADER, _with(1, 1, '"1,234"')),
    "mixed_line_ends.csv": _text(HEADER, ROWS).replace("\n", "\r", 3),
    "text_decimal_comma.csv": _text(
        ["city", *HEADER], [["St. Louis", *(c.replace(".", ",") for c in r)] for r in ROWS], ";"
    ),
}

READ_ERRORS = {  # name: (arguments after "path", what the one line on stderr says)
    "wrong --sep": (["semi.csv", "--target", "y", "--sep", ","], "pass --sep ';'"),
    "no header": (["no_header.csv", "--target", "y"], "pass --no-header and give --target"),
    "--no-header, a name": (
        ["no_header.csv", "--target", "y", "--no-header"],
        "--target is a column position from 0 to 3",
    ),
    "unnamed data": (["unnamed_data.csv", "--target", "y"], "leave it out with --drop ''"),
    "unnamed integers": (["unnamed_ints.csv", "--target", "y"], "leave it out with --drop ''"),
    "two columns named as the target": (["two_targets.csv", "--target", "y"],
                                        "has 2 columns named 'y', the --target"),
    "--drop unknown": (["semi.csv", "--target", "y", "--drop", "zz"], "--drop 'zz': no such"),
    "--drop the target": (["semi.csv", "--target", "y", "--drop", "a", "y"], "--target column"),
    "NA cell": (["na.csv", "--target", "y"], "line 5, column 'b', is missing ('NA')"),
    "NaN cell": (["nan.csv", "--target", "y"], "line 4, column 'a', is missing ('NaN')"),
    "NA target, logistic": (
        ["na_target.csv", "--target", "y", "--loss", "logistic"],
        "target 'y', is missing ('NA')",
    ),
    "text target": (
        ["labels.csv", "--target", "y"],
        "(no, yes) make a binary target: add --loss logistic",
    ),
    "only separators": (["separators.csv", "--target", "y"], "separators.csv is empty"),
    "decimal comma": (["comma_decimal.csv", "--target", "y"], "pass --decimal ,"),
    "typo": (["semi.csv", "--target", "Y"], "(did you mean 'y'?)"),
    "more folds than rows": (["semi.csv", "--target", "y", "--cv", "7"], "--cv 7 asks for more"),
    "negative counts": (
        ["negative.csv", "--target", "y", "--loss", "poisson", "--cv", "3"],
        "--loss poisson needs counts",
    ),
    "unknown encoding": (
        ["semi.csv", "--target", "y", "--encoding", "utf-9"],
        "--encoding 'utf-9' is not",
    ),
    "not utf-8": (["latin1.csv", "--target", "y"], "pass its encoding, e.g. --encoding latin-1"),
    "thousands separator": (["thousands.csv", "--target", "y"],
                            "if ',' separates thousands, remove it from the file instead"),
    "a '.' under --decimal ,": (["semi.csv", "--target", "y", "--decimal", ","],
                                "holds a '.' under --decimal , ('1.5')"),
    "text with a '.' under --decimal ,": (
        ["text_decimal_comma.csv", "--target", "y", "--decimal", ","],
        "leave it out with --drop city",
    ),
    "odd --stability": (["semi.csv", "--target", "y", "--stability", "3"],
                        "--stability must be even"),
    "--threshold 0.5": (["semi.csv", "--target", "y", "--stability", "4", "--threshold", "0.5"],
                        "--threshold must be > 0.5"),
}  # fmt: skip


@pytest.fixture
def real_files(tmp_path, monkeypatch):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "latin1.csv").write_bytes(_text(["a", "b", "c", "y"], ROWS).replace(
        "a,b", "\xe2ge,b").encode("latin-1"))  # fmt: skip
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", READ_ERRORS)
def test_file_problems_are_one_line_naming_the_fix(real_files, capsys, name):
    argv, message = READ_ERRORS[name]
    assert main(["path", *argv]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("python -m l1jax: error: ") and message in err[-1], err
    assert "Traceback" not in "\n".join(err)


@pytest.mark.parametrize("options, message", [
    (["--stability", "4", "--cv", "5"], "--stability 4 runs stability selection instead of the "
     "cross-validated path: leave out --cv 5"),
    (["--threshold", "0.7"], "--threshold is the selection probability of --stability B"),
])  # fmt: skip
def test_options_of_the_other_fit_are_refused(real_files, capsys, options, message):
    assert main(["path", "semi.csv", "--target", "y", *options]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("argv, says, not_said", [
    (["y", "--l1-ratio", "1e-20", "--cv", "0"], "use --l1-ratio >= 2.23e-16", "lambdas"),
    (["y", "--n-lambdas", "10000000", "--cv", "0"], "--n-lambdas must be from 1 to 1,000,000",
     "array"),
    (["y", "a", "--stability", "4"], "--stability takes one --target column", "l1jax."),
])  # fmt: skip
def test_fit_errors_offer_what_the_command_line_can_do(real_files, capsys, argv, says, not_said):
    """A fix the command line has: no explicit λs (the Python API's), and a bound it accepts."""
    assert main(["path", "semi.csv", "--target", *argv]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert says in last and not_said not in last, last


def test_one_row_is_offered_no_cross_validation(real_files, capsys):
    assert main(["path", "one_row.csv", "--target", "y", "--cv", "5"]) == 1
    assert "use --cv 0 (no cross-validation)" in capsys.readouterr().err  # (--cv 1 is refused)


def test_a_bad_separator_option(real_files, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["path", "semi.csv", "--target", "y", "--sep", ";;"])
    assert exit_.value.code == 2
    assert "--sep: must be one character" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, options, note",
    [
        ("pandas.csv", {}, "left out column 1, which has no name and numbers the rows"),
        ("filtered_index.csv", {}, "left out column 1, which has no name and numbers the rows"),
        ("semi.csv", {}, "columns separated by semicolons (--sep to choose)"),
        ("tab.csv", {}, "columns separated by tabs"),
        ("comma_decimal.csv", {"decimal": ","}, "separated by semicolons"),
        ("trailing.csv", {}, "left out column 5, which has no name and no values"),
        ("unnamed_data.csv", {"drop": [""]}, None),
        ("ids.csv", {"drop": ["id"]}, None),
        ("blank_row.csv", {}, "blank_row.csv: a row of empty cells left out (line 4)"),
        ("old_mac.csv", {}, None),  # (CR line ends: a csv.Error traceback)
        ("mixed_line_ends.csv", {}, None),  # (some CR, some LF: the same)
    ],
)
def test_real_files_read_like_the_plain_one(real_files, name, options, note):
    table = read_csv(name, "y", **options)
    plain = read_csv("tab.csv", "y", sep="\t")
    assert table.feature_names == ["a", "b", "c"]
    np.testing.assert_array_equal(table.X, plain.X)
    np.testing.assert_array_equal(table.y, plain.y)
    assert [n for n in table.notes if note and note in n] or (note is None and not table.notes)


def test_no_header_names_columns_by_position(real_files):
    table = read_csv("no_header.csv", "3", header=False, drop=["1"])
    assert table.feature_names == ["0", "2"] and table.target == "3"
    np.testing.assert_array_equal(table.y, [float(r[3]) for r in ROWS])
    np.testing.assert_array_equal(table.X[:, 1], [float(r[2]) for r in ROWS])


def test_pandas_bools_text_with_commas_and_empty_targets(tmp_path):
    """pandas writes a bool column as True/False (R as TRUE/FALSE): refused as text, where the
    Python API reads it as 0/1; a text cell holding a comma ("yes, really") was told to pass
    --decimal , (which then refused every other column); an empty target was told to drop its
    column (--drop COL), the target's."""
    flags = [["True", "false", "TRUE", "False", "true", "FALSE"][i] for i in range(len(ROWS))]
    (tmp_path / "bools.csv").write_text(
        _text(["flag", *HEADER], [[f, *r] for f, r in zip(flags, ROWS, strict=True)])
    )
    table = read_csv(tmp_path / "bools.csv", "y")
    np.testing.assert_array_equal(table.X[:, 0], [1, 0, 1, 0, 1, 0])
    with pytest.raises(InputError, match=r"target: add --loss logistic"):
        read_csv(tmp_path / "bools.csv", "flag")  # (a bool target is a class, not 0/1)
    with pytest.raises(InputError, match=r"multi-task regression must be numbers: encode it"):
        read_csv(tmp_path / "bools.csv", ["y", "flag"])  # (not: add --loss logistic)
    mixed = [["TRUE" if i % 3 == 0 else "7.25", *r] for i, r in enumerate(ROWS)]
    (tmp_path / "mixed.csv").write_text(_text(["flag", *HEADER], mixed))
    with pytest.raises(InputError, match=r"column 'flag', is not a number: 'TRUE'; features "
                                         r"must be numbers: the column mixes true/false with "
                                         r"numbers"):  # fmt: skip
        read_csv(tmp_path / "mixed.csv", "y")  # (bools only in a column of bools)
    gap = [[f if i != 3 else "", *r] for i, (f, r) in enumerate(zip(flags, ROWS, strict=True))]
    (tmp_path / "gap.csv").write_text(_text(["flag", *HEADER], gap))
    with pytest.raises(InputError, match=r"line 5, column 'flag', is empty"):
        read_csv(tmp_path / "gap.csv", "y")  # (not: line 2 'True' is not a number)
    one = [[*r, "only"] for r in ROWS]
    (tmp_path / "one.csv").write_text(_text([*HEADER, "z"], one))
    with pytest.raises(InputError, match=r"it holds one text value \(only\)"):
        read_csv(tmp_path / "one.csv", ["y", "z"])  # (--loss logistic cannot fit one class)
    (tmp_path / "note.csv").write_text(_text(["note", *HEADER], [['"yes, really"', *r]
                                                                 for r in ROWS]))  # fmt: skip
    with pytest.raises(
        InputError,
        match=r"'yes, really'; features must be numbers: encode the "
        r"column, or leave it out with --drop note$",
    ):
        read_csv(tmp_path / "note.csv", "y")
    (tmp_path / "na.csv").write_text(_text(HEADER, _with(1, 3, "")))
    with pytest.raises(InputError, match=r"target 'y', is empty: .* leave out their rows$"):
        read_csv(tmp_path / "na.csv", "y")


def test_a_column_that_counts_the_rows_is_noted(real_files):
    table = read_csv("ids.csv", "y")
    assert table.feature_names == ["id", "a", "b", "c"]
    assert table.notes == ("ids.csv: column 'id' counts the rows (1, 2, ...): an index? "
                           "--drop id leaves it out",)  # fmt: skip


def test_only_a_text_target_suggests_logistic(real_files):
    with pytest.raises(InputError, match=r"line 2, target 'y', is not a finite number: 'inf'$"):
        read_csv("inf_target.csv", "y")
    with pytest.raises(InputError, match=r"'yes'; its two values \(no, yes\) make a binary"):
        read_csv("labels.csv", "y")


def test_messages_name_options_not_arguments():
    message = ("n_folds must be at most 5; every fold of fold_ids / n_folds; l1_ratio=0.5, "
               "tol=1e-07: increase max_iter or lambda_min_ratio; y must be >= 0 for "
               "loss='poisson'")  # fmt: skip
    assert _in_cli_terms(message) == (
        "--cv must be at most 5; every fold of --cv; --l1-ratio=0.5, --tol=1e-07: increase "
        "--max-iter or --lambda-min-ratio; y must be >= 0 for --loss poisson"
    )


FIT_OPTIONS = [
    "--cv",
    "0",
    "--l1-ratio",
    "0.5",
    "--n-lambdas",
    "7",
    "--lambda-min-ratio",
    "0.2",
    "--tol",
    "1e-5",
    "--max-iter",
    "300",
    "--seed",
    "3",
    "--no-early-stop",
    "--quiet",
]


@pytest.mark.parametrize("where", ["before", "after"])
def test_fit_options_before_the_command_are_kept(tmp_path, monkeypatch, where):
    """``--cv 0 path FILE ...``, as the usage line shows the options: the fit they ask for (the
    command's defaults overwrote them: 10 folds and the lasso were fitted without a word)."""
    _write(tmp_path / "d.csv", ["a", "y"], [[1, 2], [3, 4]])
    seen = []
    monkeypatch.setattr("l1jax.cli._run", lambda table, args, *rest: seen.append(vars(args)))
    command = ["path", str(tmp_path / "d.csv"), "--target", "y"]
    argv = FIT_OPTIONS + command if where == "before" else command + FIT_OPTIONS
    assert main(argv) == 0
    fit = {k: seen[0][k] for k in ("cv", "l1_ratio", "n_lambdas", "lambda_min_ratio", "tol",
                                   "max_iter", "seed", "early_stop", "quiet")}  # fmt: skip
    assert fit == {
        "cv": 0,
        "l1_ratio": 0.5,
        "n_lambdas": 7,
        "lambda_min_ratio": 0.2,
        "tol": 1e-5,
        "max_iter": 300,
        "seed": 3,
        "early_stop": False,
        "quiet": True,
    }
    assert main(["path", str(tmp_path / "d.csv"), "--target", "y"]) == 0  # ... and the defaults
    assert {k: seen[1][k] for k in fit} == {
        "cv": 10, "l1_ratio": 1.0, "n_lambdas": 100, "lambda_min_ratio": None, "tol": None,
        "max_iter": 20_000, "seed": 0, "early_stop": True, "quiet": False}  # fmt: skip


def test_a_negative_seed_is_refused_by_name(capsys):
    code, _, err = _in_process(["--seed", "-5"], capsys)
    assert code == 2 and "--seed" in err and ">= 0" in err


# ----------------------------------------------------------------------------------------------
# A sparse X: FILE.npz (scipy.sparse.save_npz), the target in a text file. In this process.


def _sparse_problem():
    import scipy.sparse as sp

    rng = np.random.default_rng(3)
    X = sp.random(60, 200, density=0.05, format="csr", random_state=rng)
    y = X @ np.r_[3.0, -2.0, 2.0, 1.5, -1.0, np.zeros(195)] + 0.1 * rng.standard_normal(60)
    return X, y


@pytest.fixture
def sparse_files(tmp_path, monkeypatch):
    import scipy.sparse as sp

    X, y = _sparse_problem()
    sp.save_npz(tmp_path / "X.npz", X)
    (tmp_path / "y.txt").write_text("y\n" + "".join(f"{float(v)!r}\n" for v in y))
    (tmp_path / "short.txt").write_text("".join(f"{float(v)!r}\n" for v in y[:-1]))
    (tmp_path / "names.txt").write_text("".join(f"word{j}\n" for j in range(200)))
    (tmp_path / "three_names.txt").write_text("a\nb\nc\n")
    np.savez(tmp_path / "dense.npz", X=X.toarray())
    bad = X.copy()
    bad.data[7] = np.nan
    sp.save_npz(tmp_path / "nan.npz", bad)
    monkeypatch.chdir(tmp_path)
    return X, y


def test_sparse_npz_prints_cv_paths_lambda_min(sparse_files, capsys, monkeypatch):
    import scipy.sparse as sp

    X, y = sparse_files
    given = []
    cv_path = l1jax.cv_path
    monkeypatch.setattr(l1jax, "cv_path", lambda X, *a, **k: given.append(X) or cv_path(X, *a, **k))
    argv = ["path", "X.npz", "--target", "y.txt", "--cv", "3", "--n-lambdas", "20",
            "--out", "coef.csv", "--plot", "fit.png"]  # fmt: skip
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert sp.issparse(given[0])  # passed on as loaded, never densified
    ref = cv_path(X, y, n_folds=3, seed=0, lambdas=20)
    kept = np.count_nonzero(ref.path.coef[ref.index_min])
    assert "60 rows × 200 features, 3-fold cross-validation" in out
    assert f"λ_min = {ref.lambda_min:.4g} keeps {kept} of 200 features: x" in out, out
    assert "features are 0 at these λs)" in out  # wide: the coefficient table shows nonzeros
    assert "a sparse matrix, 600 stored values" in err and "names the target, 'y'" in err
    with open("coef.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][5:] == [f"x{j}" for j in range(200)]
    # (a GPU's sparse products add in no fixed order: the last bits vary from run to run)
    np.testing.assert_allclose(np.array(rows[1:], float)[:, 5:], ref.path.coef, rtol=1e-9)
    assert Path("fit.png").read_bytes()[:8] == PNG


def test_sparse_npz_stability_with_feature_names(sparse_files, capsys):
    X, y = sparse_files
    argv = ["path", "X.npz", "--target", "y.txt", "--feature-names", "names.txt",
            "--stability", "4", "--n-lambdas", "8", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "[l1jax" not in err, err
    st = l1jax.stability_selection(X, y, n_subsamples=4, lambdas=8)
    chosen = ", ".join(f"word{j}" for j in np.argsort(-st.max_probability, kind="stable")
                       if st.selected[j])  # fmt: skip
    assert st.selected.any()
    assert f"selected {st.selected.sum()} of 200 features (threshold 0.6): {chosen}\n" in out


SPARSE_ERRORS = {  # name: (arguments after "path", exit status, what the one line says)
    "target length": (["X.npz", "--target", "short.txt"], 1,
                      "--target short.txt has 59 values, but X.npz has 60 rows"),
    "missing target": (["X.npz", "--target", "y"], 1, "--target y: no such file"),
    "missing X": (["nowhere.npz", "--target", "y.txt"], 1, "no such file: nowhere.npz"),
    "dense .npz": (["dense.npz", "--target", "y.txt"], 1, "dense.npz holds no sparse matrix"),
    "NaN entry": (["nan.npz", "--target", "y.txt"], 1, "not a finite number, the first nan"),
    "names count": (["X.npz", "--target", "y.txt", "--feature-names", "three_names.txt"], 1,
                    "three_names.txt has 3 names, but X.npz has 200 columns"),
    "--sep": (["X.npz", "--target", "y.txt", "--sep", ";"], 2, "--sep is for a CSV FILE"),
}  # fmt: skip


@pytest.mark.parametrize("name", SPARSE_ERRORS)
def test_sparse_input_problems_are_one_line(sparse_files, capsys, name):
    argv, status, message = SPARSE_ERRORS[name]
    assert main(["path", *argv]) == status
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("python -m l1jax: error: ") and message in err[-1], err


# ----------------------------------------------------------------------------------------------
# Targets of more than two classes: the multinomial path (in this process, small data).


def _classes_file(tmp: Path) -> Path:
    """60 rows, 4 features; the class ('low', 'mid', 'high') follows height and dose."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 4))
    score = 2 * X[:, 0] - 1.5 * X[:, 2] + 0.3 * rng.standard_normal(60)
    grade = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
    labels = np.array(["low", "mid", "high"])[grade]
    rows = [[*(repr(float(v)) for v in x), c] for x, c in zip(X, labels, strict=True)]
    return _write(tmp / "classes.csv", [*NAMES, "grade"], rows)


def test_more_than_two_classes_fit_the_multinomial_path(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _classes_file(tmp_path)
    argv = ["path", "classes.csv", "--target", "grade", "--loss", "logistic", "--cv", "3",
            "--n-lambdas", "12", "--plot", "classes.png", "--out", "coef.csv"]  # fmt: skip
    code, out, err = _in_process(argv, capsys)
    assert code == 0, err
    assert "3 classes: 'high', 'low', 'mid'; a multinomial fit" in err
    assert "multinomial lasso, 60 rows × 4 features, 3-fold cross-validation" in out
    assert "CV deviance" in out and "<- λ_min" in out
    for grade in ("high", "low", "mid"):
        assert f"  class '{grade}': " in out
    assert "one column per class" in out
    assert (tmp_path / "classes.png").read_bytes()[:8] == PNG
    with open(tmp_path / "coef.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    classes = ["high", "low", "mid"]
    assert rows[0][:7] == ["lambda", "cv_mean", "cv_se", "features",
                           *(f"intercept[{c}]" for c in classes)]  # fmt: skip
    assert rows[0][7:] == [f"{name}[{c}]" for name in NAMES for c in classes]
    table = np.array(rows[1:], dtype=float)
    coef = table[:, 7:].reshape(-1, 4, 3)
    np.testing.assert_array_equal(table[:, 3], (coef != 0).any(axis=2).sum(axis=1))
    assert (coef[-1, [0, 2]] != 0).any(axis=1).all()  # height and dose are in the model


def test_multinomial_grouped_and_explicit_loss(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _classes_file(tmp_path)
    argv = ["path", "classes.csv", "--target", "grade", "--loss", "multinomial", "--grouped",
            "--cv", "0", "--n-lambdas", "8", "--out", "coef.csv"]  # fmt: skip
    code, out, err = _in_process(argv, capsys)
    assert code == 0, err
    assert "multinomial grouped lasso, 60 rows × 4 features" in out
    assert "the smallest λ" in out
    with open(tmp_path / "coef.csv", newline="") as handle:
        coef = np.array(list(csv.reader(handle))[1:], dtype=float)[:, 5:].reshape(-1, 4, 3)
    zero = coef == 0
    assert np.all(zero.all(axis=2) == zero.any(axis=2))  # whole features in or out


def test_class_targets_without_a_classifier(tmp_path, capsys, monkeypatch):
    """Labels without --loss: a hint; whole numbers of few values: still regression, with a
    note; --stability refuses several classes."""
    monkeypatch.chdir(tmp_path)
    _classes_file(tmp_path)
    code, _, err = _in_process(["path", "classes.csv", "--target", "grade"], capsys)
    assert code == 1
    assert "its 3 distinct values (high, low, mid) make a class target: add --loss logistic" in err
    X, y = _regression()
    _write(tmp_path / "counts.csv", [*NAMES, "y"],
           [[*(repr(float(v)) for v in x), str(int(t > 0) + int(t > 1))]
            for x, t in zip(X, y, strict=True)])  # fmt: skip
    code, out, err = _in_process(["path", "counts.csv", "--target", "y", "--cv", "0",
                                  "--n-lambdas", "5"], capsys)  # fmt: skip
    assert code == 0, err
    assert "has 3 whole-number values (0, 1, 2), fitted as numbers" in err
    assert out.startswith("squared lasso")
    code, _, err = _in_process(["path", "classes.csv", "--target", "grade", "--loss",
                                "logistic", "--stability", "4"], capsys)  # fmt: skip
    assert code == 1 and "--stability takes a numeric or two-class target" in err


def test_several_targets_fit_a_multitask_path(tmp_path, capsys, monkeypatch):
    """--target y1 y2: one multi-task path (a feature in or out for both targets), against
    l1jax.path with the 2-D y."""
    monkeypatch.chdir(tmp_path)
    X, y = _regression()
    Y = np.stack([y, X[:, 0] - 0.5 * X[:, 3]], axis=1)
    _write(tmp_path / "two.csv", [*NAMES, "y1", "y2"],
           [[*(repr(float(v)) for v in x), *(repr(float(v)) for v in t)]
            for x, t in zip(X, Y, strict=True)])  # fmt: skip
    argv = ["path", "two.csv", "--target", "y1", "y2", "--cv", "0", "--out", "coef.csv",
            "--plot", "two.png"]  # fmt: skip
    code, out, err = _in_process(argv, capsys)
    assert code == 0, err
    assert "2 targets (y1, y2; a multi-task fit)" in err
    assert out.startswith("squared multi-task lasso (2 targets), 50 rows × 4 features")
    assert "one column per target" in out
    assert (tmp_path / "two.png").read_bytes()[:8] == PNG
    with open(tmp_path / "coef.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["lambda", "features", "intercept[y1]", "intercept[y2]"]
    assert rows[0][4:6] == ["height[y1]", "height[y2]"]
    ref = l1jax.path(X, Y)
    table = np.array(rows[1:], dtype=float)
    np.testing.assert_allclose(table[:, 0], ref.lambdas, rtol=1e-12)
    np.testing.assert_allclose(table[:, 4:].reshape(-1, 4, 2), ref.coef, rtol=1e-6, atol=1e-8)
    code, _, err = _in_process(argv[:5] + ["--loss", "poisson"], capsys)
    assert code == 1 and "several --target columns fit a multi-task squared-loss path" in err
    code, _, err = _in_process(argv[:5] + ["--loss", "logistic"], capsys)
    assert code == 1 and "--loss logistic takes one target" in err


def test_quiet_still_names_how_to_add_the_plots(tmp_path, capsys, monkeypatch):
    """Without matplotlib, the command that adds the plots is a notice, not progress: --quiet
    keeps it (the README's promise)."""
    from l1jax import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "_have_matplotlib", lambda: False)
    code, out, err = _in_process(["--quiet", "--cv", "3"], capsys)
    assert code == 0 and "keeps" in out
    (notice,) = err.strip().splitlines()  # (no progress lines: --quiet)
    assert "-m pip install matplotlib" in notice and not list(tmp_path.glob("*.png"))


def test_class_labels_by_value_underscores_and_label_names(tmp_path, capsys):
    """Cells "1" and "1.0" were two classes (a 3-class multinomial fit from a binary target);
    "1_5" was read as 15 (Python's float); l1jax's "class 2.0 of y" is named by its label."""
    X, _ = _regression(12)
    labels = ["0", "1", "1.0"] * 4
    rows = [[*x, c] for x, c in zip(X, labels, strict=True)]
    data = _write(tmp_path / "c.csv", [*NAMES, "y"], rows)
    table = read_csv(str(data), "y", binary=True, multiclass=True)
    assert table.classes == ["0", "1"]
    np.testing.assert_array_equal(table.y, [0, 1, 1] * 4)
    # (integers exactly: 2**53 and 2**53 + 1, one float, were merged; pandas reads 3 classes)
    big = [str(2**53 + k % 3) for k in range(12)]
    rows = [[*x, c] for x, c in zip(X, big, strict=True)]
    data = _write(tmp_path / "b.csv", [*NAMES, "y"], rows)
    table = read_csv(str(data), "y", binary=True, multiclass=True)
    assert table.classes == big[:3]
    huge = ["9" * 5000, "8" * 5000] * 6  # (past Python's 4,300 digits of int(): its error)
    data = _write(
        tmp_path / "h.csv", [*NAMES, "y"], [[*x, c] for x, c in zip(X, huge, strict=True)]
    )
    assert read_csv(str(data), "y", binary=True).classes == sorted(huge[:2])
    data = _write(tmp_path / "u.csv", ["a", "y"], [["1_5", 1], ["2", 2], ["3", 4]])
    with pytest.raises(InputError, match=r"column 'a', is not a number: '1_5'"):
        read_csv(str(data), "y")
    rows = [[x, "cat" if k % 2 else "dog"] for k, x in enumerate(np.linspace(-1, 1, 28))]
    data = _write(tmp_path / "e.csv", ["x", "animal"], [*rows, [0.3, "emu"]])
    code, _, err = _in_process(["path", str(data), "--target", "animal", "--loss", "logistic",
                                "--cv", "2", "--quiet", "--n-lambdas", "5"], capsys)  # fmt: skip
    assert code == 1 and "class 'emu' of y" in err


def test_options_of_the_main_job_before_demo_are_refused(tmp_path, capsys, monkeypatch):
    """`--quiet demo` ran the diabetes job instead, writing its two PNGs."""
    monkeypatch.chdir(tmp_path)
    code, _, err = _in_process(["--quiet", "demo"], capsys)
    assert code == 2 and "options of the main job, not of demo" in err
    assert not list(tmp_path.iterdir())


def test_outputs_are_checked_before_the_fit(tmp_path, capsys):
    """--plot without an extension wrote fig.png but printed "fig"; an unknown format failed
    after the fit; --out naming the data file overwrote it."""
    X, y = _regression(20)
    data = _write(tmp_path / "d.csv", [*NAMES, "y"], np.c_[X, y])
    before = data.read_bytes()
    base = ["path", str(data), "--target", "y", "--cv", "0", "--quiet", "--n-lambdas", "5"]
    code, _, err = _in_process([*base, "--out", str(data)], capsys)
    assert code == 1 and "is an input file" in err and data.read_bytes() == before
    here = os.getcwd()  # (a CSV's --target is a column, not a file: an --out of its name is fine)
    try:
        os.chdir(tmp_path)
        code, _, err = _in_process([*base, "--out", "y"], capsys)
    finally:
        os.chdir(here)
    assert code == 0 and (tmp_path / "y").exists(), err
    code, _, err = _in_process([*base, "--plot", str(tmp_path / "f.xyz"),
                                "--out", str(tmp_path / "c.csv")], capsys)  # fmt: skip
    assert code == 1 and "cannot write .xyz" in err and not (tmp_path / "c.csv").exists()
    code, out, _ = _in_process([*base, "--plot", str(tmp_path / "fig")], capsys)
    assert code == 0 and f"plots: {tmp_path / 'fig.png'}" in out
    assert (tmp_path / "fig.png").read_bytes().startswith(PNG)


def test_dollar_names_plot_and_the_table_aligns(tmp_path, capsys):
    """Two '$' in a column name made matplotlib's mathtext fail after the fit (with an empty
    message); '(intercept)' overflowed the name column, shifting its numbers."""
    X, y = _regression(20)
    names = ["spend_$10_$20", "b", "c", "d"]
    data = _write(tmp_path / "d.csv", [*names, "y"], np.c_[X, y])
    code, out, err = _in_process(["path", str(data), "--target", "y", "--cv", "0", "--quiet",
                                  "--plot", str(tmp_path / "p.png")], capsys)  # fmt: skip
    assert code == 0, err
    table = out[out.index("coefficient") :].splitlines()
    ends = {len(line) for line in table[: 2 + len(names)] if line.strip()}
    assert len(ends) == 1, table


def test_a_wide_plot_counts_the_features_it_left_out():
    """Over 1,000 features the CLI draws only those ever selected: the legend's "other
    features" counted among the drawn (47 of 1,190)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from l1jax.cli import _count_left_out

    ax = Figure().subplots()
    ax.plot([0, 1], [0, 1], label="7 other features")
    ax.legend()
    _count_left_out(ax, 1183)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["1190 other features"]


def test_csv_cells_are_read_as_pandas_reads_them(tmp_path):
    """Under --decimal , "1,0" and "1" were two classes; non-ASCII digits ("١٢٣") were numbers
    (text to pandas); "²" in an unnamed index column crashed int(); a quote never closed in a
    large file crashed the csv module; a BOM stayed in the first name under --encoding utf-8."""
    data = tmp_path / "d.csv"
    data.write_text("x;y\n0,3;0\n1,2;1\n2,5;1,0\n0,7;0,0\n")
    table = read_csv(str(data), "y", binary=True, multiclass=True, decimal=",")
    assert table.classes == ["0", "1"] and table.y.tolist() == [0, 1, 1, 0]
    data.write_text("a,y\n١٢٣,1\n2,2\n3,4\n")
    with pytest.raises(InputError, match=r"column 'a', is not a number: '١٢٣'"):
        read_csv(str(data), "y")
    data.write_text(",a,y\n0,1,1\n²,2,2\n")
    with pytest.raises(InputError, match="has no name but holds data"):
        read_csv(str(data), "y")
    data.write_text("a,y\n" + '1,"2\n' + "3,4\n" * 70_000)
    with pytest.raises(InputError, match=r"after line 1 .*a quote"):
        read_csv(str(data), "y")
    data.write_bytes("\ufeffx,y\n1,2\n2,3\n3,5\n".encode())
    assert read_csv(str(data), "y", encoding="utf-8").feature_names == ["x"]


def test_a_text_target_is_told_what_is_wrong(tmp_path):
    """One typo among numbers was advised to be a class target (--loss logistic); one text
    value too, which then failed with "at least 2 classes"."""
    data = tmp_path / "d.csv"
    data.write_text("x,y\n" + "".join(f"{k},{k}.5\n" for k in range(8)) + "9,1d3\n")
    with pytest.raises(InputError, match=r"'1d3'; the target's other values are numbers"):
        read_csv(str(data), "y")
    # (classes 0, 1, 2 and "other" in 10 rows of 40 were called a typo in one cell)
    data.write_text("x,y\n" + "".join(f"{k},{('other', 0, 1, 2)[k % 4]}\n" for k in range(40)))
    with pytest.raises(InputError, match=r"'other'; its 4 distinct values .* make a class"):
        read_csv(str(data), "y")
    # ("?" in 12 rows of 100 of a numeric target, UCI's missing value: called a class target)
    data.write_text("x,y\n" + "".join(f"{k},{'?' if k % 8 == 0 else k % 5}\n" for k in range(96)))
    with pytest.raises(InputError, match=r"'\?' in 12 rows among numbers looks like a code for "
                                         r"missing values"):  # fmt: skip
        read_csv(str(data), "y")
    data.write_text("x,y\n1,yes\n2,yes\n3,yes\n")
    with pytest.raises(InputError, match=r"it holds one text value \(yes\)"):
        read_csv(str(data), "y")


def _small_csv(tmp: Path) -> tuple[Path, list[str]]:
    """A small CSV file, and the options of a quick fit of it."""
    X, y = _regression(20)
    data = _write(tmp / "d.csv", [*NAMES, "y"], np.c_[X, y])
    return data, ["path", str(data), "--target", "y", "--cv", "0", "--n-lambdas", "5"]


def _main_exit(argv) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


def test_a_stdout_that_cannot_encode_lambda(tmp_path, monkeypatch):
    """On an ASCII stdout (LC_ALL=C: surrogateescape; PYTHONIOENCODING=ascii) or a cp1252 one (a
    Windows pipe) the job failed after the fit ("'ascii' codec can't encode character '\\xd7'",
    no results) and --help with a UnicodeEncodeError traceback; now what the stream cannot
    encode is escaped during main(), and the stream is restored after it."""
    _, argv = _small_csv(tmp_path)
    for args, encoding, errors in (
        (["--help"], "ascii", "strict"),
        (argv, "ascii", "surrogateescape"),
        (argv, "cp1252", "strict"),
    ):
        out = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors=errors)
        err = io.TextIOWrapper(io.BytesIO(), encoding=encoding, errors="strict")
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", err)
        assert _main_exit(args) == 0, err.buffer.getvalue()
        assert (out.errors, err.errors) == (errors, "strict")
        out.flush()
        assert "\\u03bb" in out.buffer.getvalue().decode(encoding), args  # (λ)
    assert "rows × 4 features" in out.buffer.getvalue().decode("cp1252")  # (× is in cp1252)


def test_without_stderr_messages_stay_out_of_the_results(tmp_path, capsys, monkeypatch):
    """With stderr closed (`2>&-`, pythonw: sys.stderr is None), print(file=sys.stderr) printed
    the progress lines and errors on stdout, among the results; now they are left out."""
    _, argv = _small_csv(tmp_path)
    monkeypatch.setattr(sys, "stderr", None)
    code, out, _ = _in_process(argv, capsys)
    assert code == 0 and "rows × 4 features" in out
    assert "[l1jax" not in out, out
    code, out, _ = _in_process(["--cv", "1"], capsys)
    assert code == 2 and out == ""


def test_a_file_name_that_is_not_utf8_titles_the_plot(tmp_path, capsys):
    """A CSV named in Latin-1 (b"d\\xe4ta.csv", a lone surrogate to Python) failed --plot after
    the fit with matplotlib's "set_text(): incompatible function arguments"; now the title
    escapes the byte."""
    X, y = _regression(20)
    name = os.fsdecode(b"d\xe4ta.csv")
    try:
        data = _write(tmp_path / name, [*NAMES, "y"], np.c_[X, y])
    except (OSError, UnicodeError):
        pytest.skip("this file system takes UTF-8 names only")
    plot = tmp_path / "p.png"
    code, _, err = _in_process(["path", str(data), "--target", "y", "--cv", "0", "--quiet",
                                "--n-lambdas", "5", "--plot", str(plot)], capsys)  # fmt: skip
    assert code == 0, err
    assert plot.read_bytes().startswith(PNG)
    from l1jax.cli import _escaped

    assert _escaped(f"{name}, target 'y'") == "d\\xe4ta.csv, target 'y'"


def test_only_l1jax_warnings_are_reprinted(tmp_path, capsys, monkeypatch):
    """The fit ran under simplefilter("always") and every warning was reprinted as
    "[l1jax] warning: ...": PYTHONWARNINGS=ignore was overridden, and jax's and Python's
    warnings (an EncodingWarning) were called l1jax's. Now l1jax's own are reprinted, and the
    others go through the user's filters to Python's display."""
    _, argv = _small_csv(tmp_path)
    fit = l1jax.path

    def path(*args, **kwargs):
        warnings.warn("another library's warning", UserWarning, stacklevel=2)
        warnings.warn(
            "path: 1 of 5 λs did not converge; increase max_iter",
            l1jax.ConvergenceWarning,
            stacklevel=2,
        )
        return fit(*args, **kwargs)

    monkeypatch.setattr(l1jax, "path", path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code, _, err = _in_process([*argv, "--quiet"], capsys)
    assert code == 0
    assert err == "[l1jax] warning: path: 1 of 5 λs did not converge; increase --max-iter\n"
    with pytest.warns(UserWarning, match="another library's warning"):
        code, _, err = _in_process([*argv, "--quiet"], capsys)
    assert code == 0 and "another library" not in err and "did not converge" in err


def test_a_warning_raised_as_an_error_is_one_line(tmp_path, capsys, monkeypatch):
    """Under PYTHONWARNINGS=error, matplotlib's warning of a missing glyph (a CJK column name)
    escaped main() as a traceback after the fit; now it is one error line."""
    from l1jax import cli

    def save(*args, **kwargs):
        warnings.warn("Glyph 26085 missing from font(s) DejaVu Sans.", UserWarning, stacklevel=2)

    monkeypatch.setattr(cli, "_save", save)
    _, argv = _small_csv(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, _, err = _in_process([*argv, "--quiet", "--plot", str(tmp_path / "p.png")], capsys)
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith("python -m l1jax: error: UserWarning: Glyph 26085 missing from font")


def test_the_demo_into_a_closed_pipe(monkeypatch):
    """`python -m l1jax demo | head -1` ended in a BrokenPipeError traceback (the demo ran before
    the main job's handler of it); now it stops quietly, as the main job does."""

    class ClosedPipe(io.TextIOWrapper):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    pipe = ClosedPipe(open(os.devnull, "wb"))
    monkeypatch.setattr(sys, "stdout", pipe)
    assert main(["demo", "--steps", "2"]) == 1
    monkeypatch.undo()
    pipe.close()


def test_file_dash_reads_standard_input(tmp_path, monkeypatch, capsys):
    """FILE ``-`` reads the CSV table from standard input (a pipe), decoded by --encoding, with
    the same fit as from the file; it was "no such file: -"."""
    data, options = _small_csv(tmp_path)
    code, from_file, _ = _in_process(options, capsys)
    assert code == 0
    text = data.read_text(encoding="utf-8").replace("height", "h\xe9ight")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("latin-1"))))
    options[1] = "-"
    code, from_stdin, err = _in_process([*options, "--encoding", "latin-1"], capsys)
    assert code == 0, err
    assert "data: standard input: 20 rows, 4 features" in err
    assert from_stdin == from_file.replace("height", "h\xe9ight")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("latin-1"))))
    code, _, err = _in_process(options, capsys)  # (utf-8 by default)
    assert code == 1 and "standard input is not utf-8 text" in err
    monkeypatch.setattr(sys, "stdin", None)  # (a process started with stdin closed: 0<&-)
    code, _, err = _in_process(options, capsys)
    assert code == 1 and "standard input is not open" in err and "Traceback" not in err


def test_tables_align_wide_and_combining_names(tmp_path, capsys):
    """Feature names of wide (CJK) characters or combining marks: the coefficient table padded
    them by len(), so their numbers slid out of the column by one per wide character."""
    import unicodedata

    X, y = _regression(20)
    names = ["身長", "体重", "dose\u0301", "कुल\u200b"]  # (Hindi's vowel sign: Mn, class 0)
    data = _write(tmp_path / "wide.csv", [*names, "y"], np.c_[X, y])
    code, out, err = _in_process(["path", str(data), "--target", "y", "--cv", "0",
                                  "--n-lambdas", "5"], capsys)  # fmt: skip
    assert code == 0, err

    def columns(line):  # as a terminal shows it
        return sum(0 if unicodedata.category(c) in ("Mn", "Me", "Cf") else
                   2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)  # fmt: skip

    table = out[out.index("coefficient") :].splitlines()
    rows = [line for line in table if line.split()[0] in {"coefficient", "(intercept)", *names}]
    assert len(rows) == 6
    assert len({columns(line) for line in rows}) == 1, rows
    assert _columns_of("a\xadb") == 3 and _columns_of("a\u200bb") == 2  # (a soft hyphen: one)
    # class names as column headers: cut to 14 terminal columns (14 characters were 28 wide)
    labels = np.array(["犬です犬です犬です犬", "猫", "bird"])[np.arange(20) % 3]
    _write(tmp_path / "classes.csv", ["a", "b", "y"], np.c_[X[:, :2], labels])
    code, out, err = _in_process(["path", str(tmp_path / "classes.csv"), "--target", "y",
                                  "--loss", "logistic", "--cv", "0", "--n-lambdas", "5"],
                                 capsys)  # fmt: skip
    assert code == 0, err
    table = out[out.index("coefficients at") :].splitlines()[1:5]
    assert "犬です犬です犬 " in table[0] and "犬です犬です犬で" not in table[0]
    assert len({columns(line) for line in table}) == 1, table

"""``python -m l1jax``: the default job, ``path FILE.csv``, ``--help`` and bad input, each in a
subprocess, on CSV files written here. The jobs start together (they are mostly compilation)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import l1jax

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
        ["height", "weight", "y", "dose", "noise"],
        [r[:2] + r[4:] + r[2:4] for r in rows],
    )  # fmt: skip  (target in the middle)
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
    "ragged row": (["path", "ragged.csv", "--target", "y"], "line 7 has 3 cells"),
    "not binary": (
        ["path", "three.csv", "--target", "y", "--loss", "logistic"],
        "3 distinct values",
    ),
    "labels for squared": (["path", "labels.csv", "--target", "sick"], "is not a number"),
    "too many folds": (["path", "good.csv", "--target", "y", "--cv", "51"], "n_folds"),
    "one fold": (["path", "good.csv", "--target", "y", "--cv", "1"], "--cv"),
    "bad ratio": (["path", "good.csv", "--target", "y", "--l1-ratio", "0"], "--l1-ratio"),
    "no target": (["path", "good.csv"], "--target"),
}


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
        "no matplotlib, default": ["--cv", "0", "--n-lambdas", "10"],
        "no matplotlib, --plot": [
            "path",
            str(tmp / "good.csv"),
            "--target",
            "y",
            "--plot",
            "x.png",
        ],  # fmt: skip
        "help": ["--help"],
        "path help": ["path", "--help"],
        **{name: argv for name, (argv, _) in BAD.items()},
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


def test_path_on_a_csv(runs):
    tmp, results = runs
    code, out, err, _ = results["path"]
    assert code == 0, err
    assert "50 rows × 4 features, 5-fold cross-validation" in out
    assert (tmp / "fit.png").read_bytes()[:8] == PNG
    with open(tmp / "coef.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["lambda", "cv_mean", "cv_se", "nonzero", "intercept", *NAMES]
    assert len(rows) == 1 + 100  # one row per λ
    table = np.array(rows[1:], dtype=float)
    X, y = _regression()
    ref = l1jax.path(X, y)  # the CLI refits on all the data, in float64
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


def test_without_matplotlib(runs):
    tmp, results = runs
    code, out, err, _ = results["no matplotlib, default"]
    assert code == 0, err  # the table, without the plots
    assert "keeps" in out and 'pip install "l1jax[plot]"' in err
    assert not list((tmp / "no_matplotlib").glob("*.png"))
    code, out, err, _ = results["no matplotlib, --plot"]
    assert code == 1 and "Traceback" not in err
    assert (
        err.strip().splitlines()[-1]
        == 'l1jax: error: --plot needs matplotlib: pip install "l1jax[plot]"'
    )


def test_help(runs):
    _, results = runs
    code, out, _, _ = results["help"]
    assert code == 0
    for word in ("diabetes", "path", "demo", "λ_1se", "diabetes_cv.png", "--cv"):
        assert word in out
    code, out, _, _ = results["path help"]
    assert code == 0
    for word in ("--target", "--loss", "--l1-ratio", "--cv", "--plot", "--out", "logistic"):
        assert word in out


@pytest.mark.parametrize("name", BAD)
def test_bad_input_is_one_clear_line(runs, name):
    _, results = runs
    code, out, err, _ = results[name]
    assert code != 0
    assert "Traceback" not in err
    assert BAD[name][1] in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith(("l1jax: error:", "python -m l1jax")), err  # one line says it all
    assert BAD[name][1] in last, err

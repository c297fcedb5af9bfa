"""The examples and ``python -m l1jax demo`` run end to end (quick mode, in subprocesses)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


TRAINING_EXAMPLES = ("mlp_digits", "feature_selection", "group_pruning", "stability_selection")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Start the three commands at once (they are mostly compilation), then collect them."""
    tmp = tmp_path_factory.mktemp("examples")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("JAX_ENABLE_X64", None)
    commands = {
        "main": [sys.executable, "-m", "l1jax", "demo"],
        "l1_vs_l2": [
            sys.executable,
            str(ROOT / "examples" / "l1_vs_l2.py"),
            "--quick",
            "--out",
            str(tmp / "l1_vs_l2.png"),
        ],
        "lasso_optax": [sys.executable, str(ROOT / "examples" / "lasso_optax.py"), "--quick"],
        "sparse_poisson": [sys.executable, str(ROOT / "examples" / "sparse_poisson.py"), "--quick"],
    }
    for name in TRAINING_EXAMPLES:
        script = str(ROOT / "examples" / f"{name}.py")
        commands[name] = [sys.executable, script, "--quick", "--out", str(tmp / f"{name}.png")]
    procs = {
        name: subprocess.Popen(
            cmd, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name, cmd in commands.items()
    }
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        results[name] = (proc.returncode, out, err)
    return tmp, results


def _table(stdout: str) -> dict[str, tuple[float, int, float]]:
    """Rows 'method  loss  zeros/p  max' of the demo table: name -> (loss, zeros, max)."""
    rows = {}
    pattern = r"^(l1 subgradient|l1 proximal|l2 weight decay)\s+(\S+)\s+(\d+)/\d+\s+(\S+)$"
    for match in re.finditer(pattern, stdout, flags=re.M):
        rows[match[1]] = (float(match[2]), int(match[3]), float(match[4]))
    return rows


def _check_demo_table(stdout: str) -> None:
    rows = _table(stdout)
    assert set(rows) == {"l1 subgradient", "l1 proximal", "l2 weight decay"}, stdout
    sub, proximal, l2 = rows["l1 subgradient"], rows["l1 proximal"], rows["l2 weight decay"]
    assert proximal[1] == 45 and proximal[2] == 0.0  # all 45 irrelevant weights exactly zero
    assert sub[1] == 0 and sub[2] > 0  # the subgradient hovers near zero, never on it
    assert l2[1] == 0 and l2[2] > 0  # L2 only shrinks
    assert all(0 < row[0] < 1 for row in rows.values())  # the noise level is 0.5: loss ≈ 0.125+


def test_main_job_prints_the_demo(runs):
    _, results = runs
    code, out, err = results["main"]
    assert code == 0, err
    _check_demo_table(out)


def test_l1_vs_l2_writes_a_png(runs):
    tmp, results = runs
    code, out, err = results["l1_vs_l2"]
    assert code == 0, err
    _check_demo_table(out)
    png = tmp / "l1_vs_l2.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 10_000


def test_lasso_optax_agrees_with_sklearn(runs):
    _, results = runs
    code, out, err = results["lasso_optax"]
    assert code == 0, out + err
    assert "agree with scikit-learn: True" in out
    diffs = [float(d) for d in re.findall(r"max \|w - w_sklearn\| = (\S+),", out)]
    assert len(diffs) == 2 and max(diffs) < 1e-6, out


def test_sparse_poisson_path_keeps_the_informative_features(runs):
    _, results = runs
    code, out, err = results["sparse_poisson"]
    assert code == 0, out + err
    rows = re.findall(r"^\s*([\d.e-]+)\s+(\d+)\s+([\d.]+)\s+(\d+)$", out, flags=re.M)
    assert len(rows) == 12, out
    kept = [int(r[1]) for r in rows]
    assert kept[0] == 0 and kept[-1] > kept[0] and kept == sorted(kept), out  # λ_max first
    assert "all converged: True" in out and "whole rows of W are zero: True" in out
    assert "informative features found and λ refined: True" in out


# --- the train_path examples (quick runs) ----------------------------------------------------


# Examples whose --quick run is checked by a test file of their own.
TESTED_ELSEWHERE = {"tune_lambda": "test_example_tune_lambda.py"}


def test_every_example_script_runs_here_with_quick(runs):
    _, results = runs
    scripts = {p.stem for p in (ROOT / "examples").glob("*.py") if not p.stem.startswith("_")}
    for test_file in TESTED_ELSEWHERE.values():
        assert (ROOT / "tests" / test_file).is_file(), test_file
    covered = set(results) | set(TESTED_ELSEWHERE)
    assert scripts <= covered, scripts - covered
    for path in (ROOT / "examples").glob("*.py"):
        if not path.stem.startswith("_"):
            assert "--quick" in path.read_text(), path


def _ok(runs, name):
    tmp, results = runs
    code, out, err = results[name]
    assert code == 0, out + err
    png = tmp / f"{name}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return out, err


def test_mlp_digits_tables(runs):
    out, err = _ok(runs, "mlp_digits")
    rows = re.findall(r"^\s*(\S+)\s+([\d.]+)%\s+([\d.]+)%\s+(\S+)$", out, flags=re.M)
    assert len(rows) == 32, out  # 16 λs, plain and adaptive
    for table in (rows[:16], rows[16:]):
        zeros = [float(r[2]) for r in table]
        assert zeros[0] == 0.0 and zeros[-1] > 50, out  # λ = 0 is dense; the largest λ sparse
    assert "train_path: step" in err  # progress lines go to stderr


def test_feature_selection_finds_the_informative_features(runs):
    out, _ = _ok(runs, "feature_selection")
    rows = re.findall(r"^\s*([\d.]+)\s+(\d)/5\s+(\d)/5\s+(\d+)/20\s+([\d.]+)%$", out, flags=re.M)
    assert len(rows) == 16, out
    assert rows[0][1:4] == ("0", "0", "0")  # λ_max: every weight zero
    assert int(rows[-1][1]) == 5  # the smallest λ keeps all informative features
    assert "every informative feature enters before any noise feature: True" in out


def test_group_pruning_removes_neurons_exactly(runs):
    out, _ = _ok(runs, "group_pruning")
    rows = re.findall(r"^\s*(\S+)\s+(\d+)\s+([\d.]+)%\s+([\d.]+)%$", out, flags=re.M)
    assert len(rows) == 16, out
    kept = [int(r[1]) for r in rows]
    assert kept[0] == 128 and kept[-1] < kept[0], out
    assert "predict identically: True" in out


def test_stability_selection_keeps_no_noise_feature(runs):
    out, _ = _ok(runs, "stability_selection")
    lasso = re.search(r"^lasso at λ_min .*: (\d+) features, (\d+) of them noise$", out, re.M)
    stable = re.search(r"^stability selection .*: (\d+) features, (\d+) of them noise; "
                       r"expected number of false selections <= ([\d.]+)$", out, re.M)  # fmt: skip
    assert lasso and stable, out
    assert int(lasso[2]) >= 5  # the one fit keeps noise features ...
    assert int(stable[1]) >= 3 and int(stable[2]) == 0  # ... the stable set none
    rows = re.findall(r"^(\w+)\s+\S+\s+([\d.]+)\s+yes$", out, flags=re.M)
    assert {name for name, _ in rows} >= {"bmi", "s5"}, out
    assert all(float(prob) >= 0.75 for _, prob in rows)

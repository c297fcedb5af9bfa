"""The examples and ``python -m l1jax demo`` run end to end (quick mode, in subprocesses)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
    }
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

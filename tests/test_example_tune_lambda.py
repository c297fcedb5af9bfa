"""examples/tune_lambda.py runs end to end (quick mode, in a subprocess)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_tune_lambda_quick(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    cmd = [sys.executable, str(ROOT / "examples" / "tune_lambda.py"), "--quick"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    val = {
        m[1]: float(m[2])
        for m in re.finditer(r"^(grid \(50 λs\)|gradient descent on λ|learned penalty factors)"
                             r"\s+λ = \S+\s+val (\S+)", proc.stdout, flags=re.M)
    }  # fmt: skip
    assert len(val) == 3, proc.stdout
    assert val["gradient descent on λ"] <= 1.01 * val["grid (50 λs)"]
    assert val["learned penalty factors"] < val["gradient descent on λ"]

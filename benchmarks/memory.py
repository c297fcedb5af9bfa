"""Peak resident memory of a warm call, in units of X's size: l1jax beside scikit-learn.

Usage::

    python benchmarks/memory.py [--dtype float32|float64] [--cases path-wide,...]

Each case runs in a fresh process: X (Gaussian, ``--dtype``, default float32, JAX's x64 off as
a default user has it) and y are built, the call runs once (compilation), and the second call
is watched by a thread that reads the process's resident memory (``/proc/self/statm``) every
0.5 ms: the peak above what the process held before that call, divided by ``X.nbytes``. Cases
(30 λs to 1e-2 λ_max, 5 folds): ``path``/``lasso_path`` and ``cv_path``/``LassoCV`` on a wide
X (2,000 × 20,000) and a tall one (20,000 × 2,000), and ``Lasso``/``LassoCV`` estimators on
200,000 × 100 (smaller X measure the allocator: freed memory is reused below its mapping
threshold, tens of MB). Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time

import numpy as np

SHAPES = {"wide": (2000, 20000), "tall": (20000, 2000), "estimator": (200_000, 100)}
CASES = ("path-wide", "cv-wide", "path-tall", "cv-tall", "Lasso-estimator", "LassoCV-estimator")


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _calls(what: str, X, y) -> dict:
    """``{tool: call}`` for one case: l1jax's and scikit-learn's, on the same data."""
    import warnings

    from sklearn import linear_model as lm

    import l1jax
    from l1jax import estimators

    warnings.simplefilter("ignore")  # (scikit-learn's convergence warnings at its default tol)
    return {
        "path": {"l1jax": lambda: l1jax.path(X, y, lambdas=30, lambda_min_ratio=1e-2),
                 "scikit-learn": lambda: lm.lasso_path(X, y, n_alphas=30, eps=1e-2)},
        "cv": {"l1jax": lambda: l1jax.cv_path(X, y, lambdas=30, lambda_min_ratio=1e-2,
                                              n_folds=5),
               "scikit-learn": lambda: lm.LassoCV(alphas=30, eps=1e-2, cv=5).fit(X, y)},
        "Lasso": {"l1jax": lambda: estimators.Lasso(alpha=0.01).fit(X, y),
                  "scikit-learn": lambda: lm.Lasso(alpha=0.01).fit(X, y)},
        "LassoCV": {"l1jax": lambda: estimators.LassoCV(cv=5).fit(X, y),
                    "scikit-learn": lambda: lm.LassoCV(cv=5).fit(X, y)},
    }[what]  # fmt: skip


def measure(case: str, tool: str, dtype: str) -> tuple[float, float]:
    """``(peak above the baseline / X.nbytes, seconds)`` of the warm call (in this process)."""
    what, shape = case.split("-")
    n, p = SHAPES[shape]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, p)).astype(dtype)
    y = (X[:, :10].sum(axis=1) + rng.standard_normal(n)).astype(dtype)
    call = _calls(what, X, y)[tool]
    call()
    peak, done = [0], threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], _rss())
            time.sleep(0.0005)

    base = _rss()
    watcher = threading.Thread(target=watch)
    watcher.start()
    t = time.perf_counter()
    call()
    seconds = time.perf_counter() - t
    done.set()
    watcher.join()
    return (max(peak[0], base) - base) / X.nbytes, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    ap.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {CASES}")
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # (a child process: case tool)
    args = ap.parse_args()
    if args.one:
        ratio, seconds = measure(*args.one, args.dtype)
        print(f"{ratio} {seconds}")
        return
    print(f"Peak memory of a warm call above the process's own, in X's sizes ({args.dtype}):")
    print("| case | n × p | l1jax (× X, s) | scikit-learn (× X, s) |")
    print("|---|---|---|---|")
    for case in args.cases.split(","):
        cells = []
        for tool in ("l1jax", "scikit-learn"):
            cmd = [sys.executable, __file__, "--dtype", args.dtype, "--one", case, tool]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            ratio, seconds = (float(v) for v in out.split()[-2:])
            cells.append(f"{ratio:.2f} ({seconds:.2f} s)")
        n, p = SHAPES[case.split("-")[1]]
        print(f"| {case} | {n:,} × {p:,} | {cells[0]} | {cells[1]} |", flush=True)


if __name__ == "__main__":
    main()

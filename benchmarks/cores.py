"""Wall clock against CPU time of warm paths and cross-validations, one process.

Usage::

    python benchmarks/cores.py [--problems A,B,C,D] [--full] [--repeat N]
    taskset -c 0 python benchmarks/cores.py ...   # the same on one core

For each problem (as benchmarks/paths.py and, like benchmarks/cv.py, each tool's own grid of
20 λs, or 100 with ``--full``, float64, default tolerance): after two warm-up calls,
``--repeat`` warm ``l1jax.path`` calls and as many 5-fold ``l1jax.cv_path`` calls,
alternated; prints the median wall clock of each, the process's CPU time per call
(``time.process_time``: every thread, XLA's included) and their ratio, the cores a call keeps
busy. XLA:CPU runs a program on its pool of one thread per core this process may use
(``os.sched_getaffinity``, which ``taskset`` sets): a ratio near 2 on two cores with a wall
clock no shorter than on one core is the pool's threads handing the program to each other,
not work shared.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time

os.environ.setdefault("JAX_ENABLE_X64", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import paths  # noqa: E402  (this folder's benchmark module: the problems)

import l1jax  # noqa: E402


def _timed(fn) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", default="A,B,C,D")
    ap.add_argument("--full", action="store_true", help="the full problems (100 λs)")
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    quick = not args.full
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"cores this process may use: {cores}")
    for name in args.problems.split(","):
        spec = (paths.QUICK if quick else paths.FULL)[name]
        prob = paths.make_problem(name, spec, paths.N_LAMBDAS[quick])
        kw = dict(loss=prob.loss, lambdas=paths.N_LAMBDAS[quick])
        calls = {
            "path": functools.partial(l1jax.path, prob.X, prob.y, **kw),
            "cv_path": functools.partial(l1jax.cv_path, prob.X, prob.y, n_folds=5, **kw),
        }
        for _ in range(2):  # (compilation, then a warm call)
            for call in calls.values():
                call()
        runs = {what: [] for what in calls}
        for _ in range(args.repeat):
            for what, call in calls.items():
                runs[what].append(_timed(call))
        medians = {what: np.median(np.asarray(times), axis=0) for what, times in runs.items()}
        line = [f"{what} {wall * 1e3:.1f} ms wall, {cpu * 1e3:.1f} ms CPU ({cpu / wall:.2f})"
                for what, (wall, cpu) in medians.items()]  # fmt: skip
        ratio = medians["cv_path"][0] / medians["path"][0]
        print(f"{name}{' quick' if quick else ''}: " + "; ".join(line) + f"; cv / path {ratio:.1f}")


if __name__ == "__main__":
    main()

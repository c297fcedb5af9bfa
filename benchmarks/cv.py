"""cv_path against path: 5-fold CV of a 20-λ path on the quick problems of benchmarks/paths.py.

Usage::

    python benchmarks/cv.py [--repeat N] [--full] [--problems A,B,C,D]

Prints, per problem, the first call (compilation included) and the best warm call of
``l1jax.path`` and of ``l1jax.cv_path(n_folds=5)`` (which also refits the path on all the
data), float64, default tolerance. A cross-validation costs at least one path per fold plus
the refit; the ratio shows how far it is from that. ``--full``: the full problems (100 λ)
instead of the quick ones (20 λ).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("JAX_ENABLE_X64", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import paths  # noqa: E402  (this folder's benchmark module: the problems)

import l1jax  # noqa: E402


def _timed(fn, repeat, *args, **kwargs):
    t = time.perf_counter()
    fn(*args, **kwargs)
    first = time.perf_counter() - t
    warm = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(*args, **kwargs)
        warm.append(time.perf_counter() - t)
    return first, min(warm)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2, help="warm runs (best is reported)")
    ap.add_argument("--full", action="store_true", help="the full problems, 100 λ")
    ap.add_argument("--problems", default="A,B,C,D", help="comma-separated, of A,B,C,D")
    args = ap.parse_args()
    specs, k = (paths.FULL, 100) if args.full else (paths.QUICK, 20)
    print("| problem | n × p | path first / warm (s) | cv_path first / warm (s) | cv / path |")
    print("|---|---|---|---|---|")
    for name in args.problems.split(","):
        prob = paths.make_problem(name, specs[name], k)
        kw = dict(loss=prob.loss, lambdas=k)
        pf, pw = _timed(l1jax.path, args.repeat, prob.X, prob.y, **kw)
        cf, cw = _timed(l1jax.cv_path, args.repeat, prob.X, prob.y, n_folds=5, **kw)
        shape = f"{prob.X.shape[0]} × {prob.X.shape[1]}"
        print(
            f"| {name} {prob.loss} | {shape} | {pf:.2f} / {pw:.3f} | {cf:.2f} / {cw:.3f} "
            f"| {cw / pw:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()

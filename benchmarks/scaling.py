"""Scaling benchmark: l1jax.path and l1jax.cv_path on 1, 2 and 4 devices through ``mesh=``.

Usage::

    python benchmarks/scaling.py [--quick] [--repeat N] [--devices 1,2,4] [--no-cv] [--markdown]

Each device count runs in its own process (``XLA_FLAGS=--xla_force_host_platform_device_count=D``
fakes D CPU devices; the device count is fixed when JAX starts). Meshes: none (1 device), a
``("lambdas",)`` mesh (λ blocks, or CV folds, split over the devices), a ``("data",)`` mesh (rows
of X split, Xᵀr reduced across devices) and for 4 devices a (2, 2) ``("lambdas", "data")`` mesh.

**Read the CPU numbers honestly**: fake CPU devices share the same cores (this machine: 2), so
they cannot run faster than one device that already uses every core through XLA's intra-op
threads. What the table measures on a CPU is the *overhead* of the sharded program (collectives,
padding, smaller per-device GEMMs, extra compilation), and that the answers are the same. Real
speed-ups need real devices (GPUs, TPUs, hosts); on those the λ axis and the fold axis are
embarrassingly parallel and the "data" axis costs one all-reduce of a p-vector per product.

Problems: ``path`` on problem A of benchmarks/paths.py (squared loss, Toeplitz-correlated
columns, n=1000, p=5000, 100 λ down to 1e-2·λ_max; ``--quick``: 200×1000, 20 λ), tol 1e-6.
``cv_path``: 5 folds on the quick problem A (200×1000), 20 λ, tol 1e-6 (``--quick``: 100×300).
Columns: first call (compilation included) and warm (best of ``--repeat``) wall-clock seconds,
and the worst relative objective difference to the 1-device run (``path``; for ``cv_path``, of
``cv_mean``).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MESHES = {
    1: [("none", None, None)],
    2: [("lambdas", (2,), ("lambdas",)), ("data", (2,), ("data",))],
    4: [
        ("lambdas", (4,), ("lambdas",)),
        ("data", (4,), ("data",)),
        ("lambdas×data", (2, 2), ("lambdas", "data")),
    ],
}


def _objective(X, y, coef, intercept, lambdas) -> np.ndarray:
    """Lasso objective per λ (standardized penalty, as l1jax.path), float64."""
    n = X.shape[0]
    scale = X.std(axis=0)
    resid = y[None, :] - intercept[:, None] - coef @ X.T
    return 0.5 * (resid**2).sum(1) / n + lambdas * np.abs(coef * scale).sum(1)


def _time(fn, repeat):
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    warm = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        warm = min(warm, time.perf_counter() - t0)
    return out, first, warm


def worker(n_devices: int, quick: bool, repeat: int, cv: bool) -> None:
    """One process with ``n_devices`` fake devices: time every mesh, print JSON lines."""
    import jax

    import l1jax

    sys.path.insert(0, HERE)
    from paths import FULL, QUICK, make_problem

    assert jax.device_count() == n_devices, jax.devices()
    tiny = dataclasses.replace(QUICK["A"], n=100, p=300)
    prob = make_problem("A", QUICK["A"] if quick else FULL["A"], 20 if quick else 100)
    cv_prob = make_problem("A", tiny if quick else QUICK["A"], 20)
    for label, shape, names in MESHES[n_devices]:
        mesh = None if shape is None else jax.make_mesh(shape, names)
        run = functools.partial(l1jax.path, prob.X, prob.y, lambdas=prob.lambdas, tol=1e-6)
        res, first, warm = _time(functools.partial(run, mesh=mesh), repeat)
        obj = _objective(prob.X, prob.y, res.coef, res.intercept, res.lambdas)
        row = dict(task="path", devices=n_devices, mesh=label, first=first, warm=warm)
        row["obj"] = obj.tolist()
        print(json.dumps(row), flush=True)
        if not cv:
            continue
        run = functools.partial(l1jax.cv_path, cv_prob.X, cv_prob.y, n_folds=5, lambdas=20)
        out, first, warm = _time(functools.partial(run, tol=1e-6, mesh=mesh), repeat)
        row = dict(task="cv_path", devices=n_devices, mesh=label, first=first, warm=warm)
        row["obj"] = np.asarray(out.cv_mean).tolist()
        print(json.dumps(row), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small problems (smoke test)")
    ap.add_argument("--repeat", type=int, default=2, help="warm runs (best is reported)")
    ap.add_argument("--devices", default="1,2,4", help="device counts, e.g. 1,2,4")
    ap.add_argument("--no-cv", action="store_true", help="path only")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.quick, args.repeat, not args.no_cv)
        return

    rows = []
    for d in (int(x) for x in args.devices.split(",")):
        env = dict(os.environ, JAX_ENABLE_X64="1", JAX_PLATFORMS="cpu")
        env["XLA_FLAGS"] = (
            env.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={d}"
        ).strip()
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", str(d)]
        cmd += ["--repeat", str(args.repeat)] + (["--quick"] if args.quick else [])
        cmd += ["--no-cv"] if args.no_cv else []
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            sys.exit(f"worker with {d} devices failed:\n{done.stderr[-3000:]}")
        for line in done.stdout.splitlines():
            if line.startswith("{"):
                r = json.loads(line)
                rows.append(r)
                print(
                    f"# {r['task']:8s} {d} device(s) {r['mesh']:13s} first {r['first']:7.2f} s"
                    f"  warm {r['warm']:7.2f} s",
                    file=sys.stderr,
                    flush=True,
                )

    base = {r["task"]: np.asarray(r["obj"]) for r in rows if r["devices"] == 1}
    cores = os.cpu_count()
    header = (
        "| task | devices | mesh | first call (s) | warm (s) | rel. diff. to 1 device |\n"
        "|---|---|---|---|---|---|"
    )
    lines = [header] if args.markdown else []
    for r in rows:
        ref = base.get(r["task"])
        obj = np.asarray(r["obj"])
        diff = float(np.max(np.abs(obj - ref) / np.abs(ref))) if ref is not None else float("nan")
        if args.markdown:
            lines.append(
                f"| {r['task']} | {r['devices']} | {r['mesh']} | {r['first']:.2f} | "
                f"{r['warm']:.2f} | {diff:.1e} |"
            )
        else:
            lines.append(
                f"{r['task']:8s} {r['devices']} {r['mesh']:13s} {r['first']:8.2f} "
                f"{r['warm']:8.2f} {diff:9.1e}"
            )
    print("\n".join(lines))
    print(f"\n({cores} CPU cores shared by all fake devices; {'quick' if args.quick else 'full'})")


if __name__ == "__main__":
    main()

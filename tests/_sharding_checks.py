"""Scale-out checks, run by tests/test_sharding.py in subprocesses with fake CPU devices.

``python tests/_sharding_checks.py devices`` (with ``XLA_FLAGS=--xla_force_host_platform_device
_count=4``) runs path, cv_path and train_path (and stability_selection, on the (2, 2) mesh only)
on a (4,) "lambdas" mesh, a (4,) "data" mesh and a
(2, 2) mesh and prints one JSON object: the worst relative objective difference to the
single-device run (objectives computed here in NumPy) and the shardings the compiled programs
gave their outputs. ``python tests/_sharding_checks.py host I N PORT`` is process I of N of a
multi-host run (``jax.distributed`` on localhost, gloo collectives) on a global (2, 2) mesh.
"""

from __future__ import annotations

import importlib
import json
import sys

import numpy as np

RTOL = 1e-9  # as tests/test_sharding.py

MESHES = {
    "lambdas": ((4,), ("lambdas",)),
    "data": ((4,), ("data",)),
    "2x2": ((2, 2), ("lambdas", "data")),
}


def objective(X, y, coef, intercept, lam, rho) -> np.ndarray:
    """The squared-loss path objective of each λ (../DESIGN "The objective", unit weights,
    standardize=True: the penalty applies to coef × column scale), float64."""
    scale = X.std(axis=0)
    resid = y[None, :] - intercept[:, None] - coef @ X.T
    b = coef * scale
    pen = rho * np.abs(b).sum(1) + 0.5 * (1 - rho) * (b * b).sum(1)
    return 0.5 * (resid**2).mean(1) + lam * pen


def rel(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def spec(array) -> list | None:
    """The PartitionSpec of a jax.Array as a JSON list (None: not a NamedSharding)."""
    sharding = getattr(array, "sharding", None)
    if sharding is None or not hasattr(sharding, "spec"):
        return None
    return [list(e) if isinstance(e, tuple) else e for e in sharding.spec]


def manual_collectives(mlir: str) -> tuple[int, int]:
    """In lowered StableHLO text: the number of ``shard_map`` regions (sdy.manual_computation)
    and of collectives (all-reduce, all-gather, ...) inside them."""
    regions = collectives = 0
    start = mlir.find("sdy.manual_computation(")
    while start >= 0:
        open_at = mlir.find("{", mlir.find(") {", start))
        depth, i = 0, open_at
        while True:  # the region's matching brace
            depth += {"{": 1, "}": -1}.get(mlir[i], 0)
            if depth == 0:
                break
            i += 1
        body = mlir[open_at:i]
        regions += 1
        collectives += sum(
            body.count(op)
            for op in (
                "all_reduce",
                "all_gather",
                "reduce_scatter",
                "collective_permute",
                "all_to_all",
            )
        )
        start = mlir.find("sdy.manual_computation(", i)
    return regions, collectives


def problem():
    """Squared loss in design form (p > n); n = 39 does not divide 4, so rows are padded, and
    12 λs pad the last block of 8."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((39, 50))
    y = X[:, :4] @ np.array([2.0, -1.5, 1.0, 0.5]) + 0.5 * rng.standard_normal(39)
    return X, y


def check_path(l1jax, mesh_of, out):
    """path() on the meshes vs mesh=None; records the shardings of its engine program."""
    engine_mod = sys.modules["l1jax.engine"]
    inner = engine_mod.run
    seen = []

    def recording(*args, **kwargs):
        res = inner(*args, **kwargs)
        lowered = inner.lower(*args, **kwargs)
        hlo = lowered.compile().as_text()  # cached: no second compile
        regions, collectives = manual_collectives(lowered.as_text())
        seen.append(
            {
                "X": spec(args[0].data.Xt),
                "all_reduce": "all-reduce" in hlo,
                "lambda_regions": regions,
                "lambda_region_collectives": collectives,
            }
        )
        return res

    engine_mod.run = recording
    try:
        X, y = problem()
        ref = l1jax.path(X, y, lambdas=12, tol=1e-10)
        f_ref = objective(X, y, ref.coef, ref.intercept, ref.lambdas, 1.0)
        out["ref/path_objective"] = f_ref.tolist()
        for name in MESHES:
            seen.clear()
            res = l1jax.path(X, y, lambdas=12, tol=1e-10, mesh=mesh_of(name))
            f = objective(X, y, res.coef, res.intercept, res.lambdas, 1.0)
            out[f"path/{name}"] = {
                "objective_rel": rel(f, f_ref),
                "coef_abs": float(np.max(np.abs(res.coef - ref.coef))),
                "converged": bool(res.converged.all() and ref.converged.all()),
                "shardings": seen[0],
            }
    finally:
        engine_mod.run = inner


def _squared_rows(rng, n: int, p: int):
    """An ``n × p`` squared-loss problem whose response depends on the first 5 columns."""
    X = rng.standard_normal((n, p))
    y = X[:, :5] @ np.array([2.0, -1.5, 1.0, 0.5, 0.25]) + 0.5 * rng.standard_normal(n)
    return X, y


def rows_problem():
    """p > n (design form, working sets much smaller than p) and n > p (Gram form), squared
    loss, rows divisible by 4 so that X can arrive row-sharded."""
    rng = np.random.default_rng(3)
    return {name: _squared_rows(rng, n, p)
            for name, (n, p) in {"wide": (1600, 2400), "tall": (400, 40)}.items()}  # fmt: skip


def hosts_rows_problem():
    """The row-sharded X of the multi-host run: p > n (design form), squared loss, rows
    divisible by 4. Smaller than :func:`rows_problem`'s "wide" (whose size serves the memory
    checks of the 4-device run): on two processes every FISTA iteration reduces across them."""
    return _squared_rows(np.random.default_rng(4), 200, 600)


def footprints(modules, names):
    """Wrap the jitted programs ``names`` of ``modules`` so that every call records the per-
    device bytes of its compiled program (XLA's memory analysis: arguments + outputs +
    temporaries − aliased) and the largest per-device shard of its inputs and outputs.
    Returns the records and a function that undoes the wrapping."""
    import jax

    seen, undo = [], []
    for module, name in ((m, n) for m in modules for n in names if hasattr(m, n)):
        inner = getattr(module, name)

        def recording(*args, inner=inner, name=name, **kwargs):
            res = inner(*args, **kwargs)
            compiled = getattr(inner, "compiled", None)  # l1jax's programs: no second compile
            compiled = compiled or (lambda *a, **k: inner.lower(*a, **k).compile())
            mem = compiled(*args, **kwargs).memory_analysis()
            leaves = [a for a in jax.tree.leaves((args, res)) if isinstance(a, jax.Array)]
            shard = max(s.data.nbytes for a in leaves for s in a.addressable_shards)
            total = (mem.argument_size_in_bytes + mem.output_size_in_bytes
                     + mem.temp_size_in_bytes - mem.alias_size_in_bytes)  # fmt: skip
            seen.append({"program": name, "bytes": int(total), "largest_shard": int(shard)})
            return res

        setattr(module, name, recording)
        undo.append((module, name, inner))

    def restore():
        for module, name, inner in undo:
            setattr(module, name, inner)

    return seen, restore


def check_rows(l1jax, mesh_of, out):
    """path() on an X that arrives as a row-sharded jax.Array: equal to the NumPy run, X never
    gathered to the host (only p- and n-vectors are fetched), no program holds more of X than
    its own rows, and every program's per-device memory shrinks with the number of row shards
    (compared with the same jax.Array X on one device)."""
    import jax
    import jax.numpy as jnp

    inputs, engine, sharding = (sys.modules[f"l1jax.{m}"] for m in ("_inputs", "engine",
                                                                    "_sharding"))  # fmt: skip
    programs = ("prepare_rows", "gram", "run")
    host_sizes = []
    to_host = sharding.to_host

    def counting(value):
        host_sizes.append(int(np.size(value)))
        return to_host(value)

    def run(X, y, Xj):
        seen, restore = footprints((inputs, engine), programs)
        host_sizes.clear()
        sharding.to_host = counting
        try:  # mesh=None: the mesh X is sharded on (none for a one-device X)
            res = l1jax.path(Xj, y, lambdas=12, tol=1e-10)
        finally:
            restore()
            sharding.to_host = to_host
        per_program = {}
        for r in seen:
            per_program[r["program"]] = max(per_program.get(r["program"], 0), r["bytes"])
        return res, seen, per_program

    # a one-device jax.Array X whose 39 rows do not divide the 4 "data" devices: padded there
    X, y = problem()
    ref = l1jax.path(X, y, lambdas=12, tol=1e-10)
    res = l1jax.path(jnp.asarray(X), y, lambdas=12, tol=1e-10, mesh=mesh_of("data"))
    out["rows/padded"] = {
        "objective_rel": rel(
            objective(X, y, res.coef, res.intercept, res.lambdas, 1.0),
            objective(X, y, ref.coef, ref.intercept, ref.lambdas, 1.0),
        ),
        "converged": bool(res.converged.all()),
    }
    # the Gram form (n > p) with rows that do not divide the "data" devices: padded with zero
    # weight to whole shards, from a NumPy X and from a one-device jax.Array X
    X, y = _squared_rows(np.random.default_rng(5), 101, 13)
    ref = l1jax.path(X, y, lambdas=12, tol=1e-10)
    f_ref = objective(X, y, ref.coef, ref.intercept, ref.lambdas, 1.0)
    worst = 0.0
    for Xin in (X, jnp.asarray(X)):
        res = l1jax.path(Xin, y, lambdas=12, tol=1e-10, mesh=mesh_of("data"))
        f = objective(X, y, res.coef, res.intercept, res.lambdas, 1.0)
        worst = max(worst, rel(f, f_ref)) if res.converged.all() else float("inf")
    cv_kw = dict(n_folds=3, lambdas=12, tol=1e-10)
    cv = l1jax.cv_path(X, y, mesh=mesh_of("data"), **cv_kw).cv_mean
    cv_rel = rel(cv, l1jax.cv_path(X, y, **cv_kw).cv_mean)
    out["rows/gram_padded"] = {"objective_rel": worst, "cv_mean_rel": cv_rel}
    for shape_name, (X, y) in rows_problem().items():
        ref = l1jax.path(X, y, lambdas=12, tol=1e-10)
        f_ref = objective(X, y, ref.coef, ref.intercept, ref.lambdas, 1.0)
        out[f"ref/rows/{shape_name}"] = f_ref.tolist()
        _, _, single = run(X, y, jnp.asarray(X))
        for name in ("data", "2x2"):
            mesh = mesh_of(name)
            rows = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("data", None))
            Xs = jax.make_array_from_callback(X.shape, rows, X.__getitem__)
            res, seen, sharded = run(X, y, Xs)
            f = objective(X, y, res.coef, res.intercept, res.lambdas, 1.0)
            pred = res.predict(Xs)
            out[f"rows/{shape_name}/{name}"] = {
                "objective_rel": rel(f, f_ref),
                "converged": bool(res.converged.all() and ref.converged.all()),
                "row_shards": int(mesh.shape["data"]),
                "x_bytes": int(X.nbytes),
                "programs": sorted(sharded),
                "memory_ratio": {k: sharded[k] / single[k] for k in sharded},
                "max_shard_bytes": max(r["largest_shard"] for r in seen),
                "max_host_elements": max(host_sizes),
                "predict_rel": rel(np.asarray(pred), ref.predict(X)),
                "predict_spec": spec(pred),
            }


def train_problem(l1jax):
    """train_path's test problem: a lasso by proximal SGD, λs on "w" only (masked "b")."""
    import jax.numpy as jnp
    import optax

    rng = np.random.default_rng(1)
    X = rng.standard_normal((64, 10))
    y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.standard_normal(64)

    def loss(w, d):
        return 0.5 * jnp.mean((d[1] - d[0] @ w["w"] - w["b"]) ** 2)

    def opt(lam):
        mask = {"w": True, "b": False}
        return optax.chain(optax.sgd(0.2), l1jax.soft_thresholding(lam, 0.2, mask=mask))

    return loss, opt, {"w": jnp.zeros(10), "b": jnp.zeros(())}, (X, y)


def check_train(l1jax, mesh_of, out):
    """train_path on the meshes vs mesh=None: 8 λs (whole shards, full batch) on every mesh and
    6 λs (padded to 8, minibatches split over "data") on the 2x2 mesh. Records the output
    shardings and whether the program reduces the gradient across the "data" devices."""
    import jax

    training = importlib.import_module("l1jax.training")
    loss, opt, p0, data = train_problem(l1jax)
    # (the 2x2 mesh splits both axes at once; the one-axis meshes are covered by path: CI time)
    for n_lams, batch, names in ((8, None, ["2x2"]), (6, 16, ["2x2"])):
        lams = np.geomspace(1e-3, 0.5, n_lams)
        kw = dict(steps=40, batch_size=batch, key=None if batch is None else jax.random.key(2))
        ref = l1jax.train_path(loss, p0, opt, lams, data, progress=False, **kw)
        if batch is None:
            out["ref/train_w"] = np.asarray(ref.params["w"]).tolist()
        for name in names:
            mesh, seen = mesh_of(name), []

            def report(step, losses, seen=seen):
                seen.append(len(losses))

            res = l1jax.train_path(loss, p0, opt, lams, data, mesh=mesh, progress=report, **kw)
            diff = max(
                float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
                for a, b in zip(
                    jax.tree.leaves(ref.params), jax.tree.leaves(res.params), strict=True
                )
            )
            entry = {
                "params_abs": diff,
                "losses_rel": rel(res.losses, ref.losses),
                "shape": list(res.params["w"].shape),
                "params_spec": spec(res.params["w"]),
                "report_sizes": sorted(set(seen)),
            }
            if name == "data":  # the same program (cached): is the gradient reduced?
                auto = training._sharding.auto(mesh)
                args = training._place(auto, p0, jax.numpy.asarray(lams), data, None, None)
                static = dict(loss_fn=loss, optimizer=opt, steps=40, batch_size=None)
                compiled = training._train_path.lower(
                    *args, **static, every=4, report=report, mesh=auto
                ).compile()
                entry["all_reduce"] = "all-reduce" in compiled.as_text()
                entry["data_spec"] = spec(args[2][0])
            out[f"train/{n_lams}/{name}"] = entry

    # A raising progress callable on the mesh: it stopped the program on one device only, and
    # the others waited in a collective until XLA aborted the process. Raised as it is.
    def failing(step, losses):
        raise ValueError("stop here")

    try:
        l1jax.train_path(loss, p0, opt, np.geomspace(1e-3, 0.5, 8), data, mesh=mesh_of("2x2"),
                         steps=40, progress=failing)  # fmt: skip
        out["train/failing"] = "no error"
    except ValueError as err:
        out["train/failing"] = str(err)


def check_cv(l1jax, mesh_of, out):
    """cv_path on the meshes vs mesh=None: a scalar l1_ratio with 6 folds on every mesh, and a
    grid of two l1_ratios with 3 folds (the same 6 fits: one compiled program) on the 2x2 mesh.
    Records the output shardings of the fold program and whether it reduces across devices."""
    cv_mod = sys.modules["l1jax.cv"]
    inner = cv_mod._fit_folds
    seen = []

    def recording(*args, **kwargs):
        res = inner(*args, **kwargs)
        lowered = inner.lower(*args, **kwargs)
        hlo = lowered.compile().as_text()  # cached: no second compile
        regions, collectives = manual_collectives(lowered.as_text())
        seen.append(
            {
                "coef": spec(res[0].coef),
                "X": spec(args[0]),
                "all_reduce": "all-reduce" in hlo,
                "fit_regions": regions,
                "fit_region_collectives": collectives,
            }
        )
        return res

    cv_mod._fit_folds = recording
    try:
        X, y = problem()
        cases = [(1.0, 6, ["lambdas", "2x2"]), ([0.5, 1.0], 3, ["2x2"])]  # (CI time)
        for ratio, n_folds, names in cases:
            kw = dict(n_folds=n_folds, lambdas=12, l1_ratio=ratio, tol=1e-10)
            ref = l1jax.cv_path(X, y, **kw)
            out[f"ref/cv_mean/{np.ndim(ratio)}"] = ref.cv_mean.tolist()
            for name in names:
                seen.clear()
                res = l1jax.cv_path(X, y, mesh=mesh_of(name), **kw)
                out[f"cv/{np.ndim(ratio)}/{name}"] = {
                    "cv_mean_rel": rel(res.cv_mean, ref.cv_mean),
                    "cv_se_rel": rel(res.cv_se, ref.cv_se),
                    "same_choice": bool(  # the same λs (λ_max may differ in its last bits)
                        res.index_min == ref.index_min
                        and res.index_1se == ref.index_1se
                        and res.l1_ratio_min == ref.l1_ratio_min
                        and rel(res.lambda_min, ref.lambda_min) <= RTOL
                    ),
                    "shape": list(np.shape(res.cv_mean)),
                    "shardings": seen[0],
                }
    finally:
        cv_mod._fit_folds = inner


def check_cv_capacity(l1jax, mesh_of, out):
    """cv_path on the (4,) "lambdas" mesh when the folds' supports outgrow the first capacity
    (one chunk of 128 for supports of ~150): the devices' fits go on at the next capacity
    from their states (:func:`l1jax.cv._continue_folds`), and the scores equal those of the
    one-device run."""
    engine, cv_mod = sys.modules["l1jax.engine"], sys.modules["l1jax.cv"]
    rng = np.random.default_rng(6)
    X = rng.standard_normal((152, 400))
    y = X[:, :40] @ rng.uniform(0.2, 0.6, 40) + 0.3 * rng.standard_normal(152)
    kw = dict(n_folds=4, lambdas=4, l1_ratio=0.2, tol=1e-10, lambda_min_ratio=0.05)
    ref = l1jax.cv_path(X, y, **kw)
    first, inner, capacities = engine.first_capacity, cv_mod._continue_folds, []

    def recording(*args, **kwargs):
        capacities.append(kwargs["capacity"])
        return inner(*args, **kwargs)

    engine.first_capacity, cv_mod._continue_folds = (lambda *a, **k: 128), recording
    try:
        res = l1jax.cv_path(X, y, mesh=mesh_of("lambdas"), **kw)
    finally:
        engine.first_capacity, cv_mod._continue_folds = first, inner
    out["cv/capacity/lambdas"] = {"cv_mean_rel": rel(res.cv_mean, ref.cv_mean),
                                  "continued_at": capacities}  # fmt: skip


def check_stability(l1jax, mesh_of, out):
    """stability_selection on the 2x2 mesh (the halves vmapped, each on its own rows: split
    over "lambdas", their rows over "data") vs mesh=None (on a CPU: one half after another
    through path's program). Records the sharding of the stacked rows of X."""
    cv_mod = sys.modules["l1jax.cv"]
    inner = cv_mod._fit_folds
    seen = []

    def recording(*args, **kwargs):
        seen.append(spec(args[0]))
        return inner(*args, **kwargs)

    cv_mod._fit_folds = recording
    try:
        X, y = problem()
        kw = dict(n_subsamples=6, lambdas=12, tol=1e-10)
        ref = l1jax.stability_selection(X, y, **kw)
        res = l1jax.stability_selection(X, y, mesh=mesh_of("2x2"), **kw)
        out["stability/2x2"] = {
            "same_subsamples": bool(np.array_equal(res.subsamples, ref.subsamples)),
            "probabilities_abs": float(np.max(np.abs(res.probabilities - ref.probabilities))),
            "lambdas_rel": rel(res.lambdas, ref.lambdas),
            "X": seen[0] if seen else None,
        }
    finally:
        cv_mod._fit_folds = inner


def ref_hosts_rows(l1jax, out):
    """The one-device objective of the multi-host run's row-sharded problem. (Last: its padded
    shape would be reused by the smaller problems after it, :func:`l1jax.engine.padded`, and
    change the first capacity of check_cv_capacity's one-device reference.)"""
    X, y = hosts_rows_problem()
    ref = l1jax.path(X, y, lambdas=12, tol=1e-10)
    out["ref/rows/hosts"] = objective(X, y, ref.coef, ref.intercept, ref.lambdas, 1.0).tolist()


def same_blocks() -> None:
    """Every run here, with a mesh or not, solves its λs in blocks of 8 (the squared loss's
    default of a CPU with p > n, or with a small Gram matrix, is one λ at a time,
    ``engine.ONE_LAMBDA_SHARE`` and ``engine.SMALL_GRAM``; a mesh rounds a block up to its
    ``"lambdas"`` devices): the single-device runs and the mesh runs are then the same
    algorithm, and agree to the last digits that ``RTOL`` asks for (at tol 1e-10, coefficients
    from different blocks differ by up to about 1e-5)."""
    engine = sys.modules["l1jax.engine"]
    engine.ONE_LAMBDA_SHARE, engine.SMALL_GRAM = float("inf"), 0


def devices() -> dict:
    import jax

    import l1jax

    same_blocks()
    assert jax.device_count() == 4, jax.devices()
    out = {}

    def mesh_of(name):
        shape, names = MESHES[name]
        return jax.make_mesh(shape, names)

    check_path(l1jax, mesh_of, out)
    check_rows(l1jax, mesh_of, out)
    check_train(l1jax, mesh_of, out)
    check_cv(l1jax, mesh_of, out)
    check_cv_capacity(l1jax, mesh_of, out)
    check_stability(l1jax, mesh_of, out)
    ref_hosts_rows(l1jax, out)
    return out


def host(process_id: int, n_processes: int, port: int) -> dict:
    """Process ``process_id`` of a multi-host run on localhost: path, cv_path and train_path on
    a global (2, 2) mesh, with the settings whose single-device results :func:`devices` gives
    (the test compares the two)."""
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(f"localhost:{port}", n_processes, process_id)

    import l1jax

    same_blocks()
    mesh = jax.make_mesh((2, 2), ("lambdas", "data"))
    out = {"processes": jax.process_count(), "devices": jax.device_count()}
    out["hosts_along_lambdas"] = [sorted({d.process_index for d in row}) for row in mesh.devices]
    X, y = problem()
    res = l1jax.path(X, y, lambdas=12, tol=1e-10, mesh=mesh)
    out["path_objective"] = objective(X, y, res.coef, res.intercept, res.lambdas, 1.0).tolist()
    cv = l1jax.cv_path(X, y, n_folds=6, lambdas=12, tol=1e-10, mesh=mesh)
    out["cv_mean"] = cv.cv_mean.tolist()
    loss, opt, p0, data = train_problem(l1jax)
    lams = np.geomspace(1e-3, 0.5, 8)
    t = l1jax.train_path(loss, p0, opt, lams, data, steps=40, progress=False, mesh=mesh)
    out["train_spans_hosts"] = not t.params["w"].is_fully_addressable
    # X too large for one host: each process loads only its own rows of a (4,) "data" mesh
    X, y = hosts_rows_problem()
    rows = jax.sharding.NamedSharding(
        jax.make_mesh((4,), ("data",)), jax.sharding.PartitionSpec("data", None)
    )
    half = X.shape[0] // n_processes
    mine = X[process_id * half : (process_id + 1) * half]  # this process never sees the rest
    Xs = jax.make_array_from_process_local_data(rows, mine, X.shape)
    out["rows_local_fraction"] = sum(s.data.shape[0] for s in Xs.addressable_shards) / len(X)
    out["rows_fully_addressable"] = Xs.is_fully_addressable
    res = l1jax.path(Xs, y, lambdas=12, tol=1e-10)
    out["rows_objective"] = objective(X, y, res.coef, res.intercept, res.lambdas, 1.0).tolist()
    out["train_w"] = l1jax._sharding.to_host(t.params["w"]).tolist()
    return out


if __name__ == "__main__":
    if sys.argv[1] == "devices":
        result = devices()
    else:
        result = host(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    print("RESULT " + json.dumps(result))

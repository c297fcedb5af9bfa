"""Scale-out: path, cv_path, train_path and stability_selection with mesh= on fake CPU devices
and on two processes.

The checks run in subprocesses (the device count is fixed when JAX starts), all started at once
by one fixture: ``tests/_sharding_checks.py devices`` with 4 fake devices (meshes (4,)
"lambdas", (4,) "data" and (2, 2)), and two processes of a multi-host run on localhost
(``jax.distributed``, gloo collectives, 2 fake devices each: a global (2, 2) mesh). Each prints
one JSON line; the tests below read them. Objectives are computed in NumPy (float64).
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "_sharding_checks.py")
MESHES = ("lambdas", "data", "2x2")
RTOL = 1e-9  # relative difference of objectives (and CV scores) to the single-device run


def _env(n_devices: int) -> dict:
    env = dict(os.environ, JAX_ENABLE_X64="1", JAX_PLATFORMS="cpu")
    flags = os.environ.get("XLA_FLAGS", "")  # (the suite's, conftest.py)
    env["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={n_devices}".strip()
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def _result(proc: subprocess.Popen, what: str) -> dict:
    try:
        stdout, stderr = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"{what} failed:\n{stdout[-2000:]}\n{stderr[-4000:]}"
    return json.loads(lines[-1][len("RESULT ") :])


@pytest.fixture(scope="module")
def runs():
    """Start the 4-device run and both processes of the multi-host run together."""
    port = str(_free_port())
    cmds = [([sys.executable, SCRIPT, "devices"], 4)]
    cmds += [([sys.executable, SCRIPT, "host", str(i), "2", port], 2) for i in range(2)]
    procs = [
        subprocess.Popen(
            cmd, env=_env(n), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )  # fmt: skip
        for cmd, n in cmds
    ]
    devices = _result(procs[0], "4-device run")
    hosts = [_result(p, f"multi-host process {i}") for i, p in enumerate(procs[1:])]
    return devices, hosts


def _rel(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.abs(b)))


@pytest.mark.parametrize("mesh", MESHES)
def test_path_on_a_mesh_equals_one_device(runs, mesh):
    r = runs[0][f"path/{mesh}"]
    assert r["converged"]
    assert r["objective_rel"] <= RTOL
    assert r["coef_abs"] <= 1e-9
    sh = r["shardings"]
    if mesh != "data":  # each device runs the FISTA loop of its own λs (a shard_map region)
        assert sh["lambda_regions"] >= 1
    if mesh == "lambdas":  # ... with no collective inside: no lockstep across devices
        assert sh["lambda_region_collectives"] == 0
    if mesh != "lambdas":  # rows of X (columns of Xᵀ) over "data", Xᵀr reduced across devices
        assert sh["X"][-1] == "data" and sh["all_reduce"]


@pytest.mark.parametrize("shape", ["wide", "tall"])
@pytest.mark.parametrize("mesh", ["data", "2x2"])
def test_path_on_row_sharded_x(runs, shape, mesh):
    """X arrives as a row-sharded jax.Array (mesh=None: X's own mesh). "wide" (p > n) uses the
    design-form solver, whose every program touches X; "tall" (n > p) the Gram form, where X
    only enters the standardization, λ_max and the Gram matrix."""
    r = runs[0][f"rows/{shape}/{mesh}"]
    assert r["converged"] and r["objective_rel"] <= RTOL
    d = r["row_shards"]
    # no program argument or result holds more of X than one device's rows (of X padded to
    # the bucketed shape: at most 25% more rows and columns)
    assert r["x_bytes"] // d <= r["max_shard_bytes"] <= 1.25**2 * r["x_bytes"] // d
    # only p-vectors and the path's coefficients come to the host (its 12 λs padded to a grid of
    # 128 × p, engine.n_lambdas_padded), and in the Gram form the p × p Gram matrix (for the
    # check of its rounding, gram_solution_is_exact), never X (of 1600 × 2400 and 400 × 40)
    p = {"wide": 2400, "tall": 40}[shape]
    assert r["max_host_elements"] <= max(128 * 1.25 * p, p * p if shape == "tall" else 0)
    assert r["max_host_elements"] < r["x_bytes"] // 8
    # the per-device memory of the programs that hold X shrinks as 1/d (XLA's memory analysis
    # against the same X on one device): a mesh with enough row shards fits any X
    with_x = r["programs"] if shape == "wide" else ["prepare_rows", "gram"]
    assert set(with_x) <= set(r["programs"])
    for name in with_x:
        assert r["memory_ratio"][name] <= 1.35 / d, (name, r["memory_ratio"])
    assert r["predict_rel"] <= 1e-9 and r["predict_spec"] == [None, "data"]


def test_path_pads_a_jax_array_x_that_does_not_divide_the_mesh(runs):
    r = runs[0]["rows/padded"]  # 39 rows on one device, moved to 4 "data" devices
    assert r["converged"] and r["objective_rel"] <= RTOL


def test_gram_form_pads_rows_that_do_not_divide_the_data_devices(runs):
    """n = 101 rows, 13 columns (the Gram form) on 4 "data" devices: rows of zero weight up to
    whole shards, from a NumPy X and a jax.Array X, in path and cv_path (it raised JAX's
    IndivisibleError)."""
    r = runs[0]["rows/gram_padded"]
    assert r["objective_rel"] <= RTOL and r["cv_mean_rel"] <= RTOL


@pytest.mark.parametrize("mesh", ["lambdas", "2x2"])
def test_cv_path_on_a_mesh_equals_one_device(runs, mesh):
    r = runs[0][f"cv/0/{mesh}"]
    assert r["cv_mean_rel"] <= RTOL and r["cv_se_rel"] <= 1e3 * RTOL
    assert r["same_choice"] and r["shape"] == [12]
    sh = r["shardings"]
    if mesh != "data":  # the fold fits are split over "lambdas"...
        assert sh["coef"][0] == "lambdas"
        # ... and each device runs the loops of its own fits (a shard_map region) with no
        # collective across "lambdas": no lockstep with the slowest fit of another device
        assert sh["fit_regions"] >= 1 and sh["fit_region_collectives"] == 0
    if mesh != "lambdas":
        assert sh["X"][0] == "data" and sh["all_reduce"]


def test_cv_path_on_a_mesh_goes_on_past_the_first_capacity(runs):
    r = runs[0]["cv/capacity/lambdas"]
    assert r["continued_at"] and r["cv_mean_rel"] <= RTOL


def test_cv_path_l1_ratio_grid_on_a_mesh(runs):
    r = runs[0]["cv/1/2x2"]
    assert r["shape"] == [2, 12]
    assert r["cv_mean_rel"] <= RTOL and r["same_choice"]
    assert r["shardings"]["coef"][0] == "lambdas" and r["shardings"]["X"][0] == "data"


def test_stability_selection_on_a_mesh(runs):
    r = runs[0]["stability/2x2"]
    assert r["same_subsamples"] and r["lambdas_rel"] <= RTOL
    assert r["probabilities_abs"] == 0.0
    assert r["X"] == ["lambdas", "data", None]  # halves over "lambdas", their rows over "data"


@pytest.mark.parametrize("mesh", ["2x2"])
def test_train_path_on_a_mesh_equals_one_device(runs, mesh):
    r = runs[0][f"train/8/{mesh}"]
    assert r["params_abs"] <= 1e-12 and r["losses_rel"] <= RTOL
    assert r["shape"] == [8, 10] and r["report_sizes"] == [8]
    assert r["params_spec"][0] == "lambdas"  # each device trains its own models


def test_a_raising_progress_on_a_mesh_is_raised(runs):
    assert runs[0]["train/failing"] == "stop here"


def test_train_path_pads_lambdas_and_splits_minibatches(runs):
    r = runs[0]["train/6/2x2"]
    assert r["shape"] == [6, 10] and r["report_sizes"] == [6]  # the padding is dropped
    assert r["params_abs"] <= 1e-12 and r["losses_rel"] <= RTOL


def test_multi_host_equals_one_device(runs):
    devices, hosts = runs
    for h in hosts:
        assert h["processes"] == 2 and h["devices"] == 4
        assert h["hosts_along_lambdas"] == [[0], [1]]  # jax.make_mesh keeps "data" in a host
        assert _rel(h["path_objective"], devices["ref/path_objective"]) <= RTOL
        assert _rel(h["cv_mean"], devices["ref/cv_mean/0"]) <= RTOL
        assert h["train_spans_hosts"]  # each host holds only its models...
        w, ref = np.asarray(h["train_w"]), np.asarray(devices["ref/train_w"])
        assert np.max(np.abs(w - ref)) <= 1e-12  # ...and the gathered models are the same


def test_multi_host_path_on_rows_no_host_holds(runs):
    """Each process loads only its half of the rows (X spans the hosts, as an X too large for
    one host would): path works on it and equals the single-device run."""
    devices, hosts = runs
    for h in hosts:
        assert h["rows_local_fraction"] == 0.5 and not h["rows_fully_addressable"]
        assert _rel(h["rows_objective"], devices["ref/rows/hosts"]) <= RTOL

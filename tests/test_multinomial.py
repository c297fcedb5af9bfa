"""Multinomial (softmax) paths: ``l1jax.path(X, y, loss="multinomial")`` with class labels ``y``.

The objective (../shared/DESIGN.md, issue 14), ``Y`` the one-hot ``(n, C)`` matrix of ``y`` in the
order of ``np.unique(y)``, ``B`` ``(p, C)``, ``η_i = b + Bᵀx_i``::

    (1/n) Σ_i (log Σ_c e^{η_ic} − Σ_c Y_ic η_ic) + λ Σ_j Σ_c (ρ |B_jc| + (1 − ρ)/2 B_jc²)

and with ``grouped=True`` the row penalty ``λ Σ_j (ρ ‖B_j‖₂ + (1 − ρ)/2 ‖B_j‖²)``.

Every expected value comes from outside l1jax: scikit-learn's saga (``LogisticRegression``,
multinomial for 3 classes, ``C = 1/(nλ)``), the optimality conditions (KKT) and λ_max evaluated
here in NumPy, and saga's binary logistic lasso (two classes, grouped: ``B = (−β/2, β/2)`` with β
the logistic coefficients at ``λ/√2``, since ``‖(−d/2, d/2)‖₂ = |d|/√2`` is the least row norm
with difference ``d``). The data are scikit-learn's bundled wine and iris, standardized here
(``standardize=False`` in l1jax). Problems share their shapes and static options (wine's padded
shape serves iris), so the file compiles three programs: entrywise and grouped for 3 classes,
grouped for 2.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import warnings

import jax
import numpy as np
import pytest
from scipy.special import logsumexp, softmax
from sklearn.datasets import load_iris, load_wine
from sklearn.linear_model import LogisticRegression

import l1jax
from l1jax import _programs

TIGHT = 1e-12
LAMS = np.array([0.05, 0.01])


@functools.cache
def _data(name):
    X, y = {"wine": load_wine, "iris": load_iris}[name](return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def _objective(X, Y, B, b, lam, rho=1.0, grouped=False):
    """The objective above, in NumPy."""
    eta = b + X @ B
    loss = np.mean(logsumexp(eta, axis=1) - np.sum(Y * eta, axis=1))
    l1 = np.linalg.norm(B, axis=1) if grouped else np.abs(B)
    return loss + lam * (rho * np.sum(l1) + 0.5 * (1 - rho) * np.sum(B**2))


def _gradient(X, Y, B, b):
    """The data loss's gradient in ``B`` ``(p, C)`` and in ``b`` ``(C,)``."""
    R = (softmax(b + X @ B, axis=1) - Y) / X.shape[0]
    return X.T @ R, R.sum(axis=0)


def _fit(X, y, lambdas=LAMS, **kw):
    res = l1jax.path(X, y, loss="multinomial", lambdas=lambdas, standardize=False, tol=TIGHT,
                     **kw)  # fmt: skip
    assert res.converged.all(), res.gap
    return res


@pytest.mark.parametrize("name", ["wine", "iris"])
def test_objective_no_worse_than_saga(name):
    X, y = _data(name)
    n, p = X.shape
    Y = np.eye(3)[y]
    res = _fit(X, y)
    assert res.coef.shape == (2, p, 3) and res.intercept.shape == (2, 3)
    assert res.classes.tolist() == [0, 1, 2]
    eta = res.predict(X)
    np.testing.assert_allclose(eta, res.intercept[:, None, :] + np.einsum("np,kpc->knc", X,
                                                                           res.coef))  # fmt: skip
    null = -np.sum(Y.mean(0) * np.log(Y.mean(0)))  # the intercept-only model's loss
    for k, lam in enumerate(res.lambdas):
        with warnings.catch_warnings():  # (saga's own convergence warning at tol=1e-10)
            warnings.simplefilter("ignore")
            est = LogisticRegression(l1_ratio=1.0, C=1 / (n * lam), solver="saga", tol=1e-10,
                                     max_iter=100_000).fit(X, y)  # fmt: skip
        ours = _objective(X, Y, res.coef[k], res.intercept[k], lam)
        theirs = _objective(X, Y, est.coef_.T, est.intercept_, lam)
        assert ours <= theirs * (1 + 1e-10), (lam, ours, theirs)
        np.testing.assert_allclose(res.coef[k], est.coef_.T, atol=1e-4)
        loss = ours - lam * np.sum(np.abs(res.coef[k]))
        np.testing.assert_allclose(res.dev_ratio[k], 1 - loss / null, rtol=1e-9)
    assert np.mean(eta[-1].argmax(axis=1) == y) > 0.95


@pytest.mark.parametrize("rho", [1.0, 0.5])
@pytest.mark.parametrize("grouped", [False, True])
def test_kkt(grouped, rho):
    """Entrywise: ``G_jc + λ(ρ sign B_jc + (1 − ρ) B_jc) = 0`` where ``B_jc ≠ 0``, else
    ``|G_jc| ≤ λρ``; grouped, by rows: ``G_j + λ(ρ B_j/‖B_j‖ + (1 − ρ) B_j) = 0`` or
    ``‖G_j‖ ≤ λρ``; the intercepts' gradient is 0."""
    X, y = _data("wine")
    Y = np.eye(3)[y]
    res = _fit(X, y, l1_ratio=rho, grouped=grouped)
    for k, lam in enumerate(res.lambdas):
        B = res.coef[k]
        G, gb = _gradient(X, Y, B, res.intercept[k])
        np.testing.assert_allclose(gb, 0, atol=1e-10)
        if grouped:
            norms = np.linalg.norm(B, axis=1)
            on = norms > 0
            assert 0 < on.sum() < B.shape[0] or lam == res.lambdas[-1]
            unit = B[on] / norms[on, None]
            np.testing.assert_allclose(G[on] + lam * (rho * unit + (1 - rho) * B[on]), 0,
                                       atol=1e-6)  # fmt: skip
            assert np.all(np.linalg.norm(G[~on], axis=1) <= lam * rho * (1 + 1e-6))
        else:
            on = B != 0
            assert 0 < on.sum() < B.size
            np.testing.assert_allclose(G[on] + lam * (rho * np.sign(B[on]) + (1 - rho) * B[on]),
                                       0, atol=1e-6)  # fmt: skip
            assert np.all(np.abs(G[~on]) <= lam * rho * (1 + 1e-6))


@pytest.mark.parametrize("grouped", [False, True])
def test_lambda_max(grouped):
    """The automatic grid starts at ``max_j max_c |X_jᵀ(Y − Ȳ)|/n`` (the row norm when grouped):
    all coefficients zero there, intercepts the log class frequencies (up to a constant), and
    something enters just below."""
    X, y = _data("wine")
    Y = np.eye(3)[y]
    Z = X.T @ (Y - Y.mean(axis=0)) / X.shape[0]
    lam_max = np.max(np.linalg.norm(Z, axis=1) if grouped else np.abs(Z))
    res = l1jax.path(X, y, loss="multinomial", lambdas=3, lambda_min_ratio=0.9,
                     standardize=False, grouped=grouped, tol=TIGHT)  # fmt: skip
    np.testing.assert_allclose(res.lambdas[0], lam_max, rtol=1e-10)
    assert np.all(res.coef[0] == 0) and np.any(res.coef[1] != 0)
    b, logf = res.intercept[0], np.log(Y.mean(axis=0))
    np.testing.assert_allclose(b - b.mean(), logf - logf.mean(), atol=1e-10)
    np.testing.assert_allclose(res.dev_ratio[0], 0, atol=1e-12)


def test_two_classes_grouped_is_logistic():
    """Two classes, grouped, at λ: ``B = (−β/2, β/2)`` with β the binary logistic lasso's
    coefficients at ``λ/√2`` (scikit-learn's saga, ``C = √2/(nλ)``), and the same objective
    value (the labels are strings: ``classes`` in sorted order)."""
    X, y = _data("iris")
    n = X.shape[0]
    labels = np.where(y == 1, "versicolor", "other")
    Y = np.eye(2)[(labels == "versicolor").astype(int)]
    res = _fit(X, labels, grouped=True)
    assert res.classes.tolist() == ["other", "versicolor"]
    np.testing.assert_allclose(res.coef[..., 0], -res.coef[..., 1], atol=1e-8)
    for k, lam in enumerate(res.lambdas):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = LogisticRegression(l1_ratio=1.0, C=np.sqrt(2) / (n * lam), solver="saga",
                                     tol=1e-10, max_iter=100_000).fit(X, labels)  # fmt: skip
        beta, b = est.coef_[0], est.intercept_[0]
        theirs = _objective(X, Y, np.stack([-beta / 2, beta / 2], 1), np.array([-b / 2, b / 2]),
                            lam, grouped=True)  # fmt: skip
        ours = _objective(X, Y, res.coef[k], res.intercept[k], lam, grouped=True)
        assert ours <= theirs * (1 + 1e-10), (lam, ours, theirs)
        np.testing.assert_allclose(2 * res.coef[k, :, 1], beta, atol=1e-4)
        np.testing.assert_allclose(res.intercept[k, 1] - res.intercept[k, 0], b, atol=1e-4)


def test_fista_step_is_the_local_curvature():
    """FISTA's step is 1 / the top eigenvalue of the softmax Hessian at the warm start, as for
    the logistic loss, not ½ ‖XᵀSX‖ (which bounds it everywhere): on wine at λ = 0.01 the
    probabilities are near 0 or 1 and the local curvature 10× smaller. The estimate
    (power iteration, 10 steps, × 1.02) against the Hessian formed here, ``Σ_i s_i x_i x_iᵀ ⊗
    (diag μ_i − μ_i μ_iᵀ)``, by NumPy's eigenvalues."""
    from l1jax import solvers

    X, y = _data("wine")
    n, p = X.shape
    res = _fit(X, y, lambdas=np.array([0.01]))
    B, b = res.coef[0], res.intercept[0]
    mu = softmax(X @ B + b, axis=1)
    pairs = zip(X, mu, strict=True)
    H = sum(np.kron(np.outer(x, x), np.diag(m) - np.outer(m, m)) for x, m in pairs) / n
    top = np.linalg.eigvalsh(H)[-1]
    data = solvers.Data(X=np.asarray(X), y=np.eye(3)[y], s=np.full(n, 1 / n))
    est = float(solvers.lipschitz("multinomial", data, False, np.asarray(B), b))
    assert 0.95 * 1.02 * top <= est <= 1.02 * top * (1 + 1e-12), (est, top)  # (here 0.992)
    assert est <= 0.2 * 0.5 * np.linalg.eigvalsh(X.T @ X / n)[-1]  # (here 0.1)


def test_grouped_fista_at_small_lambdas_takes_few_iterations():
    """Grouped (FISTA only) on wine to λ_max / 4000 at tol 1e-12: with the global bound as its
    step, FISTA took 71,850 iterations, up to 12,615 at one λ; with the local curvature 8,190,
    at most 625. The fits are certified by their gaps, and the smallest λ satisfies KKT."""
    X, y = _data("wine")
    res = l1jax.path(X, y, loss="multinomial", grouped=True, lambdas=30, standardize=False,
                     tol=TIGHT)  # fmt: skip
    assert res.converged.all(), res.gap
    n_iter = np.asarray(res.n_iter)
    assert n_iter.max() <= 1_500 and n_iter.sum() <= 15_000, n_iter
    Y = np.eye(3)[y]
    G, gb = _gradient(X, Y, res.coef[-1], res.intercept[-1])
    lam, B = float(res.lambdas[-1]), res.coef[-1]
    norms = np.linalg.norm(B, axis=1)
    np.testing.assert_allclose(gb, 0, atol=1e-7)
    on = norms > 0
    np.testing.assert_allclose(G[on], -lam * B[on] / norms[on, None], atol=1e-6 * lam + 1e-9)
    assert np.all(np.linalg.norm(G[~on], axis=1) <= lam * (1 + 1e-6))


@functools.cache
def _digits():
    """300 rows of scikit-learn's digits (10 classes), constant pixels dropped, standardized."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    X = X[:, X.std(axis=0) > 0]
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def test_newton_ten_classes():
    """The entrywise path's Newton steps on the class axis: ten classes, whose softmax Hessian
    is singular along every row's all-ones direction. KKT at a tight gap (gradients in NumPy),
    objective no worse than saga's at the first λ, each λ solved in few steps (FISTA takes
    hundreds). (saga at the second λ took 7 of the test's 16 s; KKT there certifies alone.)"""
    X, y = _digits()
    n, p = X.shape
    Y = np.eye(10)[y]
    lam_max = np.max(np.abs(X.T @ (Y - Y.mean(axis=0)))) / n
    res = _fit(X, y, lambdas=lam_max * np.array([0.2, 0.05]))
    assert res.n_iter.max() < 60, res.n_iter
    for k, lam in enumerate(res.lambdas):
        B, b = res.coef[k], res.intercept[k]
        if k == 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # (saga at tol 1e-8: its objective within 2e-13 of tol 1e-10's, 2 s sooner)
                est = LogisticRegression(l1_ratio=1.0, C=1 / (n * lam), solver="saga",
                                         tol=1e-8, max_iter=100_000).fit(X, y)  # fmt: skip
            ours = _objective(X, Y, B, b, lam)
            theirs = _objective(X, Y, est.coef_.T, est.intercept_, lam)
            assert ours <= theirs * (1 + 1e-10), (lam, ours, theirs)
        G, gb = _gradient(X, Y, B, b)
        np.testing.assert_allclose(gb, 0, atol=1e-10)
        on = B != 0
        assert 0 < on.sum() < B.size
        np.testing.assert_allclose(G[on] + lam * np.sign(B[on]), 0, atol=1e-7)
        assert np.all(np.abs(G[~on]) <= lam * (1 + 1e-7))
        # 0 is a median of each row (the optimal shift along the loss's null direction)
        assert np.all(np.sum(B > 0, axis=1) <= 5) and np.all(np.sum(B < 0, axis=1) <= 5)


def test_newton_takes_wide_working_sets():
    """200 × 400, four classes, a weak signal, 15 λs to λ_max / 100: the working sets pass 256
    features (1,024 entries), where Newton's steps used to give way to FISTA: 12,209
    iterations at this tolerance, up to 2,314 at one λ. Newton now takes every entrywise working
    set (preconditioned by the class blocks' diagonals at this size): 116 steps, at most 15 per
    λ. KKT at every λ."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 400))
    W = np.zeros((400, 4))
    W[:10] = rng.standard_normal((10, 4))
    eta = X @ W
    P = softmax(0.3 * eta / eta.std(), axis=1)
    y = np.array([rng.choice(4, p=q) for q in P])
    res = l1jax.path(X, y, loss="multinomial", lambdas=15, lambda_min_ratio=0.01,
                     standardize=False, tol=1e-9)  # fmt: skip
    assert res.converged.all() and res.n_iter.max() <= 40, res.n_iter
    Y = np.eye(4)[y]
    assert np.count_nonzero(np.any(res.coef[-1] != 0, axis=1)) > 200  # (features in the fit)
    for k, lam in enumerate(res.lambdas):
        B, b = res.coef[k], res.intercept[k]
        G, gb = _gradient(X, Y, B, b)
        np.testing.assert_allclose(gb, 0, atol=1e-8)
        on = B != 0
        np.testing.assert_allclose(G[on] + lam * np.sign(B[on]), 0, atol=1e-5 * lam)
        assert np.all(np.abs(G[~on]) <= lam * (1 + 1e-5))


def test_newton_does_not_zigzag_on_entries_held_at_zero():
    """400 × 100, three classes, two columns of correlation 0.9986, 20 λs: entries at zero that
    the Newton direction took out of their pseudo-gradient's orthant were cut there, what was
    left of the direction needed steps of 1e-3, and the next step put them back: 265 steps at
    one λ (the old code, on this test's path). The direction is now solved again without them
    (as for the logistic loss)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 100))
    X[:, 1] = X[:, 0] + 0.05 * rng.standard_normal(400)
    eta = X[:, :10] @ rng.standard_normal((10, 3))
    P = softmax(3 * eta / eta.std(), axis=1)
    y = np.array([rng.choice(3, p=q) for q in P])
    res = l1jax.path(X, y, loss="multinomial", lambdas=20, standardize=False, tol=1e-8)
    assert res.converged.all() and res.n_iter.max() <= 40, res.n_iter
    Y = np.eye(3)[y]
    for k in (10, 19):
        lam, B = res.lambdas[k], res.coef[k]
        G, gb = _gradient(X, Y, B, res.intercept[k])
        on = B != 0
        np.testing.assert_allclose(gb, 0, atol=1e-8)
        np.testing.assert_allclose(G[on] + lam * np.sign(B[on]), 0, atol=1e-4 * lam)
        assert np.all(np.abs(G[~on]) <= lam * (1 + 1e-4))


# Two Newton programs executing at once from two threads (cv_path's folds), in a child process
# whose XLA thread pool has two threads (one per core it may use): on jaxlib 0.10, batched LAPACK
# calls in them (the preconditioner's inverse) hung both forever (fixed by
# l1jax.solvers._one_matrix_per_call).
_CONCURRENT = r"""
import concurrent.futures, os, sys
os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
import numpy as np
import l1jax

def fit(seed):  # 4 classes, working sets of 32: 8 matrices of 33 x 33 per inverse
    X = np.random.default_rng(seed).standard_normal((40, 10))
    return l1jax.path(X, np.arange(40) % 4, loss="multinomial", lambdas=8, lambda_min_ratio=0.01)

fit(0)  # compiled (or read from the cache) before the threads start
pool = concurrent.futures.ThreadPoolExecutor(2)
try:
    for future in [pool.submit(fit, seed) for seed in range(1, 9)]:
        future.result(timeout=30)
except concurrent.futures.TimeoutError:
    print("hung", flush=True)
    os._exit(3)  # (the hung threads would block a normal exit)
print("done", flush=True)
"""


@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs two cores (a one-thread XLA pool never splits a batch)",
)
def test_newton_programs_run_concurrently():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get(
        "PYTHONPATH")]))}  # fmt: skip
    try:
        out = subprocess.run([sys.executable, "-c", _CONCURRENT], capture_output=True, text=True,
                             timeout=300, env=env, cwd=root)  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("the child process hung")
    assert "hung" not in out.stdout, "two Newton programs executing at once hung"
    assert out.returncode == 0 and "done" in out.stdout, out.stderr[-3000:]


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="LAPACK is a CPU's (GPUs: cuSOLVER)")
@pytest.mark.parametrize(
    ("loss", "options"),
    [("multinomial", {}), ("logistic", {"block_size": 4})],
    ids=["multinomial", "logistic-block4"],
)
def test_newton_lapack_calls_take_one_matrix(monkeypatch, loss, options):
    """The same, whatever the cores: in the Newton path's program (lowered, not run) every
    LAPACK call takes one matrix, never a batch (the vmap over the block of λs would otherwise
    make one: here 2 λs × 4 classes of 33 × 33 for the preconditioner's inverse, 4 λs for the
    binary Newton's solves)."""
    texts = []

    def lower_only(self, *args, **kwargs):
        texts.append(self.lower(*args, **kwargs).as_text())
        raise KeyboardInterrupt  # (no exception that l1jax catches)

    monkeypatch.setattr(_programs.Program, "__call__", lower_only)
    X = np.random.default_rng(0).standard_normal((40, 10))
    y = np.arange(40) % 4 if loss == "multinomial" else X[:, 0] > 0
    with pytest.raises(KeyboardInterrupt):
        l1jax.path(X, y, loss=loss, lambdas=8, lambda_min_ratio=0.01, **options)
    calls = re.findall(r"custom_call @(lapack_\w+)\(.*?: \(([^)]*)\)", texts[0])
    assert {name for name, _ in calls} >= {"lapack_dgetrf_ffi", "lapack_dtrsm_ffi"}, calls
    for name, operands in calls:
        for dims in re.findall(r"tensor<((?:\d+x)*)f64>", operands):
            assert dims.count("x") <= 2, (name, operands)  # (m, m) or less: no batch axis


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"y": np.zeros(150)}, "y holds a single class"),
        ({"y": np.r_[np.nan, np.ones(149)]}, "y contains NaN"),
        ({"y": np.array([None, "a", "b"] * 50, dtype=object)}, "y contains missing class labels"),
        ({"y": np.zeros((150, 2))}, "y must be a 1-D array of class labels"),
        ({"positive": True}, "positive=True is not supported with loss='multinomial'"),
        ({"penalty_factor": np.r_[0.0, np.ones(3)]}, "penalty_factor must be positive"),
        ({"lambdas": np.array([0.1, 0.0])}, "lambdas must be > 0"),
        ({"loss": "logistic", "grouped": True}, "grouped=True is for loss='multinomial'"),
        ({"y": np.linspace(0, 1, 150)}, "y holds non-integer values .* loss='squared'"),
        ({"y": np.r_[0.0, 1.0, 2.5].repeat(50)}, "non-integer values \\(e.g. 2.5\\)"),
        ({"y": np.arange(149) % 3}, "one entry per row of X"),
    ],
)
def test_bad_input(kwargs, match):
    X, y = _data("iris")
    kw = {"y": y, "loss": "multinomial", "lambdas": LAMS} | kwargs
    if kw["loss"] == "logistic":
        kw["y"] = (y == 1).astype(float)
    with pytest.raises(ValueError, match=match):
        l1jax.path(X, **kw)


def test_labels_mixing_strings_and_numbers_are_refused():
    """A list of labels 1 and "1" was one class to NumPy ("y holds a single class"), and 0, 1
    and "2" fitted classes "0", "1", "2": refused, as groups of both kinds are."""
    X, y = _data("iris")
    for fit in (l1jax.path, l1jax.cv_path):
        with pytest.raises(TypeError, match="y mixes strings and numbers"):
            fit(X, [*y[:-1].tolist(), "2"], loss="multinomial", lambdas=LAMS)


@pytest.mark.parametrize("scoring", ["deviance", "misclassification"])
def test_cv_path(scoring):
    """Folds stratified by class; each fold's score is the held-out rows' mean deviance
    ``2 (log Σ_c e^{η_c} − η_y)`` or misclassification (argmax η ≠ y) of the path fitted with
    the fold's rows at weight 0, recomputed here; the refit is the path on all rows."""
    X, y = _data("wine")
    labels = np.array(["a", "b", "c"])[y]
    lams = np.array([0.1, 0.05, 0.02, 0.01])
    cv = l1jax.cv_path(X, labels, loss="multinomial", n_folds=3, lambdas=lams, scoring=scoring,
                       standardize=False, tol=TIGHT)  # fmt: skip
    assert cv.path.classes.tolist() == ["a", "b", "c"] and cv.fold_scores.shape == (3, 4)
    counts = np.stack([np.bincount(y[cv.fold_ids == f], minlength=3) for f in range(3)])
    assert np.all(counts.max(axis=0) - counts.min(axis=0) <= 1)  # stratified
    Y = np.eye(3)[y]
    for f in range(3):
        held = cv.fold_ids == f
        fit = _fit(X, labels, lambdas=lams, sample_weight=(~held).astype(float))
        eta = fit.predict(X[held])
        if scoring == "deviance":
            unit = 2 * (logsumexp(eta, axis=2) - np.sum(Y[held] * eta, axis=2))
        else:
            unit = eta.argmax(axis=2) != y[held]
        np.testing.assert_allclose(cv.fold_scores[f], unit.mean(axis=1), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(cv.path.coef, _fit(X, labels, lambdas=lams).coef, atol=1e-9)


def test_cv_path_bad_folds():
    X, y = _data("iris")
    with pytest.raises(ValueError, match="training rows of fold 0 hold no sample of class 0"):
        l1jax.cv_path(X, y, loss="multinomial", fold_ids=(y == 2).astype(int), lambdas=LAMS)
    # A class of one sample: "use fewer folds" was told, which no folds can mend.
    single = np.r_[y[:-1], 9]
    for n_folds in (2, 5):
        with pytest.raises(ValueError, match="class 9 of y has one sample .* drop its sample"):
            l1jax.cv_path(X, single, loss="multinomial", n_folds=n_folds, lambdas=LAMS)
    with pytest.raises(ValueError, match="scoring must be one of"):
        l1jax.cv_path(X, y, loss="multinomial", scoring="auc")


def test_integer_valued_float_labels_fit_as_their_integers():
    X, y = _data("iris")
    np.testing.assert_array_equal(
        _fit(X, y.astype(float), lambdas=LAMS).coef, _fit(X, y, lambdas=LAMS).coef
    )


def test_a_path_of_string_classes_crosses_jit_without_them():
    """String labels are no JAX arrays (PathResult's docstring): without them, the path of
    string classes crosses jit as that of integer labels does."""
    X, y = _data("iris")
    res = _fit(X, np.array(["a", "b", "c"])[y], lambdas=LAMS)
    total = jax.jit(lambda r: r.coef.sum())(res._replace(classes=None))
    np.testing.assert_allclose(total, _fit(X, y, lambdas=LAMS).coef.sum(), rtol=1e-12)


@pytest.mark.parametrize("grouped", [False, True])
def test_float32_near_separation_is_never_without_a_minimizer(grouped):
    """Every feature penalized, λ > 0, every class present: a minimizer exists. In float32 near
    separation the intercepts' refit fell short at one certificate, whose +inf gap read as "no
    finite minimizer" (UNBOUNDED) and stopped the solve; such a certificate is now uncertified
    and the solve goes on (these λs converge)."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((100, 6))
    y = np.where(X[:, 0] > 0.3, 1, 0)
    y[np.argmax(X[:, 1])] = 2  # a class of one row
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = l1jax.path(X.astype(np.float32), y, loss="multinomial", grouped=grouped,
                       lambdas=np.geomspace(1e-3, 1e-5, 6))  # fmt: skip
    assert not np.any(r.status == l1jax.Status.UNBOUNDED), r.status
    assert not [w for w in caught if "no finite minimizer" in str(w.message)]
    assert r.converged.sum() >= 5, r.status

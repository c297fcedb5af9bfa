"""Refits of the free block (unpenalized columns) on their gathered columns
(solvers.free_columns): the same refit and certificate as the masked Newton-CG on all columns,
never a certificate when the gathered columns miss a free coordinate, and paths with
unpenalized columns take them."""

import warnings

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp

import l1jax
from l1jax import engine, solvers


def _problem(loss, n=60, p=25, tasks=(), seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, :3] = 3 * X[:, :3] + 5  # uncentred free columns, two of them correlated
    X[:, 1] = X[:, 0] + 0.1 * rng.standard_normal(n)
    eta = X[:, 5:9].sum(1) / 2 + 0.05 * X[:, :3].sum(1)
    eta = (eta - eta.mean()) / eta.std()
    if tasks:
        y = eta[:, None] + rng.standard_normal((n, *tasks))
    elif loss == "squared":
        y = eta + rng.standard_normal(n)
    elif loss == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-2 * eta))).astype(float)
    else:
        y = rng.poisson(np.exp(0.5 * eta)).astype(float)
    v = np.ones(p)
    v[:3] = 0
    beta = np.where(np.arange(p)[:, None] % 4 == 1, 0.2, 0.0) if tasks else (
        np.where(np.arange(p) % 4 == 1, 0.2, 0.0))  # fmt: skip
    beta = np.broadcast_to(beta, (p, *tasks)).copy()
    return X, y, v, beta


def _data(X, y, form):
    n = X.shape[0]
    s = jnp.full(n, 1.0 / n)
    if form == "gram":  # (no intercept: the Gram form's)
        return solvers.Data(G=jnp.asarray(X.T @ (X / n)), c=jnp.asarray(X.T @ (y / n)),
                            yy=jnp.asarray(np.sum(y * y, axis=0).sum() / n))  # fmt: skip
    if form == "pieces":
        Xt = jnp.asarray(X.T)
        return solvers.Data(Xc=(Xt[:16], Xt[16:]), active=jnp.asarray(X.shape[1]),
                            y=jnp.asarray(y), s=s)  # fmt: skip
    return solvers.Data(Xt=jnp.asarray(X.T), y=jnp.asarray(y), s=s)


CASES = [("squared", "design", ()), ("squared", "gram", ()), ("squared", "pieces", ()),
         ("logistic", "design", ()), ("logistic", "pieces", ()), ("poisson", "design", ()),
         ("squared", "design", (3,)), ("squared", "gram", (3,))]  # fmt: skip


@pytest.mark.parametrize("loss,form,tasks", CASES)
def test_the_refit_on_the_gathered_columns_is_the_masked_refit(loss, form, tasks):
    X, y, v, beta = _problem(loss, tasks=tasks)
    data = _data(X, y, form)
    pen = solvers.elastic_net(jnp.asarray(0.05), 1.0, jnp.asarray(v))
    beta = jnp.asarray(beta)
    lin = solvers._linear(data, beta)
    b = jnp.zeros(tasks)
    intercept = form != "gram"
    masked = solvers._refit_free(loss, data, pen, lin, beta, b, False, intercept)
    fcols = solvers.free_columns(data, pen, 8)
    gathered = solvers._refit_free(loss, data, pen, lin, beta, b, False, intercept, True, fcols)
    assert bool(masked.ok) and bool(gathered.ok)
    scale = 1 + np.max(np.abs(masked.beta))
    np.testing.assert_allclose(gathered.beta, masked.beta, atol=1e-9 * scale)
    np.testing.assert_allclose(gathered.b, masked.b, atol=1e-9 * scale)
    np.testing.assert_allclose(gathered.g, masked.g, atol=1e-9)
    # the free block is solved: its gradient vanishes, the penalized coefficients are held
    np.testing.assert_allclose(np.asarray(gathered.g)[:3], 0, atol=1e-9)
    np.testing.assert_array_equal(np.asarray(gathered.beta)[3:], np.asarray(beta)[3:])
    # and both certify the same gap
    gaps = [solvers._certify(loss, data, pen, lin, beta, b, False, False, intercept, True,
                             fcols=f)[1] for f in (None, fcols)]  # fmt: skip
    np.testing.assert_allclose(gaps[1], gaps[0], rtol=1e-7, atol=1e-12)


def test_a_free_coordinate_the_gathered_columns_miss_is_never_certified():
    X, y, v, beta = _problem("squared")
    data = _data(X, y, "design")
    beta = jnp.asarray(beta)
    lin = solvers._linear(data, beta)
    pen = solvers.elastic_net(jnp.asarray(0.05), 1.0, jnp.asarray(v))
    fcols = solvers.free_columns(data, pen, 2)  # 3 free coordinates: one left out
    masked = solvers._certify("squared", data, pen, lin, beta, jnp.zeros(()), False)[1]
    gathered = solvers._certify("squared", data, pen, lin, beta, jnp.zeros(()), False,
                                fcols=fcols)[1]  # fmt: skip
    assert np.isfinite(masked) and masked < 1e3  # (a gap: β is not optimal)
    assert gathered >= np.sqrt(np.finfo(np.float64).max)  # (uncertified: not UNBOUNDED)
    # the same when a penalty factor's λρv underflows to 0 past the host's count
    v_tiny = np.where(np.arange(v.size) == 3, 1e-320, v)
    pen = solvers.elastic_net(jnp.asarray(0.05), 1.0, jnp.asarray(v_tiny))
    assert float(pen.l1[3]) == 0
    fcols = solvers.free_columns(data, solvers.elastic_net(jnp.asarray(0.05), 1.0, v), 4)
    gathered = solvers._certify("squared", data, pen, lin, beta, jnp.zeros(()), False,
                                fcols=fcols)[1]  # fmt: skip
    assert gathered >= np.sqrt(np.finfo(np.float64).max)


def test_free_capacity_counts_the_unpenalized_columns():
    assert engine.free_capacity(0, [1.0], False) == 0
    assert engine.free_capacity(3, [1.0, 0.5], False) == 8
    assert engine.free_capacity(20, [1.0], False) == 32
    assert engine.free_capacity(3, [1.0, 0.0], False) == 0  # λ = 0 frees every column
    assert engine.free_capacity(3, [1.0], True) == 0  # β ≥ 0: the masked refit's active set
    assert engine.free_capacity(3, [1.0], False, sparse=True) == 0


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_paths_with_unpenalized_columns_refit_on_their_columns(loss, monkeypatch):
    caps = []
    run = engine.run

    def recording(*args, **kwargs):
        caps.append(kwargs["st"].free_cap)
        return run(*args, **kwargs)

    monkeypatch.setattr(engine, "run", recording)
    X, y, v, _ = _problem(loss, n=80, p=30, seed=1)
    v[:5] = 0
    res = l1jax.path(X, y, loss=loss, penalty_factor=v, lambdas=12, tol=1e-9)
    assert caps and set(caps) == {8}
    assert np.all(res.converged)
    # the free columns' correlations with the residual vanish at every λ
    coef, b = np.asarray(res.coef), np.asarray(res.intercept)
    for k in range(coef.shape[0]):
        eta = X @ coef[k] + b[k]
        mu = eta if loss == "squared" else 1 / (1 + np.exp(-eta))
        np.testing.assert_allclose(X[:, :5].T @ (y - mu) / len(y), 0, atol=1e-6)
    caps.clear()
    with warnings.catch_warnings():  # (logistic at λ = 0: the classes separate, UNBOUNDED)
        warnings.simplefilter("ignore")
        l1jax.path(X, y, loss=loss, penalty_factor=v, lambdas=[0.1, 0.0], tol=1e-9)
    assert caps and set(caps) == {0}  # (λ = 0 frees every column: the masked refits)


def _separated(loss, n=200, p=8, seed=5):
    """A binary unpenalized column whose samples at 1 are all of one outcome (logistic: y = 1;
    Poisson: y = 0): along that column's coefficient the loss falls for ever, at every λ."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 0] = rng.random(n) < 0.3
    v = np.r_[0.0, np.ones(p - 1)]
    if loss == "logistic":
        y = (rng.random(n) < 0.4).astype(float)
        y[X[:, 0] == 1] = 1
    else:
        y = rng.poisson(2.0, n).astype(float)
        y[X[:, 0] == 1] = 0
    return X, y, v


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", ["logistic", "poisson"])
def test_unpenalized_columns_without_a_minimizer_are_refused(loss, dtype):
    """No λ has a minimizer: the statuses went UNBOUNDED and CONVERGED from one λ to the next
    (coefficients of 13-61 that meant nothing), in float32 logistic never UNBOUNDED, without a
    warning. Refused by name; one sample that breaks the separation gives a fit that converges
    (a finite minimizer, however large), as does a zero weight that leaves it in place."""
    X, y, v = _separated(loss)
    one = np.flatnonzero(X[:, 0] == 1)[0]
    what = "separate the classes" if loss == "logistic" else "a mean of 0"
    if loss == "poisson":  # (under β ≥ 0 the column cannot go to −∞: its minimizer is 0)
        res = l1jax.path(X.astype(dtype), y.astype(dtype), loss=loss, penalty_factor=v,
                         lambdas=5, positive=True)  # fmt: skip
        assert np.all(res.status == l1jax.Status.CONVERGED) and not np.any(res.coef[:, 0])
    for kw in ({}, {"X": sp.csr_matrix(X)}, *([{"positive": True}] * (loss == "logistic"))):
        opts = {"X": X, **kw}
        with pytest.raises(ValueError, match=rf"column \[0\] of X \(penalty_factor 0\) and the "
                                             rf"intercept .*{what}"):  # fmt: skip
            l1jax.path(opts.pop("X").astype(dtype), y.astype(dtype), loss=loss,
                       penalty_factor=v, lambdas=5, **opts)  # fmt: skip
    w = np.ones_like(y)
    w[one] = 0
    broken = y.copy()
    broken[one] = 1 - y[one] if loss == "logistic" else 3
    with pytest.raises(ValueError, match=what):
        l1jax.path(X.astype(dtype), broken.astype(dtype), loss=loss, penalty_factor=v,
                   sample_weight=w, lambdas=5)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no ConvergenceWarning)
        res = l1jax.path(X.astype(dtype), broken.astype(dtype), loss=loss, penalty_factor=v,
                         lambdas=5)  # fmt: skip
    assert np.all(res.status == l1jax.Status.CONVERGED)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", ["logistic", "poisson"])
def test_lambda_zero_without_a_minimizer_is_unbounded_not_converged(loss, dtype):
    """At λ = 0 every column is unpenalized: a column that separates the data leaves that fit
    without a minimizer. The Poisson fit stopped where its loss was flat to rounding, CONVERGED
    with a coefficient of −33 (−13 in float32) for a mean of 0 that none reaches, without a
    warning; now UNBOUNDED and warned, as the λs > 0 of the same path, which have
    minimizers, stay converged."""
    X, y, v = _separated(loss)
    lambdas = np.array([0.1, 0.01, 0.0])
    with pytest.warns(l1jax.ConvergenceWarning, match=r"1 of 3 λs have no finite minimizer"):
        res = l1jax.path(X.astype(dtype), y.astype(dtype), loss=loss, lambdas=lambdas)
    assert res.status.tolist() == [0, 0, l1jax.Status.UNBOUNDED] and np.isinf(res.gap[-1])
    broken = y.copy()
    one = np.flatnonzero(X[:, 0] == 1)[0]
    broken[one] = 1 - y[one] if loss == "logistic" else 3  # (a minimizer at λ = 0)
    res = l1jax.path(X.astype(dtype), broken.astype(dtype), loss=loss, lambdas=lambdas)
    assert res.status[-1] != l1jax.Status.UNBOUNDED


def test_the_separation_check_counts_a_large_blocks_distinct_rows_before_copying_it(
    monkeypatch,
):  # fmt: skip
    """Before it found the distinct rows too many for the linear program, the check copied,
    centred and sorted the block (0.9 s at 20,000 × 251, 12 s at 200,000 × 251: a λ of 0 on
    a large logistic path). A block of more than SEPARATION_ROWS entries has its distinct rows
    counted first, column by column; one of few distinct rows (unpenalized dummies on many
    rows) is still checked, and refused when it separates."""
    from l1jax import _inputs

    widths = []
    columns = _inputs._host_columns

    def read(X, cols, rows=None):  # (the width of each read of every row)
        widths.append(len(cols) if rows is None and X.shape[0] == n else 1)
        return columns(X, cols, rows)

    monkeypatch.setattr(_inputs, "_host_columns", read)
    rng = np.random.default_rng(0)
    n = _inputs.SEPARATION_ROWS // 11 + 1
    X = rng.standard_normal((n, 10))
    y = (np.arange(n) % 2).astype(float)
    assert not _inputs.separated_at_zero(X, y, None, "logistic", True, False)
    assert set(widths) == {1}  # (column by column: no copy of the block)
    n = _inputs.SEPARATION_ROWS // 5 + 1
    dummies = rng.integers(0, 2, (n, 4)).astype(float)
    counts = np.where(dummies[:, 0] == 1, 0.0, rng.poisson(3.0, n))
    X = np.c_[dummies, rng.standard_normal((n, 2))]
    with pytest.raises(ValueError, match="can fit a mean of 0"):
        l1jax.path(X, counts, loss="poisson", penalty_factor=[0, 0, 0, 0, 1, 1], lambdas=3)


@pytest.mark.parametrize("loss", ["logistic", "poisson"])
def test_a_block_of_too_many_distinct_rows_is_checked_by_its_few_valued_parts(loss, monkeypatch):
    """At λ = 0 a dummy on rows of y = 0 (Poisson) or of one class (logistic) beside one
    continuous column on 25,000 rows: the block's distinct rows were too many for the linear
    program, so it was not checked, and the fit came back CONVERGED with a coefficient of −35
    (a probe; 1,000 rows were UNBOUNDED). A part that separates is a block that separates: its
    dummies (columns of few values) are checked together, or one by one. The limits are made
    small here, as 25,000 rows would be slow."""
    from l1jax import _inputs

    monkeypatch.setattr(_inputs, "SEPARATION_SIZE", 300)
    monkeypatch.setattr(_inputs, "SEPARATION_ROWS", 2400)
    rng = np.random.default_rng(0)
    n = 600
    dummy = (np.arange(n) % 3 == 0).astype(float)
    X = np.c_[rng.standard_normal(n), dummy, rng.integers(0, 3, n)]
    y = (rng.random(n) < 0.5).astype(float) if loss == "logistic" else rng.poisson(3.0, n)
    y = np.where(dummy == 1, 1.0 if loss == "logistic" else 0.0, y)
    lambdas = np.array([0.05, 0.0])
    with pytest.warns(l1jax.ConvergenceWarning, match="no finite minimizer"):
        res = l1jax.path(X, y, loss=loss, lambdas=lambdas)
    assert res.status.tolist() == [0, l1jax.Status.UNBOUNDED]
    for v in ([0, 0, 1], [0, 0, 0]):  # (the dummy alone; with the other few-valued column)
        with pytest.raises(ValueError, match=r"columns \[0, 1.*(separate|mean of 0)"):
            l1jax.path(X, y, loss=loss, penalty_factor=v, lambdas=3)
    folds = np.arange(n) % 4
    broken = y.copy()
    broken[0] = 0.0 if loss == "logistic" else 3.0  # (a minimizer on all rows; not on the
    folds[0] = 2  # training rows of fold 2)
    with pytest.raises(ValueError, match="in the training rows of fold 2"):
        l1jax.cv_path(X, broken, loss=loss, penalty_factor=[0, 0, 1], lambdas=3, fold_ids=folds)
    res = l1jax.path(X, broken, loss=loss, lambdas=lambdas)
    assert res.status[-1] != l1jax.Status.UNBOUNDED
    # (the rows' hash folded the high half of each value's bits into the low: 0s and 1s,
    # whose bits are all high, hashed to 4,069 values for 19,980 distinct rows)
    B = (rng.random((20_000, 30)) < 0.3).astype(float)
    assert _inputs._distinct_rows(B, np.arange(30), np.ones(20_000, bool)) == \
        np.unique(B, axis=0).shape[0]  # fmt: skip


def test_the_parts_of_a_large_block_read_weighted_rows_and_fall_back_to_single_columns(
    monkeypatch,
):  # fmt: skip
    """Three defects of the parts' first version (an adversarial pass): a row of weight 0 lent
    its own value to its code's row of the linear program (a separation found where scikit-
    learn fits finite coefficients: refused, or λ = 0 UNBOUNDED); the few-valued columns
    together, when their rows and classes were too many for the program after all, were
    taken for not separating, and no single column was tried (a Poisson λ = 0 CONVERGED with a
    coefficient of −32); fit_intercept=False without few-valued columns divided by zero."""
    from l1jax import _inputs

    monkeypatch.setattr(_inputs, "SEPARATION_SIZE", 300)
    monkeypatch.setattr(_inputs, "SEPARATION_ROWS", 2400)
    rng = np.random.default_rng(1)
    n = 600
    x = np.arange(n) % 3.0  # (classes 1, 0, 1 at x = 0, 1, 2: no threshold separates them)
    y = (x != 1).astype(float)
    w = np.ones(n)
    X = np.c_[x, rng.standard_normal(n)]
    X[-1, 0], w[-1] = 1.5, 0.0  # (its own value, weight 0: read for x = 0, a threshold)
    res = l1jax.path(X, y, loss="logistic", sample_weight=w, lambdas=np.array([0.0]), tol=1e-10)
    assert res.status.tolist() == [l1jax.Status.CONVERGED]
    l1jax.path(X, y, loss="logistic", sample_weight=w, penalty_factor=[0, 0], lambdas=3)
    d = (rng.random(n) < 0.3).astype(float)
    X = np.c_[d, rng.integers(0, 6, (n, 2)), rng.standard_normal(n)]
    counts = np.where(d == 1, 0.0, rng.poisson(1.0, n))
    with pytest.warns(l1jax.ConvergenceWarning, match="no finite minimizer"):
        res = l1jax.path(X, counts, loss="poisson", lambdas=np.array([0.0]))
    assert res.status.tolist() == [l1jax.Status.UNBOUNDED]
    continuous = rng.standard_normal((n, 3))
    res = l1jax.path(continuous, continuous[:, 0] > 0.3, loss="logistic", fit_intercept=False,
                     lambdas=np.array([0.1, 0.0]))  # fmt: skip
    assert res.status[0] == l1jax.Status.CONVERGED


def test_a_poisson_dummy_on_zeros_is_found_beside_continuous_columns_in_any_order(monkeypatch):
    """Three misses of a fourth pass, each a Poisson λ = 0 CONVERGED with a coefficient of −32:
    the linear program's direction failed its own check in 1 of 5 such blocks (HiGHS's
    residual on the rows held at 0, 4e-16, above the check's 1e-16: now projected onto their
    null space first); a dummy 0 on the first 256 rows, 1 later (data sorted by group), was no
    column of few values; beside more than 256 columns no block was checked."""
    from l1jax import _inputs

    for seed in range(40):
        rng = np.random.default_rng(seed)
        n, p = int(rng.integers(100, 1500)), int(rng.integers(1, 6))
        X = np.c_[(rng.random(n) < 0.05).astype(float),
                  rng.standard_normal((n, p)) * 10.0 ** rng.uniform(-2, 3, p)]  # fmt: skip
        y = np.where(X[:, 0] == 1, 0.0, rng.poisson(2.0, n))
        assert _inputs._separation(X, y, None, np.arange(p + 1), "poisson", True, False) is None
    monkeypatch.setattr(_inputs, "SEPARATION_SIZE", 300)
    monkeypatch.setattr(_inputs, "SEPARATION_ROWS", 2400)
    n = 600
    X = np.c_[rng.standard_normal(n), np.arange(n) >= 400]  # (sorted: the 1s last)
    y = np.where(X[:, 1] == 1, 0.0, rng.poisson(2.0, n))
    with pytest.warns(l1jax.ConvergenceWarning, match="no finite minimizer"):
        res = l1jax.path(X, y, loss="poisson", lambdas=np.array([0.0]))
    assert res.status.tolist() == [l1jax.Status.UNBOUNDED]
    monkeypatch.setattr(_inputs, "ALIASED_MAX", 4)
    X = np.c_[X, rng.standard_normal((n, 4))]
    with pytest.warns(l1jax.ConvergenceWarning, match="no finite minimizer"):
        res = l1jax.path(X, y, loss="poisson", lambdas=np.array([0.0]))
    assert res.status.tolist() == [l1jax.Status.UNBOUNDED]


@pytest.mark.parametrize("loss", ["logistic", "poisson"])
def test_one_columns_linear_program_is_skipped_only_where_it_cannot_separate(loss):
    """The parts' shortcut (no linear program for one column whose values by class allow no
    separation) is a necessary condition: on 400 random columns of few values, with and
    without the intercept and positive, every separation the program finds passes it."""
    from l1jax import _inputs

    rng = np.random.default_rng(0)
    found = 0
    for _ in range(400):
        k = int(rng.integers(1, 6))
        values = np.sort(rng.choice(np.arange(-3.0, 4.0), k, replace=False))
        codes = rng.integers(0, k, int(rng.integers(1, 8)))
        classes = rng.integers(0, 2, codes.size)
        seen = np.unique(2 * codes + classes)
        codes, classes = seen // 2, seen % 2
        for intercept, positive in ((True, False), (False, False), (True, True)):
            A = values[codes][:, None]
            A = np.c_[np.ones(codes.size), A - A.mean()] if intercept else A
            if _inputs._separated(A, classes, loss, positive, intercept):
                found += 1
                assert _inputs._may_separate(codes, classes, loss), (values, codes, classes)
    assert found > 100


@pytest.mark.parametrize("loss", ["logistic", "poisson"])
def test_cv_path_refuses_a_fold_whose_training_rows_the_free_block_separates(loss):
    """All rows have a minimizer, the training rows of the fold that holds the one sample
    breaking the separation do not: named, with the fix."""
    X, y, v = _separated(loss)
    one = np.flatnonzero(X[:, 0] == 1)[0]
    y[one] = 1 - y[one] if loss == "logistic" else 3
    folds = np.arange(y.size) % 4
    folds[one] = 2
    with pytest.raises(ValueError, match=r"in the training rows of fold 2: .*other fold_ids"):
        l1jax.cv_path(X, y, loss=loss, penalty_factor=v, lambdas=5, fold_ids=folds)


def test_separation_is_found_beside_a_large_offset_and_not_in_stability_halves():
    """A free column 1e8 + u whose sign of u is y: separated, but the check's rounding bound,
    relative to the offset, hid margins of 0.01 (the columns are now centred first). And a rare
    free binary column (4 rows, one y = 0) that some of stability selection's halves separate,
    not the data: the halves report UNBOUNDED (as on the batched route), not a ValueError about
    the data."""
    rng = np.random.default_rng(0)
    n = 60
    Z = rng.standard_normal((n, 4))
    u = np.r_[np.linspace(0.01, 1, 30), np.linspace(-1, -0.01, 30)]
    with pytest.raises(ValueError, match="separate the classes"):
        l1jax.path(np.c_[1e8 + u, Z], (u > 0) * 1.0, loss="logistic",
                   penalty_factor=np.r_[0, np.ones(4)], lambdas=5)  # fmt: skip
    rng, n = np.random.default_rng(0), 200
    Z = rng.standard_normal((n, 10))
    rare = np.zeros(n)
    rare[:4] = 1
    y = (Z[:, 0] + rng.standard_normal(n) > 0).astype(float)
    y[:4] = [1, 1, 1, 0]
    X, v = np.c_[rare, Z], np.r_[0, np.ones(10)]
    assert np.all(l1jax.path(X, y, loss="logistic", penalty_factor=v, lambdas=5).converged)
    with pytest.warns(l1jax.ConvergenceWarning, match="no finite minimizer"):
        res = l1jax.stability_selection(X, y, loss="logistic", penalty_factor=v,
                                        n_subsamples=20, lambdas=5)  # fmt: skip
    assert res.selected[1]

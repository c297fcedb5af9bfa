"""Sparse X (issue 18): SciPy sparse matrices and arrays and JAX's BCOO/BCSR give the dense
result (the same λ grid, to the solver's tolerance) for every loss, with and without
standardization, intercept, weights and penalty factors; cv_path, stability_selection, the
estimators and predict take them; bad sparse input is refused by name; and a sparse X is never
densified (peak memory of a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest
import scipy.sparse as sp

import l1jax

N, P = 80, 200  # the design form (p > n): products as segment sums, dense working sets
LOSSES = ("squared", "logistic", "poisson")


def _problem(loss, n=N, p=P, density=0.08, seed=0):
    rng = np.random.default_rng(seed)
    A = sp.random(n, p, density=density, random_state=seed, format="csr",
                  data_rvs=lambda k: rng.uniform(0.5, 2.0, k))  # fmt: skip
    A = A.tolil()
    A[3] = 0  # an empty row
    A[:, 7] = 0  # and an empty column
    A = A.tocsr()
    A.eliminate_zeros()
    X = A.toarray()
    eta = X[:, :6] @ np.array([1.5, -1.0, 1.0, 0.8, -0.7, 0.5])
    if loss == "squared":
        y = eta + 0.3 * rng.standard_normal(n)
    elif loss == "logistic":
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = rng.poisson(np.exp(0.5 * eta)).astype(float)
    return A, X, y


def _assert_same(dense, sparse, scale=1.0):
    rtol = 1e-12 if dense.lambdas.dtype == np.float64 else 1e-6
    np.testing.assert_allclose(sparse.lambdas, dense.lambdas, rtol=rtol)
    atol = 1e-6 * max(1.0, np.abs(dense.coef).max()) * scale
    np.testing.assert_allclose(sparse.coef, dense.coef, atol=atol)
    np.testing.assert_allclose(sparse.intercept, dense.intercept, atol=10 * atol)
    assert sparse.converged.all() and dense.converged.all()
    # the zero pattern too: L1 selects the same features
    big = np.abs(dense.coef) > 100 * atol
    assert np.all((sparse.coef != 0)[big])


# (each case compiles a dense and a sparse program: uncentred only for the squared loss)
@pytest.mark.parametrize("loss, centred", [(loss, True) for loss in LOSSES] + [("squared", False)])
def test_sparse_equals_dense(loss, centred):
    A, X, y = _problem(loss)
    rng = np.random.default_rng(1)
    v = rng.uniform(0.5, 2.0, P)
    if loss == "squared":  # an unpenalized feature (a larger program: Newton-CG on the free
        v[0] = 0.0  # block; compiled for the squared loss only)
    opts = dict(loss=loss, lambdas=12, lambda_min_ratio=0.05, early_stop=False, tol=1e-10,
                fit_intercept=centred, standardize=centred, penalty_factor=v,
                sample_weight=rng.uniform(0.2, 3.0, N))  # fmt: skip
    _assert_same(l1jax.path(X, y, **opts), l1jax.path(A, y, **opts))


def test_every_sparse_format_gives_the_dense_path():
    from jax.experimental import sparse as jsparse

    A, X, y = _problem("squared")
    opts = dict(lambdas=12, lambda_min_ratio=0.05, early_stop=False, tol=1e-10)
    dense = l1jax.path(X, y, **opts)
    formats = [A.tocsc(), A.tocoo(), sp.coo_array(A), sp.csr_array(A), A.tolil(), A.todok(),
               A.tobsr(), A.todia()]  # fmt: skip
    for M in formats:
        _assert_same(dense, l1jax.path(M, y, **opts))
    with_x64 = l1jax.path(jsparse.BCOO.from_scipy_sparse(A), y, **opts)  # float64 entries
    _assert_same(dense, with_x64)
    _assert_same(dense, l1jax.path(jsparse.BCSR.from_scipy_sparse(A), y, **opts))


def test_the_users_matrix_is_left_as_it_was():
    """SciPy's check_format prunes storage longer than nnz and makes big-endian arrays native
    by reassigning them on the matrix it checks: it ran on the user's own."""
    A, X, y = _problem("squared")
    padded = A.copy()  # (CSR) storage 3 entries longer than its nnz
    padded.data = np.r_[A.data, np.zeros(3)]
    padded.indices = np.r_[A.indices, np.zeros(3, A.indices.dtype)]
    swapped = sp.csc_matrix((A.tocsc().data.astype(">f8"), A.tocsc().indices, A.tocsc().indptr),
                            shape=A.shape)  # fmt: skip
    opts = dict(lambdas=4, lambda_min_ratio=0.05, early_stop=False)
    for M in (padded, swapped):
        data, indices = M.data, M.indices
        res = l1jax.path(M, y, **opts)
        res.predict(M)
        assert M.data is data and M.indices is indices
        _assert_same(l1jax.path(X, y, **opts), res)
    assert swapped.data.dtype.byteorder == ">" and padded.data.shape == (A.nnz + 3,)


def test_predict_takes_sparse_x():
    A, X, y = _problem("squared")
    res = l1jax.path(A, y, lambdas=12, lambda_min_ratio=0.05, early_stop=False)
    np.testing.assert_allclose(res.predict(A), res.predict(X), rtol=1e-12, atol=1e-12)
    assert isinstance(res.predict(A), np.ndarray)


def test_gram_form_elastic_net_positive_and_float32():
    # n > p, squared: the Gram matrix from the sparse product; elastic net, weights
    A, X, y = _problem("squared", n=300, p=40, density=0.2, seed=3)
    w = np.random.default_rng(2).uniform(0.5, 2.0, 300)
    opts = dict(lambdas=12, early_stop=False, tol=1e-10, sample_weight=w, l1_ratio=0.6)
    _assert_same(l1jax.path(X, y, **opts), l1jax.path(A, y, **opts))
    # float32 in, float32 out, as for dense X; positive coefficients
    _, X, y = _problem("squared", seed=4)
    X, y = X.astype(np.float32), y.astype(np.float32)
    opts = dict(lambdas=12, lambda_min_ratio=0.05, early_stop=False, positive=True)
    dense, sparse = l1jax.path(X, y, **opts), l1jax.path(sp.csr_matrix(X), y, **opts)
    assert sparse.coef.dtype == np.float32 and sparse.coef.min() >= 0
    _assert_same(dense, sparse, scale=100.0)


def test_offset_column_stored_in_every_row_gets_its_scale():
    """A column 10⁶ ± 1 stored in every row (a certificate fuzz found it): its variance was
    Σ s (x − μ)² plus μ² times the implicit zeros' weight 1 − Σ s, which is rounding (−2e-16
    here), not 0, so its scale was 0.2% off and the sparse path solved another problem (errors
    of 9e-10 · P_null above gaps of 1e-16). The sparse path now equals the dense one."""
    rng = np.random.default_rng(0)
    n = 300
    X = rng.standard_normal((n, 6))
    X[:, 0] += 1e6
    y = X[:, 0] - 1e6 + X[:, 1] + rng.standard_normal(n)
    opts = dict(lambdas=8, lambda_min_ratio=1e-3, tol=1e-12, early_stop=False)
    dense, sparse = l1jax.path(X, y, **opts), l1jax.path(sp.csc_matrix(X), y, **opts)
    np.testing.assert_allclose(sparse.lambdas, dense.lambdas, rtol=1e-12)
    np.testing.assert_allclose(sparse.coef, dense.coef, rtol=1e-8, atol=1e-10)


def test_cv_path_and_stability_selection_on_sparse_equal_dense():
    A, X, y = _problem("squared")
    opts = dict(lambdas=12, lambda_min_ratio=0.05, n_folds=4, seed=1, tol=1e-10)
    cd, cs = l1jax.cv_path(X, y, **opts), l1jax.cv_path(A, y, **opts)
    np.testing.assert_array_equal(cs.fold_ids, cd.fold_ids)
    np.testing.assert_allclose(cs.cv_mean, cd.cv_mean, rtol=1e-6)
    assert (cs.index_min, cs.index_1se) == (cd.index_min, cd.index_1se)
    # (the same λs to rounding: the sparse and dense Gram matrices sum in different orders)
    np.testing.assert_allclose(cs.lambdas, cd.lambdas, rtol=1e-13)
    opts = dict(n_subsamples=6, lambdas=np.asarray(cd.lambdas[:8]), tol=1e-10)
    sd, ss = l1jax.stability_selection(X, y, **opts), l1jax.stability_selection(A, y, **opts)
    np.testing.assert_array_equal(ss.subsamples, sd.subsamples)
    np.testing.assert_allclose(ss.probabilities, sd.probabilities)


def test_estimators_take_sparse_x():
    from jax.experimental import sparse as jsparse

    from l1jax.estimators import Lasso, StabilitySelection

    A, X, y = _problem("squared", n=300, p=40, density=0.2, seed=3)
    d, s = Lasso(alpha=0.02, tol=1e-10).fit(X, y), Lasso(alpha=0.02, tol=1e-10).fit(A, y)
    np.testing.assert_allclose(s.coef_, d.coef_, atol=1e-6)
    np.testing.assert_allclose(s.predict(A), d.predict(X), atol=1e-6)
    # JAX's sparse formats too, as the README says (scikit-learn's checks read a BCOO as an
    # array of objects: 'setting an array element with a sequence'; a BCSR failed in JAX)
    for M in (jsparse.BCOO.from_scipy_sparse(A), jsparse.BCSR.from_scipy_sparse(A)):
        j = Lasso(alpha=0.02, tol=1e-10).fit(M, y)
        np.testing.assert_allclose(j.coef_, s.coef_, atol=1e-12)
        np.testing.assert_allclose(d.predict(M), d.predict(X), atol=1e-12)
    selector = StabilitySelection(n_subsamples=4, alphas=3, random_state=0)
    M = jsparse.BCOO.from_scipy_sparse(A)
    np.testing.assert_array_equal(selector.fit(M, y).support_, selector.fit(A, y).support_)
    np.testing.assert_array_equal(selector.transform(M).toarray(), X[:, selector.support_])


def test_solve_path_names_a_sparse_x():
    from jax.experimental import sparse as jsparse

    A, _, y = _problem("squared")
    for M in (A, jsparse.BCOO.from_scipy_sparse(A)):  # (a JAX error printing the whole matrix)
        with pytest.raises(TypeError, match="X must be a dense array here, got a sparse"):
            l1jax.solve_path(M, y, np.array([0.1]))


def test_negative_bcoo_indices_are_refused():
    # JAX's todense and products count a negative index from the end; l1jax dropped the entry
    # as padding, and so fitted other data than the BCOO holds.
    from jax.experimental import sparse as jsparse

    A, _, y = _problem("squared")
    M = jsparse.BCOO.from_scipy_sparse(A)
    indices = np.array(M.indices)
    indices[0, 0] -= N
    with pytest.raises(ValueError, match="X \\(a BCOO\\) has negative indices"):
        l1jax.path(jsparse.BCOO((M.data, indices), shape=M.shape), y)


def test_bad_sparse_input_is_refused_by_name():
    from jax.experimental import sparse as jsparse

    A, _, y = _problem("squared")
    for bad in (np.nan, np.inf):
        B = A.copy()
        B.data[5] = bad
        with pytest.raises(ValueError, match="X contains NaN or inf among its stored values"):
            l1jax.path(B, y)
    B = A.copy()
    B.indices[4] = P + 10  # a column index beyond the shape
    with pytest.raises(ValueError, match="X is not a valid sparse matrix"):
        l1jax.path(B, y)
    coo = sp.coo_matrix(A)
    coo.row[0] = N + 1
    with pytest.raises(ValueError, match="X has row indices out of range"):
        l1jax.path(coo, y)
    for fit in (l1jax.path, l1jax.stability_selection):
        with pytest.raises(TypeError, match="y must be a dense 1-D array"):
            fit(A, sp.csr_matrix(y[:, None]))
    for name, length in (("sample_weight", N), ("penalty_factor", P)):
        with pytest.raises(TypeError, match=f"{name} must be a dense array, got a sparse matrix"):
            l1jax.path(A, y, **{name: sp.csr_matrix(np.ones((1, length)))})
    with pytest.raises(TypeError, match="X must be real"):
        l1jax.path(A.astype(complex), y)
    with pytest.raises(ValueError, match="y must have one entry per row of X"):
        l1jax.path(A, y[:-1])
    batched = jsparse.BCOO.fromdense(np.ones((2, 3, 4)), n_batch=1)
    with pytest.raises(ValueError, match="plain 2-D BCOO"):
        l1jax.path(batched, np.ones(3))

    mesh = jax.make_mesh((1,), ("data",))
    with pytest.raises(ValueError, match="sparse X runs on one device"):
        l1jax.path(A, y, mesh=mesh)


def test_working_set_entries_give_the_dense_products():
    # Cols.select: the working set's columns as their own entries (FISTA's products on a sparse
    # X cost its nonzeros); masked places, an empty column and padding slots hold nothing
    from l1jax import _sparse, engine

    A, _, _ = _problem("squared")
    Xs, _, _, _ = _sparse.prepare(A, np.full(N, 1 / N), fit_intercept=True, standardize=True)
    nnz_pad = _sparse.entry_slots(engine.bucket(Xs.scaled.nnz, 1024))
    cols = _sparse.to_cols(Xs, P, np.float64, nnz_pad)
    dense = Xs.scaled.toarray() - Xs.shift[None, :]  # X̃, densified for the check only
    idx = np.array([5, 7, 0, 199, 42, 3, 0, 0])
    mask = np.array([1, 1, 1, 1, 1, 1, 0, 0.0])
    slots = engine.slots_for(Xs, nnz_pad)(len(idx))
    sub = jax.jit(cols.select, static_argnums=2)(idx, mask, slots)
    Xw = dense[:, idx] * mask
    rng = np.random.default_rng(3)
    beta, r = rng.standard_normal(len(idx)), rng.standard_normal(N)
    np.testing.assert_allclose(sub.matvec(beta, N), Xw @ beta, atol=1e-12)
    np.testing.assert_allclose(sub.rmatvec(r), Xw.T @ r, atol=1e-12)
    np.testing.assert_allclose(cols.gather(idx, mask, N), Xw.T, atol=1e-12)


def test_products_of_a_block_of_lambdas_equal_one_by_one():
    # vmap over β (r) alone takes Cols' block products (custom_vmap); over the columns too, the
    # plain rule: both equal a loop of single products, jitted, past one ENTRY_CHUNK of entries
    from l1jax import _sparse

    n, p = 300, 400
    A, _, _ = _problem("squared", n=n, p=p, density=0.05, seed=4)
    Xs, _, _, _ = _sparse.prepare(A, np.full(n, 1 / n), fit_intercept=True, standardize=True)
    assert Xs.scaled.nnz > _sparse.ENTRY_CHUNK
    cols = _sparse.to_cols(Xs, p, np.float64, _sparse.entry_slots(Xs.scaled.nnz))
    dense = Xs.scaled.toarray() - Xs.shift[None, :]
    rng = np.random.default_rng(5)
    betas, rs = rng.standard_normal((8, p)), rng.standard_normal((8, n))
    mv = jax.jit(jax.vmap(lambda b: cols.matvec(b, n)))(betas)
    rmv = jax.jit(jax.vmap(cols.rmatvec))(rs)
    one_mv = np.stack([jax.jit(lambda b: cols.matvec(b, n))(b) for b in betas])
    one_rmv = np.stack([jax.jit(cols.rmatvec)(r) for r in rs])
    np.testing.assert_allclose(mv, one_mv, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(rmv, one_rmv, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(mv, betas @ dense.T, atol=1e-12)
    np.testing.assert_allclose(rmv, rs @ dense, atol=1e-12)
    # two data sets of the same shape (the columns batched too), each with its own β
    both = jax.tree.map(lambda a: np.stack([a, a]), cols)
    both = both._replace(val=both.val * np.array([[1.0], [2.0]]))
    block = jax.vmap(jax.vmap(lambda c, b: c.matvec(b, n), (None, 0)))
    out = jax.jit(block)(both, np.stack([betas, betas]))
    np.testing.assert_allclose(out[1] - out[0], betas @ Xs.scaled.toarray().T, atol=1e-12)
    out = jax.jit(jax.vmap(lambda c, r: c.rmatvec(r)))(both, rs[:2])
    np.testing.assert_allclose(out, [rs[0] @ dense, rs[1] @ (dense + Xs.scaled.toarray())],
                               atol=1e-12)  # fmt: skip


def test_bcoo_padding_entries_are_ignored():
    from jax.experimental import sparse as jsparse

    A, X, y = _problem("squared")
    M = jsparse.BCOO.from_scipy_sparse(A)
    nse = M.nse
    padded = jsparse.BCOO(  # JAX's padding: an out-of-range index means "no entry"
        (np.concatenate([M.data, np.full(5, 9.0)]),
         np.concatenate([M.indices, np.full((5, 2), [N, P])])), shape=M.shape,
    )  # fmt: skip
    assert padded.nse == nse + 5
    opts = dict(lambdas=12, lambda_min_ratio=0.05, early_stop=False, tol=1e-10)
    _assert_same(l1jax.path(X, y, **opts), l1jax.path(padded, y, **opts))


MEMORY_CASE = r"""
import re
import numpy as np, scipy.sparse as sp
import l1jax
n, p, nnz = {n}, {p}, {nnz}
rng = np.random.default_rng(0)
X = sp.csr_matrix((rng.uniform(0.5, 1.5, nnz), (rng.integers(0, n, nnz), rng.integers(0, p, nnz))),
                  shape=(n, p))
y = (rng.random(n) < 0.3).astype(float)
res = l1jax.path(X, y, loss="logistic", lambdas=4, lambda_min_ratio=0.5, early_stop=False)
assert res.coef.shape == (4, p) and res.converged.all()
# VmHWM, not ru_maxrss: a child started by vfork + exec inherits its parent's ru_maxrss
print(int(re.search(r"VmHWM:\s*(\d+) kB", open("/proc/self/status").read()).group(1)) // 1024)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_sparse_x_is_never_densified(tmp_path):
    # 20000 × 15000 float64 would be 2.4 GB dense; the path must stay near JAX's own footprint
    n, p, nnz = 20_000, 15_000, 150_000
    code = textwrap.dedent(MEMORY_CASE.format(n=n, p=p, nnz=nnz))
    env = dict(os.environ, XLA_PYTHON_CLIENT_PREALLOCATE="false")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=600)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    peak_mib = int(out.stdout.strip().splitlines()[-1])
    assert peak_mib < 1500, f"peak RSS {peak_mib} MiB for a sparse X of {nnz} entries"


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_no_stored_entry(loss):
    """A sparse X with no entry stored (found by a fuzz: NumPy's bincount of no entries is
    int64, and the scale's in-place float add raised a UFuncTypeError): every coefficient 0,
    the intercept the null model's (ȳ; logit ȳ), as for the dense zeros."""
    y = np.array([0.0, 1, 1, 0, 1, 1, 0, 1])
    res = l1jax.path(sp.csc_matrix((8, 3)), y, loss=loss, lambdas=[1.0, 0.1])
    assert res.converged.all() and not res.coef.any()
    ybar = y.mean()
    expected = ybar if loss == "squared" else np.log(ybar / (1 - ybar))
    np.testing.assert_allclose(res.intercept, expected, rtol=1e-6)

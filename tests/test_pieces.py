"""A working set's columns in pieces (solvers.pieces_layout): the layout's bounds and the
products over the pieces in use, against NumPy's dense products."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from l1jax import solvers


@pytest.mark.parametrize("chunk", [128, 10, 3])
def test_layout_covers_the_capacity_in_few_pieces_with_little_waste(chunk):
    for n_chunks in range(1, 80):
        M = n_chunks * chunk
        sizes = solvers.pieces_layout(M, chunk)
        assert sum(sizes) == M
        assert all(s % chunk == 0 and s > 0 for s in sizes)
        # the pieces a working set of w columns uses: those that begin before w
        starts = np.cumsum([0, *sizes[:-1]])
        w = np.arange(1, M + 1)
        used = np.sum(np.where(starts[None, :] < w[:, None], sizes, 0), axis=1)
        assert np.all(used <= 1.25 * w + chunk)
        assert len(sizes) <= 8 + 4 * max(0, np.log2(n_chunks / 8)) + 1


def _pieces(A, chunk):
    bounds = np.cumsum([0, *solvers.pieces_layout(A.shape[0], chunk)])
    return tuple(jnp.asarray(A[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True))


@pytest.mark.parametrize("tasks", [(), (3,)])
def test_products_over_the_pieces_in_use_are_the_dense_products(tasks):
    rng = np.random.default_rng(0)
    chunk, n_chunks, rows = 4, 13, 7  # pieces of 4, …, then 8 and 16 columns (52 in all)
    M = chunk * n_chunks
    At = rng.standard_normal((M, rows))  # rows of Aᵀ: A's columns
    for width in (1, 4, 5, 32, 33, 40, 52):
        Atw = np.where((np.arange(M) < width)[:, None], At, 0)  # columns past width are zero
        pieces = _pieces(Atw, chunk)
        v = rng.standard_normal((M, *tasks))
        v[width:] = 0
        r = rng.standard_normal((rows, *tasks))
        mv = jax.jit(solvers._pieces_matvec)(pieces, jnp.int32(width), jnp.asarray(v))
        rmv = jax.jit(solvers._pieces_rmatvec)(pieces, jnp.int32(width), jnp.asarray(r))
        np.testing.assert_allclose(mv, Atw.T @ v, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(rmv, Atw @ r, rtol=1e-5, atol=1e-5)
    # vmapped over a block of vectors (the engine's λs) = one by one
    V = jnp.asarray(rng.standard_normal((5, M, *tasks)))
    batched = jax.vmap(lambda x: solvers._pieces_matvec(pieces, jnp.int32(M), x))(V)
    np.testing.assert_allclose(batched, np.stack([Atw.T @ np.asarray(x) for x in V]),
                               rtol=1e-5, atol=1e-5)  # fmt: skip


def _assert_no_worse_than_sklearn(X, y, lams, coef, **options):
    """The lasso's objective (centred data) at every λ within 1e-9 of scikit-learn's
    coordinate descent at tol 1e-14."""
    from sklearn.linear_model import lasso_path

    n = X.shape[0]
    _, sk, _ = lasso_path(X, y, alphas=lams, tol=1e-14, max_iter=10**6, **options)

    def objective(b, lam):
        r = y - X @ b - np.mean(y - X @ b)
        return r @ r / (2 * n) + lam * np.abs(b).sum()

    for k, lam in enumerate(lams):
        got, ref = objective(coef[k], lam), objective(sk[:, k], lam)
        assert got <= ref + 1e-9 * abs(ref), (k, got, ref)


def test_paths_past_the_pieces_on_dense_widths_match_sklearn():
    """A capacity above ``engine.DENSE_FROM`` (520 × 2100, not small: 768 columns): FISTA on
    dense working sets of 3 widths (the capacity's own left out: ``engine.run``'s ``full``), the
    switch taking wider ones as the support grows past the first. The lasso's objective at
    every λ within 1e-9 of scikit-learn's coordinate descent (tol 1e-14)."""
    import l1jax
    from l1jax import engine

    rng = np.random.default_rng(3)
    n, p = 520, 2100
    X = rng.standard_normal((n, p))
    X = (X - X.mean(0)) / X.std(0)
    beta = np.zeros(p)
    beta[rng.choice(p, 60, replace=False)] = rng.standard_normal(60)
    y = X @ beta + rng.standard_normal(n)
    y -= y.mean()
    lmax = np.max(np.abs(X.T @ y)) / n
    lams = lmax * np.geomspace(1, 1e-2, 30)
    res = l1jax.path(X, y, lambdas=lams, standardize=False, tol=1e-10)
    coef = np.asarray(res.coef)
    assert n * p > engine.SMALL  # (its capacity does not depend on earlier problems)
    widths = engine.dense_widths(engine.first_capacity(n, p, 1.0, engine.CHUNK, p, n), engine.CHUNK)
    assert len(widths) == 4
    assert np.count_nonzero(coef[-1]) > widths[0]
    assert np.all(np.asarray(res.converged))
    _assert_no_worse_than_sklearn(X, y, lams, coef)


def _recorded_runs(monkeypatch):
    """The ``(capacity, full)`` of every run of the engine from now on."""
    from l1jax import engine

    runs = []
    run = engine.run

    def recording(*args, **kwargs):
        runs.append((kwargs["capacity"], kwargs.get("full", False)))
        return run(*args, **kwargs)

    monkeypatch.setattr(engine, "run", recording)
    return runs


def _wide_support():
    """2000 × 560, Gram form (capacity 640, widest trimmed width 512), every feature in the
    model: supports grow past 512 near λ = 0."""
    rng = np.random.default_rng(4)
    n, p = 2000, 560
    X = rng.standard_normal((n, p))
    X = (X - X.mean(0)) / X.std(0)
    y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    y -= y.mean()
    return X, y, np.max(np.abs(X.T @ y)) / n * np.geomspace(1, 1e-4, 24)


def test_working_sets_past_the_widest_width_run_the_full_program(monkeypatch):
    """A lasso's first program on dense widths holds working sets up to its widest width, 3/4
    of its capacity. A support that grows past it sends the path on to the same capacity's
    ``full`` program, from the block that needed it: objectives within 1e-9 of scikit-learn's
    at every λ."""
    import l1jax
    from l1jax import engine

    X, y, lams = _wide_support()
    runs = _recorded_runs(monkeypatch)
    res = l1jax.path(X, y, lambdas=lams, standardize=False, tol=1e-10)
    coef = np.asarray(res.coef)
    assert X.size > engine.SMALL  # (no headroom: capacity 640)
    assert engine.dense_widths(640, engine.CHUNK, full=False)[-1] == 512
    assert runs == [(640, False), (640, True)]
    assert np.count_nonzero(coef[-1]) > 512
    assert np.all(np.asarray(res.converged))
    _assert_no_worse_than_sklearn(X, y, lams, coef, precompute=True)


def test_elastic_net_and_multi_task_paths_begin_on_the_full_program(monkeypatch):
    """Their supports may pass min(n, p), so they begin on every width (one program, not a
    trimmed one and then the full one)."""
    import l1jax

    X, y, lams = _wide_support()
    runs = _recorded_runs(monkeypatch)
    res = l1jax.path(X, y, lambdas=lams, standardize=False, l1_ratio=0.5, tol=1e-8)
    assert runs == [(640, True)] and np.all(np.asarray(res.converged))
    runs.clear()
    res = l1jax.path(X, np.stack([y, y[::-1]], axis=1), lambdas=8, tol=1e-6)
    assert runs == [(640, True)] and np.all(np.asarray(res.converged))


def test_block_warm_starts_follow_the_path_linearly():
    """Each λ of a block starts from the last solution moved along the path's last step
    (``engine._extrapolated``): exact where the path is linear in λ and keeps its support (a
    lasso between kinks); a coefficient whose sign would change starts at 0, one at 0 stays
    there, and without an earlier step (the first blocks) or on a step that does not decrease,
    every λ starts from the last solution."""
    from l1jax import engine

    lams = jnp.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.5])
    slope = jnp.array([2.0, -1.0, 0.0, 5.0])
    at = lambda lam: jnp.array([3.0, -2.0, 0.0, 0.1]) + (1.0 - lam) * slope  # noqa: E731
    coef = jnp.stack([at(lam) for lam in lams])
    none = engine.State(*[None] * len(engine.State._fields))
    state = none._replace(k=jnp.asarray(3), lambdas=lams, beta=coef[2], lam_prev=lams[2],
                          coef=coef)  # fmt: skip
    got = engine._extrapolated(state, lams[3:5], 2)
    np.testing.assert_allclose(got, np.stack([at(lams[3]), at(lams[4])]), rtol=1e-6)
    state = state._replace(beta=jnp.array([3.0, -1.0, 0.0, 0.2]))  # 2nd, 4th: signs change
    got = engine._extrapolated(state, lams[3:4], 1)[0]  # (from coef[1] = 3.2, -2.1, 0, 0.6)
    np.testing.assert_allclose(got, [2.8, 0.0, 0.0, 0.0], rtol=1e-12)
    for k, lam_prev in ((1, lams[0]), (3, lams[0] + 1.0)):  # no earlier step; an increase
        state = state._replace(k=jnp.asarray(k), lam_prev=lam_prev)
        got = engine._extrapolated(state, lams[3:5], 2)
        np.testing.assert_array_equal(got, np.stack([state.beta, state.beta]))

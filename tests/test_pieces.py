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
        for w in range(1, M + 1):
            used = sum(s for a, s in zip(starts, sizes, strict=True) if a < w)
            assert used <= 1.25 * w + chunk
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

"""Sparse design matrices: ``scipy.sparse`` and ``jax.experimental.sparse`` X, never densified.

On the host, :func:`as_csc` checks a sparse ``X`` and brings it to one canonical form (SciPy
CSC, float, no duplicates); :func:`prepare` standardizes it *implicitly*, as glmnet does: the
stored values are divided by the column scales ``σ`` and the centring is kept apart as a
shift ``m = μ/σ``, so that the standardized matrix is

    X̃ = X D⁻¹ − 1 mᵀ        (D = diag(σ); m = 0 without an intercept)

and never exists as a dense centred copy. (A column whose mean exceeds its spread, |μ| > σ, more
than half of it stored already, is stored centred in every row, ``(x − μ)/σ``, with ``m_j = 0``:
the shift would cancel |μ|/σ of the products' digits.)

Inside the engine, :class:`Cols` holds ``X D⁻¹`` in coordinate form (entries sorted by
feature; a pytree) and gives the two products a path needs on all features, ``X̃β`` and
``X̃ᵀr``, as segment sums over the stored entries. A working set takes its columns' entries
(:func:`Cols.select`: a fixed number of slots, at most the entries of the ``capacity`` densest
columns, so the products cost its nonzeros, not ``n × capacity``), or, for Newton steps on
small working sets, its columns gathered dense (``capacity × n``, :func:`Cols.gather`:
Newton's Hessian is a dense product). A squared-loss path with ``p ≤ n`` runs on the Gram
matrix, which :func:`gram_host` forms from the sparse product on the host.
"""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = ["Cols", "SparseX", "as_csc", "gram_host", "is_sparse", "prepare", "to_cols"]


def _jax_sparse():
    from jax.experimental import sparse as jsparse  # (imported when a sparse X comes)

    return jsparse


def _scipy_sparse():
    import scipy.sparse  # (imported when needed: 0.1 s less to import l1jax)

    return scipy.sparse


def is_scipy_sparse(X) -> bool:
    """``X`` is a SciPy sparse matrix or array (none can exist before scipy.sparse is
    imported, so this never imports it)."""
    sp = sys.modules.get("scipy.sparse")
    return sp is not None and sp.issparse(X)


def is_sparse(X) -> bool:
    """``X`` is a SciPy sparse matrix or array, or a ``jax.experimental.sparse`` BCOO/BCSR."""
    if is_scipy_sparse(X):
        return True
    name = type(X).__name__
    if name in ("BCOO", "BCSR"):
        jsparse = _jax_sparse()
        return isinstance(X, (jsparse.BCOO, jsparse.BCSR))
    return False


def densified(X, name: str = "X") -> str:
    """How to make the sparse ``X`` dense, for the messages that ask for it: SciPy's
    ``toarray()``, JAX's BCOO/BCSR ``todense()`` (they have no ``toarray``)."""
    return f"{name}.toarray()" if is_scipy_sparse(X) else f"{name}.todense()"


def as_csc(X, name: str = "X") -> sp.csc_matrix:
    """A sparse ``X`` as a canonical SciPy CSC matrix (float32 stays float32, other dtypes
    become float64; duplicate entries summed, explicit zeros dropped), or a ``TypeError`` /
    ``ValueError`` naming ``name``: not 2-D, complex, NaN or inf among the stored values,
    indices out of range. A BCOO's entries with an index past the shape are JAX's padding
    (``jax.experimental.sparse`` ignores them) and are dropped; negative indices are refused.
    (This is the storage only: which dtype a fit runs in is :func:`l1jax.path`'s rule.)"""
    sp = _scipy_sparse()
    if not sp.issparse(X):
        X = _from_jax(X, name)
    if len(X.shape) != 2:
        raise ValueError(f"{name} must be (n_samples, n_features), got a sparse array of shape "
                         f"{X.shape}")  # fmt: skip
    dtype = np.dtype(X.dtype)
    if np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got complex dtype {dtype}; pass its real part")
    if not (np.issubdtype(dtype, np.number) or dtype == np.bool_):
        raise TypeError(f"{name} must be a numeric sparse matrix, got dtype {dtype}")
    if X.format in ("csr", "csc", "bsr"):
        try:  # on a view of the same arrays: check_format prunes and byte-swaps what it checks
            X = type(X)((X.data, X.indices, X.indptr), shape=X.shape)
            X.check_format(full_check=True)
        except ValueError as err:
            raise ValueError(
                f"{name} is not a valid sparse matrix ({err}); rebuild it, e.g. with "
                "scipy.sparse.csr_matrix((data, indices, indptr))"
            ) from None
    elif X.format == "coo":
        coo = X.tocoo()
        for axis, idx in enumerate(coo.coords if hasattr(coo, "coords") else (coo.row, coo.col)):
            if idx.size and (idx.min() < 0 or idx.max() >= X.shape[axis]):
                which = "row" if axis == 0 else "column"
                raise ValueError(f"{name} has {which} indices out of range for its shape "
                                 f"{X.shape}; fix the indices or the shape")  # fmt: skip
    target = np.float32 if dtype == np.float32 else np.float64
    # (cast first: a COO's duplicates are summed by the conversion, in the dtype it runs in; an
    # int8 X's wrapped, a bool X's or-ed, unlike the same X given to the estimators)
    csc = sp.csc_matrix(X.astype(target), copy=False)  # (astype copied it)
    if not np.all(np.isfinite(csc.data)):
        raise ValueError(f"{name} contains NaN or inf among its stored values; remove or impute "
                         "those entries")  # fmt: skip
    csc.sum_duplicates()
    csc.eliminate_zeros()
    return csc


def _from_jax(X, name):
    jsparse = _jax_sparse()
    if isinstance(X, jsparse.BCSR):
        X = X.to_bcoo()
    if X.n_batch or X.n_dense:
        raise ValueError(f"{name} must be a plain 2-D BCOO/BCSR (no batch or dense dimensions), "
                         f"got n_batch={X.n_batch}, n_dense={X.n_dense}")  # fmt: skip
    if len(X.shape) != 2:
        raise ValueError(f"{name} must be (n_samples, n_features), got shape {X.shape}")
    data, idx = np.asarray(X.data), np.asarray(X.indices)
    if idx.size and idx.min() < 0:  # (JAX's todense and products count them from the end)
        raise ValueError(
            f"{name} (a BCOO) has negative indices, which JAX's own operations "
            "count from the end; store them as i + n (rows) and j + p (columns)"
        )
    keep = np.all(idx < np.asarray(X.shape), axis=1)  # JAX's padding (at the shape): ignored
    return _scipy_sparse().coo_matrix((data[keep], (idx[keep, 0], idx[keep, 1])), shape=X.shape)


class SparseX(NamedTuple):
    """A standardized sparse ``X`` on the host: ``X̃ = scaled − 1 shiftᵀ``.

    Attributes:
      scaled: SciPy CSC ``X D⁻¹`` (float64; a constant column has no entries).
      shift: ``(p,)`` ``m = μ/σ`` (0 without an intercept, and on constant columns).
    """

    scaled: sp.csc_matrix
    shift: np.ndarray

    @property
    def shape(self):
        return self.scaled.shape

    @property
    def dtype(self):
        return self.scaled.dtype


def _column_sums(col: np.ndarray, values: np.ndarray, p: int) -> np.ndarray:
    """``Σ values`` per column (float64; ``np.bincount`` gives int64 zeros for no entries, and
    an ``X`` with none stored then failed on an in-place float add)."""
    return np.bincount(col, values, minlength=p).astype(np.float64, copy=False)


def prepare(X: sp.csc_matrix, s: np.ndarray, *, fit_intercept: bool, standardize: bool):
    """Weighted column means and scales of a sparse ``X`` (1/n variance, as glmnet; ``s``
    normalized weights), computed from the stored entries in float64. Returns ``(SparseX,
    x_mean, x_scale, nonzero)`` as :func:`l1jax._inputs.center_scale` does for dense ``X``: a
    constant column becomes 0 and gets scale 1; ``nonzero`` says the standardized column has
    a nonzero entry."""
    from l1jax._inputs import _flat  # (one rule of constant columns; _inputs imports this)

    sp = _scipy_sparse()
    X = sp.csc_matrix(X, dtype=np.float64)
    n, p = X.shape
    counts = np.diff(X.indptr)
    col = np.repeat(np.arange(p), counts)
    sw = s[X.indices]  # the weight of each stored entry's row
    x_mean = _column_sums(col, sw * X.data, p) if fit_intercept else np.zeros(p)
    # the implicit zeros' weight: exactly 0 in a column stored in every row, where 1 − Σ s
    # leaves ε, and ε μ² outgrew σ² (scales wrong by 0.3% at |μ| = 1e6 σ, float64)
    unstored = np.where(counts == n, 0.0, np.maximum(1.0 - _column_sums(col, sw, p), 0))
    # Σ s (x − μ)²: stored entries, then the implicit zeros (two-pass accurate)
    dev = np.where(sw > 0, X.data - x_mean[col], 0.0)  # (rows of weight 0: no 0 · inf)
    var = _column_sums(col, sw * dev * dev, p)
    if fit_intercept:
        var += x_mean**2 * unstored
    spread = np.sqrt(var)
    if standardize:
        constant = (spread == 0) | _flat(np, spread, x_mean)  # (as center_scale)
        scale = np.where(constant, 1.0, spread)
    else:  # (unscaled: constant up to rounding, as l1jax._inputs.center_scale)
        constant = _flat(np, spread, x_mean)
        scale = np.ones(p)
    if fit_intercept:  # a column equal to its mean everywhere is constant
        flat = np.bincount(col, X.data != x_mean[col], minlength=p) == 0
        constant |= flat & ((counts == n) | (x_mean == 0))
    # A column whose mean exceeds its spread is stored centred, in every row, and not shifted:
    # with |μ| ≫ σ (an offset column, 1000 ± 0.01) X D⁻¹β − 1 mᵀβ and D⁻¹Xᵀr − m 1ᵀr cancel
    # |μ|/σ of their digits, and float32 gaps went negative (−2e-4 · P_null) with errors
    # above them. Such a column has more than half of its (weighted) rows stored already:
    # |μ| > σ needs (1 − d) μ² < σ², d the stored rows' weight.
    fill = fit_intercept & ~constant & (np.abs(x_mean) > spread)
    keep = ~(constant | fill)[col] & (sw > 0)  # (rows of weight 0: none, as in _inputs.prepare)
    scaled = sp.csc_matrix((X.data[keep] / scale[col[keep]], X.indices[keep],
                            np.concatenate([[0], np.cumsum(np.bincount(col[keep], minlength=p))])),
                           shape=(n, p))  # fmt: skip
    if fill.any():
        cols = np.flatnonzero(fill)
        block = (X[:, cols].toarray() - x_mean[cols]) / scale[cols]  # (n, filled columns)
        block[s == 0] = 0.0
        rows, which = np.nonzero(block)
        scaled = scaled + sp.csc_matrix((block[rows, which], (rows, cols[which])), shape=(n, p))
        scaled = sp.csc_matrix(scaled)
        scaled.sort_indices()
    shift = np.where(constant | fill, 0.0, x_mean / scale)
    nonzero = (np.diff(scaled.indptr) > 0) & ~constant
    return SparseX(scaled, shift), x_mean, scale, nonzero


def gram_host(X: SparseX, s, y):
    """``G = X̃ᵀSX̃`` and ``c = X̃ᵀSy`` from the sparse product (dense ``p × p``), as
    :func:`l1jax._inputs._gram_of` for dense ``X``."""
    A, m = X.scaled, X.shift
    As = A.T.multiply(s[None, :]).tocsr()  # (p, n): rows scaled by s
    G = np.asarray((As @ A).todense())
    a = np.asarray(As.sum(axis=1)).ravel()  # X D⁻¹ᵀ s
    G += np.outer(m, m) * s.sum() - np.outer(a, m) - np.outer(m, a)
    c = As @ y - m * (s @ y)
    return G, c


ENTRY_CHUNK = 2048  # stored entries per step of a product (entry counts are whole chunks)


def entry_slots(count: int) -> int:
    """``count`` stored entries rounded up to whole :data:`ENTRY_CHUNK` (at least one)."""
    return max(1, -(-count // ENTRY_CHUNK)) * ENTRY_CHUNK


class Cols(NamedTuple):
    """``X̃ᵀ`` (``p × n``, padded) in coordinate form inside a program (a pytree).

    Attributes:
      feat: ``(nnz,)`` int32 feature (column of ``X``) of each stored entry, ascending.
      row: ``(nnz,)`` int32 sample of each entry.
      val: ``(nnz,)`` the stored entries of ``X D⁻¹`` (centred in every row where ``|μ| > σ``,
        :func:`prepare`; padding entries are 0).
      shift: ``(p,)`` ``m``: ``X̃ = val − 1 mᵀ``.
      start: ``(p + 1,)`` int32: feature ``j``'s entries are ``start[j]:start[j + 1]``
        (padding entries lie after ``start[p]``).
    """

    feat: jax.Array
    row: jax.Array
    val: jax.Array
    shift: jax.Array
    start: jax.Array

    def _sum(self, term, index, size: int, sorted_: bool, like):
        """``Σ_e term(e)`` into ``index[e]`` over the stored entries in use (``start[-1]`` of
        them, first): in chunks of :data:`ENTRY_CHUNK`, the unused ones skipped, so that a
        working set's products cost its own entries, not its slots. ``term`` gives a value,
        or a row of values (``like``'s trailing shape), per entry."""
        # (zeros_like: the carry varies as the operand does, under vmap and shard_map)
        out = jnp.zeros((size, *like.shape), self.val.dtype) + jnp.zeros_like(like)
        total = self.val.shape[0]
        if total <= ENTRY_CHUNK:
            return out.at[index].add(term(slice(None)), indices_are_sorted=sorted_)
        idx = index.reshape(-1, ENTRY_CHUNK)

        def add(c, acc):
            part = c * ENTRY_CHUNK + jnp.arange(ENTRY_CHUNK)
            return acc.at[idx[c]].add(term(part), indices_are_sorted=sorted_)

        return jax.lax.fori_loop(0, -(-self.start[-1] // ENTRY_CHUNK), add, out)

    def matvec(self, beta, n_rows: int):
        """``X̃ β``, ``(n_rows,)``, of ``β`` ``(M,)`` (under ``vmap``: :func:`_products`)."""
        return _products(n_rows)[0](self, beta)

    def rmatvec(self, r):
        """``X̃ᵀ r``, ``(p,)``, of ``r`` ``(n,)`` (under ``vmap``: :func:`_products`)."""
        return _products(0)[1](self, r)

    def _matvec(self, beta, n_rows: int):
        """:meth:`matvec` of a block of ``β`` ``(B, M)`` at once: ``(B, n_rows)``."""
        bt = beta.T
        prod = self._sum(lambda e: self.val[e][:, None] * bt[self.feat[e]], self.row, n_rows,
                         False, bt[0])  # fmt: skip
        return prod.T - jnp.dot(beta, self.shift, precision=jax.lax.Precision.HIGHEST)[:, None]

    def _rmatvec(self, r):
        """:meth:`rmatvec` of a block of ``r`` ``(B, n)`` at once: ``(B, p)``."""
        p = self.shift.shape[0]
        rt = r.T
        prod = self._sum(lambda e: self.val[e][:, None] * rt[self.row[e]], self.feat, p, True,
                         rt[0])  # fmt: skip
        return prod.T - jnp.sum(r, axis=1)[:, None] * self.shift[None, :]

    def gather(self, idx, mask, n_rows: int):
        """The columns ``idx`` of ``X̃`` as a dense ``(M, n_rows)`` block (``X̃ᵀ``'s rows), zero
        where ``mask`` is 0."""
        M = idx.shape[0]
        p = self.shift.shape[0]
        slot = jnp.full(p + 1, M, jnp.int32)
        slot = slot.at[jnp.where(mask > 0, idx, p)].set(jnp.arange(M, dtype=jnp.int32))
        block = jnp.zeros((M, n_rows), self.val.dtype)
        block = block.at[slot[self.feat], self.row].add(self.val, mode="drop")
        return (block - self.shift[idx][:, None]) * mask[:, None]

    def select(self, idx, mask, slots: int) -> Cols:
        """The columns ``idx`` of ``X̃`` (where ``mask`` is 1) as a :class:`Cols` of ``M`` features
        whose entries fill ``slots`` places (``slots`` at least their count: the rest are
        padding). Its products cost ``slots``, not ``M × n``."""
        M = idx.shape[0]
        counts = jnp.where(mask > 0, self.start[idx + 1] - self.start[idx], 0)
        ends = jnp.cumsum(counts)
        t = jnp.arange(slots, dtype=jnp.int32)
        # slot t belongs to the working-set column j with ends[j - 1] <= t < ends[j]
        j = jnp.cumsum(jnp.zeros(slots, jnp.int32).at[ends[:-1]].add(1, mode="drop"))
        j = jnp.minimum(j, M - 1)
        used = t < ends[-1]
        src = jnp.where(used, self.start[idx[j]] + t - (ends[j] - counts[j]), 0)
        return Cols(
            feat=j, row=self.row[src], val=jnp.where(used, self.val[src], 0),
            shift=self.shift[idx] * mask, start=jnp.concatenate([jnp.zeros(1, ends.dtype), ends]),
        )  # fmt: skip


@functools.cache
def _products(n_rows: int):
    """``(matvec, rmatvec)`` of :class:`Cols` (``n_rows`` rows for ``matvec``) whose ``vmap``
    over ``β`` or ``r`` alone (the λs of a block, on one working set) is one product of the
    block (:meth:`Cols._matvec`): each entry's row of ``B`` values is scattered at once.
    ``vmap``'s own rule scatters each λ's values apart: on 500,000 entries and 8 λs, 12.8 →
    6.4 ms for ``X̃β``, 7.0 → 5.4 ms for ``X̃ᵀr``. Other batchings (of the columns too) take
    ``vmap``'s rule."""

    def batched(plain, many):
        one = jax.custom_batching.custom_vmap(plain)

        @one.def_vmap
        def rule(axis_size, in_batched, cols, x):
            cols_batched, x_batched = in_batched
            if x_batched and not any(jax.tree.leaves(cols_batched)):
                return many(cols, x), True
            axes = (jax.tree.map(lambda b: 0 if b else None, cols_batched),
                    0 if x_batched else None)  # fmt: skip
            return jax.vmap(plain, in_axes=axes)(cols, x), True

        return one

    return (
        batched(lambda c, b: c._matvec(b[None], n_rows)[0], lambda c, b: c._matvec(b, n_rows)),
        batched(lambda c, r: c._rmatvec(r[None])[0], lambda c, r: c._rmatvec(r)),
    )


def to_cols(X: SparseX, p_pad: int, dtype, nnz_pad: int | None = None) -> Cols:
    """:class:`Cols` of a prepared sparse ``X`` with ``p_pad`` features and the stored entries
    padded to ``nnz_pad`` (zeros on the last feature), on the default device."""
    A = X.scaled
    nnz = A.nnz
    nnz_pad = nnz if nnz_pad is None else nnz_pad
    feat = np.full(nnz_pad, p_pad - 1, np.int32)
    feat[:nnz] = np.repeat(np.arange(A.shape[1], dtype=np.int32), np.diff(A.indptr))
    row = np.zeros(nnz_pad, np.int32)
    row[:nnz] = A.indices
    val = np.zeros(nnz_pad, dtype)
    val[:nnz] = A.data
    shift = np.zeros(p_pad, dtype)
    shift[: A.shape[1]] = X.shift
    start = np.full(p_pad + 1, nnz, np.int32)
    start[: A.shape[1] + 1] = A.indptr
    return Cols(*(jnp.asarray(a) for a in (feat, row, val, shift, start)))

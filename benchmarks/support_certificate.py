"""How well the exact solve on an iterate's support certifies it (a lead for warm time).

Usage::

    python benchmarks/support_certificate.py B A C [--tol 1e-3]

For each problem (as benchmarks/paths.py, float64, squared loss, 100 λs, no early stop):
``l1jax.path`` stopped at the looser ``--tol``, then, in NumPy, at each λ the lasso solved
exactly on the iterate's support with its signs fixed, ``β_S = (X_Sᵀ X_S)⁻¹ (X_Sᵀ y − nλ
sign(β_S))`` (centred data), and the duality gap of the iterate with the dual point of that
solution's residual (rescaled into the dual's constraints), relative to P_null. Prints the
path's iterations, how many λs that gap certifies to 1e-6 (the default tol), and the medians of
the standard gap and of this one. A duality gap is first order in the distance to the
solution, the suboptimality second order: once the support is found, the support solve's dual
point closes the gap to about the iterate's true suboptimality (BENCHMARKS.md, thirty-first
session).
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("JAX_ENABLE_X64", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import paths  # noqa: E402  (this folder's benchmark module: the problems)

import l1jax  # noqa: E402


def _gap(Xc, yc, coef, lam, residual, p_null) -> float:
    """``(P(coef) − D(θ)) / P_null`` with θ the ``residual`` rescaled into |Xᵀθ|/n ≤ λ."""
    n = yc.shape[0]
    theta = residual * min(1.0, lam / (np.max(np.abs(Xc.T @ residual)) / n))
    r = yc - Xc @ coef
    primal = 0.5 * (r @ r) / n + lam * np.abs(coef).sum()
    dual = (0.5 * (yc @ yc) - 0.5 * ((yc - theta) @ (yc - theta))) / n
    return (primal - dual) / p_null


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("problems", nargs="+", choices=list("ABC"))
    ap.add_argument("--tol", type=float, default=1e-3, help="the path's looser tol")
    args = ap.parse_args()
    for name in args.problems:
        prob = paths.make_problem(name, paths.FULL[name], paths.N_LAMBDAS[False])
        res = l1jax.path(prob.X, prob.y, lambdas=prob.lambdas, standardize=False,
                         early_stop=False, tol=args.tol)  # fmt: skip
        Xc, yc = prob.X - prob.X.mean(0), prob.y - prob.y.mean()
        n, p_null = yc.shape[0], 0.5 * (yc @ yc) / yc.shape[0]
        standard, support, certified = [], [], 0
        for coef, lam in zip(res.coef, res.lambdas, strict=True):
            S = np.flatnonzero(coef)
            if S.size == 0:
                certified += 1
                continue
            XS = Xc[:, S]
            beta_s = np.linalg.solve(XS.T @ XS, XS.T @ yc - n * lam * np.sign(coef[S]))
            standard.append(_gap(Xc, yc, coef, lam, yc - Xc @ coef, p_null))
            support.append(_gap(Xc, yc, coef, lam, yc - XS @ beta_s, p_null))
            certified += support[-1] <= 1e-6
        print(f"{name}: path at tol {args.tol:g}, {int(res.n_iter.sum())} iterations; the support "
              f"solve certifies {certified} of {res.lambdas.size} λs to 1e-6; standard gap "
              f"median {np.median(standard):.1e}, with the support solve's θ median "
              f"{np.median(support):.1e}, max {np.max(support):.1e}")  # fmt: skip


if __name__ == "__main__":
    main()

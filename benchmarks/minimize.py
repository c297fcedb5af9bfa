"""l1jax.minimize against jaxopt.ProximalGradient at the same accuracy: iterations and time.

Usage::

    python benchmarks/minimize.py [--repeat N] [--target T]

Each solver solves each problem (float64) at the loosest ``tol`` of a ladder (1e-3, 1e-4, …,
1e-12) whose answer is within ``T`` (default 1e-8) of the optimum, relative to the optimum's
objective: ``(F(w) − F*) / |F*|``, with ``F*`` from l1jax.minimize at ``tol=1e-13``. The two
solvers measure convergence differently (l1jax: the proximal-gradient mapping relative to the
problem's scale; jaxopt: its absolute norm at a unit step), so only the accuracy reached makes
their times comparable. Printed per problem and solver: that tol, the iterations, the accuracy
reached, the first call (compilation included) and the best of ``N`` warm calls, and the ratio
of warm times. jaxopt (deprecated, not a dependency of l1jax) is skipped when it cannot be
imported: ``pip install jaxopt``.

Problems: the lasso and the L1 logistic regression on 500 × 1,000 correlated columns (AR(0.5)),
at 0.1 and 0.01 of λ_max; the same lasso as one ``vmap`` over 20 λs (a path, one program);
and Σ exp(w) − 3w from w = 12 (a start of high curvature: e¹² times the solution's).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("JAX_ENABLE_X64", "1")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import l1jax  # noqa: E402

TOLS = [10.0**-k for k in range(3, 13)]


def squared(w, X, y):
    return jnp.mean((y - X @ w) ** 2) / 2


def logistic(w, X, y):
    eta = X @ w
    return jnp.mean(jnp.logaddexp(0.0, eta) - y * eta)


def exponential(w):
    return jnp.sum(jnp.exp(w) - 3.0 * w)


def problems():
    rng = np.random.default_rng(0)
    n, p = 500, 1000
    X = rng.standard_normal((n, p))
    for j in range(1, p):
        X[:, j] = 0.5 * X[:, j - 1] + np.sqrt(1 - 0.25) * X[:, j]
    y = X[:, :10] @ rng.standard_normal(10) + rng.standard_normal(n)
    labels = (y > np.median(y)).astype(float)
    X, y, labels = jnp.asarray(X), jnp.asarray(y), jnp.asarray(labels)
    lmax_sq = float(jnp.max(jnp.abs(X.T @ (y - 0.0))) / n)
    lmax_lg = float(jnp.max(jnp.abs(X.T @ (labels - 0.5))) / n)
    zeros = jnp.zeros(p)
    out = []
    for frac in (0.1, 0.01):
        out.append((f"lasso 500x1000 λ={frac}·λmax", squared, zeros, frac * lmax_sq, (X, y)))
    for frac in (0.1, 0.01):
        out.append((f"logistic 500x1000 λ={frac}·λmax", logistic, zeros, frac * lmax_lg,
                    (X, labels)))  # fmt: skip
    out.append(("lasso path, vmap of 20 λs", squared, zeros,
                jnp.geomspace(0.5, 0.01, 20) * lmax_sq, (X, y)))  # fmt: skip
    out.append(("exp(w) − 3w from w = 12", exponential, jnp.full(2, 12.0), 0.1, ()))
    return out


def objective(fun, lam, args):
    def F(w):
        return fun(w, *args) + lam * jnp.sum(jnp.abs(w))

    return F


def l1jax_solver(fun, x0, lam, args, tol):
    @jax.jit
    def solve(lam):
        r = l1jax.minimize(fun, x0, lam=lam, args=args, tol=tol, max_iter=100_000)
        return r.params, r.n_iter

    return solve


def jaxopt_solver(fun, x0, lam, args, tol):
    import jaxopt
    from jaxopt.prox import prox_lasso

    pg = jaxopt.ProximalGradient(fun=fun, prox=prox_lasso, tol=tol, maxiter=100_000, jit=True)

    @jax.jit
    def solve(lam):
        r = pg.run(x0, lam, *args)
        return r.params, r.state.iter_num

    return solve


def accuracy(fun, lams, args, params, best):
    """The worst relative suboptimality over the λs."""
    worst = 0.0
    for k, lam in enumerate(np.atleast_1d(np.asarray(lams))):
        F = objective(fun, float(lam), args)
        w = params if np.ndim(lams) == 0 else params[k]
        gap = (float(F(w)) - best[k]) / abs(best[k])
        worst = max(worst, gap)
    return worst


def run(make, fun, x0, lam, args, best, target, repeat):
    for tol in TOLS:
        solve = make(fun, x0, lam, args, tol)
        solve = jax.vmap(solve) if np.ndim(lam) else solve
        start = time.perf_counter()
        params, iters = jax.block_until_ready(solve(jnp.asarray(lam)))
        first = time.perf_counter() - start
        acc = accuracy(fun, lam, args, params, best)
        if acc <= target:
            break
    warm = []
    for _ in range(repeat):
        start = time.perf_counter()
        jax.block_until_ready(solve(jnp.asarray(lam)))
        warm.append(time.perf_counter() - start)
    return tol, int(np.sum(iters)), acc, first, min(warm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="warm calls (best kept)")
    parser.add_argument("--target", type=float, default=1e-8, help="relative suboptimality")
    args = parser.parse_args()
    solvers = {"l1jax": l1jax_solver}
    try:
        import jaxopt  # noqa: F401

        solvers["jaxopt"] = jaxopt_solver
    except ImportError:
        print("(jaxopt not installed: l1jax only)")
    print(f"jax {jax.__version__}, float64, target (F − F*)/|F*| ≤ {args.target:g}")
    print(f"{'problem':<34} {'solver':<7} {'tol':>6} {'iters':>7} {'reached':>8} "
          f"{'first s':>8} {'warm s':>8} {'ratio':>6}")  # fmt: skip
    for name, fun, x0, lam, data in problems():
        lams = np.atleast_1d(np.asarray(lam))
        best = []
        for one in lams:
            ref = l1jax.minimize(fun, x0, lam=float(one), args=data, tol=1e-13,
                                 max_iter=1_000_000)  # fmt: skip
            best.append(float(objective(fun, float(one), data)(ref.params)))
        rows = {s: run(make, fun, x0, lam, data, best, args.target, args.repeat)
                for s, make in solvers.items()}  # fmt: skip
        base = rows["l1jax"][4]
        for s, (tol, iters, acc, first, warm) in rows.items():
            print(f"{name:<34} {s:<7} {tol:>6.0e} {iters:>7d} {acc:>8.1e} {first:>8.3f} "
                  f"{warm:>8.4f} {warm / base:>6.2f}")  # fmt: skip


if __name__ == "__main__":
    main()

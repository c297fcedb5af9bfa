"""Cost of a gradient through ``l1jax.solve_path`` against the cost of the solve itself.

Usage::

    python benchmarks/grad.py [--quick] [--repeat N]

For each problem, a path of K λs is solved on training data, and the scalar is the mean
held-out loss over the path (what tuning λ by gradient descent differentiates). Timed, warm
(after compilation), best of ``--repeat``:

- ``solve``: ``jit(solve_path)``, the forward solve alone;
- ``value+grad``: ``jit(value_and_grad)`` of the held-out loss with respect to all K λs and the
  p penalty factors (forward solve + implicit backward);
- ``gradient cost``: ``value+grad − solve``, what the derivative adds to the solve: the Hessian
  on the support and its factorization (computed with the forward pass, as residuals) and the
  backward pass;
- ``backward pass``: the VJP alone, given those residuals (``jax.vjp`` split in two).

The target of issue 6 is ``gradient cost < solve``: the implicit gradient (one linear system on
the support per λ, no unrolled iterations) costs less than the solve. float64, relative gap 1e-7,
Toeplitz-correlated columns (0.6), 10 true nonzeros, λ from λ_max down to 1e-2 λ_max.
"""

from __future__ import annotations

import argparse
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import l1jax  # noqa: E402
from l1jax import losses, solvers  # noqa: E402

PROBLEMS = {  # name: (loss, n, p, K)
    "squared 500×200": ("squared", 500, 200, 20),
    "logistic 500×200": ("logistic", 500, 200, 20),
    "squared 500×2000": ("squared", 500, 2000, 20),
}
QUICK = {
    "squared 200×50": ("squared", 200, 50, 10),
    "logistic 200×50": ("logistic", 200, 50, 10),
}


def make_problem(loss: str, n: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((2 * n, p))
    X = np.empty_like(Z)
    X[:, 0] = Z[:, 0]
    for j in range(1, p):  # Toeplitz correlation 0.6^|i-j|
        X[:, j] = 0.6 * X[:, j - 1] + 0.8 * Z[:, j]
    beta = np.zeros(p)
    beta[rng.choice(p, 10, replace=False)] = rng.choice([-1.0, 1.0], 10)
    eta = X @ beta
    if loss == "squared":
        y = eta + np.std(eta) / 2 * rng.standard_normal(2 * n)
    else:
        y = (rng.random(2 * n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X[:n], y[:n], X[n:], y[n:]


def best_times(fns: dict, repeat: int) -> dict:
    """Best wall time of each function, after a compiling call, the runs interleaved (the CPU is
    shared: interleaving keeps a change of load from favouring one of them)."""
    for fn in fns.values():
        jax.block_until_ready(fn())
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            jax.block_until_ready(fn())
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def run(name: str, loss: str, n: int, p: int, K: int, repeat: int) -> str:
    X, y, Xv, yv = (jnp.asarray(a) for a in make_problem(loss, n, p))
    lmax = solvers.lambda_max(X, y, jnp.ones(n), jnp.ones(p), 1.0, loss=loss, fit_intercept=True)
    lams = lmax * jnp.logspace(0, -2, K)
    v = jnp.ones(p)

    def solve(lams, v, X, y):  # data as arguments: nothing is folded at compile time
        return l1jax.solve_path(X, y, lams, loss=loss, penalty_factor=v)

    def heldout(lams, v, X, y):
        res = solve(lams, v, X, y)
        eta = res.intercept[:, None] + res.coef @ Xv.T
        return jnp.mean(losses.glm_loss(loss, yv, eta))

    solve_jit = jax.jit(solve)
    value_and_grad = jax.jit(jax.value_and_grad(heldout, argnums=(0, 1)))
    forward = jax.jit(lambda *args: jax.vjp(heldout, *args)[1])
    backward = jax.jit(lambda f_vjp, ct: f_vjp(ct))
    f_vjp = forward(lams, v, X, y)
    one = jnp.ones([], X.dtype)
    times = best_times(
        {
            "solve": lambda: solve_jit(lams, v, X, y),
            "grad": lambda: value_and_grad(lams, v, X, y),
            "backward": lambda: backward(f_vjp, one),
        },
        repeat,
    )
    t_solve, t_grad, t_back = times["solve"], times["grad"], times["backward"]
    res = solve_jit(lams, v, X, y)
    support = int(jnp.max(jnp.sum(res.coef != 0, axis=1)))
    grads = value_and_grad(lams, v, X, y)[1]
    finite = all(bool(jnp.all(jnp.isfinite(g))) for g in grads)
    extra = t_grad - t_solve
    return (
        f"{name:<22} K={K:<3} support≤{support:<4} solve {t_solve * 1e3:8.1f} ms  "
        f"value+grad {t_grad * 1e3:8.1f} ms  gradient cost {extra * 1e3:8.1f} ms "
        f"({extra / t_solve:4.2f}× solve; backward pass {t_back * 1e3:.1f} ms)  finite {finite}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small problems (CI smoke test)")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs (best is reported)")
    args = parser.parse_args(argv)
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}, float64")
    for name, (loss, n, p, K) in (QUICK if args.quick else PROBLEMS).items():
        print(run(name, loss, n, p, K, args.repeat), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Tune the lasso's λ, and then per-feature penalty factors, by gradient descent.

The lasso solution β̂(λ, v) is differentiable in λ and in the penalty factors v wherever its
support does not change (l1jax.implicit: implicit differentiation on the support, no unrolled
iterations). So a held-out loss

    V(λ, v) = (1 / n_val) Σ_val ½ (y_i − b̂ − x_iᵀβ̂(λ, v))²

can be minimized by gradient descent:

1. λ alone, on log λ (from λ_max / 10), compared with the best λ of a grid of 50 values;
2. an "adaptive lasso by gradient descent": all p factors v_j = exp(w_j) at that λ, so that
   relevant features get a smaller penalty (less shrinkage) and spurious ones a larger one.

A third split, never used for tuning, gives the test loss of each choice, and the support
is compared with the true one. With p factors fitted to one validation split, the factors can
overfit it: a few small steps (an early stop) are taken, and the test loss tells.

Exit status 0 when the gradient-tuned λ is as good as the grid's on validation data (within
1%) and the learned factors lower the validation loss.

    python examples/tune_lambda.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

import l1jax  # noqa: E402
from l1jax import implicit, solvers  # noqa: E402


def make_data(n: int, p: int, k: int, seed: int = 0):
    """Train, validation and test splits of y = Xβ* + ε, k nonzeros, correlated columns."""
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((3 * n, p))
    X = np.empty_like(Z)
    X[:, 0] = Z[:, 0]
    for j in range(1, p):  # Toeplitz correlation 0.5^|i-j|
        X[:, j] = 0.5 * X[:, j - 1] + np.sqrt(0.75) * Z[:, j]
    beta = np.zeros(p)
    beta[rng.choice(p, k, replace=False)] = rng.choice([-1.0, 1.0], k) * rng.uniform(0.5, 2, k)
    y = X @ beta + 1.0 * rng.standard_normal(3 * n)
    splits = [
        (jnp.asarray(X[i * n : (i + 1) * n]), jnp.asarray(y[i * n : (i + 1) * n])) for i in range(3)
    ]
    return splits, beta


def mse(coef, intercept, X, y):
    return 0.5 * jnp.mean(jnp.square(y - intercept - X @ coef))


def describe(name, lam, coef, b, val, test, beta_true):
    coef = np.asarray(coef)
    hits = int(np.sum((coef != 0) & (beta_true != 0)))
    false = int(np.sum((coef != 0) & (beta_true == 0)))
    print(
        f"{name:<34} λ = {float(lam):.4f}  val {float(mse(coef, b, *val)):.4f}  "
        f"test {float(mse(coef, b, *test)):.4f}  support {int(np.sum(coef != 0)):>3} "
        f"({hits}/{int(np.sum(beta_true != 0))} true, {false} false)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller problem (a smoke run)")
    args = parser.parse_args()
    n, p, k = (100, 30, 5) if args.quick else (300, 200, 10)
    steps_lam, steps_v = (50, 20) if args.quick else (80, 40)
    (train, val, test), beta_true = make_data(n, p, k)
    X, y = train
    print(f"lasso, n = {n} per split, p = {p}, {k} true nonzeros")

    # 1a. The grid: one call solves the whole path; pick the best validation loss.
    start = time.perf_counter()
    ones = jnp.ones(n)
    lmax = float(
        solvers.lambda_max(X, y, ones, jnp.ones(p), 1.0, loss="squared", fit_intercept=True)
    )
    grid = lmax * jnp.logspace(0, -3, 50)
    path = l1jax.solve_path(X, y, grid, tol=1e-10)
    val_losses = jax.vmap(mse, in_axes=(0, 0, None, None))(path.coef, path.intercept, *val)
    best = int(jnp.argmin(val_losses))
    lam_grid = float(grid[best])
    print(f"grid of 50 λs: {time.perf_counter() - start:.2f} s (incl. compile)")
    describe("grid (50 λs)", lam_grid, path.coef[best], path.intercept[best], val, test, beta_true)

    # 1b. Gradient descent on log λ, warm-starting each solve from the previous solution.
    # (the data as arguments of the compiled step, not closed over: XLA would fold them in as
    # constants, slowly)
    def val_loss(params, warm, data):
        (X, y), val = data
        log_lam, log_v = params
        res = implicit.solve_one(
            X, y, jnp.exp(log_lam), 1.0, jnp.exp(log_v), None, *warm, tol=1e-10
        )
        return mse(res.coef, res.intercept, *val), res

    step = jax.jit(jax.value_and_grad(val_loss, has_aux=True))
    data = ((X, y), val)

    def descend(params, which, learning_rate, steps):
        """Adam on params[which] only (0: log λ, 1: log v); returns params, loss, solution."""
        start = time.perf_counter()
        warm = (jnp.zeros(p), jnp.mean(y))
        opt = optax.adam(learning_rate)
        state = opt.init(params[which])
        for _ in range(steps):
            (_, res), grads = step(params, warm, data)
            warm = (res.coef, res.intercept)
            updates, state = opt.update(grads[which], state)
            params = tuple(
                optax.apply_updates(x, updates) if i == which else x for i, x in enumerate(params)
            )
        (loss, res), _ = step(params, warm, data)
        return params, loss, res, time.perf_counter() - start

    params = (jnp.log(lmax / 10), jnp.zeros(p))
    params, loss_gd, res, seconds = descend(params, 0, 0.1, steps_lam)
    log_lam, log_v = params
    print(f"{steps_lam} gradient steps on log λ: {seconds:.2f} s (incl. compile)")
    describe(
        "gradient descent on λ", jnp.exp(log_lam), res.coef, res.intercept, val, test, beta_true
    )

    # 2. Adaptive lasso by gradient descent: learn all p penalty factors at that λ, with few,
    # small steps (p factors can overfit the validation split).
    params, loss_v, res, seconds = descend(params, 1, 0.05, steps_v)
    log_v = params[1]
    print(f"{steps_v} gradient steps on the {p} factors: {seconds:.2f} s")
    describe(
        "learned penalty factors", jnp.exp(log_lam), res.coef, res.intercept, val, test, beta_true
    )
    v = np.exp(np.asarray(log_v))
    on = np.asarray(res.coef) != 0
    print(
        f"learned factors: median {np.median(v[on & (beta_true != 0)]):.2f} on true features "
        f"kept, {np.median(v[beta_true == 0]):.2f} on the others"
    )

    ok = float(loss_gd) <= 1.01 * float(val_losses[best]) and float(loss_v) < float(loss_gd)
    print("gradient tuning as good as the grid, factors improve validation:", ok)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""L1 as a feature selector: which features survive as λ grows, on data with known answers.

A logistic regression ``P(y = 1 | x) = σ(b + xᵀw)`` on 30 features of which only the first 5
matter. Features 5-9 are *decoys*, noisy copies of the informative ones (correlation ≈ 0.7):
they predict y, but carry nothing once the informative features are in the model. Features
10-29 are pure noise. One ``l1jax.train_path`` call fits the whole L1 path,

    minimize over b, w:   mean_i log-loss(y_i, b + x_iᵀw)  +  λ ‖w‖₁,

for 16 λs from λ_max (every weight zero) down to λ_max / 100, with FISTA
(``l1jax.proximal_gradient``, the intercept masked out of the prox), and the table and plot show
which features enter first.

    python examples/feature_selection.py [--quick] [--out feature_selection.png]
"""

from __future__ import annotations

import sys
import time

import _common
import jax.numpy as jnp
import numpy as np
import optax

import l1jax

INFORMATIVE = np.arange(0, 5)
DECOYS = np.arange(5, 10)
NOISE = np.arange(10, 30)
GROUPS = {"informative": INFORMATIVE, "decoys": DECOYS, "noise": NOISE}


def make_data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 30))
    X[:, DECOYS] = 0.7 * X[:, INFORMATIVE] + 0.7 * rng.standard_normal((n, 5))
    coef = np.zeros(30)
    coef[INFORMATIVE] = [2.0, -1.5, 1.0, -0.75, 0.5]
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ coef + 0.3)))).astype(np.float32)
    return X.astype(np.float32), y


def loss(params, batch):
    X, y = batch
    eta = X @ params["w"] + params["b"]
    return jnp.mean(optax.sigmoid_binary_cross_entropy(eta, y))


def plot(lambdas, coef, out: str) -> None:
    title = "L1 logistic regression: 16 λs in one train_path call"
    with _common.figure(out, title, legend="upper left") as ax:
        colors = {"informative": "tab:red", "decoys": "tab:orange", "noise": "tab:grey"}
        for name, features in GROUPS.items():
            for i, j in enumerate(features):
                label = f"{name} ({len(features)})" if i == 0 else None
                ax.plot(lambdas, coef[:, j], color=colors[name], lw=1.2, label=label)
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("λ (decreasing →)")
        ax.set_ylabel("coefficient")


def main() -> int:
    args = _common.parse_args(__doc__, "feature_selection.png")
    X, y = make_data(400, seed=0)
    X_test, y_test = make_data(5000, seed=1)
    n = X.shape[0]
    # λ_max: the gradient at w = 0 with the intercept-only fit b = logit(mean y). Training's
    # float32 gradient there rounds to within a few ε of it, to either side (an H200 summed it
    # above, leaving one weight nonzero at λ_max): the grid starts 1e-4 above it.
    lambda_max = float(np.max(np.abs(X.T @ (y - y.mean()))) / n)
    lambdas = lambda_max * (1 + 1e-4) * np.geomspace(1.0, 0.01, 16)
    lr = float(4 * n / np.linalg.norm(np.c_[X, np.ones(n)], 2) ** 2)  # 1/L of the log-loss
    steps = 200 if args.quick else 2000
    print(
        f"logistic regression: n={n}, 5 informative, 5 decoy and 20 noise features; "
        f"FISTA lr=1/L={lr:.3g}, {steps} full-batch steps, 16 λs from λ_max={lambda_max:.4f}"
    )

    init = {"w": jnp.zeros(30), "b": jnp.log(y.mean() / (1 - y.mean()))}
    mask = {"w": True, "b": False}  # no penalty on the intercept
    start = time.perf_counter()
    res = l1jax.train_path(
        loss,
        init,
        lambda lam: l1jax.proximal_gradient(lr, lam, mask=mask),
        lambdas,
        (jnp.asarray(X), jnp.asarray(y)),
        steps=steps,
        progress=False,
    )
    sparse = l1jax.sparse_params(res.opt_state)  # FISTA's sparse iterate, leading λ axis
    coef, intercept = np.asarray(sparse["w"]), np.asarray(sparse["b"])
    print(f"16 models in {time.perf_counter() - start:.1f} s (compilation included)\n")

    accuracy = np.mean(((X_test @ coef.T + intercept) > 0) == (y_test[:, None] > 0.5), axis=0)
    header = " ".join(f"{f'{name} kept':>16}" for name in GROUPS)
    print(f"{'lambda/max':>10} {header} {'test acc':>9}")
    for k, lam in enumerate(lambdas):
        kept = " ".join(
            f"{f'{np.count_nonzero(coef[k, f])}/{len(f)}':>16}" for f in GROUPS.values()
        )
        print(f"{lam / lambda_max:>10.3f} {kept} {100 * accuracy[k]:>8.1f}%")

    # The largest λ at which each feature is nonzero: the order of entry into the model.
    entry = np.where(coef != 0, lambdas[:, None], 0).max(axis=0)
    order = [j for j in np.argsort(-entry, kind="stable") if entry[j] > 0]
    names = {j: name[0].upper() for name, f in GROUPS.items() for j in f}
    print("\norder of entry (I informative, D decoy, N noise):")
    print("  " + " ".join(f"{j}{names[j]}" for j in order))
    rank = {j: r for r, j in enumerate(order)}
    last_informative = max(rank.get(j, len(order)) for j in INFORMATIVE)
    first_noise = min(rank.get(j, len(order)) for j in NOISE)
    early_decoys = [j for j in DECOYS if rank.get(j, len(order)) < last_informative]
    print(
        "every informative feature enters before any noise feature:", last_informative < first_noise
    )
    print(
        "decoys that enter before the last informative feature:",
        ", ".join(map(str, early_decoys)) or "none",
        "(a decoy correlated with an informative feature can enter before a weak one)",
    )
    plot(lambdas, coef, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

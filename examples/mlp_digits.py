"""Sparsity against accuracy for an MLP on the digits: 16 λs trained at once, two L1 prox steps.

A one-hidden-layer MLP (64 → 64 → 10) on scikit-learn's 8×8 digits is trained with Adam and an
L1 proximal step on its weight matrices (biases are masked out), for 16 values of λ in one
compiled program (``l1jax.train_path``), twice:

- ``plain``: ``optax.chain(optax.adam(lr), l1jax.soft_thresholding(λ, lr, mask=skip_biases))``,
  the same threshold ``lr·λ`` for every weight;
- ``adaptive``: ``l1jax.adam_prox(lr, λ, mask=skip_biases)``, the prox in Adam's own metric,
  threshold ``lr·λ / (√v̂ + ε)`` per weight (Yun, Lozano & Yang 2021).

Their λs are on different scales (plain: against Adam's normalized step, about 1; adaptive:
in units of the loss), so the fair comparison is test accuracy against the fraction of weights
that are exactly zero, which the script prints as tables and plots.

    python examples/mlp_digits.py [--quick] [--out mlp_digits.png]
"""

from __future__ import annotations

import sys

import _common
import numpy as np
import optax

import l1jax

LR = 3e-3
HIDDEN = 64


def optimizers():
    """name -> (λ -> optax transformation, the 16 λs)."""

    def plain(lam):
        return optax.chain(optax.adam(LR), l1jax.soft_thresholding(lam, LR, mask=l1jax.skip_biases))

    def adaptive(lam):
        return l1jax.adam_prox(LR, lam, mask=l1jax.skip_biases)

    return {
        "plain": (plain, np.concatenate([[0.0], np.geomspace(1e-2, 1.0, 15)])),
        "adaptive": (adaptive, np.concatenate([[0.0], np.geomspace(1e-5, 2e-2, 15)])),
    }


def plot(rows: dict, dense_accuracy: float, out: str) -> None:
    title = f"MLP 64-{HIDDEN}-10 on digits: 16 λs per curve, one train_path call each"
    with _common.figure(out, title, legend="lower left") as ax:
        styles = {
            "plain": ("o-", "adam + soft_thresholding (lr·λ)"),
            "adaptive": ("s-", "adam_prox"),
        }
        for name, (zeros, accuracy) in rows.items():
            marker, label = styles[name]
            ax.plot(100 * (1 - zeros), 100 * accuracy, marker, label=label, ms=4)
        ax.axhline(100 * dense_accuracy, color="grey", lw=0.8, ls="--", label="dense (λ = 0)")
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("nonzero weights (%, log scale; sparser →)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_ylim(max(0, 100 * dense_accuracy - 30), 100)


def main() -> int:
    args = _common.parse_args(__doc__, "mlp_digits.png")
    steps = 150 if args.quick else 3000
    print(
        f"digits: MLP 64-{HIDDEN}-10; Adam lr={LR}, {steps} steps of batch 128; "
        "16 λs per train_path call"
    )
    rows = {}
    for name, (optimizer, lambdas) in optimizers().items():
        res, accuracy, seconds, _ = _common.train_digits(
            optimizer, lambdas, hidden=HIDDEN, steps=steps, progress=max(1, steps // 5)
        )
        zeros = _common.zero_fraction(res.params)
        rows[name] = (zeros, accuracy)
        print(f"\n{name}: 16 models in {seconds:.1f} s (compilation included)")
        print(f"{'lambda':>9} {'test acc':>9} {'zero weights':>13} {'train loss':>11}")
        final_loss = np.asarray(res.losses[:, -max(1, steps // 20) :]).mean(axis=1)
        for lam, acc, zero, loss in zip(lambdas, accuracy, zeros, final_loss, strict=True):
            print(f"{lam:>9.3g} {100 * acc:>8.1f}% {100 * zero:>12.1f}% {loss:>11.4f}")
    dense = float(rows["plain"][1][0])
    print("\nhighest sparsity within 1 point of the dense model's test accuracy:")
    for name, (zeros, accuracy) in rows.items():
        ok = accuracy >= dense - 0.01
        best = int(np.argmax(np.where(ok, zeros, -1)))
        print(
            f"  {name:<9} {100 * zeros[best]:.1f}% zeros at {100 * accuracy[best]:.1f}% "
            f"(dense {100 * dense:.1f}%)"
        )
    plot(rows, dense, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

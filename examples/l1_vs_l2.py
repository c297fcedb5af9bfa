"""L1 versus L2 on a sparse linear model: which weights become exactly zero?

The same linear model (5 relevant features among 50) is trained three ways with optax:

- L1 subgradient:  optax.chain(l1jax.add_l1_subgradient(lam), optax.sgd(lr))
- L1 proximal:     optax.chain(optax.sgd(lr), l1jax.soft_thresholding(lam, lr))
- L2 weight decay: optax.chain(l1jax.add_weight_decay(lam), optax.sgd(lr))

It prints the loss, the number of exact zeros and the largest irrelevant weight of each, and
plots the learned coefficients next to the true ones to a PNG (when matplotlib is installed:
``pip install "l1jax[plot]"``).

    python examples/l1_vs_l2.py [--quick] [--out l1_vs_l2.png]
"""

from __future__ import annotations

import argparse
import importlib.util

import numpy as np

from l1jax.demo import compare_l1_l2, format_table, make_data


def plot(results, data, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = data.coef.size
    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.4), sharey=True)
    for ax, (name, r) in zip(axes, results.items(), strict=True):
        index = np.arange(p)
        ax.plot(index, data.coef, "o", mfc="none", color="0.5", label="true")
        ax.vlines(index, 0, r.coef, color="tab:blue", lw=1.5)
        zero = r.coef == 0.0
        ax.plot(index[zero], r.coef[zero], "x", color="tab:red", ms=4, label="exactly 0")
        ax.axvspan(data.informative - 0.5, p - 0.5, color="0.93", zorder=-1)
        ax.set_title(f"{name}\n{int(zero.sum())}/{p} exact zeros, loss {r.loss:.3f}")
        ax.set_xlabel("feature (shaded: irrelevant)")
    axes[0].set_ylabel("coefficient")
    axes[0].legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    parser.add_argument("--out", default="l1_vs_l2.png", help="where to write the PNG")
    parser.add_argument("--lam", type=float, default=0.15, help="lambda (default 0.15)")
    args = parser.parse_args()

    data = make_data()
    steps = 150 if args.quick else 1000
    results = compare_l1_l2(data, lam=args.lam, l2_lam=args.lam, steps=steps)
    print(f"{steps} full-batch steps, lambda = {args.lam}")
    print(format_table(results, data.coef.size))
    if importlib.util.find_spec("matplotlib") is None:
        print('matplotlib is not installed (pip install "l1jax[plot]"): no plot written')
        return
    plot(results, data, args.out)
    print(f"plot written to {args.out}")


if __name__ == "__main__":
    main()

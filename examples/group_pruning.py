"""Group pruning of hidden units: test accuracy against the number of neurons kept.

A one-hidden-layer MLP (64 → 128 → 10) on scikit-learn's digits is trained with Adam followed
by two group soft-thresholding steps: one on the columns of ``w1`` (each hidden unit's incoming
weights, ``axis=0``) and one on the rows of ``w2`` (its outgoing weights, ``axis=1``):

    optax.chain(optax.adam(lr),
                l1jax.group_soft_thresholding(λ, lr, axis=0, mask=only "w1"),
                l1jax.group_soft_thresholding(λ, lr, axis=1, mask=only "w2"))

for 16 λs in one ``l1jax.train_path`` call. A hidden unit whose outgoing row is zero does
nothing, and one whose incoming column is zero outputs the constant ``relu(b1)``, which folds
into ``b2``: either way it can be removed. The script removes them, checks that the smaller
network predicts as the trained one (logits within 1e-4), and compares with magnitude pruning
(train dense, then keep the units with the largest ``‖w1[:, h]‖ ‖w2[h, :]‖``, no retraining).

    python examples/group_pruning.py [--quick] [--out group_pruning.png]
"""

from __future__ import annotations

import sys

import _common
import jax
import jax.numpy as jnp
import numpy as np
import optax

import l1jax

LR = 3e-3
HIDDEN = 128


def optimizer(lam):
    only = {name: False for name in ("w1", "b1", "w2", "b2")}
    return optax.chain(
        optax.adam(LR),
        l1jax.group_soft_thresholding(lam, LR, axis=0, mask={**only, "w1": True}),
        l1jax.group_soft_thresholding(lam, LR, axis=1, mask={**only, "w2": True}),
    )


def shrink(params: dict) -> dict:
    """The smaller network without the removable hidden units (numpy arrays)."""
    w1, b1, w2, b2 = (np.asarray(params[name]) for name in ("w1", "b1", "w2", "b2"))
    live_in, live_out = np.any(w1 != 0, axis=0), np.any(w2 != 0, axis=1)
    constant = ~live_in & live_out  # output relu(b1) whatever the input: fold into b2
    keep = live_in & live_out
    return {
        "w1": w1[:, keep],
        "b1": b1[keep],
        "w2": w2[keep],
        "b2": b2 + np.maximum(b1[constant], 0) @ w2[constant],
    }


def magnitude_pruned(params: dict, n_keep: int) -> dict:
    """Keep the ``n_keep`` hidden units of largest ‖w1[:, h]‖ ‖w2[h, :]‖; zero the others."""
    w1, w2 = np.asarray(params["w1"]), np.asarray(params["w2"])
    score = np.linalg.norm(w1, axis=0) * np.linalg.norm(w2, axis=1)
    keep = np.zeros(w1.shape[1], bool)
    keep[np.argsort(-score)[:n_keep]] = True
    return {**params, "w1": jnp.asarray(w1 * keep), "w2": jnp.asarray(w2 * keep[:, None])}


def plot(kept, accuracy, magnitude, out: str) -> None:
    with _common.figure(out, "Pruning whole neurons of an MLP on digits", "lower right") as ax:
        ax.plot(kept, 100 * accuracy, "o-", ms=4, label="group soft-thresholding (16 λs)")
        ax.plot(kept, 100 * magnitude, "s--", ms=4, label="dense, then magnitude pruning")
        ax.set_xscale("log", base=2)
        ax.set_xlabel(f"hidden units kept (of {HIDDEN}, log scale)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_ylim(0, 100)


def main() -> int:
    args = _common.parse_args(__doc__, "group_pruning.png")
    steps = 150 if args.quick else 3000
    lambdas = np.concatenate([[0.0], np.geomspace(0.05, 4.0, 15)])
    print(
        f"digits: MLP 64-{HIDDEN}-10, Adam lr={LR} + group soft-thresholding of w1 columns and "
        f"w2 rows, {steps} steps of batch 128, 16 λs in one train_path call"
    )
    res, accuracy, seconds, (X_test, y_test) = _common.train_digits(
        optimizer, lambdas, hidden=HIDDEN, steps=steps
    )
    print(f"16 models in {seconds:.1f} s (compilation included)\n")

    dense = jax.tree.map(lambda x: x[0], res.params)
    print(f"{'lambda':>7} {'units kept':>10} {'test acc':>9} {'magnitude pruning':>18}")
    kept, magnitude, identical = [], [], True
    for k, lam in enumerate(lambdas):
        model = jax.tree.map(lambda x, k=k: x[k], res.params)
        small = shrink(model)
        n_keep = small["w1"].shape[1]
        full_logits = np.asarray(_common.logits(model, X_test))
        small_logits = np.asarray(_common.logits(small, np.asarray(X_test)))
        identical &= bool(np.allclose(full_logits, small_logits, atol=1e-4))
        pruned = jax.tree.map(lambda x: x[None], magnitude_pruned(dense, n_keep))
        magnitude.append(float(_common.accuracy_of(pruned, X_test, y_test)[0]))
        kept.append(n_keep)
        print(f"{lam:>7.3g} {n_keep:>10} {100 * accuracy[k]:>8.1f}% {100 * magnitude[-1]:>17.1f}%")
    print("networks with the pruned units removed predict identically:", identical)
    plot(np.array(kept), accuracy, np.array(magnitude), args.out)
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())

"""Shared by the examples (not a script): command line, figures, the digits data and an MLP."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import l1jax

# The examples' float32 products in full precision on every backend, as l1jax's own programs
# (on GPUs JAX's default is TF32, 10 bits: λ_max's gradient would round past λ_max, leaving a
# weight nonzero there, and a pruned network's logits would differ from the full one's).
jax.config.update("jax_default_matmul_precision", "highest")


def parse_args(doc: str, out: str) -> argparse.Namespace:
    """``--quick`` (a smoke run) and ``--out`` (the PNG), described by the script's docstring."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps (a smoke run)")
    parser.add_argument("--out", default=out, help=f"where to write the PNG (default {out})")
    return parser.parse_args()


NO_PLOT = 'matplotlib is not installed (pip install "l1jax[plot]"): no plot written'


class _NoAxes:
    """Axes that draw nothing, where matplotlib is not installed (the results are printed)."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


@contextlib.contextmanager
def figure(out: str, title: str, legend: str):
    """Yield fresh Axes (Agg backend); on exit add title, legend and grid and save to ``out``
    (without matplotlib: Axes that draw nothing, and a note)."""
    if importlib.util.find_spec("matplotlib") is None:
        yield _NoAxes()
        print(NO_PLOT)
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    yield ax
    ax.set_title(title)
    ax.legend(loc=legend)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print(f"plot written to {out}")


def load(seed: int = 0):
    """scikit-learn's 8×8 digits (1797 images, 10 classes), pixels scaled to [0, 1].

    Returns ``(X_train, y_train), (X_test, y_test)``: a stratified 80/20 split, float32.
    """
    if importlib.util.find_spec("sklearn") is None:
        raise SystemExit('the digits come with scikit-learn: pip install "l1jax[sklearn]"')
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        (X / 16.0).astype(np.float32), y, test_size=0.2, stratify=y, random_state=seed
    )
    return (jnp.asarray(X_train), jnp.asarray(y_train)), (jnp.asarray(X_test), jnp.asarray(y_test))


def init_mlp(key: jax.Array, n_in: int, n_hidden: int, n_out: int) -> dict:
    """He-initialized ``x ↦ relu(x @ w1 + b1) @ w2 + b2``; ``w1`` is ``(n_in, n_hidden)``."""
    k1, k2 = jax.random.split(key)
    return {
        "w1": jax.random.normal(k1, (n_in, n_hidden)) * np.sqrt(2.0 / n_in),
        "b1": jnp.zeros(n_hidden),
        "w2": jax.random.normal(k2, (n_hidden, n_out)) * np.sqrt(1.0 / n_hidden),
        "b2": jnp.zeros(n_out),
    }


def logits(params: dict, X: jax.Array) -> jax.Array:
    return jax.nn.relu(X @ params["w1"] + params["b1"]) @ params["w2"] + params["b2"]


def loss(params: dict, batch) -> jax.Array:
    """Mean softmax cross-entropy on ``batch = (X, labels)``."""
    X, labels = batch
    return optax.softmax_cross_entropy_with_integer_labels(logits(params, X), labels).mean()


@jax.jit
def accuracy_of(stacked_params: dict, X: jax.Array, labels: jax.Array) -> jax.Array:
    """``(K,)`` accuracies of K models stacked on a leading axis (a train_path result)."""
    predict = jax.vmap(lambda p: jnp.argmax(logits(p, X), axis=-1))
    return jnp.mean(predict(stacked_params) == labels, axis=-1)


def zero_fraction(stacked_params: dict) -> np.ndarray:
    """``(K,)`` fraction of exactly-zero entries of the weight matrices ``w1`` and ``w2``."""
    mats = [np.asarray(stacked_params[name]) for name in ("w1", "w2")]
    zeros = sum(np.sum(m == 0, axis=(1, 2)) for m in mats)
    return zeros / sum(m[0].size for m in mats)


def train_digits(optimizer, lambdas, *, hidden: int, steps: int, progress=False):
    """One :func:`l1jax.train_path` call on the digits (batches of 128, fixed seeds).

    Returns ``(result, test accuracies (K,), seconds incl. compilation, (X_test, y_test))``.
    """
    (X_train, y_train), (X_test, y_test) = load()
    params = init_mlp(jax.random.key(0), X_train.shape[1], hidden, 10)
    start = time.perf_counter()
    res = l1jax.train_path(
        loss,
        params,
        optimizer,
        lambdas,
        (X_train, y_train),
        steps=steps,
        batch_size=128,
        key=jax.random.key(1),
        progress=progress,
    )
    accuracy = np.asarray(accuracy_of(res.params, X_test, y_test))
    return res, accuracy, time.perf_counter() - start, (X_test, y_test)

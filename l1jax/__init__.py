"""l1jax: L1 regularization and sparsity for JAX.

Three ways in: pure penalties and prox operators (:mod:`l1jax.penalties`, :mod:`l1jax.prox`),
optax gradient transformations, and whole regularization paths in one call.
"""

from l1jax import implicit, losses, penalties, prox
from l1jax._programs import cache_dir
from l1jax.cv import CVResult, cv_path
from l1jax.losses import penalized
from l1jax.path import ConvergenceWarning, PathResult, path
from l1jax.plotting import plot_cv, plot_path, plot_stability
from l1jax.solvers import SolverResult, Status, solve_path
from l1jax.stability import StabilityResult, stability_selection

# The optax side (transforms, training, minimize) is imported on first use: a path, the CLI
# and the estimators never load optax (0.15 s of every ``import l1jax``).
_LAZY = {
    "l1jax._minimize": ("MinimizeResult", "minimize"),
    "l1jax.training": (
        "AdamProxState", "TrainPathResult", "adam_prox", "group_soft_thresholding",
        "skip_biases", "train_path",
    ),
    "l1jax.transforms": (
        "AddL1SubgradientState", "AddWeightDecayState", "ProximalGradientState",
        "ProximalState", "add_l1_subgradient", "add_weight_decay", "proximal",
        "proximal_gradient", "soft_thresholding", "sparse_params",
    ),
}  # fmt: skip
_LAZY_NAMES = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str):
    if name in _LAZY_NAMES:
        import importlib

        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
        globals()[name] = value  # (once: later lookups find it directly)
        return value
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("l1jax")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            value = "0.0.0"
        globals()[name] = value
        return value
    raise AttributeError(f"module 'l1jax' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_NAMES) | {"__version__"})


__all__ = [
    "__version__",
    "CVResult",
    "ConvergenceWarning",
    "MinimizeResult",
    "PathResult",
    "SolverResult",
    "StabilityResult",
    "Status",
    "cache_dir",
    "cv_path",
    "minimize",
    "path",
    "plot_cv",
    "plot_path",
    "plot_stability",
    "solve_path",
    "stability_selection",
    "AddL1SubgradientState",
    "AddWeightDecayState",
    "ProximalGradientState",
    "ProximalState",
    "add_l1_subgradient",
    "add_weight_decay",
    "proximal",
    "proximal_gradient",
    "soft_thresholding",
    "sparse_params",
    "AdamProxState",
    "TrainPathResult",
    "adam_prox",
    "group_soft_thresholding",
    "skip_biases",
    "train_path",
    "implicit",
    "losses",
    "penalized",
    "penalties",
    "prox",
]

"""l1jax: L1 regularization and sparsity for JAX.

Three ways in: pure penalties and prox operators (:mod:`l1jax.penalties`, :mod:`l1jax.prox`),
optax gradient transformations, and whole regularization paths in one call.
"""

from importlib.metadata import PackageNotFoundError, version

from l1jax import implicit, losses, penalties, prox
from l1jax._minimize import MinimizeResult, minimize
from l1jax._programs import cache_dir
from l1jax.cv import CVResult, cv_path
from l1jax.losses import penalized
from l1jax.path import ConvergenceWarning, PathResult, path
from l1jax.plotting import plot_cv, plot_path, plot_stability
from l1jax.solvers import SolverResult, Status, solve_path
from l1jax.stability import StabilityResult, stability_selection
from l1jax.training import (
    AdamProxState,
    TrainPathResult,
    adam_prox,
    group_soft_thresholding,
    skip_biases,
    train_path,
)
from l1jax.transforms import (
    AddL1SubgradientState,
    AddWeightDecayState,
    ProximalGradientState,
    ProximalState,
    add_l1_subgradient,
    add_weight_decay,
    proximal,
    proximal_gradient,
    soft_thresholding,
    sparse_params,
)

try:
    __version__ = version("l1jax")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

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

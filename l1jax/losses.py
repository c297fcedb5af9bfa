"""Data-fitting losses of the GLM paths, and ``penalized`` to add a penalty to any loss.

The GLM losses use the convention of ../DESIGN ("The objective"): for a linear predictor
``η = b + Xβ`` and normalized sample weights ``s`` (``Σ s = 1``),

- ``"squared"``:  ``ℓ(y, η) = ½ (y − η)²``
- ``"logistic"``: ``ℓ(y, η) = log(1 + e^η) − y η`` with ``y ∈ {0, 1}``
- ``"poisson"``:  ``ℓ(y, η) = e^η − y η`` with ``y ≥ 0`` (log link)
- ``"multinomial"`` (paths only, :data:`MULTINOMIAL`): ``ℓ(y, η) = log Σ_c e^{η_c} − Σ_c y_c η_c``
  for a one-hot row ``y`` and one linear predictor per class ``η`` (softmax, glmnet's
  symmetric parametrization); ``ℓ`` is then one value per row, ``μ(η)`` the softmax

and the data loss is ``Σ_i s_i ℓ(y_i, η_i)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from l1jax import penalties
from l1jax.prox import _check_hyperparam

__all__ = ["LOSSES", "glm_loss", "mean_function", "penalized"]

LOSSES = ("squared", "logistic", "poisson")
MULTINOMIAL = "multinomial"  # the softmax loss of class labels: l1jax.path only


def _pointwise(loss: str, y: jax.Array, eta: jax.Array, xp=jnp) -> jax.Array:
    """``ℓ(y, η)`` elementwise, with ``xp`` ``jax.numpy`` (traceable) or NumPy (host, float64)."""
    if loss == "squared":
        return 0.5 * xp.square(y - eta)
    if loss == "logistic":  # log(1 + e^η) − yη as two terms ≥ 0: the difference of the two
        # loses ε |η| to cancellation (float32 at |η| = 20: 1e-6 of a loss of 2e-9)
        return (1 - y) * xp.logaddexp(0.0, eta) + y * xp.logaddexp(0.0, -eta)
    if loss == "poisson":
        return xp.exp(eta) - y * eta
    if loss == MULTINOMIAL:  # one value per row: log Σ_c e^η_c − Σ_c y_c η_c, with η shifted
        # by its top t: log Σ_c e^(η_c − t) − Σ_c y_c (η_c − t) is two terms ≥ 0 when Σ_c y_c =
        # 1 (no cancellation, as for the logistic loss); + t (1 − Σ_c y_c) otherwise
        top = xp.max(eta, axis=-1, keepdims=True)
        shifted = eta - top
        lse = xp.log(xp.sum(xp.exp(shifted), axis=-1))
        return lse - xp.sum(y * shifted, axis=-1) + top[..., 0] * (1 - xp.sum(y, axis=-1))
    raise ValueError(f"loss must be one of {(*LOSSES, MULTINOMIAL)}, got {loss!r}")


def mean_function(loss: str, eta: jax.Array) -> jax.Array:
    """The inverse link ``μ(η)``: identity, sigmoid or exp (multinomial: the softmax over the
    last axis); the loss's gradient is ``μ(η) − y``.

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import losses
      >>> losses.mean_function("logistic", jnp.array(0.0))
      Array(0.5, dtype=float32, weak_type=True)
    """
    if loss == "squared":
        return eta
    if loss == "logistic":
        return jax.nn.sigmoid(eta)
    if loss == "poisson":
        return jnp.exp(eta)
    if loss == MULTINOMIAL:  # the class probabilities
        return jax.nn.softmax(eta, axis=-1)
    raise ValueError(f"loss must be one of {(*LOSSES, MULTINOMIAL)}, got {loss!r}")


def glm_loss(loss: str, y: jax.Array, eta: jax.Array, sample_weight: jax.Array | None = None):
    """Weighted mean GLM loss ``Σ_i s_i ℓ(y_i, η_i) / Σ_i s_i``.

    Args:
      loss: ``"squared"``, ``"logistic"``, ``"poisson"`` or ``"multinomial"``.
      y: ``(n,)`` targets (multinomial: ``(n, C)`` one-hot rows).
      eta: ``(..., n)`` linear predictors (leading axes broadcast, e.g. one row per λ;
        multinomial: ``(..., n, C)``, one per class).
      sample_weight: optional ``(n,)`` non-negative weights (normalized inside).

    Returns:
      ``(...)`` losses.

    Example:
      >>> import jax.numpy as jnp
      >>> from l1jax import losses
      >>> losses.glm_loss("squared", jnp.array([1.0, 3.0]), jnp.array([0.0, 0.0]))
      Array(2.5, dtype=float32)
    """
    if loss == MULTINOMIAL and min(jnp.ndim(y), jnp.ndim(eta)) < 2:
        raise ValueError(
            f"loss='multinomial' takes y as (n, C) one-hot rows and eta as (..., n, C), one "
            f"linear predictor per class; got y of shape {jnp.shape(y)} and eta of shape "
            f"{jnp.shape(eta)} (for two classes, loss='logistic' takes (n,) labels 0/1)"
        )
    # (broadcast explicitly: leading axes of eta under a user's jax_numpy_rank_promotion="raise")
    values = _pointwise(loss, *jnp.broadcast_arrays(y, eta))
    if sample_weight is None:
        return jnp.mean(values, axis=-1)
    s = sample_weight / jnp.sum(sample_weight)
    return jnp.sum(values * jnp.broadcast_to(s, values.shape), axis=-1)


def penalized(
    loss_fn: Callable[..., jax.Array],
    lam,
    penalty: Callable[[Any], jax.Array] = penalties.l1,
) -> Callable[..., jax.Array]:
    """Add ``lam · penalty(params)`` to a loss.

    Args:
      loss_fn: ``loss_fn(params, *args, **kwargs) -> scalar``.
      lam: the strength λ >= 0 (a number or a traced array: vmap over it works). A concrete
        negative, NaN or infinite λ is refused (``ValueError``).
      penalty: ``penalty(params) -> scalar``, by default :func:`l1jax.penalties.l1`. Use
        ``functools.partial`` for penalties with options, e.g.
        ``partial(penalties.elastic_net, l1_ratio=0.5)``.

    Returns:
      ``fn(params, *args, **kwargs) = loss_fn(params, *args, **kwargs) + lam * penalty(params)``.

    Example:
      >>> import jax.numpy as jnp
      >>> import l1jax
      >>> f = l1jax.penalized(lambda w: jnp.sum((w - 1.0) ** 2), 0.5)
      >>> f(jnp.array([1.0, -1.0]))
      Array(5., dtype=float32)
    """
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    if not callable(penalty):
        raise TypeError(f"penalty must be callable, got {type(penalty).__name__}")
    _check_hyperparam("penalized", "lam", lam, schedule=False)

    def fn(params, *args, **kwargs):
        return loss_fn(params, *args, **kwargs) + lam * penalty(params)

    return fn

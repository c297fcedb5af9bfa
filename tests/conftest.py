"""Test configuration: float64 is enabled for the whole suite (reference tests against
scikit-learn need it); float32 and bfloat16 tests pass explicit dtypes."""

import jax

jax.config.update("jax_enable_x64", True)

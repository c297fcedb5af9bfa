"""Root pytest configuration.

``tests/conftest.py`` turns float64 on for the whole session; the doctests in ``l1jax/`` show
what a user sees by default (float32), so they run with x64 switched off.
"""

import jax
import pytest


@pytest.fixture(autouse=True)
def _doctests_in_float32(request):
    if isinstance(request.node, pytest.DoctestItem):
        with jax.enable_x64(False):
            yield
    else:
        yield

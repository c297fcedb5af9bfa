"""Warnings that name the user's line: the first frame outside l1jax, however deep the call."""

from __future__ import annotations

import os
import sys

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """The ``stacklevel`` for a ``warnings.warn`` in the function that calls this one which
    names the first frame outside the l1jax package: the user's call of a public function,
    whatever decorators and internal calls lie between (as pandas' ``find_stack_level``).
    A fixed stacklevel named l1jax's own lines when a call went through one more or one fewer
    function (``_inputs.follows_float64``, ``cv_path``'s refit)."""
    frame, level = sys._getframe(1), 1  # (the function that warns: stacklevel 1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level

"""Warnings that name the user's line: the first frame outside l1jax, however deep the call."""

from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import warnings
from collections.abc import Callable

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


def add_note_once(err: BaseException, note: str) -> None:
    """``err.add_note(note)`` unless it has the note already: a user's exception object raised
    again (a module-level one, raised by each call's callback) carried it once per call."""
    if note not in getattr(err, "__notes__", ()):
        err.add_note(note)


# The class of the convergence warnings issued in this context: None (l1jax.ConvergenceWarning),
# or the one an estimator's fit sets (also scikit-learn's). A ContextVar, not a catch_warnings
# that records and re-issues: catch_warnings swaps the process's warning state, and fits in
# threads at once (joblib's threading backend) left every later warning of the process, in
# every thread, in a list nobody read (a probe).
# With it, how to say a message in the caller's words (an estimator's names for its parameters).
_CONVERGENCE: contextvars.ContextVar[tuple | None] = contextvars.ContextVar(
    "l1jax_convergence_warning", default=None
)


def warn_convergence(message: str, category: type[Warning]) -> None:
    """Issue a convergence warning at the user's line: ``message`` as ``category``, or as the
    class of :func:`convergence_as` and in its caller's words."""
    given = _CONVERGENCE.get()
    if given is not None:
        category, rename = given
        message = rename(message) if rename else message
    warnings.warn(message, category, stacklevel=user_stacklevel())


@contextlib.contextmanager
def convergence_as(category: type[Warning], rename: Callable[[str], str] | None = None):
    """Issue l1jax's convergence warnings as ``category`` in this context (this thread), their
    messages through ``rename`` (an estimator's fit: its names, not l1jax.path's)."""
    token = _CONVERGENCE.set((category, rename))
    try:
        yield
    finally:
        _CONVERGENCE.reset(token)

"""``python -m l1jax``: the command line (:mod:`l1jax.cli`; ``python -m l1jax --help``)."""

import gc
import sys

from l1jax.cli import main

if __name__ == "__main__":
    code = main()
    # Every file is written and closed: the interpreter's last collection over JAX's and
    # matplotlib's objects would only delay the exit (0.2-0.4 s), so it skips them.
    gc.freeze()
    sys.exit(code)

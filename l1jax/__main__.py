"""``python -m l1jax``: the command line (:mod:`l1jax.cli`; ``python -m l1jax --help``)."""

import sys

from l1jax.cli import main

if __name__ == "__main__":
    sys.exit(main())

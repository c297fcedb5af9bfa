"""``python -m l1jax``: the L1-versus-L2 demonstration (see :mod:`l1jax.demo`)."""

from l1jax.demo import main

if __name__ == "__main__":
    main()

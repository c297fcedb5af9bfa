"""cv_path over a grid of l1_ratio values (and mesh= checks that need only one device)."""

import jax
import numpy as np
import optax
import pytest

import l1jax

TOL = 1e-10


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 6))
    y = X[:, 0] - 1.5 * X[:, 1] + 0.7 * rng.standard_normal(40)
    return X, y, np.arange(40) % 4


@pytest.fixture(scope="module")
def grid(data):
    X, y, folds = data
    return l1jax.cv_path(
        X, y, fold_ids=folds, lambdas=10, l1_ratio=[0.3, 1.0], tol=TOL, early_stop=False
    )  # (tests/test_early_stop.py: grids that stop)


def test_grid_rows_are_the_scalar_runs(data, grid):
    X, y, folds = data
    assert grid.lambdas.shape == grid.cv_mean.shape == grid.cv_se.shape == (2, 10)
    assert grid.fold_scores.shape == (2, 4, 10)
    np.testing.assert_array_equal(grid.l1_ratio, [0.3, 1.0])
    assert len(grid.paths) == 2
    for r, ratio in enumerate([0.3, 1.0]):
        one = l1jax.cv_path(
            X, y, fold_ids=folds, lambdas=10, l1_ratio=ratio, tol=TOL, early_stop=False
        )
        assert one.cv_mean.shape == (10,) and one.l1_ratio == ratio == one.l1_ratio_min
        assert one.index_l1_ratio == 0 and len(one.paths) == 1 and one.paths[0] is one.path
        np.testing.assert_allclose(grid.lambdas[r], one.lambdas, rtol=1e-15)
        np.testing.assert_allclose(grid.cv_mean[r], one.cv_mean, rtol=1e-9)
        np.testing.assert_allclose(grid.cv_se[r], one.cv_se, rtol=1e-7)
        np.testing.assert_allclose(grid.paths[r].coef, one.path.coef, atol=1e-12)
    # each ratio has its own λ grid: λ_max scales as 1/l1_ratio
    np.testing.assert_allclose(grid.lambdas[0, 0] * 0.3, grid.lambdas[1, 0], rtol=1e-12)


def test_grid_chooses_the_best_pair_and_1se_in_its_row(grid):
    r, k = grid.index_l1_ratio, grid.index_min
    assert grid.cv_mean[r, k] == grid.cv_mean.min()
    assert grid.l1_ratio_min == grid.l1_ratio[r]
    assert grid.lambda_min == grid.lambdas[r, k]
    assert grid.path is grid.paths[r]
    bound = grid.cv_mean[r, k] + grid.cv_se[r, k]
    k1 = grid.index_1se
    assert grid.lambda_1se == grid.lambdas[r, k1] >= grid.lambda_min
    assert grid.cv_mean[r, k1] <= bound and np.all(grid.cv_mean[r, :k1] > bound)


@pytest.mark.parametrize(
    "bad, error",
    [([], ValueError), ([[0.5]], ValueError), ([0.5, 1.5], ValueError), (["a"], TypeError),
     ([True, False], TypeError), ([0.5, np.nan], ValueError)],
)  # fmt: skip
def test_bad_l1_ratio_grids(data, bad, error):
    X, y, folds = data
    with pytest.raises(error, match="l1_ratio"):
        l1jax.cv_path(X, y, fold_ids=folds, lambdas=3, l1_ratio=bad)


def test_bad_meshes(data):
    X, y, folds = data
    other = jax.make_mesh((1,), ("batch",))
    with pytest.raises(TypeError, match="mesh must be a jax.sharding.Mesh"):
        l1jax.cv_path(X, y, fold_ids=folds, lambdas=3, mesh="lambdas")
    with pytest.raises(ValueError, match="'lambdas' and/or 'data'"):
        l1jax.cv_path(X, y, fold_ids=folds, lambdas=3, mesh=other)
    with pytest.raises(ValueError, match="'lambdas' and/or 'data'"):
        l1jax.path(X, y, lambdas=3, mesh=other)
    with pytest.raises(ValueError, match="'lambdas' and/or 'data'"):
        l1jax.train_path(lambda w, d: (w**2).sum(), np.zeros(2), optax.sgd, [0.1], np.ones((3, 2)),
                         steps=1, progress=False, mesh=other)  # fmt: skip


def test_one_device_mesh_changes_nothing(data):
    """A mesh of one device runs the sharded code paths (placement, padding, constraints)."""
    X, y, folds = data
    mesh = jax.make_mesh((1, 1), ("lambdas", "data"))
    ref = l1jax.cv_path(X, y, fold_ids=folds, lambdas=5, tol=TOL)
    got = got_cv = l1jax.cv_path(X, y, fold_ids=folds, lambdas=5, tol=TOL, mesh=mesh)
    np.testing.assert_allclose(got.cv_mean, ref.cv_mean, rtol=1e-12)

    def loss(w, d):
        return 0.5 * ((d[1] - d[0] @ w) ** 2).mean()

    def opt(lam):
        return optax.chain(optax.sgd(0.1), l1jax.soft_thresholding(lam, 0.1))

    args = (loss, np.zeros(6), opt, [0.01, 0.1, 1.0], (X, y))
    ref = l1jax.train_path(*args, steps=20, progress=False)
    seen = []
    got = l1jax.train_path(*args, steps=20, mesh=mesh, progress=lambda s, v: seen.append(v))
    np.testing.assert_allclose(got.params, ref.params, atol=1e-14)
    assert len(seen) == 10 and all(v.shape == (3,) for v in seen)

    # Under the user's jax.set_mesh (jax.make_mesh's axes are Explicit), and with an X sharded
    # on it: the same (they failed inside JAX, "context mesh ... should match the aval mesh",
    # and "contracting dimensions are sharded and it is ambiguous")
    rows = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("data", None))
    with jax.set_mesh(mesh):
        again = l1jax.train_path(*args, steps=20, mesh=mesh, progress=False)
        np.testing.assert_allclose(again.params, ref.params, atol=1e-14)
        cv = l1jax.cv_path(X, y, fold_ids=folds, lambdas=5, tol=TOL, mesh=mesh)
        np.testing.assert_allclose(cv.cv_mean, got_cv.cv_mean, rtol=1e-12)
        for Xin, m in ((X, mesh), (jax.device_put(X, rows), None)):
            fit = l1jax.path(Xin, y, lambdas=5, tol=TOL, mesh=m)
            np.testing.assert_allclose(fit.coef, cv.path.coef, rtol=1e-6, atol=1e-9)
        st = l1jax.stability_selection(X, y, n_subsamples=2, lambdas=3, mesh=mesh)
        assert st.probabilities.shape[-1] == X.shape[1]


def test_plot_cv_draws_the_best_l1_ratio(grid):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = l1jax.plot_cv(grid)
    title = ax.get_title(loc="left")
    assert f"l1_ratio = {grid.l1_ratio_min:g}" in title
    assert title.startswith("4-fold")
    plt.close(ax.figure)

"""Group lasso / group elastic net: ``l1jax.path(X, y, groups=...)`` (float64 unless said).

The objective (../shared/DESIGN.md, issue 14), ``β_g`` the coefficients of group ``g``::

    (1/Σs) Σ_i s_i ℓ(y_i, b + x_iᵀβ) + λ Σ_g w_g (ρ ‖β_g‖₂ + (1 − ρ)/2 ‖β_g‖²)

on standardized columns when ``standardize=True`` (the penalty on ``σ_j β_j``). Every expected
value comes from outside l1jax: a float64 FISTA on the full problem written here in NumPy (to a
gradient-mapping norm of 1e-13), the group optimality conditions (KKT) and λ_max evaluated here,
and the plain lasso path. The data have groups of unequal sizes whose columns are not contiguous
(string labels, shuffled); problems share their shapes, so the file compiles few programs.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import l1jax

TIGHT = 1e-12
SIZES = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 4}  # 14 columns, 5 groups
N = 60


def _labels(seed=0):
    labels = np.concatenate([[g] * k for g, k in SIZES.items()])
    return np.random.default_rng(seed).permutation(labels)


def _data(loss, seed=0, n=N):
    rng = np.random.default_rng(seed)
    groups = _labels(seed)
    p = groups.size
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + rng.normal(0, 2, p)
    beta = np.where(np.isin(groups, ["c", "e"]), rng.standard_normal(p), 0.0)
    eta = (X - X.mean(0)) / X.std(0) @ beta
    if loss == "squared":
        y = eta + rng.standard_normal(n) + 1.0
    elif loss == "logistic":
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    else:
        y = rng.poisson(np.exp(0.3 + 0.4 * eta)).astype(float)
    s = rng.uniform(0.3, 3.0, n)
    return X, y, s, groups


def _smooth(loss, y, eta, s):
    """``(Σ s ℓ / Σ s, ∂/∂η)`` in NumPy."""
    w = s / s.sum()
    if loss == "squared":
        return 0.5 * w @ (y - eta) ** 2, w * (eta - y)
    if loss == "logistic":
        return w @ (np.logaddexp(0, eta) - y * eta), w * (1 / (1 + np.exp(-eta)) - y)
    mu = np.exp(eta)
    return w @ (mu - y * eta), w * (mu - y)


def _scales(X, s, standardize):
    if not standardize:
        return np.ones(X.shape[1])
    w = s / s.sum()
    return np.sqrt(w @ (X - w @ X) ** 2)


def _objective(X, y, s, codes, w, beta, b, lam, rho, loss, d):
    """The objective above on the raw scale of ``X`` (``d``: the column scales)."""
    val, _ = _smooth(loss, y, b + X @ beta, s)
    z = d * beta
    norms = np.sqrt(np.bincount(codes, z * z, w.size))
    return val + lam * np.sum(w * (rho * norms + 0.5 * (1 - rho) * norms**2))


def _reference(X, y, s, codes, w, lams, rho, loss, d, fit_intercept=True):
    """FISTA with restart and backtracking on the full problem (float64, NumPy), warm-started
    along ``lams``, each λ to a gradient-mapping norm of 1e-13: ``[(β, b)]``."""
    Xs = X / d
    p = X.shape[1]
    beta, b = np.zeros(p), 0.0
    out = []

    def f(beta, b):
        with np.errstate(over="ignore"):
            val, r = _smooth(loss, y, b + Xs @ beta, s)
        return val, Xs.T @ r, (r.sum() if fit_intercept else 0.0)

    def prox(v, t, lam):
        norms = np.sqrt(np.bincount(codes, v * v, w.size))
        keep = np.maximum(1 - t * lam * rho * w / np.where(norms > 0, norms, 1), 0)
        return v * (keep / (1 + t * lam * (1 - rho) * w))[codes]

    for lam in lams:
        x, xb, yv, yb, t_mom, step = beta, b, beta, b, 1.0, 1.0
        for _ in range(200_000):
            fy, gy, gby = f(yv, yb)
            while True:
                xn, xbn = prox(yv - step * gy, step, lam), yb - step * gby
                dx, dbx = xn - yv, xbn - yb
                fx = f(xn, xbn)[0]
                if fx <= fy + gy @ dx + gby * dbx + (dx @ dx + dbx**2) / (2 * step) + 1e-15:
                    break
                step /= 2
            mapping = np.sqrt(dx @ dx + dbx**2) / step
            restart = (yv - xn) @ (xn - x) + (yb - xbn) * (xbn - xb) > 0
            t_next = 1.0 if restart else (1 + np.sqrt(1 + 4 * t_mom**2)) / 2
            mom = 0.0 if restart else (t_mom - 1) / t_next
            yv, yb = xn + mom * (xn - x), xbn + mom * (xbn - xb)
            x, xb, t_mom = xn, xbn, t_next
            if mapping <= 1e-13:
                break
        beta, b = x, xb
        out.append((beta / d, b))
    return out


@pytest.mark.parametrize("rho", [1.0, 0.5])
@pytest.mark.parametrize("standardize", [True, False])
@pytest.mark.parametrize("loss", ["squared", "logistic", "poisson"])
def test_objective_matches_reference(loss, standardize, rho):
    X, y, s, groups = _data(loss)
    codes = np.unique(groups, return_inverse=True)[1]
    w = np.sqrt(np.bincount(codes))  # the default penalty factors, √|g|
    res = l1jax.path(X, y, loss=loss, l1_ratio=rho, lambdas=5, lambda_min_ratio=0.05,
                     sample_weight=s, standardize=standardize, groups=groups, tol=TIGHT,
                     early_stop=False)  # fmt: skip
    assert res.coef.shape == (5, X.shape[1]) and res.intercept.shape == (5,)
    assert np.all(res.converged) and np.all(res.gap <= TIGHT)
    assert np.array_equal(res.groups, groups)
    d = _scales(X, s, standardize)
    refs = _reference(X, y, s, codes, w, res.lambdas, rho, loss, d)
    for k, lam in enumerate(res.lambdas):
        ours = _objective(X, y, s, codes, w, res.coef[k], res.intercept[k], lam, rho, loss, d)
        beta, b = refs[k]
        ref = _objective(X, y, s, codes, w, beta, b, lam, rho, loss, d)
        assert abs(ours - ref) <= 1e-9 * abs(ref), (k, ours, ref)
        # groups selected whole: a group is all zero or all nonzero
        on = np.bincount(codes, res.coef[k] != 0) / np.bincount(codes)
        assert np.all((on == 0) | (on == 1)), on


def _kkt(X, y, s, codes, w, res, rho, loss, atol):
    """Group optimality at every λ on the raw scale (``standardize=False``): with ``∇`` the
    gradient of the smooth part, ``‖∇_g‖ ≤ λρw_g`` on zero groups and
    ``∇_g + λ(ρw_g β_g/‖β_g‖ + (1 − ρ)w_g β_g) = 0`` on the others; the intercept's is 0."""
    for k, lam in enumerate(res.lambdas):
        beta, b = res.coef[k], res.intercept[k]
        _, r = _smooth(loss, y, b + X @ beta, s)
        assert abs(r.sum()) <= atol
        grad = X.T @ r
        norms = np.sqrt(np.bincount(codes, beta * beta, w.size))
        for g in range(w.size):
            cols = codes == g
            if norms[g] == 0:
                assert np.linalg.norm(grad[cols]) <= lam * rho * w[g] + atol, (k, g)
            else:
                sub = lam * w[g] * (rho * beta[cols] / norms[g] + (1 - rho) * beta[cols])
                np.testing.assert_allclose(grad[cols] + sub, 0, atol=atol)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_kkt_with_unpenalized_group_wide(loss):
    """p > n (the design form for the squared loss too), weights, ρ = 0.7, and a group with
    ``w_g = 0``, fitted at every λ (refitted jointly with the intercept)."""
    rng = np.random.default_rng(3)
    n, p = 30, 40
    groups = rng.permutation(np.repeat(np.arange(12), [1, 2, 3, 4, 5, 5, 4, 3, 3, 4, 3, 3]))
    X = rng.standard_normal((n, p))
    eta = X[:, groups == 4] @ rng.standard_normal(5)
    y = eta + rng.standard_normal(n) if loss == "squared" else (eta > 0).astype(float)
    if loss == "logistic":
        y[:3] = 1 - y[:3]  # not separable by the unpenalized group
    s = rng.uniform(0.5, 2.0, n)
    w = rng.uniform(0.5, 2.0, 12)
    w[2] = 0.0
    rho = 0.7
    res = l1jax.path(X, y, loss=loss, l1_ratio=rho, lambdas=5, lambda_min_ratio=0.1,
                     standardize=False, sample_weight=s, groups=groups, penalty_factor=w,
                     tol=TIGHT, early_stop=False)  # fmt: skip
    assert np.all(res.converged)
    assert np.all(res.coef[:, groups == 2] != 0)  # unpenalized: in at every λ, λ_max included
    assert np.all(res.coef[0, groups != 2] == 0)
    # (as test_path's KKT checks: a relative gap of 1e-12 leaves gradients within ~1e-6)
    _kkt(X, y, s, groups, w, res, rho, loss, atol=2e-6)


def test_size_one_groups_equal_the_lasso_path():
    """Groups of one column with factors 1 are the lasso: the same path as without groups
    (squared and logistic, the latter by FISTA against the lasso's Newton steps; labels in any
    order): the same λs, zeros and objectives (to what a 1e-12 gap certifies)."""
    X, y, s, _ = _data("squared", seed=4)
    p = X.shape[1]
    labels = np.random.default_rng(5).permutation(p) * 10  # one group per column, shuffled
    rho = 0.8
    kw = dict(lambdas=8, tol=TIGHT, early_stop=False, sample_weight=s, l1_ratio=rho)
    d, ones = _scales(X, s, True), np.ones(p)
    for loss, target in (("squared", y), ("logistic", (y > np.median(y)).astype(float))):
        plain = l1jax.path(X, target, loss=loss, **kw)
        grouped = l1jax.path(X, target, loss=loss, groups=labels, **kw)
        np.testing.assert_allclose(grouped.lambdas, plain.lambdas, rtol=1e-12)
        assert np.array_equal(grouped.coef != 0, plain.coef != 0)
        np.testing.assert_allclose(grouped.coef, plain.coef, atol=1e-5)
        for k, lam in enumerate(plain.lambdas):
            ours, ref = (_objective(X, target, s, np.arange(p), ones, r.coef[k], r.intercept[k],
                                    lam, rho, loss, d) for r in (grouped, plain))  # fmt: skip
            assert abs(ours - ref) <= 1e-10 * ref, (loss, k, ours, ref)
    kept = labels.copy()
    labels[:] = -1  # the caller reuses the buffer: the results keep what was fitted
    np.testing.assert_array_equal(grouped.groups, kept)


@pytest.mark.parametrize("loss", ["squared", "poisson"])
def test_lambda_max_zero_groups_and_one_enters_just_below(loss):
    """λ_max = max_g ‖X̃_gᵀ S (y − μ₀)‖₂ / (ρ w_g) on the standardized columns (1/n variance),
    μ₀ the intercept-only fit; at 0.999 λ_max exactly that group enters, whole."""
    X, y, s, groups = _data(loss, seed=6)
    codes = np.unique(groups, return_inverse=True)[1]
    rho = 0.8
    w = np.array([1.0, 2.0, 0.5, 1.5, 1.0])
    ws = s / s.sum()
    Xs = (X - ws @ X) / _scales(X, s, True)
    mu0 = ws @ y  # (squared: ȳ; Poisson: e^{b₀} = ȳ)
    z = Xs.T @ (ws * (y - mu0))
    norms = np.sqrt(np.bincount(codes, z * z))
    lam_max = np.max(norms / (rho * w))
    res = l1jax.path(X, y, loss=loss, l1_ratio=rho, penalty_factor=w, sample_weight=s,
                     groups=groups, lambdas=np.array([lam_max, 0.999 * lam_max]),
                     tol=TIGHT)  # fmt: skip
    auto = l1jax.path(X, y, loss=loss, l1_ratio=rho, penalty_factor=w, sample_weight=s,
                      groups=groups, lambdas=3, tol=TIGHT)  # fmt: skip
    np.testing.assert_allclose(auto.lambdas[0], lam_max, rtol=1e-10)
    assert np.all(auto.coef[0] == 0) and np.all(res.coef[0] == 0)
    entered = np.bincount(codes, res.coef[1] != 0)
    first = np.argmax(norms / w)
    assert entered[first] == np.sum(codes == first) and entered.sum() == entered[first]


def test_float32_default_converges():
    X, y, s, groups = _data("squared", seed=7)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    res = l1jax.path(X32, y32, groups=groups, sample_weight=s, lambdas=10)
    ref = l1jax.path(X, y, groups=groups, sample_weight=s, lambdas=res.lambdas.astype(float),
                     tol=TIGHT)  # fmt: skip
    assert res.coef.dtype == np.float32 and np.all(res.converged)
    assert np.all(res.gap <= 1e-5)
    codes = np.unique(groups, return_inverse=True)[1]
    w = np.sqrt(np.bincount(codes))
    d = _scales(X, s, True)
    for k, lam in enumerate(ref.lambdas):
        ours = _objective(X, y, s, codes, w, res.coef[k].astype(float),
                          float(res.intercept[k]), lam, 1.0, "squared", d)  # fmt: skip
        best = _objective(X, y, s, codes, w, ref.coef[k], ref.intercept[k], lam, 1.0,
                          "squared", d)  # fmt: skip
        assert ours - best <= 1e-4 * best, (k, ours, best)


@pytest.mark.parametrize("loss", ["squared", "logistic", "poisson"])
def test_float32_raw_columns_of_different_units_converge(loss):
    """standardize=False, each group's columns in units 10⁻² to 10³ apart (one of them a single
    column): the groups share one scale each (_inputs.group_preconditioned), and float32 paths
    converge as standardized ones do, to the objective of the float64 path. (Unscaled, the
    squared and Poisson paths left λs unconverged in float32; float64 took up to 200 times the
    iterations.)"""
    X, y, s, groups = _data(loss, seed=8)
    unit = dict(zip(SIZES, [1e3, 1e-2, 1.0, 30.0, 0.1], strict=True))
    X = X * np.array([unit[g] for g in groups]) * np.random.default_rng(9).uniform(0.5, 2, 14)
    kw = dict(loss=loss, groups=groups, sample_weight=s, standardize=False, l1_ratio=0.9)
    res = l1jax.path(X.astype(np.float32), y.astype(np.float32), lambdas=12, **kw)
    assert np.all(res.converged) and res.coef.dtype == np.float32
    ref = l1jax.path(X, y, lambdas=res.lambdas.astype(float), tol=TIGHT, **kw)
    assert np.all(ref.converged)
    codes = np.unique(groups, return_inverse=True)[1]
    w, ones = np.sqrt(np.bincount(codes)), np.ones(X.shape[1])
    for k, lam in enumerate(ref.lambdas):
        ours, best = (_objective(X, y, s, codes, w, r.coef[k].astype(float),
                                 float(r.intercept[k]), lam, 0.9, loss, ones)
                      for r in (res, ref))  # fmt: skip
        assert ours - best <= 1e-4 * abs(best), (k, ours, best)


def test_bad_input_by_name():
    X, y, s, groups = _data("squared")
    p = X.shape[1]
    cases = [
        (dict(groups=groups[:-1]), ValueError, r"groups must be a 1-D array with one label"),
        (dict(groups=np.where(np.arange(p) == 3, np.nan, 1.0)), ValueError, "groups contains NaN"),
        (dict(groups=np.array(["a", None] * (p // 2), dtype=object)), ValueError,
         "groups contains missing labels"),
        (dict(groups=groups, penalty_factor=np.ones(p)), ValueError,
         r"penalty_factor must have one entry per group \(5"),
        (dict(groups=groups, penalty_factor=-np.ones(5)), ValueError,
         "penalty_factor must be non-negative"),
        (dict(groups=groups, positive=True), ValueError, "positive=True is not supported with "
         "groups"),
    ]  # fmt: skip
    for kwargs, error, match in cases:
        with pytest.raises(error, match=match):
            l1jax.path(X, y, lambdas=3, **kwargs)
    with pytest.raises(ValueError, match="groups is not supported with a 2-D.* fit the col"):
        l1jax.path(X, np.stack([y, y], 1), groups=groups)
    with pytest.raises(ValueError, match="with loss='multinomial'.*pass groups=None, grouped=True"):
        l1jax.path(X, (y > 1).astype(int), loss="multinomial", groups=groups)
    with pytest.raises(ValueError, match="a sparse X is not supported with groups"):
        l1jax.path(sp.csr_matrix(X), y, groups=groups)
    import jax

    mesh = jax.make_mesh((1,), ("data",))
    with pytest.raises(ValueError, match="groups runs on one device"):
        l1jax.path(X, y, groups=groups, mesh=mesh)
    with pytest.raises(TypeError, match="groups"):
        l1jax.stability_selection(X, y, groups=groups)


def test_cv_path_with_groups_matches_path_on_each_fold():
    """Fold scores are the held-out MSE of path fits on each fold's training rows alone."""
    X, y, s, groups = _data("squared", seed=8)
    folds = np.arange(N) % 3
    cv = l1jax.cv_path(X, y, fold_ids=folds, groups=groups, lambdas=8, tol=TIGHT,
                       early_stop=False, sample_weight=s)  # fmt: skip
    assert cv.cv_mean.shape == (8,) and cv.lambdas[cv.index_min] == cv.lambda_min
    assert np.array_equal(cv.path.groups, groups)
    for f in range(3):
        train, held = folds != f, folds == f
        fit = l1jax.path(X[train], y[train], groups=groups, lambdas=cv.lambdas, tol=TIGHT,
                         sample_weight=s[train])  # fmt: skip
        err = (y[held] - fit.predict(X[held])) ** 2
        np.testing.assert_allclose(cv.fold_scores[f], err @ s[held] / s[held].sum(), rtol=1e-6)


def test_group_labels_mixing_strings_and_numbers_are_refused():
    """NumPy turned [1, "1", 2, 2] into the strings ['1', '1', '2', '2']: one group of two."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 4)), rng.standard_normal(20)
    with pytest.raises(TypeError, match="groups mixes strings and numbers"):
        l1jax.path(X, y, groups=[1, "1", 2, 2], lambdas=3)


@pytest.mark.parametrize("groups", [True, 2.0, None, "2"])
def test_group_lasso_names_an_int_group_size_or_labels(groups):
    from l1jax.estimators import GroupLasso

    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match="groups must be a label per feature .* or an int"):
        GroupLasso(groups=groups).fit(rng.standard_normal((20, 4)), rng.standard_normal(20))


def test_lists_of_column_indices_are_skglms_groups():
    """skglm's other form, groups[g] the columns of group g, failed with NumPy's
    "inhomogeneous shape" (no word of groups); it fits the groups of those labels, in the
    lists' order (penalty_factor too). A list of group sizes, skglm's third form, is told how
    to write them as labels; lists that do not partition the columns are refused by column."""
    from l1jax.estimators import GroupLasso

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 6)), rng.standard_normal(30)
    X[:, 4] += 2 * y
    lists = [[4, 0], (2, 3, 1, 5)]
    labels = np.array([0, 1, 1, 1, 0, 1])
    a = l1jax.path(X, y, groups=lists, lambdas=5, penalty_factor=[1.0, 3.0])
    b = l1jax.path(X, y, groups=labels, lambdas=5, penalty_factor=[1.0, 3.0])
    np.testing.assert_array_equal(a.coef, b.coef)
    np.testing.assert_array_equal(a.groups, labels)
    import jax.numpy as jnp

    np.testing.assert_array_equal(
        l1jax.path(X, y, groups=[jnp.array([4, 0]), jnp.array([2, 3, 1, 5])], lambdas=5,
                   penalty_factor=[1.0, 3.0]).coef, b.coef)  # fmt: skip
    fit = GroupLasso(alpha=0.05, groups=[range(2), np.arange(2, 6)]).fit(X, y)
    ref = GroupLasso(alpha=0.05, groups=[0, 0, 1, 1, 1, 1]).fit(X, y)
    np.testing.assert_array_equal(fit.coef_, ref.coef_)
    cases = [
        ([[0, 1], [2, 3, 4]], r"columns \[5\] are in none"),
        ([[0, 1], [1, 2, 3, 4, 5]], "column 1 is in groups 0 and 1"),
        ([[0, 1, 1], [2, 3, 4, 5]], "column 1 is twice in group 0"),
        ([[0, 1], [2, 3, 4, 9]], r"ints in \[0, 6\); group 1 holds 9"),
        ([[0, 1.5], [2, 3, 4, 5]], "one list per group; group 0 is"),
        ([2, 4], r"skglm's group sizes are np.repeat\(np.arange\(len\(sizes\)\), sizes\)"),
    ]
    for groups, match in cases:
        with pytest.raises(ValueError, match=match):
            l1jax.path(X, y, groups=groups, lambdas=3)


def test_a_jax_sparse_x_is_told_to_call_todense():
    """The refusals of a sparse X said X.toarray(), which a BCOO does not have."""
    from jax.experimental import sparse as jsparse

    X, y, _, groups = _data("squared")
    with pytest.raises(ValueError, match=r"pass a dense X \(X.todense\(\)\)"):
        l1jax.path(jsparse.BCOO.fromdense(X), y, groups=groups)
    with pytest.raises(ValueError, match=r"pass a dense X \(X.toarray\(\)\)"):
        l1jax.path(sp.csr_array(X), y, groups=groups)

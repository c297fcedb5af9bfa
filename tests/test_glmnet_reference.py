"""l1jax.path and l1jax.cv_path against R's glmnet 4.1-6 (Debian's r-cran-glmnet), solved
tightly there (``thresh=1e-22``, ``maxit=1e7``): tests/data/glmnet_reference.npz holds the inputs
and glmnet's λs, coefficients and intercepts of 14 paths (gaussian, binomial, poisson, mgaussian
and multinomial, grouped and not; the lasso and α = 0.5; weights and penalty factors summing to
p, as glmnet rescales them; ``lower.limits=0``; no intercept without standardization; glmnet's
own automatic grid, with its early stop, at n > p and n = p, and for mgaussian (whose stop is
relative to the deviance left) and multinomial), and 8 ``cv.glmnet`` runs with
their fold ids (binomial and poisson deviance with weights, mgaussian mse, binomial AUC and
misclassification, multinomial misclassification, 2 rows per fold and leave-one-out, where
glmnet enforces ``grouped=FALSE``). Written by glmnet, not by l1jax:
R is not needed to run this test; benchmarks/glmnet/ makes the file (reference.py).

glmnet's conventions that differ from l1jax's objective (the docstring of :func:`l1jax.path`)
are left out: its gaussian elastic net on standardized y, its rescaled penalty factors (these
sum to p), its ``intercept=FALSE`` standardization."""

import json
import os

import numpy as np
import pytest

import l1jax

DATA = np.load(os.path.join(os.path.dirname(__file__), "data", "glmnet_reference.npz"))
NAMES = sorted({key.split("/")[0] for key in DATA.files})
CASES = [name for name in NAMES if not name.startswith("cv_")]
CV_CASES = [name for name in NAMES if name.startswith("cv_")]
LOSS = {"gaussian": "squared", "mgaussian": "squared", "binomial": "logistic",
        "poisson": "poisson", "multinomial": "multinomial"}  # fmt: skip


def _case(name):
    spec = json.loads(str(DATA[f"{name}/spec"]))
    get = lambda key: DATA[f"{name}/{key}"] if f"{name}/{key}" in DATA.files else None  # noqa: E731
    y = get("y")
    y = y if spec["family"] == "mgaussian" else y[:, 0]
    if spec["family"] == "multinomial":
        y = y.astype(int)
    given = get("lambda")
    opts = dict(loss=LOSS[spec["family"]], l1_ratio=spec["alpha"],
                standardize=spec["standardize"], fit_intercept=spec["intercept"],
                positive=spec["lower"], sample_weight=get("w"), penalty_factor=get("pf"),
                lambdas=spec["nlambda"] if given is None else given)  # fmt: skip
    if spec["family"] == "multinomial":
        opts["grouped"] = spec["type"] == "grouped"
    glmnet = {k: get(f"glmnet_{k}") for k in ("lambda", "beta", "intercept", "cvm", "cvsd",
                                               "cvsel")}  # fmt: skip
    glmnet["foldid"] = get("foldid")  # (an input of the cv cases, not a glmnet output)
    if spec["cv"]:  # (glmnet's type.measure, named as cv_path's scoring)
        opts["scoring"] = {"default": None, "auc": "auc",
                           "class": "misclassification"}[spec["measure"]]  # fmt: skip
    return get("X"), y, opts, glmnet, spec


@pytest.mark.parametrize("name", CASES)
def test_paths_match_glmnet(name):
    X, y, opts, glmnet, spec = _case(name)
    res = l1jax.path(X, y, tol=1e-13, **opts)  # (1e-14: the n = p path's last λs round)
    _assert_path_matches(res, glmnet, spec)


@pytest.mark.parametrize("name", CV_CASES)
def test_cross_validation_matches_cv_glmnet(name):
    """``cv.glmnet`` with its λs and fold ids given (without them its folds fit grids of their
    own, interpolated: see :func:`l1jax.path`'s docstring): the same mean scores (deviance for
    binomial and poisson, mean squared error for gaussian and mgaussian, AUC, misclassification),
    standard errors (under 3 rows per fold over the rows, as glmnet's grouped=FALSE: 3-10%
    apart before), lambda.min and lambda.1se, and the refit on all rows."""
    X, y, opts, glmnet, spec = _case(name)
    cv = l1jax.cv_path(X, y, fold_ids=glmnet["foldid"].astype(int) - 1, tol=1e-13, **opts)
    np.testing.assert_allclose(cv.cv_mean, glmnet["cvm"], rtol=1e-7)
    np.testing.assert_allclose(cv.cv_se, glmnet["cvsd"], rtol=1e-5)  # (folds differ: 1.1e-6)
    assert [cv.lambda_min, cv.lambda_1se] == pytest.approx(list(glmnet["cvsel"]), rel=1e-12)
    _assert_path_matches(cv.path, glmnet, spec)


def _assert_path_matches(res, glmnet, spec):
    assert np.all(np.asarray(res.converged))
    # the same grid: glmnet's λ_max and lambda.min.ratio, and its early stop
    lams = np.asarray(res.lambdas)
    assert lams.shape == glmnet["lambda"].shape
    np.testing.assert_allclose(lams, glmnet["lambda"], rtol=1e-12)
    coef, b = np.asarray(res.coef), np.asarray(res.intercept)
    b_ref = glmnet["intercept"]
    if spec["family"] == "multinomial" and spec["intercept"]:  # centred, as glmnet's
        np.testing.assert_allclose(b.sum(-1), 0.0, atol=1e-12 * np.abs(b).max())  # (they
        # summed to -3.3 to -4.1: the null model's log proportions, a shift changing nothing)
    scale = np.max(np.abs(glmnet["beta"]))
    # to glmnet's own accuracy (measured: 4e-8 or less, but 1.4-4.3e-7 for the multinomial
    # grouped elastic net, lower.limits=0 and no intercept: glmnet's, as l1jax's gap
    # certifies 1e-13 there)
    np.testing.assert_allclose(coef, glmnet["beta"], rtol=0, atol=1e-6 * scale)
    np.testing.assert_allclose(b, b_ref, rtol=0, atol=1e-6 * max(scale, np.max(np.abs(b_ref))))
    np.testing.assert_array_equal(coef != 0, glmnet["beta"] != 0)  # the same supports

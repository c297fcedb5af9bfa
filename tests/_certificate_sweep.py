"""A randomized search for certificates that lie (not collected by pytest: minutes of runtime).

``python tests/_certificate_sweep.py [SEED] [SECONDS] [multi] [sparse] [wide] [scales]`` draws
problems (squared, logistic and Poisson losses; with or without intercept, standardization,
``positive``, elastic net, unpenalized features, sample weights; nearly collinear columns; with
``multi``: multi-task, multinomial (entrywise or grouped) and group-lasso paths instead) until
SECONDS have passed, fits each path at a loose ``tol`` and again at ``tol=1e-12``, and prints
every converged λ whose objective exceeds the tight fit's by more than the sum of both reported
gaps (a gap that does not bound the error), or whose gap is negative beyond rounding (an
infeasible point or dual). With ``sparse``, 30-90% of X's entries are set to 0 and the loose fit
takes X as a SciPy CSC matrix (the tight fit the dense X: the other form of the engine); with
``wide``, X has 600-1500 columns (:func:`draw`) and the path goes down to 1e-3 λ_max; with
``scales``, each column of X is scaled by its own 10^U(−3, 3) (raw features of different units:
the lasso and elastic net are solved on scaled columns, their penalty factors divided by σ and
σ²). Objectives are computed here in NumPy (float64), as tests/test_certificates.py does.
``JAX_ENABLE_X64=0`` fits float32 copies of X (their objectives still in float64).

2026-12-02: 24,131 converged λs in 7 minutes, no gap below the error; three negative gaps of
−1e-9 to −8e-9 · P_null, all logistic with two nearly collinear unpenalized columns (the free
block's Newton solve is then accurate to about cond · ε, not ε), the largest excess 2.9e-11.
Seed 3: 19,388 λs, none flagged. (A run with ``JAX_ENABLE_X64=0``, seed 4, 2,531 λs, was taken
for float32, but float64 data is solved in float64 whatever JAX's setting: that mode now casts X
to float32.) Seed 6 flagged a Poisson path with two
gaps of −4.5e-10 and −1.6e-10 (uncentred unpenalized columns beside the intercept).

Since the free block's leftover gradient is added to the gap (``solvers._certify``, 2026-12-02,
eleventh session): seed 2, 114,384 λs in 15 minutes, no gap below the error; the only flag is
a gap of −5.4e-13 · P_null on the Gram form (squared loss, p ≤ n) with two unpenalized columns at
λ_max, where P and D come from ``yy``, ``cᵀβ`` and ``βᵀGβ``, which cancel: the Gram form's
rounding, with a true excess of 0 (since e98b9eb the Gram form's gap is formed from the
gradients instead, and that path's gaps are ≥ 0; seed 7 after it, 1,719 λs: none flagged).
Seed 6, 41,386 λs: none flagged. ``multi``, seeds 1-3:
12,761 λs (multi-task, multinomial, group lasso), none flagged. float32 (X cast), seed 4: 484
converged λs, one flag: a Poisson gap of −1.8e-6 · P_null with a true excess of 0 (float32's
rounding of P − D, 15 ε); ``multi`` seed 5: 167 λs, none.

Twelfth session, after FISTA's step to the free block's refit (4edd1ac): seed 8, 3,430 λs;
``multi`` seed 9, 1,598 λs; float32 seed 10, 294 λs: none flagged. After Newton's re-solve of
its direction (logistic, Poisson, multinomial; 120a181 and after): seed 11, 11,692 λs;
``multi`` seed 12, 3,647 λs; float32 ``multi`` seed 13, 138 λs: none flagged.

Thirteenth session, after Newton's stall rule and FISTA's fixed-point stop (717b3da-113637a):
seeds 14 (35,026 λs) and 17 (6,412); float32 seeds 15 (384) and 16 (411); float32 ``multi``
seed 18 (236): none flagged.

Fourteenth session, after the multinomial's FISTA step by the local curvature and its Newton
steps at every entrywise size (32e9c7a, 8cddbab): ``multi`` seeds 19 (29,106 λs) and 20
(14,387); float32 ``multi`` seed 21 (633): none flagged.

Fifteenth session, after working sets in pieces, FISTA on dense widths and 5 power steps
(5e5a10e-e4a77c3): seed 22 (38,944 λs), float32 seed 23 (1,093), ``multi`` seed 24 (4,626):
none flagged.

Sixteenth session, after float32 ranking, the capacity's own width on demand and blocks of one
λ unbatched (c74fbd0-6fd8dfd): seed 25 (58,561 λs), float32 seed 26 (1,080), ``multi`` seed 27
(3,063): none flagged.

Seventeenth session, after extrapolated warm starts and the host's Gram in slices (d903be6,
3a94c52): seed 28 (39,428 λs), ``multi`` seed 29 (2,889): none flagged. After FISTA's first step
at 1.3/L (8de7863): seed 30 (3,028 λs), none flagged; float32 seed 31 (457): one Poisson gap of
−2.1e-6 · P_null with a true excess of 0 (float32's rounding of P − D, as seed 4's).

Eighteenth session: seed 32 (102,029 λs) after FISTA's certificate every 6 iterations
(d17a91d); seed 33 (64,557) after the logistic/Poisson curvature by 2 power steps too (113b52d):
none flagged. float32 seed 34 (2,390): two logistic gaps of −1.2e-6 and −2.3e-6 · P_null (the
second at λ_max, the null model) with true excesses of −3e-13 and 0; the tight fits (tol 1e-12)
give the same negative gaps, so they are float32's rounding of P − D (10-20 ε), not the stop.
``multi`` seed 35 (8,720 λs: multi-task, multinomial, group lasso): none flagged.

Nineteenth session, after logistic and Poisson blocks of 4 λs (9821831): seed 36 (74,803 λs),
none flagged; float32 seed 37 (3,241): one Poisson gap of −1.4e-6 · P_null at λ_max (the null
model) with a true excess of 0 and the same gap at tol 1e-12: float32's rounding of P − D.

Thirty-fifth session, on the engine of 4c87986 (working sets in pieces, dense widths, the squared
loss's small Gram matrices one λ at a time, and the rest of sessions 20-34): seed 38 (52,254 λs);
``multi`` seed 45 (5,302); float32 seed 47 (3,113). The new modes: ``sparse`` seed 39 (3,975 λs),
float32 ``sparse`` seed 41 (994); ``wide`` seeds 42 (1,068 λs) and 44 (652; supports up to 762
columns), ``wide sparse`` seed 43 (188; up to 786), float32 ``wide`` seed 46 (86; up to 675). None
flagged.

Thirty-sixth session, with FISTA's stall rule (187c704, dd9fd26), 300 s each: float32 seed 48
(6,442 λs), float32 ``wide`` seed 49 (300; supports up to 710), seed 50 (18,644), ``multi`` seed
51 (3,208). None flagged.

Thirty-seventh session, the elastic net on scaled columns (v/σ and v/σ², 5a955f1), the new mode
``scales``, 300 s each: seed 52 (24,448 λs), float32 seed 53 (3,495). None flagged.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

os.environ.setdefault("JAX_ENABLE_X64", "1")
FLOAT32 = os.environ["JAX_ENABLE_X64"].lower() in ("0", "false")  # fits in float32
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import scipy.sparse  # noqa: E402
from scipy.special import logsumexp  # noqa: E402
from test_certificates import _objective  # noqa: E402

import l1jax  # noqa: E402
from l1jax import solvers  # noqa: E402


def _design(rng, widths, heights=(20, 50, 120)):
    """``X``: n × p (n one of ``heights``, p one of ``widths``), scaled by 1 or 10, shifted by 0
    or 3, and in 30% of the draws with a second column nearly collinear with the first."""
    n, p = int(rng.choice(heights)), int(rng.choice(widths))
    X = rng.standard_normal((n, p)) * rng.choice([1, 10]) + rng.choice([0, 3])
    if rng.random() < 0.3:
        X[:, 1] = X[:, 0] + 1e-3 * rng.standard_normal(n)
    return X


def _response(rng, loss, eta):
    """``y`` of the squared, logistic or Poisson loss around ``eta`` (all three drawn, so that a
    seed's problems do not depend on the loss)."""
    n = eta.shape[0]
    return {"squared": eta + rng.standard_normal(n),
            "logistic": (rng.random(n) < 1 / (1 + np.exp(-2 * eta))).astype(float),
            "poisson": rng.poisson(np.exp(0.5 * eta)).astype(float)}[loss]  # fmt: skip


def draw(rng, wide=False, scales=False):
    """A problem of the squared, logistic or Poisson loss; ``wide``: 600-1500 columns and 150-700
    rows, whose supports outgrow the engine's first capacities (and, past 512, its dense
    widths)."""
    loss = str(rng.choice(["squared", "logistic", "poisson"]))
    X = _design(rng, [600, 1500], [150, 700]) if wide else _design(rng, [5, 30, 150])
    n, p = X.shape
    if scales:
        X = X * 10.0 ** rng.uniform(-3, 3, p)
    beta = np.zeros(p)
    beta[:3] = rng.standard_normal(3)
    eta = X @ beta / max(1, np.std(X @ beta))
    y = _response(rng, loss, eta)
    opts = dict(loss=loss, fit_intercept=bool(rng.random() < 0.8),
                standardize=bool(rng.random() < 0.6), positive=bool(rng.random() < 0.2),
                l1_ratio=float(rng.choice([1.0, 0.5, 0.9])))  # fmt: skip
    if rng.random() < 0.4:
        v = np.ones(p)
        v[rng.choice(p, size=2, replace=False)] = 0
        opts["penalty_factor"] = v
    if rng.random() < 0.4:
        opts["sample_weight"] = rng.uniform(0.2, 3, n)
    return X, y, opts, float(rng.choice([1e-3, 1e-5, 1e-7]))


def draw_multi(rng, scales=False):
    """A multi-task (squared), multinomial or group-lasso problem, drawn as :func:`draw`."""
    kind = str(rng.choice(["multitask", "multinomial", "group"]))
    X = _design(rng, [5, 12, 60])
    n, p = X.shape
    if scales:
        X = X * 10.0 ** rng.uniform(-3, 3, p)
    Z = (X - X.mean(0)) / X.std(0)
    opts = dict(fit_intercept=bool(rng.random() < 0.8), standardize=bool(rng.random() < 0.6),
                l1_ratio=float(rng.choice([1.0, 0.5, 0.9])))  # fmt: skip
    if rng.random() < 0.4:
        opts["sample_weight"] = rng.uniform(0.2, 3, n)
    m = int(rng.choice([2, 3, 4]))
    B = np.zeros((p, m))
    B[:3] = 2 * rng.standard_normal((3, m))
    if kind == "multitask":
        y = Z @ B + rng.standard_normal((n, m)) + rng.normal(0, 1, m)
        opts["loss"] = "squared"
        unpenalized = rng.random() < 0.4
    elif kind == "multinomial":  # (no zero penalty_factor with it)
        eta = Z @ B
        prob = np.exp(eta - logsumexp(eta, axis=1, keepdims=True))
        y = (rng.random((n, 1)) > np.cumsum(prob, axis=1)).sum(axis=1)
        y[:2] = [0, 1]  # (two classes at least)
        opts.update(loss="multinomial", fit_intercept=True, grouped=bool(rng.random() < 0.5))
        unpenalized = False
    else:
        opts["loss"] = loss = str(rng.choice(["squared", "logistic", "poisson"]))
        opts["groups"] = codes = np.r_[np.arange(p // 3), rng.integers(0, p // 3, p - p // 3)]
        y = _response(rng, loss, Z @ np.where(codes == 0, B[:, 0], 0) / 2)
        unpenalized = rng.random() < 0.4
    if unpenalized:  # (a group's weight 0: the default weights √|g| otherwise)
        v = np.sqrt(np.bincount(codes)) if kind == "group" else np.ones(p)
        v[rng.choice(v.size, size=2 if kind != "group" else 1, replace=False)] = 0
        opts["penalty_factor"] = v
    return X, y, opts, float(rng.choice([1e-3, 1e-5, 1e-7]))


def _objective_multi(opts, X, y, s, coef, b, lam, v, sd):
    """The objective of a :func:`draw_multi` problem (``s`` normalized), in NumPy."""
    eta = b + X @ coef
    loss, rho, z = opts["loss"], opts["l1_ratio"], coef * (sd if coef.ndim == 1 else sd[:, None])
    if loss == "multinomial":
        Y = y[:, None] == np.unique(y)[None, :]
        smooth = s @ (logsumexp(eta, axis=1) - np.sum(Y * eta, axis=1))
    elif coef.ndim == 2:
        smooth = 0.5 * s @ np.sum((y - eta) ** 2, axis=1)
    else:
        return _objective(loss, X, y, s, coef, b, 0.0, rho, 0, sd) + lam * _group_penalty(
            opts["groups"], z, v, rho)  # fmt: skip
    entrywise = loss == "multinomial" and not opts["grouped"]
    norms = np.abs(z) if entrywise else np.linalg.norm(z, axis=1)
    vv = v[:, None] if norms.ndim == 2 else v
    return smooth + lam * np.sum(vv * (rho * norms + 0.5 * (1 - rho) * norms**2))


def _path_objective(multi, opts, X, y, s, v, sd, fit, k):
    """The objective at λ ``k`` of the path ``fit``."""
    coef, b, lam = fit.coef[k], fit.intercept[k], fit.lambdas[k]
    if multi:
        return _objective_multi(opts, X, y, s, coef, b, lam, v, sd)
    return _objective(opts["loss"], X, y, s, coef, b, lam, opts["l1_ratio"], v, sd)


def _group_penalty(codes, z, v, rho):
    norms = np.sqrt(np.bincount(codes, z * z, v.size))
    return np.sum(v * (rho * norms + 0.5 * (1 - rho) * norms**2))


def _p_null(opts, y, s):
    """P_null: the intercept-only model's objective (for Poisson, minus the saturated
    model's)."""
    if opts["loss"] == "multinomial":
        f = np.bincount(np.unique(y, return_inverse=True)[1], s)
        return -f @ np.log(f)
    if y.ndim == 2:
        r = y - (s @ y if opts["fit_intercept"] else 0)
        return 0.5 * s @ np.sum(r * r, axis=1)
    return float(solvers.gap_scale(opts["loss"], y, s, opts["fit_intercept"], np))


def main(
    seed: int,
    seconds: float,
    multi: bool = False,
    sparse: bool = False,
    wide: bool = False,
    scales: bool = False,
) -> None:
    if multi and (sparse or wide):  # (l1jax refuses a sparse X with them)
        raise SystemExit("sparse and wide are modes of the single-response draws, not of multi")
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(seed)
    bad = total = widest = 0
    start = time.time()
    while time.time() - start < seconds:
        X, y, opts, tol = draw_multi(rng, scales) if multi else draw(rng, wide, scales)
        if sparse:
            X = np.where(rng.random(X.shape) < rng.uniform(0.3, 0.9), 0.0, X)
        if FLOAT32:  # (X's dtype sets the precision: float64 data is solved in float64)
            X = X.astype(np.float32).astype(np.float64)  # the data the fit sees, exactly
        data = X.astype(np.float32) if FLOAT32 else X
        try:
            loose = scipy.sparse.csc_matrix(data) if sparse else data
            deeper = {"lambda_min_ratio": 1e-3} if wide else {}  # (larger supports)
            res = l1jax.path(loose, y, lambdas=10, tol=tol, **deeper, **opts)
            ref = l1jax.path(data, y, lambdas=res.lambdas, tol=1e-12, max_iter=200_000, **opts)
        except ValueError:  # (a single class, all-zero counts: refused, as documented)
            continue
        n, p = X.shape
        s = opts.get("sample_weight", np.ones(n))
        s = s / s.sum()
        Xm = X - (s @ X if opts["fit_intercept"] else 0)
        sd = np.sqrt(s @ Xm**2) if opts["standardize"] else np.ones(p)
        if "groups" in opts:  # (one weight per group: √|g| by default)
            opts["groups"] = np.unique(opts["groups"], return_inverse=True)[1]
            v = opts.get("penalty_factor", np.sqrt(np.bincount(opts["groups"])))
        else:
            v = opts.get("penalty_factor", np.ones(p))
        p_null = _p_null(opts, y, s)
        args = (multi, opts, X, y, s, v, sd)
        for k in range(len(res.lambdas)):
            if not res.converged[k]:
                continue
            total += 1
            widest = max(widest, int(np.count_nonzero(res.coef[k])))
            f, f_ref = _path_objective(*args, res, k), _path_objective(*args, ref, k)
            excess = (f - f_ref) / p_null
            eps = np.finfo(res.coef.dtype).eps
            floor = 500 * eps  # (1e-13 in float64; 6e-5 in float32)
            slack = max(1e-12, 10 * eps)  # (float32: gaps of ±1e-7 are its rounding)
            if excess > res.gap[k] + max(ref.gap[k], 0) + slack or res.gap[k] < -floor:
                bad += 1
                shown = {k: v for k, v in opts.items() if k not in ("sample_weight", "groups")}
                print(f"λ {k}: excess {excess:.2e}, gap {res.gap[k]:.2e}, tight gap "
                      f"{ref.gap[k]:.2e}, tol {tol:g}, {n} × {p}, {shown}", flush=True)  # fmt: skip
    print(f"{total} converged λs checked, {bad} flagged; largest support {widest}")


if __name__ == "__main__":
    modes = sys.argv[3:]
    if set(modes) - {"multi", "sparse", "wide", "scales"}:
        raise SystemExit(f"unknown mode in {modes}: the modes are multi, sparse, wide and scales")
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 0,
         float(sys.argv[2]) if len(sys.argv) > 2 else 300.0, "multi" in modes, "sparse" in modes,
         "wide" in modes, "scales" in modes)  # fmt: skip

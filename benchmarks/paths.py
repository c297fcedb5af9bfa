"""Whole-path benchmark: l1jax.path against scikit-learn, skglm and celer, in one process.

Usage::

    python benchmarks/paths.py [--quick] [--problems A,B,C,D] [--tools l1jax,celer,...]
                               [--repeat N] [--markdown] [--set NAME=VALUE] [--no-reference]

Problems (issue 7). Columns are Gaussian with Toeplitz correlation corr(x_i, x_j) = 0.6^|i-j|,
drawn by an AR(1) recursion across columns (x_0 = z_0, x_j = 0.6 x_{j-1} + sqrt(1 - 0.36) z_j),
then standardized (mean 0, variance 1 with the 1/n convention). β* has 50 nonzeros at random
positions with random signs and unit magnitude. float64, fixed seeds.

====  ==================  =====  ======  =========  ==============================
name  loss                n      p       quick n×p  100 λ (quick: 20) down to
====  ==================  =====  ======  =========  ==============================
A     squared (lasso)     1000   5000    200×1000   1e-2·λ_max
B     squared (lasso)     10000  500     2000×100   1e-3·λ_max
C     squared (lasso)     200    20000   50×2000    1e-2·λ_max
D     logistic (L1)       2000   2000    300×300    1e-2·λ_max
====  ==================  =====  ======  =========  ==============================

Squared loss: y = Xβ* + ε with signal-to-noise ratio Var(Xβ*)/Var(ε) = 5, then y is centred.
Logistic: y ~ Bernoulli(sigmoid(Xβ*)) in {0, 1}, with β* scaled so that std(Xβ*) = 2.

Every tool solves, on the same log-spaced λ grid with warm starts (liblinear has none), the
objective of DESIGN.md

    P(β, b) = (1/n) Σ ℓ(y_i, b + x_iᵀβ) + λ‖β‖₁,
    ℓ = ½(y − η)²  (squared)   or   log(1 + e^η) − yη  (logistic),

with an unpenalized intercept b; λ_max = ‖Xᵀ(y − ȳ)‖∞ / n for both losses. For the squared
loss X and y are centred, so the optimal intercept is 0 at every λ and the intercept-free path
functions of scikit-learn and celer solve exactly this problem. For logistic, liblinear's and
celer's intercepts ride on a constant column of 1e4 (penalty λ|b|/1e4, negligible).

Accuracy, by one function (:func:`relative_gaps`) applied to every tool's returned coefficients
and intercept: the worst over λ of the relative duality gap (P(β, b) − D(θ)) / P_null, P_null
the objective of the intercept-only model (the ``tol`` convention of ``l1jax.path``), at two
dual points θ:

- "own θ": the standard dual point built from the tool's own β (intercept re-fitted exactly,
  gradient of the loss rescaled into the dual feasible set; for the lasso θ = −r / max(1,
  ‖Xᵀr‖∞ / (nλ)), r the centred residual). What scikit-learn's lasso stops on; loose: it
  shrinks like the square root of the suboptimality.
- "ref θ": the better of that point and the same point built from a reference path solved to a
  KKT violation of 1e-12 (skglm, untimed): a tight certificate of the suboptimality, whatever
  the tool's own stopping rule (celer's extrapolated dual point, skglm's KKT violation...).

Each peer runs at the setting that means "relative gap 1e-6" for its own stopping rule, or
where it has none, the loosest decade that certifies 1e-6 (constants below; --set overrides).

Timing: the whole path, wall clock, best of ``--repeat`` runs (default 3). numba-based peers
(skglm, celer) are warmed up on a tiny problem of each loss (dense or sparse as the problems)
first, and JAX and l1jax imported (untimed). l1jax is timed on a first call (compilation
included) and then warm; the table reports compile ≈ first − warm, with l1jax's compiled
programs kept in a fresh temporary directory (``L1JAX_CACHE_DIR``) unless ``--keep-cache``: a
new machine's first call, not one served from an earlier run's cache. l1jax (XLA) runs on every
core; skglm, celer and scikit-learn's coordinate descent on one.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

import numpy as np
from scipy.signal import lfilter
from scipy.special import expit, xlogy

# ---------------------------------------------------------------------------------------------
# Accuracy settings. Target: relative duality gap 1e-6 (l1jax: tol=1e-6). Each peer uses its own
# stopping rule at the setting that means "relative gap 1e-6" where it has a duality-gap rule,
# else the loosest of 1, 2 and 5 × 10^k whose certified gap (ref θ column, against the 1e-12
# reference) stays below 1e-6 on the quick and full problems. Calibrated with --set (see
# BENCHMARKS.md); any of these can be overridden there.
# ---------------------------------------------------------------------------------------------
TARGET = 1e-6
L1JAX_TOL = TARGET
# scikit-learn lasso_path stops at gap <= tol·‖y‖² in its n-times-scaled objective, i.e. at
# gap / P_null <= 2·tol for centred y. Its dual point is the standard one of dual_objective().
SKLEARN_LASSO_TOL = TARGET / 2
# celer scales its tol by ‖y‖²/n, the same convention; its dual point is extrapolated (tighter).
CELER_LASSO_TOL = TARGET / 2
# skglm stops on the largest KKT violation (distance of −∇ to the subdifferential); 1e-6 gives
# a standard-dual-point gap of 0.5-2e-6 on the quick problems.
SKGLM_LASSO_TOL = 1e-6
# liblinear (no warm start) stops on a relative norm of the projected gradient.
SKLEARN_LOGISTIC_SOLVER = "liblinear"
SKLEARN_LOGISTIC_TOL = 2e-5  # (certifies 2.2e-7 on full D; 5e-5: 2.7e-6)
# liblinear penalizes its intercept: b = s·w_s with penalty |w_s| / C, i.e. λ|b| / s in our
# scaling. A large intercept_scaling s makes that penalty negligible (s = 100: gap 4e-6).
SKLEARN_LOGISTIC_INTERCEPT_SCALING = 1e4
# (5e-6 certifies 1.4e-7 on D quick, 4.0e-7 on full D; 1e-5 gives 1.1e-6 there. It ran at 1e-6,
# over-solved to 1.6e-8 in 1.5 times the time)
SKGLM_LOGISTIC_TOL = 5e-6
# celer's logistic regression has no intercept: append a constant column c·1, whose coefficient
# is penalized by λ|b| / c. celer scales its tol by n·log 2 (= n·P_null when ȳ = ½).
CELER_LOGISTIC_TOL = TARGET
CELER_LOGISTIC_INTERCEPT_COLUMN = 1e4
# The reference path (skglm, solved to a KKT violation of 1e-12, untimed) whose dual point
# makes the "ref θ" column a tight certificate; its own gap (reported per problem) bounds what
# that column can show (at 1e-10 it was 4e-9 on D quick, and the tools' 2e-8 on full D was the
# reference's own).
REFERENCE_TOL = 1e-12

CORR = 0.6
SNR = 5.0
N_NONZERO = 50
LOGISTIC_STD = 2.0


@dataclass(frozen=True)
class Spec:
    loss: str
    n: int
    p: int
    min_ratio: float
    seed: int


FULL = {
    "A": Spec("squared", 1000, 5000, 1e-2, 1),
    "B": Spec("squared", 10000, 500, 1e-3, 2),
    "C": Spec("squared", 200, 20000, 1e-2, 3),
    "D": Spec("logistic", 2000, 2000, 1e-2, 4),
}
QUICK = {
    "A": Spec("squared", 200, 1000, 1e-2, 1),
    "B": Spec("squared", 2000, 100, 1e-3, 2),
    "C": Spec("squared", 50, 2000, 1e-2, 3),
    "D": Spec("logistic", 300, 300, 1e-2, 4),
}
N_LAMBDAS = {False: 100, True: 20}


@dataclass
class Problem:
    name: str
    loss: str
    X: np.ndarray  # (n, p), Fortran order, standardized columns
    y: np.ndarray  # (n,): centred (squared) or 0/1 (logistic)
    lambdas: np.ndarray  # (K,) descending

    @property
    def shape(self) -> str:
        n, p = self.X.shape
        return f"n={n}, p={p}"


def toeplitz_design(n: int, p: int, rng: np.random.Generator, corr: float = CORR) -> np.ndarray:
    """Standardized Gaussian columns with corr(x_i, x_j) = corr^|i-j| (AR(1) across columns)."""
    z = rng.standard_normal((n, p))
    z[:, 0] /= np.sqrt(1.0 - corr**2)  # so that x_0 = z_0 has unit variance
    X = lfilter([np.sqrt(1.0 - corr**2)], [1.0, -corr], z, axis=1)
    X -= X.mean(axis=0)
    X /= X.std(axis=0)
    return np.asfortranarray(X)


def lambda_grid(X: np.ndarray, y: np.ndarray, n_lambdas: int, min_ratio: float) -> np.ndarray:
    """λ_max = ‖Xᵀ(y − ȳ)‖∞ / n (both losses: gradient at the intercept-only fit), log-spaced."""
    lam_max = np.max(np.abs(X.T @ (y - y.mean()))) / len(y)
    return lam_max * np.geomspace(1.0, min_ratio, n_lambdas)


def make_problem(name: str, spec: Spec, n_lambdas: int) -> Problem:
    rng = np.random.default_rng(spec.seed)
    X = toeplitz_design(spec.n, spec.p, rng)
    k = min(N_NONZERO, spec.p // 2)
    beta = np.zeros(spec.p)
    beta[rng.choice(spec.p, k, replace=False)] = rng.choice([-1.0, 1.0], k)
    eta = X @ beta
    if spec.loss == "squared":
        y = eta + rng.standard_normal(spec.n) * np.sqrt(eta.var() / SNR)
        y -= y.mean()
    else:
        eta *= LOGISTIC_STD / eta.std()
        y = (rng.random(spec.n) < expit(eta)).astype(np.float64)
    return Problem(name, spec.loss, X, y, lambda_grid(X, y, n_lambdas, spec.min_ratio))


# ---------------------------------------------------------------------------------------------
# The common accuracy measure
# ---------------------------------------------------------------------------------------------


def _fit_intercept_shift(eta: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    """Per row of eta (K, n): the shift c minimizing (1/n) Σ ℓ(y_i, eta_i + c)."""
    if loss == "squared":
        return (y - eta).mean(axis=1)
    c = np.zeros(eta.shape[0])
    for _ in range(100):  # Newton on a smooth, strictly convex 1-D function
        p = expit(eta + c[:, None])
        g = (p - y).mean(axis=1)
        h = np.maximum((p * (1.0 - p)).mean(axis=1), 1e-300)
        step = g / h
        c -= step
        if np.max(np.abs(step)) < 1e-15 * (1.0 + np.max(np.abs(c))):
            break
    return c


def _mean_loss(eta: np.ndarray, y: np.ndarray, loss: str) -> np.ndarray:
    if loss == "squared":
        return 0.5 * np.mean((y - eta) ** 2, axis=-1)
    return np.mean(np.logaddexp(0.0, eta) - y * eta, axis=-1)


def null_objective(y: np.ndarray, loss: str) -> float:
    """Objective of the intercept-only model (λ plays no role: β = 0)."""
    eta = np.zeros((1, len(y)))
    return float(_mean_loss(eta + _fit_intercept_shift(eta, y, loss)[:, None], y, loss)[0])


def dual_objective(
    X: np.ndarray, y: np.ndarray, lambdas: np.ndarray, coef: np.ndarray, loss: str
) -> np.ndarray:
    """D(θ) at the standard dual point built from β = coef[k] for each λ_k; shape (K,).

    1. b* = argmin_c (1/n) Σ ℓ(y_i, x_iᵀβ + c) (exact for squared: b* = mean(y − Xβ); Newton
       for logistic), so that v = ℓ'(Xβ + b*) sums to zero. For the squared loss v = −r, minus
       the centred residual r = y − Xβ − b*; for logistic v = sigmoid(Xβ + b*) − y.
    2. θ = v / max(1, ‖Xᵀv‖∞ / (nλ)): feasible, since the scaling keeps Σθ = 0 and, for
       logistic, θ + y in [0, 1] (a convex combination of y and sigmoid(η)).
    """
    n = len(y)
    xb = (X @ coef.T).T  # (K, n); (X first: X may be a SciPy sparse matrix)
    eta = xb + _fit_intercept_shift(xb, y, loss)[:, None]
    v = eta - y if loss == "squared" else expit(eta) - y
    v -= v.mean(axis=1, keepdims=True)  # rounding only: b* already zeroes the mean
    v /= np.maximum(1.0, np.max(np.abs(X.T @ v.T), axis=0) / (n * lambdas))[:, None]
    if loss == "squared":
        return -np.mean(0.5 * v**2 + v * y, axis=1)
    q = np.clip(v + y, 0.0, 1.0)
    return -np.mean(xlogy(q, q) + xlogy(1.0 - q, 1.0 - q), axis=1)


def relative_gaps(
    X: np.ndarray,
    y: np.ndarray,
    lambdas: np.ndarray,
    coef: np.ndarray,
    intercept: np.ndarray,
    loss: str,
    reference: np.ndarray | None = None,
) -> np.ndarray:
    """Relative duality gap (P(β, b) − D(θ)) / P_null of each λ of a lasso / L1-logistic path.

    Primal, with η = Xβ + b:  P(β, b) = (1/n) Σ ℓ(y_i, η_i) + λ‖β‖₁.
    Dual (Fenchel, θ_i = ℓ'(η_i) at the optimum):

        D(θ) = −(1/n) Σ ℓ*(θ_i)   subject to  ‖Xᵀθ‖∞ ≤ nλ  and  Σ θ_i = 0 (the intercept),

    with ℓ*(v) = ½v² + vy (squared) and ℓ*(v) = (v + y) log(v + y) + (1 − v − y) log(1 − v − y)
    (logistic, v + y in [0, 1]). Weak duality: D(θ) ≤ min P ≤ P(β, b) for every feasible θ, so
    the gap bounds the suboptimality of (β, b); it is evaluated at the tool's own (β, b), so a
    wrong intercept shows up in P(β, b). P_null = min_b (1/n) Σ ℓ(y_i, b) is ½ Var(y) (squared)
    or the entropy of ȳ (logistic).

    θ is the standard dual point of :func:`dual_objective`, built from ``coef`` itself (for the
    lasso: θ = −r / max(1, ‖Xᵀr‖∞ / (nλ)), r the centred residual). That point is loose: its
    gap shrinks like the square root of the primal suboptimality, so a path whose objective is
    within 1e-9 can still show a gap of 1e-6. With ``reference`` (coefficients (K, p) of a
    tightly solved path), the better of the two dual points is used: the gap is then a tight
    certificate of the suboptimality. Returns an array of shape (K,).
    """
    coef = np.asarray(coef, dtype=np.float64)
    intercept = np.asarray(intercept, dtype=np.float64)
    lambdas = np.asarray(lambdas, dtype=np.float64)
    eta = (X @ coef.T).T + intercept[:, None]
    primal = _mean_loss(eta, y, loss) + lambdas * np.abs(coef).sum(axis=1)
    dual = dual_objective(X, y, lambdas, coef, loss)
    if reference is not None:
        dual = np.maximum(dual, dual_objective(X, y, lambdas, reference, loss))
    return (primal - dual) / null_objective(y, loss)


# ---------------------------------------------------------------------------------------------
# Tools: each maps a Problem to (coef (K, p), intercept (K,)), solving the whole path with warm
# starts (except liblinear, which has none).
# ---------------------------------------------------------------------------------------------

PathResult = tuple[np.ndarray, np.ndarray]


def run_l1jax(prob: Problem) -> PathResult:
    import l1jax

    res = l1jax.path(
        prob.X,
        prob.y,
        loss=prob.loss,
        lambdas=prob.lambdas,
        fit_intercept=True,
        standardize=False,
        tol=L1JAX_TOL,
    )
    return np.asarray(res.coef), np.asarray(res.intercept)


def run_sklearn(prob: Problem) -> PathResult:
    n, p = prob.X.shape
    K = len(prob.lambdas)
    if prob.loss == "squared":
        from sklearn.linear_model import lasso_path

        # No intercept needed: X and y are centred, so the optimal intercept is 0.
        _, coefs, _ = lasso_path(
            prob.X, prob.y, alphas=prob.lambdas, tol=SKLEARN_LASSO_TOL, max_iter=100_000
        )
        return coefs.T, np.zeros(K)
    from sklearn.linear_model import LogisticRegression

    coef, intercept = np.zeros((K, p)), np.zeros(K)
    clf = LogisticRegression(
        l1_ratio=1.0,
        solver=SKLEARN_LOGISTIC_SOLVER,
        tol=SKLEARN_LOGISTIC_TOL,
        intercept_scaling=SKLEARN_LOGISTIC_INTERCEPT_SCALING,
        max_iter=100_000,
        warm_start=True,  # ignored by liblinear
        random_state=0,  # liblinear shuffles its coordinates
    )
    for k, lam in enumerate(prob.lambdas):
        # (1/n) Σ ℓ + λ‖β‖₁  ⇔  C Σ ℓ + ‖β‖₁ with C = 1 / (nλ). liblinear has no warm start.
        clf.set_params(C=1.0 / (n * lam))
        clf.fit(prob.X, prob.y)
        coef[k], intercept[k] = clf.coef_[0], clf.intercept_[0]
    return coef, intercept


def run_skglm(prob: Problem, tol: float | None = None) -> PathResult:
    from skglm.datafits import Logistic, Quadratic
    from skglm.penalties import L1
    from skglm.solvers import AndersonCD, ProxNewton

    p = prob.X.shape[1]
    if prob.loss == "squared":
        solver = AndersonCD(tol=tol or SKGLM_LASSO_TOL, fit_intercept=True, max_iter=1000)
        _, coefs, _ = solver.path(
            prob.X, prob.y, Quadratic(), L1(prob.lambdas[0]), alphas=prob.lambdas
        )
        return coefs[:p].T, coefs[p]
    y = 2.0 * prob.y - 1.0  # skglm's Logistic datafit wants labels in {-1, 1}
    solver = ProxNewton(tol=tol or SKGLM_LOGISTIC_TOL, fit_intercept=True, max_iter=1000)
    datafit, w = Logistic(), np.zeros(p + 1)
    coef, intercept = np.zeros((len(prob.lambdas), p)), np.zeros(len(prob.lambdas))
    for k, lam in enumerate(prob.lambdas):
        Xw = prob.X @ w[:p] + w[p]
        w = solver.solve(prob.X, y, datafit, L1(lam), w_init=w.copy(), Xw_init=Xw)[0]
        coef[k], intercept[k] = w[:p], w[p]
    return coef, intercept


def warm_started(est, X, y, params: list[dict], record: Callable) -> list:
    """Fit the scikit-learn-style ``est`` on ``X``, ``y`` with each of ``params``
    (``set_params`` keywords) in turn, each fit starting from the last one's solution, the
    peers' convergence warnings silenced; ``record(est)`` after each fit, in a list. ``record``
    must copy what it keeps: a warm-started fit may update ``coef_`` in place (celer does)."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kwargs in params:
            est.set_params(**kwargs)
            est.fit(X, y)
            out.append(record(est))
    return out


def run_celer(prob: Problem) -> PathResult:
    from celer import celer_path

    n, p = prob.X.shape
    K = len(prob.lambdas)
    if prob.loss == "squared":
        # No intercept needed: X and y are centred, so the optimal intercept is 0.
        _, coefs, _ = celer_path(
            prob.X, prob.y, "lasso", alphas=prob.lambdas, tol=CELER_LASSO_TOL, prune=1
        )
        return coefs.T, np.zeros(K)
    # celer: Σ log(1 + exp(−y xᵀw)) + α‖w‖₁ with y in {−1, 1}: α = nλ. No intercept: a constant
    # column c·1 carries it (b = c·w_c, penalized by λ|b|/c).
    c = CELER_LOGISTIC_INTERCEPT_COLUMN
    X1 = np.asfortranarray(np.column_stack([prob.X, np.full(n, c)]))
    _, coefs, _ = celer_path(
        X1,
        2.0 * prob.y - 1.0,
        "logreg",
        alphas=n * prob.lambdas,
        tol=CELER_LOGISTIC_TOL,
        use_PN=True,
        max_iter=1000,
    )
    return coefs[:p].T, c * coefs[p]


def reference_path(prob: Problem) -> PathResult:
    """A tightly solved path (skglm to a KKT violation of REFERENCE_TOL), untimed."""
    return run_skglm(prob, tol=REFERENCE_TOL)


TOOLS: dict[str, Callable[[Problem], PathResult]] = {
    "l1jax": run_l1jax,
    "scikit-learn": run_sklearn,
    "skglm": run_skglm,
    "celer": run_celer,
}


def tool_setting(tool: str, loss: str) -> str:
    """One-line description of the accuracy setting used, for the table."""
    if tool == "l1jax":
        return f"path tol={L1JAX_TOL:g}"
    if loss == "squared":
        return {
            "scikit-learn": f"lasso_path tol={SKLEARN_LASSO_TOL:g}",
            "skglm": f"AndersonCD tol={SKGLM_LASSO_TOL:g}",
            "celer": f"celer_path tol={CELER_LASSO_TOL:g}",
        }[tool]
    return {
        "scikit-learn": f"{SKLEARN_LOGISTIC_SOLVER} tol={SKLEARN_LOGISTIC_TOL:g}, "
        f"intercept_scaling={SKLEARN_LOGISTIC_INTERCEPT_SCALING:g}",
        "skglm": f"ProxNewton tol={SKGLM_LOGISTIC_TOL:g}",
        "celer": f"celer_path PN tol={CELER_LOGISTIC_TOL:g}, "
        f"intercept column {CELER_LOGISTIC_INTERCEPT_COLUMN:g}·1",
    }[tool]


# ---------------------------------------------------------------------------------------------
# Running and reporting
# ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    problem: str
    tool: str
    setting: str
    seconds: float | None = None
    compile_s: float | None = None
    gap_own: float | None = None
    gap_ref: float | None = None
    error: str | None = None


def _timed(fn: Callable[[Problem], PathResult], prob: Problem) -> tuple[float, PathResult]:
    t0 = time.perf_counter()
    out = fn(prob)
    return time.perf_counter() - t0, out


def _error(exc: Exception) -> str:
    return f"error: {type(exc).__name__}: {exc}".replace("\n", " ").replace("|", "/")[:120]


def warm_up(tools: list[str], losses: set[str], tiny: Callable[[str], Problem] | None = None):
    """Compile the numba kernels of skglm and celer (and import everything) on tiny problems;
    import JAX and l1jax and start JAX's backend (the first problem's compile s included 1.5 s
    of importing them)."""
    if "l1jax" in tools:
        import jax

        import l1jax  # noqa: F401

        jax.devices()
    for loss in sorted(losses):  # (``tiny(loss)``: a tiny problem of the kind timed, e.g. sparse)
        small = tiny(loss) if tiny else make_problem("tiny", Spec(loss, 40, 60, 1e-1, 0), 5)
        for tool in [*tools, "reference"]:
            if tool == "l1jax":
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    reference_path(small) if tool == "reference" else TOOLS[tool](small)
            except Exception:  # reported when the real problem fails too
                pass


def run_one(prob: Problem, tool: str, repeat: int, reference: np.ndarray | None) -> Row:
    row = Row(prob.name, tool, tool_setting(tool, prob.loss))
    try:
        with warnings.catch_warnings():  # ConvergenceWarnings show up in the gap columns
            warnings.simplefilter("ignore")
            first, out = _timed(TOOLS[tool], prob)
            if tool == "l1jax":  # the first call compiles; time warm calls separately
                warm = [_timed(TOOLS[tool], prob) for _ in range(repeat)]
                row.seconds, out = min(t for t, _ in warm), warm[-1][1]
                row.compile_s = max(first - row.seconds, 0.0)
            else:
                times = [first] + [_timed(TOOLS[tool], prob)[0] for _ in range(repeat - 1)]
                row.seconds = min(times)
        coef, intercept = out
        args = prob.X, prob.y, prob.lambdas, coef, intercept, prob.loss
        row.gap_own = float(np.max(relative_gaps(*args)))
        if reference is not None:
            row.gap_ref = float(np.max(relative_gaps(*args, reference=reference)))
    except Exception as exc:  # one failing tool must not kill the run
        row.error = _error(exc)
    return row


def _fmt(x: float | None, spec: str) -> str:
    return "–" if x is None else format(x, spec)


HEADER = [
    "problem",
    "tool",
    "setting",
    "seconds (warm)",
    "compile s",
    "ratio to l1jax",
    "gap, own θ",
    "gap, ref θ",
]


def format_table(rows: list[Row], problems: dict[str, Problem], markdown: bool) -> str:
    base = {r.problem: r.seconds for r in rows if r.tool == "l1jax" and r.seconds}
    lines = []
    for r in rows:
        prob = problems[r.problem]
        name = f"{r.problem} {prob.loss} {prob.shape}"
        if r.error:
            cells = [name, r.tool, r.setting, r.error, "", "", "", ""]
        else:
            ratio = r.seconds / base[r.problem] if r.problem in base else None
            cells = [
                name,
                r.tool,
                r.setting,
                _fmt(r.seconds, ".3f"),
                _fmt(r.compile_s, ".2f"),
                _fmt(ratio, ".2f"),
                _fmt(r.gap_own, ".1e"),
                _fmt(r.gap_ref, ".1e"),
            ]
        lines.append(cells)
    if markdown:
        out = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        out += ["| " + " | ".join(c) + " |" for c in lines]
        return "\n".join(out)
    widths = [max(len(h), *(len(c[i]) for c in lines)) for i, h in enumerate(HEADER)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*HEADER), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*c).rstrip() for c in lines]
    return "\n".join(out)


LEGEND = """\
{k} λ per path, log-spaced from λ_max; seconds: whole path, best of {repeat} run(s) (l1jax:
warm calls; compile s = first call − warm, from an empty program cache); l1jax uses every core,
skglm, celer and scikit-learn one. Accuracy (benchmarks/paths.py relative_gaps): worst
over λ of the duality gap / null objective at the tool's (β, b). "own θ": standard dual point
from the tool's β (rescaled gradient of the loss, θ = −r / max(1, ‖Xᵀr‖∞ / (nλ)) for the
lasso), loose (~ sqrt of the suboptimality). "ref θ": the better of that and the same point
built from a reference path solved to 1e-12 (skglm, untimed): a tight certificate of the
suboptimality. Reference's own worst gaps: {ref_gaps}."""


def _version(pkg: str) -> str:
    try:
        return version(pkg)
    except PackageNotFoundError:
        return "not installed"


def environment() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    pkgs = ["jax", "jaxlib", "numpy", "scipy", "scikit-learn", "skglm", "celer", "numba", "l1jax"]
    return "\n".join(
        [
            f"machine: {cpu}, {cores} cores available ({platform.machine()}, {platform.system()})",
            f"python {platform.python_version()}; " + ", ".join(f"{p} {_version(p)}" for p in pkgs),
            "command: python " + " ".join(sys.argv),
            "l1jax program cache: " + os.environ.get("L1JAX_CACHE_DIR", "default (~/.cache/l1jax)"),
        ]
    )


def fresh_cache(keep: bool) -> None:
    """Unless ``keep``, point l1jax's program cache at a new temporary directory (before l1jax
    is imported), so that compile s measures compilation, not an earlier run's cache."""
    if not keep:
        import tempfile

        os.environ["L1JAX_CACHE_DIR"] = tempfile.mkdtemp(prefix="l1jax-bench-cache-")


def _apply_overrides(settings: list[str]) -> None:
    """--set NAME=VALUE: override one of the accuracy constants above (for calibration)."""
    for item in settings:
        name, sep, value = item.partition("=")
        name = name.strip().upper()
        if not sep or not name.endswith(("_TOL", "_SCALING", "_COLUMN", "_SOLVER")):
            raise SystemExit(f"--set {item!r}: expected NAME=VALUE with NAME an accuracy constant")
        if name not in globals():
            raise SystemExit(f"--set {item!r}: unknown constant {name}")
        globals()[name] = value if name.endswith("_SOLVER") else float(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small problems (CI smoke test)")
    parser.add_argument("--problems", default="A,B,C,D", help="comma-separated subset of A,B,C,D")
    parser.add_argument(
        "--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS)
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per tool (best kept)")
    parser.add_argument(
        "--keep-cache",
        action="store_true",
        help="use l1jax's program cache as configured (default: a fresh temporary one)",
    )
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override an accuracy constant, e.g. --set SKGLM_LASSO_TOL=1e-7",
    )
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the reference path (no ref θ column)"
    )
    args = parser.parse_args(argv)

    names = [s.strip().upper() for s in args.problems.split(",") if s.strip()]
    tools = [s.strip() for s in args.tools.split(",") if s.strip()]
    specs = QUICK if args.quick else FULL
    for bad in [n for n in names if n not in specs] + [t for t in tools if t not in TOOLS]:
        parser.error(f"unknown problem or tool {bad!r}")
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    _apply_overrides(args.set)

    os.environ.setdefault("JAX_ENABLE_X64", "1")  # before jax is imported: data are float64
    fresh_cache(args.keep_cache)
    print(environment(), flush=True)
    k = N_LAMBDAS[args.quick]
    problems = {n: make_problem(n, specs[n], k) for n in names}
    warm_up(tools, {p.loss for p in problems.values()})
    rows, ref_gaps = [], []
    for prob in problems.values():
        reference = None
        if not args.no_reference:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ref_coef, ref_b = reference_path(prob)
                gap = np.max(
                    relative_gaps(prob.X, prob.y, prob.lambdas, ref_coef, ref_b, prob.loss)
                )
                reference = ref_coef
                ref_gaps.append(f"{prob.name} {gap:.0e}")
            except Exception as exc:
                ref_gaps.append(f"{prob.name} {_error(exc)}")
        for tool in tools:
            row = run_one(prob, tool, args.repeat, reference)
            rows.append(row)
            gaps = f"gap own θ {_fmt(row.gap_own, '.1e')}, ref θ {_fmt(row.gap_ref, '.1e')}"
            status = row.error or f"{row.seconds:.3f} s, {gaps}"
            print(f"  {prob.name} {tool}: {status}", file=sys.stderr, flush=True)
    print()
    print(LEGEND.format(k=k, repeat=args.repeat, ref_gaps=", ".join(ref_gaps) or "not computed"))
    print()
    print(format_table(rows, problems, args.markdown))
    # As a smoke test (CI runs --quick): l1jax must run and reach its accuracy target.
    broken = [
        f"{r.problem}: {r.error or 'gap ' + _fmt(r.gap_own, '.1e')}"
        for r in rows
        if r.tool == "l1jax" and (r.error or r.gap_own is None or not r.gap_own <= 10 * TARGET)
    ]
    if broken:
        print("l1jax failed the benchmark: " + "; ".join(broken), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

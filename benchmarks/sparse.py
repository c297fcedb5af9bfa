"""Sparse-X benchmark: l1jax.path against scikit-learn, skglm and celer on the same SciPy sparse
matrix, in one process (issue 18).

Usage::

    python benchmarks/sparse.py [--quick] [--losses squared,logistic] [--tools l1jax,celer,...]
                                [--repeat N] [--markdown] [--no-reference]
    python benchmarks/sparse.py --memory [--rows 300000 --cols 200000 --nnz 3000000]

The data are text-like: ``n`` rows ("documents") of about 60 stored entries each, drawn from
``p`` columns ("words") with Zipf-distributed frequencies (word k has probability ∝ 1/k),
tf-like values (exponential), duplicates summed, rows L2-normalized, columns in random order.
β* has 50 nonzeros among the words ranked 10 to 2000, random signs; the squared loss has
y = Xβ* + ε with Var(Xβ*)/Var(ε) = 5, the logistic loss y ~ Bernoulli(sigmoid(Xβ*)) with β*
scaled so that std(Xβ*) = 2. float64. Default 20000 × 40000 (quick: 2000 × 4000), 100 λs
(quick: 20) from λ_max down to 1e-2·λ_max.

Every tool solves the objective of benchmarks/paths.py, ``(1/n) Σ ℓ(y_i, b + x_iᵀβ) + λ‖β‖₁``
with an unpenalized intercept, on the same sparse X (never centred: the intercept is fitted by
each tool), the same λs, warm-started; accuracy by paths.relative_gaps (relative duality gap,
target 1e-6) at each tool's own settings for that target (paths' constants). scikit-learn's
squared loss runs ``Lasso(warm_start=True)`` λ by λ (``lasso_path`` has no intercept for a
sparse X), celer's ``Lasso`` likewise; celer's logistic loss carries its intercept on a
constant column of 1e4, as in paths.py.

``--memory`` runs one logistic path (5 λs down to 0.1·λ_max) on a random CSR matrix of the
given size and prints the peak resident memory of the process (dense, 300000 × 200000 would
be 480 GB).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("JAX_ENABLE_X64", "1")  # before jax is imported: data are float64

import numpy as np  # noqa: E402
import paths  # noqa: E402  (this folder's benchmark module: tools, accuracy, table)
import scipy.sparse as sp  # noqa: E402
from scipy.special import expit  # noqa: E402

FULL = (20_000, 40_000)
QUICK = (2_000, 4_000)
NNZ_ROW = 60


def text_like(n: int, p: int, seed: int = 0, nnz_row: int = NNZ_ROW) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    freq = 1.0 / np.arange(1, p + 1)
    cols = rng.choice(p, size=n * nnz_row, p=freq / freq.sum())
    rows = np.repeat(np.arange(n), nnz_row)
    X = sp.csr_matrix((rng.exponential(1.0, n * nnz_row), (rows, cols)), shape=(n, p))
    X.sum_duplicates()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = sp.diags(1.0 / np.maximum(norms, 1e-300)) @ X
    return sp.csc_matrix(X[:, rng.permutation(p)])


def make_problem(loss: str, n: int, p: int, n_lambdas: int, seed: int = 0) -> paths.Problem:
    rng = np.random.default_rng(seed + 1)
    X = text_like(n, p, seed)
    # β* on words ranked 10 … 2000 (columns were permuted: find them by their counts)
    ranked = np.argsort(-np.diff(X.indptr), kind="stable")
    support = rng.choice(ranked[10:2000], 50, replace=False)
    beta = np.zeros(p)
    beta[support] = rng.choice([-1.0, 1.0], 50)
    eta = X @ beta
    if loss == "squared":
        y = eta + rng.standard_normal(n) * np.sqrt(eta.var() / paths.SNR)
    else:
        eta *= paths.LOGISTIC_STD / eta.std()
        y = (rng.random(n) < expit(eta)).astype(np.float64)
    name = "S" if loss == "squared" else "L"
    return paths.Problem(name, loss, X, y, paths.lambda_grid(X, y, n_lambdas, 1e-2))


def run_l1jax(prob):
    return paths.run_l1jax(prob)  # standardize=False, fit_intercept=True: the sparse X as is


def run_sklearn(prob):
    if prob.loss == "logistic":
        return paths.run_sklearn(prob)  # liblinear takes the sparse X
    from sklearn.linear_model import Lasso

    return _loop(prob, Lasso(tol=paths.SKLEARN_LASSO_TOL, max_iter=100_000, warm_start=True))


def run_celer(prob):
    if prob.loss == "squared":
        from celer import Lasso

        return _loop(prob, Lasso(tol=paths.CELER_LASSO_TOL, warm_start=True, prune=True))
    from celer import celer_path

    n, p = prob.X.shape
    c = paths.CELER_LOGISTIC_INTERCEPT_COLUMN
    X1 = sp.csc_matrix(sp.hstack([prob.X, np.full((n, 1), c)]))
    _, coefs, _ = celer_path(X1, 2.0 * prob.y - 1.0, "logreg", alphas=n * prob.lambdas,
                             tol=paths.CELER_LOGISTIC_TOL, use_PN=True, max_iter=1000)  # fmt: skip
    return coefs[:p].T, c * coefs[p]


def _loop(prob, model):
    """A scikit-learn-style estimator λ by λ, warm-started (fit_intercept on a sparse X)."""
    K, p = len(prob.lambdas), prob.X.shape[1]
    coef, intercept = np.zeros((K, p)), np.zeros(K)
    for k, lam in enumerate(prob.lambdas):
        model.set_params(alpha=lam).fit(prob.X, prob.y)
        coef[k], intercept[k] = model.coef_, model.intercept_
    return coef, intercept


TOOLS = {"l1jax": run_l1jax, "scikit-learn": run_sklearn, "skglm": paths.run_skglm,
         "celer": run_celer}  # fmt: skip


_DENSE_SETTING = paths.tool_setting  # (main() puts setting in its place)


def setting(tool: str, loss: str) -> str:
    if tool == "scikit-learn" and loss == "squared":
        return f"Lasso(warm_start) tol={paths.SKLEARN_LASSO_TOL:g}"
    if tool == "celer" and loss == "squared":
        return f"celer Lasso(warm_start) tol={paths.CELER_LASSO_TOL:g}"
    return _DENSE_SETTING(tool, loss)


def memory(n: int, p: int, nnz: int) -> None:
    import l1jax

    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, n, nnz), rng.integers(0, p, nnz)
    X = sp.csr_matrix((rng.uniform(0.5, 1.5, nnz), (rows, cols)), shape=(n, p))
    y = (rng.random(n) < expit(X @ (rng.standard_normal(p) * (rng.random(p) < 0.001)))) * 1.0
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    res = l1jax.path(X, y, loss="logistic", lambdas=5, lambda_min_ratio=0.1, early_stop=False)
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(paths.environment())
    print(f"CSR {n} × {p}, {X.nnz} stored entries ({X.data.nbytes / 2**20:.0f} MiB of values; "
          f"dense float64 would be {n * p * 8 / 1e9:.0f} GB)")  # fmt: skip
    nonzero = int((res.coef[-1] != 0).sum())
    print(f"logistic path, 5 λs: {dt:.1f} s (compilation included), converged "
          f"{int(res.converged.sum())}/5, nonzeros at the last λ {nonzero}")  # fmt: skip
    print(f"peak RSS {peak:.0f} MiB (before the path, with the data: {base:.0f} MiB)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2000 × 4000, 20 λs")
    parser.add_argument("--losses", default="squared,logistic")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep-cache", action="store_true")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--memory", action="store_true", help="peak RSS of one big logistic path")
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--cols", type=int, default=200_000)
    parser.add_argument("--nnz", type=int, default=3_000_000)
    args = parser.parse_args(argv)
    if args.memory:
        memory(args.rows, args.cols, args.nnz)
        return 0
    tools = [t for t in args.tools.split(",") if t]
    n, p = QUICK if args.quick else FULL
    k = paths.N_LAMBDAS[args.quick]
    paths.fresh_cache(args.keep_cache)
    print(paths.environment(), flush=True)
    problems = {}
    for loss in args.losses.split(","):
        prob = make_problem(loss, n, p, k)
        problems[prob.name] = prob
    paths.TOOLS.update(TOOLS)  # paths.run_one times whatever paths.TOOLS names
    paths.tool_setting = setting
    # (on tiny sparse problems: skglm's sparse kernels compiled inside its timed run, 13× its time
    # when --no-reference left out the untimed reference that compiled them first)
    paths.warm_up(tools, {prob.loss for prob in problems.values()},
                  lambda loss: make_problem(loss, 60, 120, 5))  # fmt: skip
    rows, ref_gaps = [], []
    for prob in problems.values():
        print(f"{prob.name}: {prob.loss}, sparse {n} × {p}, {prob.X.nnz} stored entries",
              file=sys.stderr, flush=True)  # fmt: skip
        reference = None
        if not args.no_reference:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref_coef, ref_b = paths.reference_path(prob)
            args_ = prob.X, prob.y, prob.lambdas, ref_coef, ref_b, prob.loss
            ref_gaps.append(f"{prob.name} {np.max(paths.relative_gaps(*args_)):.0e}")
            reference = ref_coef
        for tool in tools:
            row = paths.run_one(prob, tool, args.repeat, reference)
            rows.append(row)
            status = row.error or f"{row.seconds:.3f} s, gap own θ {paths._fmt(row.gap_own, '.1e')}"
            print(f"  {prob.name} {tool}: {status}", file=sys.stderr, flush=True)
    print()
    print(paths.LEGEND.format(k=k, repeat=args.repeat,
                              ref_gaps=", ".join(ref_gaps) or "not computed"))  # fmt: skip
    print(f"S: squared, L: logistic; sparse {n} × {p}, Zipf columns, rows L2-normalized.")
    print()
    print(paths.format_table(rows, problems, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())

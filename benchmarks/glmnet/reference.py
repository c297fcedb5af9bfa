"""Write tests/data/glmnet_reference.npz from glmnet's fits of driver.py's cases.

Usage (from benchmarks/glmnet, after ``python driver.py gen ROOT`` and
``GLMNET_THRESH=1e-22 Rscript glmnet_ref.R ROOT/*/``)::

    python reference.py ROOT OUT.npz

The cases of tests/test_glmnet_reference.py (made 2026-12-05 with glmnet 4.1-6, Debian's
r-cran-glmnet, thresh=1e-22): for each, its spec, inputs and glmnet's λs, coefficients and
intercepts (and ``cv.glmnet``'s cvm, cvsd, lambda.min and lambda.1se for the ``cv_`` cases, with
their fold ids), under ``"<case>/<field>"``.
"""

import json
import os
import sys

import numpy as np
from driver import load

CASES = ["gaussian_a1.0_given", "binomial_a1.0_auto", "poisson_a1.0_given",
         "multinomial_grouped_a0.5_given", "multinomial_ungrouped_a1.0_given",
         "mgaussian_a1.0_given", "gaussian_lower0", "binomial_all_given", "poisson_all_given",
         "gaussian_n_eq_p_auto", "gaussian_noint_nostd",
         "cv_binomial_weights_given", "cv_poisson_weights_given", "cv_mgaussian_given",
         "cv_gaussian_two_per_fold", "cv_poisson_leave_one_out", "cv_binomial_auc_given",
         "cv_binomial_class_given", "cv_multinomial_class_given", "mgaussian_a1.0_auto",
         "mgaussian_a0.5_auto", "multinomial_ungrouped_a1.0_auto"]  # fmt: skip
SPEC = ("family", "alpha", "standardize", "intercept", "lower", "type", "nlambda", "cv", "measure")


def main(root: str, out_path: str) -> None:
    out = {}
    for name in CASES:
        d, g = load(os.path.join(root, name))
        out[f"{name}/spec"] = np.asarray(json.dumps({k: d["case"][k] for k in SPEC}))
        for k in ("X", "y", "w", "pf", "lambda", "foldid"):
            if k in d:
                out[f"{name}/{k}"] = np.asarray(d[k])
        for k in ("lambda", "beta", "intercept", "cvm", "cvsd", "cvsel"):
            if k in g:  # (cv.glmnet's: cvm, cvsd, lambda.min and lambda.1se)
                out[f"{name}/glmnet_{k}"] = np.asarray(g[k])
    np.savez_compressed(out_path, **out)
    print(f"wrote {len(CASES)} cases to {out_path}")


if __name__ == "__main__":
    main(*sys.argv[1:3])

"""Compare l1jax.path / l1jax.cv_path with R's glmnet (reference data generator + checker).

Usage (from benchmarks/glmnet, l1jax importable; R with glmnet: Debian's r-cran-glmnet):
  python driver.py gen   [ROOT]            write every case's inputs (X.csv, y.csv, ..., spec.txt)
  Rscript glmnet_ref.R ROOT/*/             glmnet's fits into each case dir (g_*.csv)
  python driver.py ref   [ROOT]            pack inputs + glmnet outputs into ROOT/<case>/ref.npz
  python driver.py cmp   [ROOT] [SUBSTR..] run l1jax on the cases (names containing SUBSTR) and
                                           write ROOT/<case>/result.json
  python driver.py table [ROOT]            print the table of all results
ROOT defaults to /tmp/l1jax_glmnet/cases. glmnet runs with thresh=1e-14, maxit=1e7; l1jax with
tol=1e-12 (relative duality gap).
"""

import json
import os
import sys

import numpy as np

ROOT = "/tmp/l1jax_glmnet/cases"
TOL = 1e-12


# ----------------------------------------------------------------------------------- cases
def cases():
    C = []

    def add(name, family, **kw):
        c = dict(
            name=name,
            family=family,
            alpha=1.0,
            standardize=True,
            intercept=True,
            weights=False,
            pf=None,
            lower=False,
            mode="auto",
            type="ungrouped",
            cv=False,
            n=200,
            p=30,
            corr=True,
            seed=len(C),
            m=1,
            nlambda=100,
            nfolds=5,
            measure="default",
        )
        c.update(kw)
        C.append(c)

    fams = ["gaussian", "binomial", "poisson"]
    for f in fams:
        for a in (1.0, 0.5, 0.1):
            add(f"{f}_a{a}_auto", f, alpha=a)
            add(f"{f}_a{a}_given", f, alpha=a, mode="given")
        add(f"{f}_nostd", f, standardize=False, mode="given", alpha=0.5)
        add(f"{f}_nostd_auto", f, standardize=False)
        add(f"{f}_noint", f, intercept=False, mode="given")
        add(f"{f}_noint_nostd", f, intercept=False, standardize=False, mode="given")
        add(f"{f}_weights", f, weights=True, mode="given", alpha=0.5)
        add(f"{f}_weights_auto", f, weights=True)
        add(f"{f}_pf_sum_p", f, pf="sum_p", mode="given")  # factors already sum to p
        add(f"{f}_pf_raw", f, pf="raw", mode="given")  # factors summing to != p
        add(f"{f}_pf_raw_auto", f, pf="raw")
        add(f"{f}_lower0", f, lower=True, mode="given")
        add(f"{f}_lower0_auto", f, lower=True)
        add(f"{f}_lower0_negmax_auto", f, lower=True, negmax=True)  # max |grad| is negative
        add(
            f"{f}_all_given",
            f,
            weights=True,
            pf="sum_p",
            standardize=False,
            alpha=0.5,
            mode="given",
        )
    add("gaussian_n_eq_p_auto", "gaussian", n=40, p=40, corr=False)
    add("gaussian_p_gt_n_auto", "gaussian", n=60, p=120, corr=False)
    add("binomial_p_gt_n_auto", "binomial", n=60, p=120, corr=False)
    for a in (1.0, 0.5):
        add(f"mgaussian_a{a}_auto", "mgaussian", alpha=a, m=3)
        add(f"mgaussian_a{a}_given", "mgaussian", alpha=a, m=3, mode="given")
    add(
        "mgaussian_weights_nostd",
        "mgaussian",
        m=3,
        weights=True,
        standardize=False,
        mode="given",
        pf="sum_p",
    )
    for t in ("ungrouped", "grouped"):
        for a in (1.0, 0.5):
            add(f"multinomial_{t}_a{a}_auto", "multinomial", type=t, alpha=a, m=3, p=20)
            add(
                f"multinomial_{t}_a{a}_given",
                "multinomial",
                type=t,
                alpha=a,
                m=3,
                p=20,
                mode="given",
            )
        add(
            f"multinomial_{t}_weights",
            "multinomial",
            type=t,
            alpha=0.5,
            m=3,
            p=20,
            weights=True,
            mode="given",
        )
    for f in fams:
        add(f"cv_{f}_auto", f, cv=True)
        add(f"cv_{f}_weights_given", f, cv=True, weights=True, mode="given", alpha=0.5)
    add("cv_mgaussian_given", "mgaussian", m=3, cv=True, mode="given")
    add(
        "cv_multinomial_grouped_given",
        "multinomial",
        type="grouped",
        m=3,
        p=20,
        cv=True,
        mode="given",
    )
    # type.measure and fold sizes (2 rows per fold: glmnet's grouped=FALSE standard errors)
    add(
        "cv_gaussian_two_per_fold",
        "gaussian",
        n=40,
        p=10,
        nfolds=20,
        cv=True,
        weights=True,
        mode="given",
    )
    add("cv_poisson_leave_one_out", "poisson", n=40, p=10, nfolds=40, cv=True, mode="given")
    add("cv_binomial_auc_given", "binomial", cv=True, weights=True, mode="given", measure="auc")
    add("cv_binomial_class_given", "binomial", cv=True, mode="given", measure="class")
    add(
        "cv_multinomial_class_given",
        "multinomial",
        m=3,
        p=20,
        cv=True,
        weights=True,
        mode="given",
        measure="class",
    )
    return C


def make_data(c):
    rng = np.random.default_rng(1000 + c["seed"])
    n, p = c["n"], c["p"]
    Z = rng.standard_normal((n, p))
    if c["corr"]:  # AR(0.8) columns plus a shared factor, unequal scales and means
        for j in range(1, p):
            Z[:, j] = 0.8 * Z[:, j - 1] + 0.6 * Z[:, j]
        Z += 0.5 * rng.standard_normal((n, 1))
    X = Z * rng.uniform(0.5, 3.0, p) + rng.uniform(-2, 2, p)
    Xs = (X - X.mean(0)) / X.std(0)
    beta = np.zeros(p)
    beta[:5] = [1.0, -0.8, 0.6, 0.0, 0.5]
    if c.get("negmax"):
        beta[:5] = [-1.5, 0.3, 0.2, 0.0, 0.0]
    eta = Xs @ beta
    f = c["family"]
    if f == "gaussian":
        y = 3 + eta + rng.standard_normal(n)
    elif f == "binomial":
        y = (rng.random(n) < 1 / (1 + np.exp(-0.8 * eta))).astype(float)
    elif f == "poisson":
        y = rng.poisson(np.exp(0.5 + 0.4 * eta)).astype(float)
    elif f == "mgaussian":
        B = np.zeros((p, c["m"]))
        B[:4] = rng.standard_normal((4, c["m"]))
        y = Xs @ B + rng.standard_normal((n, c["m"]))
    else:  # multinomial, 3 classes
        B = np.zeros((p, 3))
        B[:4] = rng.standard_normal((4, 3))
        P = np.exp(0.7 * Xs @ B)
        P /= P.sum(1, keepdims=True)
        y = np.array([rng.choice(3, p=pr) for pr in P]).astype(float)
    d = dict(X=X, y=y)
    if c["weights"]:
        w = rng.uniform(0.2, 3.0, n)
        w[rng.choice(n, 5, replace=False)] = 0.0
        d["w"] = w
    if c["pf"]:
        v = rng.uniform(0.3, 2.5, p)
        v[[1, 7]] = 0.0  # feature 1 (in the model) and 7 unpenalized
        if c["pf"] == "sum_p":
            v *= p / v.sum()
        else:
            v *= 0.5 * p / v.sum()  # sums to p/2: glmnet rescales it to sum to p
        d["pf"] = v
    if c["cv"]:
        d["foldid"] = rng.permutation(np.arange(n) % c["nfolds"]) + 1
    if c["mode"] == "given":
        lmax = lambda_max(c, d)
        lo = 1e-3 if c["family"] in ("gaussian", "mgaussian") else 1e-2
        d["lambda"] = lmax * np.geomspace(1.2, lo, 30)
    return d


def lambda_max(c, d):
    """Rough λ_max (numpy) only to place a given λ sequence; not a reference value."""
    X, y = d["X"], d["y"]
    n = X.shape[0]
    w = d.get("w", np.ones(n))
    w = w / w.sum()
    if c["family"] == "multinomial":
        y = np.eye(3)[y.astype(int)]
    Y = y.reshape(n, -1)
    if c["intercept"]:
        mu = X.T @ w
        Xc = X - mu
        R = Y - w @ Y
    else:
        Xc = X
        base = {"binomial": 0.5, "poisson": 1.0}.get(c["family"], 0.0)
        R = Y - base
    if c["standardize"]:
        Xc = Xc / np.sqrt(w @ Xc**2)
    G = Xc.T @ (w[:, None] * R)
    g = np.linalg.norm(G, axis=1) if G.shape[1] > 1 else np.abs(G[:, 0])
    v = d.get("pf", np.ones(X.shape[1]))
    return float(np.max(g[v > 0] / v[v > 0]) / max(c["alpha"], 1e-3))


# --------------------------------------------------------------------------------- writing
def save(path, a):
    np.savetxt(path, np.atleast_1d(a), delimiter=",", fmt="%.17g")


def gen(root):
    for c in cases():
        d = make_data(c)
        cd = os.path.join(root, c["name"])
        os.makedirs(cd, exist_ok=True)
        for f in os.listdir(cd):
            os.remove(os.path.join(cd, f))
        save(os.path.join(cd, "X.csv"), d["X"])
        save(os.path.join(cd, "y.csv"), d["y"].reshape(len(d["y"]), -1))
        for k in ("w", "pf", "lambda", "foldid"):
            if k in d:
                save(os.path.join(cd, f"{k}.csv"), d[k])
        with open(os.path.join(cd, "spec.txt"), "w") as fh:
            fh.write(
                f"family {c['family']}\nalpha {c['alpha']!r}\n"
                f"standardize {'TRUE' if c['standardize'] else 'FALSE'}\n"
                f"intercept {'TRUE' if c['intercept'] else 'FALSE'}\n"
                f"lower {'0' if c['lower'] else '-Inf'}\ntype {c['type']}\n"
                f"cv {int(c['cv'])}\nnlambda {c['nlambda']}\n"
                f"measure {c['measure']}\n"
            )
        with open(os.path.join(cd, "case.json"), "w") as fh:
            json.dump(c, fh)
    print(f"wrote {len(cases())} cases under {root}")


def load(cd):
    def rd(f):
        return np.loadtxt(os.path.join(cd, f), delimiter=",", ndmin=2)

    c = json.load(open(os.path.join(cd, "case.json")))
    d = dict(case=c, X=rd("X.csv"), y=rd("y.csv"))
    for k in ("w", "pf", "lambda", "foldid"):
        if os.path.exists(os.path.join(cd, f"{k}.csv")):
            d[k] = rd(f"{k}.csv")[:, 0]
    g = {}
    for k in ("lambda", "dev", "coef", "cvm", "cvsd", "cvlambda", "cvsel"):
        f = os.path.join(cd, f"g_{k}.csv")
        if os.path.exists(f):
            g[k] = np.loadtxt(f, delimiter=",", ndmin=2)
    g["lambda"] = g["lambda"][:, 0]
    g["dev"] = g["dev"][:, 0]
    K, m, p = len(g["lambda"]), c["m"], d["X"].shape[1]
    co = g["coef"].reshape(K, m, p + 1)
    g["intercept"] = co[:, :, 0] if m > 1 else co[:, 0, 0]
    g["beta"] = co[:, :, 1:].transpose(0, 2, 1) if m > 1 else co[:, 0, 1:]
    for k in ("cvm", "cvsd", "cvlambda", "cvsel"):
        if k in g:
            g[k] = g[k][:, 0]
    wf = os.path.join(cd, "g_warnings.txt")
    g["warnings"] = open(wf).read().strip() if os.path.exists(wf) else ""
    return d, g


def ref(root):
    """Pack inputs and glmnet's outputs into ref.npz per case (stored reference data)."""
    for name in sorted(os.listdir(root)):
        cd = os.path.join(root, name)
        d, g = load(cd)
        arrs = {k: v for k, v in d.items() if k != "case"}
        arrs.update({f"glmnet_{k}": v for k, v in g.items() if k != "warnings"})
        np.savez(os.path.join(cd, "ref.npz"), spec=json.dumps(d["case"]), **arrs)
    print("packed ref.npz in", root)


# ------------------------------------------------------------------------------- comparing
def l1jax_options(c, d):
    loss = {
        "gaussian": "squared",
        "mgaussian": "squared",
        "binomial": "logistic",
        "poisson": "poisson",
        "multinomial": "multinomial",
    }[c["family"]]
    opts = dict(
        loss=loss,
        l1_ratio=c["alpha"],
        standardize=c["standardize"],
        fit_intercept=c["intercept"],
        positive=c["lower"],
        tol=TOL,
        sample_weight=d.get("w"),
        penalty_factor=d.get("pf"),
        lambdas=d["lambda"] if "lambda" in d else c["nlambda"],
    )
    if loss == "multinomial":
        opts["grouped"] = c["type"] == "grouped"
    return opts


def compare(cd):
    import warnings

    import l1jax

    d, g = load(cd)
    c = d["case"]
    X = d["X"]
    y = d["y"] if c["m"] > 1 and c["family"] == "mgaussian" else d["y"][:, 0]
    if c["family"] == "multinomial":
        y = y.astype(int)
    opts = l1jax_options(c, d)
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        if c["cv"]:
            cv = l1jax.cv_path(X, y, fold_ids=d["foldid"].astype(int) - 1, **opts)
            res = cv.path
        else:
            res = l1jax.path(X, y, **opts)
    out = dict(
        name=c["name"],
        warnings=[str(w.message)[:200] for w in ws],
        glmnet_warnings=g["warnings"][:300],
        K_glmnet=len(g["lambda"]),
        K_l1jax=len(res.lambdas),
        converged=bool(np.all(res.converged)),
        max_gap=float(np.max(res.gap)),
    )
    K = min(len(g["lambda"]), len(res.lambdas))
    lg, ll = g["lambda"][:K], np.asarray(res.lambdas)[:K]
    out["lambda_maxrel"] = float(np.max(np.abs(lg - ll) / lg))
    out["lambda_max_glmnet"], out["lambda_max_l1jax"] = float(lg[0]), float(ll[0])
    if len(g["lambda"]) > 1 and len(res.lambdas) > 1:
        out["ratio_glmnet"] = float(g["lambda"][-1] / g["lambda"][0])
        out["ratio_l1jax"] = float(res.lambdas[-1] / res.lambdas[0])
    bl = np.asarray(res.coef)[:K]
    il = np.asarray(res.intercept)[:K]
    bg, ig = g["beta"][:K], g["intercept"][:K]
    if c["family"] == "multinomial":  # intercepts are identified up to a common shift
        il = il - il.mean(-1, keepdims=True)
        ig = ig - ig.mean(-1, keepdims=True)
    scale = max(np.max(np.abs(bg)), 1e-300)
    db = np.abs(bl - bg).reshape(K, -1).max(1) / scale
    di = np.abs(il - ig).reshape(K, -1).max(1) / max(scale, np.max(np.abs(ig)))
    out["coef_maxrel"] = float(db.max())
    out["coef_argmax_k"] = int(db.argmax())
    out["intercept_maxrel"] = float(di.max())
    out["coef_rel_by_k"] = [float(x) for x in db]
    out["dev_maxabs"] = float(np.max(np.abs(np.asarray(res.dev_ratio)[:K] - g["dev"][:K])))
    out["support_mismatch"] = int(np.sum((bl != 0) != (bg != 0)))
    if c["cv"]:
        Kc = min(len(g["cvm"]), len(cv.cv_mean))
        out["cv_K"] = [len(g["cvm"]), len(cv.cv_mean)]
        out["cvm_maxrel"] = float(np.max(np.abs(cv.cv_mean[:Kc] - g["cvm"][:Kc]) / g["cvm"][:Kc]))
        out["cvsd_maxrel"] = float(np.max(np.abs(cv.cv_se[:Kc] - g["cvsd"][:Kc]) / g["cvsd"][:Kc]))
        out["lambda_min"] = [float(g["cvsel"][0]), float(cv.lambda_min)]
        out["lambda_1se"] = [float(g["cvsel"][1]), float(cv.lambda_1se)]
    with open(os.path.join(cd, "result.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    # l1jax's path next to glmnet's, for the reference store
    np.savez(
        os.path.join(cd, "l1jax.npz"),
        lambdas=np.asarray(res.lambdas),
        coef=np.asarray(res.coef),
        intercept=np.asarray(res.intercept),
        gap=np.asarray(res.gap),
        dev_ratio=np.asarray(res.dev_ratio),
    )
    return out


def table(root):
    rows = []
    for name in sorted(os.listdir(root)):
        f = os.path.join(root, name, "result.json")
        if not os.path.exists(f):
            rows.append(f"{name:42s} (no result)")
            continue
        r = json.load(open(f))
        s = (
            f"{name:42s} K g/l {r['K_glmnet']:3d}/{r['K_l1jax']:3d}"
            f"  lam {r['lambda_maxrel']:8.1e}"
            f"  coef {r['coef_maxrel']:8.1e}@{r['coef_argmax_k']:<3d}"
            f" b0 {r['intercept_maxrel']:8.1e}  dev {r['dev_maxabs']:8.1e}"
            f" gap {r['max_gap']:7.1e}{'' if r['converged'] else ' UNCONV'}"
        )
        if "cvm_maxrel" in r:
            s += (
                f"  cvm {r['cvm_maxrel']:.1e} cvsd {r['cvsd_maxrel']:.1e}"
                f" lmin {r['lambda_min'][0]:.6g}/{r['lambda_min'][1]:.6g}"
                f" l1se {r['lambda_1se'][0]:.6g}/{r['lambda_1se'][1]:.6g}"
            )
        if r["warnings"] or r["glmnet_warnings"]:
            s += "  WARN"
        rows.append(s)
    print("\n".join(rows))


if __name__ == "__main__":
    cmd = sys.argv[1]
    root = sys.argv[2] if len(sys.argv) > 2 else ROOT
    if cmd == "gen":
        gen(root)
    elif cmd == "ref":
        ref(root)
    elif cmd == "cmp":
        pats = sys.argv[3:]
        for name in sorted(os.listdir(root)):
            if pats and not any(s in name for s in pats):
                continue
            try:
                r = compare(os.path.join(root, name))
                print(
                    f"{name}: coef {r['coef_maxrel']:.2e} lam {r['lambda_maxrel']:.2e} "
                    f"K {r['K_glmnet']}/{r['K_l1jax']}",
                    flush=True,
                )
            except Exception as e:  # noqa: BLE001
                print(f"{name}: ERROR {type(e).__name__}: {e}", flush=True)
    elif cmd == "table":
        table(root)

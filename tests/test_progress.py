"""Progress lines of path, cv_path and stability_selection (``verbose=True``, issue 17), and
warnings that name the user's line."""

import sys
import threading
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import l1jax
from l1jax import _programs, _progress, cv


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 7))
    return X, X[:, 0] - X[:, 1] + 0.5 * rng.standard_normal(60)


def test_path_reports_its_compilation_once_and_what_it_fitted(tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("L1JAX_CACHE_DIR", str(tmp_path))  # empty: the first call compiles
    _programs.clear_memory()
    X, y = _data()
    res = l1jax.path(X, y, lambdas=30, verbose=True)
    err = capfd.readouterr().err
    assert "[l1jax.path" in err and "fitting a squared path (up to 30 λs)" in err
    assert "compiling l1jax.engine.run" in err and "compiled l1jax.engine.run in" in err
    assert f"fitted {res.lambdas.size} λs" in err
    l1jax.path(X, y, lambdas=30, verbose=True)
    err = capfd.readouterr().err
    assert "compiling" not in err and "fitted" in err
    _programs.clear_memory()


def test_verbose_reports_its_own_calls_compilations_not_another_threads(tmp_path, monkeypatch,
                                                                         capfd):  # fmt: skip
    """A verbose call's lines reported every thread's compilations (a quiet call's in another
    thread, "compiled ... in 5.0 s" at 0.0 s of a warm call); a cv_path's fold threads, its
    own, are still reported; with no stderr (pythonw, ``2>&-``) verbose prints nothing."""
    monkeypatch.setenv("L1JAX_CACHE_DIR", str(tmp_path))  # empty: a first call compiles
    _programs.clear_memory()
    X, y = _data()
    l1jax.path(X, y, lambdas=30)
    capfd.readouterr()
    other = threading.Thread(target=l1jax.path, args=(X[:, :5], (y > 0) * 1.0),
                             kwargs=dict(loss="logistic", lambdas=10))  # fmt: skip
    with _progress.progress("l1jax.path", True):
        other.start()
        other.join()
    assert "compil" not in capfd.readouterr().err
    counts = np.round(np.abs(y))
    l1jax.cv_path(X, counts, loss="poisson", n_folds=3, lambdas=10, verbose=True)
    assert "compiling l1jax.engine.run" in capfd.readouterr().err
    monkeypatch.setattr(sys, "stderr", None)
    l1jax.path(X[:, :4], y, lambdas=10, verbose=True)
    _programs.clear_memory()


def test_early_stop_is_reported():
    from l1jax.path import fitted_words

    X, y = _data()
    res = l1jax.path(X, y, lambdas=100)
    assert res.lambdas.size < 100  # the rule applies on these data
    assert "stopped early by glmnet's rule" in fitted_words(res, 100)
    assert "stopped" not in fitted_words(res, res.lambdas)


def test_cv_path_reports_each_fold(capfd):
    X, y = _data()
    l1jax.cv_path(X, y, n_folds=3, lambdas=20, verbose=True)
    err = capfd.readouterr().err
    one_by_one = ("fold 1/3", "fold 3/3") if not cv._batched(None) else ()  # (a CPU's route)
    for line in ("fitting the squared path on all 60 rows", *one_by_one, "fitted the 3 folds"):
        assert line in err


def test_cv_estimators_report_the_rows_of_positive_weight(capfd):
    """The estimators pad rows with zero weight (shared programs; p > n, a tall X's Gram matrix,
    formed on the host, is not padded): cv_path's progress counts the rows of positive weight,
    the user's (it said "all 128 rows" for 40; probe)."""
    from l1jax.estimators import LassoCV

    X, y = _data()
    X = np.hstack([X, np.random.default_rng(1).standard_normal((60, 43))])  # (50 columns)
    LassoCV(alphas=5, cv=3, verbose=True).fit(X[:40], y[:40])
    err = capfd.readouterr().err
    assert "fitting the squared path on the 40 rows of positive weight" in err, err


def test_stability_selection_reports_each_subsample(capfd):
    X, y = _data()
    l1jax.stability_selection(X, y, n_subsamples=4, lambdas=8, verbose=True)
    err = capfd.readouterr().err
    assert "4 subsamples × 8 λs" in err
    assert "subsample 4/4" in err or cv._batched(None)  # (one by one on a CPU; else vmapped)


@pytest.mark.parametrize("call", ["path", "cv_path", "stability_selection"])
def test_quiet_by_default(call, capfd):
    X, y = _data()
    kwargs = {"n_folds": 3} if call == "cv_path" else {}
    kwargs.update({"n_subsamples": 4} if call == "stability_selection" else {})
    getattr(l1jax, call)(X, y, lambdas=8, **kwargs)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("call", ["path", "cv_path", "stability_selection"])
def test_verbose_must_be_a_bool(call):
    X, y = _data()
    with pytest.raises(TypeError, match="verbose"):
        getattr(l1jax, call)(X, y, verbose="yes")


@pytest.mark.parametrize("x64", [True, False])
def test_convergence_warnings_name_the_callers_line(x64):
    """Every unconverged call warns at the user's line (the first frame outside l1jax), by the
    name of the function called: path's warning named l1jax's own decorator (_inputs.py),
    cv_path's refit and stability_selection's path on all rows warned as "l1jax.path" from a
    worker thread's frame or the decorator, and the CV estimators from their fit method."""
    from l1jax.estimators import Lasso, LassoCV

    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 80))
    y = X[:, 0] + rng.standard_normal(50)
    calls = {
        "path": lambda: l1jax.path(X, y, max_iter=3),
        "cv_path": lambda: l1jax.cv_path(X, y, max_iter=3, n_folds=3, lambdas=10),
        "stability": lambda: l1jax.stability_selection(
            X, y, max_iter=3, n_subsamples=4, lambdas=5
        ),  # fmt: skip
        "minimize": lambda: l1jax.minimize(
            lambda w: jnp.sum((w - 1) ** 2), jnp.zeros(3), lam=0.1, max_iter=1
        ),  # fmt: skip
        "Lasso": lambda: Lasso(alpha=1e-4, max_iter=3).fit(X, y),
        "LassoCV": lambda: LassoCV(alphas=5, max_iter=3, cv=3).fit(X, y),
    }
    names = {"cv_path": {"l1jax.cv_path (its refit on all rows)", "l1jax.cv_path"},
             "stability": {"l1jax.stability_selection (its path on all rows, which sets the "
                           "λs)", "l1jax.stability_selection"}}  # fmt: skip
    for name, call in calls.items():
        with jax.enable_x64(x64), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert caught, name
        assert {w.filename for w in caught} == {__file__}, (name, [w.filename for w in caught])
        if name in names:
            assert {str(w.message).split(":")[0] for w in caught} == names[name]


def test_a_nonfinite_fit_is_not_told_to_iterate_more():
    """A λ whose fit reached NaN or inf (status NONFINITE) was reported as "did not converge:
    worst relative duality gap nan ... Increase max_iter": no number of iterations mends it."""
    from l1jax.path import warn_unconverged

    status = np.array([l1jax.Status.CONVERGED, l1jax.Status.NONFINITE, l1jax.Status.MAX_ITER])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_unconverged("l1jax.path", status, np.array([1e-9, np.nan, 1e-3]),
                         np.array([1.0, 0.5, 0.25]), 1e-7, 100)  # fmt: skip
    texts = [str(w.message) for w in caught]
    assert len(texts) == 2, texts
    assert "1 of 3 λs did not converge: the fit reached a value that is not finite" in texts[0]
    assert "λ=0.5" in texts[0] and "max_iter" not in texts[0]
    assert "1 of 3 λs did not converge: worst relative duality gap 0.001 at λ=0.25" in texts[1]


def test_lines_from_threads_stay_whole(monkeypatch):
    # cv_path's fold threads report at once: print wrote each message and its newline apart, so
    # 'fold 4/10 fitted[l1jax.cv_path 0.4 s] fold 5/10 fitted' came out on one line.
    import sys
    import threading
    import time

    from l1jax._progress import Progress

    class SlowStream:  # a stream that yields the GIL inside every write, as a pipe can
        def __init__(self):
            self.parts = []

        def write(self, text):
            time.sleep(1e-4)
            self.parts.append(text)

        def flush(self):
            pass

    stream = SlowStream()
    monkeypatch.setattr(sys, "stderr", stream)
    report = Progress("l1jax.cv_path", True)

    def fold(f):
        for i in range(20):
            report(f"fold {f} step {i}")

    threads = [threading.Thread(target=fold, args=(f,)) for f in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = "".join(stream.parts).splitlines()
    assert len(lines) == 80
    assert all(line.startswith("[l1jax.cv_path") and line.count("[") == 1 for line in lines)

"""The persistent cache of l1jax's compiled programs (l1jax/_programs.py)."""

import ast
import contextlib
import functools
import os
import subprocess
import sys
import textwrap
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import l1jax
from l1jax import _programs, engine, implicit, solvers
from l1jax.losses import MULTINOMIAL


@functools.partial(_programs.program, static_argnames=("power",))
def _poly(x, scale, power, *, shift=0.0):
    return scale * x**power + shift


@_programs.program
def _data_norm(data: solvers.Data, w):
    return jnp.sum((data.X @ w - data.y) ** 2), data.X.T @ data.y


@_programs.program
def _add(x, y):
    return x + y


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache directory, and no executable in memory."""
    monkeypatch.setenv("L1JAX_CACHE_DIR", str(tmp_path))
    _programs.clear_memory()
    yield tmp_path
    _programs.clear_memory()


def _files(root):
    return sorted(os.path.join(folder, f) for folder, _, files in os.walk(root) for f in files)


def _expect(compiled=0, loaded=0, hits=0):
    assert _programs.stats() == {"compiled": compiled, "loaded": loaded, "hits": hits}


def test_compiles_once_per_type(cache):
    x = jnp.arange(3.0)
    np.testing.assert_allclose(_poly(x, 2.0, 2), 2 * x**2)
    _expect(compiled=1)
    np.testing.assert_allclose(_poly(jnp.arange(4.0), 2.0, 2), 2 * jnp.arange(4.0) ** 2)
    _expect(compiled=2)
    np.testing.assert_allclose(_poly(x + 1, 3.0, 2), 3 * (x + 1) ** 2)  # new values, same types
    np.testing.assert_allclose(_poly(np.arange(3.0), 2.0, 2), 2 * x**2)  # NumPy: same type
    _expect(compiled=2, hits=2)
    _poly(x, 2.0, 3)  # another static value
    _poly(x, jnp.float64(2.0), 2)  # a strong float64 scale, not a weak Python float
    _poly(x, 2.0, 2, shift=1.0)  # another pytree structure
    _expect(compiled=5, hits=2)
    assert len(_files(cache)) == 5


def test_x64_setting_is_part_of_the_key(cache):
    assert _poly(1.0, 2.0, 2).dtype == jnp.float64
    with jax.enable_x64(False):
        assert _poly(1.0, 2.0, 2).dtype == jnp.float32
    _expect(compiled=2)


def test_static_argument_by_position_or_keyword(cache):
    x = jnp.arange(3.0)
    a = _poly(x, 2.0, 2)
    b = _poly(x, 2.0, power=2)
    c = _poly(x, scale=2.0, power=2)  # scale by keyword: another structure
    _expect(compiled=2, hits=1)
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(a, c)


def test_loads_from_disk_in_a_new_process(cache):
    data = solvers.Data(X=jnp.ones((4, 3)), y=jnp.arange(4.0))  # a NamedTuple pytree
    w = jnp.arange(3.0)
    first = _data_norm(data, w)
    _expect(compiled=1)
    _programs.clear_memory()
    second = _data_norm(data, w)
    _expect(loaded=1)
    jax.tree.map(np.testing.assert_array_equal, first, second)
    _data_norm(data, w)
    _expect(loaded=1, hits=1)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_damaged_file_is_rebuilt(cache, damage):
    x = jnp.arange(3.0)
    expected = _poly(x, 2.0, 2)
    (path,) = _files(cache)
    good = open(path, "rb").read()
    with open(path, "wb") as f:
        if damage == "garbage":
            f.write(os.urandom(len(good)))
        elif damage == "truncated":
            f.write(good[: len(good) // 2])
    _programs.clear_memory()
    np.testing.assert_allclose(_poly(x, 2.0, 2), expected)
    _expect(compiled=1)
    assert _files(cache) == [path]
    assert len(open(path, "rb").read()) == len(good)  # a valid file again
    _programs.clear_memory()
    _poly(x, 2.0, 2)
    _expect(loaded=1)


def test_temporary_files_of_killed_writers_are_cleared(cache):
    """A process killed while it wrote a program leaves its temporary file; the next store in
    that directory removes those over an hour old (a younger one may be another writer's)."""
    _poly(jnp.arange(3.0), 2.0, 2)
    (path,) = _files(cache)
    folder = os.path.dirname(path)
    stale, fresh = os.path.join(folder, ".killed.tmp"), os.path.join(folder, ".writing.tmp")
    for name in (stale, fresh):
        with open(name, "wb") as f:
            f.write(b"part of a program")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    _poly(jnp.arange(5.0), 2.0, 2)  # a new program, stored beside them
    assert not os.path.exists(stale) and os.path.exists(fresh)
    assert len([f for f in _files(cache) if f.endswith(".bin")]) == 2


def test_executable_failing_its_first_call_is_rebuilt(cache, monkeypatch):
    x = jnp.arange(3.0)
    _poly(x, 2.0, 2)

    def broken(*args, **kwargs):
        def run(*args):
            raise RuntimeError("compiled for another machine")

        return run

    monkeypatch.setattr(_programs.serialize_executable, "deserialize_and_load", broken)
    _programs.clear_memory()
    np.testing.assert_allclose(_poly(x, 2.0, 2), 2 * x**2)
    _expect(compiled=1, loaded=1)
    assert len(_files(cache)) == 1


def test_executable_failing_when_its_outputs_are_read_is_rebuilt(cache, monkeypatch):
    """JAX dispatches asynchronously: a loaded executable that does not run here may return at
    once and fail when its outputs are read (CI: "NOT_FOUND: Function ... not found" in
    np.asarray). Its first call is waited for, so the error comes there and it is rebuilt."""
    x = jnp.arange(3.0)
    _poly(x, 2.0, 2)

    class Pending:
        def block_until_ready(self):
            raise RuntimeError("NOT_FOUND: Function broadcast_subtract_fusion not found")

    def broken(*args, **kwargs):
        return lambda *args: Pending()

    monkeypatch.setattr(_programs.serialize_executable, "deserialize_and_load", broken)
    _programs.clear_memory()
    np.testing.assert_allclose(_poly(x, 2.0, 2), 2 * x**2)
    _expect(compiled=1, loaded=1)
    assert len(_files(cache)) == 1


def test_another_environment_is_never_read(cache, monkeypatch):
    x = jnp.arange(3.0)
    _poly(x, 2.0, 2)
    (path,) = _files(cache)
    here, device = _programs._get_environment()
    sibling = cache / "jax0.0-cpu-0123456789abcdef"  # another environment's files: garbage
    sibling.mkdir()
    garbage = sibling / os.path.basename(path)
    garbage.write_bytes(b"not a program")
    _programs.clear_memory()
    _poly(x, 2.0, 2)
    _expect(loaded=1)
    assert garbage.read_bytes() == b"not a program"  # never opened
    monkeypatch.setattr(_programs, "_environment", (sibling.name, device))
    _programs.clear_memory()
    np.testing.assert_allclose(_poly(x, 2.0, 2), 2 * x**2)
    _expect(compiled=1)  # the garbage was read, found bad and replaced; the other env untouched
    assert os.path.exists(path) and garbage.read_bytes() != b"not a program"


def test_code_changed_after_import_keeps_the_imported_codes_environment(monkeypatch):
    """l1jax upgraded on disk while a process runs (pip in a notebook): the process still runs
    the code it imported, so its programs stay filed under that code's hash. Hashed at the
    first compilation, they went under the new code's, which then loaded a program whose results
    it did not unpack ("expected 5, got 4", met when cv.py was edited during a test run)."""
    monkeypatch.setattr(_programs, "_environment", None)
    imported, _ = _programs._get_environment()
    monkeypatch.setattr(_programs, "_source_hash", lambda: "the code now on disk")
    monkeypatch.setattr(_programs, "_environment", None)
    assert _programs._get_environment()[0] == imported


def test_empty_cache_dir_turns_disk_off(cache, monkeypatch):
    monkeypatch.setenv("L1JAX_CACHE_DIR", "")
    assert _programs.cache_dir() is None
    np.testing.assert_allclose(_poly(jnp.arange(3.0), 2.0, 2), 2 * jnp.arange(3.0) ** 2)
    _programs.clear_memory()
    _poly(jnp.arange(3.0), 2.0, 2)
    _expect(compiled=1)
    assert _files(cache) == []


def test_default_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("L1JAX_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert l1jax.cache_dir() == os.path.join(str(tmp_path), "l1jax")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert _programs.cache_dir() == os.path.join(os.path.expanduser("~"), ".cache", "l1jax")
    # (relative: a folder of the working directory; the XDG specification ignores one, and
    # with no home directory known, "~" was kept as a folder named "~": no disk cache then)
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")
    assert _programs.cache_dir() == os.path.join(os.path.expanduser("~"), ".cache", "l1jax")
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)
    assert _programs.cache_dir() is None


def test_the_cpus_fingerprint_reads_its_file_with_an_encoding():
    """/proc/cpuinfo was opened in the locale's encoding: an EncodingWarning of l1jax's own
    under ``-X warn_default_encoding`` (an error under ``-W error``, at the first fit)."""
    code = "from l1jax import _programs; _programs._cpu_fingerprint()"
    subprocess.run([sys.executable, "-X", "warn_default_encoding", "-W",
                    "error::EncodingWarning:l1jax._programs", "-c", code], check=True,
                   env={**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(
                       os.path.abspath(l1jax.__file__)))})  # fmt: skip


def test_unwritable_directory_warns_once_and_computes(cache, monkeypatch):
    blocker = cache / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("L1JAX_CACHE_DIR", str(blocker / "cache"))
    with pytest.warns(RuntimeWarning, match="L1JAX_CACHE_DIR") as caught:
        np.testing.assert_allclose(_poly(jnp.arange(3.0), 2.0, 2), 2 * jnp.arange(3.0) ** 2)
    assert caught[0].filename == __file__  # the user's line, not l1jax/_programs.py
    _poly(jnp.arange(4.0), 2.0, 2)  # no second warning (warnings are errors in CI if enabled)
    assert _files(cache) == [str(blocker)]


def test_jax_configuration_is_untouched(cache):
    jax.jit(lambda x: x + 1)(1.0)  # JAX decides whether its own cache is used at a first compile
    before = jax.config.jax_compilation_cache_dir
    _poly(jnp.arange(3.0), 2.0, 2)
    assert jax.config.jax_compilation_cache_dir == before
    n_files = len(_files(cache))
    jax.jit(lambda x: x * 7.0 - 1)(jnp.arange(5.0))  # the user's own program
    assert len(_files(cache)) == n_files


def test_jax_cache_of_the_user_is_used_instead(cache, tmp_path_factory):
    jax.jit(lambda x: x + 1)(1.0)
    theirs = str(tmp_path_factory.mktemp("jax-cache"))
    jax.config.update("jax_compilation_cache_dir", theirs)
    try:
        assert _programs.cache_dir() is None
        np.testing.assert_allclose(_poly(jnp.arange(3.0), 2.0, 2), 2 * jnp.arange(3.0) ** 2)
        assert _files(cache) == []
    finally:
        jax.config.update("jax_compilation_cache_dir", None)


@_programs.program
def _unrolled(x):
    for k in range(20):  # (an executable of ~100 memory maps on a CPU)
        x = jnp.sin(x * (k + 1)) @ jnp.cos(x.T)
        x = x / (1 + jnp.abs(x).sum())
    return x


def test_least_recently_used_executables_are_let_go(cache, monkeypatch):
    """Past MAX_PROGRAMS, the least recently used executable is dropped (XLA's CPU executables
    take 400-650 memory maps each, and Linux allows 65,530 per process); needed again, it is
    read from disk."""
    monkeypatch.setattr(_programs, "MAX_PROGRAMS", 2)
    for n in (3, 4, 5):
        _poly(jnp.arange(float(n)), 2.0, 2)
        _poly(jnp.arange(3.0), 2.0, 2)  # the first stays the most recently used
    _expect(compiled=3, hits=3)
    np.testing.assert_allclose(_poly(jnp.arange(3.0), 2.0, 2), 2 * jnp.arange(3.0) ** 2)
    np.testing.assert_allclose(_poly(jnp.arange(4.0), 2.0, 2), 2 * jnp.arange(4.0) ** 2)
    _expect(compiled=3, loaded=1, hits=4)  # n = 4 was let go, n = 3 was not
    assert len(_programs._memory) == 2


@pytest.mark.skipif(
    not os.path.exists("/proc/self/maps") or jax.default_backend() != "cpu",
    reason="a CPU executable's code in Linux's memory maps (a GPU's: none)",
)
def test_executables_let_go_release_their_memory(cache, monkeypatch):
    """Nothing else holds an executable that l1jax lets go (JAX's in-memory caches keep those
    of a jitted function alive as long as the function lives): eight programs take the memory
    maps of the two kept, not of eight."""
    import gc

    def maps():
        with open("/proc/self/maps") as f:
            return sum(1 for _ in f)

    monkeypatch.setattr(_programs, "MAX_PROGRAMS", 2)
    start = maps()
    for n in (3, 4):
        _unrolled(jnp.ones((n, n)))
    two = maps() - start
    for n in range(5, 11):
        _unrolled(jnp.ones((n, n)))
    gc.collect()
    assert maps() - start < 2 * two, (maps() - start, two)


def test_precompile_then_call(cache):
    _poly.precompile(jax.ShapeDtypeStruct((6,), jnp.float64), 2.0, 3)
    _poly.precompile(jnp.arange(7.0), 2.0, power=3)
    np.testing.assert_allclose(_poly(jnp.arange(6.0), 0.5, 3), 0.5 * jnp.arange(6.0) ** 3)
    np.testing.assert_allclose(_poly(np.arange(7.0), 0.5, 3), 0.5 * np.arange(7.0) ** 3)
    _expect(compiled=2, hits=2)


def test_compiled_is_the_executable_of_the_call(cache):
    """``compiled`` gives the call's executable (memory analysis, HLO) without a second
    compilation, before or after the call."""
    x = jnp.arange(5.0)
    before = _poly.compiled(x, 2.0, 3)
    _expect(compiled=1)
    np.testing.assert_allclose(_poly(x, 2.0, 3), 2 * x**3)
    assert _poly.compiled(x, 2.0, power=3) is before
    _expect(compiled=1, hits=2)
    assert before.memory_analysis().output_size_in_bytes == 5 * 8
    with jax.disable_jit(False), jax.debug_nans(True):  # a call that plain jax.jit serves
        assert "multiply" in _poly.compiled(x, 2.0, 3).as_text()


def test_precompile_compiles_under_the_callers_x64_scope(cache):
    """The background compile runs in another thread, which starts from JAX's global settings:
    with x64 off globally and on in the caller's scope, it must still build the float64
    program that the call then uses (not a float32 one, and not a second compile)."""
    jax.config.update("jax_enable_x64", False)
    try:
        with jax.enable_x64(True):
            _poly.precompile(jax.ShapeDtypeStruct((5,), jnp.float64), 2.0, 3)
            out = _poly(np.arange(5.0), 2.0, 3)
    finally:
        jax.config.update("jax_enable_x64", True)  # the suite's setting (conftest)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, 2 * np.arange(5.0) ** 3)
    _expect(compiled=1, hits=1)


def test_threads_run_under_the_callers_debug_scopes():
    """cv_path fits folds in threads: a caller's ``jax.debug_nans`` / ``debug_infs`` /
    ``disable_jit`` must hold there too (a new thread starts from JAX's global settings), so that
    a NaN raises instead of passing silently."""

    def settings():
        config = jax.config
        return config.jax_debug_nans, config.jax_debug_infs, config.jax_disable_jit

    with jax.debug_nans(True), jax.debug_infs(True), jax.disable_jit():
        inside = _programs._executor().submit(_programs.in_caller_scope(settings)).result()
    assert inside == (True, True, True)
    assert _programs._executor().submit(_programs.in_caller_scope(settings)).result() == (
        False, False, False)  # fmt: skip

    def nan_through_jit():
        return jax.jit(jnp.log)(-jnp.ones(2))

    with jax.debug_nans(True), pytest.raises(FloatingPointError):
        _programs._executor().submit(_programs.in_caller_scope(nan_through_jit)).result()


def test_failed_precompile_raises_at_the_call(cache):
    _add.precompile(jax.ShapeDtypeStruct((3,), jnp.float64), jax.ShapeDtypeStruct((4,), float))
    with pytest.raises(TypeError):
        _add(jnp.zeros(3), jnp.zeros(4))


def test_traced_calls_go_to_jax_jit(cache):
    out = jax.vmap(lambda x: _poly(x, 2.0, 2))(jnp.ones((2, 3)))
    grad = jax.grad(lambda x: _poly(x, 2.0, 2).sum())(jnp.ones(3))
    np.testing.assert_allclose(out, 2 * jnp.ones((2, 3)))
    np.testing.assert_allclose(grad, 4 * jnp.ones(3))
    _expect()
    assert _files(cache) == []


def _record_compiles(monkeypatch, what) -> list:
    """``what(compiler_options, compiled)`` of every compilation from now on, where not None
    (a list that fills up)."""
    seen = []
    compile_ = jax.stages.Lowered.compile

    def recording(self, compiler_options=None, **kwargs):
        compiled = compile_(self, compiler_options, **kwargs)
        record = what(compiler_options, compiled)
        if record is not None:
            seen.append(record)
        return compiled

    monkeypatch.setattr(jax.stages.Lowered, "compile", recording)
    return seen


def _record_compile_options(monkeypatch) -> list:
    """The compiler options of every compilation from now on (a list that fills up)."""
    return _record_compiles(monkeypatch, lambda options, _: options)


def test_compiler_options_reach_the_compilation(cache, monkeypatch):
    """l1jax compiles its programs with its options for the backend (:data:`_COMPILER_OPTIONS`:
    on a CPU, XLA's loop-fusion emitters), and a jaxlib that does not know an option compiles
    without it instead of failing."""
    wanted = _programs._COMPILER_OPTIONS.get(jax.default_backend(), {})
    assert _programs.compiler_options() == wanted
    seen = _record_compile_options(monkeypatch)
    np.testing.assert_allclose(_poly(jnp.arange(3.0), 2.0, 2), 2 * jnp.arange(3.0) ** 2)
    assert seen == [wanted]
    unknown = {jax.default_backend(): {"xla_l1jax_no_such_option": 1}}
    monkeypatch.setattr(_programs, "_COMPILER_OPTIONS", unknown)
    monkeypatch.setattr(_programs, "_options", None)
    assert _programs.compiler_options() == {}
    _programs.clear_memory()
    np.testing.assert_allclose(_poly(jnp.arange(4.0), 2.0, 2), 2 * jnp.arange(4.0) ** 2)


LICM_OFF = {"xla_disable_hlo_passes": "while-loop-invariant-code-motion"}


@functools.partial(_programs.program, static_argnames=("power",),
                   options=lambda static, _: LICM_OFF if static["power"] > 2 else {})  # fmt: skip
def _power(x, power=2):
    return x**power


def test_program_options_follow_its_static_arguments(cache, monkeypatch):
    """A program's own options (``options=``, from its static arguments, defaults included)
    join l1jax's options of the compilation on a CPU; the engine leaves XLA's loop-invariant
    code motion out of its programs with dense FISTA widths and of Newton's (logistic, Poisson,
    multinomial) only."""
    wanted = _programs.compiler_options()
    seen = _record_compile_options(monkeypatch)
    x = jnp.arange(3.0)
    np.testing.assert_allclose(_power(x), x**2)
    np.testing.assert_allclose(_power(x, power=3), x**3)
    own = LICM_OFF if wanted else {}  # (with l1jax's options only: a CPU)
    assert seen == [wanted, {**wanted, **own}]

    st = engine.Static(loss="squared", positive=False, fit_intercept=True, free=False, block=8)
    big = dict(st=st, capacity=2 * engine.DENSE_FROM, dense=True, slots=0)
    assert engine._run_options(big) == LICM_OFF
    assert engine._run_options({**big, "capacity": engine.DENSE_FROM}) == {}
    assert engine._run_options({**big, "dense": False}) == {}  # (a vmapped run: pieces)
    assert engine._run_options({**big, "slots": 4096}) == {}  # (a sparse X's entries)
    grouped_classes = dict(big, st=st._replace(loss=MULTINOMIAL), capacity=engine.DENSE_FROM)
    assert engine._run_options(grouped_classes) == {}  # (FISTA on the pieces)
    multinomial = st._replace(loss=MULTINOMIAL, entrywise=True)  # (Newton at any capacity)
    assert engine._run_options({**big, "st": multinomial}) == LICM_OFF
    newton = dict(big, st=st._replace(loss="logistic"), capacity=engine.NEWTON_MAX)
    assert engine._run_options(newton) == LICM_OFF  # (Newton's small working sets)
    assert engine._run_options({**newton, "st": st}) == {}  # (the squared loss: FISTA)
    assert engine._run_options({**newton, "slots": 4096}) == {}
    # one λ at a time in float64: no tree of reductions either (below)
    one = dict(newton, st=newton["st"]._replace(block=1))
    both = "while-loop-invariant-code-motion,tree_reduction_rewriter"
    assert engine._run_options(one, np.dtype(np.float64)) == {"xla_disable_hlo_passes": both}
    assert engine._run_options(one, np.dtype(np.float32)) == LICM_OFF
    assert engine._run_options({**one, "st": st._replace(block=1)}, np.float64) == TREE_OFF
    assert engine._run_options({**one, "st": st._replace(block=1)}, np.float32) == {}


TREE_OFF = {"xla_disable_hlo_passes": "tree_reduction_rewriter"}


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="l1jax's XLA options are a CPU's")
def test_passes_disabled_by_xla_flags_stay_disabled_in_programs_with_their_own(
    cache, monkeypatch
):  # fmt: skip
    """A program's own list of passes to leave out (:func:`_power`'s) would replace the list of
    ``XLA_FLAGS`` in XLA: l1jax passes both."""
    if not _programs.compiler_options():
        pytest.skip("this jaxlib compiles without l1jax's options")
    seen = _record_compile_options(monkeypatch)
    flags = f"{os.environ.get('XLA_FLAGS', '')} --xla_disable_hlo_passes=tree_reduction_rewriter"
    monkeypatch.setenv("XLA_FLAGS", flags)
    x = jnp.linspace(0.0, 1.0, 1000)
    np.testing.assert_allclose(_power(x, power=3), x**3)
    passes = seen[-1]["xla_disable_hlo_passes"].split(",")
    assert "while-loop-invariant-code-motion" in passes and "tree_reduction_rewriter" in passes


def _reduce_windows(monkeypatch) -> list:
    """For every engine program compiled from now on: its reduce-windows of 32 (XLA's tree of
    reductions on a CPU)."""

    def count(_, compiled):
        text = compiled.as_text()
        if text.startswith("HloModule jit__run"):  # (the engine's programs)
            return text.count("window={size=32 stride=32")
        return None

    return _record_compiles(monkeypatch, count)


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="l1jax's XLA options are a CPU's")
def test_one_lambda_programs_compile_without_a_tree_of_reductions(cache, monkeypatch):
    """A float64 path solved one λ at a time (:func:`l1jax.engine._run_options`) compiles
    without XLA's tree of reductions: each of its reduce-windows was a kernel compiled on its
    own. Blocks of λs keep it (their batched reductions compile slower without), and so does
    float32 (whose sums it keeps as accurate as its certificates need)."""
    if not _programs.compiler_options():
        pytest.skip("this jaxlib compiles without l1jax's options")
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 300))
    y = X[:, :3] @ np.array([1.0, -2.0, 1.5]) + 0.1 * rng.standard_normal(60)
    seen = _reduce_windows(monkeypatch)
    l1jax.path(X, y, lambdas=8, block_size=1)
    assert seen == [0]
    l1jax.path(X, y, lambdas=8, block_size=8)
    l1jax.path(X.astype(np.float32), y.astype(np.float32), lambdas=8, block_size=1)
    assert len(seen) == 3 and seen[1] > 0 and seen[2] > 0


def _blocks(monkeypatch) -> list:
    """The block size of every path the engine solves from now on (a list that fills up)."""
    seen, solve = [], engine.solve

    def recording(problem, state, st, *args, **kwargs):
        seen.append(st.block)
        return solve(problem, state, st, *args, **kwargs)

    monkeypatch.setattr(engine, "solve", recording)
    return seen


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the rule is a CPU's")
def test_small_gram_matrices_solve_one_lambda_at_a_time(cache, monkeypatch):
    """The squared loss with p ≤ n solves one λ at a time on a CPU when its padded Gram matrix
    has at most ``engine.SMALL_GRAM`` columns (its program compiles faster, and its path takes
    milliseconds either way); wider Gram matrices, and a multi-task y, keep their blocks. The
    solutions are the same to the tolerance."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((200, 70))
    y = X[:, :4] @ np.array([1.0, -2.0, 1.5, 0.5]) + rng.standard_normal(200)
    seen = _blocks(monkeypatch)
    small = l1jax.path(X[:, :40], y, lambdas=12, tol=1e-10)
    in_blocks = l1jax.path(X[:, :40], y, lambdas=12, tol=1e-10, block_size=8)
    l1jax.path(X, y, lambdas=12)  # 70 columns: a Gram matrix of 96
    l1jax.path(X[:, :40], np.stack([y, -y], axis=1), lambdas=12)  # multi-task: 2
    assert seen == [1, 8, 8, 2] and engine.SMALL_GRAM == 64
    assert np.all(small.converged) and np.all(in_blocks.converged)
    np.testing.assert_allclose(small.coef, in_blocks.coef, atol=1e-6)


def _popen_kwargs(cache, **env) -> dict:
    env = dict(os.environ, L1JAX_CACHE_DIR=str(cache), JAX_PLATFORMS="cpu", **env)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    return dict(env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run_python(code, cache, **env):
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)],
                            **_popen_kwargs(cache, **env))  # fmt: skip


def _output(process):
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out.strip()


def test_several_devices(cache):
    code = """
        import jax, jax.numpy as jnp, numpy as np
        from jax.sharding import NamedSharding, PartitionSpec
        from l1jax import _programs

        f = _programs.program(lambda x: jnp.sin(x) * 2, name="test_programs.devices")
        x = jnp.arange(8.0)
        f(x)
        _programs.clear_memory()
        assert f(x).sharding.device_set == {jax.devices()[0]}  # loaded for one device
        mesh = jax.make_mesh((4,), ("d",))
        sharded = jax.device_put(x, NamedSharding(mesh, PartitionSpec("d")))
        assert f(sharded).sharding.spec == PartitionSpec("d")
        assert f(jax.device_put(x, jax.devices()[3])).sharding.device_set == {jax.devices()[3]}
        with jax.default_device(jax.devices()[2]):
            assert f(np.arange(8.0)).sharding.device_set == {jax.devices()[2]}
        np.testing.assert_allclose(f(x), 2 * np.sin(np.arange(8.0)), rtol=1e-6)
        print(_programs.stats())
        """
    flags = "--xla_force_host_platform_device_count=4"
    assert _output(_run_python(code, cache, XLA_FLAGS=flags)) == (
        "{'compiled': 0, 'loaded': 1, 'hits': 1}"
    )


_FILL = textwrap.dedent(
    """
    import jax, jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    from l1jax import _programs

    @_programs.program(name="test_programs.fill")
    def fill(x, y):
        return jnp.tanh(x @ y).sum(), jnp.linalg.norm(x, axis=0)

    for n in range(1, 7):
        fill(jnp.ones((n, 4)), jnp.ones((4, n)))
    print(_programs.stats())
    """
)


def test_processes_fill_one_cache_at_once(cache):
    both = [_run_python(_FILL, cache) for _ in range(2)]
    for process in both:
        _output(process)
    assert _output(_run_python(_FILL, cache)) == "{'compiled': 0, 'loaded': 6, 'hits': 0}"
    files = _files(cache)
    assert len(files) == 6 and all(f.endswith(".bin") for f in files)


_AT_ONCE = textwrap.dedent(
    """
    import os, sys, time
    import jax, jax.numpy as jnp
    from l1jax import _programs

    @_programs.program(name="test_programs.at_once")
    def chain(x, w):
        for i in range(24):  # (products do not fuse: a program that takes a while to compile)
            x = jnp.tanh(x @ w + i)
        return x

    ready = os.path.join(os.environ["L1JAX_CACHE_DIR"], "ready-%s" % sys.argv[1])
    open(ready, "w").close()
    while len([f for f in os.listdir(os.environ["L1JAX_CACHE_DIR"]) if "ready" in f]) < 2:
        time.sleep(0.01)  # both processes start compiling at the same moment
    for n in range(1, 5):
        chain(jnp.ones((n, 8)), jnp.ones((8, 8)))
    print(_programs.stats())
    """
)


def test_processes_that_start_at_once_compile_each_program_once(cache):
    """Issue 11: two processes that need the same programs at the same moment (xdist workers,
    joblib workers) compile each one once: one compiles while holding its lock file, the other
    waits and reads the file written. No lock file is left."""
    both = [
        subprocess.Popen([sys.executable, "-c", _AT_ONCE, str(i)], **_popen_kwargs(cache))
        for i in range(2)
    ]
    counts = [ast.literal_eval(_output(process)) for process in both]  # (their stats())
    assert sum(c["compiled"] for c in counts) == 4 and sum(c["loaded"] for c in counts) == 4
    files = _files(cache)
    assert len([f for f in files if f.endswith(".bin")]) == 4
    assert not [f for f in files if f.endswith(".lock")]


def test_a_lock_held_too_long_is_passed_by(cache, monkeypatch):
    """A lock file held by a process that never finishes (stopped, hung) delays a compile by
    LOCK_WAIT seconds, never more, and no error: the cache is sound without the lock."""
    fcntl = pytest.importorskip("fcntl")
    x = jnp.arange(5.0)
    _poly(x, 2.0, 2)
    (path,) = _files(cache)
    _programs.clear_memory()
    os.remove(path)  # as if another process were about to write it
    holder = os.open(path + ".lock", os.O_RDWR | os.O_CREAT)  # (its own open file: a 2nd holder)
    fcntl.flock(holder, fcntl.LOCK_EX)
    monkeypatch.setattr(_programs, "LOCK_WAIT", 0.3)
    reports = []
    stop = _programs.listen(reports.append)
    try:
        began = time.perf_counter()
        np.testing.assert_allclose(_poly(x, 2.0, 2), 2 * x**2)
        waited = time.perf_counter() - began
    finally:
        stop()
        os.close(holder)
    assert waited >= 0.3 and "waiting for another process" in reports[0]
    _expect(compiled=1)
    assert os.path.exists(path)  # written all the same


def _compile_events(names=None):
    """A list that collects the duration of every XLA compilation from now on (JAX's
    ``backend_compile_duration`` events; with ``names``, of the functions of those names), and
    the function that stops collecting."""
    events = []

    def listen(event, duration, fun_name=None, **_):
        if event.endswith("backend_compile_duration") and (names is None or fun_name in names):
            events.append(duration)

    jax.monitoring.register_event_duration_secs_listener(listen)
    return events, lambda: jax.monitoring.unregister_event_duration_listener(listen)


def test_new_prox_weights_and_explicit_defaults_compile_nothing_new():
    """minimize with functools.partial(prox.l1, weights=w) compiled its solve again for every
    new partial (keyed by identity: an array is unhashable), 0.5 s a call of an adaptive lasso's
    loop, each program kept; solve_path compiled again when a default was passed explicitly
    (max_iter=10_000) or tol after its None (a probe). Counted, not timed."""
    rng = np.random.default_rng(0)
    X = jnp.asarray(rng.standard_normal((60, 8)))
    y = X[:, 0] - X[:, 1] + 0.1 * jnp.asarray(rng.standard_normal(60))

    def loss(w, X, y):
        return 0.5 * jnp.mean((y - X @ w) ** 2)

    def fit(weights):
        prox = functools.partial(l1jax.prox.l1, weights=weights)
        return l1jax.minimize(loss, jnp.zeros(8), lam=0.1, args=(X, y), prox=prox, tol=1e-10)

    fit(jnp.ones(8))
    lambdas = jnp.array([0.5, 0.1])
    l1jax.solve_path(X, y, lambdas)
    scales = (2.0, 3.0)  # (weights c·1 at λ: the plain lasso at c·λ)
    refs = [l1jax.minimize(loss, jnp.zeros(8), lam=0.1 * c, args=(X, y), tol=1e-10).params
            for c in scales]  # fmt: skip
    events, stop = _compile_events()
    try:
        fits = [fit(np.full(8, c)).params for c in scales]
        kws = (dict(max_iter=10_000), dict(tol=1e-7), dict(l1_ratio=1.0, tol=1e-9))
        paths = [l1jax.solve_path(X, y, lambdas, **kw) for kw in kws]
        assert events == []
    finally:
        stop()
    assert all(np.asarray(res.status == solvers.Status.CONVERGED).all() for res in paths)
    for params, ref in zip(fits, refs, strict=True):
        np.testing.assert_allclose(params, ref, atol=1e-9)
    with pytest.raises(ValueError, match="weights"):  # (the prox's checks still read them)
        fit(-jnp.ones(8))


def test_hyperparameters_of_another_python_type_compile_nothing_new():
    """solve_one compiled its whole program again (~1 s) when λ came as a NumPy scalar, an int,
    a float32 or a weak-typed jax.Array after a Python float, and solve_path for float32 λs
    after float64 ones (jit keys on the type; both cast to X's dtype inside): a tuning loop
    that starts from a float and goes on with optax's arrays (a probe). Now cast on the host
    first; the solves' programs counted, not timed."""
    rng = np.random.default_rng(0)
    X = jnp.asarray(rng.standard_normal((30, 5)))
    y = X[:, 0] + 0.1 * jnp.asarray(rng.standard_normal(30))
    lambdas = np.array([0.3, 0.1])
    refs = [
        implicit.solve_one(X, y, 0.1, tol=1e-10),
        l1jax.solve_path(X, y, lambdas, tol=1e-10, sample_weight=np.ones(30)),
    ]
    events, stop = _compile_events(names=("jit(_solve_one)", "jit(_solve_path)"))
    try:
        one = [implicit.solve_one(X, y, lam, l1_ratio=1, tol=np.float32(1e-10))
               for lam in (np.float64(0.1), np.float32(0.1), jnp.asarray(0.1), 1)]  # fmt: skip
        paths = [l1jax.solve_path(X, y, lams, tol=1e-10, sample_weight=np.ones(30, int))
                 for lams in (lambdas.astype(np.float32), jnp.asarray(lambdas))]  # fmt: skip
        assert events == []
    finally:
        stop()
    for res in one[:3]:
        np.testing.assert_allclose(res.coef, refs[0].coef, atol=1e-6)
    assert float(one[3].coef[0]) == 0.0  # (λ = 1 > λ_max)
    for res in paths:
        np.testing.assert_allclose(res.coef, refs[1].coef, atol=1e-6)


@pytest.mark.parametrize("loss, n, p", [("logistic", 200, 50)])  # rows and columns padded
def test_data_up_to_15_percent_larger_compiles_nothing(loss, n, p):
    """Issue 11: a second data set with n and p up to 15% larger, in the same process, reuses
    every compiled program of the first (counted, not timed): path and cv_path."""
    engine.clear_shapes()  # the shapes of this process's earlier problems (as in a new one)
    rng = np.random.default_rng(0)

    def data(n, p):
        X = rng.standard_normal((n, p))
        eta = X[:, :3] @ np.array([1.0, -0.5, 0.5])
        y = {"squared": eta + rng.standard_normal(n), "logistic": (eta > 0).astype(float),
             "poisson": rng.poisson(np.exp(0.3 * eta)).astype(float)}[loss]  # fmt: skip
        return X, y

    kw = dict(loss=loss, lambdas=10, lambda_min_ratio=0.05)
    X, y = data(n, p)
    l1jax.path(X, y, **kw)
    l1jax.cv_path(X, y, n_folds=3, **kw)
    events, stop = _compile_events()
    try:
        for m, q in ((int(n * 1.15), int(p * 1.15)), (n + 5, int(p * 1.1))):
            X, y = data(m, q)
            res = l1jax.path(X, y, **kw)
            assert res.coef.shape == (10, q) and res.converged.all()
        l1jax.cv_path(X, y, n_folds=3, **kw)
    finally:
        stop()
    assert events == [], f"{len(events)} compilations, {sum(events):.2f} s"


def test_sparse_data_with_up_to_15_percent_more_entries_compile_nothing():
    """A sparse X's stored entries were padded to a bucket without headroom: the same 200 × 50
    shape with 2,050 entries after 2,000 compiled 3 programs (3.9 s; a probe). Counted by
    l1jax's own program statistics (compiled or loaded from disk: neither)."""
    from scipy import sparse

    engine.clear_shapes()

    def data(density, seed):
        X = sparse.random(200, 50, density=density, random_state=seed, format="csr")
        noise = 0.3 * np.random.default_rng(seed).standard_normal(200)
        return X, (X @ np.r_[np.ones(5), np.zeros(45)] + noise > 0.1).astype(float)

    l1jax.path(*data(0.2, 1), loss="logistic", lambdas=10)
    before = _programs.stats()
    for density, seed in ((0.205, 2), (0.22, 3), (0.18, 4)):
        X, y = data(density, seed)
        assert l1jax.path(X, y, loss="logistic", lambdas=10).converged.all()
    after = _programs.stats()
    assert (after["compiled"], after["loaded"]) == (before["compiled"], before["loaded"])


def test_the_same_data_keep_their_shape_whatever_was_fitted_between():
    """A small problem takes the smallest shape an earlier one compiled; a fit in between may
    offer a smaller one that also holds it (C, then A on C's shape, then B registers its own,
    which holds A too). A second fit of A keeps A's first shape: the same data give the same
    results to the last bit, whatever the process fitted in between (they took B's shape, and
    coefficients 5e-14 apart in an optimized build)."""
    (nc, pc), (na, pa), (nb, pb) = (97, 116), (60, 62), (170, 57)
    engine.clear_shapes()
    engine.padded(nc, pc)
    first = engine.padded(na, pa)
    assert engine.padded(nb, pb)[::2] == (224, 80)  # (registered: holds A, smaller than C's)
    assert engine.padded(na, pa) == first == (128, 128, 256)

    engine.clear_shapes()
    rng = np.random.default_rng(0)

    def data(n, p):
        X = rng.standard_normal((n, p))
        return X, (X[:, :3] @ np.array([1.0, 2.0, 3.0]) + rng.standard_normal(n) > 0) * 1.0

    (Xc, yc), (Xa, ya), (Xb, yb) = data(nc, pc), data(na, pa), data(nb, pb)
    kw = dict(loss="logistic", lambdas=20)
    l1jax.path(Xc, yc, **kw)
    before = l1jax.path(Xa, ya, **kw)
    l1jax.path(Xb, yb, **kw)
    again = l1jax.path(Xa, ya, **kw)
    np.testing.assert_array_equal(again.coef, before.coef)
    np.testing.assert_array_equal(again.intercept, before.intercept)


@pytest.mark.parametrize("loss, n, p", [("squared", 60, 200), ("logistic", 150, 40)])
def test_grids_of_different_lengths_share_their_programs(loss, n, p):
    """A path of 100 λs after one of 10 (and 20, 64, an explicit grid of 37) compiles nothing:
    the grids are padded to one length of 128 λs when the results are small (the padded λs are
    never solved), in path and in cv_path's folds. Counted, not timed."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, p))
    eta = X[:, :3] @ np.array([1.0, -0.5, 0.5])
    y = eta + rng.standard_normal(n) if loss == "squared" else (eta > 0).astype(float)
    kw = dict(loss=loss, lambda_min_ratio=0.05)
    first = l1jax.path(X, y, lambdas=10, **kw)
    l1jax.cv_path(X, y, n_folds=3, lambdas=10, **kw)
    events, stop = _compile_events()
    try:
        for lambdas in (100, 20, 64, np.geomspace(first.lambdas[0], first.lambdas[-1], 37)):
            res = l1jax.path(X, y, lambdas=lambdas, **kw)
            assert res.converged.all() and res.coef.shape[1] == p
        cv = l1jax.cv_path(X, y, n_folds=3, lambdas=50, **kw)
    finally:
        stop()
    assert events == [], f"{len(events)} compilations, {sum(events):.2f} s"
    assert cv.cv_mean.shape == (50,)


def test_program_calling_lapack_loads_in_a_new_process(cache):
    # A loaded executable was never lowered in its process: l1jax binds jaxlib's LAPACK kernels
    # before loading (unbound, a LAPACK call in it was a segmentation fault).
    code = """
        import jax, jax.numpy as jnp, numpy as np
        from l1jax import _programs

        @_programs.program
        def _solve(a, b):
            return jnp.linalg.solve(a, b)

        a = np.array([[4.0, 1.0], [1.0, 3.0]], np.float32)
        print(np.asarray(_solve(a, np.array([1.0, 2.0], np.float32))).tolist(),
              _programs.stats()["compiled"], _programs.stats()["loaded"])
    """
    first = _output(_run_python(code, cache))
    second = _output(_run_python(code, cache))
    expected = np.linalg.solve([[4.0, 1.0], [1.0, 3.0]], [1.0, 2.0])
    for out, counts in ((first, "1 0"), (second, "0 1")):
        values, got = out.rsplit("]", 1)
        np.testing.assert_allclose(eval(values + "]"), expected, rtol=1e-6)
        assert got.strip() == counts


def test_second_process_compiles_nothing_and_imports_no_optax(cache):
    """Issue 11: with the cache filled, a path and a cv_path in a new process load every
    program and compile none: no XLA compilation at all (the inputs go to the device by
    transfers, not by ``jnp.asarray``, which compiles a small program per shape); and ``import
    l1jax`` loads neither optax nor scipy.sparse until they are needed, nor a path LAPACK
    when its programs do not call it."""
    code = """
        import sys
        import jax, numpy as np
        events = []
        jax.monitoring.register_event_duration_secs_listener(
            lambda e, d, **_: events.append(e) if e.endswith("backend_compile_duration") else None)
        import l1jax
        from l1jax import _programs
        lazy = [m for m in ("optax", "scipy.sparse") if m in sys.modules]
        rng = np.random.default_rng(0)
        X = rng.standard_normal((60, 12)); y = X[:, 0] - X[:, 1] + rng.standard_normal(60)
        l1jax.path(X, y, lambdas=8)
        l1jax.cv_path(X, y, n_folds=3, lambdas=8)
        print(len(events), _programs.stats()["loaded"] > 0, lazy, "scipy.linalg" in sys.modules)
    """
    _output(_run_python(code, cache))
    # (no program here calls LAPACK: its kernels, and the scipy.linalg that binds them, 0.35 s,
    # are left alone; test_program_calling_lapack_loads_in_a_new_process: those that do)
    assert _output(_run_python(code, cache)) == "0 True [] False"


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="one_blas_thread acts on a CPU only")
def test_blas_runs_on_one_thread_while_fits_run():
    """one_blas_thread limits every BLAS library to one thread (threadpoolctl) while any fit is
    inside it, counted over threads: the libraries' own setting comes back when the last one
    leaves. A logistic path's Newton steps (LAPACK, SciPy's OpenBLAS) run inside it."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    import scipy.linalg  # noqa: F401  (its OpenBLAS, as the LAPACK kernels load it)

    def threads():
        return {i["filepath"]: i["num_threads"]
                for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"}  # fmt: skip

    before = threads()
    assert before
    first, second = _programs.one_blas_thread(), _programs.one_blas_thread()
    with first:
        assert set(threads().values()) == {1}
        second.__enter__()
    assert set(threads().values()) == {1}  # the second fit is still inside
    second.__exit__(None, None, None)
    assert threads() == before

    seen = []
    real = _programs.one_blas_thread

    @contextlib.contextmanager
    def spy():
        with real():
            seen.append(set(threads().values()))
            yield

    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 6))
    y = (X[:, 0] + rng.standard_normal(80) > 0).astype(float)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(l1jax.engine, "one_blas_thread", spy)
        res = l1jax.path(X, y, loss="logistic", lambdas=5)
    assert res.converged.all() and seen and all(s == {1} for s in seen)
    assert threads() == before


def test_environments_unused_for_30_days_are_removed(cache):
    # Each version of l1jax, jax or jaxlib starts a sub-directory of its own (10-30 MB), which
    # nothing removed: a developer's cache held 120 of them, 2.6 GB.
    day = 86400.0

    def folder(name, files, age_days):
        path = cache / name
        path.mkdir()
        for f in files:
            (path / f).write_bytes(b"x")
        stamp = time.time() - age_days * day
        os.utime(path, (stamp, stamp))
        return path

    old = folder("jax0.4.30-cpu-0123456789abcdef", ["run-ab.bin", ".x1.tmp", "run-cd.bin.lock"], 40)
    recent = folder("jax0.4.30-cpu-fedcba9876543210", ["run-ab.bin"], 20)
    foreign = folder("jax0.4.30-cpu-00000000000000ff", ["run-ab.bin", "notes.txt"], 40)
    other = folder("my-data", ["run-ab.bin"], 40)
    mine = cache / _programs._get_environment()[0]
    mine.mkdir()
    os.utime(mine, (time.time() - 40 * day,) * 2)  # used now: kept, and marked so
    _poly(jnp.arange(3.0), 2.0, 2)
    assert not old.exists()
    assert recent.exists() and foreign.exists() and other.exists()  # (not ours, or in use)
    assert time.time() - mine.stat().st_mtime < day

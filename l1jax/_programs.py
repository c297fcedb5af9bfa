"""l1jax's compiled programs, kept in memory and on disk across processes.

:func:`program` is a drop-in for ``functools.partial(jax.jit, static_argnames=...)`` on l1jax's own
functions. Each call looks its executable up in memory, then on disk, and compiles only when both
miss (then writes it to disk). Usage::

    @functools.partial(program, static_argnames=("loss",))
    def _round(full, idx, lams, *, loss): ...

    _round.precompile(full, idx_spec, lams_spec, loss="squared")  # returns at once
    _round(full, idx, lams, loss="squared")  # waits for that compile instead of compiling again

An executable is keyed by the program's name, its static arguments, the pytree structure, shapes,
dtypes and weak types of its other arguments, and the configuration that changes tracing (x64,
matmul precision, ...). Disk: one file per key under ``cache_dir()/<environment>/``, where
``<environment>`` is a fingerprint of l1jax's source, the jax and jaxlib versions, the backend and
its device kind, the CPU model and flags, and ``XLA_FLAGS``: entries from another environment are
never read. A file holds a magic header, a format version, the SHA-256 of its body and the body, a
pickled executable from :mod:`jax.experimental.serialize_executable`. A file that fails any check
is deleted and rebuilt, never an error; files are written to a temporary name and renamed, so
processes filling the cache at once cannot corrupt it. Processes that need the same program at
the same time compile it once: the first holds a lock file beside it while it compiles and
writes, the others wait for it and read its file (:func:`_compiling`). The files are executable
code: the directory must be as trusted as the Python environment.

JAX's own settings are never changed, so the user's own programs are never cached here. When the
user has configured JAX's persistent cache (``jax_compilation_cache_dir``), l1jax writes nothing of
its own and JAX's cache serves its programs too. Calls that the cache cannot serve (arguments
sharded over several devices, placed on a device other than the default one, inside a trace, or
under ``jax.disable_jit``/``jax_debug_nans``) go to plain ``jax.jit``.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import contextvars
import difflib
import functools
import hashlib
import inspect
import os
import pickle
import platform
import re
import struct
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import jax
import numpy as np
from jax.experimental import serialize_executable

from l1jax._warnings import user_stacklevel

_MAGIC = b"L1JAXPRG"
_FORMAT = 2  # (2: the payload says whether the program calls LAPACK)
_HEADER = struct.Struct("<8sI32sQ")  # magic, format version, sha256 of the body, body length
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # a repr that changes from process to process

_lock = threading.Lock()
_memory: collections.OrderedDict[tuple, concurrent.futures.Future] = collections.OrderedDict()
# (key -> Future of an _Entry, the least recently used first)
MAX_PROGRAMS = 32  # executables kept in memory; the least recently used beyond are let go
# (read from disk again when needed). XLA's CPU executables are mapped into memory in 400-650
# regions each (benchmarks' quick problems), and Linux allows 65,530 per process by default
# (vm.max_map_count): a process that fitted data of ~100 different shapes, every program
# kept, failed with "LLVM compilation error: Cannot allocate memory".
_counts = {"compiled": 0, "loaded": 0, "hits": 0}
_pool: concurrent.futures.ThreadPoolExecutor | None = None
_environment: tuple[str, jax.Device] | None = None  # (fingerprint directory name, target device)
_warned: set[str] = set()
# progress reports of the compilations of this call (a context variable: its worker threads
# see them, through in_caller_scope, another thread's calls do not)
_listeners: contextvars.ContextVar[tuple[Callable[[str], None], ...]] = contextvars.ContextVar(
    "l1jax_listeners", default=()
)

# XLA options of l1jax's own compilations, by platform (never the user's programs). On a CPU,
# XLA's older loop-fusion emitters compile the engine's program in 0.55-0.85× the time of the
# default fusion emitters, and run it as fast (BENCHMARKS.md, "First call"). A jaxlib that
# does not know an option compiles without it.
_COMPILER_OPTIONS = {"cpu": {"xla_cpu_use_fusion_emitters": False}}
_options: dict[str, Any] | None = None  # those of the default backend (compiler_options())


def listen(report: Callable[[str], None]):
    """Send a line to ``report`` whenever l1jax compiles a program for this call (this thread,
    or its workers: :func:`in_caller_scope`) until the returned function is called (progress
    output of ``verbose=True``; another thread's compilations were reported too)."""
    token = _listeners.set((*_listeners.get(), report))
    return lambda: _listeners.reset(token)


def _notify(message: str) -> None:
    for report in _listeners.get():
        report(message)


def cache_dir() -> str | None:
    """The directory where l1jax keeps its compiled programs across processes.

    It is ``$L1JAX_CACHE_DIR`` when that variable is set, else ``$XDG_CACHE_HOME/l1jax`` (an
    absolute ``XDG_CACHE_HOME``: the XDG specification ignores relative ones), else
    ``~/.cache/l1jax``. Each environment (l1jax source, jax and jaxlib versions, backend, CPU,
    ``XLA_FLAGS``) gets its own sub-directory, removed after 30 days unused; deleting the
    directory clears the cache.

    Returns:
        The directory, or ``None`` when l1jax keeps no programs on disk: ``L1JAX_CACHE_DIR`` is
        set to the empty string, no home directory is known (no ``HOME`` nor user entry: a
        container's bare user), or the user configured JAX's own persistent cache
        (``jax_compilation_cache_dir``), which then serves l1jax's programs too (unless JAX's
        ``jax_enable_compilation_cache`` is off: then neither keeps any). The files are the
        user's alone (mode 0600: they hold executable code), so a cache shared between users
        serves each only their own.
    """
    if jax.config.jax_compilation_cache_dir:
        return None
    value = os.environ.get("L1JAX_CACHE_DIR")
    if value is not None:
        return os.path.abspath(os.path.expanduser(value)) if value else None
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):  # ("~" itself: expanduser found no home)
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "l1jax")


def stats() -> dict[str, int]:
    """Counts since the last :func:`clear_memory`: ``compiled`` (XLA compilations), ``loaded``
    (executables read from disk) and ``hits`` (calls served by an executable in memory)."""
    with _lock:
        return dict(_counts)


def _let_go() -> None:
    """Drop the least recently used executables past :data:`MAX_PROGRAMS` (held by ``_lock``);
    those still compiling stay, and a call running one keeps it until it returns."""
    excess = len(_memory) - MAX_PROGRAMS
    for key in [k for k, f in _memory.items() if f.done()][: max(excess, 0)]:
        del _memory[key]


def clear_memory() -> None:
    """Forget the executables held in memory and reset :func:`stats`, as in a new process."""
    with _lock:
        _memory.clear()
        _swept.clear()
        _counts.update(compiled=0, loaded=0, hits=0)


def _source_hash() -> str:
    """SHA-256 of every ``.py`` file of the l1jax package: a code change invalidates the cache."""
    root = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.sha256()
    for folder, subfolders, files in sorted(os.walk(root)):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for file in sorted(f for f in files if f.endswith(".py")):
            path = os.path.join(folder, file)
            digest.update(os.path.relpath(path, root).encode() + b"\0")
            try:
                with open(path, "rb") as f:
                    digest.update(f.read())
            except OSError:
                digest.update(b"?")
    return digest.hexdigest()


# At import, not at the first compilation: a process keeps running the code it imported, and
# an upgrade of l1jax in between (pip in a running notebook) would otherwise have filed its old
# programs under the new code's hash, for the new code to load (a program whose results it no
# longer unpacks: "expected 5, got 4").
_SOURCE_HASH = _source_hash()


def _cpu_fingerprint() -> str:
    """The machine, CPU model and instruction-set flags: XLA compiles for the host CPU."""
    fields = {}
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if not line.strip():
                    break  # the first processor is enough
                name, _, value = line.partition(":")
                fields[name.strip()] = value.strip()
    except OSError:
        pass
    return "|".join(
        [platform.machine(), platform.processor()]
        + [fields.get(k, "") for k in ("vendor_id", "model name", "flags", "Features")]
    )


def _get_environment() -> tuple[str, jax.Device]:
    """The fingerprint directory name and the device the cached executables run on."""
    global _environment
    if _environment is None:
        import jaxlib

        device = jax.devices()[0]
        parts = [
            f"format={_FORMAT}",
            f"l1jax={_SOURCE_HASH}",
            f"jax={jax.__version__}",
            f"jaxlib={jaxlib.__version__}",
            f"platform={device.platform}",
            f"platform_version={device.client.platform_version}",
            f"device_kind={device.device_kind}",
            f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '')}",
            f"LIBTPU_INIT_ARGS={os.environ.get('LIBTPU_INIT_ARGS', '')}",
            f"options={sorted(_COMPILER_OPTIONS.get(device.platform, {}).items())}",  # (wanted)
        ]
        if device.platform == "cpu":
            parts.append(f"cpu={_cpu_fingerprint()}")
        digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
        _environment = (f"jax{jax.__version__}-{device.platform}-{digest}", device)
    return _environment


def _trace_context() -> Any:
    """The configuration that changes how a function traces (x64, matmul precision, ...)."""
    try:
        return jax._src.config.trace_context()
    except AttributeError:  # pragma: no cover - a jax without it
        config = jax.config
        return (config.jax_enable_x64, config.jax_default_matmul_precision)


def _executor() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            workers = max(1, min(4, os.cpu_count() or 1))
            _pool = concurrent.futures.ThreadPoolExecutor(workers, "l1jax-compile")
        return _pool


def _jax_started() -> bool:
    """Whether this process has started JAX's runtime (its backends)."""
    try:
        from jax._src import xla_bridge

        return bool(xla_bridge.backends_are_initialized())
    except (ImportError, AttributeError):  # pragma: no cover - another jax: no guard
        return False


_fork = {"parent_started": False, "child": False}


def _before_fork() -> None:
    _fork["parent_started"] = _jax_started()


def _after_fork_in_child() -> None:
    _fork["child"] = _fork["parent_started"]


if hasattr(os, "register_at_fork"):  # (POSIX)
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)

FORKED_MESSAGE = (
    "this process was forked after JAX had started in its parent (multiprocessing's 'fork' "
    "start method, Linux's default), and JAX's runtime does not survive a fork: {name}() would "
    "hang in its first compiled program. Start the workers with the 'spawn' or 'forkserver' "
    "method (multiprocessing.get_context('spawn'); joblib's default loky workers are fine), or "
    "fork before the parent runs any JAX code"
)


def refuse_if_forked(name: str) -> None:
    """A ``RuntimeError`` saying so in a process forked after JAX started in its parent, where
    ``name()``'s first compiled program would hang (for the entry points that may also run
    inside a user's trace, :func:`l1jax.minimize` and :func:`l1jax.solve_path`; the host ones
    check in :func:`host_entry`)."""
    if _fork["child"]:
        raise RuntimeError(FORKED_MESSAGE.format(name=name))


def host_entry(fun: Callable) -> Callable:
    """Decorate a public entry point that runs on the host (``path``, ``cv_path``, ...): a
    process forked after JAX started (where it would hang) is told so, traced arguments (a call
    inside a user's ``jax.jit``, ``vmap`` or ``grad``) are refused by name,
    and l1jax's programs are traced under NumPy's standard rules whatever the user's
    ``jax_numpy_rank_promotion`` (``"raise"`` failed on l1jax's own broadcasts) or
    ``jax_numpy_dtype_promotion`` (``"strict"`` on its int32 counters beside int64 ones): a
    scoped setting of this call (and its threads: :func:`in_caller_scope`), not a global one."""
    parameters = inspect.signature(fun).parameters
    names = list(parameters)

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        refuse_if_forked(fun.__name__)
        for key in kwargs:
            if key not in parameters:  # (Python's "unexpected keyword argument", with the fix)
                raise TypeError(_unknown_argument(fun.__name__, key, names))
        for name, value in (*zip(names, args, strict=False), *kwargs.items()):
            # (the value and, for a list or tuple, its items: not every number of a list X)
            items = value if isinstance(value, (list, tuple)) else ()
            if any(isinstance(a, jax.core.Tracer) for a in (value, *items)):
                raise TypeError(
                    f"{fun.__name__}() was given a traced array for {name} (a call inside "
                    "jax.jit, jax.vmap or jax.grad): it runs on concrete data, on the host. "
                    "Call it outside the transformation, or use l1jax.solve_path (jittable, "
                    "vmappable and differentiable) or l1jax.implicit for one inside."
                )
        # (and their transfers allowed: they take host data and return NumPy by design; under
        # a user's jax.transfer_guard("disallow") path failed with JAX's bare error)
        with jax.numpy_rank_promotion("allow"), jax.numpy_dtype_promotion("standard"), \
                jax.transfer_guard("allow"):  # fmt: skip
            return fun(*args, **kwargs)

    return wrapped


# glmnet's and scikit-learn's names of the entry points' arguments (``lambda.min.ratio`` as
# ``lambda_min_ratio``, ...): the argument to pass here and how, or (None) what to do instead.
_PEER_NAMES = {
    "alpha": ("l1_ratio", "l1_ratio (glmnet's alpha, the mixing ρ); scikit-learn's alpha (λ) is "
              "lambdas"),
    "alphas": ("lambdas", "lambdas (scikit-learn's alphas: an array of λs, or their number)"),
    "n_alphas": ("lambdas", "lambdas=N (the number of λs)"),
    "nlambda": ("lambdas", "lambdas=N (the number of λs)"),
    "n_lambdas": ("lambdas", "lambdas=N (the number of λs)"),
    "lam": ("lambdas", "lambdas (the λs)"),
    "eps": ("lambda_min_ratio", "lambda_min_ratio (scikit-learn's eps: the smallest λ over "
            "λ_max)"),
    "family": ("loss", "loss ('squared', 'logistic', 'poisson' or 'multinomial')"),
    "weights": ("sample_weight", "sample_weight"),
    "intercept": ("fit_intercept", "fit_intercept"),
    "normalize": ("standardize", "standardize"),
    "thresh": ("tol", "tol (a relative duality gap)"),
    "maxit": ("max_iter", "max_iter"),
    "nfolds": ("n_folds", "n_folds"),
    "foldid": ("fold_ids", "fold_ids"),
    "type_measure": ("scoring", "scoring"),
    "offset": (None, "there is no offset argument: for Poisson rates with exposures e, fit "
               "y / e with sample_weight=e (path's docstring, sample_weight)"),
    "lower_limits": (None, "limits are not built: positive=True constrains every coefficient "
                     "to be >= 0 (glmnet's lower.limits = 0)"),
    "upper_limits": (None, "limits are not built (positive=True gives lower limits of 0)"),
    "exclude": (None, "there is no exclude argument: drop those columns from X (as glmnet's "
                "exclude does; its rescaling of the others' penalty.factor: path's docstring, "
                "Against glmnet)"),
    "keep": (None, "prevalidated fits (glmnet's keep=TRUE) are not built"),
    "dfmax": (None, "dfmax is not built: choose the λs by the nonzero counts of res.coef"),
    "pmax": (None, "pmax is not built: choose the λs by the nonzero counts of res.coef"),
}  # fmt: skip


def _unknown_argument(fn_name: str, key: str, names: Sequence[str]) -> str:
    """Python's message for an unexpected keyword argument ``key``, with what to pass: the
    argument of that name in glmnet or scikit-learn, else the closest of ``names``."""
    message = f"{fn_name}() got an unexpected keyword argument {key!r}"
    glm = "penalty_factor" in names  # (the hints are for the GLM paths; train_path has no λ
    # grid, sample_weight or X to drop columns from: its optimizer's lam only)
    peers = _PEER_NAMES if glm else {"lam": _PEER_NAMES["lam"]}
    argument, hint = peers.get(key.replace(".", "_"), ("", ""))
    if argument is None or argument in names:
        return f"{message}: {hint if argument is None else 'pass ' + hint}"
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.8)
    return f"{message}; did you mean {close[0]}?" if close else message


def in_caller_scope(fun: Callable) -> Callable:
    """``fun`` to run in another thread under this thread's scoped JAX settings: a new thread
    starts from JAX's global ones, so a caller's ``jax.enable_x64`` (as
    :func:`l1jax._inputs.follows_float64` enters for float64 data), ``jax.default_device``,
    ``jax.default_matmul_precision``, ``jax.debug_nans``, ``jax.debug_infs``,
    ``jax.disable_jit``, ``jax.checking_leaks``, the transfer guards or the NumPy rules
    :func:`host_entry` sets would otherwise be lost there; so would this thread's context
    variables (the class of the convergence warnings of an estimator's fit,
    :func:`l1jax._warnings.convergence_as`)."""
    config = jax.config
    x64, device, precision = (config.jax_enable_x64, config.jax_default_device,
                              config.jax_default_matmul_precision)  # fmt: skip
    nans, infs, no_jit = config.jax_debug_nans, config.jax_debug_infs, config.jax_disable_jit
    ranks, dtypes = config.jax_numpy_rank_promotion, config.jax_numpy_dtype_promotion
    leaks, guards = config.jax_check_tracer_leaks, (config.jax_transfer_guard_host_to_device,
                    config.jax_transfer_guard_device_to_host,
                    config.jax_transfer_guard_device_to_device)  # fmt: skip
    context = contextvars.copy_context()

    def run(*args, **kwargs):
        with jax.enable_x64(x64), jax.default_device(device), \
                jax.default_matmul_precision(precision), jax.debug_nans(nans), \
                jax.debug_infs(infs), jax.disable_jit(no_jit), \
                jax.numpy_rank_promotion(ranks), jax.numpy_dtype_promotion(dtypes), \
                jax.check_tracer_leaks(leaks), jax.transfer_guard_host_to_device(guards[0]), \
                jax.transfer_guard_device_to_host(guards[1]), \
                jax.transfer_guard_device_to_device(guards[2]):  # fmt: skip
            return fun(*args, **kwargs)

    @functools.wraps(fun)
    def scoped(*args, **kwargs):  # (a copy per call: one context cannot run in two threads)
        return context.copy().run(run, *args, **kwargs)

    return scoped


class CacheWarning(RuntimeWarning):
    """l1jax cannot write its compiled programs to its cache directory (the command line tells
    it from other libraries' warnings by its class)."""


def _warn_once(directory: str, error: BaseException) -> None:
    if directory in _warned:
        return
    _warned.add(directory)
    try:  # a cache never fails a call, even with warnings turned into errors
        warnings.warn(
            f"l1jax cannot write its compiled programs to {directory} ({error}); they will be "
            "compiled again in each process. Set L1JAX_CACHE_DIR to a writable directory, or to "
            "the empty string to turn the cache off.",
            CacheWarning,
            stacklevel=user_stacklevel(),
        )
    except Exception:
        pass


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


LOCK_WAIT = 60.0  # seconds a process waits for another one compiling the same program


@contextlib.contextmanager
def _compiling(path: str):
    """Held while this process compiles and writes the program of ``path``: an exclusive lock
    on ``path + ".lock"`` (``fcntl.flock``, released by the system if the process dies). Yields
    whether it had to wait for another process, whose file the caller should then read instead
    of compiling: processes that start at once (pytest-xdist workers, joblib or multiprocessing
    workers, jobs of a cluster node) compile each program once per machine, not once each, and
    the one compiling has the cores to itself. Only an optimization: without ``fcntl``, on a
    file system without locks, or after :data:`LOCK_WAIT` seconds (a process stopped while it
    holds one), this process compiles as it would alone; the atomic writes keep the cache
    sound either way. The lock file is removed before its lock is released (a process that
    opens a new one then finds the program's file written)."""
    try:
        import fcntl

        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    except (ImportError, OSError):
        yield False
        return
    locked = waited = False
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                locked = True
                break
            except BlockingIOError:
                if not waited:
                    _notify("waiting for another process compiling the same program ...")
                waited = True
                if time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            except OSError:  # (no locks on this file system)
                break
        yield waited
    finally:
        if locked:
            _remove(path + ".lock")
        os.close(fd)


_lapack_bound = False
_LAPACK = re.compile(r"\blapack_")  # jaxlib's LAPACK custom calls (lapack_sgetrf_ffi, ...)


def _bind_lapack() -> None:
    """Bind jaxlib's LAPACK kernels, once per process. JAX binds them lazily, when it lowers an
    op that calls them (``jnp.linalg`` on a CPU); an executable loaded from disk was never
    lowered here, and its LAPACK calls would jump to unbound kernels (a segmentation fault).
    Lowering one tiny solve binds them (no compilation)."""
    global _lapack_bound
    if _lapack_bound:
        return
    try:
        jax.jit(jax.numpy.linalg.solve).lower(
            jax.ShapeDtypeStruct((2, 2), "float32"), jax.ShapeDtypeStruct((2,), "float32")
        )
    except Exception:  # no LAPACK here (another backend): nothing to bind
        pass
    _lapack_bound = True


_blas: dict[str, Any] = {"users": 0, "limit": None, "controller": None, "scipy": False}


@contextlib.contextmanager
def one_blas_thread():
    """While l1jax fits on a CPU: the BLAS libraries (NumPy's and SciPy's OpenBLAS, which
    jaxlib's LAPACK kernels call for the Newton steps' solves) on one thread, through
    threadpoolctl when it is installed (it comes with scikit-learn); nothing otherwise. Their
    threads spin beside XLA's own and beside the other fits of cv_path (2 cores, the 300 × 300
    logistic problem of benchmarks/cv.py: its path 0.28-0.33 s instead of 0.44 s, its 5-fold
    cv_path, one fit per core, 0.92 s instead of 2.3 s). The limit is process-wide (BLAS has no
    per-thread setting) and counted: concurrent fits restore the libraries' own setting when
    the last one is done."""
    if jax.default_backend() != "cpu":
        yield
        return
    with _lock:
        if _blas["users"] == 0:
            scipy = "scipy.linalg" in sys.modules  # (its OpenBLAS: loaded with the LAPACK kernels)
            if _blas["controller"] is None or (scipy and not _blas["scipy"]):
                try:
                    import threadpoolctl
                except ImportError:
                    _blas["controller"] = False
                else:
                    _blas["controller"] = threadpoolctl.ThreadpoolController()
                _blas["scipy"] = scipy
            if _blas["controller"]:
                try:
                    _blas["limit"] = _blas["controller"].limit(limits=1, user_api="blas")
                except Exception:  # (a library threadpoolctl cannot set: leave them all be)
                    _blas["controller"] = False
        _blas["users"] += 1
    try:
        yield
    finally:
        with _lock:
            _blas["users"] -= 1
            if _blas["users"] == 0 and _blas["limit"] is not None:
                _blas["limit"].restore_original_limits()
                _blas["limit"] = None


def _load(path: str, text: str, in_tree: Any, device: jax.Device) -> jax.stages.Compiled | None:
    """The executable stored at ``path`` for ``text``, loaded on ``device``, or ``None`` (a bad
    file is deleted); LAPACK's kernels are bound first if it calls them."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    try:
        magic, version, checksum, length = _HEADER.unpack_from(data)
        body = data[_HEADER.size :]
        if magic != _MAGIC or version != _FORMAT or length != len(body):
            raise ValueError("not an l1jax program file of this format")
        if hashlib.sha256(body).digest() != checksum:
            raise ValueError("checksum mismatch")
        stored_text, payload, stored_in, stored_out, lapack = pickle.loads(body)
        if stored_text != text or stored_in != in_tree:
            raise ValueError("another program")
        if lapack:
            _bind_lapack()
        return serialize_executable.deserialize_and_load(
            payload, stored_in, stored_out, device.client, [device]
        )
    except Exception:  # any bad file is rebuilt, never an error
        _remove(path)
        return None


def _store(path: str, text: str, compiled: jax.stages.Compiled, lapack: bool) -> None:
    """Write ``compiled`` to ``path`` atomically (a temporary file, then a rename); ``lapack``:
    it calls LAPACK (a process that loads it binds the kernels first, :func:`_bind_lapack`)."""
    try:
        payload, in_tree, out_tree = serialize_executable.serialize(compiled)
        body = pickle.dumps((text, payload, in_tree, out_tree, lapack), pickle.HIGHEST_PROTOCOL)
    except Exception:  # an executable that cannot be serialized stays in memory only
        return
    header = _HEADER.pack(_MAGIC, _FORMAT, hashlib.sha256(body).digest(), len(body))
    directory = os.path.dirname(path)
    tmp = None
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(header + body)
        os.replace(tmp, path)
    except OSError as error:
        if tmp is not None:
            _remove(tmp)
        _warn_once(os.path.dirname(directory), error)
        return
    _clear_stale(directory)


STALE_S = 3600  # a temporary file this old was left by a writer that was killed


def _clear_stale(directory: str) -> None:
    """Remove the temporary files (:func:`_store`) over :data:`STALE_S` old in ``directory``:
    a process killed between writing and renaming one leaves it (0.3-0.7 MB each), and nothing
    else would ever read or remove it; a younger one may be another process's, still writing."""
    old = time.time() - STALE_S
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                if (entry.name.startswith(".") and entry.name.endswith(".tmp")
                        and entry.stat().st_mtime < old):  # fmt: skip
                    _remove(entry.path)
    except OSError:  # (a directory that another process just cleared: nothing to do)
        pass


UNUSED_S = 30 * 86400  # an environment's sub-directory unused this long is removed
_ENVIRONMENT_NAME = re.compile(r"jax[0-9A-Za-z.+]*-[a-z]+-[0-9a-f]{16}")
_OWN_FILE = re.compile(r"(.+\.bin(\.lock)?|\..*\.tmp)")
_swept: set[str] = set()


def _sweep(root: str) -> None:
    """Once per process and cache: mark this environment's sub-directory used (its time of
    modification) and remove the others unused for :data:`UNUSED_S` (30 days): each version of
    l1jax, jax or jaxlib, and each ``XLA_FLAGS``, starts a sub-directory of its own (10-30 MB),
    which nothing would ever remove. Only l1jax's own files go (a directory named as l1jax names
    them, holding nothing else); a process still using one builds again what it needs."""
    with _lock:
        if root in _swept:
            return
        _swept.add(root)
    mine = _get_environment()[0]
    old = time.time() - UNUSED_S
    try:
        with contextlib.suppress(FileNotFoundError):
            os.utime(os.path.join(root, mine))
        with os.scandir(root) as entries:
            stale = [e.path for e in entries
                     if e.name != mine and _ENVIRONMENT_NAME.fullmatch(e.name)
                     and e.is_dir(follow_symlinks=False) and e.stat().st_mtime < old]  # fmt: skip
        for directory in stale:
            names = os.listdir(directory)
            if all(_OWN_FILE.fullmatch(name) for name in names):
                for name in names:
                    _remove(os.path.join(directory, name))
                os.rmdir(directory)
    except OSError:  # (read-only, or another process sweeping at once: nothing to do)
        pass


class _Entry:
    """An executable, and the file it was read from until a first call ran it."""

    __slots__ = ("compiled", "unverified")

    def __init__(self, compiled: jax.stages.Compiled, unverified: str | None):
        self.compiled = compiled
        self.unverified = unverified


def _read(path: str, text: str, in_tree: Any) -> _Entry | None:
    """The executable stored at ``path`` (:func:`_load`), counted, or ``None``."""
    compiled = _load(path, text, in_tree, _get_environment()[1])
    if compiled is None:
        return None
    with _lock:
        _counts["loaded"] += 1
    return _Entry(compiled, path)


class Program:
    """A function compiled once per argument types and kept in memory and on disk.

    Made by :func:`program`; calls behave as those of ``jax.jit(fun, static_argnames=...)``.
    """

    def __init__(self, fun: Callable, static_argnames: tuple[str, ...], name: str | None,
                 options: Callable[[dict, Any], dict] | None = None):  # fmt: skip
        functools.update_wrapper(self, fun)
        self._options = options
        self._fun = highest(fun)  # l1jax's own code: every product at full float32 precision
        self._name = name or f"{fun.__module__}.{fun.__qualname__}"
        self._jit = Jit(self._fun, static_argnames=static_argnames)  # the calls not cached
        self._signature = inspect.signature(fun)
        params = list(self._signature.parameters.values())
        self._static = frozenset(static_argnames)
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        self._first_static_position = min(
            [i for i, p in enumerate(params) if p.name in self._static and p.kind in positional],
            default=len(params) + 1,  # none: the fast path serves every call
        )
        self._varargs = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params)
        self._static_defaults = {
            p.name: p.default
            for p in params
            if p.name in self._static and p.default is not inspect.Parameter.empty
        }

    def _run(self, args, kwargs, static):
        return self._fun(*args, **kwargs, **dict(static))

    def lower(self, *args, **kwargs) -> jax.stages.Lowered:
        """``jax.jit(fun, static_argnames=...).lower(*args, **kwargs)``."""
        return self._jit.lower(*args, **kwargs)

    def compiled(self, *args, **kwargs) -> jax.stages.Compiled:
        """The executable that a call with these arguments runs (from memory, from disk or
        compiled now, and kept for the call): for its ``memory_analysis()`` or ``as_text()``.
        ``lower(...).compile()`` would compile a second time."""
        split = self._split(args, kwargs)
        if split is None:
            return self._jit.lower(*args, **kwargs).compile()  # (jax.jit's calls share it)
        return self._future(*split, background=False)[0].result().compiled

    def __call__(self, *args, **kwargs):
        split = self._split(args, kwargs)
        if split is None:
            return self._jit(*args, **kwargs)
        key, dynamic, static = split
        future, created = self._future(key, dynamic, static, background=False)
        try:
            entry = future.result()
        except Exception:
            if created:
                raise
            # a failed precompile: compile here, so the error (if any) is raised by this call
            entry = self._rebuild(key, future, dynamic, static)
        if entry.unverified is None:
            return entry.compiled(*dynamic)
        try:  # the first call of an executable read from disk, waited for: JAX dispatches
            # asynchronously, so an executable that does not run here fails when its outputs
            # are read (CI, 2026-12-04: "NOT_FOUND: Function broadcast_subtract_fusion not
            # found" at the engine's np.asarray, past this check)
            out = jax.block_until_ready(entry.compiled(*dynamic))
        except Exception:  # it does not run here: delete its file and compile
            _remove(entry.unverified)
            return self._rebuild(key, future, dynamic, static).compiled(*dynamic)
        entry.unverified = None
        return out

    def _rebuild(self, key: tuple, future, dynamic: tuple, static: tuple) -> _Entry:
        with _lock:
            if _memory.get(key) is future:
                del _memory[key]
        return self._future(key, dynamic, static, background=False)[0].result()

    def precompile(self, *args, **kwargs) -> None:
        """Start compiling (or loading) for these arguments in a background thread.

        Args:
            *args: as for a call; array arguments may be ``jax.ShapeDtypeStruct``\\ s.
            **kwargs: as for a call; static arguments must be given.

        Returns at once; a later call with arguments of the same types waits for that
        compilation instead of compiling again.
        """
        split = self._split(args, kwargs)
        if split is not None:
            self._future(*split, background=True)

    def _split(self, args: tuple, kwargs: dict) -> tuple | None:
        """``(key, (args, kwargs), static)`` with the static arguments apart, or ``None`` when
        the call must go to plain ``jax.jit``."""
        config = jax.config
        if config.jax_disable_jit or config.jax_debug_nans or config.jax_debug_infs:
            return None
        if len(args) > self._first_static_position:  # a static argument given by position
            try:
                bound = self._signature.bind(*args, **kwargs)
            except TypeError:
                return None  # jax.jit raises the error
            if self._varargs:
                return None  # *args after a static argument cannot be passed by keyword
            static = {n: bound.arguments.pop(n) for n in self._static if n in bound.arguments}
            args, kwargs = bound.args, bound.kwargs
        elif self._static.intersection(kwargs):
            static = {n: kwargs[n] for n in self._static if n in kwargs}
            kwargs = {n: v for n, v in kwargs.items() if n not in self._static}
        else:
            static = {}
        for n, v in self._static_defaults.items():
            static.setdefault(n, v)
        static = tuple(sorted(static.items()))
        leaves, treedef = jax.tree.flatten((args, kwargs))
        _, device = _get_environment()
        default_device = config.jax_default_device
        if default_device is not None and default_device != device:
            return None
        types = []
        for leaf in leaves:
            if isinstance(leaf, jax.Array):
                if isinstance(leaf, jax.core.Tracer):
                    return None
                sharding = leaf.sharding
                if not isinstance(sharding, jax.sharding.SingleDeviceSharding) or (
                    leaf.committed and device not in sharding.device_set
                ):
                    return None
                types.append(leaf.aval)
            else:
                sharding = getattr(leaf, "sharding", None)
                if sharding is not None and (
                    not isinstance(sharding, jax.sharding.SingleDeviceSharding)
                    or device not in sharding.device_set
                ):
                    return None
                try:
                    types.append(jax.api_util.shaped_abstractify(leaf))
                except TypeError:
                    return None
        key = (self, static, treedef, tuple(types), _trace_context())
        try:
            hash(key)
        except TypeError:
            return None  # an unhashable static argument: jax.jit raises the error
        return key, (args, kwargs), static

    def _future(self, key: tuple, dynamic: tuple, static: tuple, *, background: bool):
        """The Future of the executable for ``key`` and whether this call created it."""
        with _lock:
            future = _memory.get(key)
            if future is not None:
                _counts["hits"] += 1
                _memory.move_to_end(key)
                return future, False
            future = _memory[key] = concurrent.futures.Future()
            _let_go()

        def build():
            try:
                future.set_result(self._build(key, dynamic, static))
            except BaseException as error:
                with _lock:
                    if _memory.get(key) is future:
                        del _memory[key]
                future.set_exception(error)

        if background:
            _executor().submit(in_caller_scope(build))
        else:
            build()
        return future, True

    def _build(self, key: tuple, dynamic: tuple, static: tuple) -> _Entry:
        """Load the executable from disk, or compile it (and write it to disk)."""
        root = cache_dir()
        path = text = in_tree = None
        if root is not None:
            _, static_part, treedef, types, context = key
            context = _ADDRESS.sub("", repr(context))  # objects with no state of their own
            text = "\n".join([self._name, repr(static_part), str(treedef), repr(types), context])
            if _ADDRESS.search(text) is None:  # keys that differ per process stay in memory
                name = re.sub(r"[^A-Za-z0-9_.-]", "_", self._name)[-80:]
                digest = hashlib.sha256(text.encode()).hexdigest()[:32]
                path = os.path.join(root, _get_environment()[0], f"{name}-{digest}.bin")
                _sweep(root)
                in_tree = jax.tree_util.treedef_tuple([treedef, jax.tree.structure({})])
                entry = _read(path, text, in_tree)
                if entry is not None:
                    return entry
        if path is None:
            return self._compile(dynamic, static, root, None, text)
        with _compiling(path) as waited:
            entry = _read(path, text, in_tree) if waited else None  # (written meanwhile)
            return entry or self._compile(dynamic, static, root, path, text)

    def _compile(self, dynamic: tuple, static: tuple, root: str | None, path: str | None,
                 text: str | None) -> _Entry:  # fmt: skip
        """Compile the executable (and write it to ``path``, if any)."""
        _notify(
            f"compiling {self._name} (once for these shapes and options; "
            f"{'kept in ' + root if root else 'not kept on disk'}) ..."
        )
        start = time.perf_counter()
        # (a jit of its own, dropped after: JAX's in-memory caches, keyed on the jitted function,
        # would keep every executable alive, past MAX_PROGRAMS and clear_memory())
        lowered = jax.jit(self._run, static_argnums=2).lower(*dynamic, static)
        options = compiler_options()
        if options and self._options is not None:  # (l1jax's options in force: a CPU)
            own = self._options(dict(static), _widest_float(dynamic))
            options = _with_flag_passes({**options, **own})
        compiled = lowered.compile(options)
        _notify(f"compiled {self._name} in {time.perf_counter() - start:.1f} s")
        with _lock:
            _counts["compiled"] += 1
        if path is not None:
            _store(path, text, compiled, _LAPACK.search(lowered.as_text()) is not None)
        return _Entry(compiled, None)


class Jit:
    """``jax.jit(fun, **kwargs)`` whose calls from outside any trace compile with l1jax's
    :func:`compiler_options` (JAX accepts them on top-level calls only; calls inside a trace are
    compiled with the program that traces them). Made by :func:`jit`."""

    def __init__(self, fun: Callable, **kwargs):
        functools.update_wrapper(self, fun)
        self._fun, self._kwargs = fun, kwargs
        self._nested = jax.jit(fun, **kwargs)
        self._top: Any = None  # made at the first top-level call (the backend is known then)

    def _pick(self) -> Any:
        if not _top_level():
            return self._nested
        if self._top is None:
            options = compiler_options() or None
            self._top = jax.jit(self._fun, **self._kwargs, compiler_options=options)
        return self._top

    def __call__(self, *args, **kwargs):
        return self._pick()(*args, **kwargs)

    def lower(self, *args, **kwargs) -> jax.stages.Lowered:
        return self._pick().lower(*args, **kwargs)

    def _cache_size(self) -> int:
        return self._nested._cache_size() + (self._top._cache_size() if self._top else 0)


def jit(fun: Callable | None = None, **kwargs) -> Any:
    """``jax.jit`` for l1jax's functions that :func:`program` does not keep on disk: the same
    arguments, and l1jax's compiler options on top-level calls (:class:`Jit`)."""
    if fun is None:
        return functools.partial(jit, **kwargs)
    return Jit(fun, **kwargs)


class BoundedJit:
    """:func:`jit` of ``fun`` with keyword-only static arguments ``static`` (a user's function,
    an optimizer), whose programs are kept for the last :data:`MAX_PROGRAMS` settings only.
    One ``jax.jit`` keeps a program, and the static values it holds (a user's closure and its
    data), for each of up to 8,192 settings: a service calling ``minimize`` with a new lambda
    per request kept them all (+15,600 memory maps per 100 calls, toward Linux's 65,530). Made
    by :func:`bounded_jit`."""

    def __init__(self, fun: Callable, static: tuple[str, ...]):
        functools.update_wrapper(self, fun)
        self._fun, self._static = fun, static
        self._jits: collections.OrderedDict[tuple, Jit] = collections.OrderedDict()
        self._lock = threading.Lock()

    def _for(self, kwargs: dict) -> tuple[Jit, dict]:
        settings = {name: kwargs.pop(name) for name in self._static if name in kwargs}
        key = tuple((name, static_key(value)) for name, value in settings.items())
        with self._lock:
            compiled = self._jits.pop(key, None)
            if compiled is None:
                compiled = Jit(functools.partial(self._fun, **settings))
            self._jits[key] = compiled  # (the most recent last)
            while len(self._jits) > MAX_PROGRAMS:
                self._jits.popitem(last=False)
        return compiled, kwargs

    def __call__(self, *args, **kwargs):
        compiled, kwargs = self._for(dict(kwargs))
        return compiled(*args, **kwargs)

    def lower(self, *args, **kwargs) -> jax.stages.Lowered:
        compiled, kwargs = self._for(dict(kwargs))
        return compiled.lower(*args, **kwargs)

    def _cache_size(self) -> int:
        with self._lock:
            return sum(compiled._cache_size() for compiled in self._jits.values())


_BY_ID = object()  # (a key's marker: the value is keyed by its id)


def static_key(value) -> Any:
    """A static argument's key in a program cache: itself, or, without a hash (a dataclass's
    instance), its identity (the cached program's partial keeps it alive, so the id is not
    reused meanwhile)."""
    return value if _hashable(value) else (_BY_ID, id(value))


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def bounded_jit(*static: str) -> Callable[[Callable], BoundedJit]:
    """Decorate ``fun`` as a :class:`BoundedJit` whose keyword-only arguments ``static`` are
    static."""
    return lambda fun: BoundedJit(fun, static)


def _top_level() -> bool:
    """Whether no JAX transformation is tracing here."""
    try:
        return jax._src.core.trace_state_clean()
    except AttributeError:  # pragma: no cover - a jax without it: as if inside a trace
        return False


def to_device(value, dtype=None, sharding=None) -> jax.Array:
    """``value`` as a JAX array of ``dtype`` (on ``sharding``, else the default device), by a
    transfer: ``jnp.asarray`` of a host value compiles a small program per new shape and dtype
    (10-30 ms each on a CPU, a dozen in a first path)."""
    if isinstance(value, jax.Array):
        if dtype is not None and value.dtype != dtype:
            value = value.astype(dtype)
        return value if sharding is None else jax.device_put(value, sharding)
    return jax.device_put(np.asarray(value, dtype), sharding)


def compiler_options() -> dict[str, Any]:
    """l1jax's XLA options for the default backend (:data:`_COMPILER_OPTIONS`), or none when
    this jaxlib does not know them (checked once, on a one-operation program)."""
    global _options
    if _options is None:
        options = _COMPILER_OPTIONS.get(_get_environment()[1].platform, {})
        if options:
            probe = jax.jit(lambda x: x + 1, compiler_options=options)
            try:
                probe.lower(jax.ShapeDtypeStruct((), "float32")).compile()
            except jax.errors.JaxRuntimeError:
                options = {}
        _options = options
    return _options


def _widest_float(arrays: Any) -> np.dtype | None:
    """The widest floating dtype among the leaves of ``arrays`` (None: none is floating)."""
    dtypes = [np.dtype(leaf.dtype) for leaf in jax.tree.leaves(arrays)
              if hasattr(leaf, "dtype") and np.issubdtype(leaf.dtype, np.floating)]  # fmt: skip
    return max(dtypes, key=lambda d: d.itemsize, default=None)


def _with_flag_passes(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` whose ``xla_disable_hlo_passes`` (a program's own, comma-separated) also
    holds the passes that ``XLA_FLAGS`` disables: XLA would otherwise replace that list with
    the program's, and run passes the user turned off."""
    ours = options.get("xla_disable_hlo_passes")
    if ours:
        flags = re.findall(r"--xla_disable_hlo_passes=(\S+)", os.environ.get("XLA_FLAGS", ""))
        names = [name for names in (*flags, ours) for name in names.split(",") if name]
        options = {**options, "xla_disable_hlo_passes": ",".join(dict.fromkeys(names))}
    return options


def highest(fun: Callable) -> Callable:
    """``fun`` traced with every matrix product at ``HIGHEST`` precision (l1jax's precision
    policy, README "Precision").

    GPUs and TPUs run float32 products at ``DEFAULT`` precision in TF32 or bfloat16 passes
    (about 3 decimal digits), which stalls duality gaps near 1e-3. The products that ``fun``
    traces (the vector dots, the ones inside nested ``jit``, ``vmap`` and loops, the rules of
    its ``custom_jvp``s if it is one) get full float32 precision; products given an explicit
    precision keep theirs. Only for l1jax's own code: a user's model traced inside ``fun`` would
    be forced to ``HIGHEST`` too.
    """

    @functools.wraps(fun)
    def traced(*args, **kwargs):
        with jax.default_matmul_precision("highest"):
            return fun(*args, **kwargs)

    traced._l1jax_highest = True  # (tests/test_precision.py checks every jitted function)
    return traced


def program(
    fun: Callable | None = None,
    *,
    static_argnames: str | tuple[str, ...] = (),
    name: str | None = None,
    options: Callable[[dict, Any], dict] | None = None,
) -> Program | Callable[[Callable], Program]:
    """Compile ``fun`` as ``jax.jit`` does, keeping its executables across processes; ``fun``
    is traced under :func:`highest` (it must be l1jax's own code).

    Args:
        fun: the function; without it, a decorator is returned.
        static_argnames: names of the static arguments (hashable; by name or by position).
        name: the program's name in the cache (default: module and qualified name of ``fun``).
        options: the XLA options of a compilation on a CPU beyond :func:`compiler_options`,
            from its static arguments (a dict of them, defaults included) and the widest
            floating dtype of its array arguments (None if none); a function of these only, so
            that the cache's key (which holds them) determines them.

    Returns:
        A :class:`Program`, called as the jitted ``fun``, with ``lower`` and ``precompile``.
    """
    if isinstance(static_argnames, str):
        static_argnames = (static_argnames,)
    if fun is None:
        return functools.partial(program, static_argnames=tuple(static_argnames), name=name,
                                 options=options)  # fmt: skip
    return Program(fun, tuple(static_argnames), name, options)

"""Root pytest configuration.

``tests/conftest.py`` turns float64 on for the whole session; the doctests in ``l1jax/`` show
what a user sees by default (float32), so they run with x64 switched off.

The suite's own programs (its ``jax.jit``s, and the subprocesses it starts) compile with XLA's
loop-fusion emitters on a CPU (``--xla_cpu_use_fusion_emitters=false`` added to ``XLA_FLAGS``),
the option l1jax's own programs always use there (``l1jax._programs._COMPILER_OPTIONS``): their
compile time is most of the suite's (a cold run on 2 cores: 830 s before, 470-610 s with the
option on all programs). Set before JAX starts its backend.

They also compile at XLA's backend (LLVM) optimization level 0
(``--xla_backend_optimization_level=0``): the same XLA programs, whose machine code is generated
1.5-2.5× faster and runs 3-6× slower, which the suite's small problems do not feel (a cold run
on 2 cores: 638 s before, 438-445 s with it). Results can differ from the optimized build's in
the last bits, which every tolerance of the suite allows. ``L1JAX_TEST_OPTIMIZED=1`` (or an
optimization level of one's own in ``XLA_FLAGS``) runs the suite on the optimized build; the
main job and ``benchmarks/paths.py --quick`` in ``.ci/run`` run on it, as users do.

With level 0, most of a program's compilation is XLA's HLO passes, and of them the
while-loop-invariant code motion is the largest (D quick's engine program: 335 of 700 ms; it
runs 10-16 times over l1jax's nested loops). The suite turns it off too
(``--xla_disable_hlo_passes=while-loop-invariant-code-motion``, with level 0 and unless
``XLA_FLAGS`` names passes of its own): the same values, computed where the program wrote them
(in the loops) instead of once before. Engine programs at level 0 compile 10-28% faster (A, C, D
quick: 0.81 → 0.66, 0.68 → 0.61, 1.37 → 0.99 s) and run 0-7% slower (A, C, D quick warm: 0.554
→ 0.576, 0.231 → 0.246, 0.250 → 0.248 s), which the suite's small problems do not feel; a cold
run on 2 cores: 303 s before, 278 s with it.
"""

import os
from importlib.metadata import version

# The flags below are XLA's of the jaxlib versions they were measured with; an XLA that does not
# know a flag in XLA_FLAGS aborts the process at its start, so a newer jaxlib runs the suite
# with XLA's defaults (as L1JAX_TEST_OPTIMIZED=1 does, less the fusion emitters).
_KNOWN = tuple(int(part) for part in version("jaxlib").split(".")[:2]) < (0, 11)
if not _KNOWN:
    os.environ.setdefault("L1JAX_TEST_OPTIMIZED", "1")
FUSION_FLAG = "--xla_cpu_use_fusion_emitters=false"
if _KNOWN and "xla_cpu_use_fusion_emitters" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {FUSION_FLAG}".strip()
OPT_FLAG = "--xla_backend_optimization_level=0"
_flags = os.environ.get("XLA_FLAGS", "")
_own = "optimization_level" in _flags or os.environ.get("L1JAX_TEST_OPTIMIZED")
if not _own:
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {OPT_FLAG}".strip()
LICM_FLAG = "--xla_disable_hlo_passes=while-loop-invariant-code-motion"
if not _own and "xla_disable_hlo_passes" not in os.environ["XLA_FLAGS"]:
    os.environ["XLA_FLAGS"] = f"{os.environ['XLA_FLAGS']} {LICM_FLAG}"

import jax  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _doctests_in_float32(request):
    if isinstance(request.node, pytest.DoctestItem):
        with jax.enable_x64(False):
            yield
    else:
        yield


# Test modules whose module-scoped fixture starts subprocesses (the main job and the examples, the
# CLI, the fake-device meshes). pytest-xdist's default "load" spreads a module's tests over the
# workers, and each worker that gets one runs the fixture and its subprocesses again (measured:
# the 3 mesh subprocesses twice, 180 s of a worker each time on 2 cores). ``--dist loadgroup``
# would keep them together but does nothing under pytest 9.2 (pytest-xdist 3.8 renames node ids
# that pytest no longer reads), so the scheduling is set here: one work unit per such module,
# one per test elsewhere (as "load").
SUBPROCESS_MODULES = ("test_cli.py", "test_examples.py", "test_sharding.py")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            module = nodeid.split("::", 1)[0]
            return module if module.rsplit("/", 1)[-1] in SUBPROCESS_MODULES else nodeid

    return Scheduling(config, log)

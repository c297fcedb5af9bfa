"""Helpers for ``mesh=`` (see ../DESIGN "Scale out" and docs/scale-out.md).

A mesh is an ordinary :class:`jax.sharding.Mesh` whose axes are named ``"lambdas"`` (models:
λs, folds, l1_ratios) and/or ``"data"`` (rows of X, samples). Either may be absent; a missing
axis means "replicated along it". Leading axes that do not divide the mesh axis are padded by the
callers (repeated λs or folds, rows of zero weight) and the padding is dropped from the results.
"""

from __future__ import annotations

import functools

import jax
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec

from l1jax import _programs

AXES = ("lambdas", "data")


def check_mesh(mesh, where: str):
    """``mesh`` as given (None or a Mesh with axes among ``"lambdas"``, ``"data"``), or raise."""
    if mesh is None:
        return None
    if not isinstance(mesh, jax.sharding.Mesh):
        raise TypeError(f"{where}: mesh must be a jax.sharding.Mesh, got {type(mesh).__name__}")
    unknown = [a for a in mesh.axis_names if a not in AXES]
    if unknown:
        raise ValueError(
            f"{where}: mesh axes must be named 'lambdas' and/or 'data', got {mesh.axis_names}; "
            "rename the mesh axes (e.g. jax.make_mesh((4,), ('lambdas',)))"
        )
    return mesh


def axis_size(mesh, name: str) -> int:
    """Devices along mesh axis ``name`` (1 without a mesh or without that axis)."""
    if mesh is None or name not in mesh.axis_names:
        return 1
    return int(mesh.shape[name])


def axis(mesh, name: str) -> str | None:
    """``name`` if the mesh has that axis, else None (a PartitionSpec entry)."""
    return name if mesh is not None and name in mesh.axis_names else None


def round_up(size: int, multiple: int) -> int:
    """``size`` rounded up to a multiple of ``multiple``."""
    return -(-size // multiple) * multiple


def leading(mesh, name: str | None, ndim: int) -> NamedSharding:
    """Sharding of an ``ndim``-array whose leading axis is split over mesh axis ``name``."""
    return NamedSharding(mesh, PartitionSpec(name, *([None] * (ndim - 1))))


def auto(mesh):
    """``mesh`` with every axis of type ``Auto`` (``jax.make_mesh`` makes ``Explicit`` axes in
    recent JAX): l1jax places its arrays itself and lets XLA's partitioner propagate the rest."""
    if mesh is None:
        return None
    types = getattr(mesh, "axis_types", None)
    auto_type = getattr(jax.sharding, "AxisType", None)
    if auto_type is None or types is None or all(t == auto_type.Auto for t in types):
        return mesh
    return jax.sharding.Mesh(
        mesh.devices, mesh.axis_names, axis_types=(auto_type.Auto,) * len(mesh.axis_names)
    )


def outside_context_mesh(fun):
    """Decorate a public entry point to run with no context mesh: l1jax places its arrays
    itself, on meshes of ``Auto`` axes (:func:`auto`), and its programs traced under a user's
    ``jax.set_mesh`` of ``Explicit`` axes failed inside JAX ("context mesh ... should match
    the aval mesh"), with or without ``mesh=``."""

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        get = getattr(jax.sharding, "get_abstract_mesh", None)
        if get is None or get().empty:
            return fun(*args, **kwargs)
        with jax.sharding.use_abstract_mesh(jax.sharding.AbstractMesh((), ())):
            return fun(*args, **kwargs)

    return wrapped


def as_auto(x: jax.Array) -> jax.Array:
    """``x`` laid out as it is, on its mesh with ``Auto`` axes (:func:`auto`): an array sharded
    on an ``Explicit`` mesh carries its sharding into the types of l1jax's programs, where a
    product over the sharded rows is refused as ambiguous."""
    sharding = x.sharding
    if not isinstance(sharding, NamedSharding) or auto(sharding.mesh) is sharding.mesh:
        return x
    return jax.device_put(x, NamedSharding(auto(sharding.mesh), sharding.spec))


def replicated(mesh) -> NamedSharding:
    """A full copy on every device of ``mesh``."""
    return NamedSharding(mesh, PartitionSpec())


def to_host(value) -> np.ndarray:
    """A NumPy copy of ``value``, also of an array that spans several hosts (gathered from all
    processes: every process must call this, as in any multi-controller JAX program)."""
    if isinstance(value, jax.Array) and not value.is_fully_addressable:
        from jax.experimental import multihost_utils

        return np.asarray(multihost_utils.process_allgather(value, tiled=True))
    return np.asarray(value)


SMALL_PUT = 4096  # entries of a host value that Placement.put leaves to the program's call


class Placement:
    """Where arrays live: on the default device, or sharded over a ``jax.sharding.Mesh`` with
    rows of X over its axis ``"data"`` and the λ block over its axis ``"lambdas"`` (either may
    be absent). XLA's partitioner then runs every product on the shards and reduces Xᵀr across
    devices; nothing else changes."""

    def __init__(self, mesh):
        self.mesh = mesh = auto(mesh)  # jax.make_mesh gives Explicit axes
        names = () if mesh is None else mesh.axis_names
        self.data = "data" if "data" in names else None
        self.lams = "lambdas" if "lambdas" in names else None
        self.n_data = 1 if self.data is None else mesh.shape["data"]
        self.n_lams = 1 if self.lams is None else mesh.shape["lambdas"]

    def sharding(self, *spec):  # a NamedSharding on the mesh (None without one)
        if self.mesh is None:
            return None
        return jax.sharding.NamedSharding(self.mesh, jax.sharding.PartitionSpec(*spec))

    def put(self, value, *spec):
        """``value`` placed by ``spec`` on the mesh. Without one, a small NumPy value stays on
        the host: the program's call transfers all its arguments at once (a ``device_put``
        each cost ≈ 0.1 ms, 16 of them a quarter of a small estimator's fit)."""
        if self.mesh is None and not isinstance(value, jax.Array) and np.size(value) <= SMALL_PUT:
            return np.asarray(value)
        return _programs.to_device(value, sharding=self.sharding(*spec))

    def fetch(self, value) -> np.ndarray:  # to NumPy, gathered from every host if need be
        return to_host(value)

    def rows(self, value):  # (n, ...) arrays: samples over "data"
        return self.put(value, self.data, *([None] * (np.ndim(value) - 1)))

    def block(self, value):  # (B, ...) arrays: λs over "lambdas"
        return self.put(value, self.lams, *([None] * (np.ndim(value) - 1)))

    def replicated(self, value):
        return self.put(value, *([None] * np.ndim(value)))

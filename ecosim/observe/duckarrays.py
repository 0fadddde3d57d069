"""xarray's test for Dask arrays, answered without importing Dask while none can exist.

Each time xarray wraps an array in a variable it asks whether the array is a Dask array, and
the first time it asks it imports ``dask.array`` for its class, whether or not the process
will ever hold one. Dask is installed for sweeps, so every run paid that import (about
0.15 s, ``scipy.fft`` and ``scipy.special`` with it) in its own process and again in its
forked twin, a tenth of a short run. No object can be a Dask array before ``dask.array`` is
imported: :func:`defer_dask_import` hands xarray a class that says so, and that asks
``dask.array.Array`` itself once something has imported it (a sweep on Dask, a user's
chunked data), so the answer is xarray's own either way.
"""

from __future__ import annotations

import sys
from typing import Any

from xarray.namedarray import pycompat


class _DaskArrayType(type):
    """Instance and subclass checks against ``dask.array.Array``, where it is imported."""

    def __instancecheck__(cls, obj: object) -> bool:
        array = _dask_array_class()
        return array is not None and isinstance(obj, array)

    def __subclasscheck__(cls, sub: type) -> bool:
        array = _dask_array_class()
        return array is not None and issubclass(sub, array)


def _dask_array_class() -> type | None:
    """``dask.array.Array`` if ``dask.array`` is (fully) imported, else ``None``."""
    module = sys.modules.get("dask.array")
    array = getattr(module, "Array", None)
    return array if isinstance(array, type) else None


class DaskArray(metaclass=_DaskArrayType):
    """Stands for ``dask.array.Array`` in xarray's checks, importing nothing.

    ``isinstance(x, DaskArray)`` is ``isinstance(x, dask.array.Array)`` once ``dask.array`` is
    imported, and false before: nothing can be one of its arrays then.
    """


class _DeferredDask(pycompat.DuckArrayModule):
    """xarray's record of Dask with the array class known at once and the rest on first use.

    xarray reads only the class on the way of a run (``array_type("dask")``); its module and
    version (``module``, ``version``, ``available``) are looked up, by importing Dask as
    xarray would have, the first time anything asks for them.
    """

    def __init__(self) -> None:
        # no call to the parent's __init__: that is the import this class defers
        self.type = (DaskArray,)

    def __getattr__(self, name: str) -> Any:
        # called only for attributes not set yet: module, version, available
        real = pycompat.DuckArrayModule("dask")
        self.module, self.version, self.available = real.module, real.version, real.available
        return getattr(real, name)


def defer_dask_import() -> None:
    """Let xarray tell Dask arrays apart without importing ``dask.array`` until one exists.

    Does nothing where xarray has already looked Dask up, where ``dask.array`` is already
    imported (xarray's own lookup then costs nothing), or where xarray no longer keeps its
    record of array modules where this expects it (runs then import Dask as before).
    """
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    if not isinstance(cache, dict) or "dask" in cache or "dask.array" in sys.modules:
        return
    cache["dask"] = _DeferredDask()

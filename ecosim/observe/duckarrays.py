"""xarray's tests for Dask arrays, answered without importing Dask while none can exist.

Each time xarray wraps an array in a variable it asks whether the array is a Dask array, and
the first time it asks it imports ``dask.array`` for its class, whether or not the process
will ever hold one; it then asks whether the array is a Dask collection, which imports
``dask`` itself (its scheduler, ``jinja2``, ``psutil``). Dask is installed for sweeps, so
every run paid both imports (about 0.25 s) in its own process and again in its forked twin,
a fifth of a short run. :func:`defer_dask_import` answers both questions as Dask would,
without the imports where the answer cannot depend on them:

- no object can be a Dask array before ``dask.array`` is imported: xarray is handed a class
  that says so, and that asks ``dask.array.Array`` itself once something has imported it (a
  sweep on Dask, a user's chunked data);
- no object without a ``__dask_graph__`` is a Dask collection (the first test of
  ``dask.base.is_dask_collection``): xarray's test answers that at once and hands anything
  else to Dask, as before.
"""

from __future__ import annotations

import sys
from typing import Any

from xarray.namedarray import pycompat
from xarray.namedarray import utils as xarray_utils

#: xarray's own test for a Dask collection, which imports Dask whatever the object.
_is_dask_collection = xarray_utils.is_dask_collection


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


def is_dask_collection(x: object) -> bool:
    """Whether ``x`` is a Dask collection, importing Dask only for an object that may be one.

    An object without a ``__dask_graph__`` is none (``dask.base.is_dask_collection`` says so
    first); any other object is asked of Dask, through xarray, as before.
    """
    return hasattr(x, "__dask_graph__") and bool(_is_dask_collection(x))


def defer_dask_import() -> None:
    """Let xarray tell Dask arrays apart without importing Dask until one may exist.

    Both answers are the ones Dask would give. The array class is left to xarray where it
    has already looked Dask up or ``dask.array`` is already imported (its own lookup then
    costs nothing), and either part is skipped where xarray no longer keeps what it replaces
    where this expects it (runs then import Dask as before).
    """
    if getattr(xarray_utils, "is_dask_collection", None) is _is_dask_collection:
        # is_duck_dask_array, which all of xarray calls, looks it up here at each call;
        # typed as a TypeGuard there, a plain bool here: the same answers
        xarray_utils.is_dask_collection = is_dask_collection  # type: ignore[assignment]
    cache = getattr(pycompat, "_cached_duck_array_modules", None)
    if not isinstance(cache, dict) or "dask" in cache or "dask.array" in sys.modules:
        return
    cache["dask"] = _DeferredDask()

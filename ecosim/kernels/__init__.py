"""Compiled hot loops, each with a plain-Python reference twin of the same signature.

Nothing here imports SimPy, xarray or pydantic: kernels take and fill numpy arrays only.
Importing this package points Numba at a hash-keyed cache directory before Numba loads.
"""

from ecosim.kernels._cache import configure as _configure_cache

CACHE_DIR = _configure_cache()

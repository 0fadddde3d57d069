"""Where compiled kernels are cached.

Numba's ``cache=True`` keys its files by the source of each function, but misses changes in
the modules a kernel imports. Keying the whole cache directory by a hash of every kernel module
makes a stale entry impossible: an edit anywhere in ``kernels/`` lands in a fresh directory.
The directory lives in the user's cache (never inside site-packages, which may be read-only),
and an explicit ``NUMBA_CACHE_DIR`` wins, so a test session or a cluster job can hand one
directory to all of its processes.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

_KERNEL_DIR = Path(__file__).resolve().parent


def kernels_hash() -> str:
    """Return a short hash of the source of every module in ``ecosim/kernels``."""
    digest = hashlib.sha256()
    for path in sorted(_KERNEL_DIR.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def default_cache_dir() -> Path:
    """Return the hash-keyed cache directory used when ``NUMBA_CACHE_DIR`` is not set."""
    base = os.environ.get("ECOSIM_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    if not os.environ.get("ECOSIM_CACHE_DIR"):
        root = root / "ecosim"
    return root / "numba" / kernels_hash()


def configure() -> Path:
    """Point Numba at the cache directory; must run before ``numba`` is first imported."""
    explicit = os.environ.get("NUMBA_CACHE_DIR")
    path = Path(explicit) if explicit else default_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(path)
    return path

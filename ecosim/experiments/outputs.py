"""Writing outputs where they may not fit: a check before the work, folders written whole.

Every command that writes refuses a place it cannot write to before it computes anything
(:func:`check_writable`), and writes a folder of files through a staging folder inside it
(:func:`staged_folder`), so a full or read-only disk ends in an
:class:`~ecosim.errors.OutputError` naming the place and the reason, with no temporary file
left behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ecosim.core.processes import alive
from ecosim.errors import OutputError

STAGING_PREFIX = ".ecosim-tmp-"


def check_writable(path: Path) -> None:
    """Refuse ``path`` unless a file can be made where it would go.

    The nearest folder of ``path`` that exists (``path`` itself when it is a folder) must take
    a new file: it is tried, since file modes say nothing to root and nothing about a
    read-only mount.

    Raises
    ------
    OutputError
        Naming ``path`` and why it cannot be written.
    """
    folder = path if path.is_dir() else path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(path, f"{folder} is not a folder")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise OutputError(path, exc) from None


def remove_stale_staging(target: Path) -> list[Path]:
    """Remove staging folders in ``target`` whose writer (by PID) no longer runs here."""
    removed = []
    for item in target.glob(f"{STAGING_PREFIX}*"):
        pid = item.name[len(STAGING_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(item, ignore_errors=True)
            removed.append(item)
    return removed


@contextlib.contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A staging folder inside ``target``; what is written there is moved into ``target``.

    The files are moved (renamed, on the same file system) only once all of them are
    written, so a failure leaves ``target`` as it was.

    Raises
    ------
    OutputError
        When ``target`` cannot be made or a file cannot be written (an ``OSError`` in the
        ``with`` block); the staging folder is removed, and ``target`` too if this made it
        and it is empty.
    """
    created = not target.exists()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(target, exc) from None
    remove_stale_staging(target)
    staging = target / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    ok = False
    try:
        staging.mkdir()
        yield staging
        for item in sorted(staging.iterdir()):
            os.replace(item, target / item.name)
        ok = True
    except OSError as exc:
        raise OutputError(target, exc) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not ok:
            with contextlib.suppress(OSError):
                target.rmdir()

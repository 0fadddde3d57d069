"""Who writes a sweep store: one lock per writer, and the temporaries killed writers leave.

A writer of a store owns a range of its runs: the whole store for ``ecosim sweep`` (create,
continue or ``--resume``), the runs of its blocks for a shard of a job array
(``--shard K/N``). It holds a lock file beside the store, ``.NAME.zarr.runs-A-B.lock``,
created exclusively (``filelock.MarkerSoftFileLock``) and recording its PID and host. A
writer takes its own lock first and then looks at every other lock of the store whose range
overlaps its own: if one is held by a running process, it gives its own lock back and is
refused, naming that holder. Two writers starting at the same moment may thus both be
refused, never both admitted. Shards of one job array own disjoint ranges and run together.

A lock whose process no longer runs on this host (a SIGKILL, a node that rebooted) is taken
over. One recorded by another host cannot be probed from here: it is reported, never broken.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from ecosim.core.processes import alive
from ecosim.errors import OutputError

_RANGE = re.compile(r"\.runs-(\d+)-(\d+)\.lock$")


class StoreBusy(Exception):
    """Another running process writes the same runs of a store.

    Parameters
    ----------
    store
        The store.
    lock
        The lock file the other writer holds.
    pid, host
        The holder, as its lock file records it (``None`` when unreadable).
    """

    def __init__(self, store: Path, lock: Path, pid: int | None, host: str | None) -> None:
        self.store = store
        self.lock = lock
        self.pid = pid
        self.host = host
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line explanation shown to the user."""
        who = f"process {self.pid}" if self.pid is not None else "another process"
        where = f" on {self.host}" if self.host else ""
        return (
            f"{self.store} is being written by {who}{where} (lock {self.lock}); run this again "
            f"when it has finished, or remove the lock file if that process is gone"
        )


@dataclass
class WriterLock:
    """A held lock of a store's runs ``start:stop``; a context manager that releases it."""

    store: Path
    path: Path
    handle: Any
    notes: list[str] = field(default_factory=list)

    def release(self) -> None:
        """Give the lock back (its file is removed)."""
        if self.handle is not None:
            self.handle.release()
            self.handle = None

    def __enter__(self) -> WriterLock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def lock_file(store: Path, start: int, stop: int) -> Path:
    """The lock file of a writer of runs ``start:stop`` of ``store``."""
    return store.parent / f".{store.name}.runs-{start}-{stop}.lock"


def _holder(lock: Any) -> tuple[int | None, str | None]:
    owner = lock.owner
    return (None, None) if owner is None else (int(owner.pid), str(owner.hostname))


def acquire(store: Path, start: int, stop: int) -> WriterLock:
    """Lock runs ``start:stop`` of ``store`` for this process, or refuse at once.

    Parameters
    ----------
    store
        The store (it need not exist yet: its creation is locked too).
    start, stop
        The runs this process will write.

    Returns
    -------
    WriterLock
        The held lock, with notes on stale locks it took over.

    Raises
    ------
    StoreBusy
        When a running process holds a lock of overlapping runs; nothing is left behind.
    OutputError
        When the lock file cannot be made (a read-only or full file system).
    """
    from filelock import MarkerSoftFileLock, Timeout

    store = Path(os.path.abspath(store))
    path = lock_file(store, start, stop)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(path.parent, exc) from None
    own = MarkerSoftFileLock(str(path), timeout=0)
    before = _holder(own)
    try:
        own.acquire()
    except Timeout:
        raise StoreBusy(store, path, *_holder(own)) from None
    except OSError as exc:
        raise OutputError(path, exc) from None
    held = WriterLock(store, path, own)
    if before[0] is not None:
        held.notes.append(f"took over the lock of process {before[0]} on {before[1]}, not running")
    try:
        for other in sorted(path.parent.glob(f".{store.name}.runs-*.lock")):
            found = _RANGE.search(other.name)
            if other == path or found is None:
                continue
            if int(found.group(1)) >= stop or int(found.group(2)) <= start:
                continue
            peer = MarkerSoftFileLock(str(other), timeout=0)
            stale = _holder(peer)
            try:
                # a lock that can be taken is not held: its writer finished or died
                peer.acquire()
            except Timeout:
                raise StoreBusy(store, other, *_holder(peer)) from None
            peer.release()
            if stale[0] is not None:
                held.notes.append(
                    f"removed the lock of process {stale[0]} on {stale[1]}, not running"
                )
    except BaseException:
        held.release()
        raise
    return held


def clean_temporaries(store: Path, *, chunks: bool) -> list[str]:
    """Remove what killed writers of ``store`` left; say what was removed or kept.

    ``.NAME.zarr.tmp-PID`` is a store being created: removed when process PID no longer runs,
    reported when it does. With ``chunks`` (only for the holder of the whole store's lock),
    ``*.partial`` files inside the store, chunks a killed writer was writing, are removed.

    Returns
    -------
    list of str
        One line per temporary removed or kept.
    """
    notes: list[str] = []
    for tmp in sorted(store.parent.glob(f".{store.name}.tmp-*")):
        pid = tmp.name.rsplit("-", 1)[-1]
        if not pid.isdigit():
            continue
        if int(pid) != os.getpid() and alive(int(pid)):
            notes.append(f"kept {tmp}: process {pid} is running and may be writing it")
            continue
        shutil.rmtree(tmp, ignore_errors=True)
        notes.append(f"removed {tmp}, left by process {pid}, which was killed")
    if chunks and store.is_dir():
        partial = list(store.rglob("*.partial"))
        for item in partial:
            item.unlink(missing_ok=True)
        if partial:
            notes.append(f"removed {len(partial)} chunk files a killed writer left in {store}")
    return notes

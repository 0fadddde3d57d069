"""A function run in a forked child process while this one goes on.

A run's no-shock twin is a second simulation as long as the run, from a copy of the same
build and with its own streams: on a machine with a spare core it can run beside the run
instead of after it. :func:`start` forks, and the child calls the function with the copy of
this process's memory that the fork gave it (nothing is pickled on the way in); the
function's messages (its progress) and its result or exception come back pickled through a
pipe. The child never returns into the caller's code: it leaves with ``os._exit`` whatever
happens, so no cleanup of this process (``atexit`` handlers, buffered output, a test
runner's teardown) runs twice.

Forking a process in which other threads run can leave the child holding a lock no thread
will release; :func:`can_fork` says whether this process is one where forking is safe and
helps: single-threaded, with at least two usable cores, on a system with ``fork``.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import struct
import threading
import traceback
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: What the child's function is handed: post one picklable message to the parent.
Send = Callable[[Any], None]

_HEADER = struct.Struct("<Q")  # a frame's length, then its pickle
_MESSAGE, _RESULT, _ERROR = "message", "result", "error"


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether forking a child here is both safe and worth it.

    Safe: the system forks, and this process runs no thread but its main one (a web server's
    request threads or a Dask worker's event loop would leave their locks held in the
    child). Worth it: a second core is free for the child to run on.
    """
    return hasattr(os, "fork") and threading.active_count() == 1 and usable_cores() >= 2


class ChildFailed(RuntimeError):
    """The child process ended without handing back a result (killed, or out of memory)."""


class Forked(Generic[T]):
    """A function running in a forked child; see :func:`start`.

    Attributes
    ----------
    pid : int
        The child's process id.
    """

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self._fd: int | None = fd
        self._buffer = bytearray()
        self._outcome: tuple[str, Any] | None = None
        self._status: int | None = None

    @property
    def done(self) -> bool:
        """Whether the child's result (or failure) has been read."""
        return self._outcome is not None or self._fd is None

    def poll(self, on_message: Callable[[Any], None], timeout: float = 0.0) -> bool:
        """Hand every message the child has posted so far to ``on_message``.

        Waits up to ``timeout`` seconds for something to read. Returns whether the child is
        done (its result read, or its end of the pipe closed).
        """
        fd = self._fd
        if fd is None:
            return True
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return False
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            self._close()
            return True
        self._buffer += chunk
        while len(self._buffer) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(self._buffer)
            end = _HEADER.size + length
            if len(self._buffer) < end:
                break
            kind, payload = pickle.loads(bytes(self._buffer[_HEADER.size : end]))
            del self._buffer[:end]
            if kind == _MESSAGE:
                on_message(payload)
            else:
                self._outcome = (kind, payload)
        return self._outcome is not None

    def wait(
        self,
        on_message: Callable[[Any], None],
        cancelled: Callable[[], bool] | None = None,
        interval: float = 0.25,
    ) -> T | None:
        """Wait for the child's result, handing its messages to ``on_message`` meanwhile.

        Parameters
        ----------
        on_message
            Called with each message, in the order posted.
        cancelled
            Asked whenever messages arrive, and at least every ``interval`` seconds, while the
            child runs; when it returns true the child is killed and ``None`` returned.
        interval
            Longest wait between two questions to ``cancelled`` (s).

        Returns
        -------
        The function's return value, or ``None`` if cancelled.

        Raises
        ------
        BaseException
            The exception the function raised in the child, with the child's traceback
            added as a note.
        ChildFailed
            The child ended without a result.
        """
        while not self.poll(on_message, interval):
            if cancelled is not None and cancelled():
                self.kill()
                return None
        self._close()
        if self._outcome is None:
            status = self._status if self._status is not None else 0
            raise ChildFailed(f"the child process ended without a result ({_describe(status)})")
        kind, payload = self._outcome
        if kind == _ERROR:
            exc, text = payload
            exc.add_note(f"in the child process:\n{text}")
            raise exc
        result: T = payload
        return result

    def kill(self) -> None:
        """End the child now, if it still runs, and reap it."""
        if self._fd is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self._close()

    def _close(self) -> None:
        if self._fd is None:
            return
        os.close(self._fd)
        self._fd = None
        _, self._status = os.waitpid(self.pid, 0)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.WEXITSTATUS(status)}"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _frame(kind: str, payload: Any) -> bytes:
    body = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


def portable(exc: BaseException, fallback: type[BaseException] = RuntimeError) -> BaseException:
    """``exc`` if it comes back whole from pickling, else ``fallback`` saying what it was.

    An exception crosses to another process pickled; one whose ``__init__`` does not take
    its ``args`` back (``RunStopped(day)`` holds its message) pickles but does not unpickle,
    and would fail in the process reading it rather than tell what went wrong.
    """
    try:
        back = pickle.loads(pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL))
        if type(back) is type(exc) and str(back) == str(exc):
            return exc
    except Exception:
        pass
    return fallback(f"{type(exc).__name__}: {exc}")


def start(fn: Callable[[Send], T]) -> Forked[T]:
    """Fork, and call ``fn(send)`` in the child; this process goes on at once.

    Parameters
    ----------
    fn
        Runs in the child on its copy of this process's memory. ``send(obj)`` posts a
        picklable message; the return value must pickle too.

    Returns
    -------
    Forked
        The running child: :meth:`Forked.wait` for its result.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        # What the child inherits lives as long as it does: its garbage collector need not scan
        # those objects again (a full collection in a short run's twin took about 0.1 s), nor
        # write to their pages, which the child would then copy.
        gc.freeze()
        code = 0
        try:
            os.close(read_fd)

            def send(message: Any) -> None:
                _write_all(write_fd, _frame(_MESSAGE, message))

            result = fn(send)
            _write_all(write_fd, _frame(_RESULT, result))
        except BaseException as exc:  # whatever it is goes to the parent
            code = 1
            frame = _frame(_ERROR, (portable(exc), traceback.format_exc()))
            with contextlib.suppress(OSError):  # the parent is gone or stopped listening
                _write_all(write_fd, frame)
        finally:
            os._exit(code)
    os.close(write_fd)
    return Forked(pid, read_fd)


def run_all(fns: Sequence[Callable[[], T]], at_once: int | None = None) -> list[T]:
    """Call each of ``fns``, in forked children side by side where it helps; their results.

    Where :func:`can_fork` says so, up to ``at_once`` children (default: the usable cores)
    run at a time, each calling one function on its copy of this process's memory, and the
    next starts as one ends; elsewhere the functions are called here, one after the other.
    Either way the results come back in the order of ``fns``, and each function must only
    return a value and leave files behind (what it changes in its memory is lost).

    Raises
    ------
    BaseException
        The first failure met, as :meth:`Forked.wait` raises it; the children still running
        are killed.
    """
    limit = at_once if at_once is not None else usable_cores()
    if len(fns) < 2 or limit < 2 or not can_fork():
        return [fn() for fn in fns]
    results: dict[int, T] = {}
    waiting = list(enumerate(fns))
    running: dict[int, Forked[T]] = {}
    try:
        while waiting or running:
            while waiting and len(running) < limit:
                i, fn = waiting.pop(0)
                running[i] = start(partial(_call, fn))
            for i, child in list(running.items()):
                if child.poll(_ignore, timeout=0.02):
                    result = child.wait(_ignore)
                    del running[i]
                    results[i] = result  # type: ignore[assignment]
    finally:
        for child in running.values():
            child.kill()
    return [results[i] for i in range(len(fns))]


def _call(fn: Callable[[], T], _send: Send) -> T:
    return fn()


def _ignore(_message: Any) -> None:
    """No function of :func:`run_all` posts messages."""

"""The page's runs in processes of their own, forked from a fork server.

The page is served by threads. A run made in one of them holds the interpreter lock while it
simulates (the page answers slowly meanwhile), and it cannot fork its no-shock twin into a
process beside it (:func:`ecosim.core.forked.can_fork`: a fork of a process in which other
threads run could leave their locks held in the child). So each run goes to a child process
started from multiprocessing's *fork server*: a process started once, with nothing but its
main thread, that has imported the run's path and loaded its kernels from the cache
(:mod:`ecosim.serve.warm`). A child forked from it starts at once, forks its own twin as
``ecosim run`` does, and sends its progress, then its result, back through a pipe; a stop
request reaches it through an event it asks after every world step.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.synchronize import Event

import xarray as xr

from ecosim.core import forked
from ecosim.errors import RunStopped
from ecosim.scenario.loader import LoadedScenario

#: What the fork server imports before it forks any run: the run's path, then a short run
#: that loads its kernels (each child would otherwise load them again, about 2 s).
PRELOAD = ["ecosim.studies.replicates", "ecosim.serve.warm"]

_PROGRESS, _RESULT, _STOPPED, _ERROR = "progress", "result", "stopped", "error"

_lock = threading.Lock()
_context: ForkServerContext | None = None


class RunFailed(RuntimeError):
    """A page's run failed in its process; the message is what the page shows."""


def available() -> bool:
    """Whether runs can go to a fork server here (a system with ``fork``)."""
    return "forkserver" in mp.get_all_start_methods()


def context() -> ForkServerContext:
    """The fork server's context, its server started (once per process) with :data:`PRELOAD`."""
    global _context
    with _lock:
        if _context is None:
            ctx = mp.get_context("forkserver")
            assert isinstance(ctx, ForkServerContext)
            ctx.set_forkserver_preload(PRELOAD)
            _context = ctx
        return _context


def start_server() -> None:
    """Start the fork server now, so that the first run does not wait for its imports."""
    from multiprocessing import forkserver

    context()
    forkserver.ensure_running()


def run_apart(
    loaded: LoadedScenario,
    replicates: int,
    progress: Callable[[str, float], None],
    stop: Callable[[], bool],
    poll_seconds: float = 0.1,
) -> xr.Dataset:
    """The result of ``ecosim run`` for ``loaded``, made in a child of the fork server.

    Parameters
    ----------
    loaded
        The scenario, loaded with the page's flags and seed.
    replicates
        As ``--replicates``.
    progress
        Called here, in the caller's thread, with each progress report of the run.
    stop
        Asked at least every ``poll_seconds``; once it returns true the run is told to stop
        after its current step.

    Raises
    ------
    RunStopped
        The run stopped on request, at the day it reached.
    RunFailed
        The run failed, or its process ended without a result.
    BaseException
        An exception the run raised that survives pickling (an input error).
    """
    ctx = context()
    receive, send = ctx.Pipe(duplex=False)
    halt = ctx.Event()
    # a daemon: ended with the page's server rather than keeping it from exiting
    child = ctx.Process(
        target=_run_child,
        args=(loaded, replicates, send, halt),
        name="ecosim-page-run",
        daemon=True,
    )
    child.start()
    send.close()  # the child holds the only writing end: its exit ends the pipe
    try:
        while True:
            if stop() and not halt.is_set():
                halt.set()
            if not receive.poll(poll_seconds):
                continue
            try:
                kind, payload = receive.recv()
            except EOFError:
                child.join()
                raise RunFailed(
                    f"the run's process ended without a result (exit code {child.exitcode})"
                ) from None
            if kind == _PROGRESS:
                progress(*payload)
            elif kind == _RESULT:
                result: xr.Dataset = payload
                return result
            elif kind == _STOPPED:
                raise RunStopped(payload)
            else:
                raise payload
    finally:
        receive.close()
        child.join(timeout=5.0)
        if child.is_alive():  # the caller went away mid-run (the server is shutting down)
            child.kill()
            child.join()


def _run_child(loaded: LoadedScenario, replicates: int, send: Connection, halt: Event) -> None:
    """The child: run as ``ecosim run`` does, report to the pipe, never raise."""
    from ecosim.studies.replicates import run_one, run_replicates

    def report(label: str, fraction: float) -> None:
        send.send((_PROGRESS, (label, fraction)))

    try:
        if replicates == 1:
            ds = run_one(loaded, progress=report, stop=halt.is_set)
        else:
            ds = run_replicates(loaded, replicates, progress=report, stop=halt.is_set)
        send.send((_RESULT, ds))
    except RunStopped as exc:
        send.send((_STOPPED, exc.day))
    except Exception as exc:  # the page shows it, as `ecosim run` prints it
        send.send((_ERROR, forked.portable(exc, RunFailed)))
    finally:
        send.close()

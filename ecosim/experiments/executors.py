"""Where blocks run: one interface, four back ends.

Every executor is a context manager with one method, :meth:`Executor.run`, which takes block
tasks and yields their results as they finish. Workers write their blocks to the store
themselves, so an executor only moves small task descriptions and counts.

- :class:`InProcess`: the blocks one after another in this process; the debugging twin of
  the others (same function, same store, a plain traceback under a debugger).
- :class:`DaskExecutor`: a Dask client, made by one of
  :func:`local_cluster` (``--workers N``: ``LocalCluster`` of N single-threaded processes on
  127.0.0.1), :func:`existing_scheduler` (``--scheduler ADDRESS``) or :func:`slurm_cluster`
  (``--slurm``: ``dask_jobqueue.SLURMCluster``).

Workers get ``NUMBA_NUM_THREADS=1`` (one simulation per core; SimPy holds the GIL anyway) and
this process's ``NUMBA_CACHE_DIR``, so no worker compiles the kernels again.
"""

from __future__ import annotations

import os
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

from ecosim.experiments.runner import BlockResult, BlockTask, run_block

# Dask re-runs a block whose worker died this many times before giving up on it.
TASK_RETRIES = 3


def worker_env() -> dict[str, str]:
    """Environment every worker process needs."""
    env = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if "NUMBA_CACHE_DIR" in os.environ:
        env["NUMBA_CACHE_DIR"] = os.environ["NUMBA_CACHE_DIR"]
    return env


class Executor(AbstractContextManager["Executor"], ABC):
    """Runs block tasks and yields their results as they complete."""

    n_workers: int = 1

    @abstractmethod
    def run(self, tasks: Iterable[BlockTask], stop: threading.Event) -> Iterator[BlockResult]:
        """Run ``tasks``; once ``stop`` is set, start no new block and let running ones finish."""

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class InProcess(Executor):
    """Blocks one after another in this process (the default for small sweeps, and debugging)."""

    def run(self, tasks: Iterable[BlockTask], stop: threading.Event) -> Iterator[BlockResult]:
        """Run each block here; on ``stop`` the current block writes what it finished."""
        for task in tasks:
            if stop.is_set():
                return
            yield run_block(task, should_stop=stop.is_set)


class DaskExecutor(Executor):
    """Blocks on a Dask cluster, a bounded number in flight (memory stays flat).

    Parameters
    ----------
    make_client
        Called on entry; returns ``(client, cluster or None, n_workers)``. The cluster, if any,
        is closed on exit.
    wait_for_workers
        Wait for at least one worker before submitting (a SLURM job may queue a while).
    """

    def __init__(
        self,
        make_client: Callable[[], tuple[Any, Any, int]],
        wait_for_workers: bool = False,
    ) -> None:
        self._make = make_client
        self._wait = wait_for_workers
        self.client: Any = None
        self.cluster: Any = None

    def __enter__(self) -> DaskExecutor:
        self.client, self.cluster, self.n_workers = self._make()
        if self._wait:
            self.client.wait_for_workers(1)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def run(self, tasks: Iterable[BlockTask], stop: threading.Event) -> Iterator[BlockResult]:
        """Submit blocks, at most two per worker at a time, and yield results as they finish."""
        from distributed import as_completed

        pending = iter(tasks)
        in_flight = max(2, 2 * max(self.n_workers, 1))
        queue = as_completed()

        def submit_next() -> bool:
            if stop.is_set():
                return False
            task = next(pending, None)
            if task is None:
                return False
            queue.add(
                self.client.submit(
                    run_block,
                    task,
                    key=f"ecosim-block-{task.block}-{os.getpid()}-{id(task)}",
                    retries=TASK_RETRIES,
                    pure=False,
                )
            )
            return True

        for _ in range(in_flight):
            if not submit_next():
                break
        for future in queue:
            result: BlockResult = future.result()
            future.release()
            yield result
            submit_next()


def local_cluster(n_workers: int) -> Callable[[], tuple[Any, Any, int]]:
    """A factory of a ``LocalCluster`` of ``n_workers`` single-threaded processes."""

    def make() -> tuple[Any, Any, int]:
        from distributed import Client, LocalCluster

        # the nannies set ``env`` in each worker process before it imports numba
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            env=worker_env(),
            silence_logs=40,
        )
        return Client(cluster), cluster, n_workers

    return make


def existing_scheduler(address: str) -> Callable[[], tuple[Any, Any, int]]:
    """A factory of a client of a running scheduler (its workers must see the store path)."""

    def make() -> tuple[Any, Any, int]:
        from distributed import Client

        client = Client(address, timeout="30s")
        n = len(client.scheduler_info().get("workers", {})) or 1
        return client, None, n

    return make


def slurm_cluster(
    *,
    jobs: int,
    cores: int,
    memory: str,
    walltime: str,
    partition: str | None,
    interface: str | None,
) -> Callable[[], tuple[Any, Any, int]]:
    """A factory of a ``dask_jobqueue.SLURMCluster``: ``jobs`` jobs of ``cores`` workers each.

    Each job runs ``cores`` single-threaded worker processes; the scheduler runs here (on the
    login node) and must be reachable from the compute nodes through ``interface``.
    """

    def make() -> tuple[Any, Any, int]:
        from dask_jobqueue import SLURMCluster
        from distributed import Client

        prologue = [f"export {k}={v}" for k, v in worker_env().items()]
        kwargs: dict[str, Any] = {
            "cores": cores,
            "processes": cores,
            "memory": memory,
            "walltime": walltime,
            "job_script_prologue": prologue,
            "python": sys.executable,
            "job_name": "ecosim-sweep",
        }
        if partition:
            kwargs["queue"] = partition
        if interface:
            kwargs["interface"] = interface
        cluster = SLURMCluster(**kwargs)
        cluster.scale(jobs=jobs)
        return Client(cluster), cluster, jobs * cores

    return make

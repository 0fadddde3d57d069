"""Where simulations run: one interface, four back ends.

Every executor is a context manager with two methods: :meth:`Executor.map` calls a function
on each of a sequence of tasks and yields ``(index, result)`` as they finish, and
:meth:`Executor.run` does so for the blocks of a sweep. Sweep workers write their blocks to the
store themselves, so an executor only moves small task descriptions and counts; the studies of
:mod:`ecosim.studies` map a simulation over (scenario, future, replicate) cells and get back
what each cell's reduction keeps.

- :class:`InProcess`: the tasks one after another in this process; the debugging twin of
  the others (same function, same store, a plain traceback under a debugger).
- :class:`DaskExecutor`: a Dask client, made by one of
  :func:`local_cluster` (``--workers N``: ``LocalCluster`` of N single-threaded processes on
  127.0.0.1, speaking TLS with credentials of its own, no dashboard unless asked for),
  :func:`existing_scheduler` (``--scheduler ADDRESS``) or :func:`slurm_cluster`
  (``--slurm``: ``dask_jobqueue.SLURMCluster``).

:func:`make_executor` picks one from the command-line options.

Workers get ``NUMBA_NUM_THREADS=1`` (one simulation per core; SimPy holds the GIL anyway) and
this process's ``NUMBA_CACHE_DIR``, so no worker compiles the kernels again.
"""

from __future__ import annotations

import os
import shlex
import sys
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    # a sweep's blocks only: the runner brings the sweep file's models and the store
    # (about 17 ms), which a run or a comparison mapped over cells never needs
    from ecosim.experiments.runner import BlockResult, BlockTask

# Dask re-runs a task whose worker died this many times before giving up on it.
TASK_RETRIES = 3

T = TypeVar("T")
R = TypeVar("R")

#: Names a task on a Dask scheduler from its index and itself.
TaskKey = Callable[[int, Any], str]


#: The nanny's setting of glibc's trimming for the processes it starts (see below).
PLAIN_MALLOC = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"

#: Dask settings of the workers ecosim starts, by key and as the environment variable that
#: sets it where a worker is started by a job script. Dask's statistical profiler samples
#: the running task's stack every 10 ms and the event loop ticks every 20 ms, each taking the
#: interpreter lock from a simulation that is Python throughout; nothing of a sweep reads
#: the profiles (the dashboard's profile page shows them, so they stay on with a dashboard).
#: The memory monitor of each worker and of its nanny reads the worker's memory every 100 ms
#: and every server samples the system's CPU, memory and network every 0.5 s: with two
#: workers, about 4 % of a core on a machine whose cores all run simulations. A sweep's
#: worker grows by one run at a time, so a memory reading each second still stops a runaway
#: one in time; the system samples only feed the dashboard. A nanny also starts its worker
#: with glibc told to hand freed memory back to the system from 64 kB up
#: (``MALLOC_TRIM_THRESHOLD_``): the simulation's arrays are then given back and faulted in
#: again at every step, 15 times the page faults of a run in a plain process and about 3 % of
#: its time (9 ms a 0.27 s run, in system time); a sweep's worker holds one run at a time and
#: needs no such trimming, so its workers start as a plain process does.
QUIET_WORKERS: dict[str, tuple[object, str, str]] = {
    "distributed.worker.profile.enabled": (
        False,
        "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED",
        "False",
    ),
    "distributed.admin.tick.interval": ("1s", "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL", "1s"),
    "distributed.worker.memory.monitor-interval": (
        "1s",
        "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL",
        "1s",
    ),
    "distributed.admin.system-monitor.interval": (
        "5s",
        "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL",
        "5s",
    ),
    # a None takes the variable off the nanny's list; an environment variable's name is read
    # in lower case, so a job script names the whole list, which Dask merges into its own
    PLAIN_MALLOC: (
        None,
        "DASK_DISTRIBUTED__NANNY__PRE_SPAWN_ENVIRON",
        "{'MALLOC_TRIM_THRESHOLD_': None}",
    ),
}


def worker_env() -> dict[str, str]:
    """Environment every worker process needs."""
    env = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env.update({name: text for _, name, text in QUIET_WORKERS.values()})
    if "NUMBA_CACHE_DIR" in os.environ:
        env["NUMBA_CACHE_DIR"] = os.environ["NUMBA_CACHE_DIR"]
    return env


def job_prologue() -> list[str]:
    """The shell lines a worker's job script runs first: :func:`worker_env` exported."""
    return [f"export {k}={shlex.quote(v)}" for k, v in worker_env().items()]


class Executor(AbstractContextManager["Executor"], ABC):
    """Runs tasks and yields their results as they complete."""

    n_workers: int = 1
    #: Tasks run in this process: the function need not be picklable and may report progress.
    in_process: bool = False

    @abstractmethod
    def map(
        self,
        fn: Callable[[T], R],
        tasks: Iterable[T],
        stop: threading.Event | None = None,
        key: TaskKey | None = None,
    ) -> Iterator[tuple[int, R]]:
        """Call ``fn`` on each task; yield ``(index of the task, result)`` as each finishes.

        Parameters
        ----------
        fn
            A function of one task. Outside this process it must be picklable (a module-level
            function, or a ``functools.partial`` of one).
        tasks
            The tasks, taken lazily: only a bounded number is in flight at a time.
        stop
            Once set, no new task starts; running ones finish and are yielded.
        key
            Names a task on a Dask scheduler (default: ``ecosim-task-<index>-<token>``).

        Raises
        ------
        Exception
            Whatever ``fn`` raised on a task; tasks still running are abandoned.
        """

    def run(self, tasks: Iterable[BlockTask], stop: threading.Event) -> Iterator[BlockResult]:
        """Run sweep blocks; once ``stop`` is set, start no new block, let running ones finish."""
        from ecosim.experiments.runner import run_block

        for _, result in self.map(run_block, tasks, stop, key=_block_key):
            yield result

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


def _block_key(index: int, task: BlockTask) -> str:
    return f"ecosim-block-{task.block}-{os.getpid()}-{id(task)}"


class InProcess(Executor):
    """Tasks one after another in this process (the default for small sweeps, and debugging)."""

    in_process = True

    def map(
        self,
        fn: Callable[[T], R],
        tasks: Iterable[T],
        stop: threading.Event | None = None,
        key: TaskKey | None = None,
    ) -> Iterator[tuple[int, R]]:
        """Call ``fn`` on each task here, in order."""
        for i, task in enumerate(tasks):
            if stop is not None and stop.is_set():
                return
            yield i, fn(task)

    def run(self, tasks: Iterable[BlockTask], stop: threading.Event) -> Iterator[BlockResult]:
        """Run each block here; on ``stop`` the current block writes what it finished."""
        from ecosim.experiments.runner import run_block

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

    def map(
        self,
        fn: Callable[[T], R],
        tasks: Iterable[T],
        stop: threading.Event | None = None,
        key: TaskKey | None = None,
    ) -> Iterator[tuple[int, R]]:
        """Submit tasks, at most two per worker at a time, and yield results as they finish."""
        from distributed import as_completed

        pending = enumerate(tasks)
        in_flight = max(2, 2 * max(self.n_workers, 1))
        queue = as_completed()
        index: dict[str, int] = {}
        token = uuid.uuid4().hex[:12]

        def submit_next() -> bool:
            if stop is not None and stop.is_set():
                return False
            item = next(pending, None)
            if item is None:
                return False
            i, task = item
            name = key(i, task) if key is not None else f"ecosim-task-{i}-{token}"
            future = self.client.submit(fn, task, key=name, retries=TASK_RETRIES, pure=False)
            index[future.key] = i
            queue.add(future)
            return True

        for _ in range(in_flight):
            if not submit_next():
                break
        for future in queue:
            result: R = future.result()
            i = index.pop(future.key)
            future.release()
            yield i, result
            submit_next()


def local_cluster(n_workers: int, dashboard: bool = False) -> Callable[[], tuple[Any, Any, int]]:
    """A factory of a ``LocalCluster`` of ``n_workers`` single-threaded processes.

    The cluster listens on 127.0.0.1 only and speaks TLS with credentials made for it and held
    in memory (``Security.temporary()``), so no other process on the machine can submit work
    to it. Its HTTP servers serve no routes unless ``dashboard`` (then the scheduler serves
    Dask's dashboard on 127.0.0.1:8787, or a free port if that one is taken).
    """

    def make() -> tuple[Any, Any, int]:
        import dask
        from distributed import Client, LocalCluster

        # the scheduler and every worker start an HTTP server whatever the options; with no
        # routes it answers nothing, and a port of 0 never collides with another cluster's
        quiet = {key: value for key, (value, _, _) in QUIET_WORKERS.items()}
        settings: dict[str, object] = (
            # the memory handed back serves no dashboard: the workers start as plain processes
            {PLAIN_MALLOC: quiet[PLAIN_MALLOC]}
            if dashboard
            else {
                "distributed.scheduler.http.routes": [],
                "distributed.worker.http.routes": [],
                # the nannies hand this process's settings to their workers, over what the
                # environment says
                **quiet,
            }
        )
        port = 8787 if dashboard else 0
        scheduler = {"dashboard": dashboard, "dashboard_address": f"127.0.0.1:{port}"}
        with dask.config.set(settings):
            # the nannies set ``env`` in each worker process before it imports numba, and pass
            # this configuration on to every worker they start or restart
            cluster = LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                scheduler_kwargs=scheduler,
                security=True,
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
    job_name: str = "ecosim-sweep",
) -> Callable[[], tuple[Any, Any, int]]:
    """A factory of a ``dask_jobqueue.SLURMCluster``: ``jobs`` jobs of ``cores`` workers each.

    Each job runs ``cores`` single-threaded worker processes; the scheduler runs here (on the
    login node) and must be reachable from the compute nodes through ``interface``.
    """

    def make() -> tuple[Any, Any, int]:
        from dask_jobqueue import SLURMCluster
        from distributed import Client

        kwargs: dict[str, Any] = {
            "cores": cores,
            "processes": cores,
            "memory": memory,
            "walltime": walltime,
            "job_script_prologue": job_prologue(),
            "python": sys.executable,
            "job_name": job_name,
        }
        if partition:
            kwargs["queue"] = partition
        if interface:
            kwargs["interface"] = interface
        cluster = SLURMCluster(**kwargs)
        cluster.scale(jobs=jobs)
        return Client(cluster), cluster, jobs * cores

    return make


@dataclass(frozen=True)
class SlurmOptions:
    """The ``--slurm`` options: ``jobs`` jobs of ``cores`` single-threaded workers each."""

    jobs: int = 1
    cores: int = 1
    memory: str = "4GB"
    walltime: str = "01:00:00"
    partition: str | None = None
    interface: str | None = None


def make_executor(
    *,
    workers: int = 0,
    scheduler: str | None = None,
    slurm: SlurmOptions | None = None,
    job_name: str = "ecosim-sweep",
    dashboard: bool = False,
) -> Executor:
    """The executor the command-line options ask for (not yet entered).

    Parameters
    ----------
    workers
        A ``LocalCluster`` of this many processes; 0 runs in this process.
    scheduler
        Address of a running Dask scheduler.
    slurm
        Workers as SLURM jobs.
    job_name
        Name of the SLURM jobs.
    dashboard
        Serve Dask's dashboard from the ``LocalCluster`` of ``workers`` (off: no HTTP routes).

    Returns
    -------
    Executor
        :class:`InProcess` when none is asked for. The caller checks that at most one is.
    """
    if workers > 0:
        return DaskExecutor(local_cluster(workers, dashboard))
    if scheduler is not None:
        return DaskExecutor(existing_scheduler(scheduler))
    if slurm is not None:
        return DaskExecutor(
            slurm_cluster(
                jobs=slurm.jobs,
                cores=slurm.cores,
                memory=slurm.memory,
                walltime=slurm.walltime,
                partition=slurm.partition,
                interface=slurm.interface,
                job_name=job_name,
            ),
            wait_for_workers=True,
        )
    return InProcess()

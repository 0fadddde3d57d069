"""Runs of the page: each watched by a thread of its own, with its progress, a stop flag and its
result.

A run is the run of ``ecosim run``: the scenario loaded by the same loader with the same
``--set`` flags and seed, then :func:`ecosim.studies.replicates.run_one` (or
:func:`~ecosim.studies.replicates.run_replicates`), as the command line runs it without
``--workers``: in a process of its own forked from a fork server
(:mod:`ecosim.serve.processes`), or, where the system cannot fork, in the job's thread. The
page asks for the progress and the result; the stop flag is the ``stop`` request
:func:`ecosim.simulate` asks after every world step.

The gain per unit of cost is measured against the *starting settings*: the same scenario,
shocks and flags with no lever changed (every ``regions.<R>.levers.*`` flag left out). That
reference is one more run, made once per (scenario, flags without levers, seed, replicates)
and kept while the page runs, so moving a lever again costs one run.
"""

from __future__ import annotations

import itertools
import shlex
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import xarray as xr

from ecosim.errors import InputError, RunStopped
from ecosim.scenario.loader import LoadedScenario
from ecosim.serve import processes
from ecosim.serve.catalogue import Catalogue, Entry
from ecosim.serve.controls import Settings, is_lever_flag
from ecosim.studies.compare import Gain, gain_against

#: How many finished runs the page keeps side by side.
KEPT = 4

State = Literal["running", "done", "stopped", "failed"]


def command_line(entry: Entry, settings: Settings) -> str:
    """The ``ecosim run`` command that makes the same result as the page's run."""
    words = ["ecosim", "run", entry.shown]
    if settings.seed is not None:
        words += ["--seed", str(settings.seed)]
    if settings.replicates != 1:
        words += ["--replicates", str(settings.replicates)]
    for f in settings.flags:
        words += ["--set", f]
    return shlex.join(words)


@dataclass
class Job:
    """One run of the page and what it has come to.

    Attributes
    ----------
    id
        Its number on the page (1, 2, ...).
    settings
        What it runs.
    entry
        The scenario file.
    command
        The equivalent command line.
    state
        ``running``, ``done``, ``stopped`` or ``failed``.
    fraction
        The share of its simulated time done (the reference's included).
    doing
        What it is doing now, in words.
    error
        Why it failed or stopped.
    result
        The result, as ``ecosim run`` writes it.
    gain
        Its gain and extra cost against the starting settings, for its region.
    loaded
        The scenario it ran.
    """

    id: int
    settings: Settings
    entry: Entry
    command: str
    state: State = "running"
    fraction: float = 0.0
    doing: str = "starting"
    error: str = ""
    result: xr.Dataset | None = None
    gain: Gain | None = None
    loaded: LoadedScenario | None = None
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    stop_flag: threading.Event = field(default_factory=threading.Event)


class Board:
    """The page's runs: started in the background, polled, stopped, kept up to :data:`KEPT`.

    Parameters
    ----------
    catalogue
        Where scenario keys are looked up.
    apart
        Run each simulation in a process of its own, forked from a fork server, where it can
        fork its no-shock twin and leaves the page's threads the interpreter (the default
        where the system forks); ``False`` runs them in the job's thread.
    """

    def __init__(self, catalogue: Catalogue, apart: bool | None = None) -> None:
        self.catalogue = catalogue
        #: Whether runs go to processes of their own (:mod:`ecosim.serve.processes`).
        self.apart = processes.available() if apart is None else apart
        if self.apart:
            processes.start_server()
        self.jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._references: dict[tuple[object, ...], xr.Dataset] = {}
        self._reference_locks: dict[tuple[object, ...], threading.Lock] = {}

    def start(self, settings: Settings) -> Job:
        """Check ``settings`` load, then start their run in a thread; the new job.

        Raises
        ------
        InputError
            When the scenario with these flags does not load: the message ``ecosim run``
            prints. Nothing is started.
        """
        entry, loaded = self.catalogue.load(settings.scenario, settings.flags, settings.seed)
        if settings.region and settings.region not in loaded.scenario.regions:
            raise InputError(
                "region",
                [],
                f"a region of this scenario ({', '.join(loaded.scenario.regions)})",
                settings.region,
            )
        job = Job(next(self._ids), settings, entry, command_line(entry, settings), loaded=loaded)
        with self._lock:
            self.jobs[job.id] = job
            self._forget_old()
        threading.Thread(
            target=self._run, args=(job,), name=f"page-run-{job.id}", daemon=True
        ).start()
        return job

    def stop(self, job_id: int) -> None:
        """Ask a running job to stop after its current step."""
        job = self.jobs.get(job_id)
        if job is not None:
            job.stop_flag.set()

    def drop(self, job_id: int) -> None:
        """Forget a job (stopping it first, if it runs)."""
        self.stop(job_id)
        with self._lock:
            self.jobs.pop(job_id, None)

    def kept(self) -> list[Job]:
        """The jobs on the page, oldest first."""
        with self._lock:
            return sorted(self.jobs.values(), key=lambda j: j.id)

    def _forget_old(self) -> None:
        """Keep at most :data:`KEPT` jobs, forgetting the oldest finished ones first."""
        while len(self.jobs) > KEPT:
            finished = [j for j in self.jobs.values() if j.state != "running"]
            oldest = min(finished or self.jobs.values(), key=lambda j: j.id)
            oldest.stop_flag.set()
            del self.jobs[oldest.id]

    def _run(self, job: Job) -> None:
        from ecosim.studies.replicates import run_one, run_replicates

        assert job.loaded is not None
        settings = job.settings
        reference_flags = [f for f in settings.flags if not is_lever_flag(f)]
        same = reference_flags == settings.flags
        twin = 2 if job.loaded.scenario.recording.twin else 1
        total = settings.replicates * twin * (1 if same else 2)
        done: dict[str, float] = {}

        def progress(prefix: str) -> Callable[[str, float], None]:
            def report(label: str, fraction: float) -> None:
                done[prefix + label] = min(fraction, 1.0)
                job.fraction = min(sum(done.values()) / total, 1.0)
                what = label.replace(" twin", ": no-shock twin").replace(" run", ": run")
                job.doing = prefix + ("no-shock twin" if what == "twin" else what)

            return report

        def run(loaded: LoadedScenario, prefix: str) -> xr.Dataset:
            stop = job.stop_flag.is_set
            if self.apart:
                return processes.run_apart(loaded, settings.replicates, progress(prefix), stop)
            if settings.replicates == 1:
                return run_one(loaded, progress=progress(prefix), stop=stop)
            return run_replicates(loaded, settings.replicates, progress=progress(prefix), stop=stop)

        try:
            ds = run(job.loaded, "")
            reference = ds if same else self._reference(job, reference_flags, run)
            region = settings.region or None
            job.doing = "gain against the starting settings"
            job.gain = gain_against(
                ds,
                reference,
                job.loaded.scenario.start,
                regions=[region] if region else None,
            )
            job.result = ds
            job.state = "done"
            job.fraction = 1.0
            job.doing = "done"
        except RunStopped as exc:
            job.state, job.error, job.doing = "stopped", exc.message, "stopped"
        except InputError as exc:
            job.state, job.error, job.doing = "failed", exc.message, "failed"
        except processes.RunFailed as exc:
            job.state, job.error, job.doing = "failed", str(exc), "failed"
        except Exception as exc:  # a failed run is shown on the page, as `ecosim run` prints it
            job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"
            job.doing = "failed"
        finally:
            job.seconds = time.monotonic() - job.started

    def _reference(
        self,
        job: Job,
        flags: list[str],
        run: Callable[[LoadedScenario, str], xr.Dataset],
    ) -> xr.Dataset:
        """The run of the starting settings for ``job``, made once and kept."""
        s = job.settings
        key: tuple[object, ...] = (s.scenario, tuple(flags), s.seed, s.replicates)
        with self._lock:
            lock = self._reference_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._references:
                _, loaded = self.catalogue.load(s.scenario, flags, s.seed)
                reference = run(loaded, "starting settings, ")
                with self._lock:
                    self._references[key] = reference
                    # as many as the runs kept: older ones are made again when asked for
                    while len(self._references) > KEPT:
                        del self._references[next(iter(self._references))]
                return reference
            return self._references[key]

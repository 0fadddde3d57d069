"""Where the simulations of a command run: options shared by ``sweep``, ``run`` and ``compare``.

``--workers N`` (a Dask ``LocalCluster``), ``--scheduler ADDRESS`` or ``--slurm`` (with its job
options) choose an executor of :mod:`ecosim.experiments.executors`; without them the runs go
one after another in this process. Results never depend on the choice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ecosim.errors import InputError

if TYPE_CHECKING:
    from ecosim.experiments.executors import Executor

Workers = Annotated[
    int, typer.Option(help="Dask LocalCluster of N processes (0: in this process).", min=0)
]
Scheduler = Annotated[
    str | None, typer.Option(metavar="ADDRESS", help="Address of a running Dask scheduler.")
]
Slurm = Annotated[bool, typer.Option(help="Workers as SLURM jobs (dask-jobqueue).")]
# a plain flag, as every flag of run and compare
SlurmFlag = Annotated[bool, typer.Option("--slurm", help="Workers as SLURM jobs (dask-jobqueue).")]
Jobs = Annotated[int, typer.Option(help="--slurm: number of jobs.", min=1)]
Cores = Annotated[int, typer.Option(help="--slurm: worker processes per job.", min=1)]
Memory = Annotated[str, typer.Option(metavar="SIZE", help="--slurm: memory per job.")]
Walltime = Annotated[str, typer.Option(metavar="HH:MM:SS", help="--slurm: walltime per job.")]
Partition = Annotated[str | None, typer.Option(metavar="NAME", help="--slurm: partition.")]
Interface = Annotated[
    str | None, typer.Option(metavar="NAME", help="--slurm: network interface (e.g. ib0).")
]


def check_one_executor(*, workers: int, scheduler: str | None, slurm: bool, **more: bool) -> None:
    """Refuse more than one way of running given together.

    Parameters
    ----------
    workers, scheduler, slurm
        The options as given.
    **more
        Other options that also choose where runs go, by name (``shard=True``).

    Raises
    ------
    InputError
        Naming the options, when several are given.
    """
    chosen = [workers > 0, scheduler is not None, slurm, *more.values()]
    if sum(chosen) > 1:
        names = ["--workers", "--scheduler", "--slurm", *(f"--{m}" for m in more)]
        raise InputError("command line", [], f"one of {', '.join(names)}", "several")


def study_executor(
    *,
    workers: int,
    scheduler: str | None,
    slurm: bool,
    jobs: int,
    cores: int,
    memory: str,
    walltime: str,
    partition: str | None,
    interface: str | None,
) -> Executor:
    """The executor the options of ``run`` or ``compare`` ask for (not yet entered).

    Raises
    ------
    InputError
        When more than one of ``--workers``, ``--scheduler`` and ``--slurm`` is given.
    """
    check_one_executor(workers=workers, scheduler=scheduler, slurm=slurm)
    from ecosim.experiments.executors import SlurmOptions, make_executor

    options = SlurmOptions(jobs, cores, memory, walltime, partition, interface) if slurm else None
    return make_executor(
        workers=workers, scheduler=scheduler, slurm=options, job_name="ecosim-study"
    )

"""ecosim: a discrete-event simulator of regional HPC-AI ecosystems and their sovereignty.

The public API mirrors the command line::

    import ecosim
    loaded = ecosim.load_scenario(
        "scenarios/baseline.yaml", overrides=["regions.EU.levers.build_share=0.6"]
    )
    ds = ecosim.simulate(loaded)
    ds["bottleneck"].to_pandas()

One run is :func:`simulate` (:mod:`ecosim.api`); the studies of many runs sit beside it
(:mod:`ecosim.studies`): :func:`run_replicates` (``ecosim run --replicates``), :func:`compare`
of :class:`Portfolio` objects (``ecosim compare``), :func:`sovereignty_value` and
:func:`alliance_gain` (``ecosim compare --sovereignty-value / --alliance-gain``). Each takes an
``executor`` of :mod:`ecosim.experiments.executors` to run on, as ``--workers`` does.
"""

from typing import TYPE_CHECKING

from ecosim.errors import InputError
from ecosim.scenario.loader import LoadedScenario, load_scenario

if TYPE_CHECKING:
    from ecosim.api import open_results, simulate
    from ecosim.studies.compare import Portfolio, compare
    from ecosim.studies.counterfactuals import alliance_gain, sovereignty_value
    from ecosim.studies.replicates import run_replicates

# Numba and xarray load only when a simulation is asked for, so validating input stays fast.
_LAZY: dict[str, str] = {
    "simulate": "ecosim.api",
    "open_results": "ecosim.api",
    "run_replicates": "ecosim.studies.replicates",
    "compare": "ecosim.studies.compare",
    "Portfolio": "ecosim.studies.compare",
    "sovereignty_value": "ecosim.studies.counterfactuals",
    "alliance_gain": "ecosim.studies.counterfactuals",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)


__all__ = [
    "InputError",
    "LoadedScenario",
    "Portfolio",
    "alliance_gain",
    "compare",
    "load_scenario",
    "open_results",
    "run_replicates",
    "simulate",
    "sovereignty_value",
]

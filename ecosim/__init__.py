"""ecosim: a discrete-event simulator of regional HPC-AI ecosystems and their sovereignty.

The public API mirrors the command line::

    import ecosim
    loaded = ecosim.load_scenario(
        "scenarios/baseline.yaml", overrides=["regions.EU.levers.build_share=0.6"]
    )
    ds = ecosim.simulate(loaded)
    ds["bottleneck"].to_pandas()
"""

from ecosim.errors import InputError
from ecosim.scenario.loader import LoadedScenario, load_scenario


def __getattr__(name: str) -> object:
    # Numba and xarray load only when a simulation is asked for, so validating input stays fast.
    if name in {"simulate", "open_results"}:
        from ecosim import api

        return getattr(api, name)
    raise AttributeError(name)


__all__ = ["InputError", "LoadedScenario", "load_scenario", "open_results", "simulate"]

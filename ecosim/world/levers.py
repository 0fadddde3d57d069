"""Levers a portfolio's dated actions change during a run.

A region's levers are read from :class:`~ecosim.world.state.RegionParams` arrays on every
refresh; a dated action (``regions.R.levers.X = v`` from a date) writes one element of one of
them. Which levers a dated action may change is declared with each lever in
:class:`~ecosim.scenario.models.Levers`; which array carries each of them is said here, once,
and checked against that declaration when this module is imported, so an action lever without
an array fails at once rather than at its action's date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

from ecosim.scenario.models import ACTION_LEVERS
from ecosim.world.state import RegionParams, World

#: The :class:`RegionParams` array that carries each lever a dated action may change.
LEVER_PARAMS: dict[str, str] = {
    "build_share": "build_share",
    "open_stack_share": "open_stack",
    "multi_cloud": "multi_cloud",
    "sovereign_cloud_share": "sovereign_cloud",
    "open_weights_mirror": "mirror",
    "federated_learning": "federated",
    "talent_programme": "talent_programme",
    "local_models": "local_models",
}


def check_lever_params(params: Mapping[str, str]) -> None:
    """Fail unless ``params`` gives a :class:`RegionParams` array to each action lever only.

    Parameters
    ----------
    params
        Lever name to the name of the array that carries it.

    Raises
    ------
    TypeError
        Naming the action levers without an array, the entries for levers no dated action
        may change, and the arrays :class:`RegionParams` does not have.
    """
    arrays = {f.name for f in fields(RegionParams)}
    missing = [lever for lever in ACTION_LEVERS if lever not in params]
    extra = [lever for lever in params if lever not in ACTION_LEVERS]
    unknown = [f"{lever}: {a}" for lever, a in params.items() if a not in arrays]
    problems = [
        f"{what}: {', '.join(items)}"
        for what, items in (
            ("action levers without an array", missing),
            ("levers no dated action may change", extra),
            ("arrays RegionParams does not have", unknown),
        )
        if items
    ]
    if problems:
        raise TypeError(
            "LEVER_PARAMS does not match the Levers declaration; " + "; ".join(problems)
        )


check_lever_params(LEVER_PARAMS)


def apply_action(w: World, key: str, value: float) -> None:
    """Set lever ``key`` (``regions.<region>.levers.<lever>``, checked by the loader) to
    ``value`` from now on."""
    _, region, _, lever = key.split(".")
    array = getattr(w.params, LEVER_PARAMS[lever])
    array[w.region_index(region)] = value

"""Levers a portfolio's dated actions change during a run.

A region's levers are read from :class:`~ecosim.world.state.RegionParams` arrays on every
refresh; a dated action (``regions.R.levers.X = v`` from a date) writes one element of one of
them. Which array each lever lives in is declared here, once.
"""

from __future__ import annotations

from ecosim.world.state import World

#: Where each lever a dated action may change lives in :class:`RegionParams`.
LEVER_PARAMS: dict[str, str] = {
    "build_share": "build_share",
    "open_stack_share": "open_stack",
    "multi_cloud": "multi_cloud",
    "sovereign_cloud_share": "sovereign_cloud",
    "open_weights_mirror": "mirror",
    "federated_learning": "federated",
    "talent_programme": "talent_programme",
}


def apply_action(w: World, key: str, value: float) -> None:
    """Set lever ``key`` (``regions.<region>.levers.<lever>``, checked by the loader) to
    ``value`` from now on."""
    _, region, _, lever = key.split(".")
    array = getattr(w.params, LEVER_PARAMS[lever])
    array[w.region_index(region)] = value

"""Levers a portfolio's dated actions change during a run.

A region's number levers are read from :class:`~ecosim.world.state.RegionParams` arrays on
every refresh; a dated action (``regions.R.levers.X = v`` from a date) writes one element of
one of them. Which levers are such numbers is declared with each lever in
:class:`~ecosim.scenario.models.Levers`; which array carries each of them is said here, once,
and checked against that declaration when this module is imported, so an action lever without
an array fails at once rather than at its action's date.

The other levers a dated action may set (``STATE_LEVERS``: partners, what is shared with them,
interoperability, a stock) are world state: this module owns the partners' matrices and sets
them at the build and at an action's date; the stock belongs to :mod:`ecosim.world.stockpile`.
The data layer's shares (``regions.R.data.X``) are arrays too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

import numpy as np

from ecosim.scenario.models import ACTION_LEVERS, DATED_MODELS, SHARED_GOODS
from ecosim.world import layers, stockpile
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

#: The :class:`RegionParams` array that carries each model-source share a dated action sets.
MODEL_PARAMS: dict[str, str] = {
    "own_share": "own_models",
    "open_weights_share": "open_models",
    "foreign_api_share": "api_models",
}

#: The :class:`RegionParams` array that carries each data share a dated action may change.
DATA_PARAMS: dict[str, str] = {
    "own_infrastructure_share": "own_infra",
    "replica_share": "replica",
    "must_stay_local_share": "must_stay_local",
}


def apply_action(w: World, key: str, value: Any) -> None:
    """Set ``key`` (``regions.<region>.levers.<lever>`` or ``regions.<region>.data.<share>``,
    checked by the loader) to ``value`` from now on."""
    _, region, part, name = key.split(".")
    r = w.region_index(region)
    if part == "data":
        getattr(w.params, DATA_PARAMS[name])[r] = value
    elif part == "models":
        # the plan the programme and the talent need are measured from, and the mix itself:
        # the loader has all three shares set together
        getattr(w.params, MODEL_PARAMS[name])[r] = value
        layers.set_model_share(w, r, DATED_MODELS.index(name), float(value))
    elif name in LEVER_PARAMS:
        getattr(w.params, LEVER_PARAMS[name])[r] = value
    elif name == "interoperability":
        set_interoperability(w, r, value)
    elif name == "alliance":
        set_partners(w, r, [w.region_index(p) for p in value])
    elif name == "alliance_sharing":
        set_sharing(w, r, value)
    elif name == "stockpile_h100e":
        stockpile.hold(w, r, float(value))
    else:  # the loader lets no other key through
        raise ValueError(f"no dated action sets {key}")


def init_partners(w: World) -> None:
    """Every region's partners, what it shares with them and its interoperability, from the
    scenario (at the build)."""
    n = w.n_regions
    w.interop = np.eye(n)
    w.alliance = np.zeros((n, n), dtype=bool)
    w.alliance_scope = np.zeros((n, len(SHARED_GOODS)), dtype=bool)
    for r, name in enumerate(w.regions):
        levers = w.scenario.regions[name].levers
        set_interoperability(w, r, levers.interoperability)
        set_partners(w, r, [w.region_index(p) for p in levers.alliance])
        set_sharing(w, r, levers.alliance_sharing)


def set_interoperability(w: World, r: int, partners: Mapping[str, float]) -> None:
    """Region ``r``'s interoperability with each listed partner; the others keep theirs, as a
    scenario's mapping merges with its region profile's."""
    for name, value in partners.items():
        w.interop[r, w.region_index(name)] = value


def set_partners(w: World, r: int, partners: list[int]) -> None:
    """Region ``r``'s alliance partners are ``partners`` (indices) from now on."""
    w.alliance[r] = False
    w.alliance[r, partners] = True


def set_sharing(w: World, r: int, goods: Sequence[str]) -> None:
    """Region ``r`` shares ``goods`` (of ``SHARED_GOODS``) with its partners from now on."""
    w.alliance_scope[r] = [g in goods for g in SHARED_GOODS]

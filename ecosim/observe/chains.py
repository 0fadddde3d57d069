"""What a region's domestic-chain programme costs and achieves, read from a run's dataset.

For each region whose levers build a domestic chain (``levers.domestic_chain``): when its own
chain first makes what it buys (``self_sufficiency`` at least its ``cover_share``), the capex
it committed to get there (or by the end, where it never does), that capex as a yearly cost
over the build life at the cost of capital, and what its buyers paid for an accelerator over
the trend's price meanwhile. Observers only read: nothing here runs or changes a simulation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import xarray as xr
import yaml

from ecosim.scenario.models import Scenario
from ecosim.world.capacity import annuity_factor


@dataclass(frozen=True)
class ChainSummary:
    """A region's domestic chain, as the run saw it.

    Attributes
    ----------
    region
        The region.
    start
        The programme's start.
    covered
        The first recorded date its own chain made its ``cover_share`` of its purchases, or
        ``None`` if it never did in the run.
    years_to_cover
        Years from the start to ``covered`` (``None`` if never).
    capex_usd
        Capex the programme committed up to ``covered``, or by the end of the run.
    annualised_usd
        That capex as a yearly payment over the build life at the cost of capital (USD/yr).
    price_index_mean, price_index_end
        Its buyers' accelerator price over the trend's, averaged from the start to the end,
        and at the end.
    """

    region: str
    start: dt.date
    covered: dt.date | None
    years_to_cover: float | None
    capex_usd: float
    annualised_usd: float
    price_index_mean: float
    price_index_end: float


def chain_summaries(ds: xr.Dataset, scenario: Scenario | None = None) -> list[ChainSummary]:
    """Summarise every region's domestic chain in ``ds``, the output of a run of ``scenario``.

    Parameters
    ----------
    ds
        A run's dataset (replicates are averaged).
    scenario
        The scenario it ran; by default the one the run stored (``scenario_text``), and none
        (an empty list) for a result without it.

    Returns
    -------
    list of ChainSummary
        One per region with a domestic chain, in scenario order (empty if none has one).
    """
    if scenario is None:
        scenario = _stored_scenario(ds)
        if scenario is None or "self_sufficiency" not in ds:
            return []
    if "replicate" in ds.dims:
        ds = ds.mean("replicate")
    annuity = annuity_factor(scenario)
    times = ds["time"].values.astype("datetime64[D]")
    out: list[ChainSummary] = []
    for name, region in scenario.regions.items():
        chain = region.levers.domestic_chain
        if chain is None or name not in ds["region"].values:
            continue
        after = times >= np.datetime64(chain.start, "D")
        cover = ds["self_sufficiency"].sel(region=name).values
        hits = np.flatnonzero(after & (cover >= chain.cover_share - 1e-9))
        at = int(hits[0]) if hits.size else len(times) - 1
        covered = times[at].astype(dt.date) if hits.size else None
        capex = float(ds["chain_capex"].sel(region=name).values[at])
        index = ds["accelerator_price_index"].sel(region=name).values
        out.append(
            ChainSummary(
                region=name,
                start=chain.start,
                covered=covered,
                years_to_cover=None if covered is None else (covered - chain.start).days / 365.25,
                capex_usd=capex,
                annualised_usd=capex * annuity,
                price_index_mean=float(index[after].mean()) if after.any() else float("nan"),
                price_index_end=float(index[-1]),
            )
        )
    return out


def _stored_scenario(ds: xr.Dataset) -> Scenario | None:
    """The scenario a run stored with its result, or ``None``."""
    text = ds.attrs.get("scenario_text", "")
    if not text:
        return None
    try:
        return Scenario.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValueError):
        return None

"""What accelerators and cloud hours cost, and how scarcity and concentration move it.

**Accelerators.** A world price per H100e follows a trend fitted to flagship accelerators'
purchase prices (``uncertainties.prices``: a level on the reference date and a yearly
decline as each generation brings more FLOP per dollar). Each designer charges the trend times
a scarcity premium, ``(quote / normal quote) ** elasticity``, on its quoted lead time smoothed
over about a month: prices are set on monthly orders, not on the day's backlog. A region under
an export control pays a premium on the part of a designer's supply the control blocks, for
what still reaches it through compliant, licensed and grey channels. A region's price is its
designers' prices weighted by what its buyers wait for at each (or may buy from each).

**Own capacity.** The regions' capex and opex are listed on the reference date. Capex moves
with the trend and, for its accelerator share, with the region's scarcity premium; opex
follows the trend (power and space per H100e fall with each generation).

**Cloud.** A provider's price is its listed price on the reference date, scaled by its cost
(its home region's capex and opex per hour it can sell) and by a markup over that cost. The
markup's margin follows the provider's share of the region, as a logit Bertrand margin does
(``1 / (1 - share)``), and, for the part its customers' switching costs earn, how much of
their work is spread over a second cloud. A fleet short of what its customers want in a
region (after a cut-off sends it customers) is priced up with the chips' scarcity elasticity
until its new chips arrive. Prices are effective (blended committed) prices per
H100e-hour, as the listed ones are; on-demand list prices at the largest providers are about
2.5 times higher (see ``docs/model.md``).

Prices are updated once per world step, so they do not depend on how often a run records.
"""

from __future__ import annotations

import numpy as np

from ecosim.core.units import DAYS_PER_YEAR, PRICED_HOURS_PER_YEAR
from ecosim.kernels import prices as kp
from ecosim.world import capacity, supply
from ecosim.world.cloud import wanted
from ecosim.world.state import World

#: A logit margin ``1 / (1 - share)`` diverges as one provider takes the whole market; above
#: this share it is held (a monopolist's price is bounded by its customers leaving the cloud).
MAX_MARKUP_SHARE = kp.MAX_MARKUP_SHARE


def trend(w: World, t: float) -> float:
    """The accelerator price trend at day ``t``, relative to the reference date (1 there)."""
    p = w.scenario.uncertainties.prices
    days = (w.scenario.start - p.reference_date).days + t
    return float(np.exp(-p.decline_per_year * days / DAYS_PER_YEAR))


def start(w: World) -> None:
    """Set the prices of an undisturbed market at day 0.

    The designers' smoothed quotes start at their assembly cycles (an empty queue): a run
    starts from a market at rest. The providers' shares and multi-cloud spread at the start
    are the references of their markups, so the start pays the listed prices moved by the
    trend.
    """
    p = w.scenario.uncertainties.prices
    w.quote_ema = w.chip_cycle[w.designers].astype(float)
    w.row_cost = capacity.row_costs(w)
    made = w.chip_capacity(0.0)[w.designers]
    cost = capacity.designer_costs(w, 0.0, w.row_cost)
    w.chip_cost_ref = float((cost * made).sum() / made.sum()) if made.sum() > 0 else 0.0
    w.tightness = np.ones((w.n_regions, len(w.providers)))
    w.share0 = w.shares[:, : len(w.providers)].copy()
    w.spread0 = w.params.multi_cloud.copy()
    home = w.prov_home
    per_hour = w.params.own_cost_per_year[home] / (PRICED_HOURS_PER_YEAR * p.cloud_utilisation)
    # the part of a listed price that is cost; the rest is margin, at least 5 %: a provider
    # listed below this cost estimate still charges something over its own cost
    w.cost_share = np.minimum(per_hour / w.prov_price, 0.95)
    _update(w, 0.0)


def step(w: World, t0: float, t1: float) -> None:
    """Move the prices over ``[t0, t1)``: quotes smoothed, then prices set at ``t1``."""
    p = w.scenario.uncertainties.prices
    # the designers' output at t1, read once for the quotes and the buyers' mix (the smoothing
    # in between changes nothing it is computed from)
    possible = supply.designer_output(w, t1)
    quotes = supply.designer_lead_times(w, t1, idle_at_cap=True, rate=possible)
    keep = _kept_share(t1 - t0, p.quote_smoothing_days)
    # compiled (kernels/prices.py): the smoothing is a dozen numpy calls on a few elements
    w.quote_ema, w.tightness = kp.smooth(
        keep, w.quote_ema, quotes, w.tightness, wanted(w), w.prov_cap
    )
    _update(w, t1, possible if t1 == w.t else None)


#: :func:`_kept_share`'s answers, by (step length, smoothing time).
_KEEP: dict[tuple[float, float], float] = {}


def _kept_share(dt: float, smoothing_days: float) -> float:
    """The share of the smoothed values a step of ``dt`` days keeps, ``exp(-dt / smoothing)``
    in numpy's exponential: kept by the step's length, nearly always a day."""
    key = (dt, smoothing_days)
    known = _KEEP.get(key)
    if known is None:
        known = float(np.exp(-dt / smoothing_days))
        if len(_KEEP) >= 16:  # steps cut short by events have lengths of their own
            _KEEP.clear()
        _KEEP[key] = known
    return known


def fleet_tightness(w: World) -> np.ndarray:
    """What each provider's customers want of it in each region over the fleet it has there
    (R, P), at least 1: above 1 after a cut-off sends it customers it cannot yet serve."""
    return kp.fleet_tightness(wanted(w), w.prov_cap)


def _update(w: World, t: float, output: np.ndarray | None = None) -> None:
    """Set the prices at day ``t`` from the smoothed quotes and tightness (the arithmetic in
    :func:`ecosim.kernels.prices.update`, whose twin says it in numpy). ``output`` is the
    designers' output at the world's day (:func:`ecosim.world.supply.designer_output`) if
    the caller has it already."""
    p = w.scenario.uncertainties.prices
    prm = w.params
    level = trend(w, t)
    w.price_trend = level
    # over the designer's own floor, its assembly cycle: a designer with no queue charges the
    # trend, as the trend is fitted to the prices of ordinary years; the powers stay in numpy,
    # whose vectorised power rounds differently from a kernel's
    scarcity = (w.quote_ema / w.chip_cycle[w.designers]) ** p.scarcity_elasticity
    # a fleet short of what its customers want is priced up as chips are when short
    scarce = w.tightness**p.scarcity_elasticity
    # a chain that makes its chips where building costs more passes its extra capital cost on
    # (the trend's price already pays for the chain as it stood at the start)
    costs = capacity.designer_costs(w, t, w.row_cost)
    weights = supply.buyer_mix(w, output)
    # compiled where it gives numpy's bits: a sum over eight designers or more is numpy's
    # pairwise one, so such a world keeps the twin
    fn = kp.update if w.designers.size < 8 else kp.update_ref
    w.designer_price, w.accel_price, w.capex_index, w.cloud_price = fn(
        level,
        scarcity,
        costs,
        w.chip_cost_ref,
        p.accelerator_usd_per_h100e,
        w.allow,
        w.designers,
        p.control_premium,
        weights,
        prm.chip_share,
        prm.own_cost_per_year,
        prm.opex,
        w.prov_home,
        w.shares,
        w.share0,
        prm.multi_cloud,
        w.spread0,
        p.lock_in_margin_share,
        w.cost_share,
        w.prov_price,
        prm.cloud_price_factor,
        w.price_hike,
        scarce,
    )


def capex(w: World) -> np.ndarray:
    """Capex per H100e of a site each region buys now (R,), USD."""
    return np.asarray(w.params.capex * w.capex_index)


def own_cost_per_year(w: World) -> np.ndarray:
    """Yearly cost of owning one H100e in each region now (R,), USD per H100e-year: capex at
    today's price over the site's life, plus opex."""
    prm = w.params
    life_cost = prm.own_cost_per_year - prm.opex
    return np.asarray(life_cost * w.capex_index + prm.opex * w.price_trend)


def opex(w: World) -> np.ndarray:
    """Yearly operating cost of one H100e in each region now (R,), USD per H100e-year."""
    return np.asarray(w.params.opex * w.price_trend)

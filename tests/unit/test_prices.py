"""Prices: the trend, scarcity, control premia and the cloud markup, each on its own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ecosim
from ecosim.core.rng import Streams
from ecosim.world import prices
from ecosim.world.build import build_world
from ecosim.world.state import World

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml"


@pytest.fixture
def w() -> World:
    s = ecosim.load_scenario(SMALL).scenario
    return build_world(s, Streams(s.seed))


def test_an_undisturbed_start_pays_the_listed_prices_moved_by_the_trend(w: World) -> None:
    p = w.scenario.uncertainties.prices
    years = (w.scenario.start - p.reference_date).days / 365.25
    assert w.price_trend == pytest.approx(np.exp(-p.decline_per_year * years))
    # a year on, an H100e costs the trend's decline less
    assert prices.trend(w, 365.25) / w.price_trend == pytest.approx(np.exp(-p.decline_per_year))
    np.testing.assert_allclose(w.accel_price, p.accelerator_usd_per_h100e * w.price_trend)
    listed = w.prov_price[None, :] * w.params.cloud_price_factor[:, None]
    np.testing.assert_allclose(w.cloud_price, listed * w.price_trend, rtol=1e-12)
    np.testing.assert_allclose(prices.capex(w), w.params.capex * w.price_trend)


def test_a_longer_quote_raises_the_designers_price_by_the_elasticity(w: World) -> None:
    p = w.scenario.uncertainties.prices
    before = w.designer_price.copy()
    w.quote_ema = w.quote_ema * 2.0
    prices._update(w, 0.0)
    np.testing.assert_allclose(w.designer_price / before, 2.0**p.scarcity_elasticity)
    # buyers pay it, and so do sites (for their accelerator share) and cloud customers
    assert np.all(w.accel_price > p.accelerator_usd_per_h100e * w.price_trend * 1.2)
    assert np.all(prices.capex(w) > w.params.capex * w.price_trend)
    listed = w.prov_price[None, :] * w.params.cloud_price_factor[:, None] * w.price_trend
    assert np.all(w.cloud_price > listed)


def test_a_control_charges_the_premium_to_its_target_only(w: World) -> None:
    p = w.scenario.uncertainties.prices
    cn, us = w.region_index("CN"), w.region_index("US")
    nvidia = int(np.flatnonzero(np.array(w.chip) == "nvidia")[0])
    w.allow[nvidia, cn] = 0.25
    prices._update(w, 0.0)
    base = p.accelerator_usd_per_h100e * w.price_trend
    assert w.accel_price[us] == pytest.approx(base)
    assert w.accel_price[cn] > base
    # no more than the premium on the whole blocked part
    assert w.accel_price[cn] <= base * (1.0 + p.control_premium * 0.75) + 1e-6


def test_the_markup_grows_with_share_and_falls_with_multi_cloud(w: World) -> None:
    us = w.region_index("US")
    aws = w.providers.index("aws")
    before = float(w.cloud_price[us, aws])
    w.shares[us, aws] = min(w.shares[us, aws] + 0.2, 0.9)
    prices._update(w, 0.0)
    higher = float(w.cloud_price[us, aws])
    assert higher > before
    # only the margin moves: the price stays below what the share's margin alone allows
    k = float(w.cost_share[aws])
    s0, s1 = float(w.share0[us, aws]), float(w.shares[us, aws])
    assert higher == pytest.approx(before * (k + (1 - k) * (1 - s0) / (1 - s1)))
    w.params.multi_cloud[us] = 0.6  # work spread over two clouds: less lock-in
    prices._update(w, 0.0)
    assert float(w.cloud_price[us, aws]) < higher


def test_a_fleet_short_of_what_its_customers_want_is_priced_up(w: World) -> None:
    p = w.scenario.uncertainties.prices
    us = w.region_index("US")
    aws, azure = w.providers.index("aws"), w.providers.index("azure")
    before = float(w.cloud_price[us, aws] / w.cloud_price[us, azure])
    w.prov_cap[us, aws] *= 0.5
    short = float(prices.fleet_tightness(w)[us, aws])
    assert short > 1.5
    for day in range(120):
        prices.step(w, float(day), float(day + 1))
    # against Azure in the same region (same trend, same chips): the shortage's premium, as
    # the smoothed tightness reaches it
    after = float(w.cloud_price[us, aws] / w.cloud_price[us, azure])
    assert after / before == pytest.approx(float(w.tightness[us, aws]) ** p.scarcity_elasticity)
    assert after / before > 0.9 * short**p.scarcity_elasticity
    other = w.region_index("CN")
    assert float(prices.fleet_tightness(w)[other, aws]) == pytest.approx(1.0)

"""The cloud market starts at the facts' shares and, left alone, stays there.

The providers' constants are fitted so that the stationary market is the listed one
(:mod:`ecosim.world.market_fit`); these tests hold the fit, the starting placement and a
three-year no-shock run to that.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ecosim
from ecosim.core.rng import Streams
from ecosim.kernels.market import hhi
from ecosim.world.build import build_world
from ecosim.world.cloud import concentration
from ecosim.world.market_fit import fit_constants, stationary_shares, stationary_shares_solve
from ecosim.world.state import World

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def baseline_world() -> World:
    s = ecosim.load_scenario(BASELINE).scenario
    return build_world(s, Streams(s.seed))


def test_two_choices_rest_where_the_flows_balance() -> None:
    # From A a re-chooser moves to B with p = e^(uB - c) / (e^uA + e^(uB - c)), and back with
    # q = e^(uA - c) / (e^uB + e^(uA - c)); the chain rests at pi_A = q / (p + q).
    u = np.array([[1.0, 0.3]])
    cost = np.array([[0.8, 0.8]])
    p = np.exp(0.3 - 0.8) / (np.exp(1.0) + np.exp(0.3 - 0.8))
    q = np.exp(1.0 - 0.8) / (np.exp(0.3) + np.exp(1.0 - 0.8))
    np.testing.assert_allclose(stationary_shares(u, cost), [[q / (p + q), p / (p + q)]])
    # without a switching cost the chain rests at the plain logit
    logit = np.exp(u) / np.exp(u).sum()
    np.testing.assert_allclose(stationary_shares(u, np.zeros_like(u)), logit)


@pytest.mark.parametrize("n", [2, 5, 20])
def test_the_closed_form_is_the_stationary_distribution(n: int) -> None:
    rng = np.random.default_rng(n)
    u = rng.normal(0.0, 3.0, (300, n))
    cost = np.abs(rng.normal(0.0, 2.0, (300, n)))
    cost[:, -1] = 0.0  # the outside option costs nothing to move to
    pi = stationary_shares(u, cost)
    np.testing.assert_allclose(pi, stationary_shares_solve(u, cost), rtol=0, atol=1e-13)
    np.testing.assert_allclose(pi.sum(axis=1), 1.0, rtol=1e-15)
    # and it is stationary: one more re-choice leaves it where it is
    e = np.exp(u - cost)
    t = np.repeat(e[:, None, :], n, axis=1)
    t[:, np.arange(n), np.arange(n)] = np.exp(u)
    t /= t.sum(axis=2, keepdims=True)
    np.testing.assert_allclose(np.einsum("ck,ckj->cj", pi, t), pi, rtol=1e-12, atol=1e-15)


def test_every_region_starts_at_its_listed_shares(baseline_world: World) -> None:
    w = baseline_world
    outside = w.scenario.uncertainties.market.outside_share
    for r, name in enumerate(w.regions):
        listing = w.scenario.regions[name].cloud.initial_shares
        assert sum(listing.values()) == pytest.approx(1.0)  # the long tail is listed, not implied
        for pid, share in listing.items():
            got = w.shares[r, w.providers.index(pid)]
            # 2,000 customers of lognormal size cannot hit a share to the decimal
            assert got == pytest.approx(share * (1.0 - outside), abs=0.01), (name, pid)
        assert w.shares[r, -1] == pytest.approx(outside, abs=0.005)


def test_the_fitted_constants_make_the_listing_the_resting_point(baseline_world: World) -> None:
    w = baseline_world
    r = w.regions.index("EU")
    listing = w.scenario.regions["EU"].cloud.initial_shares
    asc = fit_constants(w, r, listing)
    np.testing.assert_allclose(asc, w.prov_asc[r])
    # the European providers rest at their share although they rate lower on quality: the
    # constants carry what quality, price and home preference leave out
    eu = [w.providers.index(p) for p in ("ovhcloud", "deutsche_telekom", "eu_others")]
    assert np.all(w.prov_asc[r, eu] < w.prov_asc[r, w.providers.index("aws")])


def test_without_shocks_no_share_moves_ten_points_in_three_years(tmp_path: Path) -> None:
    s = ecosim.load_scenario(
        BASELINE,
        ["shocks=[]", "horizon_years=3", "recording.interval_days=30", "recording.twin=false"],
    )
    ds = ecosim.simulate(s)
    shares = ds["market_share"].transpose("time", "region", "provider").values
    drift = np.abs(shares - shares[0]).max(axis=0)
    worst = np.unravel_index(np.argmax(drift), drift.shape)
    where = (str(ds.region.values[worst[0]]), str(ds.provider.values[worst[1]]))
    assert drift.max() < 0.10, f"{where} moved {100 * drift.max():.1f} points"
    # and the market is not frozen: customers do re-choose every month
    assert np.abs(np.diff(shares, axis=0)).max() > 0.002


def test_a_long_tail_counts_in_the_market_but_not_as_one_firm(baseline_world: World) -> None:
    w = baseline_world
    r = w.regions.index("US")
    index = concentration(w)[r]
    named = [w.providers.index(p) for p in ("aws", "azure", "gcp", "oracle")]
    cloud = w.shares[r, : len(w.providers)].sum()
    expected = float(np.sum((w.shares[r, named] / cloud) ** 2))
    assert index == pytest.approx(expected)
    # a third of the US market as one firm would add about 0.12
    assert index < float(hhi(w.shares)[r]) - 0.1

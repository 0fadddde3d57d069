"""Materials restrictions: fabs' stocks of restricted material, announcement, licences, refill,
and the share of output at risk.

The nine-region baseline world holds two materials suppliers, ``cn_gallium`` (80 % of the
capacity) and ``row_gallium`` (20 %), and wafer fabs homed in TW, KR, US and CN. Tests of the
identities that hold when a fab's whole output needs the material set
``output_share_at_risk=1``; the default is below 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr
import yaml

from ecosim import load_scenario, simulate
from ecosim.core.rng import Streams
from ecosim.observe.dataset import write_netcdf
from ecosim.world import supply
from ecosim.world.build import build_world
from ecosim.world.shocks import MaterialsRestrictionShock, impose_active, make_shock
from ecosim.world.state import World
from tests.conftest import BASELINE, SMALL

TARGETS = ["US", "KR", "TW"]
USE = 100.0  # H100e of wafers a day each fab would make at full health, in these tests


def _flow(spec: dict[str, Any]) -> str:
    return "shocks=" + yaml.safe_dump([spec], default_flow_style=True, width=10_000).strip()


def _spec(**fields: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "id": "ga",
        "type": "materials_restriction",
        "imposers": ["CN"],
        "targets": TARGETS,
        "start": "2025-02-01",
        "duration": {"kind": "permanent"},
        "licence_delay_days": 0,
    }
    spec.update(fields)
    return spec


def _world(**fields: Any) -> tuple[World, MaterialsRestrictionShock]:
    s = load_scenario(BASELINE, [_flow(_spec(**fields))]).scenario
    w = build_world(s, Streams(s.seed))
    shock = make_shock(s.shocks[0])
    assert isinstance(shock, MaterialsRestrictionShock)
    shock.started = 0.0
    return w, shock


def _start(w: World, shock: MaterialsRestrictionShock, t: float = 0.0) -> None:
    impose_active(w, [shock], t)
    shock.on_start(w, t)


def _fabs(w: World, regions: list[str] = TARGETS) -> np.ndarray:
    homes = [w.region_index(r) for r in regions]
    return np.flatnonzero((w.chip_good == "wafer") & np.isin(w.chip_home, homes))


def _advance(w: World, days: float, dt: float) -> np.ndarray:
    """Step the materials of ``w`` over ``days`` in steps of ``dt`` with every fab making
    ``USE`` a day at full health; return the integral of each chip supplier's health (d)."""
    return _advance_both(w, days, dt)[0]


def _advance_both(w: World, days: float, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`_advance`; also the integral of the share of its material each supplier had
    (``materials_factor``, d)."""
    fabs = np.flatnonzero(w.chip_good == "wafer")
    integral = np.zeros(len(w.chip))
    had = np.zeros(len(w.chip))
    t = 0.0
    while t < days - 1e-9:
        h = min(dt, days - t)
        bought = supply._step_materials(w, h)
        health = w.materials_health()
        w.throughput[fabs] = USE * health[fabs]  # what the starved fab makes
        supply._deliver_materials(w, t, h, bought)
        integral += health * h
        had += w.materials_factor * h
        t += h
    return integral, had


def test_without_a_restriction_fabs_run_at_full_health_and_hold_no_stock() -> None:
    s = load_scenario(BASELINE, ["shocks=[]"]).scenario
    w = build_world(s, Streams(s.seed))
    integral = _advance(w, 30.0, 1.0)
    np.testing.assert_array_equal(w.materials_factor, 1.0)
    np.testing.assert_array_equal(w.materials_stock, 0.0)
    np.testing.assert_allclose(integral, 30.0)
    # each fab gets its use from every supplier by capacity share: 80 / 20
    us = w.region_index("US")
    cn, row = (list(w.chip[m] for m in w.materials).index(x) for x in ("cn_gallium", "row_gallium"))
    n_us = _fabs(w, ["US"]).size
    np.testing.assert_allclose(w.materials_delivered[us, cn], 0.8 * USE * 30.0 * n_us)
    np.testing.assert_allclose(w.materials_delivered[us, row], 0.2 * USE * 30.0 * n_us)


@pytest.mark.parametrize("dt", [1.0, 7.0, 0.3, 13.0])
def test_stock_lasts_buffer_days_under_a_full_block_then_health_is_the_access_share(
    dt: float,
) -> None:
    w, shock = _world(
        imposers=["CN", "RoW"], compliant_share=0.0, buffer_days=40, output_share_at_risk=1
    )
    _start(w, shock)
    fabs = _fabs(w)
    np.testing.assert_allclose(w.materials_stock[fabs], 40.0)
    # full health until the stock is gone, whatever the step length
    integral = _advance(w, 40.0, dt)
    np.testing.assert_allclose(integral[fabs], 40.0, rtol=1e-12)
    np.testing.assert_allclose(w.materials_stock[fabs], 0.0, atol=1e-9)
    integral = _advance(w, 60.0, dt)
    np.testing.assert_allclose(integral[fabs], 0.0, atol=1e-9)
    np.testing.assert_array_equal(w.materials_factor[fabs], 0.0)
    # CN's own fab is not a target
    smic = w.chip.index("smic")
    assert w.materials_factor[smic] == 1.0


@pytest.mark.parametrize("dt", [1.0, 7.0, 0.3])
def test_with_partial_access_the_stock_covers_the_shortfall_only(dt: float) -> None:
    # CN blocked, RoW (20 % of the material) still open: the stock lasts 50 / 0.8 days
    w, shock = _world(compliant_share=0.0, buffer_days=50, output_share_at_risk=1)
    _start(w, shock)
    fabs = _fabs(w)
    integral = _advance(w, 100.0, dt)
    expected = 62.5 + 0.2 * (100.0 - 62.5)  # full output 62.5 days, then a fifth
    np.testing.assert_allclose(integral[fabs], expected, rtol=1e-12)
    np.testing.assert_allclose(w.materials_factor[fabs], 0.2)
    # with the whole output at risk, health is the share of material to the last bit
    np.testing.assert_array_equal(w.materials_health(), w.materials_factor)


def test_what_a_fab_gets_and_draws_is_what_it_makes() -> None:
    w, shock = _world(compliant_share=0.0, buffer_days=10, output_share_at_risk=1)
    _start(w, shock)
    us = w.region_index("US")
    n_us = _fabs(w, ["US"]).size
    # one 14-day step: 10 / 0.8 = 12.5 days at full output, 1.5 days at a fifth
    integral = _advance(w, 14.0, 14.0)
    made = USE * integral[_fabs(w, ["US"])].sum()
    drawn = 10.0 * USE * n_us
    np.testing.assert_allclose(w.materials_delivered[us].sum() + drawn, made, rtol=1e-12)
    np.testing.assert_allclose(w.materials_delivered[us].sum(), 0.2 * USE * 14.0 * n_us)


@pytest.mark.parametrize("d", [0.0, 0.1, 0.5])
@pytest.mark.parametrize("dt", [1.0, 7.0, 0.3])
def test_with_a_share_at_risk_only_that_share_of_the_shortfall_is_lost(d: float, dt: float) -> None:
    # CN blocked, RoW (a = 0.2) open: the stock lasts 50 / 0.8 = 62.5 days whatever d
    w, shock = _world(compliant_share=0.0, buffer_days=50, output_share_at_risk=d)
    _start(w, shock)
    fabs = _fabs(w)
    integral, had = _advance_both(w, 62.5, dt)
    np.testing.assert_allclose(had[fabs], 62.5, rtol=1e-12)
    np.testing.assert_allclose(integral[fabs], 62.5, rtol=1e-12)
    np.testing.assert_allclose(w.materials_stock[fabs], 0.0, atol=1e-9)
    # then the fab has a fifth of its material and makes 1 - d (1 - a) of its output
    integral, had = _advance_both(w, 37.5, dt)
    np.testing.assert_allclose(had[fabs], 0.2 * 37.5, rtol=1e-12)
    np.testing.assert_allclose(integral[fabs], (1.0 - d * 0.8) * 37.5, rtol=1e-12)
    health = w.materials_health()
    np.testing.assert_allclose(health[fabs], 1.0 - d * 0.8, rtol=1e-12)
    assert np.isfinite(health).all() and ((health >= 0.0) & (health <= 1.0)).all()
    assert np.isfinite(w.materials_delivered).all()


@pytest.mark.parametrize("d", [0.0, 0.3, 1.0])
def test_what_a_fab_gets_and_draws_is_its_full_use_times_the_share_it_had(d: float) -> None:
    w, shock = _world(compliant_share=0.0, buffer_days=10, output_share_at_risk=d)
    _start(w, shock)
    us = w.region_index("US")
    us_fabs = _fabs(w, ["US"])
    # one 14-day step: the stock covers 12.5 days, the fab has 0.2 + 10 / 14 of its material
    integral, had = _advance_both(w, 14.0, 14.0)
    got = w.materials_delivered[us].sum()
    drawn = 10.0 * USE * us_fabs.size
    np.testing.assert_allclose(got + drawn, USE * had[us_fabs].sum(), rtol=1e-12)
    # which is h / (1 - d (1 - h)) times what it made
    made = USE * integral[us_fabs].sum()
    h = 0.2 + 10.0 / 14.0
    np.testing.assert_allclose(got + drawn, made * h / (1.0 - d * (1.0 - h)), rtol=1e-12)
    # the unit of material does not move with d: the flow is the same as for d = 1
    np.testing.assert_allclose(got, 0.2 * USE * 14.0 * us_fabs.size, rtol=1e-12)


def test_overlapping_restrictions_take_the_largest_share_at_risk_until_they_end() -> None:
    w, low = _world(output_share_at_risk=0.1)  # targets US, KR, TW
    high = make_shock(
        low.spec.model_copy(update={"id": "ge", "targets": ["TW"], "output_share_at_risk": 0.4})
    )
    high.started = 0.0
    tw, us, cn = _fabs(w, ["TW"]), _fabs(w, ["US"]), _fabs(w, ["CN"])
    for active in ([low, high], [high, low]):
        impose_active(w, active, 0.0)
        np.testing.assert_array_equal(w.materials_at_risk[tw], 0.4)
        np.testing.assert_array_equal(w.materials_at_risk[us], 0.1)
        assert np.isnan(w.materials_at_risk[cn]).all()  # not a target
    impose_active(w, [low], 0.0)
    np.testing.assert_array_equal(w.materials_at_risk[tw], 0.1)
    impose_active(w, [], 0.0)
    assert np.isnan(w.materials_at_risk).all()


def test_a_shortfall_no_restriction_sets_a_share_for_costs_the_whole_output() -> None:
    # as an export control on materials would: half the material, no stock, no restriction
    s = load_scenario(BASELINE, ["shocks=[]"]).scenario
    w = build_world(s, Streams(s.seed))
    w.allow[w.materials] = 0.5
    _advance(w, 10.0, 1.0)
    fabs = np.flatnonzero(w.chip_good == "wafer")
    np.testing.assert_array_equal(w.materials_factor[fabs], 0.5)
    np.testing.assert_array_equal(w.materials_health(), w.materials_factor)


def test_announcement_builds_the_stock_and_raises_imports_by_the_stated_ratio() -> None:
    w, shock = _world(buffer_days=60, announce_days=20, compliant_share=0.0)
    w.materials_delivered[:] = 0.0
    fabs = _fabs(w)
    shock.on_announce(w, 0.0, 20.0)
    us = w.region_index("US")
    cn = [w.chip[m] for m in w.materials].index("cn_gallium")
    row = [w.chip[m] for m in w.materials].index("row_gallium")
    n_us = _fabs(w, ["US"]).size
    for day in range(20):
        w.materials_delivered[:] = 0.0
        _advance(w, 1.0, 1.0)
        # usual imports from CN (its 80 %) plus buffer / announce times the use
        np.testing.assert_allclose(
            w.materials_delivered[us, cn], (0.8 + 60.0 / 20.0) * USE * n_us, rtol=1e-12
        )
        np.testing.assert_allclose(w.materials_delivered[us, row], 0.2 * USE * n_us)
        np.testing.assert_allclose(w.materials_stock[fabs], 3.0 * (day + 1), rtol=1e-12)
    # full on the deadline; buying stops
    w.materials_delivered[:] = 0.0
    _advance(w, 1.0, 1.0)
    np.testing.assert_allclose(w.materials_stock[fabs], 60.0)
    np.testing.assert_allclose(w.materials_delivered[us, cn], 0.8 * USE * n_us)
    # at the start the bought stock is what the fabs have (not taken as held twice)
    _start(w, shock)
    np.testing.assert_allclose(w.materials_stock[fabs], 60.0)


def test_an_announcement_begun_before_the_run_counts_what_was_bought_as_held() -> None:
    w, shock = _world(buffer_days=60, announce_days=20)
    shock.on_announce(w, 0.0, 5.0)  # only the last 5 days of it are in the run
    np.testing.assert_allclose(w.materials_stock[_fabs(w)], 45.0)
    _advance(w, 5.0, 1.0)
    np.testing.assert_allclose(w.materials_stock[_fabs(w)], 60.0)


def test_without_an_announcement_the_stock_is_taken_as_held() -> None:
    w, shock = _world(buffer_days=30)
    w.materials_delivered[:] = 0.0
    _start(w, shock)
    np.testing.assert_allclose(w.materials_stock[_fabs(w)], 30.0)
    np.testing.assert_array_equal(w.materials_stock[_fabs(w, ["CN"])], 0.0)
    assert not w.materials_delivered.any()  # nothing bought


def test_nothing_flows_until_licences_then_the_compliant_share() -> None:
    w, shock = _world(compliant_share=0.3, licence_delay_days=31)
    cn_gallium, row_gallium = w.chip.index("cn_gallium"), w.chip.index("row_gallium")
    us, cn = w.region_index("US"), w.region_index("CN")
    impose_active(w, [shock], 0.0)
    assert w.allow[cn_gallium, us] == 0.0
    assert w.allow[cn_gallium, cn] == 1.0
    assert w.allow[row_gallium, us] == 1.0
    impose_active(w, [shock], 30.9)
    assert w.allow[cn_gallium, us] == 0.0
    impose_active(w, [shock], 31.0)
    assert w.allow[cn_gallium, us] == 0.3
    # the licence date is a phase of the shock: effects are recomputed on that day
    assert shock.phases(np.inf) == [(0.0, 1.0), (31.0, 1.0)]
    assert shock.phases(100.0) == [(0.0, 1.0), (31.0, 1.0), (100.0, 0.0)]
    assert shock.phases(20.0) == [(0.0, 1.0), (20.0, 0.0)]


def test_the_stock_refills_once_access_is_full_and_is_bought_from_the_imposers() -> None:
    w, shock = _world(compliant_share=0.0, buffer_days=40, refill_days=80)
    _start(w, shock)
    fabs = _fabs(w)
    _advance(w, 60.0, 1.0)
    np.testing.assert_allclose(w.materials_stock[fabs], 0.0, atol=1e-9)
    impose_active(w, [], 60.0)  # the restriction ends
    us = w.region_index("US")
    cn = [w.chip[m] for m in w.materials].index("cn_gallium")
    n_us = _fabs(w, ["US"]).size
    w.materials_delivered[:] = 0.0
    _advance(w, 10.0, 1.0)
    np.testing.assert_array_equal(w.materials_factor[fabs], 1.0)
    # half a day of stock a day (40 over 80 days), all of it from CN
    np.testing.assert_allclose(w.materials_stock[fabs], 5.0)
    np.testing.assert_allclose(
        w.materials_delivered[us, cn], (0.8 + 0.5) * USE * 10.0 * n_us, rtol=1e-12
    )
    _advance(w, 200.0, 7.0)
    np.testing.assert_allclose(w.materials_stock[fabs], 40.0)  # back to the buffer, no more


def test_a_second_unannounced_restriction_does_not_refill_for_free() -> None:
    w, shock = _world(compliant_share=0.0, buffer_days=40, refill_days=80)
    _start(w, shock)
    _advance(w, 60.0, 1.0)
    impose_active(w, [], 60.0)
    _advance(w, 20.0, 1.0)  # refilled to 10 days
    again = make_shock(shock.spec)
    assert isinstance(again, MaterialsRestrictionShock)
    again.started = 80.0
    _start(w, again, 80.0)
    np.testing.assert_allclose(w.materials_stock[_fabs(w)], 10.0)


def test_stock_and_health_stay_in_bounds_under_random_access() -> None:
    w, shock = _world(buffer_days=25, refill_days=15)
    _start(w, shock)
    rng = np.random.default_rng(7)
    fabs = np.flatnonzero(w.chip_good == "wafer")
    for _ in range(300):
        w.allow[w.materials] = rng.choice([0.0, 0.5, 1.0, 1.0], size=w.allow[w.materials].shape)
        at_risk = rng.choice([np.nan, 0.0, 1.0, float(rng.uniform())], size=fabs.size)
        w.materials_at_risk[fabs] = at_risk
        _advance(w, float(rng.uniform(0.01, 20.0)), float(rng.uniform(0.01, 9.0)))
        assert np.isfinite(w.materials_factor).all() and np.isfinite(w.materials_stock).all()
        assert ((w.materials_factor >= 0.0) & (w.materials_factor <= 1.0)).all()
        health = w.materials_health()
        assert np.isfinite(health).all() and ((health >= 0.0) & (health <= 1.0)).all()
        assert (health >= w.materials_factor).all()  # a share at risk below 1 only softens
        assert (w.materials_stock[fabs] >= 0.0).all()
        assert (w.materials_stock[fabs] <= w.materials_target[fabs] + 1e-9).all()
        assert np.isfinite(w.materials_delivered).all() and (w.materials_delivered >= 0).all()


# --------------------------------------------------------------------------- runs


_RUN = ["horizon_years=0.4"]


@pytest.fixture(scope="module")
def announced_run() -> xr.Dataset:
    """SMALL (US, CN, TW; CN's gallium is all the material) with an announced restriction."""
    spec = _spec(
        targets=["US", "TW"],
        start="2025-03-02",
        announce_days=20,
        buffer_days=60,
        licence_delay_days=30,
        compliant_share=0.3,
    )
    return simulate(load_scenario(SMALL, [_flow(spec), *_RUN]))


@pytest.fixture(scope="module")
def free_run() -> xr.Dataset:
    """The same world with no shock: the fabs' usual imports."""
    return simulate(load_scenario(SMALL, ["shocks=[]", *_RUN]))


def _exports(ds: xr.Dataset) -> Any:
    da = ds["materials_deliveries"].sel(region=["US", "TW"], material="cn_gallium")
    return da.sum("region").to_series()


def test_the_run_records_materials_deliveries(announced_run: xr.Dataset) -> None:
    da = announced_run["materials_deliveries"]
    assert da.dims == ("time", "region", "material")
    assert da.attrs["units"] == "H100e"
    assert list(da["material"].values) == ["cn_gallium"]
    assert np.isfinite(da.values).all() and (da.values >= 0.0).all()


def test_the_run_shows_the_rush_the_stop_and_the_licences(
    announced_run: xr.Dataset, free_run: xr.Dataset
) -> None:
    # while the stock lasts the fabs make what they would have made: the no-shock run's
    # imports are their use, day by day
    shocked, free = _exports(announced_run), _exports(free_run)

    def ratio(start: str, end: str) -> Any:
        # on days the fabs had nothing to make (orders come in monthly lumps) neither run
        # imports; the ratio is read on the days they did, most of the window
        a, b = shocked[start:end], free[start:end]
        assert (b > 0).mean() > 0.5
        np.testing.assert_array_equal(a[b == 0], 0.0)
        return a[b > 0] / b[b > 0]

    np.testing.assert_allclose(ratio("2025-01-02", "2025-02-10"), 1.0, rtol=1e-9)
    # announced 10 Feb: CN is all of the material, imports rise by 60 / 20 times the use
    np.testing.assert_allclose(ratio("2025-02-11", "2025-03-02"), 4.0, rtol=1e-9)
    np.testing.assert_array_equal(shocked["2025-03-03":"2025-04-01"], 0.0)  # no licence yet
    np.testing.assert_allclose(ratio("2025-04-02", "2025-04-20"), 0.3, rtol=1e-9)


def test_a_smaller_share_at_risk_loses_fewer_accelerators(free_run: xr.Dataset) -> None:
    # CN's gallium is all of SMALL's material: with no licence, a = 0 after five days
    spec = _spec(targets=["US", "TW"], start="2025-01-11", compliant_share=0.0, buffer_days=5)
    total = {}
    for d in (1.0, 0.5):
        ds = simulate(load_scenario(SMALL, [_flow({**spec, "output_share_at_risk": d}), *_RUN]))
        total[d] = float(ds["deliveries"].sum())
    assert total[1.0] < total[0.5] < float(free_run["deliveries"].sum())


def test_a_world_without_materials_suppliers_records_an_empty_dimension(tmp_path: Path) -> None:
    ds = simulate(load_scenario(SMALL, ["regions.CN=null", "shocks=[]", "horizon_years=0.05"]))
    assert ds["materials_deliveries"].sizes["material"] == 0
    back = xr.open_dataset(write_netcdf(ds, tmp_path / "run.nc"), engine="h5netcdf")
    assert back["materials_deliveries"].sizes["material"] == 0
    back.close()

"""Every declared lever keeps the lever contract.

Parametrised over :data:`ecosim.scenario.models.LEVERS` (the declaration on each field of
``Levers``), so a new lever is covered as soon as it is declared — and fails until it has a
case in :data:`CASES`. Each case sets the lever out of use (``off``) and in use (``on``) in one
region of the small world, on a short run, under a ``setup`` (a shock) where its effect is
meant to show. For each lever:

- in use, it changes what it is documented to change (a recorded variable or the world's
  state), in the documented direction;
- its cost shows where levers cost: a standing cost in ``lever_cost`` (compared at the start of
  a run, where the two worlds differ in the lever only, so the gap is the lever's own term),
  the own capacity it buys in the region's own spend (``lever_cost`` counts costs beyond the
  capacity a lever buys), or, for an alliance, what the partners lend;
- if it is declared action-capable, a dated action sets it: the run is bit-identical to the
  run without the action before the date and shows the effect after it, and the world keeps
  it in the :class:`~ecosim.world.state.RegionParams` array :data:`LEVER_PARAMS` names;
- if not, the loader refuses a dated action on it.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
import pytest
import xarray as xr

from ecosim.core.clock import date_to_day
from ecosim.core.rng import Streams
from ecosim.engine.simulation import Simulation
from ecosim.errors import InputError
from ecosim.observe.dataset import to_dataset
from ecosim.observe.recorder import Recorder
from ecosim.scenario.loader import load_scenario
from ecosim.scenario.models import ACTION_LEVERS, DATED_LEVERS, LEVERS, Scenario
from ecosim.world import costs
from ecosim.world.build import build_world
from ecosim.world.levers import LEVER_PARAMS, apply_action, check_lever_params
from ecosim.world.state import RegionParams, World
from tests.conftest import SMALL

HORIZON = 0.25
#: The date of the dated actions: after the setups' shocks start, well inside the run.
ACTION_DATE = dt.date(2025, 2, 15)

#: TW loses every US provider for 60 days from 20 January (its customers must move).
CUT = (
    "shocks=[{id: cut, type: cloud_cutoff, providers: [aws, azure, gcp, oracle, us_others],"
    " regions: [TW],"
    " grade: withdrawal, start: 2025-01-20, duration: {kind: fixed, days: 60}}]"
)
#: As CUT, for good: TW is still short of compute at the end of the run.
CUT_FOR_GOOD = CUT.replace("{kind: fixed, days: 60}", "{kind: permanent}")
#: TW's CUDA licence changes (its work must port) and new open weights are out of reach.
LICENCE = (
    "shocks=[{id: lic, type: licence_change, regions: [TW], stacks: [cuda], open_weights: true,"
    " start: 2025-01-20, duration: {kind: permanent}}]"
)
#: Data of TW held by US-jurisdiction providers may no longer be used from 20 January.
RULING = (
    "shocks=[{id: ruling, type: data_transfer_ruling, regions: [TW], jurisdictions: [US],"
    " start: 2025-01-20, duration: {kind: permanent}}]"
)
NO_SHOCKS = "shocks=[]"
#: TW and the US are interoperable partners, and TW has half the specialists it needs.
SHORT_STAFFED_PARTNERS = (
    NO_SHOCKS,
    "regions.TW.levers.alliance=[US]",
    "regions.US.levers.alliance=[TW]",
    "regions.TW.levers.interoperability={US: 1.0}",
    "regions.TW.operations.staff_fte=30",
)


@dataclass(frozen=True)
class Run:
    """A short run: its recorded series (no twin, no metrics) and its world at the end."""

    ds: xr.Dataset
    world: World
    scenario: Scenario


@cache
def _run(overrides: tuple[str, ...], horizon: float = HORIZON) -> Run:
    # cached: many checks share the same runs; no test mutates a cached run
    s = load_scenario(SMALL, [f"horizon_years={horizon}", *overrides]).scenario
    sim = Simulation(s, Streams(s.seed))
    rec = Recorder(s, sim.world, sim.occurrences)
    sim.run(rec.observe)
    return Run(to_dataset(rec, s), sim.world, s)


#: Days ``[from, to)`` of a run a check looks at.
Window = tuple[float, float]
#: Whether the lever's effect shows in the window: (in use, out of use, region, window).
Check = Callable[[Run, Run, str, Window], bool]
WHOLE_RUN: Window = (0.0, np.inf)


def _in(run: Run, var: str, region: str, window: Window) -> xr.DataArray:
    days = run.ds["day"].values
    inside = np.flatnonzero((days >= window[0]) & (days < window[1]))
    return run.ds[var].sel(region=region).isel(time=inside)


def _mean_above(var: str, **sel: str) -> Check:
    """The variable's mean over the window is higher with the lever in use."""

    def check(on: Run, off: Run, region: str, window: Window) -> bool:
        a = _in(on, var, region, window).sel(sel)
        b = _in(off, var, region, window).sel(sel)
        return float(a.mean()) > float(b.mean()) + 1e-9

    return check


def _mean_below(var: str) -> Check:
    """The variable's mean over the window is lower with the lever in use."""

    def check(on: Run, off: Run, region: str, window: Window) -> bool:
        a, b = _in(on, var, region, window), _in(off, var, region, window)
        return float(a.mean()) < float(b.mean()) - 1e-9

    return check


def _last_above(var: str, by: float) -> Check:
    """At the window's last record the variable is higher by at least ``by``."""

    def check(on: Run, off: Run, region: str, window: Window) -> bool:
        a = float(_in(on, var, region, window).isel(time=-1))
        return a >= float(_in(off, var, region, window).isel(time=-1)) + by

    return check


def _home_share_above(on: Run, off: Run, region: str, window: Window) -> bool:
    """More of the region's cloud work sits with its home providers at the window's end."""
    homes = [
        pid for pid, p in on.scenario.suppliers.items() if p.good == "cloud" and p.home == region
    ]
    assert homes, f"{region} has no home provider to prefer"
    a = _in(on, "market_share", region, window).sel(provider=homes).isel(time=-1).sum()
    b = _in(off, "market_share", region, window).sel(provider=homes).isel(time=-1).sum()
    return float(a) > float(b) + 1e-9


def _builds_more(on: Run, off: Run, region: str, window: Window) -> bool:
    """The region decides to build more in the window (its build projects, a world state)."""

    def decided(run: Run) -> float:
        r = run.world.region_index(region)
        book = run.world.projects
        mine = (book.region == r) & (book.decided >= window[0]) & (book.decided < window[1])
        return float(book.quantity[mine].sum())

    return decided(on) > decided(off) + 1e-9


def _borrows(on: Run, off: Run, region: str, window: Window) -> bool:
    """Partners lend to the region in use, and never without it."""
    lent, alone = _in(on, "borrowed", region, window), _in(off, "borrowed", region, window)
    return float(lent.max()) > 0.0 and float(alone.max()) == 0.0


CostKind = Literal["standing", "capacity", "borrowing", "committed"]


@dataclass(frozen=True)
class Case:
    """How one lever is set, where its effect must show, and where its cost is."""

    region: str
    off: str
    on: str
    effect: str
    check: Check
    cost: CostKind
    setup: tuple[str, ...] = (NO_SHOCKS,)
    cost_horizon: float = HORIZON
    gap: str = ""  # why the cost is missing; the cost test is then an expected failure

    def overrides(self, lever: str, value: str) -> tuple[str, ...]:
        """The setup with ``lever`` set to ``value``."""
        return (*self.setup, f"regions.{self.region}.levers.{lever}={value}")


#: One case per declared lever.
CASES: dict[str, Case] = {
    "build_share": Case(
        # the US, whose market-driven reviews order monthly: a public programme waits its
        # procurement delay (half a year) before any project exists
        "US",
        "0.0",
        "1.0",
        "the US decides build projects",
        _builds_more,
        "capacity",
        # sites are built one to two years after the decision, so their cost comes later
        cost_horizon=2.5,
    ),
    "open_stack_share": Case(
        "TW",
        "0.0",
        "0.8",
        "TW's porting backlog after the licence change clears faster",
        _mean_below("porting_backlog"),
        "standing",
        (LICENCE,),
    ),
    "interoperability": Case(
        "TW",
        "{US: 0.0}",
        "{US: 1.0}",
        "TW's porting backlog after the licence change clears faster with its partner",
        _mean_below("porting_backlog"),
        "standing",
        (LICENCE,),
        gap="interoperability has no cost: costs.lever_cost has no term for it",
    ),
    "ai_factories": Case(
        "TW",
        "[]",
        "[{count: 2, size_h100e: 3000, start: 2025-01-15, lead_time_days: 30}]",
        "TW's own capacity grows by the two factories",
        _last_above("capacity_own", 6000.0),
        "capacity",
    ),
    "stockpile_h100e": Case(
        "TW",
        "0",
        "20000",
        "TW's stock is released into own capacity when its compute falls short",
        _last_above("capacity_own", 1000.0),
        "standing",
        (CUT,),
    ),
    "multi_cloud": Case(
        "TW",
        "0.0",
        "0.8",
        "more of TW's data stays reachable while its providers withdraw",
        _mean_above("service_direct", layer="data"),
        "standing",
        (CUT,),
    ),
    "sovereign_cloud_share": Case(
        # TW has no home provider to prefer; CN has three
        "CN",
        "0.0",
        "1.0",
        "CN's cloud work moves to its home providers",
        _home_share_above,
        "standing",
    ),
    "open_weights_mirror": Case(
        "TW",
        "0.0",
        "1.0",
        "TW keeps model service when new open weights are out of reach",
        _mean_above("service_direct", layer="models"),
        "standing",
        (LICENCE,),
    ),
    "federated_learning": Case(
        "TW",
        "0.0",
        "1.0",
        "TW uses data a transfer ruling forbids moving",
        _mean_above("service_direct", layer="data"),
        "standing",
        (RULING,),
    ),
    "talent_programme": Case(
        "TW",
        "0.0",
        "1.0",
        "TW's specialists grow faster",
        _mean_above("talent"),
        "standing",
    ),
    "local_models": Case(
        "TW",
        "0.0",
        "0.5",
        "TW serves more of its model use with its own models",
        _mean_above("model_mix", source="own"),
        "standing",
    ),
    "domestic_chain": Case(
        # a first fab takes years: in a short run the programme shows as what it commits
        "TW",
        "null",
        "{start: 2025-01-01, cover_share: 1.0, goods: [accelerator, wafer, hbm, packaging],"
        " stop_imports: null}",
        "TW commits capex to chip-making at home",
        _last_above("chain_capex", 1.0e6),
        "committed",
    ),
    "alliance": Case(
        "TW",
        "[]",
        "[US]",
        "the US lends TW spare capacity while TW's providers are gone",
        _borrows,
        "borrowing",
        (CUT_FOR_GOOD,),
    ),
    "alliance_sharing": Case(
        "TW",
        "[compute]",
        "[compute, talent]",
        "the US lends TW specialists from its surplus, so TW operates more of its capacity",
        _mean_above("service_direct", layer="operations"),
        "standing",
        SHORT_STAFFED_PARTNERS,
    ),
}

LEVER_NAMES = list(LEVERS)
ACTIONS = list(ACTION_LEVERS)
DATED = list(DATED_LEVERS)
NOT_DATED = [lever for lever in LEVERS if lever not in DATED_LEVERS]


def _case(lever: str) -> Case:
    if lever not in CASES:
        pytest.fail(f"no case for the lever {lever!r} in CASES")
    return CASES[lever]


def _pair(lever: str, horizon: float = HORIZON) -> tuple[Run, Run]:
    case = _case(lever)
    return _run(case.overrides(lever, case.on), horizon), _run(
        case.overrides(lever, case.off), horizon
    )


# --------------------------------------------------------------------------- declarations


def test_every_declared_lever_has_a_case() -> None:
    """A newly declared lever fails here until this file says how it acts and costs."""
    assert set(LEVERS) == set(CASES), set(LEVERS) ^ set(CASES)


def test_action_levers_are_exactly_those_the_world_keeps_in_arrays() -> None:
    """The world's table and the declaration agree, and a mismatch is refused."""
    assert set(LEVER_PARAMS) == set(ACTION_LEVERS)
    forgotten = {k: v for k, v in LEVER_PARAMS.items() if k != ACTION_LEVERS[-1]}
    with pytest.raises(TypeError, match=f"action levers without an array: {ACTION_LEVERS[-1]}"):
        check_lever_params(forgotten)
    with pytest.raises(TypeError, match="arrays RegionParams does not have"):
        check_lever_params({**LEVER_PARAMS, ACTION_LEVERS[0]: "no_such_array"})


@pytest.mark.parametrize("lever", ACTIONS)
def test_the_world_keeps_an_action_lever_in_its_declared_array(lever: str) -> None:
    """The scenario's value lands in the array LEVER_PARAMS names, and an action writes it."""
    s = load_scenario(SMALL, [f"regions.TW.levers.{lever}=0.625"]).scenario
    params = RegionParams.of(s)
    tw = s.region_names.index("TW")
    carried = [
        name
        for name, array in vars(params).items()
        if isinstance(array, np.ndarray) and array[tw] == 0.625
    ]
    assert carried == [LEVER_PARAMS[lever]], carried
    w = build_world(s, Streams(s.seed))
    apply_action(w, f"regions.TW.levers.{lever}", 0.375)
    assert getattr(w.params, LEVER_PARAMS[lever])[tw] == 0.375


@pytest.mark.parametrize("lever", NOT_DATED)
def test_a_dated_action_on_a_lever_with_its_own_dates_is_refused(lever: str) -> None:
    action = f"actions=[{{date: {ACTION_DATE}, set: {{regions.TW.levers.{lever}: 0.5}}}}]"
    with pytest.raises(InputError) as caught:
        load_scenario(SMALL, [action])
    assert caught.value.path == ["actions", 0, "set", f"regions.TW.levers.{lever}"]
    assert caught.value.expected == (
        f"a lever a dated action can change of this scenario ({', '.join(DATED_LEVERS)})"
    )
    assert caught.value.found == lever


@pytest.mark.parametrize("lever", DATED)
def test_a_dated_action_with_a_value_its_lever_cannot_take_is_refused(lever: str) -> None:
    bad = "{a: 1}" if lever not in ("interoperability",) else "[0.5]"
    action = f"actions=[{{date: {ACTION_DATE}, set: {{regions.TW.levers.{lever}: {bad}}}}}]"
    with pytest.raises(InputError) as caught:
        load_scenario(SMALL, [action])
    assert caught.value.path == ["actions", 0, "set", f"regions.TW.levers.{lever}"]
    assert caught.value.expected.startswith(("a number in [0, 1]", f"a value of the lever {lever}"))


# --------------------------------------------------------------------------- short runs


@pytest.mark.parametrize("lever", LEVER_NAMES)
def test_lever_changes_what_it_should(lever: str) -> None:
    """In use, the lever moves its documented outcome its documented way."""
    case = _case(lever)
    on, off = _pair(lever)
    assert case.check(on, off, case.region, WHOLE_RUN), f"{lever}: expected {case.effect}"


@pytest.mark.parametrize("lever", LEVER_NAMES)
def test_each_effect_check_can_fail(lever: str) -> None:
    """With the runs swapped (the lever out of use counted as in use) the check fails."""
    case = _case(lever)
    on, off = _pair(lever)
    assert not case.check(off, on, case.region, WHOLE_RUN)


def _standing_cost(case: Case, lever: str, value: str) -> float:
    """The region's lever_cost once the world is built and first refreshed."""
    s = load_scenario(
        SMALL,
        [f"horizon_years={HORIZON}", *case.overrides(lever, value)],
    ).scenario
    w = Simulation(s, Streams(s.seed)).world
    return float(costs.lever_cost(w)[w.region_index(case.region)])


def _own_spend(run: Run, region: str) -> float:
    """The region's yearly spend on own capacity at the end of the run (USD/yr)."""
    r = run.world.region_index(region)
    return float(run.ds["capacity_own"].sel(region=region).isel(time=-1)) * float(
        run.world.params.own_cost_per_year[r]
    )


def _cost_param(lever: str) -> object:
    case = _case(lever)
    if not case.gap:
        return lever
    return pytest.param(lever, marks=pytest.mark.xfail(strict=True, reason=case.gap))


@pytest.mark.parametrize("lever", [_cost_param(lever) for lever in LEVER_NAMES])
def test_lever_cost_shows_where_levers_cost(lever: str) -> None:
    """What the lever costs shows: in lever_cost, or as the own capacity it buys."""
    case = _case(lever)
    if case.cost == "standing":
        on, off = _standing_cost(case, lever, case.on), _standing_cost(case, lever, case.off)
        assert on > off, f"{lever}: lever_cost {on:.6g} in use, {off:.6g} out of use"
    elif case.cost == "capacity":
        run_on, run_off = _pair(lever, case.cost_horizon)
        on, off = _own_spend(run_on, case.region), _own_spend(run_off, case.region)
        assert on > off, f"{lever}: own spend {on:.6g} in use, {off:.6g} out of use"
    elif case.cost == "committed":
        # what the programme commits, annualised, from its first review on
        run_on, run_off = _pair(lever)
        on = float(run_on.ds["lever_cost"].sel(region=case.region).isel(time=-1))
        off = float(run_off.ds["lever_cost"].sel(region=case.region).isel(time=-1))
        assert on > off, f"{lever}: lever_cost {on:.6g} in use, {off:.6g} out of use"
    else:
        run_on, _ = _pair(lever)
        w = copy.deepcopy(run_on.world)
        r = w.region_index(case.region)
        assert w.borrowed[r] > 0.0, f"{lever}: {case.region} borrows nothing at the end"
        with_loan = float(costs.lever_cost(w)[r])
        w.borrowed[r] = 0.0
        assert with_loan > float(costs.lever_cost(w)[r]), f"{lever}: lending is free"


def _identical(a: np.ndarray, b: np.ndarray) -> bool:
    """Same shape and values, numbers compared bit for bit."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.dtype.kind in "biufc":
        return np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    return bool(np.array_equal(a, b))


@pytest.mark.parametrize("lever", DATED)
def test_a_dated_action_acts_from_its_date_only(lever: str) -> None:
    """Bit-identical to the run without the action before its date; the effect after it.

    Before the date the effect check fails too, which covers what the recorded series do
    not show yet (a build decision whose order comes later).
    """
    case = _case(lever)
    base = case.overrides(lever, case.off)
    action = (
        f"actions=[{{date: {ACTION_DATE}, set: {{regions.{case.region}.levers.{lever}: "
        f"{case.on}}}}}]"
    )
    acted, plain = _run((*base, action)), _run(base)
    since = date_to_day(plain.scenario.start, ACTION_DATE)
    before = np.flatnonzero(plain.ds["day"].values < since)
    assert before.size > 20
    for name in plain.ds.data_vars:
        a, b = acted.ds[name], plain.ds[name]
        if "time" in b.dims:  # the rest (the shocks' occurrences) must not move at all
            a, b = a.isel(time=before), b.isel(time=before)
        assert _identical(a.values, b.values), f"{lever}: {name} moved before the date"
    assert not case.check(acted, plain, case.region, (0.0, since)), f"{lever}: acted early"
    after: Window = (since, np.inf)
    assert case.check(acted, plain, case.region, after), f"{lever}: expected {case.effect}"


def test_a_dated_action_sets_a_data_share_from_its_date() -> None:
    """The data layer's shares can be dated too: replicas at home after a ruling."""
    base = (RULING, "regions.TW.data.replica_share=0.0")
    action = f"actions=[{{date: {ACTION_DATE}, set: {{regions.TW.data.replica_share: 1.0}}}}]"
    acted, plain = _run((*base, action)), _run(base)
    since = date_to_day(plain.scenario.start, ACTION_DATE)
    data = _mean_above("service_direct", layer="data")
    assert not data(acted, plain, "TW", (0.0, since))
    assert data(acted, plain, "TW", (since, np.inf))


#: TW's three model-source shares, to fill in.
MODEL_SHARES = (
    "{{regions.TW.models.own_share: {0}, regions.TW.models.open_weights_share: {1},"
    " regions.TW.models.foreign_api_share: {2}}}"
)


def test_a_dated_action_sets_the_model_sources_together_from_its_date() -> None:
    """A region's model use moves on a date when an action sets all three shares."""
    shares = MODEL_SHARES.format(0.6, 0.3, 0.1)
    action = f"actions=[{{date: {ACTION_DATE}, set: {shares}}}]"
    acted, plain = _run((NO_SHOCKS, action)), _run((NO_SHOCKS,))
    since = date_to_day(plain.scenario.start, ACTION_DATE)
    own = _mean_above("model_mix", source="own")
    assert not own(acted, plain, "TW", (0.0, since))
    assert own(acted, plain, "TW", (since, np.inf))
    mix = acted.ds["model_mix"].sel(region="TW").isel(time=-1)
    np.testing.assert_allclose(float(mix.sum()), 1.0)


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        ("{regions.TW.models.own_share: 0.6}", "all three model-source shares in one action"),
        (MODEL_SHARES.format(0.6, 0.3, 0.3), "model-source shares summing to 1"),
    ],
)
def test_model_shares_set_apart_or_not_summing_to_one_are_refused(
    shares: str, expected: str
) -> None:
    action = f"actions=[{{date: {ACTION_DATE}, set: {shares}}}]"
    with pytest.raises(InputError) as caught:
        load_scenario(SMALL, [action])
    assert caught.value.path == ["actions", 0, "set", "regions.TW.models"]
    assert caught.value.expected.startswith(expected)

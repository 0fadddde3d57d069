"""Every registered shock type keeps the shock contract.

Parametrised over :data:`ecosim.world.shocks.SHOCK_CLASSES`, so a new type is covered as soon
as it is registered — and fails until it has a minimal instance in :data:`INSTANCES` and a
list of the World attributes it may touch in :data:`TOUCHES`. Every specification of
:data:`ecosim.scenario.models.SHOCK_SPECS` has exactly one behaviour class and every behaviour
class one specification. For each type:

- it builds from YAML through the scenario loader (per-type defaults merged in);
- every field naming a region or supplier is declared in ``references``, and a name that
  points nowhere in each of them is an input error naming the field and the kind expected;
- its occurrences are a function of the seed only (a dated and a Poisson version);
- imposed on a fresh world (with its one-off ``on_start``), it changes only the World
  attributes it is documented to touch, and at least one of them;
- its specification and its behaviour object survive a pickle round trip (sweep workers);
- in a short run its effect shows where expected, against the no-shock twin or a run
  without it.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
import textwrap
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pytest
import xarray as xr
import yaml

from ecosim.api import simulate
from ecosim.core.rng import Streams
from ecosim.errors import InputError
from ecosim.scenario.loader import load_scenario
from ecosim.scenario.models import SHOCK_SPECS, SHOCK_TYPES, Name, Scenario, ShockBase
from ecosim.world.build import build_world
from ecosim.world.shocks import (
    SHOCK_CLASSES,
    ShockType,
    impose_active,
    make_shock,
    occurrences,
)
from ecosim.world.state import World, is_cache
from tests.conftest import SMALL

#: Day-10 start and 60-day duration: inside the short run, and over before its end.
_WHEN = "start: 2025-01-11\nduration: {kind: fixed, days: 60}\n"

#: One minimal valid instance per shock type, as a scenario file would write it (SMALL's
#: regions are US, CN and TW). Fields left out come from ``shock_defaults``.
INSTANCES: dict[str, str] = {
    "export_control": """
        id: x
        type: export_control
        imposers: [US]
        targets: [CN]
        goods: [accelerator, stack, model_api]
        compliant_share: 0.0
        controls_cloud: true
    """,
    "cloud_cutoff": """
        id: x
        type: cloud_cutoff
        providers: [aws, azure]
        regions: [TW]
        grade: withdrawal
    """,
    "fab_disruption": """
        id: x
        type: fab_disruption
        suppliers: [tsmc, tsmc_cowos]
        capacity_loss: 0.9
    """,
    "outage": """
        id: x
        type: outage
        providers: [aws]
        regions: [TW]
        capacity_loss: 1.0
    """,
    "demand_surge": """
        id: x
        type: demand_surge
        regions: [US]
        factor: 2.0
    """,
    "materials_restriction": """
        id: x
        type: materials_restriction
        imposers: [CN]
        targets: [US, TW]
        compliant_share: 0.0
        buffer_days: 5
        output_share_at_risk: 1.0
    """,
    "licence_change": """
        id: x
        type: licence_change
        regions: [TW]
        stacks: [cuda]
        open_weights: true
    """,
    "model_access_cutoff": """
        id: x
        type: model_access_cutoff
        providers: [us_frontier_api]
        regions: [TW]
    """,
    "data_transfer_ruling": """
        id: x
        type: data_transfer_ruling
        regions: [TW]
        jurisdictions: [US]
        sovereign_exempt: false
    """,
    "legal_compulsion": """
        id: x
        type: legal_compulsion
        jurisdiction: US
        regions: [TW]
        share: 0.5
    """,
    "talent_drain": """
        id: x
        type: talent_drain
        regions: [TW]
        share: 0.3
    """,
}

#: World attributes each type documents touching (impose and on_start), by name;
#: ``params.X`` names a field of :class:`~ecosim.world.state.RegionParams`.
TOUCHES: dict[str, set[str]] = {
    "export_control": {
        "allow",
        "can_join",
        "stack_access",
        "api_access",
        "open_access",
        "imposer_cost_rate",
        "porting_backlog",
        # on_start re-routes queued orders blocked by the control
        "orders",
        "backlog",
        "projects",
        # on_start: the targets' own suppliers start building (capacity.respond_to_control)
        "build_row",
        "build_size",
        "build_start",
        "build_online",
        "build_ramp",
        "build_capex",
        "build_source",
        "build_moves",
    },
    "cloud_cutoff": {"can_join", "can_stay", "price_hike"},
    "fab_disruption": {"chip_disruption"},
    "outage": {"prov_available", "own_available"},
    "demand_surge": {"demand_factor"},
    "materials_restriction": {
        "allow",
        # while active: the share of the targets' fabs' output at risk
        "materials_at_risk",
        # on_start: the buffer the fabs keep, taken as held when not announced
        "materials_stock",
        "materials_target",
        "materials_refill",
        "materials_source",
    },
    "licence_change": {"open_access", "stack_access", "porting_backlog"},
    "model_access_cutoff": {"api_access"},
    "data_transfer_ruling": {"transfer_blocked"},
    "legal_compulsion": {"compelled", "compromised"},
    "talent_drain": {"talent"},
}

_SKIP = {"scenario", "streams"}  # inputs, not state; caches are left out too (is_cache)


def _spec_dict(kind: str) -> dict[str, Any]:
    data = yaml.safe_load(textwrap.dedent(INSTANCES[kind]) + _WHEN)
    assert isinstance(data, dict)
    return data


def _override(shocks: list[dict[str, Any]]) -> str:
    # a YAML flow sequence on one line, as ``--set`` takes it
    flow = yaml.safe_dump(shocks, default_flow_style=True, width=10_000).strip()
    return f"shocks={flow}"


def _scenario(shocks: list[dict[str, Any]], *extra: str) -> Scenario:
    return load_scenario(SMALL, [_override(shocks), *extra]).scenario


def _snapshot(w: World) -> dict[str, Any]:
    """Deep copy of every state attribute of ``w``, ``params.X`` for region parameters."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(w):
        if f.name in _SKIP or is_cache(f.name):
            continue
        value = getattr(w, f.name)
        if f.name == "params":
            for g in dataclasses.fields(value):
                out[f"params.{g.name}"] = copy.deepcopy(getattr(value, g.name))
        else:
            out[f.name] = copy.deepcopy(value)
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        if a.dtype == object or b.dtype == object:
            return bool(all(_same(x, y) for x, y in zip(a.ravel(), b.ravel(), strict=True)))
        return bool(np.array_equal(a, b, equal_nan=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return bool(a == b)


KINDS = sorted(SHOCK_CLASSES)


def test_every_specification_has_exactly_one_behaviour_and_back() -> None:
    """The two registries pair up one to one, by the specification's ``type`` tag."""
    assert list(SHOCK_SPECS.values()) == list(SHOCK_TYPES)
    assert set(SHOCK_CLASSES) == set(SHOCK_SPECS), set(SHOCK_CLASSES) ^ set(SHOCK_SPECS)
    for tag, behaviour in SHOCK_CLASSES.items():
        assert behaviour.spec_type is SHOCK_SPECS[tag]
    assert len({b.spec_type for b in SHOCK_CLASSES.values()}) == len(SHOCK_CLASSES)


def test_a_second_behaviour_for_a_type_is_refused() -> None:
    """Registration keeps one behaviour per type: a second one fails where it is defined."""
    before = dict(SHOCK_CLASSES)
    with pytest.raises(TypeError, match="two behaviours"):

        class Again(ShockType):
            spec_type = SHOCK_SPECS["outage"]

            def impose(self, w: World, t: float) -> None:
                """Nothing."""

    assert before == SHOCK_CLASSES


def test_a_specification_defined_after_the_union_is_refused() -> None:
    """A shock type outside the union would validate nowhere, so defining one fails."""
    before = dict(SHOCK_SPECS)
    with pytest.raises(TypeError, match="after the Shock union"):

        class Late(ShockBase):
            type: Literal["late"]

    assert before == SHOCK_SPECS


def test_every_registered_type_has_an_instance_and_a_touch_list() -> None:
    """A newly registered type fails here until this file describes it."""
    assert set(SHOCK_CLASSES) <= set(INSTANCES), set(SHOCK_CLASSES) - set(INSTANCES)
    assert set(SHOCK_CLASSES) <= set(TOUCHES), set(SHOCK_CLASSES) - set(TOUCHES)


@pytest.mark.parametrize("kind", KINDS)
def test_builds_from_yaml_with_defaults(kind: str) -> None:
    """The instance loads through the loader; the spec and behaviour class match the type."""
    if kind not in INSTANCES:
        pytest.fail(f"no minimal instance of {kind!r} in INSTANCES")
    s = _scenario([_spec_dict(kind)])
    (spec,) = s.shocks
    assert spec.type == kind
    shock = make_shock(spec)
    assert isinstance(shock, SHOCK_CLASSES[kind])
    assert isinstance(spec, SHOCK_CLASSES[kind].spec_type)


def _names_things(annotation: Any) -> bool:
    return annotation is str or annotation == list[Name]


@pytest.mark.parametrize("kind", KINDS)
def test_every_name_field_is_declared_and_checked(kind: str) -> None:
    """Each field naming things is in ``references``; a name pointing nowhere is an error."""
    spec_type = SHOCK_CLASSES[kind].spec_type
    fields = spec_type.model_fields
    naming = {n for n, f in fields.items() if n != "id" and _names_things(f.annotation)}
    assert naming == {r.field for r in spec_type.references}
    scenario = _scenario([_spec_dict(kind)])
    for ref in spec_type.references:
        data = _spec_dict(kind)
        data[ref.field] = "Nowhere" if fields[ref.field].annotation is str else ["Nowhere"]
        with pytest.raises(InputError) as caught:
            _scenario([data])
        known = ", ".join(ref.kind.names(scenario))
        assert known, f"{kind}.{ref.field}: SMALL has no {ref.kind.label} to name"
        assert caught.value.path == ["shocks", "x", ref.field]
        assert caught.value.expected == f"a {ref.kind.label} of this scenario ({known})"
        assert caught.value.found == "Nowhere"


@pytest.mark.parametrize("kind", KINDS)
def test_occurrences_are_a_function_of_the_seed(kind: str) -> None:
    """Same seed, same occurrences — for a dated and for a Poisson (rate_per_year) version."""
    dated = _spec_dict(kind)
    poisson = {k: v for k, v in dated.items() if k not in ("start", "duration")}
    poisson.update(
        rate_per_year=6.0, duration={"kind": "lognormal", "median_days": 10, "sigma": 0.5}
    )
    for data in (dated, poisson):
        runs = []
        for seed in (11, 11, 12):
            s = _scenario([data], f"seed={seed}")
            runs.append([(o.start, o.end) for o in occurrences(s.shocks[0], s, Streams(s.seed))])
        assert runs[0], f"{kind}: no occurrence within the horizon"
        assert runs[0] == runs[1]
        if "rate_per_year" in data:
            assert runs[0] != runs[2], f"{kind}: Poisson arrivals ignore the seed"


@pytest.mark.parametrize("kind", KINDS)
def test_changes_only_what_it_documents(kind: str) -> None:
    """Imposed on a fresh world, only the documented attributes move (and some do)."""
    s = _scenario([_spec_dict(kind)])
    w = build_world(s, Streams(s.seed))
    before = _snapshot(w)
    shock = make_shock(s.shocks[0])
    shock.started = 0.0
    impose_active(w, [shock], 0.0)
    shock.on_start(w, 0.0)
    after = _snapshot(w)
    changed = {k for k in before if not _same(before[k], after[k])}
    assert changed <= TOUCHES[kind], f"{kind} also changed {sorted(changed - TOUCHES[kind])}"
    assert changed, f"{kind} changed nothing on a fresh world"
    # and it is deterministic: a second fresh world ends in the same state
    w2 = build_world(s, Streams(s.seed))
    again = make_shock(s.shocks[0])
    again.started = 0.0
    impose_active(w2, [again], 0.0)
    again.on_start(w2, 0.0)
    second = _snapshot(w2)
    assert all(_same(after[k], second[k]) for k in after)


@pytest.mark.parametrize("kind", KINDS)
def test_spec_and_behaviour_pickle(kind: str) -> None:
    """Sweep workers receive shocks by pickle: both objects survive a round trip."""
    (spec,) = _scenario([_spec_dict(kind)]).shocks
    assert isinstance(spec, ShockBase)
    back = pickle.loads(pickle.dumps(spec))
    assert back == spec
    shock = make_shock(spec)
    shock.level, shock.started = 0.5, 3.0
    clone = pickle.loads(pickle.dumps(shock))
    assert type(clone) is type(shock)
    assert clone.spec == spec
    assert (clone.level, clone.started) == (0.5, 3.0)


# --------------------------------------------------------------------------- short runs

_RUN = ["horizon_years=0.3"]


@pytest.fixture(scope="module")
def no_shock_run() -> xr.Dataset:
    """SMALL over the short horizon with no shock at all (for series the twin does not keep)."""
    return simulate(load_scenario(SMALL, ["shocks=[]", *_RUN]))


def _loss(region: str, layer: str) -> Callable[[xr.Dataset, xr.Dataset], bool]:
    def check(ds: xr.Dataset, _: xr.Dataset) -> bool:
        return float(ds["resilience_loss"].sel(region=region, layer=layer)) > 0.0

    return check


def _below(var: str, **sel: Any) -> Callable[[xr.Dataset, xr.Dataset], bool]:
    def check(ds: xr.Dataset, ref: xr.Dataset) -> bool:
        a, b = ds[var].sel(sel), ref[var].sel(sel)
        return bool((a < b - 1e-9).any()) and bool((a <= b + 1e-9).all())

    return check


def _above(var: str, **sel: Any) -> Callable[[xr.Dataset, xr.Dataset], bool]:
    def check(ds: xr.Dataset, ref: xr.Dataset) -> bool:
        a, b = ds[var].sel(sel), ref[var].sel(sel)
        return bool((a > b + 1e-9).any())

    return check


def _less_total(var: str) -> Callable[[xr.Dataset, xr.Dataset], bool]:
    def check(ds: xr.Dataset, ref: xr.Dataset) -> bool:
        return float(ds[var].sum()) < float(ref[var].sum()) * (1.0 - 1e-6)

    return check


#: Where each type's effect must show in a short run, and how.
EFFECTS: dict[str, tuple[str, Callable[[xr.Dataset, xr.Dataset], bool]]] = {
    "export_control": (
        "CN loses software service (CUDA is cut)",
        _loss("CN", "software"),
    ),
    "cloud_cutoff": ("TW loses data service (its cloud data is unreachable)", _loss("TW", "data")),
    "fab_disruption": ("fewer accelerators reach the clouds", _less_total("capacity_cloud")),
    "outage": ("TW compute service falls below the twin", _loss("TW", "compute")),
    "demand_surge": ("US demand rises", _above("demand", region="US")),
    "materials_restriction": (
        "starved fabs deliver fewer accelerators to the clouds",
        _less_total("capacity_cloud"),
    ),
    "licence_change": ("TW loses software service", _loss("TW", "software")),
    "model_access_cutoff": ("TW loses model service", _loss("TW", "models")),
    "data_transfer_ruling": ("TW loses data service", _loss("TW", "data")),
    "legal_compulsion": ("TW data is compelled", _above("compelled", region="TW")),
    "talent_drain": ("TW talent falls", _below("talent", region="TW")),
}


def test_every_registered_type_has_an_expected_effect() -> None:
    """A newly registered type fails here until its visible effect is stated."""
    assert set(SHOCK_CLASSES) <= set(EFFECTS), set(SHOCK_CLASSES) - set(EFFECTS)


@pytest.mark.parametrize("kind", KINDS)
def test_effect_is_visible_in_a_short_run(kind: str, no_shock_run: xr.Dataset) -> None:
    """The run with the shock differs from the twin or the no-shock run where documented."""
    if kind not in EFFECTS:
        pytest.fail(f"no expected effect of {kind!r} in EFFECTS")
    what, check = EFFECTS[kind]
    ds = simulate(load_scenario(SMALL, [_override([_spec_dict(kind)]), *_RUN]))
    assert check(ds, no_shock_run), f"{kind}: expected {what}"

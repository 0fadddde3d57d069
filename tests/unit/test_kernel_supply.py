"""The supply kernels against their twins, to the bit: on random books and splits, and on
every call a run of the small scenario makes."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecosim
from ecosim.kernels import supply as kernels
from ecosim.world import supply
from tests.kernel_calls import calls_of

SMALL = Path(__file__).resolve().parents[1] / "scenarios" / "small.yaml"

#: The arguments of fill_orders it writes into.
WRITTEN = (3, 8, 9, 12, 13, 14)


def _book(seed: int, n_des: int, n_orders: int, quotas: bool) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    n_regions, n_prov, n_rows = 9, 5, n_des + 6
    designers = rng.permutation(n_rows)[:n_des].astype(np.int64)
    quota = np.full((n_rows, n_regions), np.inf)
    if quotas:  # export quotas, some used up, one exactly
        quota[rng.random(quota.shape) < 0.4] = rng.uniform(0.0, 500.0)
    quota_used = np.where(np.isfinite(quota), quota * rng.uniform(0.0, 1.2, quota.shape), 0.0)
    quota[0, 0] = 100.0
    quota_used[0, 0] = quota[0, 0]  # used up exactly
    by_provider = rng.random(n_orders) < 0.6
    buyer = np.where(
        by_provider, rng.integers(0, n_prov, n_orders), rng.integers(0, n_regions, n_orders)
    ).astype(np.int64)
    designer = rng.integers(0, n_des, n_orders).astype(np.int64)
    quantity = rng.uniform(0.0, 300.0, n_orders) * (rng.random(n_orders) > 0.05)
    quantity[rng.random(n_orders) < 0.1] = 0.5  # below one H100e
    remaining = quantity * np.where(rng.random(n_orders) < 0.3, rng.random(n_orders), 1.0)
    open_ = rng.random(n_orders) < 0.8
    # the book's arrays are longer than its orders
    pad = 7

    def padded(a: np.ndarray) -> np.ndarray:
        return np.concatenate([a, np.zeros(pad, dtype=a.dtype)])

    budgets = rng.uniform(0.0, 800.0, n_des) * (rng.random(n_des) > 0.2)
    return (
        budgets,
        designers,
        quota,
        quota_used,
        padded(by_provider),
        padded(buyer),
        padded(designer),
        padded(quantity),
        padded(remaining),
        padded(open_),
        n_orders,
        rng.integers(0, n_regions, n_prov).astype(np.int64),
        rng.uniform(0.0, 1e4, n_des),
        rng.uniform(0.0, 1e4, (n_regions, n_des)),
        rng.uniform(0.0, 1e4, (n_regions, n_des)),
    )


def _fill_both(args: tuple[Any, ...]) -> None:
    """Run both on copies of ``args`` and hold what they return and write equal."""
    fast_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    ref_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    produced, filled = kernels.fill_orders(*fast_args)
    produced_ref, filled_ref = kernels.fill_orders_ref(*ref_args)
    np.testing.assert_array_equal(produced, produced_ref)
    np.testing.assert_array_equal(filled, filled_ref)
    for i in WRITTEN:
        np.testing.assert_array_equal(fast_args[i], ref_args[i])


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_des=st.integers(1, 9),
    n_orders=st.integers(0, 120),
    quotas=st.booleans(),
)
def test_fill_orders_equals_its_twin(seed: int, n_des: int, n_orders: int, quotas: bool) -> None:
    _fill_both(_book(seed, n_des, n_orders, quotas))


def _split(seed: int, n_parts: int, n_des: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    eligible = (rng.random((n_parts, n_des)) < 0.7).astype(float)
    possible = rng.uniform(0.0, 5e3, n_des) * (rng.random(n_des) > 0.1)
    rows = rng.uniform(0.0, 1e5, n_parts) * (rng.random(n_parts) > 0.2)
    rows[0] += 1.0  # something is ordered
    x = eligible * possible[None, :]
    target = possible / max(possible.sum(), 1e-300) * rows.sum()
    return x, rows, target


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_parts=st.integers(1, 24), n_des=st.integers(2, 7))
def test_fit_split_equals_its_twin(seed: int, n_parts: int, n_des: int) -> None:
    x, rows, target = _split(seed, n_parts, n_des)
    tol = 1e-10 * float(rows.max())
    np.testing.assert_array_equal(
        kernels.fit_split(x, rows, target, tol), kernels.fit_split_ref(x, rows, target, tol)
    )


def test_fit_split_meets_its_margins() -> None:
    x = np.array([[1.0, 2.0, 1.0], [0.5, 1.0, 1.0], [1.0, 3.0, 1.0]])
    rows = np.array([3.0, 2.0, 1.0])
    target = np.array([1.0, 2.0, 3.0])
    got = kernels.fit_split(x, rows, target, 1e-12)
    np.testing.assert_allclose(got.sum(axis=1), rows, rtol=1e-10)
    np.testing.assert_allclose(got.sum(axis=0), target, rtol=1e-10)


def _fabs(seed: int, n_litho: int, n_mats: int, n_fabs: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n_regions = 9
    n_rows = n_litho + n_mats + n_fabs + 3
    rows = rng.permutation(n_rows).astype(np.int64)
    allow = rng.uniform(0.0, 1.0, (n_rows, n_regions))
    allow[rng.random(allow.shape) < 0.4] = 1.0
    allow[rng.random(allow.shape) < 0.2] = 0.0
    nominal = rng.uniform(0.0, 5e4, n_rows) * (rng.random(n_rows) > 0.1)
    fabs = rows[n_litho + n_mats : n_litho + n_mats + n_fabs]
    return {
        "nominal": nominal,
        "allow": allow,
        "litho": rows[:n_litho],
        "mats": rows[n_litho : n_litho + n_mats],
        "fabs": fabs,
        "homes": rng.integers(0, n_regions, n_fabs).astype(np.int64),
        "decay": float(rng.uniform(0.9, 1.0)),
        "dt": float(rng.choice([0.25, 1.0, 3.0])),
        "litho_factor": rng.uniform(0.0, 1.0, n_rows),
        "stock": rng.uniform(0.0, 60.0, n_rows) * (rng.random(n_rows) > 0.3),
        "target": rng.uniform(0.0, 90.0, n_rows),
        "refill": rng.uniform(0.0, 2.0, n_rows),
        "factor": rng.uniform(0.0, 1.0, n_rows),
        "bought": np.zeros(n_rows),
        "use": rng.uniform(0.0, 500.0, n_fabs) * (rng.random(n_fabs) > 0.2),
        "source": rng.uniform(0.0, 1.0, (n_mats, n_regions)),
        "delivered": rng.uniform(0.0, 10.0, (n_regions, n_mats)),
    }


FAB_ARGS = ("nominal", "allow", "litho", "mats", "fabs", "homes", "decay", "dt")
FAB_WRITES = ("litho_factor", "stock", "target", "refill", "factor", "bought")
DELIVERY_ARGS = ("nominal", "allow", "mats", "fabs", "homes", "use", "dt", "source", "bought")


def _copies(c: dict[str, Any]) -> dict[str, Any]:
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in c.items()}


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_litho=st.integers(0, 7),
    n_mats=st.integers(0, 7),
    n_fabs=st.integers(0, 10),
)
def test_step_fabs_equals_its_twin(seed: int, n_litho: int, n_mats: int, n_fabs: int) -> None:
    c = _fabs(seed, n_litho, n_mats, n_fabs)
    fast, ref = _copies(c), _copies(c)
    kernels.step_fabs(*(fast[k] for k in FAB_ARGS + FAB_WRITES))
    kernels.step_fabs_ref(*(ref[k] for k in FAB_ARGS + FAB_WRITES))
    for k in FAB_WRITES:
        np.testing.assert_array_equal(fast[k], ref[k])


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_mats=st.integers(1, 7), n_fabs=st.integers(0, 10))
def test_deliver_materials_equals_its_twin(seed: int, n_mats: int, n_fabs: int) -> None:
    c = _fabs(seed, 0, n_mats, n_fabs)
    c["nominal"][c["mats"][0]] += 1.0  # the suppliers have capacity, as the caller checks
    fast, ref = _copies(c), _copies(c)
    kernels.deliver_materials(*(fast[k] for k in DELIVERY_ARGS), fast["delivered"])
    kernels.deliver_materials_ref(*(ref[k] for k in DELIVERY_ARGS), ref["delivered"])
    np.testing.assert_array_equal(fast["delivered"], ref["delivered"])


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_des=st.integers(1, 9),
    n_orders=st.integers(0, 120),
    idle=st.booleans(),
)
def test_buyer_mix_equals_its_twin(seed: int, n_des: int, n_orders: int, idle: bool) -> None:
    book = _book(seed, n_des, n_orders, False)
    rng = np.random.default_rng(seed + 1)
    n_rows, n_regions = book[2].shape
    sells = (rng.random((n_des, n_regions)) < 0.8).astype(float)
    allow = np.where(rng.random((n_rows, n_regions)) < 0.3, rng.uniform(0.0, 1.0), 1.0)
    output = rng.uniform(0.0, 5e3, n_des) * (rng.random(n_des) > (0.9 if idle else 0.2))
    args = (book[4], book[5], book[6], book[8], book[9], book[10], book[11])
    args = (*args, sells, allow, book[1], output)
    np.testing.assert_array_equal(kernels.buyer_mix(*args), kernels.buyer_mix_ref(*args))


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_des=st.integers(1, 9), idle=st.booleans())
def test_designer_lead_times_equal_their_twin(seed: int, n_des: int, idle: bool) -> None:
    rng = np.random.default_rng(seed)
    backlog = rng.uniform(-10.0, 1e5, n_des) * (rng.random(n_des) > 0.3)
    rate = rng.uniform(0.0, 500.0, n_des) * (rng.random(n_des) > 0.3)
    cycle = rng.uniform(30.0, 120.0, n_des)
    args = (backlog, rate, cycle, 730.0, idle)
    np.testing.assert_array_equal(
        kernels.designer_lead_times(*args), kernels.designer_lead_times_ref(*args)
    )


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_rows=st.integers(0, 30))
def test_capacity_and_health_equal_their_twins(seed: int, n_rows: int) -> None:
    rng = np.random.default_rng(seed)
    nominal = rng.uniform(0.0, 5e5, n_rows)
    litho = np.where(rng.random(n_rows) < 0.5, 1.0, rng.uniform(0.0, 1.0, n_rows))
    factor = np.where(rng.random(n_rows) < 0.5, 1.0, rng.uniform(0.0, 1.0, n_rows))
    at_risk = np.where(rng.random(n_rows) < 0.5, np.nan, rng.uniform(0.0, 1.0, n_rows))
    at_risk[rng.random(n_rows) < 0.2] = 1.0
    disruption = np.where(rng.random(n_rows) < 0.7, 0.0, rng.uniform(0.0, 1.0, n_rows))
    np.testing.assert_array_equal(
        kernels.materials_health(factor, at_risk), kernels.materials_health_ref(factor, at_risk)
    )
    args = (nominal, litho, factor, at_risk, disruption, 365.25)
    np.testing.assert_array_equal(kernels.capacity(*args), kernels.capacity_ref(*args))


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_des=st.integers(1, 9),
    n_goods=st.integers(0, 4),
    idle=st.booleans(),
)
def test_spread_output_equals_its_twin(seed: int, n_des: int, n_goods: int, idle: bool) -> None:
    rng = np.random.default_rng(seed)
    per_good = rng.integers(0, 10, n_goods)
    n_rows = n_des + int(per_good.sum())
    order = rng.permutation(n_rows).astype(np.int64)
    designers, rows = order[:n_des], order[n_des:]
    offsets = np.concatenate([[0], np.cumsum(per_good)]).astype(np.int64)
    capacity = rng.uniform(0.0, 500.0, n_rows) * (rng.random(n_rows) > (0.8 if idle else 0.1))
    produced = rng.uniform(0.0, 900.0, n_des)
    throughput = rng.uniform(0.0, 9.0, n_rows)  # a good with no capacity keeps its rows' 0
    total = rng.uniform(0.0, 9e5, n_des)
    fast = (throughput.copy(), total.copy())
    ref = (throughput.copy(), total.copy())
    head = (produced, 0.5, designers, rows, offsets, capacity)
    if not kernels.spread_output(*head, *fast):
        assert n_des >= 8 or per_good.max() >= 8
        np.testing.assert_array_equal(fast[0], throughput)  # nothing written
        np.testing.assert_array_equal(fast[1], total)
        kernels.spread_output_ref(*head, *fast)
    kernels.spread_output_ref(*head, *ref)
    np.testing.assert_array_equal(fast[0], ref[0])
    np.testing.assert_array_equal(fast[1], ref[1])


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_des=st.integers(1, 7),
    idle=st.booleans(),
    no_fabs=st.booleans(),
)
def test_lead_times_equal_their_twin(seed: int, n_des: int, idle: bool, no_fabs: bool) -> None:
    rng = np.random.default_rng(seed)
    per_good = rng.integers(0, 8, 4)
    if no_fabs:
        per_good[0] = 0
    n_rows = n_des + int(per_good.sum())
    order = rng.permutation(n_rows).astype(np.int64)
    des, rows = order[:n_des], order[n_des:]
    offsets = np.concatenate([[0], np.cumsum(per_good)]).astype(np.int64)
    cap = rng.uniform(0.0, 500.0, n_rows) * (rng.random(n_rows) > 0.2)
    possible = rng.uniform(0.0, 500.0, n_des) * (rng.random(n_des) > (0.95 if idle else 0.2))
    args = (
        cap,
        rng.uniform(30.0, 730.0, n_des),
        possible,
        rng.uniform(-5.0, 1e4, n_des) * (rng.random(n_des) > 0.5),
        rng.uniform(5.0, 120.0, n_rows),
        des,
        rows,
        offsets,
        3,
        rng.uniform(0.0, 600.0, n_rows),
        float(rng.choice([200.0, 730.0])),
    )
    got, flag = kernels.lead_times(*args)
    want, want_flag = kernels.lead_times_ref(*args)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(flag, want_flag)


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_builds=st.integers(0, 40), t=st.floats(-100.0, 4e3))
def test_built_capacity_equals_its_twin(seed: int, n_builds: int, t: float) -> None:
    rng = np.random.default_rng(seed)
    n_rows = 24
    row = rng.integers(0, n_rows, n_builds).astype(np.int64)
    online = rng.uniform(0.0, 3e3, n_builds)
    online[rng.random(n_builds) < 0.1] = t  # first output today
    ramp = rng.uniform(0.0, 900.0, n_builds) * (rng.random(n_builds) > 0.1)  # some at once
    args = (
        t,
        rng.uniform(1e3, 5e4, n_builds),
        online,
        ramp,
        row,
        rng.random(n_builds) < 0.3,
        rng.integers(0, n_rows, n_rows).astype(np.int64),
        n_rows,
    )
    got, want = kernels.built_capacity(*args), kernels.built_capacity_ref(*args)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    # and the rows' nominal capacity they make with the trend
    cap0 = rng.uniform(0.0, 5e4, n_rows) * (rng.random(n_rows) > 0.2)
    factor = rng.uniform(0.5, 3.0, n_rows)
    nominal_args = (cap0, factor, *args[:-1])
    np.testing.assert_array_equal(
        kernels.nominal(*nominal_args), kernels.nominal_ref(*nominal_args)
    )


def _route(seed: int, n_des: int, n_rows: int, free_only: bool) -> tuple[Any, ...]:
    rng = np.random.default_rng(seed)
    n_regions = 9
    designers = rng.permutation(n_rows)[:n_des].astype(np.int64)
    # a part's split as part_splits gives it: some designers out of it, one part empty now
    # and then
    parts = rng.uniform(0.0, 1.0, (2, n_des)) * (rng.random((2, n_des)) > 0.3)
    parts[rng.random(2) < 0.15] = 0.0
    quotes = rng.uniform(20.0, 800.0, n_des)
    cycle = rng.uniform(20.0, 200.0, n_rows)
    quotes[rng.random(n_des) < 0.3] = cycle[designers][rng.random(n_des) < 0.3][:1].sum()
    possible = rng.uniform(0.0, 5e3, n_des) * (rng.random(n_des) > 0.3)
    allow = np.where(rng.random((n_rows, n_regions)) < 0.3, rng.uniform(0.0, 1.0), 1.0)
    allow[rng.random(allow.shape) < 0.1] = 0.0
    sells = (rng.random((n_des, n_regions)) < 0.8).astype(float)
    native = (rng.random((n_des, n_regions)) < 0.6).astype(float)
    home = int(rng.integers(0, n_regions))
    return (parts, quotes, possible, cycle, allow, sells, native, designers, home, free_only)


@settings(max_examples=400, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_des=st.integers(1, 12),
    extra_rows=st.integers(0, 20),
    free_only=st.booleans(),
)
def test_route_split_equals_its_twin(
    seed: int, n_des: int, extra_rows: int, free_only: bool
) -> None:
    args = _route(seed, n_des, n_des + extra_rows, free_only)
    parts = args[0].copy()
    np.testing.assert_array_equal(kernels.route_split(*args), kernels.route_split_ref(*args))
    np.testing.assert_array_equal(args[0], parts)  # neither writes into the parts


def test_route_split_equals_its_twin_on_a_run_with_a_control() -> None:
    # the small world's control on China starts within the run, and re-routes its orders
    calls = calls_of(kernels, ["route_split"], ["horizon_years=0.5"])["route_split"]
    assert len(calls) > 10
    assert any(not np.all(c[4] >= 1.0) for c in calls)  # a control in force
    for args in calls:
        np.testing.assert_array_equal(kernels.route_split(*args), kernels.route_split_ref(*args))


def test_a_run_calls_the_kernels_with_what_their_twins_give(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: Counter[str] = Counter()
    fill, fit = kernels.fill_orders, kernels.fit_split

    def checked_fill(*args: Any) -> tuple[np.ndarray, np.ndarray]:
        ref_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
        got = fill(*args)
        want = kernels.fill_orders_ref(*ref_args)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        for i in WRITTEN:
            np.testing.assert_array_equal(args[i], ref_args[i])
        calls["fill"] += 1
        return got

    def checked_fit(*args: Any) -> np.ndarray:
        got = fit(*args)
        np.testing.assert_array_equal(got, kernels.fit_split_ref(*args))
        calls["fit"] += 1
        return np.asarray(got)

    def checked_in_place(name: str) -> Any:
        fast, twin = getattr(kernels, name), getattr(kernels, f"{name}_ref")

        def run(*args: Any) -> Any:
            ref_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
            done = fast(*args)
            twin(*ref_args)
            for got, want in zip(args, ref_args, strict=True):
                np.testing.assert_array_equal(got, want)
            calls[name] += 1
            return done

        return run

    def checked(name: str) -> Any:
        fast, twin = getattr(kernels, name), getattr(kernels, f"{name}_ref")

        def run(*args: Any) -> np.ndarray:
            got = fast(*args)
            np.testing.assert_array_equal(got, twin(*args))
            calls[name] += 1
            return np.asarray(got)

        return run

    for name in ("buyer_mix", "designer_lead_times", "capacity", "materials_health", "nominal"):
        monkeypatch.setattr(supply.supply_kernels, name, checked(name))
    for name in ("step_fabs", "deliver_materials", "spread_output"):
        monkeypatch.setattr(supply.supply_kernels, name, checked_in_place(name))
    lead = kernels.lead_times

    def checked_lead(*args: Any) -> tuple[np.ndarray, np.ndarray]:
        got = lead(*args)
        want = kernels.lead_times_ref(*args)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        calls["lead_times"] += 1
        return got

    monkeypatch.setattr(supply.supply_kernels, "lead_times", checked_lead)
    readings = supply.kernels_record.lead_time_readings

    def checked_readings(*args: Any) -> tuple[np.ndarray, ...]:
        # the recorder's lead times: the compiled lead_times inside one call with the other
        # lead-time rules, its result the twin's when the call's is
        got = readings(*args)
        want = supply.kernels_record.lead_time_readings_ref(*args)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
        calls["lead_times"] += 1
        return got

    monkeypatch.setattr(supply.kernels_record, "lead_time_readings", checked_readings)
    monkeypatch.setattr(supply.supply_kernels, "fill_orders", checked_fill)
    monkeypatch.setattr(supply.supply_kernels, "fit_split", checked_fit)
    ecosim.simulate(ecosim.load_scenario(SMALL, ["horizon_years=1"]))
    assert calls["fill"] > 100
    assert calls["step_fabs"] > 100
    assert calls["buyer_mix"] > 100
    assert calls["designer_lead_times"] > 100
    assert calls["capacity"] > 100
    assert calls["nominal"] > 100
    assert calls["spread_output"] > 100
    assert calls["lead_times"] > 100

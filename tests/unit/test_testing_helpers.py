"""The public test helpers of :mod:`ecosim.testing`, on small synthetic datasets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosim.scenario.loader import load_scenario
from ecosim.testing import (
    NON_NEGATIVE,
    VOLATILE_ATTRS,
    assert_invariants,
    assert_runs_identical,
    scenario_overrides,
    yaml_float,
)

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
SMALL_REGIONS = ["US", "CN", "TW"]

REGIONS = ["US", "EU"]
LAYERS = ["compute", "data", "software", "models", "operations"]
PROVIDERS = ["aws", "ovh", "outside"]
GOODS = ["accelerator", "wafer"]
N_TIME = 4


def synthetic() -> xr.Dataset:
    """A tiny dataset shaped like a run result that keeps every invariant."""
    rng = np.random.default_rng(7)
    nt, nr, nl, npv = N_TIME, len(REGIONS), len(LAYERS), len(PROVIDERS)
    shares = rng.random((nt, nr, npv))
    shares /= shares.sum(axis=-1, keepdims=True)
    rl = rng.random((nr, nl))
    rl[1] = 0.0  # a region without loss: its bottleneck row sums to 0
    total = rl.sum(axis=1, keepdims=True)
    bottleneck = np.where(total > 0, rl / np.where(total > 0, total, 1.0), 0.0)

    def var(dims: tuple[str, ...], values: np.ndarray, units: str) -> tuple[object, ...]:
        return (dims, values, {"units": units, "long_name": f"synthetic {units}"})

    data = {
        "service": var(("time", "region", "layer"), rng.random((nt, nr, nl)), "1"),
        "service_direct": var(("time", "region", "layer"), rng.random((nt, nr, nl)), "1"),
        "market_share": var(("time", "region", "provider"), shares, "1"),
        "capacity_own": var(("time", "region"), rng.random((nt, nr)) * 1e4, "H100e"),
        "capacity_cloud": var(("time", "region"), rng.random((nt, nr)) * 1e4, "H100e"),
        "demand": var(("time", "region"), 1e4 + rng.random((nt, nr)), "H100e"),
        "backlog": var(("time", "region"), np.zeros((nt, nr)), "H100e d"),
        "lead_time": var(("time", "good"), rng.random((nt, len(GOODS))) * 100, "d"),
        "lead_time_capped": var(("time", "good"), np.zeros((nt, len(GOODS)), bool), "1"),
        "bottleneck": var(("region", "layer"), bottleneck, "1"),
        "most_fragile_layer": var(("region",), np.array(["compute", "none"], dtype=object), "1"),
    }
    coords = {
        "time": np.arange(N_TIME).astype("datetime64[D]").astype("datetime64[ns]"),
        "day": ("time", np.arange(N_TIME, dtype=float), {"units": "d", "long_name": "day"}),
        "region": np.array(REGIONS, dtype=object),
        "layer": np.array(LAYERS, dtype=object),
        "provider": np.array(PROVIDERS, dtype=object),
        "good": np.array(GOODS, dtype=object),
    }
    attrs = {
        "scenario_name": "synthetic",
        "seed_entropy": "1",
        "future": 0,
        "started_utc": "2025-01-01T00:00:00+00:00",
        "finished_utc": "2025-01-01T00:00:01+00:00",
        "wall_time_s": 1.0,
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


# --------------------------------------------------------------------------- assert_invariants


def test_invariants_hold_on_a_valid_dataset() -> None:
    assert_invariants(synthetic())


def test_invariants_accept_a_dataset_without_bottleneck() -> None:
    assert_invariants(synthetic().drop_vars("bottleneck"))


def _set(ds: xr.Dataset, name: str, index: tuple[int, ...], value: float) -> xr.Dataset:
    ds = ds.copy(deep=True)
    ds[name].values[index] = value
    return ds


@pytest.mark.parametrize(
    ("name", "index", "value"),
    [
        ("service", (0, 0, 0), 1.0000001),
        ("service", (1, 1, 2), -1e-12),
        ("service_direct", (2, 0, 4), 1.5),
        ("service_direct", (3, 1, 0), -0.2),
    ],
)
def test_invariants_catch_service_outside_unit_interval(
    name: str, index: tuple[int, ...], value: float
) -> None:
    with pytest.raises(AssertionError, match=name):
        assert_invariants(_set(synthetic(), name, index, value))


def test_invariants_catch_market_shares_not_summing_to_one() -> None:
    ds = synthetic()
    ds["market_share"].values[1, 0] *= 1.0 + 1e-6
    with pytest.raises(AssertionError, match=r"market_share.*sum to 1"):
        assert_invariants(ds)


def test_invariants_allow_rounding_in_market_share_sums() -> None:
    ds = synthetic()
    ds["market_share"].values[1, 0, 0] += 1e-12
    assert_invariants(ds)


def test_invariants_catch_market_share_outside_unit_interval() -> None:
    ds = synthetic()
    # still sums to 1, but two shares leave [0, 1]
    ds["market_share"].values[0, 0] = [1.2, -0.2, 0.0]
    with pytest.raises(AssertionError, match="market_share"):
        assert_invariants(ds)


@pytest.mark.parametrize("name", NON_NEGATIVE)
def test_invariants_catch_negative_quantities(name: str) -> None:
    with pytest.raises(AssertionError, match=f"{name}.*negative"):
        assert_invariants(_set(synthetic(), name, (2, 1), -1e-9))


@pytest.mark.parametrize("name", ["demand", "service", "bottleneck", "day"])
def test_invariants_catch_nan(name: str) -> None:
    ds = synthetic()
    ds[name].values.reshape(-1)[0] = np.nan
    with pytest.raises(AssertionError, match=f"{name}.*NaN"):
        assert_invariants(ds)


def test_invariants_catch_nan_in_a_variable_with_no_other_check() -> None:
    ds = synthetic()
    ds["extra"] = (("region",), np.array([0.5, np.nan]), {"units": "1", "long_name": "extra"})
    with pytest.raises(AssertionError, match=r"extra.*NaN"):
        assert_invariants(ds)


@pytest.mark.parametrize("attr", ["units", "long_name"])
def test_invariants_catch_missing_metadata(attr: str) -> None:
    ds = synthetic()
    del ds["lead_time_capped"].attrs[attr]
    with pytest.raises(AssertionError, match=f"lead_time_capped.*{attr}"):
        assert_invariants(ds)


def test_invariants_catch_a_bottleneck_row_not_summing_to_one_or_zero() -> None:
    ds = synthetic()
    ds["bottleneck"].values[0] *= 0.5
    with pytest.raises(AssertionError, match="bottleneck"):
        assert_invariants(ds)


def test_invariants_check_the_direct_bottleneck_too() -> None:
    ds = synthetic()
    ds["bottleneck_direct"] = ds["bottleneck"] * 0.9
    with pytest.raises(AssertionError, match="bottleneck_direct"):
        assert_invariants(ds)


def test_invariants_require_the_core_variables() -> None:
    with pytest.raises(AssertionError, match="backlog"):
        assert_invariants(synthetic().drop_vars("backlog"))


def test_invariants_hold_on_a_real_run(small_run: xr.Dataset) -> None:
    assert_invariants(small_run)


# --------------------------------------------------------------------------- assert_runs_identical


def test_identical_runs_pass() -> None:
    assert_runs_identical(synthetic(), synthetic())


def test_volatile_attributes_are_ignored() -> None:
    b = synthetic()
    b.attrs.update(
        started_utc="2030-01-01T00:00:00+00:00", finished_utc="2030-01-02", wall_time_s=99.5
    )
    assert {"started_utc", "finished_utc", "wall_time_s"} == VOLATILE_ATTRS
    assert_runs_identical(synthetic(), b)
    del b.attrs["wall_time_s"]
    assert_runs_identical(synthetic(), b)


def test_other_dataset_attributes_are_compared() -> None:
    b = synthetic()
    b.attrs["seed_entropy"] = "2"
    with pytest.raises(AssertionError, match="seed_entropy"):
        assert_runs_identical(synthetic(), b)
    c = synthetic()
    c.attrs["extra"] = 1
    with pytest.raises(AssertionError, match="extra"):
        assert_runs_identical(synthetic(), c)


def test_first_differing_variable_is_named() -> None:
    b = synthetic()
    b["demand"].values[3, 1] = np.nextafter(b["demand"].values[3, 1], np.inf)
    b["lead_time"].values[0, 0] += 1.0
    with pytest.raises(AssertionError, match=r"variable 'demand'.*\(3, 1\)"):
        assert_runs_identical(synthetic(), b)


def test_comparison_is_bit_for_bit() -> None:
    a, b = synthetic(), synthetic()
    a["backlog"].values[0, 0] = 0.0
    b["backlog"].values[0, 0] = -0.0
    with pytest.raises(AssertionError, match="backlog"):
        assert_runs_identical(a, b)


def test_equal_nans_are_identical() -> None:
    a, b = synthetic(), synthetic()
    a["demand"].values[0, 0] = np.nan
    b["demand"].values[0, 0] = np.nan
    assert_runs_identical(a, b)


def test_object_arrays_are_compared() -> None:
    b = synthetic()
    b["most_fragile_layer"].values[1] = "data"
    with pytest.raises(AssertionError, match="most_fragile_layer"):
        assert_runs_identical(synthetic(), b)


def test_labels_as_objects_equal_the_same_labels_as_strings() -> None:
    b = synthetic()
    b = b.assign_coords(region=np.array(REGIONS, dtype=str))
    b["most_fragile_layer"] = b["most_fragile_layer"].astype(str)
    assert_runs_identical(synthetic(), b)


def test_coordinates_are_compared() -> None:
    b = synthetic().assign_coords(region=np.array(["US", "UK"], dtype=object))
    with pytest.raises(AssertionError, match="coordinate 'region'"):
        assert_runs_identical(synthetic(), b)
    c = synthetic()
    c["day"].values[2] = 2.5
    with pytest.raises(AssertionError, match="coordinate 'day'"):
        assert_runs_identical(synthetic(), c)


def test_variable_sets_are_compared() -> None:
    b = synthetic().drop_vars("backlog")
    with pytest.raises(AssertionError, match="backlog"):
        assert_runs_identical(synthetic(), b)
    with pytest.raises(AssertionError, match="backlog"):
        assert_runs_identical(b, synthetic())


def test_dtypes_and_variable_attributes_are_compared() -> None:
    b = synthetic()
    b["demand"] = b["demand"].astype(np.float32)
    with pytest.raises(AssertionError, match=r"demand.*dtype"):
        assert_runs_identical(synthetic(), b)
    c = synthetic()
    c["demand"].attrs["units"] = "GW"
    with pytest.raises(AssertionError, match=r"demand.*units"):
        assert_runs_identical(synthetic(), c)


# --------------------------------------------------------------------------- scenario_overrides


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_yaml_float_reads_back_as_the_same_float(x: float) -> None:
    assert yaml.safe_load(yaml_float(x)) == x


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_overrides(SMALL_REGIONS))
def test_scenario_overrides_keep_the_scenario_valid(overrides: list[str]) -> None:
    keys = [o.partition("=")[0] for o in overrides]
    assert len(keys) == len(set(keys))
    scenario = load_scenario(SMALL, overrides).scenario
    for text in overrides:
        key, _, raw = text.partition("=")
        node: object = scenario
        for part in key.split("."):
            node = node[part] if isinstance(node, dict) else getattr(node, part)
        assert node == yaml.safe_load(raw), text


@given(scenario_overrides([]))
def test_scenario_overrides_without_regions_draw_only_scenario_wide_keys(
    overrides: list[str],
) -> None:
    assert all(o.startswith(("seed=", "uncertainties.demand_growth_scale=")) for o in overrides)


@given(scenario_overrides(["US", "EU", "CN"], max_regions=1))
def test_scenario_overrides_respect_max_regions(overrides: list[str]) -> None:
    regions = {o.split(".")[1] for o in overrides if o.startswith("regions.")}
    assert len(regions) <= 1

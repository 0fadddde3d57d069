"""Replicates stack single runs exactly; a compute-only shock ranks compute first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ecosim import load_scenario, simulate
from ecosim.kernels.metrics import MEASURED, NOT_RECOVERED
from ecosim.observe.summary import QUANTILES, summarize
from ecosim.studies.replicates import run_replicates
from ecosim.testing import assert_invariants
from tests.conftest import SMALL

SHORT = ["horizon_years=0.3"]


def test_replicate_k_of_n_equals_the_single_run_seeded_as_k() -> None:
    loaded = load_scenario(SMALL, SHORT)
    stacked = run_replicates(loaded, 2)
    single = simulate(loaded, replicate=1)
    assert stacked.sizes["replicate"] == 2
    assert stacked.attrs["replicates"] == 2
    one = stacked.sel(replicate=1)
    for name, var in single.data_vars.items():
        assert one[name].dims == var.dims, name
        a, b = np.asarray(one[name].values), np.asarray(var.values)
        if a.dtype.kind in "fiub":
            assert a.tobytes() == b.tobytes(), name
        else:
            assert np.array_equal(a, b), name
    assert not np.array_equal(
        stacked["compute_requested"].sel(replicate=0), stacked["compute_requested"].sel(replicate=1)
    )
    assert_invariants(stacked)
    # the summary: quantiles of every metric, P(TTS < TTR), and the bottleneck over replicates
    assert list(stacked["quantile"].values) == list(QUANTILES)
    for name in ("resilience_loss_q", "tts_q", "ttr_q", "annual_resilience_q", "hhi_mean_q"):
        assert name in stacked and stacked[name].attrs["units"], name
    p = stacked["p_tts_lt_ttr"].values
    assert ((p >= 0) & (p <= 1)).all()
    # every replicate names one layer or none: the shares sum to one
    fragile = stacked["p_most_fragile"].sum("layer") + stacked["p_no_loss"]
    np.testing.assert_allclose(fragile.values, 1.0)
    ci = stacked["p_most_fragile_interval"]
    assert (ci.sel(bound="low") <= stacked["p_most_fragile"]).all()
    assert (stacked["p_most_fragile"] <= ci.sel(bound="high")).all()
    mean = stacked["resilience_loss"].mean("replicate")
    np.testing.assert_allclose(stacked["resilience_loss_mean"], mean)


def test_summary_of_a_single_run_treats_it_as_one_replicate(small_run) -> None:  # type: ignore[no-untyped-def]
    summary = summarize(small_run)
    q = summary["resilience_loss_q"].values
    np.testing.assert_array_equal(q[0], q[2])  # one replicate: every quantile is that run
    rl = small_run["resilience_loss"].values
    np.testing.assert_array_equal(q[1], rl)


def test_metrics_are_censored_never_nan(small_run) -> None:  # type: ignore[no-untyped-def]
    ds = small_run
    assert_invariants(ds)
    for name in ("tts", "ttr", "recovery_time", "recovery_ratio"):
        for var in (name, f"{name}_by_shock"):
            flags = ds[f"{var}_censored"].values
            assert set(np.unique(flags)) <= {0, 1, 2, 3, 4}
            assert ds[f"{var}_censored"].attrs["flag_meanings"].startswith("measured no_shock")
            values = ds[var].values
            assert np.isfinite(values).all()
            # missing values hold the documented fill
            missing = (flags == 1) | (flags == 4)
            assert (values[missing] == ds[var].attrs["missing_fill"]).all()
    assert ds.attrs["main_shock"] == "cn_controls"  # the earliest start of small.yaml
    # China's compute, hit by permanent controls, falls more than 5 % below its no-shock twin
    # after months (measured: 208 days, as the stock ages and growth goes unmet: Huawei's
    # quote is at the cap and NVIDIA sells only the compliant share) and has not recovered
    # by the end of this one year: the time to survive is measured, the time to recover is
    # censored at the days observed
    cn = {"region": "CN", "layer": "compute"}
    assert float(ds["resilience_loss"].sel(cn)) > 0.0
    assert int(ds["tts_censored"].sel(cn)) == MEASURED
    assert 30.0 < float(ds["tts"].sel(cn)) < 300.0
    assert int(ds["ttr_censored"].sel(cn)) == NOT_RECOVERED
    assert float(ds["ttr"].sel(cn)) > float(ds["tts"].sel(cn))
    assert str(ds["most_fragile_layer"].sel(region="CN").values) == "compute"


@pytest.fixture
def compute_only(tmp_path: Path) -> Path:
    """The small world with one shock: US clouds withdrawn from Taiwan."""
    path = tmp_path / "cut.yaml"
    path.write_text(
        f"extends: {SMALL}\n"
        "name: cloud_cut_tw\n"
        "shocks:\n"
        "  - id: cut\n"
        "    type: cloud_cutoff\n"
        "    providers: [aws, azure, gcp, oracle, us_others]\n"
        "    regions: [TW]\n"
        "    grade: withdrawal\n"
        "    start: 2025-02-01\n"
        "    duration: {kind: fixed, days: 60}\n"
    )
    return path


def test_a_compute_only_shock_makes_compute_the_most_fragile(compute_only: Path) -> None:
    # replicas everywhere: the data layer is immune to the withdrawal, only compute is hit
    loaded = load_scenario(compute_only, ["horizon_years=0.4", "regions.TW.data.replica_share=1"])
    ds = simulate(loaded)
    fragile = str(ds["most_fragile_layer"].sel(region="TW").values)
    assert fragile in {"compute", "models", "software"}, fragile
    rl = ds["resilience_loss"].sel(region="TW")
    assert float(rl.sel(layer="compute")) > float(rl.sel(layer="data"))
    # restoring the element takes at least the 60 days the withdrawal lasts
    at = {"shock": "cut", "region": "TW", "layer": "compute"}
    assert int(ds["ttr_by_shock_censored"].sel(at)) in {MEASURED, NOT_RECOVERED}
    assert float(ds["ttr_by_shock"].sel(at)) >= 60.0

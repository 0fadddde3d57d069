"""``ecosim analyze``: lever combinations named by their settings, honest robustness axes, and
Sobol' indices from the shipped Saltelli example (shrunk to a few short runs here)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import yaml

from ecosim.experiments.analysis import robustness_figure
from ecosim.experiments.design import expand
from ecosim.experiments.sweepfile import read_sweep
from tests.experiments.conftest import ROOT, SMALL, run_cli

SOBOL_EXAMPLE = ROOT / "scenarios" / "sweeps" / "small_fab_sobol.yaml"
LEVER = "regions.TW.levers.build_share"


def test_analyze_names_lever_combinations_by_their_settings(
    reference_store: Path, tmp_path: Path
) -> None:
    out = run_cli("analyze", str(reference_store), "--out", str(tmp_path), check=True)
    lines = out.stdout.splitlines()
    assert any(f"{LEVER}=0.3" in x and "maximum regret" in x for x in lines), out.stdout
    assert any(f"{LEVER}=0.7" in x and "maximum regret" in x for x in lines), out.stdout
    assert not any("lever combination 0" in x or "combination 1 " in x for x in lines)
    # the tiny sweep is a Latin hypercube: no indices, and the way to get them is named
    assert any("small_fab_sobol.yaml" in x for x in lines if x.startswith("sensitivity: none"))
    rob = pd.read_csv(tmp_path / "robustness.csv")
    assert set(rob["levers"]) == {f"{LEVER}=0.3", f"{LEVER}=0.7"}


def test_robustness_axes_start_at_zero() -> None:
    # two combinations 0.04 d apart: from zero the gap looks as small as it is
    rob = pd.DataFrame(
        {
            "region": ["all", "all"],
            "levers": [f"{LEVER}=0.3", f"{LEVER}=0.7"],
            "mean_rl_days": [12.50, 12.54],
            "max_regret_days": [0.0, 0.04],
        }
    )
    fig = robustness_figure(rob)
    try:
        ax = fig.axes[0]
        assert ax.get_xlim()[0] == 0.0 and ax.get_ylim()[0] == 0.0
        assert ax.get_xlim()[1] >= 12.54
        assert {t.get_text() for t in ax.texts} == set(rob["levers"])
        assert "0.04 d" in ax.get_title()
    finally:
        plt.close(fig)


def test_the_shipped_sobol_example_is_a_saltelli_design_of_a_few_minutes() -> None:
    sweep = read_sweep(SOBOL_EXAMPLE).spec
    assert sweep.design.kind == "sobol"
    table = expand(sweep)
    d = len(sweep.uncertainties)
    per_base = 2 * d + 2 if sweep.design.second_order else d + 2
    assert table.n_futures == sweep.design.n * per_base
    header = SOBOL_EXAMPLE.read_text().split("\nbase:")[0]
    assert f"{table.n_runs} runs" in header and "minutes on 2 cores" in header


@pytest.fixture(scope="module")
def tiny_sobol(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped example with base 2, one lever value and a 10-month world: 8 short runs.

    Ten months, so that the quake's lost wafers (TSMC's 90-day cycle) reach service within the
    run: in five, each provider's regional headroom still covers them and no future differs.
    """
    spec = yaml.safe_load(SOBOL_EXAMPLE.read_text())
    spec["base"] = str(SMALL)
    spec["overrides"] = ["horizon_years=0.8", "recording.interval_days=7"]
    spec["design"]["n"] = 2
    spec["levers"] = {LEVER: [0.3]}
    # a quake of fixed length, so two uncertainties remain and every run sees the quake
    del spec["uncertainties"]["shocks.fab_quake.duration.days"]
    folder = tmp_path_factory.mktemp("sobol")
    path = folder / "tiny_sobol.yaml"
    path.write_text(yaml.safe_dump(spec))
    store = folder / "tiny_sobol.zarr"
    run_cli("sweep", str(path), "--out", str(store), "-q", check=True)
    return store


def test_a_saltelli_sweep_yields_sobol_indices(tiny_sobol: Path, tmp_path: Path) -> None:
    out = run_cli("analyze", str(tiny_sobol), "--out", str(tmp_path), check=True)
    assert "sensitivity (ST of resilience_loss" in out.stdout, out.stdout
    assert "sensitivity: none" not in out.stdout
    sens = pd.read_csv(tmp_path / "sensitivity.csv")
    assert {"S1", "ST"} <= set(sens["index"])
    assert set(sens["levers"]) == {f"{LEVER}=0.3"}
    assert set(sens["uncertainty"]) == {
        "shocks.fab_quake.capacity_loss",
        "regions.US.demand.growth_per_year",
    }

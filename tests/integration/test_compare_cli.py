"""``ecosim compare`` on two portfolios of the small world."""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from tests.conftest import SMALL
from tests.integration.test_cli_run import _ecosim


def _portfolio(tmp_path: Path, name: str, build_share: float) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"extends: {SMALL}\nname: {name}\nhorizon_years: 2.1\n"
        "regions:\n"
        f"  US: {{levers: {{build_share: {build_share}}}}}\n"
        f"  TW: {{levers: {{build_share: {build_share}}}}}\n"
    )
    return path


def test_compare_marks_a_pareto_front_and_a_choice(tmp_path: Path) -> None:
    buy, build = _portfolio(tmp_path, "buy", 0.2), _portfolio(tmp_path, "build", 0.8)
    out = tmp_path / "cmp"
    proc = _ecosim("compare", str(buy), str(build), "--horizons", "2026,2030", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Minimax-regret choice:" in proc.stdout
    assert "Pareto" in proc.stdout
    assert "horizons outside the run, left out: 2030" in proc.stdout
    assert (out / "compare_cost_resilience.png").stat().st_size > 5_000
    assert (out / "compare_cost_resilience.svg").is_file()
    with xr.open_dataset(out / "compare.nc", engine="h5netcdf") as cmp:
        assert list(cmp["portfolio"].values) == ["buy", "build"]
        assert cmp.attrs["reference"] == "buy"
        assert float(cmp["gain"].sel(portfolio="buy").max()) == 0.0
        assert cmp["pareto"].values.astype(bool).any()
        assert list(cmp["horizon_year"].values) == [2026]
        # the builder spends differently from the buyer: the levers act (compare counts the
        # annualised cost, in which a site costs from when it is live: its first sites go live
        # in the second year)
        costs = cmp["cost_mean"].values[:, 0]
        assert costs[0] != costs[1]
    plot = _ecosim("plot", str(out / "compare.nc"), "--out", str(tmp_path / "figs"))
    assert plot.returncode == 0, plot.stderr
    assert (tmp_path / "figs" / "compare_cost_resilience.png").is_file()


def test_compare_rejects_bad_horizons(tmp_path: Path) -> None:
    proc = _ecosim("compare", str(SMALL), "--horizons", "soon")
    assert proc.returncode == 2
    assert "--horizons" in proc.stderr

"""``ecosim run --replicates``, ``plot`` and ``report``, and the report in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import chromium
from tests.conftest import SMALL
from tests.integration.test_cli_run import _ecosim


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "small.nc"
    proc = _ecosim(
        "run", str(SMALL), "--out", str(out), "--replicates", "2", "--set", "horizon_years=0.3"
    )
    assert proc.returncode == 0, proc.stderr
    assert "replicate mean of 2" in proc.stdout
    assert "Most fragile layer per region:" in proc.stdout
    assert (out.parent / "small_bottleneck.png").stat().st_size > 10_000
    return out


def test_plot_writes_every_figure(result: Path, tmp_path: Path) -> None:
    proc = _ecosim("plot", str(result), "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    for figure in ("bottleneck", "service", "market_shares", "lead_time"):
        for suffix in ("png", "svg"):
            assert (tmp_path / f"small_{figure}.{suffix}").stat().st_size > 5_000, figure


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two portfolios of the small world over a year and a month (1 January 2026 inside)."""
    folder = tmp_path_factory.mktemp("compare")
    spread = folder / "spread.yaml"
    spread.write_text(
        f"extends: {SMALL}\nname: spread\nregions: {{TW: {{levers: {{multi_cloud: 0.8}}}}}}\n",
        encoding="utf-8",
    )
    proc = _ecosim(
        "compare",
        str(SMALL),
        str(spread),
        "--region",
        "TW",
        "--horizons",
        "2026",
        "--set",
        "horizon_years=1.1",
        "--set",
        "recording.interval_days=7",
        "--out",
        str(folder),
        "--quiet",
    )
    assert proc.returncode == 0, proc.stderr
    assert (folder / "compare_gains_by_horizon.png").stat().st_size > 5_000
    return folder / "compare.nc"


def test_report_opens_in_headless_chromium(result: Path, comparison: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    proc = _ecosim("report", str(result), "--out", str(html), "--compare", str(comparison))
    assert proc.returncode == 0, proc.stderr
    text = html.read_text(encoding="utf-8")
    # conditional results come before any probability
    assert text.index("If these shocks happen") < text.index("How likely")
    assert "default numbers are assumptions" in text
    assert "http://" not in text and "https://" not in text  # self-contained

    with chromium({"browser": "ALL"}) as driver:
        driver.get(html.resolve().as_uri())
        widths = driver.execute_script(
            "return Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0);"
        )
        assert widths and all(w > 0 for w in widths), widths
        assert driver.find_elements("id", "bottleneck-table")
        rows = driver.find_elements("css selector", "#bottleneck-table tbody tr")
        assert len(rows) == 3
        # every figure says in a full sentence what it shows and how to read it
        captions = [e.text for e in driver.find_elements("css selector", "figcaption")]
        assert len(captions) == len(widths)
        assert all(len(c.split()) >= 8 and c.rstrip().endswith(".") for c in captions)
        # the comparison by horizon, with its extra cost and regret
        head = driver.find_element("css selector", "#compare-table thead").text
        for column in ("gain by 2026", "extra cost", "gain per bn USD/yr by 2026", "regret"):
            assert column in head, head
        assert len(driver.find_elements("css selector", "#compare-table tbody tr")) == 2
        # times to survive and recover, per shock, in words
        times = driver.find_element("id", "times").text
        assert "fab_quake" in times and "cn_controls" in times
        severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert not severe, severe

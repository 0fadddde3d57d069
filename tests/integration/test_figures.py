"""The figures of a run: every file written and small, and each figure saying what it shows.

The figures are drawn from real runs of the small scenario (one year, and ten years for file
sizes) and inspected through their Matplotlib artists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.colors import LogNorm, SymLogNorm, to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ecosim.viz import write_figures
from ecosim.viz._common import BAND_LABEL, SHOCK_COLOUR, shock_spans, when
from ecosim.viz.bottleneck import draw_bottleneck
from ecosim.viz.lead_time import draw_lead_times
from ecosim.viz.markets import OUTSIDE_COLOUR, draw_market_shares, provider_colours
from ecosim.viz.service import draw_service, draw_service_by_workload, draw_shortfall
from tests.conftest import SMALL

Draw = Callable[[xr.Dataset], Figure]
FIGURES = (
    "bottleneck",
    "service",
    "service_by_workload",
    "shortfall",
    "market_shares",
    "lead_time",
)
SVG_LIMIT = 2_000_000
PNG_LIMIT = 1_500_000


@pytest.fixture(scope="module")
def ten_years() -> xr.Dataset:
    """The small scenario over ten years: about 3,650 daily points per series."""
    from ecosim import load_scenario, simulate

    return simulate(load_scenario(SMALL, ["horizon_years=10"]))


@pytest.fixture(scope="module")
def with_replicates() -> xr.Dataset:
    """Two replicates of half a year of the small scenario."""
    from ecosim import load_scenario
    from ecosim.studies.replicates import run_replicates

    return run_replicates(load_scenario(SMALL, ["horizon_years=0.5"]), 2)


@pytest.fixture
def figures() -> Iterator[list[Figure]]:
    """Figures a test draws are appended here and closed after it."""
    drawn: list[Figure] = []
    yield drawn
    for fig in drawn:
        plt.close(fig)


def _bottleneck_view(ds: xr.Dataset) -> xr.Dataset:
    from ecosim.observe.summary import bottleneck_view

    return bottleneck_view(ds)


def _panels(fig: Figure, ds: xr.Dataset) -> list[plt.Axes]:
    regions = {str(r) for r in ds["region"].values}
    # panel titles start with the region ("EU" or "EU (HHI ...)")
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_title().split(" ")[0] in regions]


def _caption(fig: Figure) -> str:
    return " ".join(t.get_text() for t in fig.texts)


def _check_files(written: list[Path], stem: str, out: Path) -> None:
    expected = {out / f"{stem}_{f}.{s}" for f in FIGURES for s in ("png", "svg")}
    assert set(written) == expected
    for path in expected:
        size = path.stat().st_size
        assert size > 5_000, path  # a real picture, not an empty canvas
        limit = SVG_LIMIT if path.suffix == ".svg" else PNG_LIMIT
        assert size < limit, f"{path.name}: {size} bytes"


def test_every_figure_is_written_and_small(small_run: xr.Dataset, tmp_path: Path) -> None:
    _check_files(write_figures(small_run, tmp_path, "small"), "small", tmp_path)


def test_ten_years_of_daily_series_stay_under_two_megabytes(
    ten_years: xr.Dataset, tmp_path: Path
) -> None:
    written = write_figures(ten_years, tmp_path, "long")
    _check_files(written, "long", tmp_path)
    # the daily market shares are an embedded image in the SVG, not 100,000 vector points
    svg = (tmp_path / "long_market_shares.svg").read_text(encoding="utf-8")
    assert "<image" in svg


def test_figures_leave_the_dataset_unchanged(small_run: xr.Dataset, tmp_path: Path) -> None:
    before = small_run.copy(deep=True)
    write_figures(small_run, tmp_path, "small")
    xr.testing.assert_identical(small_run, before)


def test_heatmap_colours_on_a_log_scale_shared_by_all_regions(
    small_run: xr.Dataset, figures: list[Figure]
) -> None:
    view = _bottleneck_view(small_run)
    fig = draw_bottleneck(view)
    figures.append(fig)
    ax = fig.axes[0]
    assert len(ax.images) == 1  # one image, so one colour scale for every region
    norm = ax.images[0].norm
    assert isinstance(norm, LogNorm | SymLogNorm)
    values = view["resilience_loss"].transpose("region", "layer").values
    assert norm.vmin == 0.0
    assert norm.vmax is not None and norm.vmax >= float(values.max())
    # equal ratios of loss are equal steps of colour above the linear part
    if isinstance(norm, SymLogNorm):
        steps = np.diff(np.asarray(norm(np.array([1.0, 10.0, 100.0]))))
        assert steps[0] == pytest.approx(steps[1], rel=1e-6)
    # each cell prints the loss in days (raw, not normalised)
    cells = [t.get_text() for t in ax.texts if t.get_text().endswith(" d")]
    assert len(cells) == values.size
    for text, value in zip(cells, values.ravel(), strict=True):
        printed = text.split("\n")[-1].removesuffix(" d")
        if printed.startswith("<") or printed == "≈0":
            assert abs(value) < 0.01
        else:
            assert float(printed) == pytest.approx(value, rel=0.05, abs=0.01)


def test_every_provider_has_its_own_colour(small_run: xr.Dataset, figures: list[Figure]) -> None:
    fig = draw_market_shares(small_run)
    figures.append(fig)
    providers = [str(p) for p in small_run["provider"].values]
    for ax in _panels(fig, small_run):
        colours = [to_hex(c.get_facecolor()[0], keep_alpha=False) for c in ax.collections]
        assert len(colours) == len(providers)
        assert len(set(colours)) == len(providers), colours
        assert colours[providers.index("outside")] == OUTSIDE_COLOUR
    many = provider_colours([f"p{i}" for i in range(30)] + ["outside"])
    assert len(set(many.values())) == 31
    r, g, b = to_rgb(many["outside"])
    assert r == g == b  # neutral grey


@pytest.mark.parametrize(
    "draw",
    [
        draw_bottleneck,
        draw_service,
        draw_service_by_workload,
        draw_shortfall,
        draw_market_shares,
        draw_lead_times,
    ],
)
def test_no_axis_uses_an_offset(draw: Draw, small_run: xr.Dataset, figures: list[Figure]) -> None:
    ds = _bottleneck_view(small_run) if draw is draw_bottleneck else small_run
    fig = draw(ds)
    figures.append(fig)
    fig.canvas.draw()
    for ax in fig.axes:
        assert ax.xaxis.get_offset_text().get_text() == "", ax.get_title()
        assert ax.yaxis.get_offset_text().get_text() == "", ax.get_title()


def test_shortfall_axes_carry_their_unit(small_run: xr.Dataset, figures: list[Figure]) -> None:
    fig = draw_shortfall(small_run)
    figures.append(fig)
    fig.canvas.draw()
    for ax in _panels(fig, small_run):
        assert re.fullmatch(r"((thousand|million|billion) )?H100e", ax.get_ylabel())
        low, high = ax.get_ylim()
        ticks = [
            t.get_text().replace("−", "-")
            for t, at in zip(ax.get_yticklabels(), ax.get_yticks(), strict=True)
            if low <= at <= high
        ]
        assert ticks
        # the unit word takes the scale: ticks read 0-999, not 1200000 or 1.2e6
        assert all(abs(float(t.replace(",", ""))) < 1000 for t in ticks), ticks


def _shading(ax: plt.Axes) -> list[tuple[float, float]]:
    shock = to_rgb(SHOCK_COLOUR)
    spans = []
    for patch in ax.patches:
        if isinstance(patch, Rectangle) and to_rgb(patch.get_facecolor()) == shock:
            spans.append((patch.get_x(), patch.get_x() + patch.get_width()))
    return sorted(spans)


@pytest.mark.parametrize(
    "draw", [draw_service, draw_service_by_workload, draw_shortfall, draw_market_shares]
)
def test_a_shock_is_shaded_only_while_it_is_active(
    draw: Draw, small_run: xr.Dataset, figures: list[Figure]
) -> None:
    spans = shock_spans(small_run)
    permanent = [start for _, start, end in spans if end is None]
    finite = [(start, end) for _, start, end in spans if end is not None]
    assert permanent and finite  # the small scenario has both kinds
    last = float(small_run["day"].values[-1])

    def x(day: float) -> float:
        return float(mdates.date2num(when(small_run, day)))

    expected = sorted((x(s), x(min(e, last))) for s, e in finite)
    fig = draw(small_run)
    figures.append(fig)
    panels = _panels(fig, small_run)
    assert panels
    for ax in panels:
        shaded = _shading(ax)
        assert len(shaded) == len(expected)
        assert np.ravel(shaded) == pytest.approx(np.ravel(expected))
        for start in permanent:
            assert all(abs(left - x(start)) > 1e-6 for left, _ in shaded)
            # the permanent shock is still marked: a line at its start
            starts = [
                float(np.asarray(line.get_xdata(), dtype=np.float64)[0])
                for line in ax.lines
                if line.get_linestyle() == "--"
            ]
            assert any(abs(s - x(start)) < 1e-6 for s in starts)
        covered = sum(right - left for left, right in shaded)
        assert covered < 0.5 * (x(last) - x(0.0))


def test_shock_key_gives_dates_and_says_permanent(
    small_run: xr.Dataset, figures: list[Figure]
) -> None:
    fig = draw_service(small_run)
    figures.append(fig)
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    spans = shock_spans(small_run)
    for sid, start, end in spans:
        (entry,) = [t for t in texts if f" {sid}:" in t]
        date = str(when(small_run, start).astype("datetime64[D]"))
        assert date in entry
        assert ("permanent" in entry) == (end is None)


def test_service_is_monthly_and_says_what_it_leaves_out(
    small_run: xr.Dataset, figures: list[Figure]
) -> None:
    from ecosim import load_scenario

    window = load_scenario(SMALL).scenario.recording.service_window_days
    fig = draw_service(small_run)
    figures.append(fig)
    first_kept = when(small_run, float(small_run["day"].values[0]) + window)
    for ax in _panels(fig, small_run):
        layers = [line for line in ax.lines if line.get_linestyle() == "-"]
        assert len(layers) == small_run.sizes["layer"]
        for line in layers:
            xs = np.asarray(line.get_xdata(), dtype="datetime64[s]")
            assert len(xs) <= 13  # one point per calendar month of a one-year run
            assert xs[0] >= first_kept
    caption = _caption(fig)
    assert "monthly means" in caption
    assert re.search(rf"first {window:g} days", caption)


def test_replicates_draw_bands_labelled_as_stochastic_variability(
    with_replicates: xr.Dataset, figures: list[Figure]
) -> None:
    fig = draw_service(with_replicates)
    figures.append(fig)
    for ax in _panels(fig, with_replicates):
        assert len(ax.collections) >= with_replicates.sizes["layer"]  # one band per layer
    legend_texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert any(BAND_LABEL in t for t in legend_texts)


def test_lead_time_says_it_is_world_wide_and_what_the_cap_means(
    small_run: xr.Dataset, figures: list[Figure]
) -> None:
    from ecosim import load_scenario

    cap = load_scenario(SMALL).scenario.uncertainties.supply.lead_time_cap_days
    fig = draw_lead_times(small_run)
    figures.append(fig)
    titles = [ax.get_title() for ax in fig.axes]
    assert any("world-wide" in t for t in titles)
    assert any(f"{cap:g}-day cap: embargo or runaway backlog" in t for t in titles)
    assert any("buyers homed in each region" in t for t in titles)
    # the accelerator price beside the lead times, one line per buyer region
    price = next(ax for ax in fig.axes if ax.get_title().startswith("Accelerator price"))
    assert "per H100e" in price.get_ylabel()
    assert len(price.get_lines()) >= small_run.sizes["region"]
    legend_titles = [ax.get_legend().get_title().get_text() for ax in fig.axes if ax.get_legend()]
    assert "buyer region" in legend_titles
    # the world-wide lead time is never at the cap when only China's designer is (the small
    # world's control from March): each designer has its own line, and Huawei's reaches 100 %
    capped = next(ax for ax in fig.axes if ax.get_title().startswith("Share of time"))
    lines = {str(line.get_label()): line.get_ydata() for line in capped.get_lines()}
    assert max(lines["huawei_ascend (designer)"]) == 1.0
    assert max(lines["accelerator"]) < 1.0 and max(lines["nvidia (designer)"]) < 1.0

"""``ecosim show``: the tables of a saved result, printed again.

A run's result (``ecosim run``) gives its bottleneck matrix and its domestic chains; a
comparison (``compare.nc``) its gains, costs and what each buys; a layer-priority or alliance
result its table; a sweep store its status and, once analysed, the analysis's summary.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ecosim.cli import tables
from ecosim.cli.app import app, fail_input, out
from ecosim.errors import InputError

if TYPE_CHECKING:
    import xarray as xr


@app.command(
    epilog="Examples: ecosim show outputs/baseline.nc; ecosim show outputs/compare/compare.nc "
    "--currency EUR; ecosim show outputs/fab.zarr"
)
def show(
    result: Annotated[
        Path,
        typer.Argument(
            metavar="RESULT",
            help="A run's .nc, a compare or counterfactual .nc, or a sweep store (.zarr).",
        ),
    ],
    currency: Annotated[
        str,
        typer.Option(
            metavar="CODE",
            help="Show amounts in this currency (USD or EUR), at the dated rate "
            "calibration/defaults.yaml gives with its source.",
        ),
    ] = "USD",
) -> None:
    """Print the tables of a saved result again, as the command that made it printed them."""
    try:
        money = tables.currency(currency)
        if not result.exists():
            raise InputError(str(result), [], "a result file or sweep store", "nothing there")
        if result.is_dir():
            _show_sweep(result)
            return
        ds = _open(result)
    except InputError as exc:
        raise fail_input(exc) from None
    kind = str(ds.attrs.get("ecosim_kind", "run"))
    if kind == "compare":
        tables.print_compare(out, ds, money)
    elif kind == "sovereignty_value":
        tables.print_sovereignty(out, ds)
    elif kind == "alliance_gain":
        tables.print_alliances(out, ds)
    else:
        from ecosim.observe.chains import chain_summaries

        tables.print_bottleneck(out, ds)
        tables.print_chains(out, chain_summaries(ds), money)


def _open(path: Path) -> xr.Dataset:
    import xarray as xr

    try:
        with xr.open_dataset(path) as ds:
            return ds.load()
    except (OSError, ValueError) as exc:
        raise InputError(str(path), [], "a NetCDF result of ecosim", type(exc).__name__) from None


def _show_sweep(store: Path) -> None:
    from ecosim.experiments.analysis import SUMMARY

    for line in tables.sweep_status_lines(store):
        out.print(line, highlight=False)
    summary = store.with_name(f"{store.stem}_analysis") / SUMMARY
    if summary.is_file():
        out.print(f"analysis ({summary.parent}):", highlight=False)
        for line in summary.read_text(encoding="utf-8").splitlines():
            out.print(f"  {line}", highlight=False)
    else:
        out.print(f"not analysed yet: ecosim analyze {store}", highlight=False)

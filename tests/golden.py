"""Golden numbers of a run: what a change that should move nothing must reproduce.

``numbers(ds)`` reduces a run's dataset to plain numbers: every time series at a few fixed
days, and every metric. ``python -m tests.golden`` rewrites ``tests/data/golden_small.json``
from the current code; do that only when a change is meant to move results, and say in the
commit what moved and why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "tests" / "scenarios" / "small.yaml"
FILE = ROOT / "tests" / "data" / "golden_small.json"

#: Days at which the time series are kept: the start, then every month-ish to the horizon.
DAYS: tuple[float, ...] = tuple(float(d) for d in range(0, 361, 30))

#: Descriptions of the run's shocks: their first occurrence is kept, whatever the layout.
SHOCK_VARS: tuple[str, ...] = ("shock_start", "shock_end")


def numbers(ds: xr.Dataset) -> dict[str, list[Any]]:
    """Every numeric variable of ``ds`` as nested lists: series at :data:`DAYS`, metrics whole."""
    day = np.asarray(ds["day"].values, dtype=np.float64)
    index = [int(np.flatnonzero(np.isclose(day, d))[0]) for d in DAYS]
    out: dict[str, list[Any]] = {}
    for name, var in sorted(ds.data_vars.items()):
        if var.dtype.kind not in "fiub":
            continue
        values = np.asarray(var.values)
        if name in SHOCK_VARS and values.ndim == 2:
            values = values[:, 0]
        if "time" in var.dims:
            values = np.take(values, index, axis=var.dims.index("time"))
        out[str(name)] = np.asarray(values, dtype=np.float64).tolist()
    return out


def main() -> None:
    """Write the golden file from a run of the small scenario with the current code."""
    import ecosim

    ds = ecosim.simulate(ecosim.load_scenario(SCENARIO))
    FILE.write_text(json.dumps(numbers(ds), indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Re-derive the data-derived rows of ``calibration/facts.csv``.

Most rows of ``facts.csv`` are transcribed by hand from published sources. The rows whose id
starts with ``EP.`` (Epoch AI chip counts, hardware prices and model counts) or ``T5.`` (the
November 2024 TOP500 list) are computed from raw public data files that stay outside the
project, in ``<repo>/../shared/data`` by default. This script recomputes those rows and writes
them back into ``facts.csv``:

* rows with any other id are kept byte for byte and in the same order;
* the derived block replaces the old one in place (it is appended if the file has none yet).

Usage::

    python calibration/derive_facts.py            # rewrite the derived rows
    python calibration/derive_facts.py --check    # exit 1 if facts.csv is out of date
    python calibration/derive_facts.py --data DIR # use another data folder

If the data folder does not exist the script says so and exits 0 without touching anything, so
it is safe to run where the raw files are not available.

Only the standard library and numpy are used; the TOP500 ``.xlsx`` workbook is read directly
as a zip archive of XML parts.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from datetime import date
from pathlib import Path, PurePosixPath

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
DEFAULT_FACTS = REPO_ROOT / "calibration" / "facts.csv"

COLUMNS: tuple[str, ...] = (
    "id",
    "quantity",
    "value",
    "unit",
    "year",
    "region",
    "source",
    "quality",
)
DERIVED_PREFIXES: tuple[str, ...] = ("EP.", "T5.")
BY_SCRIPT = "(derived by calibration/derive_facts.py)"

# --- chip counts ------------------------------------------------------------------------------

VENDORS: tuple[str, ...] = ("nvidia", "tpu", "amd", "trainium")
VENDOR_LABEL: dict[str, str] = {
    "nvidia": "NVIDIA AI accelerators",
    "tpu": "Google TPUs",
    "amd": "AMD Instinct accelerators",
    "trainium": "Amazon Trainium chips",
}
OWNERS: tuple[str, ...] = ("microsoft", "meta", "amazon", "google", "oracle", "china")
US_OWNERS: frozenset[str] = frozenset({"microsoft", "meta", "amazon", "google", "oracle"})
SUMMARY_YEARS: tuple[int, ...] = (2024, 2025)

# --- hardware prices --------------------------------------------------------------------------

HYPERSCALERS: frozenset[str] = frozenset(
    {"Amazon Web Services", "Google Cloud", "Microsoft Azure", "Oracle Cloud"}
)
ONDEMAND_FROM = date(2024, 1, 1)
# Dense 16-bit (FP16/BF16 tensor) TFLOP/s per chip, from the vendors' data sheets (NVIDIA V100,
# A100, H100, H200, GH200, B200; AMD Instinct MI300X). An H100e is the H100 SXM's 989.4. More
# specific names first: "H100 PCIe" before "H100".
DENSE_TFLOPS: tuple[tuple[str, float], ...] = (
    ("H100 PCIe", 756.0),
    ("H100 NVL", 835.0),
    ("GH200", 989.4),
    ("H100", 989.4),
    ("H200", 989.4),
    ("B200", 2250.0),
    ("A100", 312.0),
    ("V100", 125.0),
    ("MI300X", 1307.4),
)
H100_TFLOPS = 989.4
# The flagship accelerators of each period, whose price per H100e the trend follows (older
# chips still on sale are dearer per H100e, and would bend the trend by what is left in stock).
FLAGSHIPS: tuple[tuple[str, float, float], ...] = (
    ("V100", 2017.0, 2020.0),
    ("A100", 2020.0, 2023.0),
    ("H100", 2022.5, 2026.0),
    ("H200", 2024.0, 2026.0),
    ("B200", 2024.0, 2026.0),
    ("MI300X", 2024.0, 2026.0),
)
# The trend is fitted on prices before this year and checked on the later ones.
PRICE_FIT_BEFORE = 2023.0
PRICE_REFERENCE = date(2025, 1, 1)

# --- models -----------------------------------------------------------------------------------

MODEL_REGIONS: tuple[str, ...] = ("US", "China", "EU27", "UK", "Japan", "India", "RoW")
MODEL_YEARS: tuple[int, ...] = (2023, 2024)

# --- TOP500 -----------------------------------------------------------------------------------

SIM_REGIONS: tuple[str, ...] = ("US", "EU", "CN", "JP", "KR", "TW", "UK", "IN", "RoW")
EU27: frozenset[str] = frozenset(
    {
        "Austria",
        "Belgium",
        "Bulgaria",
        "Croatia",
        "Cyprus",
        "Czechia",
        "Czech Republic",
        "Denmark",
        "Estonia",
        "Finland",
        "France",
        "Germany",
        "Greece",
        "Hungary",
        "Ireland",
        "Italy",
        "Latvia",
        "Lithuania",
        "Luxembourg",
        "Malta",
        "Netherlands",
        "Poland",
        "Portugal",
        "Romania",
        "Slovakia",
        "Slovak Republic",
        "Slovenia",
        "Spain",
        "Sweden",
    }
)
COUNTRY_REGION: dict[str, str] = {
    "United States": "US",
    "China": "CN",
    "Hong Kong": "CN",
    "Japan": "JP",
    "South Korea": "KR",
    "Korea, South": "KR",
    "Taiwan": "TW",
    "United Kingdom": "UK",
    "India": "IN",
}

XLSX_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DOC_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


class DataError(RuntimeError):
    """A data file is missing or does not look as expected."""


@dataclass(frozen=True)
class Fact:
    """One row of facts.csv."""

    id: str
    quantity: str
    value: str
    unit: str
    year: str
    region: str
    source: str
    quality: str = "derived"

    def as_row(self) -> list[str]:
        """Return the row in column order."""
        return list(astuple(self))


# ----------------------------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------------------------


def fmt(x: float, digits: int = 0) -> str:
    """Format a number with a fixed number of decimals (integers without a decimal point)."""
    if digits == 0:
        return str(round(float(x)))
    return f"{float(x):.{digits}f}"


def read_csv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    """Read a CSV file into a list of dicts, failing clearly if it is absent."""
    if not path.is_file():
        raise DataError(f"missing data file: {path}")
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh))


def us_date(text: str) -> date:
    """Parse an M/D/YYYY date as used by the Epoch chip-count exports."""
    month, day, year = (int(p) for p in text.strip().split("/"))
    return date(year, month, day)


def iso_date(text: str) -> date | None:
    """Parse an ISO YYYY-MM-DD date; return None for empty or malformed cells."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def find_column(header: Iterable[str], *needles: str) -> str:
    """Return the unique column whose lower-cased name contains every needle."""
    hits = [h for h in header if all(n.lower() in h.lower() for n in needles)]
    if len(hits) != 1:
        raise DataError(f"expected one column matching {needles}, found {hits}")
    return hits[0]


def to_float(text: str) -> float | None:
    """Parse a numeric cell (commas and dollar signs allowed); None if empty or not a number."""
    cleaned = text.strip().replace(",", "").replace("$", "")
    if not cleaned:
        return None
    try:
        return float(cleaned)
    except ValueError:
        return None


# ----------------------------------------------------------------------------------------------
# Epoch chip counts
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cumulative:
    """Cumulative shipments of one vendor at the end of one quarter."""

    start: date
    end: date
    h100e: float
    h100e_p05: float
    h100e_p95: float
    units: float
    mw: float


def read_vendor_totals(path: Path) -> dict[int, Cumulative]:
    """Year -> cumulative totals at 31 Dec of that year, from a ``*_cumulative_totals.csv``."""
    rows = read_csv(path)
    if not rows:
        raise DataError(f"empty file: {path}")
    header = rows[0].keys()
    col_med = find_column(header, "h100e", "median")
    col_p05 = find_column(header, "h100e", "(5th")
    col_p95 = find_column(header, "h100e", "(95th")
    unit_cols = [h for h in header if h.lower().startswith("number of units")]
    col_units = next((h for h in unit_cols if "median" in h.lower()), None) or next(
        h for h in unit_cols if "percentile" not in h.lower()
    )
    col_mw = find_column(header, "power in mw", "median")
    out: dict[int, Cumulative] = {}
    for row in rows:
        end = us_date(row["End date"])
        if (end.month, end.day) != (12, 31):
            continue
        out[end.year] = Cumulative(
            start=us_date(row["Start date"]),
            end=end,
            h100e=float(row[col_med]),
            h100e_p05=float(row[col_p05]),
            h100e_p95=float(row[col_p95]),
            units=float(row[col_units]),
            mw=float(row[col_mw]),
        )
    if not out:
        raise DataError(f"no year-end rows in {path}")
    return out


def quarter_label(d: date) -> str:
    """'Q1 2024' style label for a date."""
    return f"Q{(d.month - 1) // 3 + 1} {d.year}"


def derive_chip_counts(epoch: Path) -> list[Fact]:
    """Cumulative H100e by vendor, four-vendor totals, yearly deliveries and NVIDIA's share."""
    src_tpl = "Epoch AI, epoch-research/ai-chip-counts csv_export/{name} " + BY_SCRIPT
    src_all = src_tpl.format(name="{nvidia,tpu,amd,trainium}_cumulative_totals.csv")
    totals = {v: read_vendor_totals(epoch / f"{v}_cumulative_totals.csv") for v in VENDORS}
    facts: list[Fact] = []
    for vendor in VENDORS:
        series = totals[vendor]
        src = src_tpl.format(name=f"{vendor}_cumulative_totals.csv")
        first = min(c.start for c in series.values())
        since = f"since {quarter_label(first)}"
        if vendor != "nvidia":
            since += f" (the file starts in {quarter_label(first)})"
        label = VENDOR_LABEL[vendor]
        for year in sorted(series):
            c = series[year]
            tag = f"{year}Q4"
            through = f"cumulative {since} through Q4 {year}"
            facts += [
                Fact(
                    f"EP.{vendor}_h100e.{tag}",
                    f"{label} shipped, {through}, median",
                    fmt(c.h100e),
                    "H100e",
                    str(year),
                    "World",
                    src,
                ),
                Fact(
                    f"EP.{vendor}_h100e_p05.{tag}",
                    f"{label} shipped, {through}, 5th percentile",
                    fmt(c.h100e_p05),
                    "H100e",
                    str(year),
                    "World",
                    src,
                ),
                Fact(
                    f"EP.{vendor}_h100e_p95.{tag}",
                    f"{label} shipped, {through}, 95th percentile",
                    fmt(c.h100e_p95),
                    "H100e",
                    str(year),
                    "World",
                    src,
                ),
                Fact(
                    f"EP.{vendor}_units.{tag}",
                    f"{label} shipped, {through}, median number of chips",
                    fmt(c.units),
                    "count",
                    str(year),
                    "World",
                    src,
                ),
                Fact(
                    f"EP.{vendor}_mw.{tag}",
                    f"{label} shipped, {through}, median power",
                    fmt(c.mw),
                    "MW",
                    str(year),
                    "World",
                    src,
                ),
            ]

    def cum(vendor: str, year: int) -> float:
        c = totals[vendor].get(year)
        if c is not None:
            return c.h100e
        if year < min(totals[vendor]):
            return 0.0  # the vendor's file starts later: nothing counted before that
        raise DataError(f"{vendor}: no year-end row for {year}")

    note = "sum of the four vendors' medians (not the median of the sum)"
    for year in SUMMARY_YEARS:
        tag = f"{year}Q4"
        total = sum(cum(v, year) for v in VENDORS)
        facts.append(
            Fact(
                f"EP.all_h100e.{tag}",
                "NVIDIA + Google TPU + AMD + Amazon Trainium accelerators shipped, cumulative "
                f"through Q4 {year} (NVIDIA since Q1 2022, TPU since Q1 2023, AMD and Trainium "
                f"since Q1 2024), {note}",
                fmt(total),
                "H100e",
                str(year),
                "World",
                src_all,
            )
        )
    for year in SUMMARY_YEARS:
        per_vendor = {v: cum(v, year) - cum(v, year - 1) for v in VENDORS}
        facts.append(
            Fact(
                f"EP.deliveries_h100e.{year}",
                f"AI accelerators added in calendar {year}, NVIDIA + TPU + AMD + Trainium, "
                f"difference of year-end cumulative medians, {note}",
                fmt(sum(per_vendor.values())),
                "H100e",
                str(year),
                "World",
                src_all,
            )
        )
        for vendor in VENDORS:
            facts.append(
                Fact(
                    f"EP.deliveries_h100e.{vendor}.{year}",
                    f"{VENDOR_LABEL[vendor]} added in calendar {year}, difference of "
                    "year-end cumulative medians",
                    fmt(per_vendor[vendor]),
                    "H100e",
                    str(year),
                    "World",
                    src_tpl.format(name=f"{vendor}_cumulative_totals.csv"),
                )
            )
    for year in SUMMARY_YEARS:
        total = sum(cum(v, year) for v in VENDORS)
        facts.append(
            Fact(
                f"EP.nvidia_share_h100e.{year}Q4",
                f"NVIDIA's share of the four-vendor cumulative H100e through Q4 {year} "
                "(ratio of medians)",
                fmt(100.0 * cum("nvidia", year) / total, 1),
                "%",
                str(year),
                "World",
                src_all,
            )
        )
    return facts


def derive_owners(epoch: Path) -> list[Fact]:
    """Cumulative NVIDIA H100e by owner, and 'other' as the NVIDIA total minus named owners."""
    src = (
        "Epoch AI, epoch-research/ai-chip-counts owners_csv_export/"
        f"nvidia_owners_cumulative_totals.csv {BY_SCRIPT}"
    )
    src_other = (
        "Epoch AI, epoch-research/ai-chip-counts csv_export/nvidia_cumulative_totals.csv "
        f"minus owners_csv_export/nvidia_owners_cumulative_totals.csv {BY_SCRIPT}"
    )
    rows = read_csv(epoch / "nvidia_owners_cumulative_totals.csv")
    header = rows[0].keys() if rows else ()
    col_med = find_column(header, "h100e", "median")
    col_units = "Number of Units"
    if col_units not in header:
        raise DataError("owners file has no 'Number of Units' column")
    nvidia = read_vendor_totals(epoch / "nvidia_cumulative_totals.csv")
    by_owner: dict[tuple[str, int], tuple[float, float]] = {}
    for row in rows:
        end = us_date(row["End date"])
        if (end.month, end.day) != (12, 31):
            continue
        owner = row["Owner"].strip().lower()
        by_owner[(owner, end.year)] = (float(row[col_med]), float(row[col_units]))
    facts: list[Fact] = []
    for year in SUMMARY_YEARS:
        tag = f"{year}Q4"
        named = 0.0
        for owner in OWNERS:
            if (owner, year) not in by_owner:
                raise DataError(f"owners file: no row for {owner} at Q4 {year}")
            h100e, units = by_owner[(owner, year)]
            named += h100e
            region = "US" if owner in US_OWNERS else "China"
            what = (
                "NVIDIA compute in China (export-grade chips)"
                if owner == "china"
                else f"NVIDIA compute owned by {owner.capitalize()}"
            )
            facts.append(
                Fact(
                    f"EP.owner.{owner}.{tag}",
                    f"{what}, cumulative since Q1 2022 through Q4 {year}, median",
                    fmt(h100e),
                    "H100e",
                    str(year),
                    region,
                    src,
                )
            )
            facts.append(
                Fact(
                    f"EP.owner_units.{owner}.{tag}",
                    f"{what}, cumulative since Q1 2022 through Q4 {year}, median number of chips",
                    fmt(units),
                    "count",
                    str(year),
                    region,
                    src,
                )
            )
        total = nvidia[year].h100e
        facts.append(
            Fact(
                f"EP.owner.other.{tag}",
                "NVIDIA compute of all other owners (NVIDIA total minus Microsoft, Meta, Amazon, "
                f"Google, Oracle and China), cumulative since Q1 2022 through Q4 {year}, "
                "difference of medians",
                fmt(total - named),
                "H100e",
                str(year),
                "World",
                src_other,
            )
        )
    return facts


#: Quarters for which China's share of NVIDIA's shipments is derived: from the quarter after the
#: October 2022 rules through 2024, which brackets the October 2023 rules (validation episode V3).
CHINA_SHARE_QUARTERS: tuple[tuple[int, int], ...] = tuple(
    (y, q) for y in (2022, 2023, 2024) for q in (1, 2, 3, 4) if (y, q) >= (2022, 2)
)


def _quarterly_h100e(rows: list[dict[str, str]], owner: str | None) -> dict[tuple[int, int], float]:
    """(year, quarter) -> cumulative median H100e at the quarter's end, for one owner or all."""
    header = rows[0].keys() if rows else ()
    col_med = find_column(header, "h100e", "median")
    out: dict[tuple[int, int], float] = {}
    for row in rows:
        if owner is not None and row["Owner"].strip().lower() != owner:
            continue
        end = us_date(row["End date"])
        if end.month % 3 or end.day < 30:
            continue
        out[(end.year, end.month // 3)] = float(row[col_med])
    return out


def derive_china_share(epoch: Path) -> list[Fact]:
    """NVIDIA's H100e shipped in each quarter and China's share of them (differences of
    cumulatives)."""
    src = (
        "Epoch AI, epoch-research/ai-chip-counts owners_csv_export/"
        "nvidia_owners_cumulative_totals.csv over csv_export/nvidia_cumulative_totals.csv "
        f"{BY_SCRIPT}"
    )
    src_total = (
        "Epoch AI, epoch-research/ai-chip-counts csv_export/nvidia_cumulative_totals.csv "
        f"{BY_SCRIPT}"
    )
    china = _quarterly_h100e(read_csv(epoch / "nvidia_owners_cumulative_totals.csv"), "china")
    total = _quarterly_h100e(read_csv(epoch / "nvidia_cumulative_totals.csv"), None)
    facts: list[Fact] = []
    for year, q in CHINA_SHARE_QUARTERS:
        prev = (year, q - 1) if q > 1 else (year - 1, 4)
        for key in (prev, (year, q)):
            if key not in china or key not in total:
                raise DataError(f"chip counts: no Q{key[1]} {key[0]} row for China or the total")
        added = total[(year, q)] - total[prev]
        if added <= 0:
            raise DataError(f"chip counts: NVIDIA total does not grow in Q{q} {year}")
        share = 100.0 * (china[(year, q)] - china[prev]) / added
        facts.append(
            Fact(
                f"EP.nvidia_added_h100e.{year}Q{q}",
                f"NVIDIA AI accelerators shipped in Q{q} {year}, difference of cumulative medians",
                fmt(added),
                "H100e",
                str(year),
                "World",
                src_total,
            )
        )
        facts.append(
            Fact(
                f"EP.china_share_nvidia.{year}Q{q}",
                f"China's share of the NVIDIA H100e shipped in Q{q} {year} (export-grade chips; "
                "difference of cumulative medians)",
                fmt(share, 1),
                "%",
                str(year),
                "China",
                src,
            )
        )
    return facts


# ----------------------------------------------------------------------------------------------
# hardware prices
# ----------------------------------------------------------------------------------------------


def derive_prices(epoch: Path) -> list[Fact]:
    """Median H100 purchase and rental prices from Epoch's hardware price table."""
    src = f"Epoch AI, epoch-research/training-cost-trends data/Hardware prices.csv {BY_SCRIPT}"
    rows = read_csv(epoch / "hardware_prices.csv", encoding="utf-8-sig")
    h100 = [r for r in rows if "H100" in r["Hardware model"] and "NVIDIA" in r["Manufacturer"]]
    if not h100:
        raise DataError("hardware_prices.csv: no NVIDIA H100 rows")

    def values(
        column: str, keep: Iterable[dict[str, str]], *, since: date | None = None
    ) -> list[float]:
        out: list[float] = []
        for r in keep:
            if since is not None:
                d = iso_date(r["Price date"])
                if d is None or d < since:
                    continue
            v = to_float(r[column])
            if v is not None:
                out.append(v)
        return out

    purchase = values("Price (hardware purchase)", h100)
    hyper = values(
        "Price per chip-hour (on-demand)",
        (r for r in h100 if r["Vendor"].strip() in HYPERSCALERS),
        since=ONDEMAND_FROM,
    )
    other = values(
        "Price per chip-hour (on-demand)",
        (r for r in h100 if r["Vendor"].strip() and r["Vendor"].strip() not in HYPERSCALERS),
        since=ONDEMAND_FROM,
    )
    three_year = values("Price per chip-hour (3-year CUD)", h100)
    for name, vals in (
        ("purchase", purchase),
        ("hyperscaler on-demand", hyper),
        ("other on-demand", other),
        ("3-year", three_year),
    ):
        if not vals:
            raise DataError(f"hardware_prices.csv: no H100 {name} prices")
    models = "rows whose hardware model contains 'H100' (SXM5, PCIe, NVL)"
    return [
        Fact(
            "EP.price.h100_purchase_usd",
            f"NVIDIA H100 purchase price per chip, median of {len(purchase)} {models}, "
            "all dates (2022-2025)",
            fmt(float(np.median(purchase)), 2),
            "USD",
            "2022-2025",
            "World",
            src,
        ),
        Fact(
            "EP.price.h100_ondemand_hyperscaler_usd_per_hour",
            f"NVIDIA H100 on-demand price per chip-hour at AWS, Google Cloud, Microsoft Azure "
            f"and Oracle Cloud, median of {len(hyper)} {models} dated 2024 or later",
            fmt(float(np.median(hyper)), 2),
            "USD/hour",
            "2024-2025",
            "World",
            src,
        ),
        Fact(
            "EP.price.h100_ondemand_other_usd_per_hour",
            f"NVIDIA H100 on-demand price per chip-hour at other clouds (neoclouds such as "
            f"Lambda, RunPod, Oblivus), median of {len(other)} {models} dated 2024 or later",
            fmt(float(np.median(other)), 2),
            "USD/hour",
            "2024-2025",
            "World",
            src,
        ),
        Fact(
            "EP.price.h100_3yr_usd_per_hour",
            f"NVIDIA H100 price per chip-hour with a 3-year commitment, median of "
            f"{len(three_year)} {models} (small sample)",
            fmt(float(np.median(three_year)), 2),
            "USD/hour",
            "2024-2025",
            "World",
            src,
        ),
    ]


def _year(d: date) -> float:
    return d.year + (d.timetuple().tm_yday - 0.5) / 365.25


def _tflops(model: str) -> float | None:
    for name, tflops in DENSE_TFLOPS:
        if name in model:
            return tflops
    return None


def _log_trend(points: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Least-squares ``log(price) = a + b (year - reference)``: (level, rate, residual sd)."""
    x = np.array([p[0] for p in points]) - _year(PRICE_REFERENCE)
    y = np.log(np.array([p[1] for p in points]))
    design = np.column_stack([np.ones_like(x), x])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    resid = y - design @ coef
    return float(np.exp(coef[0])), float(coef[1]), float(np.std(resid, ddof=2))


def derive_price_trend(epoch: Path) -> list[Fact]:
    """The trend of accelerator and cloud prices per H100e, fitted before 2023 and checked on
    2023-2025 (out of sample)."""
    src = f"Epoch AI, epoch-research/training-cost-trends data/Hardware prices.csv {BY_SCRIPT}"
    rows = read_csv(epoch / "hardware_prices.csv", encoding="utf-8-sig")
    purchase: list[tuple[float, float]] = []
    rental: list[tuple[float, float]] = []
    for r in rows:
        model, day = r["Hardware model"], iso_date(r["Price date"])
        tflops = _tflops(model)
        if tflops is None or day is None:
            continue
        year, h100e = _year(day), tflops / H100_TFLOPS
        price = to_float(r["Price (hardware purchase)"])
        # Epoch marks its own estimates "not a real sale price"; "H100 PCIe" is not a flagship
        flagship = any(k in model and lo <= year < hi for k, lo, hi in FLAGSHIPS)
        if (
            price is not None
            and flagship
            and "H100 PCIe" not in model
            and "not a real sale" not in r["Notes"]
        ):
            purchase.append((year, price / h100e))
        hour = to_float(r["Price per chip-hour (on-demand)"])
        if hour is not None and r["Vendor"].strip() in HYPERSCALERS:
            rental.append((year, hour / h100e))
    facts: list[Fact] = []
    for kind, points, unit, what in (
        ("h100e", purchase, "USD", "flagship accelerators' purchase price per H100e"),
        (
            "cloud_h100e_hour",
            rental,
            "USD/hour",
            "on-demand price per H100e-hour at AWS, Google Cloud, Microsoft Azure and Oracle Cloud",
        ),
    ):
        fit = [p for p in points if p[0] < PRICE_FIT_BEFORE]
        held = [p for p in points if p[0] >= PRICE_FIT_BEFORE]
        if len(fit) < 5 or len(held) < 5:
            raise DataError(f"hardware_prices.csv: too few {what} rows to fit and check")
        level, rate, sd = _log_trend(fit)
        ref = _year(PRICE_REFERENCE)
        predicted = [level * np.exp(rate * (p[0] - ref)) for p in held]
        years = f"{min(p[0] for p in fit):.0f}-{PRICE_FIT_BEFORE - 1:.0f}"
        facts += [
            Fact(
                f"EP.price.{kind}_decline_per_year",
                f"Log-rate of decline of the {what}: least squares on the {len(fit)} rows of "
                f"{years} (V100, A100, first H100 for purchases; per dense 16-bit FLOP), "
                f"residual sd {sd:.2f} in log",
                fmt(-rate, 3),
                "1/year",
                years,
                "World",
                src,
            ),
            Fact(
                f"EP.price.{kind}_level_2025",
                f"The {what} on 2025-01-01 read from the same fit",
                fmt(level, 2 if unit == "USD/hour" else 0),
                unit,
                years,
                "World",
                src,
            ),
            Fact(
                f"EP.price.{kind}_holdout_median",
                f"Median {what} of the {len(held)} rows of 2023-2025, which the fit did not see",
                fmt(float(np.median([p[1] for p in held])), 2 if unit == "USD/hour" else 0),
                unit,
                "2023-2025",
                "World",
                src,
            ),
            Fact(
                f"EP.price.{kind}_holdout_predicted",
                f"Median of the fit's predictions for those {len(held)} rows of 2023-2025",
                fmt(float(np.median(predicted)), 2 if unit == "USD/hour" else 0),
                unit,
                "2023-2025",
                "World",
                src,
            ),
        ]
    # The rental price of the H100 at clouds other than the hyperscalers, a year at a time: the
    # fall after the 2023 shortage, which no fit above sees (they end in 2022 or are purchases)
    for year in (2023, 2025):
        hours = [
            hour / (_tflops(r["Hardware model"]) or H100_TFLOPS) * H100_TFLOPS
            for r in rows
            if "H100" in r["Hardware model"]
            and r["Vendor"].strip()
            and r["Vendor"].strip() not in HYPERSCALERS
            and (d := iso_date(r["Price date"])) is not None
            and d.year == year
            and (hour := to_float(r["Price per chip-hour (on-demand)"])) is not None
        ]
        if len(hours) < 3:
            raise DataError(f"hardware_prices.csv: too few other clouds' H100 prices in {year}")
        facts.append(
            Fact(
                f"EP.price.h100e_hour_other.{year}",
                f"Median on-demand price per H100e-hour of the NVIDIA H100 at clouds other than "
                f"AWS, Google Cloud, Microsoft Azure and Oracle Cloud, {len(hours)} rows of "
                f"{year} (PCIe and NVL per dense 16-bit FLOP)",
                fmt(float(np.median(hours)), 2),
                "USD/hour",
                str(year),
                "World",
                src,
            )
        )
    return facts


# ----------------------------------------------------------------------------------------------
# notable models
# ----------------------------------------------------------------------------------------------


def derive_models(epoch: Path) -> list[Fact]:
    """Notable and open-weight notable models by region and year."""
    src = (
        "Epoch AI, epoch-research/training-cost-trends data/All ML Systems - full view.csv "
        f"(Aug 2025), counted in notable_by_region_year.csv {BY_SCRIPT}"
    )
    rows = read_csv(epoch / "notable_by_region_year.csv")
    counts: dict[tuple[str, int], tuple[int, int]] = {}
    for row in rows:
        counts[(row["region"].strip(), int(row["year"]))] = (
            int(row["notable_models"]),
            int(row["open_weight_notable"]),
        )
    facts: list[Fact] = []
    for kind, idx, what in (
        ("models", 0, "Notable AI models"),
        ("open_models", 1, "Open-weight notable AI models"),
    ):
        for region in MODEL_REGIONS:
            for year in MODEL_YEARS:
                n = counts.get((region, year), (0, 0))[idx]
                facts.append(
                    Fact(
                        f"EP.{kind}.{region}.{year}",
                        f"{what} with at least one organisation from {region}, published in "
                        f"{year} (a model counts for each region involved; 0 = no row)",
                        str(n),
                        "models",
                        str(year),
                        region,
                        src,
                    )
                )
    return facts


def derive_frontier(epoch: Path) -> list[Fact]:
    """Largest training compute of any model published in each year (the frontier run)."""
    src = (
        "Epoch AI, epoch-research/training-cost-trends data/All ML Systems - full view.csv "
        f"(Aug 2025), column 'Training compute (FLOP)' {BY_SCRIPT}"
    )
    best: dict[int, tuple[float, str]] = {}
    for row in read_csv(epoch / "all_ml_systems.csv"):
        when = iso_date(row.get("Publication date", ""))
        flop = to_float(row.get("Training compute (FLOP)", ""))
        if when is None or flop is None:
            continue
        if flop > best.get(when.year, (0.0, ""))[0]:
            best[when.year] = (flop, row.get("Model", "").strip())
    facts: list[Fact] = []
    for year in (2023, 2024, 2025):
        if year not in best:
            continue
        flop, model = best[year]
        facts.append(
            Fact(
                f"EP.frontier_flop.{year}",
                f"Largest training compute of a model published in {year} ({model})",
                f"{flop:.4g}",
                "FLOP",
                str(year),
                "World",
                src,
            )
        )
    return facts


# ----------------------------------------------------------------------------------------------
# TOP500 (xlsx read with zipfile + ElementTree)
# ----------------------------------------------------------------------------------------------


def _column_index(ref: str) -> int:
    """Zero-based column index of a cell reference such as 'AC17'."""
    idx = 0
    for ch in ref:
        if not ch.isalpha():
            break
        idx = idx * 26 + (ord(ch.upper()) - ord("A") + 1)
    return idx - 1


def read_xlsx_first_sheet(path: Path) -> list[list[str]]:
    """Return the first worksheet of an .xlsx file as rows of cell text."""
    if not path.is_file():
        raise DataError(f"missing data file: {path}")
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            sst = ET.fromstring(zf.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{XLSX_NS}t")) for si in sst]
        workbook = ET.fromstring(zf.read("xl/workbook.xml"))
        first = workbook.find(f"{XLSX_NS}sheets/{XLSX_NS}sheet")
        if first is None:
            raise DataError(f"{path}: workbook has no sheets")
        rel_id = first.get(f"{DOC_REL_NS}id")
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        target = next(
            (
                r.get("Target", "")
                for r in rels.iter(f"{REL_NS}Relationship")
                if r.get("Id") == rel_id
            ),
            "",
        )
        if not target:
            raise DataError(f"{path}: cannot locate the first worksheet")
        sheet_name = (
            target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl", target))
        )
        sheet = ET.fromstring(zf.read(sheet_name))
    table: list[list[str]] = []
    for row in sheet.iter(f"{XLSX_NS}row"):
        cells: dict[int, str] = {}
        for cell in row.iter(f"{XLSX_NS}c"):
            kind = cell.get("t", "n")
            if kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{XLSX_NS}t"))
            else:
                v = cell.find(f"{XLSX_NS}v")
                text = v.text or "" if v is not None else ""
                if kind == "s" and text:
                    text = shared[int(text)]
            cells[_column_index(cell.get("r", "A"))] = text
        width = max(cells, default=-1) + 1
        table.append([cells.get(i, "") for i in range(width)])
    return table


def sim_region(country: str) -> str:
    """Map a TOP500 country name to the simulator's nine regions."""
    if country in EU27:
        return "EU"
    return COUNTRY_REGION.get(country, "RoW")


def derive_top500(top500: Path) -> list[Fact]:
    """Systems and Rmax share by simulator region from the Nov 2024 TOP500 list."""
    src = f"TOP500 list Nov 2024, TOP500_202411.xlsx (top500.org) {BY_SCRIPT}"
    table = read_xlsx_first_sheet(top500 / "TOP500_202411.xlsx")
    header, body = table[0], [r for r in table[1:] if any(r)]
    col = {name: i for i, name in enumerate(header)}
    for needed in ("Country", "Rmax [TFlop/s]", "Accelerator/Co-Processor"):
        if needed not in col:
            raise DataError(f"TOP500 sheet has no column {needed!r}")

    def cell(row: Sequence[str], name: str) -> str:
        i = col[name]
        return row[i].strip() if i < len(row) else ""

    regions = [sim_region(cell(r, "Country")) for r in body]
    rmax = np.array([float(cell(r, "Rmax [TFlop/s]")) for r in body])
    accel = [cell(r, "Accelerator/Co-Processor") for r in body]
    total = float(rmax.sum())
    facts: list[Fact] = [
        Fact(
            "T5.rmax_total_pflops",
            f"Sum of Rmax over the {len(body)} systems of the Nov 2024 TOP500 list",
            fmt(total / 1000.0, 1),
            "PFlop/s",
            "2024",
            "World",
            src,
        )
    ]
    mask_of = {reg: np.array([r == reg for r in regions]) for reg in SIM_REGIONS}
    eu_note = "EU = the 27 member states; RoW = all other countries, incl. Switzerland and Norway"
    for reg in SIM_REGIONS:
        share = 100.0 * float(rmax[mask_of[reg]].sum()) / total
        facts.append(
            Fact(
                f"T5.rmax_share.{reg}",
                f"Share of total TOP500 Rmax (Nov 2024) in region {reg} ({eu_note})",
                fmt(share, 2),
                "%",
                "2024",
                reg,
                src,
            )
        )
    for reg in SIM_REGIONS:
        facts.append(
            Fact(
                f"T5.systems.{reg}",
                f"Number of TOP500 systems (Nov 2024) in region {reg} ({eu_note})",
                str(int(mask_of[reg].sum())),
                "systems",
                "2024",
                reg,
                src,
            )
        )
    accelerated = np.array([a not in ("", "None") for a in accel])
    nvidia = np.array([("nvidia" in a.lower()) for a in accel])
    facts += [
        Fact(
            "T5.accelerated_systems",
            "TOP500 systems (Nov 2024) with an accelerator or co-processor",
            str(int(accelerated.sum())),
            "systems",
            "2024",
            "World",
            src,
        ),
        Fact(
            "T5.nvidia_systems",
            "TOP500 systems (Nov 2024) whose accelerator is an NVIDIA GPU",
            str(int(nvidia.sum())),
            "systems",
            "2024",
            "World",
            src,
        ),
        Fact(
            "T5.nvidia_share_accelerated_systems",
            "NVIDIA-accelerated share of accelerated TOP500 systems (Nov 2024)",
            fmt(100.0 * float(nvidia.sum()) / float(accelerated.sum()), 1),
            "%",
            "2024",
            "World",
            src,
        ),
        Fact(
            "T5.nvidia_rmax_share",
            "Share of total TOP500 Rmax (Nov 2024) in NVIDIA-accelerated systems",
            fmt(100.0 * float(rmax[nvidia].sum()) / total, 1),
            "%",
            "2024",
            "World",
            src,
        ),
    ]
    return facts


# ----------------------------------------------------------------------------------------------
# facts.csv splice
# ----------------------------------------------------------------------------------------------


def derive_all(data_dir: Path) -> list[Fact]:
    """Every derived row, in a fixed order."""
    epoch = data_dir / "epoch"
    facts = (
        derive_chip_counts(epoch)
        + derive_owners(epoch)
        + derive_china_share(epoch)
        + derive_prices(epoch)
        + derive_price_trend(epoch)
        + derive_models(epoch)
        + derive_frontier(epoch)
        + derive_top500(data_dir / "top500")
    )
    ids = [f.id for f in facts]
    if len(ids) != len(set(ids)):
        raise DataError("duplicate derived ids")
    return facts


def is_derived(fact_id: str) -> bool:
    """True for ids this script owns."""
    return fact_id.startswith(DERIVED_PREFIXES)


def read_facts(path: Path) -> list[list[str]]:
    """Rows of facts.csv without the header (empty if the file does not exist)."""
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        return []
    if tuple(rows[0]) != COLUMNS:
        raise DataError(f"{path}: header is {rows[0]}, expected {list(COLUMNS)}")
    return rows[1:]


def splice(existing: list[list[str]], derived: list[Fact]) -> list[list[str]]:
    """Replace the derived rows of ``existing`` by ``derived``, keeping other rows in order."""
    new_block = [f.as_row() for f in derived]
    out: list[list[str]] = []
    inserted = False
    for row in existing:
        if row and is_derived(row[0]):
            if not inserted:
                out += new_block
                inserted = True
            continue
        out.append(row)
    if not inserted:
        out += new_block
    return out


def render(rows: list[list[str]]) -> str:
    """CSV text for facts.csv (header included, LF line endings, minimal quoting)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buf.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help=f"folder with epoch/ and top500/ (default: {DEFAULT_DATA_DIR})",
    )
    parser.add_argument("--facts", type=Path, default=DEFAULT_FACTS, help="facts.csv to update")
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if facts.csv would change"
    )
    args = parser.parse_args(argv)

    data_dir: Path = args.data
    facts_path: Path = args.facts
    if not data_dir.is_dir():
        print(f"data folder {data_dir} not found; derived rows left unchanged")
        return 0
    try:
        derived = derive_all(data_dir)
        existing = read_facts(facts_path)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    new_text = render(splice(existing, derived))
    old_text = facts_path.read_text(encoding="utf-8") if facts_path.is_file() else ""
    if new_text == old_text:
        print(f"{facts_path}: up to date ({len(derived)} derived rows)")
        return 0
    if args.check:
        old = {r[0]: r for r in existing if r and is_derived(r[0])}
        new = {f.id: f.as_row() for f in derived}
        changed = sorted(k for k in new.keys() & old.keys() if new[k] != old[k])
        added = sorted(new.keys() - old.keys())
        removed = sorted(old.keys() - new.keys())
        print(f"{facts_path} is out of date; run python calibration/derive_facts.py")
        for label, ids in (("changed", changed), ("added", added), ("removed", removed)):
            if ids:
                print(f"  {label}: {', '.join(ids)}")
        return 1
    facts_path.write_text(new_text, encoding="utf-8", newline="")
    print(f"{facts_path}: wrote {len(derived)} derived rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())

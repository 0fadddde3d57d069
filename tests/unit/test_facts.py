"""Checks on calibration/facts.csv and calibration/derive_facts.py."""

from __future__ import annotations

import csv
import importlib.util
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FACTS_CSV = REPO_ROOT / "calibration" / "facts.csv"
DERIVE_SCRIPT = REPO_ROOT / "calibration" / "derive_facts.py"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

COLUMNS = ["id", "quantity", "value", "unit", "year", "region", "source", "quality"]
QUALITIES = {"primary", "secondary", "unverified", "derived"}

# Row ids of the calibration fact sheet: section letter -> number of rows (A1..A17, ..., J1..J5).
FACT_SECTIONS: dict[str, int] = {
    "A": 17,
    "B": 22,
    "C": 11,
    "D": 19,
    "E": 9,
    "F": 5,
    "G": 15,
    "H": 9,
    "I": 10,
    "J": 5,
}
EXPECTED_FACT_IDS: list[str] = [
    f"{letter}{n}" for letter, count in FACT_SECTIONS.items() for n in range(1, count + 1)
]

# Derived ids the simulator relies on (written by derive_facts.py).
REQUIRED_DERIVED_IDS: list[str] = [
    *(f"EP.{v}_h100e.{y}Q4" for v in ("nvidia", "tpu", "amd", "trainium") for y in (2024, 2025)),
    "EP.all_h100e.2024Q4",
    "EP.all_h100e.2025Q4",
    "EP.deliveries_h100e.2024",
    "EP.deliveries_h100e.2025",
    "EP.nvidia_share_h100e.2025Q4",
    *(
        f"EP.owner.{o}.{y}Q4"
        for o in ("microsoft", "meta", "amazon", "google", "oracle", "china", "other")
        for y in (2024, 2025)
    ),
    "EP.price.h100_purchase_usd",
    "EP.price.h100_ondemand_hyperscaler_usd_per_hour",
    "EP.price.h100_ondemand_other_usd_per_hour",
    "EP.price.h100_3yr_usd_per_hour",
    *(
        f"EP.{kind}.{r}.{y}"
        for kind in ("models", "open_models")
        for r in ("US", "China", "EU27", "UK", "Japan", "India", "RoW")
        for y in (2023, 2024)
    ),
    *(
        f"T5.{kind}.{r}"
        for kind in ("rmax_share", "systems")
        for r in ("US", "EU", "CN", "JP", "KR", "TW", "UK", "IN", "RoW")
    ),
    "T5.rmax_total_pflops",
    *(
        f"EP.{k}.{y}Q{q}"
        for k in ("china_share_nvidia", "nvidia_added_h100e")
        for y in (2023, 2024)
        for q in (1, 2, 3, 4)
    ),
]

# A few hand-transcribed sub-rows with their expected values.
SPOT_VALUES: dict[str, float] = {
    "A2.aws": 30,
    "A2.microsoft": 21,
    "A2.google": 12,
    "A8.big3": 72,
    "A12.aws_microsoft_low": 70,
    "A12.aws_microsoft_high": 80,
    "B6.taiwan_sub10nm": 92,
    "B16": 37500,
    "C6.tier2_cap_h100e": 49901,
    "D17.grid_eu_high": 11,
    "E3.notice_max_days": 60,
    "E3.transition_max_days": 210,
    "H6.us_employs": 59,
    "I3.gigafactory_fund_eur_bn": 20,
}

ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@pytest.fixture(scope="module")
def header_and_rows() -> tuple[list[str], list[dict[str, str]]]:
    with FACTS_CSV.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = list(reader.fieldnames or [])
    return header, rows


@pytest.fixture(scope="module")
def rows(header_and_rows: tuple[list[str], list[dict[str, str]]]) -> list[dict[str, str]]:
    return header_and_rows[1]


@pytest.fixture(scope="module")
def by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in rows}


def load_derive_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("derive_facts", DERIVE_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["derive_facts"] = module
    spec.loader.exec_module(module)
    return module


def test_columns_exact(header_and_rows: tuple[list[str], list[dict[str, str]]]) -> None:
    header, _ = header_and_rows
    assert header == COLUMNS


def test_every_row_has_all_columns(rows: list[dict[str, str]]) -> None:
    for row in rows:
        assert None not in row, f"{row.get('id')}: too many fields"
        assert all(row[c] is not None for c in COLUMNS), f"{row.get('id')}: too few fields"


def test_ids_unique_and_nonempty(rows: list[dict[str, str]]) -> None:
    ids = [r["id"] for r in rows]
    assert all(ids), "empty id"
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate ids: {duplicates}"


def test_every_fact_id_present(by_id: dict[str, dict[str, str]]) -> None:
    assert len(EXPECTED_FACT_IDS) == 122
    missing = [i for i in EXPECTED_FACT_IDS if i not in by_id]
    assert not missing, f"missing fact ids: {missing}"


def test_sub_rows_have_known_parents(rows: list[dict[str, str]]) -> None:
    parents = set(EXPECTED_FACT_IDS) | {"V1", "V3", "V4", "V5", "V6", "EP", "T5", "W", "FT"}
    for row in rows:
        head = row["id"].split(".")[0]
        assert head in parents, f"{row['id']}: unknown parent {head}"


def test_quality_allowed(rows: list[dict[str, str]]) -> None:
    bad = {r["id"]: r["quality"] for r in rows if r["quality"] not in QUALITIES}
    assert not bad, f"bad quality values: {bad}"


def test_sources_nonempty(rows: list[dict[str, str]]) -> None:
    empty = [r["id"] for r in rows if not r["source"].strip()]
    assert not empty, f"rows without a source: {empty}"


def test_quantity_nonempty(rows: list[dict[str, str]]) -> None:
    empty = [r["id"] for r in rows if not r["quantity"].strip()]
    assert not empty, f"rows without a quantity: {empty}"


def test_values_parse(rows: list[dict[str, str]]) -> None:
    """Numeric units carry finite numbers; 'date' rows carry ISO dates; qualitative rows no unit."""
    problems: list[str] = []
    for row in rows:
        value, unit = row["value"].strip(), row["unit"].strip()
        if value == "qualitative":
            if unit:
                problems.append(f"{row['id']}: qualitative value with unit {unit!r}")
        elif unit == "date":
            if not ISO_DATE.match(value):
                problems.append(f"{row['id']}: {value!r} is not an ISO date")
        elif not unit:
            problems.append(f"{row['id']}: numeric value {value!r} without a unit")
        else:
            try:
                number = float(value)
            except ValueError:
                problems.append(f"{row['id']}: {value!r} is not a number (unit {unit!r})")
                continue
            if not math.isfinite(number):
                problems.append(f"{row['id']}: {value!r} is not finite")
    assert not problems, "\n".join(problems)


def test_percentages_in_range(rows: list[dict[str, str]]) -> None:
    for row in rows:
        if row["unit"] == "%":
            assert 0.0 <= float(row["value"]) <= 100.0, row["id"]


def test_spot_values(by_id: dict[str, dict[str, str]]) -> None:
    for fact_id, expected in SPOT_VALUES.items():
        assert fact_id in by_id, fact_id
        assert float(by_id[fact_id]["value"]) == pytest.approx(expected), fact_id


def test_required_derived_rows(by_id: dict[str, dict[str, str]]) -> None:
    missing = [i for i in REQUIRED_DERIVED_IDS if i not in by_id]
    assert not missing, f"missing derived ids: {missing}"
    for fact_id in REQUIRED_DERIVED_IDS:
        row = by_id[fact_id]
        assert row["quality"] == "derived", fact_id
        assert "derive_facts.py" in row["source"], fact_id
        float(row["value"])


def test_derived_rows_consistent(by_id: dict[str, dict[str, str]]) -> None:
    def v(fact_id: str) -> float:
        return float(by_id[fact_id]["value"])

    for year in (2024, 2025):
        vendors = sum(v(f"EP.{x}_h100e.{year}Q4") for x in ("nvidia", "tpu", "amd", "trainium"))
        assert v(f"EP.all_h100e.{year}Q4") == pytest.approx(vendors)
        owners = sum(
            v(f"EP.owner.{o}.{year}Q4")
            for o in ("microsoft", "meta", "amazon", "google", "oracle", "china", "other")
        )
        assert owners == pytest.approx(v(f"EP.nvidia_h100e.{year}Q4"))
    shares = sum(v(f"T5.rmax_share.{r}") for r in ("US", "EU", "CN", "JP", "KR", "TW", "UK", "IN"))
    assert shares + v("T5.rmax_share.RoW") == pytest.approx(100.0, abs=0.05)
    systems = sum(
        v(f"T5.systems.{r}") for r in ("US", "EU", "CN", "JP", "KR", "TW", "UK", "IN", "RoW")
    )
    assert systems == 500


def test_quarterly_shipments_add_up_to_the_cumulative_totals(
    by_id: dict[str, dict[str, str]],
) -> None:
    def v(fact_id: str) -> float:
        return float(by_id[fact_id]["value"])

    quarters = sum(v(f"EP.nvidia_added_h100e.2024Q{q}") for q in (1, 2, 3, 4))
    assert quarters == pytest.approx(v("EP.nvidia_h100e.2024Q4") - v("EP.nvidia_h100e.2023Q4"))
    for y in (2023, 2024):
        for q in (1, 2, 3, 4):
            assert 0.0 <= v(f"EP.china_share_nvidia.{y}Q{q}") <= 100.0


def test_china_share_is_the_quarterly_difference_of_cumulatives(tmp_path: Path) -> None:
    mod = load_derive_module()
    owners = "Name,Owner,Start date,End date,Compute estimate in H100e (median)\n"
    totals = "Name,Start date,End date,Compute estimate in H100e (median)\n"
    cum_china, cum_total = 0.0, 0.0
    for year in (2021, 2022, 2023, 2024):
        for q, end in ((1, "3/31"), (2, "6/30"), (3, "9/30"), (4, "12/31")):
            cum_china += 10.0 * q
            cum_total += 100.0
            owners += f"x,China,1/1/2022,{end}/{year},{cum_china}\n"
            owners += f"x,Meta,1/1/2022,{end}/{year},999\n"
            totals += f"x,1/1/2022,{end}/{year},{cum_total}\n"
    (tmp_path / "nvidia_owners_cumulative_totals.csv").write_text(owners, encoding="utf-8")
    (tmp_path / "nvidia_cumulative_totals.csv").write_text(totals, encoding="utf-8")
    facts = {f.id: float(f.value) for f in mod.derive_china_share(tmp_path)}
    assert facts["EP.china_share_nvidia.2023Q3"] == pytest.approx(30.0)
    assert facts["EP.china_share_nvidia.2024Q1"] == pytest.approx(10.0)
    assert facts["EP.nvidia_added_h100e.2023Q3"] == pytest.approx(100.0)


def test_splice_keeps_other_rows_in_order() -> None:
    mod = load_derive_module()
    existing = [
        ["A1", "q", "1", "%", "2024", "World", "s", "primary"],
        ["EP.old", "q", "1", "%", "2024", "World", "s", "derived"],
        ["B1", "q", "2", "%", "2024", "World", "s", "primary"],
        ["T5.old", "q", "1", "%", "2024", "World", "s", "derived"],
        ["C1", "q", "3", "%", "2024", "World", "s", "primary"],
    ]
    new = [mod.Fact("EP.new", "q", "5", "H100e", "2025", "World", "s")]
    out = mod.splice(existing, new)
    assert [r[0] for r in out] == ["A1", "EP.new", "B1", "C1"]
    assert [r[0] for r in mod.splice(existing[:1], new)] == ["A1", "EP.new"]


def test_missing_data_folder_is_a_no_op(tmp_path: Path) -> None:
    facts = tmp_path / "facts.csv"
    facts.write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
    before = facts.read_bytes()
    mod = load_derive_module()
    status = mod.main(["--data", str(tmp_path / "absent"), "--facts", str(facts)])
    assert status == 0
    assert facts.read_bytes() == before


def test_derive_check_passes() -> None:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"raw data folder {SHARED_DATA} not available; derived rows not re-checked")
    result = subprocess.run(
        [sys.executable, str(DERIVE_SCRIPT), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""Loading scenario files: ``extends:``, profiles, suppliers, ``--set`` and every bad input.

Each bad input must raise one :class:`~ecosim.errors.InputError` whose message names the file
(or ``--set``), the key path, what was expected and what was found.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecosim.errors import InputError, format_path
from ecosim.scenario.defaults import load_defaults
from ecosim.scenario.loader import LoadedScenario, load_scenario, parse_override
from ecosim.scenario.models import FabDisruption, Scenario

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "scenarios" / "small.yaml"
BASELINE = ROOT / "scenarios" / "baseline.yaml"

FAB = (
    "{id: %s, type: fab_disruption, suppliers: [tsmc], start: 2025-04-01, "
    "duration: {kind: fixed, days: 10}}"
)
NEWCLOUD = "{good: cloud, home: %s, quality: 0.5, price_usd_per_h100e_hour: 2.0, headroom: 0.1}"
MARS_CUTOFF = (
    "{id: s1, type: cloud_cutoff, providers: [aws], regions: [Mars], start: 2025-04-01, "
    "duration: {kind: permanent}}"
)


def write(folder: Path, name: str, text: str) -> Path:
    """Write a scenario file (dedented) under ``folder`` and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def load_error(path: Path | str, overrides: list[str] | None = None, **kw: Any) -> InputError:
    """The InputError that loading raises (fails the test if loading succeeds)."""
    with pytest.raises(InputError) as info:
        load_scenario(path, overrides or [], **kw)
    return info.value


def check(err: InputError, source: Path | str, path: str, expected: str, found: str) -> None:
    """Assert the four pieces of an input error, in its fields and in its message."""
    msg = err.message
    assert err.source == str(source), msg
    assert format_path(err.path) == path, msg
    assert expected in err.expected, msg
    assert found in err.found, msg
    assert msg.startswith(f"{source}: {path}: expected "), msg
    assert f"expected {err.expected}" in msg and f"found {err.found}" in msg, msg
    assert "\n" not in msg, msg


def shock_ids(loaded: LoadedScenario) -> list[str]:
    return [s.id for s in loaded.scenario.shocks]


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """A small valid scenario: US, CN and TW with one fab shock."""
    return write(
        tmp_path,
        "world.yaml",
        f"""
        name: world
        horizon_years: 1
        regions: {{US: {{}}, CN: {{}}, TW: {{}}}}
        shocks:
          - {FAB % "quake"}
        """,
    )


# --------------------------------------------------------------------------- extends


def test_mappings_merge_across_extends(tmp_path: Path) -> None:
    write(
        tmp_path,
        "parent.yaml",
        """
        name: parent
        horizon_years: 3
        regions: {US: {levers: {build_share: 0.9}}, TW: {}}
        """,
    )
    child = write(
        tmp_path,
        "child.yaml",
        """
        extends: parent.yaml
        name: child
        regions: {US: {levers: {open_stack_share: 0.5}}}
        """,
    )
    s = load_scenario(child).scenario
    assert s.name == "child"
    assert s.horizon_years == 3
    assert s.region_names == ["US", "TW"]
    assert s.regions["US"].levers.build_share == 0.9
    assert s.regions["US"].levers.open_stack_share == 0.5


def test_child_shock_list_replaces_the_parent_list(tmp_path: Path) -> None:
    write(
        tmp_path,
        "parent.yaml",
        f"""
        name: parent
        regions: {{US: {{}}, TW: {{}}}}
        shocks:
          - {FAB % "a"}
          - {FAB % "b"}
        """,
    )
    child = write(
        tmp_path,
        "child.yaml",
        f"""
        extends: parent.yaml
        shocks:
          - {FAB % "c"}
        """,
    )
    assert shock_ids(load_scenario(child)) == ["c"]
    empty = write(tmp_path, "empty.yaml", "extends: parent.yaml\nshocks: []\n")
    assert shock_ids(load_scenario(empty)) == []


def test_null_removes_a_region(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", "name: p\nregions: {US: {}, CN: {}, TW: {}}\n")
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\nregions: {CN: null}\n")
    s = load_scenario(child).scenario
    assert s.region_names == ["US", "TW"]
    # the removed region's suppliers leave the world with it
    assert not [sid for sid, sup in s.suppliers.items() if sup.home == "CN"]


def test_null_removes_a_nested_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        "name: s\nregions: {US: {levers: {interoperability: {TW: null}}}, TW: {}}\n",
    )
    assert "TW" not in load_scenario(path).scenario.regions["US"].levers.interoperability


def test_extends_chain_resolves_relative_to_each_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "root.yaml", "name: root\nhorizon_years: 4\nregions: {US: {}, TW: {}}\n")
    write(
        tmp_path,
        "mid/mid.yaml",
        "extends: ../root.yaml\nname: mid\nregions: {US: {levers: {build_share: 0.8}}}\n",
    )
    leaf = write(
        tmp_path,
        "mid/deeper/leaf.yaml",
        "extends: ../mid.yaml\nname: leaf\nregions: {TW: {levers: {build_share: 0.1}}}\n",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    s = load_scenario(leaf).scenario
    assert (s.name, s.horizon_years) == ("leaf", 4)
    assert s.regions["US"].levers.build_share == 0.8
    assert s.regions["TW"].levers.build_share == 0.1


def test_repository_small_scenario_extends_the_baseline() -> None:
    loaded = load_scenario(SMALL)
    assert loaded.scenario.region_names == ["US", "CN", "TW"]
    assert shock_ids(loaded) == ["fab_quake", "cn_controls"]
    # defaults, then the calibrated values the baseline names, then the files, root first
    assert [layer.source for layer in loaded.layers][1:4] == [
        str((SMALL.parent / "../../calibration/calibrated/episodes-v2.yaml").resolve()),
        str((SMALL.parent / "../../scenarios/baseline.yaml").resolve()),
        str(SMALL),
    ]


def test_extends_cycle_is_an_input_error(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "extends: b.yaml\nname: a\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\nname: b\n")
    err = load_error(a)
    check(err, tmp_path / "b.yaml", "extends", "without cycles", "a.yaml")


def test_extends_itself_is_a_cycle(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", "extends: a.yaml\nname: a\n")
    check(load_error(a), a, "extends", "without cycles", "a.yaml")


def test_extends_missing_file_names_the_referring_file(tmp_path: Path) -> None:
    child = write(tmp_path, "child.yaml", "extends: nowhere.yaml\nname: c\n")
    check(load_error(child), child, "extends", "an existing scenario file", "nowhere.yaml")


def test_extends_must_be_a_file_name(tmp_path: Path) -> None:
    child = write(tmp_path, "child.yaml", "extends: [a.yaml, b.yaml]\nname: c\n")
    check(load_error(child), child, "extends", "a file name", "a.yaml")


# --------------------------------------------------------------------------- region profiles


def test_region_named_after_a_profile_gets_it(tmp_path: Path) -> None:
    profiles = load_defaults()["region_profiles"]
    path = write(tmp_path, "s.yaml", "name: s\nregions: {US: {}, EU: {}}\n")
    s = load_scenario(path).scenario
    for name in ("US", "EU"):
        region = s.regions[name]
        assert region.profile is None
        assert region.demand.initial_h100e == float(profiles[name]["demand"]["initial_h100e"])
        assert region.levers.build_share == profiles[name]["levers"]["build_share"]
        assert region.policy.style == profiles[name]["policy"]["style"]
    # a profile's partners outside this world are dropped, the others kept
    assert set(s.regions["US"].levers.interoperability) == {"EU"}


def test_new_region_starts_from_a_named_profile(tmp_path: Path) -> None:
    eu = load_defaults()["region_profiles"]["EU"]
    path = write(
        tmp_path,
        "s.yaml",
        "name: s\nregions: {US: {}, EU_T2: {profile: EU, levers: {build_share: 0.7}}}\n",
    )
    s = load_scenario(path).scenario
    region = s.regions["EU_T2"]
    assert region.profile == "EU"
    assert region.demand.initial_h100e == float(eu["demand"]["initial_h100e"])
    assert region.policy.style == "coordinated"
    assert region.levers.build_share == 0.7
    assert set(region.levers.interoperability) == {"US"}


def test_unknown_profile_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: s\nregions: {US: {}, EU_T2: {profile: EUX}}\n")
    err = load_error(path)
    check(err, path, "regions.EU_T2.profile", "one of the region profiles", "EUX")
    assert "EU" in err.expected and "RoW" in err.expected


def test_new_region_without_profile_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: s\nregions: {US: {}, Atlantis: {}}\n")
    err = load_error(path)
    check(err, path, "regions.Atlantis.profile", "one of the region profiles", "Atlantis")
    assert "profile:" in err.message


# --------------------------------------------------------------------------- suppliers


def test_only_suppliers_homed_in_the_scenario_are_included(tmp_path: Path) -> None:
    catalogue = load_defaults()["suppliers"]
    path = write(tmp_path, "s.yaml", "name: s\nregions: {US: {}, TW: {}}\n")
    s = load_scenario(path).scenario
    expected = [sid for sid, sup in catalogue.items() if sup["home"] in {"US", "TW"}]
    assert list(s.suppliers) == expected
    assert {"nvidia", "tsmc", "aws", "cuda"} <= set(s.suppliers)
    assert not {"huawei_ascend", "asml", "sk_hynix", "ovhcloud"} & set(s.suppliers)


def test_cloud_shares_of_absent_providers_are_dropped(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: s\nregions: {EU: {}, US: {}}\n")
    shares = load_scenario(path).scenario.regions["EU"].cloud.initial_shares
    # EU's profile lists ovhcloud and deutsche_telekom; they are EU-homed so they stay
    assert {"aws", "ovhcloud", "deutsche_telekom"} <= set(shares)
    path = write(tmp_path, "t.yaml", "name: t\nregions: {US: {}, EU_T2: {profile: EU}}\n")
    shares = load_scenario(path).scenario.regions["EU_T2"].cloud.initial_shares
    # the EU's own providers and Alibaba (CN is not in this world) are gone; the rest keep
    # their proportions and sum to 1
    assert set(shares) == {"aws", "azure", "gcp", "oracle", "us_others"}
    assert sum(shares.values()) == pytest.approx(1.0)


def test_scenario_can_add_override_and_remove_suppliers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        name: s
        regions: {US: {}}
        suppliers:
          nvidia: {capacity_h100e_per_year: 1.0e6}
          amd: null
          newcloud: %s
        """
        % (NEWCLOUD % "US"),
    )
    s = load_scenario(path).scenario
    assert s.suppliers["nvidia"].capacity_h100e_per_year == 1.0e6
    assert s.suppliers["nvidia"].home == "US"  # the rest of the catalogue entry is kept
    assert "amd" not in s.suppliers
    assert s.suppliers["newcloud"].good == "cloud"
    assert "newcloud" in s.suppliers_of("cloud")


def test_catalogue_supplier_can_be_pulled_in_when_its_home_is_present(tmp_path: Path) -> None:
    path = write(
        tmp_path, "s.yaml", "name: s\nregions: {US: {}, KR: {}}\nsuppliers: {asml: {home: KR}}\n"
    )
    s = load_scenario(path).scenario
    assert s.suppliers["asml"].home == "KR"
    assert s.suppliers["asml"].good == "lithography"


def test_new_supplier_homed_outside_the_scenario_is_an_input_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        """
        name: s
        regions: {US: {}}
        suppliers:
          newcloud: %s
        """
        % (NEWCLOUD % "XX"),
    )
    err = load_error(path)
    check(err, path, "suppliers.newcloud.home", "a region of this scenario (US)", "XX")


def test_catalogue_supplier_homed_outside_the_scenario_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: s\nregions: {US: {}}\nsuppliers: {tsmc: {}}\n")
    check(load_error(path), path, "suppliers.tsmc.home", "a region of this scenario", "TW")


def test_suppliers_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: s\nregions: {US: {}}\nsuppliers: [nvidia]\n")
    check(load_error(path), path, "suppliers", "a mapping", "nvidia")


def test_world_without_accelerator_supplier_is_an_input_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        "name: s\nregions: {US: {}}\nsuppliers: {nvidia: null, amd: null, google_tpu: null}\n",
    )
    err = load_error(path)
    assert err.source == str(path)
    assert format_path(err.path) == "suppliers"
    assert "accelerator supplier" in err.expected


# --------------------------------------------------------------------------- --set overrides


def test_set_parses_numbers_lists_and_strings_as_yaml(world: Path) -> None:
    s = load_scenario(
        world,
        [
            "regions.US.levers.build_share=0.6",
            "horizon_years=2",
            "shocks.quake.suppliers=[tsmc, tsmc_cowos]",
            "name=my_run",
            "description='a: b'",
            "start=2025-02-01",
        ],
    ).scenario
    assert s.regions["US"].levers.build_share == 0.6
    assert s.horizon_years == 2.0
    shock = s.shocks[0]
    assert isinstance(shock, FabDisruption)
    assert shock.suppliers == ["tsmc", "tsmc_cowos"]
    assert s.name == "my_run"
    assert s.description == "a: b"
    assert str(s.start) == "2025-02-01"


def test_set_addresses_a_shock_by_id(world: Path) -> None:
    path = world.parent / "two.yaml"
    path.write_text(
        world.read_text() + f"  - {FAB % 'second'}\n",
        encoding="utf-8",
    )
    s = load_scenario(path, ["shocks.second.capacity_loss=0.2"]).scenario
    losses = {sh.id: sh.capacity_loss for sh in s.shocks if isinstance(sh, FabDisruption)}
    default = load_defaults()["shock_defaults"]["fab_disruption"]["capacity_loss"]
    assert losses == {"quake": default, "second": 0.2}
    s = load_scenario(path, ["shocks.quake={capacity_loss: 0.3, suppliers: [smic]}"]).scenario
    first = s.shocks[0]
    assert isinstance(first, FabDisruption)
    assert (first.capacity_loss, first.suppliers) == (0.3, ["smic"])
    assert s.shocks[0].duration.kind == "fixed"  # merged into the shock, not replacing it


def test_set_applies_in_order_and_wins_over_files(world: Path) -> None:
    s = load_scenario(
        world, ["regions.US.levers.build_share=0.1", "regions.US.levers.build_share=0.2"]
    ).scenario
    assert s.regions["US"].levers.build_share == 0.2


def test_set_can_replace_the_shock_list(world: Path) -> None:
    assert shock_ids(load_scenario(world, ["shocks=[]"])) == []


def test_set_unknown_shock_id_is_an_input_error(world: Path) -> None:
    err = load_error(world, ["shocks.nope.capacity_loss=0.1"])
    check(err, "--set", "shocks.nope", "the id of a shock", "nope")
    assert "quake" in err.expected


@pytest.mark.parametrize(
    ("flag", "found"),
    [("foo", "'foo'"), ("=5", "'=5'"), ("", "''"), ("regions..US=1", "'regions..US'")],
)
def test_malformed_set_is_an_input_error(world: Path, flag: str, found: str) -> None:
    err = load_error(world, [flag])
    assert err.source == "--set"
    assert "KEY.PATH=VALUE" in err.expected or "key path" in err.expected
    assert err.found == found
    assert err.message.startswith("--set: ")


def test_set_with_invalid_yaml_value_is_an_input_error(world: Path) -> None:
    err = load_error(world, ["regions.US.levers.build_share=[0.5,"])
    check(err, "--set", "regions.US.levers.build_share", "a YAML value", "[0.5,")


def test_parse_override_splits_key_path_and_value() -> None:
    assert parse_override("regions.EU.levers.build_share=0.6") == (
        ["regions", "EU", "levers", "build_share"],
        0.6,
    )
    assert parse_override("a.b=[1, 2]") == (["a", "b"], [1, 2])
    assert parse_override("a=x=y") == (["a"], "x=y")
    assert parse_override("a=") == (["a"], None)


def test_seed_argument_replaces_the_seed(world: Path) -> None:
    base = load_scenario(world)
    seeded = load_scenario(world, seed=7)
    assert seeded.scenario.seed == 7
    assert seeded.sha256 != base.sha256
    assert load_scenario(world, ["seed=9"], seed=7).scenario.seed == 7


def test_negative_seed_is_an_input_error(world: Path) -> None:
    check(load_error(world, seed=-1), "--set", "seed", ">= 0", "-1")


# --------------------------------------------------------------------------- bad input


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: s\nregions: {US: {levers: {build_share: [1, }}\n")
    err = load_error(path)
    check(err, path, "<top level>", "valid YAML", "line 2, column")


def test_tab_indented_yaml_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: s\nregions:\n\tUS: {}\n")
    check(load_error(path), path, "<top level>", "valid YAML", "line 3")


@pytest.mark.parametrize(
    ("text", "path", "expected", "found"),
    [
        ("regions: {US: {}}\nhorizon_years: ten\n", "horizon_years", "number", "'ten'"),
        ("regions: {US: {demand: 5}}\n", "regions.US.demand", "dictionary", "5"),
        ("regions: {US: {}}\nseed: 1.5\n", "seed", "integer", "1.5"),
        (
            "regions: {US: {policy: {style: soviet}}}\n",
            "regions.US.policy.style",
            "'market'",
            "soviet",
        ),
        ("regions: {US: {}}\nstart: someday\n", "start", "date", "someday"),
        ("regions: []\n", "regions", "dictionary", "[]"),
    ],
)
def test_wrong_type_is_an_input_error(
    tmp_path: Path, text: str, path: str, expected: str, found: str
) -> None:
    file = write(tmp_path, "s.yaml", "name: s\n" + text)
    check(load_error(file), file, path, expected, found)


@pytest.mark.parametrize(
    ("text", "path", "key"),
    [
        (
            "regions: {US: {levers: {bild_share: 0.5}}}\n",
            "regions.US.levers.bild_share",
            "bild_share",
        ),
        ("regions: {US: {}}\nhorizon_year: 2\n", "horizon_year", "horizon_year"),
        (
            "regions: {US: {}}\nuncertainties: {jobs: {arrival_per_day: 3}}\n",
            "uncertainties.jobs.arrival_per_day",
            "arrival_per_day",
        ),
    ],
)
def test_unknown_key_is_an_input_error(tmp_path: Path, text: str, path: str, key: str) -> None:
    file = write(tmp_path, "s.yaml", "name: s\n" + text)
    check(load_error(file), file, path, "a known key", f"unknown key '{key}'")


def test_unknown_key_in_a_shock_is_named_by_shock_id(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        """
        name: s
        regions: {US: {}, TW: {}}
        shocks:
          - {id: q, type: fab_disruption, suppliers: [tsmc], start: 2025-04-01,
             duration: {kind: permanent}, capacity_los: 0.5}
        """,
    )
    check(load_error(file), file, "shocks.q.capacity_los", "a known key", "'capacity_los'")


@pytest.mark.parametrize(
    ("text", "path", "expected", "found"),
    [
        (
            "regions: {US: {levers: {build_share: 1.5}}}\n",
            "regions.US.levers.build_share",
            "<= 1",
            "1.5",
        ),
        (
            "regions: {US: {compute: {own_h100e: -5}}}\n",
            "regions.US.compute.own_h100e",
            ">= 0",
            "-5",
        ),
        ("regions: {US: {}}\nhorizon_years: 0\n", "horizon_years", "> 0", "0"),
        ("regions: {US: {cloud: {customers: 0}}}\n", "regions.US.cloud.customers", ">= 1", "0"),
        (
            "regions: {US: {}}\nrecording: {interval_days: 400}\n",
            "recording.interval_days",
            "<= 366",
            "400",
        ),
        (
            "regions: {US: {}}\nstep_days: 2\nrecording: {interval_days: 7}\n",
            "recording.interval_days",
            "a whole multiple of step_days (2 d)",
            "7 d (3.5 steps)",
        ),
        (
            "regions: {US: {}}\nstep_days: 7\nrecording: {interval_days: 1}\n",
            "recording.interval_days",
            "a whole multiple of step_days (7 d)",
            "1 d (0.1429 steps)",
        ),
        ("regions: {US: {}}\nstep_days: 31\n", "step_days", "<= 30", "31"),
    ],
)
def test_value_out_of_range_is_an_input_error(
    tmp_path: Path, text: str, path: str, expected: str, found: str
) -> None:
    file = write(tmp_path, "s.yaml", "name: s\n" + text)
    check(load_error(file), file, path, expected, found)


@pytest.mark.parametrize(
    ("flag", "path", "expected", "found"),
    [
        ("regions.US.levers.build_share=1.5", "regions.US.levers.build_share", "<= 1", "1.5"),
        ("regions.CN.compute.own_h100e=-1", "regions.CN.compute.own_h100e", ">= 0", "-1"),
        ("shocks.quake.capacity_loss=2", "shocks.quake.capacity_loss", "<= 1", "2"),
        (
            "regions.US.levers.bild_share=0.5",
            "regions.US.levers.bild_share",
            "a known key",
            "bild_share",
        ),
    ],
)
def test_bad_value_from_set_names_the_flag(
    world: Path, flag: str, path: str, expected: str, found: str
) -> None:
    check(load_error(world, [flag]), "--set", path, expected, found)


def test_shares_that_do_not_sum_to_one_are_an_input_error(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        "name: s\nregions: {US: {models: {own_share: 0.5, open_weights_share: 0.2}}}\n",
    )
    check(load_error(file), file, "regions.US.models", "sum to 1", "0.5")


SHOCK_REFERENCES = [
    (
        "{id: s1, type: cloud_cutoff, providers: [aws], regions: [Mars]}",
        "shocks.s1.regions",
        "a region of this scenario",
        "Mars",
    ),
    (
        "{id: s1, type: export_control, imposers: [US], targets: [Mars], goods: [accelerator]}",
        "shocks.s1.targets",
        "a region of this scenario",
        "Mars",
    ),
    (
        "{id: s1, type: cloud_cutoff, providers: [nimbus], regions: [US]}",
        "shocks.s1.providers",
        "a cloud provider of this scenario",
        "nimbus",
    ),
    (
        "{id: s1, type: fab_disruption, suppliers: [nope]}",
        "shocks.s1.suppliers",
        "a chip supplier of this scenario",
        "nope",
    ),
    (
        "{id: s1, type: fab_disruption, suppliers: [aws]}",
        "shocks.s1.suppliers",
        "a chip supplier of this scenario",
        "aws",
    ),
    (
        "{id: s1, type: export_control, imposers: [US], targets: [CN], goods: [hbm], "
        "extra_suppliers: [sk_hynix]}",
        "shocks.s1.extra_suppliers",
        "a supplier of this scenario",
        "sk_hynix",
    ),
]


@pytest.mark.parametrize(("shock", "path", "expected", "found"), SHOCK_REFERENCES)
def test_shock_naming_something_missing_is_an_input_error(
    tmp_path: Path, shock: str, path: str, expected: str, found: str
) -> None:
    body = shock[:-1] + ", start: 2025-04-01, duration: {kind: permanent}}"
    file = write(
        tmp_path,
        "s.yaml",
        f"name: s\nregions: {{US: {{}}, CN: {{}}, TW: {{}}}}\nshocks:\n  - {body}\n",
    )
    check(load_error(file), file, path, expected, found)


def test_interoperability_with_a_missing_region_is_an_input_error(tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "s.yaml",
        "name: s\nregions: {US: {levers: {interoperability: {Atlantis: 0.5}}}, TW: {}}\n",
    )
    check(
        load_error(file),
        file,
        "regions.US.levers.interoperability",
        "a region of this scenario",
        "Atlantis",
    )


def test_proprietary_stack_that_is_not_a_stack_is_an_input_error(tmp_path: Path) -> None:
    file = write(
        tmp_path, "s.yaml", "name: s\nregions: {US: {software: {proprietary_stack: aws}}}\n"
    )
    check(
        load_error(file),
        file,
        "regions.US.software.proprietary_stack",
        "a software stack of this scenario",
        "aws",
    )


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "nothere.yaml"
    check(load_error(path), path, "<top level>", "an existing scenario file", "nothere.yaml")


def test_directory_is_not_a_scenario_file(tmp_path: Path) -> None:
    check(load_error(tmp_path), tmp_path, "<top level>", "an existing scenario file", "")


@pytest.mark.parametrize(
    ("text", "found"), [("- a\n- b\n", "list"), ("42\n", "int"), ("hello\n", "str")]
)
def test_non_mapping_top_level_is_an_input_error(tmp_path: Path, text: str, found: str) -> None:
    path = write(tmp_path, "s.yaml", text)
    check(load_error(path), path, "<top level>", "a mapping", found)


def test_non_utf8_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    check(load_error(path), path, "<top level>", "UTF-8", "")


def test_duplicate_shock_ids_are_an_input_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        f"name: s\nregions: {{US: {{}}, TW: {{}}}}\nshocks:\n"
        f"  - {FAB % 'dup'}\n  - {FAB % 'dup'}\n",
    )
    check(load_error(path), path, "shocks.dup.id", "a unique shock id", "dup")


@pytest.mark.parametrize(
    "schedule",
    ["start: 2025-04-01, rate_per_year: 1.0", ""],
    ids=["both", "neither"],
)
def test_shock_needs_exactly_one_of_start_and_rate(tmp_path: Path, schedule: str) -> None:
    sep = ", " if schedule else ""
    shock = (
        f"{{id: s1, type: fab_disruption, suppliers: [tsmc]{sep}{schedule}, "
        "duration: {kind: permanent}}"
    )
    path = write(
        tmp_path, "s.yaml", f"name: s\nregions: {{US: {{}}, TW: {{}}}}\nshocks:\n  - {shock}\n"
    )
    err = load_error(path)
    check(err, path, "shocks.s1", "exactly one of 'start'", "")
    assert "rate_per_year" in err.expected


@pytest.mark.parametrize(
    ("duration", "path", "expected", "found"),
    [
        ("{kind: forever}", "shocks.s1.duration", "'fixed'", "forever"),
        ("{kind: fixed}", "shocks.s1.duration.days", "a value for this required key", "nothing"),
        ("{kind: fixed, days: -3}", "shocks.s1.duration.days", "> 0", "-3"),
        ("{kind: permanent, days: 3}", "shocks.s1.duration.days", "a known key", "days"),
    ],
)
def test_bad_duration_is_an_input_error(
    tmp_path: Path, duration: str, path: str, expected: str, found: str
) -> None:
    shock = (
        "{id: s1, type: fab_disruption, suppliers: [tsmc], start: 2025-04-01, "
        f"duration: {duration}}}"
    )
    file = write(
        tmp_path, "s.yaml", f"name: s\nregions: {{US: {{}}, TW: {{}}}}\nshocks:\n  - {shock}\n"
    )
    check(load_error(file), file, path, expected, found)


def test_unknown_shock_type_is_an_input_error(tmp_path: Path) -> None:
    shock = "{id: s1, type: meteor, start: 2025-04-01, duration: {kind: permanent}}"
    file = write(tmp_path, "s.yaml", f"name: s\nregions: {{US: {{}}}}\nshocks:\n  - {shock}\n")
    check(load_error(file), file, "shocks.s1", "'export_control'", "meteor")


def test_error_names_the_file_of_the_chain_that_set_the_bad_value(tmp_path: Path) -> None:
    parent = write(
        tmp_path, "parent.yaml", "name: p\nregions: {US: {levers: {build_share: 1.5}}}\n"
    )
    child = write(tmp_path, "sub/child.yaml", "extends: ../parent.yaml\nname: c\n")
    err = load_error(child)
    assert err.source == str(parent.resolve())
    assert format_path(err.path) == "regions.US.levers.build_share"


def test_reference_error_in_a_file_is_blamed_on_the_file(tmp_path: Path) -> None:
    shock = MARS_CUTOFF
    file = write(
        tmp_path,
        "s.yaml",
        f"name: s\nregions: {{US: {{}}, TW: {{}}}}\nshocks:\n  - {shock}\n  - {FAB % 's2'}\n",
    )
    check(load_error(file), file, "shocks.s1.regions", "a region", "Mars")


def test_reference_error_in_a_file_is_blamed_on_the_file_despite_a_set(tmp_path: Path) -> None:
    shock = MARS_CUTOFF
    file = write(
        tmp_path,
        "s.yaml",
        f"name: s\nregions: {{US: {{}}, TW: {{}}}}\nshocks:\n  - {shock}\n  - {FAB % 's2'}\n",
    )
    err = load_error(file, ["shocks.s2.capacity_loss=0.2"])
    check(err, file, "shocks.s1.regions", "a region", "Mars")


def test_missing_required_key_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: s\n")
    check(load_error(path), path, "regions", "a value for this required key", "nothing")


def test_empty_regions_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, "s.yaml", "name: s\nregions: {}\n")
    check(load_error(path), path, "regions", "at least 1 item", "{}")


def test_cloud_share_for_an_unknown_provider_is_an_input_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s.yaml",
        "name: s\nregions: {US: {cloud: {initial_shares: {awz: 0.3}}}}\n",
    )
    err = load_error(path)
    check(err, path, "regions.US.cloud.initial_shares", "a cloud provider", "awz")


def test_set_null_removes_a_region() -> None:
    s = load_scenario(BASELINE, ["regions.RoW=null"]).scenario
    assert "RoW" not in s.regions


# --------------------------------------------------------------------------- hash and text


def test_sha256_is_stable_and_tracks_values(world: Path) -> None:
    a, b = load_scenario(world), load_scenario(world)
    assert a.sha256 == b.sha256
    assert a.text == b.text
    assert len(a.sha256) == 64 and int(a.sha256, 16) >= 0
    changed = load_scenario(world, ["regions.US.levers.build_share=0.31"])
    assert changed.sha256 != a.sha256
    # a value equal to the default leaves the hash alone
    same = load_scenario(world, ["regions.US.levers.build_share=0.3"])
    assert same.sha256 == a.sha256


def test_text_is_yaml_that_reloads_to_the_same_scenario(world: Path, tmp_path: Path) -> None:
    loaded = load_scenario(world)
    data = yaml.safe_load(loaded.text)
    assert isinstance(data, dict)
    assert Scenario.model_validate(data) == loaded.scenario
    again = write(tmp_path, "again.yaml", loaded.text)
    reloaded = load_scenario(again)
    assert reloaded.scenario == loaded.scenario
    assert reloaded.sha256 == loaded.sha256


def test_baseline_loads_and_reloads() -> None:
    loaded = load_scenario(BASELINE)
    assert loaded.scenario.name == "baseline"
    assert len(loaded.scenario.regions) == 9
    assert Scenario.model_validate(yaml.safe_load(loaded.text)) == loaded.scenario


def test_json_schema_lists_the_top_level_keys() -> None:
    schema = Scenario.model_json_schema()
    assert isinstance(schema, dict)
    props = schema["properties"]
    assert {"regions", "shocks", "suppliers", "uncertainties", "seed"} <= set(props)
    assert schema.get("additionalProperties") is False

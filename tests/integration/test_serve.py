"""The planner's page without a browser: its controls, its flags and address, its runs against
``ecosim run``, stopping a run, uploads and ``ecosim serve``'s own checks."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ecosim.errors import InputError
from ecosim.scenario.models import LEVERS
from ecosim.serve.catalogue import Catalogue
from ecosim.serve.controls import (
    Settings,
    control_values,
    lever_controls,
    lever_flags,
    shock_controls,
    shock_flags,
)
from ecosim.serve.jobs import Board, Job
from tests.conftest import BASELINE, ROOT, SMALL
from tests.integration.test_cli_run import _ecosim

#: A short baseline whose EU loss is material: the US cloud withdrawal moved into the run.
SHORT = ["horizon_years=0.3", "shocks.us_cloud_withdrawal_eu.start=2025-01-20"]


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    cat = Catalogue()
    yield cat
    cat.close()


def _wait(job: Job, timeout: float = 300.0) -> Job:
    deadline = time.monotonic() + timeout
    while job.state == "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert job.state != "running", "the run did not finish"
    return job


def test_every_lever_has_a_control_made_from_its_declaration(catalogue: Catalogue) -> None:
    _, loaded = catalogue.load("roadmap/0_today.yaml")
    controls = {c.name: c for c in lever_controls(loaded.scenario, "EU")}
    assert list(controls) == list(LEVERS)
    kinds = {name: c.kind for name, c in controls.items()}
    assert kinds["build_share"] == "fraction"
    assert kinds["stockpile_h100e"] == "number"
    assert kinds["alliance_sharing"] == "choices"
    assert kinds["ai_factories"] == "yaml" and kinds["domestic_chain"] == "yaml"
    # partners are the scenario's other regions, as the declaration says
    assert kinds["alliance"] == "names" and kinds["interoperability"] == "shares"
    assert "EU" not in controls["alliance"].options and "UK" in controls["alliance"].options
    assert controls["alliance_sharing"].options == ("compute", "data", "models", "talent")
    assert controls["build_share"].start == loaded.scenario.regions["EU"].levers.build_share


def test_settings_become_flags_and_come_back_from_the_address(catalogue: Catalogue) -> None:
    _, loaded = catalogue.load("baseline.yaml")
    controls = lever_controls(loaded.scenario, "EU")
    shocks = shock_controls(loaded.scenario)
    values = {c.key: c.start for c in controls}
    assert lever_flags(controls, values) == []  # nothing moved: no flag
    values["regions.EU.levers.build_share"] = 0.6
    values["regions.EU.levers.alliance"] = ["UK", "JP"]  # listed in the scenario's order
    values["regions.EU.levers.interoperability"] = {"UK": 0.9}
    values["regions.EU.levers.stockpile_h100e"] = 20000
    values["regions.EU.levers.ai_factories"] = "[]"
    flags = lever_flags(controls, values) + shock_flags(
        shocks,
        {"shocks.taiwan_fab.start": "2026-01-05", "shocks.taiwan_fab.severity": [0.5, 1.5]},
    )
    assert flags == [
        "regions.EU.levers.build_share=0.6",
        "regions.EU.levers.interoperability={UK: 0.9}",
        "regions.EU.levers.ai_factories=[]",
        "regions.EU.levers.stockpile_h100e=20000",
        "regions.EU.levers.alliance=[JP, UK]",
        "shocks.taiwan_fab.start=2026-01-05",
        "shocks.taiwan_fab.severity={kind: uniform, low: 0.5, high: 1.5}",
    ]
    # the flags load as `ecosim run --set` loads them
    _, moved = catalogue.load("baseline.yaml", flags)
    eu = moved.scenario.regions["EU"].levers
    assert (eu.build_share, eu.alliance, eu.stockpile_h100e) == (0.6, ["JP", "UK"], 20000)
    taiwan = next(s for s in moved.scenario.shocks if s.id == "taiwan_fab")
    assert taiwan.severity is not None and (taiwan.severity.low, taiwan.severity.high) == (0.5, 1.5)
    # the address carries them, and they come back as the controls' values
    settings = Settings("baseline.yaml", "EU", 7, 3, [*flags, "horizon_years=2"])
    again = Settings.from_query(settings.query(), "today.yaml")
    assert again == settings
    back, rest = control_values(again.flags, controls, shocks)
    assert back["regions.EU.levers.build_share"] == 0.6
    assert back["shocks.taiwan_fab.severity"] == (0.5, 1.5)
    assert rest == ["horizon_years=2"]
    with pytest.raises(InputError, match="replicates"):
        Settings.from_query("?replicates=0", "baseline.yaml")


def test_a_page_run_is_the_run_of_its_command_line(catalogue: Catalogue, tmp_path: Path) -> None:
    board = Board(catalogue)
    flags = ["regions.EU.levers.multi_cloud=0.9", *SHORT]
    job = _wait(board.start(Settings("baseline.yaml", "EU", 11, 2, flags)))
    assert job.state == "done", job.error
    assert job.result is not None and job.gain is not None
    # the command line the page shows, run as it reads
    words = shlex.split(job.command)
    assert words[:3] == ["ecosim", "run", "scenarios/baseline.yaml"]
    out = tmp_path / "cli.nc"
    proc = _ecosim(*words[1:], "--out", str(out), "--quiet", "--no-figure")
    assert proc.returncode == 0, proc.stderr
    with xr.open_dataset(out, engine="h5netcdf") as cli:
        for name in ("resilience_loss", "bottleneck", "service", "cost", "cost_breakdown"):
            np.testing.assert_array_equal(job.result[name].values, cli[name].values, name)
    # spreading cloud work over two providers costs more and saves the EU service
    assert job.gain.gain > 0.0 and job.gain.extra_cost > 0.0
    # with replicates, the service figure has a band per layer around its median
    from ecosim.serve.figures import service_figure

    traces = service_figure(job.result, "EU").data
    assert sum(t.fill == "tonexty" for t in traces) == len(job.result["layer"])
    # the starting settings are run once: the same settings again reuse them
    again = _wait(board.start(job.settings))
    assert again.gain == job.gain


def test_a_run_can_be_stopped_and_four_are_kept(catalogue: Catalogue) -> None:
    board = Board(catalogue)
    job = board.start(Settings("baseline.yaml", "EU", None, 1, ["horizon_years=5"]))
    deadline = time.monotonic() + 120
    while job.fraction == 0.0 and time.monotonic() < deadline:
        time.sleep(0.05)
    board.stop(job.id)
    _wait(job)
    assert job.state == "stopped" and "stopped at day" in job.error
    for _ in range(4):
        board.start(Settings("baseline.yaml", "EU", None, 1, ["horizon_years=0.05"]))
    assert [j.id for j in board.kept()] == [2, 3, 4, 5]
    for j in board.kept():
        _wait(j)


def test_uploads_get_the_command_lines_messages(catalogue: Catalogue, tmp_path: Path) -> None:
    text = f"extends: {BASELINE}\nname: mine\nregions: {{EU: {{levers: {{build_share: 2}}}}}}\n"
    (tmp_path / "bad.yaml").write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "ecosim", "validate", "bad.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    with pytest.raises(InputError) as exc:
        catalogue.upload("bad.yaml", text.encode())
    assert f"error: {exc.value.message}" == " ".join(proc.stderr.split())
    # broken YAML: the loader's message with its line, the file by its own name
    with pytest.raises(InputError, match=r"^bad\.yaml: <top level>: expected valid YAML"):
        catalogue.upload("bad.yaml", b"name: [unclosed\n")
    # an upload extends only what is shipped, and reads no other file
    (tmp_path / "elsewhere.yaml").write_text("name: elsewhere\n", encoding="utf-8")
    for parent in (str(tmp_path / "elsewhere.yaml"), "../tests/scenarios/small.yaml"):
        with pytest.raises(InputError, match=r"mine\.yaml: extends: expected a shipped scenario"):
            catalogue.upload("mine.yaml", f"extends: {parent}\nname: mine\n".encode())
    with pytest.raises(InputError, match=r"calibration: expected a shipped calibrated file"):
        catalogue.upload("mine.yaml", b"extends: baseline.yaml\ncalibration: /etc/hostname\n")
    with pytest.raises(InputError, match="expected a shipped scenario"):
        catalogue.entry("../tests/scenarios/small.yaml")
    # a good one: extends a roadmap portfolio by its name under scenarios/
    entry = catalogue.upload(
        "C:\\plans\\mine.yaml", b"extends: roadmap/1_build.yaml\nname: mine\nhorizon_years: 2\n"
    )
    assert entry.shown == "mine.yaml" and entry.key in catalogue.uploads
    _, loaded = catalogue.load(entry.key, ["regions.EU.levers.multi_cloud=0.3"])
    assert loaded.scenario.horizon_years == 2 and loaded.scenario.actions


def test_serve_command_checks_its_scenario_and_page_imports_are_lazy() -> None:
    proc = _ecosim("serve", str(SMALL))
    assert proc.returncode == 2
    assert "expected a shipped scenario in scenarios/" in proc.stderr
    proc = _ecosim("serve", "scenarios/roadmap/0_today.yaml", "--region", "XX")
    assert proc.returncode == 2
    assert "--region: <top level>: expected a region of the scenario (US, EU" in proc.stderr
    # `ecosim run` and the other commands start without the web library
    code = "import sys, ecosim.cli; assert 'dash' not in sys.modules and 'flask' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_downloads_are_the_runs_netcdf_and_report(tmp_path: Path) -> None:
    from ecosim.serve.page import create_app

    app = create_app()
    board: Board = app.server.config["ecosim_board"]
    job = _wait(board.start(Settings("baseline.yaml", "EU", None, 1, ["horizon_years=0.05"])))
    assert job.state == "done", job.error
    client = app.server.test_client()
    got = client.get(f"/download/{job.id}/nc")
    assert got.status_code == 200
    path = tmp_path / "page.nc"
    path.write_bytes(got.data)
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert job.result is not None
        np.testing.assert_array_equal(ds["service"].values, job.result["service"].values)
    report = client.get(f"/download/{job.id}/html")
    assert report.status_code == 200 and b"bottleneck-table" in report.data
    assert client.get(f"/download/{job.id + 1}/nc").status_code == 404
    assert client.get(f"/download/{job.id}/txt").status_code == 404
    # the page's own scripts: served from the installed package, none from elsewhere
    index = client.get("/?scenario=roadmap/0_today.yaml").data.decode()
    assert "/_dash-component-suites/" in index
    assert "https://" not in index and "//cdn" not in index

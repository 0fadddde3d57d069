"""The planner's page in headless Chromium: load it, move a lever, run, see the bottleneck move.

The page is served in this process on a free loopback port, as ``ecosim serve`` serves it. The
run is the baseline over about four months with the US cloud withdrawal from the EU moved to
January 2025 (a shock's date is one of the page's settings), so it takes a few seconds; the
lever is the EU's multi-cloud share, which moves the EU's bottleneck off the data layer.
The screenshots in docs/ are the ones this test takes with ``ECOSIM_PAGE_SHOTS=docs``; without
it they go to the test's temporary folder, so a test run leaves the repository as it was.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.browser import chromium
from tests.conftest import ROOT

#: The variable naming the folder the screenshots go to (docs/page.md shows them).
SHOTS_VARIABLE = "ECOSIM_PAGE_SHOTS"
#: What the page is opened with: a short baseline, the cloud withdrawal early in the run.
ADDRESS = {
    "scenario": "baseline.yaml",
    "region": "EU",
    "set": ["horizon_years=0.3", "shocks.us_cloud_withdrawal_eu.start=2025-01-20"],
}
LEVER = "regions.EU.levers.multi_cloud"


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    from ecosim.serve.page import create_app, make_page_server

    app = create_app()
    server = make_page_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium({"browser": "ALL", "performance": "ALL"}, window="1500,1000") as driver:
        yield driver


def _wait(what: str, check: Any, timeout: float = 120.0) -> Any:
    """Poll ``check()`` until it gives something true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except Exception:  # the element is being replaced by the page: ask again
            value = None
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _row(driver: Any, run: int, region: str) -> list[str]:
    """The bottleneck matrix row of ``region`` in run ``run``: shares, RL, most fragile."""
    for tr in driver.find_elements("css selector", f"#bottleneck-{run} tbody tr"):
        cells = [c.text for c in tr.find_elements("css selector", "th, td")]
        if cells and cells[0] == region:
            return cells[1:]
    return []


def _requested_hosts(driver: Any) -> set[str]:
    hosts: set[str] = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if url.startswith(("http://", "https://", "ws://", "wss://")):
                hosts.add(urlsplit(url).netloc)
    return hosts


def test_page_moves_the_bottleneck_with_a_lever(
    page_url: str, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.keys import Keys

    shots = ROOT / os.environ[SHOTS_VARIABLE] if SHOTS_VARIABLE in os.environ else tmp_path
    driver = browser
    driver.get(page_url + "?" + urlencode(ADDRESS, doseq=True))
    # the controls are made from the levers' declarations: one per lever of the region
    _wait("the lever controls", lambda: driver.find_elements("id", "control-multi_cloud"))
    assert driver.find_elements("id", "control-alliance_sharing")
    command = _wait("the command line", lambda: driver.find_element("id", "command").text)
    assert "shocks.us_cloud_withdrawal_eu.start=2025-01-20" in command

    driver.find_element("id", "run").click()
    before = _wait("the first run's matrix", lambda: _row(driver, 1, "EU"))
    driver.save_screenshot(str(shots / "page_first_run.png"))

    # move the lever: the slider's own number box, as a planner types into it
    box = driver.find_element("css selector", "#control-multi_cloud input[type=number]")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("0.9", Keys.TAB)
    _wait(
        "the lever in the address",
        lambda: f"{LEVER}=0.9" in parse_qs(urlsplit(driver.current_url).query).get("set", []),
    )
    _wait(
        "the lever in the command line",
        lambda: f"--set {LEVER}=0.9" in driver.find_element("id", "command").text,
    )

    driver.find_element("id", "run").click()
    after = _wait("the second run's matrix", lambda: _row(driver, 2, "EU"))
    assert after != before, (before, after)
    # the EU's data share of its loss falls when cloud work is spread over two providers
    layers = ["compute", "data", "software", "models", "operations"]
    share = {k: float(v.rstrip("%")) for k, v in zip(layers, after[:5], strict=True)}
    share_before = {k: float(v.rstrip("%")) for k, v in zip(layers, before[:5], strict=True)}
    assert share["data"] < share_before["data"], (before, after)
    assert f"--set {LEVER}=0.9" in driver.find_element("id", "command-2").text
    gain = driver.find_element("id", "gain-2").text
    assert "Against the starting settings (EU)" in gain
    assert driver.find_element("id", "side-table").text.count("run ") >= 2
    for what in ("netcdf-2", "report-2"):
        assert driver.find_element("id", what).get_attribute("href").startswith(page_url)
    driver.set_window_size(1500, 1900)  # the figures below the matrices too
    time.sleep(1.5)  # they draw
    driver.save_screenshot(str(shots / "page_two_runs.png"))

    severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
    assert not severe, severe
    # everything came from the page's own server: no CDN, no font service
    assert _requested_hosts(driver) <= {urlsplit(page_url).netloc}

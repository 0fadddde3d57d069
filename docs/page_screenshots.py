"""The roadmap screenshot of docs/page.md: the EU's four roadmap portfolios side by side.

Run from the repository (about two minutes on two cores):

    .venv/bin/python docs/page_screenshots.py

It serves the page in this process, as ``ecosim serve`` does, and drives headless Chromium
(/usr/bin/chromium and /usr/bin/chromedriver, as the browser test) through what a planner does:
open each portfolio of scenarios/roadmap/ for the EU and run it. The other screenshots of
docs/page.md come from the browser test, run with ``ECOSIM_PAGE_SHOTS=docs``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ecosim.serve.page import create_app, make_page_server  # noqa: E402

PORTFOLIOS = [f"roadmap/{p.name}" for p in sorted((ROOT / "scenarios" / "roadmap").glob("*.yaml"))]


def _wait_for(driver: webdriver.Chrome, element: str, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while not driver.find_elements("id", element):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {element} after {timeout:g} s")
        time.sleep(0.5)


def main() -> None:
    """Run the four portfolios on the page and save docs/page_roadmap.png."""
    server = make_page_server(create_app(), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="ecosim-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1600,1500",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        for i, key in enumerate(PORTFOLIOS, start=1):
            driver.get(url + "?" + urlencode({"scenario": key, "region": "EU"}))
            _wait_for(driver, "control-build_share")
            time.sleep(1.0)  # the address and command line follow the controls
            driver.find_element("id", "run").click()
            _wait_for(driver, f"bottleneck-{i}")
            print(f"{key}: done", flush=True)
        time.sleep(2.0)
        table = driver.find_element("id", "side-table")
        driver.execute_script("arguments[0].scrollIntoView();", table)
        driver.save_screenshot(str(ROOT / "docs" / "page_roadmap.png"))
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
        server.shutdown()


if __name__ == "__main__":
    main()

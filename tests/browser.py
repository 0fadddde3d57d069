"""Headless Chromium for the browser tests, from Debian's ``chromium`` and ``chromium-driver``.

``.ci/install-chromium.sh`` installs them. Without them a browser test skips, except under
``CI=true``, where a missing or broken browser is a broken set-up and the test fails.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def skip_or_fail(reason: str) -> None:
    """Skip the test for ``reason``, or fail it under ``CI=true``."""
    # On CI a missing browser is a broken set-up (.ci/install-chromium.sh), not a reason to skip.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}; run .ci/install-chromium.sh")
    pytest.skip(reason)


@contextmanager
def chromium(logs: dict[str, str], window: str | None = None) -> Iterator[Any]:
    """A headless Chromium driven by selenium, in a profile of its own removed afterwards.

    Parameters
    ----------
    logs
        The browser's logs to keep (``goog:loggingPrefs``), e.g. ``{"browser": "ALL"}``.
    window
        The window size (``"1500,1000"``), or Chromium's default.
    """
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        skip_or_fail(f"{CHROMIUM} or {CHROMEDRIVER} is missing")
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    if window is not None:
        options.add_argument(f"--window-size={window}")
    profile = tempfile.mkdtemp(prefix="ecosim-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", logs)
    try:
        try:
            driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
        except WebDriverException as exc:
            skip_or_fail(f"Chromium did not start: {exc.msg}")
        try:
            yield driver
        finally:
            driver.quit()
    finally:
        shutil.rmtree(profile, ignore_errors=True)

"""Importing the command line leaves the garbage collector as it found it."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("enabled", [True, False])
def test_importing_the_command_line_leaves_the_collector_on_or_off(enabled: bool) -> None:
    code = (
        "import gc\n"
        f"gc.enable() if {enabled} else gc.disable()\n"
        "import ecosim.cli\n"
        "print(gc.isenabled(), len(gc.get_objects()) < 10_000)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # and what the imports made is frozen: the collector does not track it any more
    assert out.stdout.split() == [str(enabled), "True"]

"""The ``ecosim`` command.

Exit codes: 0 ok, 1 the run failed, 2 bad input (scenario file, flag or store). A user mistake
never shows a traceback and never leaves a half-written output file.

:mod:`ecosim.cli.app` holds the app, its consoles and exit codes and imports no command; each
command module registers its commands on that app, and importing them here, in the order
``ecosim --help`` lists them, builds the whole command line.
"""

from __future__ import annotations

import gc

# The commands' imports (xarray, pandas, Numba, typer, rich) make some 100,000 objects
# that live until the process exits, and next to no garbage: collecting while they are made
# only scans the growing heap again and again, and so would each full collection after
# (0.05-0.1 s each in a process of this size, four or five of them in a short run). They
# are made with the collector off, and frozen: it never scans them again.
_collecting = gc.isenabled()
gc.disable()
try:
    # Each import registers its commands; ``ecosim --help`` lists them in this order, the
    # order of a study: check the scenario, run it, look at it, compare, sweep, analyze; then
    # the tools.
    # isort: off
    from ecosim.cli import validate  # noqa: F401
    from ecosim.cli import run  # noqa: F401
    from ecosim.cli import plot  # noqa: F401
    from ecosim.cli import report  # noqa: F401
    from ecosim.cli import show  # noqa: F401
    from ecosim.cli import compare  # noqa: F401
    from ecosim.cli import sweep  # noqa: F401
    from ecosim.cli import calibrate  # noqa: F401
    from ecosim.cli import serve  # noqa: F401
    from ecosim.cli import schema  # noqa: F401

    # isort: on
    from ecosim.cli.app import app, use_plain_help
finally:
    # frozen before the collector is back: else its first collection would scan them all
    gc.freeze()
    if _collecting:
        gc.enable()

use_plain_help()

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``ecosim`` console script (and of ``python -m ecosim``)."""
    try:
        # one name in usage lines, however it was started
        app(prog_name="ecosim")
    finally:
        # At exit Python collects once more, scanning what the process is about to free
        # (0.05-0.1 s): what is left is frozen first.
        gc.freeze()

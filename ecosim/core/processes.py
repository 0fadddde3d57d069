"""Processes on this machine: whether the writer that left a lock or a temporary still runs."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine.

    A process of another user counts as running: it exists, even if it may not be signalled.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

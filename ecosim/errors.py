"""Errors a person can act on.

Bad input raises :class:`InputError`, which carries the file, the key path, what was expected and
what was found. The CLI prints its message and exits with code 2, never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

KeyPath = Sequence[str | int]


def format_path(path: KeyPath) -> str:
    """Render a key path the way ``--set`` spells it: ``regions.EU.levers.build_share``."""
    parts: list[str] = []
    for item in path:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "<top level>"


class InputError(Exception):
    """A user mistake in a scenario file, a CLI flag or a store.

    Parameters
    ----------
    source
        The file (or ``--set`` flag, or other origin) the bad input came from.
    path
        Key path inside that source, empty for the whole source.
    expected
        What a valid value looks like.
    found
        What was there instead.
    """

    def __init__(
        self, source: str | Path, path: KeyPath, expected: str, found: str, hint: str = ""
    ) -> None:
        self.source = str(source)
        self.path = list(path)
        self.expected = expected
        self.found = found
        self.hint = hint
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line explanation shown to the user."""
        text = (
            f"{self.source}: {format_path(self.path)}: expected {self.expected}, found {self.found}"
        )
        return f"{text} ({self.hint})" if self.hint else text


class RunStopped(Exception):
    """A run ended early because its caller asked it to stop (a cancel button, a time limit).

    Parameters
    ----------
    day
        The day of the last step the run completed.
    """

    def __init__(self, day: float) -> None:
        self.day = day
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line explanation shown to the user."""
        return f"the run was stopped at day {self.day:g}, before its horizon"


class OutputError(Exception):
    """A result that could not be written where it was asked for.

    Parameters
    ----------
    path
        The output that failed.
    reason
        Why: the operating system's error, or a sentence.
    """

    def __init__(self, path: str | Path, reason: OSError | str) -> None:
        self.path = str(path)
        if isinstance(reason, OSError):
            reason = reason.strerror or str(reason)
        self.reason = reason
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The one-line explanation shown to the user."""
        return f"cannot write {self.path}: {self.reason}"

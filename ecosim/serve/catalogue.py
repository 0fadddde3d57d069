"""The scenarios the page may open: the shipped files, and files a planner uploads.

The page never reads a path a request names. A request names a shipped scenario by its key
(its path under ``scenarios/``, such as ``roadmap/1_build.yaml``), looked up in the list made
when the page starts, or an uploaded file by the key the upload was given. An uploaded file is
read as if it sat in ``scenarios/``: its ``extends:`` must name a shipped scenario and its
``calibration:`` a shipped calibrated file, so that following them reads nothing else; it is
then loaded by :func:`ecosim.scenario.loader.load_scenario`, the loader of ``ecosim run``,
which gives the same messages for the same mistakes.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ecosim.errors import InputError
from ecosim.scenario.loader import LoadedScenario, load_scenario
from ecosim.scenario.yamlio import load_yaml

#: The repository this package sits in (scenarios/ and calibration/ are beside ecosim/).
ROOT = Path(__file__).resolve().parents[2]
#: Where the shipped scenario files are.
SCENARIOS = ROOT / "scenarios"
#: Where the shipped calibrated files are (what a ``calibration:`` may name).
CALIBRATED = ROOT / "calibration" / "calibrated"
#: The scenario the page opens on when its address names none.
DEFAULT_SCENARIO = "baseline.yaml"
#: The key an uploaded file is known by: ``upload:`` and the start of its text's SHA-256.
UPLOAD_PREFIX = "upload:"
#: Characters kept of an uploaded file's name (the rest become ``_``).
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.\-]")
#: The largest upload accepted, as the YAML reader's own limit (bytes).
MAX_UPLOAD_BYTES = 1_000_000


@dataclass(frozen=True)
class Entry:
    """A scenario the page can open.

    Attributes
    ----------
    key
        What the page and its links call it: ``roadmap/1_build.yaml``, ``upload:3fa2...``.
    path
        The file the loader reads (for an upload, its copy in the page's own folder).
    shown
        The file as the equivalent command line names it (``scenarios/baseline.yaml``, or
        the uploaded file's name).
    """

    key: str
    path: Path
    shown: str


def shipped_scenarios(folder: Path = SCENARIOS) -> dict[str, Path]:
    """Every shipped scenario file by its key: those in ``folder`` and ``folder/roadmap``.

    Files whose ``name`` key is missing are still listed; sweep definitions
    (``folder/sweeps``) are not scenarios and are left out.
    """
    found: dict[str, Path] = {}
    for sub in (folder, folder / "roadmap"):
        for path in sorted(sub.glob("*.yaml")):
            found[path.relative_to(folder).as_posix()] = path.resolve()
    return found


class Catalogue:
    """The shipped scenarios and the files uploaded while the page runs.

    Parameters
    ----------
    folder
        The folder of shipped scenarios (``scenarios/`` of the repository).
    calibrated
        The folder of shipped calibrated files.
    workdir
        Where uploaded files are kept; a new temporary folder by default.
    """

    def __init__(
        self,
        folder: Path = SCENARIOS,
        calibrated: Path = CALIBRATED,
        workdir: Path | None = None,
    ) -> None:
        self.folder = folder.resolve()
        self.calibrated = calibrated.resolve()
        self.shipped = shipped_scenarios(self.folder)
        self._own_workdir = workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="ecosim-page-")) if workdir is None else workdir
        self.uploads: dict[str, Entry] = {}

    def close(self) -> None:
        """Remove the folder of uploads, when the catalogue made it."""
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def keys(self) -> list[str]:
        """The shipped scenarios' keys, then the uploads'."""
        return [*self.shipped, *self.uploads]

    def entry(self, key: str) -> Entry:
        """The scenario called ``key``.

        Raises
        ------
        InputError
            When ``key`` is neither a shipped scenario nor an upload of this page.
        """
        if key in self.uploads:
            return self.uploads[key]
        path = self.shipped.get(key)
        if path is None:
            if key.startswith(UPLOAD_PREFIX):
                raise InputError(
                    "scenario",
                    [],
                    "a file uploaded to this page since it started",
                    key,
                    hint="upload the file again",
                )
            raise InputError(
                "scenario", [], f"a shipped scenario ({', '.join(self.shipped)})", repr(key)
            )
        return Entry(key, path, _shown(path))

    def key_of(self, path: Path) -> str:
        """The key of a shipped scenario given as a path (``ecosim serve SCENARIO``).

        Raises
        ------
        InputError
            When ``path`` is not one of the shipped scenarios.
        """
        resolved = path.resolve()
        for key, shipped in self.shipped.items():
            if shipped == resolved:
                return key
        raise InputError(
            "SCENARIO",
            [],
            f"a shipped scenario in {_shown(self.folder)}/ or {_shown(self.folder)}/roadmap/",
            str(path),
            hint="open the page and upload the file instead",
        )

    def load(
        self, key: str, sets: Sequence[str] = (), seed: int | None = None
    ) -> tuple[Entry, LoadedScenario]:
        """Load the scenario ``key`` with ``--set`` overrides, as ``ecosim run`` would.

        Raises
        ------
        InputError
            As :func:`~ecosim.scenario.loader.load_scenario` raises it, an uploaded file named
            by its own name.
        """
        entry = self.entry(key)
        try:
            return entry, load_scenario(entry.path, list(sets), seed=seed)
        except InputError as exc:
            raise _renamed(exc, entry) from None

    def upload(self, name: str, content: bytes) -> Entry:
        """Keep an uploaded scenario file and check it loads; its entry.

        Parameters
        ----------
        name
            The file's name on the planner's machine (only its last part is kept).
        content
            Its bytes.

        Raises
        ------
        InputError
            With the message ``ecosim validate`` prints for the same file, or, for a file
            that names what is not shipped in ``extends:`` or ``calibration:``, what it may
            name instead.
        """
        shown = _SAFE_NAME.sub("_", Path(name.replace("\\", "/")).name) or "upload.yaml"
        if len(content) > MAX_UPLOAD_BYTES:
            raise InputError(
                shown,
                [],
                f"a scenario file of at most {MAX_UPLOAD_BYTES} bytes",
                f"{len(content)} bytes",
            )
        digest = hashlib.sha256(content).hexdigest()[:16]
        key = f"{UPLOAD_PREFIX}{digest}"
        # the file sits in a folder of its own, named after its content, beside links to the
        # shipped folders: its extends: and calibration: resolve as they would in scenarios/
        home = self.workdir / digest
        scenarios = home / "scenarios"
        scenarios.mkdir(parents=True, exist_ok=True)
        path = scenarios / shown
        path.write_bytes(content)
        entry = Entry(key, path, shown)
        self._check_references(path, entry)
        for link, target in (
            (scenarios / "roadmap", self.folder / "roadmap"),
            (home / "calibration", self.calibrated.parent),
        ):
            if not link.exists():
                link.symlink_to(target, target_is_directory=True)
        for shipped_key, shipped in self.shipped.items():
            link = scenarios / shipped_key
            if "/" not in shipped_key and not link.exists() and link != path:
                link.symlink_to(shipped)
        try:
            load_scenario(path)
        except InputError as exc:
            raise _renamed(exc, entry) from None
        self.uploads[key] = entry
        return entry

    def _check_references(self, path: Path, entry: Entry) -> None:
        """``extends:`` names a shipped scenario and ``calibration:`` a shipped file.

        A file that does not parse is left to the loader, whose message names the place.
        """
        try:
            data: Any = load_yaml(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            return
        if not isinstance(data, dict):
            return
        parent = data.get("extends")
        if parent is not None:
            target = (self.folder / str(parent)).resolve()
            if not isinstance(parent, str) or target not in self.shipped.values():
                raise InputError(
                    entry.shown,
                    ["extends"],
                    f"a shipped scenario, named as from scenarios/ ({', '.join(self.shipped)})",
                    repr(parent),
                    hint="an uploaded file may extend only the scenarios the page lists",
                )
        calibration = data.get("calibration")
        if calibration is not None:
            target = (self.folder / str(calibration)).resolve()
            shipped = sorted(p.name for p in self.calibrated.glob("*.yaml"))
            if (
                not isinstance(calibration, str)
                or target.parent != self.calibrated
                or not target.is_file()
            ):
                raise InputError(
                    entry.shown,
                    ["calibration"],
                    "a shipped calibrated file, named as from scenarios/ "
                    f"(../calibration/calibrated/{', '.join(shipped)})",
                    repr(calibration),
                )


def _shown(path: Path) -> str:
    """A shipped file as a command line run from the repository names it."""
    try:
        return path.resolve().relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


def _renamed(exc: InputError, entry: Entry) -> InputError:
    """``exc`` naming an uploaded file by its own name rather than the page's copy of it."""
    if str(entry.path) not in exc.source and entry.path.name != exc.source:
        return exc
    source = exc.source.replace(str(entry.path), entry.shown)
    found = exc.found.replace(str(entry.path), entry.shown)
    return InputError(source, exc.path, exc.expected, found, exc.hint)

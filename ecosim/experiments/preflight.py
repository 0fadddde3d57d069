"""Checking a sweep against its base scenario before a store is written.

Sits above both the sweep file (:mod:`~ecosim.experiments.sweepfile`) and its expansion
(:mod:`~ecosim.experiments.design`): it loads the base with a central value of every
uncertainty and the first value of every lever, and blames the parameter that fails.
"""

from __future__ import annotations

from ecosim.errors import InputError
from ecosim.experiments.design import central_value, format_override, lever_values
from ecosim.experiments.sweepfile import Sweep
from ecosim.scenario.loader import LoadedScenario, load_scenario


def check_against_base(sweep: Sweep) -> LoadedScenario:
    """Load the base scenario with the sweep's overrides and one value of every parameter.

    Catches misspelt key paths and values of the wrong kind before a store is written: the
    base is loaded with every uncertainty at a central value and every lever at its first one.
    A key whose whole range is partly invalid (say a fraction up to 1.2) still passes here and
    fails at run time, where it is recorded as a failed run.

    Returns
    -------
    ecosim.LoadedScenario
        The base scenario with the sweep's fixed overrides.

    Raises
    ------
    InputError
        Naming the sweep file and the key path (``uncertainties.<key>`` and so on).
    """
    spec = sweep.spec
    base = sweep.base_path
    if not base.is_file():
        raise InputError(sweep.path, ["base"], "an existing scenario file", f"no file {base}")
    try:
        loaded = load_scenario(base, spec.overrides, seed=spec.entropy)
    except InputError as exc:
        if exc.source == "--set":
            index = _override_index(spec.overrides, exc.path)
            raise InputError(
                sweep.path, ["overrides", index], exc.expected, exc.found, exc.hint
            ) from None
        raise
    if not loaded.scenario.recording.twin:
        raise InputError(
            sweep.path,
            ["overrides"],
            "a base scenario with recording.twin: true (the metrics need the no-shock twin)",
            "recording.twin: false",
        )
    trial: list[tuple[str, str, str]] = []
    for key, dist in spec.uncertainties.items():
        trial.append(("uncertainties", key, format_override(key, central_value(dist))))
    for key, lever in spec.levers.items():
        trial.append(("levers", key, format_override(key, lever_values(lever)[0])))
    try:
        load_scenario(base, [*spec.overrides, *(t[2] for t in trial)], seed=spec.entropy)
    except InputError:
        # Find the parameter to blame by trying them one at a time.
        for section, key, text in trial:
            try:
                load_scenario(base, [*spec.overrides, text], seed=spec.entropy)
            except InputError as exc:
                raise InputError(
                    sweep.path, [section, key], exc.expected, exc.found, exc.hint
                ) from None
        raise
    return loaded


def _override_index(overrides: list[str], path: list[str | int]) -> int:
    wanted = ".".join(str(p) for p in path)
    for i, text in enumerate(overrides):
        key = text.partition("=")[0].strip()
        if wanted and (key == wanted or key.startswith(wanted) or wanted.startswith(key)):
            return i
    return 0

"""The arguments a run hands a module's kernels, for holding kernels equal to their twins on
the inputs the model really makes."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import ecosim
from ecosim.world import step as world_step
from tests.conftest import SMALL


def calls_of(
    module: ModuleType,
    names: Sequence[str],
    overrides: Sequence[str] = (),
    scenario: str = str(SMALL),
) -> dict[str, list[tuple[Any, ...]]]:
    """Run ``scenario`` with ``overrides`` and return, for each of ``module``'s functions
    ``names``, a copy of the arguments of every call it received (the run itself is unchanged:
    each call goes on to the function)."""
    calls: dict[str, list[tuple[Any, ...]]] = {name: [] for name in names}
    with pytest.MonkeyPatch.context() as patch:
        for name in names:
            kernel = getattr(module, name)

            def keep(*args: Any, _name: str = name, _kernel: Any = kernel) -> Any:
                calls[_name].append(
                    tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
                )
                return _kernel(*args)

            patch.setattr(module, name, keep)
        # the run's kernels called one by one from Python, as the step's reference twin calls
        # them: the compiled step calls them from inside one compiled call
        patch.setattr(world_step, "COMPILED", False)
        ecosim.simulate(ecosim.load_scenario(scenario, list(overrides)))
    return calls

"""YAML reading: safe, and with floats as people write them.

PyYAML follows YAML 1.1, where ``4.2e6`` and ``1e-3`` are strings (the exponent needs a sign
and the mantissa a dot). Scenario authors write them as numbers, so this loader resolves them
as YAML 1.2 does. It is still ``SafeLoader``: no Python objects are ever constructed.
"""

from __future__ import annotations

import re
from typing import Any

import yaml


class ScenarioLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2 float syntax."""


ScenarioLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    """Parse YAML text safely, reading ``1e6`` and ``4.2e-3`` as floats."""
    return yaml.load(text, Loader=ScenarioLoader)

"""Scenario files: pydantic models, YAML loading with ``extends:`` and ``--set`` overrides."""

from ecosim.scenario.loader import LoadedScenario, load_scenario
from ecosim.scenario.models import GOODS, LAYERS, Scenario

__all__ = ["GOODS", "LAYERS", "LoadedScenario", "Scenario", "load_scenario"]

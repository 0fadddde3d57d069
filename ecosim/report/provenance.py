"""How much of the defaults rests on sourced facts, and how much on assumptions.

``ecosim validate --provenance`` and the report both use :func:`assumption_entries`, so the
share they state is one number computed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecosim.scenario.defaults import ProvenanceEntry, iter_provenance, load_defaults_raw


@dataclass(frozen=True)
class AssumptionShare:
    """Numeric defaults, and those among them that are assumptions (no ``fact:``)."""

    numeric: list[ProvenanceEntry]
    assumed: list[ProvenanceEntry]

    @property
    def share(self) -> float:
        """Share of numeric defaults that are assumptions (0 when there are none)."""
        return len(self.assumed) / max(len(self.numeric), 1)

    def sentence(self) -> str:
        """The share stated as one sentence for readers."""
        return (
            f"{len(self.assumed)} of {len(self.numeric)} default numbers are assumptions "
            f"({self.share:.0%}); the rest cite calibration/facts.csv."
        )


def _is_numeric(value: object) -> bool:
    return isinstance(value, int | float | list) and not isinstance(value, bool)


def assumption_entries() -> AssumptionShare:
    """Read ``calibration/defaults.yaml`` and split its numeric leaves by provenance.

    A numeric leaf (a number, or a list of them) without ``fact:`` is an assumption.
    """
    entries = list(iter_provenance(load_defaults_raw()))
    numeric = [e for e in entries if _is_numeric(e.value)]
    return AssumptionShare(numeric=numeric, assumed=[e for e in numeric if not e.fact])

"""A self-contained HTML report of a result: ``ecosim report RESULT.nc``.

It leads with what happens *if* the scenario's shocks happen, before any probability that rests
on guessed shock rates, and says how much of the defaults are assumptions.
"""

from ecosim.report.html import build_report, write_report

__all__ = ["build_report", "write_report"]

"""The close of one world step: what the step leaves behind and what it hands on.

The continuous part of the world advances on the scenario's own step grid (``step_days``)
and at events. At each point of that grid, after the world has been brought up to it, the
step is closed here: the frontier's history is extended, and the flows that accumulated over
the step (work served and requested, accelerators and materials delivered) are handed over
and their accumulators reset. Observers receive the flows and never reset anything
themselves, so what they see does not depend on how often they look.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecosim.world import capability
from ecosim.world.jobs import JobFlow
from ecosim.world.state import World


@dataclass(frozen=True)
class StepFlows:
    """What flowed during one world step (since the previous step's close).

    Attributes
    ----------
    jobs : numpy.ndarray
        The job kernel's accumulators (region, ``N_OUT``): work requested, served and
        abandoned (H100e d), queue area and dropped arrivals.
    arrivals : numpy.ndarray
        Jobs that arrived in each region (region,).
    deliveries : numpy.ndarray
        Accelerators delivered to buyers homed in each region, per designer (H100e).
    materials : numpy.ndarray
        Materials delivered to wafer fabs homed in each region, per materials supplier
        (H100e of wafers served).
    """

    jobs: np.ndarray
    arrivals: np.ndarray
    deliveries: np.ndarray
    materials: np.ndarray


def close_step(w: World, jobs: JobFlow) -> StepFlows:
    """Close the world's step at ``w.t``: extend the frontier, hand over the step's flows.

    Parameters
    ----------
    w
        The world, already advanced to the step's end.
    jobs
        The regions' job queues, whose accumulators are drained.

    Returns
    -------
    StepFlows
        Copies of the step's flows; the world's accumulators are zero afterwards.
    """
    capability.update_frontier(w, w.t)
    out, arrivals = jobs.drain()
    flows = StepFlows(out, arrivals, w.delivered_to.copy(), w.materials_delivered.copy())
    w.delivered_to[:] = 0.0
    w.materials_delivered[:] = 0.0
    return flows

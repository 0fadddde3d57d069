"""Federated and multi-site training: a training mode with a cost and two benefits.

A region trains a share ``f`` of its training work (the ``federated_learning`` lever)
DiLoCo-style: each site trains on its own data for many steps and the sites exchange only
parameter updates every few hundred steps. Published runs set what it costs: INTELLECT-1
kept 96 % of its compute busy over nodes across the US and 83 % over three continents
(facts ``FT.*``), so a run pays a communication overhead ``omega`` -- computing for one
unit of time takes ``1 + omega`` -- of ``multisite_comm_overhead`` over a region's own
sites, and ``crossregion_comm_overhead`` as soon as a partner's sites join, because the
synchronous outer step waits for the slowest link. That is how the interconnect limits a
run: the exchange is every few hundred steps, so it does not grow with the number of sites,
but every site waits for the slowest link.

What the same share ``f`` of training buys:

- **data**: federated training uses data where it lies, so the training part of data that
  may not move (it must stay local but is held abroad, or a ruling caught it) stays usable
  (:func:`ecosim.world.layers.data_service`);
- **larger runs**: the largest run is the largest site plus ``f`` of the region's other
  sites and, from partners that federate with it (:func:`ecosim.world.alliances.federation`),
  the smaller of the two federated shares of their sites, all at ``1 / (1 + omega)``
  (:func:`run_h100e`); the frontier lag uses it.

What it costs: the federated share of training compute loses ``omega / (1 + omega)`` of its
time to communication (:func:`capacity_factor`), which :mod:`ecosim.world.costs` prices.
"""

from __future__ import annotations

import numpy as np

from ecosim.world import alliances, workloads
from ecosim.world.state import World


def joined(w: World) -> np.ndarray:
    """``out[r, k]``: the share of partner ``k``'s sites in region ``r``'s federated runs
    (R, R): the smaller of the two regions' federated shares, zero off the federation."""
    f = w.params.federated
    return np.asarray(alliances.federation(w) * np.minimum(f[:, None], f[None, :]))


def overhead(w: World) -> np.ndarray:
    """Communication time per unit compute time of each region's federated training (R,)."""
    return _overhead(w, joined(w))


def _overhead(w: World, partners: np.ndarray) -> np.ndarray:
    """:func:`overhead`, given :func:`joined`: a partner's sites in a run set its pace."""
    c = w.scenario.uncertainties.capability
    abroad = (partners > 0.0).any(axis=1)
    return np.where(abroad, c.crossregion_comm_overhead, c.multisite_comm_overhead)


def compute_share(w: World, t: float) -> np.ndarray:
    """Share of each region's compute that trains federated (R,): ``f`` of its training."""
    f = w.params.federated
    # the common case, asked for several times a step (counting the nonzero shares is a
    # direct call, .any() a Python wrapper around a reduction; NaN counts in both)
    if not np.count_nonzero(f):
        return np.zeros(w.n_regions)
    return np.asarray(f * workloads.training_share(w, t))


def capacity_factor(w: World, t: float) -> np.ndarray:
    """Share of each region's capacity left after federated training's communication (R,)."""
    if not np.count_nonzero(w.params.federated):  # as in compute_share
        return np.ones(w.n_regions)
    omega = overhead(w)
    return np.asarray(1.0 - compute_share(w, t) * omega / (1.0 + omega))


def run_h100e(w: World, site_total: np.ndarray, site_max: np.ndarray) -> np.ndarray:
    """Accelerators behind each region's largest run (R,; H100e, at full utilisation).

    ``site_total`` and ``site_max`` are each region's live own capacity and largest site. The
    run is the largest site alone, or, if larger, the largest site with the federated share of
    the region's other sites and of its federation partners' sites, slowed by the overhead.
    A region that does not federate trains on one site.
    """
    f = w.params.federated
    if not np.count_nonzero(f):
        # the common case, every step: no partner joins and the region's other sites add
        # nothing, so the run is the largest site (the overhead is never negative)
        return np.array(site_max, dtype=np.float64)
    partners = joined(w)
    others = f * (site_total - site_max) + partners @ site_total
    spread = (site_max + others) / (1.0 + _overhead(w, partners))
    return np.asarray(np.maximum(site_max, spread))

"""What alliance partners share, read from the world: spare compute, data, models, specialists.

Region ``r`` draws a good from region ``k`` when ``r`` lists ``k`` as a partner
(:attr:`~ecosim.world.state.World.alliance`) and both list the good in ``alliance_sharing``
(:attr:`~ecosim.world.state.World.alliance_scope`); a joint training run needs both to list
each other (:func:`federation`). What is lent
(compute, specialists) is a share of what the lender has above its own need, scaled by how
interoperable the two ecosystems are, so the lender's own service is untouched. These are
pure reads; each lent quantity is written by the module that owns it.
"""

from __future__ import annotations

import numpy as np

from ecosim.scenario.models import SHARED_GOODS
from ecosim.world.state import World


def partners(w: World, good: str) -> np.ndarray:
    """``out[r, k]``: region ``k`` shares ``good`` with region ``r`` (R, R), bool, read-only."""
    # asked for dozens of times a step; partners change only on a dated action
    key = (good, w.alliance.tobytes(), w.alliance_scope.tobytes())
    out = w.partners_memo.get(key)
    if out is None:
        if len(w.partners_memo) >= 4 * len(SHARED_GOODS):
            w.partners_memo.clear()
        scope = w.alliance_scope[:, SHARED_GOODS.index(good)]
        out = np.asarray(w.alliance & scope[:, None] & scope[None, :])
        out.setflags(write=False)
        w.partners_memo[key] = out
    return out


def lent(w: World, good: str, have: np.ndarray, need: np.ndarray) -> np.ndarray:
    """What each region borrows of ``good`` from its partners' surplus (R,).

    A partner lends ``alliance_share`` of what it has above its own need, times the two
    ecosystems' interoperability; a region borrows no more than its deficit.
    """
    lenders = partners(w, good)
    # the common case, on a hot path: talent is asked for every step (a count of the true
    # entries is a direct call, .any() a Python wrapper around a reduction)
    if not np.count_nonzero(lenders):
        return np.zeros(w.n_regions)
    share = w.scenario.uncertainties.levers.alliance_share
    spare = np.maximum(have - need, 0.0)
    deficit = np.maximum(need - have, 0.0)
    offer = (lenders * w.interop * share) @ spare
    return np.asarray(np.minimum(deficit, offer))


def federation(w: World) -> np.ndarray:
    """``out[r, k]``: region ``k``'s sites may join region ``r``'s federated runs (R, R).

    Partners listing each other and sharing compute whose interoperability, both ways, reaches
    ``federation_min_interop``: a run needs the same training stack on both sides.
    """
    floor = w.scenario.uncertainties.capability.federation_min_interop
    both = np.minimum(w.interop, w.interop.T)
    share = partners(w, "compute")
    out = share & share.T & (both >= floor)
    np.fill_diagonal(out, False)
    return np.asarray(out)

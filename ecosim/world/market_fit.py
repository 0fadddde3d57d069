"""Where the undisturbed cloud market rests, and customers placed so that it starts there.

A logit market with switching costs is a Markov chain per customer: each month a customer who
re-chooses moves from its provider ``k`` to ``j`` with probability proportional to
``exp(u_j - c_j [j != k])``. Left alone, the chain settles at its stationary distribution, and
so does the market. With utilities set by quality, price and home preference alone, that
resting point is not the observed market, and the baseline drifts for no reason an analyst
could name (AWS losing thirty points in Europe in three years).

So each provider gets a constant per region (an alternative-specific constant, the standard
way discrete-choice models are calibrated to market shares), fitted so that the stationary
shares, summed over the region's customers with their own preferences, price weights and
switching costs, equal the observed shares. Customers are then placed by their own stationary
distribution, so the market starts at rest. What moves it afterwards has a reason: a price
change, a shock, a lever, capacity running out, or segments growing at different rates.

The fit uses the world as built, before any shock or lever that starts later: the starting
prices, qualities, interoperability and home preferences. Reserved sovereign procurement
(a lever) is left out, so the lever still moves customers when it is switched on. Where
customers start is drawn without interoperability (a lever), so that runs with and without a
lever start from the same market.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ecosim.kernels.market import tilted_picks
from ecosim.world.state import World

__all__ = ["fit_constants", "place_customers", "stationary_shares"]

#: providers present in a region but listed at 0 are fitted to this share, so they stay a
#: finite choice (they can take customers a shock displaces) without moving the market
SHARE_FLOOR = 1e-3
#: the fit stops when every stationary share is this close to its target
TOLERANCE = 1e-6
MAX_ITERATIONS = 200


class _Utilities:
    """Deterministic utility and switching cost of each customer of region ``r`` for each
    choice, for any provider constants.

    Arrays of shape (C, n + 1): the region's present providers ``cols`` in order, then the
    outside option. The terms are those of :func:`ecosim.kernels.market.choose_providers`,
    with ``interop`` (R, R) in place of the world's. Only the constants change from one step
    of a fit to the next, so the terms that do not depend on them are taken once.
    """

    def __init__(
        self,
        w: World,
        r: int,
        cols: np.ndarray,
        installed: np.ndarray,
        interop: np.ndarray,
    ) -> None:
        m = w.scenario.uncertainties.market
        c = int(np.count_nonzero(w.cust_weight[r] > 0.0))
        price = w.prov_price[cols] * w.params.cloud_price_factor[r]
        mix = interop[r, w.prov_home[cols]]
        cloud = installed[cols].sum()
        self.cols = cols
        self.quality = m.beta_quality * w.prov_quality[cols]
        self.network = m.gamma_network * np.log(
            1.0 + installed[cols] + mix * (cloud - installed[cols])
        )
        home = (w.prov_home[cols] == r).astype(float)
        self.priced = w.cust_alpha[r, :c, None] * price[None, :]
        self.preferred = w.cust_pref[r, :c, None] * home[None, :]
        self.outside = m.outside_utility
        self.cost = np.zeros((c, cols.size + 1))
        self.cost[:, :-1] = w.cust_switch[r, :c, None] * (1.0 - mix)[None, :]

    def __call__(self, asc: np.ndarray) -> np.ndarray:
        """The utilities under the provider constants ``asc`` (P,)."""
        base = self.quality + asc[self.cols] + self.network
        u = np.empty(self.cost.shape)
        u[:, :-1] = base[None, :] - self.priced + self.preferred
        u[:, -1] = self.outside
        return u


def stationary_shares(u: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Each customer's stationary distribution over its choices, shape (C, n).

    Parameters
    ----------
    u : ndarray, shape (C, n)
        Deterministic utility of each choice (the last one the outside option).
    cost : ndarray, shape (C, n)
        Cost of moving to each choice from another one (0 for staying).

    Returns
    -------
    ndarray, shape (C, n)
        ``pi`` with ``pi @ T = pi`` for each customer's monthly transition matrix ``T`` when it
        re-chooses; rows sum to 1. How often customers re-choose does not change it.

    Notes
    -----
    From choice ``k`` a customer moves to ``j != k`` with weight ``e_j = exp(u_j - c_j)`` and
    stays with weight ``f_k = exp(u_k)``, over ``Z_k = S - e_k + f_k`` where ``S`` sums the
    ``e``. Balance, ``pi_j = e_j sum_k pi_k / Z_k + pi_j (f_j - e_j) / Z_j``, gives
    ``pi_j S / Z_j = e_j sum_k pi_k / Z_k``: ``pi_j`` is proportional to ``e_j Z_j``. This
    closed form replaced a linear solve per customer (:func:`stationary_shares_solve`, kept
    as the check) and agrees with it to rounding.
    """
    v = u - cost
    top = v.max(axis=1, keepdims=True)
    e = np.exp(v - top)
    f = np.exp(u - top)
    pi = e * (e.sum(axis=1, keepdims=True) - e + f)
    return np.asarray(pi / pi.sum(axis=1, keepdims=True))


def stationary_shares_solve(u: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """:func:`stationary_shares` by solving ``pi (T - I) = 0``, ``sum(pi) = 1`` for each
    customer's transition matrix ``T``: the definition, slow, kept to check the closed form."""
    c, n = u.shape
    v = u - cost
    v -= v.max(axis=1, keepdims=True)
    e = np.exp(v)
    # from k, staying costs nothing: the diagonal carries exp(u_k) instead of exp(u_k - c_k)
    t = np.broadcast_to(e[:, None, :], (c, n, n)).copy()
    diag = np.arange(n)
    t[:, diag, diag] = e * np.exp(cost)
    t /= t.sum(axis=2, keepdims=True)
    a = np.transpose(t, (0, 2, 1)) - np.eye(n)[None, :, :]
    a[:, -1, :] = 1.0
    b = np.zeros((c, n, 1))
    b[:, -1, 0] = 1.0
    pi = np.linalg.solve(a, b)[:, :, 0]
    pi = np.clip(pi, 0.0, None)
    return np.asarray(pi / pi.sum(axis=1, keepdims=True))


#: Fitted constants by their inputs. A run and its no-shock twin, and the runs of a study that
#: share a market, build the same customers: the fit is a pure function of them, so it is done
#: once per process. Bounded, oldest first out.
_FITTED: dict[bytes, np.ndarray] = {}
_FITTED_MAX = 512


def _key(
    w: World,
    r: int,
    cols: np.ndarray,
    target: np.ndarray,
    installed: np.ndarray,
    interop: np.ndarray,
) -> bytes:
    """A digest of everything :func:`fit_constants` reads for region ``r``."""
    m = w.scenario.uncertainties.market
    h = hashlib.sha256()
    parts = (
        w.cust_weight[r],
        w.cust_alpha[r],
        w.cust_switch[r],
        w.cust_pref[r],
        cols,
        target,
        installed,
        interop[r],
        w.prov_home,
        w.prov_quality,
        w.prov_price * w.params.cloud_price_factor[r],
        np.array([r, m.beta_quality, m.gamma_network, m.outside_utility], dtype=np.float64),
    )
    for part in parts:
        h.update(np.ascontiguousarray(part).tobytes())
    return h.digest()


def _targets(w: World, r: int, listing: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Present providers of region ``r`` and their target shares, the outside option last."""
    outside = w.scenario.uncertainties.market.outside_share
    cols = np.flatnonzero(w.prov_present[r])
    pidx = {p: i for i, p in enumerate(w.providers)}
    share = np.zeros(len(w.providers))
    for pid, value in listing.items():
        share[pidx[pid]] = value
    target = np.maximum(share[cols], SHARE_FLOOR)
    target = target / target.sum() * (1.0 - outside)
    return cols, np.append(target, outside)


def fit_constants(
    w: World, r: int, listing: dict[str, float], interop: np.ndarray | None = None
) -> np.ndarray:
    """Provider constants of region ``r`` whose stationary market is ``listing``.

    Parameters
    ----------
    w : World
        The world as built, customers drawn (weights, preferences, price weights, switching).
    r : int
        Region index.
    listing : dict of str to float
        Provider id to share of the region's cloud market, summing to 1.
    interop : ndarray, shape (R, R), optional
        Interoperability to fit under; the world's by default.

    Returns
    -------
    ndarray, shape (P,)
        The constants; 0 for providers not present in the region (they cannot be chosen).

    Raises
    ------
    RuntimeError
        If the fixed point does not converge (it does for any finite utilities; this guards
        against a change that breaks that).
    """
    cols, target = _targets(w, r, listing)
    mix = w.interop if interop is None else interop
    asc = np.zeros(len(w.providers))
    installed = np.zeros(len(w.providers))
    installed[cols] = target[:-1]
    c = int(np.count_nonzero(w.cust_weight[r] > 0.0))
    weight = w.cust_weight[r, :c] / w.cust_weight[r, :c].sum()
    key = _key(w, r, cols, target, installed, mix)
    known = _FITTED.get(key)
    if known is not None:
        return known.copy()
    utilities = _Utilities(w, r, cols, installed, mix)
    # start from the plain logit's inversion for the average customer: the fixed point then
    # needs fewer of its (batched linear solve) steps
    mean = weight @ utilities(asc)
    asc[cols] = np.log(target[:-1] / target[-1]) - (mean[:-1] - mean[-1])
    for _ in range(MAX_ITERATIONS):
        got = weight @ stationary_shares(utilities(asc), utilities.cost)
        if np.max(np.abs(got - target)) < TOLERANCE:
            if len(_FITTED) >= _FITTED_MAX:
                _FITTED.pop(next(iter(_FITTED)))
            _FITTED[key] = asc.copy()
            return asc
        # the outside option is the reference (its utility is a parameter, not fitted), so each
        # provider's odds against it are corrected: a few steps reach 1e-6
        asc[cols] += np.log(target[:-1] / got[:-1]) - np.log(target[-1] / got[-1])
    raise RuntimeError(f"provider constants of {w.regions[r]} did not converge")


def place_customers(
    w: World, r: int, listing: dict[str, float], rng: np.random.Generator
) -> np.ndarray:
    """Starting provider of each customer of region ``r`` (-1: the outside option).

    Each customer is drawn from its own stationary distribution, so customers who favour home
    providers start with them and nobody re-sorts once the run begins. The draws are then
    tilted, by one offset per provider, until the workload shares are the listing's: the
    facts, not a sample of them.

    The distribution is the one of a world without interoperability between regions, not the
    world's: interoperability is a lever, and where customers start must not depend on a lever
    (runs with and without it share their random draws and their starting market). Where
    interoperability only lowers switching costs, customers re-sort little.
    """
    cols, target = _targets(w, r, listing)
    reference = np.eye(w.n_regions)
    asc = fit_constants(w, r, listing, reference)
    installed = np.zeros(len(w.providers))
    installed[cols] = target[:-1]
    utilities = _Utilities(w, r, cols, installed, reference)
    pi = stationary_shares(utilities(asc), utilities.cost)
    c = pi.shape[0]
    weight = w.cust_weight[r, :c] / w.cust_weight[r, :c].sum()
    score = np.log(np.maximum(pi, 1e-300)) + rng.gumbel(size=pi.shape)
    offset = np.zeros(cols.size + 1)
    log_target = np.log(target)
    best, best_error = np.argmax(score, axis=1), np.inf
    for _ in range(200):
        # compiled (up to 200 steps a region at every build); tilted_picks_ref is the same
        # in numpy
        pick, got = tilted_picks(score, offset, weight)
        error = float(np.max(np.abs(got - target)))
        if error < best_error:
            best, best_error = pick, error
        if error < 1e-3:
            break
        offset += 0.5 * (log_target - np.log(np.maximum(got, 1e-6)))
    return np.asarray(np.append(cols, -1)[best])

"""Layer coupling: the dynamic inoperability input-output model (Haimes and Santos).

``dq/dt = K (A q + c - q)`` with ``q`` the inoperability (1 - service) of each layer, ``c`` the
direct loss, ``A`` the residual layer dependencies and ``K`` the recovery speeds. With ``c``
constant over a step the solution is exact: ``q(t+h) = q* + exp(-M h)(q - q*)`` with
``M = K (I - A)`` and ``q* = (I - A)^-1 c``; no step is too long, so an hour-long outage is
seen as well as a year-long embargo. ``q*`` is clipped to [0, 1].
"""

from __future__ import annotations

import math

import numpy as np

from ecosim.kernels import layers as kernels
from ecosim.scenario.models import LAYERS, Coupling

#: The propagators ``exp(-M h)`` and their transposes kept, by the bytes of ``M`` and by ``h``.
_PROPAGATORS: dict[bytes, dict[float, tuple[np.ndarray, np.ndarray]]] = {}
#: The most matrices ``M`` and step lengths ``h`` kept (a 5 x 5 propagator holds 200 bytes).
_MAX_MODELS = 8
_MAX_LENGTHS = 1024


class CouplingModel:
    """Exact stepping of the coupled inoperabilities of all regions at once."""

    def __init__(self, spec: Coupling) -> None:
        n = len(LAYERS)
        a = np.zeros((n, n))
        for i, row in enumerate(LAYERS):
            for j, col in enumerate(LAYERS):
                if i != j:
                    a[i, j] = spec.dependency.get(row, {}).get(col, 0.0)  # type: ignore[call-overload]
        if np.any(a.sum(axis=1) >= 1.0):
            raise ValueError("each row of the dependency matrix must sum below 1")
        # k_i = ln(q(0)/q(T)) / T with q(T) = 1% of q(0): 99% recovered after T_i days
        k = np.array([math.log(100.0) / spec.recovery_days[layer] for layer in LAYERS])  # type: ignore[index]
        self.a = a
        self.k = k
        self.m = np.diag(k) @ (np.eye(n) - a)
        self.inv = np.linalg.inv(np.eye(n) - a)
        # the same transposed view at every step (a view: the product reads the same memory
        # in the same order as ``self.inv.T`` would)
        self._inv_t = self.inv.T
        # exp(-M h) for any h from one eigendecomposition; scipy's expm if M is near-defective
        lam, vec = np.linalg.eig(self.m)
        self._eig: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        if np.linalg.cond(vec) < 1e8:
            # -lam kept rather than negated at each new length: -lam h is (-lam) h
            self._eig = (-lam, vec, np.linalg.inv(vec))
        # exp(-M h) of the step lengths seen: most steps are the grid's, and the lengths of
        # steps cut short by events recur, in a run and in its no-shock twin, whose events
        # mostly fall on the same days; each kept with its transposed view, which the step
        # multiplies by. Shared by the models of the same M (it follows from M alone, to the
        # bit), so a twin finds those its run found
        if len(_PROPAGATORS) >= _MAX_MODELS:  # sweeps over the coupling see many
            _PROPAGATORS.clear()
        self._propagators = _PROPAGATORS.setdefault(self.m.tobytes(), {})

    def propagator(self, h: float) -> np.ndarray:
        """``exp(-M h)`` (read-only)."""
        return self._propagator(h)[0]

    def _propagator(self, h: float) -> tuple[np.ndarray, np.ndarray]:
        """``exp(-M h)`` and its transpose (read-only), kept by ``h``."""
        known = self._propagators.get(h)
        if known is not None:
            return known
        if self._eig is None:
            # imported here: a run whose M is diagonalisable (every shipped coupling) would
            # otherwise pay scipy's import, about 0.3 s and 30 MiB, for nothing
            import scipy.linalg

            out = np.asarray(scipy.linalg.expm(-self.m * h))
        else:
            minus_lam, vec, inv = self._eig
            out = np.asarray(((vec * np.exp(minus_lam * h)) @ inv).real)
        out.setflags(write=False)
        if len(self._propagators) >= _MAX_LENGTHS:  # a few hundred lengths a run
            self._propagators.clear()
        known = (out, out.T)
        self._propagators[h] = known
        return known

    def step_matrices(self, h: float) -> tuple[np.ndarray, np.ndarray]:
        """``(I - A)^-1`` and ``exp(-M h)``, each transposed (read-only views): what
        :meth:`step` and the compiled step (:func:`ecosim.kernels.step.continuous_step`)
        multiply the direct loss and the distance from the steady state by."""
        # the kept propagator looked up here, _propagator called only to make one
        known = self._propagators.get(h)
        if known is None:
            known = self._propagator(h)
        return self._inv_t, known[1]

    def target(self, c: np.ndarray) -> np.ndarray:
        """Steady state ``(I - A)^-1 c`` per region, clipped to [0, 1]."""
        # the array's own clip is np.clip's ufunc without np.clip's dispatch, about half its
        # cost on arrays this small (asked for at every step)
        out: np.ndarray = (c @ self._inv_t).clip(0.0, 1.0)
        return out

    def step(self, q: np.ndarray, c: np.ndarray, h: float) -> np.ndarray:
        """Advance ``q`` (R, 5) by ``h`` days under constant direct loss ``c`` (R, 5)."""
        if h <= 0:
            return q
        # target(c), and what is elementwise around the two products, compiled
        # (kernels.coupling_target_ref and coupling_relax_ref in numpy); the products stay
        # numpy's (its BLAS's order of summing)
        inv_t, propagator_t = self.step_matrices(h)
        star, gap = kernels.coupling_target(c @ inv_t, q)
        return np.asarray(kernels.coupling_relax(star, gap @ propagator_t))

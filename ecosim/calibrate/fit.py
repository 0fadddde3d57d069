"""Fitting uncertain parameters to episodes, and writing versioned calibrated-value files.

Objective
---------
Every check of every episode gives a residual ``r = (simulated - observed) / tolerance`` (for
``at_most`` / ``at_least`` checks only the violating side counts). The objective is the mean of
``r**2`` over all checks. A check's tolerance therefore acts as its standard deviation: a
check at the edge of its tolerance costs 1, and checks weigh by the inverse square of their
tolerance. Episodes weigh by their number of checks. Runs use each scenario's fixed seed, so
the objective is deterministic (common random numbers across trial parameters).

Uncertainty
-----------
For the optimisers, ``chi2 = sum r**2`` is read as ``-2 log L``; the standard errors are the
square roots of the diagonal of ``2 H^-1`` with ``H`` the finite-difference Hessian of ``chi2``
in the parameters at the optimum (a parameter the episodes do not pin down gets an infinite
error). ABC keeps the ``accept`` share of prior draws with the smallest objective; the posterior
is summarised by its mean and standard deviation, the point estimate is the best draw.

Calibrated files
----------------
A calibrated file holds the fitted values at their key paths (shocks keyed by id), with
provenance in a comment block of ``#| `` lines (YAML once the prefix is removed), and may
``extends:`` an earlier calibrated file whose values it builds on (see
:mod:`ecosim.scenario.calibrated`). A scenario uses the values by naming the file in its
top-level ``calibration:``; an episode by naming it in the ``calibration:`` of its
``episode.yaml``. Files are never overwritten: each run writes a new version.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml

from ecosim.calibrate.episodes import (
    CheckResult,
    Episode,
    EpisodeResult,
    episode_overrides,
    run_episode,
)
from ecosim.errors import InputError
from ecosim.scenario.calibrated import PROVENANCE_PREFIX

Method = Literal["nelder-mead", "differential-evolution", "abc"]
CALIBRATED_DIR = Path(__file__).resolve().parents[2] / "calibration" / "calibrated"


@dataclass(frozen=True)
class Param:
    """A parameter to fit: its key path and bounds."""

    key: str
    low: float
    high: float

    def to_unit(self, x: float) -> float:
        """Map a value into [0, 1]."""
        return (x - self.low) / (self.high - self.low)

    def from_unit(self, u: float) -> float:
        """Map [0, 1] back to the value, clipped to the bounds."""
        return self.low + min(max(u, 0.0), 1.0) * (self.high - self.low)


def parse_param(text: str) -> Param:
    """Read ``KEY.PATH=LOW:HIGH``.

    Raises
    ------
    InputError
        When the text is not of that form or ``LOW >= HIGH``.
    """
    m = re.fullmatch(r"\s*([\w.\-]+)\s*=\s*([^:]+):([^:]+)\s*", text)
    if not m:
        raise InputError("--params", [], "KEY.PATH=LOW:HIGH", repr(text))
    try:
        low, high = float(m.group(2)), float(m.group(3))
    except ValueError:
        raise InputError("--params", [m.group(1)], "numbers LOW:HIGH", text) from None
    if not low < high:
        raise InputError("--params", [m.group(1)], "LOW below HIGH", text)
    return Param(m.group(1), low, high)


@dataclass
class Fit:
    """Outcome of a calibration."""

    params: list[Param]
    method: str
    start: list[float]
    estimate: list[float]
    stderr: list[float]
    objective_before: float
    objective_after: float
    before: list[EpisodeResult]
    after: list[EpisodeResult]
    evaluations: int
    wall_time_s: float
    samples: list[tuple[list[float], float]] = field(default_factory=list)

    def table(self) -> list[tuple[str, float, float, float]]:
        """Rows ``(key, start, estimate, standard error)``."""
        return [
            (p.key, s, e, u)
            for p, s, e, u in zip(self.params, self.start, self.estimate, self.stderr, strict=True)
        ]


class Objective:
    """The calibration objective over a set of episodes, with a cache of evaluations."""

    def __init__(self, episodes: Sequence[Episode], params: Sequence[Param]) -> None:
        self.episodes = [e for e in episodes if not e.skipped]
        if not self.episodes:
            raise InputError("EPISODE", [], "at least one episode that is not skipped", "none")
        self.params = list(params)
        # the calibrated part of each episode's overrides is read once
        self.base = {e.name: episode_overrides(e) for e in self.episodes}
        self.cache: dict[tuple[float, ...], tuple[float, list[EpisodeResult]]] = {}
        self.evaluations = 0

    def overrides(self, x: Sequence[float]) -> list[str]:
        """``--set`` overrides for parameter values ``x``."""
        return [f"{p.key}={float(v)!r}" for p, v in zip(self.params, x, strict=True)]

    def results(self, x: Sequence[float] | None) -> tuple[float, list[EpisodeResult]]:
        """Objective and per-episode results at ``x`` (``None``: the episodes as shipped)."""
        key = tuple(round(float(v), 12) for v in x) if x is not None else ()
        if key in self.cache:
            return self.cache[key]
        extra = self.overrides(x) if x is not None else []
        results = [run_episode(e, extra, self.base[e.name])[0] for e in self.episodes]
        self.evaluations += 1
        value = objective_value([c for r in results for c in r.checks])
        self.cache[key] = (value, results)
        return value, results

    def __call__(self, x: Sequence[float]) -> float:
        return self.results(x)[0]

    def current(self) -> list[float]:
        """The parameters' values in the first episode's scenario (after its calibration)."""
        from ecosim.scenario.loader import load_scenario

        e = self.episodes[0]
        loaded = load_scenario(e.scenario_path, self.base[e.name])
        data = loaded.scenario.model_dump(mode="python")
        out = []
        for p in self.params:
            node: Any = data
            for part in p.key.split("."):
                if isinstance(node, list):
                    node = next((s for s in node if s.get("id") == part), None)
                elif isinstance(node, dict):
                    node = node.get(part)
                if node is None:
                    raise InputError("--params", [p.key], "a key path in the scenario", "none")
            out.append(min(max(float(node), p.low), p.high))
        return out


def objective_value(checks: Sequence[CheckResult]) -> float:
    """Mean squared tolerance-scaled residual of ``checks`` (0 when there are none).

    Out-of-sample checks (``holdout``) are left out: they judge a fit, they never steer it.
    """
    fitted = [c for c in checks if not c.holdout]
    if not fitted:
        return 0.0
    return float(np.mean([c.residual**2 for c in fitted]))


def calibrate(
    episodes: Sequence[Episode],
    params: Sequence[Param],
    method: Method = "nelder-mead",
    max_evals: int = 40,
    samples: int = 40,
    accept: float = 0.2,
    seed: int = 0,
    progress: Callable[[int, float], None] | None = None,
) -> Fit:
    """Fit ``params`` to ``episodes``.

    Parameters
    ----------
    episodes
        Episodes to fit (skipped ones are left out).
    params
        Parameters with bounds.
    method
        ``nelder-mead`` (local, from the current values), ``differential-evolution`` (global)
        or ``abc`` (rejection sampling from uniform priors within the bounds).
    max_evals
        Budget of objective evaluations for the optimisers (the Hessian adds ``2n^2+1``).
    samples, accept
        ABC: prior draws and the share of them kept as the posterior.
    seed
        Seed of the optimiser's or sampler's own randomness (not the simulation's).
    progress
        Called with the evaluation count and the best objective so far.
    """
    import time

    from scipy import optimize

    wall0 = time.perf_counter()
    obj = Objective(episodes, params)
    start = obj.current()
    before_value, before = obj.results(None)
    best = [math.inf]

    def f_unit(u: np.ndarray) -> float:
        x = [p.from_unit(float(v)) for p, v in zip(params, u, strict=True)]
        value = obj(x)
        best[0] = min(best[0], value)
        if progress:
            progress(obj.evaluations, best[0])
        return value

    n = len(params)
    drawn: list[tuple[list[float], float]] = []
    if method == "nelder-mead":
        u0 = np.array([p.to_unit(x) for p, x in zip(params, start, strict=True)])
        # an initial simplex of a fifth of each range: the objective is noisy at small scales
        simplex = np.vstack(
            [u0]
            + [
                np.clip(u0 + 0.2 * np.eye(n)[i] * (1 if u0[i] < 0.8 else -1), 0, 1)
                for i in range(n)
            ]
        )
        res = optimize.minimize(
            f_unit,
            u0,
            method="Nelder-Mead",
            bounds=[(0.0, 1.0)] * n,
            options={"maxfev": max_evals, "xatol": 0.01, "fatol": 0.01, "initial_simplex": simplex},
        )
        u_best = np.asarray(res.x)
    elif method == "differential-evolution":
        res = optimize.differential_evolution(
            f_unit,
            [(0.0, 1.0)] * n,
            maxiter=max(1, max_evals // (5 * n) - 1),
            popsize=5,
            seed=seed,
            polish=False,
            tol=0.01,
            init="sobol" if n > 1 else "latinhypercube",
        )
        u_best = np.asarray(res.x)
    elif method == "abc":
        rng = np.random.default_rng(seed)
        for _ in range(samples):
            u = rng.random(n)
            drawn.append(
                ([p.from_unit(float(v)) for p, v in zip(params, u, strict=True)], f_unit(u))
            )
        drawn.sort(key=lambda d: d[1])
        kept = drawn[: max(2, round(accept * len(drawn)))]
        post = np.array([d[0] for d in kept])
        u_best = np.array([p.to_unit(x) for p, x in zip(params, kept[0][0], strict=True)])
    else:
        raise InputError("--method", [], "nelder-mead, differential-evolution or abc", method)
    estimate = [p.from_unit(float(v)) for p, v in zip(params, u_best, strict=True)]
    if method == "abc":
        stderr = [float(s) for s in post.std(axis=0, ddof=1)]
    else:
        stderr = _hessian_stderr(f_unit, u_best, params, obj)
    after_value, after = obj.results(estimate)
    return Fit(
        list(params),
        method,
        start,
        estimate,
        stderr,
        before_value,
        after_value,
        before,
        after,
        obj.evaluations,
        time.perf_counter() - wall0,
        drawn,
    )


def _hessian_stderr(
    f_unit: Callable[[np.ndarray], float], u: np.ndarray, params: Sequence[Param], obj: Objective
) -> list[float]:
    """Standard errors from the finite-difference Hessian of chi2 = N x objective."""
    n = u.size
    n_checks = sum(
        len([c for c in r.checks if not c.holdout])
        for r in obj.results([p.from_unit(float(v)) for p, v in zip(params, u, strict=True)])[1]
    )
    # a step of 5 % of each range: the agent-based objective is rough below that
    h = np.full(n, 0.05)
    lo = np.clip(u - h, 0.0, 1.0)
    hi = np.clip(u + h, 0.0, 1.0)
    step_lo, step_hi = u - lo, hi - u

    def chi2(v: np.ndarray) -> float:
        return n_checks * f_unit(v)

    f0 = chi2(u)
    hess = np.zeros((n, n))
    for i in range(n):
        e = np.eye(n)[i]
        a, b = step_hi[i], step_lo[i]
        if a > 0 and b > 0:
            fp, fm = chi2(u + e * a), chi2(u - e * b)
            hess[i, i] = 2.0 * (a * fm + b * fp - (a + b) * f0) / (a * b * (a + b))
        else:
            # at a bound: a one-sided second difference into the allowed range
            d = a if a > 0 else -b
            hess[i, i] = (chi2(u + 2 * e * d) - 2 * chi2(u + e * d) + f0) / (d * d)
        for j in range(i):
            hij, hj = min(a, b), min(step_hi[j], step_lo[j])
            if hij <= 0 or hj <= 0:
                continue  # no central cross difference at a bound: taken as uncorrelated
            ej = np.eye(n)[j]
            fpp = chi2(u + e * hij + ej * hj)
            fpm = chi2(u + e * hij - ej * hj)
            fmp = chi2(u - e * hij + ej * hj)
            fmm = chi2(u - e * hij - ej * hj)
            hess[i, j] = hess[j, i] = (fpp - fpm - fmp + fmm) / (4.0 * hij * hj)
    try:
        cov = 2.0 * np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return [math.inf] * n
    scale = np.array([p.high - p.low for p in params])
    diag = np.diag(cov) if np.all(np.linalg.eigvalsh(hess) > 0) else np.full(n, -1.0)
    return [
        float(math.sqrt(d) * s) if d > 0 else math.inf for d, s in zip(diag, scale, strict=True)
    ]


# --------------------------------------------------------------------------- calibrated files


def next_version_path(name: str, directory: Path = CALIBRATED_DIR) -> Path:
    """``<directory>/<name>-vN.yaml`` with N one above the highest existing version."""
    taken = [
        int(m.group(1))
        for p in directory.glob(f"{name}-v*.yaml")
        if (m := re.fullmatch(rf"{re.escape(name)}-v(\d+)\.yaml", p.name))
    ]
    return directory / f"{name}-v{max(taken, default=0) + 1}.yaml"


def nest(values: dict[str, float]) -> dict[str, Any]:
    """``{"a.b.c": 1}`` as ``{"a": {"b": {"c": 1}}}``; shocks stay keyed by id, as ``--set``
    addresses them (a calibrated file is applied as overrides, never merged as a scenario)."""
    tree: dict[str, Any] = {}
    for key, value in values.items():
        parts = key.split(".")
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def write_calibrated(
    fit: Fit, episodes: Sequence[Episode], out: Path, extends: Path | None
) -> Path:
    """Write the fitted values to a new file ``out``; refuse to overwrite an existing one.

    Raises
    ------
    InputError
        When ``out`` exists or its suffix is not ``.yaml``.
    """
    from ecosim.api import ecosim_version

    if out.exists():
        raise InputError(
            "--out", [], "a new file (calibrated files are never overwritten)", str(out)
        )
    if out.suffix not in {".yaml", ".yml"}:
        raise InputError("--out", [], "a .yaml file", str(out))
    provenance = {
        "written_by": "ecosim calibrate",
        "ecosim_version": ecosim_version(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "episodes": [e.name for e in episodes if not e.skipped],
        "facts": sorted({f for e in episodes if not e.skipped for f in e.facts(holdout=False)}),
        "out_of_sample": sorted(
            {f for e in episodes if not e.skipped for f in e.facts(holdout=True)}
        ),
        "method": fit.method,
        "objective": "mean of ((simulated - observed) / tolerance)^2 over every fitted check",
        "objective_before": round(fit.objective_before, 6),
        "objective_after": round(fit.objective_after, 6),
        "evaluations": fit.evaluations,
        "parameters": {
            p.key: {
                "bounds": [p.low, p.high],
                "start": s,
                "estimate": e,
                "stderr": (None if math.isinf(u) else u),
            }
            for p, s, e, u in zip(fit.params, fit.start, fit.estimate, fit.stderr, strict=True)
        },
    }
    body: dict[str, Any] = {}
    if extends is not None:
        body["extends"] = _relative(extends, out.parent)
    body.update(nest({p.key: round(v, 6) for p, v in zip(fit.params, fit.estimate, strict=True)}))
    header = [
        "# Calibrated values written by `ecosim calibrate`. Never edited by hand, never",
        "# overwritten: a new calibration is a new version. Use it by naming this file in a",
        "# scenario's `calibration:`, or in an episode's `calibration:`.",
        "#",
        *(
            PROVENANCE_PREFIX + line
            for line in yaml.safe_dump({"provenance": provenance}, sort_keys=False).splitlines()
        ),
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(header) + "\n" + yaml.safe_dump(body, sort_keys=False)
    # exclusive creation: a file that appeared meanwhile is not overwritten either
    with out.open("x", encoding="utf-8") as fh:
        fh.write(text)
    return out


def read_provenance(path: Path) -> dict[str, Any]:
    """The provenance block of a calibrated file."""
    lines = [
        line[len(PROVENANCE_PREFIX) :]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(PROVENANCE_PREFIX)
    ]
    data = yaml.safe_load("\n".join(lines)) or {}
    return dict(data.get("provenance", {}))


def _relative(target: Path, base: Path) -> str:
    import os

    return os.path.relpath(target.resolve(), base.resolve())

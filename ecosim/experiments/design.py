"""Expanding a sweep into runs: futures (samples of the uncertainties) crossed with levers.

Everything here is a pure function of the sweep file: nothing runs, nothing is written. A run
is one (future, lever combination) pair; every replicate of it is simulated with
``simulate(..., future=f, replicate=k)``, so all lever combinations of a future share its random
streams (common random numbers) and a strategy comparison is not blurred by noise.

Run ``r`` is future ``r // L`` and lever combination ``r % L`` (``L`` combinations): the runs
of one future sit next to each other in the store.

Samplers are SALib's (Saltelli/Sobol', Morris) and ``scipy.stats.qmc`` (Latin hypercube). They
draw in the unit hypercube; each uncertainty's quantile function maps the unit value to the
parameter, so Sobol' and Morris analyses read the same unit sample back.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

import numpy as np

from ecosim.experiments.sweepfile import (
    Lever,
    Lognormal,
    Normal,
    Range,
    Scalar,
    SweepFile,
    Triangular,
    Uncertainty,
    Uniform,
)


@dataclass(frozen=True)
class RunSpec:
    """One design point.

    Attributes
    ----------
    run
        Index along the store's ``run`` dimension.
    future
        Index of the uncertainty sample; the ``future`` passed to ``simulate``.
    lever_combo
        Index of the lever combination.
    overrides
        ``KEY.PATH=VALUE`` strings applied after the sweep's own overrides.
    """

    run: int
    future: int
    lever_combo: int
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class DesignTable:
    """The expanded design: the unit sample, parameter values and the runs.

    Attributes
    ----------
    uncertainty_names, lever_names
        Key paths, in sweep-file order.
    unit
        ``(futures, D)`` unit-hypercube sample the futures come from (what SALib analyses).
    futures
        ``(futures, D)`` uncertainty values.
    combos
        Lever combinations, one tuple of values per combination.
    """

    uncertainty_names: tuple[str, ...]
    lever_names: tuple[str, ...]
    unit: np.ndarray
    futures: np.ndarray
    combos: tuple[tuple[Scalar, ...], ...]

    @property
    def n_futures(self) -> int:
        """Number of futures."""
        return int(self.futures.shape[0])

    @property
    def n_combos(self) -> int:
        """Number of lever combinations."""
        return len(self.combos)

    @property
    def n_runs(self) -> int:
        """Number of runs (futures x lever combinations)."""
        return self.n_futures * self.n_combos

    def run(self, index: int) -> RunSpec:
        """The specification of run ``index``."""
        if not 0 <= index < self.n_runs:
            raise IndexError(index)
        future, combo = divmod(index, self.n_combos)
        texts = [
            format_override(k, _python(v))
            for k, v in zip(self.uncertainty_names, self.futures[future], strict=True)
        ]
        texts += [
            format_override(k, v) for k, v in zip(self.lever_names, self.combos[combo], strict=True)
        ]
        return RunSpec(index, future, combo, tuple(texts))

    def runs(self) -> list[RunSpec]:
        """Every run, in order."""
        return [self.run(i) for i in range(self.n_runs)]


def _python(value: object) -> Scalar:
    if isinstance(value, np.generic):
        item: Scalar = value.item()
        return item
    assert isinstance(value, float | int | bool | str)
    return value


def format_override(key: str, value: Scalar) -> str:
    """Spell ``key=value`` so that the YAML parser of ``--set`` reads back exactly ``value``.

    Floats keep their shortest round-trip ``repr``; PyYAML (YAML 1.1) reads ``1e-05`` as a
    string, so the mantissa gets a dot and the exponent a sign.
    """
    if isinstance(value, bool | str):
        return f"{key}={json.dumps(value)}"
    if isinstance(value, int):
        return f"{key}={value}"
    text = repr(float(value))
    if "e" in text:
        mantissa, _, exponent = text.partition("e")
        if "." not in mantissa:
            mantissa += ".0"
        if exponent[0] not in "+-":
            exponent = "+" + exponent
        text = f"{mantissa}e{exponent}"
    return f"{key}={text}"


def quantile(dist: Uncertainty, u: np.ndarray) -> np.ndarray:
    """Map unit values ``u`` in [0, 1] to values of the uncertainty ``dist``."""
    # scipy.stats takes half a second to import: only sweeps with such distributions pay it
    from scipy import stats

    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    if isinstance(dist, Range | Uniform):
        out = dist.low + u * (dist.high - dist.low)
    elif isinstance(dist, Normal):
        # keep the tails finite: a unit value of exactly 0 or 1 must not become +-inf
        out = stats.norm.ppf(np.clip(u, 1e-12, 1 - 1e-12), loc=dist.mean, scale=dist.sd)
        if dist.low is not None or dist.high is not None:
            out = np.clip(out, dist.low, dist.high)
    elif isinstance(dist, Lognormal):
        out = stats.lognorm.ppf(np.clip(u, 1e-12, 1 - 1e-12), s=dist.sigma, scale=dist.median)
    elif isinstance(dist, Triangular):
        width = dist.high - dist.low
        out = stats.triang.ppf(u, c=(dist.mode - dist.low) / width, loc=dist.low, scale=width)
    else:  # pragma: no cover - the union is closed
        raise TypeError(type(dist).__name__)
    if dist.integer:
        out = np.round(out)
    return np.asarray(out, dtype=np.float64)


def central_value(dist: Uncertainty) -> Scalar:
    """The median of an uncertainty (used to check key paths before a sweep starts)."""
    value = float(quantile(dist, np.array([0.5]))[0])
    return int(value) if dist.integer else value


def lever_values(lever: Lever) -> list[Scalar]:
    """The values a lever takes: its list, or ``levels`` (default 3) points of its range."""
    if isinstance(lever, Range):
        values = np.linspace(lever.low, lever.high, lever.levels or 3)
        if lever.integer:
            return [int(v) for v in np.round(values)]
        return [float(v) for v in values]
    return list(lever)


def unit_sample(spec: SweepFile) -> np.ndarray:
    """The design's sample of the unit hypercube, ``(futures, D)``, deterministic in the seed.

    Parameters
    ----------
    spec
        The sweep file.

    Returns
    -------
    numpy.ndarray
        One row per future. A sweep without uncertainties has one future with no columns.
    """
    d = len(spec.uncertainties)
    design = spec.design
    if d == 0:
        return np.zeros((1, 0))
    if design.kind == "factorial":
        levels = design.levels or 2
        axis = np.linspace(0.0, 1.0, levels)
        return np.array(list(itertools.product(axis, repeat=d)), dtype=np.float64)
    if design.kind == "lhs":
        from scipy.stats import qmc

        return np.asarray(qmc.LatinHypercube(d=d, seed=design.seed).random(design.n))
    problem = salib_problem(spec)
    if design.kind == "sobol":
        from SALib.sample import sobol

        return np.asarray(
            sobol.sample(problem, design.n, calc_second_order=design.second_order, seed=design.seed)
        )
    from SALib.sample import morris

    return np.asarray(
        morris.sample(problem, design.n, num_levels=design.levels or 4, seed=design.seed)
    )


def salib_problem(spec: SweepFile) -> dict[str, object]:
    """The SALib problem in the unit hypercube (names are the uncertainties' key paths)."""
    names = list(spec.uncertainties)
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def expand(spec: SweepFile) -> DesignTable:
    """Expand a sweep into its futures, lever combinations and runs (runs nothing).

    Parameters
    ----------
    spec
        The validated sweep file.

    Returns
    -------
    DesignTable
        ``n_futures x n_combos`` runs; ``table.run(i)`` gives one run's overrides.

    Examples
    --------
    >>> from ecosim.experiments.sweepfile import SweepFile
    >>> spec = SweepFile.model_validate({
    ...     "base": "s.yaml", "uncertainties": {"a.b": {"low": 0, "high": 1}},
    ...     "levers": {"c.d": [1, 2]}, "design": {"kind": "factorial", "levels": 3}})
    >>> table = expand(spec)
    >>> table.n_runs, table.run(3).overrides
    (6, ('a.b=0.5', 'c.d=2'))
    """
    unit = unit_sample(spec)
    columns = [quantile(dist, unit[:, j]) for j, dist in enumerate(spec.uncertainties.values())]
    futures = np.stack(columns, axis=1) if columns else np.zeros((unit.shape[0], 0))
    combos = tuple(itertools.product(*(lever_values(v) for v in spec.levers.values())))
    return DesignTable(
        uncertainty_names=tuple(spec.uncertainties),
        lever_names=tuple(spec.levers),
        unit=unit,
        futures=futures,
        combos=combos,
    )


def blocks(n_runs: int, block_size: int) -> list[range]:
    """Split ``range(n_runs)`` into consecutive blocks, one per store chunk along ``run``."""
    return [range(a, min(a + block_size, n_runs)) for a in range(0, n_runs, block_size)]


def balanced_block_size(n_runs: int, workers: int, largest: int) -> int:
    """The block size, at most ``largest``, with which ``workers`` workers end together.

    Each worker takes the next block when it finishes one, so with runs of equal length a
    worker ends after the runs of its blocks: the busiest ends the sweep. A block size that
    leaves one worker a block more than the others, or a short last block that the others
    wait for, idles them at the end (at 60 runs in blocks of 7, one of two workers ran the
    last block alone). Of the sizes from half of ``largest`` up to it, the one whose busiest
    worker has the fewest runs wins, the largest of those on a tie (fewer blocks cost less).

    Parameters
    ----------
    n_runs
        Runs of the sweep.
    workers
        Workers running its blocks at once.
    largest
        The largest block size wanted.

    Returns
    -------
    int
        A block size in ``[ceil(largest / 2), largest]`` (``largest`` with one worker).
    """
    largest = max(1, min(largest, n_runs))
    if workers <= 1:
        return largest
    best, best_span = largest, n_runs + 1
    for size in range(largest, (largest + 1) // 2 - 1, -1):
        full, rest = divmod(n_runs, size)
        rounds, extra = divmod(full, workers)
        # round robin of the whole blocks, then the short one to a worker with fewest runs
        span = (rounds + (extra > 0)) * size
        if rest:
            span = max(span, rounds * size + rest)
        if span < best_span:
            best, best_span = size, span
    return best


def shard_blocks(n_blocks: int, shard: int, n_shards: int) -> range:
    """The contiguous blocks that shard ``shard`` of ``n_shards`` owns (shards cover all once)."""
    if not 0 <= shard < n_shards:
        raise ValueError(f"shard {shard} outside 0..{n_shards - 1}")
    return range(shard * n_blocks // n_shards, (shard + 1) * n_blocks // n_shards)

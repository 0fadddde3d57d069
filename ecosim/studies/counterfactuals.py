"""Counterfactual priorities: which layer to make sovereign, and with whom to ally.

Both analyses rerun one scenario with a few ``--set`` overrides on the same random streams
(same seed, replicate ``k`` of the counterfactual against replicate ``k`` of the baseline), so a
difference is the effect of the overrides, not of luck.

* **Layer priority** (:func:`sovereignty_value`): for each region ``R`` and layer ``L``, the
  foreign dependencies of ``L`` are replaced by domestic supply at its real price and
  performance (see :func:`layer_overrides`). The value is the reduction in ``R``'s resilience
  loss summed over the five layers (days, each run against its own no-shock twin), the cost the
  change in ``R``'s mean spending rate (USD/yr).
* **Collaboration matrix** (:func:`alliance_gain`): for each pair of regions a capacity-sharing
  alliance both ways (:func:`alliance_overrides`); the model lends only spare capacity, scaled
  by the interoperability the scenario already holds, so the gain can be one-sided.

Each counterfactual is a whole-world run, so a region x layer cell costs one run per replicate
(plus one shared baseline run per replicate); an alliance pair costs one run per replicate and
gives both directions. An analysis hands all its runs at once to the executor of its
:class:`Runner` and gets back each run's :class:`RunSummary`, so it is the same on any executor
and number of workers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr
from numpy.typing import NDArray

from ecosim.scenario.loader import LoadedScenario, load_scenario
from ecosim.scenario.models import LAYERS, Scenario
from ecosim.studies.cells import Cell, run_cells

if TYPE_CHECKING:
    from ecosim.experiments.executors import Executor

#: Called once per run with its number (from 1), the number of runs planned and a label: before
#: the run in this process, as it finishes on a worker.
RunProgress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class CounterfactualOptions:
    """What "domestic supply at its real price" means where the model has no lever for it.

    Attributes
    ----------
    capex_premium
        Multiplier on the region's capex per H100e when it builds from a self-sufficient
        supply chain. Fact B7 (SIA/BCG 2021): chip prices +35 to +65 % for self-sufficient
        regional supply chains; the midpoint. Applied to the whole capex, of which the chip is
        most, so it is an upper bound of the premium.
    build_share_floor
        Own-capacity target the compute counterfactual raises ``build_share`` to (never
        lowers it). Assumption: a majority of demand on own sites, as CN's default (0.55).
    own_infrastructure_floor
        Share of data-dependent workload the data counterfactual keeps on own infrastructure
        (never lowered). Assumption: the rest is cloud work whose data follows it.
    """

    capex_premium: float = 1.5
    build_share_floor: float = 0.6
    own_infrastructure_floor: float = 0.8


def _num(value: float) -> str:
    # repr round-trips a float exactly through YAML, so the override is the number computed
    return repr(float(value))


def layer_overrides(
    scenario: Scenario,
    region: str,
    layer: str,
    options: CounterfactualOptions | None = None,
) -> list[str]:
    """``--set`` strings that make ``layer`` of ``region`` domestic at its real price.

    Current values are read from ``scenario`` (after the user's overrides), so a floor never
    lowers a value that is already higher.

    Parameters
    ----------
    scenario
        The baseline scenario.
    region
        Region whose layer is made sovereign.
    layer
        One of :data:`ecosim.scenario.models.LAYERS`.
    options
        Premiums and floors; :class:`CounterfactualOptions` defaults when ``None``.

    Returns
    -------
    list of str
        ``KEY.PATH=VALUE`` overrides for :func:`ecosim.load_scenario`.

    Raises
    ------
    KeyError
        If the region is not in the scenario.
    ValueError
        If the layer is unknown.
    """
    opt = options or CounterfactualOptions()
    r = scenario.regions[region]
    p = f"regions.{region}"
    if layer == "compute":
        # home providers for cloud work, more own sites, and the self-sufficiency premium on
        # every accelerator the region builds (the model charges the sovereign-procurement
        # premium on cloud spend through lever_cost)
        return [
            f"{p}.levers.sovereign_cloud_share=1",
            f"{p}.levers.build_share={_num(max(r.levers.build_share, opt.build_share_floor))}",
            f"{p}.costs.capex_usd_per_h100e="
            f"{_num(r.costs.capex_usd_per_h100e * opt.capex_premium)}",
        ]
    if layer == "data":
        own = max(r.data.own_infrastructure_share, opt.own_infrastructure_floor)
        return [
            f"{p}.data.own_infrastructure_share={_num(own)}",
            f"{p}.data.replica_share=1",
            f"{p}.levers.federated_learning=1",
        ]
    if layer == "software":
        return [f"{p}.levers.open_stack_share=1"]
    if layer == "models":
        # own models take over the foreign APIs' share; rounding keeps the three shares
        # summing to one exactly as the schema checks
        own = round(r.models.own_share + r.models.foreign_api_share, 12)
        return [
            f"{p}.models.own_share={_num(own)}",
            f"{p}.models.foreign_api_share=0",
            f"{p}.levers.open_weights_mirror=1",
        ]
    if layer == "operations":
        return [f"{p}.operations.managed_foreign_share=0", f"{p}.levers.talent_programme=1"]
    raise ValueError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")


def alliance_overrides(scenario: Scenario, region: str, partner: str) -> list[str]:
    """``--set`` strings for a capacity-sharing alliance between ``region`` and ``partner``.

    Partners the regions already have are kept, so the result is the marginal effect of adding
    this alliance. Interoperability is left as the scenario holds it.
    """

    def joined(name: str, other: str) -> str:
        partners = list(dict.fromkeys([*scenario.regions[name].levers.alliance, other]))
        return f"regions.{name}.levers.alliance=[{', '.join(partners)}]"

    return [joined(region, partner), joined(partner, region)]


@dataclass(frozen=True)
class RunSummary:
    """What a counterfactual comparison keeps of one run: per region, in scenario order."""

    rl: NDArray[np.float64]
    """Resilience loss summed over the layers (days)."""
    cost: NDArray[np.float64]
    """Mean of ``cost`` over the run (USD/yr)."""
    rl_layer: NDArray[np.float64]
    """Resilience loss by layer (region, layer; days)."""


def summarise(ds: xr.Dataset) -> RunSummary:
    """Per-region resilience loss, total and by layer, and mean cost of one run."""
    by_layer = np.asarray(
        ds["resilience_loss"].transpose("region", "layer").values, dtype=np.float64
    )
    cost = ds["cost"].mean("time").transpose("region").values
    return RunSummary(by_layer.sum(axis=1), np.asarray(cost, dtype=np.float64), by_layer)


@dataclass
class Runner:
    """Runs a scenario with extra overrides for replicates ``0..n-1`` on the baseline's seed.

    The baseline runs once per replicate and is shared by every analysis given this runner.

    Parameters
    ----------
    path
        Scenario file.
    overrides
        The user's ``--set`` strings, applied before each counterfactual's own.
    seed
        Replaces the scenario's seed when given (every run uses the same one).
    replicates
        Replicates per run.
    progress
        Called once per run (see :data:`RunProgress`).
    total
        Runs planned, for the progress counter; analyses add theirs when it is 0.
    executor
        An entered executor of :mod:`ecosim.experiments.executors` the runs go to; by default
        one after another in this process.
    """

    path: Path
    overrides: Sequence[str] = ()
    seed: int | None = None
    replicates: int = 1
    progress: RunProgress | None = None
    total: int = 0
    executor: Executor | None = None
    done: int = 0
    base: LoadedScenario = field(init=False)
    _baseline: list[RunSummary] | None = field(default=None, init=False)
    shocks: str = field(default="none", init=False)

    def __post_init__(self) -> None:
        if self.replicates < 1:
            raise ValueError(f"replicates must be at least 1, got {self.replicates}")
        self.base = load_scenario(self.path, list(self.overrides), seed=self.seed)
        if not self.base.scenario.recording.twin:
            raise ValueError("counterfactuals need the no-shock twin (recording.twin: true)")
        # what ecosim.simulate writes in its "shocks" attribute
        self.shocks = ", ".join(s.id for s in self.scenario.shocks) or "none"

    @property
    def scenario(self) -> Scenario:
        """The baseline scenario (with the user's overrides)."""
        return self.base.scenario

    def run(self, extra: Sequence[str], label: str) -> list[RunSummary]:
        """Summaries of replicates ``0..n-1`` with ``extra`` overrides (none: the baseline)."""
        return self.run_many([(extra, label)])[0]

    def run_many(self, runs: Sequence[tuple[Sequence[str], str]]) -> list[list[RunSummary]]:
        """Summaries of replicates ``0..n-1`` of each ``(extra overrides, label)``, all at once.

        Every run goes to the executor in one batch, so workers stay busy across
        counterfactuals; the results come back in the order of ``runs``.
        """
        cells = []
        for extra, label in runs:
            loaded = (
                load_scenario(self.path, [*self.overrides, *extra], seed=self.seed)
                if extra
                else self.base
            )
            if loaded.scenario.seed != self.scenario.seed:
                raise ValueError(
                    f"{label}: the overrides changed the seed; runs must share streams"
                )
            cells += [
                Cell(loaded, 0, k, f"{label}, replicate {k + 1}/{self.replicates}")
                for k in range(self.replicates)
            ]

        def announce(i: int) -> None:
            self.done += 1
            if self.progress is not None:
                self.progress(self.done, max(self.total, self.done), cells[i].label)

        summaries = run_cells(cells, summarise, self.executor, announce=announce)
        n = self.replicates
        return [summaries[i : i + n] for i in range(0, len(summaries), n)]

    def baseline(self) -> list[RunSummary]:
        """The baseline's summaries, run on first use."""
        if self._baseline is None:
            self._baseline = self.run([], "baseline")
        return self._baseline

    def with_baseline(
        self, runs: Sequence[tuple[Sequence[str], str]]
    ) -> tuple[list[RunSummary], list[list[RunSummary]]]:
        """The baseline's summaries and those of ``runs``, the baseline in the same batch
        when it has not run yet."""
        if self._baseline is not None:
            return self._baseline, self.run_many(runs)
        base, *rest = self.run_many([((), "baseline"), *runs])
        self._baseline = base
        return base, rest


def _select(scenario: Scenario, regions: Sequence[str] | None) -> list[str]:
    names = scenario.region_names
    if regions is None:
        return names
    unknown = [r for r in regions if r not in names]
    if unknown:
        raise ValueError(f"unknown regions {unknown}; the scenario has {names}")
    # scenario order, so every region axis reads the same way
    return [r for r in names if r in set(regions)]


def _common_attrs(runner: Runner, kind: str, regions: Sequence[str]) -> dict[str, object]:
    from ecosim.api import ecosim_version

    s = runner.scenario
    return {
        "ecosim_kind": kind,
        "ecosim_version": ecosim_version(),
        "scenario_name": s.name,
        "scenario_sha256": runner.base.sha256,
        "source": str(runner.path),
        "overrides": "; ".join(runner.overrides) or "none",
        "seed": int(s.seed),
        "replicates": int(runner.replicates),
        "regions": ", ".join(regions),
        "shocks": runner.shocks,
    }


def sovereignty_run_count(n_regions: int, n_layers: int, replicates: int) -> int:
    """Counterfactual runs :func:`sovereignty_value` makes (the baseline not included)."""
    return n_regions * n_layers * replicates


def alliance_run_count(n_regions: int, replicates: int) -> int:
    """Counterfactual runs :func:`alliance_gain` makes: one per pair (baseline not included)."""
    return n_regions * (n_regions - 1) // 2 * replicates


def sovereignty_value(
    path: str | Path,
    overrides: Sequence[str] = (),
    *,
    regions: Sequence[str] | None = None,
    layers: Sequence[str] = LAYERS,
    replicates: int = 1,
    seed: int | None = None,
    options: CounterfactualOptions | None = None,
    progress: RunProgress | None = None,
    runner: Runner | None = None,
    executor: Executor | None = None,
) -> xr.Dataset:
    """Resilience each region gains by making each layer domestic, and what it costs a year.

    Parameters
    ----------
    path
        Scenario file.
    overrides
        ``--set`` strings applied to every run.
    regions
        Regions to evaluate (all by default); every run is still a whole-world run.
    layers
        Layers to evaluate, in the order of the output.
    replicates
        Replicates ``0..n-1`` per run; values and costs are means over them.
    seed
        Replaces the scenario's seed (one seed for every run).
    options
        Premiums and floors of the counterfactuals.
    progress
        Called once per run (see :data:`RunProgress`).
    runner
        A runner to share the baseline with another analysis; ``path``, ``overrides``,
        ``replicates``, ``seed``, ``progress`` and ``executor`` are then taken from it.
    executor
        An entered executor of :mod:`ecosim.experiments.executors` to run on; by default one
        run after another in this process. The result does not depend on it.

    Returns
    -------
    xarray.Dataset
        ``sovereignty_value(region, layer)`` (d), ``sovereignty_cost(region, layer)`` (USD/yr),
        ``sovereignty_value_per_cost(region, layer)`` (d per USD bn/yr, with a flag where the
        cost is not positive), the per-replicate values and costs, ``rl_baseline(region)``,
        ``cost_baseline(region)`` and the overrides of each cell.
    """
    opt = options or CounterfactualOptions()
    for layer in layers:
        if layer not in LAYERS:
            raise ValueError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")
    if runner is None:
        runner = Runner(Path(path), tuple(overrides), seed, replicates, progress, executor=executor)
    chosen = _select(runner.scenario, regions)
    if runner.total == 0:
        runner.total = runner.replicates + sovereignty_run_count(
            len(chosen), len(layers), runner.replicates
        )
    index = {r: i for i, r in enumerate(runner.scenario.region_names)}
    n_k, n_r, n_l = runner.replicates, len(chosen), len(layers)
    value = np.zeros((n_k, n_r, n_l))
    cost = np.zeros((n_k, n_r, n_l))
    applied = np.empty((n_r, n_l), dtype=object)
    cells = list(itertools.product(range(n_r), range(n_l)))
    runs: list[tuple[Sequence[str], str]] = []
    for i, m in cells:
        extra = layer_overrides(runner.scenario, chosen[i], layers[m], opt)
        applied[i, m] = "; ".join(extra)
        runs.append((extra, f"{chosen[i]} {layers[m]}"))
    base, results = runner.with_baseline(runs)
    for (i, m), summaries in zip(cells, results, strict=True):
        j = index[chosen[i]]
        for k, cf in enumerate(summaries):
            value[k, i, m] = base[k].rl[j] - cf.rl[j]
            cost[k, i, m] = cf.cost[j] - base[k].cost[j]
    value_mean, cost_mean = value.mean(axis=0), cost.mean(axis=0)
    # a counterfactual that costs nothing or saves money has no finite value per cost: the
    # cell is flagged and set to 0 rather than NaN or infinity
    paid = cost_mean > 0.0
    per_cost = np.where(paid, value_mean / np.where(paid, cost_mean / 1e9, 1.0), 0.0)
    rows = [index[r] for r in chosen]
    rl_base = np.array([[b.rl[j] for j in rows] for b in base]).mean(axis=0)
    cost_base = np.array([[b.cost[j] for j in rows] for b in base]).mean(axis=0)
    dims = ("region", "layer")
    ds = xr.Dataset(
        {
            "sovereignty_value": (
                dims,
                value_mean,
                {
                    "units": "d",
                    "long_name": "reduction of the region's resilience loss (summed over layers) "
                    "when the layer's foreign dependencies are replaced by domestic supply, "
                    "mean over replicates",
                },
            ),
            "sovereignty_cost": (
                dims,
                cost_mean,
                {
                    "units": "USD/yr",
                    "long_name": "change in the region's mean spending rate (counterfactual "
                    "minus baseline, USD 2024), mean over replicates",
                },
            ),
            "sovereignty_value_per_cost": (
                dims,
                per_cost,
                {
                    "units": "d per USD bn/yr",
                    "long_name": "resilience gained per billion USD a year of extra spending",
                    "missing_fill": 0.0,
                    "flag_variable": "sovereignty_value_per_cost_flag",
                },
            ),
            "sovereignty_value_per_cost_flag": (
                dims,
                np.where(paid, 0, 1).astype(np.int8),
                {
                    "units": "1",
                    "long_name": "why sovereignty_value_per_cost is not measured",
                    "flag_values": np.array([0, 1], dtype=np.int8),
                    "flag_meanings": "measured cost_not_positive",
                },
            ),
            "sovereignty_value_by_replicate": (
                ("replicate", *dims),
                value,
                {"units": "d", "long_name": "resilience gained in each replicate"},
            ),
            "sovereignty_cost_by_replicate": (
                ("replicate", *dims),
                cost,
                {"units": "USD/yr", "long_name": "change in mean spending in each replicate"},
            ),
            "rl_baseline": (
                ("region",),
                rl_base,
                {
                    "units": "d",
                    "long_name": "baseline resilience loss summed over layers, mean over "
                    "replicates",
                },
            ),
            "cost_baseline": (
                ("region",),
                cost_base,
                {"units": "USD/yr", "long_name": "baseline mean spending rate (USD 2024)"},
            ),
            "counterfactual": (
                dims,
                applied,
                {"units": "1", "long_name": "--set overrides of the counterfactual run"},
            ),
        },
        coords={
            "region": ("region", np.array(chosen, dtype=object)),
            "layer": ("layer", np.array(list(layers), dtype=object)),
            "replicate": ("replicate", np.arange(n_k)),
        },
    )
    ds.attrs.update(_common_attrs(runner, "sovereignty_value", chosen))
    ds.attrs.update(
        {
            "capex_premium": opt.capex_premium,
            "build_share_floor": opt.build_share_floor,
            "own_infrastructure_floor": opt.own_infrastructure_floor,
        }
    )
    return ds


def alliance_gain(
    path: str | Path,
    overrides: Sequence[str] = (),
    *,
    regions: Sequence[str] | None = None,
    replicates: int = 1,
    seed: int | None = None,
    progress: RunProgress | None = None,
    runner: Runner | None = None,
    executor: Executor | None = None,
) -> xr.Dataset:
    """Resilience each region gains from a capacity-sharing alliance with each other region.

    One run per pair (and replicate) sets the alliance both ways; ``alliance_gain[R, P]`` is
    ``R``'s reduction in resilience loss in it, ``alliance_gain[P, R]`` ``P``'s. The matrix is
    not symmetric: a partner lends only spare capacity, scaled by ι[borrower, lender].

    Parameters
    ----------
    path, overrides, replicates, seed, progress, runner, executor
        As for :func:`sovereignty_value`.
    regions
        Regions on both axes of the matrix (all by default; at least two).

    Returns
    -------
    xarray.Dataset
        ``alliance_gain(region, partner)`` (d, mean over replicates; the diagonal is 0 by
        construction, see ``attrs["diagonal"]``), the same by layer
        ``alliance_gain_by_layer(region, partner, layer)``, ``alliance_cost(region, partner)``
        (USD/yr),
        per-replicate gains, ``rl_baseline(region)`` and the overrides of each pair.
    """
    if runner is None:
        runner = Runner(Path(path), tuple(overrides), seed, replicates, progress, executor=executor)
    chosen = _select(runner.scenario, regions)
    if len(chosen) < 2:
        raise ValueError("an alliance matrix needs at least two regions")
    if runner.total == 0:
        runner.total = runner.replicates + alliance_run_count(len(chosen), runner.replicates)
    index = {r: i for i, r in enumerate(runner.scenario.region_names)}
    n_k, n = runner.replicates, len(chosen)
    gain = np.zeros((n_k, n, n))
    gain_layer = np.zeros((n_k, n, n, len(LAYERS)))
    cost = np.zeros((n_k, n, n))
    applied = np.full((n, n), "", dtype=object)
    pairs = list(itertools.combinations(range(n), 2))
    runs: list[tuple[Sequence[str], str]] = []
    for a, b in pairs:
        region, partner = chosen[a], chosen[b]
        extra = alliance_overrides(runner.scenario, region, partner)
        applied[a, b] = applied[b, a] = "; ".join(extra)
        runs.append((extra, f"alliance {region}+{partner}"))
    base, results = runner.with_baseline(runs)
    for (a, b), summaries in zip(pairs, results, strict=True):
        for k, cf in enumerate(summaries):
            for x, y in ((a, b), (b, a)):
                j = index[chosen[x]]
                gain[k, x, y] = base[k].rl[j] - cf.rl[j]
                gain_layer[k, x, y] = base[k].rl_layer[j] - cf.rl_layer[j]
                cost[k, x, y] = cf.cost[j] - base[k].cost[j]
    rows = [index[r] for r in chosen]
    interop = np.array(
        [
            [
                1.0 if r == p else runner.scenario.regions[r].levers.interoperability.get(p, 0.0)
                for p in chosen
            ]
            for r in chosen
        ]
    )
    dims = ("region", "partner")
    ds = xr.Dataset(
        {
            "alliance_gain": (
                dims,
                gain.mean(axis=0),
                {
                    "units": "d",
                    "long_name": "reduction of the region's resilience loss (summed over layers) "
                    "from a capacity-sharing alliance with the partner, mean over replicates",
                },
            ),
            "alliance_gain_by_layer": (
                (*dims, "layer"),
                gain_layer.mean(axis=0),
                {
                    "units": "d",
                    "long_name": "reduction of the region's resilience loss in each layer from "
                    "the alliance with the partner (sums to alliance_gain), mean over replicates",
                },
            ),
            "alliance_cost": (
                dims,
                cost.mean(axis=0),
                {
                    "units": "USD/yr",
                    "long_name": "change in the region's mean spending rate with the alliance "
                    "(borrowed capacity is paid for), mean over replicates",
                },
            ),
            "alliance_gain_by_replicate": (
                ("replicate", *dims),
                gain,
                {"units": "d", "long_name": "resilience gained in each replicate"},
            ),
            "interoperability": (
                dims,
                interop,
                {
                    "units": "1",
                    "long_name": "interoperability of the region with the partner, which scales "
                    "what the partner lends it",
                },
            ),
            "rl_baseline": (
                ("region",),
                np.array([[bs.rl[j] for j in rows] for bs in base]).mean(axis=0),
                {
                    "units": "d",
                    "long_name": "baseline resilience loss summed over layers, mean over "
                    "replicates",
                },
            ),
            "counterfactual": (
                dims,
                applied,
                {"units": "1", "long_name": "--set overrides of the pair's run (none: diagonal)"},
            ),
        },
        coords={
            "region": ("region", np.array(chosen, dtype=object)),
            "partner": ("partner", np.array(chosen, dtype=object)),
            "layer": ("layer", np.array(LAYERS, dtype=object)),
            "replicate": ("replicate", np.arange(n_k)),
        },
    )
    ds.attrs.update(_common_attrs(runner, "alliance_gain", chosen))
    ds.attrs["diagonal"] = "0 by construction: a region is not its own partner (not measured)"
    return ds

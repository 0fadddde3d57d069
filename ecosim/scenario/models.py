"""Pydantic models of a scenario file.

Numbers have no defaults here: every default lives in ``calibration/defaults.yaml`` with its
source or the reason it is an assumption, and the loader merges that file under the scenario.
Only structural choices (an empty shock list, a region taking its own name as profile) default
in code. Models are frozen and reject unknown keys, so a typo is an error, not a silent no-op.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from pydantic import Strict as NoCoercion

from ecosim.core.units import DAYS_PER_YEAR
from ecosim.scenario.declarations import Kind, Lever, Ref, levers_of, literal_tag

LAYERS: tuple[str, ...] = ("compute", "data", "software", "models", "operations")
GOODS: tuple[str, ...] = (
    "accelerator",
    "wafer",
    "lithography",
    "hbm",
    "packaging",
    "cloud",
    "stack",
    "model_api",
    "open_weights",
    "materials",
)
CHIP_GOODS: tuple[str, ...] = (
    "accelerator",
    "wafer",
    "lithography",
    "hbm",
    "packaging",
    "materials",
)
#: Goods an accelerator needs one H100e-equivalent unit of, per unit made.
UPSTREAM_GOODS: tuple[str, ...] = ("wafer", "hbm", "packaging")

#: Kinds of thing a name in a scenario may point to (see :class:`ShockBase.references`).
REGION = Kind("region")
SUPPLIER = Kind("supplier", GOODS)
CHIP_SUPPLIER = Kind("chip supplier", CHIP_GOODS)
CLOUD_PROVIDER = Kind("cloud provider", ("cloud",))
SOFTWARE_STACK = Kind("software stack", ("stack",))
MODEL_API = Kind("model API", ("model_api",))

Good = Literal[
    "accelerator",
    "wafer",
    "lithography",
    "hbm",
    "packaging",
    "cloud",
    "stack",
    "model_api",
    "open_weights",
    "materials",
]
ChipGood = Literal["accelerator", "wafer", "lithography", "hbm", "packaging", "materials"]
Layer = Literal["compute", "data", "software", "models", "operations"]
#: What an alliance may share: spare compute, data (within what rulings allow), models and
#: specialists.
SharedGood = Literal["compute", "data", "models", "talent"]
#: The things an alliance may share, in the order of the world's ``alliance_scope`` columns.
SHARED_GOODS: tuple[SharedGood, ...] = ("compute", "data", "models", "talent")
Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=40)]
Fraction = Annotated[float, NoCoercion(), Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Positive = Annotated[float, NoCoercion(), Field(gt=0.0, allow_inf_nan=False)]
NonNegative = Annotated[float, NoCoercion(), Field(ge=0.0, allow_inf_nan=False)]
Rate = Annotated[float, NoCoercion(), Field(ge=-1.0, le=5.0, allow_inf_nan=False)]
Real = Annotated[float, NoCoercion(), Field(allow_inf_nan=False)]


class Strict(BaseModel):
    """Base of every scenario model: unknown keys are errors and values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _check_shares(values: dict[str, float] | list[float], what: str, tol: float = 1e-6) -> None:
    total = sum(values.values()) if isinstance(values, dict) else sum(values)
    if abs(total - 1.0) > tol:
        raise ValueError(f"{what} must sum to 1, they sum to {total:.6g}")


class Shares(Strict):
    """A model whose every field is a share, and the shares sum to one.

    ``shares_name`` names them in the error a wrong sum gets.
    """

    shares_name: ClassVar[str] = "shares"

    @model_validator(mode="after")
    def _sum(self) -> Shares:
        _check_shares([getattr(self, f) for f in type(self).model_fields], self.shares_name)
        return self


# --------------------------------------------------------------------------- regions


class TrainingSplit(Shares):
    """How a region's training work divides between its three training workloads."""

    shares_name = "training_split"

    frontier_training: Fraction = Field(
        description="runs that push the frontier, with their derisking runs"
    )
    domain_training: Fraction = Field(description="models trained for a field or a language")
    fine_tuning: Fraction = Field(description="adapting and evaluating existing models")


class Demand(Strict):
    """Compute demand of a region, in H100e of average concurrent use.

    The demand is the region's whole AI compute; what of it is inference follows the models
    the region runs itself (``uncertainties.workloads.inference_growth``), and the rest is
    training work split by ``training_split``.
    """

    initial_h100e: Positive
    growth_per_year: Rate = Field(description="growth rate at the start, 1/year")
    training_split: TrainingSplit


class Compute(Strict):
    """Own (not rented) compute installed at the start, held by site."""

    own_h100e: NonNegative
    largest_site_h100e: NonNegative
    typical_site_h100e: Positive
    life_years: Positive


class Costs(Strict):
    """What capacity costs a region, in US dollars of 2024."""

    capex_usd_per_h100e: Positive
    chip_share_of_capex: Fraction = Field(
        description="part of capex that is the accelerator, paid on delivery; the rest (servers, "
        "network, facility) is paid while the site is built"
    )
    opex_usd_per_h100e_year: NonNegative = Field(description="O&M, power and staff per year")
    cloud_price_factor: Positive = Field(description="regional multiplier on provider prices")


class Policy(Strict):
    """How a region invests: market-driven (fast, follows use) or coordinated programmes."""

    style: Literal["market", "coordinated"]
    decision_interval_days: Positive
    procurement_delay_days: NonNegative
    build_lead_time_median_days: Positive
    build_lead_time_sigma: NonNegative
    budget_usd_per_year: NonNegative
    reserve_margin: Fraction


class CloudDemand(Strict):
    """The region's cloud customers (micro-agents), their segments and where they start.

    ``initial_shares`` is the whole cloud market at the start, long tail included: it must sum
    to 1. ``equilibrium_shares``, when given, is where the undisturbed market settles instead
    (a market that starts out of balance, as in a historical episode); by default the starting
    shares are the resting point.
    """

    customers: Annotated[int, NoCoercion(), Field(ge=1, le=200_000)]
    sovereignty_pref: NonNegative = Field(
        description="mean utility bonus for a home provider, in a segment of sovereignty_scale 1"
    )
    switching_cost: NonNegative
    initial_shares: dict[Name, Fraction]
    equilibrium_shares: dict[Name, Fraction] | None = None
    segment_shares: dict[Name, Fraction] = Field(
        description="share of the region's cloud workload in each customer segment"
    )

    # the listings' sums are checked with the references (loader.check_references), once
    # every provider and segment they name is known to exist, so a misspelt name is reported
    # as such and not as a wrong sum


class AIFactoryBatch(Strict):
    """A batch of AI factories of a public programme: sites of a set size from a date."""

    count: Annotated[int, NoCoercion(), Field(ge=1, le=1000)]
    size_h100e: Positive
    start: dt.date = Field(description="when the batch is decided (selection)")
    lead_time_days: NonNegative = Field(description="procurement, build and grid connection")


class DomesticChain(Strict):
    """A programme to make the region's accelerators at home, from wafers to boards.

    From ``start``, at every build review, the region builds each listed good's capacity in
    the region up to ``cover_share`` of its accelerator purchases (the growth of its demand
    plus the replacement of worn-out hardware) as they will be once the new capacity
    produces, at its own construction times and capex. From ``stop_imports`` its buyers, and
    the suppliers in it, take chip goods only from sites in the region.
    """

    start: dt.date
    cover_share: Annotated[float, NoCoercion(), Field(gt=0.0, le=2.0)] = Field(
        description="share of the region's accelerator purchases its own chain should make"
    )
    goods: list[ChipGood] = Field(
        min_length=1, description="the chip goods built at home (the chain's stages)"
    )
    stop_imports: dt.date | None = Field(
        default=None, description="from this date no chip goods from sites outside the region"
    )


class Levers(Strict):
    """Policy choices the region controls; each costs what ``lever_cost`` reports."""

    # Each field declares a Lever (ecosim.scenario.declarations): whether a dated action may
    # change it. A comment, not the docstring, which is the schema's description.
    build_share: Annotated[Fraction, Lever(action=True)] = Field(
        description="target share of demand met by own capacity"
    )
    open_stack_share: Annotated[Fraction, Lever(action=True)] = Field(
        description="share of workload on a portable open stack"
    )
    interoperability: Annotated[
        dict[Name, Fraction], Lever(action=False, state=True, names=REGION)
    ] = Field(default_factory=dict, description="interoperability with each partner region")
    ai_factories: Annotated[list[AIFactoryBatch], Lever(action=False)] = Field(default_factory=list)
    stockpile_h100e: Annotated[NonNegative, Lever(action=False, state=True)] = Field(
        description="accelerators bought ahead and stored"
    )
    multi_cloud: Annotated[Fraction, Lever(action=True)] = Field(
        description="share of cloud work spread over two providers"
    )
    sovereign_cloud_share: Annotated[Fraction, Lever(action=True)] = Field(
        description="share of cloud procurement reserved for home providers"
    )
    open_weights_mirror: Annotated[Fraction, Lever(action=True)] = Field(
        description="share of open weights mirrored locally"
    )
    federated_learning: Annotated[Fraction, Lever(action=True)] = Field(
        description="share of the region's training run federated, DiLoCo-style: on data "
        "where it lies, over several sites and allies' sites, at a communication overhead"
    )
    talent_programme: Annotated[Fraction, Lever(action=True)] = Field(
        description="extra graduates, as a share of the intake"
    )
    local_models: Annotated[Fraction, Lever(action=True)] = Field(
        description="share of model use a training programme moves to the region's own models, "
        "from foreign APIs first, then open weights"
    )
    alliance: Annotated[list[Name], Lever(action=False, state=True, names=REGION)] = Field(
        default_factory=list, description="trusted partners, sharing what alliance_sharing lists"
    )
    alliance_sharing: Annotated[list[SharedGood], Lever(action=False, state=True)] = Field(
        default_factory=lambda: list(SHARED_GOODS),
        description="what the region shares with its alliance partners (both must list it): "
        "spare compute, data within what rulings allow, models and specialists",
    )
    domestic_chain: Annotated[DomesticChain | None, Lever(action=False)] = Field(
        default=None,
        description="build the accelerator chain at home (reshoring, autarky); none by default",
    )


#: Every lever's declaration, by name, in the order of :class:`Levers`.
LEVERS: dict[str, Lever] = levers_of(Levers)
#: Levers a dated action may change that are numbers in [0, 1] the world keeps in arrays, in
#: the order of :class:`Levers`.
ACTION_LEVERS: tuple[str, ...] = tuple(name for name, lever in LEVERS.items() if lever.action)
#: Levers a dated action may set that are not such numbers: the world's state carrying them
#: is rewritten from the action's date.
STATE_LEVERS: tuple[str, ...] = tuple(name for name, lever in LEVERS.items() if lever.state)
#: Every lever a dated action may set. The others (AI-factory batches, a domestic chain)
#: carry their own dates.
DATED_LEVERS: tuple[str, ...] = tuple(n for n in LEVERS if n in ACTION_LEVERS + STATE_LEVERS)
#: Data-layer shares a dated action may set (``regions.<region>.data.<field>``), numbers in
#: [0, 1].
DATED_DATA: tuple[str, ...] = ("own_infrastructure_share", "replica_share", "must_stay_local_share")
#: Model-source shares a dated action may set (``regions.<region>.models.<field>``): all three
#: in one action, summing to 1, in the order of the world's model mix.
DATED_MODELS: tuple[str, ...] = ("own_share", "open_weights_share", "foreign_api_share")


class Action(Strict):
    """A dated action of a portfolio: from ``date``, ``regions.R.levers.X`` (any lever of
    ``DATED_LEVERS``), ``regions.R.data.X`` (a share of ``DATED_DATA``) or
    ``regions.R.models.X`` (the three shares of ``DATED_MODELS`` together) is the value given.

    Each value is checked against the field it sets when the scenario is loaded.
    """

    date: dt.date
    set: dict[str, Any] = Field(min_length=1)


class DataLayer(Strict):
    """Where the region's data-dependent workload keeps its data."""

    own_infrastructure_share: Fraction
    replica_share: Fraction
    must_stay_local_share: Fraction


class SoftwareLayer(Strict):
    """Software stacks the workload depends on."""

    proprietary_stack: Name
    porting_days: Positive = Field(description="time to port non-portable work, with no interop")


class ModelsLayer(Shares):
    """Sources of the models the region uses; shares sum to 1."""

    own_share: Fraction
    open_weights_share: Fraction
    foreign_api_share: Fraction


class OperationsLayer(Strict):
    """Talent as a stock and flow, what it must cover, and managed services bought abroad.

    The stock of AI and HPC specialists grows with graduates leaving a multi-year training
    pipeline, shrinks with attrition, and moves between regions toward better pay and more
    compute per researcher. It must cover operations (staff per installed capacity, with
    economies of scale) and the region's own-model effort.
    """

    staff_fte: NonNegative = Field(description="AI and HPC specialists at the start, FTE")
    staff_per_1k_h100e: Positive = Field(description="operations staff per 1,000 H100e")
    model_staff_fte: NonNegative = Field(description="researchers an own-model effort needs")
    graduates_per_year: NonNegative = Field(description="specialists finishing training, FTE/yr")
    graduates_growth_per_year: Rate
    pipeline_years: Positive = Field(description="length of the training pipeline")
    attrition_per_year: Fraction
    pay_index: Positive = Field(description="pay relative to the US (1.0)")
    managed_foreign_share: Fraction


class Region(Strict):
    """A region: an agent holding capacity, contracts, policy and talent."""

    profile: Name | None = None
    demand: Demand
    compute: Compute
    costs: Costs
    policy: Policy
    cloud: CloudDemand
    levers: Levers
    data: DataLayer
    software: SoftwareLayer
    models: ModelsLayer
    operations: OperationsLayer


# --------------------------------------------------------------------------- suppliers


class Site(Strict):
    """A site of a chip supplier outside its home region, operating or being built.

    The supplier's growth says how much it makes; a site says where part of it is made, once
    the site produces: its capacity moves there from the supplier's home, along the good's
    ramp (``uncertainties.supply.build``). A supplier with no capacity of its own (an entrant)
    gains the site's capacity instead. A site in a region not in the scenario is ignored.
    """

    region: Name
    capacity_h100e_per_year: Positive = Field(
        description="H100e of accelerators a year its output supports at full ramp"
    )
    construction_start: dt.date
    production_start: dt.date | None = Field(
        default=None,
        description="first volume output, as announced; none: construction_start plus the "
        "region's construction time for the good",
    )
    capex_usd: NonNegative | None = Field(
        default=None,
        description="what the site costs, as announced; none: its capacity at the region's "
        "capex per unit for the good",
    )


class ChipSupplier(Strict):
    """A producer in the accelerator supply chain.

    Capacities are normalised to H100e of AI accelerators per year that the supplier's output
    can support, so every stage of the chain speaks one unit. An accelerator designer names the
    software ``stack`` its chips run natively. ``sells_to`` limits a designer's buyers to those
    homed in the listed regions (a firm's in-house chips, a maker whose output stays in its
    home market); empty means every region. Regions not in the scenario are ignored. ``sites``
    lists where it makes part of its output outside its home, or is building to.
    """

    good: ChipGood
    home: Name
    stack: Name | None = None
    sells_to: list[Name] = Field(default_factory=list)
    capacity_h100e_per_year: NonNegative = Field(
        description="capacity at home at the start (0 for an entrant that only has sites)"
    )
    growth_per_year: Rate = Field(description="capacity growth rate at the start, 1/year")
    cycle_days: Positive
    sites: list[Site] = Field(default_factory=list)


class CloudProvider(Strict):
    """A cloud provider.

    ``home`` is its parent's jurisdiction (whose laws can compel it). ``present_in`` lists the
    regions where it has data centres (data stays in-region there; elsewhere it is held
    abroad). ``sovereign_regions`` lists regions where it sells a "sovereign cloud": operated by
    a local entity with keys held locally, which lowers but does not remove legal exposure.
    """

    good: Literal["cloud"]
    home: Name
    quality: Fraction
    price_usd_per_h100e_hour: Positive
    headroom: Fraction = Field(description="spare capacity it keeps over contracted use")
    present_in: list[Name] = Field(default_factory=list)
    sovereign_regions: list[Name] = Field(default_factory=list)
    long_tail: StrictBool = Field(
        default=False,
        description="stands for many small providers: counted in shares, not as one firm in "
        "the Herfindahl index",
    )


class StackSupplier(Strict):
    """A software stack (proprietary vendor stack or open portable stack)."""

    good: Literal["stack"]
    home: Name
    open: StrictBool


class ModelSupplier(Strict):
    """A source of models: a closed API or open weights."""

    good: Literal["model_api", "open_weights"]
    home: Name
    months_behind_frontier: NonNegative


Supplier = Annotated[
    ChipSupplier | CloudProvider | StackSupplier | ModelSupplier, Field(discriminator="good")
]


# --------------------------------------------------------------------------- shocks


class Severity(Strict):
    """How strongly each occurrence of a shock strikes: a factor on its magnitude, drawn
    uniformly in ``[low, high]`` per occurrence from the shock's own stream.

    The magnitude is the field the shock type names (``magnitude``: a capacity loss, a share,
    a surge's excess over normal demand); the scaled value is kept within the field's range.
    """

    kind: Literal["uniform"]
    low: NonNegative
    high: NonNegative

    @model_validator(mode="after")
    def _ordered(self) -> Severity:
        if self.high < self.low:
            raise ValueError("'high' must be at least 'low'")
        return self


class FixedDuration(Strict):
    """A shock that lasts a fixed number of days."""

    kind: Literal["fixed"]
    days: Positive


class LognormalDuration(Strict):
    """A shock whose duration is lognormal (median and log-space sigma)."""

    kind: Literal["lognormal"]
    median_days: Positive
    sigma: Positive


class PermanentDuration(Strict):
    """A shock that never ends within the horizon."""

    kind: Literal["permanent"]


Duration = Annotated[
    FixedDuration | LognormalDuration | PermanentDuration, Field(discriminator="kind")
]


#: Every shock type by its ``type`` tag, in the order the types are defined below. Each
#: subclass of :class:`ShockBase` adds itself; the ``Shock`` union is built from this.
SHOCK_SPECS: dict[str, type[ShockBase]] = {}
_SHOCK_UNION_BUILT = False


class ShockBase(Strict):
    """What every shock has: an id, a start (date or Poisson rate) and a duration.

    A shock type is a subclass with a ``type: Literal["<tag>"]`` field; defining it registers
    it in :data:`SHOCK_SPECS`, so it joins the ``Shock`` union. It declares in ``references``
    which of its fields name regions or suppliers, and of which kind; the loader's wiring check
    reads that, in that order, and nothing else.
    """

    references: ClassVar[tuple[Ref, ...]] = ()
    #: The field a ``severity`` scales, and the value it scales from (a surge's factor scales
    #: its excess over 1); ``None``: the type has no magnitude, its duration is its severity.
    magnitude: ClassVar[str | None] = None
    magnitude_base: ClassVar[float] = 0.0

    if TYPE_CHECKING:
        # every registered subclass has this field, as a one-value Literal
        type: str

    id: Name
    start: dt.date | None = None
    rate_per_year: Annotated[float, NoCoercion(), Field(gt=0.0, le=50.0)] | None = None
    duration: Duration
    severity: Severity | None = Field(
        default=None,
        description="factor on the shock's magnitude drawn per occurrence (none: as given)",
    )

    @model_validator(mode="after")
    def _one_schedule(self) -> ShockBase:
        if (self.start is None) == (self.rate_per_year is None):
            raise ValueError("give exactly one of 'start' (a date) or 'rate_per_year'")
        if self.severity is not None and self.magnitude is None:
            raise ValueError(
                f"a {self.type} shock has no magnitude to scale: give no 'severity' (its "
                "duration is how severe it is)"
            )
        return self

    def scaled(self, factor: float) -> ShockBase:
        """This shock with its magnitude scaled by ``factor``, kept within the field's range."""
        if self.magnitude is None or factor == 1.0:
            return self
        base = self.magnitude_base
        value = base + (float(getattr(self, self.magnitude)) - base) * factor
        # the field's own bounds: fractions stay in [0, 1], a surge's factor in (0, 20]
        lower, upper = (1e-3, 20.0) if base else (0.0, 1.0)
        return self.model_copy(update={self.magnitude: min(max(value, lower), upper)})

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Register a new shock type under its ``type`` tag, once its fields are known."""
        super().__pydantic_init_subclass__(**kwargs)
        tag = literal_tag(cls, "type")
        if tag is None:
            raise TypeError(f"shock type {cls.__name__} needs a field type: Literal['<tag>']")
        if _SHOCK_UNION_BUILT:
            # the union is already built: a type defined now would validate nowhere
            raise TypeError(f"shock type {cls.__name__} is defined after the Shock union")
        if tag in SHOCK_SPECS:
            raise TypeError(
                f"shock types {SHOCK_SPECS[tag].__name__} and {cls.__name__} share the tag {tag!r}"
            )
        unknown = [r.field for r in cls.references if r.field not in cls.model_fields]
        if unknown:
            raise TypeError(f"{cls.__name__}.references names no field {unknown}")
        SHOCK_SPECS[tag] = cls


class ExportControl(ShockBase):
    """Sales of listed goods from the imposers' suppliers to the targets stop.

    ``extra_suppliers`` extends the control to suppliers homed elsewhere that must comply (a
    foreign direct product rule). ``compliant_share`` of the blocked flow keeps moving, as
    down-binned compliant chips do.
    """

    references = (
        Ref("extra_suppliers", SUPPLIER),
        Ref("imposers", REGION),
        Ref("targets", REGION),
    )

    type: Literal["export_control"]
    imposers: list[Name] = Field(min_length=1)
    targets: list[Name] = Field(min_length=1)
    goods: list[Good] = Field(min_length=1)
    extra_suppliers: list[Name] = Field(default_factory=list)
    compliant_share: Fraction
    announce_days: NonNegative = Field(
        description="announcement ahead of the start; targets stockpile in between"
    )
    stockpile_months: NonNegative = Field(
        description="months of the targets' demand growth they rush to order once announced"
    )
    licence_approval_share: Fraction = Field(
        description="share of the blocked flow licensed case by case, on top of compliant goods"
    )
    leakage_max_share: Fraction = Field(
        description="share of the blocked flow that leaks through third countries in the end"
    )
    leakage_ramp_days: Positive = Field(description="time for leakage to build up")
    controls_cloud: StrictBool = Field(
        description="also bar the imposers' cloud providers from new contracts with the targets "
        "(closing the remote-access loophole)"
    )
    target_response: NonNegative = Field(
        description="capacity the targets' own suppliers build in response, as a share of "
        "their own; it produces after the good's construction time in their region"
    )
    imposer_cost_usd_per_h100e: NonNegative = Field(
        description="sales the imposers lose per H100e blocked"
    )
    quota_h100e_per_year: NonNegative | None = Field(
        default=None,
        description="per-country cap on what each imposer supplier may deliver to each target "
        "in a year (the 2025 diffusion rule's tier-2 caps); none by default",
    )


class CloudCutoff(ShockBase):
    """Providers stop serving regions, graded from no new contracts to full withdrawal."""

    references = (Ref("providers", CLOUD_PROVIDER), Ref("regions", REGION))

    type: Literal["cloud_cutoff"]
    providers: list[Name] = Field(min_length=1)
    regions: list[Name] = Field(min_length=1)
    grade: Literal["no_new_contracts", "price_hike", "withdrawal"]
    price_factor: Annotated[float, NoCoercion(), Field(ge=1.0, le=100.0)]


#: What caused a fab disruption: it sets how capacity comes back after the restart.
FabCause = Literal["earthquake", "fire", "power", "contamination", "other"]


class FabDisruption(ShockBase):
    """Listed suppliers lose a share of their capacity (quake, fire, power, contamination).

    The loss holds for ``duration`` (to the restart); then capacity comes back linearly over
    the recovery time of its ``cause`` (``uncertainties.supply.fab_recovery_days``).
    """

    references = (Ref("suppliers", CHIP_SUPPLIER), Ref("regions", REGION))

    magnitude = "capacity_loss"

    type: Literal["fab_disruption"]
    suppliers: list[Name] = Field(min_length=1)
    regions: list[Name] = Field(
        default_factory=list,
        description="only the named suppliers' sites in these regions are struck (empty: all "
        "their sites)",
    )
    capacity_loss: Fraction
    cause: FabCause = Field(
        description="what struck the fabs: sets how long capacity takes to come back after "
        "the restart (drought, blockade and the unnamed: other)"
    )


class Outage(ShockBase):
    """Capacity goes dark: providers (all their regions) and/or the own sites of regions.

    ``duration`` is the time to the vendor's fix; after it, each site comes back after its own
    recovery time (lognormal), as machines fixed by hand one by one did after the 2024
    CrowdStrike update (fix in 80 minutes, recovery over days).
    """

    references = (Ref("providers", CLOUD_PROVIDER), Ref("regions", REGION))

    magnitude = "capacity_loss"

    type: Literal["outage"]
    providers: list[Name] = Field(default_factory=list)
    regions: list[Name] = Field(default_factory=list)
    capacity_loss: Fraction
    site_recovery_median_days: NonNegative
    site_recovery_sigma: NonNegative

    @model_validator(mode="after")
    def _scope(self) -> Outage:
        if not self.providers and not self.regions:
            raise ValueError("an outage needs 'providers' or 'regions' (whose own sites)")
        return self


class DemandSurge(ShockBase):
    """Compute demand of regions rises by a factor (a new model class, a crisis), at once or
    along a linear ramp."""

    references = (Ref("regions", REGION),)

    magnitude = "factor"
    magnitude_base = 1.0

    type: Literal["demand_surge"]
    regions: list[Name] = Field(min_length=1)
    factor: Annotated[float, NoCoercion(), Field(gt=0.0, le=20.0)]
    ramp_days: NonNegative = Field(description="time for demand to reach the full factor")


class MaterialsRestriction(ShockBase):
    """Exports of chip-making materials (gallium, germanium) from the imposers need licences.

    Fabs in the targets live on their stocks for ``buffer_days``, then lose the part of their
    output that needs the material they can no longer get. The stock is counted in days of a
    fab's full use and covers the shortfall: with a share ``a`` of its material still
    reachable, a fab runs at full output for ``buffer_days / (1 - a)`` days, then at
    ``1 - d (1 - a)``, where ``d`` is ``output_share_at_risk`` (with ``d = 1``, at ``a``).
    Announced ``announce_days`` ahead, the targets' fabs buy the stock from the imposers in
    between; without an announcement it is taken as already held. Until licences are first
    granted (``licence_delay_days`` after the start) nothing flows; from then on the
    ``compliant_share`` does. Once access is full again, the fabs rebuild the stock over
    ``refill_days``.
    """

    references = (Ref("imposers", REGION), Ref("targets", REGION))

    type: Literal["materials_restriction"]
    imposers: list[Name] = Field(min_length=1)
    targets: list[Name] = Field(min_length=1)
    compliant_share: Fraction = Field(
        description="share of the imposers' exports to the targets licensed once licences flow"
    )
    buffer_days: NonNegative = Field(
        description="stock the targets' fabs hold or buy, in days of their full use"
    )
    announce_days: NonNegative = Field(
        description="announcement ahead of the start; the targets' fabs buy their stock "
        "from the imposers in between (none: the stock is taken as already held)"
    )
    licence_delay_days: NonNegative = Field(
        description="days after the start before the first licences are granted; "
        "no exports to the targets until then"
    )
    refill_days: Positive = Field(
        description="days to rebuild an empty stock once the fabs can buy freely again"
    )
    output_share_at_risk: Fraction = Field(
        description="share of a target fab's output that cannot be made without the "
        "restricted material"
    )


class LicenceChange(ShockBase):
    """A vendor changes licence terms: for a proprietary stack, or for open-weight models.

    Stack: the ``affected_share`` of the regions' proprietary-stack work must port away.
    Open weights: new releases are out of reach, so locally held weights fall behind.
    """

    references = (Ref("stacks", SOFTWARE_STACK), Ref("regions", REGION))

    magnitude = "affected_share"

    type: Literal["licence_change"]
    regions: list[Name] = Field(min_length=1)
    stacks: list[Name] = Field(default_factory=list)
    open_weights: StrictBool
    affected_share: Fraction


class ModelAccessCutoff(ShockBase):
    """Closed model APIs stop serving regions."""

    references = (Ref("providers", MODEL_API), Ref("regions", REGION))

    type: Literal["model_access_cutoff"]
    providers: list[Name] = Field(min_length=1)
    regions: list[Name] = Field(min_length=1)


class DataTransferRuling(ShockBase):
    """A court rules that the regions' data may not sit with providers under listed foreign
    jurisdictions (Schrems II style); a sovereign offering is exempt if ``sovereign_exempt``.
    """

    references = (Ref("regions", REGION), Ref("jurisdictions", REGION))

    type: Literal["data_transfer_ruling"]
    regions: list[Name] = Field(min_length=1)
    jurisdictions: list[Name] = Field(min_length=1)
    sovereign_exempt: StrictBool


class LegalCompulsion(ShockBase):
    """A jurisdiction compels its providers to hand over the regions' data.

    Service does not move (availability is intact); ``compelled`` records the share of each
    region's data actually reached — the confidentiality loss exposure warns about.
    """

    references = (Ref("jurisdiction", REGION), Ref("regions", REGION))

    magnitude = "share"

    type: Literal["legal_compulsion"]
    jurisdiction: Name
    regions: list[Name] = Field(min_length=1)
    share: Fraction


class TalentDrain(ShockBase):
    """A share of the regions' specialists leaves at the start (recruitment drive abroad)."""

    references = (Ref("regions", REGION),)

    magnitude = "share"

    type: Literal["talent_drain"]
    regions: list[Name] = Field(min_length=1)
    share: Fraction


#: The shock types, in the order they are defined (the order of the schema's union).
SHOCK_TYPES: tuple[type[ShockBase], ...] = tuple(SHOCK_SPECS.values())
_SHOCK_UNION_BUILT = True
if TYPE_CHECKING:
    Shock = ShockBase
else:
    # a union over the registry, so a new shock type joins it by being defined above;
    # Union[...] takes the tuple of types, which the X | Y spelling cannot
    Shock = Annotated[Union[SHOCK_TYPES], Field(discriminator="type")]  # noqa: UP007


# --------------------------------------------------------------------------- uncertainties


class Workload(Strict):
    """The jobs of one workload class: how many, how large, how long, and where they may run.

    Sizes are truncated-Pareto shares of the workload's demand in the region; their scale is
    derived so that arrivals times mean work equals that demand, which keeps every region at
    the same job count (``arrivals_per_day``) however large it is.
    """

    arrivals_per_day: Positive
    size_pareto_alpha: Annotated[float, NoCoercion(), Field(gt=1.0, le=10.0)]
    max_job_share: Fraction
    duration_median_days: Positive
    duration_sigma: NonNegative
    patience_days: Positive
    priority: Annotated[float, NoCoercion(), Field(gt=0.0, le=100.0, allow_inf_nan=False)] = Field(
        description="claim on short capacity: each workload gets the same fraction of its "
        "demand times this weight, up to its demand"
    )
    local: StrictBool = Field(
        description="runs only on capacity in the region: own sites, or providers present there"
    )


class InferenceGrowth(Strict):
    """How inference's share of a region's compute grows with the models it runs.

    Inference runs the models a region deploys itself: its own and open weights. Closed
    models bought as APIs from abroad are served on their provider's compute. A region's
    inference share is ``deployed_share * intensity(t)``, where the intensity moves from
    ``intensity_start`` toward ``intensity_long_run`` with time constant ``adoption_years``
    as deployed models reach more users, capped at ``max_share``.
    """

    intensity_start: Fraction
    intensity_long_run: Fraction
    adoption_years: Positive
    max_share: Fraction


class Workloads(Strict):
    """The four workload classes of every region, and how inference grows."""

    frontier_training: Workload
    domain_training: Workload
    fine_tuning: Workload
    inference: Workload
    inference_growth: InferenceGrowth


class FactoryUsers(Shares):
    """Shares of an AI factory's compute the programme gives each user class."""

    shares_name = "user_shares"

    research: Fraction
    industry: Fraction
    startups: Fraction


class FactoryProgramme(Strict):
    """How an AI factory programme runs its factories: who gets the compute, and the
    expertise each factory brings.

    A factory's compute goes to its user classes in fixed shares. Its support staff work
    with the region's users, so each support post stands in for ``staff_leverage``
    specialists the users would otherwise need; its operators come with it, so its
    capacity adds nothing to the operations staff the region needs. Its training courses
    add ``trainees_per_year`` specialists to the region's pool, ``training_years`` after
    the factory opens and every year after.
    """

    user_shares: FactoryUsers
    support_staff: NonNegative = Field(description="support specialists per factory, FTE")
    staff_leverage: NonNegative = Field(
        description="user specialists one support post stands in for"
    )
    trainees_per_year: NonNegative = Field(
        description="specialists a factory's training adds to the pool each year"
    )
    training_years: NonNegative = Field(
        description="from a factory's opening to its first trainees"
    )


class JobMix(Strict):
    """What every workload's job flow shares: priorities, pool size and warm-up."""

    arrivals_scale: Positive = Field(
        description="multiplies every workload's arrivals_per_day (fewer, larger jobs)"
    )
    priority_shares: list[Fraction] = Field(min_length=3, max_length=3)
    max_active_jobs: Annotated[int, NoCoercion(), Field(ge=64, le=1_000_000)]
    warm_up_days: Annotated[float, NoCoercion(), Field(ge=0.0, le=365.0)] = Field(
        description="days of job flow run before the start, so a run starts with queues in flight"
    )

    @model_validator(mode="after")
    def _sum(self) -> JobMix:
        _check_shares(self.priority_shares, "priority_shares (public, industry, critical)")
        return self


class Segment(Strict):
    """A customer segment: how its customers weigh home providers, switching and price."""

    sovereignty_scale: NonNegative = Field(description="multiplies the region's sovereignty_pref")
    switching_scale: NonNegative = Field(description="multiplies the region's switching_cost")
    price_scale: NonNegative = Field(description="multiplies alpha_price")
    growth_offset_per_year: Real = Field(
        description="workload growth above (or below) the region's own, 1/year"
    )


class Market(Strict):
    """Coefficients of the cloud-choice logit, its segments and how often customers re-choose."""

    interval_days: Positive
    reselect_share: Fraction
    transition_days: NonNegative = Field(
        description="days a customer forced off a provider waits before the new one serves it"
    )
    beta_quality: NonNegative
    alpha_price: NonNegative
    gamma_network: NonNegative
    outside_utility: Real
    outside_share: Annotated[float, NoCoercion(), Field(gt=0.0, lt=0.5, allow_inf_nan=False)] = (
        Field(description="share of cloud workload on the outside option in a market at rest")
    )
    pref_spread: NonNegative
    segments: dict[Name, Segment] = Field(min_length=1)


class FabRecovery(Strict):
    """Days from a fab's restart to its full capacity, by what struck it."""

    earthquake: NonNegative
    fire: NonNegative
    power: NonNegative
    contamination: NonNegative
    other: NonNegative


class GoodBuild(Strict):
    """What new capacity for one chip good takes: time before output, ramp, capital.

    ``construction_days`` and ``capex_usd_per_h100e_year`` are by region, falling back on the
    region's profile, then on ``default``.
    """

    construction_days: dict[Name, Positive] = Field(
        description="from the start of construction to the first volume output, by region"
    )
    ramp_days: Positive = Field(
        description="from the first volume output to full capacity (yield and volume), linear"
    )
    capex_usd_per_h100e_year: dict[Name, NonNegative] = Field(
        description="capital per unit of capacity (USD per H100e a year of output), by region"
    )

    @model_validator(mode="after")
    def _has_default(self) -> GoodBuild:
        for key in ("construction_days", "capex_usd_per_h100e_year"):
            if "default" not in getattr(self, key):
                raise ValueError(f"{key} needs a 'default' entry for the regions not listed")
        return self


class Build(Strict):
    """New chip-making capacity: per good, and how the market invests while quotes stay long."""

    wafer: GoodBuild
    hbm: GoodBuild
    packaging: GoodBuild
    accelerator: GoodBuild
    lithography: GoodBuild
    materials: GoodBuild
    construction_scale: Positive = Field(
        description="multiplies every construction time (a sweep's handle on build speed)"
    )
    capex_scale: Positive = Field(
        description="multiplies every capex per unit (a sweep's handle on build cost)"
    )
    life_years: Positive = Field(description="years over which chip-making capex is annualised")
    discount_rate: Fraction = Field(description="cost of capital that annualises capex, 1/year")
    review_days: Positive = Field(
        description="how often suppliers and domestic-chain programmes review what to build"
    )
    market_trigger: Annotated[float, NoCoercion(), Field(ge=1.0, allow_inf_nan=False)] = Field(
        description="smoothed quote over assembly cycle above which the market builds more"
    )
    market_response_per_year: NonNegative = Field(
        description="capacity a binding supplier adds a year per unit of log(quote ratio / "
        "trigger), as a share of its capacity"
    )

    def of(self, good: str) -> GoodBuild:
        """The build parameters of chip good ``good``."""
        out = getattr(self, good)
        assert isinstance(out, GoodBuild)
        return out


class Supply(Strict):
    """Supply-chain behaviour."""

    order_interval_days: Positive
    lithography_wear_per_year: Fraction
    lead_time_cap_days: Positive
    fab_recovery_days: FabRecovery = Field(
        description="after a fab disruption's restart, capacity comes back linearly over "
        "these days, by cause"
    )
    order_ahead_cap_days: Positive = Field(
        description="buyers order at most this far ahead of need, however long the quote"
    )
    warm_order_book: StrictBool = Field(
        description="providers order one review before the start, so a run opens with their "
        "fleets and order books as their own ordering keeps them"
    )
    build: Build = Field(description="what new chip-making capacity takes, by good and region")
    materials_share_at_risk: Fraction = Field(
        description="share of a fab's output that needs the restricted materials, where a "
        "region stops chip imports (a materials restriction sets its own)"
    )


class Coupling(Strict):
    """Layer coupling (dynamic inoperability input-output model)."""

    dependency: dict[Layer, dict[Layer, Fraction]]
    recovery_days: dict[Layer, Positive]


class Talent(Strict):
    """How specialists move between regions and how staffing scales."""

    mobility_per_year: Fraction = Field(description="share of a unit attractiveness gap moving")
    weight_pay: NonNegative
    weight_compute: NonNegative
    staff_scale_exponent: Annotated[float, NoCoercion(), Field(gt=0.0, le=1.0)]


class Capability(Strict):
    """What it takes to train at the frontier."""

    flop_per_h100e_second: Positive = Field(description="dense BF16 peak of one H100")
    utilisation: Fraction = Field(description="model FLOP utilisation of a training run")
    training_days: Positive
    frontier_flop_start: Positive = Field(description="largest training run at the start")
    frontier_doubling_months: Positive = Field(
        description="months per doubling of frontier training compute at its historical pace: "
        "a region's gap to the frontier is counted in them"
    )
    multisite_comm_overhead: NonNegative = Field(
        description="communication time per unit compute time of a run over a region's sites "
        "(DiLoCo rounds)"
    )
    crossregion_comm_overhead: NonNegative = Field(
        description="communication time per unit compute time of a run that includes another "
        "region's sites (DiLoCo rounds over intercontinental links)"
    )
    federation_min_interop: Fraction = Field(
        description="interoperability with a partner below which its sites cannot join a run"
    )
    useful_lag_months: Positive = Field(
        description="models this far behind the frontier still serve demand; none at twice it"
    )
    sovereign_residual_exposure: Fraction = Field(
        description="legal exposure left by a foreign provider's sovereign offering"
    )


class LeverEffects(Strict):
    """How strongly levers act, and what they cost."""

    open_stack_overhead: Fraction = Field(description="performance lost on a portable stack")
    stockpile_half_life_years: Positive = Field(description="worth of stored chips halves")
    stockpile_trigger: Fraction = Field(description="compute service that releases the stock")
    stockpile_connect_days: NonNegative = Field(description="to power stored chips up")
    multi_cloud_premium: Fraction = Field(description="extra cloud spend of multi-cloud")
    sovereign_pref_boost: NonNegative = Field(description="utility of home providers per unit")
    sovereign_premium: Fraction = Field(description="extra spend on sovereign procurement")
    mirror_cost_usd_per_year: NonNegative
    graduate_cost_usd: NonNegative
    local_models_usd_per_year: NonNegative = Field(
        description="yearly cost of moving all of a region's model use to its own models"
    )
    local_models_years: Positive = Field(
        description="time constant of a local-model programme, with all the specialists needed"
    )
    api_switch_days: Positive = Field(
        description="time constant of moving from a cut-off API to open weights"
    )
    open_weights_talent_share: Fraction = Field(
        description="share of open weights' value that needs specialists to adapt and serve them"
    )
    alliance_share: Fraction = Field(
        description="share of partners' spare capacity and surplus specialists lent"
    )
    specialist_usd_per_year: NonNegative = Field(
        description="what a region pays a year for a specialist a partner lends it"
    )


class Prices(Strict):
    """How accelerator and cloud prices move (see ``docs/model.md``, "Prices")."""

    reference_date: dt.date = Field(
        description="date of the listed prices: providers' price_usd_per_h100e_hour and the "
        "regions' capex and opex hold on it"
    )
    accelerator_usd_per_h100e: Positive = Field(
        description="world price of an accelerator per H100e on the reference date, "
        "undisturbed supply"
    )
    decline_per_year: NonNegative = Field(
        description="log-rate at which the price per H100e falls with new chip generations"
    )
    scarcity_elasticity: NonNegative = Field(
        description="d log price / d log (quote / assembly cycle)"
    )
    quote_smoothing_days: Positive = Field(
        description="time constant over which prices follow the designers' quotes"
    )
    control_premium: NonNegative = Field(
        description="extra price of the blocked part of a controlled designer's supply "
        "(grey and compliant channels), as a share of its price"
    )
    cloud_utilisation: Annotated[float, NoCoercion(), Field(gt=0.0, le=1.0)] = Field(
        description="average utilisation of a rented fleet, which sets a provider's cost per "
        "sold hour"
    )
    lock_in_margin_share: Fraction = Field(
        description="part of a provider's margin over cost that its customers' switching costs earn"
    )


class Uncertainties(Strict):
    """Parameters nobody controls, kept apart from the regions' levers."""

    demand_growth_scale: Positive
    growth_long_run_per_year: Rate
    growth_decay_years: Positive
    jobs: JobMix
    workloads: Workloads
    ai_factories: FactoryProgramme
    market: Market
    supply: Supply
    prices: Prices
    coupling: Coupling
    talent: Talent
    capability: Capability
    levers: LeverEffects


class Recording(Strict):
    """What the recorder samples, and how often.

    The recorder only watches: it samples state at every ``interval_days`` (a multiple of the
    scenario's ``step_days``) and sums the per-period variables over the steps between two
    samples, so a coarser grid loses resolution, never work.
    """

    interval_days: Annotated[float, NoCoercion(), Field(gt=0.0, le=366.0)] = Field(
        description="days between two samples; a whole multiple of step_days"
    )
    service_window_days: Positive
    twin: StrictBool = Field(description="also run the no-shock twin and compute the bottleneck")
    material_loss_days: NonNegative = Field(
        description="resilience loss over the run, summed over a region's layers, below which "
        "it has no most fragile layer"
    )


class Scenario(Strict):
    """A complete, validated scenario: the input of one simulation run."""

    name: Name
    description: str = ""
    start: dt.date
    horizon_years: Annotated[float, NoCoercion(), Field(gt=0.0, le=50.0)]
    step_days: Annotated[float, NoCoercion(), Field(gt=0.0, le=30.0)] = Field(
        description="the world's own step: the continuous part (queues, supply, porting, talent, "
        "layer coupling) advances on this grid and at events, never at recording times"
    )
    seed: Annotated[int, NoCoercion(), Field(ge=0, lt=2**63)]
    regions: dict[Name, Region] = Field(min_length=1)
    suppliers: dict[Name, Supplier]
    shocks: list[Shock] = Field(default_factory=list)
    actions: list[Action] = Field(
        default_factory=list, description="dated lever actions (a portfolio)"
    )
    uncertainties: Uncertainties
    recording: Recording

    @property
    def region_names(self) -> list[str]:
        """Region names in scenario order (the order of every region axis)."""
        return list(self.regions)

    def suppliers_of(self, *goods: str) -> list[str]:
        """Ids of suppliers of any of ``goods``, in scenario order."""
        return [sid for sid, s in self.suppliers.items() if s.good in goods]

    @property
    def horizon_days(self) -> float:
        """Simulated horizon in days."""
        return self.horizon_years * DAYS_PER_YEAR

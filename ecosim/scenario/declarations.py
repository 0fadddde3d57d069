"""What scenario models declare about their fields, for the checks that loop over them.

A shock specification says which of its fields name which kind of thing (:class:`Ref`), so the
wiring check of the loader needs no code per shock type; a field of
:class:`~ecosim.scenario.models.Levers` carries a :class:`Lever` saying whether a dated action
may change it. Each declaration sits on the class or field it describes, so a new shock type or
lever is written in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, get_args, get_origin

if TYPE_CHECKING:
    from pydantic import BaseModel
    from pydantic.fields import FieldInfo


class Named(Protocol):
    """What a kind's names are read from: a scenario (declared here so that this module sits
    below the models that use it)."""

    @property
    def region_names(self) -> list[str]:
        """Region names in scenario order."""
        ...

    def suppliers_of(self, *goods: str) -> list[str]:
        """Names of the suppliers of ``goods``, in scenario order."""
        ...


@dataclass(frozen=True)
class Kind:
    """A kind of thing a scenario names: one of its regions, or a supplier of some goods.

    Parameters
    ----------
    label
        What error messages call it: ``a <label> of this scenario (<names>)``.
    goods
        The goods its suppliers make; None for the scenario's regions.
    """

    label: str
    goods: tuple[str, ...] | None = None

    def names(self, scenario: Named) -> list[str]:
        """The names of this kind in ``scenario``, in scenario order."""
        if self.goods is None:
            return scenario.region_names
        return scenario.suppliers_of(*self.goods)


@dataclass(frozen=True)
class Ref:
    """A field of a specification that names things of one kind (a name or a list of names).

    Parameters
    ----------
    field
        The field's name.
    kind
        What each name in it must be.
    """

    field: str
    kind: Kind

    def values(self, spec: BaseModel) -> list[str]:
        """The names ``spec`` gives in this field (none when it is unset)."""
        value = getattr(spec, self.field)
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


@dataclass(frozen=True)
class Lever:
    """What a lever field of :class:`~ecosim.scenario.models.Levers` declares.

    Attach it as metadata of the field: ``Annotated[Fraction, Lever(action=True)]``.

    Parameters
    ----------
    action
        Whether it is a number in [0, 1] a dated action (``actions:`` of a scenario) may
        change during a run, which the world keeps in an array it reads on every refresh.
    state
        Whether a dated action may set it although it is not such a number (a list of
        partners, a mapping, a stock): the world's state that carries it is rewritten from
        the action's date by the module that owns it.
    names
        What the names in its value are (a list's items, a mapping's keys), when it holds
        names: the regions of the scenario for partners. Forms that set a lever (the page of
        ``ecosim serve``) offer these names.
    """

    action: bool
    state: bool = False
    names: Kind | None = None


def levers_of(model: type[BaseModel]) -> dict[str, Lever]:
    """The :class:`Lever` declaration of every field of ``model``, in field order.

    Raises
    ------
    TypeError
        When a field declares no lever, or declares an action lever that is not a number in
        [0, 1] (which is all a dated action can set).
    """
    out: dict[str, Lever] = {}
    for name, info in model.model_fields.items():
        found = [m for m in info.metadata if isinstance(m, Lever)]
        if len(found) != 1:
            raise TypeError(
                f"{model.__name__}.{name} must declare exactly one Lever(...) in its annotation"
            )
        if found[0].action and found[0].state:
            raise TypeError(f"{model.__name__}.{name}: a lever is an action or a state lever")
        if found[0].action and not is_fraction(info):
            raise TypeError(
                f"{model.__name__}.{name}: only a number in [0, 1] can be an action lever"
            )
        out[name] = found[0]
    return out


def is_fraction(info: FieldInfo) -> bool:
    """Whether a field holds one number bounded to [0, 1]."""
    if info.annotation is not float:
        return False
    low = [getattr(m, "ge", None) for m in info.metadata]
    high = [getattr(m, "le", None) for m in info.metadata]
    return 0.0 in low and 1.0 in high


def literal_tag(model: type[BaseModel], field: str) -> str | None:
    """The one value a ``Literal`` field of ``model`` admits (a union tag), or None."""
    info = model.model_fields.get(field)
    if info is None:
        return None
    args = get_args(info.annotation)
    if get_origin(info.annotation) is not Literal or len(args) != 1:
        return None
    return str(args[0])

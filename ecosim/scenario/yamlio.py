"""YAML reading: safe, bounded, and with floats as people write them.

PyYAML follows YAML 1.1, where ``4.2e6`` and ``1e-3`` are strings (the exponent needs a sign
and the mantissa a dot). Scenario authors write them as numbers, so this loader resolves them
as YAML 1.2 does. It is still ``SafeLoader``: no Python objects are ever constructed.

Input is bounded before it can cost time or memory: the text's size, how deep it nests and
how many values it stands for once every alias is expanded (an "alias bomb" of nine levels of
nine aliases stands for 387 million) are all refused at once, as a YAML error with the place
it was found. An impossible date (``2025-13-45``) is a YAML error too, not a crash.
"""

from __future__ import annotations

import copy
import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

#: Largest text read (bytes). A scenario or sweep file is a few kilobytes; a megabyte is far
#: above any real one and still parses in well under a second.
MAX_BYTES = 1_000_000

#: Deepest nesting of mappings and lists. Scenario files nest about six levels.
MAX_DEPTH = 64

#: Most values a document may stand for once its aliases are expanded: a hundred times the
#: largest shipped file (the defaults, about two thousand), so anchors stay usable.
MAX_NODES = 200_000


class ScenarioLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2 float syntax, a nesting limit and checked dates."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ComposerError(None, None, f"nesting deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        return _checked_timestamp(self, node)


def _checked_timestamp(loader: Any, node: ScalarNode) -> Any:
    """A YAML date, or a YAML error naming the impossible one (``2025-13-45``)."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise ConstructorError(
            None, None, f"an impossible date {node.value!r} ({exc})", node.start_mark
        ) from None


#: YAML 1.2's floats (``1e6``, ``4.2e-3``), which YAML 1.1 reads as strings.
FLOAT_1_2 = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)

ScenarioLoader.add_constructor("tag:yaml.org,2002:timestamp", _checked_timestamp)
ScenarioLoader.add_implicit_resolver("tag:yaml.org,2002:float", FLOAT_1_2, list("-+0123456789."))

try:  # libyaml's parser where PyYAML was built with it, else the pure-Python one
    from yaml import CSafeLoader as _FastBase
except ImportError:  # pragma: no cover - the wheels carry libyaml
    from yaml import SafeLoader as _FastBase  # type: ignore[assignment]


class ShippedLoader(_FastBase):
    """The same reading as :class:`ScenarioLoader` (YAML 1.2 floats, checked dates) with
    libyaml's parser, for the files shipped with ecosim only: six times faster on the
    defaults, which every process reads, but without the limits untrusted input needs."""


ShippedLoader.add_constructor("tag:yaml.org,2002:timestamp", _checked_timestamp)
ShippedLoader.add_implicit_resolver("tag:yaml.org,2002:float", FLOAT_1_2, list("-+0123456789."))


def load_shipped_yaml(text: str) -> Any:
    """Parse a YAML file shipped with ecosim (the defaults) as :func:`load_yaml` would.

    Never for a user's file: it skips the size, nesting and alias limits.
    """
    return yaml.load(text, Loader=ShippedLoader)  # a safe loader: no Python objects


def _expanded_size(node: Node, memo: dict[int, int]) -> int:
    """Values ``node`` stands for with every alias expanded; stops early past the limit.

    An alias is the same node object as its anchor, so sizes are memoised by identity and
    the count takes time proportional to the document as written, not as expanded.
    """
    known = memo.get(id(node))
    if known is not None:
        return known
    size = 1
    if isinstance(node, SequenceNode):
        for child in node.value:
            size += _expanded_size(child, memo)
            if size > MAX_NODES:
                break
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            size += _expanded_size(key, memo) + _expanded_size(value, memo)
            if size > MAX_NODES:
                break
    memo[id(node)] = size
    return size


#: Texts parsed in this process, by what parsed them and the text, most recent last: a sweep
#: loads its base scenario (and the calibrated file it names) once for each of its runs, and
#: the pure-Python parser the limits need costs about a tenth of a short run each time.
_PARSED: OrderedDict[tuple[str, str], Any] = OrderedDict()
#: Texts kept: a scenario's chain of files, its calibration and a sweep's few bases.
_PARSED_KEPT = 32
#: Longest text kept (characters): the largest shipped scenario is about 8 kB; a text near the
#: size limit is parsed each time rather than held.
_PARSED_LONGEST = 200_000


def parsed(kind: str, text: str, parse: Callable[[str], Any]) -> Any:
    """``parse(text)``, parsed once per process for each ``kind`` of parser and text.

    Every call gets its own deep copy, which the caller may change; a text that fails to
    parse is never kept, so it fails again with the same error.
    """
    if len(text) > _PARSED_LONGEST:
        return parse(text)
    key = (kind, text)
    known = _PARSED.get(key)
    if known is None:
        known = parse(text)
        _PARSED[key] = known
        if len(_PARSED) > _PARSED_KEPT:
            _PARSED.popitem(last=False)
    else:
        _PARSED.move_to_end(key)
    return copy.deepcopy(known)


def load_yaml(text: str) -> Any:
    """Parse YAML text safely, reading ``1e6`` and ``4.2e-3`` as floats.

    A text already parsed in this process is not parsed again (:func:`parsed`).

    Raises
    ------
    yaml.YAMLError
        On invalid YAML, an impossible date, or text past the limits of size
        (:data:`MAX_BYTES`), nesting (:data:`MAX_DEPTH`) or alias expansion
        (:data:`MAX_NODES`).
    """
    return parsed("scenario", text, _load_yaml)


def _load_yaml(text: str) -> Any:
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        raise yaml.YAMLError(f"{size:,} bytes of text, above the {MAX_BYTES:,}-byte limit")
    loader = ScenarioLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_NODES:
            raise ComposerError(
                None,
                None,
                f"aliases that expand to more than {MAX_NODES:,} values",
                node.start_mark,
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()

"""YAML nodes with positions, read with libyaml's C composer (PyYAML ``CSafeLoader``).

Rules need the line and column of every key and scalar. Composing (not constructing) keeps the
node tree with its marks; libyaml does it about 30x faster than a pure-Python round-trip parser,
which matters on large workflow corpora. ``fix pins`` uses ruamel.yaml instead, because it must
write the file back byte-for-byte. Anchors and aliases come out as shared nodes; ``<<`` merge
keys are expanded by :func:`pairs`. Keys are compared by their source text, so the YAML 1.1
``on:`` (which a constructing loader turns into ``True``) stays ``"on"``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

__all__ = [
    "MappingNode",
    "Node",
    "ParseError",
    "ScalarNode",
    "SequenceNode",
    "column",
    "compose",
    "get",
    "items",
    "key_of",
    "line",
    "pairs",
    "text",
]

_MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class ParseError:
    """Why a file is not YAML, and where the parser stopped (1-based)."""

    message: str
    line: int | None
    column: int | None


def compose(source: str) -> list[Node] | ParseError:
    """Every document of ``source`` as a node tree, or the parser's complaint."""
    try:
        return [n for n in yaml.compose_all(source, Loader=_Loader) if n is not None]
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = err.problem or err.context or "not valid YAML"
        return ParseError(
            problem, mark.line + 1 if mark else None, mark.column + 1 if mark else None
        )
    except yaml.YAMLError as err:
        return ParseError(str(err).splitlines()[0] if str(err) else "not valid YAML", None, None)


def line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def column(node: Node) -> int:
    return int(node.start_mark.column) + 1


def text(node: Node | None) -> str | None:
    """The scalar's source text (``None`` for maps, lists and missing nodes)."""
    return str(node.value) if isinstance(node, ScalarNode) else None


def pairs(node: Node | None) -> Iterator[tuple[ScalarNode, Node]]:
    """The (key, value) pairs of a mapping, ``<<`` merges expanded, explicit keys winning."""
    if not isinstance(node, MappingNode):
        return
    explicit = {k.value for k, _ in node.value if isinstance(k, ScalarNode) and k.tag != _MERGE}
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.tag == _MERGE:
            sources = value.value if isinstance(value, SequenceNode) else [value]
            for source in sources:
                for mkey, mvalue in pairs(source):
                    if mkey.value not in explicit:
                        yield mkey, mvalue
        elif isinstance(key, ScalarNode):
            yield key, value


def get(node: Node | None, *path: str) -> Node | None:
    """The value at ``path`` through nested mappings, or ``None``."""
    for name in path:
        found = None
        for key, value in pairs(node):
            if key.value == name:
                found = value
        if found is None:
            return None
        node = found
    return node


def key_of(node: Node | None, name: str) -> ScalarNode | None:
    """The key node of ``name`` in a mapping (for positions of the key itself)."""
    for key, _ in pairs(node):
        if key.value == name:
            return key
    return None


def items(node: Node | None) -> list[Node]:
    """The elements of a sequence (an empty list for anything else)."""
    return list(node.value) if isinstance(node, SequenceNode) else []

"""Base classes for checks. A check is one rule; it says what it wants to see and yields findings.

Three kinds, so the engine can read each file at most once and skip what nobody wants:

- :class:`PathCheck` sees every path (with its ``lstat`` facts) and never the content;
- :class:`FileCheck` sees the decoded text of the files matching its ``patterns``;
- :class:`RepoCheck` runs once per repository (missing files, cross-file facts);
- :class:`MetaCheck` is never run: it declares a rule the engine or the policy layer reports.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from forgegate.model import Finding, Location, Rule, fingerprint

EntryKind = Literal["file", "symlink", "other", "missing"]


@dataclass(slots=True)
class PathEntry:
    """One path from the walk, with what ``lstat`` said about it."""

    path: str
    kind: EntryKind
    size: int = 0
    #: for symlinks: the link text, whether it resolves inside the root, whether the target exists
    link_target: str | None = None
    link_inside: bool = True
    link_exists: bool = True


class SourceFile:
    """A text file handed to :class:`FileCheck` s: read once, decoded once, lines on demand."""

    __slots__ = ("_line_starts", "_lines", "data", "hits", "memo", "path", "searched", "text")

    def __init__(
        self,
        path: str,
        data: bytes,
        text: str,
        hits: AbstractSet[bytes] = frozenset(),
        searched: AbstractSet[bytes] = frozenset(),
    ) -> None:
        self.path = path
        self.data = data
        self.text = text
        #: the needles the engine's one search looked for (``searched``) and found (``hits``)
        self.hits = hits
        self.searched = searched
        #: parses shared by the checks of one family (e.g. the workflow tree), keyed by family
        self.memo: dict[str, object] = {}
        self._lines: list[str] | None = None
        self._line_starts: list[int] | None = None

    def contains(self, needle: bytes) -> bool:
        """``needle in data``, answered from the engine's search when it looked for it."""
        return needle in self.hits if needle in self.searched else needle in self.data

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def line_at(self, offset: int) -> int:
        """1-based line number of a character offset into :attr:`text`."""
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            pos = find("\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
            self._line_starts = starts
        return bisect.bisect_right(self._line_starts, offset)

    def offset_of(self, line: int, column: int = 1) -> int:
        """Character offset of a 1-based line and column (the inverse of line_at/column_at)."""
        self.line_at(0)  # builds the line table
        starts = self._line_starts or [0]
        return starts[min(max(line, 1), len(starts)) - 1] + column - 1

    def column_at(self, offset: int) -> int:
        """1-based column of a character offset."""
        return offset - (self.text.rfind("\n", 0, offset) + 1) + 1

    def line_text(self, line: int) -> str:
        lines = self.lines
        return lines[line - 1] if 0 < line <= len(lines) else ""


@dataclass
class Context:
    """What a check may know about the run besides the file in hand."""

    root: Path
    #: every path in scope for this run (all tracked files, or only the changed ones)
    paths: Sequence[str]
    changed_only: bool = False
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def options_for(self, rule_id: str) -> Mapping[str, Any]:
        return self.options.get(rule_id, {})


class Check:
    """One rule. Subclasses set :attr:`rule` and implement one of the kind methods."""

    rule: ClassVar[Rule]
    #: rule ids whose checks must run before this one (the engine orders by them)
    after: ClassVar[tuple[str, ...]] = ()
    #: JSON Schema (draft 2020-12) of this rule's ``options`` in the policy, with defaults
    options_schema: ClassVar[Mapping[str, Any]] = {"type": "object", "additionalProperties": False}

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self.options: Mapping[str, Any] = options or {}

    def configure(self, policy: Mapping[str, Any]) -> None:
        """Read family-wide settings from the resolved policy document (default: none)."""

    def finding(
        self,
        message: str,
        path: str,
        line: int | None = None,
        column: int | None = None,
        *,
        key: str | None = None,
        fix: str | None = None,
        properties: dict[str, str] | None = None,
    ) -> Finding:
        """Build a finding of this rule. ``key`` feeds the fingerprint: pass the offending
        line's text (or another content-derived string), never the line number."""
        return Finding(
            rule_id=self.rule.id,
            severity=self.rule.severity,
            message=message,
            location=Location(path, line, column),
            fingerprint=fingerprint(self.rule.id, path, key if key is not None else message),
            fix=fix,
            properties=properties or {},
        )


class PathCheck(Check):
    def check_path(self, entry: PathEntry, ctx: Context) -> Iterable[Finding]:
        raise NotImplementedError


class FileCheck(Check):
    #: globs (see :mod:`forgegate.globs`) of the files this check reads
    patterns: ClassVar[tuple[str, ...]] = ("*",)
    #: cheap pre-filter: when set, only files whose bytes contain one of these are checked
    needles: ClassVar[tuple[bytes, ...]] = ()

    def globs(self) -> tuple[str, ...]:
        """The globs the engine matches paths against (``patterns`` unless configured)."""
        return self.patterns

    def wants_data(self, data: bytes, found: AbstractSet[bytes] | None = None) -> bool:
        """Is ``data`` worth checking? ``found``: the needles the engine's one search over
        ``data`` found (it searches for every wanting check's needles at once); without it
        each of this check's needles is tested with ``in``."""
        if not self.needles:
            return True
        if found is None:
            return any(n in data for n in self.needles)
        return not found.isdisjoint(self.needles)

    def check_file(self, source: SourceFile, ctx: Context) -> Iterable[Finding]:
        raise NotImplementedError


class RepoCheck(Check):
    def check_repo(self, ctx: Context) -> Iterable[Finding]:
        raise NotImplementedError


class MetaCheck(Check):
    """A rule reported by the engine or the policy layer itself; never run as a check."""

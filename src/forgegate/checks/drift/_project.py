"""pyproject.toml as the drift rules read it: declared requirements and keys, with their lines.

tomllib keeps no positions, so lines are found by searching the text for the value below its
table header; a value written twice in one table reports at its first occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from forgegate.checks.base import Context
from forgegate.files import tracked_paths
from forgegate.tomlcompat import tomllib

_TOML_LINE = re.compile(r"at line (\d+)")


class Unreadable(Exception):
    """A file a drift rule must read and cannot: where, and why."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        super().__init__(f"{path}:{line or 1}: {message}")
        self.path = path
        self.line = line
        self.message = message


def repo_paths(ctx: Context) -> Sequence[str]:
    """Every path the rules may look at. Drift is between files, so a ``--changed-only`` run
    still compares the changed files with the rest of the tracked tree."""
    return tracked_paths(ctx.root) if ctx.changed_only else ctx.paths


def read_text(root: Path, rel: str) -> str | None:
    try:
        return (root / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def parent(rel: str) -> str:
    """The directory of a repository path, ``""`` for the root."""
    folder = PurePosixPath(rel).parent.as_posix()
    return "" if folder == "." else folder


def sibling(rel: str, name: str) -> str:
    folder = parent(rel)
    return f"{folder}/{name}" if folder else name


def repo_relative(base: Path, filename: str, fallback: str) -> str:
    """A path a parser reported (absolute, or relative to the working directory) as a
    repository path under ``base``; ``fallback`` when it lies outside."""
    try:
        return Path(filename).resolve().relative_to(base).as_posix()
    except (ValueError, OSError):
        return fallback


def line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, max(offset, 0)) + 1


def load_toml(root: Path, rel: str) -> tuple[str, dict[str, Any]]:
    """Text and document of a TOML file; :class:`Unreadable` names the line when it is broken."""
    text = read_text(root, rel)
    if text is None:
        raise Unreadable(rel, None, "cannot be read as UTF-8 text")
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = _TOML_LINE.search(str(err))
        line = int(found.group(1)) if found else None
        raise Unreadable(rel, line, f"not valid TOML: {err}") from None


@dataclass(frozen=True)
class Stated:
    """A version (of Python, of the project) written somewhere in the repository."""

    where: str
    version: str
    path: str
    line: int
    column: int | None = None
    #: a single version (not one of a list) that should equal the reference
    single: bool = False


@dataclass(frozen=True)
class Declared:
    """One requirement string from pyproject.toml."""

    requirement: Requirement
    text: str
    #: ``dependencies``, ``optional-dependencies.<extra>``, ``dependency-groups.<group>`` or
    #: ``tool.uv.dev-dependencies``
    group: str
    line: int

    @property
    def name(self) -> str:
        return canonicalize_name(self.requirement.name)


@dataclass
class Project:
    path: str
    text: str
    data: dict[str, Any]
    #: requirement strings that do not parse, as (line, message)
    invalid: list[tuple[int, str]] = field(default_factory=list)

    @property
    def table(self) -> dict[str, Any]:
        project = self.data.get("project")
        return project if isinstance(project, dict) else {}

    @property
    def name(self) -> str | None:
        name = self.table.get("name")
        return canonicalize_name(name) if isinstance(name, str) else None

    def key_offset(self, table: str, key: str) -> int:
        """Offset of ``key =`` below ``[table]`` (or anywhere, failing that)."""
        header = re.search(rf"^\[\s*{re.escape(table)}\s*\][ \t]*(?:#.*)?$", self.text, re.M)
        start = header.end() if header else 0
        pattern = rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*="
        found = re.compile(pattern, re.M).search(self.text, start)
        found = found or re.compile(pattern, re.M).search(self.text)
        return found.start() if found else 0

    def line_of(self, value: str, table: str, key: str) -> int:
        """Line of a string value (quoted either way) written under ``table.key``."""
        start = self.key_offset(table, key)
        for quoted in (f'"{value}"', f"'{value}'", value):
            offset = self.text.find(quoted, start)
            if offset == -1:
                offset = self.text.find(quoted)
            if offset != -1:
                return line_at(self.text, offset)
        return line_at(self.text, start)

    def key_line(self, table: str, key: str) -> int:
        return line_at(self.text, self.key_offset(table, key))

    @property
    def requires_python(self) -> tuple[SpecifierSet, int] | None:
        spec = self.table.get("requires-python")
        if not isinstance(spec, str):
            return None
        try:
            return SpecifierSet(spec), self.key_line("project", "requires-python")
        except InvalidSpecifier:
            return None

    @property
    def static_version(self) -> tuple[str, int] | None:
        """``[project] version`` and its line; ``None`` when absent or declared dynamic."""
        dynamic = self.table.get("dynamic") or []
        version = self.table.get("version")
        if "version" in dynamic or not isinstance(version, str):
            return None
        return version, self.key_line("project", "version")

    def declared(self) -> list[Declared]:
        """Every requirement of the project, its extras and dependency groups (the project's
        own name, as in ``demo[test]`` inside ``demo``'s extras, left out)."""
        groups: list[tuple[str, str, str, object]] = [
            ("dependencies", "project", "dependencies", self.table.get("dependencies")),
        ]
        for extra, reqs in _mapping(self.table.get("optional-dependencies")).items():
            groups.append(
                (f"optional-dependencies.{extra}", "project.optional-dependencies", extra, reqs)
            )
        for group, reqs in _mapping(self.data.get("dependency-groups")).items():
            groups.append((f"dependency-groups.{group}", "dependency-groups", group, reqs))
        uv_dev = _mapping(_mapping(self.data.get("tool")).get("uv")).get("dev-dependencies")
        groups.append(("tool.uv.dev-dependencies", "tool.uv", "dev-dependencies", uv_dev))
        result: list[Declared] = []
        self.invalid = []
        for group, table, key, reqs in groups:
            for text in reqs if isinstance(reqs, list) else []:
                if not isinstance(text, str):
                    continue  # {include-group = "..."} tables
                line = self.line_of(text, table, key)
                try:
                    req = Requirement(text)
                except InvalidRequirement as err:
                    self.invalid.append((line, f"{text!r} in {group} is not a requirement: {err}"))
                    continue
                if canonicalize_name(req.name) != self.name:
                    result.append(Declared(req, text, group, line))
        return result


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def load_project(root: Path, rel: str) -> Project:
    text, data = load_toml(root, rel)
    return Project(rel, text, data)


def projects(ctx: Context, paths: Sequence[str] | None = None) -> list[Project | Unreadable]:
    """Every tracked ``pyproject.toml`` (the root's first), or why it cannot be read."""
    found: list[Project | Unreadable] = []
    names = [p for p in (paths if paths is not None else repo_paths(ctx)) if _is_pyproject(p)]
    for rel in sorted(names, key=lambda p: (p.count("/"), p)):
        try:
            found.append(load_project(ctx.root, rel))
        except Unreadable as err:
            found.append(err)
    return found


def _is_pyproject(rel: str) -> bool:
    return rel == "pyproject.toml" or rel.endswith("/pyproject.toml")

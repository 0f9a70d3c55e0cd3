"""Lock files as the drift rules read them: every pinned version with its marker and line.

uv.lock, poetry.lock and pylock.toml are read through the SBOM sources
(:func:`~forgegate.supplychain.sbom.sources.lock_entries`); requirements files through
pip-requirements-parser (:func:`~forgegate.supplychain.sbom.sources.parse_requirements`). A
requirements file is a lock only when every named requirement in it is pinned with ``==``.

Markers decide where they can: a pin and a requirement conflict only if both markers hold in one
of a few sample environments (CPython 3.8-3.14 allowed by requires-python, on Linux, macOS and
Windows).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.markers import InvalidMarker, Marker, UndefinedEnvironmentName
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from forgegate.checks.drift._project import Unreadable, load_toml, parent, repo_relative
from forgegate.errors import GateError, UsageError
from forgegate.globs import compile_globs
from forgegate.supplychain.sbom.sources import is_lock_name, lock_entries, parse_requirements

Kind = Literal["uv", "poetry", "pylock", "requirements"]
#: requirements files looked at, relative to a project's directory
REQUIREMENTS_GLOBS = ("requirements*.txt", "requirements/*.txt", "*requirements.txt")
_NAME = re.compile(r"""^name\s*=\s*["']([^"']+)["']""")
_VERSION = re.compile(r"""^version\s*=\s*["']([^"']+)["']""")
_PLATFORMS = (
    ("linux", "Linux", "posix", "x86_64"),
    ("darwin", "Darwin", "posix", "arm64"),
    ("win32", "Windows", "nt", "AMD64"),
)


@dataclass(frozen=True)
class Pin:
    """One exact version in a lock or requirements file."""

    name: str  # canonical
    version: str
    marker: Marker | None
    path: str
    line: int


@dataclass
class Lock:
    path: str
    kind: Kind
    pins: dict[str, list[Pin]] = field(default_factory=dict)
    #: for pylock.toml: the extras and dependency groups it was locked with
    extras: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()

    def covers(self, group: str) -> bool:
        """Whether every requirement of ``group`` must appear in this lock. A requirements file
        may lock any subset, so only the versions it pins are judged."""
        if self.kind == "uv":
            return True
        if self.kind == "poetry":
            return group == "dependencies" or group.startswith("optional-dependencies.")
        if self.kind == "pylock":
            kind, _, name = group.partition(".")
            return (
                group == "dependencies"
                or (kind == "optional-dependencies" and name in self.extras)
                or (kind == "dependency-groups" and name in self.groups)
            )
        return False

    @property
    def relock(self) -> str:
        return {
            "uv": "uv lock",
            "poetry": "poetry lock",
            "pylock": "uv export --format pylock.toml",
            "requirements": "pip-compile (or uv pip compile) with the same options",
        }[self.kind]


_REQUIREMENTS = compile_globs([f"/{g}" for g in REQUIREMENTS_GLOBS])


def is_requirements(rel: str, directory: str = "") -> bool:
    """A requirements file directly in ``directory`` or its ``requirements/`` folder."""
    prefix = f"{directory}/" if directory else ""
    return rel.startswith(prefix) and _REQUIREMENTS(rel[len(prefix) :])


def lock_paths(paths: Iterable[str], project: str) -> list[str]:
    """Lock files and requirements files beside ``project`` (a pyproject.toml path)."""
    directory = parent(project)
    locks = []
    for rel in paths:
        beside = parent(rel) == directory and is_lock_name(rel.rsplit("/", 1)[-1])
        if beside or is_requirements(rel, directory):
            locks.append(rel)
    return sorted(locks, key=lambda p: (not is_lock_name(p.rsplit("/", 1)[-1]), p))


def _marker(value: object) -> Marker | None:
    if isinstance(value, list):
        value = " or ".join(f"({m})" for m in value if isinstance(m, str)) or None
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return Marker(value)
    except InvalidMarker:
        return None


def _name_lines(text: str) -> dict[tuple[str, str], int]:
    """(canonical name, version) -> line of ``name =`` in a TOML lock's package tables."""
    lines: dict[tuple[str, str], int] = {}
    name: tuple[str, int] | None = None
    for number, line in enumerate(text.splitlines(), 1):
        found = _NAME.match(line)
        if found:
            name = (canonicalize_name(found.group(1)), number)
            continue
        found = _VERSION.match(line)
        if found and name is not None:
            lines.setdefault((name[0], found.group(1)), name[1])
            name = None
        elif line.startswith("["):
            name = None
    return lines


def read_lock(root: Path, rel: str) -> Lock:
    """A uv.lock, poetry.lock or pylock.toml; :class:`Unreadable` when broken."""
    text, doc = load_toml(root, rel)
    name = rel.rsplit("/", 1)[-1]
    kind: Kind = "uv" if name == "uv.lock" else "poetry" if name == "poetry.lock" else "pylock"
    try:
        entries = lock_entries(root / rel, doc)
    except (GateError, UsageError) as err:
        raise Unreadable(rel, None, str(err)) from None
    lines = _name_lines(text)
    lock = Lock(
        rel,
        kind,
        extras=frozenset(_strings(doc.get("extras"))),
        groups=frozenset(_strings(doc.get("dependency-groups"))),
    )
    for entry in entries:
        canonical = canonicalize_name(str(entry["name"]))
        version = str(entry["version"])
        marker = _marker(
            entry.get("resolution-markers") or entry.get("markers") or entry.get("marker")
        )
        line = lines.get((canonical, version), 1)
        lock.pins.setdefault(canonical, []).append(Pin(canonical, version, marker, rel, line))
    return lock


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def requirement_pins(root: Path, rel: str) -> tuple[list[Pin], bool]:
    """The ``==`` pins of a requirements file and its ``-r`` includes, and whether every named
    requirement is pinned (editable, path and URL lines aside). :class:`Unreadable` when the
    parser refuses a line."""
    try:
        parsed: Any = parse_requirements(root / rel)
    except (GateError, UsageError) as err:
        raise Unreadable(rel, None, str(err)) from None
    pins: list[Pin] = []
    complete = True
    base = root.resolve()
    for req in parsed.requirements:
        if not req.name or req.is_editable or req.is_url or req.is_local_path:
            continue
        version = req.get_pinned_version
        if not version:
            complete = False
            continue
        pins.append(
            Pin(
                canonicalize_name(req.name),
                str(version),
                req.marker,
                repo_relative(base, req.filename, rel),
                int(req.line_number or 1),
            )
        )
    return pins, complete


def read_requirements_lock(root: Path, rel: str) -> Lock | None:
    """A fully pinned requirements file as a lock; ``None`` when some requirement is not
    pinned (then it is an input to a resolver, not a lock)."""
    pins, complete = requirement_pins(root, rel)
    if not complete or not pins:
        return None
    lock = Lock(rel, "requirements")
    for pin in pins:
        lock.pins.setdefault(pin.name, []).append(pin)
    return lock


def read_any(root: Path, rel: str) -> Lock | None:
    if is_lock_name(rel.rsplit("/", 1)[-1]):
        return read_lock(root, rel)
    return read_requirements_lock(root, rel)


def environments(requires_python: SpecifierSet | None) -> list[dict[str, str]]:
    """Sample marker environments: each CPython minor from 3.8 to 3.14 that ``requires_python``
    allows, on three platforms (all of them when it allows none)."""
    minors = [
        minor
        for minor in range(8, 15)
        if requires_python is None
        or any(requires_python.contains(f"3.{minor}.{p}", prereleases=True) for p in (0, 99))
    ] or list(range(8, 15))
    return [
        {
            "python_version": f"3.{minor}",
            "python_full_version": f"3.{minor}.0",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "implementation_version": f"3.{minor}.0",
            "sys_platform": sys_platform,
            "platform_system": system,
            "os_name": os_name,
            "platform_machine": machine,
            "platform_release": "",
            "platform_version": "",
            "extra": "",
        }
        for minor in minors
        for sys_platform, system, os_name, machine in _PLATFORMS
    ]


def holds(marker: Marker | None, env: dict[str, str]) -> bool:
    """Whether ``marker`` holds in ``env``; a marker that cannot be evaluated holds."""
    if marker is None:
        return True
    try:
        return marker.evaluate(env)
    except (UndefinedEnvironmentName, ValueError, TypeError):
        return True


def overlap(a: Marker | None, b: Marker | None, envs: Sequence[dict[str, str]]) -> bool:
    return any(holds(a, env) and holds(b, env) for env in envs)

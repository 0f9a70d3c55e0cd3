"""Where the dependency list comes from: an installed environment or a requirements/lock file.

Each source yields :class:`Package` records; the graph (``requires``) is filled where the source
knows it (environments through ``Requires-Dist``, uv and poetry locks), and hashes where the
source pins them (requirements ``--hash``, lock files).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from forgegate.errors import GateError, UsageError
from forgegate.tomlcompat import tomllib

if TYPE_CHECKING:
    from importlib import metadata as importlib_metadata


@dataclass
class Package:
    name: str  # canonical (PEP 503)
    version: str
    hashes: list[tuple[str, str]] = field(default_factory=list)  # (algorithm, hex)
    licenses: list[str] = field(default_factory=list)
    requires: list[str] = field(default_factory=list)  # canonical names
    #: the name as published (metadata or lock), for display and the purl
    display: str = ""
    #: installed from a local directory (editable or not): not a PyPI package, so no purl
    local: bool = False

    @property
    def purl_name(self) -> str:
        """The purl spec's PyPI name: lower case, ``_`` as ``-`` (dots stay, unlike PEP 503)."""
        return (self.display or self.name).lower().replace("_", "-")

    @property
    def purl(self) -> str:
        return f"pkg:pypi/{self.purl_name}@{self.version}"


def _site_packages(path: Path) -> list[str]:
    """A venv, a prefix or a site-packages directory -> the directories to read metadata from."""
    if any(path.glob("*.dist-info")):
        return [str(path)]
    found = sorted(str(p) for p in path.glob("lib/python3*/site-packages"))
    found += sorted(str(p) for p in path.glob("Lib/site-packages"))
    if not found:
        raise UsageError(f"{path}: no site-packages with installed distributions found")
    return found


def _is_local(dist: importlib_metadata.Distribution) -> bool:
    """PEP 610: installed from a directory (``dir_info``) rather than from an index."""
    text = dist.read_text("direct_url.json")
    if not text:
        return False
    try:
        return "dir_info" in json.loads(text)
    except json.JSONDecodeError:
        return False


def from_environment(path: Path | None = None) -> list[Package]:
    """Every distribution installed in ``path`` (a venv or site-packages), or in this Python."""
    # imported here: the drift rules import this module at every `forgegate check`
    from importlib import metadata as importlib_metadata

    from forgegate.supplychain.sbom.licenses import licenses_of

    search = _site_packages(path) if path is not None else None
    dists = (
        importlib_metadata.distributions(path=search)
        if search
        else (importlib_metadata.distributions())
    )
    packages: dict[str, Package] = {}
    for dist in dists:
        meta: Any = dist.metadata  # an email.message.Message underneath
        name = meta.get("Name")
        version = meta.get("Version")
        if not name or not version:
            continue
        canonical = canonicalize_name(name)
        if canonical in packages:
            continue  # the first on the path wins, as at import time
        requires = []
        for line in meta.get_all("Requires-Dist") or []:  # dist.requires re-parses
            try:
                req = Requirement(line)
            except InvalidRequirement:
                continue
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            requires.append(canonicalize_name(req.name))
        packages[canonical] = Package(
            canonical,
            version,
            licenses=licenses_of(meta),
            requires=sorted(set(requires)),
            display=name,
            local=_is_local(dist),
        )
    known = set(packages)
    for package in packages.values():
        package.requires = [r for r in package.requires if r in known]
    return sorted(packages.values(), key=lambda p: p.name)


def parse_requirements(path: Path) -> Any:
    """A requirements file with its ``-r``/``-c`` includes, as pip-requirements-parser reads it
    (each requirement knows its file, line, marker, specifier and ``--hash`` options)."""
    from pip_requirements_parser import RequirementsFile  # type: ignore[import-untyped]

    if not path.is_file():
        raise UsageError(f"{path}: no such requirements file")
    try:
        parsed = RequirementsFile.from_file(str(path), include_nested=True)
    except Exception as err:  # the parser raises plain exceptions for missing includes
        raise GateError(f"{path}: cannot read: {err}") from None
    if parsed.invalid_lines:
        bad = parsed.invalid_lines[0]
        raise GateError(f"{bad.filename}:{bad.line_number}: cannot parse {bad.line!r}")
    return parsed


def from_requirements(path: Path) -> list[Package]:
    """Pinned requirements (``==``), with ``-r``/``-c`` includes and ``--hash`` options."""
    parsed = parse_requirements(path)
    packages: dict[str, Package] = {}
    for req in parsed.requirements:
        if req.is_constraint or not req.name:
            continue
        version = req.get_pinned_version
        if not version:
            raise GateError(
                f"{req.filename}:{req.line_number}: {req.line.strip()!r} is not pinned with ==; "
                "exact versions are needed (compile a lock with pip-compile or uv)"
            )
        hashes = []
        for option in req.hash_options:
            algorithm, _, value = option.partition(":")
            hashes.append((algorithm, value))
        packages[canonicalize_name(req.name)] = Package(
            canonicalize_name(req.name), str(version), hashes=sorted(hashes), display=req.name
        )
    return sorted(packages.values(), key=lambda p: p.name)


def _lock_hashes(entry: dict[str, Any]) -> list[tuple[str, str]]:
    hashes: set[tuple[str, str]] = set()
    sdist = entry.get("sdist")
    artefacts: list[dict[str, Any]] = [sdist] if isinstance(sdist, dict) else []
    artefacts += [w for w in entry.get("wheels", []) if isinstance(w, dict)]
    artefacts += [f for f in entry.get("files", []) if isinstance(f, dict)]  # poetry
    for artefact in artefacts:
        value = artefact.get("hash") or ""
        if isinstance(value, str) and ":" in value:
            algorithm, _, digest = value.partition(":")
            hashes.add((algorithm, digest))
        for algorithm, digest in (artefact.get("hashes") or {}).items():  # pylock
            hashes.add((algorithm, digest))
    return sorted(hashes)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except OSError as err:
        raise UsageError(f"{path}: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise GateError(f"{path}: not valid TOML: {err}") from None


def is_lock_name(name: str) -> bool:
    """uv.lock, poetry.lock, pylock.toml or pylock.<name>.toml (PEP 751)."""
    return name in ("uv.lock", "poetry.lock") or (
        name.startswith("pylock.") and name.endswith(".toml")
    )


def lock_entries(path: Path, doc: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The package tables of a lock file (``doc``, when already parsed) that have a name and a
    version, the project itself (uv's editable or virtual root) left out. Every version of a
    package is kept."""
    if not is_lock_name(path.name):
        raise UsageError(
            f"{path}: not a lock file forgegate reads (uv.lock, poetry.lock, pylock.toml)"
        )
    doc = _read_toml(path) if doc is None else doc
    entries = doc.get("packages" if path.name.startswith("pylock.") else "package", [])
    kept = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or "name" not in entry or "version" not in entry:
            continue
        source = entry.get("source") or {}
        if isinstance(source, dict) and (source.get("editable") or source.get("virtual")):
            continue  # the project itself (uv), not a dependency
        kept.append(entry)
    return kept


def from_lock(path: Path) -> list[Package]:
    """uv.lock, poetry.lock or pylock.toml (PEP 751), by file name."""
    packages: dict[str, Package] = {}
    for entry in lock_entries(path):
        requires: list[str] = []
        deps = entry.get("dependencies", [])
        if isinstance(deps, list):  # uv: [{name = ..}]
            requires = [
                canonicalize_name(d["name"]) for d in deps if isinstance(d, dict) and "name" in d
            ]
        elif isinstance(deps, dict):  # poetry: {name = spec}
            requires = [canonicalize_name(d) for d in deps if d.lower() != "python"]
        canonical = canonicalize_name(entry["name"])
        packages[canonical] = Package(
            canonical,
            str(entry["version"]),
            hashes=_lock_hashes(entry),
            requires=sorted(set(requires)),
        )
    known = set(packages)
    for package in packages.values():
        package.requires = [r for r in package.requires if r in known]
    return sorted(packages.values(), key=lambda p: p.name)

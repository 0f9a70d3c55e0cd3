"""drift/sbom-stale: a committed CycloneDX SBOM whose PyPI components no longer match the lock.

The lock is read with the same sources ``forgegate sbom`` uses, so "stale" means: regenerating
the SBOM from today's lock would change its components.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from packageurl import PackageURL
from packaging.utils import canonicalize_name

from forgegate.checks.base import Context, FileCheck, SourceFile
from forgegate.checks.drift._project import parent
from forgegate.errors import GateError, UsageError
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register
from forgegate.supplychain.sbom.sources import Package, from_lock, from_requirements

#: the lock files an SBOM is compared with, first found wins (its directory, then the root)
LOCKS = ("uv.lock", "poetry.lock", "pylock.toml", "requirements.txt")


def find_lock(root: Path, sbom: str) -> str | None:
    for folder in dict.fromkeys((parent(sbom), "")):
        for name in LOCKS:
            rel = f"{folder}/{name}" if folder else name
            if (root / rel).is_file():
                return rel
    return None


def read_packages(root: Path, rel: str) -> list[Package]:
    path = root / rel
    return from_requirements(path) if rel.endswith(".txt") else from_lock(path)


def pypi_components(doc: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(canonical name, version, purl) of every PyPI component, nested ones included; the
    SBOM's own subject (``metadata.component``) left out."""
    subject = (doc.get("metadata") or {}).get("component") or {}
    own = canonicalize_name(str(subject.get("name", ""))) if isinstance(subject, dict) else ""
    stack = list(doc.get("components") or [])
    while stack:
        component = stack.pop(0)
        if not isinstance(component, dict):
            continue
        stack.extend(component.get("components") or [])
        purl = component.get("purl")
        if not isinstance(purl, str) or not purl.startswith("pkg:pypi/"):
            continue
        try:
            parsed = PackageURL.from_string(purl)
        except ValueError:
            continue
        name = canonicalize_name(parsed.name)
        if parsed.version and name != own:
            yield name, parsed.version, purl


@register
class SbomStale(FileCheck):
    rule = Rule(
        id="drift/sbom-stale",
        title="Committed SBOM does not match the lock",
        severity=Severity.WARNING,
        summary="A committed CycloneDX SBOM lists PyPI components (name and version) that the "
        "lock file beside it no longer pins, or misses packages it does.",
    )
    patterns = ("*.cdx.json", "bom.json", "sbom.json", "*.sbom.json", "*.bom.json")
    needles = (b"CycloneDX",)

    def check_file(self, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        try:
            doc = json.loads(source.text)
        except json.JSONDecodeError as err:
            yield self.finding(
                f"not valid JSON, so the SBOM cannot be compared with the lock: {err.msg}",
                source.path,
                err.lineno,
                err.colno,
                key="invalid-json",
            )
            return
        if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
            return
        lock = find_lock(ctx.root, source.path)
        if lock is None:
            return
        fix = f"forgegate sbom --lock {lock} --output {source.path}"
        try:
            locked = {p.name: p for p in read_packages(ctx.root, lock) if not p.local}
        except (GateError, UsageError) as err:
            yield self.finding(
                f"cannot compare with {lock}: {err}", source.path, 1, key=f"unreadable\0{lock}"
            )
            return
        listed: dict[str, tuple[str, str]] = {}
        for name, version, purl in pypi_components(doc):
            listed.setdefault(name, (version, purl))
            package = locked.get(name)
            if package is not None and package.version == version:
                continue
            offset = source.text.find(purl)
            line = source.line_at(offset) if offset != -1 else 1
            why = (
                f"{lock} now pins {package.version}"
                if package is not None
                else f"{lock} no longer has it"
            )
            yield self.finding(
                f"the SBOM lists {name} {version}, but {why}; regenerate it: {fix}",
                source.path,
                line,
                key=f"{purl}\0{package.version if package else ''}",
                fix=fix,
            )
        missing = sorted(set(locked) - set(listed))
        if missing:
            offset = source.text.find('"components"')
            shown = ", ".join(f"{n} {locked[n].version}" for n in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            yield self.finding(
                f"{lock} pins packages the SBOM does not list ({shown}{more}); "
                f"regenerate it: {fix}",
                source.path,
                source.line_at(offset) if offset != -1 else 1,
                key=f"missing\0{' '.join(missing)}",
                fix=fix,
            )

"""drift/lock-stale: the lock file no longer satisfies the declared dependencies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from forgegate.checks.base import Context, RepoCheck
from forgegate.checks.drift._project import pyproject, read_text
from forgegate.errors import ForgegateError
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

if TYPE_CHECKING:
    from packaging.requirements import Requirement

LOCKS = ("uv.lock", "poetry.lock", "pylock.toml")


def declared(project: dict[str, Any], doc: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, requirement text) of every declared dependency: ``[project] dependencies``,
    optional dependencies and PEP 735 dependency groups (``include-group`` entries skipped)."""
    for text in project.get("dependencies") or []:
        yield "dependencies", str(text)
    for extra, items in (project.get("optional-dependencies") or {}).items():
        for text in items or []:
            yield f"optional-dependencies.{extra}", str(text)
    for group, items in (doc.get("dependency-groups") or {}).items():
        for item in items or []:
            if isinstance(item, str):
                yield f"dependency-groups.{group}", item


@register
class LockStale(RepoCheck):
    rule = Rule(
        id="drift/lock-stale",
        title="Lock file does not satisfy the declared dependencies",
        severity=Severity.ERROR,
        summary="A dependency declared in pyproject.toml is missing from the lock file, or the "
        "version locked for it is outside the declared specifier: the lock is stale.",
    )

    def check_repo(self, ctx: Context) -> Iterable[Finding]:
        # imported here: `forgegate check` loads every rule, most runs never need these
        from packaging.requirements import InvalidRequirement, Requirement
        from packaging.utils import canonicalize_name

        from forgegate.supplychain.sbom.sources import lock_versions

        lock = next((name for name in LOCKS if name in ctx.paths), None)
        doc = pyproject(ctx.root)
        if lock is None or doc is None:
            return
        try:
            locked = lock_versions(ctx.root / lock)
        except ForgegateError as err:
            # a lock the gate cannot read must not pass: say so on the lock itself
            yield self.finding(f"{lock} cannot be read: {err}", lock, 1, key=f"unreadable\0{lock}")
            return
        project = doc.get("project") or {}
        own = canonicalize_name(str(project.get("name", "")))
        text = read_text(ctx.root, "pyproject.toml") or ""
        for where, spec in declared(project, doc):
            try:
                req = Requirement(spec)
            except InvalidRequirement:
                continue  # the build backend reports an invalid requirement
            name = canonicalize_name(req.name)
            if name == own or req.url:
                continue  # the project itself (an extra of its own), or a direct URL
            line = _line(text, spec)
            versions = locked.get(name)
            if not versions:
                if req.marker is not None:
                    continue  # only for other environments, which a lock may leave out
                yield self.finding(
                    f"{req.name} ({where}) is not in {lock}; re-lock (uv lock, poetry lock)",
                    "pyproject.toml",
                    line,
                    key=f"missing\0{name}\0{lock}",
                )
                continue
            if not req.specifier:
                continue
            fitting = [v for v in versions if _satisfies(req, v)]
            if not fitting:
                shown = ", ".join(sorted(versions))
                yield self.finding(
                    f"{req.name}{req.specifier} ({where}) but {lock} pins {shown}; re-lock",
                    "pyproject.toml",
                    line,
                    key=f"outside\0{name}\0{req.specifier}\0{shown}",
                )


def _satisfies(req: Requirement, version: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return req.specifier.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False


def _line(text: str, spec: str) -> int | None:
    match = re.search(r"[\"']" + re.escape(spec) + r"[\"']", text)
    return text.count("\n", 0, match.start()) + 1 if match else None

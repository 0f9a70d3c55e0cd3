"""drift/version-string: [project] version, __version__, the newest CHANGELOG heading and the
release tag disagree."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence

from packaging.version import InvalidVersion, Version

from forgegate.checks.base import Context, RepoCheck
from forgegate.checks.drift._project import (
    Project,
    Stated,
    Unreadable,
    line_at,
    load_project,
    read_text,
    repo_paths,
)
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

CHANGELOGS = ("CHANGELOG.md", "CHANGES.md", "HISTORY.md", "NEWS.md", "CHANGELOG", "CHANGES")
_DUNDER = re.compile(r"""^__version__\s*(?::\s*\w+\s*)?=\s*["']([^"']+)["']""", re.M)
_HEADING = re.compile(r"^#{1,6}[ \t]+\[?v?(\d+(?:\.\d+)+[0-9A-Za-z.+-]*?)\]?(?=[ \t]|$)", re.M)
_TAG = re.compile(r"^refs/tags/(.+)$")


def same(a: str, b: str) -> bool:
    """Equal as PEP 440 versions (``1.2`` is ``1.2.0``), or as text when one is not one."""
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a.strip() == b.strip()


def module_files(name: str) -> list[str]:
    """Where a project's ``__version__`` lives, in the src and flat layouts."""
    package = name.replace("-", "_").replace(".", "_").lower()
    files = []
    for base in (f"src/{package}", package):
        files += [f"{base}/{leaf}" for leaf in ("__init__.py", "__about__.py", "_version.py")]
        files += [f"{base}/version.py", f"{base}.py"]
    return files


def dunder_version(ctx: Context, paths: Sequence[str], name: str) -> Stated | None:
    present = set(paths)
    for rel in module_files(name):
        text = read_text(ctx.root, rel) if rel in present else None
        found = _DUNDER.search(text or "")
        if text is not None and found:
            return Stated("__version__", found.group(1), rel, line_at(text, found.start()))
    return None


def changelog_version(ctx: Context, paths: Sequence[str]) -> Stated | None:
    """The newest version heading (``## [1.2.3]``, ``## 1.2.3``, ``# v1.2.3``); "Unreleased"
    and other headings are passed over."""
    for rel in CHANGELOGS:
        text = read_text(ctx.root, rel) if rel in paths else None
        found = _HEADING.search(text or "")
        if text is not None and found:
            where = line_at(text, found.start())
            return Stated(f"newest {rel} heading", found.group(1), rel, where)
    return None


def tag_version() -> str | None:
    """The tag of a tag build (``GITHUB_REF=refs/tags/v1.2.3`` -> ``1.2.3``)."""
    found = _TAG.match(os.environ.get("GITHUB_REF", ""))
    if not found:
        return None
    tag = found.group(1).removeprefix("v")
    try:
        Version(tag)
    except InvalidVersion:
        return None  # not a version tag: nothing to compare
    return tag


@register
class VersionString(RepoCheck):
    rule = Rule(
        id="drift/version-string",
        title="Version strings disagree",
        severity=Severity.ERROR,
        summary="pyproject.toml's [project] version, the package's __version__, the newest "
        "CHANGELOG heading and (on a tag build) the tag name do not all say the same version.",
    )

    def check_repo(self, ctx: Context) -> Iterator[Finding]:
        paths = repo_paths(ctx)
        if "pyproject.toml" not in paths:
            return
        try:
            project = load_project(ctx.root, "pyproject.toml")
        except Unreadable:
            return  # drift/lock-stale reports it
        if "version" in (project.table.get("dynamic") or []) or project.name is None:
            return  # setuptools-scm, hatch-vcs...: the version is not written down to compare
        yield from self._compare(ctx, paths, project)

    def _compare(self, ctx: Context, paths: Sequence[str], project: Project) -> Iterator[Finding]:
        dunder = dunder_version(ctx, paths, project.name or "")
        static = project.static_version
        reference = (
            Stated("[project] version", static[0], project.path, static[1]) if static else dunder
        )
        if reference is None:
            return
        stated = [s for s in (dunder, changelog_version(ctx, paths)) if s is not None]
        for item in stated:
            if item is not reference and not same(item.version, reference.version):
                yield self.finding(
                    f"{item.where} says {item.version}, but {reference.where} "
                    f"({reference.path}:{reference.line}) says {reference.version}",
                    item.path,
                    item.line,
                    key=f"{item.where}\0{item.version}\0{reference.version}",
                )
        tag = tag_version()
        if tag is not None and not same(tag, reference.version):
            yield self.finding(
                f"this build is for tag {os.environ.get('GITHUB_REF', '')!r}, but "
                f"{reference.where} says {reference.version}; bump the version or fix the tag",
                reference.path,
                reference.line,
                key=f"tag\0{tag}\0{reference.version}",
            )

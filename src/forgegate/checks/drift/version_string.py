"""drift/version-string: the project's version said differently in different places."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from packaging.version import InvalidVersion, Version

from forgegate.checks.base import Context, RepoCheck
from forgegate.checks.drift._project import line_of, pyproject, read_text
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

CHANGELOGS = ("CHANGELOG.md", "CHANGES.md", "HISTORY.md", "CHANGELOG.rst", "CHANGES.rst")
#: a heading that names a version: "## [1.2.3] - 2024-05-01", "## 1.2.3", "# v1.2.3 (date)"
_HEADING = re.compile(
    r"^(?:#{1,3}[ \t]+|)\[?v?(?P<version>\d+(?:\.\d+)+(?:[-.]?(?:a|b|rc|dev|post)\d*)*)\]?"
    r"(?:[ \t].*)?$",
    re.M | re.I,
)
_DUNDER = re.compile(r"^__version__\s*(?::\s*str\s*)?=\s*[\"']([^\"']+)[\"']", re.M)


def _same(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def newest_changelog_entry(text: str, rst: bool) -> tuple[str, int] | None:
    """The first version heading (the newest, by convention) and its line; "Unreleased" and
    other non-version headings are passed over."""
    for match in _HEADING.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if not rst and not match.group(0).startswith("#"):
            continue  # Markdown: only headings count, not a version in prose
        if rst:
            after = text[match.end() + 1 :].split("\n", 1)[0]
            if not re.fullmatch(r"[=\-~^*#]{3,}\s*", after):
                continue  # reStructuredText: a heading is underlined
        return match.group("version"), line
    return None


@register
class VersionString(RepoCheck):
    rule = Rule(
        id="drift/version-string",
        title="Version strings disagree",
        severity=Severity.ERROR,
        summary="[project] version, the package's __version__, the newest CHANGELOG heading and "
        "(on a tag build) the tag name do not name the same version.",
    )

    def check_repo(self, ctx: Context) -> Iterable[Finding]:
        from packaging.utils import canonicalize_name

        doc = pyproject(ctx.root)
        project = (doc or {}).get("project") or {}
        version = project.get("version")
        if not isinstance(version, str) or "version" in (project.get("dynamic") or []):
            return  # dynamic (setuptools-scm, hatch-vcs ...): nothing to compare, no guessing
        text = read_text(ctx.root, "pyproject.toml") or ""
        said = f"pyproject.toml says {version}"
        name = canonicalize_name(str(project.get("name", ""))).replace("-", "_")
        for rel in (f"src/{name}/__init__.py", f"{name}/__init__.py", f"src/{name}/_version.py"):
            module = read_text(ctx.root, rel)
            match = _DUNDER.search(module or "")
            if match and not _same(match.group(1), version):
                yield self.finding(
                    f"__version__ = {match.group(1)!r} but {said}",
                    rel,
                    module.count("\n", 0, match.start()) + 1 if module else None,
                    key=f"dunder\0{rel}\0{match.group(1)}\0{version}",
                )
        for rel in CHANGELOGS:
            changelog = read_text(ctx.root, rel)
            if changelog is None:
                continue
            entry = newest_changelog_entry(changelog, rel.endswith(".rst"))
            if entry and not _same(entry[0], version):
                yield self.finding(
                    f"the newest {rel} entry is {entry[0]} but {said}; add the entry for "
                    f"{version} (or bump the version)",
                    rel,
                    entry[1],
                    key=f"changelog\0{rel}\0{entry[0]}\0{version}",
                )
            break
        ref = os.environ.get("GITHUB_REF", "")
        if ref.startswith("refs/tags/"):
            tag = ref.removeprefix("refs/tags/")
            if not _same(tag.removeprefix("v"), version):
                yield self.finding(
                    f"building tag {tag} but {said}",
                    "pyproject.toml",
                    line_of(text, r"^version\s*="),
                    key=f"tag\0{tag}\0{version}",
                )

"""hygiene/missing-community-files: LICENSE, SECURITY.md, README and a code of conduct.

A file counts when it is tracked (``ctx.paths`` in a full run, ``git ls-files`` in a partial
run, where ``ctx.paths`` holds only the diff) and still exists on disk. An untracked LICENSE on
the author's machine is not in the repository, so it does not count.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Collection, Iterable
from typing import Any, ClassVar, NamedTuple

from forgegate.checks.base import Context, RepoCheck
from forgegate.files import tracked_in
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register


class Expected(NamedTuple):
    suggested: str
    #: directories it may live in ("" is the root)
    dirs: tuple[str, ...]
    #: accepted file names, lower case, without extension; a trailing "-" accepts any suffix
    stems: tuple[str, ...]
    severity: Severity
    why: str


EXPECTED: dict[str, Expected] = {
    "license": Expected(
        "LICENSE",
        ("",),
        ("license", "licence", "copying", "unlicense", "license-", "licence-", "copying-"),
        Severity.WARNING,
        "without a license nobody may legally use, change or redistribute the code",
    ),
    "readme": Expected(
        "README.md",
        ("", ".github", "docs"),
        ("readme",),
        Severity.WARNING,
        "without a README nobody can tell what the project is or how to use it",
    ),
    "security": Expected(
        "SECURITY.md",
        ("", ".github", "docs"),
        ("security",),
        Severity.WARNING,
        "reporters of vulnerabilities need to know where to send them privately",
    ),
    "code-of-conduct": Expected(
        "CODE_OF_CONDUCT.md",
        ("", ".github", "docs"),
        ("code_of_conduct", "code-of-conduct"),
        Severity.NOTE,
        "contributors look for the rules of the community",
    ),
}
_EXTENSIONS = (".md", ".txt", ".rst", ".adoc", ".markdown", ".org")


def _stem(name: str) -> str:
    lower = name.lower()
    for suffix in _EXTENSIONS:
        if lower.endswith(suffix):
            return lower[: -len(suffix)]
    return lower


def _matches(stem: str, stems: tuple[str, ...]) -> bool:
    return any(stem.startswith(s) if s.endswith("-") else stem == s for s in stems)


def _present(root: str, paths: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
    """Candidate files by directory: (stem, path) of tracked files in the root, .github/ and
    docs/ that exist on disk; a REUSE-style ``LICENSES/`` folder counts as a license."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in paths:
        directory, _, name = path.rpartition("/")
        if directory == "LICENSES":
            directory, name = "", "license"
        elif directory not in ("", ".github", "docs"):
            continue
        found.setdefault(directory, []).append((_stem(name), path))
    return {
        d: [(stem, p) for stem, p in items if os.path.lexists(os.path.join(root, p))]
        for d, items in found.items()
    }


def _missing(root: str, paths: Iterable[str], wanted: Collection[str]) -> list[str]:
    present = _present(root, paths)
    return [
        what
        for what in wanted
        if not any(
            _matches(stem, EXPECTED[what].stems)
            for d in EXPECTED[what].dirs
            for stem, _ in present.get(d, [])
        )
    ]


@register
class MissingCommunityFiles(RepoCheck):
    rule = Rule(
        id="hygiene/missing-community-files",
        title="Community health file missing",
        severity=Severity.WARNING,
        summary="LICENSE, README or SECURITY.md is missing (CODE_OF_CONDUCT.md as a note).",
    )
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "require": {
                "description": "Which files are expected: license, readme, security, "
                "code-of-conduct.",
                "type": "array",
                "items": {"enum": list(EXPECTED)},
                "uniqueItems": True,
                "default": list(EXPECTED),
            }
        },
    }

    def check_repo(self, ctx: Context) -> Iterable[Finding]:
        root = str(ctx.root)
        wanted = list(self.options.get("require", list(EXPECTED)))
        # ctx.paths is the diff in a partial run, and leaves out policy-excluded paths in a
        # full one: ask git for the whole tracked tree then, and only when something seems
        # missing in a full run (the common case costs nothing)
        missing = [] if ctx.changed_only else _missing(root, ctx.paths, wanted)
        if ctx.changed_only or missing:
            tracked = tracked_in(ctx.root, ["", ".github", "docs", "LICENSES"])
            missing = _missing(root, tracked, wanted)
        for what in missing:
            expected = EXPECTED[what]
            where = "at the root" if expected.dirs == ("",) else "at the root, .github/ or docs/"
            finding = self.finding(
                f"{expected.suggested} is missing: {expected.why}; add one {where}",
                expected.suggested,
                key=what,
                fix=f"add {expected.suggested} {where}",
            )
            yield dataclasses.replace(finding, severity=expected.severity)

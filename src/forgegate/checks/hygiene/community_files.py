"""hygiene/missing-community-files: LICENSE, SECURITY.md, README and a code of conduct."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, ClassVar

from forgegate.checks.base import Context, RepoCheck
from forgegate.files import tracked_paths
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

# name -> (directories it may live in, accepted file names in lower case, severity, why)
EXPECTED: dict[str, tuple[tuple[str, ...], tuple[str, ...], Severity, str]] = {
    "license": (
        ("",),
        ("license", "licence", "copying", "unlicense"),
        Severity.WARNING,
        "without a license nobody may legally use, change or redistribute the code",
    ),
    "readme": (
        ("", ".github", "docs"),
        ("readme",),
        Severity.WARNING,
        "a repository without a README does not say what it is or how to use it",
    ),
    "security": (
        ("", ".github", "docs"),
        ("security",),
        Severity.WARNING,
        "reporters of vulnerabilities need to know where to send them privately",
    ),
    "code-of-conduct": (
        ("", ".github", "docs"),
        ("code_of_conduct", "code-of-conduct"),
        Severity.NOTE,
        "contributors look for the rules of the community",
    ),
}
SUGGESTED = {
    "license": "LICENSE",
    "readme": "README.md",
    "security": "SECURITY.md",
    "code-of-conduct": "CODE_OF_CONDUCT.md",
}


def _stem(name: str) -> str:
    lower = name.lower()
    for suffix in (".md", ".txt", ".rst", ".adoc", ".markdown", ".org"):
        if lower.endswith(suffix):
            return lower[: -len(suffix)]
    return lower


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
        # in --changed-only mode ctx.paths holds only the diff: look at the whole tree
        paths = tracked_paths(ctx.root) if ctx.changed_only else ctx.paths
        present: set[tuple[str, str]] = set()
        for path in paths:
            directory, _, name = path.rpartition("/")
            if directory in ("", ".github", "docs"):
                present.add((directory, _stem(name)))
        for what in self.options.get("require", list(EXPECTED)):
            dirs, names, severity, why = EXPECTED[what]
            if any((d, n) in present for d in dirs for n in names):
                continue
            finding = self.finding(
                f"no {SUGGESTED[what]} (or equivalent) in the repository: {why}",
                SUGGESTED[what],
                key=what,
                fix=f"add {SUGGESTED[what]}",
            )
            yield dataclasses.replace(finding, severity=severity)

"""hygiene/broken-symlinks: symlinks to nothing, or to outside the repository."""

from __future__ import annotations

from collections.abc import Iterable

from forgegate.checks.base import Context, PathCheck, PathEntry
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register


@register
class BrokenSymlinks(PathCheck):
    rule = Rule(
        id="hygiene/broken-symlinks",
        title="Broken or escaping symlink",
        severity=Severity.ERROR,
        summary="A tracked symlink points at nothing, or outside the repository.",
    )

    def check_path(self, entry: PathEntry, ctx: Context) -> Iterable[Finding]:
        if entry.kind != "symlink":
            return
        target = entry.link_target or "?"
        if not entry.link_inside:
            why = "points outside the repository (it breaks in every other checkout)"
        elif not entry.link_exists:
            why = "points at nothing"
        else:
            return
        yield self.finding(
            f"symlink {entry.path} -> {target} {why}; fix the target or remove the link",
            entry.path,
            key=f"{entry.path}\0{target}",
            fix="point it at a path inside the repository that exists, or git rm it",
        )

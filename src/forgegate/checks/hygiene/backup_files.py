"""hygiene/backup-files: editor backups, merge leftovers and other stray copies."""

from __future__ import annotations

from collections.abc import Iterable

from forgegate.checks.base import Context, PathCheck, PathEntry
from forgegate.globs import compile_globs
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

PATTERNS = (
    "*.bak",
    "*.bak.*",
    "*.backup",
    "*.backup.*",
    "*.broken",
    "*.broken.*",
    "*.orig",
    "*.rej",
    "*~",
    "*.swp",
    "*.swo",
    ".*.swp",
)


@register
class BackupFiles(PathCheck):
    rule = Rule(
        id="hygiene/backup-files",
        title="Backup or stray file tracked",
        severity=Severity.WARNING,
        summary="Editor backups, `.orig`/`.rej` merge leftovers and swap files are tracked.",
    )
    _matches = staticmethod(compile_globs(PATTERNS))

    def check_path(self, entry: PathEntry, ctx: Context) -> Iterable[Finding]:
        if self._matches(entry.path):
            yield self.finding(
                f"{entry.path} looks like a backup or stray file; remove it from the repository",
                entry.path,
                key=entry.path,
                fix=f"git rm --cached {entry.path!r} and add the pattern to .gitignore",
            )

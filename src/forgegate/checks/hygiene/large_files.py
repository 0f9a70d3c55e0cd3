"""hygiene/large-files: tracked files over a size limit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from forgegate.checks.base import Context, PathCheck, PathEntry
from forgegate.globs import compile_globs
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register


def human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


@register
class LargeFiles(PathCheck):
    rule = Rule(
        id="hygiene/large-files",
        title="Large file tracked",
        severity=Severity.WARNING,
        summary="A tracked file is bigger than the limit (1 MiB by default).",
    )
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "max-bytes": {
                "description": "Files larger than this many bytes are reported.",
                "type": "integer",
                "minimum": 1,
                "default": 1048576,
            },
            "allow": {
                "description": "Path globs that may be large.",
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": [],
            },
        },
    }

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self._limit = int(self.options.get("max-bytes", 1048576))
        self._allowed = compile_globs(self.options.get("allow", []))

    def check_path(self, entry: PathEntry, ctx: Context) -> Iterable[Finding]:
        if entry.kind != "file" or entry.size <= self._limit or self._allowed(entry.path):
            return
        yield self.finding(
            f"{entry.path} is {human(entry.size)} (limit {human(self._limit)}); keep large "
            "binaries in Git LFS, release assets or a package registry",
            entry.path,
            key=entry.path,
            fix="git lfs track the file type, or move it out of the repository",
        )

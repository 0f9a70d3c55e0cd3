"""hygiene/root-clutter: databases, logs and dumps at the repository root."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from forgegate.checks.base import Context, PathCheck, PathEntry
from forgegate.globs import compile_globs
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

ROOT_PATTERNS = (
    "*.db",
    "*.sqlite",
    "*.sqlite3",
    "*.log",
    "*.tmp",
    "*.dump",
    "*.pid",
    "nohup.out",
    "core",
)
#: operating-system droppings, reported at any depth
ANYWHERE = (".DS_Store", "Thumbs.db", "desktop.ini")


@register
class RootClutter(PathCheck):
    rule = Rule(
        id="hygiene/root-clutter",
        title="Local database, log or OS file tracked",
        severity=Severity.WARNING,
        summary="Databases, logs, dumps and temp files at the root (and .DS_Store/Thumbs.db "
        "anywhere) are tracked.",
    )
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "allow": {
                "description": "Path globs that may stay (e.g. a fixture database).",
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": [],
            }
        },
    }
    _root_match = staticmethod(compile_globs(ROOT_PATTERNS))

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self._allowed = compile_globs(self.options.get("allow", []))

    def check_path(self, entry: PathEntry, ctx: Context) -> Iterable[Finding]:
        path = entry.path
        name = path.rpartition("/")[2]
        at_root = "/" not in path
        if not ((at_root and self._root_match(name)) or name in ANYWHERE):
            return
        if self._allowed(path):
            return
        yield self.finding(
            f"{path} is a local database, log, dump or OS file; remove it and ignore it",
            path,
            key=path,
            fix=f"git rm --cached {path!r} and add it to .gitignore",
        )

"""hygiene/build-output: tracked build output, caches and dependency directories."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from forgegate.checks.base import Context, RepoCheck
from forgegate.globs import compile_globs
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

#: directory names that hold generated files wherever they appear
DIRECTORIES = frozenset(
    {
        "node_modules",
        "__pycache__",
        ".venv",
        ".tox",
        ".nox",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".eggs",
    }
)
#: directory names that hold build output only at the top of a project (``docs/build`` too)
ROOT_DIRECTORIES = frozenset({"dist", "build"})
FILE_SUFFIXES = (".pyc", ".pyo")


def offending_prefix(path: str) -> str | None:
    """The directory (with a trailing ``/``) or file that makes ``path`` build output."""
    parts = path.split("/")
    for depth, part in enumerate(parts[:-1]):
        if part in DIRECTORIES or part.endswith(".egg-info"):
            return "/".join(parts[: depth + 1]) + "/"
        if part in ROOT_DIRECTORIES and depth <= 1:
            return "/".join(parts[: depth + 1]) + "/"
    if path.endswith(FILE_SUFFIXES):
        return path
    return None


@register
class BuildOutput(RepoCheck):
    rule = Rule(
        id="hygiene/build-output",
        title="Build output or dependency directory tracked",
        severity=Severity.WARNING,
        summary="Generated files (dist/, build/, *.egg-info/, __pycache__/, *.pyc, node_modules/, "
        ".venv/, .tox/) are committed.",
    )
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "allow": {
                "description": "Path globs that are deliberately tracked (e.g. docs/build/**).",
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": [],
            }
        },
    }

    def check_repo(self, ctx: Context) -> Iterable[Finding]:
        allowed = compile_globs(self.options.get("allow", []))
        found: dict[str, int] = {}
        for path in ctx.paths:
            prefix = offending_prefix(path)
            if prefix is not None and not allowed(path):
                found[prefix] = found.get(prefix, 0) + 1
        for prefix, count in sorted(found.items()):
            what = f"{count} tracked file(s) under {prefix}" if prefix.endswith("/") else prefix
            yield self.finding(
                f"{what}: build output or a dependency directory is tracked; remove it from git "
                "and add it to .gitignore",
                prefix.rstrip("/"),
                key=prefix,
                fix=f"git rm -r --cached {prefix!r} && echo {prefix!r} >> .gitignore",
            )

"""hygiene/build-output: tracked build output, caches and dependency directories."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
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
#: directory names that are build output at the root, or beside a project manifest deeper down
#: (``frontend/dist/`` next to ``frontend/package.json``), but may be source elsewhere
#: (``tools/build/release.sh``, a ``build`` subpackage)
OUTPUT_DIRECTORIES = frozenset({"dist", "build"})
#: files that make their directory a project whose ``dist/`` or ``build/`` is generated
MANIFESTS = (
    "package.json",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "CMakeLists.txt",
    "build.gradle",
    "build.gradle.kts",
    "Makefile",
    "conf.py",
)
FILE_SUFFIXES = (".pyc", ".pyo")

IsProject = Callable[[str], bool]


def offending_prefix(path: str, is_project: IsProject = lambda _dir: False) -> str | None:
    """The directory (with a trailing ``/``) or file that makes ``path`` build output.

    ``is_project(dir)`` says whether ``dir`` (``""`` for the root) holds a project manifest;
    it is asked only about parents of ``dist``/``build`` directories below the root.
    """
    parts = path.split("/")
    for depth, part in enumerate(parts[:-1]):
        if part in DIRECTORIES or part.endswith(".egg-info"):
            return "/".join(parts[: depth + 1]) + "/"
        if part in OUTPUT_DIRECTORIES and (depth == 0 or is_project("/".join(parts[:depth]))):
            return "/".join(parts[: depth + 1]) + "/"
    if path.endswith(FILE_SUFFIXES):
        return path
    return None


def project_finder(root: Path, paths: Iterable[str], changed_only: bool) -> IsProject:
    """``is_project`` for :func:`offending_prefix`: tracked manifests in a full run; in a
    changed-only run (where ``paths`` is the diff) the manifests on disk, asked once per dir."""
    if not changed_only:
        projects = set()
        for path in paths:
            parent, _, name = path.rpartition("/")
            if name in MANIFESTS:
                projects.add(parent)
        return projects.__contains__

    @functools.cache
    def on_disk(directory: str) -> bool:
        base = root / directory
        return any((base / name).is_file() for name in MANIFESTS)

    return on_disk


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
        is_project = project_finder(ctx.root, ctx.paths, ctx.changed_only)
        found: dict[str, int] = {}
        for path in ctx.paths:
            prefix = offending_prefix(path, is_project)
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

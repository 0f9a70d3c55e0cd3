"""drift/tool-versions: a tool pinned to one version in .pre-commit-config.yaml and another
in the development dependencies."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from packaging.version import InvalidVersion, Version

from forgegate.checks.base import Context, RepoCheck
from forgegate.checks.drift._project import pyproject, read_text
from forgegate.globs import compile_globs
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

#: pre-commit hook repositories (owner/name, lower case) -> the PyPI package they run
HOOK_PACKAGES = {
    "astral-sh/ruff-pre-commit": "ruff",
    "charliermarsh/ruff-pre-commit": "ruff",
    "psf/black": "black",
    "psf/black-pre-commit-mirror": "black",
    "pre-commit/mirrors-mypy": "mypy",
    "pycqa/isort": "isort",
    "pycqa/flake8": "flake8",
    "pycqa/bandit": "bandit",
    "pycqa/pylint": "pylint",
    "pycqa/autoflake": "autoflake",
    "pycqa/docformatter": "docformatter",
    "asottile/pyupgrade": "pyupgrade",
    "codespell-project/codespell": "codespell",
    "python-jsonschema/check-jsonschema": "check-jsonschema",
    "abravalheri/validate-pyproject": "validate-pyproject",
    "woodruffw/zizmor-pre-commit": "zizmor",
    "adamchainz/django-upgrade": "django-upgrade",
    "hadialqattan/pycln": "pycln",
}
_REQUIREMENTS = compile_globs(["*requirements*.txt", "requirements/*.txt"])
_REPO = re.compile(r"github\.com[/:]([^/]+/[^/.\s]+?)(?:\.git)?/?$", re.I)


def _exact(spec: str) -> tuple[str, str] | None:
    """(canonical name, version) of an ``name==version`` requirement."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        req = Requirement(spec)
    except InvalidRequirement:
        return None
    pins = [s.version for s in req.specifier if s.operator in ("==", "===")]
    if len(pins) != 1 or "*" in pins[0]:
        return None
    return canonicalize_name(req.name), pins[0]


def _pins(ctx: Context) -> Iterator[tuple[str, str, str]]:
    """(package, version, where) of every exact pin in pyproject and requirements files."""
    doc: dict[str, Any] = pyproject(ctx.root) or {}
    project = doc.get("project") or {}
    groups = [("optional-dependencies", project.get("optional-dependencies") or {})]
    groups.append(("dependency-groups", doc.get("dependency-groups") or {}))
    for table, entries in groups:
        for group, items in entries.items():
            for item in items or []:
                found = _exact(item) if isinstance(item, str) else None
                if found:
                    yield found[0], found[1], f"pyproject.toml {table}.{group}"
    for path in ctx.paths:
        if not _REQUIREMENTS(path):
            continue
        for line in (read_text(ctx.root, path) or "").splitlines():
            found = _exact(line.split("#")[0].split(" --")[0].strip())
            if found:
                yield found[0], found[1], path


def _same(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


@register
class ToolVersions(RepoCheck):
    rule = Rule(
        id="drift/tool-versions",
        title="Tool pinned to different versions",
        severity=Severity.WARNING,
        summary="A linter or formatter runs at one version in pre-commit and is pinned to "
        "another in the development dependencies, so the two disagree on the same code.",
    )

    def check_repo(self, ctx: Context) -> Iterable[Finding]:
        if ".pre-commit-config.yaml" not in ctx.paths:
            return
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        text = read_text(ctx.root, ".pre-commit-config.yaml") or ""
        try:
            config = YAML(typ="rt").load(text)
        except YAMLError:
            return  # pre-commit itself reports a broken config
        repos = config.get("repos") if isinstance(config, dict) else None
        hooks: list[tuple[str, str, int]] = []
        for entry in repos or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("rev"), str):
                continue
            match = _REPO.search(str(entry.get("repo", "")))
            package = HOOK_PACKAGES.get(match.group(1).lower()) if match else None
            if package:
                line = entry.lc.key("rev")[0] + 1 if hasattr(entry, "lc") else 1
                hooks.append((package, entry["rev"].removeprefix("v"), line))
        if not hooks:
            return
        pins = list(_pins(ctx))
        for package, rev, line in hooks:
            other = sorted({(v, w) for p, v, w in pins if p == package and not _same(v, rev)})
            if other:
                said = "; ".join(f"{w} pins {v}" for v, w in other)
                yield self.finding(
                    f"pre-commit runs {package} {rev} but {said}; pin one version in both "
                    "(pre-commit autoupdate, then the dev pin, or the reverse)",
                    ".pre-commit-config.yaml",
                    line,
                    key=f"{package}\0{rev}\0{said}",
                )

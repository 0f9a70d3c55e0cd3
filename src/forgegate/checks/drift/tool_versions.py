"""drift/tool-versions: a tool pinned to one version in .pre-commit-config.yaml and to another
in pyproject.toml, a lock file or a requirements file."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from forgegate.checks.base import Context, RepoCheck
from forgegate.checks.drift._locks import (
    is_requirements,
    lock_paths,
    read_lock,
    requirement_pins,
)
from forgegate.checks.drift._project import Unreadable, load_project, read_text, repo_paths
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register
from forgegate.supplychain.sbom.sources import is_lock_name

CONFIG = ".pre-commit-config.yaml"
#: hook repositories (``owner/name``, lower case) and the PyPI package they run
HOOK_PACKAGES = {
    "astral-sh/ruff-pre-commit": "ruff",
    "charliermarsh/ruff-pre-commit": "ruff",
    "astral-sh/uv-pre-commit": "uv",
    "psf/black": "black",
    "psf/black-pre-commit-mirror": "black",
    "pre-commit/mirrors-mypy": "mypy",
    "pycqa/isort": "isort",
    "timothycrosley/isort": "isort",
    "pycqa/flake8": "flake8",
    "pycqa/bandit": "bandit",
    "pycqa/pylint": "pylint",
    "pycqa/autoflake": "autoflake",
    "pycqa/pydocstyle": "pydocstyle",
    "pycqa/docformatter": "docformatter",
    "pycqa/doc8": "doc8",
    "pre-commit/mirrors-autopep8": "autopep8",
    "hhatto/autopep8": "autopep8",
    "google/yapf": "yapf",
    "asottile/pyupgrade": "pyupgrade",
    "asottile/reorder-python-imports": "reorder-python-imports",
    "asottile/add-trailing-comma": "add-trailing-comma",
    "asottile/blacken-docs": "blacken-docs",
    "adamchainz/blacken-docs": "blacken-docs",
    "adamchainz/django-upgrade": "django-upgrade",
    "codespell-project/codespell": "codespell",
    "pre-commit/pre-commit-hooks": "pre-commit-hooks",
    "abravalheri/validate-pyproject": "validate-pyproject",
    "tox-dev/pyproject-fmt": "pyproject-fmt",
    "python-jsonschema/check-jsonschema": "check-jsonschema",
    "woodruffw/zizmor-pre-commit": "zizmor",
    "zizmorcore/zizmor-pre-commit": "zizmor",
    "jazzband/pip-tools": "pip-tools",
    "pypa/pip-audit": "pip-audit",
    "executablebooks/mdformat": "mdformat",
    "sqlfluff/sqlfluff": "sqlfluff",
    "commitizen-tools/commitizen": "commitizen",
    "hadialqattan/pycln": "pycln",
}
_FROZEN = re.compile(r"#\s*frozen:\s*(\S+)")


@dataclass(frozen=True)
class Hook:
    package: str
    rev: str
    version: Version
    line: int
    column: int


@dataclass(frozen=True)
class Other:
    """What another file says about the tool: an exact version, or else a specifier."""

    version: Version | None
    specifier: SpecifierSet
    text: str
    path: str
    line: int

    def disagrees(self, version: Version) -> bool:
        if self.version is not None:
            return self.version != version
        return not self.specifier.contains(version, prereleases=True)


def package_of(url: str) -> str | None:
    parts = url.strip().lower().removesuffix("/").removesuffix(".git").split("/")
    return HOOK_PACKAGES.get("/".join(parts[-2:])) if len(parts) >= 2 else None


def _version(text: str) -> Version | None:
    try:
        return Version(text.strip().removeprefix("v"))
    except InvalidVersion:
        return None


def hooks(text: str) -> list[Hook]:
    """The hook repositories of a pre-commit config whose tool forgegate knows."""
    from ruamel.yaml import YAML  # here: most repositories have no pre-commit config
    from ruamel.yaml.comments import CommentedMap

    doc: Any = YAML(typ="rt").load(text)
    found = []
    lines = text.splitlines()
    repos: Any = doc.get("repos") if isinstance(doc, dict) else None
    for repo in repos if isinstance(repos, list) else []:
        if not isinstance(repo, CommentedMap) or not isinstance(repo.get("rev"), str):
            continue
        package = package_of(str(repo.get("repo", "")))
        if package is None:
            continue
        line, column = repo.lc.value("rev")
        rev = str(repo["rev"])
        frozen = _FROZEN.search(lines[line]) if line < len(lines) else None
        shown = frozen.group(1) if frozen else rev  # `pre-commit autoupdate --freeze`
        version = _version(shown)
        if version is not None:
            found.append(Hook(package, shown, version, line + 1, column + 1))
    return found


@register
class ToolVersions(RepoCheck):
    rule = Rule(
        id="drift/tool-versions",
        title="A tool pinned to different versions",
        severity=Severity.WARNING,
        summary="A pre-commit hook's `rev:` and the version pinned for the same tool in "
        "pyproject.toml, a lock file or a requirements file disagree, so the hook and CI run "
        "different versions of one linter.",
    )

    def check_repo(self, ctx: Context) -> Iterator[Finding]:
        paths = repo_paths(ctx)
        if CONFIG not in paths:
            return
        text = read_text(ctx.root, CONFIG) or ""
        try:
            found = hooks(text)
        except YAMLError as err:
            mark = err.problem_mark if isinstance(err, MarkedYAMLError) else None
            yield self.finding(
                f"{CONFIG} is not valid YAML, so its hook versions cannot be compared: "
                f"{getattr(err, 'problem', None) or err}",
                CONFIG,
                mark.line + 1 if mark is not None else None,
                key="unreadable",
            )
            return
        if not found:
            return
        others = self._others(ctx.root, paths, {h.package for h in found})
        for hook in found:
            for other in others.get(hook.package, []):
                if other.disagrees(hook.version):
                    yield self.finding(
                        f"{hook.package} hook runs {hook.rev}, but {other.path}:{other.line} "
                        f"says {other.text}; the hook and CI lint with different versions",
                        CONFIG,
                        hook.line,
                        hook.column,
                        key=f"{hook.package}\0{hook.rev}\0{other.path}\0{other.text}",
                        fix="align the rev (pre-commit autoupdate) and the pin",
                    )

    def _others(
        self, root: Path, paths: Sequence[str], packages: set[str]
    ) -> dict[str, list[Other]]:
        """Every version the repository's Python files state for these packages."""
        result: dict[str, list[Other]] = {}

        def add(name: str, other: Other) -> None:
            if name in packages:
                result.setdefault(name, []).append(other)

        if "pyproject.toml" in paths:
            try:
                declared = load_project(root, "pyproject.toml").declared()
            except Unreadable:
                declared = []  # drift/lock-stale reports it
            for dep in declared:
                spec = dep.requirement.specifier
                exact = [s for s in spec if s.operator in ("==", "===") and "*" not in s.version]
                version = _version(exact[0].version) if exact else None
                if str(spec):
                    add(dep.name, Other(version, spec, dep.text, "pyproject.toml", dep.line))
        for rel in lock_paths(paths, "pyproject.toml"):
            try:
                if is_lock_name(rel.rsplit("/", 1)[-1]):
                    pins = [p for ps in read_lock(root, rel).pins.values() for p in ps]
                elif is_requirements(rel):
                    pins = requirement_pins(root, rel)[0]
                else:  # pragma: no cover - lock_paths returns only these
                    continue
            except Unreadable:
                continue  # drift/lock-stale reports it
            for pin in pins:
                version = _version(pin.version)
                if version is not None:
                    text = f"{pin.name}=={pin.version}"
                    add(pin.name, Other(version, SpecifierSet(), text, pin.path, pin.line))
        return result

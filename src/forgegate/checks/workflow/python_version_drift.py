"""workflow/python-version-drift: setup-python outside requires-python or .python-version."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import Document, Job, Step, WorkflowCheck
from forgegate.checks.workflow._yaml import Node, ScalarNode, get, items
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register
from forgegate.tomlcompat import tomllib

_MATRIX_REF = re.compile(r"^\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}$")
_CPYTHON = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")


def requires_python(root: Path) -> SpecifierSet | None:
    try:
        with (root / "pyproject.toml").open("rb") as stream:
            spec = tomllib.load(stream).get("project", {}).get("requires-python")
        return SpecifierSet(spec) if isinstance(spec, str) else None
    except (OSError, tomllib.TOMLDecodeError, InvalidSpecifier):
        return None


def pinned_python(root: Path) -> str | None:
    """``major.minor`` from ``.python-version`` (its first CPython line), if any."""
    try:
        lines = (root / ".python-version").read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError):
        return None
    for entry in lines:
        match = _CPYTHON.match(entry)
        if match:
            return f"{match.group(1)}.{match.group(2)}"
    return None


def newest_patch(version: str) -> Version | None:
    """``3.9`` means any 3.9.x: test the newest; ``3.x``, PyPy and expressions are not judged."""
    match = _CPYTHON.match(version.strip().removesuffix("-dev"))
    if not match:
        return None
    major, minor, patch = match.groups()
    try:
        return Version(f"{major}.{minor}.{patch if patch is not None else 999}")
    except InvalidVersion:  # pragma: no cover - the pattern admits only valid versions
        return None


def versions_of(step: Step, job: Job | None) -> list[tuple[str, Node, bool]]:
    """(version, node to report at, from a matrix) for a setup-python step."""
    node = step.with_("python-version")
    found: list[tuple[str, Node, bool]] = []
    if isinstance(node, ScalarNode):
        matrix = _MATRIX_REF.match(node.value.strip())
        if matrix and job is not None:
            key = matrix.group(1)
            values = items(job.get("strategy", "matrix", key))
            for include in items(job.get("strategy", "matrix", "include")):
                included = get(include, key)
                if included is not None:
                    values.append(included)
            found += [(v.value, v, True) for v in values if isinstance(v, ScalarNode)]
        elif "${{" not in node.value:
            found += [(v, node, False) for v in node.value.split()]
    else:
        found += [(v.value, v, True) for v in items(node) if isinstance(v, ScalarNode)]
    return found


@register
class PythonVersionDrift(WorkflowCheck):
    rule = Rule(
        id="workflow/python-version-drift",
        title="setup-python version outside requires-python or .python-version",
        severity=Severity.WARNING,
        summary="A workflow sets up a Python that pyproject.toml's `requires-python` excludes, "
        "or a single version that disagrees with `.python-version`.",
    )

    def check_document(self, doc: Document, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        if "python" not in source.text:
            return
        spec = requires_python(ctx.root)
        pinned = pinned_python(ctx.root)
        if spec is None and pinned is None:
            return
        jobs = {job.id: job for job in doc.jobs}
        for step in doc.steps():
            if step.action != "actions/setup-python":
                continue
            job = jobs.get(step.job) if step.job else None
            versions = versions_of(step, job)
            for version, node, from_matrix in versions:
                newest = newest_patch(version)
                if newest is None:
                    continue
                if spec is not None and not spec.contains(newest, prereleases=True):
                    yield self.at(
                        node,
                        f"{step.label}: Python {version} is outside requires-python "
                        f"'{spec}' in pyproject.toml; drop it or widen requires-python",
                        source,
                        key=f"{step.job}\0{step.label}\0{version}\0spec",
                    )
                elif pinned and len(versions) == 1 and not from_matrix:
                    minor = ".".join(version.split(".")[:2])
                    if minor != pinned:
                        yield self.at(
                            node,
                            f"{step.label}: Python {version} disagrees with .python-version "
                            f"({pinned}); use `python-version-file: .python-version`",
                            source,
                            key=f"{step.job}\0{step.label}\0{version}\0pinned",
                        )

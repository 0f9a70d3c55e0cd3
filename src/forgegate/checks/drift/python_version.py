"""drift/python-version: the Python versions a repository states in different places disagree.

Read: ``requires-python`` and the ``Programming Language :: Python :: 3.X`` classifiers of the
root pyproject.toml, ``.python-version``, tox.ini's ``envlist``, noxfile.py's ``python=``,
Dockerfile ``FROM python:X.Y`` and setup-python's ``python-version`` in workflows and actions
(literals, lists and the matrix values they refer to). This rule replaced
``workflow/python-version-drift``: one rule reports each disagreement once.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from forgegate.checks.base import Context, RepoCheck, SourceFile
from forgegate.checks.drift._project import (
    Project,
    Stated,
    Unreadable,
    load_project,
    read_text,
    repo_paths,
)
from forgegate.checks.workflow._model import DEFAULT_PATTERNS, Job, Step, documents
from forgegate.checks.workflow._yaml import Node, ScalarNode, column, get, items, line
from forgegate.dockerfile import PATTERNS as DOCKERFILES
from forgegate.dockerfile import base_images
from forgegate.globs import compile_globs
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

_MATRIX_REF = re.compile(r"^\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}$")
_CPYTHON = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?$")
_CLASSIFIER = re.compile(r"^Programming Language :: Python :: (\d+\.\d+)$")
_IMAGE = re.compile(r"(?:^|/)python:(\d+\.\d+(?:\.\d+)?)(?![\d.])")
_TOX_FACTOR = re.compile(r"^py(?:(\d)(\d+)|(\d)\.(\d+))$")
_TOX_KEY = re.compile(r"^(env_?list)\s*=\s*(.*)$")
_BRACES = re.compile(r"\{([^{}]*)\}")


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


def minor_of(version: str) -> str:
    return ".".join(version.strip().split(".")[:2])


# --- sources -------------------------------------------------------------------------------


def classifiers(project: Project) -> Iterator[Stated]:
    for entry in project.table.get("classifiers") or []:
        match = _CLASSIFIER.match(entry) if isinstance(entry, str) else None
        if match:
            where = project.line_of(entry, "project", "classifiers")
            yield Stated("classifier", match.group(1), project.path, where)


def python_version_file(root: Path) -> Stated | None:
    """The first CPython line of ``.python-version``."""
    for number, entry in enumerate((read_text(root, ".python-version") or "").splitlines(), 1):
        if _CPYTHON.match(entry.strip()):
            return Stated(".python-version", entry.strip(), ".python-version", number, 1, True)
    return None


def _expand(token: str) -> list[str]:
    """tox's brace expansion: ``py3{10,11}-lint`` -> ``py310-lint``, ``py311-lint``."""
    match = _BRACES.search(token)
    if not match:
        return [token]
    head, tail = token[: match.start()], token[match.end() :]
    return [x for part in match.group(1).split(",") for x in _expand(head + part.strip() + tail)]


def _tokens(value: str) -> Iterator[str]:
    """Environment names of an envlist line: split at commas and spaces outside braces."""
    depth, current = 0, ""
    for char in value + ",":
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and (char == "," or char.isspace()):
            if current:
                yield current
            current = ""
        else:
            current += char


def tox_envlist(root: Path) -> Iterator[Stated]:
    text = read_text(root, "tox.ini")
    if text is None:
        return
    section = ""
    in_list = False
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("["):
            section, in_list = stripped, False
            continue
        if section != "[tox]" or not stripped or stripped.startswith(("#", ";")):
            continue
        key = _TOX_KEY.match(stripped)
        if key:
            in_list, value = True, key.group(2)
        elif in_list and raw[:1] in (" ", "\t"):
            value = stripped
        else:
            in_list = False
            continue
        for token in _tokens(value):
            for env in _expand(token):
                for factor in env.split("-"):
                    found = _TOX_FACTOR.match(factor)
                    if found:
                        major = found.group(1) or found.group(3)
                        minor = found.group(2) or found.group(4)
                        col = raw.find(token) + 1 if token in raw else None
                        yield Stated("tox envlist", f"{major}.{minor}", "tox.ini", number, col)


def _constants(node: ast.expr, names: dict[str, ast.expr]) -> Iterator[ast.Constant]:
    if isinstance(node, ast.Name) and node.id in names:
        node = names[node.id]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, (ast.List, ast.Tuple)):
        for element in node.elts:
            yield from _constants(element, names)


def nox_sessions(root: Path) -> Iterator[Stated]:
    text = read_text(root, "noxfile.py")
    if text is None:
        return
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return
    names = {
        target.id: stmt.value
        for stmt in tree.body
        if isinstance(stmt, ast.Assign)
        for target in stmt.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called != "session":
            continue
        for keyword in node.keywords:
            if keyword.arg == "python":
                for const in _constants(keyword.value, names):
                    where = (const.lineno, const.col_offset + 1)
                    yield Stated("noxfile", str(const.value), "noxfile.py", *where)


def dockerfiles(root: Path, paths: Sequence[str]) -> Iterator[Stated]:
    wanted = compile_globs(DOCKERFILES)
    for rel in paths:
        text = read_text(root, rel) if wanted(rel) else None
        if text is None:
            continue
        for inst, image, resolved in base_images(text):
            found = _IMAGE.search(resolved or "")
            if found:
                offset = text.find(image, inst.offset)
                col = offset - text.rfind("\n", 0, offset)
                yield Stated("Dockerfile", found.group(1), rel, inst.line, col, True)


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


def setup_python(root: Path, paths: Sequence[str], globs: Sequence[str]) -> Iterator[Stated]:
    wanted = compile_globs(globs)
    for rel in paths:
        text = read_text(root, rel) if wanted(rel) else None
        if text is None or "setup-python" not in text:
            continue
        docs = documents(SourceFile(rel, text.encode(), text))
        if not isinstance(docs, list):
            continue  # workflow/parse-error reports it
        for doc in docs:
            jobs = {job.id: job for job in doc.jobs}
            for step in doc.steps():
                if step.action != "actions/setup-python":
                    continue
                versions = versions_of(step, jobs.get(step.job) if step.job else None)
                for version, node, from_matrix in versions:
                    single = len(versions) == 1 and not from_matrix
                    yield Stated(
                        f"{step.label} (setup-python)",
                        version,
                        rel,
                        line(node),
                        column(node),
                        single,
                    )


# --- the rule ------------------------------------------------------------------------------


@register
class PythonVersionDrift(RepoCheck):
    rule = Rule(
        id="drift/python-version",
        title="Python versions disagree across the repository",
        severity=Severity.WARNING,
        summary="A classifier, .python-version, tox envlist, noxfile, Dockerfile base image or "
        "setup-python step states a Python that requires-python excludes, or a single version "
        "that disagrees with .python-version.",
    )

    workflow_globs: tuple[str, ...] = DEFAULT_PATTERNS

    def configure(self, policy: Mapping[str, Any]) -> None:
        self.workflow_globs = DEFAULT_PATTERNS + tuple(policy.get("workflow-paths", ()))

    def check_repo(self, ctx: Context) -> Iterator[Finding]:
        root, paths = ctx.root, repo_paths(ctx)
        project: Project | None = None
        if "pyproject.toml" in paths:
            try:
                project = load_project(root, "pyproject.toml")
            except Unreadable:
                project = None  # drift/lock-stale reports an unreadable pyproject.toml
        requires = project.requires_python if project else None
        pinned = python_version_file(root) if ".python-version" in paths else None
        if requires is None and pinned is None:
            return
        stated: list[Stated] = list(classifiers(project)) if project else []
        stated += [pinned] if pinned else []
        stated += list(tox_envlist(root)) if "tox.ini" in paths else []
        stated += list(nox_sessions(root)) if "noxfile.py" in paths else []
        stated += dockerfiles(root, paths)
        stated += setup_python(root, paths, self.workflow_globs)
        for item in stated:
            newest = newest_patch(item.version)
            if newest is None:
                continue
            if requires is not None and not requires[0].contains(newest, prereleases=True):
                spec, spec_line = requires
                yield self._at(
                    item,
                    f"{item.where}: Python {item.version} is outside requires-python '{spec}' "
                    f"(pyproject.toml:{spec_line}); drop it or widen requires-python",
                    "spec",
                )
            elif (
                pinned is not None
                and item is not pinned
                and item.single
                and minor_of(item.version) != minor_of(pinned.version)
            ):
                yield self._at(
                    item,
                    f"{item.where}: Python {item.version} disagrees with .python-version "
                    f"({minor_of(pinned.version)})",
                    "pinned",
                )
        if requires is not None and project is not None:
            yield from self._lowest_unclassified(project, requires, stated)

    def _lowest_unclassified(
        self, project: Project, requires: tuple[SpecifierSet, int], stated: list[Stated]
    ) -> Iterator[Finding]:
        """requires-python admits an older Python than the oldest classifier names."""
        listed = [Version(s.version) for s in stated if s.where == "classifier"]
        if not listed:
            return
        spec, spec_line = requires
        oldest = min(listed)
        allowed = [
            minor
            for minor in range(0, oldest.minor)
            if spec.contains(Version(f"{oldest.major}.{minor}.999"), prereleases=True)
        ]
        if allowed:
            lowest = f"{oldest.major}.{allowed[0]}"
            yield self.finding(
                f"requires-python '{spec}' admits Python {lowest}, but the oldest "
                f"classifier is {oldest}; raise requires-python or add the classifier",
                project.path,
                spec_line,
                key=f"{spec}\0{lowest}\0classifiers",
            )

    def _at(self, item: Stated, message: str, kind: str) -> Finding:
        return self.finding(
            message,
            item.path,
            item.line,
            item.column,
            key=f"{item.where}\0{item.version}\0{kind}",
        )

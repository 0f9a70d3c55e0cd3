"""drift/python-version: Python versions named outside ``requires-python``.

``requires-python`` is the reference; the trove classifiers, ``.python-version``, tox envs, nox
sessions and ``FROM python:X.Y`` images must name versions it allows. (setup-python versions in
workflows are ``workflow/python-version-drift``.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from forgegate.checks.base import Context, RepoCheck
from forgegate.checks.dockerfile import PATTERNS, instructions
from forgegate.checks.drift._project import pyproject, read_text
from forgegate.globs import compile_globs
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

_DOCKERFILE = compile_globs(PATTERNS)
_CLASSIFIER = re.compile(r"Programming Language :: Python :: (3\.\d+)\s*[\"']")
_TOX_ENV = re.compile(r"\bpy(3)(\d+)\b")
_NOX_PYTHON = re.compile(r"python\s*=\s*(\[[^\]]*\]|[\"'][^\"']+[\"'])")
_FROM_PYTHON = re.compile(r"^(?:docker\.io/)?(?:library/)?python:(3\.\d+)(?:[.\-@]|$)")


def _lines(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, re.Match[str]]]:
    for match in pattern.finditer(text):
        yield text.count("\n", 0, match.start()) + 1, match


@register
class PythonVersion(RepoCheck):
    rule = Rule(
        id="drift/python-version",
        title="Python version outside requires-python",
        severity=Severity.WARNING,
        summary="A classifier, .python-version, tox env, nox session or python: base image "
        "names a Python version that requires-python does not allow.",
    )

    def _named(self, ctx: Context) -> Iterator[tuple[str, int, str, str]]:
        """(path, line, version, where) of every Python version the repository names."""
        text = read_text(ctx.root, "pyproject.toml") or ""
        for line, match in _lines(text, _CLASSIFIER):
            yield "pyproject.toml", line, match.group(1), "classifier"
        if ".python-version" in ctx.paths:
            first = (read_text(ctx.root, ".python-version") or "").strip().splitlines()
            if first and re.fullmatch(r"3\.\d+(\.\d+)?", first[0].strip()):
                yield ".python-version", 1, first[0].strip(), ".python-version"
        if "tox.ini" in ctx.paths:
            tox = read_text(ctx.root, "tox.ini") or ""
            for line, match in _lines(tox, _TOX_ENV):
                yield "tox.ini", line, f"{match.group(1)}.{match.group(2)}", "tox env"
        if "noxfile.py" in ctx.paths:
            nox = read_text(ctx.root, "noxfile.py") or ""
            for line, match in _lines(nox, _NOX_PYTHON):
                for version in re.findall(r"[\"'](3\.\d+)[\"']", match.group(1)):
                    yield "noxfile.py", line, version, "nox session"
        for path in ctx.paths:
            if not _DOCKERFILE(path):
                continue
            for ins in instructions(read_text(ctx.root, path) or ""):
                words = [w for w in ins.args.split() if not w.startswith("--")]
                found = _FROM_PYTHON.match(words[0]) if ins.keyword == "FROM" and words else None
                if found:
                    yield path, ins.line, found.group(1), "base image"

    def check_repo(self, ctx: Context) -> Iterable[Finding]:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import InvalidVersion, Version

        spec_text = ((pyproject(ctx.root) or {}).get("project") or {}).get("requires-python")
        if not isinstance(spec_text, str):
            return
        try:
            spec = SpecifierSet(spec_text)
        except InvalidSpecifier:
            return
        for path, line, version, where in self._named(ctx):
            try:
                parsed = Version(version)
            except InvalidVersion:
                continue
            # "3.9" stands for the 3.9 series: allowed when its first release is
            probe = parsed if len(parsed.release) > 2 else Version(f"{version}.0")
            if spec.contains(probe, prereleases=True):
                continue
            yield self.finding(
                f"{where} names Python {version}, which requires-python {spec_text!r} "
                "excludes; drop it or widen requires-python",
                path,
                line,
                key=f"{path}\0{where}\0{version}\0{spec_text}",
            )

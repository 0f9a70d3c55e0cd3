"""drift/unhashed-requirements: requirements files for release or container builds without
``--hash`` on every requirement."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import Any, ClassVar

from forgegate.checks.base import Context, RepoCheck
from forgegate.checks.dockerfile import PATTERNS, instructions
from forgegate.checks.drift._project import read_text
from forgegate.globs import compile_globs
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

_DOCKERFILE = compile_globs(PATTERNS)
#: ``pip install ... -r FILE`` / ``--requirement=FILE`` in a RUN instruction
_PIP_R = re.compile(r"(?:^|\s)(?:-r|--requirement)(?:\s+|=)(\S+)")
_INCLUDE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)")


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, line with ``\\`` continuations joined and comments cut)."""
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield start, pending + line
        pending = ""
    if pending:
        yield start, pending


@register
class UnhashedRequirements(RepoCheck):
    rule = Rule(
        id="drift/unhashed-requirements",
        title="Requirements for a release or container build without hashes",
        severity=Severity.ERROR,
        summary="A requirements file that a Dockerfile installs (or the policy names) has a "
        "requirement without --hash, so pip installs whatever the index serves that day.",
    )
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "files": {
                "description": "Path globs of requirements files that must be fully hashed, "
                "besides those a Dockerfile installs with `pip install -r`.",
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": [],
            }
        },
    }

    def _targets(self, ctx: Context) -> dict[str, str]:
        """Requirements file -> why it must be hashed."""
        named = compile_globs(self.options.get("files", []))
        targets = {p: "named by the policy" for p in ctx.paths if named(p)}
        tracked = set(ctx.paths)
        for path in ctx.paths:
            if not _DOCKERFILE(path):
                continue
            text = read_text(ctx.root, path)
            for ins in instructions(text or ""):
                if ins.keyword != "RUN" or "pip" not in ins.args:
                    continue
                for name in _PIP_R.findall(ins.args):
                    # relative to the build context, which is usually the Dockerfile's folder
                    base = PurePosixPath(path).parent
                    for candidate in (str(base / name.lstrip("./")), name.lstrip("./")):
                        if candidate in tracked:
                            targets.setdefault(candidate, f"installed by {path}:{ins.line}")
                            break
        return targets

    def check_repo(self, ctx: Context) -> Iterable[Finding]:
        seen: set[str] = set()
        pending = sorted(self._targets(ctx).items())
        tracked = set(ctx.paths)
        while pending:
            path, why = pending.pop(0)
            if path in seen:
                continue
            seen.add(path)
            text = read_text(ctx.root, path)
            if text is None:
                continue
            for number, line in _logical_lines(text):
                stripped = line.strip()
                include = _INCLUDE.match(stripped)
                if include:
                    target = str(PurePosixPath(path).parent / include.group(1))
                    if target in tracked:
                        pending.append((target, f"included by {path}"))
                    continue
                if not stripped or stripped.startswith("-"):
                    continue  # options (--index-url, --hash alone on a line was joined above)
                if "--hash=" in stripped or "--hash " in stripped:
                    continue
                requirement = stripped.split(";")[0].split()[0]
                yield self.finding(
                    f"{requirement} has no --hash, and {path} is {why}; regenerate it with "
                    "`pip-compile --generate-hashes` or `uv pip compile --generate-hashes`",
                    path,
                    number,
                    key=f"{path}\0{requirement}",
                )

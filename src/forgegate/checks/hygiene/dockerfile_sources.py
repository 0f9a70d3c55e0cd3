"""hygiene/dockerfile-missing-source: COPY/ADD sources that do not exist."""

from __future__ import annotations

import glob
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from forgegate.checks.base import Context, FileCheck, SourceFile
from forgegate.checks.dockerfile import PATTERNS, logical_line
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

_INSTRUCTION = re.compile(r"^[ \t]*(COPY|ADD)[ \t]+", re.I | re.M)
_FLAG = re.compile(r"--([a-z-]+)(?:=(\S*))?")


def sources(args: str) -> Iterator[str] | None:
    """The source operands of a COPY/ADD argument string (``None``: not checkable)."""
    rest = args.strip()
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        name = _FLAG.match(flag)
        if name and name.group(1) == "from":
            return None  # copies from another stage or image
        rest = rest.lstrip()
    if rest.startswith("<<"):
        return None  # heredoc
    operands: list[str]
    if rest.startswith("["):
        try:
            parsed = json.loads(rest)
        except json.JSONDecodeError:
            return None
        if not isinstance(parsed, list) or not all(isinstance(o, str) for o in parsed):
            return None
        operands = [str(o) for o in parsed]
    else:
        operands = rest.split()
    if len(operands) < 2:
        return None
    return iter(operands[:-1])


@register
class DockerfileMissingSource(FileCheck):
    rule = Rule(
        id="hygiene/dockerfile-missing-source",
        title="Dockerfile COPY/ADD source does not exist",
        severity=Severity.ERROR,
        summary="A COPY or ADD in a Dockerfile names a file that is not in the repository, so "
        "the image build fails (or silently uses a stale file).",
    )
    patterns = PATTERNS
    needles = (b"COPY", b"ADD", b"copy", b"add")
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "contexts": {
                "description": "Build context directories, relative to the repository root; "
                "empty means the Dockerfile's own directory and the root.",
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": [],
            }
        },
    }

    def _contexts(self, source: SourceFile, root: Path) -> list[Path]:
        configured = self.options.get("contexts") or []
        if configured:
            return [root / c for c in configured]
        here = Path(source.path).parent
        return [root / here, root] if str(here) != "." else [root]

    def check_file(self, source: SourceFile, ctx: Context) -> Iterable[Finding]:
        contexts = self._contexts(source, ctx.root)
        text = source.text
        for match in _INSTRUCTION.finditer(text):
            args, _ = logical_line(text, match.end())
            operands = sources(args)
            if operands is None:
                continue
            for operand in operands:
                if "://" in operand or "$" in operand or operand.startswith("git@"):
                    continue  # URLs and build arguments are resolved at build time
                clean = operand.lstrip("/") or "."
                if any(self._exists(c, clean) for c in contexts):
                    continue
                offset = text.find(operand, match.end())
                offset = offset if offset != -1 else match.start()
                yield self.finding(
                    f"{match.group(1).upper()} source {operand!r} does not exist in the build "
                    "context; fix the path or add the file",
                    source.path,
                    source.line_at(offset),
                    source.column_at(offset),
                    key=f"{match.group(1).upper()} {operand}",
                )

    @staticmethod
    def _exists(context: Path, operand: str) -> bool:
        if any(ch in operand for ch in "*?["):
            return bool(glob.glob(glob.escape(str(context)) + "/" + operand))
        return (context / operand).exists()

"""hygiene/dockerfile-missing-source: COPY/ADD sources that do not exist."""

from __future__ import annotations

import glob
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from forgegate.checks.base import Context, FileCheck, SourceFile
from forgegate.dockerfile import PATTERNS, copy_operands, instructions
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register


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
        for inst in instructions(text):
            if inst.keyword not in ("COPY", "ADD"):
                continue
            operands = copy_operands(inst.args)
            if operands is None:
                continue
            for operand in operands[0]:
                if "://" in operand or "$" in operand or operand.startswith("git@"):
                    continue  # URLs and build arguments are resolved at build time
                clean = operand.lstrip("/") or "."
                if any(self._exists(c, clean) for c in contexts):
                    continue
                offset = text.find(operand, inst.offset)
                offset = offset if offset != -1 else inst.offset
                yield self.finding(
                    f"{inst.keyword} source {operand!r} does not exist in the build "
                    "context; fix the path or add the file",
                    source.path,
                    source.line_at(offset),
                    source.column_at(offset),
                    key=f"{inst.keyword} {operand}",
                )

    @staticmethod
    def _exists(context: Path, operand: str) -> bool:
        if any(ch in operand for ch in "*?["):
            return bool(glob.glob(glob.escape(str(context)) + "/" + operand))
        return (context / operand).exists()

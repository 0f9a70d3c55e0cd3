"""Dockerfile instructions, read the way ``docker build`` reads them (continuations joined,
comments and blank lines skipped); shared by the hygiene and drift rules on Dockerfiles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

PATTERNS = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile")
_KEYWORD = re.compile(r"^[ \t]*([A-Za-z]+)(?:[ \t]+|$)")


def logical_line(text: str, start: int) -> tuple[str, int]:
    """The instruction starting at ``start`` with ``\\`` continuations joined (and its end)."""
    out: list[str] = []
    pos = start
    while True:
        end = text.find("\n", pos)
        end = len(text) if end == -1 else end
        line = text[pos:end]
        if line.rstrip().endswith("\\"):
            out.append(line.rstrip()[:-1])
            pos = end + 1
            if pos >= len(text):
                break
            continue
        out.append(line)
        break
    return " ".join(out), end


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    args: str
    line: int  # 1-based, where the instruction starts
    offset: int


def instructions(text: str) -> Iterator[Instruction]:
    """Every instruction of a Dockerfile, in order."""
    pos = 0
    line = 1
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end == -1 else end
        raw = text[pos:end]
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            pos, line = end + 1, line + 1
            continue
        joined, stop = logical_line(text, pos)
        match = _KEYWORD.match(joined)
        if match:
            yield Instruction(match.group(1).upper(), joined[match.end() :].strip(), line, pos)
        line += text.count("\n", pos, stop) + 1
        pos = stop + 1

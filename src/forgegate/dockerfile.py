"""Dockerfile instructions with their lines: continuations joined, comments and heredocs skipped.

Shared by the rules that read Dockerfiles (missing COPY sources, base image pins, Python
versions, hashed requirements); each interprets the instructions it cares about.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

#: the file names the Dockerfile rules read (globs, see :mod:`forgegate.globs`)
PATTERNS = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile")
#: an image reference pinned by content
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")

_FLAG = re.compile(r"--([a-z-]+)(?:=(\S*))?")
_KEYWORD = re.compile(r"[ \t]*([A-Za-z]+)(?:[ \t]+|$)")
_ESCAPE_DIRECTIVE = re.compile(r"^#\s*escape\s*=\s*([\\`])\s*$", re.I)
_HEREDOC = re.compile(r"<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VARIABLE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    #: the arguments, continuation lines joined by a space
    args: str
    #: 1-based line of the keyword
    line: int
    #: character offset of the keyword in the file's text
    offset: int


def _escape_char(lines: list[str]) -> str:
    for text in lines:
        match = _ESCAPE_DIRECTIVE.match(text.strip())
        if match:
            return match.group(1)
        if not text.startswith("#"):
            break
    return "\\"


def _skipped(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def instructions(text: str) -> Iterator[Instruction]:
    """Every instruction of a Dockerfile, in order."""
    lines = text.split("\n")
    escape = _escape_char(lines)
    offsets = [0]
    for raw in lines:
        offsets.append(offsets[-1] + len(raw) + 1)
    index = 0
    while index < len(lines):
        raw = lines[index]
        if _skipped(raw):
            index += 1
            continue
        match = _KEYWORD.match(raw)
        start = index
        parts: list[str] = []
        current = raw[match.end() :] if match else raw
        while True:
            body = current.rstrip()
            if body.endswith(escape) and index + 1 < len(lines):
                parts.append(body[:-1].strip())
                index += 1
                # comment and blank lines inside a continuation are dropped, as docker does
                while index + 1 < len(lines) and _skipped(lines[index]):
                    index += 1
                current = lines[index]
                continue
            parts.append(body.strip())
            break
        args = " ".join(p for p in parts if p)
        index += 1
        for heredoc in _HEREDOC.finditer(args):  # skip each heredoc's body
            word, dash = heredoc.group(3), heredoc.group(1)
            while index < len(lines):
                body = lines[index].lstrip("\t") if dash else lines[index]
                index += 1
                if body.rstrip("\r") == word:
                    break
        if match:
            indent = len(raw) - len(raw.lstrip())
            yield Instruction(match.group(1).upper(), args, start + 1, offsets[start] + indent)


def substitute(value: str, variables: dict[str, str | None]) -> str | None:
    """``$VAR``/``${VAR}``/``${VAR:-default}`` replaced from ``variables``; ``None`` when one
    has no value (an ARG without default and no ``:-`` fallback)."""
    unresolved = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unresolved
        name = match.group(1) or match.group(3)
        known = variables.get(name)
        if known is not None:
            return known
        if match.group(2) is not None:
            return match.group(2)
        unresolved = True
        return ""

    result = _VARIABLE.sub(replace, value)
    return None if unresolved else result


def variables_in(value: str) -> list[str]:
    """The names of the build variables ``value`` refers to."""
    return [m.group(1) or m.group(3) for m in _VARIABLE.finditer(value)]


def build_args(inst: Instruction) -> Iterator[tuple[str, str | None]]:
    """(name, default) of each variable an ``ARG`` declares."""
    try:
        words = shlex.split(inst.args)
    except ValueError:
        words = inst.args.split()
    for word in words:
        name, eq, default = word.partition("=")
        yield name, default if eq else None


def from_image(inst: Instruction) -> tuple[str, str | None] | None:
    """(image, stage name) of a ``FROM``, flags such as ``--platform=`` skipped."""
    words = [w for w in inst.args.split() if not w.startswith("--")]
    if not words:
        return None
    alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
    return words[0], alias


def global_args(text: str) -> dict[str, tuple[str | None, Instruction]]:
    """name -> (default, ARG instruction) of the ARGs before the first FROM (the only ones a
    FROM can use)."""
    found: dict[str, tuple[str | None, Instruction]] = {}
    for inst in instructions(text):
        if inst.keyword == "FROM":
            break
        if inst.keyword == "ARG":
            for name, default in build_args(inst):
                found[name] = (default, inst)
    return found


def base_images(text: str) -> Iterator[tuple[Instruction, str, str | None]]:
    """(FROM instruction, image as written, image with the global ARG defaults substituted or
    ``None`` when an ARG has no default) of every ``FROM``; ``scratch`` and references to an
    earlier stage are left out."""
    args = {name: default for name, (default, _) in global_args(text).items()}
    stages: set[str] = set()
    for inst in instructions(text):
        parts = from_image(inst) if inst.keyword == "FROM" else None
        if parts is None:
            continue
        image, alias = parts
        resolved = substitute(image, args)
        earlier = image.lower() in stages or (resolved or "").lower() in stages
        if not earlier and resolved != "scratch":
            yield inst, image, resolved
        if alias:  # later stages may build FROM this one
            stages.add(alias.lower())


def copy_operands(args: str) -> tuple[list[str], str] | None:
    """(sources, destination) of a COPY/ADD argument string; ``None`` for a copy from another
    stage or image (``--from=``), a heredoc or a malformed line."""
    rest = args.strip()
    while rest.startswith("--"):
        flag, _, rest = rest.partition(" ")
        name = _FLAG.match(flag)
        if name and name.group(1) == "from":
            return None
        rest = rest.lstrip()
    if rest.startswith("<<"):
        return None
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
    return operands[:-1], operands[-1]

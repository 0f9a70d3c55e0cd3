"""``fix pins``: find every tag, branch or short-SHA ``uses:`` and rewrite it to a full SHA.

ruamel.yaml (round trip) only *finds* the ``uses:`` scalars and their line and column; the
rewrite is a surgical replacement at those character offsets, so every other byte of the file
(comments, quoting, indentation, line endings) stays exactly as it was. Nothing here talks to
the network: the caller passes a ``resolve(repo, ref) -> sha`` function that raises
:class:`LookupError` for an unknown repository or ref.

Comments after the ref (the ``# <ref>`` convention Dependabot and Renovate read):

- none: `` # <ref>`` is appended after the scalar;
- the first word is already the ref: kept as is;
- the first word looks like a version or a SHA (a stale ``# v3.1.0``): that word becomes the ref,
  the rest of the comment is kept;
- any other comment: kept verbatim behind the ref, ``# v4 # why we use this action``;
- a short SHA being expanded keeps an existing comment untouched (it usually names the version).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

FULL_SHA = re.compile(r"[0-9a-f]{40}")
SHORT_SHA = re.compile(r"[0-9a-f]{7,39}")
VERSIONISH = re.compile(r"v?\d+(\.\d+)*([-+._][0-9A-Za-z.-]*)?|[0-9a-f]{7,40}")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_COMMENT_AFTER = re.compile(r"([ \t]+)(#[^\r\n\x85\u2028\u2029]*)")


@dataclass(frozen=True)
class Uses:
    """One pinnable ``uses:`` scalar and where its text sits in the file."""

    line: int  # 1-based
    column: int  # 1-based, at the opening quote for a quoted scalar
    value: str  # owner/repo[/path]@ref
    repo: str  # owner/repo
    ref: str
    start: int  # character offset of the value (inside the quotes)
    end: int  # offset just after the value
    stop: int  # offset just after the scalar (its closing quote, if any)


@dataclass(frozen=True)
class Unresolved:
    path: str
    line: int
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: cannot pin `uses: {self.value}`: {self.reason}"


@dataclass
class FileFix:
    path: str
    old: str
    new: str
    pinned: list[tuple[Uses, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.old.splitlines(keepends=True),
                self.new.splitlines(keepends=True),
                fromfile=f"a/{self.path}",
                tofile=f"b/{self.path}",
            )
        )


@dataclass
class Plan:
    files: list[FileFix] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    #: files that could not be read as YAML: (path, why); workflow/parse-error reports them
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> list[FileFix]:
        return [f for f in self.files if f.changed]


def target(value: str) -> tuple[str, str] | None:
    """(owner/repo, ref) when ``value`` is a remote action or workflow pinned by a mutable ref
    or a short SHA; ``None`` for local ``./`` uses, ``docker://``, expressions, full SHAs."""
    if value.startswith(("./", "docker://")) or "${{" in value:
        return None
    path, at, ref = value.partition("@")
    parts = path.split("/")
    if not at or not ref or len(parts) < 2 or not all(parts[:2]) or FULL_SHA.fullmatch(ref):
        return None
    if any(c.isspace() for c in value):
        return None
    return "/".join(parts[:2]), ref


def _uses_nodes(doc: Any) -> Iterable[tuple[CommentedMap, Any]]:
    """(mapping, value) of every structural ``uses:`` key: jobs.<id>.uses,
    jobs.<id>.steps[*].uses and runs.steps[*].uses (composite actions)."""

    def steps(container: Any) -> Iterable[tuple[CommentedMap, Any]]:
        seq = container.get("steps") if isinstance(container, CommentedMap) else None
        if isinstance(seq, CommentedSeq):
            for step in seq:
                if isinstance(step, CommentedMap) and "uses" in step:
                    yield step, step["uses"]

    if not isinstance(doc, CommentedMap):
        return
    jobs = doc.get("jobs")
    if isinstance(jobs, CommentedMap):
        for job in jobs.values():
            if isinstance(job, CommentedMap):
                if "uses" in job:
                    yield job, job["uses"]
                yield from steps(job)
    yield from steps(doc.get("runs"))


def _line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in _LINE_BREAK.finditer(text))]


def find_uses(text: str) -> list[Uses] | str:
    """Every pinnable ``uses:`` of a workflow or action file, or why the file is not YAML."""
    yaml = YAML(typ="rt")
    try:
        docs = list(yaml.load_all(text))
    except YAMLError as err:
        return str(err).splitlines()[0] if str(err) else "not valid YAML"
    starts = _line_starts(text)
    found: dict[int, Uses] = {}
    for doc in docs:
        for mapping, value in _uses_nodes(doc):
            if not isinstance(value, str) or "uses" not in mapping.lc.data:
                continue  # not a string, or merged in through `<<` (pinned where it is defined)
            pin = target(value)
            if pin is None:
                continue
            line, col = mapping.lc.value("uses")
            offset = starts[line] + col
            quote = text[offset : offset + 1]
            start = offset + 1 if quote in ("'", '"') else offset
            end = start + len(value)
            if text[start:end] != value or (start != offset and text[end : end + 1] != quote):
                continue  # escapes or a folded scalar: not a plain one-line value we can edit
            stop = end + (start - offset)
            found[offset] = Uses(line + 1, col + 1, value, pin[0], pin[1], start, end, stop)
    return [found[k] for k in sorted(found)]


def _comment(old: str | None, ref: str) -> str | None:
    """The comment to put after the pinned ref (see the module docstring); None: leave it."""
    if old is None:
        return f"# {ref}"
    if SHORT_SHA.fullmatch(ref):
        return None
    body = old[1:].strip()
    first = body.split(maxsplit=1)[0] if body else ""
    if first == ref:
        return None
    if first and VERSIONISH.fullmatch(first):
        index = old.index(first)
        return old[:index] + ref + old[index + len(first) :]
    return f"# {ref} {old}"


def rewrite(text: str, pins: Sequence[tuple[Uses, str]]) -> str:
    """``text`` with each ``uses`` ref replaced by its SHA and the comment kept or added."""
    out: list[str] = []
    cursor = 0
    for uses, sha in sorted(pins, key=lambda p: p[0].start):
        line_end = _LINE_BREAK.search(text, uses.end)
        eol = line_end.start() if line_end else len(text)
        out.append(text[cursor : uses.end - len(uses.ref)])
        out.append(sha)
        cursor = uses.end
        rest = text[uses.stop : eol]
        match = _COMMENT_AFTER.fullmatch(rest)
        if match:
            new = _comment(match.group(2), uses.ref)
            if new is not None:
                out.append(text[uses.end : uses.stop + match.start(2)] + new)
                cursor = eol
        elif not rest.strip():
            out.append(text[uses.end : uses.stop] + f" # {uses.ref}")
            cursor = uses.stop
        elif "#" not in rest:  # flow style, `{uses: a/b@v1, with: ...}`: comment at line end
            stripped = rest.rstrip()
            out.append(text[uses.end : uses.stop] + stripped + f" # {uses.ref}")
            cursor = uses.stop + len(stripped)
        # else: a `#` we cannot tell from a comment without a full parse: pin, add no comment
    out.append(text[cursor:])
    return "".join(out)


Resolve = Callable[[str, str], str]


def plan(files: Iterable[tuple[str, str]], resolve: Resolve) -> Plan:
    """Resolve and rewrite every (path, text); unknown refs become :class:`Unresolved`."""
    result = Plan()
    for path, text in files:
        uses = find_uses(text)
        if isinstance(uses, str):
            result.skipped.append((path, uses))
            continue
        pins: list[tuple[Uses, str]] = []
        for item in uses:
            try:
                sha = resolve(item.repo, item.ref)
            except LookupError as err:
                result.unresolved.append(Unresolved(path, item.line, item.value, str(err)))
                continue
            pins.append((item, sha))
        result.files.append(FileFix(path, text, rewrite(text, pins) if pins else text, pins))
    return result

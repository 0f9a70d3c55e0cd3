"""A workflow or action file seen as jobs and steps, with the nodes rules need positions of.

Built once per file (memoised on the :class:`~forgegate.checks.base.SourceFile`) and shared by
every workflow rule. Only structure is interpreted here; what is risky is for the rules to say.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from forgegate.checks.base import Context, FileCheck, SourceFile
from forgegate.checks.workflow._yaml import (
    MappingNode,
    Node,
    ParseError,
    ScalarNode,
    column,
    compose,
    get,
    items,
    line,
    pairs,
    text,
)
from forgegate.model import Finding

Kind = Literal["workflow", "action"]
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
#: what the workflow family reads by default (a pattern without a slash matches at any depth)
DEFAULT_PATTERNS = (
    ".github/workflows/*.yml",
    ".github/workflows/*.yaml",
    "action.yml",
    "action.yaml",
)


@dataclass
class Step:
    node: Node
    #: job id, or None for a composite action's step
    job: str | None
    index: int

    def get(self, *path: str) -> Node | None:
        return get(self.node, *path)

    @property
    def uses(self) -> ScalarNode | None:
        node = self.get("uses")
        return node if isinstance(node, ScalarNode) else None

    @property
    def run(self) -> ScalarNode | None:
        node = self.get("run")
        return node if isinstance(node, ScalarNode) else None

    @property
    def action(self) -> str:
        """``owner/repo[/path]`` of ``uses:`` in lower case, without the ref ("" for none)."""
        uses = text(self.uses) or ""
        return uses.split("@", 1)[0].lower() if "@" in uses else uses.lower()

    def with_(self, name: str) -> Node | None:
        return self.get("with", name)

    @property
    def label(self) -> str:
        name = text(self.get("name")) or text(self.get("id"))
        return name or f"step {self.index + 1}"


@dataclass
class Job:
    id: str
    node: Node
    key: ScalarNode
    steps: list[Step] = field(default_factory=list)

    def get(self, *path: str) -> Node | None:
        return get(self.node, *path)

    @property
    def uses(self) -> ScalarNode | None:
        node = self.get("uses")
        return node if isinstance(node, ScalarNode) else None


@dataclass
class Document:
    """One workflow or action definition."""

    path: str
    kind: Kind
    root: Node
    jobs: list[Job] = field(default_factory=list)
    #: a composite action's ``runs.steps``
    action_steps: list[Step] = field(default_factory=list)

    def get(self, *path: str) -> Node | None:
        return get(self.root, *path)

    @property
    def triggers(self) -> dict[str, Node | None]:
        """Event names of ``on:`` (string, list or map form) with their configuration node."""
        on = self.get("on")
        if on is None:
            on = self.get("true")  # a YAML 1.1 constructor's reading of `on`, if quoted so
        if isinstance(on, ScalarNode):
            return {on.value: None}
        if isinstance(on, MappingNode):
            return {k.value: v for k, v in pairs(on)}
        return {t: None for t in (text(i) for i in items(on)) if t}

    def steps(self) -> Iterator[Step]:
        for job in self.jobs:
            yield from job.steps
        yield from self.action_steps


def _steps(node: Node | None, job: str | None) -> list[Step]:
    return [Step(s, job, i) for i, s in enumerate(items(node)) if isinstance(s, MappingNode)]


def build(path: str, root: Node) -> Document | None:
    """Interpret one YAML document; ``None`` when it is neither a workflow nor an action."""
    if not isinstance(root, MappingNode):
        return None
    keys = {k.value for k, _ in pairs(root)}
    # jobs make a workflow; runs an action (even with a stray `on:`, as some actions have)
    if "jobs" in keys or ("on" in keys and "runs" not in keys):
        doc = Document(path, "workflow", root)
        for key, job in pairs(get(root, "jobs")):
            if isinstance(job, MappingNode):
                doc.jobs.append(Job(key.value, job, key, _steps(get(job, "steps"), key.value)))
        return doc
    if "runs" in keys:
        doc = Document(path, "action", root)
        doc.action_steps = _steps(get(root, "runs", "steps"), None)
        return doc
    return None


def documents(source: SourceFile) -> list[Document] | ParseError:
    """The workflow/action documents of a file, parsed once per run and shared by all rules."""
    cached = source.memo.get("workflow")
    if isinstance(cached, (list, ParseError)):
        return cached
    nodes = compose(source.text)
    result: list[Document] | ParseError
    if isinstance(nodes, ParseError):
        result = nodes
    else:
        result = [d for d in (build(source.path, n) for n in nodes) if d is not None]
    source.memo["workflow"] = result
    return result


def expressions(value: str) -> Iterator[tuple[int, str]]:
    """(offset, inner text) of every ``${{ }}`` in a string."""
    for match in EXPRESSION.finditer(value):
        yield match.start(), match.group(1).strip()


class WorkflowCheck(FileCheck):
    """A rule over workflow and action files; subclasses implement :meth:`check_document`."""

    patterns: ClassVar[tuple[str, ...]] = DEFAULT_PATTERNS
    extra_patterns: tuple[str, ...] = ()

    def configure(self, policy: Mapping[str, Any]) -> None:
        self.extra_patterns = tuple(policy.get("workflow-paths", ()))

    def globs(self) -> tuple[str, ...]:
        return self.patterns + self.extra_patterns

    def check_file(self, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        docs = documents(source)
        if isinstance(docs, ParseError):
            return  # workflow/parse-error reports it, once
        for doc in docs:
            yield from self.check_document(doc, source, ctx)

    def check_document(self, doc: Document, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        raise NotImplementedError

    def at(
        self,
        node: Node,
        message: str,
        source: SourceFile,
        *,
        key: str,
        fix: str | None = None,
    ) -> Finding:
        """A finding at ``node``; ``key`` (content, never a line) feeds the fingerprint."""
        return self.finding(message, source.path, line(node), column(node), key=key, fix=fix)

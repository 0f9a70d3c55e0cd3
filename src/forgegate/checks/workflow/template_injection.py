"""workflow/template-injection: attacker-controlled ``${{ }}`` expanded into scripts.

Each expression is parsed (a small recursive-descent reader of the GitHub expression syntax)
to learn which contexts *flow into its value*: ``toJSON(x)``, ``format('{0}', x)``, ``a || x``
carry ``x``; comparisons, ``!x``, ``contains()``/``startsWith()``/``endsWith()`` yield booleans
and carry nothing. Index syntax (``github.event['issue']['title']``, ``commits[0]``) is read as
the dotted path (``github.event.issue.title``, ``commits.*``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import Document, Step, WorkflowCheck, expressions
from forgegate.checks.workflow._yaml import ScalarNode, column, line, pairs, text
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

#: contexts whose value an issue/PR/comment author, a pusher or a workflow's caller chooses;
#: ``*`` is one path segment (an object filter or an index)
DANGEROUS = tuple(
    tuple(p.split("."))
    for p in (
        "github.event.issue.title",
        "github.event.issue.body",
        "github.event.pull_request.title",
        "github.event.pull_request.body",
        "github.event.pull_request.head.ref",
        "github.event.pull_request.head.label",
        "github.event.pull_request.head.repo.default_branch",
        "github.head_ref",
        "github.event.comment.body",
        "github.event.review.body",
        "github.event.review_comment.body",
        "github.event.discussion.title",
        "github.event.discussion.body",
        "github.event.discussion_comment.body",
        "github.event.pages.*.page_name",
        "github.event.commits.*.message",
        "github.event.commits.*.author.email",
        "github.event.commits.*.author.name",
        "github.event.head_commit.message",
        "github.event.head_commit.author.*",
        "github.event.workflow_run.head_branch",
        "github.event.workflow_run.display_title",
        "github.event.workflow_run.head_commit.message",
        "github.event.workflow_run.head_commit.author.*",
        "github.event.inputs.*",
        "inputs.*",
        # label names: whoever may label (on a fork's PR, whoever names a label) chooses them
        "github.event.label.name",
        "github.event.issue.labels.*.name",
        "github.event.pull_request.labels.*.name",
        "github.event.discussion.labels.*.name",
        "github.event.changes.new_discussion.labels.*.name",
    )
)
#: functions whose result is a boolean or a hash, whatever their arguments
_OPAQUE = {"contains", "startswith", "endswith", "success", "failure", "always", "cancelled"}
_OPAQUE |= {"hashfiles"}
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:e[+-]?\d+)?))"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*)|(?P<op>==|!=|<=|>=|&&|\|\||[<>!()\[\].,*]))",
)


def _same(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """Segment by segment over the shorter of the two; ``*`` in the pattern matches any."""
    return all(p == "*" or p == s for p, s in zip(pattern, path, strict=False))


def _is_dangerous(path: tuple[str, ...]) -> bool:
    """A dangerous context, something inside one, or a whole object holding one."""
    return any(_same(pattern, path) for pattern in DANGEROUS)


class _Reader:
    """Which context paths flow into the value of one expression."""

    def __init__(self, source: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(source):
            match = _TOKEN.match(source, pos)
            if match is None or match.end() == pos:
                if source[pos:].strip():
                    raise ValueError(source)
                break
            kind = match.lastgroup or "op"
            self.tokens.append((kind, match.group(kind)))
            pos = match.end()
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise ValueError("unexpected end")
        self.at += 1
        return self.tokens[self.at - 1]

    def expect(self, op: str) -> None:
        if self.take()[1] != op:
            raise ValueError(op)

    def read(self) -> set[tuple[str, ...]]:
        flows = self.or_()
        if self.at != len(self.tokens):
            raise ValueError("trailing tokens")
        return flows

    def or_(self) -> set[tuple[str, ...]]:
        flows = self.and_()
        while self.peek() == "||":
            self.take()
            flows |= self.and_()
        return flows

    def and_(self) -> set[tuple[str, ...]]:
        # `a && b` is `a` only when `a` is falsy ('' or null or 0), otherwise `b`
        flows = self.compare()
        while self.peek() == "&&":
            self.take()
            flows = self.compare()
        return flows

    def compare(self) -> set[tuple[str, ...]]:
        flows = self.unary()
        while self.peek() in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            self.unary()
            flows = set()
        return flows

    def unary(self) -> set[tuple[str, ...]]:
        if self.peek() == "!":
            self.take()
            self.unary()
            return set()
        return self.primary()

    def primary(self) -> set[tuple[str, ...]]:
        kind, value = self.take()
        if kind in ("str", "num"):
            return set()
        if value == "(":
            inner = self.or_()
            self.expect(")")
            return self.postfix(None, inner)
        if kind != "name":
            raise ValueError(value)
        if self.peek() == "(":
            self.take()
            flows: set[tuple[str, ...]] = set()
            while self.peek() != ")":
                flows |= self.or_()
                if self.peek() == ",":
                    self.take()
            self.take()
            if value.lower() in _OPAQUE:
                flows = set()
            return self.postfix(None, flows)
        if value.lower() in ("true", "false", "null"):
            return set()
        return self.postfix((value.lower(),), set())

    def postfix(
        self, path: tuple[str, ...] | None, flows: set[tuple[str, ...]]
    ) -> set[tuple[str, ...]]:
        """Member access and indexing after a context name or a call's result."""
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                kind, value = self.take()
                segment = "*" if value == "*" else value.lower()
            else:
                start = self.at
                self.or_()
                kind, value = self.tokens[start]
                simple = self.at == start + 1 and kind == "str"
                segment = value[1:-1].replace("''", "'").lower() if simple else "*"
                self.expect("]")
            if path is not None:
                path += (segment,)
        if path is not None:
            flows = flows | {path}
        return flows


def contexts(expression: str) -> list[str]:
    """The context paths flowing into ``expression``'s value (all names read if unparseable)."""
    try:
        paths = _Reader(expression).read()
    except ValueError:
        names = re.findall(r"[A-Za-z_][\w-]*(?:\.(?:[\w-]+|\*))+", expression)
        paths = {tuple(n.lower().split(".")) for n in names}
    return sorted(".".join(p) for p in paths)


def dangerous(expression: str) -> list[str]:
    """The attacker-controllable contexts flowing into ``expression``'s value."""
    return [c for c in contexts(expression) if _is_dangerous(tuple(c.split(".")))]


@dataclass(frozen=True)
class Target:
    """A script an expression is pasted into."""

    where: str
    node: ScalarNode


def targets(step: Step) -> list[Target]:
    found: list[Target] = []
    if step.run is not None:
        found.append(Target("`run:` script", step.run))
    script = step.with_("script")
    if step.action == "actions/github-script" and isinstance(script, ScalarNode):
        found.append(Target("github-script `script:`", script))
    return found


_OUTPUT_WRITE = re.compile(r"GITHUB_OUTPUT|::set-output\b")
_SET_OUTPUT = re.compile(r"::set-output name=([\w-]+)::|([A-Za-z_][\w-]*)(?:=|<<)")


def tainted_steps(steps: list[Step]) -> dict[str, dict[str, str]]:
    """``{step id: {output name: context}}`` for outputs a step obviously copies a context to.

    Only a ``run:`` that writes ``$GITHUB_OUTPUT`` (or ``::set-output``) with
    ``name=${{ <context> }}`` on one line, or ``name=$VAR`` (the whole value) where the step's
    ``env:`` sets ``VAR`` from a context, is traced; anything computed from it is not.
    """
    tainted: dict[str, dict[str, str]] = {}
    for step in steps:
        step_id = text(step.get("id"))
        run = text(step.get("run")) or ""
        if not step_id or not _OUTPUT_WRITE.search(run):
            continue
        env: dict[str, str] = {}
        for key, value in pairs(step.get("env")):
            for _, inner in expressions(text(value) or ""):
                for context in dangerous(inner):
                    env[key.value] = context
        outputs: dict[str, str] = {}
        for row in run.splitlines():
            name = _SET_OUTPUT.search(row) if _OUTPUT_WRITE.search(row) else None
            if name is None:
                continue
            origin = next((c for _, i in expressions(row) for c in dangerous(i)), None)
            output = name.group(1) or name.group(2)
            for var, context in env.items():
                copy = rf"{re.escape(output)}(?:=|::)[\"']?\$\{{?{re.escape(var)}\b"
                if origin is None and re.search(copy, row):
                    origin = context
            if origin is not None:
                outputs[output] = origin
        if outputs:
            tainted[step_id] = outputs
    return tainted


_STEP_OUTPUT = re.compile(r"^steps\.([\w-]+)\.outputs\.([\w-]+)$")


def _position(node: ScalarNode, source: SourceFile, offset: int) -> tuple[int, int]:
    """Line and column in the file of the ``${{`` at ``offset`` into a scalar's value.

    The value may differ from the source text (block indentation, quotes, folding), but each
    ``${{`` of the value is a ``${{`` of the source: the k-th one of the value is the k-th one
    after the node's start (for a block scalar, the ``|`` indicator).
    """
    nth = node.value.count("${{", 0, offset)
    pos = source.offset_of(line(node), column(node))
    found = -1
    for _ in range(nth + 1):
        found = source.text.find("${{", pos)
        if found == -1:
            return line(node), column(node)
        pos = found + 3
    return source.line_at(found), source.column_at(found)


def _env_name(context: str) -> str:
    words = [w for w in context.split(".") if w not in ("github", "event", "*")]
    return re.sub(r"[^A-Z0-9]+", "_", "_".join(words[-2:]).upper()).strip("_") or "VALUE"


@register
class TemplateInjection(WorkflowCheck):
    rule = Rule(
        id="workflow/template-injection",
        title="Attacker-controlled value expanded into a script",
        severity=Severity.ERROR,
        summary="`${{ }}` with a value an outsider controls (issue title, PR branch, comment, "
        "input) is pasted into a `run:` script or a github-script `script:` before it runs.",
    )
    needles = (b"${{",)

    def check_document(self, doc: Document, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        groups: list[list[Step]] = [job.steps for job in doc.jobs] + [doc.action_steps]
        for steps in groups:
            tainted = tainted_steps(steps)
            for step in steps:
                for target in targets(step):
                    yield from self._scan(target, step, tainted, source)

    def _scan(
        self,
        target: Target,
        step: Step,
        tainted: dict[str, dict[str, str]],
        source: SourceFile,
    ) -> Iterator[Finding]:
        for offset, inner in expressions(target.node.value):
            flows = contexts(inner)
            found = [c for c in flows if _is_dangerous(tuple(c.split(".")))]
            via = ""
            if not found:
                for path in flows:
                    match = _STEP_OUTPUT.match(path)
                    origin = tainted.get(match.group(1), {}) if match else {}
                    if match and match.group(2) in origin:
                        found = [path]
                        via = f" (which carries {origin[match.group(2)]})"
                        break
            if not found:
                continue
            row, col = _position(target.node, source, offset)
            context, var = found[0], _env_name(found[0])
            shown = "" if inner.replace(" ", "") == context else f" (reads {context})"
            yield self.finding(
                f"{step.label}: ${{{{ {inner} }}}}{shown}{via} is pasted into the {target.where} "
                "before it runs, so whoever sets it can inject code; pass it through `env:` "
                f'and use "${var}"',
                source.path,
                row,
                col,
                key=f"{step.job}\0{step.label}\0{inner}",
                fix=f'env:\n  {var}: ${{{{ {context} }}}}\n# then use "${var}" in the script',
            )

"""workflow/template-injection: attacker-controlled ``${{ }}`` expanded into scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import Document, Step, WorkflowCheck, expressions
from forgegate.checks.workflow._yaml import ScalarNode, column, line, pairs, text
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

# contexts whose value a pull request author, issue author or commenter chooses
_DANGEROUS = [
    r"github\.event\.issue\.(?:title|body)",
    r"github\.event\.pull_request\.(?:title|body|head\.ref|head\.label"
    r"|head\.repo\.default_branch)",
    r"github\.head_ref",
    r"github\.event\.comment\.body",
    r"github\.event\.review\.body",
    r"github\.event\.review_comment\.body",
    r"github\.event\.discussion\.(?:title|body)",
    r"github\.event\.discussion_comment\.body",
    r"github\.event\.pages\.[^.\s]+\.page_name",
    r"github\.event\.commits\.[^.\s]+\.(?:message|author\.(?:email|name))",
    r"github\.event\.head_commit\.(?:message|author\.(?:email|name))",
    r"github\.event\.workflow_run\.(?:head_branch|display_title"
    r"|head_commit\.(?:message|author\.(?:email|name)))",
    r"github\.event\.inputs\.[A-Za-z0-9_-]+",
    # label names: anyone who can label (or, on a fork's PR, name a label) chooses them
    r"github\.event\.(?:pull_request|issue|discussion|changes\.new_discussion|label)"
    r"(?:\.labels(?:\.\*|\[\d+\]))?\.name",
    r"inputs\.[A-Za-z0-9_-]+",
]
_CONTEXT = re.compile(r"(?<![\w.])(?:" + "|".join(_DANGEROUS) + r")(?![\w-])")
# github.event['issue']['title'] -> github.event.issue.title
_INDEX = re.compile(r"\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]")
_STEP_OUTPUT = re.compile(r"(?<![\w.])steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)")


def _normalise(expression: str) -> str:
    return _INDEX.sub(lambda m: "." + (m.group(1) or m.group(2) or ""), expression)


def dangerous(expression: str) -> list[str]:
    """The attacker-controllable contexts an expression reads."""
    return sorted({m.group(0) for m in _CONTEXT.finditer(_normalise(expression))})


def _tainted_steps(steps: list[Step]) -> dict[str, str]:
    """Step ids whose outputs obviously carry a dangerous context (set from env or run)."""
    tainted: dict[str, str] = {}
    for step in steps:
        step_id = text(step.get("id"))
        if not step_id:
            continue
        values = [text(step.get("run")) or ""]
        values += [text(v) or "" for _, v in pairs(step.get("env"))]
        values += [text(v) or "" for _, v in pairs(step.get("with"))]
        for value in values:
            for _, inner in expressions(value):
                found = dangerous(inner)
                if found:
                    tainted[step_id] = found[0]
    return tainted


def _position(node: ScalarNode, source: SourceFile, offset: int) -> tuple[int, int]:
    """Line and column in the file of the ``${{`` at ``offset`` into a scalar's value.

    The value may differ from the source text (quotes, escapes, folding), but each ``${{`` in
    it is a ``${{`` in the source: the k-th one of the value is the k-th one after the node's
    start.
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
            tainted = _tainted_steps(steps)
            for step in steps:
                targets: list[tuple[str, ScalarNode]] = []
                if step.run is not None:
                    targets.append(("run", step.run))
                script = step.with_("script")
                if step.action == "actions/github-script" and isinstance(script, ScalarNode):
                    targets.append(("script", script))
                for where, node in targets:
                    yield from self._scan(node, where, step, tainted, source)

    def _scan(
        self,
        node: ScalarNode,
        where: str,
        step: Step,
        tainted: dict[str, str],
        source: SourceFile,
    ) -> Iterator[Finding]:
        for offset, inner in expressions(node.value):
            found = dangerous(inner)
            via = ""
            if not found:
                for match in _STEP_OUTPUT.finditer(inner):
                    origin = tainted.get(match.group(1))
                    if origin:
                        found, via = [match.group(0)], f" (which carries {origin})"
                        break
            if not found:
                continue
            row, col = _position(node, source, offset)
            context = found[0]
            yield self.finding(
                f"{step.label}: ${{{{ {context} }}}}{via} is expanded into the {where} before "
                "it runs, so whoever sets it can inject commands; pass it through `env:` and "
                'use "$VAR"',
                source.path,
                row,
                col,
                key=f"{step.job}\0{step.label}\0{inner}",
                fix=f'env:\n  VALUE: ${{{{ {context} }}}}\nrun: echo "$VALUE"',
            )

"""workflow/dangerous-triggers: privileged triggers that check out or run the PR's code."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import Document, WorkflowCheck
from forgegate.checks.workflow._yaml import Node, text
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

PRIVILEGED = ("pull_request_target", "workflow_run")
# refs and repositories that name the untrusted head of a pull request
_HEAD = re.compile(
    r"github\.event\.pull_request\.head\.(?:sha|ref|repo\.full_name)"
    r"|github\.head_ref"
    r"|github\.event\.workflow_run\.head_(?:sha|branch)"
    r"|github\.event\.workflow_run\.head_repository\.full_name"
    r"|refs/pull/[^\s'\"]*/(?:merge|head)"
    r"|github\.event\.number|github\.event\.pull_request\.number"
)
# shell commands that fetch or check out the PR head
_RUN = re.compile(r"\bgh\s+pr\s+checkout\b|\bgit\s+(?:fetch|checkout|switch|pull)\b[^\n]*")


@register
class DangerousTriggers(WorkflowCheck):
    rule = Rule(
        id="workflow/dangerous-triggers",
        title="Privileged trigger checks out untrusted pull-request code",
        severity=Severity.ERROR,
        summary="A `pull_request_target` or `workflow_run` workflow (secrets and a write token "
        "available) checks out or fetches the pull request's head, so the PR's code can run "
        "with those privileges.",
    )
    needles = (b"pull_request_target", b"workflow_run")

    def check_document(self, doc: Document, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        triggers = [t for t in doc.triggers if t in PRIVILEGED]
        if doc.kind != "workflow" or not triggers:
            return
        trigger = triggers[0]
        for step in doc.steps():
            hits: list[tuple[Node, str]] = []
            if step.action == "actions/checkout":
                for name in ("ref", "repository"):
                    node = step.with_(name)
                    value = text(node)
                    if node is not None and value and _HEAD.search(value):
                        hits.append((node, f"checks out {value.strip()}"))
            elif step.run is not None:
                for match in _RUN.finditer(step.run.value):
                    command = match.group(0)
                    if command.startswith("gh") or _HEAD.search(command):
                        hits.append((step.run, f"runs `{command.strip()}`"))
                        break
            for node, what in hits:
                yield self.at(
                    node,
                    f"{step.label}: a {trigger} workflow {what}: the pull request's code then "
                    "runs with this workflow's secrets and write token; split it into an "
                    "unprivileged pull_request workflow",
                    source,
                    key=f"{step.job}\0{step.label}\0{what}",
                    fix="check out the base (the default), or run the PR's code in a "
                    "`pull_request` workflow and pass results through an artifact",
                )

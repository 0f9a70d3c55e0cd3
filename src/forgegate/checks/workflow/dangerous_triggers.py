"""workflow/dangerous-triggers: privileged triggers that check out or run the PR's code."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import Document, Job, Step, WorkflowCheck
from forgegate.checks.workflow._yaml import Node, column, line, pairs, text
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

PRIVILEGED = ("pull_request_target", "workflow_run")
# refs and repositories that name the untrusted head of a pull request
_HEAD = re.compile(
    r"github\.event\.pull_request\.head\.(?:sha|ref|repo\.full_name)"
    r"|github\.head_ref"
    r"|github\.event\.workflow_run\.head_(?:sha|branch)"
    r"|github\.event\.workflow_run\.head_repository\.full_name"
    r"|\bpull/[^\s'\"]*/(?:merge|head)\b"
    r"|github\.event\.number|github\.event\.pull_request\.number",
    re.I,
)
# shell commands that fetch or check out a ref (the PR head when _HEAD is in them)
_GIT = re.compile(r"\bgit[ \t]+(?:\S+[ \t]+)*?(?:fetch|checkout|switch|pull|reset)\b[^\n;&|]*")
_GH = re.compile(r"\bgh\s+pr\s+checkout\b[^\n;&|]*")
_ENV_REF = re.compile(r"\$\{?([A-Za-z_]\w*)|\$\{\{\s*env\.([A-Za-z_][\w-]*)\s*\}\}")


def head_env(doc: Document, job: Job | None, step: Step) -> set[str]:
    """Names of environment variables (workflow, job or step ``env:``) set to a head ref."""
    names: set[str] = set()
    for env in (doc.get("env"), job.get("env") if job else None, step.get("env")):
        for key, value in pairs(env):
            if _HEAD.search(text(value) or ""):
                names.add(key.value)
    return names


def names_head(value: str, env: set[str]) -> bool:
    """Whether ``value`` names the PR head directly or through one of the ``env`` variables."""
    if _HEAD.search(value):
        return True
    return any((m.group(1) or m.group(2)) in env for m in _ENV_REF.finditer(value))


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
        for job in doc.jobs:
            for step in job.steps:
                for row, col, what in self._offences(doc, job, step):
                    yield self.finding(
                        f"{step.label}: this {trigger} workflow {what}: the pull request's "
                        "code then runs with the workflow's secrets and write token; test it "
                        "in a `pull_request` workflow instead",
                        source.path,
                        row,
                        col,
                        key=f"{step.job}\0{step.label}\0{what}",
                        fix="check out the base (the default), or run the PR's code in a "
                        "`pull_request` workflow and pass results through an artifact",
                    )

    def _offences(self, doc: Document, job: Job, step: Step) -> Iterator[tuple[int, int, str]]:
        """Where and how one step brings the PR's code in (at most once: one finding a step)."""
        env = head_env(doc, job, step)
        if step.action == "actions/checkout":
            for name in ("ref", "repository"):
                node: Node | None = step.with_(name)
                value = (text(node) or "").strip()
                if node is not None and value and names_head(value, env):
                    yield line(node), column(node), f"checks out {name} {value}"
                    return  # one finding per step
        elif step.run is not None:
            run = step.run.value
            commands = [m.group(0) for m in _GH.finditer(run)]
            commands += [m.group(0) for m in _GIT.finditer(run) if names_head(m.group(0), env)]
            if commands:
                first = min(commands, key=run.index).strip()
                yield line(step.run), column(step.run), f"runs `{first}`"

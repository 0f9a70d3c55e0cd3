"""workflow/credential-persistence: actions/checkout leaving the token in .git/config."""

from __future__ import annotations

from collections.abc import Iterator

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import Document, WorkflowCheck
from forgegate.checks.workflow._yaml import text
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register


@register
class CredentialPersistence(WorkflowCheck):
    rule = Rule(
        id="workflow/credential-persistence",
        title="actions/checkout persists credentials",
        severity=Severity.WARNING,
        summary="actions/checkout writes the job's token into .git/config unless "
        "`persist-credentials: false`; later steps, artifacts and caches can leak it.",
    )

    def check_document(self, doc: Document, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        for step in doc.steps():
            if step.action != "actions/checkout" or step.uses is None:
                continue
            value = (text(step.with_("persist-credentials")) or "").strip().lower()
            if value == "false":
                continue
            yield self.at(
                step.uses,
                f"{step.label}: actions/checkout keeps the token in .git/config; "
                "add `with: persist-credentials: false` (push with an explicit token if needed)",
                source,
                key=f"{step.job}\0{step.label}\0{text(step.uses)}",
                fix="with:\n  persist-credentials: false",
            )

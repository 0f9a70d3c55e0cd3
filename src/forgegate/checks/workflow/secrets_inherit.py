"""workflow/secrets-inherit: reusable workflow calls that pass every secret."""

from __future__ import annotations

from collections.abc import Iterator

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import Document, WorkflowCheck
from forgegate.checks.workflow._yaml import text
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register


@register
class SecretsInherit(WorkflowCheck):
    rule = Rule(
        id="workflow/secrets-inherit",
        title="Reusable workflow called with `secrets: inherit`",
        severity=Severity.WARNING,
        summary="`secrets: inherit` hands every secret of the caller to the called workflow, "
        "not just the ones it needs.",
    )

    def check_document(self, doc: Document, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        for job in doc.jobs:
            node = job.get("secrets")
            if job.uses is None or node is None or text(node) != "inherit":
                continue
            yield self.at(
                node,
                f"job {job.id}: `secrets: inherit` passes every secret to {text(job.uses)}; "
                "list only the secrets it needs under `secrets:`",
                source,
                key=f"{job.id}\0{text(job.uses)}",
                fix="secrets:\n  NEEDED_TOKEN: ${{ secrets.NEEDED_TOKEN }}",
            )

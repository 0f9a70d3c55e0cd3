"""workflow/hardcoded-credentials: literal registry passwords in container credentials."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import Document, WorkflowCheck
from forgegate.checks.workflow._yaml import Node, ScalarNode, get, pairs
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

_ONLY_EXPRESSION = re.compile(r"^\s*\$\{\{.*\}\}\s*$", re.S)


@register
class HardcodedCredentials(WorkflowCheck):
    rule = Rule(
        id="workflow/hardcoded-credentials",
        title="Container registry password written in the workflow",
        severity=Severity.ERROR,
        summary="`container.credentials.password` or a service's password is a literal instead "
        "of a `${{ secrets.* }}` reference.",
    )
    needles = (b"credentials",)

    def check_document(self, doc: Document, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        places: list[tuple[str, Node | None]] = []
        for job in doc.jobs:
            places.append((f"job {job.id} container", job.get("container", "credentials")))
            for name, service in pairs(job.get("services")):
                places.append((f"job {job.id} service {name.value}", get(service, "credentials")))
        for where, credentials in places:
            password = get(credentials, "password")
            if not isinstance(password, ScalarNode) or not password.value.strip():
                continue
            if _ONLY_EXPRESSION.match(password.value):
                continue
            # the message names the place, never the value
            yield self.at(
                password,
                f"{where}: the registry password is written in the workflow; anyone who can "
                "read the repository has it. Rotate it and use ${{ secrets.NAME }}",
                source,
                key=f"{where}\0password",
                fix="password: ${{ secrets.REGISTRY_PASSWORD }}",
            )

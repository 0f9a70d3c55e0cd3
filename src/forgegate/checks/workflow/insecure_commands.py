"""workflow/insecure-commands: ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables set-env/add-path."""

from __future__ import annotations

from collections.abc import Iterator

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import Document, WorkflowCheck
from forgegate.checks.workflow._yaml import Node, get, key_of, text
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

NAME = "ACTIONS_ALLOW_UNSECURE_COMMANDS"


@register
class InsecureCommands(WorkflowCheck):
    rule = Rule(
        id="workflow/insecure-commands",
        title="Deprecated insecure workflow commands enabled",
        severity=Severity.ERROR,
        summary="`ACTIONS_ALLOW_UNSECURE_COMMANDS` re-enables `::set-env` and `::add-path`, "
        "which let anything printed to the log change the environment of later steps.",
    )
    needles = (NAME.encode(),)

    def check_document(self, doc: Document, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        envs: list[tuple[str, Node | None]] = [("workflow", doc.get("env"))]
        for job in doc.jobs:
            envs.append((f"job {job.id}", job.get("env")))
            envs.append((f"job {job.id}", job.get("container", "env")))
        envs += [(f"{step.job or 'action'}: {step.label}", step.get("env")) for step in doc.steps()]
        for where, env in envs:
            key = key_of(env, NAME)
            if key is None:
                continue
            value = (text(get(env, NAME)) or "").strip().lower()
            # the runner reads it as a boolean: "true", "1" (and "$true"); "yes" is not true.
            # An expression may evaluate to true, so it is reported too.
            if value not in ("true", "1", "$true") and "${{" not in value:
                continue
            yield self.at(
                key,
                f"{where}: {NAME} re-enables ::set-env and ::add-path; remove it and write "
                "to $GITHUB_ENV / $GITHUB_PATH instead",
                source,
                key=where,
                fix=f"delete {NAME}; use: echo 'NAME=value' >> \"$GITHUB_ENV\"",
            )

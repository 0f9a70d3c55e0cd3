"""workflow/parse-error: a workflow or action file that is not valid YAML."""

from __future__ import annotations

from collections.abc import Iterator

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import WorkflowCheck, documents
from forgegate.checks.workflow._yaml import ParseError
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register


@register
class ParseErrorCheck(WorkflowCheck):
    rule = Rule(
        id="workflow/parse-error",
        title="Workflow or action file does not parse",
        severity=Severity.ERROR,
        summary="A workflow or action file is not valid YAML, so GitHub (and every audit) "
        "cannot read it.",
    )

    def check_file(self, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        docs = documents(source)
        if isinstance(docs, ParseError):
            where = f" at line {docs.line}" if docs.line else ""
            yield self.finding(
                f"not valid YAML{where}: {docs.message}; no workflow rule could check this file",
                source.path,
                docs.line,
                docs.column,
                key=docs.message,
                fix="fix the YAML syntax (actionlint or `python -c 'import yaml,sys; "
                "yaml.safe_load(open(sys.argv[1]))' FILE` shows the error)",
            )

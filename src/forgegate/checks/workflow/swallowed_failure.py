"""workflow/swallowed-failure: security and quality gates whose failure is ignored."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import Document, Step, WorkflowCheck
from forgegate.checks.workflow._yaml import ScalarNode, key_of, line, text
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

GATE_ACTIONS = re.compile(
    r"^(?:github/codeql-action/|pypa/gh-action-pip-audit|zizmorcore/zizmor-action"
    r"|aquasecurity/trivy-action|snyk/|returntocorp/semgrep-action|semgrep/"
    r"|ossf/scorecard-action|actions/dependency-review-action|super-linter/|github/super-linter"
    r"|pre-commit/action|astral-sh/ruff-action|chartboost/ruff-action|rhysd/actionlint"
    r"|reviewdog/|anchore/scan-action|forgegate/forgegate|golangci/golangci-lint-action"
    r"|trufflesecurity/trufflehog|gitleaks/gitleaks-action)",
    re.I,
)
_TOOLS = (
    r"pytest|py\.test|tox|nox|python3?\s+-m\s+(?:pytest|unittest|mypy|ruff|pip_audit|bandit)"
    r"|npm\s+(?:test|run\s+(?:test|lint)\S*)|yarn\s+(?:test|lint)|pnpm\s+(?:test|lint)"
    r"|cargo\s+(?:test|clippy|audit|deny)|go\s+(?:test|vet)|ruff|flake8|mypy|pyright|pylint|eslint"
    r"|bandit|pip-audit|safety|zizmor|actionlint|shellcheck|trivy|semgrep|gitleaks|make\s+(?:test|lint|check)"
    r"|pre-commit\s+run|forgegate\s+check"
)
# a gate command at a command position (line start, or after && ; | ( then do)
_GATE_COMMAND = re.compile(
    r"(?:^|&&|\|\||;|\||\(|\bthen\b|\bdo\b)\s*(?:sudo\s+|uv\s+run\s+|poetry\s+run\s+|pipx\s+run\s+)?"
    r"(?P<tool>" + _TOOLS + r")\b",
    re.M,
)
_SWALLOW = re.compile(r"\|\|\s*(?:true|:|exit\s+0|echo\b[^\n]*)\s*$|;\s*exit\s+0\s*$")


def _logical_lines(script: str) -> Iterator[tuple[int, str]]:
    """(index of the first physical line, logical line) with ``\\`` continuations joined."""
    lines = script.split("\n")
    index = 0
    while index < len(lines):
        start, parts = index, [lines[index]]
        while parts[-1].rstrip().endswith("\\") and index + 1 < len(lines):
            parts[-1] = parts[-1].rstrip()[:-1]
            index += 1
            parts.append(lines[index])
        yield start, " ".join(parts)
        index += 1


def runs_gate(step: Step) -> str | None:
    """The gate a step runs (by action or by command), or ``None``."""
    uses = step.action
    if uses and GATE_ACTIONS.match(uses):
        return uses
    if step.run is not None:
        match = _GATE_COMMAND.search(step.run.value)
        if match:
            return match.group("tool")
    return None


@register
class SwallowedFailure(WorkflowCheck):
    rule = Rule(
        id="workflow/swallowed-failure",
        title="Failure of a security or quality gate is ignored",
        severity=Severity.WARNING,
        summary="`continue-on-error: true`, `|| true` or `; exit 0` hides the failure of a "
        "scanner, audit, test or lint step, so the check can never fail.",
    )

    def check_document(self, doc: Document, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        for job in doc.jobs:
            flag = job.get("continue-on-error")
            if text(flag) == "true":
                gates = [g for g in (runs_gate(s) for s in job.steps) if g]
                if gates:
                    yield self.at(
                        key_of(job.node, "continue-on-error") or job.key,
                        f"job {job.id} runs {gates[0]} with `continue-on-error: true`: its "
                        "failure never fails the workflow; remove it (or make the job optional "
                        "in branch protection instead)",
                        source,
                        key=f"{job.id}\0job\0{gates[0]}",
                    )
        for step in doc.steps():
            gate = runs_gate(step)
            if gate is None:
                continue
            if text(step.get("continue-on-error")) == "true":
                yield self.at(
                    key_of(step.node, "continue-on-error") or step.node,
                    f"{step.label} runs {gate} with `continue-on-error: true`: a failing check "
                    "passes; remove it",
                    source,
                    key=f"{step.job}\0{step.label}\0coe",
                )
            if step.run is not None:
                yield from self._swallowed_commands(step, step.run, source)

    def _swallowed_commands(
        self, step: Step, run: ScalarNode, source: SourceFile
    ) -> Iterator[Finding]:
        first = line(run) + (1 if run.style in ("|", ">") else 0)
        for index, logical in _logical_lines(run.value):
            gate = _GATE_COMMAND.search(logical)
            if gate is None:
                continue
            swallow = _SWALLOW.search(logical, gate.end())
            if swallow is None:
                continue
            row = first + index if run.style in ("|", ">") else line(run)
            yield self.finding(
                f"{step.label}: `{gate.group('tool')} … {swallow.group(0).strip()}` turns the "
                "check's failure into success; let it fail (or mark the job optional)",
                source.path,
                row,
                None,
                key=f"{step.job}\0{step.label}\0{logical.strip()}",
            )

"""workflow/unpinned-uses: actions and reusable workflows not pinned to a full commit SHA."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from typing import Any, ClassVar

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import Document, WorkflowCheck
from forgegate.checks.workflow._yaml import ScalarNode
from forgegate.dockerfile import DIGEST
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
SHORT_SHA = re.compile(r"^[0-9a-f]{7,39}$")


def problem(uses: str, allowed: list[str]) -> str | None:
    """Why ``uses`` is not pinned, or ``None`` when it is (or need not be)."""
    if uses.startswith(("./", "$/")):
        return None  # this repository (`$/` is the same repository at the same commit)
    if uses.startswith("docker://"):
        return None if DIGEST.search(uses) else "a Docker image without an @sha256: digest"
    if "${{" in uses:
        return "an expression, which cannot be pinned or audited"
    target, at, ref = uses.partition("@")
    if not at or not ref:
        return "no ref at all"
    if FULL_SHA.match(ref):
        return None
    owner_repo = "/".join(target.split("/")[:2]).lower()
    if any(fnmatch.fnmatchcase(owner_repo, pattern.lower()) for pattern in allowed):
        return None
    if SHORT_SHA.match(ref):
        return f"a short SHA ({ref}), which can become ambiguous"
    return f"the mutable ref {ref!r} (a tag or branch can be moved to other code)"


@register
class UnpinnedUses(WorkflowCheck):
    rule = Rule(
        id="workflow/unpinned-uses",
        title="Action or reusable workflow not pinned to a commit SHA",
        severity=Severity.ERROR,
        summary="`uses:` refers to a tag, branch or short SHA; whoever controls that ref "
        "controls the code your job runs.",
    )
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "allow-ref-pins": {
                "description": "owner/repo globs that may be pinned by tag (e.g. actions/*).",
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": [],
            }
        },
    }

    def check_document(self, doc: Document, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        allowed = list(self.options.get("allow-ref-pins", []))
        nodes: list[tuple[str, ScalarNode]] = [
            (job.id, job.uses) for job in doc.jobs if job.uses is not None
        ]
        nodes += [(step.job or "", step.uses) for step in doc.steps() if step.uses is not None]
        for where, node in nodes:
            uses = str(node.value).strip()
            why = problem(uses, allowed)
            if why is None:
                continue
            yield self.at(
                node,
                f"`uses: {uses}` is pinned to {why}; pin the full 40-character commit SHA "
                "and keep the version in a comment",
                source,
                key=f"{where}\0{uses}",
                fix="forgegate fix pins --write (rewrites to @<sha> # <ref>)",
            )

"""workflow/excessive-permissions: default token permissions, write-all, unneeded writes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import Document, Job, WorkflowCheck
from forgegate.checks.workflow._yaml import MappingNode, Node, key_of, pairs, text
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

# actions and commands that use an OIDC token (id-token: write)
_OIDC = re.compile(
    r"sigstore|attest|pypi-publish|aws-actions/configure-aws-credentials|google-github-actions/auth"
    r"|azure/login|hashicorp/vault-action|ACTIONS_ID_TOKEN_REQUEST|id-token|oidc|cosign|slsa"
    r"|npm publish --provenance|trusted.publish|release",
    re.I,
)
# signs that a job writes to the repository (contents: write)
_WRITES = re.compile(
    r"git\s+push|git\s+tag|gh\s+(?:release|pr|api|repo)|softprops/action-gh-release"
    r"|ncipollo/release-action|release|publish|deploy|changesets|peter-evans/create-pull-request"
    r"|stefanzweifel/git-auto-commit-action|EndBug/add-and-commit|ad-m/github-push-action"
    r"|upload-release|pages|github-script|semantic-release|bump|commit|tag",
    re.I,
)


#: actions known not to push, release or request an OIDC token: a job made only of these and
#: `run:` steps can be judged; any other action could use the scope, so it is not reported
INERT_ACTIONS = (
    "actions/checkout",
    "actions/setup-",
    "actions/cache",
    "actions/upload-artifact",
    "actions/download-artifact",
    "./",
)


def _job_text(job: Job) -> str:
    parts = [text(job.uses) or ""]
    for step in job.steps:
        parts += [text(step.uses) or "", text(step.run) or "", text(step.get("name")) or ""]
        parts += [text(v) or "" for _, v in pairs(step.get("with"))]
    parts.append(job.id)
    return "\n".join(parts)


@register
class ExcessivePermissions(WorkflowCheck):
    rule = Rule(
        id="workflow/excessive-permissions",
        title="Workflow token has more permissions than it needs",
        severity=Severity.WARNING,
        summary="No `permissions:` (the repository default, often read-write), `write-all`, write "
        "scopes at workflow level, or a job's write scope that nothing in it uses.",
    )

    def check_document(self, doc: Document, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        if doc.kind != "workflow" or not doc.jobs:
            return
        top = doc.get("permissions")
        if top is None and all(job.get("permissions") is None for job in doc.jobs):
            first_key = next(iter(pairs(doc.root)))[0]
            yield self.at(
                first_key,
                "the workflow has no top-level `permissions:`: every job without its own block "
                "gets the repository's default token; add `permissions: {}` at the top",
                source,
                key="workflow\0default",
                fix="permissions: {}",
            )
        if top is not None:
            yield from self._blanket(top, "workflow", source)
            if isinstance(top, MappingNode):
                for scope, value in pairs(top):
                    if text(value) == "write":
                        yield self.at(
                            scope,
                            f"workflow-level `{scope.value}: write` applies to every job; grant "
                            "it only in the jobs that need it and set `permissions: {}` on top",
                            source,
                            key=f"workflow\0{scope.value}",
                        )
        for job in doc.jobs:
            node = job.get("permissions")
            if node is None:
                if top is None:
                    yield self.at(
                        job.key,
                        f"job {job.id} runs with the default GITHUB_TOKEN permissions (read-write "
                        "on many repositories); declare `permissions:` with only what it needs",
                        source,
                        key=f"{job.id}\0default",
                        fix="permissions:\n  contents: read",
                    )
                continue
            yield from self._blanket(node, f"job {job.id}", source)
            if isinstance(node, MappingNode):
                yield from self._unused_writes(job, node, source)

    def _blanket(self, node: Node, where: str, source: SourceFile) -> Iterator[Finding]:
        blanket = text(node)
        if blanket in ("write-all", "read-all"):
            what = (
                "read-write"
                if blanket == "write-all"
                else "read (private issues, packages, security events...)"
            )
            yield self.at(
                node,
                f"{where} grants `{blanket}`: every scope, {what}; list the scopes it needs",
                source,
                key=f"{where}\0{blanket}",
                fix="permissions:\n  contents: read",
            )

    def _unused_writes(self, job: Job, node: MappingNode, source: SourceFile) -> Iterator[Finding]:
        if job.uses is not None or any(
            step.action and not step.action.startswith(INERT_ACTIONS) for step in job.steps
        ):
            return  # any other action may use the token's write scopes or request an OIDC token
        body = _job_text(job)
        checks = {"id-token": _OIDC, "contents": _WRITES}
        for scope, pattern in checks.items():
            value = text(_get(node, scope))
            if value != "write" or pattern.search(body):
                continue
            key = key_of(node, scope)
            why = (
                "no step requests an OIDC token (no signing, attestation, trusted publishing "
                "or cloud login)"
                if scope == "id-token"
                else "no step pushes, tags, releases, publishes or deploys"
            )
            yield self.at(
                key or node,
                f"job {job.id} has `{scope}: write` but {why}; use `{scope}: read` or drop it",
                source,
                key=f"{job.id}\0{scope}",
            )


def _get(node: MappingNode, name: str) -> Node | None:
    for key, value in pairs(node):
        if key.value == name:
            return value
    return None

"""workflow/unpinned-images: job containers, services and Docker actions without a digest."""

from __future__ import annotations

from collections.abc import Iterator

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import Document, WorkflowCheck
from forgegate.checks.workflow._yaml import Node, ScalarNode, get, pairs, text
from forgegate.dockerfile import DIGEST
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register


@register
class UnpinnedImages(WorkflowCheck):
    rule = Rule(
        id="workflow/unpinned-images",
        title="Container image not pinned by digest",
        severity=Severity.ERROR,
        summary="A job container, service container or Docker action image is referenced by a "
        "tag, which its publisher can move to another image.",
    )

    def check_document(self, doc: Document, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        images: list[tuple[str, Node | None]] = []
        for job in doc.jobs:
            container = job.get("container")
            images.append((f"job {job.id} container", get(container, "image") or container))
            for name, service in pairs(job.get("services")):
                images.append((f"job {job.id} service {name.value}", get(service, "image")))
        if doc.kind == "action" and (text(doc.get("runs", "using")) or "").lower() == "docker":
            image = doc.get("runs", "image")
            value = (text(image) or "").strip()
            # docker://image, or an image reference with a tag or digest; a Dockerfile path has
            # neither (it is built from the action's own sources)
            if value.startswith("docker://") or (":" in value and "/" in value.split(":")[0]):
                images.append(("Docker action", image))
        for where, node in images:
            if not isinstance(node, ScalarNode) or not node.value.strip():
                continue
            image = node.value.strip().removeprefix("docker://")
            if DIGEST.search(image):
                continue
            if "${{" in image:
                why = "comes from an expression, so its digest cannot be verified here"
            else:
                why = "is referenced by tag, not by @sha256: digest"
            yield self.at(
                node,
                f"{where}: image {image} {why}; pin it as image@sha256:<digest> # <tag>",
                source,
                key=f"{where}\0{image}",
                fix="docker buildx imagetools inspect IMAGE:TAG shows the digest to pin",
            )

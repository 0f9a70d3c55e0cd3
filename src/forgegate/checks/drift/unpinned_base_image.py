"""drift/unpinned-base-image: Dockerfile ``FROM`` images without an ``@sha256:`` digest."""

from __future__ import annotations

from collections.abc import Iterator

from forgegate.checks.base import Context, FileCheck, SourceFile
from forgegate.dockerfile import DIGEST, PATTERNS, base_images, global_args, variables_in
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

FIX = "docker buildx imagetools inspect IMAGE:TAG prints the digest; write IMAGE:TAG@sha256:..."


@register
class UnpinnedBaseImage(FileCheck):
    rule = Rule(
        id="drift/unpinned-base-image",
        title="Dockerfile base image not pinned by digest",
        severity=Severity.WARNING,
        summary="A Dockerfile `FROM` (or the build argument it uses) names an image by tag, "
        "which its publisher can move, so two builds of one commit get different images.",
    )
    patterns = PATTERNS
    needles = (b"FROM", b"from")

    def check_file(self, source: SourceFile, ctx: Context) -> Iterator[Finding]:
        text = source.text
        args = global_args(text)
        reported: set[str] = set()
        for inst, image, resolved in base_images(text):
            if resolved is not None and DIGEST.search(resolved):
                continue
            offset = text.find(image, inst.offset)
            line, column = source.line_at(offset), source.column_at(offset)
            message = f"FROM {resolved} is referenced by tag, not by @sha256: digest"
            key = f"FROM {image}"
            if resolved is None:
                message = (
                    f"FROM {image}: a build argument it uses has no default, so the image "
                    "cannot be checked; give the ARG a default pinned by @sha256: digest"
                )
            else:
                defaults = [n for n in variables_in(image) if args.get(n, (None,))[0] is not None]
                if defaults:  # report where the default is written, once per ARG
                    name = defaults[0]
                    default, arg = args[name]
                    if name in reported:
                        continue
                    reported.add(name)
                    offset = text.find(f"{name}=", arg.offset)
                    offset = offset if offset != -1 else arg.offset
                    line, column = source.line_at(offset), source.column_at(offset)
                    message = (
                        f"ARG {name}={default} (the base image of FROM on line {inst.line}) is "
                        "not pinned by @sha256: digest"
                    )
                    key = f"ARG {name}={default}"
            yield self.finding(message, source.path, line, column, key=key, fix=FIX)

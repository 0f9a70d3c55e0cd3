"""drift/unpinned-base-image: a Dockerfile ``FROM`` without an ``@sha256:`` digest."""

from __future__ import annotations

import re
from collections.abc import Iterable

from forgegate.checks.base import Context, FileCheck, SourceFile
from forgegate.checks.dockerfile import PATTERNS, instructions
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_VARIABLE = re.compile(
    r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+]([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)"
)


def _substitute(image: str, args: dict[str, str]) -> tuple[str, list[str]]:
    """``image`` with ``$X``/``${X}``/``${X:-default}`` replaced from the ARG defaults; the
    names that have no value are returned too."""
    unknown: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        if name in args:
            return args[name]
        if match.group(2) is not None:
            return match.group(2)
        unknown.append(name)
        return match.group(0)

    return _VARIABLE.sub(value, image), unknown


@register
class UnpinnedBaseImage(FileCheck):
    rule = Rule(
        id="drift/unpinned-base-image",
        title="Dockerfile base image not pinned by digest",
        severity=Severity.WARNING,
        summary="A FROM names an image by tag only; the tag can be moved to another image, so "
        "two builds of the same commit can differ.",
    )
    patterns = PATTERNS
    needles = (b"FROM", b"from")

    def check_file(self, source: SourceFile, ctx: Context) -> Iterable[Finding]:
        args: dict[str, str] = {}
        stages: set[str] = set()
        for ins in instructions(source.text):
            if ins.keyword == "ARG":
                name, _, default = ins.args.partition("=")
                if default:
                    args[name.strip()] = default.strip().strip("\"'")
                continue
            if ins.keyword != "FROM":
                continue
            words = [w for w in ins.args.split() if not w.startswith("--")]
            if not words:
                continue
            image = words[0]
            alias = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
            resolved, unknown = _substitute(image, args)
            earlier_stage = resolved.lower() in stages
            if alias:
                stages.add(alias)
            if resolved.lower() == "scratch" or earlier_stage:
                continue
            if _DIGEST.search(resolved):
                continue
            if unknown:
                why = f"comes from ARG {', '.join(unknown)} without a default"
            elif resolved != image:
                why = f"resolves to {resolved}, a tag"
            else:
                why = "is a tag"
            yield self.finding(
                f"FROM {image} {why}, not an @sha256: digest; pin it as "
                f"{resolved.split('@')[0]}@sha256:<digest> and keep the tag in a comment",
                source.path,
                ins.line,
                key=f"FROM\0{image}",
                fix="docker buildx imagetools inspect IMAGE:TAG prints the digest to pin",
            )

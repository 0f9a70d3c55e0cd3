"""Inline suppressions: ``# forgegate: ignore[hygiene/secrets, workflow/unpinned-uses] why``.

A suppression covers findings on its own line and on the line below it (a comment above the
offending line). The reason is required: a suppression without one does not apply and is itself
reported (``policy/suppression-without-reason``).

zizmor's own comments (``# zizmor: ignore[unpinned-uses]``) are honoured too, so repositories
that already use zizmor keep their suppressions: audit names map to forgegate's workflow rules,
names without a forgegate counterpart are ignored, and no reason is required (zizmor asks none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKER = b"forgegate: ignore["
ZIZMOR_MARKER = b"zizmor: ignore["
_PATTERN = re.compile(r"forgegate:\s*ignore\[([^\]]*)\]([^\n]*)")
_ZIZMOR = re.compile(r"zizmor:\s*ignore\[([^\]]*)\]([^\n]*)")
#: zizmor audit name -> forgegate rule id
ZIZMOR_AUDITS = {
    "unpinned-uses": "workflow/unpinned-uses",
    "unpinned-images": "workflow/unpinned-images",
    "excessive-permissions": "workflow/excessive-permissions",
    "template-injection": "workflow/template-injection",
    "dangerous-triggers": "workflow/dangerous-triggers",
    "artipacked": "workflow/credential-persistence",
    "secrets-inherit": "workflow/secrets-inherit",
    "insecure-commands": "workflow/insecure-commands",
    "hardcoded-container-credentials": "workflow/hardcoded-credentials",
}
_TRAILERS = re.compile(r"\s*(?:-->|\*/|#}|%>)\s*$")


@dataclass(frozen=True)
class Suppression:
    path: str
    line: int
    rule_ids: tuple[str, ...]
    reason: str

    def covers(self, rule_id: str, line: int | None) -> bool:
        return line in (self.line, self.line + 1) and rule_id in self.rule_ids


def parse_suppressions(path: str, text: str) -> list[Suppression]:
    """Every suppression comment in ``text`` (callers pre-filter on ``MARKER`` and
    ``ZIZMOR_MARKER``, which the engine's needle search looks for)."""
    found: list[Suppression] = []
    for match in _ZIZMOR.finditer(text):
        names = [part.strip() for part in match.group(1).split(",")]
        ids = tuple(ZIZMOR_AUDITS[n] for n in names if n in ZIZMOR_AUDITS)
        if ids:
            line = text.count("\n", 0, match.start()) + 1
            reason = _TRAILERS.sub("", match.group(2)).strip() or "zizmor: ignore comment"
            found.append(Suppression(path, line, ids, reason))
    for match in _PATTERN.finditer(text):
        ids = tuple(part.strip() for part in match.group(1).split(",") if part.strip())
        reason = _TRAILERS.sub("", match.group(2)).strip()
        line = text.count("\n", 0, match.start()) + 1
        found.append(Suppression(path, line, ids, reason))
    return found

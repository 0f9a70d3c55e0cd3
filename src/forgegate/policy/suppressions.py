"""Inline suppressions: ``# forgegate: ignore[rule-id, other/rule] reason``.

A suppression covers findings on its own line and on the line below it (a comment above the
offending line). The reason is required: a suppression without one does not apply and is itself
reported (``policy/suppression-without-reason``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MARKER = b"forgegate: ignore["
_PATTERN = re.compile(r"forgegate:\s*ignore\[([^\]]*)\]([^\n]*)")
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
    """Every suppression comment in ``text`` (callers pre-filter on :data:`MARKER`)."""
    found: list[Suppression] = []
    for match in _PATTERN.finditer(text):
        ids = tuple(part.strip() for part in match.group(1).split(",") if part.strip())
        reason = _TRAILERS.sub("", match.group(2)).strip()
        line = text.count("\n", 0, match.start()) + 1
        found.append(Suppression(path, line, ids, reason))
    return found

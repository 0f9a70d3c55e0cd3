"""hygiene/merge-conflict-markers: unresolved merge conflicts committed."""

from __future__ import annotations

import re
from collections.abc import Iterable

from forgegate.checks.base import Context, FileCheck, SourceFile
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register

# <<<<<<< and >>>>>>> are followed by a label (or end the line); ||||||| opens the diff3 base
_MARKER = re.compile(r"^(?:<{7}(?: .*)?|>{7}(?: .*)?|\|{7}(?: .*)?|={7})$", re.M)


@register
class MergeConflictMarkers(FileCheck):
    rule = Rule(
        id="hygiene/merge-conflict-markers",
        title="Merge conflict markers committed",
        severity=Severity.ERROR,
        summary="`<<<<<<<`, `=======`, `>>>>>>>` lines of an unresolved merge are in a file.",
    )
    needles = (b"<<<<<<<", b">>>>>>>")

    def check_file(self, source: SourceFile, ctx: Context) -> Iterable[Finding]:
        matches = list(_MARKER.finditer(source.text))
        # "=======" alone is a reStructuredText/Markdown underline; it counts only beside the
        # opening or closing marker of a conflict
        if not any(m.group(0)[0] in "<>" for m in matches):
            return
        for match in matches:
            marker = match.group(0)[:7]
            yield self.finding(
                f"merge conflict marker {marker!r}: the merge was never resolved; pick the right "
                "side and delete the markers",
                source.path,
                source.line_at(match.start()),
                1,
                key=match.group(0),
            )

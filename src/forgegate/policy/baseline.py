"""The baseline: fingerprints of accepted, pre-existing findings.

Only findings whose fingerprint is not in the baseline fail a pull request; the report counts
the baselined ones so a team can watch them burn down. ``forgegate baseline update`` rewrites it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from forgegate.atomic import write_atomic
from forgegate.errors import UsageError
from forgegate.model import Finding

FORMAT = "forgegate-baseline"
VERSION = 1


@dataclass(frozen=True)
class Baseline:
    path: Path | None
    fingerprints: frozenset[str]

    def __contains__(self, finding: object) -> bool:
        return isinstance(finding, Finding) and finding.fingerprint in self.fingerprints


EMPTY = Baseline(None, frozenset())


def load_baseline(path: Path) -> Baseline:
    """Read a baseline; a missing file is an empty baseline, a foreign file is a usage error."""
    if not path.exists():
        return Baseline(path, frozenset())
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UsageError(
            f"{path}: not a forgegate baseline ({err}); recreate it with: forgegate baseline update"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise UsageError(
            f'{path}: not a forgegate baseline (no "format": "{FORMAT}"); '
            "point --baseline at another file or recreate it with: forgegate baseline update"
        )
    if doc.get("version") != VERSION:
        raise UsageError(f"{path}: baseline version {doc.get('version')!r} is not {VERSION}")
    entries = doc.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise UsageError(f'{path}: baseline "findings" must be a list of {{fingerprint, ...}}')
    return Baseline(path, frozenset(e["fingerprint"] for e in entries))


def render_baseline(findings: Iterable[Finding]) -> str:
    entries = sorted(
        (
            {"fingerprint": f.fingerprint, "rule": f.rule_id, "path": f.location.path}
            for f in findings
        ),
        key=lambda e: (e["path"], e["rule"], e["fingerprint"]),
    )
    doc = {"format": FORMAT, "version": VERSION, "findings": entries}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    text = render_baseline(findings)
    write_atomic(path, text)
    return text.count('"fingerprint"')

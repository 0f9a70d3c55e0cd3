"""Shared views of a run's findings for the report formats."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from forgegate.model import Finding, Severity

if TYPE_CHECKING:
    from forgegate.gate import GateRun

STATUSES = ("new", "baselined", "suppressed", "waived")


def with_status(run: GateRun) -> Iterator[tuple[str, Finding]]:
    """Every finding of the run with what the policy made of it, in report order."""
    outcome = run.outcome
    groups = {
        "new": outcome.new,
        "baselined": outcome.baselined,
        "suppressed": outcome.suppressed,
        "waived": outcome.waived,
    }
    for status in STATUSES:
        for finding in sorted(groups[status], key=Finding.sort_key):
            yield status, finding


def counts(run: GateRun) -> dict[str, int]:
    outcome = run.outcome
    by_severity = Counter(f.severity for f in outcome.new)
    return {
        "new": len(outcome.new),
        "failing": len(outcome.failing),
        "baselined": len(outcome.baselined),
        "suppressed": len(outcome.suppressed),
        "waived": len(outcome.waived),
        **{s.label: by_severity.get(s, 0) for s in sorted(Severity, reverse=True)},
    }


def skipped_counts(run: GateRun) -> dict[str, int]:
    return dict(sorted(Counter(s.reason for s in run.scan.skipped).items()))

"""The human report: one line per finding, then the counts; rich colours on a terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from forgegate.report.findings import counts, skipped_counts

if TYPE_CHECKING:
    from forgegate.gate import GateRun


def _summary_lines(run: GateRun) -> list[str]:
    c = counts(run)
    verdict = "FAILED" if run.outcome.failed else "passed"
    lines = [
        f"forgegate: {verdict}: {c['new']} new finding(s) "
        f"({c['error']} error, {c['warning']} warning, {c['note']} note), "
        f"{c['failing']} at or above fail-on={run.outcome.fail_on.label}",
        f"  baselined {c['baselined']}, suppressed {c['suppressed']}, waived {c['waived']}; "
        f"{len(run.scan.paths)} paths, {run.scan.files_read} files read, "
        f"{run.seconds:.2f}s",
    ]
    skipped = skipped_counts(run)
    if skipped:
        parts = ", ".join(f"{n} {reason}" for reason, n in skipped.items())
        lines.append(f"  not read by content rules: {parts} (see --format json for the list)")
    return lines


def render_text(run: GateRun) -> str:
    """Plain text, stable and greppable: ``path:line:col: severity [rule] message``."""
    out = []
    for f in run.outcome.new:
        out.append(f"{f.location}: {f.severity.label} [{f.rule_id}] {f.message}")
    out.extend(_summary_lines(run))
    return "\n".join(out) + "\n"


def print_rich(run: GateRun, stream: TextIO = sys.stdout) -> None:
    """The same report for a terminal: a coloured table grouped by file."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=stream)
    style = {"error": "bold red", "warning": "yellow", "note": "cyan"}
    if run.outcome.new:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("location", overflow="fold")
        table.add_column("severity")
        table.add_column("rule")
        table.add_column("message", overflow="fold")
        for f in run.outcome.new:
            sev = f.severity.label
            table.add_row(
                Text(str(f.location)),
                Text(sev, style=style[sev]),
                Text(f.rule_id),
                Text(f.message),
            )
        console.print(table)
    head, *rest = _summary_lines(run)
    console.print(Text(head, style="bold red" if run.outcome.failed else "bold green"))
    for line in rest:
        console.print(line, highlight=False, markup=False)

"""The Markdown step summary (``$GITHUB_STEP_SUMMARY``): verdict, counts, the top findings."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from forgegate.atomic import write_atomic
from forgegate.report.findings import counts, skipped_counts

if TYPE_CHECKING:
    from forgegate.gate import GateRun

#: GitHub caps a step summary at 1 MiB; a long table helps nobody anyway
MAX_ROWS = 50


def markdown_cell(text: str) -> str:
    """Escape what would break a Markdown table cell or start HTML."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace("\n", " ")
        .replace("`", "'")
    )


def render_summary(run: GateRun) -> str:
    c = counts(run)
    outcome = run.outcome
    icon = ":x:" if outcome.failed else ":white_check_mark:"
    verdict = "failed" if outcome.failed else "passed"
    lines = [
        f"## {icon} forgegate {verdict}",
        "",
        f"{c['new']} new finding(s), {c['failing']} at or above `{outcome.fail_on.label}`; "
        f"families: {', '.join(run.families) or 'none'}.",
        "",
        "| | error | warning | note |",
        "|---|---:|---:|---:|",
        f"| new | {c['error']} | {c['warning']} | {c['note']} |",
    ]
    for status in ("baselined", "suppressed", "waived"):
        by = Counter(f.severity.label for f in getattr(outcome, status))
        lines.append(
            f"| {status} | {by.get('error', 0)} | {by.get('warning', 0)} | {by.get('note', 0)} |"
        )
    by_family = Counter(f.rule_id.split("/", 1)[0] for f in outcome.new)
    if by_family:
        lines += [
            "",
            "New findings by family: "
            + ", ".join(f"{family} {n}" for family, n in sorted(by_family.items())),
        ]
    if outcome.new:
        lines += ["", "| severity | rule | location | message |", "|---|---|---|---|"]
        ranked = sorted(outcome.new, key=lambda f: (-f.severity, f.sort_key()))
        for f in ranked[:MAX_ROWS]:
            rule = (
                f"[{f.rule_id}]({run.rules[f.rule_id].docs_url})"
                if f.rule_id in run.rules
                else f.rule_id
            )
            lines.append(
                f"| {f.severity.label} | {rule} | `{markdown_cell(str(f.location))}` "
                f"| {markdown_cell(f.message)} |"
            )
        if len(ranked) > MAX_ROWS:
            lines += ["", f"… and {len(ranked) - MAX_ROWS} more (see the SARIF or JSON report)."]
    skipped = skipped_counts(run)
    if skipped:
        parts = ", ".join(f"{n} {reason}" for reason, n in skipped.items())
        lines += ["", f"Not read by content rules: {parts}."]
    return "\n".join(lines) + "\n\n"


def append_summary(path: Path, run: GateRun) -> None:
    """Append to the summary file (other steps write to it too), atomically."""
    try:
        previous = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        previous = ""
    write_atomic(path, previous + render_summary(run))

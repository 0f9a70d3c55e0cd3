"""Texts for GitHub built from a JSON report (docs/json-report.md): the check run's title and
Markdown summary, the commit status's one-line description and the sticky PR comment.

They read the report document, not a live run, so ``forgegate report github`` can publish a
report written by an earlier step (or job).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from forgegate.report.summary import markdown_cell as _cell

SEVERITIES = ("error", "warning", "note")
ACCEPTED = ("baselined", "suppressed", "waived")
#: rows in the "top findings" table of the summary and the comment
TOP_FINDINGS = 20
#: annotations sent per check run at most (20 requests); the rest are counted in the summary
ANNOTATION_CAP = 1000
#: GitHub's limits: check run output.summary / a commit status description
SUMMARY_LIMIT = 65535
DESCRIPTION_LIMIT = 140


def findings(doc: dict[str, Any], status: str | None = None) -> list[dict[str, Any]]:
    """The report's findings (those with ``status`` when given), in report order."""
    items = [f for f in doc.get("findings") or [] if isinstance(f, dict)]
    return [f for f in items if status is None or f.get("status") == status]


def failed(doc: dict[str, Any]) -> bool:
    return bool((doc.get("result") or {}).get("failed"))


def _count(doc: dict[str, Any], key: str) -> int:
    value = ((doc.get("result") or {}).get("counts") or {}).get(key)
    return value if isinstance(value, int) else 0


def _rank(f: dict[str, Any]) -> tuple[int, str, int, str]:
    sev = SEVERITIES.index(f["severity"]) if f.get("severity") in SEVERITIES else len(SEVERITIES)
    return (sev, str(f.get("path") or ""), int(f.get("line") or 0), str(f.get("rule") or ""))


def _location(f: dict[str, Any]) -> str:
    path = str(f.get("path") or "")
    line = f.get("line")
    return f"{path}:{line}" if path and line else path or "(repository)"


def _by_severity(items: list[dict[str, Any]]) -> str:
    by = Counter(str(f.get("severity")) for f in items)
    return ", ".join(f"{by[s]} {s}" for s in SEVERITIES if by[s]) or "none"


def conclusion(doc: dict[str, Any]) -> str:
    """``failure`` iff the report failed; ``neutral`` when it passed with new findings below
    the fail level (shown, not blocking); else ``success``."""
    if failed(doc):
        return "failure"
    return "neutral" if findings(doc, "new") else "success"


def title(doc: dict[str, Any]) -> str:
    new = findings(doc, "new")
    verdict = "failed" if failed(doc) else "passed"
    if not new:
        return f"forgegate {verdict}: no new findings"
    return f"forgegate {verdict}: {len(new)} new finding(s) ({_by_severity(new)})"


def one_line(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """``text`` on one line, at most ``limit`` characters, cut with "…" when longer."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def status_description(doc: dict[str, Any]) -> str:
    """The title, then the worst new finding (or what the policy accepted): one line of at most
    140 characters, GitHub's limit."""
    text = title(doc)
    new = findings(doc, "new")
    accepted = sum(_count(doc, s) for s in ACCEPTED)
    if new:
        top = min(new, key=_rank)
        text += f"; top: {top.get('rule')} at {_location(top)}"
    elif accepted:
        text += f"; {accepted} baselined/suppressed/waived"
    return one_line(text)


def _table(doc: dict[str, Any]) -> list[str]:
    lines = ["| | error | warning | note |", "|---|---:|---:|---:|"]
    for status in ("new", *ACCEPTED):
        by = Counter(str(f.get("severity")) for f in findings(doc, status))
        lines.append(f"| {status} | {by['error']} | {by['warning']} | {by['note']} |")
    return lines


def _top(items: list[dict[str, Any]], limit: int) -> list[str]:
    lines = ["| severity | rule | location | message |", "|---|---|---|---|"]
    for f in sorted(items, key=_rank)[:limit]:
        lines.append(
            f"| {f.get('severity')} | `{_cell(str(f.get('rule')))}` "
            f"| `{_cell(_location(f))}` | {_cell(str(f.get('message') or ''))} |"
        )
    if len(items) > limit:
        lines += ["", f"… and {len(items) - limit} more (see the annotations or the JSON report)."]
    return lines


def summary(doc: dict[str, Any], *, annotated: int, annotatable: int) -> str:
    """The check run's Markdown summary; ``annotated`` of ``annotatable`` new findings with a
    path were sent as annotations (fewer when over the cap)."""
    new = findings(doc, "new")
    result = doc.get("result") or {}
    fail_on = (doc.get("policy") or {}).get("fail-on", "error")
    families = ", ".join(str(x) for x in result.get("families") or []) or "none"
    lines = [
        f"**{len(new)}** new finding(s), **{_count(doc, 'failing')}** at or above "
        f"`{fail_on}`; families: {families}.",
        "",
        *_table(doc),
    ]
    by_family = Counter(str(f.get("rule") or "").split("/", 1)[0] for f in new)
    if by_family:
        lines += [
            "",
            "New findings by family: "
            + ", ".join(f"{family} {n}" for family, n in sorted(by_family.items())),
        ]
    if new:
        lines += ["", "### Top findings", "", *_top(new, TOP_FINDINGS)]
    if annotated < annotatable:
        lines += [
            "",
            f"**{annotatable - annotated} finding(s) are not annotated**: {annotated} of "
            f"{annotatable} annotations were sent (the cap); the JSON or SARIF report has all.",
        ]
    skipped = (doc.get("skipped") or {}).get("counts") or {}
    if skipped:
        parts = ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items()))
        lines += ["", f"Not read by content rules: {parts}."]
    text = "\n".join(lines) + "\n"
    if len(text) > SUMMARY_LIMIT:
        cut = "\n\n… (summary cut at GitHub's 65535-character limit)\n"
        text = text[: SUMMARY_LIMIT - len(cut)].rsplit("\n", 1)[0] + cut
    return text


def marker(name: str) -> str:
    """The hidden line that finds the sticky comment of check ``name`` again."""
    return f"<!-- forgegate:report:{name} -->"


def comment(doc: dict[str, Any], name: str, *, details_url: str | None = None) -> str:
    """The sticky PR comment: the marker, a verdict line, the counts and the top findings."""
    icon = ":x:" if failed(doc) else ":warning:" if findings(doc, "new") else ":white_check_mark:"
    new = findings(doc, "new")
    lines = [marker(name), f"### {icon} {_cell(title(doc))}", "", *_table(doc)]
    if new:
        lines += ["", *_top(new, 10)]
    if details_url:
        lines += ["", f"Details: {details_url}"]
    return "\n".join(lines) + "\n"

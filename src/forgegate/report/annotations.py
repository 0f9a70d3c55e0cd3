"""GitHub Actions workflow commands: ``::error file=..,line=..,title=..::message``.

Property values and messages are escaped the way the runner's toolkit does, so a ``%``, a comma
or a newline in a path or message cannot break out of the command.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forgegate.model import Finding, Severity

if TYPE_CHECKING:
    from forgegate.gate import GateRun

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    loc = finding.location
    props = [f"file={escape_property(loc.path)}"]
    if loc.line is not None:
        props.append(f"line={loc.line}")
        if loc.column is not None:
            props.append(f"col={loc.column}")
    props.append(f"title={escape_property(finding.rule_id)}")
    return f"::{_COMMAND[finding.severity]} {','.join(props)}::{escape_data(finding.message)}"


def render_annotations(run: GateRun) -> str:
    """One command per new finding (baselined, suppressed and waived ones stay quiet)."""
    lines = [annotation(f) for f in run.outcome.new]
    return "\n".join(lines) + ("\n" if lines else "")

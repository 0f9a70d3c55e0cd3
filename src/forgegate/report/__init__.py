"""Report formats. Each ``render_*`` turns a :class:`~forgegate.gate.GateRun` into text."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from forgegate.gate import GateRun

FORMATS = ("text", "json", "sarif", "github")


def renderer(fmt: str) -> Callable[[GateRun], str]:
    """The render function of a format (imported on demand: the CLI starts fast)."""
    if fmt == "text":
        from forgegate.report.text import render_text

        return render_text
    if fmt == "json":
        from forgegate.report.json_report import render_json

        return render_json
    if fmt == "sarif":
        from forgegate.report.sarif import render_sarif

        return render_sarif
    if fmt == "github":
        from forgegate.report.annotations import render_annotations

        return render_annotations
    raise ValueError(f"unknown format {fmt!r} (choose one of: {', '.join(FORMATS)})")

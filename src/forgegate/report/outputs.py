"""Step outputs for ``$GITHUB_OUTPUT``: what a workflow reads after the gate ran.

The file is append-only by GitHub's design (each step appends ``name=value`` lines), so this is
the one report that is appended rather than replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from forgegate.report.findings import counts

if TYPE_CHECKING:
    from forgegate.gate import GateRun


def render_outputs(run: GateRun, sarif: Path | None) -> str:
    """``findings`` (new findings), ``failing``, ``failed``, ``baselined``, ``sarif``."""
    numbers = counts(run)
    lines = {
        "findings": str(numbers["new"]),
        "failing": str(numbers["failing"]),
        "failed": "true" if run.outcome.failed else "false",
        "baselined": str(numbers["baselined"]),
        "sarif": str(sarif) if sarif is not None else "",
    }
    return "".join(f"{name}={value}\n" for name, value in lines.items())


def append_outputs(path: Path, run: GateRun, sarif: Path | None) -> None:
    with path.open("a", encoding="utf-8") as stream:
        stream.write(render_outputs(run, sarif))

"""The JSON report; its shape is documented in docs/json-report.md."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from forgegate import __version__
from forgegate.report.findings import counts, skipped_counts, with_status

if TYPE_CHECKING:
    from forgegate.gate import GateRun

SCHEMA_VERSION = 1


def json_document(run: GateRun) -> dict[str, Any]:
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "forgegate", "version": __version__},
        "policy": {
            "source": run.policy.source,
            "sha256": run.policy.digest,
            "fail-on": run.outcome.fail_on.label,
        },
        "result": {
            "failed": run.outcome.failed,
            "families": run.families,
            "paths": len(run.scan.paths),
            "files-read": run.scan.files_read,
            "counts": counts(run),
        },
        "findings": [
            {
                "rule": f.rule_id,
                "severity": f.severity.label,
                "status": status,
                "message": f.message,
                "path": f.location.path,
                "line": f.location.line,
                "column": f.location.column,
                "fingerprint": f.fingerprint,
                "fix": f.fix,
                "justification": f.properties.get("justification"),
            }
            for status, f in with_status(run)
        ],
        "skipped": {
            "counts": skipped_counts(run),
            "files": [{"path": s.path, "reason": s.reason} for s in run.scan.skipped],
        },
    }


def render_json(run: GateRun) -> str:
    return json.dumps(json_document(run), indent=2, sort_keys=False) + "\n"

"""SARIF 2.1.0 for GitHub code scanning.

Each rule carries its help text and a ``security-severity`` so code scanning ranks alerts;
each result carries ``partialFingerprints`` (the content-derived fingerprint, so alerts follow
the code across edits), a ``baselineState`` and, for suppressed or waived findings, a
``suppressions`` entry, which code scanning shows as dismissed rather than dropping silently.
No timestamps: the same inputs give byte-identical output.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from forgegate import __version__
from forgegate.model import Finding, Rule, Severity

if TYPE_CHECKING:
    from forgegate.gate import GateRun

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/forgegate/forgegate"
FINGERPRINT_KEY = "forgegate/v1"

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
_BASELINE_STATE = {"new": "new", "baselined": "unchanged", "suppressed": "new", "waived": "new"}


def sarif_rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.id.replace("/", "-"),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.summary},
        "helpUri": rule.docs_url,
        "help": {
            "text": f"{rule.summary} See {rule.docs_url}",
            "markdown": f"{rule.summary}\n\n[Rule documentation]({rule.docs_url})",
        },
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "tags": ["forgegate", rule.family],
            "security-severity": rule.severity.security_severity,
        },
    }


def _location(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    physical: dict[str, Any] = {"artifactLocation": {"uri": loc.path, "uriBaseId": "%SRCROOT%"}}
    if loc.line is not None:
        region: dict[str, Any] = {"startLine": loc.line}
        if loc.column is not None:
            region["startColumn"] = loc.column
        physical["region"] = region
    return {"physicalLocation": physical}


def sarif_result(status: str, finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [_location(finding)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "baselineState": _BASELINE_STATE[status],
    }
    if finding.rule_id in rule_index:
        result["ruleIndex"] = rule_index[finding.rule_id]
    if status in ("suppressed", "waived"):
        justification = finding.properties.get("justification", status)
        result["suppressions"] = [
            {
                "kind": "inSource" if status == "suppressed" else "external",
                "justification": justification,
            }
        ]
    if finding.fix:
        result["properties"] = {"fix": finding.fix}
    return result


def sarif_document(run: GateRun) -> dict[str, Any]:
    from forgegate.report.findings import with_status

    rules = list(run.rules.values())
    rule_index = {rule.id: i for i, rule in enumerate(rules)}
    results = [sarif_result(status, f, rule_index) for status, f in with_status(run)]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "forgegate",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [sarif_rule(rule) for rule in rules],
                    }
                },
                "automationDetails": {"id": "forgegate/" + ",".join(run.families)},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render_sarif(run: GateRun) -> str:
    return json.dumps(sarif_document(run), indent=2) + "\n"

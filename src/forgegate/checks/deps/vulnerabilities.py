"""The rule ``forgegate audit`` reports."""

from __future__ import annotations

from forgegate.checks.base import MetaCheck
from forgegate.model import Rule, Severity
from forgegate.registry import register


@register
class VulnerableDependency(MetaCheck):
    rule = Rule(
        id="deps/vulnerable-dependency",
        title="Dependency with a known vulnerability",
        severity=Severity.ERROR,
        summary="A pinned or installed dependency has a published vulnerability (PyPA advisory "
        "database, OSV, GitHub advisories).",
        offline=True,  # with --vuln-db
    )

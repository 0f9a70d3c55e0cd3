"""The rule ``forgegate licenses`` reports."""

from __future__ import annotations

from typing import Any, ClassVar

from forgegate.checks.base import MetaCheck
from forgegate.model import Rule, Severity
from forgegate.registry import register


@register
class LicenseDenied(MetaCheck):
    rule = Rule(
        id="deps/license-denied",
        title="Dependency under a license the policy does not allow",
        severity=Severity.ERROR,
        summary="An installed (or SBOM-listed) package's license expression cannot be satisfied "
        "with the licenses the policy allows; a package whose license is unknown is a warning.",
    )
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "allow": {
                "description": "SPDX license ids (or `X WITH exception`) that are acceptable; "
                "empty: every license that is not denied.",
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": [],
            },
            "deny": {
                "description": "SPDX license ids (or `X WITH exception`) that are not "
                "acceptable, e.g. AGPL-3.0-only.",
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "default": [],
            },
        },
    }

"""Rules reported by the engine and the policy layer rather than by a check of their own."""

from __future__ import annotations

from forgegate.checks.base import MetaCheck
from forgegate.model import Rule, Severity
from forgegate.registry import register


@register
class CheckCrashed(MetaCheck):
    rule = Rule(
        id="engine/check-crashed",
        title="A rule crashed on a file",
        severity=Severity.ERROR,
        summary="A rule raised an error on this file, so the file was not fully checked.",
    )


@register
class SuppressionWithoutReason(MetaCheck):
    rule = Rule(
        id="policy/suppression-without-reason",
        title="Inline suppression without a reason",
        severity=Severity.WARNING,
        summary="A `forgegate: ignore[...]` comment gives no reason, so it does not apply.",
    )


@register
class ExpiredWaiver(MetaCheck):
    rule = Rule(
        id="policy/expired-waiver",
        title="Waiver past its expiry date",
        severity=Severity.ERROR,
        summary="A waiver in the policy has expired and no longer accepts its findings.",
    )

"""Rules reported by the release commands (`forgegate checksums verify`, `forgegate verify`)."""

from __future__ import annotations

from forgegate.checks.base import MetaCheck
from forgegate.model import Rule, Severity
from forgegate.registry import register


@register
class ChecksumMismatch(MetaCheck):
    rule = Rule(
        id="release/checksum-mismatch",
        title="Artifact does not match its SHA-256 checksum",
        severity=Severity.ERROR,
        summary="A file's SHA-256 differs from the one in the SHA256SUMS manifest.",
    )


@register
class ChecksumMissingFile(MetaCheck):
    rule = Rule(
        id="release/checksum-missing-file",
        title="File listed in the checksum manifest is missing",
        severity=Severity.ERROR,
        summary="SHA256SUMS lists a file that is not there.",
    )


@register
class ChecksumUnlisted(MetaCheck):
    rule = Rule(
        id="release/checksum-unlisted",
        title="Artifact not listed in the checksum manifest",
        severity=Severity.ERROR,
        summary="An artifact that must be covered has no entry in SHA256SUMS.",
    )


@register
class AttestationInvalid(MetaCheck):
    rule = Rule(
        id="release/attestation-invalid",
        title="Sigstore bundle does not verify",
        severity=Severity.ERROR,
        summary="An artifact's Sigstore bundle fails verification: wrong artifact, wrong signer "
        "identity or issuer, wrong instance, or a broken bundle.",
    )


@register
class AttestationMissing(MetaCheck):
    rule = Rule(
        id="release/attestation-missing",
        title="Artifact has no Sigstore bundle",
        severity=Severity.ERROR,
        summary="No `<artifact>.sigstore.json` (or `.sigstore`) was found for an artifact that "
        "must be signed.",
    )

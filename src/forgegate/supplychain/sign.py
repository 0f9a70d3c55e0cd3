"""Keyless signing with the sigstore package: one ``<artifact>.sigstore.json`` per artifact.

Everything up to the signer is plain code that tests exercise: which files, where bundles go,
refusal to overwrite, and where the identity token comes from (``--identity-token``, else the
ambient GitHub Actions OIDC credential, which needs ``permissions: id-token: write``). Signing
itself needs Fulcio and Rekor; it runs only on a real CI runner (see docs/verify.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from forgegate.errors import GateError, UsageError

BUNDLE_SUFFIX = ".sigstore.json"


@dataclass(frozen=True)
class SignPlan:
    artifact: Path
    bundle: Path


def plan(artifacts: Sequence[Path], overwrite: bool = False) -> list[SignPlan]:
    """Where each bundle goes; refuses missing artifacts and (unless told) existing bundles."""
    plans = []
    for artifact in artifacts:
        if not artifact.is_file():
            raise UsageError(f"{artifact}: not a file")
        bundle = artifact.with_name(artifact.name + BUNDLE_SUFFIX)
        if bundle.exists() and not overwrite:
            raise UsageError(f"{bundle} exists; pass --overwrite to replace it")
        plans.append(SignPlan(artifact, bundle))
    return plans


def identity_token(explicit: str | None, detect: Callable[[], str | None] | None = None) -> str:
    """The OIDC token to sign with: given, else the ambient one (GitHub Actions)."""
    if explicit:
        return explicit
    if detect is None:
        from sigstore.oidc import detect_credential

        detect = detect_credential
    try:
        token = detect()
    except Exception as err:  # sigstore raises its own error types for a broken environment
        raise GateError(f"cannot get an ambient OIDC token: {err}") from None
    if not token:
        raise GateError(
            "no identity token: in GitHub Actions grant `permissions: id-token: write` to the "
            "job; elsewhere pass --identity-token"
        )
    return token


def sign(plans: Sequence[SignPlan], token: str, staging: bool = False) -> list[Path]:
    """Sign every artifact (needs Fulcio and Rekor) and write its bundle atomically."""
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext

    from forgegate.atomic import write_atomic

    config = ClientTrustConfig.staging() if staging else ClientTrustConfig.production()
    context = SigningContext.from_trust_config(config)
    written = []
    with context.signer(IdentityToken(token), cache=True) as signer:
        for item in plans:
            bundle = signer.sign_artifact(item.artifact.read_bytes())
            write_atomic(item.bundle, bundle.to_json())
            written.append(item.bundle)
    return written

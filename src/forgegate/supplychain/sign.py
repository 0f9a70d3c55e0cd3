"""Keyless signing with the sigstore package: one ``<artifact>.sigstore.json`` per artifact
(a message signature, or with ``--dsse`` a DSSE envelope around an in-toto statement).

Everything up to the signer is plain code that tests exercise: which files, where bundles go,
refusal to overwrite, and where the identity token comes from (``--identity-token``, else the
ambient GitHub Actions OIDC credential, which needs ``permissions: id-token: write``). Signing
itself needs Fulcio and Rekor; it runs only on a real CI runner (see docs/verify.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from forgegate.errors import GateError, UsageError

BUNDLE_SUFFIX = ".sigstore.json"


IN_TOTO_STATEMENT = "https://in-toto.io/Statement/v1"


@dataclass(frozen=True)
class SignPlan:
    artifact: Path
    bundle: Path
    #: sign the file as an in-toto statement in a DSSE envelope (its checked bytes)
    statement: bytes | None = None


def read_statement(path: Path) -> bytes:
    """The in-toto Statement v1 in ``path``, checked before any signing: the DSSE payload."""
    try:
        data = path.read_bytes()
        doc = json.loads(data)
    except OSError as err:
        raise UsageError(f"{path}: cannot read ({err.strerror})") from None
    except ValueError as err:
        raise UsageError(f"{path}: not JSON ({err}); --dsse signs in-toto statements") from None
    if not isinstance(doc, dict) or doc.get("_type") != IN_TOTO_STATEMENT:
        raise UsageError(
            f"{path}: not an in-toto statement (`_type` is not {IN_TOTO_STATEMENT}); "
            "write one with `forgegate provenance`"
        )
    subjects = doc.get("subject")
    if (
        not isinstance(subjects, list)
        or not subjects
        or not all(
            isinstance(s, dict) and isinstance(s.get("digest"), dict) and s["digest"]
            for s in subjects
        )
    ):
        raise UsageError(f"{path}: the statement names no subject with a digest")
    from sigstore.dsse import Statement

    try:
        Statement(data)  # sigstore's own model of the statement: what it will sign
    except Exception as err:  # pydantic's ValidationError, wrapped by sigstore
        raise UsageError(f"{path}: sigstore does not accept the statement: {err}") from None
    return data


def plan(artifacts: Sequence[Path], overwrite: bool = False, dsse: bool = False) -> list[SignPlan]:
    """Where each bundle goes; refuses missing artifacts, (unless told) existing bundles and,
    with ``dsse``, files that are not in-toto statements."""
    plans = []
    for artifact in artifacts:
        if not artifact.is_file():
            raise UsageError(f"{artifact}: not a file")
        bundle = artifact.with_name(artifact.name + BUNDLE_SUFFIX)
        if bundle.exists() and not overwrite:
            raise UsageError(f"{bundle} exists; pass --overwrite to replace it")
        plans.append(SignPlan(artifact, bundle, read_statement(artifact) if dsse else None))
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
        raise GateError(
            f"cannot get an ambient OIDC token ({err}); in GitHub Actions grant `permissions: "
            "id-token: write` to the job; elsewhere pass --identity-token"
        ) from None
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
    from sigstore.dsse import Statement

    with context.signer(IdentityToken(token), cache=True) as signer:
        for item in plans:
            if item.statement is not None:
                bundle = signer.sign_dsse(Statement(item.statement))
            else:
                bundle = signer.sign_artifact(item.artifact.read_bytes())
            write_atomic(item.bundle, bundle.to_json())
            written.append(item.bundle)
    return written

"""Verify Sigstore bundles of artifacts, with the identity pinned and fail-closed defaults.

Everything goes through the ``sigstore`` package's Python API: one :class:`Verifier` (production,
staging or a given trusted root; ``offline`` uses the trust root embedded in the package) is
built once and reused for every artifact, spread over threads. Identity pinning is required: an
exact identity (any of several), a full-match regular expression, or the GitHub shorthand
(``--repo``) that also checks the certificate's GitHub extensions where they are present.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cryptography.x509 import Certificate, ExtensionNotFound, ObjectIdentifier
from sigstore.errors import Error as SigstoreError
from sigstore.models import Bundle, InvalidBundle
from sigstore.verify import Verifier
from sigstore.verify.policy import AllOf, AnyOf, Identity, VerificationPolicy

from forgegate.errors import GateError, UsageError
from forgegate.github import repository

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
# Fulcio's certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md)
OID_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OID_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
OID_TRIGGER = ObjectIdentifier("1.3.6.1.4.1.57264.1.2")
OID_REPOSITORY = ObjectIdentifier("1.3.6.1.4.1.57264.1.5")
OID_REF = ObjectIdentifier("1.3.6.1.4.1.57264.1.6")
OID_RUNNER_ENVIRONMENT = ObjectIdentifier("1.3.6.1.4.1.57264.1.11")
OID_SOURCE_REPOSITORY_URI = ObjectIdentifier("1.3.6.1.4.1.57264.1.12")

logging.getLogger("sigstore").setLevel(logging.ERROR)  # "TUF ... offline mode" on every run


def _extension(cert: Certificate, oid: ObjectIdentifier) -> str | None:
    """A Fulcio extension's value: raw UTF-8 (v1) or a DER UTF8String (v2)."""
    try:
        raw: bytes = cert.extensions.get_extension_for_oid(oid).value.value  # type: ignore[attr-defined]
    except ExtensionNotFound:
        return None
    if len(raw) >= 2 and raw[0] == 0x0C:  # DER UTF8String: tag, length (short or long form)
        length, offset = raw[1], 2
        if length & 0x80:
            count = length & 0x7F
            length, offset = int.from_bytes(raw[2 : 2 + count], "big"), 2 + count
        return raw[offset : offset + length].decode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


def _sans(cert: Certificate) -> list[str]:
    from cryptography.x509 import (
        RFC822Name,
        SubjectAlternativeName,
        UniformResourceIdentifier,
    )

    try:
        san = cert.extensions.get_extension_for_class(SubjectAlternativeName).value
    except ExtensionNotFound:
        return []
    return [
        *san.get_values_for_type(UniformResourceIdentifier),
        *san.get_values_for_type(RFC822Name),
    ]


class IdentityRegexp:
    """Certificate identity (SAN) matching a regular expression in full, and the issuer."""

    def __init__(self, pattern: str, issuer: str) -> None:
        try:
            self.pattern = re.compile(pattern)
        except re.error as err:
            raise UsageError(f"--cert-identity-regexp {pattern!r}: {err}") from None
        self.issuer = issuer

    def verify(self, cert: Certificate) -> None:
        from sigstore.errors import VerificationError

        issuer = _extension(cert, OID_ISSUER_V2) or _extension(cert, OID_ISSUER_V1)
        if issuer != self.issuer:
            raise VerificationError(f"issuer {issuer!r} is not {self.issuer!r}")
        sans = _sans(cert)
        if not any(self.pattern.fullmatch(s) for s in sans):
            raise VerificationError(
                f"identity {', '.join(sans) or '(none)'} does not match {self.pattern.pattern!r}"
            )


class GitHubExtensions:
    """The certificate's GitHub extensions, where present, name this repository, ref, trigger;
    with ``deny_self_hosted``, the runner environment must be ``github-hosted``."""

    def __init__(
        self,
        repository: str,
        ref: str | None = None,
        ref_regexp: str | None = None,
        trigger: str | None = None,
        deny_self_hosted: bool = False,
        require_repository: bool = False,
    ) -> None:
        self.repository = repository
        #: the identity does not name the repository (a reusable workflow signed): an extension
        #: must, or nothing ties the artifact to it
        self.require_repository = require_repository
        self.ref = ref
        self.ref_regexp = re.compile(ref_regexp) if ref_regexp else None
        self.trigger = trigger
        self.deny_self_hosted = deny_self_hosted

    def verify(self, cert: Certificate) -> None:
        from sigstore.errors import VerificationError

        repository = _extension(cert, OID_REPOSITORY)
        if repository is not None and repository.lower() != self.repository.lower():
            raise VerificationError(f"signed in {repository}, not {self.repository}")
        source = _extension(cert, OID_SOURCE_REPOSITORY_URI)
        wanted = f"https://github.com/{self.repository}".lower()
        if source is not None and source.lower() != wanted:
            raise VerificationError(f"built from {source}, not {wanted}")
        if self.require_repository and repository is None and source is None:
            raise VerificationError("the certificate does not name the source repository")
        ref = _extension(cert, OID_REF)
        if ref is not None and self.ref is not None and ref != self.ref:
            raise VerificationError(f"signed at ref {ref}, not {self.ref}")
        if ref is not None and self.ref_regexp is not None and not self.ref_regexp.fullmatch(ref):
            raise VerificationError(f"signed at ref {ref}, not matching {self.ref_regexp.pattern}")
        trigger = _extension(cert, OID_TRIGGER)
        if trigger is not None and self.trigger is not None and trigger != self.trigger:
            raise VerificationError(f"signed on a {trigger} event, not {self.trigger}")
        if self.deny_self_hosted:
            runner = _extension(cert, OID_RUNNER_ENVIRONMENT)
            if runner != "github-hosted":
                raise VerificationError(
                    f"signed on a {runner or 'unknown'} runner, not github-hosted"
                )


def build_policy(
    *,
    identities: Sequence[str] = (),
    identity_regexp: str | None = None,
    issuer: str | None = None,
    repo: str | None = None,
    workflow: str | None = None,
    ref: str | None = None,
    ref_regexp: str | None = None,
    trigger: str | None = None,
    deny_self_hosted: bool = False,
    signer_repo: str | None = None,
    signer_workflow: str | None = None,
) -> VerificationPolicy:
    """The identity policy; refuses to verify without one (a bundle proves nothing unpinned).

    With ``signer_repo`` the certificate's identity is a reusable workflow of that repository
    (its ref is the workflow's, so any), and ``repo`` is where it ran: the certificate's source
    repository extensions must name it — as ``gh attestation verify --signer-repo`` does.
    """
    if (signer_repo or signer_workflow) and not repo:
        raise UsageError("--signer-repo/--signer-workflow need --repo (the source repository)")
    if signer_workflow and not signer_repo:
        raise UsageError("--signer-workflow needs --signer-repo")
    if signer_repo and repo:
        if identities or identity_regexp:
            raise UsageError("--signer-repo builds the identity; drop --cert-identity*")
        repository(repo)
        repository(signer_repo, "--signer-repo")
        if ref and ref_regexp:
            raise UsageError("use --ref or --ref-regexp, not both")
        path = (
            re.escape(signer_workflow.lstrip("/"))
            if signer_workflow
            else r"\.github/workflows/[^@]+"
        )
        pattern = rf"https://github\.com/{re.escape(signer_repo)}/{path}@.+"
        return AllOf(
            [
                IdentityRegexp(pattern, issuer or GITHUB_ISSUER),
                GitHubExtensions(
                    repo, ref, ref_regexp, trigger, deny_self_hosted, require_repository=True
                ),
            ]
        )
    if repo:
        if identities or identity_regexp:
            raise UsageError("--repo builds the identity; do not combine it with --cert-identity*")
        repository(repo)
        path = re.escape(workflow.lstrip("/")) if workflow else r"\.github/workflows/[^@]+"
        if ref and ref_regexp:
            raise UsageError("use --ref or --ref-regexp, not both")
        at = re.escape(ref) if ref else (ref_regexp or r".+")
        pattern = rf"https://github\.com/{re.escape(repo)}/{path}@{at}"
        return AllOf(
            [
                IdentityRegexp(pattern, issuer or GITHUB_ISSUER),
                GitHubExtensions(repo, ref, ref_regexp, trigger, deny_self_hosted),
            ]
        )
    if not identities and not identity_regexp:
        raise UsageError(
            "pin the signer: --cert-identity ID --cert-oidc-issuer URL, "
            "--cert-identity-regexp RE --cert-oidc-issuer URL, or --repo OWNER/NAME"
        )
    if not issuer:
        raise UsageError(
            "--cert-oidc-issuer is required with --cert-identity/--cert-identity-regexp"
        )
    if identities and identity_regexp:
        raise UsageError("use --cert-identity or --cert-identity-regexp, not both")
    if identity_regexp:
        return IdentityRegexp(identity_regexp, issuer)
    policies: list[VerificationPolicy] = [Identity(identity=i, issuer=issuer) for i in identities]
    return policies[0] if len(policies) == 1 else AnyOf(policies)


def make_verifier(
    staging: bool = False, offline: bool = False, trusted_root: Path | None = None
) -> Verifier:
    try:
        if trusted_root is not None:
            from sigstore.models import TrustedRoot

            return Verifier(trusted_root=TrustedRoot.from_file(str(trusted_root)))
        return (
            Verifier.staging(offline=offline) if staging else Verifier.production(offline=offline)
        )
    except (OSError, SigstoreError, ValueError) as err:
        hint = (
            ""
            if offline
            else " (offline: --offline uses the trust root inside the sigstore package)"
        )
        raise GateError(f"cannot load the Sigstore trust root: {err}{hint}") from None


def discover_bundle(artifact: Path, explicit: Path | None = None) -> Path | None:
    if explicit is not None:
        return explicit
    for suffix in (".sigstore.json", ".sigstore"):
        candidate = artifact.with_name(artifact.name + suffix)
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class Result:
    artifact: str
    ok: bool
    reason: str
    bundle: str | None = None
    kind: str = "invalid"  # invalid | missing


def _verify_one(
    verifier: Verifier, policy: VerificationPolicy, artifact: Path, bundle_path: Path
) -> Result:
    from forgegate.supplychain.checksums import sha256_file

    name = str(artifact)
    try:
        # hashed while streaming and handed to sigstore prehashed: constant memory on
        # multi-GB artifacts
        digest = sha256_file(artifact)
    except OSError as err:
        return Result(name, False, f"cannot read the artifact: {err.strerror}", str(bundle_path))
    try:
        raw = bundle_path.read_bytes()
    except OSError as err:
        return Result(name, False, f"cannot read the bundle: {err.strerror}", str(bundle_path))
    reason = _verify_bundle(verifier, policy, digest, raw)
    return Result(name, reason is None, reason or "verified", str(bundle_path))


def _verify_bundle(
    verifier: Verifier, policy: VerificationPolicy, digest: str, raw: bytes
) -> str | None:
    """Why the bundle ``raw`` does not verify the artifact of sha256 ``digest`` (hex) under
    ``policy``; ``None`` when it does."""
    from sigstore.hashes import Hashed
    from sigstore_models.common.v1 import HashAlgorithm

    try:
        bundle = Bundle.from_json(raw)
    except (InvalidBundle, ValueError, SigstoreError) as err:
        return f"not a valid Sigstore bundle: {err}"
    try:
        if bundle._dsse_envelope is not None:
            payload_type, payload = verifier.verify_dsse(bundle, policy)
            _check_statement(payload_type, payload, digest)
        else:
            hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(digest))
            verifier.verify_artifact(hashed, bundle, policy)
    except (SigstoreError, ValueError) as err:
        return str(err) or type(err).__name__
    return None


def _verify_stored(
    verifier: Verifier,
    policy: VerificationPolicy,
    artifact: Path,
    digest: str,
    stored: Sequence[bytes],
    store: str,
) -> Result:
    """One of the attestations stored for the artifact (of sha256 ``digest``) must verify."""
    failures = []
    for number, raw in enumerate(stored, 1):
        reason = _verify_bundle(verifier, policy, digest, raw)
        if reason is None:
            return Result(str(artifact), True, "verified", f"{store} #{number}")
        failures.append(reason)
    return Result(
        str(artifact),
        False,
        f"none of the {len(stored)} attestation(s) in {store} verified: {failures[0]}",
        store,
    )


def _check_statement(payload_type: str, payload: bytes, actual: str) -> None:
    """A DSSE in-toto statement must name the artifact's sha256 (``actual``, hex) among its
    subjects."""
    from sigstore.errors import VerificationError

    if payload_type != "application/vnd.in-toto+json":
        raise VerificationError(f"DSSE payload type {payload_type!r} is not an in-toto statement")
    try:
        statement = json.loads(payload)
        digests = {s.get("digest", {}).get("sha256") for s in statement.get("subject", [])}
    except (ValueError, AttributeError):
        raise VerificationError("the in-toto statement is not valid JSON") from None
    if actual not in digests:
        raise VerificationError(f"the statement's subjects do not include sha256:{actual}")


def verify_artifacts(
    artifacts: Sequence[Path],
    policy: VerificationPolicy,
    verifier: Verifier,
    *,
    bundle: Path | None = None,
    allow_unsigned: bool = False,
    jobs: int | None = None,
    fetch: Callable[[str], Sequence[bytes]] | None = None,
    store: str = "",
) -> list[Result]:
    """One result per artifact, in order; the verifier is shared by every thread. ``fetch``
    (``--from-github``) gives the stored bundles for an artifact's sha256 (hex), asked only for
    an artifact that has no bundle beside it."""
    if bundle is not None and len(artifacts) != 1:
        raise UsageError("--bundle names the bundle of one artifact; give exactly one")
    results: list[Result | None] = [None] * len(artifacts)
    work: list[tuple[int, Path, Path]] = []
    stored: list[tuple[int, Path, str, Sequence[bytes]]] = []
    for index, artifact in enumerate(artifacts):
        found = discover_bundle(artifact, bundle)
        if found is not None and found.is_file():
            work.append((index, artifact, found))
            continue
        if fetch is not None and artifact.is_file():
            from forgegate.supplychain.checksums import sha256_file

            digest = sha256_file(artifact)  # once: the store is asked by it, bundles check it
            fetched = fetch(digest)
            if fetched:
                stored.append((index, artifact, digest, fetched))
                continue
        where = f" or in {store}" if fetch is not None else ""
        results[index] = Result(
            str(artifact),
            allow_unsigned,
            f"no bundle (<artifact>.sigstore.json or .sigstore{where})"
            + ("; allowed by --allow-unsigned" if allow_unsigned else ""),
            None,
            "missing",
        )
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_verify_one, verifier, policy, a, b): i for i, a, b in work}
        for index, artifact, digest, bundles in stored:
            job = pool.submit(_verify_stored, verifier, policy, artifact, digest, bundles, store)
            futures[job] = index
        for future, index in futures.items():
            results[index] = future.result()
    return [r for r in results if r is not None]

"""``forgegate verify``: Sigstore bundles of artifacts, identity pinned, fail closed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from forgegate.cli import _Parser
from forgegate.errors import EXIT_FINDINGS, EXIT_OK
from forgegate.model import Finding, Location, Severity, fingerprint


def add_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    from forgegate.cli import add_github_api_options, add_report_options

    parser = sub.add_parser(
        "verify",
        help="verify Sigstore bundles of artifacts (identity pinned)",
        description="Verify each ARTIFACT against its Sigstore bundle (--bundle, else "
        "<artifact>.sigstore.json, else <artifact>.sigstore) with the signer pinned by "
        "--cert-identity/--cert-identity-regexp plus --cert-oidc-issuer, or by --repo. An "
        "artifact without a bundle fails unless --allow-unsigned. DSSE bundles: the envelope "
        "is verified and the in-toto statement must name the artifact's sha256.",
    )
    parser.add_argument("artifacts", nargs="+", type=Path, metavar="ARTIFACT")
    parser.add_argument("--bundle", type=Path, metavar="FILE", help="bundle of the one artifact")
    who = parser.add_argument_group("signer identity (one is required)")
    who.add_argument(
        "--cert-identity", action="append", default=[], metavar="ID", help="exact (repeatable)"
    )
    who.add_argument("--cert-identity-regexp", metavar="RE", help="full match")
    who.add_argument(
        "--cert-oidc-issuer", metavar="URL", help="the OIDC issuer (required with these)"
    )
    who.add_argument("--repo", metavar="OWNER/NAME", help="GitHub Actions identity of a repository")
    who.add_argument("--workflow", metavar="PATH", help="with --repo: .github/workflows/x.yml")
    who.add_argument("--ref", metavar="REF", help="with --repo: e.g. refs/tags/v1.2.3")
    who.add_argument("--ref-regexp", metavar="RE", help="with --repo: e.g. refs/tags/v.*")
    who.add_argument("--trigger", metavar="EVENT", help="with --repo: e.g. push, release")
    who.add_argument(
        "--signer-repo",
        metavar="OWNER/NAME",
        help="with --repo: the repository of the reusable workflow that signed (its certificate "
        "names that workflow; --repo is then checked as the source repository)",
    )
    who.add_argument(
        "--signer-workflow",
        metavar="PATH",
        help="with --signer-repo: the reusable workflow, e.g. .github/workflows/release-gate.yml",
    )
    who.add_argument(
        "--deny-self-hosted-runners",
        action="store_true",
        help="with --repo: the signing job must have run on a GitHub-hosted runner",
    )
    trust = parser.add_argument_group("trust root")
    trust.add_argument(
        "--offline", action="store_true", help="use the trust root inside the sigstore package"
    )
    trust.add_argument("--staging", action="store_true", help="Sigstore's staging instance")
    trust.add_argument("--trusted-root", type=Path, metavar="FILE", help="a trusted_root.json")
    parser.add_argument(
        "--allow-unsigned", action="store_true", help="pass artifacts that have no bundle"
    )
    store = parser.add_argument_group("the repository's attestation store")
    store.add_argument(
        "--from-github",
        metavar="OWNER/NAME",
        help="for an artifact with no bundle beside it, verify the attestations GitHub stores "
        "for its sha256 in this repository (what attest-build-provenance writes)",
    )
    add_github_api_options(store, "a token (optional for public repositories)")
    parser.add_argument("--jobs", type=int, metavar="N", help="threads (default: per core)")
    parser.add_argument("--policy", type=Path, metavar="FILE", help="policy file (waivers)")
    add_report_options(parser)
    parser.set_defaults(func=cmd_verify)


def _store_fetcher(args: argparse.Namespace) -> tuple[Callable[[str], list[bytes]], str]:
    """``--from-github``: the attestation store's bundles of an artifact, by its sha256."""
    import os

    from forgegate.github import repository
    from forgegate.github.attestations import AttestationStore
    from forgegate.github.refs import api_url

    repository(args.from_github, "--from-github")
    api = api_url(args.base_url)
    attestations = AttestationStore(api, os.environ.get(args.token_env) or None)

    def fetch(sha256: str) -> list[bytes]:
        return attestations.bundles(args.from_github, sha256)

    return fetch, f"the attestation store of {args.from_github}"


def cmd_verify(args: argparse.Namespace) -> int:
    from forgegate.cli import emit_reports
    from forgegate.gate import external_run
    from forgegate.policy.loader import load_policy
    from forgegate.supplychain.verify import build_policy, make_verifier, verify_artifacts

    policy = build_policy(
        identities=args.cert_identity,
        identity_regexp=args.cert_identity_regexp,
        issuer=args.cert_oidc_issuer,
        repo=args.repo,
        workflow=args.workflow,
        ref=args.ref,
        ref_regexp=args.ref_regexp,
        trigger=args.trigger,
        signer_repo=args.signer_repo,
        signer_workflow=args.signer_workflow,
        deny_self_hosted=args.deny_self_hosted_runners,
    )
    verifier = make_verifier(args.staging, args.offline, args.trusted_root)
    fetch = None
    store = ""
    if args.from_github:
        fetch, store = _store_fetcher(args)
    results = verify_artifacts(
        args.artifacts,
        policy,
        verifier,
        bundle=args.bundle,
        allow_unsigned=args.allow_unsigned,
        jobs=args.jobs,
        fetch=fetch,
        store=store,
    )
    findings = []
    for result in results:
        if result.ok:
            continue
        rule = (
            "release/attestation-missing"
            if result.kind == "missing"
            else "release/attestation-invalid"
        )
        findings.append(
            Finding(
                rule,
                Severity.ERROR,
                f"{result.artifact}: {result.reason}",
                Location(result.artifact),
                fingerprint(rule, result.artifact, result.kind),
                properties={"bundle": result.bundle or ""},
            )
        )
    run = external_run(
        Path.cwd(),
        load_policy(Path.cwd(), args.policy),
        findings,
        ["release"],
        paths=[r.artifact for r in results],
    )
    emit_reports(args, run)
    verified = sum(1 for r in results if r.ok and r.kind != "missing")
    print(
        f"forgegate: {verified} of {len(results)} artifact(s) verified, {len(findings)} failed",
        file=sys.stderr,
    )
    return EXIT_FINDINGS if run.outcome.failed else EXIT_OK

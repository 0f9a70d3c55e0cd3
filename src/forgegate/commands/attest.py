"""``forgegate attest``: store signed attestations in a repository's attestation store."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from forgegate.cli import _Parser, add_github_api_options
from forgegate.errors import EXIT_OK, UsageError


def add_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    parser = sub.add_parser(
        "attest",
        help="store Sigstore DSSE bundles in the repository's attestation store",
        description="Store each BUNDLE (a Sigstore bundle around a DSSE in-toto statement, "
        "e.g. from `forgegate sign --dsse provenance.intoto.json`) with POST "
        "/repos/OWNER/NAME/attestations, where `gh attestation verify` and `forgegate verify "
        "--from-github` find it. The job needs `permissions: attestations: write`. Exit 3 when "
        "GitHub refused or could not be reached.",
    )
    parser.add_argument("bundles", nargs="+", type=Path, metavar="BUNDLE")
    parser.add_argument("--repo", metavar="OWNER/NAME", help="default: $GITHUB_REPOSITORY")
    add_github_api_options(parser, "the token")
    parser.set_defaults(func=cmd_attest)


def read_dsse_bundle(path: Path) -> dict[str, Any]:
    """The bundle as JSON, refused unless it is a Sigstore bundle with a DSSE envelope."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"{path}: cannot read ({err.strerror})") from None
    except ValueError as err:
        raise UsageError(f"{path}: not JSON ({err})") from None
    if not isinstance(doc, dict) or not str(doc.get("mediaType", "")).startswith(
        "application/vnd.dev.sigstore.bundle"
    ):
        raise UsageError(f"{path}: not a Sigstore bundle")
    if not isinstance(doc.get("dsseEnvelope"), dict):
        raise UsageError(
            f"{path}: holds a message signature, not a DSSE attestation; the store keeps "
            "in-toto attestations (sign them with `forgegate sign --dsse`)"
        )
    return doc


def cmd_attest(args: argparse.Namespace) -> int:
    from forgegate.github import repository
    from forgegate.github.attestations import AttestationStore
    from forgegate.github.refs import api_url

    repo = args.repo or os.environ.get("GITHUB_REPOSITORY") or ""
    repository(repo, hint=" (and $GITHUB_REPOSITORY is unset)")
    bundles = [(path, read_dsse_bundle(path)) for path in args.bundles]  # all checked first
    token = os.environ.get(args.token_env) or ""
    if not token:
        raise UsageError(
            f"${args.token_env} is empty: storing attestations needs a token with "
            "`permissions: attestations: write`"
        )
    store = AttestationStore(api_url(args.base_url), token)
    for path, bundle in bundles:
        stored = store.upload(repo, bundle)
        print(
            f"forgegate: stored {path} in {repo}'s attestation store (id {stored})", file=sys.stderr
        )
    return EXIT_OK

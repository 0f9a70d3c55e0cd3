"""``forgegate sign``: keyless Sigstore signing of artifacts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from forgegate.cli import _Parser
from forgegate.errors import EXIT_OK


def add_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    parser = sub.add_parser(
        "sign",
        help="sign artifacts keylessly with Sigstore",
        description="Sign each ARTIFACT with Sigstore (Fulcio certificate, Rekor log entry) and "
        "write <artifact>.sigstore.json. The identity token is --identity-token, else the "
        "ambient GitHub Actions credential (the job needs `permissions: id-token: write`). "
        "Existing bundles are kept unless --overwrite.",
    )
    parser.add_argument("artifacts", nargs="+", type=Path, metavar="ARTIFACT")
    parser.add_argument("--identity-token", metavar="TOKEN", help="an OIDC token to sign with")
    parser.add_argument("--overwrite", action="store_true", help="replace existing bundles")
    parser.add_argument("--staging", action="store_true", help="Sigstore's staging instance")
    parser.add_argument(
        "--dsse",
        action="store_true",
        help="each ARTIFACT is an in-toto statement (e.g. from `forgegate provenance`): sign it "
        "as a DSSE envelope, the form attestation stores and `gh attestation verify` read",
    )
    parser.set_defaults(func=cmd_sign)


def cmd_sign(args: argparse.Namespace) -> int:
    from forgegate.supplychain.sign import identity_token, plan, sign

    plans = plan(args.artifacts, args.overwrite, dsse=args.dsse)
    token = identity_token(args.identity_token)
    for written in sign(plans, token, args.staging):
        print(f"forgegate: wrote {written}", file=sys.stderr)
    return EXIT_OK

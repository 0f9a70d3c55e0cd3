"""``forgegate licenses``: the licenses of installed or SBOM-listed packages against the policy."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from forgegate.cli import _Parser
from forgegate.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from forgegate.model import Finding, Location, Severity, fingerprint

RULE = "deps/license-denied"


def add_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    from forgegate.cli import add_report_options

    parser = sub.add_parser(
        "licenses",
        help="check dependency licenses against the policy's allow and deny lists",
        description="Judge the license of every package of an installed environment (its core "
        "metadata: License-Expression, license classifiers, License) or of a CycloneDX SBOM "
        "against the allow and deny lists of SPDX ids in the policy (rule deps/license-denied, "
        "options allow/deny). `MIT OR GPL-3.0-only` passes when one branch is allowed; a "
        "denied license is an error, an unknown one a warning.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--environment",
        nargs="?",
        const="",
        type=str,
        metavar="PATH",
        help="a virtual environment or site-packages directory (default: this Python's)",
    )
    source.add_argument("--sbom", type=Path, metavar="FILE", help="a CycloneDX JSON SBOM")
    parser.add_argument("--policy", type=Path, metavar="FILE", help="policy file (allow/deny)")
    parser.add_argument("--baseline", type=Path, metavar="FILE", help="baseline file")
    add_report_options(parser)
    parser.set_defaults(func=cmd_licenses)


def sbom_licenses(path: Path) -> list[tuple[str, str, list[str]]]:
    """(name, version, licenses) of every component of a CycloneDX JSON SBOM."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"--sbom {path}: cannot read ({err.strerror})") from None
    except ValueError as err:
        raise UsageError(f"--sbom {path}: not JSON ({err})") from None
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise UsageError(f"--sbom {path}: not a CycloneDX JSON document")
    found = []
    for component in doc.get("components") or []:
        if not isinstance(component, dict) or not component.get("name"):
            continue
        names = []
        for choice in component.get("licenses") or []:
            if not isinstance(choice, dict):
                continue
            if choice.get("expression"):
                names.append(str(choice["expression"]))
            lic = choice.get("license")
            if isinstance(lic, dict) and (lic.get("id") or lic.get("name")):
                names.append(str(lic.get("id") or lic.get("name")))
        found.append((str(component["name"]), str(component.get("version", "")), names))
    return found


def cmd_licenses(args: argparse.Namespace) -> int:
    from packaging.utils import canonicalize_name

    from forgegate.cli import emit_reports
    from forgegate.gate import external_run
    from forgegate.policy.loader import load_policy
    from forgegate.supplychain.license_policy import LicensePolicy

    policy = load_policy(Path.cwd(), args.policy)
    options = policy.rule(RULE).options
    judge = LicensePolicy(options.get("allow") or (), options.get("deny") or ())
    if args.sbom is not None:
        packages = sbom_licenses(args.sbom)
        where = args.sbom.as_posix()
    else:
        from forgegate.supplychain.sbom.sources import from_environment

        env = Path(args.environment) if args.environment else None
        packages = [
            (p.display or p.name, p.version, p.licenses)
            for p in from_environment(env)
            if not p.local
        ]
        where = (env or Path(sys.prefix)).as_posix()
    findings = []
    for name, version, licenses in packages:
        verdict = judge.judge(licenses)
        if verdict.status == "allowed":
            continue
        denied = verdict.status == "denied"
        shown = verdict.expression or "no license"
        message = (
            f"{name} {version} is licensed {shown}: {verdict.reason}"
            if denied
            else f"{name} {version}: license unknown ({verdict.reason}); check it by hand and "
            "waive the finding, or fix the package metadata upstream"
        )
        findings.append(
            Finding(
                RULE,
                Severity.ERROR if denied else Severity.WARNING,
                message,
                Location(where),
                fingerprint(RULE, where, f"{name.lower()}\0{verdict.status}\0{shown}"),
                properties={"package": canonicalize_name(name)},
            )
        )
    run = external_run(Path.cwd(), policy, findings, ["deps"], baseline_path=args.baseline)
    emit_reports(args, run)
    n_denied = sum(f.severity is Severity.ERROR for f in findings)
    print(
        f"forgegate: {len(packages)} package(s), {n_denied} denied, "
        f"{len(findings) - n_denied} unknown",
        file=sys.stderr,
    )
    return EXIT_FINDINGS if run.outcome.failed else EXIT_OK

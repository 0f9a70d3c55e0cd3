"""``forgegate checksums create|verify``: SHA-256 manifests that ``sha256sum -c`` reads."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from forgegate.cli import _Parser
from forgegate.errors import EXIT_FINDINGS, EXIT_OK, GateError, UsageError
from forgegate.model import Finding, Location, Severity, fingerprint
from forgegate.supplychain.checksums import (
    MANIFEST_NAME,
    Problem,
    create_entries,
    parse_manifest,
    render_manifest,
    verify_entries,
)

RULES = {
    "mismatch": "release/checksum-mismatch",
    "missing": "release/checksum-missing-file",
    "unlisted": "release/checksum-unlisted",
}


def add_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    from forgegate.cli import add_report_options

    parser = sub.add_parser(
        "checksums",
        help="create or verify SHA256SUMS manifests",
        description="SHA-256 manifests in the format sha256sum writes and `sha256sum -c` reads.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    create = actions.add_parser(
        "create",
        help="hash files into a manifest",
        description="Hash FILES (streaming, in parallel) and write a manifest of their paths "
        "relative to the manifest's directory, sorted, atomically.",
    )
    create.add_argument("files", nargs="+", type=Path, metavar="FILE")
    create.add_argument(
        "--output",
        type=Path,
        default=Path(MANIFEST_NAME),
        metavar="FILE",
        help=f"manifest to write (default: {MANIFEST_NAME}); '-' for stdout",
    )
    create.add_argument(
        "--binary", action="store_true", help="mark entries binary ('*'), as sha256sum -b does"
    )
    create.set_defaults(func=cmd_create)

    verify = actions.add_parser(
        "verify",
        help="check files against a manifest (fails closed)",
        description="Hash every file the manifest lists (relative to its directory) and "
        "compare. ARTIFACTs named here must also be listed. A missing manifest exits 3 "
        "unless --allow-missing-manifest; unsafe names (absolute, .., backslash, NUL, "
        "newline) are refused before any file is opened.",
    )
    verify.add_argument("artifacts", nargs="*", type=Path, metavar="ARTIFACT")
    verify.add_argument(
        "--manifest",
        type=Path,
        default=Path(MANIFEST_NAME),
        metavar="FILE",
        help=f"manifest to check against (default: {MANIFEST_NAME})",
    )
    verify.add_argument(
        "--allow-missing-manifest",
        action="store_true",
        help="pass (with a note) when there is no manifest, instead of exit 3",
    )
    verify.add_argument("--policy", type=Path, metavar="FILE", help="policy file (waivers)")
    add_report_options(verify)
    verify.set_defaults(func=cmd_verify)


def cmd_create(args: argparse.Namespace) -> int:
    from forgegate.atomic import write_atomic

    to_stdout = str(args.output) == "-"
    base = Path.cwd() if to_stdout else args.output.resolve().parent
    files = [f for f in args.files if f.resolve() != args.output.resolve()]
    for f in files:
        if not f.exists():
            raise UsageError(f"{f}: no such file")
    entries = create_entries(files, base, binary=args.binary)
    text = render_manifest(entries)
    if to_stdout:
        sys.stdout.write(text)
    else:
        write_atomic(args.output, text)
        print(f"forgegate: wrote {len(entries)} checksum(s) to {args.output}", file=sys.stderr)
    return EXIT_OK


def _finding(problem: Problem, manifest: str) -> Finding:
    rule = RULES[problem.kind]
    if problem.kind == "mismatch":
        message = (
            f"{problem.name}: SHA-256 is {problem.actual}, {manifest} says {problem.expected}; "
            "the file is not the one released"
        )
    elif problem.kind == "missing":
        message = f"{problem.name} is listed in {manifest} but not there"
    else:
        message = f"{problem.name} has no entry in {manifest}; it cannot be verified"
    return Finding(
        rule,
        Severity.ERROR,
        message,
        Location(problem.name),
        fingerprint(rule, problem.name, f"{problem.expected}\0{problem.actual}"),
    )


def cmd_verify(args: argparse.Namespace) -> int:
    from forgegate.cli import emit_reports
    from forgegate.gate import external_run
    from forgegate.policy.loader import load_policy

    manifest: Path = args.manifest
    if not manifest.is_file():
        if args.allow_missing_manifest:
            print(f"forgegate: note: no manifest {manifest}; nothing verified", file=sys.stderr)
            return EXIT_OK
        raise GateError(
            f"{manifest}: no checksum manifest; create it with `forgegate checksums create` "
            "(or pass --allow-missing-manifest to accept unverified files)"
        )
    try:
        text = manifest.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise GateError(f"{manifest}: cannot read the manifest: {err}") from None
    try:
        entries = parse_manifest(text, str(manifest))
    except UsageError as err:
        raise GateError(f"{err}; nothing was verified") from None
    base = manifest.resolve().parent
    names = []
    for artifact in args.artifacts:
        try:
            names.append(artifact.resolve().relative_to(base).as_posix())
        except ValueError:
            raise UsageError(f"{artifact}: not under the manifest's directory {base}") from None
    names = [n for n in names if n != manifest.name]
    problems, verified = verify_entries(entries, base, names)
    policy = load_policy(Path.cwd(), args.policy)
    run = external_run(
        base,
        policy,
        [_finding(p, manifest.name) for p in problems],
        ["release"],
        paths=[e.name for e in entries],
    )
    emit_reports(args, run)
    print(
        f"forgegate: {verified} file(s) verified against {manifest}, {len(problems)} problem(s)",
        file=sys.stderr,
    )
    return EXIT_FINDINGS if run.outcome.failed else EXIT_OK

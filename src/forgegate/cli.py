"""The ``forgegate`` command line. Exit codes: 0 pass, 1 findings, 2 usage, 3 gate could not run."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forgegate import __version__
from forgegate.errors import (
    EXIT_FINDINGS,
    EXIT_GATE,
    EXIT_OK,
    EXIT_USAGE,
    ForgegateError,
    GateError,
    UsageError,
)
from forgegate.model import Severity

if TYPE_CHECKING:
    from forgegate.gate import GateRun

DESCRIPTION = """\
forgegate: a supply-chain and repository-health gate for GitHub.

exit codes: 0 passed, 1 findings at or above the fail level, 2 usage or configuration error,
3 a gate could not run (a rule crashed, a tool or input is missing): it fails closed."""


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (its default), naming the subcommand's usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _families(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_scan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "path",
        nargs="?",
        default=".",
        type=Path,
        help="repository to check (default: the current directory)",
    )
    p.add_argument(
        "--policy",
        type=Path,
        metavar="FILE",
        help="policy file (default: .github/forgegate.yml or [tool.forgegate] in pyproject.toml)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="lay the policy over policies/strict.yml (for release branches)",
    )
    p.add_argument(
        "--only",
        type=_families,
        metavar="FAMILY,...",
        help="run only these rule families (see: forgegate rules)",
    )
    p.add_argument(
        "--allow-any-root", action="store_true", help="allow scanning / or the home directory"
    )
    p.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="worker processes for large trees (default: the number of cores)",
    )


#: subcommands defined in ``forgegate.commands.<name>`` (each module's ``add_parser(sub)``
#: registers its command), in the order ``--help`` lists them
COMMAND_MODULES = (
    "checksums",
    "sbom",
    "audit",
    "verify",
    "provenance",
    "sign",
    "report",
    "licenses",
    "attest",
    "release",
)
#: subcommands defined in this module
CORE_COMMANDS = ("check", "rules", "explain", "baseline", "policy", "clean", "fix")
#: global options that take a value (so the value is not mistaken for the command)
_VALUED_GLOBALS = ("--log-format", "--log-level")


def invoked_command(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (the first token that is not a global option)."""
    tokens = iter(argv)
    for token in tokens:
        if token in _VALUED_GLOBALS:
            next(tokens, None)
        elif not token.startswith("-"):
            return token
    return None


def _command_modules(argv: Sequence[str] | None) -> tuple[str, ...]:
    """Which command modules to import: only the invoked one (importing every command's
    dependencies cost ~20 ms of each ``check``), all of them for help and usage errors."""
    wanted = invoked_command(argv) if argv is not None else None
    if wanted in CORE_COMMANDS:
        return ()
    if wanted in COMMAND_MODULES:
        return (wanted,)
    return COMMAND_MODULES


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser; given ``argv``, only the command it names is fully registered."""
    parser = _Parser(
        prog="forgegate",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"forgegate {__version__}")
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines on stderr as text or JSON lines with run id and operation (default: text)",
    )
    parser.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="warning",
        help="least severe log messages shown (default: warning); secrets are always redacted",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    check = sub.add_parser(
        "check",
        help="run the gate on a repository",
        description="Run the gate: walk the repository once, check, "
        "filter through the policy, report.",
    )
    _add_scan_options(check)
    add_report_options(check)
    check.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="baseline file (default: the policy's, .forgegate-baseline.json)",
    )
    check.add_argument(
        "--changed-only",
        action="store_true",
        help="check only files changed since --base (pull-request mode)",
    )
    check.add_argument(
        "--base",
        metavar="REF",
        help="base commit for --changed-only (default: origin/$GITHUB_BASE_REF)",
    )
    check.add_argument(
        "--run-manifest",
        type=Path,
        metavar="FILE",
        default=Path(os.environ.get("FORGEGATE_RUN_MANIFEST", "forgegate-run.json")),
        help="where to write the run manifest: tool versions, input/policy/baseline/findings "
        "hashes, durations (default: $FORGEGATE_RUN_MANIFEST or forgegate-run.json)",
    )
    check.add_argument(
        "--no-run-manifest",
        dest="run_manifest",
        action="store_const",
        const=None,
        help="do not write the run manifest",
    )
    check.add_argument(
        "--files",
        nargs="+",
        metavar="FILE",
        help="check only these files, relative to PATH (how pre-commit calls it); "
        "repository-wide rules still see the whole tree",
    )
    check.set_defaults(func=cmd_check)

    rules = sub.add_parser(
        "rules",
        help="list every rule",
        description="List every rule with its family and default severity.",
    )
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rules.set_defaults(func=cmd_rules)

    explain = sub.add_parser(
        "explain",
        help="print a rule's documentation",
        description="Print the documentation page of one rule.",
    )
    explain.add_argument("rule_id", metavar="RULE_ID", help="e.g. hygiene/backup-files")
    explain.set_defaults(func=cmd_explain)

    baseline = sub.add_parser(
        "baseline",
        help="manage the baseline file",
        description="Manage the baseline of accepted findings.",
    )
    bsub = baseline.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    bsub.required = True
    update = bsub.add_parser(
        "update",
        help="record every current finding in the baseline",
        description="Run the gate and rewrite the baseline with every "
        "finding that is not suppressed or waived.",
    )
    _add_scan_options(update)
    update.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="baseline file (default: the policy's, .forgegate-baseline.json)",
    )
    update.set_defaults(func=cmd_baseline_update)

    policy = sub.add_parser(
        "policy", help="work with policy files", description="Work with policy files."
    )
    psub = policy.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    psub.required = True
    validate = psub.add_parser(
        "validate",
        help="validate a policy and print it resolved",
        description="Validate the policy against policy.schema.json; "
        "exit 2 naming the file, line and key on error.",
    )
    validate.add_argument(
        "file", nargs="?", type=Path, help="policy file (default: the repository's)"
    )
    validate.add_argument("--root", type=Path, default=Path("."), help="repository root")
    validate.add_argument("--strict", action="store_true", help="lay it over strict.yml")
    validate.add_argument(
        "--print",
        action="store_true",
        dest="show",
        help="print the resolved policy (defaults applied) as JSON",
    )
    validate.set_defaults(func=cmd_policy_validate)

    clean = sub.add_parser(
        "clean",
        help="remove build output, caches and stray files (dry run unless --yes)",
        description="Remove what the hygiene family flags as build output, caches and stray "
        "files (dist/, build/, *.egg-info/, __pycache__/, *.pyc, node_modules/, .venv/, .tox/, "
        "backup and swap files, root logs and databases) from a working tree, ignored files "
        "included. Prints what would go and the bytes; --yes removes it. Never enters .git, "
        "never follows symlinks; refuses /, the home directory and paths outside the current "
        "repository.",
    )
    clean.add_argument(
        "path", nargs="?", default=".", type=Path, help="directory to clean (default: .)"
    )
    clean.add_argument("--yes", action="store_true", help="remove (default: dry run)")
    clean.add_argument(
        "--allow-outside-root",
        action="store_true",
        help="clean a directory outside the current repository (asks to type its path)",
    )
    clean.add_argument(
        "--audit",
        type=Path,
        metavar="FILE",
        default=Path("forgegate-clean.json"),
        help="JSON record of what was (or would be) removed (default: forgegate-clean.json)",
    )
    clean.set_defaults(func=cmd_clean)

    import importlib

    for name in _command_modules(argv):
        importlib.import_module(f"forgegate.commands.{name}").add_parser(sub)

    fix = sub.add_parser("fix", help="fix findings automatically", description="Fix findings.")
    fsub = fix.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    fsub.required = True
    pins = fsub.add_parser(
        "pins",
        help="pin every tag or branch `uses:` to its commit SHA",
        description="Resolve tag, branch and short-SHA `uses:` refs in workflows and actions "
        "through the GitHub API and pin them to full commit SHAs (`@<sha> # <ref>`). Without "
        "--write, print a diff and exit 1 when something would change. Set GITHUB_TOKEN for "
        "a higher rate limit.",
    )
    pins.add_argument(
        "path", nargs="?", default=".", type=Path, help="repository (default: the current one)"
    )
    pins.add_argument("--write", action="store_true", help="rewrite the files (atomically)")
    pins.add_argument("--policy", type=Path, metavar="FILE", help="policy file (workflow-paths)")
    pins.add_argument(
        "--base-url",
        metavar="URL",
        help="GitHub API URL (default: $GITHUB_API_URL or https://api.github.com; GHES: "
        "https://HOST/api/v3)",
    )
    pins.add_argument(
        "--max-wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="longest rate-limit wait to sit out; longer ones exit 3 (default: 60)",
    )
    pins.set_defaults(func=_cmd_fix_pins)
    return parser


def _cmd_fix_pins(args: argparse.Namespace) -> int:
    from forgegate.commands.fix_pins import cmd_fix_pins

    return cmd_fix_pins(args)


def _load_policy(args: argparse.Namespace, root: Path):  # type: ignore[no-untyped-def]
    from forgegate.policy.loader import load_policy

    return load_policy(root, args.policy, "strict" if args.strict else None)


def _default_base() -> str:
    base_ref = os.environ.get("GITHUB_BASE_REF")
    if base_ref:
        return f"origin/{base_ref}"
    raise UsageError("--changed-only needs --base REF (or GITHUB_BASE_REF in a pull request)")


def _write(path: Path | None, text: str) -> None:
    from forgegate.atomic import write_atomic

    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        write_atomic(path, text)


def add_report_options(p: argparse.ArgumentParser, fail_on: bool = True) -> None:
    """--format, --output, --sarif, --json, --summary, --github-output, --fail-on: every gate
    command."""
    p.add_argument(
        "--format",
        choices=("text", "json", "sarif", "github"),
        default="text",
        help="report format on stdout or --output (default: text; rich on a terminal)",
    )
    p.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="write the report here (atomically) instead of stdout",
    )
    p.add_argument("--sarif", type=Path, metavar="FILE", help="also write SARIF 2.1.0 here")
    p.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="also write the JSON report here (what `forgegate report github` publishes)",
    )
    p.add_argument(
        "--summary",
        type=Path,
        metavar="FILE",
        help="also write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY)",
    )
    p.add_argument(
        "--github-output",
        type=Path,
        metavar="FILE",
        help="append step outputs (findings, failing, failed, baselined, sarif) here, "
        "e.g. $GITHUB_OUTPUT",
    )
    if fail_on:
        p.add_argument(
            "--fail-on",
            type=_severity,
            metavar="LEVEL",
            help="lowest severity that fails: error, warning or note (default: the policy's)",
        )


def add_github_api_options(p: Any, token_help: str = "the token") -> None:
    """--base-url and --token-env: every command that talks to the GitHub API."""
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="GitHub API URL (default: $GITHUB_API_URL or https://api.github.com; GHES: "
        "https://HOST/api/v3)",
    )
    p.add_argument(
        "--token-env",
        default="GITHUB_TOKEN",
        metavar="NAME",
        help=f"environment variable holding {token_help} (default: GITHUB_TOKEN)",
    )


def emit_reports(args: argparse.Namespace, run: GateRun) -> None:
    """Write the run in every requested format (stdout or --output, SARIF, summary, outputs)."""
    from forgegate.report import renderer

    if isinstance(getattr(args, "fail_on", None), Severity):
        run.outcome.fail_on = args.fail_on
    if args.sarif is not None:
        _write(args.sarif, renderer("sarif")(run))
    if args.json is not None:
        _write(args.json, renderer("json")(run))
    if args.summary is not None:
        from forgegate.report.summary import append_summary

        append_summary(args.summary, run)
    if args.github_output is not None:
        from forgegate.report.outputs import append_outputs

        append_outputs(args.github_output, run, args.sarif)
    if args.format == "text" and args.output is None and sys.stdout.isatty():
        from forgegate.report.text import print_rich

        print_rich(run)
    else:
        _write(args.output, renderer(args.format)(run))


def cmd_check(args: argparse.Namespace) -> int:
    from forgegate.gate import check_root, run_gate

    root = check_root(args.path, args.allow_any_root)
    policy = _load_policy(args, root)
    base = (args.base or _default_base()) if args.changed_only else None
    if args.files is not None and args.changed_only:
        raise UsageError("--files and --changed-only both choose the files: use one")
    run = run_gate(
        root,
        policy,
        only=args.only,
        baseline_path=args.baseline,
        changed_base=base,
        files=args.files,
        jobs=args.jobs,
    )
    emit_reports(args, run)
    if args.run_manifest is not None:
        from forgegate.report.manifest import write_manifest

        write_manifest(args.run_manifest, run)
    if run.scan.crashed:
        print(
            "forgegate: a rule crashed (see engine/check-crashed findings); the gate could "
            "not decide",
            file=sys.stderr,
        )
        return EXIT_GATE
    return EXIT_FINDINGS if run.outcome.failed else EXIT_OK


def cmd_clean(args: argparse.Namespace) -> int:
    from forgegate.checks.hygiene.large_files import human as human_bytes
    from forgegate.clean import check_clean_root, find_targets, remove, write_audit

    root = check_clean_root(args.path, args.allow_outside_root)
    targets = list(find_targets(root))
    total = sum(t.bytes for t in targets)
    verb = "removing" if args.yes else "would remove"
    for target in targets:
        suffix = "/" if target.kind == "directory" else ""
        print(f"{verb} {target.path}{suffix}  ({human_bytes(target.bytes)}, {target.reason})")
    error = None
    if args.yes:
        targets, error = remove(root, targets)
    audit = args.audit
    write_audit(audit, root, targets, dry_run=not args.yes)
    if error is not None:
        raise GateError(f"{error}; {len(targets)} item(s) removed before it, listed in {audit}")
    done = "removed" if args.yes else "would free"
    print(
        f"forgegate: {done} {human_bytes(total)} in {len(targets)} item(s); "
        f"record in {audit}" + ("" if args.yes else " (dry run: pass --yes to remove)")
    )
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from forgegate.registry import all_rules

    rules = all_rules()
    if args.format == "json":
        doc = [
            {
                "id": r.id,
                "family": r.family,
                "severity": r.severity.label,
                "title": r.title,
                "summary": r.summary,
                "offline": r.offline,
                "docs": r.docs_url,
            }
            for r in rules.values()
        ]
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return EXIT_OK
    width = max(len(rule_id) for rule_id in rules)
    for rule in rules.values():
        sys.stdout.write(f"{rule.id:<{width}}  {rule.severity.label:<7}  {rule.title}\n")
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from forgegate.registry import all_rules
    from forgegate.resources import rule_doc_path

    rules = all_rules()
    rule = rules.get(args.rule_id)
    if rule is None:
        close = [r for r in rules if args.rule_id in r or r.endswith("/" + args.rule_id)]
        hint = f" (did you mean: {', '.join(close)})" if close else " (list them: forgegate rules)"
        raise UsageError(f"unknown rule {args.rule_id!r}{hint}")
    page = rule_doc_path(rule.id)
    if page.is_file():
        sys.stdout.write(page.read_text(encoding="utf-8"))
    else:
        sys.stdout.write(f"# {rule.id}: {rule.title}\n\n{rule.summary}\n\n{rule.docs_url}\n")
    return EXIT_OK


def cmd_baseline_update(args: argparse.Namespace) -> int:
    from forgegate.gate import check_root, run_gate
    from forgegate.policy.baseline import load_baseline, write_baseline

    root = check_root(args.path, args.allow_any_root)
    policy = _load_policy(args, root)
    target = args.baseline or root / policy.baseline
    load_baseline(target)  # refuse to overwrite a file that is not a forgegate baseline
    run = run_gate(root, policy, only=args.only, ignore_baseline=True, jobs=args.jobs)
    if run.scan.crashed:
        raise ForgegateError("a rule crashed; not writing a baseline from an incomplete run")
    count = write_baseline(target, [*run.outcome.new, *run.outcome.baselined])
    print(f"forgegate: wrote {count} fingerprint(s) to {target}")
    return EXIT_OK


def cmd_policy_validate(args: argparse.Namespace) -> int:
    from forgegate.policy.loader import load_policy

    policy = load_policy(args.root, args.file, "strict" if args.strict else None)
    if args.show:
        sys.stdout.write(json.dumps(policy.document, indent=2, sort_keys=True) + "\n")
    else:
        print(f"forgegate: {policy.source}: valid (sha256 {policy.digest[:16]})")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    from forgegate import logs

    logs.configure(args.log_format, args.log_level)
    try:
        code: int = args.func(args)
    except ForgegateError as err:
        from forgegate.redact import redact

        print(f"forgegate: error: {redact(str(err))}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("forgegate: interrupted", file=sys.stderr)
        return EXIT_GATE
    except BrokenPipeError:
        return EXIT_OK
    return code


if __name__ == "__main__":
    raise SystemExit(main())

"""``forgegate audit``: known vulnerabilities of dependencies, online (pip-audit) or offline."""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from forgegate.cli import _Parser
from forgegate.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from forgegate.model import Finding, Location, Severity, fingerprint

if TYPE_CHECKING:
    from forgegate.supplychain.audit import AuditedDependency, Vulnerability

RULE = "deps/vulnerable-dependency"
#: --fail-on level -> lowest CVSS score that fails (a vulnerability without a score always fails)
LEVELS = {"critical": 9.0, "high": 7.0, "medium": 4.0, "low": 0.1, "any": 0.0}


def add_parser(sub: argparse._SubParsersAction[_Parser]) -> None:
    from forgegate.cli import add_report_options

    parser = sub.add_parser(
        "audit",
        help="audit dependencies for known vulnerabilities",
        description="Audit requirements files, a lock file or an installed environment for "
        "known vulnerabilities with pip-audit (PyPI or OSV). Fails closed: a service that "
        "cannot be reached, or any dependency pip-audit skips, is exit 3, never a pass. "
        "Findings go through the policy (waivers by vulnerability id), baseline and reports.",
    )
    parser.add_argument(
        "-r", "--requirement", action="append", type=Path, default=[], metavar="FILE"
    )
    parser.add_argument(
        "--lock", type=Path, metavar="FILE", help="uv.lock, poetry.lock, pylock.toml"
    )
    parser.add_argument("--path", type=Path, metavar="DIR", help="audit an installed environment")
    parser.add_argument(
        "--vuln-db",
        type=Path,
        metavar="PATH",
        help="offline OSV database: a directory or zip of OSV records (JSON or YAML), e.g. the "
        "PyPA advisory database or OSV's PyPI/all.zip; indexed once, cached by content hash",
    )
    parser.add_argument(
        "--engine",
        choices=("forgegate", "pip-audit"),
        default="forgegate",
        help="with --vuln-db: match in process (default, fast), or run pip-audit against a "
        "loopback OSV API that serves the database",
    )
    parser.add_argument("--service", choices=("pypi", "osv"), default="pypi")
    parser.add_argument("--osv-url", metavar="URL", help="OSV API query URL (default: api.osv.dev)")
    parser.add_argument(
        "--resolve",
        action="store_true",
        help="let pip-audit resolve transitive dependencies of -r files (needs an index)",
    )
    parser.add_argument(
        "--fail-on",
        choices=tuple(LEVELS),
        default="any",
        help="lowest CVSS severity that fails (default: any; unscored ones always fail)",
    )
    parser.add_argument("--policy", type=Path, metavar="FILE", help="policy file (waivers)")
    parser.add_argument("--baseline", type=Path, metavar="FILE", help="baseline file")
    add_report_options(parser, fail_on=False)
    parser.set_defaults(func=cmd_audit)


def fails_at(finding: Finding, threshold: float) -> bool:
    """A finding fails at ``threshold`` when its CVSS score reaches it, or it has none."""
    score = finding.properties.get("cvss", "unknown")
    return score == "unknown" or float(score) >= threshold


def smallest_fix(current: str, vulns: Sequence[Vulnerability]) -> str | None:
    """The smallest version that fixes every vulnerability (None: some has no fix)."""
    from packaging.version import InvalidVersion, Version

    try:
        now = Version(current)
    except InvalidVersion:
        return None
    needed: list[Version] = []
    for vuln in vulns:
        fixes = []
        for text in vuln.fix_versions:
            try:
                version = Version(text)
            except InvalidVersion:
                continue
            if version > now:
                fixes.append(version)
        if not fixes:
            return None
        needed.append(min(fixes))
    return str(max(needed)) if needed else None


_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[|==|===|>=|~=|@|;|$)")


def requirement_lines(path: Path) -> dict[str, int]:
    """Canonical name -> the first line of the requirements file ``path`` that names it (read
    once per audit: a file rewritten between two audits of one process is read anew)."""
    from packaging.utils import canonicalize_name

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        match = _REQUIREMENT_NAME.match(line)
        if match:
            found.setdefault(canonicalize_name(match.group(1)), number)
    return found


def findings_for(
    deps: Sequence[AuditedDependency], where: Path, scores: dict[str, float] | None = None
) -> list[Finding]:
    from packaging.utils import canonicalize_name

    lines = requirement_lines(where) if where.is_file() else {}
    result = []
    for dep in deps:
        package = canonicalize_name(dep.name)
        upgrade = smallest_fix(dep.version, dep.vulns)
        for vuln in dep.vulns:
            score = (scores or {}).get(vuln.id)
            severity = (
                Severity.ERROR
                if score is None or score >= 7.0
                else Severity.WARNING
                if score >= 4.0
                else Severity.NOTE
            )
            aliases = f" ({', '.join(vuln.aliases)})" if vuln.aliases else ""
            fixed = (
                f"fixed in {', '.join(vuln.fix_versions)}" if vuln.fix_versions else "no fix yet"
            )
            advice = f"; upgrade to {upgrade} to fix all known" if upgrade else ""
            message = f"{dep.name} {dep.version}: {vuln.id}{aliases}: {fixed}{advice}"
            path = where.as_posix()
            result.append(
                Finding(
                    RULE,
                    severity,
                    message,
                    Location(path, lines.get(package)),
                    fingerprint(RULE, path, f"{dep.name.lower()}\0{vuln.id}"),
                    fix=f"{dep.name}=={upgrade}" if upgrade else None,
                    properties={
                        "package": package,
                        "vulnerability": vuln.id,
                        "aliases": ",".join(vuln.aliases),
                        "cvss": "unknown" if score is None else f"{score:.1f}",
                    },
                )
            )
    return result


def _lock_requirements(lock: Path, directory: Path) -> Path:
    from forgegate.supplychain.sbom.sources import from_lock

    lines = []
    for package in from_lock(lock):
        hashes = "".join(f" --hash={alg}:{value}" for alg, value in package.hashes)
        lines.append(f"{package.display or package.name}=={package.version}{hashes}\n")
    target = directory / "requirements.txt"
    target.write_text("".join(lines), encoding="utf-8")
    return target


def _pinned(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(name, version) of every dependency of the chosen source, read by forgegate."""
    from forgegate.supplychain.sbom.sources import from_environment, from_lock, from_requirements

    if args.lock is not None:
        packages = from_lock(args.lock)
    elif args.path is not None:
        packages = from_environment(args.path)
    else:
        packages = [p for req in args.requirement for p in from_requirements(req)]
    from forgegate.supplychain.osv.ranges import parse

    # versions as pip-audit reports them: PEP 440 normal form where there is one
    return sorted({(p.name, str(parse(p.version) or p.version)) for p in packages})


def _via_pip_audit(
    args: argparse.Namespace, service: str, osv_url: str | None, label: str
) -> list[AuditedDependency]:
    from forgegate.supplychain.audit import pip_audit_command, run_pip_audit

    with tempfile.TemporaryDirectory(prefix="forgegate-audit-") as tmp:
        requirements = list(args.requirement)
        if args.lock is not None:
            requirements = [_lock_requirements(args.lock, Path(tmp))]
        argv = pip_audit_command(
            requirements=requirements,
            path=args.path,
            service=service,
            osv_url=osv_url,
            resolve=args.resolve,
        )
        return run_pip_audit(argv, label)


def _offline(
    args: argparse.Namespace,
) -> tuple[list[AuditedDependency], dict[str, float], str]:
    """Audit against --vuln-db; exit 3 when the database cannot decide for a dependency."""
    from forgegate.errors import GateError
    from forgegate.supplychain.osv.database import load_index

    index, cached = load_index(args.vuln_db)
    for problem in index.problems:
        if problem.broken:
            print(f"forgegate: warning: --vuln-db {problem}", file=sys.stderr)
    tolerated = sorted(p.record for p in index.problems if not p.broken)
    if tolerated:
        print(
            f"forgegate: note: {len(tolerated)} record(s) of --vuln-db fail the OSV schema only "
            f"where matching never looks (GIT ranges, id prefixes) and are used: "
            f"{', '.join(tolerated[:10])}{' ...' if len(tolerated) > 10 else ''}",
            file=sys.stderr,
        )
    label = (
        f"the offline OSV database {args.vuln_db} ({len(index.records)} advisories, index "
        f"{index.digest[:12]}{' cached' if cached else ' built'})"
    )
    scores: dict[str, float] = {}
    if args.engine == "forgegate":
        from forgegate.supplychain.osv.local_audit import audit

        deps, scores, undecided = audit(index, _pinned(args))
    else:
        from forgegate.supplychain.osv.local_audit import cvss_score
        from forgegate.supplychain.osv.server import OsvServer

        with OsvServer(index) as server:
            deps = _via_pip_audit(args, "osv", server.url, label)
        undecided = server.undecided
        by_id = {str(r["id"]): r for r in index.records}
        for dep in deps:
            for vuln in dep.vulns:
                found = [cvss_score(by_id[i]) for i in (vuln.id, *vuln.aliases) if i in by_id]
                known = [s for s in found if s is not None]
                if known:
                    scores[vuln.id] = max(known)
    if undecided:
        shown = "; ".join(undecided[:5]) + (
            f"; and {len(undecided) - 5} more" if len(undecided) > 5 else ""
        )
        raise GateError(
            f"the offline database cannot decide for every dependency ({shown}); fix or "
            "remove the named records, or update the database"
        )
    return deps, scores, label


def cmd_audit(args: argparse.Namespace) -> int:
    from forgegate.cli import emit_reports
    from forgegate.gate import external_run
    from forgegate.policy.loader import load_policy
    from forgegate.supplychain.audit import service_label

    chosen = sum(bool(x) for x in (args.requirement, args.lock, args.path))
    if chosen != 1:
        raise UsageError("audit one source: -r FILE (repeatable), --lock FILE or --path DIR")
    for req in args.requirement:
        if not req.is_file():
            raise UsageError(f"{req}: no such requirements file")
    if args.lock is not None and not args.lock.is_file():
        raise UsageError(f"{args.lock}: no such lock file")
    where = args.requirement[0] if args.requirement else (args.lock or args.path)
    scores: dict[str, float] = {}
    if args.vuln_db is not None:
        if args.osv_url or args.service != "pypi" or args.resolve:
            raise UsageError("--vuln-db answers offline: drop --service, --osv-url and --resolve")
        deps, scores, label = _offline(args)
    else:
        label = service_label(args.service, args.osv_url)
        deps = _via_pip_audit(args, args.service, args.osv_url, label)
    findings = findings_for(deps, where, scores)
    policy = load_policy(Path.cwd(), args.policy)
    run = external_run(Path.cwd(), policy, findings, ["deps"], baseline_path=args.baseline)
    level = args.fail_on
    run.outcome.fail_on = Severity.NOTE
    run.outcome.fails = lambda f: fails_at(f, LEVELS[level])
    args.fail_on = None  # the reports must not apply a severity level on top
    emit_reports(args, run)
    vulnerable = sum(1 for d in deps if d.vulns)
    print(
        f"forgegate: audited {len(deps)} dependencies with {label}: {vulnerable} vulnerable, "
        f"{len(run.outcome.failing)} finding(s) at or above --fail-on {level}",
        file=sys.stderr,
    )
    return EXIT_FINDINGS if run.outcome.failed else EXIT_OK

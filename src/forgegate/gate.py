"""The one flow: source -> checks -> findings -> policy -> (reports, by the caller)."""

from __future__ import annotations

import copy
import dataclasses
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forgegate import logs
from forgegate.checks.base import Check, MetaCheck
from forgegate.engine import ScanResult, scan
from forgegate.errors import UsageError
from forgegate.globs import compile_globs
from forgegate.model import Finding, Rule
from forgegate.policy.apply import Outcome, apply_policy
from forgegate.policy.baseline import EMPTY, Baseline, load_baseline
from forgegate.policy.loader import Policy, apply_defaults
from forgegate.redact import redact
from forgegate.registry import KNOWN_RULES, checks_of, families, find_check

log = logs.get("gate")


@dataclass
class GateRun:
    """Everything a report needs about one run."""

    root: Path
    policy: Policy
    rules: dict[str, Rule]
    families: list[str]
    scan: ScanResult
    outcome: Outcome
    baseline: Baseline
    seconds: float


def is_root_or_home(resolved: Path) -> bool:
    """The filesystem root or the home directory: never scanned or cleaned by accident."""
    return resolved == Path(resolved.anchor) or resolved == Path(os.path.expanduser("~")).resolve()


def check_root(root: Path, allow_any_root: bool = False) -> Path:
    """The directory to scan; ``/`` and the home directory only with ``--allow-any-root``."""
    if not root.exists():
        raise UsageError(f"{root}: no such directory")
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory; pass the repository's root directory")
    resolved = root.resolve()
    if not allow_any_root and is_root_or_home(resolved):
        raise UsageError(
            f"{resolved}: refusing to scan the filesystem root or the home directory; "
            "pass a repository directory (or --allow-any-root if you mean it)"
        )
    return resolved


def select_checks(policy: Policy, only: Sequence[str] | None) -> list[Check]:
    """Instantiate the enabled checks of the chosen families with their resolved options."""
    known = families()
    if only:
        unknown = sorted(set(only) - set(known))
        if unknown:
            raise UsageError(
                f"--only: unknown famil{'ies' if len(unknown) > 1 else 'y'} "
                f"{', '.join(unknown)} (choose from: {', '.join(known)})"
            )
    checks: list[Check] = []
    for rule_id, cls in checks_of(only or None).items():
        if issubclass(cls, MetaCheck):
            continue
        config = policy.rule(rule_id)
        if not config.enabled:
            continue
        check = cls(resolved_options(cls, policy))
        check.configure(policy.document)
        checks.append(check)
    return checks


def resolved_options(cls: type[Check], policy: Policy) -> dict[str, Any]:
    opts = copy.deepcopy(dict(policy.rule(cls.rule.id).options))
    result: dict[str, Any] = apply_defaults(opts, cls.options_schema, cls.options_schema)
    return result


def _redact_messages(outcome: Outcome) -> None:
    """No report prints a secret, whatever a rule put in a message."""
    for group in (outcome.new, outcome.baselined, outcome.suppressed, outcome.waived):
        for index, finding in enumerate(group):
            clean = redact(finding.message)
            if clean != finding.message:
                group[index] = dataclasses.replace(finding, message=clean)


def run_gate(
    root: Path,
    policy: Policy,
    *,
    only: Sequence[str] | None = None,
    baseline_path: Path | None = None,
    changed_base: str | None = None,
    files: Sequence[str] | None = None,
    jobs: int | None = None,
    ignore_baseline: bool = False,
) -> GateRun:
    start = time.perf_counter()
    checks = select_checks(policy, only)
    baseline = EMPTY if ignore_baseline else load_baseline(baseline_path or root / policy.baseline)
    rule_excludes = {
        rule_id: compile_globs(conf.exclude)
        for rule_id, conf in policy.rules.items()
        if conf.exclude
    }
    result = scan(
        root,
        checks,
        options={c.rule.id: dict(c.options) for c in checks},
        excluded=compile_globs(policy.exclude) if policy.exclude else None,
        rule_excludes=rule_excludes,
        changed_base=changed_base,
        files=files,
        max_file_size=policy.max_file_size,
        jobs=jobs,
    )
    outcome = apply_policy(
        result.findings,
        policy,
        result.suppressions,
        baseline,
        known_rules=KNOWN_RULES,
    )
    _redact_messages(outcome)
    log.info(
        "scanned %d paths, read %d files, %d new finding(s) in %.2fs",
        len(result.paths),
        result.files_read,
        len(outcome.new),
        time.perf_counter() - start,
        extra={"op": "scan"},
    )
    for family, seconds in sorted(result.durations.items()):
        log.debug("family %s took %.3fs", family, seconds, extra={"op": "scan"})
    ran = {c.rule.id: c.rule for c in checks}
    for f in [*outcome.new, *outcome.baselined, *outcome.suppressed, *outcome.waived]:
        if f.rule_id not in ran and (cls := find_check(f.rule_id)) is not None:
            ran[f.rule_id] = cls.rule
    return GateRun(
        root=root,
        policy=policy,
        rules=dict(sorted(ran.items())),
        families=sorted({c.rule.family for c in checks}),
        scan=result,
        outcome=outcome,
        baseline=baseline,
        seconds=time.perf_counter() - start,
    )


def external_run(
    root: Path,
    policy: Policy,
    findings: Sequence[Finding],
    families: Sequence[str],
    *,
    paths: Sequence[str] = (),
    baseline_path: Path | None = None,
    seconds: float = 0.0,
) -> GateRun:
    """A run whose findings come from a command (checksums, verify, audit), not from the walk:
    they go through the same policy, waivers, baseline and reports as every other finding."""
    baseline = load_baseline(baseline_path or root / policy.baseline)
    result = ScanResult(root=root, paths=list(paths), findings=list(findings))
    outcome = apply_policy(result.findings, policy, (), baseline)
    _redact_messages(outcome)
    rules = {rule_id: cls.rule for rule_id, cls in checks_of(families).items()}
    return GateRun(
        root=root,
        policy=policy,
        rules=dict(sorted(rules.items())),
        families=sorted(families),
        scan=result,
        outcome=outcome,
        baseline=baseline,
        seconds=seconds,
    )

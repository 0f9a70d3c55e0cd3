"""Pass raw findings through the policy: severities, suppressions, waivers, then the baseline."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field

from forgegate.errors import UsageError
from forgegate.globs import compile_globs
from forgegate.model import Finding, Location, Severity, fingerprint, is_rule_id
from forgegate.policy.baseline import EMPTY, Baseline
from forgegate.policy.loader import Policy, Waiver
from forgegate.policy.suppressions import Suppression

NO_REASON_RULE = "policy/suppression-without-reason"
EXPIRED_RULE = "policy/expired-waiver"


@dataclass
class Outcome:
    """Findings sorted by what the policy made of them; only ``new`` ones can fail the gate."""

    fail_on: Severity
    new: list[Finding] = field(default_factory=list)
    baselined: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    waived: list[Finding] = field(default_factory=list)
    #: a command's own fail test (e.g. the audit's CVSS threshold) instead of ``fail_on``
    fails: Callable[[Finding], bool] | None = None

    @property
    def failing(self) -> list[Finding]:
        if self.fails is not None:
            return [f for f in self.new if self.fails(f)]
        return [f for f in self.new if f.severity >= self.fail_on]

    @property
    def failed(self) -> bool:
        return bool(self.failing)


def _meta(
    rule_id: str, severity: Severity, message: str, path: str, line: int | None, key: str
) -> Finding:
    return Finding(
        rule_id, severity, message, Location(path, line), fingerprint(rule_id, path, key)
    )


def check_suppression_ids(suppressions: Iterable[Suppression], known: Container[str]) -> None:
    """An id that looks like a rule id but names no rule is a usage error (a typo hides nothing)."""
    for sup in suppressions:
        for rule_id in sup.rule_ids:
            if is_rule_id(rule_id) and rule_id not in known:
                raise UsageError(
                    f"{sup.path}:{sup.line}: forgegate: ignore[{rule_id}] names an unknown rule "
                    "(list them: forgegate rules)"
                )


def vulnerability_ids(finding: Finding) -> set[str]:
    """The vulnerability id and aliases a finding carries (``properties``), if any."""
    ids = {finding.properties.get("vulnerability", "")}
    ids.update(finding.properties.get("aliases", "").split(","))
    return {i.strip() for i in ids if i.strip()}


def _justified(finding: Finding, reason: str) -> Finding:
    return dataclasses.replace(finding, properties={**finding.properties, "justification": reason})


def apply_policy(
    findings: Sequence[Finding],
    policy: Policy,
    suppressions: Sequence[Suppression] = (),
    baseline: Baseline = EMPTY,
    *,
    known_rules: Container[str] | None = None,
    today: dt.date | None = None,
) -> Outcome:
    today = today or dt.date.today()
    outcome = Outcome(fail_on=policy.fail_on)
    if known_rules is not None:
        check_suppression_ids(suppressions, known_rules)
    meta_severity = {
        rule_id: policy.rule(rule_id).severity or default
        for rule_id, default in ((NO_REASON_RULE, Severity.WARNING), (EXPIRED_RULE, Severity.ERROR))
    }
    extra: list[Finding] = []
    by_path: dict[str, list[Suppression]] = defaultdict(list)
    for sup in suppressions:
        if sup.reason:
            by_path[sup.path].append(sup)
        elif policy.rule(NO_REASON_RULE).enabled:
            extra.append(
                _meta(
                    NO_REASON_RULE,
                    meta_severity[NO_REASON_RULE],
                    f"suppression of {', '.join(sup.rule_ids) or 'nothing'} gives no reason; "
                    "write one after the bracket: forgegate: ignore[rule-id] why it is accepted",
                    sup.path,
                    sup.line,
                    ",".join(sup.rule_ids),
                )
            )
    active: list[tuple[Waiver, object]] = []
    for waiver in policy.waivers:
        if waiver.expires < today:
            if policy.rule(EXPIRED_RULE).enabled:
                extra.append(
                    _meta(
                        EXPIRED_RULE,
                        meta_severity[EXPIRED_RULE],
                        f"waiver for {waiver.rule or waiver.vulnerability or waiver.package}"
                        f"{' on ' + waiver.path if waiver.path else ''} "
                        f"(owner {waiver.owner}) expired on {waiver.expires.isoformat()}; "
                        "fix the findings or renew the waiver with a new date",
                        waiver.source,
                        waiver.line,
                        f"{waiver.rule or waiver.vulnerability or waiver.package}\0{waiver.path}"
                        f"\0{waiver.owner}",
                    )
                )
            continue
        active.append((waiver, compile_globs([waiver.path]) if waiver.path else None))

    excludes = {
        rule_id: compile_globs(conf.exclude)
        for rule_id, conf in policy.rules.items()
        if conf.exclude
    }
    for finding in [*findings, *extra]:
        excluded = excludes.get(finding.rule_id)
        if excluded is not None and excluded(finding.location.path):
            continue  # the engine drops these for checks; this covers engine/policy findings
        override = policy.rule(finding.rule_id).severity
        if override is not None and override != finding.severity:
            finding = finding.with_severity(override)
        loc = finding.location
        covering = next(
            (s for s in by_path.get(loc.path, ()) if s.covers(finding.rule_id, loc.line)), None
        )
        matched = next(
            (
                w
                for w, m in active
                if (w.rule is None or w.rule == finding.rule_id)
                and (w.vulnerability is None or w.vulnerability in vulnerability_ids(finding))
                and (w.package is None or w.package == finding.properties.get("package"))
                and (m is None or m(loc.path))  # type: ignore[operator]
            ),
            None,
        )
        if covering is not None:
            outcome.suppressed.append(_justified(finding, covering.reason))
        elif matched is not None:
            reason = (
                f"{matched.reason} (owner {matched.owner}, expires {matched.expires.isoformat()})"
            )
            outcome.waived.append(_justified(finding, reason))
        elif finding in baseline:
            outcome.baselined.append(finding)
        else:
            outcome.new.append(finding)
    outcome.new.sort(key=Finding.sort_key)
    return outcome

"""The vocabulary every check speaks: severities, rules, locations and findings."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import IntEnum

DOCS_BASE_URL = "https://github.com/forgegate/forgegate/blob/main/docs/rules/"

_RULE_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*/[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


class Severity(IntEnum):
    """Ordered so that ``finding.severity >= fail_on`` means "fails the gate"."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def security_severity(self) -> str:
        """The CVSS-like score GitHub code scanning reads from SARIF ``security-severity``."""
        return {Severity.ERROR: "8.0", Severity.WARNING: "5.5", Severity.NOTE: "2.0"}[self]

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose one of: {choices})") from None


def is_rule_id(text: str) -> bool:
    """``<family>/<name>``, both kebab case."""
    return bool(_RULE_ID.match(text))


@dataclass(frozen=True)
class Rule:
    """Metadata of one rule; the same id names its SARIF ruleId, doc page and suppressions."""

    id: str
    title: str
    severity: Severity
    summary: str
    offline: bool = True
    since: str = "0.1.0"

    def __post_init__(self) -> None:
        if not is_rule_id(self.id):
            raise ValueError(f"rule id {self.id!r} is not <family>/<name> in kebab case")

    @property
    def family(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def docs_url(self) -> str:
        return f"{DOCS_BASE_URL}{self.id}.md"


@dataclass(frozen=True, order=True)
class Location:
    """A place in the repository; ``line`` and ``column`` are 1-based, None for a whole file."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        if self.column is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Finding:
    """One problem found by one rule at one place.

    ``fingerprint`` identifies the finding across unrelated edits: it is derived from the rule,
    the path and the content of the offending line (never its number), see :func:`fingerprint`.
    """

    rule_id: str
    severity: Severity
    message: str
    location: Location
    fingerprint: str
    fix: str | None = None
    properties: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.path, loc.line or 0, loc.column or 0, self.rule_id, self.fingerprint)

    def with_severity(self, severity: Severity) -> Finding:
        return Finding(
            self.rule_id,
            severity,
            self.message,
            self.location,
            self.fingerprint,
            self.fix,
            self.properties,
        )

    def with_fingerprint(self, fingerprint: str) -> Finding:
        return Finding(
            self.rule_id,
            self.severity,
            self.message,
            self.location,
            fingerprint,
            self.fix,
            self.properties,
        )


def fingerprint(rule_id: str, path: str, key: str) -> str:
    """A stable id for a finding: rule + path + a content key (whitespace-normalised).

    Checks pass the offending line's text (or another content-derived key) as ``key`` so that
    edits elsewhere in the file leave the fingerprint unchanged. The engine disambiguates
    identical keys in one file by order of appearance.
    """
    normalised = " ".join(key.split())
    digest = hashlib.sha256(f"{rule_id}\0{path}\0{normalised}".encode()).hexdigest()
    return digest[:32]

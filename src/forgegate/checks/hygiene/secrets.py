"""hygiene/secrets: credentials committed to the repository.

Each kind of secret has a cheap bytes needle and a precise pattern; a file is decoded and
searched for a kind only when its needle is present, so most files cost one ``in`` test per
needle. Findings never carry the secret: the message shows a redacted prefix and the
fingerprint hashes the secret.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any, ClassVar

from forgegate.checks.base import Context, FileCheck, SourceFile
from forgegate.model import Finding, Rule, Severity
from forgegate.redact import redacted_prefix
from forgegate.registry import register

# (kind, needles, pattern); the pattern's group "secret" is what must never be printed
KINDS: list[tuple[str, tuple[bytes, ...], re.Pattern[str]]] = [
    (
        "private key",
        (b"PRIVATE KEY",),
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"(?P<secret>[\s\S]{0,16384}?)-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        ),
    ),
    (
        "AWS access key id",
        (b"AKIA", b"ASIA"),
        re.compile(r"(?<![A-Z0-9])(?P<secret>(?:AKIA|ASIA)[0-9A-Z]{16})(?![A-Z0-9])"),
    ),
    (
        "GitHub token",
        (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"github_pat_"),
        re.compile(
            r"(?<![A-Za-z0-9_])(?P<secret>gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})"
            r"(?![A-Za-z0-9_])"
        ),
    ),
    (
        "Slack token",
        (b"xox",),
        re.compile(r"(?<![A-Za-z0-9])(?P<secret>xox[abprs]-[0-9A-Za-z]{8,}-[0-9A-Za-z-]{8,})"),
    ),
    (
        "Slack webhook URL",
        (b"hooks.slack.com",),
        re.compile(
            r"hooks\.slack\.com/services/(?P<secret>T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,})"
        ),
    ),
    (
        "Stripe secret key",
        (b"_live_",),
        re.compile(r"(?<![A-Za-z0-9])(?P<secret>(?:sk|rk)_live_[0-9a-zA-Z]{24,})"),
    ),
    (
        "password in a URL",
        (b"://",),
        re.compile(
            r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://(?P<user>[^\s:/@\"'<>{}()\[\]]+)"
            r":(?P<secret>[^\s@/\"'<>]+)@[A-Za-z0-9.-]+"
        ),
    ),
]
_EXAMPLE_AWS = re.compile(r"EXAMPLE$")
_PLACEHOLDER = re.compile(
    r"^(?:password|passwd|pass|pwd|secret|changeme|xxx+|\*+|\.+|x+|-+|_+|"
    r"\$.*|%.*|\{.*|<.*|\[.*|.*\}|.*>|.*\]|your[_-]?password|example|test)$",
    re.I,
)


def _placeholder(kind: str, secret: str) -> bool:
    if kind == "AWS access key id":
        return bool(_EXAMPLE_AWS.search(secret))
    if kind == "password in a URL":
        return bool(_PLACEHOLDER.match(secret))
    if kind == "private key":
        body = re.sub(r"\s+", "", secret)
        return len(body) < 64 or "..." in secret or "…" in secret
    return False


@register
class Secrets(FileCheck):
    rule = Rule(
        id="hygiene/secrets",
        title="Secret committed to the repository",
        severity=Severity.ERROR,
        summary="A private key, cloud access key, API token or a password in a URL is in a "
        "tracked file.",
    )
    needles = tuple(n for _, needles, _ in KINDS for n in needles)
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "allow": {
                "description": "Regular expressions; a secret that fully matches one is accepted "
                "(e.g. documented test keys).",
                "type": "array",
                "items": {"type": "string", "minLength": 1, "format": "regex"},
                "default": [],
            }
        },
    }

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self._allow = [re.compile(p) for p in self.options.get("allow", [])]

    def check_file(self, source: SourceFile, ctx: Context) -> Iterable[Finding]:
        data = source.data
        for kind, needles, pattern in KINDS:
            if not any(n in data for n in needles):
                continue
            for match in pattern.finditer(source.text):
                secret = match.group("secret")
                if _placeholder(kind, secret) or any(a.fullmatch(secret) for a in self._allow):
                    continue
                start = match.start("secret") if kind != "private key" else match.start()
                shown = "-----BEGIN …" if kind == "private key" else redacted_prefix(secret)
                digest = hashlib.sha256(secret.encode()).hexdigest()[:16]
                yield self.finding(
                    f"{kind} committed ({shown}); rotate it now and remove it from the history",
                    source.path,
                    source.line_at(start),
                    source.column_at(start),
                    key=f"{kind}\0{digest}",
                    fix="revoke/rotate the credential, then purge it (git filter-repo) and read "
                    "it from a secret store or environment variable instead",
                )

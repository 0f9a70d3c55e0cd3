"""hygiene/secrets: credentials committed to the repository.

Speed: :meth:`Secrets.wants_data` skips most files on the engine's one needle search (a needle
per kind; URLs with a password need a cheap literal-prefixed search as well, because ``://``
alone is in every third file). The files that remain are searched once with one combined
pattern whose alternatives all begin with a literal character, so the regex engine jumps
between candidate characters instead of trying every alternative at every position.

Findings never carry the secret: the message shows :func:`~forgegate.redact.redacted_prefix`
and the fingerprint key is a hash of the secret.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any, ClassVar

from forgegate.checks.base import Context, FileCheck, SourceFile
from forgegate.model import Finding, Rule, Severity
from forgegate.redact import redacted_prefix
from forgegate.registry import register

# Each alternative starts with a plain literal (look-behinds come after it) and ends with an
# empty group naming its kind, read back from ``match.lastgroup``. A key body never contains
# "-----", so a BEGIN without its END does not run on to an unrelated END further down.
_PATTERN = re.compile(
    "|".join(
        [
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"(?P<pem_body>(?:(?!-----)[\s\S]){0,16384}?)"
            r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?P<private_key>)",
            r"A(?<![A-Z0-9]A)(?:KIA|SIA)[0-9A-Z]{16}(?![A-Z0-9])(?P<aws>)",
            r"g(?<![A-Za-z0-9_]g)(?:h[pousr]_[A-Za-z0-9]{36}|ithub_pat_[A-Za-z0-9_]{82})"
            r"(?![A-Za-z0-9_])(?P<github>)",
            # real Slack tokens carry a numeric id first: xoxb-<digits>-...
            r"x(?<![A-Za-z0-9]x)ox[abprs]-(?=[0-9A-Za-z-]{10})[0-9]+-[0-9A-Za-z-]+(?P<slack>)",
            r"h(?:ooks\.slack\.com/services/)"
            r"(?P<hook_path>T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,})(?P<slack_hook>)",
            r"s(?<![A-Za-z0-9]s)k_live_[0-9a-zA-Z]{24,}(?P<stripe>)",
            r"r(?<![A-Za-z0-9]r)k_live_[0-9a-zA-Z]{24,}(?P<stripe_restricted>)",
            r":(?<=[A-Za-z0-9]:)//(?P<url_user>[^\s:/@\"'`<>{}()\[\]\\]{0,256})"
            r":(?P<url_pass>[^\s@/\"'`<>\\]{1,256})@(?=[A-Za-z0-9\[])(?P<url>)",
        ]
    )
)
KINDS: Mapping[str, str] = {
    "private_key": "private key",
    "aws": "AWS access key id",
    "github": "GitHub token",
    "slack": "Slack token",
    "slack_hook": "Slack webhook URL",
    "stripe": "Stripe secret key",
    "stripe_restricted": "Stripe secret key",
    "url": "password in a URL",
}
#: which group holds the secret, where it is not the whole match
_SECRET_GROUP = {"private_key": "pem_body", "slack_hook": "hook_path", "url": "url_pass"}

#: a file can hold a secret only if it contains one of these (a superset of the kinds' prefixes)
NEEDLES = (
    b"PRIVATE KEY",
    b"AKIA",
    b"ASIA",
    b"ghp_",
    b"gho_",
    b"ghu_",
    b"ghs_",
    b"ghr_",
    b"github_pat_",
    b"xox",
    b"hooks.slack.com",
    b"k_live_",
    b"://",
)
_NEEDLE_SET = frozenset(NEEDLES)
#: a URL with a password needs ``://``, then ``:`` and ``@`` before any blank or slash
_URL_PREFILTER = re.compile(rb"://[^\s/@]{0,1024}:[^\s/@]{1,1024}@")  # bytes: 4 per character

_PLACEHOLDER_PASSWORD = re.compile(
    r"(?:password|passwd|pass|pwd|secret|changeme|example|test"
    r"|x+|\*+|\.+|-+|_+|your[_-]?password"
    r"|\$.*|%.*|\{.*|<.*|\[.*|.*\}|.*>|.*\])",
    re.I,
)
_BASE64_CHAR = re.compile(r"[A-Za-z0-9+/=]")


def _placeholder(group: str, secret: str) -> bool:
    """Documentation examples and templates, not credentials."""
    if group == "aws":
        return "EXAMPLE" in secret  # AWS documents AKIAIOSFODNN7EXAMPLE and friends
    if group == "url":
        return bool(_PLACEHOLDER_PASSWORD.fullmatch(secret))
    if group == "private_key":
        # "...", "<your key>", or a body assembled from variables: too little key material
        return "..." in secret or "…" in secret or len(_BASE64_CHAR.findall(secret)) < 64
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
    needles = NEEDLES
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

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self._allow = [re.compile(p) for p in self.options.get("allow", [])]

    def wants_data(self, data: bytes, found: AbstractSet[bytes] | None = None) -> bool:
        hits = (
            _NEEDLE_SET.intersection(found)
            if found is not None
            else {n for n in NEEDLES if n in data}
        )
        if not hits:
            return False
        if len(hits) > 1 or b"://" not in hits:
            return True
        # ``://`` alone is in every third file: a password needs ``@`` after it as well
        return b"@" in data and _URL_PREFILTER.search(data) is not None

    def check_file(self, source: SourceFile, ctx: Context) -> Iterable[Finding]:
        for match in _PATTERN.finditer(source.text):
            group = match.lastgroup
            if group is None:  # pragma: no cover - every alternative ends with a named group
                continue
            secret_group = _SECRET_GROUP.get(group)
            secret = match.group(secret_group) if secret_group else match.group(0)
            if _placeholder(group, secret) or any(a.fullmatch(secret) for a in self._allow):
                continue
            kind = KINDS[group]
            if group == "private_key":
                start, shown = match.start(), "-----BEGIN …"
            else:
                start, shown = match.start(secret_group or 0), redacted_prefix(secret)
            yield self.finding(
                f"{kind} committed ({shown}): rotate it and remove it from history",
                source.path,
                source.line_at(start),
                source.column_at(start),
                key=hashlib.sha256(secret.encode()).hexdigest()[:16],
                fix="revoke/rotate the credential at its issuer, read it from a secret store or "
                "environment variable instead, and purge it from history (git filter-repo)",
            )

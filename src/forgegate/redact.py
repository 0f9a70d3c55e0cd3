"""Make text safe to print: tokens, keys, passwords and credentials become ``[REDACTED]``.

Every log line and report that could carry outside text passes through :func:`redact`; the
secrets rule shows only :func:`redacted_prefix` of what it found. One combined regular
expression keeps this cheap enough to run on every line.
"""

from __future__ import annotations

import logging
import re

MASK = "[REDACTED]"

_PATTERNS = [
    # GitHub tokens: classic and fine-grained
    r"(?P<gh>\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}))",
    # Slack tokens and webhook paths
    r"(?P<slack>\bxox[abposr]-[0-9A-Za-z-]{10,})",
    r"(?P<slackhook>hooks\.slack\.com/services/)(?P<slackpath>[A-Za-z0-9/]{20,})",
    # Stripe live/test secret and restricted keys
    r"(?P<stripe>\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,})",
    # AWS access key ids
    r"(?P<aws>\b(?:AKIA|ASIA)[0-9A-Z]{16}\b)",
    # Authorization headers
    r"(?P<authkey>\b(?:[Aa]uthorization|[Pp]roxy-[Aa]uthorization)\s*[:=]\s*"
    r"(?:[Bb]earer|[Tt]oken|[Bb]asic)?\s*)(?P<authval>[^\s\"',;]+)",
    r"(?P<bearerkey>\b[Bb]earer\s+)(?P<bearerval>[A-Za-z0-9._~+/=-]{8,})",
    # credentials in URLs: scheme://user:password@host
    r"(?P<urlhead>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@\"']*:)(?P<urlpass>[^\s@/\"']+)(?=@)",
    # key=value and "key": "value" for password-like keys
    r"(?P<kvkey>(?i:\b[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key"
    r"|access[_-]?key)[\w.-]*)\"?\s*[:=]\s*\"?)(?P<kvval>[^\s\"'&,;]{3,})",
    # PEM private key bodies
    r"(?P<pem>-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----)[\s\S]*?"
    r"(?P<pemend>-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----)",
]
_SECRET = re.compile("|".join(_PATTERNS))


def _replace(match: re.Match[str]) -> str:
    groups = match.groupdict()
    if groups["slackhook"]:
        return groups["slackhook"] + MASK
    if groups["authkey"] is not None:
        return groups["authkey"] + MASK
    if groups["bearerkey"] is not None:
        return groups["bearerkey"] + MASK
    if groups["urlhead"] is not None:
        return groups["urlhead"] + MASK
    if groups["kvkey"] is not None:
        value = groups["kvval"]
        if value.startswith(("$", "${{", "[REDACTED")) or value == MASK:
            return match.group(0)
        return groups["kvkey"] + MASK
    if groups["pem"]:
        return f"{groups['pem']}\n{MASK}\n{groups['pemend']}"
    return MASK


def redact(text: str) -> str:
    """``text`` with every secret-looking value replaced by ``[REDACTED]``."""
    return _SECRET.sub(_replace, text)


def redacted_prefix(secret: str) -> str:
    """A hint of which secret was found that does not give it away: at most 6 characters and
    never more than a third of it, then an ellipsis."""
    keep = min(6, len(secret) // 3)
    return secret[:keep] + "…"


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message (and drops the args)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        return True

"""Make text safe to print: tokens, keys, passwords and credentials become ``[REDACTED]``.

Every log line and report that could carry outside text passes through :func:`redact`; the
secrets rule shows only :func:`redacted_prefix` of what it found. One combined, precompiled
regular expression does the work. No alternative starts with an open-ended ``\\w*`` (which
would retry at every character of every word): each is anchored at a keyword, a fixed token
prefix or ``://``, so a line without secrets costs one linear pass.
"""

from __future__ import annotations

import logging
import re

MASK = "[REDACTED]"

_PATTERNS = [
    # PEM private key bodies; an unterminated block is masked to the end of the text
    r"(?P<pem>-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)"
    r"(?:[\s\S]*?(?P<pemend>-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)|[\s\S]*)",
    # GitHub tokens: classic and fine-grained
    r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})",
    # Slack tokens and webhook paths
    r"(?<![A-Za-z0-9])xox[abposr]-[0-9A-Za-z-]{10,}",
    r"(?P<slackhook>hooks\.slack\.com/services/)[A-Za-z0-9/]{20,}",
    # Stripe live/test secret and restricted keys
    r"(?<![A-Za-z0-9])[sr]k_(?:live|test)_[0-9A-Za-z]{16,}",
    # AWS access key ids
    r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])",
    # Authorization headers (the scheme word is kept, the credential masked)
    r"(?P<authkey>(?:[Pp]roxy-)?[Aa]uthorization[\"']?\s*[:=]\s*[\"']?"
    r"(?:(?:[Bb]earer|[Tt]oken|[Bb]asic)\s+)?)[^\s\"',;]+",
    r"(?P<bearerkey>(?<![A-Za-z0-9])[Bb]earer\s+)[A-Za-z0-9._~+/=-]{8,}",
    # credentials in URLs: scheme://user:password@host keeps scheme, user and host
    r"(?P<urlhead>(?<=[A-Za-z0-9])://[^\s:/@\"']*:)[^\s@/\"']+(?=@)",
    # key=value, key: value and "key": "value" for password-like keys (aws_secret_access_key,
    # client_secret, GITHUB_TOKEN, db.password, ...)
    r"(?P<kvkey>(?i:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key)[\w.-]*"
    r"[\"']?\s*[:=]\s*)(?P<kvval>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"'&,;]{3,})",
]
_SECRET = re.compile("|".join(_PATTERNS))
_KEEP_VALUE = ("$", "[REDACTED", "<", "%(")


def _replace(match: re.Match[str]) -> str:
    groups = match.groupdict()
    if groups["pem"] is not None:
        end = groups["pemend"]
        return f"{groups['pem']}\n{MASK}" + (f"\n{end}" if end else "")
    for head in ("slackhook", "authkey", "bearerkey", "urlhead"):
        if groups[head] is not None:
            return groups[head] + MASK
    if groups["kvkey"] is not None:
        value: str = groups["kvval"]
        quote = value[0] if value[:1] in "\"'" else ""
        inner = value[1:-1] if quote else value
        if len(inner) < 3 or inner.startswith(_KEEP_VALUE):
            return match.group(0)  # empty, a variable reference, a template or already masked
        return f"{groups['kvkey']}{quote}{MASK}{quote}"
    return MASK


def redact(text: str) -> str:
    """``text`` with every secret-looking value replaced by ``[REDACTED]``."""
    return _SECRET.sub(_replace, text)


def redacted_prefix(secret: str) -> str:
    """A hint of which secret was found that does not give it away: at most 6 characters and
    never more than a third of it, then an ellipsis (``ghp_ab…``)."""
    keep = min(6, len(secret) // 3)
    return secret[:keep] + "…"


class RedactingFilter(logging.Filter):
    """Redacts a record's message, its args (merged into the message), exception and stack
    text, so that every handler it is attached to prints no secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True

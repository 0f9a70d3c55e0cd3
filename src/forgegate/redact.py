"""Make text safe to print: tokens, keys, passwords and credentials become ``[REDACTED]``.

Every log line and report that could carry outside text passes through :func:`redact`; the
secrets rule shows only :func:`redacted_prefix` of what it found.

Speed: one combined, precompiled expression whose alternatives all begin with a plain literal
character (look-behinds come after it, keywords are spelled with both cases of their first
letter). The regex engine then skips every position whose character cannot start a secret,
which makes a clean log line about ten times cheaper than leading ``\\b``/look-behinds would.
"""

from __future__ import annotations

import logging
import re

MASK = "[REDACTED]"

_AUTH_TAIL = r"[\"']?\s*[:=]\s*[\"']?(?:(?:[Bb]earer|[Tt]oken|[Bb]asic)\s+)?(?P<cut>)[^\s\"',;]+"
_KV_TAIL = r"[\w.-]*[\"']?\s*[:=]\s*(?P<cut>)(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s\"'&,;]{3,})"


def _cased(word: str, tail: str) -> list[str]:
    """``word`` (a regex, case-insensitive) + ``tail``, as two alternatives that each start
    with a literal: the upper and the lower case of the first letter."""
    rest = f"(?i:{word[1:]})" + tail
    return [word[0].upper() + rest, word[0].lower() + rest]


# (kind, pattern): ``(?P<cut>)`` marks where the text that is kept ends and the secret begins
_RAW: list[tuple[str, str]] = [
    # PEM private key bodies; an unterminated block is masked to the end of the text
    (
        "pem",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?P<cut>)"
        r"(?:[\s\S]*?(?P<pemend>-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)|[\s\S]*)",
    ),
    # GitHub tokens: classic and fine-grained
    (
        "token",
        r"g(?<![A-Za-z0-9_]g)(?:h[pousr]_[A-Za-z0-9]{36,255}|ithub_pat_[A-Za-z0-9_]{22,255})",
    ),
    # Slack tokens and webhook paths
    ("token", r"x(?<![A-Za-z0-9]x)ox[abposr]-[0-9A-Za-z-]{10,}"),
    ("keep", r"hooks\.slack\.com/services/(?P<cut>)[A-Za-z0-9/]{20,}"),
    # Stripe live/test secret and restricted keys
    ("token", r"s(?<![A-Za-z0-9]s)k_(?:live|test)_[0-9A-Za-z]{16,}"),
    ("token", r"r(?<![A-Za-z0-9]r)k_(?:live|test)_[0-9A-Za-z]{16,}"),
    # AWS access key ids
    ("token", r"A(?<![A-Z0-9]A)(?:KIA|SIA)[0-9A-Z]{16}(?![A-Z0-9])"),
    # Authorization headers: the header and scheme word are kept, the credential masked
    *(("keep", alt) for alt in _cased("authorization", _AUTH_TAIL)),
    *(("keep", alt) for alt in _cased("proxy-authorization", _AUTH_TAIL)),
    *(("keep", f"{c}(?<![A-Za-z0-9]{c})earer\\s+(?P<cut>)[A-Za-z0-9._~+/=-]{{8,}}") for c in "Bb"),
    # credentials in URLs: scheme://user:password@host keeps scheme, user and host
    ("keep", r":(?<=[A-Za-z0-9]:)//[^\s:/@\"']*:(?P<cut>)[^\s@/\"']+(?=@)"),
    # key=value, key: value and "key": "value" for password-like keys (aws_secret_access_key,
    # client_secret, GITHUB_TOKEN, db.password, ...): matched from the keyword on
    *(
        ("kv", alt)
        for word in (
            "password",
            "passwd",
            "pwd",
            "secret",
            "token",
            "api[_-]?key",
            "access[_-]?key",
        )
        for alt in _cased(word, _KV_TAIL)
    ),
]
_SECRET = re.compile(
    "|".join(
        pattern.replace("(?P<cut>)", f"(?P<cut__{i}>)") + f"(?P<{kind}__{i}>)"
        for i, (kind, pattern) in enumerate(_RAW)
    )
)
#: values that are references or templates, not secrets
_KEEP_VALUE = ("$", "[REDACTED", "<", "%(", "{{")
#: words that follow "token"/"secret"/... in settings and messages without being a secret
#: (GitHub's ``id-token: write``, ``GITHUB_TOKEN: none``, ``secret: required``)
_KEEP_WORDS = frozenset(
    {"read", "write", "none", "true", "false", "null", "required", "optional", "inherit"}
)


def _replace(match: re.Match[str]) -> str:
    kind, _, index = (match.lastgroup or "token__").partition("__")
    if kind == "token":
        return MASK
    cut = match.start(f"cut__{index}")
    kept = match.string[match.start() : cut]
    if kind == "pem":
        end = match.group("pemend")
        return f"{kept}\n{MASK}" + (f"\n{end}" if end else "")
    if kind == "kv":
        value = match.string[cut : match.end()]
        quote = value[0] if value[:1] in ('"', "'") else ""
        inner = value[1:-1] if quote else value
        if (
            len(inner) < 3
            or inner.startswith(_KEEP_VALUE)
            or inner.rstrip("`'\".,;)}]").lower() in _KEEP_WORDS
            or (not quote and inner.endswith(":") and inner[:-1].isalpha())  # prose: "GitHub:"
        ):
            return match.group(0)  # empty, a variable reference, a template or already masked
        return f"{kept}{quote}{MASK}{quote}"
    return kept + MASK


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

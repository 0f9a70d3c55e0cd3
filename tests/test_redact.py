"""Redaction: every kind of secret is masked in text and in every log record."""

from __future__ import annotations

import io
import logging

import pytest

from forgegate.redact import MASK, RedactingFilter, redact, redacted_prefix

# built from parts so this file holds no live-looking token
GH = "ghp_" + "Ab3" * 12
GHS = "ghs_" + "Zy7" * 12
PAT = "github_pat_" + "11ABCDEFG0" * 8 + "xy"
AWS = "AKIA" + "Q7" * 8
AWS_SESSION = "ASIA" + "W4" * 8
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCY" + "zq8Kd3"
SLACK = "xoxb-" + "1234567890" + "-" + "abcdefghij"
SLACK_PATH = "T00000000/B00000000/" + "Xy9" * 8
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
STRIPE_R = "rk_live_" + "9fB28GpKxiVCzqisS0ycp6cb"
STRIPE_TEST = "sk_test_" + "3dB17FoJwhUByphrR9xbo5ba"
URL_PASSWORD = "hunter" + "22pass"
PEM_BODY = "MIIEowIBAAKCAQEA" + "q" * 40
PGP_BODY = "lQOYBGXyz0EBCAD" + "p" * 40
SECRETS = {
    "github token": (f"token {GH} used", GH),
    "github app token in a url path": (f"GET /repos?access={GHS}&page=2", GHS),
    "fine-grained pat": (f"cloning with {PAT} now", PAT),
    "aws key": (f"aws_access_key_id = {AWS}", AWS),
    "aws session key": (f"found {AWS_SESSION} in env", AWS_SESSION),
    "aws secret key": (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    "slack": (f"posting with {SLACK}", SLACK),
    "slack hook": (f"POST https://hooks.slack.com/services/{SLACK_PATH}", SLACK_PATH),
    "stripe": (f"stripe.api_key = '{STRIPE}'", STRIPE),
    "stripe restricted": (f"key {STRIPE_R}", STRIPE_R),
    "stripe test": (f"key {STRIPE_TEST}", STRIPE_TEST),
    "bearer": ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"),
    "token header": (f"authorization: token {GH[4:]}", GH[4:]),
    "basic": ("Authorization: Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy"),
    "proxy": ("Proxy-Authorization: Basic cHJveHk6c2VjcmV0", "cHJveHk6c2VjcmV0"),
    "bare bearer": ("sent Bearer abcdEFGH1234ijkl", "abcdEFGH1234ijkl"),
    "url": (f"https://deploy:{URL_PASSWORD}@registry.example.com/v2/", URL_PASSWORD),
    "url without user": (f"redis://:{URL_PASSWORD}@cache:6379/0", URL_PASSWORD),
    "password=": ("db password=Tr0ub4dor&3 host=x", "Tr0ub4dor"),
    "query string": ("GET /login?user=bob&passwd=Tr0ub4dor&next=/", "Tr0ub4dor"),
    "env line": ("DB_PASSWORD=Tr0ub4dor", "Tr0ub4dor"),
    "secret key": ("SECRET = 'k3y-M4t3rial'", "k3y-M4t3rial"),
    "json": ('{"client_secret": "s3cr3t-value-123"}', "s3cr3t-value-123"),
    "json with spaces": ('{"password": "correct horse battery"}', "horse"),
    "yaml": ("  api_key: Zm9vYmFyYmF6", "Zm9vYmFyYmF6"),
    "pem": (
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----",
        PEM_BODY,
    ),
    "pgp": (
        f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{PGP_BODY}\n-----END PGP PRIVATE KEY BLOCK-----",
        PGP_BODY,
    ),
    "unterminated pem": (f"-----BEGIN EC PRIVATE KEY-----\n{PEM_BODY}", PEM_BODY),
}


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_each_kind_is_redacted(kind: str) -> None:
    text, secret = SECRETS[kind]
    out = redact(text)
    assert secret not in out
    assert MASK in out
    assert redact(out) == out  # idempotent: already masked text stays as it is


@pytest.mark.parametrize(
    "text",
    [
        "plain log line with https://example.com/path and no credentials",
        "password=${{ secrets.DB_PASSWORD }}",
        "password=$DB_PASSWORD",
        'password: ""',
        "git clone https://github.com/org/repo.git",
        "git@github.com:org/repo.git",
        "token budget exceeded",
        "the tokenizer: ok",
        "AKIA is the prefix of an access key id",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    ],
)
def test_harmless_text_is_kept(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"https://deploy:{URL_PASSWORD}@registry.example.com/v2/",
            f"https://deploy:{MASK}@registry.example.com/v2/",
        ),
        ('{"password": "correct horse battery"}', f'{{"password": "{MASK}"}}'),
        ("Authorization: Bearer abcdefghijkl", f"Authorization: Bearer {MASK}"),
        (f"x {AWS} y", f"x {MASK} y"),
        (
            f"https://hooks.slack.com/services/{SLACK_PATH}",
            f"https://hooks.slack.com/services/{MASK}",
        ),
        (
            f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\nafter",
            f"-----BEGIN RSA PRIVATE KEY-----\n{MASK}\n-----END RSA PRIVATE KEY-----\nafter",
        ),
    ],
)
def test_context_is_kept_around_the_mask(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redacted_prefix_gives_nothing_away() -> None:
    assert redacted_prefix(GH) == "ghp_Ab…"
    assert redacted_prefix("abcdefghijkl") == "abcd…"
    assert redacted_prefix("abcdef") == "ab…"
    assert redacted_prefix("ab") == "…"
    for secret in (GH, PAT, AWS, URL_PASSWORD, "x" * 7):
        shown = redacted_prefix(secret).removesuffix("…")
        assert len(shown) <= min(6, len(secret) // 3)


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_logging_filter_redacts_message_and_args(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    text, secret = SECRETS[kind]
    logger = logging.getLogger(f"forgegate.test.{kind}")
    handler_filter = RedactingFilter()
    logger.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            logger.info("request failed: %s", text)
            logger.warning(text)
            logger.info("%(what)s", {"what": text})
    finally:
        logger.removeFilter(handler_filter)
    assert len(caplog.records) == 3
    assert secret not in caplog.text
    assert all(MASK in r.getMessage() for r in caplog.records)


def test_logging_filter_on_a_handler_redacts_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("forgegate.test.traceback")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise RuntimeError(f"upload to https://ci:{URL_PASSWORD}@host failed ({GH})")
        except RuntimeError:
            logger.exception("publishing with %s failed", STRIPE)
        logger.warning("stack", stack_info=True)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    out = stream.getvalue()
    assert "RuntimeError: upload to https://ci:" in out and "Traceback" in out
    for secret in (URL_PASSWORD, GH, STRIPE):
        assert secret not in out


@pytest.mark.parametrize(
    "text",
    [
        "job publish has `id-token: write` but nothing signs",
        "permissions: {id-token: read}",
        "secrets: inherit",
        "GITHUB_TOKEN: none",
        # sigstore's message when the job lacks id-token: write
        "no OIDC token: GitHub: missing or insufficient OIDC token permissions",
    ],
)
def test_settings_that_name_tokens_are_not_secrets(text: str) -> None:
    assert redact(text) == text

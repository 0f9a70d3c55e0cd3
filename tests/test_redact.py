"""Redaction: every kind of secret is masked in text and in every log record."""

from __future__ import annotations

import logging

import pytest

from forgegate.redact import MASK, RedactingFilter, redact, redacted_prefix

# built from parts so this file holds no live-looking token
GH = "ghp_" + "Ab3" * 12
PAT = "github_pat_" + "11ABCDEFG0" * 8 + "xy"
AWS = "AKIA" + "Q7" * 8
SLACK = "xoxb-" + "1234567890" + "-" + "abcdefghij"
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
URL_PASSWORD = "hunter" + "22pass"
PEM_BODY = "MIIEowIBAAKCAQEA" + "q" * 40
SECRETS = {
    "github token": (f"token {GH} used", GH),
    "fine-grained pat": (f"export GH_TOKEN={PAT}", PAT),
    "aws key": (f"aws_access_key_id = {AWS}", AWS),
    "slack": (f"SLACK={SLACK}", SLACK),
    "stripe": (f"stripe.api_key = '{STRIPE}'", STRIPE),
    "bearer": ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGciOiJIUzI1NiJ9"),
    "basic": ("Authorization: Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy"),
    "url": (f"https://deploy:{URL_PASSWORD}@registry.example.com/v2/", URL_PASSWORD),
    "password=": ("db password=Tr0ub4dor&3 host=x", "Tr0ub4dor"),
    "json": ('{"client_secret": "s3cr3t-value-123"}', "s3cr3t-value-123"),
    "pem": (
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----",
        PEM_BODY,
    ),
}


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_each_kind_is_redacted(kind: str) -> None:
    text, secret = SECRETS[kind]
    out = redact(text)
    assert secret not in out
    assert MASK in out


@pytest.mark.parametrize(
    "text",
    [
        "plain log line with https://example.com/path and no credentials",
        "password=${{ secrets.DB_PASSWORD }}",
        "git clone https://github.com/org/repo.git",
        "token budget exceeded",
    ],
)
def test_harmless_text_is_kept(text: str) -> None:
    assert redact(text) == text


def test_url_keeps_user_and_host() -> None:
    assert redact(f"https://deploy:{URL_PASSWORD}@registry.example.com/v2/") == (
        f"https://deploy:{MASK}@registry.example.com/v2/"
    )


def test_redacted_prefix_gives_nothing_away() -> None:
    assert redacted_prefix(GH) == GH[:6] + "…"
    assert redacted_prefix("abcdef") == "ab…"
    assert redacted_prefix("ab") == "…"


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
    finally:
        logger.removeFilter(handler_filter)
    assert len(caplog.records) == 2
    assert secret not in caplog.text
    assert all(MASK in r.getMessage() for r in caplog.records)

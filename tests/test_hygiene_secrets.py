"""hygiene/secrets and hygiene/missing-community-files: real-shaped repositories, every report
format checked for leaks, placeholders and partial runs."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.hygiene.secrets import Secrets
from forgegate.cli import main
from forgegate.model import fingerprint

from .conftest import COMMUNITY_FILES, MakeRepo, git

BASICS = COMMUNITY_FILES


def check(
    root: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, list[dict[str, Any]], str]:
    code = main(["check", str(root), "--only", "hygiene", "--format", "json", *extra])
    out, err = capsys.readouterr()
    findings = [f for f in json.loads(out)["findings"] if f["status"] == "new"]
    return code, findings, out + err


def of_rule(findings: list[dict[str, Any]], rule: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["rule"] == f"hygiene/{rule}"]


# --- hygiene/secrets ---

# Built from parts so that this file holds no live-looking secret (forgegate gates itself).
GH_TOKEN = "ghp_" + "Qw8" * 12
GH_PAT = "github_pat_" + "11AB2CD3E" * 9 + "x"
AWS_KEY = "AKIA" + "R5" * 8
AWS_SESSION_KEY = "ASIA" + "T2" * 8
SLACK_TOKEN = "xoxb-" + "2" * 12 + "-" + "7" * 13 + "-" + "Kz" * 12
SLACK_HOOK_PATH = "T0" + "4G7B2C1" + "/B0" + "5H8D3E2" + "/" + "nB4" * 8
STRIPE_KEY = "sk_" + "live_" + "51Hx" * 7
STRIPE_RESTRICTED = "rk_" + "live_" + "72Jy" * 7
DB_PASSWORD = "Sup3r" + "S3cret!9"
REDIS_PASSWORD = "r3dis" + "Pa55w0rd"
KEY_BODY = "\n".join(["MIIEpAIBAAKCAQEA" + "x7Kq" * 12] * 4)
PGP_BODY = "\n".join(["lQOYBGXyz0EBCADZ" + "p9Lm" * 12] * 4)
SECRET_FILES: dict[str, str | bytes] = {
    "deploy/settings.py": (
        '"""Deployment settings."""\n'
        "import os\n"
        f'GITHUB_TOKEN = "{GH_TOKEN}"\n'
        f'DATABASE_URL = "postgres://app:{DB_PASSWORD}@db.internal:5432/app"\n'
        f"CACHE_URL = 'redis://:{REDIS_PASSWORD}@cache:6379/0'\n"
    ),
    "ops/aws.env": f"AWS_ACCESS_KEY_ID={AWS_KEY}\nAWS_SESSION_KEY_ID={AWS_SESSION_KEY}\n",
    "ops/notify.sh": (
        "#!/bin/sh\n"
        f"curl -X POST https://hooks.slack.com/services/{SLACK_HOOK_PATH} -d @msg.json\n"
        f"SLACK_BOT_TOKEN={SLACK_TOKEN}\n"
    ),
    "billing/config.json": (
        f'{{\n  "stripe": "{STRIPE_KEY}",\n  "reports": "{STRIPE_RESTRICTED}"\n}}\n'
    ),
    "ci/gh.yml": f"env:\n  GH_PAT: {GH_PAT}\n",
    "keys/deploy_key": (
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n"
    ),
    "keys/signing.asc": (
        f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{PGP_BODY}\n"
        "-----END PGP PRIVATE KEY BLOCK-----\n"
    ),
    # a service-account style JSON file: the key is one string with \n escapes
    "gcp/service-account.json": json.dumps(
        {
            "type": "service_account",
            "private_key": "-----BEGIN PRIVATE KEY-----\n"
            + KEY_BODY
            + "\n-----END PRIVATE KEY-----\n",
        }
    )
    + "\n",
}
ALL_SECRETS = [
    GH_TOKEN,
    GH_PAT,
    AWS_KEY,
    AWS_SESSION_KEY,
    SLACK_TOKEN,
    SLACK_HOOK_PATH,
    STRIPE_KEY,
    STRIPE_RESTRICTED,
    DB_PASSWORD,
    REDIS_PASSWORD,
    KEY_BODY.splitlines()[0],
    PGP_BODY.splitlines()[0],
]
EXPECTED = [
    ("billing/config.json", 2, "Stripe secret key", STRIPE_KEY),
    ("billing/config.json", 3, "Stripe secret key", STRIPE_RESTRICTED),
    ("ci/gh.yml", 2, "GitHub token", GH_PAT),
    ("deploy/settings.py", 3, "GitHub token", GH_TOKEN),
    ("deploy/settings.py", 4, "password in a URL", DB_PASSWORD),
    ("deploy/settings.py", 5, "password in a URL", REDIS_PASSWORD),
    ("gcp/service-account.json", 1, "private key", None),
    ("keys/deploy_key", 1, "private key", None),
    ("keys/signing.asc", 1, "private key", None),
    ("ops/aws.env", 1, "AWS access key id", AWS_KEY),
    ("ops/aws.env", 2, "AWS access key id", AWS_SESSION_KEY),
    ("ops/notify.sh", 2, "Slack webhook URL", SLACK_HOOK_PATH),
    ("ops/notify.sh", 3, "Slack token", SLACK_TOKEN),
]


def test_every_kind_is_found_and_located(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({**BASICS, **SECRET_FILES})
    code, findings, _ = check(root, capsys)
    assert code == 1
    found = sorted(
        (f["path"], f["line"], f["message"].split(" committed (")[0], f["severity"])
        for f in of_rule(findings, "secrets")
    )
    assert found == [(path, line, kind, "error") for path, line, kind, _ in EXPECTED]
    by_place = {(f["path"], f["line"]): f for f in findings}
    for path, line, _, secret in EXPECTED:
        message = by_place[(path, line)]["message"]
        assert message.endswith("rotate it and remove it from history"), message
        if secret is None:
            assert "(-----BEGIN …)" in message
            continue
        # the column points at the secret; the message shows at most a third of it
        text = str(SECRET_FILES[path]).splitlines()[line - 1]
        assert text[by_place[(path, line)]["column"] - 1 :].startswith(secret)
        shown = message.split(" committed (")[1].split("…)")[0]
        assert secret.startswith(shown) and 0 < len(shown) <= min(6, len(secret) // 3)
        # the fingerprint's key is a hash of the secret, not the line or the secret itself
        digest = hashlib.sha256(secret.encode()).hexdigest()[:16]
        assert by_place[(path, line)]["fingerprint"] == fingerprint("hygiene/secrets", path, digest)


def test_columns_point_at_the_secret() -> None:
    text = f'x = 1\nTOKEN = "{GH_TOKEN}"  # deploy\nURL = "https://ci:{DB_PASSWORD}@host/"\n'
    source = SourceFile("app.py", text.encode(), text)
    findings = list(Secrets().check_file(source, Context(Path("."), [])))
    assert [(f.location.line, f.location.column) for f in findings] == [(2, 10), (3, 19)]


def test_no_report_format_or_log_contains_a_secret(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = make_repo({**BASICS, **SECRET_FILES})
    printed = ""
    for fmt in ("json", "sarif", "text", "github"):
        main(["--log-level", "debug", "check", str(root), "--only", "hygiene", "--format", fmt])
        out, err = capsys.readouterr()
        printed += out + err
    sarif = tmp_path / "out.sarif"
    summary = tmp_path / "summary.md"
    main(
        [
            *("check", str(root), "--only", "hygiene", "--format", "json"),
            *("--sarif", str(sarif), "--summary", str(summary)),
        ]
    )
    printed += capsys.readouterr().out + sarif.read_text() + summary.read_text()
    assert "hygiene/secrets" in sarif.read_text()
    assert printed.count("rotate it and remove it from history") >= 4 * len(EXPECTED)
    for secret in ALL_SECRETS:
        assert secret not in printed, f"{secret[:4]}… leaked"
        assert secret[: len(secret) // 2] not in printed, f"half of {secret[:4]}… leaked"


PLACEHOLDERS: dict[str, str | bytes] = {
    "docs/setup.md": (
        "Connect with `postgres://user:password@localhost/db`, `mysql://root:pass@db/app`,\n"
        "`https://bot:xxx@example.com`, `https://bot:***@example.com`,\n"
        "`postgres://app:$DB_PASSWORD@db/app`, `postgres://app:${DB_PASSWORD}@db/app`,\n"
        "`amqp://guest:{password}@mq/`, `ftp://me:<your-password>@ftp.example.com`,\n"
        "`https://token:@github.com/org/repo` and `git@github.com:org/repo.git`.\n"
        "The documented AWS key is AKIAIOSFODNN7EXAMPLE; a Slack token looks like\n"
        "xoxb-your-bot-token-here; Stripe test keys (sk_test_...) are fine.\n"
    ),
    "docs/keys.md": "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n",
    "src/pem.py": (
        "def wrap(body: str) -> str:\n"
        '    return "-----BEGIN PRIVATE KEY-----\\n" + body + "\\n-----END PRIVATE KEY-----"\n'
    ),
    # a header without its footer must not run on into the next PEM block's body
    "src/armor.py": (
        'HEADER = "-----BEGIN EC PRIVATE KEY-----"\n'
        'CERT = """-----BEGIN CERTIFICATE-----\n'
        + "\n".join(["MIIBszCCAVmgAwIBAgIU" + "Xq3P" * 11] * 3)
        + '\n-----END CERTIFICATE-----"""\n'
        'FOOTER = "-----END EC PRIVATE KEY-----"\n'
    ),
    # a token-shaped string inside a longer identifier, and one character too short
    "src/ids.py": f'A = "x{GH_TOKEN}"\nB = "{GH_TOKEN[:-1]}"\nC = "{AWS_KEY}X"\n',
}


def test_placeholders_and_lookalikes_are_not_secrets(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    _, findings, _ = check(make_repo({**BASICS, **PLACEHOLDERS}), capsys)
    assert of_rule(findings, "secrets") == []


def test_allow_option_accepts_test_keys(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files: dict[str, str | bytes] = {
        **BASICS,
        "tests/fixtures.py": f'KEY = "{AWS_KEY}"\nTOKEN = "{GH_TOKEN}"\n',
        ".github/forgegate.yml": (
            "rules:\n  hygiene/secrets:\n    options: {allow: ['AKIA(R5){8}']}\n"
        ),
    }
    _, findings, _ = check(make_repo(files), capsys)
    assert [(f["path"], f["line"]) for f in of_rule(findings, "secrets")] == [
        ("tests/fixtures.py", 2)
    ]


def test_prefilter_wants_every_file_with_a_secret() -> None:
    check_ = Secrets()
    for path, content in SECRET_FILES.items():
        data = content if isinstance(content, bytes) else content.encode()
        assert check_.wants_data(data), path
    for data in (
        b"import os\nprint('https://example.com/path')\n",
        b"see https://docs.python.org/3/ and mail me@example.com\n",
        b"decorators use @ and dicts use : all the time\n",
    ):
        assert not check_.wants_data(data)


# --- hygiene/missing-community-files ---


def community(findings: list[dict[str, Any]]) -> dict[str, tuple[str, int | None]]:
    return {
        f["path"]: (f["severity"], f["line"]) for f in of_rule(findings, "missing-community-files")
    }


def test_all_missing_with_severities(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({"src/app.py": "X = 1\n"})
    (root / "LICENSE").write_text("untracked: not in the repository\n")
    _, findings, _ = check(root, capsys)
    assert community(findings) == {
        "LICENSE": ("warning", None),
        "README.md": ("warning", None),
        "SECURITY.md": ("warning", None),
        "CODE_OF_CONDUCT.md": ("note", None),
    }
    security = next(f for f in findings if f["path"] == "SECURITY.md")
    assert "add one at the root, .github/ or docs/" in security["message"]


@pytest.mark.parametrize(
    "files",
    [
        ["LICENSE.md", "README.rst", ".github/SECURITY.md", ".github/CODE_OF_CONDUCT.md"],
        ["COPYING", "readme.txt", "docs/SECURITY.md", "docs/code-of-conduct.md"],
        ["LICENSE-MIT", "README", "SECURITY.md", "CODE_OF_CONDUCT.md"],
        ["LICENSES/Apache-2.0.txt", "README.md", "SECURITY.md", "CODE_OF_CONDUCT.md"],
        ["LICENCE.txt", "README.adoc", "SECURITY.rst", "CODE_OF_CONDUCT.md"],
    ],
)
def test_accepted_names_and_places(
    files: list[str], make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    _, findings, _ = check(make_repo(dict.fromkeys(files, "x\n")), capsys)
    assert community(findings) == {}


def test_license_in_a_subdirectory_does_not_count(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {**BASICS, "vendor/lib/LICENSE": "MIT\n"}
    del files["LICENSE"]
    _, findings, _ = check(make_repo(files), capsys)
    assert community(findings) == {"LICENSE": ("warning", None)}


def test_changed_only_consults_the_whole_tree(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {**BASICS, "src/app.py": "X = 1\n"}
    del files["SECURITY.md"]
    root = make_repo(files)
    (root / "src/app.py").write_text("X = 2\n")
    git(root, "commit", "-q", "-am", "change")
    _, findings, _ = check(root, capsys, "--changed-only", "--base", "HEAD~1")
    assert community(findings) == {"SECURITY.md": ("warning", None)}
    _, findings, _ = check(root, capsys, "--files", "src/app.py")
    assert community(findings) == {"SECURITY.md": ("warning", None)}


def test_policy_exclude_does_not_hide_an_existing_file(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        **BASICS,
        "docs/SECURITY.md": "mail us\n",
        ".github/forgegate.yml": "exclude: [docs/**]\n",
    }
    del files["SECURITY.md"]
    _, findings, _ = check(make_repo(files), capsys)
    assert community(findings) == {}


def test_require_option(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files: dict[str, str | bytes] = {
        "README.md": "x\n",
        ".github/forgegate.yml": (
            "rules:\n  hygiene/missing-community-files:\n"
            "    options: {require: [license, code-of-conduct]}\n"
        ),
    }
    _, findings, _ = check(make_repo(files), capsys)
    assert community(findings) == {
        "LICENSE": ("warning", None),
        "CODE_OF_CONDUCT.md": ("note", None),
    }

"""The hygiene family: one section per rule, real-shaped fixtures, positives and negatives."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from forgegate.cli import main

from .conftest import COMMUNITY_FILES, MakeRepo, git

BASICS = COMMUNITY_FILES


def check(
    root: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, list[dict[str, Any]], str]:
    code = main(["check", str(root), "--only", "hygiene", "--format", "json", *extra])
    out, err = capsys.readouterr()
    doc = json.loads(out)
    return code, [f for f in doc["findings"] if f["status"] == "new"], out + err


def hits(findings: list[dict[str, Any]], rule: str) -> list[tuple[str, int | None]]:
    return sorted(
        ((f["path"], f["line"]) for f in findings if f["rule"] == f"hygiene/{rule}"),
        key=lambda t: (t[0], t[1] or 0),
    )


def run(
    make_repo: MakeRepo,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str | bytes],
    *extra: str,
) -> list[dict[str, Any]]:
    return check(make_repo({**BASICS, **files}), capsys, *extra)[1]


# --- hygiene/backup-files ---


def test_backup_files(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files: dict[str, str | bytes] = {
        "src/app/settings.py": "X = 1\n",
        "src/app/settings.py.bak": "X = 0\n",
        "src/app/views.py.orig": "old\n",
        "patches/fix.rej": "hunk\n",
        "notes.md~": "draft\n",
        ".main.py.swp": b"b0VIM 9.0\0",
        "config.backup.yml": "a: 1\n",
        "docs/backup-strategy.md": "# how we back up\n",
    }
    findings = run(make_repo, capsys, files)
    assert [p for p, _ in hits(findings, "backup-files")] == [
        ".main.py.swp",
        "config.backup.yml",
        "notes.md~",
        "patches/fix.rej",
        "src/app/settings.py.bak",
        "src/app/views.py.orig",
    ]


# --- hygiene/build-output ---


def test_build_output_one_finding_per_directory(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files: dict[str, str | bytes] = {
        "dist/pkg-1.0.tar.gz": b"\x1f\x8b",
        "dist/pkg-1.0-py3-none-any.whl": b"PK",
        "src/pkg/__pycache__/core.cpython-312.pyc": b"\x00",
        "src/pkg.egg-info/PKG-INFO": "Name: pkg\n",
        "web/node_modules/left-pad/index.js": "module.exports = 1\n",
        "legacy/mod.pyc": b"\x00",
        "src/pkg/build.py": "def build(): ...\n",
        "docs/building.md": "# build\n",
        "src/pkg/deep/nested/build/x.txt": "kept: not a top-level build/\n",
    }
    findings = run(make_repo, capsys, files)
    found = {f["path"]: f["message"] for f in findings if f["rule"] == "hygiene/build-output"}
    assert sorted(found) == [
        "dist",
        "legacy/mod.pyc",
        "src/pkg.egg-info",
        "src/pkg/__pycache__",
        "web/node_modules",
    ]
    assert found["dist"].startswith("2 tracked file(s) under dist/")


def test_build_output_allow(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files: dict[str, str | bytes] = {
        "docs/build/index.html": "<html></html>\n",
        "docs/conf.py": "project = 'demo'\n",  # makes docs/build/ Sphinx output
        ".github/forgegate.yml": (
            "rules:\n  hygiene/build-output:\n    options: {allow: ['docs/build/**']}\n"
        ),
    }
    assert hits(run(make_repo, capsys, files), "build-output") == []


# --- hygiene/root-clutter ---


def test_root_clutter(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files: dict[str, str | bytes] = {
        "app.db": b"SQLite format 3\0",
        "debug.log": "boom\n",
        "nohup.out": "...\n",
        "src/.DS_Store": b"\0\0\0\1Bud1",
        "tests/fixtures/sample.db": b"SQLite format 3\0",
        "logs/app.log": "nested logs are a different problem\n",
    }
    findings = run(make_repo, capsys, files)
    assert [p for p, _ in hits(findings, "root-clutter")] == [
        "app.db",
        "debug.log",
        "nohup.out",
        "src/.DS_Store",
    ]


def test_root_clutter_allow(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files: dict[str, str | bytes] = {
        "geo.sqlite": b"SQLite format 3\0",
        ".github/forgegate.yml": (
            "rules:\n  hygiene/root-clutter:\n    options: {allow: ['geo.sqlite']}\n"
        ),
    }
    assert hits(run(make_repo, capsys, files), "root-clutter") == []


# --- hygiene/large-files ---


def test_large_files_limit_and_option(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files: dict[str, str | bytes] = {
        "data/export.csv": "a,b\n" * 300_000,  # 1.1 MiB
        "data/small.csv": "a,b\n",
    }
    findings = run(make_repo, capsys, files)
    assert hits(findings, "large-files") == [("data/export.csv", None)]
    assert "1.1 MiB (limit 1.0 MiB)" in findings[0]["message"] or any(
        "1.1 MiB (limit 1.0 MiB)" in f["message"] for f in findings
    )
    files[".github/forgegate.yml"] = (
        "rules:\n  hygiene/large-files:\n    options: {max-bytes: 3, allow: ['data/export.csv']}\n"
    )
    findings = run(make_repo, capsys, files)
    assert ("data/small.csv", None) in hits(findings, "large-files")
    assert ("data/export.csv", None) not in hits(findings, "large-files")


# --- hygiene/case-conflicts ---


def test_case_conflicts(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files: dict[str, str | bytes] = {
        "Docs/setup.md": "a\n",
        "docs/usage.md": "b\n",
        "src/Util.py": "a\n",
        "src/util.py": "b\n",
        "src/other.py": "c\n",
    }
    findings = run(make_repo, capsys, files)
    found = [f for f in findings if f["rule"] == "hygiene/case-conflicts"]
    assert [(f["path"], f["severity"]) for f in found] == [
        ("Docs", "error"),
        ("src/Util.py", "error"),
    ]
    assert "src/util.py" in found[1]["message"]


def test_case_conflicts_in_changed_only_mode(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({**BASICS, "src/util.py": "a\n"})
    (root / "src" / "Util.py").write_text("b\n")
    (root / "unrelated.txt").write_text("x\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "add Util.py")
    _, findings, _ = check(root, capsys, "--changed-only", "--base", "HEAD~1")
    assert hits(findings, "case-conflicts") == [("src/Util.py", None)]


# --- hygiene/broken-symlinks ---


def test_broken_symlinks(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({**BASICS, "config/defaults.yml": "a: 1\n"})
    os.symlink("defaults.yml", root / "config" / "good.yml")
    os.symlink("missing.yml", root / "config" / "dangling.yml")
    os.symlink("/etc/hostname", root / "config" / "outside.yml")
    os.symlink("../../elsewhere", root / "config" / "escape")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "links")
    _, findings, _ = check(root, capsys)
    found = {f["path"]: f["message"] for f in findings if f["rule"] == "hygiene/broken-symlinks"}
    assert sorted(found) == ["config/dangling.yml", "config/escape", "config/outside.yml"]
    assert "points at nothing" in found["config/dangling.yml"]
    assert "outside the repository" in found["config/outside.yml"]


# --- hygiene/workstation-paths ---


def test_workstation_paths(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files: dict[str, str | bytes] = {
        "report.py": (
            "import pandas as pd\n"
            'DATA = pd.read_csv(r"C:\\Users\\mkovacs\\proj\\data.csv")\n'
            'ESCAPED = "D:\\\\dev\\\\tools\\\\bin"\n'
            'RUNNER = "/home/runner/work/x"\n'
            'PLACEHOLDER = "/home/<user>/project"\n'
        ),
        "docs/setup.md": "Clone into /Users/bob.smith/code/app and run it.\n",
        "db/seed.sql": "COPY users FROM '/home/carol/exports/users.csv';\n",
        "notes.txt": "Use $HOME/project or ~/project.\n",
    }
    findings = run(make_repo, capsys, files)
    assert hits(findings, "workstation-paths") == [
        ("db/seed.sql", 1),
        ("docs/setup.md", 1),
        ("report.py", 2),
        ("report.py", 3),
    ]
    messages = " ".join(f["message"] for f in findings)
    assert "C:\\Users\\mkovacs\\proj\\data.csv" in messages


def test_workstation_paths_allow(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files: dict[str, str | bytes] = {
        "ci.sh": "cd /home/builder/src\n",
        ".github/forgegate.yml": (
            "rules:\n  hygiene/workstation-paths:\n    options: {allow: ['^/home/builder/']}\n"
        ),
    }
    assert hits(run(make_repo, capsys, files), "workstation-paths") == []


# --- hygiene/merge-conflict-markers ---


def test_merge_conflict_markers(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files: dict[str, str | bytes] = {
        "settings.py": (
            "A = 1\n<<<<<<< HEAD\nTIMEOUT = 30\n=======\nTIMEOUT = 60\n>>>>>>> feature/retry\n"
        ),
        "docs/index.rst": "Title\n=======\n\nText.\n",
        "README.md": "# demo\n\nSection\n=======\n",
    }
    findings = run(make_repo, capsys, files)
    assert hits(findings, "merge-conflict-markers") == [
        ("settings.py", 2),
        ("settings.py", 4),
        ("settings.py", 6),
    ]


# --- hygiene/print-in-library ---


def test_print_in_library(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files: dict[str, str | bytes] = {
        "src/pkg/sync.py": (
            "import sys\n\n\ndef sync(items):\n"
            '    print(f"syncing {len(items)}")\n'
            '    print("oops", file=sys.stderr)\n'
            '    return "print(not a call)"\n\n\n'
            "def main():\n    print('ok in main')\n\n\n"
            'if __name__ == "__main__":\n    print("ok under the guard")\n'
        ),
        "src/pkg/cli.py": "def run():\n    print('cli may print')\n",
        "src/pkg/__main__.py": "print('entry point')\n",
        "scripts/release.py": "print('scripts may print')\n",
        "tests/test_x.py": "def test():\n    print('tests may print')\n",
        "src/pkg/legacy.py": "print 'python 2'\n",
    }
    findings = run(make_repo, capsys, files)
    assert hits(findings, "print-in-library") == [("src/pkg/sync.py", 5), ("src/pkg/sync.py", 6)]


def test_print_in_library_exempt_option(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files: dict[str, str | bytes] = {
        "src/pkg/report.py": "print('x')\n",
        ".github/forgegate.yml": (
            "rules:\n  hygiene/print-in-library:\n    options: {exempt: ['src/pkg/report.py']}\n"
        ),
    }
    assert hits(run(make_repo, capsys, files), "print-in-library") == []


# --- hygiene/dockerfile-missing-source ---

DOCKERFILE = """\
# syntax=docker/dockerfile:1
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml requirements.txt ./
COPY --chown=app:app src/ ./src/
COPY ["config/app.yml", "/etc/app/app.yml"]
ADD https://example.com/tool.tar.gz /tmp/
COPY *.lock \\
     missing-dir/ /src/
ARG VERSION
COPY dist/app-${VERSION}.whl /tmp/

FROM python:3.12-slim
COPY --from=build /src /app
COPY <<EOF /app/motd
hello
EOF
COPY entrypoint.sh /usr/local/bin/
"""


def test_dockerfile_missing_source(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files: dict[str, str | bytes] = {
        "Dockerfile": DOCKERFILE,
        "pyproject.toml": "[project]\nname = 'x'\n",
        "src/app/__init__.py": "",
        "config/app.yml": "a: 1\n",
    }
    findings = run(make_repo, capsys, files)
    found = [f for f in findings if f["rule"] == "hygiene/dockerfile-missing-source"]
    assert [(f["line"], f["message"].split("'")[1]) for f in found] == [
        (4, "requirements.txt"),
        (8, "*.lock"),
        (9, "missing-dir/"),
        (18, "entrypoint.sh"),
    ]


def test_dockerfile_context_option(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files: dict[str, str | bytes] = {
        "docker/api/Dockerfile": "FROM scratch\nCOPY app.bin /\nCOPY shared/lib.txt /\n",
        "docker/api/app.bin": b"\0",
        "shared/lib.txt": "x\n",
    }
    assert hits(run(make_repo, capsys, files), "dockerfile-missing-source") == []
    files[".github/forgegate.yml"] = (
        "rules:\n  hygiene/dockerfile-missing-source:\n    options: {contexts: [docker/api]}\n"
    )
    assert hits(run(make_repo, capsys, files), "dockerfile-missing-source") == [
        ("docker/api/Dockerfile", 3)
    ]


# --- hygiene/missing-community-files ---


def test_missing_community_files(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({"src/app.py": "X = 1\n", "docs/README.rst": "docs\n"})
    (root / "LICENSE").write_text("untracked does not count\n")
    _, findings, _ = check(root, capsys)
    found = {
        f["path"]: f["severity"] for f in findings if f["rule"] == "hygiene/missing-community-files"
    }
    assert found == {"LICENSE": "warning", "SECURITY.md": "warning", "CODE_OF_CONDUCT.md": "note"}


def test_missing_community_files_require_option(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files: dict[str, str | bytes] = {
        "README.md": "x\n",
        "COPYING": "GPL\n",
        ".github/forgegate.yml": (
            "rules:\n  hygiene/missing-community-files:\n"
            "    options: {require: [license, readme]}\n"
        ),
    }
    root = make_repo(files)
    _, findings, _ = check(root, capsys)
    assert hits(findings, "missing-community-files") == []


def test_strict_policy_makes_missing_files_errors(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({"README.md": "x\n"})
    code, findings, _ = check(root, capsys, "--strict")
    assert code == 1
    severities = {f["path"]: f["severity"] for f in findings}
    assert severities["LICENSE"] == "error"


# --- hygiene/secrets ---

# built from parts so this test file holds no live-looking secret
GH_TOKEN = "ghp_" + "Zx9" * 12
AWS_KEY = "AKIA" + "J7" * 8
SLACK_TOKEN = "xoxb-" + "2" * 12 + "-" + "k" * 24
SLACK_HOOK = "https://hooks.slack.com/services/" + "T0A1B2C3D/B0A1B2C3D/" + "w" * 24
STRIPE_KEY = "sk_" + "live_" + "9" * 24
DB_PASSWORD = "Sup3r" + "S3cret!"
KEY_BODY = "MIIEpAIBAAKCAQEA" + "7" * 60
SECRET_FILES: dict[str, str | bytes] = {
    "deploy/settings.py": (
        f'GITHUB_TOKEN = "{GH_TOKEN}"\n'
        f'DATABASE_URL = "postgres://app:{DB_PASSWORD}@db.internal:5432/app"\n'
        'EXAMPLE_URL = "postgres://app:${DB_PASSWORD}@db/app"\n'
        'DOC_URL = "https://user:password@example.com"\n'
        'NO_PASSWORD = "https://user:@example.com"\n'
    ),
    "ops/aws.env": f"AWS_ACCESS_KEY_ID={AWS_KEY}\nDOC_KEY=AKIAIOSFODNN7EXAMPLE\n",
    "ops/notify.sh": f"curl -X POST {SLACK_HOOK}\nTOKEN={SLACK_TOKEN}\n",
    "billing/config.json": f'{{"stripe": "{STRIPE_KEY}"}}\n',
    "keys/deploy_key": (
        f"-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_BODY}\n-----END OPENSSH PRIVATE KEY-----\n"
    ),
    "docs/keys.md": "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n",
}
ALL_SECRETS = [GH_TOKEN, AWS_KEY, SLACK_TOKEN, SLACK_HOOK, STRIPE_KEY, DB_PASSWORD, KEY_BODY]


def test_secrets_found_and_never_printed(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({**BASICS, **SECRET_FILES})
    code, findings, output = check(root, capsys)
    assert code == 1
    assert hits(findings, "secrets") == [
        ("billing/config.json", 1),
        ("deploy/settings.py", 1),
        ("deploy/settings.py", 2),
        ("keys/deploy_key", 1),
        ("ops/aws.env", 1),
        ("ops/notify.sh", 1),
        ("ops/notify.sh", 2),
    ]
    kinds = sorted(f["message"].split(" committed")[0] for f in findings)
    assert kinds == [
        "AWS access key id",
        "GitHub token",
        "Slack token",
        "Slack webhook URL",
        "Stripe secret key",
        "password in a URL",
        "private key",
    ]
    token = next(f for f in findings if f["message"].startswith("GitHub token"))
    assert f"({GH_TOKEN[:6]}…)" in token["message"]
    sarif = root.parent / "out.sarif"
    main(["check", str(root), "--only", "hygiene", "--sarif", str(sarif), "--format", "github"])
    printed = capsys.readouterr()
    everything = output + sarif.read_text() + printed.out + printed.err
    for secret in ALL_SECRETS:
        assert secret not in everything, f"{secret[:6]}… leaked"
        assert secret[: len(secret) // 2] not in everything, f"half of {secret[:6]}… leaked"


def test_secrets_allow_option_and_suppression(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files: dict[str, str | bytes] = {
        "tests/fixtures.py": (
            f'TEST_KEY = "{AWS_KEY}"\n'
            f'PARSER_FIXTURE = "{GH_TOKEN}"  # forgegate: ignore[hygiene/secrets] parser test\n'
        ),
        ".github/forgegate.yml": (
            "rules:\n  hygiene/secrets:\n    options: {allow: ['AKIA(J7){8}']}\n"
        ),
    }
    assert hits(run(make_repo, capsys, files), "secrets") == []


def test_secret_fingerprint_survives_edits_and_ignores_position(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({**BASICS, "app.py": f'T = "{GH_TOKEN}"\n'})
    _, before, _ = check(root, capsys)
    (root / "app.py").write_text(f'"""Module."""\n\nimport os\n\nT = "{GH_TOKEN}"\n')
    _, after, _ = check(root, capsys)
    assert [f["fingerprint"] for f in before] == [f["fingerprint"] for f in after]
    assert after[0]["line"] == 5


def test_print_in_library_parses_each_content_once(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ast

    files: dict[str, str | bytes] = {"src/pkg/a.py": "def f():\n    print('x')\n"}
    first = hits(run(make_repo, capsys, files), "print-in-library")
    assert first == [("src/pkg/a.py", 2)]

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again although the content is cached")

    monkeypatch.setattr(ast, "parse", no_parsing)
    assert hits(run(make_repo, capsys, files), "print-in-library") == first

"""Workflow rules: permissions, images, credentials, swallowed failures (injection and triggers:
test_workflow_injection.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forgegate.cli import main

from .conftest import MakeRepo
from .test_workflow_rules import SHA, audit, where

CO = f"actions/checkout@{SHA}"


# --- workflow/excessive-permissions ---


def test_excessive_permissions(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    no_block = "on: push\njobs:\n  test:\n    runs-on: x\n    steps:\n      - run: make test\n"
    write_all = (
        "on: push\npermissions: write-all\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        "      - run: make\n"
    )
    scoped = (
        "on: push\npermissions:\n  contents: write\njobs:\n"
        "  test:\n    runs-on: x\n    permissions:\n      contents: write\n      id-token: write\n"
        "    steps:\n      - run: pytest\n"
        "  release:\n    runs-on: x\n    permissions:\n      contents: write\n"
        "      id-token: write\n    steps:\n"
        f"      - uses: pypa/gh-action-pypi-publish@{SHA}\n"
        "      - run: gh release create v1\n"
    )
    findings = audit(
        make_repo,
        capsys,
        {
            ".github/workflows/a.yml": no_block,
            ".github/workflows/b.yml": write_all,
            ".github/workflows/c.yml": scoped,
        },
    )
    assert where(findings, "excessive-permissions") == [
        (".github/workflows/a.yml", 1),  # the workflow: no top-level block
        (".github/workflows/a.yml", 3),  # the job that gets the default token
        (".github/workflows/b.yml", 2),
        (".github/workflows/c.yml", 3),
        (".github/workflows/c.yml", 8),
        (".github/workflows/c.yml", 9),
    ]


def test_least_permissions_are_quiet(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = (
        "on: push\npermissions: {}\njobs:\n  test:\n    runs-on: x\n"
        "    permissions:\n      contents: read\n    steps:\n      - run: make test\n"
    )
    assert (
        where(audit(make_repo, capsys, {".github/workflows/ci.yml": wf}), "excessive-permissions")
        == []
    )


# --- workflow/unpinned-images ---


def test_unpinned_images(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    digest = "a" * 64
    wf = (
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    container: node:20\n"
        "    services:\n"
        "      db:\n        image: postgres:16\n"
        f"      cache:\n        image: redis@sha256:{digest}\n"
        "    steps: [{run: echo}]\n"
        "  b:\n    runs-on: x\n    container:\n      image: ${{ matrix.image }}\n"
        "    steps: [{run: echo}]\n"
    )
    action = "name: d\ndescription: d\nruns:\n  using: docker\n  image: docker://alpine:3.20\n"
    built = "name: d\ndescription: d\nruns:\n  using: docker\n  image: Dockerfile\n"
    findings = audit(
        make_repo,
        capsys,
        {".github/workflows/ci.yml": wf, "act/action.yml": action, "built/action.yml": built},
    )
    assert where(findings, "unpinned-images") == [
        (".github/workflows/ci.yml", 6),
        (".github/workflows/ci.yml", 9),
        (".github/workflows/ci.yml", 16),
        ("act/action.yml", 5),
    ]


# --- workflow/hardcoded-credentials ---


def test_hardcoded_credentials_never_printed(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    password = "hun" + "ter2-literal"
    wf = (
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    container:\n"
        f"      image: ghcr.io/o/i@sha256:{'b' * 64}\n"
        f"      credentials:\n        username: ci\n        password: {password}\n"
        "    services:\n      db:\n"
        f"        image: ghcr.io/o/db@sha256:{'c' * 64}\n"
        "        credentials:\n          username: ci\n"
        "          password: ${{ secrets.DB_REGISTRY }}\n"
        "    steps: [{run: echo}]\n"
    )
    findings = audit(make_repo, capsys, {".github/workflows/ci.yml": wf})
    assert where(findings, "hardcoded-credentials") == [(".github/workflows/ci.yml", 10)]
    root = tmp_path / "repo"
    sarif = tmp_path / "out.sarif"
    main(["check", str(root), "--only", "workflow", "--sarif", str(sarif)])
    printed = capsys.readouterr()
    assert password not in printed.out + printed.err + sarif.read_text()
    assert password not in str(findings)


# --- workflow/swallowed-failure ---

SWALLOW = f"""\
on: push
permissions: {{}}
jobs:
  lint:
    runs-on: ubuntu-latest
    continue-on-error: true
    steps:
      - run: ruff check .
  audit:
    runs-on: ubuntu-latest
    steps:
      - run: |
          pip install -r requirements.txt
          pip-audit -r requirements.txt || true
          pytest -q \\
            --maxfail=1 || exit 0
          echo "pytest || true is just text"
      - uses: github/codeql-action/analyze@{SHA}
        continue-on-error: true
      - run: python -m pytest; exit 0
      - run: npm run build || true
      - run: cargo test
        continue-on-error: ${{{{ matrix.experimental }}}}
"""


def test_swallowed_failure(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    findings = audit(make_repo, capsys, {".github/workflows/ci.yml": SWALLOW})
    assert [n for _, n in where(findings, "swallowed-failure")] == [6, 14, 15, 19, 20]

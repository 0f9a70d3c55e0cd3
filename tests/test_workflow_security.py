"""Workflow rules: injection, triggers, permissions, images, credentials, swallowed failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from forgegate.checks.base import SourceFile
from forgegate.checks.workflow._model import documents
from forgegate.checks.workflow.template_injection import TemplateInjection
from forgegate.cli import main

from .conftest import MakeRepo
from .test_workflow_rules import SHA, audit, where

CO = f"actions/checkout@{SHA}"


# --- workflow/template-injection ---

TRIAGE = f"""\
on:
  issues:
    types: [opened]
  issue_comment:
permissions: {{}}
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - name: greet
        run: |
          echo "thanks"
          echo "New issue: ${{{{ github.event.issue.title }}}}"
      - name: safe
        env:
          TITLE: ${{{{ github.event.issue.title }}}}
        run: echo "$TITLE"
      - name: branch
        run: echo ${{{{ github.head_ref }}}} -- ${{{{ toJSON(github.event['comment']['body']) }}}}
      - id: extract
        run: echo "title=${{{{ github.event.issue.body }}}}" >> "$GITHUB_OUTPUT"
      - run: echo ${{{{ steps.extract.outputs.title }}}}
      - uses: actions/github-script@{SHA}
        with:
          script: |
            const body = "${{{{ github.event.comment.body }}}}"
      - run: echo "${{{{ github.event.issue.number }}}} ${{{{ env.SAFE }}}}"
"""


def test_template_injection(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    findings = audit(make_repo, capsys, {".github/workflows/triage.yml": TRIAGE})
    found = [f for f in findings if f["rule"] == "workflow/template-injection"]
    assert [(f["line"], f["column"]) for f in found] == [
        (13, 28),
        (19, 19),
        (19, 45),
        (21, 26),
        (22, 19),
        (26, 27),
    ]
    assert "github.event.issue.title" in found[0]["message"]
    assert "carries github.event.issue.body" in found[4]["message"]


def test_template_injection_inputs_in_composite_action(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    action = (
        "name: a\ndescription: a\ninputs:\n  version:\n    description: v\n"
        "runs:\n  using: composite\n  steps:\n"
        "    - shell: bash\n      run: pip install pkg==${{ inputs.version }}\n"
        "    - shell: bash\n      env:\n        V: ${{ inputs.version }}\n"
        '      run: pip install "pkg==$V"\n'
    )
    findings = audit(make_repo, capsys, {"action.yml": action})
    assert where(findings, "template-injection") == [("action.yml", 10)]


def test_template_injection_contexts() -> None:
    text = "on: push\njobs: {}\n"
    assert documents(SourceFile("x.yml", text.encode(), text))  # parses
    from forgegate.checks.workflow.template_injection import dangerous

    assert dangerous("github.event.pull_request.head.ref") == ["github.event.pull_request.head.ref"]
    assert dangerous("format('{0}', github.event.commits[0].message)") == [
        "github.event.commits.*.message"
    ]
    assert dangerous("github.event.pull_request.number") == []
    assert dangerous("github.event.inputs.tag") == ["github.event.inputs.tag"]
    assert TemplateInjection.rule.severity.label == "error"


# --- workflow/dangerous-triggers ---

PWN = f"""\
on:
  pull_request_target:
    types: [opened, synchronize]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: {CO}
        with:
          ref: ${{{{ github.event.pull_request.head.sha }}}}
          persist-credentials: false
      - run: npm install && npm test
      - run: |
          gh pr checkout ${{{{ github.event.pull_request.number }}}}
  label:
    runs-on: ubuntu-latest
    steps:
      - uses: {CO}
        with:
          persist-credentials: false
"""


def test_dangerous_triggers(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    findings = audit(make_repo, capsys, {".github/workflows/pr.yml": PWN})
    assert where(findings, "dangerous-triggers") == [
        (".github/workflows/pr.yml", 12),
        (".github/workflows/pr.yml", 15),
    ]


def test_head_checkout_on_pull_request_is_fine(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    safe = PWN.replace("pull_request_target:", "pull_request:")
    findings = audit(make_repo, capsys, {".github/workflows/pr.yml": safe})
    assert where(findings, "dangerous-triggers") == []


def test_workflow_run_head_checkout(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = (
        'on:\n  workflow_run:\n    workflows: ["CI"]\n    types: [completed]\n'
        "permissions: {}\njobs:\n  report:\n    runs-on: ubuntu-latest\n"
        "    permissions: {contents: read}\n    steps:\n"
        f"      - uses: {CO}\n        with:\n"
        "          ref: ${{ github.event.workflow_run.head_sha }}\n"
        "          persist-credentials: false\n"
    )
    findings = audit(make_repo, capsys, {".github/workflows/report.yml": wf})
    assert where(findings, "dangerous-triggers") == [(".github/workflows/report.yml", 13)]


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

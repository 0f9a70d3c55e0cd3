"""The workflow family: parsing with positions, and one section per rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from forgegate.checks.base import SourceFile
from forgegate.checks.workflow._model import documents
from forgegate.checks.workflow._yaml import ParseError, line, text
from forgegate.cli import main

from .conftest import COMMUNITY_FILES, MakeRepo

SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"
BASICS = COMMUNITY_FILES


def audit(
    make_repo: MakeRepo,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
    *extra: str,
) -> list[dict[str, Any]]:
    """Run the workflow family on a repository; the new findings."""
    root = make_repo({**BASICS, **files})
    main(["check", str(root), "--only", "workflow", "--format", "json", *extra])
    out, _ = capsys.readouterr()
    return [f for f in json.loads(out)["findings"] if f["status"] == "new"]


def where(findings: list[dict[str, Any]], rule: str) -> list[tuple[str, int]]:
    return sorted((f["path"], f["line"]) for f in findings if f["rule"] == f"workflow/{rule}")


def parse(text_: str, path: str = ".github/workflows/ci.yml") -> Any:
    return documents(SourceFile(path, text_.encode(), text_))


# --- parsing ---


def test_on_forms_and_the_yaml11_trap() -> None:
    for on, expected in [
        ("on: push", {"push"}),
        ("on: [push, pull_request]", {"push", "pull_request"}),
        (
            "on:\n  pull_request_target:\n    types: [opened]\n  push:",
            {"pull_request_target", "push"},
        ),
        ('"on": workflow_dispatch', {"workflow_dispatch"}),
    ]:
        docs = parse(f"{on}\njobs: {{}}\n")
        assert set(docs[0].triggers) == expected, on


def test_anchors_merge_keys_and_positions() -> None:
    docs = parse(
        "on: push\n"
        "x-defaults: &checkout\n"
        "  uses: actions/checkout@v4\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - <<: *checkout\n"
        "        name: co\n"
        "      - run: |\n"
        "          echo one\n"
    )
    job = docs[0].jobs[0]
    first, second = job.steps
    assert text(first.uses) == "actions/checkout@v4"
    assert first.label == "co"
    assert line(first.uses) == 3  # the anchor's position: where the text really is
    assert second.run is not None and "echo one" in second.run.value
    assert line(second.run) == 10


def test_multi_document_and_actions() -> None:
    docs = parse("on: push\njobs: {}\n---\nname: a\nruns:\n  using: composite\n  steps: []\n")
    assert [d.kind for d in docs] == ["workflow", "action"]


def test_parse_error_is_one_finding_with_the_parser_line(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = "on: push\njobs:\n  a:\n    steps:\n      - run: [unclosed\n"
    findings = audit(make_repo, capsys, {".github/workflows/bad.yml": bad})
    assert where(findings, "parse-error") == [(".github/workflows/bad.yml", 6)]
    assert len(findings) == 1
    assert isinstance(parse(bad), ParseError)


def test_real_corpus_parses_without_crashing(shared_data: Path) -> None:
    corpus = shared_data / "workflows"
    files = [p for p in corpus.rglob("*") if p.suffix in (".yml", ".yaml")]
    assert len(files) > 300
    parsed = errors = 0
    for path in files:
        raw = path.read_bytes()
        try:
            source_text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        result = documents(SourceFile(str(path), raw, source_text))
        if isinstance(result, ParseError):
            errors += 1
            assert "woodruffw+zizmor" in str(path) or "rhysd+actionlint" in str(path), path
        else:
            parsed += 1
    assert parsed > 300


# --- workflow/unpinned-uses ---

UNPINNED = f"""\
on: push
permissions: {{}}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA} # v4.2.2
        with:
          persist-credentials: false
      - uses: actions/setup-python@v5
      - uses: pypa/gh-action-pypi-publish@release/v1
      - uses: codecov/codecov-action@a1b2c3d
      - uses: ./local-action
      - uses: docker://alpine:3.20
      - uses: docker://alpine@sha256:{"a" * 64}
  call:
    uses: org/shared/.github/workflows/x.yml@main
"""


def test_unpinned_uses(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    findings = audit(make_repo, capsys, {".github/workflows/ci.yml": UNPINNED})
    assert where(findings, "unpinned-uses") == [
        (".github/workflows/ci.yml", n) for n in (10, 11, 12, 14, 17)
    ]
    messages = [f["message"] for f in findings if f["rule"] == "workflow/unpinned-uses"]
    assert any("short SHA" in m for m in messages)
    assert any("@sha256: digest" in m for m in messages)


def test_unpinned_uses_allow_ref_pins_and_zizmor_comments(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = (
        "rules:\n  workflow/unpinned-uses:\n    options:\n      allow-ref-pins: ['actions/*']\n"
    )
    text_ = UNPINNED.replace(
        "codecov-action@a1b2c3d", "codecov-action@a1b2c3d # zizmor: ignore[unpinned-uses]"
    )
    findings = audit(
        make_repo, capsys, {".github/workflows/ci.yml": text_, ".github/forgegate.yml": policy}
    )
    assert [n for _, n in where(findings, "unpinned-uses")] == [11, 14, 17]


def test_unpinned_uses_in_composite_action(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    action = (
        "name: a\ndescription: a\nruns:\n  using: composite\n  steps:\n"
        "    - uses: actions/cache@v4\n"
    )
    findings = audit(make_repo, capsys, {"tools/act/action.yml": action})
    assert where(findings, "unpinned-uses") == [("tools/act/action.yml", 6)]


# --- workflow/credential-persistence ---


def test_credential_persistence(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    wf = (
        f"on: push\npermissions: {{}}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: actions/checkout@{SHA}\n"
        f"      - uses: actions/checkout@{SHA}\n"
        "        with:\n          persist-credentials: false\n"
        f"      - uses: actions/checkout@{SHA}\n"
        "        with:\n          persist-credentials: 'true'\n"
    )
    findings = audit(make_repo, capsys, {".github/workflows/ci.yml": wf})
    assert [n for _, n in where(findings, "credential-persistence")] == [7, 11]


# --- workflow/secrets-inherit ---


def test_secrets_inherit(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    wf = (
        "on: push\npermissions: {}\njobs:\n"
        f"  a:\n    uses: o/r/.github/workflows/w.yml@{SHA}\n    secrets: inherit\n"
        f"  b:\n    uses: o/r/.github/workflows/w.yml@{SHA}\n"
        "    secrets:\n      T: ${{ secrets.T }}\n"
    )
    findings = audit(make_repo, capsys, {".github/workflows/ci.yml": wf})
    assert where(findings, "secrets-inherit") == [(".github/workflows/ci.yml", 6)]


# --- workflow/insecure-commands ---


def test_insecure_commands(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    wf = (
        "on: push\npermissions: {}\nenv:\n  ACTIONS_ALLOW_UNSECURE_COMMANDS: true\njobs:\n"
        "  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo hi\n        env:\n          ACTIONS_ALLOW_UNSECURE_COMMANDS: 'false'\n"
        "      - run: echo hi\n        env:\n          ACTIONS_ALLOW_UNSECURE_COMMANDS: yes\n"
        "      - run: echo hi\n        env:\n          ACTIONS_ALLOW_UNSECURE_COMMANDS: '1'\n"
    )
    findings = audit(make_repo, capsys, {".github/workflows/ci.yml": wf})
    assert [n for _, n in where(findings, "insecure-commands")] == [4, 17]  # "yes" is not true


# --- workflow-paths in the policy ---


def test_extra_workflow_paths(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    wf = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/cache@v4\n"
    files = {"ci/templates/build.yml": wf}
    assert where(audit(make_repo, capsys, files), "unpinned-uses") == []
    files[".github/forgegate.yml"] = "workflow-paths: ['ci/templates/*.yml']\n"
    assert where(audit(make_repo, capsys, files), "unpinned-uses") == [
        ("ci/templates/build.yml", 6)
    ]

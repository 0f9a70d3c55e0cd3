"""``forgegate report github`` against the loopback fake GitHub (tests/github_server.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from forgegate.cli import _Parser
from forgegate.commands.report import add_parser
from forgegate.errors import ForgegateError
from forgegate.github import retry
from forgegate.github.checks import build_annotations
from forgegate.report import github_summary as texts

from . import github_server
from .github_server import Canned, FakeGitHub, server_error

fake_github = github_server.fake_github

# a classic-token-shaped secret, assembled so no scanner sees one in this file
TOKEN = "ghp" + "_" + "Zq9" * 6 + "xY7w" * 4 + "Kp3" * 2
REPO = "octo/app"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "GITHUB_REPOSITORY",
        "GITHUB_SHA",
        "GITHUB_EVENT_PATH",
        "GITHUB_API_URL",
        "GITHUB_SERVER_URL",
        "GITHUB_RUN_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(retry, "_sleep", waits.append)
    return waits


@pytest.fixture
def head(fake_github: FakeGitHub) -> str:
    repo = fake_github.add_repo(REPO)
    repo.pull(7)
    return repo.commit("head")


def finding(i: int, severity: str = "error", status: str = "new", **extra: Any) -> dict[str, Any]:
    family = ("hygiene", "workflow")[i % 2]
    return {
        "rule": f"{family}/rule-{i % 3}",
        "severity": severity,
        "status": status,
        "message": f"problem {i}; fix it",
        "path": f"src/file{i:03}.py",
        "line": i + 1,
        "column": 2,
        "fingerprint": f"{i:016x}",
        "fix": None,
        "justification": None,
        **extra,
    }


def report(items: list[dict[str, Any]], *, failed: bool | None = None) -> dict[str, Any]:
    new = [f for f in items if f["status"] == "new"]
    counts = {s: sum(1 for f in new if f["severity"] == s) for s in ("error", "warning", "note")}
    for status in ("baselined", "suppressed", "waived"):
        counts[status] = sum(1 for f in items if f["status"] == status)
    failing = counts["error"]
    return {
        "version": 1,
        "tool": {"name": "forgegate", "version": "0.1.0"},
        "policy": {"source": "policies/default.yml", "sha256": "0" * 64, "fail-on": "error"},
        "result": {
            "failed": bool(failing) if failed is None else failed,
            "families": ["hygiene", "workflow"],
            "paths": 10,
            "files-read": 9,
            "counts": {"new": len(new), "failing": failing, **counts},
        },
        "findings": items,
        "skipped": {"counts": {}, "files": []},
    }


def write(tmp_path: Path, doc: dict[str, Any], name: str = "report.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def run(
    capsys: pytest.CaptureFixture[str], fake: FakeGitHub, path: Path, sha: str, *extra: str
) -> tuple[int, str]:
    """Parse and run like forgegate's main(); returns (exit code, stdout + stderr)."""
    parser = _Parser(prog="forgegate")
    add_parser(parser.add_subparsers(dest="command", parser_class=_Parser))
    argv = ["report", "github", "--report", str(path), "--repo", REPO, "--sha", sha]
    args = parser.parse_args([*argv, "--base-url", fake.url, *extra])
    try:
        code = args.func(args)
    except ForgegateError as err:
        print(f"forgegate: error: {err}")
        code = err.exit_code
    out = capsys.readouterr()
    text = out.out + out.err
    assert TOKEN not in text
    return code, text


def sent(fake: FakeGitHub, method: str, needle: str) -> list[Any]:
    return [r.body for r in fake.requests if r.method == method and needle in r.path]


# -- check runs ------------------------------------------------------------------------------


def test_first_run_creates_and_rerun_updates_without_duplicate(
    fake_github: FakeGitHub, head: str, env: None, tmp_path: Path, capsys: Any
) -> None:
    doc = report([finding(1), finding(2, "warning"), finding(3, "note", status="baselined")])
    path = write(tmp_path, doc)
    code, out = run(capsys, fake_github, path, head)
    assert code == 0 and "created" in out
    [created] = fake_github.runs_named("forgegate")
    assert created["conclusion"] == "failure" and created["head_sha"] == head
    assert created["output"]["title"] == "forgegate failed: 2 new finding(s) (1 error, 1 warning)"
    summary = created["output"]["summary"]
    assert "| new | 1 | 1 | 0 |" in summary and "| baselined | 0 | 0 | 1 |" in summary
    assert "hygiene 1, workflow 1" in summary and "`src/file001.py:2`" in summary
    # the token went to GitHub, in the Authorization header only
    assert all(TOKEN in r.headers.get("Authorization", "") for r in fake_github.requests)

    fixed = write(tmp_path, report([finding(2, "warning")]), "fixed.json")
    code, out = run(capsys, fake_github, fixed, head)
    assert code == 0 and "updated" in out
    [again] = fake_github.runs_named("forgegate")
    assert again["id"] == created["id"] and again["conclusion"] == "neutral"
    assert len(sent(fake_github, "POST", "/check-runs")) == 1
    assert len(sent(fake_github, "PATCH", "/check-runs/")) == 1

    # another name is another check run
    code, _ = run(capsys, fake_github, fixed, head, "--name", "forgegate-extra")
    assert code == 0 and len(fake_github.check_runs) == 2


def test_passing_report_is_success_with_no_annotations(
    fake_github: FakeGitHub, head: str, env: None, tmp_path: Path, capsys: Any
) -> None:
    code, _ = run(capsys, fake_github, write(tmp_path, report([])), head)
    [created] = fake_github.runs_named("forgegate")
    assert code == 0 and created["conclusion"] == "success"
    assert fake_github.annotations[created["id"]] == []
    assert created["output"]["title"] == "forgegate passed: no new findings"


def test_many_findings_are_annotated_50_per_request(
    fake_github: FakeGitHub, head: str, env: None, tmp_path: Path, capsys: Any
) -> None:
    items = [finding(i, ("error", "warning", "note")[i % 3]) for i in range(143)]
    items[5] = finding(5, "warning", line=None, column=None)
    items.append(finding(999, path=None, line=None, column=None))  # no path: not annotated
    code, out = run(capsys, fake_github, write(tmp_path, report(items)), head)
    assert code == 0 and "143 annotation(s) in 3 request(s)" in out
    writes = sent(fake_github, "POST", "/check-runs") + sent(fake_github, "PATCH", "/check-runs/")
    assert [len(b["output"]["annotations"]) for b in writes] == [50, 50, 43]
    [created] = fake_github.runs_named("forgegate")
    notes = fake_github.annotations[created["id"]]
    assert len(notes) == 143
    assert {n["annotation_level"] for n in notes} == {"failure", "warning", "notice"}
    by_path = {n["path"]: n for n in notes}
    assert (
        by_path["src/file005.py"]["start_line"] == 1
        and "start_column" not in by_path["src/file005.py"]
    )
    assert by_path["src/file003.py"] == {
        "path": "src/file003.py",
        "start_line": 4,
        "end_line": 4,
        "annotation_level": "failure",
        "title": "workflow/rule-0",
        "message": "problem 3; fix it",
        "start_column": 2,
        "end_column": 2,
    }
    # every batch repeats the title and summary, as GitHub requires with output
    assert all(
        b["output"]["title"] == created["output"]["title"]
        for b in sent(fake_github, "PATCH", "/check-runs/")
    )


def test_annotations_over_the_cap_are_said_in_the_summary(
    fake_github: FakeGitHub, head: str, env: None, tmp_path: Path, capsys: Any
) -> None:
    items = [finding(i) for i in range(140)]
    code, _ = run(
        capsys, fake_github, write(tmp_path, report(items)), head, "--max-annotations", "60"
    )
    [created] = fake_github.runs_named("forgegate")
    assert code == 0 and len(fake_github.annotations[created["id"]]) == 60
    assert "**80 finding(s) are not annotated**: 60 of 140" in created["output"]["summary"]


def test_missing_checks_permission_names_it(
    fake_github: FakeGitHub, head: str, env: None, tmp_path: Path, capsys: Any
) -> None:
    forbidden = Canned(
        403,
        {
            "message": "Resource not accessible by integration",
            "documentation_url": "https://docs.github.com/rest/checks/runs#create-a-check-run",
            "status": "403",
        },
    )
    fake_github.script("/check-runs", forbidden, method="POST")
    code, out = run(capsys, fake_github, write(tmp_path, report([finding(1)])), head)
    assert code == 3
    assert "`permissions: checks: write`" in out and "Resource not accessible" in out
    assert not fake_github.check_runs


def test_unprocessable_says_githubs_message(
    fake_github: FakeGitHub, head: str, env: None, tmp_path: Path, capsys: Any
) -> None:
    unknown = "f" * 40
    code, out = run(capsys, fake_github, write(tmp_path, report([finding(1)])), unknown)
    assert code == 3 and f"HTTP 422: No commit found for SHA: {unknown}" in out
    # GitHub's message is passed through redaction: an echoed secret never reaches the log
    fake_github.script(
        "/check-runs",
        Canned(
            422,
            {
                "message": "Validation Failed",
                "documentation_url": "https://docs.github.com/rest",
                "errors": [{"code": "invalid", "message": f"output.text: token={TOKEN}"}],
            },
        ),
        method="POST",
    )
    code, out = run(capsys, fake_github, write(tmp_path, report([finding(1)])), head)
    assert code == 3 and "HTTP 422: Validation Failed: output.text: token=[REDACTED]" in out


def test_server_errors_are_retried_with_backoff(
    fake_github: FakeGitHub, head: str, env: None, tmp_path: Path, capsys: Any, slept: list[float]
) -> None:
    fake_github.script("/check-runs", server_error(502), server_error(503), method="POST")
    code, _ = run(capsys, fake_github, write(tmp_path, report([finding(1)])), head)
    assert code == 0 and slept == [1.0, 2.0]
    assert len(fake_github.runs_named("forgegate")) == 1
    # every attempt looks for an existing run first, so a stored-then-502 create is not doubled
    calls = [r.method for r in fake_github.requests if "/check-runs" in r.path]
    assert calls == ["GET", "POST"] * 3


def test_server_errors_are_bounded_and_exit_3(
    fake_github: FakeGitHub, head: str, env: None, tmp_path: Path, capsys: Any, slept: list[float]
) -> None:
    fake_github.script("/check-runs", *[server_error(502)] * 10, method="POST")
    code, out = run(capsys, fake_github, write(tmp_path, report([finding(1)])), head)
    assert code == 3 and "HTTP 502 4 times" in out and len(slept) == 3
    assert len(sent(fake_github, "POST", "/check-runs")) == 4


def test_short_rate_limit_is_waited_out(
    fake_github: FakeGitHub, head: str, env: None, tmp_path: Path, capsys: Any, slept: list[float]
) -> None:
    fake_github.script("/check-runs", github_server.too_many_requests(7), method="POST")
    code, _ = run(capsys, fake_github, write(tmp_path, report([finding(1)])), head)
    assert code == 0 and slept == [7.0] and len(fake_github.check_runs) == 1


def test_missing_token_exits_3_and_bad_report_exits_2(
    fake_github: FakeGitHub,
    head: str,
    env: None,
    tmp_path: Path,
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out = run(capsys, fake_github, tmp_path / "absent.json", head)
    assert code == 2 and "cannot read --report" in out
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 2, "result": {}}', encoding="utf-8")
    code, out = run(capsys, fake_github, bad, head)
    assert code == 2 and "version 2" in out
    monkeypatch.delenv("GITHUB_TOKEN")
    code, out = run(capsys, fake_github, write(tmp_path, report([])), head)
    assert code == 3 and "$GITHUB_TOKEN is empty" in out and not fake_github.requests


# -- commit statuses -------------------------------------------------------------------------


def test_status_mode_posts_one_short_line(
    fake_github: FakeGitHub, head: str, env: None, tmp_path: Path, capsys: Any
) -> None:
    items = [finding(1, path="deep/" * 40 + "file.py"), finding(2, "warning")]
    code, _ = run(capsys, fake_github, write(tmp_path, report(items)), head, "--mode", "status")
    assert code == 0 and not fake_github.check_runs
    [status] = fake_github.statuses[(REPO, head)]
    assert status["state"] == "failure" and status["context"] == "forgegate"
    description = status["description"]
    assert len(description) == 140 and description.endswith("…") and "\n" not in description
    assert description.startswith("forgegate failed: 2 new finding(s) (1 error, 1 warning); top:")

    code, _ = run(capsys, fake_github, write(tmp_path, report([])), head, "--mode", "status")
    assert code == 0
    assert fake_github.statuses[(REPO, head)][-1]["description"] == (
        "forgegate passed: no new findings"
    )


def test_status_mode_403_names_statuses_permission(
    fake_github: FakeGitHub, head: str, env: None, tmp_path: Path, capsys: Any
) -> None:
    fake_github.script(
        "/statuses/", Canned(403, {"message": "Resource not accessible by integration"})
    )
    code, out = run(capsys, fake_github, write(tmp_path, report([])), head, "--mode", "status")
    assert code == 3 and "`permissions: statuses: write`" in out


# -- the sticky PR comment -------------------------------------------------------------------


def test_sticky_comment_created_edited_then_deleted(
    fake_github: FakeGitHub,
    head: str,
    env: None,
    tmp_path: Path,
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    # somebody else's comment on the PR is never touched
    other = fake_github.answer(f"/repos/{REPO}/issues/7/comments", "POST", {"body": "LGTM"})
    assert other.status == 201
    theirs = other.body["id"]

    failing = write(tmp_path, report([finding(1), finding(2)]), "a.json")
    code, out = run(capsys, fake_github, failing, head, "--pr-comment")
    assert code == 0 and "#7: created" in out
    [first] = [c for c in fake_github.comments_on(REPO, 7) if c["id"] != theirs]
    assert first["body"].startswith("<!-- forgegate:report:forgegate -->\n")
    assert "2 new finding(s)" in first["body"]

    code, out = run(capsys, fake_github, failing, head, "--pr-comment")
    assert code == 0 and "#7: unchanged" in out

    one = write(tmp_path, report([finding(2)]), "b.json")
    code, out = run(capsys, fake_github, one, head, "--pr-comment")
    assert code == 0 and "#7: updated" in out
    [edited] = [c for c in fake_github.comments_on(REPO, 7) if c["id"] != theirs]
    assert edited["id"] == first["id"] and "1 new finding(s)" in edited["body"]

    code, out = run(
        capsys, fake_github, write(tmp_path, report([]), "c.json"), head, "--pr-comment"
    )
    assert code == 0 and "#7: deleted" in out
    assert [c["body"] for c in fake_github.comments_on(REPO, 7)] == ["LGTM"]
    code, out = run(
        capsys, fake_github, write(tmp_path, report([]), "c.json"), head, "--pr-comment"
    )
    assert code == 0 and "#7: absent" in out


def test_comment_403_names_pull_requests_permission_and_exits_3(
    fake_github: FakeGitHub, head: str, env: None, tmp_path: Path, capsys: Any
) -> None:
    fake_github.script(
        "/issues/7/comments",
        Canned(403, {"message": "Resource not accessible by integration"}),
        method="POST",
    )
    path = write(tmp_path, report([finding(1)]))
    code, out = run(capsys, fake_github, path, head, "--pr-comment", "--pr", "7")
    assert code == 3 and "`permissions: pull-requests: write`" in out
    assert len(fake_github.check_runs) == 1  # the check run itself was still published


def test_comment_without_a_pull_request_is_skipped(
    fake_github: FakeGitHub, head: str, env: None, tmp_path: Path, capsys: Any
) -> None:
    code, out = run(
        capsys, fake_github, write(tmp_path, report([finding(1)])), head, "--pr-comment"
    )
    assert code == 0 and "no comment written" in out and not fake_github.comments


# -- texts -----------------------------------------------------------------------------------


def test_conclusion_and_annotation_rules() -> None:
    assert texts.conclusion(report([finding(1)])) == "failure"
    assert texts.conclusion(report([finding(1, "warning")])) == "neutral"
    assert texts.conclusion(report([finding(1, status="waived")])) == "success"
    assert texts.conclusion(report([finding(1, "note")], failed=True)) == "failure"
    notes = build_annotations(report([finding(1, status="baselined"), finding(2, "note")]))
    assert [n["annotation_level"] for n in notes] == ["notice"]
    assert texts.one_line("a\nb " + "x" * 200) == "a b " + "x" * 135 + "…"
    assert len(texts.one_line("x" * 500)) == 140


def test_summary_stays_under_githubs_limit() -> None:
    items = [finding(i, message="m" * 3000) for i in range(40)]
    text = texts.summary(report(items), annotated=40, annotatable=40)
    assert len(text) <= 65535 and "… and 20 more" in text


def test_request_bodies_are_checked_against_the_subset(fake_github: FakeGitHub) -> None:
    check = fake_github.check
    runs = "/repos/o/r/check-runs"
    note = {
        "path": "a",
        "start_line": 1,
        "end_line": 1,
        "annotation_level": "notice",
        "message": "m",
    }
    ok = {"name": "x", "head_sha": "a" * 40, "output": {"title": "t", "summary": "s"}}
    assert not check.request_errors(runs, "POST", ok)
    too_many = {**ok, "output": {"title": "t", "summary": "s", "annotations": [note] * 51}}
    assert check.request_errors(runs, "POST", too_many)
    assert check.request_errors("/repos/o/r/statuses/" + "a" * 40, "POST", {"state": "green"})
    # the check-run list of a ref is its own (local) operation, not commits/{ref}
    assert check.operation("/repos/o/r/commits/abc/check-runs") == (
        "/repos/{owner}/{repo}/commits/{ref}/check-runs"
    )
    assert check.operation("/repos/o/r/commits/abc") == "/repos/{owner}/{repo}/commits/{ref}"
    assert check.errors("/repos/o/r/issues/1/comments", 201, {"id": 1}, "POST")

"""Policy: validation, defaults, severities, excludes, suppressions, waivers, baseline."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from forgegate.cli import main
from forgegate.errors import UsageError
from forgegate.policy.loader import load_policy

from .conftest import COMMUNITY_FILES, MakeRepo, git

BASICS = COMMUNITY_FILES


def check_json(
    capsys: pytest.CaptureFixture[str], root: Path, *extra: str
) -> tuple[int, dict[str, Any]]:
    code = main(["check", str(root), "--format", "json", *extra])
    out, _ = capsys.readouterr()
    return code, json.loads(out)


def rules_of(doc: dict[str, Any], status: str = "new") -> list[tuple[str, str]]:
    return sorted((f["rule"], f["path"]) for f in doc["findings"] if f["status"] == status)


def exit_2(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 2
    _, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1, err
    return err


# --- loading and validation ---


def test_defaults_are_applied_deterministically(make_repo: MakeRepo) -> None:
    root = make_repo({**BASICS, ".github/forgegate.yml": "rules:\n  hygiene/backup-files: {}\n"})
    first, second = load_policy(root), load_policy(root)
    assert first.document == second.document
    assert first.digest == second.digest
    assert first.fail_on.label == "error"
    assert first.max_file_size == 5 * 1024 * 1024
    assert first.baseline == ".forgegate-baseline.json"
    assert first.document["rules"]["hygiene/backup-files"] == {"exclude": [], "options": {}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fail-on: error\nfial-on: warning\n", ".github/forgegate.yml:2: fial-on: unknown key"),
        ("fail-on: 3\n", ".github/forgegate.yml:1: fail-on:"),
        ("exclude: docs/\n", ".github/forgegate.yml:1: exclude:"),
        (
            "rules:\n  hygiene/backup-files:\n    severity: loud\n",
            ".github/forgegate.yml:3: rules.hygiene/backup-files.severity:",
        ),
        (
            "rules:\n  hygiene/nope: {}\n",
            ".github/forgegate.yml:2: rules.hygiene/nope: unknown rule",
        ),
        ("fail-on: [error\n", ".github/forgegate.yml:2: the policy is not valid YAML"),
        (
            "waivers:\n  - rule: hygiene/backup-files\n    reason: legacy\n    owner: '@me'\n",
            "waivers.0: 'expires' is a required property",
        ),
        (
            "waivers:\n  - rule: hygiene/nope\n    reason: legacy\n    owner: '@me'\n"
            "    expires: 2030-01-01\n",
            "waivers[0].rule: unknown rule 'hygiene/nope'",
        ),
    ],
)
def test_bad_policy_exits_2_naming_file_line_and_key(
    text: str, expected: str, make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({**BASICS, ".github/forgegate.yml": text})
    err = exit_2(capsys, "check", str(root))
    assert expected in err
    err = exit_2(capsys, "policy", "validate", "--root", str(root))
    assert expected in err


def test_parsed_policy_is_cached_with_its_lines(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A policy file parsed once is read back from the cache by its bytes, ruamel.yaml not
    imported, and its errors still name the same lines; an edited file is parsed again."""
    text = (
        "fail-on: warning\nwaivers:\n  - rule: hygiene/backup-files\n    reason: legacy\n"
        "    owner: '@me'\n    expires: 2020-01-01\n"
    )
    root = make_repo({**BASICS, ".github/forgegate.yml": text})
    first = load_policy(root)
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "ruamel.yaml", None)
        second = load_policy(root)
        assert second.document == first.document
        assert second.waivers == first.waivers and second.waivers[0].line == 3
        (root / ".github/forgegate.yml").write_text(text.replace("fail-on", "fial-on"))
        with pytest.raises(ImportError):
            load_policy(root)
    err = exit_2(capsys, "policy", "validate", "--root", str(root))
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "ruamel.yaml", None)
        assert err == exit_2(capsys, "policy", "validate", "--root", str(root))
    assert ".github/forgegate.yml:1: fial-on: unknown key" in err


def test_pyproject_policy_is_read_with_lines(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    good = '[project]\nname = "x"\n\n[tool.forgegate]\nfail-on = "warning"\n'
    root = make_repo({**BASICS, "pyproject.toml": good})
    assert load_policy(root).fail_on.label == "warning"
    (root / "pyproject.toml").write_text(good + "colour = 1\n")
    err = exit_2(capsys, "policy", "validate", "--root", str(root))
    assert "pyproject.toml:6: colour: unknown key" in err


def test_strict_base_fails_warnings(make_repo: MakeRepo) -> None:
    root = make_repo(dict(BASICS))
    assert load_policy(root).fail_on.label == "error"
    strict = load_policy(root, base="strict")
    assert strict.fail_on.label == "warning"
    assert strict.rule("hygiene/missing-community-files").severity is not None


def test_rule_options_are_validated(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = "rules:\n  hygiene/backup-files:\n    options:\n      depth: 3\n"
    root = make_repo({**BASICS, ".github/forgegate.yml": policy})
    err = exit_2(capsys, "check", str(root))
    assert ".github/forgegate.yml:4: rules.hygiene/backup-files.options.depth: unknown key" in err


# --- severities and excludes ---


def test_severity_override_and_off(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({**BASICS, "a.py.orig": "x\n"})
    code, doc = check_json(capsys, root, "--only", "hygiene")
    assert code == 0 and rules_of(doc) == [("hygiene/backup-files", "a.py.orig")]

    (root / ".github").mkdir()
    (root / ".github/forgegate.yml").write_text(
        "rules:\n  hygiene/backup-files:\n    severity: error\n"
    )
    code, doc = check_json(capsys, root, "--only", "hygiene")
    assert code == 1
    assert [f["severity"] for f in doc["findings"] if f["status"] == "new"] == ["error"]

    (root / ".github/forgegate.yml").write_text(
        "rules:\n  hygiene/backup-files:\n    severity: off\n"
    )
    code, doc = check_json(capsys, root, "--only", "hygiene")
    assert code == 0 and rules_of(doc) == []


def test_global_and_rule_excludes(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({**BASICS, "a.py.orig": "x\n", "vendor/b.py.orig": "x\n", "t/c.rej": "x\n"})
    (root / ".github").mkdir()
    (root / ".github/forgegate.yml").write_text(
        "exclude: ['vendor/**']\nrules:\n  hygiene/backup-files:\n    exclude: ['*.rej']\n"
    )
    _, doc = check_json(capsys, root, "--only", "hygiene")
    assert rules_of(doc) == [("hygiene/backup-files", "a.py.orig")]


# --- inline suppressions ---


def test_suppression_with_and_without_reason(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(
        {
            **BASICS,
            "a.py.orig": "# forgegate: ignore[hygiene/backup-files] kept for the migration\n",
            "notes.txt": "see x  # forgegate: ignore[hygiene/backup-files]\n",
        }
    )
    # a suppression applies to findings on its line and the next: path-only findings have no
    # line, so here it only matters that the reason-less one is reported
    _, doc = check_json(capsys, root, "--only", "hygiene")
    assert ("policy/suppression-without-reason", "notes.txt") in rules_of(doc)
    reported = [f for f in doc["findings"] if f["rule"] == "policy/suppression-without-reason"]
    assert reported[0]["line"] == 1


def test_suppression_of_an_unknown_rule_exits_2(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = "forgegate: " + "ignore[hygiene/nonexistent] why"  # split: our own gate reads this
    root = make_repo({**BASICS, "a.py": f"x = 1  # {marker}\n"})
    err = exit_2(capsys, "check", str(root))
    assert "hygiene/nonexistent" in err and "a.py:1" in err


# --- waivers ---


def _waiver(expires: dt.date, path: str = "") -> str:
    where = f"    path: '{path}'\n" if path else ""
    return (
        "waivers:\n  - rule: hygiene/backup-files\n"
        f"{where}    reason: vendored copy, removed with the next upgrade\n"
        f"    owner: '@platform-team'\n    expires: {expires.isoformat()}\n"
    )


def test_active_waiver_accepts_with_justification(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    root = make_repo(
        {
            **BASICS,
            "vendor/a.py.orig": "x\n",
            "b.py.orig": "x\n",
            ".github/forgegate.yml": _waiver(tomorrow, "vendor/**"),
        }
    )
    code, doc = check_json(capsys, root, "--only", "hygiene", "--fail-on", "warning")
    assert code == 1  # b.py.orig is not covered
    assert rules_of(doc) == [("hygiene/backup-files", "b.py.orig")]
    assert rules_of(doc, "waived") == [("hygiene/backup-files", "vendor/a.py.orig")]


def test_expired_waiver_stops_applying_and_is_a_finding(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    yesterday = dt.date.today() - dt.timedelta(days=1)
    root = make_repo({**BASICS, "a.py.orig": "x\n", ".github/forgegate.yml": _waiver(yesterday)})
    code, doc = check_json(capsys, root, "--only", "hygiene")
    assert code == 1  # policy/expired-waiver is an error by default
    assert rules_of(doc) == [
        ("hygiene/backup-files", "a.py.orig"),
        ("policy/expired-waiver", ".github/forgegate.yml"),
    ]
    expired = next(f for f in doc["findings"] if f["rule"] == "policy/expired-waiver")
    assert expired["line"] == 2
    assert "@platform-team" in expired["message"] and yesterday.isoformat() in expired["message"]


def test_waiver_with_a_bad_date_exits_2(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _waiver(dt.date(2030, 1, 1)).replace("2030-01-01", "'next spring'")
    root = make_repo({**BASICS, ".github/forgegate.yml": text})
    err = exit_2(capsys, "check", str(root))
    assert "expires" in err


# --- baseline ---


def test_baseline_accepts_old_findings_and_counts_them(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({**BASICS, "a.py.orig": "x\n"})
    assert main(["baseline", "update", str(root), "--only", "hygiene"]) == 0
    capsys.readouterr()
    baseline = json.loads((root / ".forgegate-baseline.json").read_text())
    assert baseline["format"] == "forgegate-baseline"
    assert [e["path"] for e in baseline["findings"]] == ["a.py.orig"]

    (root / "b.rej").write_text("x\n")
    git(root, "add", "b.rej")
    code, doc = check_json(capsys, root, "--only", "hygiene", "--fail-on", "warning")
    assert code == 1
    assert rules_of(doc) == [("hygiene/backup-files", "b.rej")]
    assert rules_of(doc, "baselined") == [("hygiene/backup-files", "a.py.orig")]
    assert doc["result"]["counts"]["baselined"] == 1


def test_baseline_survives_edits_above_a_finding(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    body = "x = 1  # forgegate: ignore[hygiene/backup-files]\n"
    root = make_repo({**BASICS, "a.py": body})
    assert main(["baseline", "update", str(root)]) == 0
    capsys.readouterr()
    (root / "a.py").write_text('"""Docs added above."""\n\nimport os\n\n' + body)
    _, doc = check_json(capsys, root)
    assert rules_of(doc) == []
    assert rules_of(doc, "baselined") == [("policy/suppression-without-reason", "a.py")]
    baselined = next(f for f in doc["findings"] if f["status"] == "baselined")
    assert baselined["line"] == 5


def test_foreign_baseline_exits_2(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({**BASICS, "package.json": '{"name": "x"}\n'})
    err = exit_2(capsys, "check", str(root), "--baseline", str(root / "package.json"))
    assert "not a forgegate baseline" in err


def test_unknown_rule_in_policy_load_raises_usage_error(make_repo: MakeRepo) -> None:
    root = make_repo({**BASICS, ".github/forgegate.yml": "rules:\n  nope/nope: {}\n"})
    with pytest.raises(UsageError, match="unknown rule"):
        load_policy(root)


def test_baseline_update_refuses_to_overwrite_a_foreign_file(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({**BASICS, "a.py.orig": "x\n", "notes.json": '{"keep": true}\n'})
    err = exit_2(capsys, "baseline", "update", str(root), "--baseline", str(root / "notes.json"))
    assert "not a forgegate baseline" in err
    assert (root / "notes.json").read_text() == '{"keep": true}\n'

"""Reports: SARIF 2.1.0 against the real schema, JSON, annotations, summary, atomic writes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from forgegate.atomic import write_atomic
from forgegate.cli import main
from forgegate.errors import GateError
from forgegate.model import Finding, Location, Severity
from forgegate.report.annotations import annotation

from .conftest import COMMUNITY_FILES, MakeRepo

BASICS = COMMUNITY_FILES


@pytest.fixture
def problem_repo(make_repo: MakeRepo) -> Path:
    return make_repo(
        {
            **BASICS,
            "src/app.py.orig": "old\n",
            "vendor/lib.rej": "hunk\n",
            "legacy.bak": "x\n",
            ".github/forgegate.yml": (
                "waivers:\n  - rule: hygiene/backup-files\n    path: 'vendor/**'\n"
                "    reason: vendored, upstream fixes it\n    owner: '@team'\n"
                "    expires: 2999-01-01\n"
            ),
        }
    )


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, _ = capsys.readouterr()
    return code, out


# --- SARIF ---


def test_sarif_is_valid_and_complete(
    problem_repo: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sarif_file = problem_repo.parent / "out.sarif"
    _run(capsys, "check", str(problem_repo), "--sarif", str(sarif_file))
    doc: dict[str, Any] = json.loads(sarif_file.read_text(encoding="utf-8"))
    schema = json.loads((shared_data / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(doc)

    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    backup = by_id["hygiene/backup-files"]
    assert backup["help"]["markdown"] and backup["helpUri"].endswith("hygiene/backup-files.md")
    assert float(backup["properties"]["security-severity"]) > 0
    results = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r for r in run["results"]
    }
    assert set(results) >= {"src/app.py.orig", "vendor/lib.rej", "legacy.bak"}
    for result in results.values():
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert len(next(iter(result["partialFingerprints"].values()))) >= 16
    waived = results["vendor/lib.rej"]
    assert waived["suppressions"][0]["kind"] == "external"
    assert "@team" in waived["suppressions"][0]["justification"]
    assert "suppressions" not in results["legacy.bak"]


def test_sarif_validator_is_not_vacuous(shared_data: Path) -> None:
    schema = json.loads((shared_data / "schemas" / "sarif-schema-2.1.0.json").read_text())
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": []}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(bad)


# --- JSON and determinism ---


def test_json_shape(problem_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "check", str(problem_repo), "--format", "json", "--fail-on", "warning")
    doc = json.loads(out)
    assert code == 1
    assert doc["version"] == 1
    assert doc["tool"]["name"] == "forgegate"
    assert doc["policy"]["source"] == ".github/forgegate.yml"
    assert doc["result"]["failed"] is True
    counts = doc["result"]["counts"]
    assert counts["waived"] == 1
    assert counts["new"] == len([f for f in doc["findings"] if f["status"] == "new"])
    keys = {"rule", "severity", "status", "message", "path", "line", "column", "fingerprint"}
    assert all(set(f) == keys | {"fix", "justification"} for f in doc["findings"])
    waived = next(f for f in doc["findings"] if f["status"] == "waived")
    assert waived["justification"].startswith("vendored, upstream fixes it (owner @team")


def test_two_runs_give_byte_identical_reports(
    problem_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = []
    for n in range(2):
        sarif = problem_repo.parent / f"run{n}.sarif"
        _, out = _run(capsys, "check", str(problem_repo), "--format", "json", "--sarif", str(sarif))
        outputs.append((out, sarif.read_bytes()))
    assert outputs[0] == outputs[1]


# --- annotations and summary ---


def test_annotation_escapes_properties_and_data() -> None:
    finding = Finding(
        rule_id="hygiene/backup-files",
        severity=Severity.WARNING,
        message="50% done\nsecond line",
        location=Location("dir,x/a:b.py", 3, 7),
        fingerprint="f" * 16,
    )
    line = annotation(finding)
    assert line == (
        "::warning file=dir%2Cx/a%3Ab.py,line=3,col=7,title=hygiene/backup-files"
        "::50%25 done%0Asecond line"
    )


def test_github_format_and_summary(problem_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = problem_repo.parent / "summary.md"
    summary.write_text("## earlier step\n")
    code, out = _run(
        capsys, "check", str(problem_repo), "--format", "github", "--summary", str(summary)
    )
    assert code == 0
    assert "::warning file=legacy.bak,title=hygiene/backup-files::" in out
    assert "vendor/lib.rej" not in out  # waived findings do not annotate
    text = summary.read_text()
    assert text.startswith("## earlier step\n")  # the step summary is appended to
    assert "hygiene/backup-files" in text and "| " in text


# --- atomic writes ---


def test_failed_replace_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text("old report\n")

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(GateError, match="old file is unchanged"):
        write_atomic(target, "new report\n")
    assert target.read_text() == "old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temp left behind


def test_cli_report_write_failure_exits_3_and_keeps_old_sarif(
    problem_repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sarif = problem_repo.parent / "keep.sarif"
    sarif.write_text("previous\n")

    def refuse(src: object, dst: object) -> None:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    code = main(["check", str(problem_repo), "--sarif", str(sarif)])
    _, err = capsys.readouterr()
    assert code == 3
    assert "cannot write" in err and "keep.sarif" in err
    assert sarif.read_text() == "previous\n"


def test_atomic_write_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "script.sh"
    target.write_text("old")
    target.chmod(0o755)
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o755


def test_atomic_write_to_a_device_writes_through() -> None:
    """--output /dev/null must not replace the device node with a regular file."""
    write_atomic(os.devnull, "discarded\n")
    assert not Path(os.devnull).is_file()
    assert Path(os.devnull).read_text() == ""

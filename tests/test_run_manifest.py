"""The run manifest and the logs: reproducible hashes, redacted log lines."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
from pathlib import Path

import pytest

from forgegate import logs
from forgegate.cli import main

from .conftest import MakeRepo, git

FILES = {
    "README.md": "# demo\n",
    "LICENSE": "MIT\n",
    "SECURITY.md": "mail us\n",
    "src/app.py": "X = 1\n",
    "src/app.py.orig": "X = 0\n",
}


def _manifest(root: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    main(["check", str(root), "--format", "json", "--run-manifest", str(out)])
    capsys.readouterr()
    doc: dict[str, object] = json.loads(out.read_text())
    return doc


# --- forgegate-run.json ---


def test_manifest_hashes_are_reproducible_and_meaningful(
    make_repo: MakeRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(FILES)
    first = _manifest(root, tmp_path / "one.json", capsys)
    second = _manifest(root, tmp_path / "two.json", capsys)
    for key in ("inputs", "policy", "baseline", "findings", "tools", "forgegate", "python"):
        assert first[key] == second[key], key
    inputs = first["inputs"]
    assert isinstance(inputs, dict) and inputs["files-read"] == 5
    tools = first["tools"]
    assert isinstance(tools, dict) and tools["PyYAML"] != "not installed"
    policy = first["policy"]
    assert isinstance(policy, dict) and policy["resolved"]["fail-on"] == "error"

    (root / "src" / "app.py").write_text("X = 2\n")
    third = _manifest(root, tmp_path / "three.json", capsys)
    assert third["inputs"] != first["inputs"]  # content changed: the inputs hash follows
    assert third["findings"] == first["findings"]  # ... the findings did not
    (root / "notes.bak").write_text("x\n")
    git(root, "add", "notes.bak")
    fourth = _manifest(root, tmp_path / "four.json", capsys)
    assert fourth["findings"] != first["findings"]


def test_input_ids_are_git_blob_ids(make_repo: MakeRepo) -> None:
    from forgegate.blobs import blob_id

    root = make_repo({"a.txt": "hello\n"})
    expected = subprocess.run(
        ["git", "hash-object", "a.txt"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert blob_id((root / "a.txt").read_bytes()) == expected


def test_tool_versions_are_remembered_per_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The versions come from importlib.metadata once per install state of sys.path; a change
    to any sys.path directory (an install, upgrade or removal) looks them up again."""
    import sys
    from importlib import metadata

    from forgegate.report import manifest

    real = manifest.tool_versions()
    assert real["packaging"] == metadata.version("packaging")
    assert real["libyaml"] in ("yes", "no")
    calls: list[int] = []
    monkeypatch.setattr(manifest, "_look_up_versions", lambda: calls.append(1) or {"x": "1"})
    assert manifest.tool_versions() == real and calls == []
    site = tmp_path / "site"
    site.mkdir()
    os.utime(site, ns=(0, 0))  # an old directory: the install below changes its time
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    assert manifest.tool_versions() == {"x": "1"} and calls == [1]
    (site / "newpkg-1.0.dist-info").mkdir()
    assert manifest.tool_versions() == {"x": "1"} and calls == [1, 1]
    assert manifest.tool_versions() == {"x": "1"} and calls == [1, 1]


def test_manifest_default_path_and_opt_out(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], _run_manifest_in_tmp: Path
) -> None:
    root = make_repo(FILES)
    main(["check", str(root)])
    assert json.loads(_run_manifest_in_tmp.read_text())["format"] == "forgegate-run"
    _run_manifest_in_tmp.unlink()
    main(["check", str(root), "--no-run-manifest"])
    capsys.readouterr()
    assert not _run_manifest_in_tmp.exists()


# --- logs ---

TOKEN = "ghp_" + "Qw7" * 12
LEAKS = [
    f"token {TOKEN}",
    "Authorization: Bearer " + "abc.def." + "ghi12345",
    "https://ci:" + "pa55word" + "@registry.example.com",
    "password=" + "hunter2hunter2",
]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_every_logger_redacts(fmt: str) -> None:
    stream = io.StringIO()
    logs.configure(fmt, "debug", stream)
    try:
        for name in ("gate", "github.refs", "github.checks", "supplychain"):
            logger = logs.get(name)
            for leak in LEAKS:
                logger.warning("request failed: %s", leak)
                logger.info(leak)
        logging.getLogger("forgegate").error("top-level %s", LEAKS[0])
    finally:
        logs.configure("text", "warning")
    text = stream.getvalue()
    assert text.count("[REDACTED]") == 2 * 4 * len(LEAKS) + 1
    for secret in (TOKEN, "ghi12345", "pa55word", "hunter2hunter2"):
        assert secret not in text
    if fmt == "json":
        lines = [json.loads(line) for line in text.splitlines()]
        assert {line["run"] for line in lines} == {logs.RUN_ID}
        assert {line["op"] for line in lines} >= {"gate", "refs", "checks"}


def test_cli_log_options(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(FILES)
    try:
        main(["--log-format", "json", "--log-level", "info", "check", str(root)])
    finally:
        logs.configure("text", "warning")
    err = capsys.readouterr().err
    line = json.loads(err.strip().splitlines()[0])
    assert line["op"] == "scan" and line["level"] == "info"
    assert "scanned" in line["message"]


def test_reports_redact_what_a_rule_puts_in_a_message(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a careless rule cannot leak: every report's messages pass the redaction filter."""
    from forgegate.checks.hygiene.backup_files import BackupFiles

    original = BackupFiles.check_path

    def leaky(self: BackupFiles, entry: object, ctx: object):  # type: ignore[no-untyped-def]
        for finding in original(self, entry, ctx):  # type: ignore[arg-type]
            yield type(finding)(**{**finding.__dict__, "message": f"saw {TOKEN} here"})

    monkeypatch.setattr(BackupFiles, "check_path", leaky)
    root = make_repo(FILES)
    sarif = root.parent / "r.sarif"
    summary = root.parent / "s.md"
    for fmt in ("text", "json", "github", "sarif"):
        main(
            ["check", str(root), "--format", fmt, "--sarif", str(sarif), "--summary", str(summary)]
        )
        out = capsys.readouterr()
        assert TOKEN not in out.out + out.err + sarif.read_text() + summary.read_text()

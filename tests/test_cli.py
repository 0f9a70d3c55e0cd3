"""The command line: exit codes, refusals, and the commands besides check."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from forgegate.cli import main

from .conftest import MakeRepo


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_clean_repository_passes(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({"README.md": "# demo\n", "LICENSE": "MIT\n", "SECURITY.md": "mail us\n"})
    code, out, _ = run(capsys, "check", str(root), "--only", "hygiene")
    assert code == 0, out
    assert "passed" in out


def test_findings_at_fail_level_exit_1(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({"README.md": "# demo\n", "app.py.orig": "old\n"})
    code, out, _ = run(capsys, "check", str(root), "--fail-on", "warning", "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert "hygiene/backup-files" in {f["rule"] for f in doc["findings"]}
    assert doc["result"]["failed"] is True


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "/definitely/not/here"], "no such directory"),
        (["check", "--only", "nonsense"], "unknown family nonsense"),
        (["check", "--fail-on", "fatal"], "unknown severity"),
        (["explain", "hygiene/nope"], "unknown rule"),
        (["check", "--changed-only"], "--changed-only needs --base"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    make_repo: MakeRepo,
) -> None:
    monkeypatch.delenv("GITHUB_BASE_REF", raising=False)
    monkeypatch.chdir(make_repo({"README.md": "x\n"}))
    with pytest.raises(SystemExit) as exc:
        code = main(argv)
        raise SystemExit(code)
    _, err = capsys.readouterr()
    assert exc.value.code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_file_as_path_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file.txt"
    target.write_text("x")
    code, _, err = run(capsys, "check", str(target))
    assert code == 2 and "not a directory" in err


@pytest.mark.parametrize("where", ["/", "~"])
def test_root_and_home_are_refused(where: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", os.path.expanduser(where))
    assert code == 2
    assert "--allow-any-root" in err


def test_crash_exits_3(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from forgegate.checks.hygiene.backup_files import BackupFiles

    def boom(self: object, entry: object, ctx: object) -> list[object]:
        raise ValueError("bad day")

    monkeypatch.setattr(BackupFiles, "check_path", boom)
    root = make_repo({"README.md": "x\n"})
    code, out, err = run(capsys, "check", str(root), "--format", "json")
    assert code == 3
    assert "engine/check-crashed" in {f["rule"] for f in json.loads(out)["findings"]}
    assert "could not decide" in err


def test_rules_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "--format", "json")
    rules = {r["id"]: r for r in json.loads(out)}
    assert code == 0
    assert rules["hygiene/backup-files"]["family"] == "hygiene"
    code, out, _ = run(capsys, "explain", "hygiene/backup-files")
    assert code == 0
    assert out.startswith("# hygiene/backup-files")
    assert "## How to fix" in out


def test_output_file_is_written(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({"README.md": "x\n", "a.bak": "x"})
    out_file = root.parent / "report.json"
    code, out, _ = run(capsys, "check", str(root), "--format", "json", "--output", str(out_file))
    assert out == ""
    paths = [f["path"] for f in json.loads(out_file.read_text())["findings"]]
    assert "a.bak" in paths
    assert code in (0, 1)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith("forgegate ")


def test_files_limit_the_run(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo({"README.md": "x\n", "a.bak": "x", "b.bak": "x", "sub/c.orig": "x"})
    code, out, _ = run(
        capsys, "check", str(root), "--format", "json", "--files", "a.bak", "sub/c.orig", "gone.py"
    )
    paths = {f["path"] for f in json.loads(out)["findings"] if f["rule"] == "hygiene/backup-files"}
    assert paths == {"a.bak", "sub/c.orig"}
    code, _, err = run(capsys, "check", str(root), "--files", "../outside.txt")
    assert code == 2 and "outside the repository" in err


def test_a_warm_check_imports_only_what_it_uses(make_repo: MakeRepo, tmp_path: Path) -> None:
    """After one run has cached the parsed policy, its validation and the tool versions, a
    ``check`` imports no other command's module, no YAML library, no importlib.metadata and no
    jsonschema (each cost milliseconds of every pull-request run)."""
    import subprocess
    import sys

    root = make_repo({"README.md": "x\n", "a.py": "X = 1\n"})
    code = (
        "import sys; from forgegate.cli import main\n"
        "try: main(['check', sys.argv[1], '--only', 'hygiene', '--format', 'json',"
        " '--output', sys.argv[2], '--run-manifest', sys.argv[3]])\n"
        "except SystemExit: pass\n"
        "heavy = ('forgegate.commands.', 'ruamel', 'yaml', 'importlib.metadata', 'jsonschema')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    env = {**os.environ, "FORGEGATE_CACHE_DIR": str(tmp_path / "cache")}
    argv = [sys.executable, "-c", code, str(root), str(tmp_path / "r.json"), str(tmp_path / "m")]
    cold = subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stdout
    warm = subprocess.run(argv, capture_output=True, text=True, env=env, check=True).stdout
    assert "ruamel" in cold and "importlib.metadata" in cold
    assert warm.strip() == "[]", warm
    assert json.loads((tmp_path / "m").read_text())["tools"]["libyaml"] in ("yes", "no")


def test_command_modules_register_the_command_of_their_name() -> None:
    """Only the invoked command's module is imported; each module registers its own name, so
    the table in cli.py stays true, and help and usage errors still list every command."""
    import argparse
    import importlib

    from forgegate.cli import COMMAND_MODULES, CORE_COMMANDS, build_parser, invoked_command

    for name in COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"forgegate.commands.{name}").add_parser(sub)
        assert list(sub.choices) == [name]
    assert invoked_command(["--log-level", "debug", "sbom", "--help"]) == "sbom"
    assert invoked_command(["--log-format=json", "check", "."]) == "check"
    assert invoked_command(["--help"]) is None

    def commands(argv: list[str]) -> list[str]:
        parser = build_parser(argv)
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return list(sub.choices)

    assert commands(["check", "."]) == list(CORE_COMMANDS)
    assert set(commands(["--log-level", "info", "audit"])) == {*CORE_COMMANDS, "audit"}
    assert set(commands(["--help"])) == set(CORE_COMMANDS) | set(COMMAND_MODULES)
    assert set(commands(["no-such-command"])) == set(CORE_COMMANDS) | set(COMMAND_MODULES)

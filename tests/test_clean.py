"""forgegate clean: dry run by default, symlinks never followed, refusals, audit record."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from forgegate.clean import check_clean_root, find_targets
from forgegate.cli import main
from forgegate.errors import UsageError

from .conftest import MakeRepo


@pytest.fixture
def tree(make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_repo({"README.md": "x\n", "src/pkg/mod.py": "X = 1\n"})
    for rel, data in {
        "dist/pkg-1.0.tar.gz": b"\x1f\x8b" * 500,
        "build/lib/pkg/mod.py": b"X = 1\n",
        "src/pkg/__pycache__/mod.cpython-312.pyc": b"\0" * 100,
        "src/pkg.egg-info/PKG-INFO": b"Name: pkg\n",
        "web/node_modules/left-pad/index.js": b"module.exports = 1\n",
        ".tox/py312/log.txt": b"log\n",
        "src/pkg/mod.py.orig": b"X = 0\n",
        "debug.log": b"boom\n",
        "src/pkg/tools/build/keep.txt": b"a build/ two levels down is a source directory\n",
    }.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "data.txt").write_text("must survive\n")
    os.symlink(precious, root / "src" / "__pycache__")  # a matching name, pointing outside
    monkeypatch.chdir(root)
    return root


def test_dry_run_lists_and_keeps_everything(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clean"]) == 0
    out = capsys.readouterr().out
    assert "would remove dist/" in out and "dry run" in out
    assert (tree / "dist" / "pkg-1.0.tar.gz").exists()
    record = json.loads((tree / "forgegate-clean.json").read_text())
    assert record["dry-run"] is True
    assert {t["path"] for t in record["would-remove"]} == {
        "dist",
        "build",
        ".tox",
        "debug.log",
        "src/__pycache__",
        "src/pkg.egg-info",
        "src/pkg/__pycache__",
        "src/pkg/mod.py.orig",
        "web/node_modules",
    }
    assert record["bytes"] >= 1000


def test_yes_removes_and_never_follows_symlinks(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["clean", "--yes", "--audit", str(tmp_path / "audit.json")]) == 0
    assert not (tree / "dist").exists()
    assert not (tree / "src" / "pkg" / "__pycache__").exists()
    assert not os.path.lexists(tree / "src" / "__pycache__")  # the link is gone ...
    assert (
        tmp_path / "precious" / "data.txt"
    ).read_text() == "must survive\n"  # ... not its target
    assert (tree / "src" / "pkg" / "mod.py").exists()
    assert (tree / "src" / "pkg" / "tools" / "build" / "keep.txt").exists()
    assert (tree / ".git").is_dir()
    record = json.loads((tmp_path / "audit.json").read_text())
    assert record["dry-run"] is False and len(record["removed"]) == 9
    assert list(find_targets(tree)) == []


@pytest.mark.parametrize("where", ["/", "~"])
def test_refuses_root_and_home(where: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clean", os.path.expanduser(where), "--yes"]) == 2
    assert "refusing" in capsys.readouterr().err


def test_outside_the_repository_needs_flag_and_typed_confirmation(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "elsewhere"
    (outside / "dist").mkdir(parents=True)
    assert main(["clean", str(outside), "--yes"]) == 2
    assert "outside the current repository" in capsys.readouterr().err
    assert main(["clean", str(outside), "--yes", "--allow-outside-root"]) == 2  # no TTY here
    assert "typed confirmation" in capsys.readouterr().err
    with pytest.raises(UsageError, match="did not match"):
        check_clean_root(outside, True, confirm=lambda _: "yes", interactive=True)
    resolved = str(outside.resolve())
    assert check_clean_root(outside, True, confirm=lambda _: resolved, interactive=True) == (
        outside.resolve()
    )
    assert (outside / "dist").is_dir()


def test_a_failed_removal_exits_3_and_records_what_went(
    tree: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    real = shutil.rmtree

    def fail_on_web(path: object, *args: object, **kwargs: object) -> None:
        if str(path).endswith("node_modules"):
            raise PermissionError(13, "Permission denied")
        real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(shutil, "rmtree", fail_on_web)
    audit = tmp_path / "audit.json"
    assert main(["clean", "--yes", "--audit", str(audit)]) == 3
    assert "cannot remove web/node_modules" in capsys.readouterr().err
    removed = {t["path"] for t in json.loads(audit.read_text())["removed"]}
    assert "dist" in removed and "web/node_modules" not in removed

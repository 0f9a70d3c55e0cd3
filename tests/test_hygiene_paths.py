"""The path-based hygiene rules, run through the engine and the CLI on real git repositories.

One section per rule: positives, the near misses that must stay quiet, the rule's options
through a policy file, and the run modes (parallel workers, --changed-only, --files) that
change what a rule sees.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from forgegate import engine
from forgegate.checks.base import Check
from forgegate.checks.hygiene.backup_files import BackupFiles
from forgegate.checks.hygiene.broken_symlinks import BrokenSymlinks
from forgegate.checks.hygiene.build_output import BuildOutput
from forgegate.checks.hygiene.case_conflicts import CaseConflicts
from forgegate.checks.hygiene.large_files import LargeFiles, human
from forgegate.checks.hygiene.root_clutter import RootClutter
from forgegate.cli import main
from forgegate.engine import scan
from forgegate.model import Finding, Severity

from .conftest import COMMUNITY_FILES, MakeRepo, git

#: what a real project has anyway, so CLI runs are not about missing community files
BASICS: dict[str, str | bytes] = {
    **COMMUNITY_FILES,
    "pyproject.toml": "[project]\nname = 'demo'\nversion = '1.0'\n",
    "src/demo/__init__.py": "",
    "src/demo/core.py": "def run() -> int:\n    return 1\n",
}


def found(root: Path, check: Check, **kwargs: Any) -> list[Finding]:
    """Run one check through the engine, in one process unless ``jobs`` says otherwise."""
    kwargs.setdefault("jobs", 1)
    result = scan(root, [check], **kwargs)
    assert not result.crashed, [f.message for f in result.findings]
    return [f for f in result.findings if f.rule_id == check.rule.id]


def paths(findings: list[Finding]) -> list[str]:
    return sorted(f.location.path for f in findings)


def cli(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[Any]]:
    """``forgegate check --only hygiene --format json``: exit code and the new findings."""
    code = main(["check", str(root), "--only", "hygiene", "--format", "json", *extra])
    out, err = capsys.readouterr()
    if code == 2:
        return code, [err]
    doc = json.loads(out)
    return code, [f for f in doc["findings"] if f["status"] == "new"]


def rule_hits(findings: list[Any], rule: str) -> list[str]:
    return sorted(f["path"] for f in findings if f["rule"] == f"hygiene/{rule}")


def policy(body: str) -> dict[str, str | bytes]:
    return {".github/forgegate.yml": body}


def commit_all(root: Path, message: str = "change") -> None:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


# --- hygiene/backup-files ---


def test_backup_files_flags_leftovers_and_spares_lookalikes(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            **BASICS,
            "src/demo/core.py.bak": "old\n",
            "src/demo/core.py.orig": "merge base\n",
            "src/demo/core.py.rej": "@@ -1 +1 @@\n",
            "src/demo/.core.py.swp": b"b0VIM 9.0\0",
            "notes.md~": "draft\n",
            "settings.backup.json": "{}\n",
            "app.broken.js": "x\n",
            # near misses: words that only contain the suffixes
            "docs/backup-strategy.md": "# backups\n",
            "docs/origin.md": "# origin\n",
            "src/demo/orig.py": "",
            "scripts/rebak.sh": "#!/bin/sh\n",
        }
    )
    hits = found(root, BackupFiles())
    assert paths(hits) == [
        "app.broken.js",
        "notes.md~",
        "settings.backup.json",
        "src/demo/.core.py.swp",
        "src/demo/core.py.bak",
        "src/demo/core.py.orig",
        "src/demo/core.py.rej",
    ]
    assert all(f.severity is Severity.WARNING for f in hits)
    bak = next(f for f in hits if f.location.path == "src/demo/core.py.bak")
    assert bak.fix is not None and "git rm --cached" in bak.fix


def test_backup_files_fingerprint_ignores_content(make_repo: MakeRepo) -> None:
    root = make_repo({**BASICS, "src/demo/core.py.bak": "old\n"})
    before = found(root, BackupFiles())[0].fingerprint
    (root / "src/demo/core.py.bak").write_text("older still\nand longer\n")
    commit_all(root)
    assert found(root, BackupFiles())[0].fingerprint == before


def test_backup_files_cli_and_policy_exclude(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {**BASICS, "src/demo/core.py.orig": "x\n", "tests/fixtures/patch.rej": "hunk\n"}
    root = make_repo(files)
    _, findings = cli(root, capsys)
    assert rule_hits(findings, "backup-files") == [
        "src/demo/core.py.orig",
        "tests/fixtures/patch.rej",
    ]
    (root / ".github").mkdir()
    (root / ".github/forgegate.yml").write_text(
        "rules:\n  hygiene/backup-files:\n    exclude: ['tests/fixtures/**']\n"
    )
    commit_all(root)
    _, findings = cli(root, capsys)
    assert rule_hits(findings, "backup-files") == ["src/demo/core.py.orig"]


def test_backup_files_clean_repository(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    _, findings = cli(make_repo(dict(BASICS)), capsys)
    assert rule_hits(findings, "backup-files") == []


# --- hygiene/build-output ---


def test_build_output_one_finding_per_top_directory(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {**BASICS}
    files.update({f"build/lib/demo/m{i}.py": "x = 1\n" for i in range(25)})
    files.update(
        {
            "node_modules/left-pad/index.js": "module.exports = 1\n",
            "node_modules/left-pad/node_modules/dep/index.js": "x\n",
            "src/demo/__pycache__/core.cpython-312.pyc": b"\x00\x01",
            "src/demo/__pycache__/__init__.cpython-312.pyc": b"\x00\x01",
            "src/demo.egg-info/PKG-INFO": "Name: demo\n",
            "src/demo.egg-info/SOURCES.txt": "src/demo/core.py\n",
            ".tox/py312/log/1.log": "ok\n",
            ".venv/pyvenv.cfg": "home = /usr/bin\n",
            "legacy/old.pyc": b"\x00",
            "legacy/old.pyo": b"\x00",
        }
    )
    hits = found(make_repo(files), BuildOutput())
    assert paths(hits) == [
        ".tox",
        ".venv",
        "build",
        "legacy/old.pyc",
        "legacy/old.pyo",
        "node_modules",
        "src/demo.egg-info",
        "src/demo/__pycache__",
    ]
    by_path = {f.location.path: f for f in hits}
    assert by_path["build"].message.startswith("25 tracked file(s) under build/")
    assert by_path["node_modules"].message.startswith("2 tracked file(s) under node_modules/")
    assert ".gitignore" in by_path["build"].message


def test_build_output_dist_and_build_below_the_root_need_a_project(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        **BASICS,
        # a JavaScript package in a monorepo: its dist/ is generated
        "packages/ui/package.json": '{"name": "ui"}\n',
        "packages/ui/dist/index.js": "export {}\n",
        # a Sphinx site: docs/conf.py makes docs/build/ the rendered output
        "docs/conf.py": "project = 'demo'\n",
        "docs/build/html/index.html": "<html></html>\n",
        # source that merely lives in a directory called build or dist
        "tools/build/release.sh": "#!/bin/sh\n",
        "src/demo/build/__init__.py": "",
        "src/demo/dist/wheel.py": "",
        # names that only look alike
        "src/demo/build.py": "def build(): ...\n",
        "docs/building.md": "# build\n",
        "distribution/notes.md": "x\n",
        "build.sh": "#!/bin/sh\n",
    }
    hits = found(make_repo(files), BuildOutput())
    assert paths(hits) == ["docs/build", "packages/ui/dist"]


def test_build_output_allow_option(make_repo: MakeRepo) -> None:
    files: dict[str, str | bytes] = {
        **BASICS,
        "docs/Makefile": "html:\n\tsphinx-build . build\n",
        "docs/build/index.html": "<html></html>\n",
        "dist/demo-1.0.tar.gz": b"\x1f\x8b",
    }
    root = make_repo(files)
    assert paths(found(root, BuildOutput())) == ["dist", "docs/build"]
    assert paths(found(root, BuildOutput({"allow": ["docs/build/**"]}))) == ["dist"]


def test_build_output_fingerprint_survives_more_files(make_repo: MakeRepo) -> None:
    root = make_repo({**BASICS, "dist/demo-1.0.tar.gz": b"\x1f\x8b"})
    (before,) = found(root, BuildOutput())
    (root / "dist/demo-1.1.tar.gz").write_bytes(b"\x1f\x8b")
    commit_all(root)
    (after,) = found(root, BuildOutput())
    assert after.message.startswith("2 tracked file(s)")
    assert after.fingerprint == before.fingerprint


def test_build_output_dedup_holds_with_parallel_workers(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    files: dict[str, str | bytes] = {f"node_modules/pkg{i}/index.js": "x\n" for i in range(60)}
    files.update({f"src/demo/m{i}.py": "" for i in range(60)})
    root = make_repo({**BASICS, **files})
    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 10)
    hits = found(root, BuildOutput(), jobs=4)
    assert [(f.location.path, f.message.split(":")[0]) for f in hits] == [
        ("node_modules", "60 tracked file(s) under node_modules/")
    ]


def test_build_output_changed_only_sees_the_manifest_on_disk(make_repo: MakeRepo) -> None:
    root = make_repo({**BASICS, "web/package.json": '{"name": "web"}\n', "web/src/a.js": "x\n"})
    (root / "web/dist").mkdir()
    (root / "web/dist/a.js").write_text("bundled\n")
    (root / "web/src/b.js").write_text("y\n")
    commit_all(root, "add bundle")
    hits = found(root, BuildOutput(), changed_base="HEAD~1")
    assert [(f.location.path, f.message.split(":")[0]) for f in hits] == [
        ("web/dist", "1 tracked file(s) under web/dist/")
    ]


def test_build_output_cli_policy_and_clean_repository(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        **BASICS,
        "frontend/package.json": '{"name": "fe"}\n',
        "frontend/dist/app.js": "x\n",
        "src/demo/__pycache__/core.cpython-312.pyc": b"\x00",
    }
    root = make_repo(files)
    _, findings = cli(root, capsys)
    assert rule_hits(findings, "build-output") == ["frontend/dist", "src/demo/__pycache__"]
    (root / ".github").mkdir()
    (root / ".github/forgegate.yml").write_text(
        "rules:\n  hygiene/build-output:\n    options: {allow: ['frontend/dist/**']}\n"
    )
    commit_all(root)
    _, findings = cli(root, capsys)
    assert rule_hits(findings, "build-output") == ["src/demo/__pycache__"]
    clean_root = root.parent / "clean"
    clean_root.mkdir()
    for rel, content in BASICS.items():
        (clean_root / rel).parent.mkdir(parents=True, exist_ok=True)
        (clean_root / rel).write_text(str(content))
    git(clean_root, "init", "-q")
    git(clean_root, "add", "-A")
    _, findings = cli(clean_root, capsys)
    assert rule_hits(findings, "build-output") == []


# --- hygiene/root-clutter ---


def test_root_clutter_at_the_root_and_os_files_anywhere(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            **BASICS,
            "app.db": b"SQLite format 3\0",
            "cache.sqlite": b"SQLite format 3\0",
            "cache.sqlite3": b"SQLite format 3\0",
            "server.log": "GET / 200\n",
            "scratch.tmp": "x\n",
            "prod.dump": b"PGDMP",
            "nohup.out": "started\n",
            ".DS_Store": b"\0\0\0\1Bud1",
            "src/demo/.DS_Store": b"\0\0\0\1Bud1",
            "assets/Thumbs.db": b"\xd0\xcf\x11\xe0",
            # below the root these are somebody's deliberate data
            "tests/fixtures/sample.db": b"SQLite format 3\0",
            "logs/app.log": "kept on purpose\n",
            "docs/nohup.out.md": "# about nohup.out\n",
            # only lookalikes at the root
            "schema.dbml": "Table users {}\n",
            "changelog.md": "# log\n",
            "core.py": "",
        }
    )
    hits = found(root, RootClutter())
    assert paths(hits) == [
        ".DS_Store",
        "app.db",
        "assets/Thumbs.db",
        "cache.sqlite",
        "cache.sqlite3",
        "nohup.out",
        "prod.dump",
        "scratch.tmp",
        "server.log",
        "src/demo/.DS_Store",
    ]
    assert all(f.severity is Severity.WARNING for f in hits)


def test_root_clutter_allow_option(make_repo: MakeRepo) -> None:
    root = make_repo({**BASICS, "geo.sqlite": b"SQLite", "debug.log": "x\n"})
    assert paths(found(root, RootClutter({"allow": ["*.sqlite"]}))) == ["debug.log"]


def test_root_clutter_cli_policy_and_clean_repository(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({**BASICS, "geo.sqlite": b"SQLite", "debug.log": "x\n"})
    _, findings = cli(root, capsys)
    assert rule_hits(findings, "root-clutter") == ["debug.log", "geo.sqlite"]
    (root / ".github").mkdir()
    (root / ".github/forgegate.yml").write_text(
        "rules:\n  hygiene/root-clutter:\n    options: {allow: ['geo.sqlite']}\n"
    )
    (root / "debug.log").unlink()
    commit_all(root)
    _, findings = cli(root, capsys)
    assert rule_hits(findings, "root-clutter") == []


# --- hygiene/large-files ---


def test_large_files_limit_is_exclusive_and_needs_no_reading(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            **BASICS,
            "data/at-limit.bin": b"\0" * 100,
            "data/over-limit.bin": b"\0" * 101,
            "data/big.csv": b"a,b\n" * 1000,
        }
    )
    os.symlink("big.csv", root / "data/link.csv")  # a link is not a large file
    commit_all(root)
    result = scan(root, [LargeFiles({"max-bytes": 100})], jobs=1)
    assert result.files_read == 0
    hits = [f for f in result.findings if f.rule_id == "hygiene/large-files"]
    assert paths(hits) == ["data/big.csv", "data/over-limit.bin"]
    big = next(f for f in hits if f.location.path == "data/big.csv")
    assert "3.9 KiB (limit 100 B)" in big.message
    assert "Git LFS" in big.message and "release assets" in big.message


def test_large_files_default_limit_and_allow(make_repo: MakeRepo) -> None:
    mib = 1024 * 1024
    root = make_repo(
        {**BASICS, "assets/exact.bin": b"\1" * mib, "assets/video.mp4": b"\1" * (mib + 1)}
    )
    hits = found(root, LargeFiles())
    assert paths(hits) == ["assets/video.mp4"]
    assert "1.0 MiB (limit 1.0 MiB)" in hits[0].message
    assert found(root, LargeFiles({"allow": ["assets/*.mp4"]})) == []


def test_large_files_human_units() -> None:
    assert human(10) == "10 B"
    assert human(1536) == "1.5 KiB"
    assert human(48 * 1024 * 1024) == "48.0 MiB"
    assert human(3 * 1024**3) == "3.0 GiB"
    assert human(5000 * 1024**3) == "5000.0 GiB"


def test_large_files_cli_policy_option(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({**BASICS, "data/rows.csv": "a,b\n1,2\n3,4\n"})
    _, findings = cli(root, capsys)
    assert rule_hits(findings, "large-files") == []
    (root / ".github").mkdir()
    (root / ".github/forgegate.yml").write_text(
        "rules:\n  hygiene/large-files:\n    options: {max-bytes: 10}\n"
    )
    commit_all(root)
    _, findings = cli(root, capsys)
    hits = rule_hits(findings, "large-files")
    assert "data/rows.csv" in hits and "README.md" not in hits  # README.md is 7 bytes
    (root / ".github/forgegate.yml").write_text(
        "rules:\n  hygiene/large-files:\n    options: {max-bytes: 0}\n"
    )
    code, _ = cli(root, capsys)
    assert code == 2  # the policy schema refuses a limit below 1


# --- hygiene/case-conflicts ---


def test_case_conflicts_files_and_directories(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            **BASICS,
            "Docs/setup.md": "a\n",
            "docs/usage.md": "b\n",
            "src/demo/Util.py": "a\n",
            "src/demo/util.py": "b\n",
            "src/demo/UTIL.py": "c\n",
            "assets/Logo.svg": "<svg/>\n",
            "assets/logo.png": b"\x89PNG",
        }
    )
    hits = found(root, CaseConflicts())
    assert [(f.location.path, f.severity) for f in hits] == [
        ("Docs", Severity.ERROR),
        ("src/demo/UTIL.py", Severity.ERROR),
    ]
    assert "docs" in hits[0].message and "macOS" in hits[0].message
    assert "src/demo/Util.py" in hits[1].message and "src/demo/util.py" in hits[1].message


def test_case_conflicts_one_finding_per_clash(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            **BASICS,
            # one clash (Docs vs docs), even though the whole path clashes too
            "Docs/guide/Intro.md": "a\n",
            "docs/guide/intro.md": "b\n",
            # two clashes: A vs a at the root, and B vs b inside a/
            "a/B/c.txt": "1\n",
            "a/b/c.txt": "2\n",
            "A/b/c.txt": "3\n",
        }
    )
    hits = found(root, CaseConflicts())
    assert paths(hits) == ["A", "Docs", "a/B"]
    assert "a/b" in next(f for f in hits if f.location.path == "a/B").message


def test_case_conflicts_from_index_entries(make_repo: MakeRepo) -> None:
    """How a clash arrives from a case-sensitive machine: two index entries, one file on disk."""
    root = make_repo(dict(BASICS))
    blob = git(root, "hash-object", "-w", "README.md").strip()
    git(root, "update-index", "--add", "--cacheinfo", f"100644,{blob},readme.md")
    git(root, "update-index", "--add", "--cacheinfo", f"100644,{blob},Src/Demo/core.py")
    git(root, "commit", "-qm", "clash")
    hits = found(root, CaseConflicts())
    assert paths(hits) == ["README.md", "Src"]
    assert "readme.md" in hits[0].message


def test_case_conflicts_changed_only_reports_what_the_diff_touches(make_repo: MakeRepo) -> None:
    root = make_repo({**BASICS, "old/Name.txt": "a\n", "old/name.txt": "b\n"})
    (root / "src/demo/Core.py").write_text("clash\n")
    (root / "unrelated.txt").write_text("x\n")
    commit_all(root, "add Core.py")
    hits = found(root, CaseConflicts(), changed_base="HEAD~1")
    # the clash already on main is not this change's doing; the new one is, with both spellings
    assert paths(hits) == ["src/demo/Core.py"]
    assert "src/demo/core.py" in hits[0].message
    # pre-commit hands over just the staged paths
    hits = found(root, CaseConflicts(), files=["unrelated.txt", "src/demo/core.py"])
    assert paths(hits) == ["src/demo/Core.py"]
    assert found(root, CaseConflicts(), files=["unrelated.txt"]) == []


def test_case_conflicts_cli(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = cli(make_repo(dict(BASICS)), capsys)
    assert rule_hits(findings, "case-conflicts") == []
    root = make_repo({"CHANGELOG.md": "a\n", "changelog.md": "b\n"})
    code, findings = cli(root, capsys)
    assert rule_hits(findings, "case-conflicts") == ["CHANGELOG.md"]
    assert code == 1  # an error fails the gate


# --- hygiene/broken-symlinks ---


def test_broken_symlinks(make_repo: MakeRepo) -> None:
    root = make_repo({**BASICS, "config/defaults.yml": "a: 1\n", "shared/x.txt": "x\n"})
    links = {
        "config/good.yml": "defaults.yml",
        "config/dir-link": "../shared",
        "config/via-parent.yml": "../config/defaults.yml",
        "config/chain.yml": "good.yml",
        "config/dangling.yml": "missing.yml",
        "config/absolute.yml": "/etc/hostname",
        "config/escape": "../../elsewhere",
        "config/chain-broken.yml": "dangling.yml",
    }
    for rel, target in links.items():
        os.symlink(target, root / rel)
    commit_all(root, "links")
    result = scan(root, [BrokenSymlinks()], jobs=1)
    by_path = {f.location.path: f for f in result.findings}
    assert sorted(by_path) == [
        "config/absolute.yml",
        "config/chain-broken.yml",
        "config/dangling.yml",
        "config/escape",
    ]
    assert "-> missing.yml points at nothing" in by_path["config/dangling.yml"].message
    assert "-> /etc/hostname points outside the repository" in (
        by_path["config/absolute.yml"].message
    )
    assert "outside the repository" in by_path["config/escape"].message
    assert all(f.severity is Severity.ERROR for f in result.findings)
    # symlinks are described, never read
    assert result.files_read == 0


def test_broken_symlinks_fingerprint_follows_the_target(make_repo: MakeRepo) -> None:
    root = make_repo(dict(BASICS))
    os.symlink("missing-a", root / "link")
    commit_all(root)
    (first,) = found(root, BrokenSymlinks())
    (root / "link").unlink()
    os.symlink("missing-b", root / "link")
    commit_all(root)
    (second,) = found(root, BrokenSymlinks())
    assert first.fingerprint != second.fingerprint  # a new wrong target is a new problem


def test_broken_symlinks_cli_and_exclude(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(dict(BASICS))
    os.symlink("src/demo/core.py", root / "core.py")
    commit_all(root)
    code, findings = cli(root, capsys)
    assert rule_hits(findings, "broken-symlinks") == []
    os.symlink("/nonexistent/forgegate", root / "vendor-link")
    commit_all(root)
    code, findings = cli(root, capsys)
    assert rule_hits(findings, "broken-symlinks") == ["vendor-link"]
    assert code == 1
    (root / ".github").mkdir()
    (root / ".github/forgegate.yml").write_text(
        "rules:\n  hygiene/broken-symlinks:\n    exclude: ['vendor-link']\n"
    )
    commit_all(root)
    code, findings = cli(root, capsys)
    assert rule_hits(findings, "broken-symlinks") == []


def test_case_conflict_candidates_come_from_git_not_a_pass_over_the_tree(
    make_repo: MakeRepo,
) -> None:
    """Only the spellings that can clash with the diff are listed, at every depth."""
    from forgegate.checks.hygiene.case_conflicts import clash_candidates

    root = make_repo(
        {
            **BASICS,
            "Src/other.py": "a\n",
            "src/demo/CORE.py": "b\n",
            "src/demo/unrelated.py": "c\n",
            "src/keep.py": "d\n",
        }
    )
    changed = ["src/demo/core.py"]
    assert clash_candidates(root, changed) == [
        "Src/other.py",  # clashes at depth 1 (Src vs src)
        "src/demo/CORE.py",  # clashes at depth 3
        "src/demo/core.py",
    ]

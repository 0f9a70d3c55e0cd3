"""The engine: one walk, each wanted file read once, odd files handled, crashes reported."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from forgegate import engine
from forgegate.checks.base import Context, FileCheck, PathCheck, PathEntry, RepoCheck, SourceFile
from forgegate.engine import order_checks, scan
from forgegate.errors import UsageError
from forgegate.model import Finding, Rule, Severity

from .conftest import MakeRepo, git


class SeenFiles(FileCheck):
    """Records every file it is handed and flags lines containing TODO."""

    rule = Rule("test/seen", "seen", Severity.WARNING, "test")
    patterns: ClassVar[tuple[str, ...]] = ("*.py", "*.txt", "*.cfg")

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.seen: list[str] = []

    def check_file(self, source: SourceFile, ctx: Context) -> Iterable[Finding]:
        self.seen.append(source.path)
        for number, line in enumerate(source.lines, 1):
            if "TODO" in line:
                yield self.finding("todo", source.path, number, line.index("TODO") + 1, key=line)


class AlsoPython(FileCheck):
    rule = Rule("test/also", "also", Severity.NOTE, "test")
    patterns: ClassVar[tuple[str, ...]] = ("*.py",)

    def check_file(self, source: SourceFile, ctx: Context) -> Iterable[Finding]:
        return []


class Crashes(FileCheck):
    rule = Rule("test/crash", "crash", Severity.ERROR, "test")
    patterns: ClassVar[tuple[str, ...]] = ("boom.py",)

    def check_file(self, source: SourceFile, ctx: Context) -> Iterable[Finding]:
        raise RuntimeError("kaboom")


class EveryPath(PathCheck):
    rule = Rule("test/paths", "paths", Severity.NOTE, "test")

    def check_path(self, entry: PathEntry, ctx: Context) -> Iterable[Finding]:
        yield self.finding(f"{entry.kind}", entry.path, key=entry.path)


def test_scans_tracked_files_only(make_repo: MakeRepo) -> None:
    root = make_repo({"a.py": "x = 1  # TODO\n", "docs/b.txt": "fine\n"})
    (root / "untracked.py").write_text("TODO\n")
    check = SeenFiles()
    result = scan(root, [check], jobs=1)
    assert sorted(check.seen) == ["a.py", "docs/b.txt"]
    assert [(f.location.path, f.location.line, f.location.column) for f in result.findings] == [
        ("a.py", 1, 10)
    ]


def test_plain_directory_is_walked_without_git(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("TODO\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config.txt").write_text("TODO\n")
    check = SeenFiles()
    result = scan(tmp_path, [check], jobs=1)
    assert check.seen == ["pkg/m.py"]
    assert result.paths == ["pkg/m.py"]


def test_odd_files_are_skipped_once_with_a_reason(make_repo: MakeRepo) -> None:
    root = make_repo(
        {
            "bin.py": b"\x00\x01\x02TODO",
            "latin1.txt": "caf\xe9 TODO".encode("latin-1"),
            "big.txt": "TODO\n" * 50,
            "ok.py": "TODO\n",
        }
    )
    os.symlink("/etc/hostname", root / "outside.txt")
    git(root, "add", "outside.txt")
    check = SeenFiles()
    result = scan(root, [check, AlsoPython()], max_file_size=100, jobs=1)
    assert check.seen == ["ok.py"]
    reasons = {s.path: s.reason for s in result.skipped}
    assert reasons == {
        "bin.py": "binary",
        "latin1.txt": "not-utf8",
        "big.txt": "too-large",
        "outside.txt": "symlink",
    }
    assert len(result.skipped) == 4  # said once, however many rules wanted the file


def test_unreadable_file_is_reported_not_fatal(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo({"secret.txt": "TODO\n", "ok.txt": "TODO\n"})
    real_read = engine._read

    def fake_read(path: str, size: int) -> bytes:
        if path.endswith("secret.txt"):
            raise PermissionError(13, "Permission denied")  # root ignores chmod 000
        return real_read(path, size)

    monkeypatch.setattr(engine, "_read", fake_read)
    result = scan(root, [SeenFiles()], jobs=1)
    assert [(s.path, s.reason) for s in result.skipped] == [("secret.txt", "unreadable")]
    assert [f.location.path for f in result.findings] == ["ok.txt"]


def test_each_file_is_read_at_most_once(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_repo({"a.py": "TODO\n", "b.py": "x\n", "c.md": "not wanted\n"})
    opened: list[str] = []
    real_read = engine._read

    def counting_read(path: str, size: int) -> bytes:
        opened.append(os.path.basename(path))
        return real_read(path, size)

    monkeypatch.setattr(engine, "_read", counting_read)
    scan(root, [SeenFiles(), AlsoPython()], jobs=1)
    assert sorted(opened) == ["a.py", "b.py"]


def test_crashing_rule_becomes_a_finding(make_repo: MakeRepo) -> None:
    root = make_repo({"boom.py": "x\n", "fine.py": "TODO\n"})
    result = scan(root, [Crashes(), SeenFiles()], jobs=1)
    assert result.crashed
    crash = [f for f in result.findings if f.rule_id == "engine/check-crashed"]
    assert len(crash) == 1
    assert crash[0].location.path == "boom.py"
    assert "test/crash" in crash[0].message and "kaboom" in crash[0].message
    assert any(f.rule_id == "test/seen" for f in result.findings)


def test_dependency_order_and_cycles() -> None:
    class First(RepoCheck):
        rule = Rule("test/first", "t", Severity.NOTE, "t")
        after = ("test/second",)

    class Second(RepoCheck):
        rule = Rule("test/second", "t", Severity.NOTE, "t")

    ordered = order_checks([First(), Second()])
    assert [c.rule.id for c in ordered] == ["test/second", "test/first"]

    class Loop(RepoCheck):
        rule = Rule("test/loop", "t", Severity.NOTE, "t")
        after = ("test/first",)

    class FirstLoops(RepoCheck):
        rule = Rule("test/first", "t", Severity.NOTE, "t")
        after = ("test/loop",)

    with pytest.raises(UsageError, match=r"cycle: test/\w+ -> test/\w+ -> test/\w+"):
        order_checks([Loop(), FirstLoops()])


def test_identical_lines_get_distinct_fingerprints(make_repo: MakeRepo) -> None:
    root = make_repo({"a.py": "x = 1  # TODO\nx = 1  # TODO\n"})
    result = scan(root, [SeenFiles()], jobs=1)
    prints = [f.fingerprint for f in result.findings]
    assert len(prints) == 2 and len(set(prints)) == 2


def test_fingerprint_survives_edits_above(make_repo: MakeRepo) -> None:
    root = make_repo({"a.py": "import os\nvalue = 2  # TODO\n"})
    before = scan(root, [SeenFiles()], jobs=1).findings
    (root / "a.py").write_text("import os\nimport sys\n\n\nvalue = 2  # TODO\n")
    after = scan(root, [SeenFiles()], jobs=1).findings
    assert before[0].location.line == 2 and after[0].location.line == 5
    assert before[0].fingerprint == after[0].fingerprint


def test_changed_only_reads_only_the_diff(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    files: dict[str, str | bytes] = {f"pkg/m{i}.py": "TODO\n" for i in range(50)}
    root = make_repo(files)
    (root / "pkg" / "m7.py").write_text("changed TODO\n")
    (root / "pkg" / "new.py").write_text("new TODO\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "change")
    inspected: list[str] = []
    real_inspect = engine.inspect

    def counting_inspect(r: Path, rel: str, full: str | None = None) -> PathEntry:
        inspected.append(rel)
        return real_inspect(r, rel, full)

    monkeypatch.setattr(engine, "inspect", counting_inspect)
    check = SeenFiles()
    result = scan(root, [check], changed_base="HEAD~1", jobs=1)
    assert sorted(inspected) == ["pkg/m7.py", "pkg/new.py"]
    assert sorted(check.seen) == ["pkg/m7.py", "pkg/new.py"]
    assert result.paths == ["pkg/m7.py", "pkg/new.py"]


def test_changed_only_rejects_unknown_base(make_repo: MakeRepo) -> None:
    root = make_repo({"a.py": "x\n"})
    with pytest.raises(UsageError, match="not a commit"):
        scan(root, [SeenFiles()], changed_base="no-such-ref")


def test_parallel_and_serial_runs_agree(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    files: dict[str, str | bytes] = {f"d{i % 7}/f{i}.py": f"v = {i}  # TODO\n" for i in range(300)}
    files["d1/blob.py"] = b"\x00binary"
    root = make_repo(files)
    serial = scan(root, [SeenFiles(), EveryPath()], jobs=1)
    monkeypatch.setattr(engine, "PARALLEL_THRESHOLD", 10)
    parallel = scan(root, [SeenFiles(), EveryPath()], jobs=2)
    assert serial.findings == parallel.findings
    assert serial.skipped == parallel.skipped
    assert serial.files_read == parallel.files_read == 301


def test_needles_skip_files_without_them(make_repo: MakeRepo) -> None:
    class NeedsMarker(SeenFiles):
        rule = Rule("test/needle", "n", Severity.NOTE, "t")
        needles: ClassVar[tuple[bytes, ...]] = (b"TODO",)

    root = make_repo({"a.py": "TODO\n", "b.py": "nothing\n"})
    check = NeedsMarker()
    scan(root, [check], jobs=1)
    assert check.seen == ["a.py"]


def test_rule_and_global_excludes(make_repo: MakeRepo) -> None:
    from forgegate.globs import compile_globs

    root = make_repo({"a.py": "TODO\n", "vendor/b.py": "TODO\n", "tests/c.py": "TODO\n"})
    check = SeenFiles()
    scan(
        root,
        [check],
        excluded=compile_globs(["vendor/**"]),
        rule_excludes={"test/seen": compile_globs(["tests/"])},
        jobs=1,
    )
    assert check.seen == ["a.py"]


def test_symlinked_directory_is_not_descended(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "x.py").write_text("TODO\n")
    os.symlink("/etc", tmp_path / "etc-link")
    check = SeenFiles()
    result = scan(tmp_path, [check], jobs=1)
    assert check.seen == ["real/x.py"]
    assert ("etc-link", "symlink") in {(s.path, s.reason) for s in result.skipped}


def test_read_returns_whole_files_of_every_size(tmp_path: Path) -> None:
    """The unbuffered read takes the lstat size as a hint only: a file that grew is read to
    its end, an empty one is empty."""
    for size in (0, 1, 4095, 1 << 20, (1 << 20) + 3):
        path = tmp_path / f"f{size}"
        data = os.urandom(size)
        path.write_bytes(data)
        assert engine._read(str(path), size) == data
        assert engine._read(str(path), max(0, size - 7)) == data  # grew since lstat
        assert engine._read(str(path), size + 10) == data  # shrank
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "f1")
    with pytest.raises(OSError):
        engine._read(str(link), 1)  # never followed


# --- needle scanner (forgegate.needles) ---


def test_needle_scanner_agrees_with_in_on_every_haystack() -> None:
    """Leftmost-first matches do not overlap; needles hidden inside another's match are found
    all the same (e.g. "/home/" inside "://home/", "ASIA" inside "AKIASIA")."""
    import random

    from forgegate.needles import NeedleScanner

    needles = [b"://", b"/home/", b"AKIA", b"ASIA", b"ab", b"bab", b"abc", b">>>>>>>", b"a"]
    scanner = NeedleScanner(needles)
    explicit = [b"x://home/y", b"AKIASIA", b"babc", b">>>>>>>>", b"", b"zzz"]
    rng = random.Random(7)
    pieces = [*needles, b"/", b":", b"h", b"x", b"\n"]
    generated = [
        b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(3000)
    ]
    for data in explicit + generated:
        assert scanner.find(data) == {n for n in needles if n in data}, data
    assert scanner.find(b"x://home/y") == {b"://", b"/home/"}


def test_needle_scanner_without_needles_finds_nothing() -> None:
    from forgegate.needles import NeedleScanner

    assert NeedleScanner([]).find(b"anything") == set()


def test_file_check_needle_filter_agrees_with_and_without_the_engine_search() -> None:
    from forgegate.checks.hygiene.secrets import Secrets
    from forgegate.needles import NeedleScanner

    check = Secrets()
    scanner = NeedleScanner(check.needles)
    for data in (b"plain", b"see https://example.org", b"https://u:password@example.org", b"AKIA"):
        assert check.wants_data(data, scanner.find(data)) == check.wants_data(data), data


def test_source_file_answers_contains_from_the_engine_search() -> None:
    source = SourceFile("a.txt", b"alpha beta", "alpha beta", {b"alpha"}, {b"alpha", b"gamma"})
    assert source.contains(b"alpha") and not source.contains(b"gamma")  # searched: the hits
    assert source.contains(b"beta") and not source.contains(b"delta")  # not searched: the bytes
    assert SourceFile("b.txt", b"x", "x").contains(b"x")  # no search at all


# --- globs (forgegate.globs) ---


def test_glob_matcher_agrees_with_the_one_regex_reference() -> None:
    """The fast matcher (file-name regex + remembered directory answers) decides every path as
    the whole-path regex does, for every kind of pattern."""
    import itertools
    import random

    from forgegate.globs import _translate, compile_globs

    def compile_globs_reference(patterns: tuple[str, ...]) -> Callable[[str], bool]:
        """The matcher as it was: one regex over the whole path."""
        regex = re.compile("(?:" + "|".join(_translate(p) for p in patterns) + r")\Z", re.DOTALL)
        return lambda path: regex.match(path) is not None

    patterns = [
        "*.py", "node_modules/", "*.egg-info/", "__pycache__/", "Dockerfile*", "*~", "*.bak*",
        "docs/**", "**/tests/**", "tests/", "src/*.py", "/root.txt", "a?c", "[ab]*.md", "x[!y]z",
        "./dist/", "**/*.log", "foo**bar", "conf.py",
    ]  # fmt: skip
    names = [
        "a", "b.py", "node_modules", "x.egg-info", "__pycache__", "tests", "docs", "src",
        "Dockerfile.dev", "f~", "q.bak1", "abc", "aa.md", "xqz", "xyz", "dist", "fooXbar",
        "w.log", "conf.py", "root.txt",
    ]  # fmt: skip
    rng = random.Random(3)
    paths = {"/".join(rng.choice(names) for _ in range(rng.randint(1, 5))) for _ in range(1500)}
    combos = [c for r in (1, 2, 3) for c in itertools.combinations(patterns, r)]
    for combo in rng.sample(combos, 300):
        fast, reference = compile_globs(combo), compile_globs_reference(combo)
        for path in paths:
            assert fast(path) == reference(path), (combo, path)


# --- blob ids from git's index (forgegate.files.clean_blob_ids) ---


def test_clean_blob_ids_are_gits_and_leave_out_changed_files(make_repo: MakeRepo) -> None:
    import subprocess

    from forgegate.blobs import blob_id
    from forgegate.files import clean_blob_ids

    root = make_repo({"a.txt": "one\n", "sub/b.py": "two\n", "c.txt": "three\n"})
    os.symlink("a.txt", root / "link")
    git(root, "add", "link")
    git(root, "commit", "-qm", "link")
    (root / "c.txt").write_text("changed\n")
    ids = clean_blob_ids(root)
    assert set(ids) == {"a.txt", "sub/b.py"}  # no symlink, no file changed since staged
    assert ids["a.txt"] == blob_id(b"one\n")
    listed = subprocess.run(
        ["git", "ls-files", "-s", "sub/b.py"], cwd=root, capture_output=True, text=True
    ).stdout.split()
    assert ids["sub/b.py"] == listed[1]
    assert clean_blob_ids(root / "sub") == {"b.py": listed[1]}  # relative to the scanned root


def test_clean_blob_ids_of_a_plain_directory_are_empty(tmp_path: Path) -> None:
    from forgegate.files import clean_blob_ids

    (tmp_path / "a.txt").write_text("x\n")
    assert clean_blob_ids(tmp_path) == {}


def test_full_run_records_the_same_ids_as_hashing(make_repo: MakeRepo) -> None:
    from forgegate.blobs import blob_id

    root = make_repo({"a.py": "TODO\n", "b.py": "x = 1\n"})
    (root / "b.py").write_text("x = 2\n")  # changed since staged: hashed by forgegate
    result = scan(root, [SeenFiles()], jobs=1)
    assert result.inputs == {
        "a.py": blob_id(b"TODO\n"),
        "b.py": blob_id(b"x = 2\n"),
    }


# --- registry: families imported on demand (forgegate.registry) ---


def test_every_rule_lives_in_the_family_module_the_registry_names() -> None:
    from forgegate.registry import FAMILIES, all_checks

    checks = all_checks()
    assert {cls.rule.family for cls in checks.values()} == set(FAMILIES)
    for rule_id, cls in checks.items():
        assert cls.__module__.startswith(FAMILIES[cls.rule.family]), rule_id


def test_only_one_family_imports_only_that_family(make_repo: MakeRepo) -> None:
    """``--only hygiene`` does not pay for importing the workflow and drift checks, not even
    when a suppression names one of their rules (the shipped rule pages know the ids); an id
    that names no rule is still refused."""
    import subprocess
    import sys

    code = (
        "import sys; from forgegate.cli import main\n"
        "try: code = main(['check', sys.argv[1], '--only', 'hygiene', '--no-run-manifest',"
        " '--format', 'json'])\n"
        "except SystemExit as exit: code = exit.code\n"
        "print(code, sorted(m for m in sys.modules if m.startswith('forgegate.checks.')"
        " and m.count('.') == 2))\n"
    )

    def run(suppressed: str) -> str:
        root = make_repo({"a.py": f"x = 1  # forgegate: ignore[{suppressed}] vendored\n"})
        proc = subprocess.run(
            [sys.executable, "-c", code, str(root)], capture_output=True, text=True, check=True
        )
        return proc.stdout.strip().splitlines()[-1]

    known = run("workflow/unpinned-uses")
    assert known.startswith("0 ") or known.startswith("1 "), known
    assert "forgegate.checks.hygiene" in known
    assert "forgegate.checks.workflow" not in known and "forgegate.checks.drift" not in known
    assert run("workflow/no-such-rule").startswith("2 ")


def test_tracked_in_lists_direct_children_only(make_repo: MakeRepo, tmp_path: Path) -> None:
    from forgegate.files import tracked_in

    root = make_repo({"LICENSE": "x\n", "docs/a.md": "a\n", "docs/deep/b.md": "b\n", "s/c.py": ""})
    assert tracked_in(root, ["", "docs"]) == ["LICENSE", "docs/a.md"]
    plain = tmp_path / "plain"
    (plain / "docs" / "deep").mkdir(parents=True)
    (plain / "README").write_text("r\n")
    (plain / "docs" / "deep" / "x.md").write_text("x\n")
    assert tracked_in(plain, ["", "docs"]) == ["README"]


# --- result cache (forgegate.cache) ---


def test_result_cache_follows_the_cache_dir_set_after_it_was_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forgegate.cache import ResultCache

    cache = ResultCache("demo")
    monkeypatch.setenv("FORGEGATE_CACHE_DIR", str(tmp_path / "one"))
    cache.put("ab12", {"x": 1})
    assert cache.get("ab12") == {"x": 1}
    assert list((tmp_path / "one").rglob("ab12.json"))
    monkeypatch.setenv("FORGEGATE_CACHE_DIR", str(tmp_path / "two"))
    assert cache.get("ab12") is None
    cache.put("cd34", {"x": float("nan")})  # JSON would not give it back: not stored
    assert cache.get("cd34") is None and not list((tmp_path / "two").rglob("*.tmp"))
    (tmp_path / "blocked").write_text("a file where the cache directory should be\n")
    monkeypatch.setenv("FORGEGATE_CACHE_DIR", str(tmp_path / "blocked"))
    cache.put("ab12", {"x": 2})  # cannot be written: not used, no error
    assert cache.get("ab12") is None

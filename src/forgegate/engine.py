"""One walk over the repository: each path inspected once, each wanted file read once.

The engine orders checks by their declared dependencies, hands every path to the path checks,
reads a file only when some file check wants it, and runs repository checks once. Files it
cannot hand to checks (binary, too large, not UTF-8, symlinks, unreadable) are recorded once as
:class:`Skipped`. A check that raises is reported as an ``engine/check-crashed`` finding for that
file, never swallowed. Large runs are spread over the CPU cores with ``fork``ed workers.
"""

from __future__ import annotations

import graphlib
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from forgegate.blobs import blob_id
from forgegate.checks.base import (
    Check,
    Context,
    FileCheck,
    PathCheck,
    RepoCheck,
    SourceFile,
)
from forgegate.errors import UsageError
from forgegate.files import (
    changed_paths,
    clean_blob_ids,
    inspect,
    selected_paths,
    tracked_paths,
)
from forgegate.model import Finding, Location, Severity, fingerprint
from forgegate.needles import NeedleScanner
from forgegate.policy.suppressions import (
    MARKER,
    ZIZMOR_MARKER,
    Suppression,
    parse_suppressions,
)

DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024
CRASH_RULE = "engine/check-crashed"
#: below this many paths a run stays in one process (forking costs more than it saves)
PARALLEL_THRESHOLD = 4000

PathFilter = Callable[[str], bool]


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str  # binary | too-large | not-utf8 | symlink | unreadable


@dataclass
class ScanResult:
    root: Path
    paths: list[str]
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    crashed: bool = False
    files_read: int = 0
    durations: dict[str, float] = field(default_factory=dict)
    #: git blob id (what ``git hash-object`` prints) of every file read, by path
    inputs: dict[str, str] = field(default_factory=dict)


def order_checks(checks: Sequence[Check]) -> list[Check]:
    """Topological order by ``Check.after``; ties keep rule-id order. A cycle is a usage error."""
    by_id = {c.rule.id: c for c in checks}
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for rule_id in sorted(by_id):
        sorter.add(rule_id, *(dep for dep in by_id[rule_id].after if dep in by_id))
    try:
        return [by_id[rule_id] for rule_id in sorter.static_order()]
    except graphlib.CycleError as err:
        cycle = " -> ".join(err.args[1])
        raise UsageError(f"rule dependencies form a cycle: {cycle}") from None


@dataclass
class _Plan:
    """What the workers need; inherited through fork, never pickled."""

    root: Path
    ctx: Context
    path_checks: list[PathCheck]
    file_checks: list[tuple[FileCheck, PathFilter]]
    path_excludes: dict[str, PathFilter]
    max_file_size: int
    #: blob ids git already knows (tracked files unchanged since staged), by path
    known_ids: dict[str, str] = field(default_factory=dict)
    #: one needle scanner per set of wanting checks (few distinct sets: they follow the globs)
    scanners: dict[tuple[FileCheck, ...], NeedleScanner] = field(default_factory=dict)

    def scanner_for(self, checks: Sequence[FileCheck]) -> NeedleScanner:
        """The scanner for every needle of ``checks`` and the suppression markers."""
        key = tuple(checks)
        scanner = self.scanners.get(key)
        if scanner is None:
            needles = [n for c in checks for n in c.needles]
            scanner = self.scanners[key] = NeedleScanner([*needles, MARKER, ZIZMOR_MARKER])
        return scanner


@dataclass
class _Partial:
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    crashed: bool = False
    files_read: int = 0
    durations: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    inputs: dict[str, str] = field(default_factory=dict)


_PLAN: _Plan | None = None


def _crash(check: Check, path: str, err: BaseException) -> Finding:
    message = f"rule {check.rule.id} crashed on this file: {type(err).__name__}: {err}"
    return Finding(
        CRASH_RULE,
        Severity.ERROR,
        message,
        Location(path),
        fingerprint(CRASH_RULE, path, check.rule.id),
    )


def _run_one(
    out: _Partial,
    check: Check,
    path: str,
    produce: Callable[..., Iterable[Finding]],
    *args: object,
) -> None:
    start = time.perf_counter()
    try:
        out.findings.extend(produce(*args))
    except Exception as err:  # a crashing rule is a finding (exit 3), not a crashed run
        out.findings.append(_crash(check, path, err))
        out.crashed = True
    out.durations[check.rule.family] += time.perf_counter() - start


def _scan_paths(rels: Sequence[str]) -> _Partial:
    plan = _PLAN
    assert plan is not None
    out = _Partial()
    ctx = plan.ctx
    prefix = os.path.join(plan.root, "")
    # path checks are cheap and run on every path: time them as one block per family, not
    # per call (two clock reads per check and path would cost more than most checks)
    path_checks = [(check, plan.path_excludes.get(check.rule.id)) for check in plan.path_checks]
    path_family = "+".join(sorted({c.rule.family for c, _ in path_checks})) or "paths"
    path_seconds = 0.0
    for rel in rels:
        full = prefix + rel
        entry = inspect(plan.root, rel, full)
        if entry.kind == "missing":
            continue
        started = time.perf_counter()
        for pcheck, excluded in path_checks:
            if excluded is not None and excluded(rel):
                continue
            try:
                found = pcheck.check_path(entry, ctx)
                if found:
                    out.findings.extend(found)
            except Exception as err:  # a crashing rule is a finding (exit 3)
                out.findings.append(_crash(pcheck, rel, err))
                out.crashed = True
        path_seconds += time.perf_counter() - started
        if entry.kind == "symlink":
            out.skipped.append(Skipped(rel, "symlink"))
            continue
        if entry.kind != "file":
            continue
        wanting = [check for check, wants in plan.file_checks if wants(rel)]
        if not wanting:
            continue
        if entry.size > plan.max_file_size:
            out.skipped.append(Skipped(rel, "too-large"))
            continue
        try:
            data = _read(full, entry.size)
        except OSError:
            out.skipped.append(Skipped(rel, "unreadable"))
            continue
        out.files_read += 1
        out.inputs[rel] = plan.known_ids.get(rel) or blob_id(data)
        if data.find(b"\0", 0, 8192) != -1:
            out.skipped.append(Skipped(rel, "binary"))
            continue
        scanner = plan.scanner_for(wanting)
        hits = scanner.find(data)
        wanting = [check for check in wanting if check.wants_data(data, hits)]
        marked = MARKER in hits or ZIZMOR_MARKER in hits
        if not wanting and not marked:
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            out.skipped.append(Skipped(rel, "not-utf8"))
            continue
        if marked:
            out.suppressions.extend(parse_suppressions(rel, text))
        source = SourceFile(rel, data, text, hits, scanner.searched)
        for fcheck in wanting:
            _run_one(out, fcheck, rel, fcheck.check_file, source, ctx)
    if path_checks:
        out.durations[path_family] += path_seconds
    return out


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _read(path: str, size: int) -> bytes:
    """The file's bytes: one unbuffered read of the size ``lstat`` saw (plus one byte, so a file
    that grew is read to its end), which skips the buffered reader's per-file set-up."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        data = os.read(fd, size + 1)
        if len(data) <= size:
            return data
        chunks = [data]
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _merge(parts: Iterable[_Partial], into: ScanResult) -> None:
    for part in parts:
        into.findings.extend(part.findings)
        into.skipped.extend(part.skipped)
        into.suppressions.extend(part.suppressions)
        into.crashed = into.crashed or part.crashed
        into.files_read += part.files_read
        into.inputs.update(part.inputs)
        for family, seconds in part.durations.items():
            into.durations[family] = into.durations.get(family, 0.0) + seconds


def _disambiguate(findings: list[Finding]) -> list[Finding]:
    """Identical fingerprints in one file (same rule, same line text) get an occurrence suffix."""
    findings.sort(key=Finding.sort_key)
    seen: dict[str, int] = {}
    result = []
    for f in findings:
        n = seen.get(f.fingerprint, 0)
        seen[f.fingerprint] = n + 1
        result.append(f if n == 0 else f.with_fingerprint(f"{f.fingerprint}:{n + 1}"))
    return result


def _chunks(items: Sequence[str], parts: int) -> list[Sequence[str]]:
    size = max(1, -(-len(items) // parts))
    return [items[i : i + size] for i in range(0, len(items), size)]


def scan(
    root: Path,
    checks: Sequence[Check],
    *,
    options: dict[str, dict[str, object]] | None = None,
    excluded: PathFilter | None = None,
    rule_excludes: dict[str, PathFilter] | None = None,
    changed_base: str | None = None,
    files: Sequence[str] | None = None,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    jobs: int | None = None,
) -> ScanResult:
    """Run ``checks`` over ``root``; see the module docstring for the contract.

    ``changed_base`` limits the run to the diff against that commit, ``files`` to the given
    paths (relative to ``root``, as pre-commit passes them); both cost O(paths given).
    """
    global _PLAN
    root = root.resolve()
    if files is not None:
        all_paths = selected_paths(root, files)
    elif changed_base is not None:
        all_paths = changed_paths(root, changed_base)
    else:
        all_paths = tracked_paths(root)
    paths = [p for p in all_paths if excluded is None or not excluded(p)]
    partial = changed_base is not None or files is not None
    ctx = Context(root=root, paths=paths, changed_only=partial, options=options or {})
    ordered = order_checks(checks)
    rule_excludes = rule_excludes or {}
    _PLAN = _Plan(
        root=root,
        ctx=ctx,
        path_checks=[c for c in ordered if isinstance(c, PathCheck)],
        file_checks=[
            (c, _file_filter(c, rule_excludes.get(c.rule.id)))
            for c in ordered
            if isinstance(c, FileCheck)
        ],
        path_excludes=rule_excludes,
        max_file_size=max_file_size,
        # a full run takes git's ids instead of hashing every file; a partial one hashes the
        # few files it reads (asking git would cost O(repository))
        known_ids={} if partial else clean_blob_ids(root),
    )
    result = ScanResult(root=root, paths=paths)
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    try:
        repo_checks = [c for c in ordered if isinstance(c, RepoCheck)]

        def run_repo_checks() -> _Partial:
            part = _Partial()
            for rcheck in repo_checks:
                _run_one(part, rcheck, ".", rcheck.check_repo, ctx)
            return part

        if workers > 1 and len(paths) >= PARALLEL_THRESHOLD and _can_fork():
            chunks = _chunks(paths, workers * 8)
            import multiprocessing  # only here: a small or partial run never pays its import

            with multiprocessing.get_context("fork").Pool(workers) as pool:
                scanned = pool.imap(_scan_paths, chunks)
                # the repository checks run here while the workers read files
                repo_part = run_repo_checks()
                _merge(scanned, result)
        else:
            _merge([_scan_paths(paths)], result)
            repo_part = run_repo_checks()
        _merge([repo_part], result)
    finally:
        _PLAN = None
    result.findings = _disambiguate(result.findings)
    result.skipped.sort(key=lambda s: s.path)
    return result


def _file_filter(check: FileCheck, rule_excluded: PathFilter | None) -> PathFilter:
    from forgegate.globs import compile_globs

    wants = compile_globs(check.globs())
    if rule_excluded is None:
        return wants
    return lambda path: wants(path) and not rule_excluded(path)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()

"""``forgegate clean``: remove build output, caches and stray files from a working tree.

What goes is what the hygiene family flags (build-output directories and ``*.pyc``, backup and
swap files, root clutter), found by walking the file system — ignored files included, ``.git``
never. The walk does not follow symlinks: a matching symlink is removed as a link, its target is
never touched, and no directory is entered through one. Dry run by default.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from forgegate.atomic import write_atomic
from forgegate.checks.hygiene.backup_files import PATTERNS as BACKUP_PATTERNS
from forgegate.checks.hygiene.build_output import (
    DIRECTORIES,
    FILE_SUFFIXES,
    MANIFESTS,
    OUTPUT_DIRECTORIES,
)
from forgegate.checks.hygiene.root_clutter import ANYWHERE, ROOT_PATTERNS
from forgegate.errors import UsageError
from forgegate.files import toplevel
from forgegate.globs import compile_globs

_BACKUP = compile_globs(BACKUP_PATTERNS)
_ROOT_CLUTTER = compile_globs(ROOT_PATTERNS)


@dataclass(frozen=True)
class Target:
    path: str  # relative to the root, "/"-separated
    kind: str  # directory | file | symlink
    reason: str
    bytes: int


def _size(path: Path) -> int:
    """Bytes under ``path`` without following symlinks."""
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode):
        return info.st_size
    total = 0
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def _reason(rel: str, name: str, is_dir: bool, depth: int, in_project: bool = False) -> str | None:
    if is_dir:
        if name in DIRECTORIES or name.endswith(".egg-info"):
            return "build output or cache directory"
        # dist/ and build/ at the top, or beside a project manifest (as hygiene/build-output)
        if name in OUTPUT_DIRECTORIES and (depth == 0 or in_project):
            return "build output directory"
        return None
    if name.endswith(FILE_SUFFIXES):
        return "compiled Python file"
    if _BACKUP(rel):
        return "backup or stray file"
    if name in ANYWHERE or (depth == 0 and _ROOT_CLUTTER(name)):
        return "local database, log or OS file"
    return None


def find_targets(root: Path) -> Iterator[Target]:
    """What ``clean`` would remove under ``root``, in walk order, never inside ``.git``."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        rel_dir = here.relative_to(root).as_posix()
        depth = 0 if rel_dir == "." else rel_dir.count("/") + 1
        keep: list[str] = []
        in_project = any((here / manifest).is_file() for manifest in MANIFESTS)
        for name in sorted(dirnames):
            if name == ".git":
                continue
            full = here / name
            rel = name if depth == 0 else f"{rel_dir}/{name}"
            reason = _reason(rel, name, True, depth, in_project)
            if reason is not None:
                kind = "symlink" if full.is_symlink() else "directory"
                yield Target(rel, kind, reason, _size(full))
            elif not full.is_symlink():
                keep.append(name)
        dirnames[:] = keep
        for name in sorted(filenames):
            rel = name if depth == 0 else f"{rel_dir}/{name}"
            reason = _reason(rel, name, False, depth)
            if reason is not None:
                full = here / name
                kind = "symlink" if full.is_symlink() else "file"
                yield Target(rel, kind, reason, full.lstat().st_size)


def check_clean_root(
    path: Path,
    allow_outside_root: bool,
    confirm: Callable[[str], str] = input,
    interactive: bool | None = None,
) -> Path:
    """The directory to clean; refuses ``/``, home, and paths outside the repository."""
    if not path.is_dir():
        raise UsageError(f"{path}: not a directory")
    from forgegate.gate import is_root_or_home

    resolved = path.resolve()
    if is_root_or_home(resolved):
        raise UsageError(f"{resolved}: refusing to clean the filesystem root or the home directory")
    repo = toplevel(Path.cwd())
    inside = repo is not None and (resolved == repo or repo in resolved.parents)
    if not inside:
        if not allow_outside_root:
            raise UsageError(
                f"{resolved} is outside the current repository "
                f"({repo or 'no repository here'}); run clean from inside it, or pass "
                "--allow-outside-root and confirm"
            )
        tty = sys.stdin.isatty() if interactive is None else interactive
        if not tty:
            raise UsageError("--allow-outside-root needs a typed confirmation on a terminal")
        typed = confirm(f"Type the full path {resolved} to clean outside the repository: ")
        if typed.strip() != str(resolved):
            raise UsageError("confirmation did not match; nothing removed")
    return resolved


def remove(root: Path, targets: list[Target]) -> tuple[list[Target], str | None]:
    """Delete ``targets`` (symlinks as links): what was removed, and the error that stopped it."""
    removed: list[Target] = []
    for target in targets:
        full = root / target.path
        try:
            if target.kind == "directory" and not full.is_symlink():
                shutil.rmtree(full)
            else:
                full.unlink()
        except FileNotFoundError:
            continue  # inside something removed earlier
        except OSError as err:
            return removed, f"cannot remove {target.path}: {err.strerror}"
        removed.append(target)
    return removed, None


def audit_document(root: Path, targets: list[Target], dry_run: bool) -> str:
    doc = {
        "format": "forgegate-clean",
        "version": 1,
        "root": str(root),
        "dry-run": dry_run,
        "bytes": sum(t.bytes for t in targets),
        "removed" if not dry_run else "would-remove": [
            {"path": t.path, "kind": t.kind, "reason": t.reason, "bytes": t.bytes} for t in targets
        ],
    }
    return json.dumps(doc, indent=2) + "\n"


def write_audit(path: Path, root: Path, targets: list[Target], dry_run: bool) -> None:
    write_atomic(path, audit_document(root, targets, dry_run))

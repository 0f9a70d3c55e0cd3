"""Which paths a run looks at: tracked files (``git ls-files``), a plain directory, or a PR diff."""

from __future__ import annotations

import functools
import os
import stat
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from forgegate.checks.base import PathEntry
from forgegate.errors import GateError, UsageError


def _git(root: Path, *args: str) -> bytes | None:
    """Run git in ``root``; None when git is absent or ``root`` is not in a work tree."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout


_WORKTREES: set[Path] = set()


def is_git_worktree(root: Path) -> bool:
    if root in _WORKTREES:  # a work tree stays one; "not yet" is asked again
        return True
    out = _git(root, "rev-parse", "--is-inside-work-tree")
    inside = out is not None and out.strip() == b"true"
    if inside:
        _WORKTREES.add(root)
    return inside


def _split_z(out: bytes) -> list[str]:
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def toplevel(path: Path) -> Path | None:
    """The root of the git work tree containing ``path``, if any."""
    out = _git(path, "rev-parse", "--show-toplevel")
    return Path(out.decode().strip()).resolve() if out else None


def tracked_paths(root: Path) -> list[str]:
    """Tracked paths relative to ``root`` (git), or every file under it (plain directory).

    Memoised while git's index file is unchanged: several repository-wide rules ask for the
    same list in one run.
    """
    resolved = root.resolve()
    try:
        index = (resolved / ".git" / "index").stat()
    except OSError:
        return list(_tracked_paths(resolved))
    return list(_tracked_paths_cached(resolved, index.st_mtime_ns, index.st_size))


@functools.lru_cache(maxsize=8)
def _tracked_paths_cached(root: Path, _mtime: int, _size: int) -> tuple[str, ...]:
    return _tracked_paths(root)


def _tracked_paths(root: Path) -> tuple[str, ...]:
    """Tracked paths relative to ``root`` (git), or every file under it (plain directory)."""
    if is_git_worktree(root):
        out = _git(root, "ls-files", "-z", "--cached", "--full-name", "--", ".")
        if out is None:
            raise GateError(f"git ls-files failed in {root}; is the repository intact?")
        prefix = (_git(root, "rev-parse", "--show-prefix") or b"").decode().strip()
        paths = _split_z(out)
        if prefix:
            paths = [p[len(prefix) :] for p in paths if p.startswith(prefix)]
        return tuple(sorted(set(paths)))
    return tuple(sorted(_walk_directory(root)))


def tracked_matching(root: Path, pathspecs: Sequence[str]) -> list[str]:
    """Tracked paths (relative to ``root``) that git's ``pathspecs`` select: git filters its
    index in C, so asking for a few paths does not cost a Python pass over the whole tree."""
    out = _git(root, "ls-files", "-z", "--", *pathspecs)
    if out is None:
        raise GateError(f"git ls-files failed in {root}; is the repository intact?")
    return sorted(set(_split_z(out)))


def tracked_in(root: Path, directories: Sequence[str]) -> list[str]:
    """Tracked paths directly inside ``directories`` (``""``: the root), relative to ``root``
    (``:(glob)`` pathspecs, whose ``*`` stops at ``/``). A plain directory is walked."""
    if not is_git_worktree(root):
        wanted = set(directories)
        return [p for p in tracked_paths(root) if p.rpartition("/")[0] in wanted]
    return tracked_matching(root, [f":(glob){d}/*" if d else ":(glob)*" for d in directories])


def clean_blob_ids(root: Path) -> dict[str, str]:
    """Git's blob id of every tracked regular file under ``root`` that git sees unchanged since
    it was staged: ``git ls-files -s`` minus what ``git diff-files`` reports (it compares stat
    data and, for racily clean entries, content). These are ids git has already computed, so a
    full run need not hash every file again; the caller hashes the rest itself.

    Ids are of the content as git stores it (after eol conversion and clean filters, where a
    repository sets them up). Empty outside a git work tree or when git fails.
    """
    if not is_git_worktree(root):
        return {}
    base = ["git", "-C", str(root)]
    try:
        staged = subprocess.Popen(
            [*base, "ls-files", "-s", "-z", "--", "."], stdout=subprocess.PIPE
        )
        dirty = subprocess.Popen(
            [*base, "diff-files", "--name-only", "-z", "--relative", "--", "."],
            stdout=subprocess.PIPE,
        )
    except OSError:
        return {}
    staged_out, _ = staged.communicate()
    dirty_out, _ = dirty.communicate()
    if staged.returncode != 0 or dirty.returncode != 0:
        return {}
    changed = set(dirty_out.split(b"\0"))
    ids = {}
    for record in staged_out.split(b"\0"):
        # "<mode> <id> <stage>\t<path>"; regular files only (no symlinks, submodules, conflicts)
        meta, _, name = record.partition(b"\t")
        if meta[:3] == b"100" and meta.endswith(b" 0") and name not in changed:
            ids[name.decode("utf-8", "surrogateescape")] = meta[7:-2].decode()
    return ids


def _walk_directory(root: Path) -> Iterable[str]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = os.path.relpath(dirpath, root)
        kept = []
        for d in dirnames:
            if d == ".git":
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                filenames.append(d)  # a symlinked directory is an entry, never descended
            else:
                kept.append(d)
        dirnames[:] = kept
        for name in filenames:
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            yield rel.replace(os.sep, "/")


def selected_paths(root: Path, files: Sequence[str]) -> list[str]:
    """Given paths as repository-relative, ``/``-separated paths; ones outside ``root`` are
    refused, missing ones (deleted in the change) dropped. Symlinks stay symlinks."""
    result: set[str] = set()
    resolved_root = root.resolve()
    for name in files:
        full = Path(name) if Path(name).is_absolute() else resolved_root / name
        try:
            rel = (full.parent.resolve() / full.name).relative_to(resolved_root)
        except ValueError:
            raise UsageError(f"{name}: outside the repository {root}") from None
        if os.path.lexists(full) and rel.parts:
            result.add(rel.as_posix())
    return sorted(result)


def changed_paths(root: Path, base: str) -> list[str]:
    """Paths changed between ``base`` and the working tree (added, copied, modified, renamed).

    Costs O(diff): git compares trees and index stat data, no file in the tree is read here.
    """
    if not is_git_worktree(root):
        raise UsageError(f"--changed-only needs a git repository, and {root} is not one")
    if _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}") is None:
        raise UsageError(
            f"--base {base!r} is not a commit in {root}; fetch it first "
            "(actions/checkout with fetch-depth: 0, or git fetch origin <base>)"
        )
    out = _git(
        root,
        "diff",
        "--name-only",
        "-z",
        "--no-renames",
        "--diff-filter=d",
        "--relative",
        base,
        "--",
    )
    if out is None:
        raise GateError(f"git diff against {base!r} failed in {root}")
    return sorted(set(_split_z(out)))


def inspect(root: Path, rel: str, full: str | None = None) -> PathEntry:
    """``lstat`` one path (``full``: ``rel`` joined to ``root``, when the caller has it);
    symlinks are described, never followed out of ``root``."""
    if full is None:
        full = os.path.join(root, rel)
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return PathEntry(rel, "missing")
    except OSError:
        return PathEntry(rel, "other")
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return PathEntry(rel, "file", st.st_size)
    if stat.S_ISLNK(mode):
        target = os.readlink(full)
        resolved = os.path.realpath(full)
        root_real = os.path.realpath(root)
        inside = resolved == root_real or resolved.startswith(root_real + os.sep)
        return PathEntry(
            rel,
            "symlink",
            0,
            link_target=target,
            link_inside=inside,
            link_exists=os.path.exists(resolved),
        )
    return PathEntry(rel, "other", st.st_size)

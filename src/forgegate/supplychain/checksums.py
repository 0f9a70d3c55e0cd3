"""SHA-256 manifests in the format ``sha256sum`` writes and ``sha256sum -c`` reads.

Each line is ``<64 hex><space><mode><name>`` where mode is ``' '`` (text) or ``'*'`` (binary);
the two read the same on every platform that matters here. Files are hashed streaming (constant
memory on multi-GB files) and in parallel threads (hashlib releases the GIL while it hashes).
Names that could escape the base directory or confuse a reader (absolute paths, ``..``,
backslashes, NUL, newlines, GNU's ``\\``-escaped lines) are rejected when a manifest is read,
before any file is opened, and refused when one is written.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from forgegate.errors import GateError, UsageError

MANIFEST_NAME = "SHA256SUMS"
_LINE = re.compile(r"^([0-9a-fA-F]{64}) ([ *])(.+)$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Entry:
    digest: str
    name: str
    binary: bool = False

    def line(self) -> str:
        return f"{self.digest} {'*' if self.binary else ' '}{self.name}\n"


class ManifestError(UsageError):
    """A manifest line that is malformed or names an unsafe path."""


def unsafe_name(name: str) -> str | None:
    """Why ``name`` must not appear in a manifest, or ``None`` when it is a safe relative path."""
    if not name:
        return "an empty name"
    if any(ch in name for ch in "\0\n\r"):
        return "a NUL or newline in the name"
    if "\\" in name:
        return "a backslash (Windows separator or GNU escape)"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "an absolute path"
    parts = PurePosixPath(name).parts
    if any(part in ("..", ".") for part in name.split("/")) or not parts:
        return "a '.' or '..' path segment"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        return "a control character"
    return None


def parse_manifest(text: str, source: str = MANIFEST_NAME) -> list[Entry]:
    """Every entry of a manifest; the first bad line raises :class:`ManifestError`."""
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.removesuffix("\r")
        if not line.strip():
            continue
        if line.startswith("\\"):
            raise ManifestError(f"{source}:{number}: escaped name (backslash or newline) refused")
        match = _LINE.match(line)
        if not match:
            raise ManifestError(
                f"{source}:{number}: not '<sha256> <name>' (the format sha256sum writes)"
            )
        digest, mode, name = match.groups()
        why = unsafe_name(name)
        if why:
            raise ManifestError(f"{source}:{number}: {name!r} refused: {why}")
        if name in seen:
            raise ManifestError(f"{source}:{number}: {name!r} is listed twice (line {seen[name]})")
        seen[name] = number
        entries.append(Entry(digest.lower(), name, mode == "*"))
    return entries


def render_manifest(entries: Iterable[Entry]) -> str:
    return "".join(e.line() for e in sorted(entries, key=lambda e: e.name))


def sha256_file(path: Path) -> str:
    """Streaming SHA-256 of a file (OpenSSL's implementation, constant memory)."""
    with open(path, "rb") as stream:
        if sys.version_info >= (3, 11):
            return hashlib.file_digest(stream, "sha256").hexdigest()
        digest = hashlib.sha256()  # pragma: no cover - Python 3.10
        buffer = memoryview(bytearray(_CHUNK))
        while n := stream.readinto(buffer):
            digest.update(buffer[:n])
        return digest.hexdigest()


def hash_files(paths: Sequence[Path], jobs: int | None = None) -> list[str]:
    """Digests of ``paths`` in order, spread over threads (one per core by default)."""
    workers = max(1, min(jobs or os.cpu_count() or 1, len(paths)))
    if workers == 1:
        return [sha256_file(p) for p in paths]
    from concurrent.futures import ThreadPoolExecutor  # not paid by runs that never hash

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(sha256_file, paths))


def manifest_name(path: Path, base: Path) -> str:
    """The name ``path`` gets in a manifest kept in ``base`` (relative, ``/``-separated)."""
    try:
        rel = path.resolve().relative_to(base.resolve())
    except ValueError:
        raise UsageError(
            f"{path}: not inside {base}; checksums name files relative to it"
        ) from None
    name = rel.as_posix()
    why = unsafe_name(name)
    if why:
        raise UsageError(f"{path}: cannot be listed in a manifest: {why}")
    return name


def create_entries(
    files: Sequence[Path], base: Path, *, binary: bool = False, jobs: int | None = None
) -> list[Entry]:
    names = [manifest_name(f, base) for f in files]
    for f in files:
        if not f.is_file():
            raise UsageError(f"{f}: not a regular file")
    try:
        digests = hash_files(files, jobs)
    except OSError as err:
        raise GateError(f"cannot read {err.filename}: {err.strerror}") from None
    return [Entry(d, n, binary) for d, n in zip(digests, names, strict=True)]


@dataclass(frozen=True)
class Problem:
    """One reason verification fails: ``mismatch``, ``missing`` or ``unlisted``."""

    kind: str
    name: str
    line: int | None = None
    expected: str | None = None
    actual: str | None = None


def verify_entries(
    entries: Sequence[Entry],
    base: Path,
    artifacts: Sequence[str] = (),
    *,
    jobs: int | None = None,
) -> tuple[list[Problem], int]:
    """(problems, files verified): every entry is hashed; ``artifacts`` must all be listed."""
    listed = {e.name for e in entries}
    problems = [Problem("unlisted", name) for name in artifacts if name not in listed]
    present = [e for e in entries if (base / e.name).is_file()]
    problems += [Problem("missing", e.name) for e in entries if e not in present]
    try:
        digests = hash_files([base / e.name for e in present], jobs)
    except OSError as err:
        raise GateError(f"cannot read {err.filename}: {err.strerror}") from None
    for entry, actual in zip(present, digests, strict=True):
        if actual != entry.digest:
            problems.append(Problem("mismatch", entry.name, None, entry.digest, actual))
    return problems, len(present)

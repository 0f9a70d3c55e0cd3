"""Read an OSV database (a directory or a zip of JSON or YAML records) into a compact index.

Parsing the PyPA advisory database's 2,661 YAML files takes about a second even with libyaml,
and checking them against the OSV schema about two more, so the result is kept as one gzip JSON
index (about 1 MB, loaded in well under 0.1 s) under forgegate's cache directory, named by the
database's content hash: a changed database is a new index, an unchanged one is never re-read.

Every record is checked against the OSV schema. Real databases hold records that fail it in
parts forgegate never evaluates (a short commit hash in a ``GIT`` range): those are used, with a
warning. A record that fails where matching depends on it, or that cannot be parsed at all, is
*broken*: it is left out, and every package it names is marked so that an audit touching that
package fails closed instead of passing on a partial database.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from packaging.utils import canonicalize_name

from forgegate import __version__
from forgegate.atomic import write_atomic
from forgegate.cache import cache_root
from forgegate.errors import GateError, UsageError
from forgegate.supplychain.osv.ranges import EVALUATED

INDEX_FORMAT = 1
SUFFIXES = (".json", ".yaml", ".yml")
#: a record file larger than this is refused (the largest real one is ~200 KB)
MAX_RECORD_BYTES = 16 * 1024 * 1024
SCHEMA = Path(__file__).with_name("osv-schema.json")
#: top-level fields matching never reads: schema errors there only warn
UNUSED_FIELDS = frozenset(
    {"references", "credits", "database_specific", "related", "summary", "details", "severity"}
)


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Safe YAML whose timestamps stay strings, as OSV's JSON has them."""


_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),
)


@dataclass
class Problem:
    """A record that is unusable (``broken``) or used despite failing the schema."""

    source: str
    record: str
    message: str
    broken: bool
    packages: tuple[str, ...] = ()

    def __str__(self) -> str:
        what = "left out" if self.broken else "used for its version ranges"
        return f"{self.source} ({self.record}): {self.message}; {what}"


@dataclass
class Index:
    """The records by package, ready to match. ``digest`` is the database's content hash."""

    digest: str
    source: str
    records: list[dict[str, Any]]
    by_package: dict[str, list[int]]
    problems: list[Problem] = field(default_factory=list)
    #: package -> records that name it but were left out (an audit of it cannot pass)
    broken_packages: dict[str, list[str]] = field(default_factory=dict)

    def candidates(self, package: str) -> list[dict[str, Any]]:
        return [self.records[i] for i in self.by_package.get(canonicalize_name(package), [])]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": INDEX_FORMAT,
            "forgegate": __version__,
            "digest": self.digest,
            "source": self.source,
            "records": self.records,
            "by-package": self.by_package,
            "problems": [vars(p) | {"packages": list(p.packages)} for p in self.problems],
            "broken-packages": self.broken_packages,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Index:
        return cls(
            digest=doc["digest"],
            source=doc["source"],
            records=doc["records"],
            by_package=doc["by-package"],
            problems=[Problem(**(p | {"packages": tuple(p["packages"])})) for p in doc["problems"]],
            broken_packages=doc["broken-packages"],
        )


# -- reading the files -----------------------------------------------------------------------


def _scan(root: Path) -> list[tuple[str, os.stat_result]]:
    """(relative POSIX name, stat) of every record file below ``root``, in name order; one
    ``scandir`` pass, hidden entries skipped, symlinks not followed out of the tree."""
    found: list[tuple[str, os.stat_result]] = []
    pending = [(root, "")]
    while pending:
        directory, prefix = pending.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append((Path(entry.path), f"{prefix}{entry.name}/"))
                elif entry.name.endswith(SUFFIXES) and entry.is_file(follow_symlinks=False):
                    found.append((f"{prefix}{entry.name}", entry.stat(follow_symlinks=False)))
    found.sort(key=lambda item: item[0])
    return found


def _members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every record file in the directory or zip ``path``, in name order."""
    if path.is_dir():
        for name, stat in _scan(path):
            if stat.st_size > MAX_RECORD_BYTES:
                raise GateError(
                    f"{path / name}: larger than {MAX_RECORD_BYTES} bytes; not an OSV record"
                )
            yield name, (path / name).read_bytes()
        return
    try:
        with zipfile.ZipFile(path) as archive:
            infos = sorted(
                (i for i in archive.infolist() if not i.is_dir()), key=lambda i: i.filename
            )
            for info in infos:
                if PurePosixPath(info.filename).suffix not in SUFFIXES:
                    continue
                if info.file_size > MAX_RECORD_BYTES:
                    raise GateError(
                        f"{path}: member {info.filename} is larger than {MAX_RECORD_BYTES} "
                        "bytes; not an OSV record"
                    )
                yield info.filename, archive.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as err:
        raise GateError(
            f"--vuln-db {path} is not a readable zip ({err}); download the OSV export again "
            "or point --vuln-db at a directory of records"
        ) from None


def content_digest(path: Path) -> str:
    """SHA-256 over the database: the zip's bytes, or each record file's name and bytes."""
    digest = hashlib.sha256()
    if path.is_file():
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    for name, data in _members(path):
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _parse(name: str, data: bytes) -> Any:
    if name.endswith(".json"):
        return json.loads(data)
    return yaml.load(io.BytesIO(data), Loader=_Loader)


# -- building the index ----------------------------------------------------------------------


def _pypi_names(record: Any) -> tuple[str, ...]:
    """Canonical names of the PyPI packages a (possibly malformed) record names."""
    names = set()
    affected = record.get("affected") if isinstance(record, dict) else None
    for entry in affected if isinstance(affected, list) else []:
        package = entry.get("package") if isinstance(entry, dict) else None
        if (
            isinstance(package, dict)
            and package.get("ecosystem") == "PyPI"
            and isinstance(package.get("name"), str)
        ):
            names.add(canonicalize_name(package["name"]))
    return tuple(sorted(names))


def _matters(record: dict[str, Any], error: Any) -> bool:
    """Whether a schema error touches what matching reads. An id or alias that misses the
    schema's list of known prefixes does not: new databases join OSV faster than a schema
    copy is updated."""
    path = list(error.absolute_path)
    if not path:
        return True
    if path[0] in UNUSED_FIELDS:
        return False
    if path[0] in ("id", "aliases") and error.validator == "pattern":
        return False
    if path[0] == "affected" and len(path) >= 4 and path[2] == "ranges":
        try:
            range_ = record["affected"][path[1]]["ranges"][path[3]]
        except (KeyError, IndexError, TypeError):
            return True
        return not (isinstance(range_, dict) and range_.get("type") not in EVALUATED)
    if path[0] == "affected" and len(path) >= 3:
        return path[2] in ("package", "ranges", "versions")
    return path[0] in ("id", "aliases", "withdrawn", "affected")


def _where(path: list[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(record)"


_VALIDATOR: Any = None


def _validator() -> Any:
    global _VALIDATOR
    if _VALIDATOR is None:
        from forgegate.jsonschema_lite import jsonschema

        schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
        _VALIDATOR = jsonschema.Draft202012Validator(schema)
    return _VALIDATOR


def check_record(
    source: str, name: str, data: bytes
) -> tuple[dict[str, Any] | None, Problem | None]:
    """Parse one record file and check it against the OSV schema: (usable record, problem)."""
    stem = PurePosixPath(name).stem
    try:
        record = _parse(name, data)
    except (ValueError, yaml.YAMLError, UnicodeDecodeError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        # the PyPA layout names the package in the path: vulns/<package>/<id>.yaml
        parts = PurePosixPath(name).parts
        packages = (canonicalize_name(parts[-2]),) if len(parts) >= 2 else ()
        return None, Problem(source, stem, f"cannot parse: {first}", True, packages)
    record_id = str(record.get("id", stem)) if isinstance(record, dict) else stem
    validator = _validator()
    if validator.is_valid(record):
        return record, None
    from forgegate.jsonschema_lite import jsonschema

    errors = list(validator.iter_errors(record))
    fatal = [e for e in errors if _matters(record, e)]
    candidates = fatal or errors
    deepest = max(len(e.absolute_path) for e in candidates)  # the most precise place
    shown = jsonschema.exceptions.best_match(
        e for e in candidates if len(e.absolute_path) == deepest
    )
    where = _where(list(shown.absolute_path))
    message = f"fails the OSV schema at {where}: {shown.message[:200]}"
    problem = Problem(source, record_id, message, bool(fatal), _pypi_names(record))
    return (None if fatal else record), problem


def _check_batch(batch: list[tuple[str, str, bytes]]) -> list[Any]:
    return [check_record(*item) for item in batch]


#: below this many records one process is faster than starting workers
PARALLEL_FROM = 200


def build_index(path: Path, digest: str | None = None) -> Index:
    """Parse, check and index every record of the database at ``path`` (no cache); the
    parsing and schema checks, ~1 ms a record, are spread over the cores."""
    items = [(f"{path.name}/{name}", name, data) for name, data in _members(path)]
    workers = min(os.cpu_count() or 1, 8)
    if len(items) >= PARALLEL_FROM and workers > 1:
        import concurrent.futures
        import multiprocessing

        size = max(50, len(items) // (workers * 4))
        batches = [items[i : i + size] for i in range(0, len(items), size)]
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            checked = [r for batch in pool.map(_check_batch, batches) for r in batch]
    else:
        checked = _check_batch(items)
    records = [record for record, _ in checked if record is not None]
    problems = [problem for _, problem in checked if problem is not None]
    records.sort(key=lambda r: str(r["id"]))
    by_package: dict[str, list[int]] = {}
    for number, record in enumerate(records):
        for package in _pypi_names(record):
            by_package.setdefault(package, []).append(number)
    broken: dict[str, list[str]] = {}
    for problem in problems:
        if problem.broken:
            for package in problem.packages or ("*",):
                broken.setdefault(package, []).append(problem.record)
    return Index(digest or content_digest(path), str(path), records, by_package, problems, broken)


def index_path(digest: str) -> Path:
    return cache_root() / f"osv-index-{INDEX_FORMAT}" / f"{digest}.json.gz"


def _stat_key(path: Path) -> str:
    """A digest of the record files' names, sizes, modification times and inodes: when it is
    unchanged, so is the content, and the content digest is looked up instead of re-read."""
    digest = hashlib.sha256()
    for name, info in _scan(path):
        digest.update(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ino}\n".encode())
    return digest.hexdigest()


def database_digest(path: Path) -> str:
    """:func:`content_digest`, remembered per directory state (a zip is hashed: one read)."""
    if not path.is_dir():
        return content_digest(path)
    remembered = cache_root() / f"osv-index-{INDEX_FORMAT}" / f"stat-{_stat_key(path)}.txt"
    try:
        known = remembered.read_text(encoding="ascii").strip()
        if len(known) == 64:
            return known
    except OSError:
        pass
    digest = content_digest(path)
    try:
        remembered.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(remembered, digest + "\n")
    except OSError:
        pass
    return digest


def load_index(path: Path, *, use_cache: bool = True) -> tuple[Index, bool]:
    """The index of the database at ``path`` and whether it came from the cache."""
    if not path.exists():
        raise UsageError(f"--vuln-db {path}: no such file or directory")
    if not (path.is_dir() or zipfile.is_zipfile(path)):
        raise UsageError(f"--vuln-db {path} is neither a directory of OSV records nor a zip")
    digest = database_digest(path) if use_cache else content_digest(path)
    cached = index_path(digest)
    if use_cache:
        try:
            doc = json.loads(gzip.decompress(cached.read_bytes()))
            if doc.get("format") == INDEX_FORMAT and doc.get("digest") == digest:
                index = Index.from_json(doc)
                index.source = str(path)
                return index, True
        except (OSError, ValueError, KeyError, TypeError, EOFError):
            pass  # no cache, or an unreadable one: rebuild it
    index = build_index(path, digest)
    if use_cache:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            payload = json.dumps(index.to_json(), separators=(",", ":"), sort_keys=True)
            write_atomic(cached, gzip.compress(payload.encode(), compresslevel=6, mtime=0))
        except OSError:
            pass  # a cache that cannot be written only costs time
    return index, False

"""The run manifest (``forgegate-run.json``): what a run read, with which tools, and what it found.

It makes a run auditable and comparable: two runs over the same inputs with the same tools and
policy have the same ``inputs``, ``policy`` and ``findings`` hashes. Durations are the only
fields that differ between such runs; the reports themselves (JSON, SARIF) carry no timestamps.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forgegate import __version__
from forgegate.cache import ResultCache
from forgegate.report.findings import with_status

if TYPE_CHECKING:
    from forgegate.gate import GateRun

FORMAT = "forgegate-run"
VERSION = 1
#: the libraries whose behaviour decides what a run finds
TOOLS = ("jsonschema", "packaging", "PyGithub", "PyYAML", "ruamel.yaml", "rich")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


#: tool versions by where they are installed from: every directory on sys.path with its
#: modification time, which any install, upgrade or removal there changes (importing
#: importlib.metadata and PyYAML and searching every path cost ~40 ms of every run)
_VERSIONS = ResultCache("tool-versions")


def _install_key() -> str:
    places = []
    for entry in sys.path:
        try:
            places.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            places.append([entry, None])
    blob = json.dumps([TOOLS, sys.executable, places])
    return hashlib.sha256(blob.encode()).hexdigest()


def tool_versions() -> dict[str, str]:
    key = _install_key()
    cached = _VERSIONS.get(key)
    if isinstance(cached, dict) and all(isinstance(v, str) for v in cached.values()):
        return cached
    versions = _look_up_versions()
    _VERSIONS.put(key, versions)
    return versions


def _look_up_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {}
    for name in TOOLS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        import yaml

        versions["libyaml"] = "yes" if getattr(yaml, "__with_libyaml__", False) else "no"
    except ImportError:  # pragma: no cover
        pass
    return versions


def findings_digest(run: GateRun) -> str:
    """Hash of every finding with its status, in report order (what the gate decided)."""
    rows = [
        [status, f.rule_id, f.severity.label, f.location.path, f.location.line, f.fingerprint]
        for status, f in with_status(run)
    ]
    return _sha256(_canonical(rows))


def manifest(run: GateRun) -> dict[str, Any]:
    inputs = sorted(run.scan.inputs.items())
    baseline = run.baseline.path
    baseline_hash = (
        _sha256(baseline.read_bytes()) if baseline is not None and baseline.is_file() else None
    )
    return {
        "format": FORMAT,
        "version": VERSION,
        "forgegate": __version__,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "tools": tool_versions(),
        "families": run.families,
        "inputs": {
            "paths": len(run.scan.paths),
            "files-read": len(inputs),
            "sha256": _sha256(_canonical(inputs)),
            "hash": "sha256 over the sorted [path, git blob id] pairs of the files read",
        },
        "policy": {
            "source": run.policy.source,
            "sha256": run.policy.digest,
            "resolved": run.policy.document,
        },
        "baseline": {
            "path": str(baseline) if baseline is not None else None,
            "sha256": baseline_hash,
        },
        "findings": {
            "total": sum(1 for _ in with_status(run)),
            "failed": run.outcome.failed,
            "sha256": findings_digest(run),
        },
        "durations": {k: round(v, 4) for k, v in sorted(run.scan.durations.items())},
        "seconds": round(run.seconds, 4),
    }


def render_manifest(run: GateRun) -> str:
    return json.dumps(manifest(run), indent=2, sort_keys=True) + "\n"


def write_manifest(path: Path, run: GateRun) -> None:
    from forgegate.atomic import write_atomic

    write_atomic(path, render_manifest(run))

"""Vulnerability audit through pip-audit's command line, read so that it fails closed.

pip-audit's Python API is private, so forgegate runs its CLI (``python -m pip_audit -f json``)
and reads the JSON. Two of its behaviours would pass a gate that decided nothing, and are
turned into exit 3 here: with the network down it prints a traceback and exits 1 (the code it
also uses for "vulnerabilities found"), and when PyPI answers 404 it skips every package and
reports "No known vulnerabilities found" with exit 0. So: output that is not pip-audit's JSON is
a failure naming the service, and any skipped dependency is a failure naming it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forgegate.errors import GateError

SERVICE_NAMES = {"pypi": "PyPI's JSON API (pypi.org)", "osv": "the OSV API"}


@dataclass(frozen=True)
class Vulnerability:
    id: str
    aliases: tuple[str, ...]
    fix_versions: tuple[str, ...]
    description: str


@dataclass
class AuditedDependency:
    name: str
    version: str
    vulns: list[Vulnerability] = field(default_factory=list)


def pip_audit_command(
    *,
    requirements: Sequence[Path] = (),
    path: Path | None = None,
    service: str = "pypi",
    osv_url: str | None = None,
    resolve: bool = False,
    timeout: int = 15,
    cache_dir: Path | None = None,
) -> list[str]:
    """The pip-audit argv for one audit (JSON on stdout)."""
    argv = [sys.executable, "-m", "pip_audit", "-f", "json", "--progress-spinner", "off"]
    argv += ["--desc", "on", "--aliases", "on", "--timeout", str(timeout), "-s", service]
    if osv_url:
        argv += ["--osv-url", osv_url]
    if cache_dir is not None:
        argv += ["--cache-dir", str(cache_dir)]
    for req in requirements:
        argv += ["-r", str(req)]
    if requirements and not resolve:
        argv += ["--no-deps", "--disable-pip"]  # pinned sets: audit exactly what is listed
    if path is not None:
        argv += ["--path", str(path)]
    return argv


def service_label(service: str, osv_url: str | None) -> str:
    if service == "osv" and osv_url:
        return f"the OSV API at {osv_url}"
    return SERVICE_NAMES.get(service, service)


def parse_output(stdout: str, service_label: str) -> list[AuditedDependency]:
    """pip-audit's JSON; skipped dependencies and anything else are errors (exit 3)."""
    try:
        doc: Any = json.loads(stdout)
    except json.JSONDecodeError:
        raise GateError(
            f"pip-audit gave no result (is {service_label} reachable?); nothing was audited"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("dependencies"), list):
        raise GateError("pip-audit's output is not the JSON forgegate reads; nothing was audited")
    skipped = [d for d in doc["dependencies"] if d.get("skip_reason")]
    if skipped:
        first = skipped[0]
        raise GateError(
            f"pip-audit skipped {len(skipped)} of {len(doc['dependencies'])} dependencies "
            f"({first.get('name')}: {first.get('skip_reason')}); {service_label} could not "
            "vouch for them, so the audit cannot pass"
        )
    result = []
    for dep in doc["dependencies"]:
        vulns = [
            Vulnerability(
                id=str(v["id"]),
                aliases=tuple(sorted(str(a) for a in v.get("aliases", []))),
                fix_versions=tuple(str(f) for f in v.get("fix_versions", [])),
                description=str(v.get("description") or ""),
            )
            for v in dep.get("vulns", [])
        ]
        result.append(AuditedDependency(str(dep["name"]), str(dep.get("version", "")), vulns))
    return result


def run_pip_audit(
    argv: list[str], service_label: str, timeout: float = 600
) -> list[AuditedDependency]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except FileNotFoundError:
        raise GateError("pip-audit is not installed; pip install pip-audit") from None
    except subprocess.TimeoutExpired:
        raise GateError(f"pip-audit did not finish in {timeout:.0f}s ({service_label})") from None
    if proc.returncode not in (0, 1):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise GateError(f"pip-audit failed (exit {proc.returncode}): {tail}")
    if proc.returncode == 1 and not proc.stdout.strip():
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise GateError(
            f"pip-audit could not audit: {tail[:300]} — is {service_label} reachable? "
            "(offline: --vuln-db PATH)"
        )
    return parse_output(proc.stdout, service_label)

"""Which records of an :class:`~forgegate.supplychain.osv.database.Index` affect a package
version: what the loopback OSV server answers, and what tests compare with the raw records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from packaging.utils import canonicalize_name

from forgegate.supplychain.osv.database import Index
from forgegate.supplychain.osv.ranges import UndecidableRange, affects


@dataclass
class Match:
    """The affecting records, and why the answer may be incomplete (``undecided``)."""

    vulns: list[dict[str, Any]] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)


def query(index: Index, package: str, version: str) -> Match:
    """Records (withdrawn ones left out) whose PyPI ``affected`` entries cover ``version``."""
    name = canonicalize_name(package)
    result = Match()
    for record_id in index.broken_packages.get(name, []) + index.broken_packages.get("*", []):
        result.undecided.append(f"advisory {record_id} for {name} could not be read")
    for record in index.candidates(name):
        if record.get("withdrawn"):
            continue
        for entry in record.get("affected") or ():
            package_info = entry.get("package") or {}
            if package_info.get("ecosystem") != "PyPI":
                continue
            if canonicalize_name(str(package_info.get("name", ""))) != name:
                continue
            try:
                hit = affects(entry, version)
            except UndecidableRange as err:
                result.undecided.append(f"advisory {record['id']}: {err}")
                continue
            if hit:
                result.vulns.append(record)
                break
    return result

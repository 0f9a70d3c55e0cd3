"""Audit known package versions against an offline OSV index, in process.

The same answer pip-audit gives when it is pointed at :class:`~forgegate.supplychain.osv.server.
OsvServer` (a test holds the two to it), without its half-second start-up and one HTTP round
trip per package: records that share an id or alias are one vulnerability (see :func:`merge`),
fixed versions come from the record's ranges, and the severity is the highest CVSS base score
any of the merged records carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from forgegate.supplychain.audit import AuditedDependency, Vulnerability
from forgegate.supplychain.osv.database import Index
from forgegate.supplychain.osv.match import query
from forgegate.supplychain.osv.ranges import fixed_versions

CVSS_TYPES = ("CVSS_V4", "CVSS_V3", "CVSS_V2")


def cvss_score(record: dict[str, Any]) -> float | None:
    """The highest CVSS base score of the record's ``severity`` vectors (None: none usable)."""
    from cvss import CVSS2, CVSS3, CVSS4  # type: ignore[import-untyped]
    from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

    best: float | None = None
    for entry in record.get("severity") or ():
        kind, vector = entry.get("type"), str(entry.get("score", ""))
        calculator = {"CVSS_V4": CVSS4, "CVSS_V3": CVSS3, "CVSS_V2": CVSS2}.get(kind)
        if calculator is None:
            continue
        try:
            result = calculator(vector)
        except (CVSSError, ValueError, KeyError, IndexError):
            continue  # an unreadable vector scores nothing; the finding then counts as unscored
        score = float(result.base_score)
        best = score if best is None else max(best, score)
    return best


def _fixes(record: dict[str, Any], package: str) -> list[str]:
    from packaging.utils import canonicalize_name

    found: list[str] = []
    for entry in record.get("affected") or ():
        info = entry.get("package") or {}
        if info.get("ecosystem") == "PyPI" and canonicalize_name(str(info.get("name"))) == package:
            found += [f for f in fixed_versions(entry) if f not in found]
    return found


def merge(
    records: Sequence[dict[str, Any]], package: str
) -> list[tuple[Vulnerability, float | None]]:
    """One vulnerability per PYSEC record, and per group of other records (GHSA, CVE, ...)
    that share an id or alias, folded into the first earlier group they alias — pip-audit's
    rule: two PYSEC ids are two vulnerabilities even when a GHSA record names both."""
    ordered = sorted(records, key=lambda r: (not str(r["id"]).startswith("PYSEC"), str(r["id"])))
    groups: list[tuple[set[str], list[dict[str, Any]]]] = []
    for record in ordered:
        names = {str(record["id"]), *(str(a) for a in record.get("aliases") or ())}
        home = None
        if not str(record["id"]).startswith("PYSEC"):
            home = next((g for g in groups if g[0] & names), None)
        if home is None:
            groups.append((names, [record]))
        else:
            home[0].update(names)
            home[1].append(record)
    result = []
    for names, members in groups:
        lead = members[0]
        scores = [s for s in (cvss_score(m) for m in members) if s is not None]
        description = str(lead.get("summary") or lead.get("details") or "").replace("\n", " ")
        result.append(
            (
                Vulnerability(
                    id=str(lead["id"]),
                    aliases=tuple(sorted(names - {str(lead["id"])})),
                    fix_versions=tuple(_fixes(lead, package)),
                    description=description,
                ),
                max(scores) if scores else None,
            )
        )
    return result


def audit(
    index: Index, packages: Iterable[tuple[str, str]]
) -> tuple[list[AuditedDependency], dict[str, float], list[str]]:
    """(dependencies with their vulnerabilities, CVSS score by vulnerability id, undecided)."""
    from packaging.utils import canonicalize_name

    deps: list[AuditedDependency] = []
    scores: dict[str, float] = {}
    undecided: list[str] = []
    for name, version in packages:
        canonical = canonicalize_name(name)
        found = query(index, canonical, version)
        undecided += [f"{canonical} {version}: {why}" for why in found.undecided]
        vulns = []
        for vuln, score in merge(found.vulns, canonical):
            vulns.append(vuln)
            if score is not None:
                scores[vuln.id] = score
        deps.append(AuditedDependency(canonical, version, vulns))
    return deps, scores, undecided

"""Whether an OSV ``affected`` entry covers a PyPI version (the OSV schema's range semantics).

A version is affected when it is listed in ``versions`` or falls in one of the ``ECOSYSTEM`` /
``SEMVER`` ranges (``GIT`` ranges name commits and cannot be evaluated against a version). Each
range's events are evaluated the way the OSV specification's pseudo-code does, with two
concessions to the real PyPA database:

- ``introduced: "0"`` means "since the very first release", pre-releases included: ``0.0.0b0``
  sorts below ``Version("0")`` under PEP 440, yet vantage6's PYSEC-2023-196 lists it as affected.
- One range object may hold several overlapping intervals (wagtail's PYSEC-2021-114 lists
  ``introduced 2.11, fixed 2.11.7, introduced 0, fixed 2.11.6, ...``). A single sorted sweep
  would let ``fixed 2.11.6`` close the 2.11 interval early; instead each ``introduced`` opens an
  interval closed by the next ``fixed`` or ``last_affected`` *in the record's order*, and a
  version is affected when any interval holds it. For well-formed, non-overlapping events this
  is exactly the sweep.

``limit`` events cap a range: when present, an affected version must also be below one of them.
Versions that are not PEP 440 (buildbot's ``0.7.10p1``) are compared as strings against the
explicit ``versions`` list only; a range bound that is not PEP 440 makes that range undecidable,
which :func:`affects` reports instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from packaging.version import InvalidVersion, Version

EVALUATED = ("ECOSYSTEM", "SEMVER")


@lru_cache(maxsize=65536)
def parse(text: str) -> Version | None:
    """PEP 440 version, or None for a string packaging cannot read."""
    try:
        return Version(text)
    except InvalidVersion:
        return None


@dataclass(frozen=True)
class Interval:
    """``introduced`` (None: since the first release) up to ``fixed`` (exclusive) or
    ``last_affected`` (inclusive); both None: every version from ``introduced`` on."""

    introduced: Version | None
    fixed: Version | None = None
    last_affected: Version | None = None

    def holds(self, version: Version) -> bool:
        if self.introduced is not None and version < self.introduced:
            return False
        if self.fixed is not None and version >= self.fixed:
            return False
        return not (self.last_affected is not None and version > self.last_affected)


class UndecidableRange(ValueError):
    """A range bound is not a PEP 440 version."""


def intervals(events: Sequence[Mapping[str, Any]]) -> tuple[list[Interval], list[Version]]:
    """The intervals and the limits of one range's events (see the module docstring)."""

    def version(text: Any) -> Version:
        parsed = parse(str(text))
        if parsed is None:
            raise UndecidableRange(f"{text!r} is not a PEP 440 version")
        return parsed

    result: list[Interval] = []
    limits: list[Version] = []
    start: Version | None = None
    open_ = False
    for event in events:
        if "introduced" in event:
            if open_:  # two introduced in a row: the first stays open to the end
                result.append(Interval(start))
            text = str(event["introduced"])
            start = None if text == "0" else version(text)
            open_ = True
        elif "fixed" in event or "last_affected" in event:
            if not open_:
                continue  # a fix with no introduced before it closes nothing
            if "fixed" in event:
                result.append(Interval(start, fixed=version(event["fixed"])))
            else:
                result.append(Interval(start, last_affected=version(event["last_affected"])))
            open_ = False
        elif "limit" in event:
            text = str(event["limit"])
            if text != "*":
                limits.append(version(text))
    if open_:
        result.append(Interval(start))
    return result, limits


def in_range(version: Version, events: Sequence[Mapping[str, Any]]) -> bool:
    found, limits = intervals(events)
    if limits and not any(version < limit for limit in limits):
        return False
    return any(interval.holds(version) for interval in found)


def _listed(text: str, version: Version | None, listed: Sequence[Any]) -> bool:
    for item in listed:
        item_text = str(item)
        if item_text == text:
            return True
        if version is not None and parse(item_text) == version:
            return True
    return False


def affects(affected: Mapping[str, Any], text: str) -> bool:
    """Whether the ``affected`` entry covers version ``text``.

    Raises :class:`UndecidableRange` only when the answer depends on a range that cannot be
    evaluated (the version is not listed explicitly and a range bound is not PEP 440).
    """
    version = parse(text)
    if _listed(text, version, affected.get("versions") or ()):
        return True
    if version is None:
        return False
    undecided: UndecidableRange | None = None
    for range_ in affected.get("ranges") or ():
        if range_.get("type") not in EVALUATED:
            continue
        try:
            if in_range(version, range_.get("events") or ()):
                return True
        except UndecidableRange as err:
            undecided = err
    if undecided is not None:
        raise undecided
    return False


def fixed_versions(affected: Mapping[str, Any]) -> list[str]:
    """The ``fixed`` versions of the entry's evaluated ranges, in PEP 440 order."""
    fixes = {
        str(event["fixed"])
        for range_ in affected.get("ranges") or ()
        if range_.get("type") in EVALUATED
        for event in range_.get("events") or ()
        if "fixed" in event
    }
    return sorted(fixes, key=lambda f: (parse(f) is None, parse(f) or Version("0"), f))

"""Which of many byte strings occur in a file, found in one pass over its bytes.

The file checks pre-filter on literal needles (``FileCheck.needles``): a file without any of a
check's needles is not handed to it. Testing each needle with ``in`` scans the file once per
needle (about 20 scans per text file); one Aho-Corasick search (``ahocorasick_rs``, SIMD
prefilters) finds them all in one scan, several times faster than a single ``in`` test.

Leftmost-first search reports non-overlapping matches, so an occurrence of one needle that
starts inside a reported match of another is not reported. Which needle can hide which is known
from the needles alone (a suffix of one is a prefix of the other, or one contains the other);
for those pairs the hidden needle is looked up with ``in``, so the answer is exact.
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick_rs


def _can_hide(outer: bytes, inner: bytes) -> bool:
    """Can a match of ``outer`` cover the start of an occurrence of ``inner``?"""
    for start in range(len(outer)):
        tail = outer[start:]
        if inner.startswith(tail) or tail.startswith(inner):
            return True
    return False


class NeedleScanner:
    """Finds which of ``needles`` occur in a byte string (exactly, in one search)."""

    def __init__(self, needles: Iterable[bytes]) -> None:
        self.needles: tuple[bytes, ...] = tuple(sorted({n for n in needles if n}))
        self.searched = frozenset(self.needles)
        self._automaton = (
            ahocorasick_rs.BytesAhoCorasick(
                list(self.needles), matchkind=ahocorasick_rs.MatchKind.LeftmostFirst
            )
            if self.needles
            else None
        )
        #: needle -> the other needles whose matches can hide it (needles no other can hide
        #: are left out)
        hiders = {
            inner: frozenset(o for o in self.needles if o != inner and _can_hide(o, inner))
            for inner in self.needles
        }
        self._hiders = {inner: outer for inner, outer in hiders.items() if outer}

    def find(self, data: bytes) -> set[bytes]:
        """The needles that occur in ``data``."""
        if self._automaton is None:
            return set()
        needles = self.needles
        found = {needles[i] for i, _, _ in self._automaton.find_matches_as_indexes(data)}
        if found:
            for needle, hiders in self._hiders.items():
                if needle not in found and not hiders.isdisjoint(found) and needle in data:
                    found.add(needle)
        return found

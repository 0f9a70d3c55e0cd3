"""hygiene/case-conflicts: paths that differ only in letter case."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from forgegate.checks.base import Context, RepoCheck
from forgegate.files import tracked_paths
from forgegate.model import Finding, Rule, Severity
from forgegate.registry import register


def conflicts(paths: Iterable[str]) -> list[list[str]]:
    """Groups of sibling files or directories whose names are equal ignoring case.

    A clash is reported at the level where it happens: ``Docs/a.md`` and ``docs/a.md`` are one
    clash (``Docs`` vs ``docs``), not two; ``a/B/x`` and ``a/b/y`` clash at ``a/B`` vs ``a/b``.
    """
    spellings: dict[str, set[str]] = defaultdict(set)
    seen: set[str] = set()
    for path in paths:
        spellings[path.casefold()].add(path)
        parent = path.rpartition("/")[0]
        while parent and parent not in seen:  # each directory once, not once per file in it
            seen.add(parent)
            spellings[parent.casefold()].add(parent)
            parent = parent.rpartition("/")[0]
    groups: list[list[str]] = []
    for variants in spellings.values():
        if len(variants) < 2:
            continue
        # only spellings under the very same parent clash here; the others differ above
        by_parent: dict[str, list[str]] = defaultdict(list)
        for variant in variants:
            by_parent[variant.rpartition("/")[0]].append(variant)
        groups.extend(sorted(g) for g in by_parent.values() if len(g) > 1)
    return sorted(groups)


def clash_candidates(changed: Iterable[str], tracked: Iterable[str]) -> list[str]:
    """The changed paths plus every tracked path that spells one of their prefixes differently.

    A path clashes with a changed one only if, for some prefix of the changed path, it has the
    same prefix ignoring case but not the same spelling; one cheap string test per tracked path
    (a case-folded startswith) keeps --changed-only near O(diff) in Python work.
    """
    prefixes: dict[str, set[str]] = defaultdict(set)
    for path in changed:
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            prefixes[prefix.casefold()].add(prefix)
    heads = tuple({key.split("/", 1)[0] for key in prefixes})
    result = set(changed)
    for path in tracked:
        folded = path.casefold()
        if not folded.startswith(heads):
            continue
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            spellings = prefixes.get(prefix.casefold())
            if spellings is None:
                break  # this prefix is no prefix of a changed path: nor are the longer ones
            if prefix not in spellings:
                result.add(path)
                break
    return sorted(result)


def _prefixes(path: str) -> Iterable[str]:
    """``a``, ``a/b``, ``a/b/c`` for ``a/b/c``."""
    pos = path.find("/")
    while pos != -1:
        yield path[:pos]
        pos = path.find("/", pos + 1)
    yield path


@register
class CaseConflicts(RepoCheck):
    rule = Rule(
        id="hygiene/case-conflicts",
        title="Paths differ only in case",
        severity=Severity.ERROR,
        summary="Two tracked paths differ only in letter case; checkouts on macOS and Windows "
        "lose one of them.",
    )

    def check_repo(self, ctx: Context) -> Iterable[Finding]:
        if ctx.changed_only:
            # a clash needs both spellings: read the whole tree, report what the diff touches
            groups = conflicts(clash_candidates(ctx.paths, tracked_paths(ctx.root)))
            touched = {prefix for path in ctx.paths for prefix in _prefixes(path)}
            groups = [g for g in groups if touched.intersection(g)]
        else:
            groups = conflicts(ctx.paths)
        for group in groups:
            first, others = group[0], group[1:]
            yield self.finding(
                f"{first} clashes with {', '.join(others)} on case-insensitive file systems "
                "(macOS, Windows); rename one",
                first,
                key="\0".join(group),
                fix=f"git mv {others[0]!r} to a name that differs in more than case",
            )

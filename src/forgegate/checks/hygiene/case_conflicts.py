"""hygiene/case-conflicts: paths that differ only in letter case."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from forgegate.checks.base import Context, RepoCheck
from forgegate.files import is_git_worktree, tracked_matching, tracked_paths
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


def clash_candidates(root: Path, changed: Iterable[str]) -> list[str]:
    """The changed paths plus every tracked path that spells one of their prefixes differently.

    Git answers, in one ``ls-files`` per depth: a case-insensitive pathspec per prefix of that
    depth, minus the exact spellings (``:(exclude)``), lists exactly the tracked paths that can
    clash there. Cost: O(depth of the diff) git calls and O(their answers) in Python, not a
    Python pass over every tracked path.
    """
    changed = list(changed)
    by_depth: dict[int, set[str]] = defaultdict(set)
    for path in changed:
        for depth, prefix in enumerate(_prefixes(path), 1):
            by_depth[depth].add(prefix)
    result = set(changed)
    for _depth, prefixes in sorted(by_depth.items()):
        specs = [f":(icase,literal){p}" for p in sorted(prefixes)]
        specs += [f":(exclude,literal){p}" for p in sorted(prefixes)]
        result.update(tracked_matching(root, specs))
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
            candidates = (
                clash_candidates(ctx.root, ctx.paths)
                if is_git_worktree(ctx.root)
                else [*ctx.paths, *tracked_paths(ctx.root)]  # a plain directory: walk it
            )
            groups = conflicts(candidates)
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

"""Path globs as users write them in policies: ``*.log``, ``docs/**``, ``**/node_modules/**``.

A pattern without a slash matches the file name at any depth (like .gitignore); a pattern with a
slash is anchored at the repository root; ``**`` spans directories, ``*`` and ``?`` do not.
A pattern ending in ``/`` matches everything under a directory of that name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable


def _parse(pattern: str) -> tuple[str, bool, bool]:
    """A pattern's regex body (no anchoring), whether it is anchored at the root, and whether it
    matches directories only (a trailing ``/``)."""
    pat = pattern.strip()
    if pat.startswith("./"):
        pat = pat[2:]
    dir_only = pat.endswith("/")
    pat = pat.rstrip("/")
    anchored = "/" in pat
    pat = pat.lstrip("/")
    out: list[str] = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pat.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
                i += 1
            else:
                body = pat[i + 1 : end].replace("\\", "\\\\")
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out), anchored, dir_only


def _translate(pattern: str) -> str:
    """The whole-path regex of one pattern."""
    body, anchored, dir_only = _parse(pattern)
    prefix = "" if anchored else "(?:.*/)?"
    suffix = "/.*" if dir_only else "(?:/.*)?"
    return f"{prefix}{body}{suffix}"


def compile_globs(patterns: Iterable[str]) -> Callable[[str], bool]:
    """One matcher for many patterns; a path matches when any pattern does.

    Unanchored patterns (``*.py``, ``node_modules/``) match a path when its file name matches or
    any directory above it does; directory answers are remembered, so a path costs one match on
    its file name and one dictionary lookup. Anchored patterns are one regex over the path.
    """
    given = [p for p in patterns if p.strip()]
    if any(p.strip() in ("*", "**", "**/*") for p in given):
        return lambda _path: True  # matches everything: no regex per path
    if not given:
        return lambda _path: False
    names: list[tuple[str, bool]] = []  # (body, dir_only) of patterns that match one name
    anchored: list[str] = []
    for pattern in given:
        body, rooted, dir_only = _parse(pattern)
        if rooted or "**" in pattern:  # "**" spans directories: not a one-name pattern
            anchored.append(_translate(pattern))
        else:
            names.append((body, dir_only))
    file_parts = [body for body, dir_only in names if not dir_only]
    file_name = re.compile("(?:" + "|".join(file_parts) + r")\Z", re.DOTALL) if file_parts else None
    dir_name = (
        re.compile("(?:" + "|".join(body for body, _ in names) + r")\Z", re.DOTALL)
        if names
        else None
    )
    full = re.compile("(?:" + "|".join(anchored) + r")\Z", re.DOTALL) if anchored else None
    dirs: dict[str, bool] = {"": False}

    def dir_matches(head: str) -> bool:
        """Does a directory on ``head`` (a path without its file name) match a name pattern?"""
        known = dirs.get(head)
        if known is None:
            parent, _, name = head.rpartition("/")
            known = dirs[head] = bool(dir_name and dir_name.match(name)) or dir_matches(parent)
        return known

    def matches(path: str) -> bool:
        head, _, name = path.rpartition("/")
        if file_name is not None and file_name.match(name):
            return True
        if dir_name is not None:
            known = dirs.get(head)
            if known if known is not None else dir_matches(head):
                return True
        return full is not None and full.match(path) is not None

    return matches

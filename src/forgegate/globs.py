"""Path globs as users write them in policies: ``*.log``, ``docs/**``, ``**/node_modules/**``.

A pattern without a slash matches the file name at any depth (like .gitignore); a pattern with a
slash is anchored at the repository root; ``**`` spans directories, ``*`` and ``?`` do not.
A pattern ending in ``/`` matches everything under a directory of that name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable


def _translate(pattern: str) -> str:
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
    body = "".join(out)
    prefix = "" if anchored else "(?:.*/)?"
    suffix = "/.*" if dir_only else "(?:/.*)?"
    return f"{prefix}{body}{suffix}"


def _translate_name(pattern: str) -> tuple[str, bool]:
    """An unanchored pattern as a regex for one path component, and whether it matches
    directories only (a trailing ``/``)."""
    pat = pattern.strip()
    dir_only = pat.endswith("/")
    full = _translate(pat)
    # _translate wraps the body in "(?:.*/)?" ... "(?:/.*)?" (or "/.*"): keep the body only
    body = full[len("(?:.*/)?") : -len("/.*" if dir_only else "(?:/.*)?")]
    return body, dir_only


def _unanchored(pattern: str) -> bool:
    """Matches a file or directory name at any depth: no slash inside, no ``**``."""
    pat = pattern.strip()
    if pat.startswith("./"):
        return False
    return "/" not in pat.rstrip("/") and "**" not in pat


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
    names = [_translate_name(p) for p in given if _unanchored(p)]
    anchored = [_translate(p) for p in given if not _unanchored(p)]
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


def compile_globs_reference(patterns: Iterable[str]) -> Callable[[str], bool]:
    """The same matcher as one regex over the whole path (slower; tests compare the two)."""
    parts = [_translate(p) for p in patterns if p.strip()]
    if not parts:
        return lambda _path: False
    regex = re.compile("(?:" + "|".join(parts) + r")\Z", re.DOTALL)
    return lambda path: regex.match(path) is not None

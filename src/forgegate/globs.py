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


def compile_globs(patterns: Iterable[str]) -> Callable[[str], bool]:
    """One matcher for many patterns; a path matches when any pattern does."""
    given = [p for p in patterns if p.strip()]
    if any(p.strip() in ("*", "**", "**/*") for p in given):
        return lambda _path: True  # matches everything: no regex per path
    parts = [_translate(p) for p in given]
    if not parts:
        return lambda _path: False
    regex = re.compile("(?:" + "|".join(parts) + r")\Z", re.DOTALL)
    return lambda path: regex.match(path) is not None

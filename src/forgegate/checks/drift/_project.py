"""What the drift rules read from a repository: ``pyproject.toml``, and lines of files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from forgegate.tomlcompat import tomllib


def read_text(root: Path, rel: str) -> str | None:
    try:
        return (root / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def pyproject(root: Path) -> dict[str, Any] | None:
    """The parsed ``pyproject.toml``, or None when there is none or it is not TOML (the
    policy loader and the build report a broken one; a drift rule has nothing to compare)."""
    text = read_text(root, "pyproject.toml")
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def line_of(text: str, pattern: str, flags: int = 0) -> int | None:
    """The 1-based line of the first match of ``pattern`` (a regex) in ``text``."""
    match = re.search(pattern, text, flags | re.M)
    return text.count("\n", 0, match.start()) + 1 if match else None

"""Everything that talks to the GitHub REST API (through PyGithub) lives in this package."""

from __future__ import annotations

import re

from forgegate.errors import UsageError

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def repository(text: str, option: str = "--repo", hint: str = "") -> str:
    """``text`` when it is an ``OWNER/NAME`` repository, else a usage error naming ``option``."""
    if not _REPOSITORY.fullmatch(text):
        raise UsageError(f"{option} {text!r} is not OWNER/NAME{hint}")
    return text

"""Content ids: the git blob id of bytes, as ``git hash-object`` computes it."""

from __future__ import annotations

import hashlib


def blob_id(data: bytes) -> str:
    """The git blob id of ``data``: identifies content the way git does, and costs little."""
    digest = hashlib.sha1(b"blob %d\0" % len(data), usedforsecurity=False)
    digest.update(data)
    return digest.hexdigest()

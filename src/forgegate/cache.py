"""A content-addressed result cache for expensive per-file work (e.g. parsing Python).

Results are stored per git blob id under ``$FORGEGATE_CACHE_DIR`` (default
``$XDG_CACHE_HOME/forgegate`` or ``~/.cache/forgegate``), in a namespace that includes the
forgegate version, so a new release never reads an old release's results. One small file per
blob keeps parallel workers from ever writing the same file twice; writes are atomic. A cache that
cannot be read or written is simply not used: it never changes a result, only its cost.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from forgegate import __version__


def cache_root() -> Path:
    explicit = os.environ.get("FORGEGATE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "forgegate"


class ResultCache:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    @property
    def directory(self) -> Path:
        """Where the entries live, looked up at each use (a module-level cache follows
        ``$FORGEGATE_CACHE_DIR`` set after import)."""
        return cache_root() / f"{self.namespace}-{__version__}"

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Any | None:
        try:
            return json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: Any) -> None:
        """Store ``value``; one JSON would not give back as it is (NaN, a custom type) is
        not stored, so ``get`` returns only what ``put`` was given."""
        try:
            text = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            return
        target = self._path(key)
        with contextlib.suppress(OSError):
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as stream:
                    stream.write(text)
                os.replace(tmp, target)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

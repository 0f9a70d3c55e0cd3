"""Atomic file writes: a temporary file beside the target, fsync, then ``os.replace``.

A reader sees the old file or the new one, never half of either; when anything fails the old
file is left as it was and the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from forgegate.errors import GateError


def write_atomic(path: Path | str, content: str | bytes) -> None:
    target = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    if target.exists() and not target.is_file():
        # /dev/null, /dev/stdout, a FIFO: write through; replacing it would destroy the device
        if target.is_dir():
            raise GateError(f"cannot write {target}: it is a directory")
        try:
            with open(target, "wb") as stream:
                stream.write(data)
        except OSError as err:
            raise GateError(f"cannot write {target}: {err.strerror or err}") from None
        return
    directory = target.parent if str(target.parent) else Path(".")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as err:
        raise GateError(f"cannot write {target}: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, target.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise GateError(
            f"cannot write {target}: {err.strerror or err}; the old file is unchanged"
        ) from None

"""Download release assets safely: sanitised names, bounded retries, no partial files.

Every file streams into a temporary file beside its destination and is renamed only when it is
complete (the byte count the server announced) and, for an artifact, when its SHA-256 matches
the release's ``SHA256SUMS``; anything else is deleted, so an interrupted or corrupt download
leaves nothing behind. 5xx answers, 429 (its ``Retry-After`` honoured), connection resets and
truncated bodies are retried with exponential backoff and jitter, at most ``max_retries`` times.
The token goes to the API host only: ``requests`` drops the ``Authorization`` header when GitHub
redirects the download to its storage host.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from forgegate.errors import GateError, UsageError

log = logging.getLogger("forgegate.release")

MAX_RETRIES = 10
#: the defaults for :class:`Fetcher`'s ``sleep`` and ``jitter`` (module level for tests)
_sleep: Callable[[float], None] = time.sleep
_jitter: Callable[[], float] = random.random
MAX_TIMEOUT = 600.0
_UNSAFE = re.compile(r"[^A-Za-z0-9._+@=-]")


class ChecksumMismatch(Exception):
    def __init__(self, name: str, expected: str, actual: str) -> None:
        super().__init__(f"{name}: sha256 {actual} does not match SHA256SUMS ({expected})")
        self.name = name


def sanitize(name: str) -> str:
    """A file name that cannot leave the destination folder or hide in a listing: path
    separators, control characters and anything unusual become ``_``; ``.``/``..``/empty are
    refused. A rewrite is logged."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    clean = _UNSAFE.sub("_", base).lstrip(".") if base not in (".", "..") else ""
    if not clean or set(clean) <= {"_"}:
        raise UsageError(f"release asset name {name!r} cannot be made a safe file name")
    if clean != name:
        log.warning("release asset %r saved as %r", name, clean)
    return clean


@dataclass
class Fetcher:
    """GETs with the retry policy above; ``sleep`` and ``jitter`` are injectable for tests."""

    timeout: float = 60.0
    max_retries: int = 3
    backoff: float = 0.5
    token: str | None = None
    sleep: Callable[[float], None] | None = None
    jitter: Callable[[], float] | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        if not 0 < self.timeout <= MAX_TIMEOUT:
            raise UsageError(f"--timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds")
        if not 0 <= self.max_retries <= MAX_RETRIES:
            raise UsageError(f"--max-retries must be between 0 and {MAX_RETRIES}")

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        try:
            wait = float(retry_after) if retry_after is not None else None
        except ValueError:
            wait = None
        if wait is None:
            wait = self.backoff * 2**attempt * (1 + (self.jitter or _jitter)())
        (self.sleep or _sleep)(min(wait, MAX_TIMEOUT))

    def download(self, url: str, target: Path, expected_sha256: str | None = None) -> Path:
        """Stream ``url`` to ``target`` (temporary file, then rename); returns ``target``."""
        headers = {"Accept": "application/octet-stream"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        last = "no attempt"
        for attempt in range(self.max_retries + 1):
            if attempt:
                log.info("retrying %s (attempt %d): %s", target.name, attempt + 1, last)
            partial: Path | None = None
            try:
                with self.session.get(
                    url, headers=headers, stream=True, timeout=self.timeout
                ) as response:
                    if response.status_code == 429 or response.status_code >= 500:
                        last = f"HTTP {response.status_code}"
                        self._wait(attempt, response.headers.get("Retry-After"))
                        continue
                    if response.status_code >= 400:
                        raise GateError(
                            f"cannot download {target.name}: HTTP {response.status_code}"
                            + (" (is the token allowed to read the release?)"
                               if response.status_code in (401, 403, 404) else "")
                        )  # fmt: skip
                    fd, name = tempfile.mkstemp(
                        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
                    )
                    partial = Path(name)
                    digest = hashlib.sha256()
                    received = 0
                    with os.fdopen(fd, "wb") as out:
                        for chunk in response.iter_content(1 << 20):
                            out.write(chunk)
                            digest.update(chunk)
                            received += len(chunk)
                    announced = response.headers.get("Content-Length")
                    if announced is not None and received != int(announced):
                        last = f"truncated body ({received} of {announced} bytes)"
                        partial.unlink(missing_ok=True)
                        self._wait(attempt, None)
                        continue
                    actual = digest.hexdigest()
                    if expected_sha256 is not None and actual != expected_sha256:
                        partial.unlink(missing_ok=True)
                        raise ChecksumMismatch(target.name, expected_sha256, actual)
                    os.replace(partial, target)
                    return target
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as err:
                last = type(err).__name__
                if partial is not None:
                    partial.unlink(missing_ok=True)
                self._wait(attempt, None)
            except BaseException:
                if partial is not None:
                    partial.unlink(missing_ok=True)
                raise
        raise GateError(
            f"cannot download {target.name} after {self.max_retries + 1} attempt(s): {last}; "
            "nothing was kept"
        )

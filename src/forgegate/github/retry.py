"""Bounded retries for GitHub API calls made through PyGithub (built with ``retry=None``).

The one policy for every forgegate call to GitHub: a rate limit (403 with ``X-RateLimit-Remaining:
0`` or ``Retry-After``, or 429) is waited out when the wait is short, else :class:`GateError`;
5xx answers and network errors are retried with exponential backoff a bounded number of times,
then :class:`GateError`. Any other :class:`GithubException` (401, 403, 404, 422 ...) is raised
unchanged for the caller to explain: only it knows which permission the call needed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TypeVar

import requests
from github.GithubException import GithubException, RateLimitExceededException

from forgegate.errors import GateError

T = TypeVar("T")

#: GitHub's advice for a secondary rate limit that names no wait: at least a minute
SECONDARY_LIMIT_WAIT = 60.0
#: the defaults for :class:`Retrier`'s ``sleep`` and ``clock`` (module level for tests)
_sleep: Callable[[float], None] = time.sleep
_clock: Callable[[], float] = time.time


def header(err: GithubException, name: str) -> str | None:
    value = (err.headers or {}).get(name.lower())
    return str(value) if value is not None else None


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def is_rate_limit(err: GithubException) -> bool:
    if isinstance(err, RateLimitExceededException) or err.status == 429:
        return True
    return err.status == 403 and (
        header(err, "X-RateLimit-Remaining") == "0" or header(err, "Retry-After") is not None
    )


class Retrier:
    """Runs one API operation with the retry policy above; ``sleep``/``clock`` are injectable
    (else the module's ``_sleep``/``_clock``, looked up at call time so tests can patch them).

    ``outcome`` ends every give-up message with what it means for the user ("GitHub was not
    told", "nothing was written"); ``limit_hint`` says what to do about a long rate limit.
    """

    def __init__(
        self,
        base_url: str,
        *,
        outcome: str,
        limit_hint: str = "retry the job later",
        retries: int = 3,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.base_url = base_url
        self.outcome = outcome
        self.limit_hint = limit_hint
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock

    def sleep(self, seconds: float) -> None:
        (self._sleep or _sleep)(seconds)

    def now(self) -> float:
        return (self._clock or _clock)()

    def call(self, operation: Callable[[], T], what: str) -> T:
        """``operation()``, retried; ``what`` names it in messages ("create check run x")."""
        failures = 0
        limits = 0
        while True:
            try:
                return operation()
            except GithubException as err:
                if is_rate_limit(err):
                    limits += 1
                    self._wait_for_limit(err, what, limits)
                    continue
                if err.status >= 500 and failures < self.retries:
                    failures += 1
                    self.sleep(self.backoff * 2 ** (failures - 1))
                    continue
                if err.status >= 500:
                    raise GateError(
                        f"GitHub API ({self.base_url}) answered HTTP {err.status} "
                        f"{failures + 1} times to {what}; {self.outcome}; retry the job"
                    ) from None
                raise
            except requests.RequestException as err:
                if failures < self.retries:
                    failures += 1
                    self.sleep(self.backoff * 2 ** (failures - 1))
                    continue
                raise GateError(
                    f"cannot reach the GitHub API at {self.base_url} ({type(err).__name__}) "
                    f"after {failures + 1} attempts to {what}; {self.outcome}; check --base-url"
                ) from None

    def _wait_for_limit(self, err: GithubException, what: str, attempt: int) -> None:
        now = self.now()
        retry_after = _number(header(err, "Retry-After"))
        reset = _number(header(err, "X-RateLimit-Reset"))
        if retry_after is not None:
            wait = retry_after
        elif reset is not None:
            wait = max(0.0, reset - now) + 1.0  # the reset second itself still counts
        else:
            wait = SECONDARY_LIMIT_WAIT
        if wait <= self.max_wait and attempt <= 3:
            self.sleep(wait)
            return
        when = datetime.fromtimestamp(now + wait, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        raise GateError(
            f"GitHub API rate limit reached trying to {what}; it resets at {when} "
            f"(in {int(wait)} s, longer than the {int(self.max_wait)} s forgegate waits); "
            f"{self.outcome}; {self.limit_hint}"
        )


def message(err: GithubException) -> str:
    """What GitHub said: its ``message`` and the ``errors`` details, on one line."""
    data = err.data if isinstance(err.data, dict) else {}
    text = str(data.get("message") or "").strip()
    details = [
        str(e.get("message") or e.get("code"))
        for e in data.get("errors") or []
        if isinstance(e, dict) and (e.get("message") or e.get("code"))
    ]
    if details:
        text = f"{text}: {'; '.join(details)}" if text else "; ".join(details)
    return " ".join(text.split())[:300] or "no message"

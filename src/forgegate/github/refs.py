"""Resolve an action's tag, branch or short SHA to its full commit SHA through the GitHub API.

One request per (repository, ref): ``GET /repos/{owner}/{repo}/commits/{ref}`` resolves tags
(annotated ones peeled to their commit), branches and short SHAs alike, whereas the git-refs
route needs up to three (``git/ref/tags/..``, ``git/tags/{sha}`` to peel, ``git/ref/heads/..``).
The repository object is built lazily, so there is no ``GET /repos/{owner}/{repo}`` either.

Failures fail closed: an unknown repository or ref is :class:`RefNotFound` (the caller reports it
and carries on); a rate limit is waited out when the wait is short, else :class:`GateError`;
5xx answers and network errors are retried with backoff a bounded number of times, then
:class:`GateError`. The token is handed to PyGithub and never appears in a message.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import github
import requests
from github.GithubException import GithubException, RateLimitExceededException

from forgegate.errors import GateError

DEFAULT_API_URL = "https://api.github.com"
#: the longest rate-limit wait taken without asking (seconds); longer ones exit 3
DEFAULT_MAX_WAIT = 60.0
#: GitHub's advice for a secondary rate limit that names no wait: at least a minute
SECONDARY_LIMIT_WAIT = 60.0
#: the defaults for :class:`RefResolver`'s ``sleep`` and ``clock`` (module level for tests)
_sleep: Callable[[float], None] = time.sleep
_clock: Callable[[], float] = time.time


class RefNotFound(LookupError):
    """The repository or the ref does not exist (or is invisible to this token)."""


def api_url(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """``--base-url``, else ``$GITHUB_API_URL`` (set on Actions runners, also on GHES), else
    api.github.com."""
    environ = os.environ if env is None else env
    url = explicit or environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    return url.rstrip("/")


def _header(err: GithubException, name: str) -> str | None:
    headers = err.headers or {}
    value = headers.get(name.lower())
    return str(value) if value is not None else None


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _is_rate_limit(err: GithubException) -> bool:
    if isinstance(err, RateLimitExceededException) or err.status == 429:
        return True
    return err.status == 403 and (
        _header(err, "X-RateLimit-Remaining") == "0" or _header(err, "Retry-After") is not None
    )


class RefResolver:
    """Resolves ``owner/repo@ref`` to a commit SHA, caching each (repo, ref) for one run.

    ``sleep`` and ``clock`` are injectable so tests wait for nothing.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        max_wait: float = DEFAULT_MAX_WAIT,
        retries: int = 3,
        backoff: float = 1.0,
        timeout: int = 15,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.authenticated = bool(token)
        self.max_wait = max_wait
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep if sleep is not None else _sleep
        self._clock = clock if clock is not None else _clock
        self._cache: dict[tuple[str, str], str | RefNotFound] = {}
        # retry=None: PyGithub's default retry would sleep through a rate limit for up to an
        # hour; the waiting policy is ours. lazy=True: no GET /repos/{owner}/{repo}.
        self._gh = github.Github(
            base_url=self.base_url,
            auth=github.Auth.Token(token) if token else None,
            timeout=timeout,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
            lazy=True,
        )

    def resolve(self, repo: str, ref: str) -> str:
        """The full commit SHA ``ref`` names in ``repo`` (``owner/name``); cached per run."""
        key = (repo.lower(), ref)
        if key not in self._cache:
            try:
                self._cache[key] = self._fetch(repo, ref)
            except RefNotFound as err:
                self._cache[key] = err
        found = self._cache[key]
        if isinstance(found, RefNotFound):
            raise found
        return found

    def _fetch(self, repo: str, ref: str) -> str:
        what = f"{repo}@{ref}"
        failures = 0
        limits = 0
        while True:
            try:
                commit = self._gh.get_repo(repo).get_commit(ref, commit_files_per_page=1)
                # complete() forces the GET: a lazy Commit would report the ref itself as .sha
                data: Any = commit.complete().raw_data
                sha = data.get("sha") if isinstance(data, dict) else None
                if not isinstance(sha, str) or len(sha) != 40:
                    raise GateError(f"{self.base_url} answered {what} without a commit SHA")
                return sha.lower()
            except GithubException as err:
                if _is_rate_limit(err):
                    limits += 1
                    self._wait_for_limit(err, what, limits)
                    continue
                if err.status in (404, 422):
                    raise RefNotFound(
                        f"{repo} or its ref {ref!r} does not exist (HTTP {err.status})"
                    ) from None
                if err.status >= 500 and failures < self.retries:
                    failures += 1
                    self._sleep(self.backoff * 2 ** (failures - 1))
                    continue
                hint = (
                    " (is GITHUB_TOKEN valid and allowed to read it?)"
                    if err.status
                    in (
                        401,
                        403,
                    )
                    else ""
                )
                raise GateError(
                    f"GitHub API ({self.base_url}) answered HTTP {err.status} for {what}"
                    + (f" {failures + 1} times" if failures else "")
                    + f"{hint}; cannot resolve the ref, nothing was written"
                ) from None
            except requests.RequestException as err:
                if failures < self.retries:
                    failures += 1
                    self._sleep(self.backoff * 2 ** (failures - 1))
                    continue
                raise GateError(
                    f"cannot reach the GitHub API at {self.base_url} ({type(err).__name__}) "
                    f"after {failures + 1} attempts; nothing was written"
                ) from None

    def _wait_for_limit(self, err: GithubException, what: str, attempt: int) -> None:
        """Sleep out a short rate limit; raise :class:`GateError` for a long one."""
        now = self._clock()
        retry_after = _number(_header(err, "Retry-After"))
        reset = _number(_header(err, "X-RateLimit-Reset"))
        if retry_after is not None:
            wait = retry_after
        elif reset is not None:
            wait = max(0.0, reset - now) + 1.0  # the reset second itself still counts
        else:
            wait = SECONDARY_LIMIT_WAIT
        if wait <= self.max_wait and attempt <= 3:
            self._sleep(wait)
            return
        when = datetime.fromtimestamp(now + wait, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
        hint = (
            "use a token with a higher limit or raise --max-wait"
            if self.authenticated
            else "set GITHUB_TOKEN (authenticated requests get a much higher limit)"
        )
        raise GateError(
            f"GitHub API rate limit reached while resolving {what}; it resets at {when} "
            f"(in {int(wait)} s, longer than --max-wait {int(self.max_wait)} s); "
            f"nothing was written; retry later or {hint}"
        )

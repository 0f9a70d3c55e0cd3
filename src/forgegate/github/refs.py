"""Resolve an action's tag, branch or short SHA to its full commit SHA through the GitHub API.

One request per (repository, ref): ``GET /repos/{owner}/{repo}/commits/{ref}`` resolves tags
(annotated ones peeled to their commit), branches and short SHAs alike, whereas the git-refs
route needs up to three (``git/ref/tags/..``, ``git/tags/{sha}`` to peel, ``git/ref/heads/..``).
The repository object is built lazily, so there is no ``GET /repos/{owner}/{repo}`` either.

Failures fail closed: an unknown repository or ref is :class:`RefNotFound` (the caller reports it
and carries on); rate limits, 5xx answers and network errors follow
:class:`forgegate.github.retry.Retrier`, ending in :class:`GateError`. The token is handed to
PyGithub and never appears in a message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from github.GithubException import GithubException

from forgegate.errors import GateError
from forgegate.github.client import client
from forgegate.github.retry import Retrier

DEFAULT_API_URL = "https://api.github.com"
#: the longest rate-limit wait taken without asking (seconds); longer ones exit 3
DEFAULT_MAX_WAIT = 60.0


class RefNotFound(LookupError):
    """The repository or the ref does not exist (or is invisible to this token)."""


def api_url(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """``--base-url``, else ``$GITHUB_API_URL`` (set on Actions runners, also on GHES), else
    api.github.com."""
    environ = os.environ if env is None else env
    url = explicit or environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    return url.rstrip("/")


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
        self.retrier = Retrier(
            self.base_url,
            outcome="nothing was written",
            limit_hint="retry later or "
            + (
                "use a token with a higher limit or raise --max-wait"
                if token
                else "set GITHUB_TOKEN (authenticated requests get a much higher limit)"
            ),
            retries=retries,
            backoff=backoff,
            max_wait=max_wait,
            sleep=sleep,
            clock=clock,
        )
        self._cache: dict[tuple[str, str], str | RefNotFound] = {}
        self._gh = client(self.base_url, token, timeout=timeout)

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

    def _get(self, repo: str, ref: str) -> str:
        commit = self._gh.get_repo(repo).get_commit(ref, commit_files_per_page=1)
        # complete() forces the GET: a lazy Commit would report the ref itself as .sha
        data: Any = commit.complete().raw_data
        sha = data.get("sha") if isinstance(data, dict) else None
        if not isinstance(sha, str) or len(sha) != 40:
            raise GateError(f"{self.base_url} answered {repo}@{ref} without a commit SHA")
        return sha.lower()

    def _fetch(self, repo: str, ref: str) -> str:
        try:
            return self.retrier.call(lambda: self._get(repo, ref), f"resolve {repo}@{ref}")
        except GithubException as err:
            if err.status in (404, 422):
                raise RefNotFound(
                    f"{repo} or its ref {ref!r} does not exist (HTTP {err.status})"
                ) from None
            hint = (
                " (is GITHUB_TOKEN valid and allowed to read it?)"
                if err.status in (401, 403)
                else ""
            )
            raise GateError(
                f"GitHub API ({self.base_url}) answered HTTP {err.status} for {repo}@{ref}"
                f"{hint}; cannot resolve the ref, nothing was written"
            ) from None

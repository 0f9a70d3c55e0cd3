"""A repository's releases and their assets, read through PyGithub (bounded retries)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from github.GithubException import GithubException

from forgegate.errors import GateError
from forgegate.github.client import client
from forgegate.github.retry import Retrier, message

T = TypeVar("T")


@dataclass(frozen=True)
class Asset:
    name: str
    id: int
    size: int
    #: the API URL: GET with Accept: application/octet-stream downloads it
    url: str
    #: the sha256 GitHub computed at upload (hex), where the server reports one
    sha256: str | None = None


@dataclass(frozen=True)
class Release:
    tag: str
    assets: tuple[Asset, ...]


def _sha256(digest: Any) -> str | None:
    text = str(digest or "")
    return text.removeprefix("sha256:").lower() if text.startswith("sha256:") else None


def _release(data: Any) -> Release:
    return Release(
        str(data.tag_name),
        tuple(
            Asset(
                str(a.name), int(a.id), int(a.size), str(a.url), _sha256(getattr(a, "digest", None))
            )
            for a in data.assets
        ),
    )


class Releases:
    def __init__(self, base_url: str, token: str | None, *, timeout: int = 15) -> None:
        self.base_url = base_url.rstrip("/")
        self.retrier = Retrier(self.base_url, outcome="nothing was downloaded")
        self._gh = client(self.base_url, token, timeout=timeout)

    def _call(self, operation: Callable[[], T], what: str) -> T:
        try:
            return self.retrier.call(operation, what)
        except GithubException as err:
            said = message(err)
            hint = (
                "check the repository and tag (a draft release is visible only with "
                "`contents: write`)"
                if err.status == 404
                else "the token needs `permissions: contents: read`"
                if err.status in (401, 403)
                else "retry later"
            )
            raise GateError(f"cannot {what} (HTTP {err.status}: {said}); {hint}") from None

    def by_tag(self, repo: str, tag: str) -> Release:
        return self._call(
            lambda: _release(self._gh.get_repo(repo).get_release(tag)),
            f"read the release {tag} of {repo}",
        )

    def all(self, repo: str) -> list[Release]:
        return self._call(
            lambda: [_release(r) for r in self._gh.get_repo(repo).get_releases()],
            f"list the releases of {repo}",
        )

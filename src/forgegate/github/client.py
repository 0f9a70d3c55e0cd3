"""The one way forgegate builds a PyGithub client."""

from __future__ import annotations

import github


def client(base_url: str, token: str | None, *, timeout: int = 15) -> github.Github:
    """A client for ``base_url`` (api.github.com, GHES or a loopback test server).

    ``retry=None``: PyGithub's own retry would sleep through a rate limit for up to an hour; the
    bounded policy is :class:`forgegate.github.retry.Retrier`. No throttling between requests.
    ``lazy=True``: ``get_repo`` and friends do not GET the object before it is used.
    """
    return github.Github(
        base_url=base_url.rstrip("/"),
        auth=github.Auth.Token(token) if token else None,
        timeout=timeout,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        lazy=True,
    )

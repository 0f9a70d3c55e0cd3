"""Tell GitHub about a report: a check run (with annotations), a commit status, a sticky PR
comment. Everything goes through PyGithub with its own retry off (``retry=None``); the bounded
retry policy is :class:`forgegate.github.retry.Retrier`.

Each write is idempotent on retry and on re-run: the check run is looked up by name on the head
SHA before it is created (a re-run updates it), the PR comment by its hidden marker. A refused
request becomes a :class:`GateError` that names the permission the workflow must grant.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from github.CheckRun import CheckRun
from github.GithubException import GithubException

from forgegate.errors import GateError
from forgegate.github.client import client
from forgegate.github.retry import Retrier, message

T = TypeVar("T")

#: GitHub accepts at most 50 annotations per create/update request
BATCH = 50
LEVELS = {"note": "notice", "warning": "warning", "error": "failure"}
#: what the workflow's ``permissions:`` block must grant, per kind of write
CHECKS = "checks: write"
STATUSES = "statuses: write"
PULL_REQUESTS = "pull-requests: write"


def build_annotations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One annotation per new finding that has a path (line 1 when it has no line)."""
    out: list[dict[str, Any]] = []
    for f in doc.get("findings") or []:
        if not isinstance(f, dict) or f.get("status") != "new" or not f.get("path"):
            continue
        line = f.get("line") if isinstance(f.get("line"), int) and f["line"] > 0 else 1
        item: dict[str, Any] = {
            "path": str(f["path"]),
            "start_line": line,
            "end_line": line,
            "annotation_level": LEVELS.get(str(f.get("severity")), "warning"),
            "title": str(f.get("rule") or "forgegate"),
            "message": str(f.get("message") or "")[:65000] or "(no message)",
        }
        column = f.get("column")
        if f.get("line") and isinstance(column, int) and column > 0:
            item["start_column"] = item["end_column"] = column
        out.append(item)
    return out


def batches(items: list[dict[str, Any]], size: int = BATCH) -> list[list[dict[str, Any]]]:
    """``items`` in chunks of ``size``; always at least one (possibly empty) chunk."""
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


@dataclass(frozen=True)
class CheckRunResult:
    id: int
    html_url: str | None
    created: bool
    requests: int
    annotations: int


class GitHubPublisher:
    """Writes check runs, statuses and PR comments to one GitHub (or GHES) API."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        token_env: str = "GITHUB_TOKEN",
        retrier: Retrier | None = None,
        timeout: int = 15,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token_env = token_env
        self.retrier = retrier or Retrier(self.base_url, outcome="GitHub was not told")
        self._gh = client(self.base_url, token, timeout=timeout)

    # -- errors -----------------------------------------------------------------------------
    def _call(self, operation: Callable[[], T], what: str, permission: str, repo: str) -> T:
        try:
            return self.retrier.call(operation, what)
        except GithubException as err:
            raise self._explain(err, what, permission, repo) from None

    def _explain(self, err: GithubException, what: str, permission: str, repo: str) -> GateError:
        said = f"HTTP {err.status}: {message(err)}"
        grant = f"the workflow must grant `permissions: {permission}`"
        if err.status == 401:
            hint = f"the token in ${self.token_env} is invalid or expired"
        elif err.status == 403:
            hint = grant
            if permission == CHECKS:
                hint += " (and check runs need a GitHub App token such as GITHUB_TOKEN)"
        elif err.status == 404:
            hint = f"check that {repo} exists and that {grant}"
        elif err.status == 422:
            hint = "GitHub rejected the request as invalid; check --sha, --pr and --name"
        else:
            hint = "retry the job"
        return GateError(f"cannot {what} ({said}); {hint}; GitHub was not told")

    # -- check runs -------------------------------------------------------------------------
    def _find_run(self, repo: str, sha: str, name: str) -> CheckRun | None:
        runs = self._gh.get_repo(repo).get_commit(sha).get_check_runs(check_name=name)
        hits = [r for r in runs if r.name == name and r.head_sha == sha]
        return max(hits, key=lambda r: r.id) if hits else None

    def check_run(
        self,
        repo: str,
        sha: str,
        name: str,
        *,
        conclusion: str,
        title: str,
        summary: str,
        annotations: list[dict[str, Any]],
        details_url: str | None = None,
    ) -> CheckRunResult:
        """Create the check run ``name`` on ``sha``, or update the one already there, completed
        with ``conclusion``; the first 50 annotations ride along, each further 50 is a PATCH."""
        chunks = batches(annotations)
        what = f"create or update check run {name!r} on {repo}@{sha[:12]}"
        extra: dict[str, Any] = {"details_url": details_url} if details_url else {}

        def output(chunk: list[dict[str, Any]]) -> dict[str, Any]:
            return {"title": title, "summary": summary, "annotations": chunk}

        def upsert() -> tuple[CheckRun, bool]:
            # looked up again on every attempt: a create that failed after GitHub stored it is
            # found and updated rather than duplicated
            done = datetime.now(timezone.utc)
            existing = self._find_run(repo, sha, name)
            if existing is not None:
                existing.edit(
                    status="completed",
                    conclusion=conclusion,
                    completed_at=done,
                    output=output(chunks[0]),
                    **extra,
                )
                return existing, False
            created = self._gh.get_repo(repo).create_check_run(
                name=name,
                head_sha=sha,
                status="completed",
                conclusion=conclusion,
                completed_at=done,
                output=output(chunks[0]),
                **extra,
            )
            return created, True

        run, created = self._call(upsert, what, CHECKS, repo)
        for chunk in chunks[1:]:
            self._call(
                functools.partial(run.edit, output=output(chunk)),
                f"add annotations to check run {name!r} on {repo}",
                CHECKS,
                repo,
            )
        return CheckRunResult(run.id, run.html_url, created, len(chunks), len(annotations))

    # -- commit statuses --------------------------------------------------------------------
    def status(
        self,
        repo: str,
        sha: str,
        context: str,
        *,
        state: str,
        description: str,
        target_url: str | None = None,
    ) -> None:
        extra: dict[str, Any] = {"target_url": target_url} if target_url else {}

        def post() -> None:
            commit = self._gh.get_repo(repo).get_commit(sha)
            commit.create_status(state, description=description, context=context, **extra)

        self._call(post, f"set commit status {context!r} on {repo}@{sha[:12]}", STATUSES, repo)

    # -- the sticky PR comment --------------------------------------------------------------
    def sticky_comment(self, repo: str, pr: int, marker: str, body: str | None) -> str:
        """Make the one comment on ``pr`` carrying ``marker`` say ``body``; ``None`` deletes it.
        Returns what happened: created, updated, unchanged, deleted or absent."""

        def sync() -> str:
            issue = self._gh.get_repo(repo).get_issue(pr)
            mine = [c for c in issue.get_comments() if marker in (c.body or "")]
            if body is None:
                for c in mine:
                    c.delete()
                return "deleted" if mine else "absent"
            for extra in mine[1:]:  # one sticky comment: duplicates from a race go
                extra.delete()
            if not mine:
                issue.create_comment(body)
                return "created"
            if mine[0].body == body:
                return "unchanged"
            mine[0].edit(body)
            return "updated"

        return self._call(sync, f"update the forgegate comment on {repo}#{pr}", PULL_REQUESTS, repo)

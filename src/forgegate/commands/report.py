"""``forgegate report github``: publish a JSON report as a check run or commit status, and
optionally as a sticky PR comment (docs/report-github.md).

Exit codes: 0 when GitHub was told everything asked, 2 for a bad argument or report, 3 when any
write failed (including a missing token): a report GitHub never saw must not look green.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from forgegate.errors import EXIT_GATE, EXIT_OK, GateError, UsageError
from forgegate.github import repository
from forgegate.redact import redact
from forgegate.report import github_summary as texts
from forgegate.report.github_summary import ANNOTATION_CAP

REPORT_VERSION = 1
_SHA = re.compile(r"[0-9a-fA-F]{40}([0-9a-fA-F]{24})?\Z")


def add_parser(sub: Any) -> None:
    """Add ``report`` with its ``github`` action to the CLI's subparsers."""
    from forgegate.cli import add_github_api_options

    report = sub.add_parser(
        "report",
        help="publish a JSON report elsewhere",
        description="Publish a report written by `forgegate check --format json`.",
    )
    rsub = report.add_subparsers(
        dest="action", metavar="ACTION", parser_class=type(report), required=True
    )
    p = rsub.add_parser(
        "github",
        help="check run or commit status, and a sticky PR comment",
        description="Publish a forgegate JSON report to GitHub as a check run with annotations "
        "(needs `permissions: checks: write`) or a commit status (`statuses: write`), and with "
        "--pr-comment as one sticky PR comment (`pull-requests: write`). Exits 3 when GitHub "
        "could not be told. The token is read from $GITHUB_TOKEN (see --token-env).",
    )
    p.add_argument("--report", type=Path, required=True, metavar="FILE", help="the JSON report")
    p.add_argument("--repo", metavar="OWNER/NAME", help="default: $GITHUB_REPOSITORY")
    p.add_argument(
        "--sha",
        metavar="SHA",
        help="commit to report on (default: the pull request's head SHA from "
        "$GITHUB_EVENT_PATH, else $GITHUB_SHA)",
    )
    p.add_argument("--name", default="forgegate", help="check run / status context name")
    p.add_argument("--mode", choices=("check-run", "status"), default="check-run")
    p.add_argument("--pr-comment", action="store_true", help="keep one sticky PR comment")
    p.add_argument(
        "--pr",
        type=int,
        metavar="NUMBER",
        help="pull request (default: pull_request.number from $GITHUB_EVENT_PATH)",
    )
    add_github_api_options(p, "the token")
    p.add_argument("--details-url", metavar="URL", help="default: this Actions run's page")
    p.add_argument(
        "--max-annotations",
        type=int,
        default=ANNOTATION_CAP,
        metavar="N",
        help=f"annotations sent at most; the rest are counted in the summary (default: "
        f"{ANNOTATION_CAP})",
    )
    p.set_defaults(func=cmd_report_github)


def _say(text: str) -> None:
    print(redact(f"forgegate: {text}"), file=sys.stderr)


def load_report(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"cannot read --report {path}: {err.strerror}") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise UsageError(
            f"--report {path} is not JSON ({err}); write it with "
            "`forgegate check --format json --output FILE`"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("result"), dict):
        raise UsageError(f"--report {path} is not a forgegate JSON report (no result object)")
    if doc.get("version") != REPORT_VERSION:
        raise UsageError(
            f"--report {path} has version {doc.get('version')!r}; this forgegate reads "
            f"version {REPORT_VERSION}"
        )
    return doc


def _event(env: Mapping[str, str]) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _pull_request(event: dict[str, Any]) -> dict[str, Any]:
    pr = event.get("pull_request")
    return pr if isinstance(pr, dict) else {}


def _run_url(env: Mapping[str, str]) -> str | None:
    server, repo, run = (
        env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server.rstrip('/')}/{repo}/actions/runs/{run}" if server and repo and run else None


def cmd_report_github(args: argparse.Namespace) -> int:
    env = os.environ
    doc = load_report(args.report)
    event = _event(env)
    pr_info = _pull_request(event)
    repo = args.repo or env.get("GITHUB_REPOSITORY") or ""
    repository(repo, hint=" (and $GITHUB_REPOSITORY is unset)")
    head = (pr_info.get("head") or {}).get("sha") if isinstance(pr_info.get("head"), dict) else None
    sha = args.sha or head or env.get("GITHUB_SHA") or ""
    if not _SHA.match(sha):
        raise UsageError(f"--sha {sha!r} is not a full commit SHA (and $GITHUB_SHA is unset)")
    sha = sha.lower()
    if not args.name.strip():
        raise UsageError("--name must not be empty")
    if args.max_annotations < 0:
        raise UsageError("--max-annotations must be 0 or more")
    pr = args.pr
    if pr is None and isinstance(pr_info.get("number"), int):
        pr = pr_info["number"]

    token = env.get(args.token_env, "")
    if not token:
        _say(
            f"error: ${args.token_env} is empty; give the step `env: {args.token_env}: "
            "${{ github.token }}`; GitHub was not told"
        )
        return EXIT_GATE
    # PyGithub is imported only when GitHub is written to: every other command starts faster
    from forgegate.github.checks import GitHubPublisher, build_annotations
    from forgegate.github.refs import api_url

    publisher = GitHubPublisher(api_url(args.base_url), token, token_env=args.token_env)
    details = args.details_url or _run_url(env)
    ok = True
    try:
        if args.mode == "check-run":
            every = build_annotations(doc)
            sent = every[: args.max_annotations]
            result = publisher.check_run(
                repo,
                sha,
                args.name,
                conclusion=texts.conclusion(doc),
                title=texts.title(doc),
                summary=texts.summary(doc, annotated=len(sent), annotatable=len(every)),
                annotations=sent,
                details_url=details,
            )
            _say(
                f"check run {args.name!r} {'created' if result.created else 'updated'} on "
                f"{repo}@{sha[:12]}: {texts.conclusion(doc)}, {result.annotations} annotation(s) "
                f"in {result.requests} request(s)"
                + (f"; {result.html_url}" if result.html_url else "")
            )
        else:
            state = "failure" if texts.failed(doc) else "success"
            publisher.status(
                repo,
                sha,
                args.name,
                state=state,
                description=texts.status_description(doc),
                target_url=details,
            )
            _say(f"commit status {args.name!r} set on {repo}@{sha[:12]}: {state}")
    except GateError as err:
        _say(f"error: {err}")
        ok = False
    if args.pr_comment:
        if pr is None:
            _say("no pull request (not a pull_request event and no --pr): no comment written")
        else:
            passed = texts.conclusion(doc) == "success"
            body = None if passed else texts.comment(doc, args.name, details_url=details)
            try:
                what = publisher.sticky_comment(repo, pr, texts.marker(args.name), body)
                _say(f"pull request comment on {repo}#{pr}: {what}")
            except GateError as err:
                _say(f"error: {err}")
                ok = False
    return EXIT_OK if ok else EXIT_GATE

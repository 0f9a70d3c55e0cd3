"""A loopback stand-in for the GitHub REST API, for tests (never the internet).

``FakeGitHub`` holds a few repositories with real-looking git data (commits, lightweight and
annotated tags, branches) and answers the routes forgegate uses the way api.github.com does:

- ``GET /repos/{owner}/{repo}/commits/{ref}``: tags (annotated ones peeled), branches, full and
  unique short SHAs; 404 for an unknown repository, 422 for an unknown ref (as GitHub does);
- ``GET /repos/{owner}/{repo}/git/ref/{ref}`` and ``.../git/matching-refs/{ref}``.

Failure modes are scripted per path with :meth:`FakeGitHub.script` (404, 403 rate limit with
``X-RateLimit-Remaining: 0``, 429 with ``Retry-After``, 502 ...), consumed in order. Every JSON
body the server sends is validated against the operation's response schema in
``shared/data/schemas/github-rest-subset.openapi.json`` ($refs resolved, OpenAPI's ``nullable``
translated); a violation is answered with HTTP 599 and recorded in ``schema_errors``, which the
fixture asserts empty at teardown, so the fake cannot drift from the real API's shape.

Use the ``fake_github`` fixture (import it into the test module); ``fake_github.url`` is the
base URL to hand to ``--base-url``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import threading
import urllib.parse
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .conftest import SHARED_DATA

SCHEMA_PATH = SHARED_DATA / "schemas" / "github-rest-subset.openapi.json"
DOCS = "https://docs.github.com/rest"
_SPEC_URI = "urn:github-rest-subset"


def sha_of(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()


@dataclass
class Canned:
    """One scripted answer."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def not_found() -> Canned:
    return Canned(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})


def rate_limited(reset: int) -> Canned:
    """The primary rate limit: 403, remaining 0, reset at the epoch second ``reset``."""
    return Canned(
        403,
        {
            "message": "API rate limit exceeded for 127.0.0.1. (But here's the good news: "
            "Authenticated requests get a higher rate limit.)",
            "documentation_url": DOCS,
        },
        {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
    )


def too_many_requests(retry_after: int) -> Canned:
    """A secondary rate limit: 429 with ``Retry-After`` seconds."""
    return Canned(
        429,
        {"message": "You have exceeded a secondary rate limit.", "documentation_url": DOCS},
        {"Retry-After": str(retry_after)},
    )


def server_error(status: int = 502) -> Canned:
    return Canned(status, {"message": "Server Error"})


@dataclass
class FakeRepo:
    full_name: str
    commits: set[str] = field(default_factory=set)
    #: tag name -> (commit sha, annotated tag object sha or None for a lightweight tag)
    tags: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)

    def commit(self, seed: str) -> str:
        sha = sha_of(f"{self.full_name}:commit:{seed}")
        self.commits.add(sha)
        return sha

    def lightweight_tag(self, name: str, commit: str) -> None:
        self.tags[name] = (commit, None)

    def annotated_tag(self, name: str, commit: str) -> str:
        """Returns the tag *object's* SHA, which is not the commit's."""
        tag_sha = sha_of(f"{self.full_name}:tag:{name}")
        self.tags[name] = (commit, tag_sha)
        return tag_sha

    def branch(self, name: str, commit: str) -> None:
        self.branches[name] = commit

    def resolve(self, ref: str) -> str | None:
        """What ``commits/{ref}`` finds: tag, then branch, then a full or unique short SHA."""
        for prefix, table in (("tags/", self.tags), ("heads/", self.branches)):
            if ref.startswith(prefix) and ref[len(prefix) :] in table:
                ref = ref[len(prefix) :]
        if ref in self.tags:
            return self.tags[ref][0]
        if ref in self.branches:
            return self.branches[ref]
        if re.fullmatch(r"[0-9a-f]{7,40}", ref):
            hits = [c for c in self.commits if c.startswith(ref)]
            return hits[0] if len(hits) == 1 else None
        return None


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` as JSON Schema: ``anyOf [schema, null]``."""
    if isinstance(node, list):
        return [_nullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


class SchemaCheck:
    """Validates response bodies against the subset's operations (GET only)."""

    def __init__(self, path: Path = SCHEMA_PATH) -> None:
        self.spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        translated = _nullable(self.spec)
        resource = Resource.from_contents(translated, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
        self.routes: list[tuple[re.Pattern[str], str]] = []
        for template in self.spec["paths"]:
            regex = re.sub(
                r"\{(\w+)\}", lambda m: ".+" if m.group(1) == "ref" else "[^/]+", template
            )
            self.routes.append((re.compile(regex + r"\Z"), template))
        # the most specific template wins (/git/ref/{ref} before any wider match)
        self.routes.sort(key=lambda r: -len(r[1]))

    def operation(self, path: str) -> str | None:
        for regex, template in self.routes:
            if regex.match(path):
                return template
        return None

    def pointer(self, template: str | None, status: int) -> str:
        """JSON pointer of the schema a ``status`` answer on ``template`` must meet; errors
        the operation does not list (403/429 rate limits, 502) use GitHub's basic-error."""
        responses = self.spec["paths"][template]["get"]["responses"] if template else {}
        response = responses.get(str(status))
        if response is None:
            return "/components/schemas/basic-error"
        if "$ref" in response:
            name = response["$ref"].rsplit("/", 1)[1]
            base = f"/components/responses/{name}"
        else:
            escaped = template.replace("~", "~0").replace("/", "~1") if template else ""
            base = f"/paths/{escaped}/get/responses/{status}"
        return f"{base}/content/application~1json/schema"

    def errors(self, path: str, status: int, body: Any) -> list[str]:
        template = self.operation(path)
        ref = f"{_SPEC_URI}#{self.pointer(template, status)}"
        validator = jsonschema.Draft202012Validator({"$ref": ref}, registry=self.registry)
        return [f"{path} {status}: {e.json_path}: {e.message}" for e in validator.iter_errors(body)]


@functools.cache
def _shared_check() -> SchemaCheck:
    return SchemaCheck()


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class FakeGitHub:
    def __init__(self, check: SchemaCheck | None = None) -> None:
        self.check = check or _shared_check()
        self.repos: dict[str, FakeRepo] = {}
        self.requests: list[Seen] = []
        self.schema_errors: list[str] = []
        self._scripts: list[tuple[str, deque[Canned]]] = []
        self._lock = threading.Lock()
        self.url = ""

    # -- data -------------------------------------------------------------------------------
    def add_repo(self, full_name: str) -> FakeRepo:
        repo = FakeRepo(full_name)
        self.repos[full_name.lower()] = repo
        return repo

    def script(self, path_contains: str, *answers: Canned) -> None:
        """Answer the next requests whose path contains ``path_contains`` with ``answers``."""
        with self._lock:
            self._scripts.append((path_contains, deque(answers)))

    def hits(self, path_contains: str) -> int:
        return sum(1 for r in self.requests if path_contains in r.path)

    # -- answering --------------------------------------------------------------------------
    def _scripted(self, path: str) -> Canned | None:
        with self._lock:
            for needle, queue in self._scripts:
                if needle in path and queue:
                    return queue.popleft()
        return None

    def answer(self, path: str) -> Canned:
        canned = self._scripted(path)
        if canned is not None:
            return canned
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)/(commits|git/ref|git/matching-refs)/(.+)", path)
        if not m:
            return not_found()
        owner, name, route, ref = m.groups()
        repo = self.repos.get(f"{owner}/{name}".lower())
        if repo is None:
            return not_found()
        base = f"{self.url}/repos/{repo.full_name}"
        if route == "commits":
            sha = repo.resolve(ref)
            if sha is None:
                return Canned(
                    422,
                    {
                        "message": f"No commit found for SHA: {ref}",
                        "documentation_url": DOCS,
                        "status": "422",
                    },
                )
            return Canned(200, self._commit(base, repo, sha))
        refs = self._refs(base, repo)
        if route == "git/ref":
            hit = [r for r in refs if r["ref"] == f"refs/{ref}"]
            return Canned(200, hit[0]) if hit else not_found()
        return Canned(200, [r for r in refs if r["ref"].startswith(f"refs/{ref}")])

    def _commit(self, base: str, repo: FakeRepo, sha: str) -> dict[str, Any]:
        html = f"https://github.example/{repo.full_name}/commit/{sha}"
        person = {"name": "Mona", "email": "mona@example.invalid", "date": "2024-01-01T00:00:00Z"}
        parent = sha_of(f"parent:{sha}")
        return {
            "url": f"{base}/commits/{sha}",
            "sha": sha,
            "node_id": f"C_{sha[:12]}",
            "html_url": html,
            "comments_url": f"{base}/commits/{sha}/comments",
            "commit": {
                "url": f"{base}/git/commits/{sha}",
                "author": person,
                "committer": person,
                "message": "release",
                "comment_count": 0,
                "tree": {"sha": sha_of(f"tree:{sha}"), "url": f"{base}/git/trees/{sha}"},
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "payload": None,
                    "signature": None,
                    "verified_at": None,
                },
            },
            "author": None,
            "committer": None,
            "parents": [{"sha": parent, "url": f"{base}/commits/{parent}"}],
            "stats": {"additions": 1, "deletions": 0, "total": 1},
            "files": [],
        }

    def _refs(self, base: str, repo: FakeRepo) -> list[dict[str, Any]]:
        out = []
        for name, (commit, tag_obj) in sorted(repo.tags.items()):
            kind, sha = ("tag", tag_obj) if tag_obj else ("commit", commit)
            out.append(self._ref(base, f"refs/tags/{name}", kind, sha))
        for name, commit in sorted(repo.branches.items()):
            out.append(self._ref(base, f"refs/heads/{name}", "commit", commit))
        return out

    @staticmethod
    def _ref(base: str, ref: str, kind: str, sha: str) -> dict[str, Any]:
        return {
            "ref": ref,
            "node_id": f"REF_{sha[:12]}",
            "url": f"{base}/git/{ref}",
            "object": {"type": kind, "sha": sha, "url": f"{base}/git/{kind}s/{sha}"},
        }


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            fake.requests.append(Seen("GET", path, dict(self.headers.items())))
            canned = fake.answer(path)
            status, body = canned.status, canned.body
            if body is not None:
                problems = fake.check.errors(path, status, body)
                if problems:
                    fake.schema_errors.extend(problems)
                    status, body = 599, {"message": "fake GitHub broke the schema"}
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            headers = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59"}
            for key, value in {**headers, **canned.headers}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A running fake on 127.0.0.1 (random port); ``.url`` is its base URL."""
    if not SCHEMA_PATH.is_file():
        pytest.skip(f"SKIPPED LOUDLY: {SCHEMA_PATH} is absent; the fake cannot be checked")
    fake = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert not fake.schema_errors, fake.schema_errors

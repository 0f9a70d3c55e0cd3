"""A loopback stand-in for the GitHub REST API, for tests (never the internet).

``FakeGitHub`` holds a few repositories with real-looking git data (commits, lightweight and
annotated tags, branches) and answers the routes forgegate uses the way api.github.com does:

- ``GET /repos/{owner}/{repo}/commits/{ref}``: tags (annotated ones peeled), branches, full and
  unique short SHAs; 404 for an unknown repository, 422 for an unknown ref (as GitHub does);
- ``GET /repos/{owner}/{repo}/git/ref/{ref}`` and ``.../git/matching-refs/{ref}``;
- check runs: ``POST .../check-runs``, ``PATCH .../check-runs/{id}`` (annotations appended, at
  most 50 per request as GitHub enforces) and ``GET .../commits/{ref}/check-runs``;
- ``POST .../statuses/{sha}``; issue comments: ``GET/POST .../issues/{n}/comments``,
  ``PATCH/DELETE .../issues/comments/{id}`` (on pull requests added with ``FakeRepo.pull``).

Failure modes are scripted per path with :meth:`FakeGitHub.script` (404, 403 rate limit with
``X-RateLimit-Remaining: 0``, 429 with ``Retry-After``, 502 ...), consumed in order. Every JSON
body the server sends is validated against the operation's response schema in
``shared/data/schemas/github-rest-subset.openapi.json`` ($refs resolved, OpenAPI's ``nullable``
translated); a violation is answered with HTTP 599 and recorded in ``schema_errors``, which the
fixture asserts empty at teardown, so the fake cannot drift from the real API's shape. Request
bodies of POST/PATCH operations are validated against the operation's ``requestBody`` the same
way (a violation is answered 422 and recorded). Operations the subset lacks (listing check runs
for a ref, issue comments) are added from GitHub's REST docs in ``LOCAL_PATHS``, built on the
subset's own component schemas, and marked ``x-forgegate-local``.

Use the ``fake_github`` fixture (import it into the test module); ``fake_github.url`` is the
base URL to hand to ``--base-url``.
"""

from __future__ import annotations

import base64
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


def _json(schema: dict[str, Any], description: str = "Response") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ISSUE_COMMENT = {
    "title": "Issue Comment (local: docs.github.com/rest/issues/comments)",
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "node_id": {"type": "string"},
        "url": {"type": "string"},
        "html_url": {"type": "string"},
        "issue_url": {"type": "string"},
        "body": {"type": "string"},
        "user": {"$ref": "#/components/schemas/nullable-simple-user"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "author_association": {"type": "string"},
    },
    "required": [
        "id",
        "node_id",
        "url",
        "html_url",
        "issue_url",
        "user",
        "created_at",
        "updated_at",
        "author_association",
    ],
}
_COMMENT_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"body": {"type": "string"}},
                "required": ["body"],
            }
        }
    },
}
_ISSUE_COMMENT_REF = {"$ref": "#/components/schemas/x-forgegate-issue-comment"}
#: operations forgegate uses that the shared subset lacks, transcribed from GitHub's REST docs
LOCAL_PATHS: dict[str, Any] = {
    "/repos/{owner}/{repo}/commits/{ref}/check-runs": {
        "get": {
            "x-forgegate-local": True,
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["total_count", "check_runs"],
                        "properties": {
                            "total_count": {"type": "integer"},
                            "check_runs": {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/check-run"},
                            },
                        },
                    }
                )
            },
        }
    },
    "/repos/{owner}/{repo}/issues/{issue_number}/comments": {
        "get": {
            "x-forgegate-local": True,
            "responses": {"200": _json({"type": "array", "items": _ISSUE_COMMENT_REF})},
        },
        "post": {
            "x-forgegate-local": True,
            "requestBody": _COMMENT_BODY,
            "responses": {"201": _json(_ISSUE_COMMENT_REF)},
        },
    },
    "/repos/{owner}/{repo}/issues/comments/{comment_id}": {
        "patch": {
            "x-forgegate-local": True,
            "requestBody": _COMMENT_BODY,
            "responses": {"200": _json(_ISSUE_COMMENT_REF)},
        },
        "delete": {"x-forgegate-local": True, "responses": {"204": {"description": "No Content"}}},
    },
    # docs.github.com/rest/repos/repos#create-an-attestation
    "/repos/{owner}/{repo}/attestations": {
        "post": {
            "x-forgegate-local": True,
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["bundle"],
                            "properties": {
                                "bundle": {
                                    "type": "object",
                                    "properties": {
                                        "mediaType": {"type": "string"},
                                        "verificationMaterial": {"type": "object"},
                                        "dsseEnvelope": {"type": "object"},
                                    },
                                }
                            },
                        }
                    }
                }
            },
            "responses": {
                "201": _json({"type": "object", "properties": {"id": {"type": "integer"}}})
            },
        }
    },
}


@functools.cache
def _examples() -> dict[str, Any]:
    return json.loads((SHARED_DATA / "schemas" / "github-rest-subset.examples.json").read_text())


def _example(name: str) -> Any:
    """A fresh copy of GitHub's documented example answer of operation ``name``."""
    answers = _examples()[name]["responses"]["200"]["application/json"]
    return json.loads(json.dumps(next(iter(answers.values()))))


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
    #: pull request numbers (their comments are issue comments)
    pulls: set[int] = field(default_factory=set)

    def pull(self, number: int) -> int:
        self.pulls.add(number)
        return number

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
    """Validates response bodies (and request bodies) against the subset's operations, plus
    ``LOCAL_PATHS`` for the few it lacks."""

    def __init__(self, path: Path = SCHEMA_PATH) -> None:
        self.spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        for template, operations in LOCAL_PATHS.items():
            merged = self.spec["paths"].setdefault(template, {})
            for method, operation in operations.items():
                merged.setdefault(method, operation)
        self.spec["components"]["schemas"]["x-forgegate-issue-comment"] = _ISSUE_COMMENT
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

    def operation(self, path: str, method: str = "GET") -> str | None:
        for regex, template in self.routes:
            if regex.match(path) and method.lower() in self.spec["paths"][template]:
                return template
        return None

    @staticmethod
    def _escaped(template: str) -> str:
        return template.replace("~", "~0").replace("/", "~1")

    def pointer(self, template: str | None, status: int, method: str = "GET") -> str:
        """JSON pointer of the schema a ``status`` answer on ``template`` must meet; errors
        the operation does not list (403/429 rate limits, 502) use GitHub's basic-error."""
        verb = method.lower()
        responses = self.spec["paths"][template][verb]["responses"] if template else {}
        response = responses.get(str(status))
        if response is None:
            return "/components/schemas/basic-error"
        if "$ref" in response:
            name = response["$ref"].rsplit("/", 1)[1]
            base = f"/components/responses/{name}"
        else:
            escaped = self._escaped(template) if template else ""
            base = f"/paths/{escaped}/{verb}/responses/{status}"
        return f"{base}/content/application~1json/schema"

    def _validate(self, pointer: str, body: Any, label: str) -> list[str]:
        ref = f"{_SPEC_URI}#{pointer}"
        validator = jsonschema.Draft202012Validator({"$ref": ref}, registry=self.registry)
        return [f"{label}: {e.json_path}: {e.message}" for e in validator.iter_errors(body)]

    def errors(self, path: str, status: int, body: Any, method: str = "GET") -> list[str]:
        template = self.operation(path, method)
        label = f"{path} {status}" if method == "GET" else f"{method} {path} {status}"
        return self._validate(self.pointer(template, status, method), body, label)

    def request_errors(self, path: str, method: str, body: Any) -> list[str]:
        """Problems of a request ``body`` against the operation's ``requestBody`` schema."""
        template = self.operation(path, method)
        if template is None:
            return []
        request = self.spec["paths"][template][method.lower()].get("requestBody")
        if request is None:
            return []
        pointer = (
            f"/paths/{self._escaped(template)}/{method.lower()}"
            "/requestBody/content/application~1json/schema"
        )
        return self._validate(pointer, body, f"{method} {path} request")


@functools.cache
def _shared_check() -> SchemaCheck:
    return SchemaCheck()


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any = None


class FakeGitHub:
    def __init__(self, check: SchemaCheck | None = None) -> None:
        self.check = check or _shared_check()
        self.repos: dict[str, FakeRepo] = {}
        self.requests: list[Seen] = []
        self.schema_errors: list[str] = []
        self._scripts: list[tuple[str, str | None, deque[Canned]]] = []
        #: id -> check run as GitHub stores it (annotations accumulated in ``annotations``)
        self.check_runs: dict[int, dict[str, Any]] = {}
        self.annotations: dict[int, list[dict[str, Any]]] = {}
        #: (repo full name, sha) -> statuses posted, oldest first
        self.statuses: dict[tuple[str, str], list[dict[str, Any]]] = {}
        #: id -> (repo full name, issue number, comment)
        self.comments: dict[int, tuple[str, int, dict[str, Any]]] = {}
        #: (repo full name lower case, sha256 hex) -> stored Sigstore bundles, oldest first
        self.attestations: dict[tuple[str, str], list[dict[str, Any]]] = {}
        #: repo full name lower case -> releases, newest first: (tag, {asset name: id})
        self.releases: dict[str, list[tuple[str, dict[str, int]]]] = {}
        #: asset id -> (name, bytes)
        self.assets: dict[int, tuple[str, bytes]] = {}
        #: out-of-line attestation bundles (snappy block format), by id
        self.blobs: dict[int, bytes] = {}
        #: asset id -> faults for its next downloads: "502", "429", "truncate", "reset", "corrupt"
        self.faults: dict[int, deque[str]] = {}
        self._next_id = 1000
        self._lock = threading.Lock()
        self.url = ""

    # -- data -------------------------------------------------------------------------------
    def add_repo(self, full_name: str) -> FakeRepo:
        repo = FakeRepo(full_name)
        self.repos[full_name.lower()] = repo
        return repo

    def script(self, path_contains: str, *answers: Canned, method: str | None = None) -> None:
        """Answer the next requests whose path contains ``path_contains`` (and, when given,
        whose method is ``method``) with ``answers``."""
        with self._lock:
            self._scripts.append((path_contains, method, deque(answers)))

    def add_release(self, full_name: str, tag: str, files: dict[str, bytes]) -> dict[str, int]:
        """A published release of ``full_name`` with these assets; their ids by name."""
        ids = {}
        for name, data in files.items():
            asset_id = self._id()
            self.assets[asset_id] = (name, data)
            ids[name] = asset_id
        self.releases.setdefault(full_name.lower(), []).insert(0, (tag, ids))
        return ids

    def fault(self, asset_id: int, *kinds: str) -> None:
        self.faults.setdefault(asset_id, deque()).extend(kinds)

    def _release_body(self, base: str, number: int, tag: str, ids: dict[str, int]) -> Any:
        body = _example("repos/get-release-by-tag")
        body.update(
            id=number, tag_name=tag, name=tag, url=f"{base}/releases/{number}",
            assets_url=f"{base}/releases/{number}/assets",
            assets=[self._asset_body(base, i) for i in ids.values()],
        )  # fmt: skip
        return body

    def _asset_body(self, base: str, asset_id: int) -> Any:
        name, data = self.assets[asset_id]
        body = _example("repos/get-release-asset")
        body.update(
            id=asset_id, name=name, size=len(data), url=f"{base}/releases/assets/{asset_id}",
            digest="sha256:" + hashlib.sha256(data).hexdigest(),
            browser_download_url=f"{self.url}/download/{asset_id}",
        )  # fmt: skip
        return body

    def attest(
        self, full_name: str, sha256: str, bundle: dict[str, Any], *, inline: bool = True
    ) -> None:
        """Store ``bundle`` for the artifact digest ``sha256`` (as attest-build-provenance
        would); ``inline=False`` keeps it out of line, behind a ``bundle_url`` to a
        snappy-compressed blob on the storage host, as GitHub does for most attestations."""
        import cramjam

        if inline:
            self.attestations.setdefault((full_name.lower(), sha256), []).append(bundle)
            return
        blob = self._id()
        self.blobs[blob] = bytes(cramjam.snappy.compress_raw(json.dumps(bundle).encode()))
        storage = self.url.replace("127.0.0.1", "localhost")
        self.attestations.setdefault((full_name.lower(), sha256), []).append(
            {"x-bundle-url": f"{storage}/blobs/{blob}.json.sn?sig=signed"}
        )

    def comments_on(self, full_name: str, number: int) -> list[dict[str, Any]]:
        return [c for repo, n, c in self.comments.values() if repo == full_name and n == number]

    def runs_named(self, name: str) -> list[dict[str, Any]]:
        return [r for r in self.check_runs.values() if r["name"] == name]

    def hits(self, path_contains: str) -> int:
        return sum(1 for r in self.requests if path_contains in r.path)

    # -- answering --------------------------------------------------------------------------
    def _scripted(self, path: str, method: str) -> Canned | None:
        with self._lock:
            for needle, verb, queue in self._scripts:
                if needle in path and verb in (None, method) and queue:
                    return queue.popleft()
        return None

    def answer(
        self,
        path: str,
        method: str = "GET",
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Canned:
        canned = self._scripted(path, method)
        if canned is not None:
            return canned
        if method != "GET" or path.endswith(("/check-runs", "/comments")):
            return self._write(path, method, body, query or {})
        if hit := re.fullmatch(r"/repos/([^/]+/[^/]+)/releases(?:/tags/(.+))?", path):
            if hit.group(1).lower() not in self.repos:
                return not_found()
            base = f"{self.url}/repos/{hit.group(1)}"
            found = [
                self._release_body(base, number, tag, ids)
                for number, (tag, ids) in enumerate(self.releases.get(hit.group(1).lower(), []), 1)
                if hit.group(2) is None or tag == hit.group(2)
            ]
            if hit.group(2) is None:
                return Canned(200, found)
            return Canned(200, found[0]) if found else not_found()
        if hit := re.fullmatch(r"/repos/([^/]+/[^/]+)/releases/assets/(\d+)", path):
            asset_id = int(hit.group(2))
            if asset_id not in self.assets:
                return not_found()
            if "octet-stream" in (headers or {}).get("Accept", ""):
                # another host, as GitHub's storage is: the token must not follow the redirect
                storage = self.url.replace("127.0.0.1", "localhost")
                return Canned(302, None, {"Location": f"{storage}/download/{asset_id}"})
            return Canned(200, self._asset_body(f"{self.url}/repos/{hit.group(1)}", asset_id))
        if hit := re.fullmatch(r"/repos/([^/]+/[^/]+)/attestations/sha256:([0-9a-f]{64})", path):
            if hit.group(1).lower() not in self.repos:
                return not_found()
            stored = self.attestations.get((hit.group(1).lower(), hit.group(2)), [])
            if not stored:
                return not_found()
            return Canned(
                200,
                {
                    "attestations": [
                        {"bundle_url": b["x-bundle-url"], "repository_id": 1, "initiator": "user"}
                        if "x-bundle-url" in b
                        else {"bundle": b, "repository_id": 1, "initiator": "forgegate"}
                        for b in stored
                    ]
                },
            )
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

    # -- writes: check runs, statuses, issue comments ---------------------------------------
    def _id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    @staticmethod
    def _unprocessable(message: str) -> Canned:
        return Canned(422, {"message": message, "documentation_url": DOCS, "status": "422"})

    def _write(self, path: str, method: str, body: Any, query: dict[str, str]) -> Canned:
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)/(.+)", path)
        repo = self.repos.get(f"{m.group(1)}/{m.group(2)}".lower()) if m else None
        if m is None or repo is None:
            return not_found()
        rest, data = m.group(3), body if isinstance(body, dict) else {}
        base = f"{self.url}/repos/{repo.full_name}"
        if method == "POST" and rest == "attestations":
            envelope = (data.get("bundle") or {}).get("dsseEnvelope") or {}
            try:
                statement = json.loads(base64.b64decode(envelope.get("payload", "")))
                digests = [s["digest"]["sha256"] for s in statement["subject"]]
            except (ValueError, KeyError, TypeError):
                return self._unprocessable("Invalid bundle: no in-toto statement with subjects")
            for digest in digests:
                self.attest(repo.full_name, digest, data["bundle"])
            return Canned(201, {"id": self._id()})
        if method == "POST" and rest == "check-runs":
            if data.get("head_sha") not in repo.commits:
                return self._unprocessable(f"No commit found for SHA: {data.get('head_sha')}")
            run_id = self._id()
            self.check_runs[run_id] = {"id": run_id, "repo": repo.full_name, "output": {}}
            self.annotations[run_id] = []
            return self._update_run(base, run_id, data, 201)
        if (hit := re.fullmatch(r"check-runs/(\d+)", rest)) and method == "PATCH":
            run_id = int(hit.group(1))
            if run_id not in self.check_runs:
                return not_found()
            return self._update_run(base, run_id, data, 200)
        if (hit := re.fullmatch(r"commits/(.+)/check-runs", rest)) and method == "GET":
            sha = repo.resolve(hit.group(1))
            if sha is None:
                return self._unprocessable(f"No commit found for SHA: {hit.group(1)}")
            runs = [
                self._run_body(base, r)
                for r in sorted(self.check_runs.values(), key=lambda r: -r["id"])
                if r["repo"] == repo.full_name
                and r["head_sha"] == sha
                and query.get("check_name", r["name"]) == r["name"]
            ]
            return Canned(200, {"total_count": len(runs), "check_runs": runs})
        if (hit := re.fullmatch(r"statuses/(.+)", rest)) and method == "POST":
            sha = hit.group(1)
            if sha not in repo.commits:
                return self._unprocessable(f"No commit found for SHA: {sha}")
            status = {
                "url": f"{base}/statuses/{sha}",
                "avatar_url": None,
                "id": self._id(),
                "node_id": f"SC_{sha[:8]}",
                "state": data.get("state"),
                "description": data.get("description"),
                "target_url": data.get("target_url"),
                "context": data.get("context", "default"),
                "created_at": "2024-01-01T00:00:00Z",
                "updated_at": "2024-01-01T00:00:00Z",
                "creator": None,
            }
            self.statuses.setdefault((repo.full_name, sha), []).append(status)
            return Canned(201, status)
        if hit := re.fullmatch(r"issues/(\d+)/comments", rest):
            number = int(hit.group(1))
            if number not in repo.pulls:
                return not_found()
            if method == "GET":
                return Canned(200, self.comments_on(repo.full_name, number))
            if method == "POST":
                comment_id = self._id()
                comment = {
                    "id": comment_id,
                    "node_id": f"IC_{comment_id}",
                    "url": f"{base}/issues/comments/{comment_id}",
                    "html_url": f"https://github.example/{repo.full_name}/pull/{number}"
                    f"#issuecomment-{comment_id}",
                    "issue_url": f"{base}/issues/{number}",
                    "body": data.get("body"),
                    "user": None,
                    "created_at": "2024-01-01T00:00:00Z",
                    "updated_at": "2024-01-01T00:00:00Z",
                    "author_association": "NONE",
                }
                self.comments[comment_id] = (repo.full_name, number, comment)
                return Canned(201, comment)
        if hit := re.fullmatch(r"issues/comments/(\d+)", rest):
            found = self.comments.get(int(hit.group(1)))
            if found is None or found[0] != repo.full_name:
                return not_found()
            if method == "PATCH":
                found[2]["body"] = data.get("body")
                found[2]["updated_at"] = "2024-01-02T00:00:00Z"
                return Canned(200, found[2])
            if method == "DELETE":
                del self.comments[int(hit.group(1))]
                return Canned(204)
        return not_found()

    def _update_run(self, base: str, run_id: int, data: dict[str, Any], status: int) -> Canned:
        output = data.get("output") or {}
        notes = output.get("annotations") or []
        if len(notes) > 50:  # GitHub's limit, enforced the way GitHub does
            return self._unprocessable("Only 50 annotations are allowed per request")
        run = self.check_runs[run_id]
        for key in ("name", "head_sha", "details_url", "conclusion", "status", "completed_at"):
            if key in data:
                run[key] = data[key]
        if data.get("conclusion"):
            run["status"] = "completed"
        for key in ("title", "summary", "text"):
            if key in output:
                run["output"][key] = output[key]
        self.annotations[run_id].extend(notes)
        return Canned(status, self._run_body(base, run))

    def _run_body(self, base: str, run: dict[str, Any]) -> dict[str, Any]:
        run_id = run["id"]
        done = run.get("status") == "completed"
        return {
            "id": run_id,
            "node_id": f"CR_{run_id}",
            "head_sha": run["head_sha"],
            "external_id": None,
            "url": f"{base}/check-runs/{run_id}",
            "html_url": f"https://github.example/{run['repo']}/runs/{run_id}",
            "details_url": run.get("details_url"),
            "status": run.get("status") or "queued",
            "conclusion": run.get("conclusion"),
            "started_at": "2024-01-01T00:00:00Z",
            "completed_at": run.get("completed_at") if done else None,
            "name": run["name"],
            "check_suite": {"id": 7},
            "app": None,
            "pull_requests": [],
            "output": {
                "title": run["output"].get("title"),
                "summary": run["output"].get("summary"),
                "text": run["output"].get("text"),
                "annotations_count": len(self.annotations[run_id]),
                "annotations_url": f"{base}/check-runs/{run_id}/annotations",
            },
        }

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
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            split = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(split.path)
            query = dict(urllib.parse.parse_qsl(split.query))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                sent = json.loads(raw) if raw else None
            except ValueError:
                sent = raw.decode("utf-8", "replace")
            fake.requests.append(Seen(method, path, dict(self.headers.items()), sent))
            if method == "GET" and (hit := re.fullmatch(r"/download/(\d+)", path)):
                self._download(int(hit.group(1)))
                return
            if method == "GET" and (hit := re.fullmatch(r"/blobs/(\d+)\.json\.sn", path)):
                blob = fake.blobs.get(int(hit.group(1)))
                self.send_response(200 if blob is not None else 404)
                self.send_header("Content-Length", str(len(blob or b"")))
                self.end_headers()
                self.wfile.write(blob or b"")
                return
            asked = fake.check.request_errors(path, method, sent) if method != "GET" else []
            if asked:
                fake.schema_errors.extend(asked)
                canned = Canned(422, {"message": "Invalid request", "documentation_url": DOCS})
            else:
                canned = fake.answer(path, method, sent, query, dict(self.headers.items()))
            status, body = canned.status, canned.body
            if body is not None:
                problems = fake.check.errors(path, status, body, method)
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

        def _download(self, asset_id: int) -> None:
            """The storage host: raw bytes, with the faults scripted for this asset."""
            if asset_id not in fake.assets:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = fake.assets[asset_id][1]
            queue = fake.faults.get(asset_id)
            kind = queue.popleft() if queue else None
            if kind in ("502", "429"):
                self.send_response(int(kind))
                if kind == "429":
                    self.send_header("Retry-After", "7")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if kind == "reset":
                self.close_connection = True
                self.connection.shutdown(2)  # no answer at all: a reset connection
                return
            body = bytes([data[0] ^ 0xFF]) + data[1:] if kind == "corrupt" and data else data
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if kind == "truncate":
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
                return
            self.wfile.write(body)

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

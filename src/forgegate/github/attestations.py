"""A repository's attestation store: ``GET /repos/{owner}/{repo}/attestations/sha256:{digest}``
(what ``actions/attest-build-provenance`` writes and ``gh attestation verify`` reads) and
``POST /repos/{owner}/{repo}/attestations`` (what release-gate.yml stores its provenance with).

Through PyGithub's requester, with :class:`forgegate.github.retry.Retrier`'s bounded retries;
an unknown digest is an empty list, anything else that is refused is a :class:`GateError` that
names the permission or the fix.
"""

from __future__ import annotations

import json
from typing import Any

from github.GithubException import GithubException

from forgegate.errors import GateError
from forgegate.github.client import client
from forgegate.github.retry import Retrier, message


class AttestationStore:
    def __init__(self, base_url: str, token: str | None, *, timeout: int = 15) -> None:
        self.base_url = base_url.rstrip("/")
        self.retrier = Retrier(self.base_url, outcome="the attestation store was not read")
        self._gh = client(self.base_url, token, timeout=timeout)

    def _explain(self, err: GithubException, what: str, permission: str) -> GateError:
        said = message(err)
        if err.status in (401, 403):
            hint = f"the token needs `permissions: {permission}` (GITHUB_TOKEN in the workflow)"
        elif err.status == 404:
            hint = "check that the repository exists and the token can see it"
        else:
            hint = "retry the job"
        return GateError(f"cannot {what} (HTTP {err.status}: {said}); {hint}")

    def bundles(self, repo: str, sha256: str) -> list[bytes]:
        """The Sigstore bundles stored for the artifact whose digest is ``sha256`` (JSON)."""
        what = f"read the attestations of sha256:{sha256[:12]}… in {repo}"

        def get() -> Any:
            return self._gh.requester.requestJsonAndCheck(
                "GET", f"/repos/{repo}/attestations/sha256:{sha256}"
            )[1]

        try:
            data = self.retrier.call(get, what)
        except GithubException as err:
            if err.status == 404:
                return []  # GitHub answers 404 for a digest it has no attestation for
            raise self._explain(err, what, "attestations: read (or contents: read)") from None
        found = []
        for item in (data or {}).get("attestations") or []:
            if not isinstance(item, dict):
                continue
            bundle = item.get("bundle")
            if isinstance(bundle, dict):
                found.append(json.dumps(bundle).encode())
            elif isinstance(item.get("bundle_url"), str):
                found.append(self._fetch_bundle(item["bundle_url"], what))
        return found

    def _fetch_bundle(self, url: str, what: str) -> bytes:
        """A bundle GitHub keeps out of line: a snappy-compressed (block format) JSON document
        behind a signed storage URL, fetched without the token — as ``gh attestation`` does."""
        import cramjam
        import requests

        def get() -> bytes:
            response = requests.get(url, timeout=30)
            response.raise_for_status()
            return response.content

        data = self.retrier.call(get, f"fetch an attestation bundle to {what}")
        try:
            return bytes(cramjam.snappy.decompress_raw(data))
        except Exception as err:  # cramjam raises its own DecompressionError
            raise GateError(
                f"an attestation bundle of the store is not snappy-compressed JSON ({err}); "
                "it cannot be verified"
            ) from None

    def upload(self, repo: str, bundle: dict[str, Any]) -> int:
        """Store ``bundle`` (a Sigstore bundle with a DSSE in-toto envelope); its id."""
        what = f"store an attestation in {repo}"

        def post() -> Any:
            return self._gh.requester.requestJsonAndCheck(
                "POST", f"/repos/{repo}/attestations", input={"bundle": bundle}
            )[1]

        try:
            data = self.retrier.call(post, what)
        except GithubException as err:
            raise self._explain(err, what, "attestations: write") from None
        return int((data or {}).get("id") or 0)

"""forgegate release download|inventory against the loopback fake GitHub, faults included."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from forgegate.cli import main
from forgegate.errors import UsageError
from forgegate.supplychain import release as release_module
from forgegate.supplychain.release import sanitize

from . import github_server
from .github_server import FakeGitHub

fake_github = github_server.fake_github
REPO = "trailofbits/rfc8785.py"
WHEEL = "rfc8785-0.1.2-py3-none-any.whl"
TOKEN = "ghs_" + "r" * 36


def sums(files: dict[str, bytes]) -> bytes:
    return "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in files.items()).encode()


@pytest.fixture
def published(fake_github: FakeGitHub, shared_data: Path) -> dict[str, int]:
    assets = shared_data / "sigstore" / "sigstore-python"
    wheel = (assets / "bundle_v3_github.whl").read_bytes()
    notes = b"release notes\n"
    files = {
        WHEEL: wheel,
        WHEEL + ".sigstore.json": (assets / "bundle_v3_github.whl.sigstore").read_bytes(),
        "NOTES.txt": notes,
        "extra.bin": b"not in the manifest",
        "SHA256SUMS": sums({WHEEL: wheel, "NOTES.txt": notes}),
    }
    fake_github.add_repo(REPO)
    return fake_github.add_release(REPO, "v0.1.2", files)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(release_module, "_sleep", waits.append)
    monkeypatch.setattr(release_module, "_jitter", lambda: 0.0)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    return waits


def download(
    capsys: pytest.CaptureFixture[str], fake: FakeGitHub, dest: Path, *extra: str
) -> tuple[int, dict[str, Any], str]:
    argv = ["release", "download", "--repo", REPO, "--tag", "v0.1.2", "--dest", str(dest),
            "--base-url", fake.url, "--offline", "--ref-regexp", "refs/tags/v.*",
            "--format", "json", *extra]  # fmt: skip
    code = main(argv)
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    return code, (json.loads(out) if out.strip() else {}), err


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.glob(".*.part"))


def test_download_checks_and_verifies(
    published: dict[str, int],
    fake_github: FakeGitHub,
    slept: list[float],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dest = tmp_path / "dl"
    code, doc, err = download(capsys, fake_github, dest, "--pattern", "*.whl")
    assert code == 0, err
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        [WHEEL, WHEEL + ".sigstore.json", "SHA256SUMS"]
    )
    check = hashlib.sha256((dest / WHEEL).read_bytes()).hexdigest()
    assert check in (dest / "SHA256SUMS").read_text()
    # the token went to the API host, never to the storage host the download redirected to
    api = [r for r in fake_github.requests if r.path.startswith("/repos/")]
    storage = [r for r in fake_github.requests if r.path.startswith("/download/")]
    assert storage and all("Authorization" not in r.headers for r in storage)
    assert all(TOKEN in r.headers.get("Authorization", "") for r in api)

    code, doc, _ = download(capsys, fake_github, tmp_path / "all")
    assert code == 1
    rules = {f["rule"]: f["message"] for f in doc["findings"]}
    assert "extra.bin is not in SHA256SUMS" in rules["release/checksum-unlisted"]
    assert "NOTES.txt" in rules["release/attestation-missing"]  # a file without a bundle
    assert not (tmp_path / "all" / "extra.bin").exists()
    assert download(capsys, fake_github, tmp_path / "n", "--pattern", "*.whl",
                    "--allow-unsigned")[0] == 0  # fmt: skip


def test_faults_are_retried_with_backoff(
    published: dict[str, int],
    fake_github: FakeGitHub,
    slept: list[float],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_github.fault(published[WHEEL], "502", "429", "truncate", "reset")
    dest = tmp_path / "dl"
    code, _, err = download(capsys, fake_github, dest, "--pattern", "*.whl", "--max-retries", "4")
    assert code == 0, err
    assert slept == [0.5, 7.0, 2.0, 4.0]  # backoff 0.5·2^n, Retry-After honoured
    assert leftovers(dest) == []

    fake_github.fault(published[WHEEL], *["502"] * 3)
    code, _, err = download(capsys, fake_github, tmp_path / "b", "--pattern", "*.whl",
                            "--max-retries", "2")  # fmt: skip
    assert code == 3 and "after 3 attempt(s): HTTP 502" in err
    assert not (tmp_path / "b" / WHEEL).exists() and leftovers(tmp_path / "b") == []


def test_corrupt_asset_is_never_kept(
    published: dict[str, int],
    fake_github: FakeGitHub,
    slept: list[float],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_github.fault(published[WHEEL], "corrupt")
    dest = tmp_path / "dl"
    code, doc, _ = download(capsys, fake_github, dest, "--pattern", "*.whl")
    assert code == 1
    assert [f["rule"] for f in doc["findings"]] == ["release/checksum-mismatch"]
    assert not (dest / WHEEL).exists() and leftovers(dest) == []


def test_bad_options_and_unknown_tag(
    published: dict[str, int],
    fake_github: FakeGitHub,
    slept: list[float],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert download(capsys, fake_github, tmp_path, "--timeout", "0")[0] == 2
    assert download(capsys, fake_github, tmp_path, "--max-retries", "99")[0] == 2
    assert download(capsys, fake_github, tmp_path, "--pattern", "*.exe")[0] == 3
    code = main(["release", "download", "--repo", REPO, "--tag", "v9", "--dest", str(tmp_path),
                 "--base-url", fake_github.url, "--offline"])  # fmt: skip
    assert code == 3 and "release v9" in capsys.readouterr().err


def test_asset_names_are_sanitised() -> None:
    assert sanitize("../../etc/cron.d/evil") == "evil"
    assert sanitize("a\x1b[31mb.whl") == "a__31mb.whl"
    assert sanitize(".hidden") == "hidden"
    assert sanitize("ok-1.0+local.tar.gz") == "ok-1.0+local.tar.gz"
    for bad in ("..", ".", "", "///"):
        with pytest.raises(UsageError):
            sanitize(bad)


def test_inventory_lists_the_backfill(
    fake_github: FakeGitHub, slept: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_github.add_repo("o/r")
    a, b = b"a-bytes", b"b-bytes"
    fake_github.add_release("o/r", "v1", {"a.whl": a, "b.whl": b})
    fake_github.add_release(
        "o/r", "v2", {"a.whl": a, "a.whl.sigstore.json": b"{}", "b.whl": b,
                      "SHA256SUMS": sums({"a.whl": a})},
    )  # fmt: skip
    argv = ["release", "inventory", "--repo", "o/r", "--base-url", fake_github.url]
    assert main([*argv, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["assets"]
    table = {(r["release"], r["asset"]): (r["checksum"], r["bundle"]) for r in rows}
    assert table == {
        ("v2", "a.whl"): ("listed", True),
        ("v2", "b.whl"): ("unlisted", False),
        ("v1", "a.whl"): ("no SHA256SUMS", False),
        ("v1", "b.whl"): ("no SHA256SUMS", False),
    }
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "MISSING" in out and "4 asset(s), 3 need a backfill" in err


def test_manifest_disagreeing_with_githubs_digest(
    fake_github: FakeGitHub, slept: list[float], tmp_path: Path, shared_data: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """A SHA256SUMS that names other bytes than GitHub hashed at upload: nothing is fetched."""
    wheel = (shared_data / "sigstore" / "sigstore-python" / "bundle_v3_github.whl").read_bytes()
    fake_github.add_repo(REPO)
    fake_github.add_release(
        REPO, "v0.1.2", {WHEEL: wheel, "SHA256SUMS": sums({WHEEL: wheel + b"tampered"})}
    )
    code, doc, _ = download(capsys, fake_github, tmp_path / "dl", "--allow-unsigned")
    assert code == 1
    [finding] = doc["findings"]
    assert (
        finding["rule"] == "release/checksum-mismatch" and "GitHub computed" in finding["message"]
    )
    assert not (tmp_path / "dl" / WHEEL).exists()
    assert fake_github.hits("/download/") == 1  # only SHA256SUMS was fetched

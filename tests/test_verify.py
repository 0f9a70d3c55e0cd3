"""forgegate verify against real Sigstore bundles (../shared/data/sigstore, see its MANIFEST)."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from sigstore.models import Bundle

from forgegate.cli import main
from forgegate.errors import UsageError
from forgegate.supplychain.verify import _sans, build_policy

from . import github_server
from .github_server import FakeGitHub, server_error

GITHUB_IDENTITY = (
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
)
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)


@pytest.fixture
def assets(shared_data: Path) -> Path:
    return shared_data / "sigstore" / "sigstore-python"


def _verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object], str]:
    code = main(["verify", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, err


def _identity(bundle: Path) -> str:
    return _sans(Bundle.from_json(bundle.read_bytes()).signing_certificate)[0]


def _reasons(doc: dict[str, object]) -> list[str]:
    findings = doc["findings"]
    assert isinstance(findings, list)
    return [f["message"] for f in findings]


# --- good bundles ---


def test_production_github_bundle_offline(assets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whl = assets / "bundle_v3_github.whl"
    code, doc, _ = _verify(
        capsys,
        str(whl),
        "--offline",
        "--cert-identity",
        GITHUB_IDENTITY,
        "--cert-oidc-issuer",
        GITHUB_ISSUER,
    )
    assert code == 0, doc
    code, _, _ = _verify(
        capsys,
        str(whl),
        "--offline",
        "--repo",
        "trailofbits/rfc8785.py",
        "--ref-regexp",
        r"refs/tags/v.*",
    )
    assert code == 0
    code, _, _ = _verify(
        capsys,
        str(whl),
        "--offline",
        "--repo",
        "trailofbits/rfc8785.py",
        "--workflow",
        ".github/workflows/release.yml",
        "--ref",
        "refs/tags/v0.1.2",
        "--deny-self-hosted-runners",
    )
    assert code == 0


def test_staging_bundles_with_their_identities(
    assets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("bundle_v3.txt", "bundle_v3_alt.txt"):
        bundle = assets / f"{name}.sigstore"
        identity = _identity(bundle)
        code, doc, _ = _verify(
            capsys,
            str(assets / name),
            "--staging",
            "--offline",
            "--cert-identity",
            identity,
            "--cert-identity",
            "someone-else@example.com",
            "--cert-oidc-issuer",
            "https://github.com/login/oauth",
        )
        assert code == 0, (name, doc)


def test_dsse_bundle_envelope_verifies_and_the_subject_is_checked(
    assets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real DSSE bundle's envelope and log entry verify (the failure is the subject check:
    its statement names a digest no shipped file has), and a wrong signer fails earlier."""
    artifact = assets / "a.txt"
    bundle = assets / "a.dsse.staging-rekor-v2.txt.sigstore.json"
    pinned = ["--staging", "--offline", "--cert-oidc-issuer", GITHUB_ISSUER]
    code, doc, _ = _verify(
        capsys, str(artifact), "--bundle", str(bundle), "--cert-identity", BEACON, *pinned
    )
    assert code == 1
    assert "subjects do not include sha256:" in _reasons(doc)[0]
    code, doc, _ = _verify(
        capsys,
        str(artifact),
        "--bundle",
        str(bundle),
        "--cert-identity",
        "https://x.example/y",
        *pinned,
    )
    assert code == 1
    assert "subjects do not include" not in _reasons(doc)[0]


def test_statement_subject_match() -> None:
    from sigstore.errors import VerificationError

    from forgegate.supplychain.verify import _check_statement

    data = b"artifact bytes"
    digest = hashlib.sha256(data).hexdigest()
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "a", "digest": {"sha256": digest}}],
    }
    _check_statement("application/vnd.in-toto+json", json.dumps(statement).encode(), digest)
    with pytest.raises(VerificationError, match="payload type"):
        _check_statement("text/plain", json.dumps(statement).encode(), digest)
    other = hashlib.sha256(b"other").hexdigest()
    with pytest.raises(VerificationError, match="do not include"):
        _check_statement("application/vnd.in-toto+json", json.dumps(statement).encode(), other)


def test_artifacts_are_never_read_whole(
    assets: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Artifacts are hashed streaming and handed to sigstore prehashed: a multi-GB release
    file costs constant memory. Reading one whole would fail this test."""
    whl = assets / "bundle_v3_github.whl"
    real = Path.read_bytes

    def guarded(self: Path) -> bytes:
        assert self != whl, "the artifact was read into memory"
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    code, _, err = _verify(capsys, str(whl), "--offline", "--repo", "trailofbits/rfc8785.py")
    assert code == 0, err


# --- what must be rejected ---

BROKEN = [
    "bundle_invalid_version.txt",
    "bundle_no_cert_v1.txt",
    "bundle_no_checkpoint.txt",
    "bundle_no_log_entry.txt",
]


@pytest.mark.parametrize("name", BROKEN)
def test_broken_bundles_fail(name: str, assets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, _ = _verify(
        capsys,
        str(assets / name),
        "--staging",
        "--offline",
        "--cert-identity-regexp",
        ".*",
        "--cert-oidc-issuer",
        "https://github.com/login/oauth",
    )
    assert code == 1
    assert [f["rule"] for f in doc["findings"]] == ["release/attestation-invalid"]  # type: ignore[index,union-attr]


def test_bundle_without_signed_time_fails(assets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = "bundle_v3_no_signed_time.txt"
    code, _, _ = _verify(
        capsys,
        str(assets / name),
        "--bundle",
        str(assets / f"{name}.sigstore.json"),
        "--staging",
        "--offline",
        "--cert-identity-regexp",
        ".*",
        "--cert-oidc-issuer",
        "https://github.com/login/oauth",
    )
    assert code == 1


def test_wrong_artifact_identity_issuer_and_instance(
    assets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = assets / "bundle_v3.txt.sigstore"
    identity = _identity(bundle)
    staging = ["--staging", "--offline"]
    right = ["--cert-identity", identity, "--cert-oidc-issuer", "https://github.com/login/oauth"]
    cases = {
        "wrong artifact": [
            str(assets / "bundle_v3_alt.txt"),
            "--bundle",
            str(bundle),
            *staging,
            *right,
        ],
        "wrong identity": [
            str(assets / "bundle_v3.txt"),
            *staging,
            "--cert-identity",
            "mallory@example.com",
            "--cert-oidc-issuer",
            "https://github.com/login/oauth",
        ],
        "wrong issuer": [
            str(assets / "bundle_v3.txt"),
            *staging,
            "--cert-identity",
            identity,
            "--cert-oidc-issuer",
            "https://accounts.google.com",
        ],
        "wrong instance": [str(assets / "bundle_v3.txt"), "--offline", *right],
    }
    for case, argv in cases.items():
        code, doc, _ = _verify(capsys, *argv)
        assert code == 1, case
        assert _reasons(doc), case

    tampered = tmp_path / "bundle_v3.txt"
    data = bytearray((assets / "bundle_v3.txt").read_bytes())
    data[0] ^= 1  # one byte changed
    tampered.write_bytes(bytes(data))
    shutil.copy(bundle, tmp_path / "bundle_v3.txt.sigstore")
    code, _, _ = _verify(capsys, str(tampered), *staging, *right)
    assert code == 1


def test_github_extensions_are_checked(assets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whl = str(assets / "bundle_v3_github.whl")
    code, doc, _ = _verify(
        capsys, whl, "--offline", "--repo", "trailofbits/rfc8785.py", "--ref", "refs/tags/v9.9.9"
    )
    assert code == 1
    code, doc, _ = _verify(
        capsys,
        whl,
        "--offline",
        "--repo",
        "trailofbits/rfc8785.py",
        "--trigger",
        "workflow_dispatch",
    )
    assert code == 1 and "not workflow_dispatch" in _reasons(doc)[0]


def test_signer_repo_pins_the_workflow_and_the_source_repository(
    assets: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--signer-repo/--signer-workflow pin the identity (a reusable workflow signs for its
    caller); --repo is then the source repository the certificate's extensions must name. The
    real bundle's signer and source are the same repository, which exercises both halves."""
    whl = str(assets / "bundle_v3_github.whl")
    base = ["--offline", "--signer-repo", "trailofbits/rfc8785.py"]
    code, _, err = _verify(
        capsys, whl, *base, "--repo", "trailofbits/rfc8785.py",
        "--signer-workflow", ".github/workflows/release.yml", "--ref-regexp", "refs/tags/v.*",
    )  # fmt: skip
    assert code == 0, err
    code, doc, _ = _verify(capsys, whl, *base, "--repo", "mallory/rfc8785.py")
    assert code == 1 and "signed in trailofbits/rfc8785.py, not mallory" in _reasons(doc)[0]
    code, doc, _ = _verify(
        capsys, whl, *base, "--repo", "trailofbits/rfc8785.py",
        "--signer-workflow", ".github/workflows/release-gate.yml",
    )  # fmt: skip
    assert code == 1 and "identity" in _reasons(doc)[0]
    code, doc, _ = _verify(
        capsys, whl, "--offline", "--repo", "trailofbits/rfc8785.py",
        "--signer-repo", "forgegate/forgegate",
    )  # fmt: skip
    assert code == 1
    assert _verify(capsys, whl, "--offline", "--signer-repo", "x/y")[0] == 2
    assert _verify(capsys, whl, "--offline", "--repo", "a/b", "--signer-workflow", "w.yml")[0] == 2


# --- missing bundles, many artifacts, usage ---


def test_many_artifacts_one_call_one_result_each(
    assets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copies = []
    for i in range(6):
        target = tmp_path / f"copy{i}.whl"
        shutil.copy(assets / "bundle_v3_github.whl", target)
        shutil.copy(assets / "bundle_v3_github.whl.sigstore", tmp_path / f"copy{i}.whl.sigstore")
        copies.append(str(target))
    unsigned = tmp_path / "unsigned.whl"
    unsigned.write_bytes(b"PK")
    pinned = ["--offline", "--repo", "trailofbits/rfc8785.py"]
    code, doc, err = _verify(capsys, *copies, str(unsigned), *pinned)
    assert code == 1
    assert [f["rule"] for f in doc["findings"]] == ["release/attestation-missing"]  # type: ignore[index,union-attr]
    assert "6 of 7 artifact(s) verified" in err
    code, _, _ = _verify(capsys, *copies, str(unsigned), *pinned, "--allow-unsigned")
    assert code == 0


def test_identity_is_required(assets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", str(assets / "bundle_v3_github.whl"), "--offline"])
    assert code == 2
    assert "pin the signer" in capsys.readouterr().err
    with pytest.raises(UsageError, match="--cert-oidc-issuer is required"):
        build_policy(identities=["a@b"])


# --- --from-github: the repository's attestation store (loopback fake GitHub) ---

fake_github = github_server.fake_github


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_from_github_verifies_what_the_store_holds(
    assets: Path,
    fake_github: FakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    fake_github.add_repo("trailofbits/rfc8785.py")
    whl = tmp_path / "rfc8785.whl"  # no bundle beside it
    shutil.copy(assets / "bundle_v3_github.whl", whl)
    stored = json.loads((assets / "bundle_v3_github.whl.sigstore").read_text())
    base = [str(whl), "--offline", "--repo", "trailofbits/rfc8785.py",
            "--from-github", "trailofbits/rfc8785.py", "--base-url", fake_github.url]  # fmt: skip
    code, doc, err = _verify(capsys, *base)
    assert code == 1 and "or in the attestation store of trailofbits/rfc8785.py" in err + str(doc)
    assert fake_github.hits(f"/attestations/sha256:{_digest(whl)}") == 1
    assert _verify(capsys, *base, "--allow-unsigned")[0] == 0

    fake_github.attest("trailofbits/rfc8785.py", _digest(whl), {"mediaType": "x"})  # broken
    fake_github.attest("trailofbits/rfc8785.py", _digest(whl), stored)
    code, doc, err = _verify(capsys, *base)
    assert code == 0, err  # the second stored bundle verifies

    code, doc, _ = _verify(capsys, *base[:3], "mallory/rfc8785.py", *base[4:])
    assert code == 1 and "none of the 2 attestation(s)" in _reasons(doc)[0]


def test_from_github_dsse_attestation_subject_is_checked(
    assets: Path, fake_github: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_github.add_repo("o/r")
    artifact = tmp_path / "a.txt"
    shutil.copy(assets / "a.txt", artifact)
    dsse = json.loads((assets / "a.dsse.staging-rekor-v2.txt.sigstore.json").read_text())
    fake_github.attest("o/r", _digest(artifact), dsse)
    code, doc, _ = _verify(
        capsys, str(artifact), "--staging", "--offline", "--cert-identity", BEACON,
        "--cert-oidc-issuer", GITHUB_ISSUER, "--from-github", "o/r", "--base-url", fake_github.url,
    )  # fmt: skip
    assert code == 1 and "subjects do not include sha256:" in _reasons(doc)[0]


def test_from_github_refused_or_down_fails_closed(
    assets: Path,
    fake_github: FakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from forgegate.github import retry

    monkeypatch.setattr(retry, "_sleep", lambda _s: None)
    fake_github.add_repo("o/r")
    whl = tmp_path / "x.whl"
    whl.write_bytes(b"wheel")
    argv = [str(whl), "--offline", "--repo", "o/r", "--from-github", "o/r",
            "--base-url", fake_github.url]  # fmt: skip
    fake_github.script("/attestations/", github_server.Canned(403, {"message": "Forbidden"}))
    code, _, err = _verify(capsys, *argv)
    assert code == 3 and "attestations: read" in err
    fake_github.script("/attestations/", *[server_error(502)] * 4)
    code, _, err = _verify(capsys, *argv)
    assert code == 3 and "HTTP 502" in err
    assert _verify(capsys, *argv[:-4], "--from-github", "not a repo")[0] == 2


def test_attestation_upload_round_trip(assets: Path, fake_github: FakeGitHub) -> None:
    from forgegate.github.attestations import AttestationStore

    fake_github.add_repo("o/r")
    dsse = json.loads((assets / "a.dsse.staging-rekor-v2.txt.sigstore.json").read_text())
    store = AttestationStore(fake_github.url, "ghs_" + "t" * 36)
    assert store.upload("o/r", dsse) > 0
    subject = json.loads(base64.b64decode(dsse["dsseEnvelope"]["payload"]))["subject"][0]
    assert store.bundles("o/r", subject["digest"]["sha256"]) == [json.dumps(dsse).encode()]
    assert store.bundles("o/r", "0" * 64) == []


def test_attest_command_stores_what_verify_from_github_finds(
    assets: Path,
    fake_github: FakeGitHub,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_github.add_repo("o/r")
    dsse = assets / "a.dsse.staging-rekor-v2.txt.sigstore.json"
    argv = ["attest", str(dsse), "--repo", "o/r", "--base-url", fake_github.url]
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert main(argv) == 2 and "attestations: write" in capsys.readouterr().err
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_" + "k" * 36)
    assert main(argv) == 0
    assert "stored" in capsys.readouterr().err
    posted = [r for r in fake_github.requests if r.method == "POST"]
    assert len(posted) == 1 and posted[0].path == "/repos/o/r/attestations"
    assert main(["attest", str(assets / "bundle_v3_github.whl.sigstore"), "--repo", "o/r",
                 "--base-url", fake_github.url]) == 2  # fmt: skip
    assert "not a DSSE attestation" in capsys.readouterr().err
    fake_github.script("/attestations", github_server.Canned(403, {"message": "no"}), method="POST")
    assert main(argv) == 3
    assert "attestations: write" in capsys.readouterr().err


def test_from_github_fetches_out_of_line_bundles(
    assets: Path, fake_github: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """GitHub usually answers with a ``bundle_url`` (a snappy-compressed blob on its storage
    host) instead of the bundle itself: it is fetched, without the token, and verified."""
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_" + "z" * 36)
    fake_github.add_repo("trailofbits/rfc8785.py")
    whl = tmp_path / "rfc8785.whl"
    shutil.copy(assets / "bundle_v3_github.whl", whl)
    stored = json.loads((assets / "bundle_v3_github.whl.sigstore").read_text())
    fake_github.attest("trailofbits/rfc8785.py", _digest(whl), stored, inline=False)
    code, _, err = _verify(
        capsys, str(whl), "--offline", "--repo", "trailofbits/rfc8785.py",
        "--from-github", "trailofbits/rfc8785.py", "--base-url", fake_github.url,
    )  # fmt: skip
    assert code == 0, err
    [blob] = [r for r in fake_github.requests if r.path.startswith("/blobs/")]
    assert "Authorization" not in blob.headers

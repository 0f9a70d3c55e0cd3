"""SHA-256 manifests: what sha256sum writes and reads, unsafe names refused, mismatches found."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from forgegate.errors import UsageError
from forgegate.supplychain.checksums import (
    Entry,
    ManifestError,
    create_entries,
    parse_manifest,
    render_manifest,
    sha256_file,
    verify_entries,
)


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "sub").mkdir(parents=True)
    (root / "pkg-1.0.tar.gz").write_bytes(b"\x1f\x8b" + bytes(range(256)) * 50)
    (root / "pkg-1.0-py3-none-any.whl").write_bytes(b"PK\x03\x04" + b"wheel" * 1000)
    (root / "sub" / "notes with space.txt").write_text("release notes\n")
    return root


# --- create ---


def test_created_manifest_is_accepted_by_sha256sum(dist: Path) -> None:
    files = sorted(p for p in dist.rglob("*") if p.is_file())
    text = render_manifest(create_entries(files, dist))
    (dist / "SHA256SUMS").write_text(text)
    assert text.splitlines()[0].endswith("  pkg-1.0-py3-none-any.whl")
    if shutil.which("sha256sum") is None:
        pytest.skip("SKIPPED LOUDLY: sha256sum not installed; cannot cross-check the format")
    proc = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=dist, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count(": OK") == 3


def test_binary_mode_and_sha256sum_output_are_read(dist: Path) -> None:
    if shutil.which("sha256sum") is None:
        pytest.skip("SKIPPED LOUDLY: sha256sum not installed")
    out = subprocess.run(
        ["sha256sum", "-b", "pkg-1.0.tar.gz", "sub/notes with space.txt"],
        cwd=dist,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    entries = parse_manifest(out)
    assert [e.binary for e in entries] == [True, True]
    assert entries[1].name == "sub/notes with space.txt"
    assert entries[0].digest == sha256_file(dist / "pkg-1.0.tar.gz")


def test_streaming_digest_matches_hashlib_on_a_large_file(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    chunk = hashlib.sha256(b"seed").digest() * 32768  # 1 MiB
    with big.open("wb") as stream:
        for _ in range(24):
            stream.write(chunk)
    assert sha256_file(big) == hashlib.sha256(chunk * 24).hexdigest()


def test_files_outside_the_base_are_refused(dist: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("x")
    with pytest.raises(UsageError, match="not inside"):
        create_entries([outside], dist)


# --- parsing: unsafe names are refused before any file is opened ---


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("/etc/passwd", "absolute"),
        ("C:/Windows/win.ini", "absolute"),
        ("../secrets.txt", "'..'"),
        ("dist/../../x", "'..'"),
        ("./a", "'.'"),
        ("dir\\file", "backslash"),
        ("a\x1bb", "control character"),
    ],
)
def test_unsafe_names_are_rejected(name: str, why: str) -> None:
    with pytest.raises(ManifestError, match=why):
        parse_manifest(f"{'0' * 64}  {name}\n")


def test_escaped_and_malformed_lines_are_rejected() -> None:
    with pytest.raises(ManifestError, match="SHA256SUMS:2: escaped name"):
        parse_manifest(f"{'a' * 64}  ok.txt\n\\{'b' * 64}  new\\nline\n")
    with pytest.raises(ManifestError, match=":1: not '<sha256> <name>'"):
        parse_manifest("abc  short-digest.txt\n")
    with pytest.raises(ManifestError, match="listed twice"):
        parse_manifest(f"{'a' * 64}  x\n{'b' * 64}  x\n")


def test_nul_in_a_name_is_rejected() -> None:
    with pytest.raises(ManifestError, match="NUL"):
        parse_manifest(f"{'a' * 64}  a\0b\n")


# --- verify ---


def test_verify_finds_mismatch_missing_and_unlisted(dist: Path) -> None:
    files = [dist / "pkg-1.0.tar.gz", dist / "pkg-1.0-py3-none-any.whl"]
    entries = create_entries(files, dist)
    entries.append(Entry("0" * 64, "pkg-1.0.zip"))
    (dist / "pkg-1.0-py3-none-any.whl").write_bytes(b"PK\x03\x04tampered")
    problems, verified = verify_entries(
        entries, dist, ["pkg-1.0.tar.gz", "sub/notes with space.txt"]
    )
    assert verified == 2
    assert sorted((p.kind, p.name) for p in problems) == [
        ("mismatch", "pkg-1.0-py3-none-any.whl"),
        ("missing", "pkg-1.0.zip"),
        ("unlisted", "sub/notes with space.txt"),
    ]


def test_verify_clean(dist: Path) -> None:
    files = sorted(p for p in dist.rglob("*") if p.is_file())
    problems, verified = verify_entries(create_entries(files, dist), dist)
    assert problems == [] and verified == 3


# --- the commands ---


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from forgegate.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_create_then_verify_through_the_cli(
    dist: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    monkeypatch.chdir(dist.parent)
    files = ["dist/pkg-1.0.tar.gz", "dist/pkg-1.0-py3-none-any.whl"]
    assert _cli(capsys, "checksums", "create", *files, "--output", "dist/SHA256SUMS")[0] == 0
    code, out, _ = _cli(
        capsys, "checksums", "verify", "--manifest", "dist/SHA256SUMS", *files, "--format", "json"
    )
    assert code == 0 and json.loads(out)["result"]["failed"] is False

    (dist / "pkg-1.0.tar.gz").write_bytes(b"tampered")
    code, out, _ = _cli(
        capsys,
        "checksums",
        "verify",
        "--manifest",
        "dist/SHA256SUMS",
        *files,
        "dist/sub/notes with space.txt",
        "--format",
        "json",
    )
    found = sorted((f["rule"], f["path"]) for f in json.loads(out)["findings"])
    assert code == 1
    assert found == [
        ("release/checksum-mismatch", "pkg-1.0.tar.gz"),
        ("release/checksum-unlisted", "sub/notes with space.txt"),
    ]


def test_verify_fails_closed(dist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = dist / "SHA256SUMS"
    code, _, err = _cli(capsys, "checksums", "verify", "--manifest", str(manifest))
    assert code == 3 and "no checksum manifest" in err
    code, _, err = _cli(
        capsys, "checksums", "verify", "--manifest", str(manifest), "--allow-missing-manifest"
    )
    assert code == 0 and "nothing verified" in err
    manifest.write_text(f"{'0' * 64}  ../../etc/passwd\n")
    code, _, err = _cli(capsys, "checksums", "verify", "--manifest", str(manifest))
    assert code == 3 and "refused" in err and "nothing was verified" in err

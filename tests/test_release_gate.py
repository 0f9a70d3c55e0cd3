"""release-gate.yml's scripts (actions/release/*.sh), run the way the workflow runs them.

Signing needs Fulcio and Rekor and happens only on GitHub; everything around it runs here: what
is written beside the build (provenance, SHA256SUMS, SBOM), what is refused, and that a bundle
from any other signer than release-gate.yml stops the release before anything is uploaded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO_ROOT
from .test_provenance import ENV
from .test_sbom import UV_LOCK

FORGEGATE = Path(sys.executable).with_name("forgegate")
SCRIPTS = REPO_ROOT / "actions" / "release"


def run(
    script: str, tmp_path: Path, **env: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    from .action_harness import parse_command_file

    output = tmp_path / "github-output"
    output.write_text("")
    proc = subprocess.run(
        ["bash", str(SCRIPTS / script)],
        cwd=tmp_path,
        env={
            **os.environ,
            **ENV,
            "FORGEGATE_BIN": str(FORGEGATE),
            "GITHUB_OUTPUT": str(output),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc, parse_command_file(output.read_text())


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    path = tmp_path / "release"
    path.mkdir()
    (path / "demo-1.0.tar.gz").write_bytes(b"sdist bytes")
    (path / "demo-1.0-py3-none-any.whl").write_bytes(b"wheel bytes")
    return path


def test_collect_writes_provenance_checksums_and_sbom(dist: Path, tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text(UV_LOCK)
    proc, out = run("collect.sh", tmp_path, DIST=str(dist), FORGEGATE_SBOM_LOCK=str(lock))
    assert proc.returncode == 0, proc.stderr
    build = sorted(out["build"].split())
    assert build == sorted(str(p) for p in dist.glob("demo-*"))
    statement = json.loads((dist / "provenance.intoto.json").read_text())
    assert sorted(s["name"] for s in statement["subject"]) == sorted(Path(b).name for b in build)
    check = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=dist, capture_output=True, text=True, check=False
    )
    assert check.returncode == 0 and check.stdout.count(": OK") == 2
    assert json.loads((dist / "sbom.cdx.json").read_text())["bomFormat"] == "CycloneDX"
    assert out["provenance"] == str(dist / "provenance.intoto.json")
    assert sorted(out["sign"].split()) == sorted(
        [*build, str(dist / "SHA256SUMS"), str(dist / "sbom.cdx.json")]
    )
    files = out["files"].splitlines()
    assert str(dist / "provenance.intoto.json.sigstore.json") in files and len(files) == 10


def test_collect_without_a_lock_says_there_is_no_sbom(dist: Path, tmp_path: Path) -> None:
    proc, out = run("collect.sh", tmp_path, DIST=str(dist))
    assert proc.returncode == 0, proc.stderr
    assert "no sbom-lock given" in proc.stdout
    assert not (dist / "sbom.cdx.json").exists() and "sbom" not in out["sign"]


def test_collect_refuses_an_empty_artifact_and_odd_names(dist: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    proc, _ = run("collect.sh", tmp_path, DIST=str(empty))
    assert proc.returncode == 3 and "holds no files" in proc.stderr
    (dist / "my file.whl").write_bytes(b"x")
    proc, _ = run("collect.sh", tmp_path, DIST=str(dist))
    assert proc.returncode == 3 and "whitespace" in proc.stderr
    assert not (dist / "provenance.intoto.json").exists()  # refused before anything is written


def test_verify_refuses_bundles_of_any_other_signer(tmp_path: Path, shared_data: Path) -> None:
    """A real production bundle, signed by another repository's workflow: not release-gate.yml."""
    assets = shared_data / "sigstore" / "sigstore-python"
    dist = tmp_path / "release"
    dist.mkdir()
    shutil.copy(assets / "bundle_v3_github.whl", dist / "rfc8785.whl")
    shutil.copy(assets / "bundle_v3_github.whl.sigstore", dist / "rfc8785.whl.sigstore.json")
    env = {
        "DIST": str(dist),
        "FORGEGATE_BUILD": str(dist / "rfc8785.whl"),
        "FORGEGATE_VERIFY_OFFLINE": "true",
    }
    proc, _ = run("verify.sh", tmp_path, FORGEGATE_SIGNER_REPOSITORY="forgegate/forgegate", **env)
    assert proc.returncode == 1
    assert "::error file=" in proc.stdout and "rfc8785.whl" in proc.stdout
    # the bundle itself is sound: pinned to the workflow that did sign it, it verifies
    good = subprocess.run(
        [str(FORGEGATE), "verify", str(dist / "rfc8785.whl"), "--offline", "--repo",
         "trailofbits/rfc8785.py", "--ref-regexp", "refs/tags/v.*"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert good.returncode == 0, good.stderr

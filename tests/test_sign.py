"""forgegate sign up to the signer (Fulcio and Rekor are only reachable on a real runner)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forgegate.cli import main
from forgegate.errors import GateError, UsageError
from forgegate.supplychain.sign import identity_token, plan


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    path = tmp_path / "pkg-1.0.tar.gz"
    path.write_bytes(b"sdist")
    return path


def test_plan_puts_bundles_beside_artifacts(artifact: Path) -> None:
    (item,) = plan([artifact])
    assert item.bundle == artifact.with_name("pkg-1.0.tar.gz.sigstore.json")


def test_plan_refuses_to_overwrite_and_missing_files(artifact: Path, tmp_path: Path) -> None:
    bundle = artifact.with_name(artifact.name + ".sigstore.json")
    bundle.write_text("{}")
    with pytest.raises(UsageError, match="--overwrite"):
        plan([artifact])
    assert plan([artifact], overwrite=True)[0].bundle == bundle
    with pytest.raises(UsageError, match="not a file"):
        plan([tmp_path / "missing.whl"])


def test_token_discovery() -> None:
    assert identity_token("eyJ.explicit.token", detect=lambda: "ambient") == "eyJ.explicit.token"
    assert identity_token(None, detect=lambda: "ambient") == "ambient"
    with pytest.raises(GateError, match="id-token: write"):
        identity_token(None, detect=lambda: None)

    def broken() -> str | None:
        raise RuntimeError("metadata server unreachable")

    with pytest.raises(GateError, match="metadata server unreachable"):
        identity_token(None, detect=broken)


def test_cli_without_a_token_fails_clearly(
    artifact: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["sign", str(artifact)]) == 3
    err = capsys.readouterr().err
    assert "permissions: id-token: write" in err and "--identity-token" in err
    assert not artifact.with_name(artifact.name + ".sigstore.json").exists()


def test_cli_refuses_an_existing_bundle(artifact: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = artifact.with_name(artifact.name + ".sigstore.json")
    bundle.write_text('{"keep": true}')
    assert main(["sign", str(artifact), "--identity-token", "x.y.z"]) == 2
    assert bundle.read_text() == '{"keep": true}'
    assert "--overwrite" in capsys.readouterr().err


# --- --dsse: in-toto statements, checked before any signing ---


def test_dsse_plan_accepts_real_provenance_statements(shared_data: Path) -> None:
    from sigstore.dsse import Statement

    for name in (
        "slsa-provenance-v1-example.actions-workflow.json",
        "slsa-provenance-v1-example.slsa-github-actions-workflow.json",
    ):
        statement = shared_data / "schemas" / name
        (item,) = plan([statement], overwrite=True, dsse=True)
        assert item.statement == statement.read_bytes()
        assert Statement(item.statement)._inner.predicate_type == "https://slsa.dev/provenance/v1"


def test_dsse_refuses_what_is_not_a_statement(
    artifact: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(UsageError, match="not JSON"):
        plan([artifact], dsse=True)
    other = tmp_path / "sbom.json"
    other.write_text('{"bomFormat": "CycloneDX"}')
    with pytest.raises(UsageError, match="not an in-toto statement"):
        plan([other], dsse=True)
    empty = tmp_path / "empty.intoto.json"
    empty.write_text('{"_type": "https://in-toto.io/Statement/v1", "subject": []}')
    with pytest.raises(UsageError, match="no subject"):
        plan([empty], dsse=True)
    # the CLI says so before it looks for a token (exit 2, not 3)
    assert main(["sign", "--dsse", str(other)]) == 2
    assert "not an in-toto statement" in capsys.readouterr().err

"""deps/license-denied: SPDX expressions against allow/deny lists, and `forgegate licenses`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forgegate.cli import main
from forgegate.errors import UsageError
from forgegate.supplychain.license_policy import LicensePolicy

# --- the policy: expressions, lists, unknowns ---


@pytest.mark.parametrize(
    ("licenses", "status"),
    [
        (["MIT OR GPL-3.0-only"], "allowed"),  # one branch is enough
        (["MIT AND GPL-3.0-only"], "denied"),  # both are needed
        (["(Apache-2.0 OR GPL-3.0-only) AND MIT"], "allowed"),
        (["GPL-3.0-only WITH GCC-exception-3.1"], "denied"),  # judged by its license
        (["Apache-2.0", "BSD-3-Clause"], "allowed"),  # classifiers: a choice
        (["GPL-3.0-only", "AGPL-3.0-only"], "denied"),
        (["mit"], "allowed"),  # SPDX ids are case-insensitive
        ([], "unknown"),
        (["Proprietary Foo License"], "unknown"),
        (["MIT AND ("], "unknown"),
        (["GPL-3.0-only OR Foo"], "unknown"),  # cannot tell: the other branch is unreadable
    ],
)
def test_deny_list(licenses: list[str], status: str) -> None:
    policy = LicensePolicy(deny=["GPL-3.0-only", "AGPL-3.0-only"])
    assert policy.judge(licenses).status == status


def test_allow_list_and_exceptions() -> None:
    policy = LicensePolicy(allow=["MIT", "Apache-2.0", "GPL-2.0-only WITH Classpath-exception-2.0"])
    assert policy.judge(["Apache-2.0 AND MIT"]).status == "allowed"
    denied = policy.judge(["BSD-3-Clause"])
    assert denied.status == "denied" and "not on the allow list" in denied.reason
    assert policy.judge(["GPL-2.0-only WITH Classpath-exception-2.0"]).status == "allowed"
    assert policy.judge(["GPL-2.0-only"]).status == "denied"
    assert LicensePolicy().judge(["AGPL-3.0-only"]).status == "allowed"  # no lists: no denial


def test_bad_lists_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="not an SPDX license id"):
        LicensePolicy(deny=["Not-A-License"])
    with pytest.raises(UsageError, match="both allowed and denied"):
        LicensePolicy(allow=["MIT"], deny=["MIT"])


# --- forgegate licenses ---


def dist(site: Path, name: str, version: str, *headers: str) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.4", f"Name: {name}", f"Version: {version}", *headers]
    (info / "METADATA").write_text("\n".join(lines) + "\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "site-packages"
    dist(path, "permissive", "1.0", "License-Expression: MIT OR Apache-2.0")
    dist(path, "copyleft", "2.0", "License-Expression: AGPL-3.0-only")
    dist(path, "classic", "3.0", "Classifier: License :: OSI Approved :: BSD License")
    dist(path, "mystery", "0.1")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "forgegate.yml").write_text(
        "rules:\n  deps/license-denied:\n    options:\n      deny: [AGPL-3.0-only]\n"
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object], str]:
    code = main(["licenses", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else {}, err


def test_environment_licenses_against_the_policy(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, err = run(capsys, "--environment", str(site))
    assert code == 1, err
    findings = {f["message"].split()[0]: f for f in doc["findings"]}  # type: ignore[union-attr]
    assert set(findings) == {"copyleft", "mystery"}
    assert findings["copyleft"]["severity"] == "error"
    assert "AGPL-3.0-only on the deny list" in findings["copyleft"]["message"]
    assert findings["mystery"]["severity"] == "warning"
    assert "4 package(s), 1 denied, 1 unknown" in err


def test_sbom_licenses_and_bad_input(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sbom = tmp_path / "sbom.cdx.json"
    sbom.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "components": [
                    {"name": "a", "version": "1", "licenses": [{"license": {"id": "MIT"}}]},
                    {"name": "b", "version": "2", "licenses": [{"expression": "AGPL-3.0-only"}]},
                ],
            }
        )
    )
    code, doc, _ = run(capsys, "--sbom", str(sbom))
    assert code == 1
    assert [f["message"].split()[0] for f in doc["findings"]] == ["b"]  # type: ignore[union-attr]
    sbom.write_text("{}")
    assert run(capsys, "--sbom", str(sbom))[0] == 2
    (tmp_path / ".github" / "forgegate.yml").write_text(
        "rules:\n  deps/license-denied:\n    options:\n      deny: [Nope-1.0]\n"
    )
    code, _, err = run(capsys, "--environment", str(site))
    assert code == 2 and "Nope-1.0" in err


def test_an_sbom_written_by_forgegate_is_read_back(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real venv's SBOM: every license forgegate wrote is one it can judge."""
    monkeypatch.chdir(tmp_path)
    sbom = tmp_path / "venv.cdx.json"
    assert main(["sbom", "--output", str(sbom)]) == 0
    capsys.readouterr()
    _, doc, err = run(capsys, "--sbom", str(sbom))
    assert "0 denied" in err
    unknown = [f for f in doc["findings"] if f["severity"] == "warning"]  # type: ignore[union-attr]
    components = json.loads(sbom.read_text())["components"]
    assert len(unknown) < len(components) / 4  # most real packages declare a license


def test_a_waiver_names_one_package(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (site.parent / ".github" / "forgegate.yml").write_text(
        "rules:\n  deps/license-denied:\n    options:\n      deny: [AGPL-3.0-only]\n"
        "waivers:\n  - rule: deps/license-denied\n    package: Copyleft\n"
        "    reason: used only in the test suite, never shipped\n    owner: '@legal'\n"
        "    expires: 2999-01-01\n"
    )
    code, doc, _ = run(capsys, "--environment", str(site))
    statuses = {f["message"].split()[0]: f["status"] for f in doc["findings"]}  # type: ignore[union-attr]
    assert statuses == {"copyleft": "waived", "mystery": "new"}
    assert code == 0  # mystery is a warning; the policy fails on errors

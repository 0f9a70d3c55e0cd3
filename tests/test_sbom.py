"""CycloneDX SBOMs: sources, schema validity, reproducibility, agreement with cyclonedx-py."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from forgegate.cli import main
from forgegate.errors import GateError
from forgegate.supplychain.sbom.bom import build_bom, render, validate_json
from forgegate.supplychain.sbom.sources import Package, from_environment, from_lock

H1 = "a" * 64
H2 = "b" * 64

UV_LOCK = f"""\
version = 1
requires-python = ">=3.10"

[[package]]
name = "demo"
version = "1.0.0"
source = {{ editable = "." }}
dependencies = [
    {{ name = "requests" }},
]

[[package]]
name = "requests"
version = "2.32.3"
source = {{ registry = "https://pypi.org/simple" }}
dependencies = [
    {{ name = "charset-normalizer" }},
    {{ name = "idna" }},
]
sdist = {{ url = "https://files.example/requests-2.32.3.tar.gz", hash = "sha256:{H1}" }}
wheels = [
    {{ url = "https://files.example/requests-2.32.3-py3-none-any.whl", hash = "sha256:{H2}" }},
]

[[package]]
name = "charset-normalizer"
version = "3.4.0"
source = {{ registry = "https://pypi.org/simple" }}
sdist = {{ url = "https://files.pythonhosted.org/c.tar.gz", hash = "sha256:{H1}" }}

[[package]]
name = "idna"
version = "3.10"
source = {{ registry = "https://pypi.org/simple" }}
wheels = [{{ url = "https://files.pythonhosted.org/idna.whl", hash = "sha256:{H2}" }}]
"""

POETRY_LOCK = f"""\
[[package]]
name = "Jinja2"
version = "3.1.4"
description = "A very fast and expressive template engine."
optional = false
python-versions = ">=3.7"
files = [
    {{file = "jinja2-3.1.4-py3-none-any.whl", hash = "sha256:{H1}"}},
]

[package.dependencies]
MarkupSafe = ">=2.0"

[[package]]
name = "markupsafe"
version = "2.1.5"
description = "Safely add untrusted strings to HTML/XML markup."
optional = false
python-versions = ">=3.7"
files = [
    {{file = "MarkupSafe-2.1.5.tar.gz", hash = "sha256:{H2}"}},
]

[metadata]
lock-version = "2.0"
python-versions = "^3.10"
"""

PYLOCK = f"""\
lock-version = "1.0"
created-by = "uv"

[[packages]]
name = "attrs"
version = "24.2.0"
wheels = [{{ name = "attrs-24.2.0-py3-none-any.whl", hashes = {{ sha256 = "{H1}" }} }}]
"""


def _purls(doc: dict[str, Any]) -> set[str]:
    return {c["purl"] for c in doc.get("components", []) if c.get("purl")}


def _sbom(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["sbom", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- environments ---


def test_environment_matches_cyclonedx_py(tmp_path: Path) -> None:
    """Same component purls as cyclonedx-py's `environment` command on the same venv."""
    exe = shutil.which("cyclonedx-py", path=str(Path(sys.executable).parent))
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("cyclonedx-py (cyclonedx-bom) is a dev dependency and missing in CI")
        pytest.skip("SKIPPED LOUDLY: cyclonedx-py not installed")
    out = tmp_path / "theirs.json"
    subprocess.run(
        [exe, "environment", sys.executable, "-o", str(out)], check=True, capture_output=True
    )
    theirs = _purls(json.loads(out.read_text()))
    ours = {p.purl for p in from_environment(Path(sys.prefix)) if not p.local}
    assert len(theirs) > 30
    assert ours == theirs


def test_environment_sbom_is_valid_and_has_licenses_and_graph(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.chdir(tmp_path)
    code, out, _ = _sbom(capsys, "--environment", sys.prefix)
    assert code == 0
    validate_json(out)
    doc = json.loads(out)
    assert doc["specVersion"] == "1.6"
    assert doc["metadata"]["timestamp"].startswith("2023-11-14T22:13:20")
    by_name = {c["name"].lower(): c for c in doc["components"]}
    assert by_name["packaging"]["purl"].startswith("pkg:pypi/packaging@")
    assert any("license" in lic for lic in by_name["jsonschema"]["licenses"])
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    jsonschema_ref = by_name["jsonschema"]["bom-ref"]
    assert any("referencing" in ref for ref in deps[jsonschema_ref])


# --- reproducibility ---


def test_same_input_same_bytes_and_content_serial(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.chdir(tmp_path)
    lock = tmp_path / "uv.lock"
    lock.write_text(UV_LOCK)
    first = _sbom(capsys, "--lock", str(lock))[1]
    second = _sbom(capsys, "--lock", str(lock))[1]
    assert first == second
    assert _sbom(capsys, "--lock", str(lock), "--no-validate")[1] == first  # only skips the check
    lock.write_text(UV_LOCK.replace('version = "3.10"', 'version = "3.11"'))
    third = _sbom(capsys, "--lock", str(lock))[1]
    assert json.loads(third)["serialNumber"] != json.loads(first)["serialNumber"]


def test_validation_is_not_vacuous() -> None:
    bom = build_bom([Package("idna", "3.10")], root_name="demo")
    text = render(bom).replace('"type": "library"', '"type": "not-a-type"')
    with pytest.raises(GateError, match="does not validate"):
        validate_json(text)


# --- requirements files ---


def test_requirements_with_includes_constraints_and_hashes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.txt").write_text(f"idna==3.10 --hash=sha256:{H1}\n")
    (tmp_path / "constraints.txt").write_text("urllib3<3\n")
    (tmp_path / "requirements.txt").write_text(
        "-r base.txt\n-c constraints.txt\n"
        f"Requests==2.32.3 \\\n    --hash=sha256:{H1} \\\n    --hash=sha256:{H2}\n"
    )
    code, out, _ = _sbom(capsys, "-r", "requirements.txt")
    assert code == 0
    doc = json.loads(out)
    assert _purls(doc) == {"pkg:pypi/idna@3.10", "pkg:pypi/requests@2.32.3"}
    requests = next(c for c in doc["components"] if c["name"] == "Requests")
    assert sorted(h["content"] for h in requests["hashes"]) == [H1, H2]


def test_unpinned_requirement_fails_closed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text("requests>=2\n")
    code, _, err = _sbom(capsys, "-r", "requirements.txt")
    assert code == 3 and "not pinned" in err


# --- lock files ---


def test_uv_lock_graph_and_hashes(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text(UV_LOCK)
    packages = {p.name: p for p in from_lock(lock)}
    assert sorted(packages) == ["charset-normalizer", "idna", "requests"]  # the project is root
    assert packages["requests"].requires == ["charset-normalizer", "idna"]
    assert packages["requests"].hashes == [("sha256", H1), ("sha256", H2)]


def test_uv_lock_sbom_roots_at_pyproject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "uv.lock").write_text(UV_LOCK)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.0.0"\ndependencies = ["requests>=2"]\n'
    )
    doc = json.loads(_sbom(capsys, "--lock", "uv.lock")[1])
    assert doc["metadata"]["component"]["name"] == "demo"
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert deps["root:demo"] == ["pkg:pypi/requests@2.32.3"]


def test_poetry_and_pylock(tmp_path: Path) -> None:
    poetry = tmp_path / "poetry.lock"
    poetry.write_text(POETRY_LOCK)
    packages = {p.name: p for p in from_lock(poetry)}
    assert packages["jinja2"].requires == ["markupsafe"]
    assert packages["jinja2"].purl == "pkg:pypi/jinja2@3.1.4"
    assert packages["markupsafe"].hashes == [("sha256", H2)]
    pylock = tmp_path / "pylock.toml"
    pylock.write_text(PYLOCK)
    (attrs,) = from_lock(pylock)
    assert attrs.purl == "pkg:pypi/attrs@24.2.0" and attrs.hashes == [("sha256", H1)]


def test_xml_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "poetry.lock").write_text(POETRY_LOCK)
    out = tmp_path / "bom.xml"
    assert _sbom(capsys, "--lock", "poetry.lock", "--format", "xml", "--output", str(out))[0] == 0
    text = out.read_text()
    assert 'xmlns="http://cyclonedx.org/schema/bom/1.6"' in text
    assert "<purl>pkg:pypi/markupsafe@2.1.5</purl>" in text

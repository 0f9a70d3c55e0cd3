"""The drift family on small, real-shaped repositories: one section per rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from forgegate.checks.drift.version_string import newest_changelog_entry
from forgegate.cli import main

from .conftest import MakeRepo
from .test_sbom import UV_LOCK

DIGEST = "sha256:" + "a" * 64


def drift(
    make_repo: MakeRepo,
    capsys: pytest.CaptureFixture[str],
    files: dict[str, str],
    rule: str,
    *extra: str,
) -> list[tuple[str, int | None, str]]:
    """Run the drift family; (path, line, message) of the new findings of ``rule``."""
    root = make_repo(files)
    main(["check", str(root), "--only", "drift", "--format", "json", "--no-run-manifest", *extra])
    out, _ = capsys.readouterr()
    doc: dict[str, Any] = json.loads(out)
    return [
        (f["path"], f["line"], f["message"])
        for f in doc["findings"]
        if f["rule"] == f"drift/{rule}" and f["status"] == "new"
    ]


# --- drift/unpinned-base-image ---

DOCKERFILE = f"""\
# syntax=docker/dockerfile:1
ARG PY=3.12
ARG BASE
FROM --platform=$BUILDPLATFORM python:${{PY}}-slim AS build
RUN pip wheel -w /wheels .
FROM python:3.12-slim@{DIGEST} AS runtime
COPY --from=build /wheels /wheels
FROM build AS test
FROM scratch
FROM \\
  ghcr.io/acme/base:1.2
FROM ${{BASE}}
"""


def test_unpinned_base_images(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    found = drift(make_repo, capsys, {"docker/Dockerfile": DOCKERFILE}, "unpinned-base-image")
    assert [(p, line) for p, line, _ in found] == [
        ("docker/Dockerfile", 4),
        ("docker/Dockerfile", 10),
        ("docker/Dockerfile", 12),
    ]
    assert "resolves to python:3.12-slim" in found[0][2]
    assert "ARG BASE without a default" in found[2][2]


# --- drift/unhashed-requirements ---

HASH = "--hash=sha256:" + "b" * 64


def test_requirements_installed_by_a_dockerfile_need_hashes(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "Dockerfile": f"FROM python:3.12@{DIGEST}\nCOPY requirements/ /r/\n"
        "RUN pip install --no-deps \\\n    -r requirements/prod.txt\n",
        "requirements/prod.txt": f"# pinned\nidna==3.10 \\\n    {HASH}\n-r base.txt\n"
        "requests==2.32.3  # no hash\n",
        "requirements/base.txt": f"--index-url https://pypi.org/simple\ncertifi==2024.8.30 {HASH}\n"
        "urllib3==2.2.3\n",
        "requirements/dev.txt": "pytest==8.3.3\n",  # no Dockerfile installs it: not checked
    }
    found = drift(make_repo, capsys, files, "unhashed-requirements")
    assert [(p, line) for p, line, _ in found] == [
        ("requirements/base.txt", 3),
        ("requirements/prod.txt", 5),
    ]
    assert "included by requirements/prod.txt" in found[0][2]
    assert "installed by Dockerfile:3" in found[1][2]
    named = {**files, ".github/forgegate.yml": "rules:\n  drift/unhashed-requirements:\n"
             "    options:\n      files: [requirements/dev.txt]\n"}  # fmt: skip
    found = drift(make_repo, capsys, named, "unhashed-requirements")
    assert ("requirements/dev.txt", 1) in [(p, line) for p, line, _ in found]


# --- drift/version-string ---

PYPROJECT = '[project]\nname = "acme-tool"\nversion = "1.4.0"\n'


def test_version_strings_disagree(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_REF", "refs/tags/v1.5.0")
    files = {
        "pyproject.toml": PYPROJECT,
        "src/acme_tool/__init__.py": '"""Acme."""\n\n__version__ = "1.3.9"\n',
        "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n\n## [1.3.9] - 2024-05-01\n- fix\n",
    }
    found = drift(make_repo, capsys, files, "version-string")
    assert [(p, line) for p, line, _ in found] == [
        ("CHANGELOG.md", 5),
        ("pyproject.toml", 3),
        ("src/acme_tool/__init__.py", 3),
    ]
    assert "building tag v1.5.0" in found[1][2]


def test_version_strings_agree_or_are_dynamic(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_REF", "refs/tags/v1.4.0")
    files = {
        "pyproject.toml": PYPROJECT,
        "acme_tool/__init__.py": '__version__ = "1.4.0"\n',
        "CHANGELOG.md": "## v1.4.0 (2024-06-01)\n\n## 1.3.9\n",
    }
    assert drift(make_repo, capsys, files, "version-string") == []
    dynamic = '[project]\nname = "acme-tool"\ndynamic = ["version"]\n'
    files = {**files, "pyproject.toml": dynamic, "acme_tool/__init__.py": '__version__ = "9"\n'}
    assert drift(make_repo, capsys, files, "version-string") == []


def test_changelog_headings() -> None:
    assert newest_changelog_entry("Notes mention 2.0.0 in prose\n## 1.2.0\n", False) == ("1.2.0", 2)
    rst = "Changes\n=======\n\n1.2.0 (2024-01-02)\n------------------\n"
    assert newest_changelog_entry(rst, True) == ("1.2.0", 4)
    assert newest_changelog_entry("## Unreleased\n", False) is None


# --- drift/lock-stale ---


def test_lock_stale(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = (
        '[project]\nname = "demo"\nversion = "1.0"\n'
        'dependencies = [\n  "requests>=2.32",\n  "idna<3",\n  "rich",\n'
        "  \"tomli; python_version < '3.11'\",\n]\n"
        '[dependency-groups]\ndev = ["pytest==8.3.3", {include-group = "lint"}]\nlint = []\n'
    )
    found = drift(
        make_repo, capsys, {"pyproject.toml": pyproject, "uv.lock": UV_LOCK}, "lock-stale"
    )
    lines = {line: message for _, line, message in found}
    assert set(lines) == {6, 7, 11}, found
    assert "idna<3 (dependencies) but uv.lock pins 3.10" in lines[6]
    assert "rich (dependencies) is not in uv.lock" in lines[7]
    assert "pytest (dependency-groups.dev) is not in uv.lock" in lines[11]


def test_unreadable_lock_is_a_finding(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {"pyproject.toml": '[project]\nname = "d"\nversion = "1"\n', "uv.lock": "version = ["}
    found = drift(make_repo, capsys, files, "lock-stale")
    assert [(p, line) for p, line, _ in found] == [("uv.lock", 1)]
    assert "cannot be read" in found[0][2]


# --- drift/sbom-stale ---


def _sbom(components: dict[str, str]) -> str:
    return json.dumps(
        {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "components": [
                {"type": "library", "name": n, "version": v, "purl": f"pkg:pypi/{n}@{v}"}
                for n, v in components.items()
            ],
        }
    )


def test_sbom_stale(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lock_file = tmp_path / "uv.lock"
    lock_file.write_text(UV_LOCK)
    from forgegate.supplychain.sbom.sources import lock_versions

    locked = {name: sorted(v)[0] for name, v in lock_versions(lock_file).items()}
    fresh = {"uv.lock": UV_LOCK, "sbom.cdx.json": _sbom(locked)}
    assert drift(make_repo, capsys, fresh, "sbom-stale") == []
    first = sorted(locked)[0]
    stale = {**locked, first: "0.0.1", "left-pad": "1.0"}
    stale.pop(sorted(locked)[-1])
    found = drift(make_repo, capsys, {**fresh, "sbom.cdx.json": _sbom(stale)}, "sbom-stale")
    assert len(found) == 1 and found[0][:2] == ("sbom.cdx.json", 1)
    message = found[0][2]
    assert f"{first} 0.0.1" in message and "left-pad" in message
    assert sorted(locked)[-1] in message and "forgegate sbom --lock uv.lock" in message


# --- drift/python-version ---


def test_python_versions_outside_requires_python(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "d"\nversion = "1"\nrequires-python = ">=3.10"\n'
        "classifiers = [\n"
        '  "Programming Language :: Python :: 3.9",\n'
        '  "Programming Language :: Python :: 3.12",\n]\n',
        ".python-version": "3.8\n",
        "tox.ini": "[tox]\nenvlist = py39, py310, py311\n",
        "noxfile.py": 'import nox\n\n@nox.session(python=["3.9", "3.12"])\ndef tests(s): ...\n',
        "Dockerfile": f"FROM python:3.9-slim@{DIGEST}\nFROM python:3.12-slim@{DIGEST}\n",
    }
    found = drift(make_repo, capsys, files, "python-version")
    assert [(p, line) for p, line, _ in found] == [
        (".python-version", 1),
        ("Dockerfile", 1),
        ("noxfile.py", 3),
        ("pyproject.toml", 6),
        ("tox.ini", 2),
    ]
    assert all("3.8" in m or "3.9" in m for _, _, m in found)
    without = {**files, "pyproject.toml": '[project]\nname = "d"\nversion = "1"\n'}
    assert drift(make_repo, capsys, without, "python-version") == []  # no reference: silent


# --- drift/tool-versions ---

PRE_COMMIT = """\
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.6.9
    hooks: [{id: ruff}]
  - repo: https://github.com/pre-commit/mirrors-mypy
    rev: v1.11.2
    hooks: [{id: mypy}]
  - repo: https://github.com/psf/black-pre-commit-mirror
    rev: 24.8.0
    hooks: [{id: black}]
  - repo: local
    hooks: [{id: x, name: x, entry: x, language: system}]
"""


def test_tool_versions(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files = {
        ".pre-commit-config.yaml": PRE_COMMIT,
        "pyproject.toml": '[project]\nname = "d"\nversion = "1"\n'
        '[project.optional-dependencies]\ndev = ["ruff==0.6.9", "mypy==1.10.0"]\n'
        '[dependency-groups]\nlint = ["black>=24"]\n',
        "requirements-dev.txt": "mypy==1.11.2  # matches\nblack==23.12.1 --hash=sha256:00\n",
    }
    found = drift(make_repo, capsys, files, "tool-versions")
    assert [(p, line) for p, line, _ in found] == [
        (".pre-commit-config.yaml", 6),
        (".pre-commit-config.yaml", 9),
    ]
    assert "mypy 1.11.2 but pyproject.toml optional-dependencies.dev pins 1.10.0" in found[0][2]
    assert "black 24.8.0 but requirements-dev.txt pins 23.12.1" in found[1][2]

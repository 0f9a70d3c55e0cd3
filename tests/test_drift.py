"""The drift family: one section per rule, real-shaped repositories, positives and negatives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from forgegate.cli import main

from .conftest import COMMUNITY_FILES, MakeRepo, git
from .test_sbom import H1, H2, POETRY_LOCK, PYLOCK, UV_LOCK

BASICS = COMMUNITY_FILES

SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"
DIGEST = "sha256:" + "c" * 64


def check(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], files: dict[str, str], *extra: str
) -> tuple[int, list[dict[str, Any]]]:
    """Run the drift family on a new repository: exit code and new findings."""
    root = make_repo({**BASICS, **files})
    code = main(["check", str(root), "--only", "drift", "--format", "json", *extra])
    out, _ = capsys.readouterr()
    return code, [f for f in json.loads(out)["findings"] if f["status"] == "new"]


def drift(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], files: dict[str, str], *extra: str
) -> list[dict[str, Any]]:
    return check(make_repo, capsys, files, *extra)[1]


def where(findings: list[dict[str, Any]], rule: str) -> list[tuple[str, int]]:
    return [(f["path"], f["line"]) for f in findings if f["rule"] == f"drift/{rule}"]


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line that starts with ``needle``, indentation aside."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith(needle))


# --- drift/lock-stale ---

PYPROJECT = """\
[project]
name = "demo"
version = "1.0.0"
requires-python = ">=3.10"
dependencies = [
    "requests>=2.32",
    "idna<3.10",
    "rich>=13",
    "backports.zoneinfo; python_version < '3.9'",
]

[project.optional-dependencies]
test = ["pytest>=8", "demo[extra]"]

[dependency-groups]
dev = ["charset-normalizer==3.4.0", {include-group = "lint"}]
lint = ["ruff>=0.6"]
"""


def test_lock_stale_uv_lock(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = check(make_repo, capsys, {"pyproject.toml": PYPROJECT, "uv.lock": UV_LOCK})
    stale = [f for f in findings if f["rule"] == "drift/lock-stale"]
    assert [(f["path"], f["line"]) for f in stale] == [
        ("pyproject.toml", 7),  # idna<3.10 vs 3.10
        ("pyproject.toml", 8),  # rich: missing
        ("pyproject.toml", 13),  # pytest (extra test): missing
        ("pyproject.toml", 17),  # ruff (group lint): missing
    ]
    idna = line_of(UV_LOCK, 'name = "idna"')
    assert f"excludes idna 3.10, pinned in uv.lock:{idna}" in stale[0]["message"]
    assert "'rich>=13' (dependencies) is missing from uv.lock; run `uv lock`" in stale[1]["message"]
    assert "optional-dependencies.test" in stale[2]["message"]
    assert code == 1  # errors fail the default gate


def test_lock_stale_passes_a_fresh_lock(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = '[project]\nname = "demo"\ndependencies = ["requests>=2.32,<3", "IDNA>=3"]\n'
    code, findings = check(make_repo, capsys, {"pyproject.toml": pyproject, "uv.lock": UV_LOCK})
    assert (code, findings) == (0, [])


def test_lock_stale_poetry_and_pylock(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = (
        '[project]\nname = "demo"\ndependencies = [\n  "jinja2>=3.1.5",\n  "attrs>=24",\n]\n'
        '[dependency-groups]\ndev = ["markupsafe>=2"]\n'
    )
    findings = drift(
        make_repo,
        capsys,
        {"pyproject.toml": pyproject, "poetry.lock": POETRY_LOCK, "pylock.toml": PYLOCK},
    )
    messages = [(f["line"], f["message"]) for f in findings if f["rule"] == "drift/lock-stale"]
    # jinja2: poetry pins 3.1.4 (stale), pylock lacks it (missing); attrs missing from poetry;
    # groups: poetry.lock knows no dependency groups, pylock.toml lists none
    assert [line for line, _ in messages] == [4, 4, 5]
    assert "excludes jinja2 3.1.4, pinned in poetry.lock:2" in messages[0][1]
    assert "missing from pylock.toml" in messages[1][1]
    assert "missing from poetry.lock; run `poetry lock`" in messages[2][1]


def test_lock_stale_requirements_lock_markers_decide(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = (
        'dnspython==2.8.0 ; python_version < "3.10"\n'
        'dnspython==2.9.2 ; python_version >= "3.10"\n'
        "idna==3.10\n"
    )
    files = {
        "pyproject.toml": '[project]\nname = "d"\nrequires-python = ">=3.9"\n'
        'dependencies = ["dnspython>=2.9", "idna>=3", "rich"]\n',
        "requirements/lock.txt": lock,
        "requirements/ranges.txt": "idna<3\n",  # ranges: an input, not a lock
    }
    findings = drift(make_repo, capsys, files)
    assert where(findings, "lock-stale") == [("pyproject.toml", 4)]
    assert "dnspython 2.8.0, pinned in requirements/lock.txt:1" in findings[0]["message"]
    # rich is not reported: a requirements file may lock a subset
    files["pyproject.toml"] = files["pyproject.toml"].replace(">=3.9", ">=3.10")
    assert where(drift(make_repo, capsys, files), "lock-stale") == []


def test_lock_stale_unreadable_lock_is_a_finding(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = UV_LOCK.replace('version = "3.10"', "version = 3.10.0")
    code, findings = check(make_repo, capsys, {"pyproject.toml": PYPROJECT, "uv.lock": broken})
    assert where(findings, "lock-stale") == [("uv.lock", line_of(broken, "version = 3.10.0"))]
    assert "uv.lock cannot be read" in findings[0]["message"]
    assert "not valid TOML" in findings[0]["message"]
    assert code == 1


# --- drift/tool-versions ---

PRE_COMMIT = f"""\
repos:
  - repo: https://github.com/astral-sh/ruff-pre-commit
    rev: v0.5.0
    hooks:
      - id: ruff
  - repo: https://github.com/psf/black-pre-commit-mirror
    rev: 24.8.0
    hooks: [{{id: black}}]
  - repo: https://github.com/pre-commit/mirrors-mypy
    rev: {SHA}  # frozen: v1.11.2
    hooks: [{{id: mypy}}]
  - repo: local
    hooks: [{{id: x, name: x, entry: x, language: system}}]
"""


def test_tool_versions(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files = {
        ".pre-commit-config.yaml": PRE_COMMIT,
        "pyproject.toml": '[project]\nname = "d"\n[dependency-groups]\n'
        'dev = ["ruff==0.6.9", "black==24.8.0", "mypy>=1.12"]\n',
        "requirements-dev.txt": "black==24.8.0\nruff==0.5.0\nmypy==1.11.2\n",
    }
    findings = [f for f in drift(make_repo, capsys, files) if f["rule"] == "drift/tool-versions"]
    assert [(f["path"], f["line"], f["column"]) for f in findings] == [
        (".pre-commit-config.yaml", 3, 10),
        (".pre-commit-config.yaml", 10, 10),
    ]
    assert "ruff hook runs v0.5.0, but pyproject.toml:4 says ruff==0.6.9" in findings[0]["message"]
    assert "mypy hook runs v1.11.2, but pyproject.toml:4 says mypy>=1.12" in findings[1]["message"]


def test_tool_versions_agreeing_and_lock_pins(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    config = PRE_COMMIT.replace("v0.5.0", "v0.6.9").replace("v1.11.2", "v1.12.0")
    lock = "ruff==0.6.9\nmypy==1.12.0\n"
    files = {".pre-commit-config.yaml": config, "requirements/dev.txt": lock}
    assert where(drift(make_repo, capsys, files), "tool-versions") == []
    files["requirements/dev.txt"] = lock.replace("1.12.0", "1.13.0")
    assert where(drift(make_repo, capsys, files), "tool-versions") == [
        (".pre-commit-config.yaml", 10)
    ]


def test_tool_versions_broken_yaml(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files = {".pre-commit-config.yaml": "repos:\n  - repo: x\n   rev: [\n"}
    assert where(drift(make_repo, capsys, files), "tool-versions") == [
        (".pre-commit-config.yaml", 3)
    ]


# --- drift/python-version ---

WORKFLOW = f"""\
on: push
permissions: {{}}
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python-version: ["3.9", "3.10", "3.13"]
        include:
          - python-version: "3.8"
    steps:
      - uses: actions/setup-python@{SHA}
        with:
          python-version: ${{{{ matrix.python-version }}}}
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-python@{SHA}
        with:
          python-version: "3.11"
      - uses: actions/setup-python@{SHA}
        with:
          python-version-file: .python-version
      - uses: actions/setup-python@{SHA}
        with:
          python-version: |
            3.x
            pypy3.10
"""
PY_PYPROJECT = """\
[project]
name = "x"
requires-python = ">=3.10,<3.13"
classifiers = [
    "Programming Language :: Python :: 3",
    "Programming Language :: Python :: 3.11",
    "Programming Language :: Python :: 3.13",
]
"""
TOX = "[tox]\nenvlist = py3{9,11}, lint\n    py312-django\n[testenv]\ncommands = pytest\n"
NOX = """\
import nox
PYTHONS = ["3.11", "3.14"]
@nox.session(python=PYTHONS)
def tests(session): ...
@nox.session(python="3.12")
def lint(session): ...
"""
PY_DOCKERFILE = "ARG PY=3.11\nFROM python:${PY}-slim AS build\nFROM python:3.12-slim\n"


def test_python_version_workflows(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files = {
        ".github/workflows/ci.yml": WORKFLOW,
        "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.10,<3.13"\n',
        ".python-version": "3.12\n",
    }
    found = [f for f in drift(make_repo, capsys, files) if f["rule"] == "drift/python-version"]
    assert [(f["line"], f["column"]) for f in found] == [(8, 26), (8, 41), (10, 29), (20, 27)]
    assert "outside requires-python '<3.13,>=3.10' (pyproject.toml:3)" in found[0]["message"]
    assert "disagrees with .python-version (3.12)" in found[-1]["message"]


def test_python_version_every_source(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "pyproject.toml": PY_PYPROJECT,
        ".python-version": "3.12.4\n",
        "tox.ini": TOX,
        "noxfile.py": NOX,
        "docker/Dockerfile": PY_DOCKERFILE,
    }
    found = [f for f in drift(make_repo, capsys, files) if f["rule"] == "drift/python-version"]
    assert [(f["path"], f["line"]) for f in found] == [
        ("docker/Dockerfile", 2),  # 3.11 vs .python-version 3.12
        ("noxfile.py", 2),  # 3.14
        ("pyproject.toml", 3),  # admits 3.10, oldest classifier 3.11
        ("pyproject.toml", 7),  # classifier 3.13
        ("tox.ini", 2),  # py39
    ]
    assert "Dockerfile: Python 3.11 disagrees with .python-version (3.12)" in found[0]["message"]
    assert found[1]["column"] == 20  # the string literal, quote included
    assert "admits Python 3.10, but the oldest classifier is 3.11" in found[2]["message"]


def test_python_version_needs_a_reference(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {".github/workflows/ci.yml": WORKFLOW, "tox.ini": TOX, "noxfile.py": NOX}
    assert where(drift(make_repo, capsys, files), "python-version") == []


def test_python_version_replaced_the_workflow_rule() -> None:
    from forgegate.registry import all_rules

    assert "workflow/python-version-drift" not in all_rules()
    assert "drift/python-version" in all_rules()


# --- drift/version-string ---

VERSIONED = {
    "pyproject.toml": '[project]\nname = "demo-pkg"\nversion = "1.2.3"\n',
    "src/demo_pkg/__init__.py": '"""Demo."""\n\n__version__ = "1.2.2"\n',
    "CHANGELOG.md": "# Changelog\n\n## [Unreleased]\n\n## [1.2.1] - 2024-01-01\n\n## [1.2.0]\n",
}


def test_version_string(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_REF", "refs/tags/v1.2.4")
    found = [f for f in drift(make_repo, capsys, VERSIONED) if f["rule"] == "drift/version-string"]
    assert [(f["path"], f["line"]) for f in found] == [
        ("CHANGELOG.md", 5),
        ("pyproject.toml", 3),
        ("src/demo_pkg/__init__.py", 3),
    ]
    assert "newest CHANGELOG.md heading says 1.2.1" in found[0]["message"]
    assert "tag 'refs/tags/v1.2.4'" in found[1]["message"]
    assert "[project] version (pyproject.toml:3) says 1.2.3" in found[2]["message"]


def test_version_string_agreeing_forms(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_REF", "refs/tags/v1.2.3")
    files = {
        **VERSIONED,
        "src/demo_pkg/__init__.py": '__version__ = "1.2.3"\n',
        "CHANGELOG.md": "# Changes\n\n## Unreleased\n\n# v1.2.3\n",
    }
    assert where(drift(make_repo, capsys, files), "version-string") == []
    files["CHANGELOG.md"] = "## 1.2.3 (2024-05-01)\n"
    monkeypatch.setenv("GITHUB_REF", "refs/tags/nightly")  # not a version tag
    assert where(drift(make_repo, capsys, files), "version-string") == []


def test_version_string_dynamic_says_nothing(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_REF", "refs/tags/v9.9.9")
    files = {
        **VERSIONED,
        "pyproject.toml": '[project]\nname = "demo-pkg"\ndynamic = ["version"]\n'
        '[tool.hatch.version]\nsource = "vcs"\n',
    }
    assert where(drift(make_repo, capsys, files), "version-string") == []


# --- drift/unhashed-requirements ---

HASHED = {
    "requirements/prod.txt": "# production pins\n--index-url https://pypi.org/simple\n"
    f"requests==2.32.3 \\\n    --hash=sha256:{H1}\nidna==3.10\n-r common.txt\n",
    "requirements/common.txt": "certifi==2024.8.30\n",
    "requirements-dev.txt": "pytest\n",
    "docker/reqs.txt": f"flask==3.0.3\nclick==8.1.7 --hash=sha256:{H2}\n",
    "docker/Dockerfile": f"FROM python@{DIGEST}\nWORKDIR /app\nCOPY reqs.txt /app/\n"
    "RUN pip install --require-hashes \\\n    -r /app/reqs.txt\n",
}


def test_unhashed_requirements(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    found = [
        f for f in drift(make_repo, capsys, HASHED) if f["rule"] == "drift/unhashed-requirements"
    ]
    assert [(f["path"], f["line"]) for f in found] == [
        ("docker/reqs.txt", 1),
        ("requirements/common.txt", 1),
        ("requirements/prod.txt", 5),
    ]
    assert "docker/Dockerfile:4 installs it into an image" in found[0]["message"]
    assert "(included from requirements/prod.txt)" in found[1]["message"]


def test_unhashed_requirements_options(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = (
        "rules:\n  drift/unhashed-requirements:\n    options:\n"
        '      paths: ["requirements-dev.txt"]\n      from-dockerfiles: false\n'
    )
    files = {**HASHED, ".github/forgegate.yml": policy}
    assert where(drift(make_repo, capsys, files), "unhashed-requirements") == [
        ("requirements-dev.txt", 1)
    ]


def test_unhashed_requirements_copy_of_the_context(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "Containerfile": f"FROM python@{DIGEST}\nCOPY . /src\n"
        "RUN pip install -r /src/deps/app.txt\n",
        "deps/app.txt": f"flask==3.0.3 --hash=sha256:{H1}\n",
    }
    assert where(drift(make_repo, capsys, files), "unhashed-requirements") == []
    files["deps/app.txt"] = "flask==3.0.3\n"
    assert where(drift(make_repo, capsys, files), "unhashed-requirements") == [("deps/app.txt", 1)]


# --- drift/unpinned-base-image ---

BASE_DOCKERFILE = f"""\
# syntax=docker/dockerfile:1
ARG BASE=python:3.12-slim
ARG RUNTIME
FROM --platform=$BUILDPLATFORM ${{BASE}} AS build
RUN echo hi
FROM build AS test
FROM scratch AS empty
FROM \\
    debian:bookworm
FROM ${{RUNTIME}}
FROM alpine:3.20@{DIGEST}
FROM ${{BASE}} AS again
COPY --from=build /x /x
"""


def test_unpinned_base_image(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    found = [
        f
        for f in drift(make_repo, capsys, {"images/app.Dockerfile": BASE_DOCKERFILE})
        if f["rule"] == "drift/unpinned-base-image"
    ]
    assert [(f["line"], f["column"]) for f in found] == [(2, 5), (9, 5), (10, 6)]
    assert "ARG BASE=python:3.12-slim (the base image of FROM on line 4)" in found[0]["message"]
    assert "FROM debian:bookworm is referenced by tag" in found[1]["message"]
    assert "has no default" in found[2]["message"]


def test_unpinned_base_image_pinned(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    dockerfile = (
        f"ARG BASE=python:3.12-slim@{DIGEST}\nFROM ${{BASE}} AS build\nFROM build\nFROM scratch\n"
    )
    assert where(drift(make_repo, capsys, {"Dockerfile": dockerfile}), "unpinned-base-image") == []


# --- drift/sbom-stale ---


def _bom(components: list[tuple[str, str]]) -> str:
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": {"component": {"type": "application", "name": "demo"}},
        "components": [
            {"type": "library", "name": n, "version": v, "purl": f"pkg:pypi/{n}@{v}"}
            for n, v in components
        ]
        + [{"type": "library", "name": "left-pad", "purl": "pkg:npm/left-pad@1.3.0"}],
    }
    return json.dumps(doc, indent=2) + "\n"


def test_sbom_stale(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    bom = _bom([("requests", "2.32.3"), ("idna", "3.9"), ("urllib3", "2.2.3")])
    files = {"uv.lock": UV_LOCK, "sbom.cdx.json": bom}
    found = [f for f in drift(make_repo, capsys, files) if f["rule"] == "drift/sbom-stale"]
    assert [f["line"] for f in found] == [
        line_of(bom, '"components"'),
        line_of(bom, '"purl": "pkg:pypi/idna@3.9"'),
        line_of(bom, '"purl": "pkg:pypi/urllib3@2.2.3"'),
    ]
    assert (
        "uv.lock pins packages the SBOM does not list (charset-normalizer 3.4.0)"
        in (found[0]["message"])
    )
    assert "lists idna 3.9, but uv.lock now pins 3.10" in found[1]["message"]
    assert "uv.lock no longer has it" in found[2]["message"]


def test_sbom_stale_fresh_sbom_from_forgegate(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo({**BASICS, "uv.lock": UV_LOCK, "pyproject.toml": PYPROJECT}, commit=False)
    assert (
        main(
            [
                "sbom",
                "--lock",
                str(root / "uv.lock"),
                "--pyproject",
                str(root / "pyproject.toml"),
                "--output",
                str(root / "bom.json"),
            ]
        )
        == 0
    )
    git(root, "add", "bom.json")
    capsys.readouterr()
    main(["check", str(root), "--only", "drift", "--format", "json"])
    findings = json.loads(capsys.readouterr()[0])["findings"]
    assert [f for f in findings if f["rule"] == "drift/sbom-stale"] == []
    (root / "uv.lock").write_text(UV_LOCK.replace('version = "3.10"', 'version = "3.11"'))
    main(["check", str(root), "--only", "drift", "--format", "json"])
    findings = json.loads(capsys.readouterr()[0])["findings"]
    stale = [f for f in findings if f["rule"] == "drift/sbom-stale"]
    assert len(stale) == 1 and "lists idna 3.10, but uv.lock now pins 3.11" in stale[0]["message"]


def test_sbom_stale_invalid_json(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    files = {"uv.lock": UV_LOCK, "bom.json": '{\n  "bomFormat": "CycloneDX",\n  "components": [\n'}
    assert where(drift(make_repo, capsys, files), "sbom-stale") == [("bom.json", 4)]


def test_drift_is_a_family_of_check(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = make_repo({**BASICS, "Dockerfile": "FROM python:3.12\n"})
    assert main(["check", str(root), "--format", "json"]) == 0  # a warning; fail-on is error
    rules = {f["rule"] for f in json.loads(capsys.readouterr()[0])["findings"]}
    assert rules == {"drift/unpinned-base-image"}

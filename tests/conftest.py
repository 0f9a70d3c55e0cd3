"""Shared fixtures: real data beside the repository, throwaway git repositories."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Fuzzing (hypothesis) in `make test`: bounded in examples and time, the same examples on every
# run (derandomize) so main stays green; FORGEGATE_FUZZ_EXAMPLES raises the count for a long hunt.
# A case a fuzzer found is kept as an @example on its test, so it runs every time.
settings.register_profile(
    "forgegate",
    max_examples=int(os.environ.get("FORGEGATE_FUZZ_EXAMPLES", "100")),
    deadline=None,
    derandomize=not os.environ.get("FORGEGATE_FUZZ_EXAMPLES"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("forgegate")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
#: the community files every fixture repository carries, so hygiene/missing-community-files
#: stays quiet unless a test is about it
COMMUNITY_FILES: dict[str, str | bytes] = {
    "README.md": "# demo\n",
    "LICENSE": "MIT\n",
    "SECURITY.md": "Report to security@example.invalid\n",
    "CODE_OF_CONDUCT.md": "Be kind.\n",
}


@pytest.fixture(autouse=True)
def _run_manifest_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`forgegate check` writes forgegate-run.json; in tests, never into the working directory."""
    target = tmp_path / "forgegate-run.json"
    monkeypatch.setenv("FORGEGATE_RUN_MANIFEST", str(target))
    monkeypatch.setenv("FORGEGATE_CACHE_DIR", str(tmp_path / "forgegate-cache"))
    return target


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip loudly only when it is truly absent."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED_DATA} is missing in CI: the real test data must be there")
        pytest.skip(f"SKIPPED LOUDLY: {SHARED_DATA} is absent; real-data tests did not run")
    return SHARED_DATA


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    proc = subprocess.run(
        ["git", "-C", str(cwd), *args], capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}: {proc.stderr.strip()}")
    return proc.stdout


MakeRepo = Callable[[dict[str, str | bytes]], Path]


@pytest.fixture
def make_repo(tmp_path: Path) -> MakeRepo:
    """Create a git repository with the given files (path -> text or bytes), all committed."""

    def _make(files: dict[str, str | bytes], commit: bool = True) -> Path:
        root = tmp_path / "repo"
        root.mkdir(exist_ok=True)
        git(root, "init", "-q", "-b", "main")
        for rel, content in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        git(root, "add", "-A")
        if commit:
            git(root, "commit", "-q", "-m", "fixture", "--allow-empty")
        return root

    return _make  # type: ignore[return-value]

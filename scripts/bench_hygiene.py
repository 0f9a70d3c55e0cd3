#!/usr/bin/env python3
"""Benchmark the hygiene gate against the I/O floor and detect-secrets, side by side.

The tree is built from something every machine has: the Python standard library and this
interpreter's site-packages, copied into a temporary git repository. Then, in one run:

  floor           git ls-files -z | xargs -0 cat > /dev/null       (reading every tracked file)
  detect-secrets  detect-secrets scan --all-files                  (the tool a user would run)
  forgegate       forgegate check --only hygiene                   (this project)
  changed-only    forgegate check --only hygiene --changed-only --base HEAD~1 (one-file diff),
                  with the result cache warm and empty (a fresh runner)

forgegate is installed by actions/setup's own script, install.sh (a fresh venv from the
hash-pinned requirements/action.txt, bytecode compiled by pip); --dev times this venv's copy.

Each command runs after one warm-up so the page cache is hot for all of them; the figure is the
best of --repeat runs (wall clock), with the peak RSS of the largest process in the
forgegate process tree (what wait4 reports: the maximum over the process and its workers).

Targets (issue 2): forgegate <= 3x floor, >= 10x faster than detect-secrets, peak RSS < 300 MB,
changed-only < 0.5 s.  Usage: python scripts/bench_hygiene.py [--repeat N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _git(root: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@example.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    }
    subprocess.run(["git", "-C", str(root), *args], check=True, env=env, stdout=subprocess.DEVNULL)


def build_tree(dest: Path) -> int:
    """Copy stdlib + site-packages into ``dest`` and commit it; returns the file count."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    purelib = Path(sysconfig.get_paths()["purelib"])
    # the interpreter's own site-packages comes along with the stdlib (whatever is installed
    # there); the venv's site-packages is copied beside it
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(stdlib, dest / "stdlib", ignore=ignore, symlinks=True)
    if purelib.resolve() != (stdlib / "site-packages").resolve():
        shutil.copytree(purelib, dest / "venv-site-packages", ignore=ignore, symlinks=True)
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "config", "core.autocrlf", "false")
    _git(dest, "add", "-A", "-f")
    _git(dest, "commit", "-q", "-m", "benchmark tree")
    out = subprocess.run(
        ["git", "-C", str(dest), "ls-files", "-z"], check=True, capture_output=True
    ).stdout
    return out.count(b"\0")


def timed(cmd: str, cwd: Path, repeat: int, warm_up: bool = True) -> tuple[float, float, int]:
    """Best and worst wall time of ``repeat`` runs after one warm-up, and the peak RSS (KiB)."""
    print(f"  timing: {cmd}", flush=True)
    if warm_up:
        subprocess.run(
            cmd, shell=True, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    best, worst = float("inf"), 0.0
    peak = 0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, shell=True, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, _status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        best, worst = min(best, seconds), max(worst, seconds)
        peak = max(peak, usage.ru_maxrss)
    return best, worst, peak


REPO = Path(__file__).resolve().parent.parent


def install_like_setup(runner_temp: Path) -> Path:
    """Install forgegate with actions/setup's own script (a fresh venv under ``runner_temp``,
    the hash-pinned requirements/action.txt, then this checkout) and return its executable:
    what a pull-request run starts, bytecode compiled by pip, no dev extras."""
    runner_temp.mkdir(parents=True, exist_ok=True)
    outputs = runner_temp / "github-output"
    env = {**os.environ, "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(outputs)}
    env["FORGEGATE_PYTHON"] = sys.executable
    wheelhouse = REPO / ".cache" / "wheelhouse"  # `make wheelhouse`: no index needed
    if wheelhouse.is_dir():
        env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse))
    subprocess.run(
        ["bash", str(REPO / "actions" / "setup" / "install.sh")],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    lines = outputs.read_text().splitlines()
    return Path(next(line for line in lines if line.startswith("bin=")).removeprefix("bin="))


def compile_dev_copy() -> Path:
    """This venv's (editable) forgegate with its bytecode compiled, as an install would have."""
    import compileall

    import forgegate

    compileall.compile_dir(Path(forgegate.__file__).parent, quiet=1)
    return BIN / "forgegate"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the tree here")
    parser.add_argument("--skip-detect-secrets", action="store_true")
    parser.add_argument(
        "--dev",
        action="store_true",
        help="time this venv's forgegate instead of a copy installed as actions/setup does",
    )
    args = parser.parse_args()

    tmp = None
    if args.keep:
        root = args.keep
        if not (root / ".git").exists():
            root.mkdir(parents=True, exist_ok=True)
            files = build_tree(root)
        else:
            files = (
                len(
                    subprocess.run(
                        ["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True
                    ).stdout.split(b"\0")
                )
                - 1
            )
    else:
        tmp = tempfile.mkdtemp(prefix="forgegate-bench-")
        root = Path(tmp)
        files = build_tree(root)
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
    print(f"tree: {root} ({files} tracked files, {size / 1e6:.0f} MB)")

    scratch = Path(tempfile.mkdtemp(prefix="forgegate-bench-run-"))
    exe = compile_dev_copy() if args.dev else install_like_setup(scratch / "runner")
    print(f"forgegate: {exe}")

    def gate(cache: str) -> str:
        """The gate as a pull request runs it, its cache and run manifest kept out of the tree."""
        return (
            f"FORGEGATE_CACHE_DIR={cache} {exe} check --only hygiene --format json "
            f"--output /dev/null --run-manifest {scratch / 'run.json'} ."
        )

    forgegate = gate(str(scratch / "cache"))
    rows: list[tuple[str, float, int]] = []
    floor, _, _ = timed("git ls-files -z | xargs -0 cat > /dev/null", root, args.repeat)
    rows.append(("floor (cat)", floor, 0))
    fg, _, fg_rss = timed(forgegate, root, args.repeat)
    rows.append(("forgegate --only hygiene", fg, fg_rss))
    ds = None
    if not args.skip_detect_secrets:
        # minutes per run: one cold-cache-free run (the floor and forgegate warmed the cache)
        ds, _, ds_rss = timed(
            f"{BIN / 'detect-secrets'} scan --all-files > /dev/null", root, 1, warm_up=False
        )
        rows.append(("detect-secrets --all-files", ds, ds_rss))

    # one-file diff for --changed-only
    target = next(p for p in sorted((root / "stdlib").glob("*.py")))
    target.write_text(target.read_text() + "\n# bench edit\n")
    _git(root, "commit", "-q", "-am", "one-file change")
    changed, changed_worst, changed_rss = timed(
        f"{forgegate} --changed-only --base HEAD~1", root, args.repeat
    )
    rows.append(("forgegate --changed-only (1 file)", changed, changed_rss))
    # a fresh runner: nothing cached yet (each run gets an empty cache directory)
    cold, cold_worst, cold_rss = timed(
        f"{gate(f'$(mktemp -d -p {scratch})')} --changed-only --base HEAD~1", root, args.repeat
    )
    rows.append(("  the same, empty cache", cold, cold_rss))
    _git(root, "reset", "-q", "--hard", "HEAD~1")

    print(f"{'command':<36} {'seconds':>8} {'peak RSS':>10}")
    for name, secs, rss in rows:
        print(f"{name:<36} {secs:8.2f} {rss / 1024 if rss else 0:8.0f}MB")
    print(f"forgegate / floor          = {fg / floor:.2f}x   (target <= 3x)")
    if ds is not None:
        print(f"detect-secrets / forgegate = {ds / fg:.1f}x   (target >= 10x)")
    print(f"peak RSS forgegate         = {fg_rss / 1024:.0f} MB (target < 300 MB)")
    print(
        f"changed-only               = {changed:.2f} s, slowest of {args.repeat} "
        f"{changed_worst:.2f} s; empty cache {cold:.2f} s, slowest {cold_worst:.2f} s "
        "(target < 0.5 s)"
    )
    shutil.rmtree(scratch, ignore_errors=True)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

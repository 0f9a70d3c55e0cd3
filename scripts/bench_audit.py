"""Benchmark the offline audit: `forgegate audit --vuln-db` against pip-audit on the same database.

    python scripts/bench_audit.py [--packages 300] [--repeat 3]

A pinned set of N packages that have advisories (each at the first PEP 440 version its first
advisory lists, so most are vulnerable) is audited against the whole PyPA advisory database in
../shared/data/advisory-db. Side by side:

- `forgegate audit --vuln-db DB` cold (an empty cache: the index is built) and warm;
- `pip-audit -s osv --osv-url URL --no-deps --disable-pip -r REQ`, the tool a user would
  otherwise run, pointed at forgegate's loopback OSV API serving the same database (pip-audit
  has no offline database of its own; its network time is loopback here, so it is a lower bound).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DB = ROOT.parent / "shared" / "data" / "advisory-db"


def pinned_set(count: int) -> list[str]:
    lines = []
    for directory in sorted((DB / "vulns").iterdir()):
        files = sorted(directory.glob("*.yaml"))
        if not files:
            continue
        record = yaml.load(files[0].read_text(), Loader=yaml.CSafeLoader)
        for text in record["affected"][0].get("versions", []):
            try:
                lines.append(f"{directory.name}=={Version(str(text))}")
                break
            except InvalidVersion:
                continue
        if len(lines) == count:
            break
    return lines


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from forgegate.supplychain.osv.database import index_path, load_index
    from forgegate.supplychain.osv.server import OsvServer

    with tempfile.TemporaryDirectory(prefix="forgegate-bench-audit-") as tmp:
        root = Path(tmp)
        requirements = root / "requirements.txt"
        lines = pinned_set(args.packages)
        requirements.write_text("\n".join(lines) + "\n")
        env = {**os.environ, "FORGEGATE_CACHE_DIR": str(root / "cache")}
        ours = [str(BIN / "forgegate"), "audit", "--vuln-db", str(DB), "-r", str(requirements),
                "--format", "json", "--output", str(root / "out.json")]  # fmt: skip
        cold = []
        for _ in range(args.repeat):
            subprocess.run(["rm", "-rf", str(root / "cache")], check=True)
            cold.append(timed(ours, env))
        warm = [timed(ours, env) for _ in range(args.repeat)]
        os.environ["FORGEGATE_CACHE_DIR"] = env["FORGEGATE_CACHE_DIR"]
        index, _ = load_index(DB)
        size = index_path(index.digest).stat().st_size
        with OsvServer(index) as server:
            theirs_argv = [
                sys.executable, "-m", "pip_audit", "-f", "json", "--progress-spinner", "off",
                "-s", "osv", "--osv-url", server.url, "--no-deps", "--disable-pip",
                "-r", str(requirements), "--cache-dir", str(root / "pip-audit-cache"),
            ]  # fmt: skip
            theirs = [timed(theirs_argv, env) for _ in range(args.repeat)]
    best_cold, best_warm, best_theirs = min(cold), min(warm), min(theirs)
    print(
        f"{len(lines)} pinned packages, {len(index.records)} advisories "
        f"(index {size / 1e6:.2f} MB gzip JSON)\n"
        f"forgegate audit --vuln-db  cold {best_cold:.2f} s (median {statistics.median(cold):.2f})"
        f", warm {best_warm:.2f} s (median {statistics.median(warm):.2f})\n"
        f"pip-audit -s osv (loopback) {best_theirs:.2f} s (median {statistics.median(theirs):.2f})"
        f"\nratio pip-audit / forgegate warm: {best_theirs / best_warm:.1f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

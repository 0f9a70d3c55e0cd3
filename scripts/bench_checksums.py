"""Benchmark `forgegate checksums create` against sha256sum and one core of hashlib.

    python scripts/bench_checksums.py [--size-mib 1024] [--small 1000] [--repeat 3]

Two trees: one large file, and many small files of the same total size. Side by side in one
run: `sha256sum` (coreutils), `forgegate checksums create`, and hashlib's SHA-256 on one core in
this process (the throughput ceiling for one file). Best of N after a warm-up (page cache).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def best(cmd: list[str], cwd: Path, repeat: int) -> float:
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=True)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def hashlib_one_core(path: Path) -> float:
    start = time.perf_counter()
    with path.open("rb") as stream:
        hashlib.file_digest(stream, "sha256")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("sha256sum") is None:
        print("bench_checksums: sha256sum (coreutils) is not installed", file=sys.stderr)
        return 3
    with tempfile.TemporaryDirectory(prefix="forgegate-bench-sums-") as tmp:
        root = Path(tmp)
        big = root / "big" / "artifact.bin"
        big.parent.mkdir()
        chunk = os.urandom(1 << 20)
        with big.open("wb") as stream:
            for _ in range(args.size_mib):
                stream.write(chunk)
        small = root / "small"
        small.mkdir()
        per_file = (args.size_mib << 20) // args.small
        for i in range(args.small):
            (small / f"f{i:05d}.bin").write_bytes(os.urandom(per_file))
        rows = []
        for name, tree in (("1 large file", big.parent), (f"{args.small} small files", small)):
            files = sorted(p.name for p in tree.iterdir())
            sums = best(["sha256sum", *files], tree, args.repeat)
            ours = best(
                [str(BIN / "forgegate"), "checksums", "create", *files, "--output", "-"],
                tree,
                args.repeat,
            )
            rows.append((name, sums, ours))
        ceiling = min(hashlib_one_core(big) for _ in range(args.repeat))
        # the fixed cost of any forgegate run (interpreter, imports), measured on one tiny file
        (root / "tiny").write_bytes(b"x")
        startup = best(
            [str(BIN / "forgegate"), "checksums", "create", "tiny", "--output", "-"],
            root,
            args.repeat,
        )
    print(f"{'tree':<18} {'sha256sum':>10} {'forgegate':>10} {'speed-up':>9}")
    for name, sums, ours in rows:
        print(f"{name:<18} {sums:9.2f}s {ours:9.2f}s {sums / ours:8.1f}x")
    print(f"hashlib sha256, one core, large file: {ceiling:.2f}s "
          f"(forgegate at {rows[0][2] / ceiling:.2f}x of it; target <= 1.2x)")  # fmt: skip
    without = (rows[0][2] - startup) / ceiling
    print(f"forgegate start-up (one tiny file): {startup:.2f}s; the large file's hashing "
          f"without it: {without:.2f}x of one core's hashlib")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark `forgegate sbom --environment` against `cyclonedx-py environment --no-validate`.

    python scripts/bench_sbom.py [--repeat 3]

Both describe the same environment (this script's Python, the development venv, ~100
distributions) as CycloneDX 1.6 JSON, side by side: forgegate as it runs by default (the
document validated against the CycloneDX schema before it is written) and with --no-validate,
cyclonedx-py with --no-validate, the way it is fastest.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="forgegate-bench-sbom-") as tmp:
        ours_out, theirs_out = Path(tmp) / "ours.json", Path(tmp) / "theirs.json"
        ours_argv = [str(BIN / "forgegate"), "sbom", "--environment", "--output", str(ours_out)]
        unchecked_argv = [*ours_argv, "--no-validate"]
        theirs_argv = [
            str(BIN / "cyclonedx-py"), "environment", "--no-validate", "--spec-version", "1.6",
            "--output-format", "JSON", "--output-file", str(theirs_out), sys.executable,
        ]  # fmt: skip
        ours = [timed(ours_argv) for _ in range(args.repeat)]
        unchecked = [timed(unchecked_argv) for _ in range(args.repeat)]
        theirs = [timed(theirs_argv) for _ in range(args.repeat)]
        count = len(json.loads(ours_out.read_text())["components"])
        their_count = len(json.loads(theirs_out.read_text())["components"])
    print(
        f"environment of {sys.executable}: forgegate {count} components, cyclonedx-py "
        f"{their_count}\nforgegate sbom (validated)        best {min(ours):.2f} s, median "
        f"{statistics.median(ours):.2f} s\ncyclonedx-py --no-validate       best {min(theirs):.2f}"
        f" s, median {statistics.median(theirs):.2f} s\nforgegate sbom --no-validate     best "
        f"{min(unchecked):.2f} s, median {statistics.median(unchecked):.2f} s\n"
        f"ratio forgegate / cyclonedx-py = {min(ours) / min(theirs):.2f} validated, "
        f"{min(unchecked) / min(theirs):.2f} both unvalidated (target <= 1.0)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark `forgegate verify` on many artifacts against one `sigstore verify` call each.

    python scripts/bench_verify.py [--copies 200]

The production bundle in ../shared/data/sigstore (bundle_v3_github.whl) is copied N times as N
artifacts. Side by side: one `forgegate verify --offline` call over all N, and N calls of
`sigstore verify identity --offline` (the sigstore CLI, as a user would script it).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ASSETS = ROOT.parent / "shared" / "data" / "sigstore" / "sigstore-python"
IDENTITY = (
    "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
)
ISSUER = "https://token.actions.githubusercontent.com"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="forgegate-bench-verify-") as tmp:
        root = Path(tmp)
        artifacts = []
        for i in range(args.copies):
            target = root / f"copy{i:04d}.whl"
            shutil.copy(ASSETS / "bundle_v3_github.whl", target)
            shutil.copy(
                ASSETS / "bundle_v3_github.whl.sigstore", root / f"copy{i:04d}.whl.sigstore"
            )
            artifacts.append(str(target))
        ours_cmd = [
            str(BIN / "forgegate"), "verify", *artifacts, "--offline", "--cert-identity",
            IDENTITY, "--cert-oidc-issuer", ISSUER, "--format", "json",
        ]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(ours_cmd, cwd=root, capture_output=True, check=True)
        ours = time.perf_counter() - start
        start = time.perf_counter()
        for artifact in artifacts:
            subprocess.run(
                [str(BIN / "sigstore"), "verify", "identity", "--offline", "--bundle",
                 f"{artifact}.sigstore", "--cert-identity", IDENTITY, "--cert-oidc-issuer",
                 ISSUER, artifact],
                cwd=root, capture_output=True, check=True,
            )  # fmt: skip
        theirs = time.perf_counter() - start
    print(
        f"{args.copies} artifacts: forgegate verify (one call) {ours:.2f} s, sigstore verify "
        f"x{args.copies} {theirs:.2f} s: {theirs / ours:.0f}x (target >= 10x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark the workflow audit against zizmor, side by side, on the real workflow corpus.

    python scripts/bench_workflows.py [--corpus DIR] [--repeat N]

zizmor aborts a whole run on one input it cannot load (the corpus holds deliberately broken
files), so each file is probed once and both tools then audit the same loadable set: zizmor
in one ``zizmor --offline`` call over the files, forgegate in one ``forgegate check --only
workflow`` over a copy of them (every YAML file named by ``workflow-paths``). Best wall time of
N runs after a warm-up; files per second; the ratio forgegate / zizmor (target <= 1.0).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "workflows"


def loadable(zizmor: str, path: Path) -> bool:
    """zizmor exits 1 when it cannot load an input; 0 and 10-14 mean it audited it."""
    proc = subprocess.run(
        [zizmor, "--offline", "--format", "json", str(path)], capture_output=True, check=False
    )
    return proc.returncode != 1


def best(cmd: list[str], repeat: int, cwd: Path) -> float:
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    zizmor = shutil.which("zizmor", path=str(BIN)) or shutil.which("zizmor")
    if zizmor is None:
        print("bench_workflows: zizmor is not installed (pip install zizmor)", file=sys.stderr)
        return 3
    files = sorted(p for p in args.corpus.rglob("*") if p.suffix in (".yml", ".yaml"))
    with ThreadPoolExecutor() as pool:
        verdicts = list(pool.map(lambda f: loadable(zizmor, f), files))
    ok = [f for f, good in zip(files, verdicts, strict=True) if good]
    with tempfile.TemporaryDirectory(prefix="forgegate-bench-wf-") as tmp:
        tree = Path(tmp) / "corpus"
        for f in ok:
            target = tree / f.relative_to(args.corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, target)
        policy = Path(tmp) / "policy.yml"
        policy.write_text('workflow-paths: ["**/*.yml", "**/*.yaml"]\n')
        forgegate = [
            str(BIN / "forgegate"), "check", str(tree), "--only", "workflow", "--policy",
            str(policy), "--format", "json", "--output", "/dev/null", "--no-run-manifest",
        ]  # fmt: skip
        zizmor_cmd = [zizmor, "--offline", "--format", "json", *(str(f) for f in ok)]
        fg = best(forgegate, args.repeat, Path(tmp))
        zz = best(zizmor_cmd, args.repeat, Path(tmp))
        whole = [*forgegate[:2], str(args.corpus), *forgegate[3:]]
        fg_all = best(whole, args.repeat, Path(tmp))
    print(f"corpus: {args.corpus} ({len(files)} YAML files, {len(ok)} that zizmor loads)")
    print(f"{'command':<44} {'seconds':>8} {'files/s':>9}")
    print(f"{'zizmor --offline (loadable set)':<44} {zz:8.3f} {len(ok) / zz:9.0f}")
    print(f"{'forgegate --only workflow (loadable set)':<44} {fg:8.3f} {len(ok) / fg:9.0f}")
    print(
        f"{'forgegate --only workflow (whole corpus)':<44} {fg_all:8.3f} {len(files) / fg_all:9.0f}"
    )
    print(f"forgegate / zizmor = {fg / zz:.2f}  (target <= 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

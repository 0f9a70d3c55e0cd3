"""Compare forgegate's workflow rules with zizmor on the real workflow corpus.

    python scripts/eval_workflows.py [--corpus DIR] [--persona regular|pedantic|auditor]
        [--tolerance N] [--out FILE.json] [--markdown FILE.md]

Both tools audit the files zizmor can load (it aborts a run on one broken input). A zizmor
finding and a forgegate finding agree when they are in the same file, map to the same rule
(zizmor audit names through forgegate's ZIZMOR_AUDITS) and forgegate's line is within
--tolerance lines of the first line of one of the zizmor finding's locations. Per overlapping
rule: both, only zizmor, only forgegate, recall (both / (both + only zizmor)), and examples.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "workflows"
sys.path.insert(0, str(ROOT / "src"))

from forgegate.policy.suppressions import ZIZMOR_AUDITS  # noqa: E402

Key = tuple[str, str]  # (file relative to the corpus, forgegate rule)


def zizmor_findings(
    zizmor: str, files: list[Path], corpus: Path, persona: str, min_confidence: str
) -> list[dict[str, Any]]:
    def one(path: Path) -> list[dict[str, Any]] | None:
        proc = subprocess.run(
            [
                zizmor,
                "--offline",
                "--format",
                "json",
                "--persona",
                persona,
                "--min-confidence",
                min_confidence,
                str(path),
            ],
            capture_output=True,
            check=False,
        )
        if proc.returncode == 1:
            return None  # zizmor could not load it
        return list(json.loads(proc.stdout or b"[]"))

    found: list[dict[str, Any]] = []
    with ThreadPoolExecutor() as pool:
        for path, result in zip(files, pool.map(one, files), strict=True):
            if result is None:
                continue
            for finding in result:
                rule = ZIZMOR_AUDITS.get(finding["ident"])
                if rule is None or finding.get("ignored"):
                    continue
                rows = [
                    (loc["concrete"]["location"]["start_point"]["row"] + 1,
                     loc["concrete"]["location"]["end_point"]["row"] + 1)
                    for loc in finding["locations"]
                ]  # fmt: skip
                found.append(
                    {"file": str(path.relative_to(corpus)), "rule": rule, "rows": rows,
                     "desc": finding["desc"]}
                )  # fmt: skip
    return found


def forgegate_findings(files: list[Path], corpus: Path) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="forgegate-eval-") as tmp:
        tree = Path(tmp) / "corpus"
        for f in files:
            target = tree / f.relative_to(corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, target)
        policy = Path(tmp) / "policy.yml"
        policy.write_text('workflow-paths: ["**/*.yml", "**/*.yaml"]\n')
        proc = subprocess.run(
            [str(BIN / "forgegate"), "check", str(tree), "--only", "workflow", "--policy",
             str(policy), "--format", "json", "--no-run-manifest", "--fail-on", "note"],
            capture_output=True, check=False,
        )  # fmt: skip
        if proc.returncode not in (0, 1):
            raise SystemExit(f"eval_workflows: forgegate failed: {proc.stderr.decode()[-500:]}")
        doc = json.loads(proc.stdout)
    return [
        {"file": f["path"], "rule": f["rule"], "line": f["line"] or 0, "message": f["message"]}
        for f in doc["findings"]
        if f["status"] == "new"
    ]


def compare(
    zizmor: list[dict[str, Any]], ours: list[dict[str, Any]], tolerance: int
) -> dict[str, dict[str, Any]]:
    rules = sorted(
        {z["rule"] for z in zizmor}
        | {o["rule"] for o in ours if o["rule"] in set(ZIZMOR_AUDITS.values())}
    )
    by_key: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for o in ours:
        by_key[(o["file"], o["rule"])].append(o)
    result: dict[str, dict[str, Any]] = {}
    for rule in rules:
        both: list[str] = []
        only_z: list[str] = []
        used: set[int] = set()
        for z in (z for z in zizmor if z["rule"] == rule):
            candidates = by_key.get((z["file"], rule), [])
            match = next(
                (
                    o for o in candidates
                    if id(o) not in used
                    and any(abs(o["line"] - start) <= tolerance for start, _ in z["rows"])
                ),
                None,
            )  # fmt: skip
            if match is None:
                only_z.append(f"{z['file']}:{z['rows'][0][0]} {z['desc']}")
            else:
                used.add(id(match))
                both.append(f"{z['file']}:{match['line']}")
        only_f = [
            f"{o['file']}:{o['line']} {o['message'][:120]}"
            for o in ours
            if o["rule"] == rule and id(o) not in used
        ]
        total = len(both) + len(only_z)
        result[rule] = {
            "both": len(both),
            "only-zizmor": len(only_z),
            "only-forgegate": len(only_f),
            "recall": round(len(both) / total, 3) if total else None,
            "examples-only-zizmor": only_z[:30],
            "examples-only-forgegate": only_f[:30],
        }
    return result


def markdown(result: dict[str, dict[str, Any]], loadable: int, persona: str) -> str:
    lines = [
        f"Corpus: {loadable} YAML files; zizmor persona `{persona}`.",
        "",
        "| rule | both | only zizmor | only forgegate | recall |",
        "|---|---|---|---|---|",
    ]
    for rule, row in result.items():
        recall = "n/a" if row["recall"] is None else f"{row['recall']:.1%}"
        counts = f"{row['both']} | {row['only-zizmor']} | {row['only-forgegate']}"
        lines.append(f"| {rule} | {counts} | {recall} |")
    both = sum(r["both"] for r in result.values())
    only_z = sum(r["only-zizmor"] for r in result.values())
    lines += ["", f"Overall recall on overlapping rules: {both / max(1, both + only_z):.1%}"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--persona", choices=("regular", "pedantic", "auditor"), default="regular")
    parser.add_argument(
        "--min-confidence",
        choices=("low", "medium", "high"),
        default="low",
        help="zizmor findings at or above this confidence count (default: all)",
    )
    parser.add_argument("--tolerance", type=int, default=3)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    zizmor = shutil.which("zizmor", path=str(BIN)) or shutil.which("zizmor")
    if zizmor is None:
        print("eval_workflows: zizmor is not installed (pip install zizmor)", file=sys.stderr)
        return 3
    files = sorted(p for p in args.corpus.rglob("*") if p.suffix in (".yml", ".yaml"))
    z = zizmor_findings(zizmor, files, args.corpus, args.persona, args.min_confidence)
    ours = forgegate_findings(files, args.corpus)
    result = compare(z, ours, args.tolerance)
    text = markdown(result, len(files), args.persona)
    print(text)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    if args.markdown:
        args.markdown.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

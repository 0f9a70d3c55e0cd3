"""Run a composite action's steps locally, the way the GitHub runner would.

The harness creates the runner files (``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``, ``GITHUB_ENV``,
``GITHUB_PATH``) and directories (``GITHUB_WORKSPACE``, ``RUNNER_TEMP``), sets
``GITHUB_ACTION_PATH``, evaluates the ``${{ }}`` expressions the actions use (``inputs.*``,
``steps.<id>.outputs.*``, ``env.*``, ``github.action_path``, ``github.workspace``, ``github.token``
when the test gives one, ``runner.temp``, ``runner.os``; input defaults too) and runs each ``run:``
step with its ``shell``. Anything it does not understand (another expression, ``uses:``, ``if:``,
an unknown input, a missing required input, an unsupported shell) raises :class:`HarnessError`: a
test must never pass because a step was silently skipped.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_REFERENCE = re.compile(rf"^{_NAME}(?:\.{_NAME})*$")
SHELLS = {
    "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail"],
    "sh": ["sh", "-e"],
}


class HarnessError(Exception):
    """The action uses something the harness does not implement."""


@dataclass
class StepResult:
    id: str | None
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


@dataclass
class ActionRun:
    """What a run of the action left behind."""

    returncode: int
    outputs: dict[str, str]
    steps: list[StepResult]
    summary: str
    workspace: Path
    runner_temp: Path
    env_file: dict[str, str] = field(default_factory=dict)

    @property
    def stdout(self) -> str:
        return "".join(step.stdout for step in self.steps)

    @property
    def stderr(self) -> str:
        return "".join(step.stderr for step in self.steps)


def parse_command_file(text: str) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIM`` ... ``DELIM`` blocks (GITHUB_OUTPUT, GITHUB_ENV)."""
    values: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            while i < len(lines) and lines[i] != delimiter:
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise HarnessError(f"unterminated {name}<<{delimiter} block")
            i += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        else:
            raise HarnessError(f"malformed command file line: {line!r}")
    return values


class Expressions:
    """The contexts an expression may read, and the evaluator that refuses everything else."""

    def __init__(self, contexts: Mapping[str, Any], step_ids: frozenset[str] = frozenset()) -> None:
        self.contexts = contexts
        #: ids of the action's steps; their outputs read as "" until set, as on GitHub
        self.step_ids = step_ids

    def value(self, expression: str) -> str:
        if not _REFERENCE.match(expression):
            raise HarnessError(f"unsupported expression: ${{{{ {expression} }}}}")
        parts = expression.split(".")
        if (
            len(parts) == 4
            and parts[0] == "steps"
            and parts[2] == "outputs"
            and parts[1] in self.step_ids
        ):
            # as on GitHub: an output a step did not set (or a step that did not run) is ""
            return str(
                self.contexts["steps"].get(parts[1], {}).get("outputs", {}).get(parts[3], "")
            )
        node: Any = self.contexts
        for part in parts:
            if not isinstance(node, Mapping) or part not in node:
                raise HarnessError(f"unknown context value: ${{{{ {expression} }}}}")
            node = node[part]
        if isinstance(node, Mapping):
            raise HarnessError(f"${{{{ {expression} }}}} is an object, not a value")
        return "" if node is None else str(node)

    def render(self, text: Any) -> str:
        return _EXPRESSION.sub(lambda m: self.value(m.group(1)), str(text))


def _load(action_dir: Path) -> Any:
    for name in ("action.yml", "action.yaml"):
        path = action_dir / name
        if path.is_file():
            return YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    raise HarnessError(f"{action_dir}: no action.yml")


def _inputs(
    definition: Mapping[str, Any], given: Mapping[str, str], expressions: Expressions
) -> dict[str, str]:
    declared = definition.get("inputs") or {}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise HarnessError(f"unknown input(s): {', '.join(unknown)}")
    values = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name in given:
            values[name] = given[name]
        elif "default" in spec:
            values[name] = expressions.render(spec["default"])
        elif spec.get("required"):
            raise HarnessError(f"required input {name} not given")
        else:
            values[name] = ""
    return values


def run_action(
    action_dir: Path,
    inputs: Mapping[str, str] | None = None,
    *,
    workspace: Path,
    runner_temp: Path,
    env: Mapping[str, str] | None = None,
    github_token: str | None = None,
    timeout: float = 600,
) -> ActionRun:
    """Run the composite action in ``action_dir`` with ``inputs`` inside ``workspace``;
    ``github_token`` is what ``${{ github.token }}`` reads (unset: the expression is an error)."""
    definition = _load(action_dir)
    runs = definition.get("runs") or {}
    if runs.get("using") != "composite":
        raise HarnessError(f"{action_dir}: only composite actions are supported")
    runner_temp.mkdir(parents=True, exist_ok=True)
    files = {
        name: runner_temp / f"_{name.lower()}"
        for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH")
    }
    for path in files.values():
        path.write_text("")
    action_path = action_dir.resolve()
    base_env = {
        **os.environ,
        **(env or {}),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(action_path),
        "RUNNER_TEMP": str(runner_temp),
        "RUNNER_OS": "Linux",
        **{name: str(path) for name, path in files.items()},
    }
    github: dict[str, str] = {"action_path": str(action_path), "workspace": str(workspace)}
    if github_token is not None:
        github["token"] = github_token
    contexts: dict[str, Any] = {
        "steps": {},
        "env": {},
        "github": github,
        "runner": {"temp": str(runner_temp), "os": "Linux"},
    }
    steps = runs.get("steps") or []
    expressions = Expressions(contexts, frozenset(str(s["id"]) for s in steps if "id" in s))
    # defaults may read github.* and runner.* only: inputs are not known yet
    contexts["inputs"] = _inputs(definition, inputs or {}, expressions)
    results: list[StepResult] = []
    returncode = 0
    for number, step in enumerate(steps, 1):
        unsupported = sorted(set(step) - {"id", "name", "shell", "env", "run", "working-directory"})
        if unsupported:
            raise HarnessError(f"step {number}: unsupported key(s) {', '.join(unsupported)}")
        if "run" not in step:
            raise HarnessError(f"step {number}: no run:")
        shell = step.get("shell")
        if shell not in SHELLS:
            raise HarnessError(f"step {number}: unsupported shell {shell!r}")
        step_env = dict(base_env)
        step_env.update(parse_command_file(files["GITHUB_ENV"].read_text()))
        extra_path = files["GITHUB_PATH"].read_text().split()
        if extra_path:
            step_env["PATH"] = os.pathsep.join([*reversed(extra_path), step_env["PATH"]])
        contexts["env"] = {k: expressions.render(v) for k, v in (step.get("env") or {}).items()}
        step_env.update(contexts["env"])
        script = runner_temp / f"_step{number}.sh"
        script.write_text(expressions.render(step["run"]) + "\n")
        before = files["GITHUB_OUTPUT"].read_text()
        cwd = workspace / expressions.render(step.get("working-directory", "."))
        proc = subprocess.run(
            [*SHELLS[shell], str(script)],
            cwd=cwd,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        after = files["GITHUB_OUTPUT"].read_text()
        outputs = parse_command_file(after[len(before) :])
        files["GITHUB_OUTPUT"].write_text(before)  # each step's outputs are its own
        results.append(
            StepResult(step.get("id"), proc.returncode, proc.stdout, proc.stderr, outputs)
        )
        if step.get("id"):
            contexts["steps"][step["id"]] = {"outputs": outputs}
        if proc.returncode != 0:
            returncode = proc.returncode
            break
    action_outputs = {
        name: expressions.render((spec or {}).get("value", ""))
        for name, spec in (definition.get("outputs") or {}).items()
    }
    return ActionRun(
        returncode=returncode,
        outputs=action_outputs,
        steps=results,
        summary=files["GITHUB_STEP_SUMMARY"].read_text(),
        workspace=workspace,
        runner_temp=runner_temp,
        env_file=parse_command_file(files["GITHUB_ENV"].read_text()),
    )

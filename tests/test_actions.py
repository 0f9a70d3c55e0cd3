"""The composite actions, run step by step through the local harness (tests/action_harness.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from . import github_server
from .action_harness import HarnessError, run_action
from .conftest import COMMUNITY_FILES, REPO_ROOT, MakeRepo
from .github_server import FakeGitHub

fake_github = github_server.fake_github

FORGEGATE = Path(sys.executable).with_name("forgegate")
#: what a checkout of forgegate does not have (the action is copied from this working tree)
COPY_IGNORE = (".venv", "node_modules", ".cache", ".git", "__pycache__", ".*_cache")
PROBLEMS = {
    **COMMUNITY_FILES,
    "src/app.py": "VALUE = 1\n",
    "src/app.py.orig": "VALUE = 0\n",
    "docs/notes.md~": "draft\n",
}


def _check(
    workspace: Path, tmp_path: Path, **inputs: str
) -> tuple[int, dict[str, str], str, str, Path]:
    run = run_action(
        REPO_ROOT / "actions" / "check",
        {"forgegate": str(FORGEGATE), **inputs},
        workspace=workspace,
        runner_temp=tmp_path / "runner-temp",
    )
    sarif = Path(run.outputs["sarif"]) if run.outputs["sarif"] else tmp_path / "none"
    return run.returncode, run.outputs, run.summary, run.stdout, sarif


# --- actions/check ---


def test_check_fails_on_a_repository_with_problems(
    make_repo: MakeRepo, tmp_path: Path, shared_data: Path
) -> None:
    workspace = make_repo(PROBLEMS)
    code, outputs, summary, stdout, sarif = _check(workspace, tmp_path, **{"fail-on": "warning"})

    assert code == 1
    assert outputs["failed"] == "true"
    assert int(outputs["findings"]) >= 2
    assert outputs["failing"] == outputs["findings"]
    assert "::warning file=src/app.py.orig" in stdout
    assert "::warning file=docs/notes.md~" in stdout
    assert "hygiene/backup-files" in summary
    assert "failed" in summary.lower()

    assert sarif == tmp_path / "runner-temp" / "forgegate.sarif"
    manifest = json.loads(Path(outputs["run-manifest"]).read_text())
    assert manifest["format"] == "forgegate-run" and manifest["findings"]["failed"] is True
    doc = json.loads(sarif.read_text(encoding="utf-8"))
    schema = json.loads((shared_data / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(doc)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in doc["runs"][0]["results"]
    }
    assert {"src/app.py.orig", "docs/notes.md~"} <= uris


def test_check_passes_when_findings_are_below_the_fail_level(
    make_repo: MakeRepo, tmp_path: Path
) -> None:
    workspace = make_repo(PROBLEMS)
    code, outputs, summary, _, sarif = _check(workspace, tmp_path, **{"fail-on": "error"})
    assert code == 0
    assert outputs["failed"] == "false"
    assert int(outputs["findings"]) >= 2
    assert outputs["failing"] == "0"
    assert sarif.is_file()
    assert "passed" in summary.lower()


def test_check_honours_baseline_and_sarif_inputs(make_repo: MakeRepo, tmp_path: Path) -> None:
    workspace = make_repo(PROBLEMS)
    from forgegate.cli import main

    assert main(["baseline", "update", str(workspace)]) == 0
    out = tmp_path / "reports" / "gate.sarif"
    out.parent.mkdir()
    code, outputs, summary, _, sarif = _check(
        workspace, tmp_path, **{"fail-on": "warning", "sarif": str(out)}
    )
    assert code == 0, summary
    assert outputs["findings"] == "0"
    assert int(outputs["baselined"]) >= 2
    assert sarif == out and out.is_file()


def test_check_without_executable_exits_3(make_repo: MakeRepo, tmp_path: Path) -> None:
    workspace = make_repo(PROBLEMS)
    run = run_action(
        REPO_ROOT / "actions" / "check",
        {"forgegate": str(tmp_path / "no-such-forgegate")},
        workspace=workspace,
        runner_temp=tmp_path / "rt",
    )
    assert run.returncode == 3
    assert "run actions/setup first" in run.stderr


def test_check_rejects_a_non_boolean(make_repo: MakeRepo, tmp_path: Path) -> None:
    workspace = make_repo(PROBLEMS)
    code, *_ = _check(workspace, tmp_path, **{"changed-only": "sometimes"})
    assert code == 2


def test_inputs_reach_the_script_only_as_data(make_repo: MakeRepo, tmp_path: Path) -> None:
    """A hostile input value is passed through env, never executed by the shell."""
    workspace = make_repo(PROBLEMS)
    marker = tmp_path / "pwned"
    code, *_ = _check(workspace, tmp_path, only=f"hygiene$(touch {marker})")
    assert code == 2  # forgegate refuses the unknown family
    assert not marker.exists()


# --- actions/report ---


def test_report_publishes_the_check_report_and_a_sticky_comment(
    make_repo: MakeRepo, tmp_path: Path, fake_github: FakeGitHub
) -> None:
    workspace = make_repo(PROBLEMS)
    code, outputs, *_ = _check(workspace, tmp_path, **{"fail-on": "warning"})
    assert code == 1 and Path(outputs["json"]).is_file()
    repo = fake_github.add_repo("octo/app")
    repo.pull(5)
    head = repo.commit("head")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 5, "head": {"sha": head}}}))
    token = "ghs" + "_" + "Ab1" * 12
    run = run_action(
        REPO_ROOT / "actions" / "report",
        {"forgegate": str(FORGEGATE), "report": outputs["json"], "pr-comment": "true"},
        workspace=workspace,
        runner_temp=tmp_path / "rt-report",
        github_token=token,
        env={
            "GITHUB_API_URL": fake_github.url,
            "GITHUB_REPOSITORY": "octo/app",
            "GITHUB_SHA": "0" * 40,  # the merge commit: the PR head from the event wins
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_TOKEN": "",
        },
    )
    assert run.returncode == 0, run.stderr
    assert token not in run.stdout + run.stderr
    [check] = fake_github.runs_named("forgegate findings")
    assert check["head_sha"] == head and check["conclusion"] == "failure"
    paths = {a["path"] for a in fake_github.annotations[check["id"]]}
    assert {"src/app.py.orig", "docs/notes.md~"} <= paths
    [comment] = fake_github.comments_on("octo/app", 5)
    assert "<!-- forgegate:report:forgegate findings -->" in comment["body"]


def test_report_without_a_token_fails(make_repo: MakeRepo, tmp_path: Path) -> None:
    workspace = make_repo(PROBLEMS)
    _, outputs, *_ = _check(workspace, tmp_path)
    run = run_action(
        REPO_ROOT / "actions" / "report",
        {"forgegate": str(FORGEGATE), "report": outputs["json"], "token": ""},
        workspace=workspace,
        runner_temp=tmp_path / "rt-report",
        env={"GITHUB_REPOSITORY": "octo/app", "GITHUB_SHA": "a" * 40},
    )
    assert run.returncode == 3
    assert "GitHub was not told" in run.stderr


# --- the harness itself ---


def test_harness_refuses_what_it_does_not_understand(tmp_path: Path) -> None:
    action = tmp_path / "act"
    action.mkdir()
    (action / "action.yml").write_text(
        "name: x\ndescription: x\nruns:\n  using: composite\n  steps:\n"
        "    - shell: bash\n      run: echo ${{ github.event.issue.title }}\n"
    )
    with pytest.raises(HarnessError, match="unknown context value"):
        run_action(action, workspace=tmp_path, runner_temp=tmp_path / "rt")
    (action / "action.yml").write_text(
        "name: x\ndescription: x\nruns:\n  using: composite\n  steps:\n"
        "    - shell: bash\n      run: echo ${{ format('{0}', 'a') }}\n"
    )
    with pytest.raises(HarnessError, match="unsupported expression"):
        run_action(action, workspace=tmp_path, runner_temp=tmp_path / "rt")
    with pytest.raises(HarnessError, match="unknown input"):
        run_action(action, {"nope": "1"}, workspace=tmp_path, runner_temp=tmp_path / "rt")


# --- root action.yml (actions/setup + actions/check), installed offline from a wheelhouse ---


def _wheelhouse() -> Path:
    where = os.environ.get("FORGEGATE_WHEELHOUSE", str(REPO_ROOT / ".cache" / "wheelhouse"))
    path = Path(where)
    if not (path / ".downloaded").exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing in CI: `make wheelhouse` must run before the tests")
        pytest.skip(f"SKIPPED LOUDLY: no wheelhouse at {path}; run `make wheelhouse`")
    return path


def test_root_action_installs_hash_pinned_and_runs_the_gate(
    make_repo: MakeRepo, tmp_path: Path
) -> None:
    wheels = _wheelhouse()
    workspace = make_repo(PROBLEMS)
    action = tmp_path / "forgegate-action"
    shutil.copytree(
        REPO_ROOT,
        action,
        ignore=shutil.ignore_patterns(*COPY_IGNORE),
    )
    run = run_action(
        action,
        {"fail-on": "warning", "python": sys.executable},
        workspace=workspace,
        runner_temp=tmp_path / "rt",
        env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "PIP_CONFIG_FILE": os.devnull},
    )
    setup = run.steps[0]
    assert setup.returncode == 0, setup.stderr
    installed = Path(setup.outputs["bin"])
    assert installed.is_relative_to(tmp_path / "rt" / "forgegate-venv")
    assert run.returncode == 1, run.stderr
    assert run.outputs["failed"] == "true"
    assert Path(run.outputs["sarif"]).is_file()
    assert "hygiene/backup-files" in run.summary


def test_setup_refuses_an_unpinned_requirement(tmp_path: Path) -> None:
    """--require-hashes is live: a requirements file with a wrong hash does not install."""
    wheels = _wheelhouse()
    action = tmp_path / "forgegate-action"
    shutil.copytree(
        REPO_ROOT,
        action,
        ignore=shutil.ignore_patterns(*COPY_IGNORE),
    )
    reqs = action / "requirements" / "action.txt"
    reqs.write_text(re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, reqs.read_text()))
    run = run_action(
        action / "actions" / "setup",
        {"python": sys.executable},
        workspace=tmp_path,
        runner_temp=tmp_path / "rt",
        env={"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), "PIP_CONFIG_FILE": os.devnull},
    )
    assert run.returncode != 0
    assert "bin" not in run.steps[0].outputs


# --- actions/checksums and actions/verify ---


def test_checksums_action_create_then_verify(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    dist = workspace / "dist"
    dist.mkdir(parents=True)
    (dist / "pkg-1.0.tar.gz").write_bytes(b"sdist")
    (dist / "pkg-1.0-py3-none-any.whl").write_bytes(b"wheel")
    common = {"forgegate": str(FORGEGATE), "manifest": "dist/SHA256SUMS"}
    created = run_action(
        REPO_ROOT / "actions" / "checksums",
        {**common, "mode": "create", "files": "dist/*.tar.gz dist/*.whl"},
        workspace=workspace,
        runner_temp=tmp_path / "rt1",
    )
    assert created.returncode == 0, created.stderr
    assert created.outputs["manifest"] == "dist/SHA256SUMS"
    assert (dist / "SHA256SUMS").read_text().count("pkg-1.0") == 2

    verified = run_action(
        REPO_ROOT / "actions" / "checksums",
        {**common, "mode": "verify", "files": "dist/*.whl dist/*.gz"},
        workspace=workspace,
        runner_temp=tmp_path / "rt2",
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.outputs["failed"] == "false"

    (dist / "pkg-1.0-py3-none-any.whl").write_bytes(b"tampered")
    tampered = run_action(
        REPO_ROOT / "actions" / "checksums",
        {**common, "mode": "verify", "files": "dist/*.whl"},
        workspace=workspace,
        runner_temp=tmp_path / "rt3",
    )
    assert tampered.returncode == 1
    assert tampered.outputs["failed"] == "true"
    assert "::error file=pkg-1.0-py3-none-any.whl" in tampered.stdout

    missing = run_action(
        REPO_ROOT / "actions" / "checksums",
        {**common, "mode": "verify", "files": "dist/*.nothing"},
        workspace=workspace,
        runner_temp=tmp_path / "rt4",
    )
    assert missing.returncode == 3 and "matches no file" in missing.stderr


def test_verify_action_with_a_real_bundle(tmp_path: Path, shared_data: Path) -> None:
    assets = shared_data / "sigstore" / "sigstore-python"
    workspace = tmp_path / "ws"
    workspace.mkdir()
    shutil.copy(assets / "bundle_v3_github.whl", workspace / "rfc8785.whl")
    shutil.copy(assets / "bundle_v3_github.whl.sigstore", workspace / "rfc8785.whl.sigstore")
    inputs = {
        "forgegate": str(FORGEGATE),
        "artifacts": "*.whl",
        "repo": "trailofbits/rfc8785.py",
        "ref-regexp": "refs/tags/v.*",
        "offline": "true",
    }
    run = run_action(
        REPO_ROOT / "actions" / "verify", inputs, workspace=workspace, runner_temp=tmp_path / "a"
    )
    assert run.returncode == 0, run.stderr
    assert run.outputs["failed"] == "false"

    wrong = run_action(
        REPO_ROOT / "actions" / "verify",
        {**inputs, "repo": "mallory/rfc8785.py"},
        workspace=workspace,
        runner_temp=tmp_path / "b",
    )
    assert wrong.returncode == 1 and wrong.outputs["failed"] == "true"
    assert "::error file=" in wrong.stdout

    not_bool = run_action(
        REPO_ROOT / "actions" / "verify",
        {**inputs, "offline": "yes please"},
        workspace=workspace,
        runner_temp=tmp_path / "c",
    )
    assert not_bool.returncode == 2


# --- actions/sign (signing itself needs Fulcio and Rekor: only up to the signer here) ---


def test_sign_action_checks_inputs_and_needs_an_oidc_token(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    workspace = tmp_path / "ws"
    (workspace / "dist").mkdir(parents=True)
    (workspace / "dist" / "pkg-1.0.tar.gz").write_bytes(b"sdist")
    statement = "slsa-provenance-v1-example.actions-workflow.json"
    shutil.copy(shared_data / "schemas" / statement, workspace / "dist" / "provenance.json")

    def sign(runner: str, **inputs: str) -> Any:
        return run_action(
            REPO_ROOT / "actions" / "sign",
            {"forgegate": str(FORGEGATE), **inputs},
            workspace=workspace,
            runner_temp=tmp_path / runner,
        )

    no_token = sign("a", files="dist/*.tar.gz")
    assert no_token.returncode == 3
    assert "id-token: write" in no_token.stderr
    assert not (workspace / "dist" / "pkg-1.0.tar.gz.sigstore.json").exists()
    not_statement = sign("b", files="dist/*.tar.gz", dsse="true")
    assert not_statement.returncode == 2 and "not JSON" in not_statement.stderr
    statement_ok = sign("c", files="dist/provenance.json", dsse="true")
    assert (
        statement_ok.returncode == 3
    )  # the statement passed its checks; only the token is missing
    assert sign("d", files="dist/*.zip").returncode == 3  # a glob that matches nothing
    assert sign("e", files="dist/*.tar.gz", staging="maybe").returncode == 2


# --- actions/vuln-audit and actions/sbom ---


def _vuln_db(shared_data: Path, target: Path) -> Path:
    shutil.copytree(
        shared_data / "advisory-db" / "vulns" / "requests", target / "vulns" / "requests"
    )
    return target


def test_vuln_audit_action_offline(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORGEGATE_CACHE_DIR", str(tmp_path / "cache"))
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "requirements.txt").write_text("requests==2.19.0\n")
    db = _vuln_db(shared_data, tmp_path / "db")

    def audit(runner: str, **inputs: str) -> Any:
        return run_action(
            REPO_ROOT / "actions" / "vuln-audit",
            {"forgegate": str(FORGEGATE), "vuln-db": str(db), **inputs},
            workspace=workspace,
            runner_temp=tmp_path / runner,
        )

    found = audit("a")  # auto: requirements.txt
    assert found.returncode == 1, found.stderr
    assert found.outputs["failed"] == "true" and int(found.outputs["findings"]) == 2
    assert (
        "::error file=requirements.txt,line=1" in found.stdout and "PYSEC-2018-28" in found.stdout
    )
    sarif = json.loads(Path(found.outputs["sarif"]).read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"deps/vulnerable-dependency"}
    assert "deps/vulnerable-dependency" in found.summary

    (workspace / "requirements.txt").write_text("requests==2.32.3\n")
    clean = audit("b", requirements="requirements.txt")
    assert clean.returncode == 0 and clean.outputs["failed"] == "false"

    (workspace / "requirements.txt").unlink()
    nothing = audit("c")
    assert nothing.returncode == 0 and "nothing to audit" in nothing.stdout
    assert audit("d", auto="false").returncode == 2
    assert audit("e", requirements="missing-*.txt").returncode == 3


def test_sbom_action_writes_a_valid_sbom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from forgegate.supplychain.sbom.bom import validate_json

    from .test_sbom import UV_LOCK

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "uv.lock").write_text(UV_LOCK)

    def sbom(runner: str, **inputs: str) -> Any:
        return run_action(
            REPO_ROOT / "actions" / "sbom",
            {"forgegate": str(FORGEGATE), **inputs},
            workspace=workspace,
            runner_temp=tmp_path / runner,
        )

    made = sbom("a", lock="uv.lock", output="dist/sbom.cdx.json")
    assert made.returncode == 0, made.stderr
    path = workspace / made.outputs["sbom"]
    validate_json(path.read_text())
    assert "requests" in {c["name"] for c in json.loads(path.read_text())["components"]}
    assert sbom("b").returncode == 2
    assert sbom("c", lock="uv.lock", environment=".venv").returncode == 2  # one source

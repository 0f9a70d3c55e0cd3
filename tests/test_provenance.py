"""SLSA v1 provenance: shape checked against the in-toto/SLSA protos and the real examples."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from forgegate.cli import main

ENV = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "octocat/hello-world",
    "GITHUB_REPOSITORY_ID": "1296269",
    "GITHUB_REPOSITORY_OWNER_ID": "583231",
    "GITHUB_REF": "refs/tags/v1.2.3",
    "GITHUB_SHA": "c27d339ee6075c1f744c5d4b200f7901aad2c369",
    "GITHUB_WORKFLOW_REF": "octocat/hello-world/.github/workflows/release.yml@refs/tags/v1.2.3",
    "GITHUB_RUN_ID": "1536140711",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_EVENT_NAME": "push",
    "RUNNER_ENVIRONMENT": "github-hosted",
    "FORGEGATE_BUILDER_ID": "https://github.com/forgegate/forgegate/.github/workflows/"
    "release-gate.yml@refs/tags/v0.1.0",
}


def _proto_fields(text: str) -> dict[str, set[str]]:
    """message name -> JSON field names (lowerCamelCase, as protobuf's JSON mapping writes)."""
    messages: dict[str, set[str]] = {}
    for name, body in re.findall(r"message (\w+) \{(.*?)\n\}", text, re.S):
        fields = set()
        for field in re.findall(r"^\s*(?:repeated\s+)?[\w.<>, ]+?\s+(\w+)\s*=\s*\d+;", body, re.M):
            head, *rest = field.split("_")
            fields.add(head + "".join(p.title() for p in rest))
        messages[name] = fields
    return messages


def _keys_within(doc: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = set(doc) - allowed
    assert not extra, f"{where}: {sorted(extra)} not in the definition"


@pytest.fixture
def provenance(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> dict[str, Any]:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "pkg-1.2.3.tar.gz").write_bytes(b"sdist")
    (tmp_path / "pkg-1.2.3-py3-none-any.whl").write_bytes(b"wheel")
    out = tmp_path / "provenance.intoto.json"
    code = main(
        [
            "provenance",
            str(tmp_path / "pkg-1.2.3.tar.gz"),
            str(tmp_path / "pkg-1.2.3-py3-none-any.whl"),
            "--output",
            str(out),
        ]
    )
    assert code == 0
    capsys.readouterr()
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc


def test_shape_matches_the_definitions(provenance: dict[str, Any], shared_data: Path) -> None:
    schemas = shared_data / "schemas"
    statement = _proto_fields((schemas / "in-toto-statement-v1.proto").read_text())
    descriptor = _proto_fields((schemas / "in-toto-resource-descriptor-v1.proto").read_text())
    slsa = _proto_fields((schemas / "slsa-provenance-v1.proto").read_text())
    assert {"subject", "predicateType", "predicate"} <= statement["Statement"]  # parsed for real
    assert slsa["Provenance"] == {"buildDefinition", "runDetails"}
    _keys_within(provenance, statement["Statement"] | {"_type"}, "statement")
    assert provenance["_type"] == "https://in-toto.io/Statement/v1"
    assert provenance["predicateType"] == "https://slsa.dev/provenance/v1"
    for subject in provenance["subject"]:
        _keys_within(subject, descriptor["ResourceDescriptor"], "subject")
    predicate = provenance["predicate"]
    _keys_within(predicate, slsa["Provenance"], "predicate")
    _keys_within(predicate["buildDefinition"], slsa["BuildDefinition"], "buildDefinition")
    _keys_within(predicate["runDetails"], slsa["RunDetails"], "runDetails")
    _keys_within(predicate["runDetails"]["builder"], slsa["Builder"], "builder")
    _keys_within(predicate["runDetails"]["metadata"], slsa["BuildMetadata"], "metadata")
    for dep in predicate["buildDefinition"]["resolvedDependencies"]:
        _keys_within(dep, slsa["ResourceDescriptor"], "resolvedDependencies")


def test_same_structure_as_githubs_example(provenance: dict[str, Any], shared_data: Path) -> None:
    example = json.loads(
        (shared_data / "schemas" / "slsa-provenance-v1-example.actions-workflow.json").read_text()
    )

    def shape(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: shape(v) for k, v in node.items()}
        if isinstance(node, list):
            return [shape(node[0])] if node else []
        return type(node).__name__

    ours = shape(provenance)
    ours["subject"] = shape(example["subject"])  # two subjects here, one there
    assert ours == shape(example)
    other = json.loads(
        (
            shared_data / "schemas" / "slsa-provenance-v1-example.slsa-github-actions-workflow.json"
        ).read_text()
    )
    assert set(provenance["predicate"]) == set(other["predicate"])


def test_values_come_from_the_run(provenance: dict[str, Any]) -> None:
    subjects = {s["name"]: s["digest"]["sha256"] for s in provenance["subject"]}
    assert subjects == {
        "pkg-1.2.3-py3-none-any.whl": hashlib.sha256(b"wheel").hexdigest(),
        "pkg-1.2.3.tar.gz": hashlib.sha256(b"sdist").hexdigest(),
    }
    build = provenance["predicate"]["buildDefinition"]
    assert build["externalParameters"]["workflow"] == {
        "ref": "refs/tags/v1.2.3",
        "repository": "https://github.com/octocat/hello-world",
        "path": ".github/workflows/release.yml",
    }
    assert build["resolvedDependencies"][0]["digest"] == {"gitCommit": ENV["GITHUB_SHA"]}
    run = provenance["predicate"]["runDetails"]
    assert run["builder"]["id"] == ENV["FORGEGATE_BUILDER_ID"]
    assert run["metadata"]["invocationId"].endswith("/actions/runs/1536140711/attempts/2")


def test_outside_actions_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "a.whl").write_bytes(b"x")
    assert main(["provenance", str(tmp_path / "a.whl")]) == 2
    assert "not in a GitHub Actions run" in capsys.readouterr().err

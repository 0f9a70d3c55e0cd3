"""SLSA Provenance v1 in an in-toto Statement v1, from the GitHub Actions environment.

The build type is GitHub's ``https://actions.github.io/buildtypes/workflow/v1``: the external
parameters name the workflow (repository, ref, path), the internal ones the event, repository
ids and runner environment, and the resolved dependency is the source commit. ``builder.id``
names the reusable workflow that built (``--builder-id`` / ``FORGEGATE_BUILDER_ID``, which
release-gate.yml sets to its own stamped ref), not the caller's workflow.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from forgegate.errors import UsageError
from forgegate.supplychain.checksums import hash_files

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1"
REQUIRED_ENV = (
    "GITHUB_REPOSITORY",
    "GITHUB_REF",
    "GITHUB_SHA",
    "GITHUB_WORKFLOW_REF",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
    "GITHUB_EVENT_NAME",
)


def subjects(artifacts: Sequence[Path]) -> list[dict[str, Any]]:
    for artifact in artifacts:
        if not artifact.is_file():
            raise UsageError(f"{artifact}: not a file")
    digests = hash_files(list(artifacts))
    return sorted(
        (
            {"name": a.name, "digest": {"sha256": d}}
            for a, d in zip(artifacts, digests, strict=True)
        ),
        key=lambda s: (s["name"], s["digest"]["sha256"]),
    )


def statement(
    artifacts: Sequence[Path], env: Mapping[str, str], builder_id: str | None = None
) -> dict[str, Any]:
    missing = [name for name in REQUIRED_ENV if not env.get(name)]
    if missing:
        raise UsageError(
            f"not in a GitHub Actions run: {', '.join(missing)} unset (provenance describes a "
            "workflow run; set them to describe another build)"
        )
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    repository = env["GITHUB_REPOSITORY"]
    workflow_ref = env["GITHUB_WORKFLOW_REF"]  # owner/repo/.github/workflows/x.yml@refs/...
    workflow_path = workflow_ref.split("@", 1)[0].removeprefix(f"{repository}/")
    builder = builder_id or env.get("FORGEGATE_BUILDER_ID") or f"{server}/{workflow_ref}"
    internal = {
        "event_name": env["GITHUB_EVENT_NAME"],
        "repository_id": env.get("GITHUB_REPOSITORY_ID", ""),
        "repository_owner_id": env.get("GITHUB_REPOSITORY_OWNER_ID", ""),
        "runner_environment": env.get("RUNNER_ENVIRONMENT", ""),
    }
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects(artifacts),
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "workflow": {
                        "ref": env["GITHUB_REF"],
                        "repository": f"{server}/{repository}",
                        "path": workflow_path,
                    }
                },
                "internalParameters": {"github": {k: v for k, v in internal.items() if v}},
                "resolvedDependencies": [
                    {
                        "uri": f"git+{server}/{repository}@{env['GITHUB_REF']}",
                        "digest": {"gitCommit": env["GITHUB_SHA"]},
                    }
                ],
            },
            "runDetails": {
                "builder": {"id": builder},
                "metadata": {
                    "invocationId": f"{server}/{repository}/actions/runs/"
                    f"{env['GITHUB_RUN_ID']}/attempts/{env['GITHUB_RUN_ATTEMPT']}"
                },
            },
        },
    }

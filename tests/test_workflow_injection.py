"""workflow/template-injection and workflow/dangerous-triggers on realistic and real workflows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from forgegate.checks.base import Context, SourceFile
from forgegate.checks.workflow._model import WorkflowCheck, documents
from forgegate.checks.workflow.dangerous_triggers import DangerousTriggers
from forgegate.checks.workflow.template_injection import TemplateInjection, contexts, dangerous

from .conftest import MakeRepo
from .test_workflow_rules import SHA, audit, where

CO = f"actions/checkout@{SHA}"
SCRIPT = f"actions/github-script@{SHA}"


def found(findings: list[dict[str, Any]], rule: str) -> list[tuple[int, int]]:
    return [(f["line"], f["column"]) for f in findings if f["rule"] == f"workflow/{rule}"]


def run_check(check: WorkflowCheck, path: Path) -> list[tuple[int, int | None]]:
    """The check alone on one file of the shared corpus: (line, column) of each finding."""
    text = path.read_text(encoding="utf-8")
    source = SourceFile(path.name, text.encode(), text)
    results = check.check_file(source, Context(path.parent, [path.name]))
    return [(f.location.line or 0, f.location.column) for f in results]


# --- workflow/template-injection ---

TRIAGE = f"""\
name: triage
on:
  issues:
    types: [opened, edited]
permissions:
  issues: write
jobs:
  label:
    runs-on: ubuntu-latest
    steps:
      - name: log
        run: |
          echo "Triaging #${{{{ github.event.issue.number }}}}"
          echo "Title: ${{{{ github.event.issue.title }}}}"
          if [[ "${{{{ github.event.issue.body }}}}" == *crash* ]]; then echo crash; fi
      - name: reply
        uses: {SCRIPT}
        with:
          script: |
            const who = context.actor
            const text = `${{{{ github.event.comment.body }}}}`
            await github.rest.issues.createComment({{body: text}})
"""


def test_issue_triage_echoing_the_title(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    findings = audit(make_repo, capsys, {".github/workflows/triage.yml": TRIAGE})
    hits = [f for f in findings if f["rule"] == "workflow/template-injection"]
    # the `${{` of the title (line 14), the body (line 15) and the comment in github-script (21)
    assert [(f["line"], f["column"]) for f in hits] == [(14, 24), (15, 18), (21, 27)]
    assert hits[0]["severity"] == "error"
    assert "github.event.issue.title" in hits[0]["message"]
    assert "`run:` script" in hits[0]["message"] and "env:" in hits[0]["message"]
    assert '"$ISSUE_TITLE"' in hits[0]["message"]
    assert "github-script `script:`" in hits[2]["message"]


def test_fingerprint_survives_lines_added_above(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    before = audit(make_repo, capsys, {".github/workflows/triage.yml": TRIAGE})
    moved = TRIAGE.replace("name: triage\n", "name: triage\n# a comment\n# another\n")
    after = audit(make_repo, capsys, {".github/workflows/triage.yml": moved})
    rule = "workflow/template-injection"
    assert [f["line"] + 2 for f in before if f["rule"] == rule] == [
        f["line"] for f in after if f["rule"] == rule
    ]
    assert {f["fingerprint"] for f in before if f["rule"] == rule} == {
        f["fingerprint"] for f in after if f["rule"] == rule
    }


SAFE = f"""\
on:
  pull_request_target:
  issue_comment:
permissions: {{}}
jobs:
  safe:
    runs-on: ubuntu-latest
    env:
      TITLE: ${{{{ github.event.issue.title }}}}
    steps:
      - name: through env
        env:
          BRANCH: ${{{{ github.head_ref }}}}
          BODY: ${{{{ toJSON(github.event.comment.body) }}}}
        run: |
          echo "$TITLE on $BRANCH: $BODY ${{{{ env.TITLE }}}}"
      - name: booleans and numbers
        if: contains(github.event.comment.body, '/deploy')
        run: |
          echo "${{{{ github.event.issue.title == 'help' }}}}"
          echo "${{{{ contains(github.event.pull_request.labels.*.name, 'ok') }}}}"
          echo "${{{{ !github.event.issue.body }}}} ${{{{ github.event.issue.number }}}}"
          echo "${{{{ startsWith(github.head_ref, 'release/') && 'yes' || 'no' }}}}"
          echo "${{{{ github.event.pull_request.head.sha }}}} ${{{{ needs.build.outputs.x }}}}"
      - uses: {SCRIPT}
        env:
          BODY: ${{{{ github.event.comment.body }}}}
        with:
          script: console.log(process.env.BODY)
      - uses: some/other-action@{SHA}
        with:
          text: ${{{{ github.event.comment.body }}}}
"""


def test_values_passed_through_env_and_booleans_are_fine(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    findings = audit(make_repo, capsys, {".github/workflows/safe.yml": SAFE})
    assert found(findings, "template-injection") == []


def test_expression_dataflow() -> None:
    assert dangerous("github.event.issue.title") == ["github.event.issue.title"]
    assert dangerous("toJSON(github.event.issue.title)") == ["github.event.issue.title"]
    assert dangerous("format('{0} {1}', github.head_ref, github.sha)") == ["github.head_ref"]
    assert dangerous("github.event[ 'issue' ] ['title']") == ["github.event.issue.title"]
    assert dangerous('github.event["issue"]') == ["github.event"]  # not valid: names read
    assert dangerous("  GitHub.Event.Issue.Title  ") == ["github.event.issue.title"]
    assert dangerous("github.event.commits[0].message") == ["github.event.commits.*.message"]
    assert dangerous("github.event.pages.*.page_name") == ["github.event.pages.*.page_name"]
    assert dangerous("github.event.head_commit.author.username") == [
        "github.event.head_commit.author.username"
    ]
    assert dangerous("inputs.tag || 'latest'") == ["inputs.tag"]
    assert dangerous("github.event.inputs.version") == ["github.event.inputs.version"]
    assert dangerous("toJSON(github.event)") == ["github.event"]  # the whole payload
    assert dangerous("fromJSON(inputs.config).name") == ["inputs.config"]
    # not attacker-chosen, or not flowing into the value
    assert dangerous("github.event.pull_request.head.sha") == []
    assert dangerous("github.event.issue.title != ''") == []
    assert dangerous("endsWith(github.head_ref, '-rc')") == []
    assert dangerous("github.event.issue.title && 'x'") == []
    assert dangerous("env.TITLE") == []
    assert dangerous("needs.triage.outputs.title") == []
    assert dangerous("github.event.issues.title") == []  # a different (misspelt) object
    # unparseable: every name read counts
    assert contexts("github.event.issue.title ==") == ["github.event.issue.title"]


STEP_OUTPUTS = """\
on: issue_comment
permissions: {}
jobs:
  parse:
    runs-on: ubuntu-latest
    steps:
      - id: copy
        env:
          BODY: ${{ github.event.comment.body }}
        run: echo "body=$BODY" >> "$GITHUB_OUTPUT"
      - id: count
        env:
          BODY: ${{ github.event.comment.body }}
        run: echo "words=$(wc -w <<< "$BODY")" >> "$GITHUB_OUTPUT"
      - run: echo "${{ steps.copy.outputs.body }}"
      - run: echo "${{ steps.count.outputs.words }} ${{ steps.copy.outputs.other }}"
"""


def test_step_outputs_copying_a_context(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    findings = audit(make_repo, capsys, {".github/workflows/parse.yml": STEP_OUTPUTS})
    hits = [f for f in findings if f["rule"] == "workflow/template-injection"]
    # `copy` copies the body; `count` computes from it, and no step sets `other`
    assert [(f["line"], f["column"]) for f in hits] == [(15, 20)]
    assert "which carries github.event.comment.body" in hits[0]["message"]


def test_several_expressions_on_one_line_and_composite_inputs(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    action = (
        "name: release\ndescription: r\ninputs:\n  version:\n    description: v\n"
        "runs:\n  using: composite\n  steps:\n"
        "    - shell: bash\n"
        '      run: "git tag ${{ inputs.version }} -m ${{ github.sha }}${{inputs.note}}"\n'
        "    - shell: bash\n      env:\n        V: ${{ inputs.version }}\n"
        '      run: git tag "$V"\n'
    )
    findings = audit(make_repo, capsys, {"action.yml": action})
    assert found(findings, "template-injection") == [(10, 21), (10, 63)]


def test_real_zizmor_inputs(shared_data: Path) -> None:
    """zizmor 1.32 (`--offline`) flags these lines; forgegate points at the same lines."""
    data = shared_data / "workflows/woodruffw+zizmor/test-data"
    check = TemplateInjection()

    def lines(name: str) -> list[int]:
        return [row for row, _ in run_check(check, data / name)]

    # github-script `script:` with the issue title (zizmor: line 18)
    assert run_check(check, data / "template-injection.yml") == [(18, 36)]
    # dataflow: comparisons and contains() on lines 15-16 are fine; function calls and
    # `||` carry the title (zizmor: 21, 22, 23, 28, 29)
    assert lines("template-injection/dataflow.yml") == [21, 22, 23, 28, 29]
    # label names by filter and by index are unsafe, pull_requests[0].base.repo.id is not
    assert lines("template-injection/patterns.yml") == [29, 30, 31]
    # composite action inputs: run (14) and github-script (20); azure/cli's inlineScript (26)
    # is outside this rule (zizmor 1.32 does not flag it either)
    assert lines("template-injection/pr-425-backstop/action.yml") == [14, 20]
    assert lines("several-vulnerabilities.yml") == [16]
    # zizmor's false-positive menagerie and static env: nothing
    assert lines("template-injection/false-positive-menagerie.yml") == []
    assert lines("template-injection/static-env.yml") == []


TRIAGE_MIXED = f"""\
on:
  issues:
    types: [opened]
  issue_comment:
permissions: {{}}
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - name: greet
        run: |
          echo "thanks"
          echo "New issue: ${{{{ github.event.issue.title }}}}"
      - name: safe
        env:
          TITLE: ${{{{ github.event.issue.title }}}}
        run: echo "$TITLE"
      - name: branch
        run: echo ${{{{ github.head_ref }}}} -- ${{{{ toJSON(github.event['comment']['body']) }}}}
      - id: extract
        run: echo "title=${{{{ github.event.issue.body }}}}" >> "$GITHUB_OUTPUT"
      - run: echo ${{{{ steps.extract.outputs.title }}}}
      - uses: actions/github-script@{SHA}
        with:
          script: |
            const body = "${{{{ github.event.comment.body }}}}"
      - run: echo "${{{{ github.event.issue.number }}}} ${{{{ env.SAFE }}}}"
"""


def test_template_injection(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    findings = audit(make_repo, capsys, {".github/workflows/triage.yml": TRIAGE_MIXED})
    found = [f for f in findings if f["rule"] == "workflow/template-injection"]
    assert [(f["line"], f["column"]) for f in found] == [
        (13, 28),
        (19, 19),
        (19, 45),
        (21, 26),
        (22, 19),
        (26, 27),
    ]
    assert "github.event.issue.title" in found[0]["message"]
    assert "carries github.event.issue.body" in found[4]["message"]


def test_template_injection_inputs_in_composite_action(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    action = (
        "name: a\ndescription: a\ninputs:\n  version:\n    description: v\n"
        "runs:\n  using: composite\n  steps:\n"
        "    - shell: bash\n      run: pip install pkg==${{ inputs.version }}\n"
        "    - shell: bash\n      env:\n        V: ${{ inputs.version }}\n"
        '      run: pip install "pkg==$V"\n'
    )
    findings = audit(make_repo, capsys, {"action.yml": action})
    assert where(findings, "template-injection") == [("action.yml", 10)]


def test_template_injection_contexts() -> None:
    text = "on: push\njobs: {}\n"
    assert documents(SourceFile("x.yml", text.encode(), text))  # parses
    from forgegate.checks.workflow.template_injection import dangerous

    assert dangerous("github.event.pull_request.head.ref") == ["github.event.pull_request.head.ref"]
    assert dangerous("format('{0}', github.event.commits[0].message)") == [
        "github.event.commits.*.message"
    ]
    assert dangerous("github.event.pull_request.number") == []
    assert dangerous("github.event.inputs.tag") == ["github.event.inputs.tag"]
    assert TemplateInjection.rule.severity.label == "error"


# --- workflow/dangerous-triggers ---

PWN = f"""\
name: test fork PRs
on:
  pull_request_target:
    types: [opened, synchronize, reopened]
permissions:
  contents: read
  pull-requests: write
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: {CO}
        with:
          ref: ${{{{ github.event.pull_request.head.sha }}}}
          persist-credentials: false
      - uses: actions/setup-node@{SHA}
      - run: npm install
      - run: npm test
"""


def test_pull_request_target_checking_out_the_head(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    findings = audit(make_repo, capsys, {".github/workflows/pr.yml": PWN})
    hits = [f for f in findings if f["rule"] == "workflow/dangerous-triggers"]
    assert [(f["line"], f["column"]) for f in hits] == [(14, 16)]
    assert hits[0]["severity"] == "error"
    assert "pull_request_target" in hits[0]["message"]
    assert "github.event.pull_request.head.sha" in hits[0]["message"]


def test_head_checkout_on_pull_request_and_base_checkout_are_fine(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    unprivileged = PWN.replace("pull_request_target:", "pull_request:")
    base = PWN.replace("ref: ${{ github.event.pull_request.head.sha }}", "ref: main")
    labels_only = (
        "on: [pull_request_target]\npermissions: {pull-requests: write}\njobs:\n  label:\n"
        "    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: {CO}\n        with: {{persist-credentials: false}}\n"
        '      - run: gh pr edit --add-label triage "$PR"\n'
        "        env: {PR: '${{ github.event.pull_request.html_url }}'}\n"
    )
    findings = audit(
        make_repo,
        capsys,
        {
            ".github/workflows/a.yml": unprivileged,
            ".github/workflows/b.yml": base,
            ".github/workflows/c.yml": labels_only,
        },
    )
    assert found(findings, "dangerous-triggers") == []


def test_run_steps_fetching_the_head_in_every_on_form(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = (
        "jobs:\n  build:\n    runs-on: ubuntu-latest\n"
        "    env:\n      HEAD: ${{ github.event.pull_request.head.ref }}\n"
        "    steps:\n"
        "      - name: fetch by env\n        run: |\n          set -eu\n"
        '          git fetch origin "$HEAD"\n          make\n'
        "      - name: gh\n        run: gh pr checkout ${{ github.event.pull_request.number }}\n"
        "      - name: merge ref\n"
        "        run: git -C src fetch origin refs/pull/${{ github.event.number }}/merge\n"
        "      - name: harmless\n        run: git fetch origin main && git log -1\n"
    )
    files = {
        ".github/workflows/string.yml": "on: pull_request_target\n" + steps,
        ".github/workflows/list.yml": "on: [push, pull_request_target]\n" + steps,
        ".github/workflows/map.yml": "on:\n  pull_request_target: {types: [labeled]}\n" + steps,
        ".github/workflows/plain.yml": "on: [push, pull_request]\n" + steps,
    }
    findings = audit(make_repo, capsys, files)
    hits = sorted(
        (f["path"].rsplit("/", 1)[1], f["line"])
        for f in findings
        if f["rule"] == "workflow/dangerous-triggers"
    )
    offset = {"string.yml": 1, "list.yml": 1, "map.yml": 2}
    # the `run:` nodes of "fetch by env" (line 8 of steps), "gh" (13) and "merge ref" (15)
    assert hits == sorted((name, n + line) for name, n in offset.items() for line in (8, 13, 15))


def test_workflow_run_fork_repository_is_one_finding_per_step(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = (
        'on:\n  workflow_run:\n    workflows: ["CI"]\n    types: [completed]\n'
        "permissions: {}\njobs:\n  report:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: {CO}\n        with:\n"
        "          repository: ${{ github.event.workflow_run.head_repository.full_name }}\n"
        "          ref: ${{ github.event.workflow_run.head_branch }}\n"
        "          persist-credentials: false\n"
        f"      - uses: {CO}\n        with:\n"
        "          ref: ${{ env.SHA }}\n"
        "        env: {SHA: '${{ github.event.workflow_run.head_sha }}'}\n"
    )
    findings = audit(make_repo, capsys, {".github/workflows/report.yml": wf})
    hits = [f for f in findings if f["rule"] == "workflow/dangerous-triggers"]
    assert [(f["line"], f["column"]) for f in hits] == [(13, 16), (17, 16)]
    assert "workflow_run" in hits[0]["message"]


def test_real_privileged_workflows_without_head_checkout(shared_data: Path) -> None:
    """zizmor flags each of these for the trigger alone (verified with zizmor 1.32 --offline);
    none checks out the pull request's code, so forgegate reports nothing."""
    data = shared_data / "workflows"
    check = DangerousTriggers()
    for name in (
        "woodruffw+zizmor/test-data/several-vulnerabilities.yml",  # pull_request_target
        "woodruffw+zizmor/test-data/bot-conditions.yml",  # pull_request_target
        "tiangolo+typer/.github/workflows/smokeshow.yml",  # workflow_run, head_sha in env only
        "tiangolo+typer/.github/workflows/deploy-docs.yml",  # workflow_run, base checkout
        "psf+black/.github/workflows/diff_shades_comment.yml",  # workflow_run
    ):
        text = (data / name).read_text(encoding="utf-8")
        assert "pull_request_target" in text or "workflow_run" in text, name
        assert run_check(check, data / name) == [], name


def test_real_workflow_turned_into_a_pwn_request(shared_data: Path, tmp_path: Path) -> None:
    """typer's smokeshow (workflow_run) checking out the run's head instead: one finding."""
    real = shared_data / "workflows/tiangolo+typer/.github/workflows/deploy-docs.yml"
    text = real.read_text(encoding="utf-8")
    anchor = "      - uses: actions/checkout@v4\n"
    assert anchor in text
    patched = text.replace(
        anchor, anchor + "        with:\n          ref: ${{ github.event.workflow_run.head_sha }}\n"
    )
    path = tmp_path / "deploy-docs.yml"
    path.write_text(patched, encoding="utf-8")
    row = patched.splitlines().index("          ref: ${{ github.event.workflow_run.head_sha }}")
    assert run_check(DangerousTriggers(), path) == [(row + 1, 16)]


PWN_SMALL = f"""\
on:
  pull_request_target:
    types: [opened, synchronize]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: {CO}
        with:
          ref: ${{{{ github.event.pull_request.head.sha }}}}
          persist-credentials: false
      - run: npm install && npm test
      - run: |
          gh pr checkout ${{{{ github.event.pull_request.number }}}}
  label:
    runs-on: ubuntu-latest
    steps:
      - uses: {CO}
        with:
          persist-credentials: false
"""


def test_dangerous_triggers(make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]) -> None:
    findings = audit(make_repo, capsys, {".github/workflows/pr.yml": PWN_SMALL})
    assert where(findings, "dangerous-triggers") == [
        (".github/workflows/pr.yml", 12),
        (".github/workflows/pr.yml", 15),
    ]


def test_head_checkout_on_pull_request_is_fine(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    safe = PWN_SMALL.replace("pull_request_target:", "pull_request:")
    findings = audit(make_repo, capsys, {".github/workflows/pr.yml": safe})
    assert where(findings, "dangerous-triggers") == []


def test_workflow_run_head_checkout(
    make_repo: MakeRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = (
        'on:\n  workflow_run:\n    workflows: ["CI"]\n    types: [completed]\n'
        "permissions: {}\njobs:\n  report:\n    runs-on: ubuntu-latest\n"
        "    permissions: {contents: read}\n    steps:\n"
        f"      - uses: {CO}\n        with:\n"
        "          ref: ${{ github.event.workflow_run.head_sha }}\n"
        "          persist-credentials: false\n"
    )
    findings = audit(make_repo, capsys, {".github/workflows/report.yml": wf})
    assert where(findings, "dangerous-triggers") == [(".github/workflows/report.yml", 13)]

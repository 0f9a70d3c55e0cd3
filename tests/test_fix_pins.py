"""forgegate fix pins: find, resolve (against the loopback fake GitHub) and rewrite in place."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from forgegate.cli import main
from forgegate.errors import GateError
from forgegate.fixes.pins import find_uses, plan, rewrite
from forgegate.github import retry
from forgegate.github.refs import RefNotFound, RefResolver

from . import github_server
from .conftest import MakeRepo, git
from .github_server import (
    Canned,
    FakeGitHub,
    SchemaCheck,
    rate_limited,
    server_error,
    too_many_requests,
)

fake_github = github_server.fake_github

TYPER = "tiangolo+typer/.github/workflows/publish.yml"
HTTPX = "encode+httpx/.github/workflows/test-suite.yml"
TOKEN = "ghp_" + "Zq7" * 6 + "x9Kd" * 4 + "W2"  # 36 characters after the prefix, never real


@pytest.fixture
def no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Waits the resolver would take, recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(retry, "_sleep", waits.append)
    return waits


def populate(fake: FakeGitHub) -> dict[str, str]:
    """The actions the real workflows use, as annotated / lightweight tags and branches."""
    shas: dict[str, str] = {}
    checkout = fake.add_repo("actions/checkout")
    shas["checkout"] = checkout.commit("v4.2.2")
    shas["checkout-tag-object"] = checkout.annotated_tag("v4", shas["checkout"])
    setup = fake.add_repo("actions/setup-python")
    shas["setup5"] = setup.commit("v5.3.0")
    setup.lightweight_tag("v5", shas["setup5"])
    shas["setup6"] = setup.commit("v6.0.0")
    setup.lightweight_tag("v6", shas["setup6"])
    publish = fake.add_repo("pypa/gh-action-pypi-publish")
    shas["publish"] = publish.commit("v1.10.1")
    publish.annotated_tag("v1.10.1", shas["publish"])
    shas["publish-main"] = publish.commit("main")
    publish.branch("release/v1", shas["publish-main"])
    return shas


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["fix", "pins", *args])
    out, err = capsys.readouterr()
    return code, out, err


# -- the pure part ------------------------------------------------------------------------------


def test_find_uses_skips_local_docker_expressions_and_full_shas() -> None:
    text = (
        "jobs:\n  a:\n    uses: o/r/.github/workflows/w.yml@main\n  b:\n    steps:\n"
        "      - uses: ./local\n      - uses: docker://alpine:3\n"
        "      - uses: a/b@${{ inputs.ref }}\n"
        f"      - uses: a/b@{'c' * 40}\n      - uses: a/b@abc1234\n"
        "      - uses: 'q/r@v2'\n      - run: 'echo uses: x/y@v1'\n"
    )
    found = find_uses(text)
    assert not isinstance(found, str)
    assert [(u.line, u.repo, u.ref) for u in found] == [
        (3, "o/r", "main"),
        (10, "a/b", "abc1234"),
        (11, "q/r", "v2"),
    ]
    assert text[found[2].start : found[2].end] == "q/r@v2"


def test_composite_action_steps_are_found() -> None:
    text = "runs:\n  using: composite\n  steps:\n    - uses: actions/cache@v4\n"
    found = find_uses(text)
    assert not isinstance(found, str)
    assert [(u.line, u.value) for u in found] == [(4, "actions/cache@v4")]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("- uses: a/b@v4\n", "- uses: a/b@{sha} # v4\n"),
        ("- uses: a/b@v4   # v4\n", "- uses: a/b@{sha}   # v4\n"),
        ("- uses: a/b@v4  # v3.1.0 (old)\n", "- uses: a/b@{sha}  # v4 (old)\n"),
        ("- uses: a/b@v4 # needs node 20\n", "- uses: a/b@{sha} # v4 # needs node 20\n"),
        ('- uses: "a/b@v4"\r\n', '- uses: "a/b@{sha}" # v4\r\n'),
        ("- {uses: 'a/b@v4', with: {x: 1}}\n", "- {uses: 'a/b@{sha}', with: {x: 1}} # v4\n"),
        ("- uses: a/b@abc1234 # v4.2.2\n", "- uses: a/b@{sha} # v4.2.2\n"),
        ("- uses: a/b@abc1234\n", "- uses: a/b@{sha} # abc1234\n"),
    ],
)
def test_rewrite_keeps_quoting_and_comments(line: str, expected: str) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    text = f"# top\nruns:\n  steps:\n    {line}    - run: echo hi  # keep\n"
    found = find_uses(text)
    assert not isinstance(found, str) and len(found) == 1
    out = rewrite(text, [(found[0], sha)])
    assert out == text.replace(line, expected.replace("{sha}", sha))


def test_plan_reports_unknown_refs_and_fixes_the_rest() -> None:
    text = "jobs:\n  j:\n    steps:\n      - uses: gone/away@v1\n      - uses: a/b@v2\n"

    def resolve(repo: str, ref: str) -> str:
        if repo == "gone/away":
            raise RefNotFound("does not exist (HTTP 404)")
        return "e" * 40

    result = plan([("w.yml", text)], resolve)
    assert [str(u) for u in result.unresolved] == [
        "w.yml:4: cannot pin `uses: gone/away@v1`: does not exist (HTTP 404)"
    ]
    assert result.files[0].new == text.replace("a/b@v2", f"a/b@{'e' * 40} # v2")


def test_invalid_yaml_is_skipped_not_rewritten() -> None:
    result = plan([("w.yml", "jobs: [\n")], lambda r, f: "e" * 40)
    assert result.skipped and result.skipped[0][0] == "w.yml" and not result.files


def test_schema_check_rejects_a_dishonest_body(fake_github: FakeGitHub) -> None:
    check = SchemaCheck()
    path = "/repos/actions/checkout/commits/v4"
    assert check.errors(path, 200, {"sha": "abc"})
    assert check.errors("/repos/o/r/git/ref/tags/v1", 200, {"ref": "refs/tags/v1"})
    repo = fake_github.add_repo("o/r")
    repo.annotated_tag("v1", repo.commit("x"))
    for probe in ("/repos/o/r/git/ref/tags/v1", "/repos/o/r/git/matching-refs/tags/v"):
        answer = fake_github.answer(probe)
        assert answer.status == 200 and not check.errors(probe, 200, answer.body)


# -- resolving against the fake API -------------------------------------------------------------


def test_resolver_peels_tags_and_expands_branches_and_short_shas(
    fake_github: FakeGitHub, no_token: None
) -> None:
    shas = populate(fake_github)
    resolver = RefResolver(fake_github.url, None)
    annotated = resolver.resolve("actions/checkout", "v4")
    assert annotated == shas["checkout"] != shas["checkout-tag-object"]
    assert resolver.resolve("actions/setup-python", "v5") == shas["setup5"]
    assert resolver.resolve("pypa/gh-action-pypi-publish", "release/v1") == shas["publish-main"]
    assert resolver.resolve("actions/setup-python", shas["setup6"][:7]) == shas["setup6"]
    with pytest.raises(RefNotFound):
        resolver.resolve("actions/checkout", "v99")
    with pytest.raises(RefNotFound):
        resolver.resolve("nobody/nothing", "v1")
    # one request per (repo, ref), however often it is asked, errors included
    before = len(fake_github.requests)
    resolver.resolve("actions/checkout", "v4")
    with pytest.raises(RefNotFound):
        resolver.resolve("actions/checkout", "v99")
    assert len(fake_github.requests) == before
    assert fake_github.hits("/repos/actions/checkout/commits/v4") == 1
    assert not any(r.path == "/repos/actions/checkout" for r in fake_github.requests)


def test_short_rate_limit_is_waited_out(fake_github: FakeGitHub) -> None:
    shas = populate(fake_github)
    now = 1_700_000_000.0
    fake_github.script("/commits/v4", rate_limited(int(now) + 5))
    fake_github.script("/commits/v5", too_many_requests(2))
    waits: list[float] = []
    resolver = RefResolver(fake_github.url, None, sleep=waits.append, clock=lambda: now)
    assert resolver.resolve("actions/checkout", "v4") == shas["checkout"]
    assert resolver.resolve("actions/setup-python", "v5") == shas["setup5"]
    assert waits == [6.0, 2.0]
    assert fake_github.hits("/commits/v4") == 2


def test_long_rate_limit_fails_closed(fake_github: FakeGitHub) -> None:
    populate(fake_github)
    now = 1_700_000_000.0
    fake_github.script("/commits/v4", rate_limited(int(now) + 1800))
    waits: list[float] = []
    resolver = RefResolver(fake_github.url, None, sleep=waits.append, clock=lambda: now)
    with pytest.raises(GateError) as info:
        resolver.resolve("actions/checkout", "v4")
    message = str(info.value)
    assert "2023-11-14 22:43:21Z" in message and "GITHUB_TOKEN" in message
    assert waits == [] and info.value.exit_code == 3


def test_server_errors_are_retried_then_fail_closed(fake_github: FakeGitHub) -> None:
    shas = populate(fake_github)
    fake_github.script("/commits/v4", server_error(502))
    waits: list[float] = []
    resolver = RefResolver(fake_github.url, None, sleep=waits.append, retries=2)
    assert resolver.resolve("actions/checkout", "v4") == shas["checkout"]
    assert waits == [1.0]
    fake_github.script("/commits/v5", *[server_error(503)] * 5)
    with pytest.raises(GateError, match="HTTP 503"):
        resolver.resolve("actions/setup-python", "v5")
    assert fake_github.hits("/commits/v5") == 3  # the first try and two retries


def test_bad_credentials_fail_closed_without_retry(fake_github: FakeGitHub) -> None:
    populate(fake_github)
    fake_github.script("/commits/v4", Canned(401, {"message": "Bad credentials"}))
    waits: list[float] = []
    resolver = RefResolver(fake_github.url, TOKEN, sleep=waits.append)
    with pytest.raises(GateError, match=r"HTTP 401.*GITHUB_TOKEN valid") as info:
        resolver.resolve("actions/checkout", "v4")
    assert TOKEN not in str(info.value) and waits == []
    assert fake_github.hits("/commits/v4") == 1


def test_network_errors_are_retried_then_fail_closed() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    waits: list[float] = []
    resolver = RefResolver(f"http://127.0.0.1:{port}", None, sleep=waits.append, retries=2)
    with pytest.raises(GateError, match="cannot reach the GitHub API"):
        resolver.resolve("actions/checkout", "v4")
    assert waits == [1.0, 2.0]


# -- the command --------------------------------------------------------------------------------


def test_real_workflow_is_rewritten_byte_for_byte(
    fake_github: FakeGitHub,
    make_repo: MakeRepo,
    shared_data: Path,
    capsys: pytest.CaptureFixture[str],
    no_token: None,
) -> None:
    shas = populate(fake_github)
    typer = (shared_data / "workflows" / TYPER).read_bytes()
    httpx = (shared_data / "workflows" / HTTPX).read_bytes().replace(b"\n", b"\r\n")
    root = make_repo(
        {".github/workflows/publish.yml": typer, ".github/workflows/tests.yaml": httpx}
    )
    code, out, err = run(capsys, "--write", "--base-url", fake_github.url, str(root))
    assert code == 0, out + err
    assert "GITHUB_TOKEN is not set" in err
    expected_typer = (
        typer.replace(b"checkout@v4\n", f"checkout@{shas['checkout']} # v4\n".encode())
        .replace(b"setup-python@v5\n", f"setup-python@{shas['setup5']} # v5\n".encode())
        .replace(b"@v1.10.1\n", f"@{shas['publish']} # v1.10.1\n".encode())
    )
    assert (root / ".github/workflows/publish.yml").read_bytes() == expected_typer
    expected_httpx = httpx.replace(
        b'"actions/checkout@v4"', f'"actions/checkout@{shas["checkout"]}" # v4'.encode()
    ).replace(
        b'"actions/setup-python@v6"', f'"actions/setup-python@{shas["setup6"]}" # v6'.encode()
    )
    assert (root / ".github/workflows/tests.yaml").read_bytes() == expected_httpx
    # the same tag in two files is one request
    assert fake_github.hits("/repos/actions/checkout/commits/v4") == 1
    assert not any("authorization" in {k.lower() for k in r.headers} for r in fake_github.requests)


def test_diff_without_write_then_idempotent(
    fake_github: FakeGitHub,
    make_repo: MakeRepo,
    shared_data: Path,
    capsys: pytest.CaptureFixture[str],
    no_token: None,
) -> None:
    shas = populate(fake_github)
    root = make_repo(
        {".github/workflows/publish.yml": (shared_data / "workflows" / TYPER).read_text()}
    )
    target = root / ".github/workflows/publish.yml"
    before = target.read_bytes()
    code, out, err = run(capsys, "--base-url", fake_github.url, str(root))
    assert code == 1
    assert target.read_bytes() == before
    assert out.startswith(
        "--- a/.github/workflows/publish.yml\n+++ b/.github/workflows/publish.yml\n"
    )
    removed = [ln for ln in out.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln for ln in out.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    assert len(removed) == len(added) == 3 and all("uses:" in ln for ln in removed + added)
    assert f"+      - uses: actions/checkout@{shas['checkout']} # v4" in added
    assert "--write" in err

    assert run(capsys, "--write", "--base-url", fake_github.url, str(root))[0] == 0
    requests = len(fake_github.requests)
    again = run(capsys, "--base-url", fake_github.url, str(root))
    assert again[0] == 0 and again[1] == ""
    assert len(fake_github.requests) == requests  # everything pinned: nothing to ask


def test_unknown_action_is_reported_and_the_rest_fixed(
    fake_github: FakeGitHub,
    make_repo: MakeRepo,
    capsys: pytest.CaptureFixture[str],
    no_token: None,
) -> None:
    shas = populate(fake_github)
    action = (
        "name: x\nruns:\n  using: composite\n  steps:\n"
        "    - uses: ghost/action@v1\n    - uses: actions/checkout@v4\n"
        "    - uses: actions/checkout@v404\n"
    )
    root = make_repo({"tools/lint/action.yml": action})
    code, out, _ = run(capsys, "--write", "--base-url", fake_github.url, str(root))
    assert code == 1
    lines = out.splitlines()
    assert any(
        ln.startswith("tools/lint/action.yml:5: cannot pin `uses: ghost/action@v1`") for ln in lines
    )
    assert any(
        ln.startswith("tools/lint/action.yml:7: cannot pin `uses: actions/checkout@v404`")
        for ln in lines
    )
    assert (root / "tools/lint/action.yml").read_text() == action.replace(
        "checkout@v4\n", f"checkout@{shas['checkout']} # v4\n"
    )


def test_policy_workflow_paths_are_included(
    fake_github: FakeGitHub,
    make_repo: MakeRepo,
    capsys: pytest.CaptureFixture[str],
    no_token: None,
) -> None:
    shas = populate(fake_github)
    root = make_repo(
        {
            ".github/forgegate.yml": "workflow-paths: ['ci/*.yml']\n",
            "ci/build.yml": "jobs:\n  b:\n    steps:\n      - uses: actions/setup-python@v5\n",
            "other/build.yml": "jobs:\n  b:\n    steps:\n      - uses: actions/setup-python@v5\n",
        }
    )
    code, out, _ = run(capsys, "--base-url", fake_github.url, str(root))
    assert code == 1
    assert f"+      - uses: actions/setup-python@{shas['setup5']} # v5" in out
    assert "ci/build.yml" in out and "other/build.yml" not in out


def test_rate_limit_in_the_command(
    fake_github: FakeGitHub,
    make_repo: MakeRepo,
    capsys: pytest.CaptureFixture[str],
    no_token: None,
    slept: list[float],
) -> None:
    shas = populate(fake_github)
    text = "jobs:\n  j:\n    steps:\n      - uses: actions/checkout@v4\n"
    root = make_repo({".github/workflows/a.yml": text})
    fake_github.script("/commits/v4", too_many_requests(3))
    code, _, _ = run(capsys, "--write", "--base-url", fake_github.url, str(root))
    assert code == 0 and slept == [3.0]
    assert shas["checkout"] in (root / ".github/workflows/a.yml").read_text()

    (root / ".github/workflows/b.yml").write_text(text.replace("checkout@v4", "setup-python@v5"))
    git(root, "add", "-A")  # the command reads tracked files, like the gate
    fake_github.script("/commits/v5", rate_limited(int(time.time()) + 3600))
    code, _, err = run(capsys, "--write", "--base-url", fake_github.url, str(root))
    assert code == 3 and slept == [3.0]
    assert "rate limit" in err and "resets at" in err and "GITHUB_TOKEN" in err
    assert "setup-python@v5" in (root / ".github/workflows/b.yml").read_text()


def test_token_is_used_and_never_printed(
    fake_github: FakeGitHub,
    make_repo: MakeRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    slept: list[float],
) -> None:
    assert len(TOKEN) == 40
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    populate(fake_github)
    root = make_repo(
        {
            ".github/workflows/a.yml": "jobs:\n  j:\n    steps:\n"
            "      - uses: actions/checkout@v4\n      - uses: ghost/x@v1\n"
        }
    )
    outputs: list[str] = []
    code, out, err = run(capsys, "--base-url", fake_github.url, str(root))
    assert code == 1 and "GITHUB_TOKEN is not set" not in err
    outputs += [out, err]
    sent = [r.headers.get("Authorization", "") for r in fake_github.requests]
    assert sent and all(TOKEN in h for h in sent)

    fake_github.script("/commits/v1", *[server_error(502)] * 4)
    code, out, err = run(capsys, "--base-url", fake_github.url, str(root))
    assert code == 3
    outputs += [out, err]
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    fake_github.script("/commits/v1", rate_limited(int(time.time()) + 7200))
    code, out, err = run(capsys, "--write", str(root))  # base URL from GITHUB_API_URL
    assert code == 3 and "higher limit" in err
    outputs += [out, err]
    assert not any(TOKEN in text or TOKEN[4:] in text for text in outputs)


def test_bad_path_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, str(tmp_path / "missing"))
    assert code == 2 and "no such directory" in err


def test_data_file_is_untouched_on_disk(shared_data: Path, tmp_path: Path) -> None:
    """Guard: the tests above work on copies; the shared workflow corpus stays as shipped."""
    source = shared_data / "workflows" / TYPER
    copy = tmp_path / "w.yml"
    shutil.copyfile(source, copy)
    assert copy.read_bytes() == source.read_bytes()

"""forgegate audit: pip-audit's traps turned into exit 3, findings through the policy.

pip-audit runs for real in every test; the outside world is a loopback OSV responder serving
records of the PyPA advisory database, a dead proxy (network down), or an intercepting proxy
answering for pypi.org (404: every package skipped).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from forgegate.cli import main
from forgegate.commands.audit import smallest_fix
from forgegate.supplychain.audit import Vulnerability

from .tls_proxy import TlsProxy


class AdvisoryResponder(BaseHTTPRequestHandler):
    """Answers OSV's POST /v1/query from the PyPA advisory database's explicit version lists."""

    database: Path
    queries: list[dict[str, Any]]
    fail_with: int | None = None

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).queries.append(body)
        if self.fail_with is not None:
            self.send_response(self.fail_with)
            self.end_headers()
            return
        name = body["package"]["name"].lower()
        version = body.get("version")
        vulns = []
        for path in sorted((self.database / "vulns" / name).glob("*.yaml")):
            record = yaml.safe_load(path.read_text())
            if any(version in a.get("versions", []) for a in record.get("affected", [])):
                vulns.append(json.loads(json.dumps(record, default=str)))
        data = json.dumps({"vulns": vulns} if vulns else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def osv(shared_data: Path) -> Iterator[tuple[str, type[AdvisoryResponder]]]:
    handler = type(
        "Responder", (AdvisoryResponder,), {"database": shared_data / "advisory-db", "queries": []}
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PIP_AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "requirements.txt").write_text(
        "# pinned set with known advisories\nrequests==2.19.0\nidna==3.10\n"
    )
    return tmp_path


def _audit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["audit", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# --- vulnerabilities found, through the policy ---


def test_vulnerabilities_are_findings(
    project: Path, osv: tuple[str, type[AdvisoryResponder]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, handler = osv
    code, out, err = _audit(
        capsys, "-r", "requirements.txt", "--service", "osv", "--osv-url", url, "--format", "json"
    )
    assert code == 1, err
    doc = json.loads(out)
    found = sorted(f["message"].split(":")[1].split()[0] for f in doc["findings"])
    assert "PYSEC-2018-28" in found
    requests_finding = next(f for f in doc["findings"] if "PYSEC-2018-28" in f["message"])
    assert requests_finding["path"] == "requirements.txt" and requests_finding["line"] == 2
    assert "CVE-2018-18074" in requests_finding["message"]
    assert "fixed in 2.20.0" in requests_finding["message"]
    assert {q["package"]["name"].lower() for q in handler.queries} == {"requests", "idna"}


def test_waiver_by_alias_accepts_it(
    project: Path, osv: tuple[str, type[AdvisoryResponder]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = osv
    (project / ".github").mkdir()
    _, out, _ = _audit(
        capsys, "-r", "requirements.txt", "--service", "osv", "--osv-url", url, "--format", "json"
    )
    ids = {f["message"].split(":")[1].split()[0] for f in json.loads(out)["findings"]}
    waivers = "".join(
        f"  - vulnerability: {vid}\n    reason: proxy auth unused\n    owner: '@sec'\n"
        "    expires: 2999-01-01\n"
        for vid in sorted(ids - {"PYSEC-2018-28"})
    )
    (project / ".github" / "forgegate.yml").write_text(
        "waivers:\n  - vulnerability: CVE-2018-18074\n    reason: proxy auth unused\n"
        f"    owner: '@sec'\n    expires: 2999-01-01\n{waivers}"
    )
    code, out, _ = _audit(
        capsys, "-r", "requirements.txt", "--service", "osv", "--osv-url", url, "--format", "json"
    )
    doc = json.loads(out)
    assert code == 0
    assert doc["result"]["counts"]["new"] == 0 and doc["result"]["counts"]["waived"] == len(ids)


# --- the traps: never a pass when nothing was decided ---


def test_network_down_is_exit_3_not_1(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")  # nothing listens: connection refused
    code, _, err = _audit(capsys, "-r", "requirements.txt", "--service", "pypi")
    assert code == 3
    assert "PyPI" in err and "reachable" in err


def test_pypi_404_skips_everything_and_is_exit_3(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with TlsProxy(tmp_path, "pypi.org", status=404, body=b'{"message": "Not Found"}') as proxy:
        for var in ("HTTPS_PROXY", "https_proxy"):
            monkeypatch.setenv(var, proxy.url)
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(proxy.ca_file))
        code, _, err = _audit(capsys, "-r", "requirements.txt", "--service", "pypi")
    assert any("/pypi/requests/2.19.0/json" in r for r in proxy.requests), proxy.requests
    assert code == 3
    assert "skipped 2 of 2 dependencies" in err and "PyPI" in err


def test_osv_server_error_is_exit_3(
    project: Path, osv: tuple[str, type[AdvisoryResponder]], capsys: pytest.CaptureFixture[str]
) -> None:
    url, handler = osv
    handler.fail_with = 502
    code, _, err = _audit(capsys, "-r", "requirements.txt", "--service", "osv", "--osv-url", url)
    assert code == 3
    assert "OSV API at http://127.0.0.1" in err


def test_one_source_required(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _audit(capsys)[0] == 2
    assert _audit(capsys, "-r", "missing.txt")[0] == 2


# --- fix advice ---


def test_smallest_fix_covers_every_vulnerability() -> None:
    vulns = [
        Vulnerability("A", (), ("2.20.0",), ""),
        Vulnerability("B", (), ("2.31.0", "3.0.0"), ""),
    ]
    assert smallest_fix("2.19.0", vulns) == "2.31.0"
    assert smallest_fix("2.19.0", [*vulns, Vulnerability("C", (), (), "")]) is None

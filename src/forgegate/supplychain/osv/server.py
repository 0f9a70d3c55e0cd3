"""OSV's query API (``POST /v1/query``) on 127.0.0.1, answered from a local index.

pip-audit is pointed at it with ``-s osv --osv-url``: it keeps its own dependency sources,
alias merging and fix logic, and never learns that the database is offline. The server answers
the way api.osv.dev does — ``{"vulns": [...]}`` with whole records, ``{}`` when nothing matches,
400 for a malformed query — and records every answer it could not give completely
(:attr:`OsvServer.undecided`), so the audit can fail closed after pip-audit is done.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from forgegate.supplychain.osv.database import Index
from forgegate.supplychain.osv.match import query

QUERY_PATH = "/v1/query"
#: a query body larger than this is refused (a real one is under 200 bytes)
MAX_BODY = 64 * 1024


class OsvServer:
    """A running loopback OSV API; use as a context manager. ``url`` is the query URL."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.queries: list[tuple[str, str]] = []
        self.undecided: list[str] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,))
        self._thread.daemon = True
        port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{port}{QUERY_PATH}"

    def __enter__(self) -> OsvServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def answer(self, body: Any) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON body) for one query document."""
        package = body.get("package") if isinstance(body, dict) else None
        version = body.get("version") if isinstance(body, dict) else None
        if not isinstance(package, dict) or not isinstance(version, str) or not version:
            return 400, {"code": 3, "message": "a query needs package.name and a version"}
        name, ecosystem = package.get("name"), package.get("ecosystem")
        if not isinstance(name, str) or not name:
            return 400, {"code": 3, "message": "package.name is required"}
        if ecosystem not in (None, "PyPI"):
            return 200, {}  # this database is PyPI's: it knows nothing of other ecosystems
        found = query(self.index, name, version)
        with self._lock:
            self.queries.append((name, version))
            self.undecided.extend(f"{name} {version}: {why}" for why in found.undecided)
        return 200, ({"vulns": found.vulns} if found.vulns else {})


def _handler(server: OsvServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: pip-audit's session reuses one connection
        disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

        def do_POST(self) -> None:
            if self.path.split("?", 1)[0] != QUERY_PATH:
                self._send(404, {"code": 5, "message": "Not Found"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 < length <= MAX_BODY:
                self._send(400, {"code": 3, "message": "missing or oversized body"})
                return
            try:
                body = json.loads(self.rfile.read(length))
            except ValueError:
                self._send(400, {"code": 3, "message": "the body is not JSON"})
                return
            self._send(*server.answer(body))

        def do_GET(self) -> None:
            self._send(405 if self.path == QUERY_PATH else 404, {"code": 12})

        def _send(self, status: int, doc: dict[str, Any]) -> None:
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the audit reports; request lines would only be noise on stderr

    return Handler

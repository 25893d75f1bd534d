"""A loopback HTTP server of spec folders, with faults to inject.

Serves a folder (e.g. ../shared/specs) as ``python -m http.server`` does: files,
and an HTML index for a folder. ``faults`` maps a URL path to what goes wrong:
``"missing"`` (404), ``"cut"`` (Content-Length says more than is sent, then the
connection closes), ``"cut-once"`` (only the first time), or bytes served instead.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any


class _Handler(SimpleHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the test output stays readable

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.requests.append(path)
        fault = self.server.faults.get(path)
        if fault == "cut-once":
            del self.server.faults[path]
        if fault == "missing":
            self.send_error(404, "Not Found")
        elif fault in ("cut", "cut-once"):
            body = self.translate_path(path)
            data = Path(body).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif isinstance(fault, bytes):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(fault)))
            self.end_headers()
            self.wfile.write(fault)
        else:
            super().do_GET()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    faults: dict[str, str | bytes]
    requests: list[str]


class SpecServer:
    def __init__(self, root: Path) -> None:
        handler = functools.partial(_Handler, directory=str(root))
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.faults = {}
        self._server.requests = []
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def faults(self) -> dict[str, str | bytes]:
        return self._server.faults

    @property
    def requests(self) -> list[str]:
        return self._server.requests

    def __enter__(self) -> SpecServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

"""The HTTP(S) layer: a ThreadingHTTPServer speaking HTTP/1.1 with keep-alive,
writing each response in one send and streams with chunked transfer encoding
(flushed per chunk). It only translates; every behaviour lives in the core.
"""

from __future__ import annotations

import functools
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from socketserver import StreamRequestHandler, ThreadingTCPServer
from typing import Any
from urllib.parse import parse_qs

from ..protocol.wire import ConnectionDropped, ServerRequest, ServerResponse

Handle = Callable[[ServerRequest], ServerResponse]

_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    410: "Gone",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class _Handler(StreamRequestHandler):
    """HTTP/1.1 with keep-alive. Parses requests itself: http.server's header
    parsing (the email package) would cost more than the whole core."""

    server: HTTPServer
    close_connection = False

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.track(self.connection, False)

    def handle(self) -> None:
        try:
            while not self.close_connection:
                request = self._read_request()
                if request is None:
                    return
                response = self.server.core_handle(request)
                if response.stream is None:
                    self._send(request.method, response)
                else:
                    self._stream(response)
        except (OSError, ValueError):
            return  # the client went away or spoke garbage: drop the connection

    def _read_request(self) -> ServerRequest | None:
        line = self.rfile.readline(_MAX_LINE)
        while line in (b"\r\n", b"\n"):  # tolerate stray blank lines between requests
            line = self.rfile.readline(_MAX_LINE)
        if not line:
            return None
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self._send("GET", _plain(400, "Bad Request"))
            self.close_connection = True
            return None
        method, target, version = parts
        headers: dict[str, str] = {}
        while True:
            raw = self.rfile.readline(_MAX_LINE)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        connection = headers.get("connection", "").lower()
        if version == "HTTP/1.0" or "close" in connection:
            self.close_connection = True
        if headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        path, _, query = target.partition("?")
        request = ServerRequest(
            method=method.upper(),
            path=path,
            query=parse_qs(query, keep_blank_values=True) if query else {},
            headers=headers,
            body=self._read_body(headers),
        )
        self._identify(request)
        return request

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(
                    self.rfile.readline(_MAX_LINE).split(b";")[0].strip() or b"0", 16
                )
                if size == 0:
                    while self.rfile.readline(_MAX_LINE) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline(_MAX_LINE)
        length = int(headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _identify(self, request: ServerRequest) -> None:
        """A verified client certificate: CN is the user, O the groups."""
        if not isinstance(self.connection, ssl.SSLSocket):
            return
        cert = self.connection.getpeercert()
        if not cert:
            return
        groups = []
        subject: Any = cert.get("subject", ())
        for rdn in subject:
            for key, value in rdn:
                if key == "commonName":
                    request.user = value
                elif key == "organizationName":
                    groups.append(value)
        request.groups = tuple(groups)

    def _head(self, response: ServerResponse, extra: dict[str, str]) -> bytes:
        status = response.status
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}"]
        headers = {**response.headers, **extra}
        headers.setdefault("cache-control", "no-cache, private")
        lines += [f"{_canonical(k)}: {v}" for k, v in headers.items()]
        lines.append(f"Date: {_date()}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, method: str, response: ServerResponse) -> None:
        body = b"" if method == "HEAD" else response.body
        head = self._head(response, {"content-length": str(len(response.body))})
        self.wfile.write(head + body)

    def _stream(self, response: ServerResponse) -> None:
        stream = response.stream
        assert stream is not None
        raw = "content-length" in response.headers  # a cut body (faults), not chunked
        extra = {} if raw else {"transfer-encoding": "chunked"}
        try:
            self.wfile.write(self._head(response, extra))
            for chunk in stream:
                if not chunk:
                    if self._client_gone():
                        self.close_connection = True
                        return
                    continue
                self.wfile.write(
                    chunk if raw else b"%x\r\n%s\r\n" % (len(chunk), chunk)
                )
            if not raw:
                self.wfile.write(b"0\r\n\r\n")
        except ConnectionDropped:
            self.close_connection = True
            _abort(self.connection)
        except OSError:
            self.close_connection = True
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    def _client_gone(self) -> bool:
        """While streaming, a readable socket means the client hung up."""
        sock = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            timeout = sock.gettimeout()
            sock.settimeout(0.0)
            try:
                data: bytes = sock.recv(1)
                return data == b""
            finally:
                sock.settimeout(timeout)
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except OSError:
            return True


_MAX_LINE = 65537


def _plain(status: int, text: str) -> ServerResponse:
    return ServerResponse(status, {"content-type": "text/plain"}, text.encode())


_date_cache: tuple[int, str] = (0, "")


def _date() -> str:
    """The Date header, formatted once a second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


@functools.lru_cache(maxsize=256)
def _canonical(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _abort(sock: socket.socket) -> None:
    """Close without a clean end: the client sees a truncated response."""
    try:
        sock.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class HTTPServer(ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handle: Handle,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.core_handle = handle
        self.tls = tls
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        if self.tls is not None:
            # the handshake runs in the connection's thread (see finish_request)
            sock = self.tls.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, address

    def finish_request(self, request: Any, client_address: Any) -> None:
        if isinstance(request, ssl.SSLSocket):
            try:
                request.settimeout(10)
                request.do_handshake()
                request.settimeout(None)
            except (OSError, ssl.SSLError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away mid-request is not news

    def track(self, sock: socket.socket, alive: bool) -> None:
        with self._lock:
            if alive:
                self._connections.add(sock)
            else:
                self._connections.discard(sock)

    def close_connections(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def tls_context(cert: str, key: str, client_ca: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.load_verify_locations(client_ca)
    context.verify_mode = ssl.CERT_OPTIONAL  # a client certificate is one way to log in
    context.set_alpn_protocols(["http/1.1"])
    return context


def serve_in_thread(server: HTTPServer) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        name="test-apiserver",
        daemon=True,
    )
    thread.start()
    return thread

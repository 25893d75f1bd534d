"""The HTTP(S) layer: a ThreadingTCPServer speaking HTTP/1.1 with keep-alive,
writing each response in one send and streams with chunked transfer encoding
(flushed per chunk). It only translates; every behaviour lives in the engine.

Requests are read by ``http11`` (Go's limits; a Status for what cannot be read).
A client silent for ``read_timeout`` seconds (60 by default) while sending a
request gets 408, one silent between requests is disconnected. HEAD is served
as GET without the body. A failure while handling or writing a response is a
500 Status (a stream already started is cut), logged; the server goes on.
"""

from __future__ import annotations

import functools
import io
import logging
import select
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from socketserver import StreamRequestHandler, ThreadingTCPServer
from typing import Any
from urllib.parse import parse_qs

from ..protocol.status import ApiError
from ..protocol.wire import (
    ConnectionDropped,
    ServerRequest,
    ServerResponse,
    error_response,
)
from .http11 import (
    MAX_BODY_BYTES,
    Unreadable,
    body_length,
    read_body,
    read_head,
    timed_out,
)

Handle = Callable[[ServerRequest], ServerResponse]

_log = logging.getLogger(__name__)

#: how long a client may stay silent while sending a request, or between requests
READ_TIMEOUT = 60.0

_REASONS = {
    101: "Switching Protocols",
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
    408: "Request Timeout",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}


class _Handler(StreamRequestHandler):
    """HTTP/1.1 with keep-alive. Parses requests itself (``http11``):
    http.server's header parsing (the email package) would cost more than the
    whole core. Every request gets an answer unless the client is gone: a Status
    for what cannot be read (then the connection closes), 500 for a failure
    while handling or encoding."""

    server: HTTPServer
    close_connection = False

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)
        self._reader = _TimedReader(self.connection)
        self.rfile = io.BufferedReader(self._reader, 65536)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.track(self.connection, False)

    def handle(self) -> None:
        try:
            while not self.close_connection and self._serve_one():
                pass
        except OSError:
            pass  # the client went away
        except Exception:  # a bug of the front: the connection ends, the server goes on
            _log.exception("test API server: error on a connection")

    def _serve_one(self) -> bool:
        """Read one request and answer it; False: end the connection."""
        try:
            request = self._read_request()
        except Unreadable as error:
            self._refuse(error)
            return False
        if request is None:
            return False
        head_only = request.method == "HEAD"
        if head_only:  # served as a GET whose body is not sent, as net/http does
            request.method = "GET"
        try:
            response = self.server.core_handle(request)
        except Exception as error:
            _log.exception("test API server: error handling %s", request.path)
            response = _internal_error(error)
        if response.upgrade is not None:
            self._upgrade(response)
            return False
        if response.stream is None:
            self._send(response, head_only)
        else:
            self._stream(response, head_only)
        return True

    def _read_request(self) -> ServerRequest | None:
        """The next request; None when the connection ends before one starts
        (closed, or silent for ``read_timeout`` seconds). The head must come
        within ``read_timeout`` of its first byte (Go's ReadHeaderTimeout: a
        client trickling bytes cannot hold the thread); the body may take
        longer, but not stay silent that long."""
        reader, timeout = self._reader, self.server.read_timeout
        reader.timeout = timeout
        try:
            try:
                if not self.rfile.peek(1):  # type: ignore[attr-defined]
                    return None
            except OSError:
                return None  # idle, or gone: nothing was asked
            try:
                reader.deadline = time.monotonic() + timeout
                head = read_head(self.rfile)
                reader.deadline = None
                if head is None:
                    return None
                if head.version < (1, 1) or "close" in (
                    head.headers.get("connection", "").lower()
                ):
                    self.close_connection = True
                length = body_length(head.headers)
                expects = head.headers.get("expect", "").lower() == "100-continue"
                if expects and length != 0:  # a body is wanted (None: chunked)
                    self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                body = read_body(self.rfile, length)
            except TimeoutError:
                raise timed_out() from None
        finally:
            reader.deadline = reader.timeout = None
            self.connection.settimeout(None)  # writes wait for slow readers
        path, _, query = head.target.partition("?")
        request = ServerRequest(
            method=head.method.upper(),
            path=path,
            query=parse_qs(query, keep_blank_values=True) if query else {},
            headers=head.headers,
            body=body,
        )
        self._identify(request)
        return request

    def _refuse(self, error: Unreadable) -> None:
        """Answer a request that could not be read, then close: shut down our
        side and drain what the client still sends for a moment, so that it
        reads the answer instead of a reset."""
        self.close_connection = True
        response = error_response(error)
        try:
            extra = {"content-length": str(len(response.body)), "connection": "close"}
            self.wfile.write(self._encode(response, extra, response.body))
        except OSError:
            return
        _lingering_close(self.connection)

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

    def _extra(self, extra: dict[str, str]) -> dict[str, str]:
        if self.close_connection:
            extra["connection"] = "close"
        return extra

    def _encode(
        self, response: ServerResponse, extra: dict[str, str], body: bytes = b""
    ) -> bytes:
        """Status line, headers (values as UTF-8, as Go writes them; line breaks
        turned into spaces), blank line, body."""
        status = response.status
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}"]
        headers = {**response.headers, **extra}
        headers.setdefault("cache-control", "no-cache, private")
        for name, value in headers.items():
            text = str(value)
            if "\r" in text or "\n" in text:
                text = text.replace("\r", " ").replace("\n", " ")
            lines.append(f"{_canonical(name)}: {text}")
        lines.append(f"Date: {_date()}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def _send(self, response: ServerResponse, head_only: bool = False) -> None:
        try:
            body = response.body
            length = {"content-length": str(len(body))}
            data = self._encode(
                response, self._extra(length), b"" if head_only else body
            )
        except Exception as error:  # a response the front cannot write
            _log.exception("test API server: cannot write a response")
            failed = _internal_error(error)
            data = self._encode(
                failed,
                self._extra({"content-length": str(len(failed.body))}),
                failed.body,
            )
        self.wfile.write(data)

    def _upgrade(self, response: ServerResponse) -> None:
        """A 101: the head, then the connection belongs to the upgrade."""
        assert response.upgrade is not None
        self.close_connection = True
        self.wfile.write(self._encode(response, {}))
        try:
            response.upgrade(self.connection, self.rfile.read1)
        except OSError:
            pass
        except Exception:
            _log.exception("test API server: an upgraded connection failed")

    def _stream(self, response: ServerResponse, head_only: bool = False) -> None:
        stream = response.stream
        assert stream is not None
        raw = "content-length" in response.headers  # a cut body (faults), not chunked
        extra = {} if raw else {"transfer-encoding": "chunked"}
        try:
            try:
                head = self._encode(response, self._extra(extra))
            except Exception as error:
                _log.exception("test API server: cannot write a response")
                self._send(_internal_error(error))
                return
            self.wfile.write(head)
            if head_only:
                return
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
        except Exception:  # the head is out: a cut stream tells the client it broke
            _log.exception("test API server: a response stream failed")
            self.close_connection = True
            _abort(self.connection)
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


class _TimedReader(io.RawIOBase):
    """The reading side of a connection: each receive waits at most
    ``timeout`` seconds, and never past ``deadline`` (time.monotonic)."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock
        self.timeout: float | None = None
        self.deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        timeout = self.timeout
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request head took too long")
            timeout = left if timeout is None else min(timeout, left)
        self._sock.settimeout(timeout)
        return self._sock.recv_into(buffer)


def _internal_error(error: Exception) -> ServerResponse:
    return error_response(
        ApiError(500, "InternalError", f"Internal error occurred: {error}")
    )


def _lingering_close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(0.5)
        deadline = time.monotonic() + 2.0
        drained = 0
        while time.monotonic() < deadline and drained < 2 * MAX_BODY_BYTES:
            data = socket.socket.recv(sock, 65536)
            if not data:
                return
            drained += len(data)
    except OSError:
        pass


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
    #: the listen backlog: socketserver's 5 resets connections as soon as a few
    #: dozen clients connect at once (parallel tests); the kernel caps it
    #: (net.core.somaxconn)
    request_queue_size = 1024

    def __init__(
        self,
        address: tuple[str, int],
        handle: Handle,
        tls: ssl.SSLContext | None = None,
        *,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self.core_handle = handle
        self.tls = tls
        self.read_timeout = read_timeout
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
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            return  # a client that went away mid-request is not news
        _log.error("test API server: error serving %s", client_address, exc_info=True)

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

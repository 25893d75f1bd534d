"""Tests for the request pipeline over the HTTP transport (generator/runtime/pipeline.py,
transport/http.py) against real loopback HTTP(S) servers.

Every test talks to a ``ThreadingHTTPServer`` on 127.0.0.1 whose handler is a small
script; TLS tests use a CA, server and client certificates made with ``openssl`` at
test time. Nothing in requests or urllib3 is mocked.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import ssl
import subprocess
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from generator.runtime.config import Authenticator, BearerToken, Config, TokenFile
from generator.runtime.errors import (
    AlreadyExists,
    ApiError,
    ConnectionFailed,
    NotFound,
    ResponseTimeout,
    ServerWarning,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)
from generator.runtime.pipeline import Pipeline, RetryPolicy, parse_warnings
from generator.runtime.request import encode_params
from generator.runtime.transport.http import HTTPTransport

TOKEN = "tok-SECRET-5b1e0d"
NEW_TOKEN = "tok-SECRET-rotated-77aa"
PASSWORD = "pw-SECRET-93c1"
PROXY_PASSWORD = "proxy-SECRET-0f0f"
SECRETS = (TOKEN, NEW_TOKEN, PASSWORD, PROXY_PASSWORD)


# --- a scripted loopback server ---------------------------------------------------------


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    target: str  # the request-target as sent (absolute-form through a proxy)
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    client_port: int
    peer_cn: str | None


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: list[tuple[str, str]] = field(default_factory=list)

    def write(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(self.status)
        for name, value in self.headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(self.body)))
        handler.end_headers()
        handler.wfile.write(self.body)


Script = Callable[[Seen, BaseHTTPRequestHandler], "Reply | None"]


def status_reply(code: int, reason: str, message: str = "") -> Reply:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "status": "Failure"}
    body.update(code=code, reason=reason, message=message or reason)
    return Reply(code, json.dumps(body).encode())


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: Server


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle_one(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = urlsplit(self.path)
        seen = Seen(
            method=self.command,
            target=self.path,
            path=target.path,
            query=parse_qsl(target.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            client_port=self.client_address[1],
            peer_cn=_peer_cn(self.connection),
        )
        owner = self.server.owner
        owner.seen.append(seen)
        reply = owner.script(seen, self)
        if reply is not None:
            reply.write(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one


def _peer_cn(connection: Any) -> str | None:
    if not isinstance(connection, ssl.SSLSocket):
        return None
    cert: Any = connection.getpeercert()
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


class Server:
    def __init__(
        self, script: Script, tls: ssl.SSLContext | None = None, port: int = 0
    ) -> None:
        self.script = script
        self.seen: list[Seen] = []
        self.sni: list[str | None] = []
        self.httpd = _HTTPServer(("127.0.0.1", port), _Handler)
        self.httpd.owner = self
        self.scheme = "http"
        if tls is not None:
            tls.sni_callback = self._record_sni
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.02,), daemon=True
        )
        self.thread.start()

    def _record_sni(self, sock: Any, name: str | None, context: Any) -> None:
        self.sni.append(name)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(
        script: Script, tls: ssl.SSLContext | None = None, port: int = 0
    ) -> Server:
        server = Server(script, tls, port)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


class Sleeps(list[float]):
    """Records the pipeline's pauses instead of sleeping."""

    def __call__(self, seconds: float, ctx: Any = None) -> None:
        self.append(seconds)


@pytest.fixture
def transports() -> Iterator[list[Pipeline]]:
    made: list[Pipeline] = []
    yield made
    for transport in made:
        transport.close()


@pytest.fixture
def connect(
    transports: list[Pipeline],
) -> Callable[..., tuple[Pipeline, Sleeps]]:
    """A pipeline over HTTP to ``host`` whose sleeps are recorded and jitter is always 1."""

    def make(host: str, **options: Any) -> tuple[Pipeline, Sleeps]:
        retry_options = {
            key: options.pop(key)
            for key in ("max_retries", "backoff_base", "backoff_cap")
            if key in options
        }
        config = Config(host=host, **options)
        transport = Pipeline(
            HTTPTransport(config), config, retry=RetryPolicy(**retry_options)
        )
        sleeps = Sleeps()
        transport.sleep = sleeps
        transport.random = lambda: 1.0
        transports.append(transport)
        return transport, sleeps

    return make


def ok(seen: Seen, handler: BaseHTTPRequestHandler) -> Reply:
    return Reply(200, json.dumps({"kind": "PodList", "items": []}).encode())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"secret {secret!r} leaked into: {text}"
    basic = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    assert basic not in text


# --- URLs and parameters ------------------------------------------------------------------


def test_params_encoding(serve: Callable[..., Server], connect: Any) -> None:
    server = serve(ok)
    transport, _ = connect(server.url)
    params = {
        "labelSelector": "app=web,tier!=db",
        "limit": 5,
        "watch": True,
        "pretty": False,
        "continue": None,
        "dryRun": ["All", "All"],
        "fieldManager": "kubectl client",
    }
    transport.request("GET", "/api/v1/pods", params=params)
    assert server.seen[0].query == [
        ("labelSelector", "app=web,tier!=db"),
        ("limit", "5"),
        ("watch", "true"),
        ("pretty", "false"),
        ("dryRun", "All"),
        ("dryRun", "All"),
        ("fieldManager", "kubectl client"),
    ]
    assert encode_params({"a": None, "b": []}) == ()


def test_host_path_prefix_is_kept(serve: Callable[..., Server], connect: Any) -> None:
    server = serve(ok)
    transport, _ = connect(server.url + "/k8s/clusters/c-1")
    transport.request("GET", "/api/v1/namespaces/default/pods")
    assert server.seen[0].path == "/k8s/clusters/c-1/api/v1/namespaces/default/pods"


@pytest.mark.parametrize(
    "path",
    [
        "api/v1/pods",
        "",
        "http://evil.example/api",
        "/api/v1/pods/https://evil.example",
        "/api/v1/pods?watch=1",
        "/api/v1/pods#x",
        "/api/v1/po ds",
        "/api/v1/pods\r\nX-Injected: 1",
    ],
)
def test_refuses_paths_that_are_not_absolute_api_paths(
    serve: Callable[..., Server], connect: Any, path: str
) -> None:
    server = serve(ok)
    transport, _ = connect(server.url)
    with pytest.raises(ValueError):
        transport.request("GET", path)
    assert server.seen == []


# --- headers, bodies, responses ------------------------------------------------------------


def test_headers_and_body(serve: Callable[..., Server], connect: Any) -> None:
    server = serve(lambda seen, handler: Reply(201, seen.body))
    transport, _ = connect(server.url, auth=BearerToken(TOKEN), user_agent="ua/1.0")
    body = b'{"kind":"ConfigMap","metadata":{"name":"a"}}'
    response = transport.request(
        "post", "/api/v1/namespaces/default/configmaps", body=body
    )
    assert response.status == 201
    assert response.json() == json.loads(body)
    patch = transport.request(
        "PATCH",
        "/api/v1/namespaces/default/configmaps/a",
        body=b'{"data":{"k":"v"}}',
        content_type="application/merge-patch+json",
        accept="application/json;as=Table;v=v1;g=meta.k8s.io",
        headers={"X-Custom": "yes"},
    )
    first, second = server.seen
    assert first.method == "POST"
    assert first.body == body
    assert first.headers["authorization"] == f"Bearer {TOKEN}"
    assert first.headers["user-agent"] == "ua/1.0"
    assert first.headers["accept"] == "application/json"
    assert first.headers["content-type"] == "application/json"
    assert second.headers["content-type"] == "application/merge-patch+json"
    assert second.headers["accept"] == "application/json;as=Table;v=v1;g=meta.k8s.io"
    assert second.headers["x-custom"] == "yes"
    assert patch.content() == b'{"data":{"k":"v"}}'
    assert list(patch.iter_chunks(4))[:2] == [b'{"da', b'ta":']


def test_a_body_that_is_not_json_is_named_precisely(
    serve: Callable[..., Server], connect: Any
) -> None:
    from generator.runtime.errors import ResponseDecodeError

    page = b"<html><body>502 from a proxy in the way</body></html>"
    server = serve(
        lambda seen, handler: Reply(200, page, [("Content-Type", "text/html")])
    )
    transport, _ = connect(server.url)
    response = transport.request("GET", "/api/v1/namespaces")
    with pytest.raises(ResponseDecodeError) as err:
        response.json()
    message = str(err.value)
    assert "GET /api/v1/namespaces: 200 response is not JSON (text/html)" in message
    assert "502 from a proxy" in message


def test_get_sends_no_content_type(serve: Callable[..., Server], connect: Any) -> None:
    server = serve(ok)
    transport, _ = connect(server.url)
    transport.request("GET", "/api")
    assert "content-type" not in server.seen[0].headers
    assert "authorization" not in server.seen[0].headers


def test_basic_auth(serve: Callable[..., Server], connect: Any) -> None:
    server = serve(ok)
    transport, _ = connect(server.url, username="admin", password=PASSWORD)
    transport.request("GET", "/api")
    expected = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    assert server.seen[0].headers["authorization"] == f"Basic {expected}"


def test_netrc_is_never_used(
    serve: Callable[..., Server],
    connect: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-pw\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    server = serve(ok)
    anonymous, _ = connect(server.url)
    anonymous.request("GET", "/api")
    with_token, _ = connect(server.url, auth=BearerToken(TOKEN))
    with_token.request("GET", "/api")
    assert "authorization" not in server.seen[0].headers
    assert server.seen[1].headers["authorization"] == f"Bearer {TOKEN}"


def test_connections_are_pooled(serve: Callable[..., Server], connect: Any) -> None:
    server = serve(ok)
    transport, _ = connect(server.url)
    for _ in range(3):
        transport.request("GET", "/api")
    assert len({seen.client_port for seen in server.seen}) == 1


def test_redirects_are_not_followed(serve: Callable[..., Server], connect: Any) -> None:
    server = serve(lambda seen, handler: Reply(302, b"", [("Location", "/elsewhere")]))
    transport, _ = connect(server.url, auth=BearerToken(TOKEN))
    with pytest.raises(ApiError) as caught:
        transport.request("GET", "/api")
    assert caught.value.status == 302
    assert [seen.path for seen in server.seen] == ["/api"]


# --- errors ----------------------------------------------------------------------------


def test_error_statuses_raise_their_class(
    serve: Callable[..., Server], connect: Any
) -> None:
    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> Reply:
        if seen.method == "POST":
            return status_reply(409, "AlreadyExists", 'configmaps "a" already exists')
        return status_reply(404, "NotFound", 'configmaps "a" not found')

    server = serve(script)
    transport, sleeps = connect(server.url)
    with pytest.raises(NotFound) as missing:
        transport.request("GET", "/api/v1/namespaces/default/configmaps/a")
    assert missing.value.message == 'configmaps "a" not found'
    assert missing.value.method == "GET"
    assert missing.value.url == f"{server.url}/api/v1/namespaces/default/configmaps/a"
    with pytest.raises(AlreadyExists):
        transport.request("POST", "/api/v1/namespaces/default/configmaps", body=b"{}")
    assert sleeps == []


# --- retries -------------------------------------------------------------------------------


def test_401_refreshes_credentials_and_retries_once(
    serve: Callable[..., Server], connect: Any, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)

    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> Reply:
        if seen.headers.get("authorization") != f"Bearer {NEW_TOKEN}":
            # The token was rotated on disk while the client still had the old one.
            token_file.write_text(NEW_TOKEN)
            os.utime(token_file, ns=(1, 1))
            return status_reply(401, "Unauthorized")
        return Reply(200, b'{"ok":true}')

    server = serve(script)
    transport, sleeps = connect(server.url, auth=TokenFile(str(token_file)))
    assert transport.request("GET", "/api").json() == {"ok": True}
    assert [seen.headers["authorization"] for seen in server.seen] == [
        f"Bearer {TOKEN}",
        f"Bearer {NEW_TOKEN}",
    ]
    assert sleeps == []


class CountingAuth(Authenticator):
    def __init__(self, refreshes: bool) -> None:
        self.refreshes = refreshes
        self.refresh_calls = 0

    def authorization(self) -> str | None:
        return f"Bearer {TOKEN}"

    def refresh_after_unauthorized(self) -> bool:
        self.refresh_calls += 1
        return self.refreshes


@pytest.mark.parametrize(("refreshes", "attempts"), [(True, 2), (False, 1)])
def test_401_retried_at_most_once_and_only_with_new_credentials(
    serve: Callable[..., Server], connect: Any, refreshes: bool, attempts: int
) -> None:
    server = serve(lambda seen, handler: status_reply(401, "Unauthorized"))
    auth = CountingAuth(refreshes)
    transport, _ = connect(server.url, auth=auth)
    with pytest.raises(Unauthorized):
        transport.request("POST", "/api/v1/namespaces", body=b"{}")
    assert len(server.seen) == attempts
    assert auth.refresh_calls == 1


def failing_then_ok(failures: int, reply: Reply) -> Script:
    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> Reply:
        if len(handler.server.owner.seen) <= failures:  # type: ignore[attr-defined]
            return reply
        return Reply(200, b'{"ok":true}')

    return script


def test_429_honours_retry_after(serve: Callable[..., Server], connect: Any) -> None:
    throttled = status_reply(429, "TooManyRequests")
    throttled.headers.append(("Retry-After", "3"))
    server = serve(failing_then_ok(2, throttled))
    transport, sleeps = connect(server.url)
    response = transport.request("POST", "/api/v1/namespaces", body=b"{}")
    assert response.json() == {"ok": True}
    assert sleeps == [3.0, 3.0]
    assert [seen.body for seen in server.seen] == [b"{}"] * 3


def test_retry_after_is_capped(serve: Callable[..., Server], connect: Any) -> None:
    throttled = status_reply(429, "TooManyRequests")
    throttled.headers.append(("Retry-After", "3600"))
    server = serve(failing_then_ok(1, throttled))
    transport, sleeps = connect(server.url)
    transport.request("GET", "/api")
    assert sleeps == [60.0]


def test_backoff_doubles_up_to_the_cap(
    serve: Callable[..., Server], connect: Any
) -> None:
    server = serve(failing_then_ok(4, status_reply(503, "ServiceUnavailable")))
    transport, sleeps = connect(server.url, backoff_base=0.2, backoff_cap=1.0)
    transport.request("GET", "/api")
    assert sleeps == pytest.approx([0.2, 0.4, 0.8, 1.0])


def test_backoff_has_jitter_above_half_the_step(
    serve: Callable[..., Server], connect: Any
) -> None:
    server = serve(failing_then_ok(3, status_reply(503, "ServiceUnavailable")))
    transport, sleeps = connect(server.url)
    draws = iter([0.5, 0.0, 0.25])
    transport.random = lambda: next(draws)
    transport.request("GET", "/api")
    # equal jitter: between half the step and the step, never ~0
    assert sleeps == pytest.approx([0.75 * 0.2, 0.5 * 0.4, 0.625 * 0.8])


def test_retry_after_zero_keeps_a_minimum_backoff(
    serve: Callable[..., Server], connect: Any
) -> None:
    """Regression: ``Retry-After: 0`` made six attempts within 10 ms."""
    throttled = status_reply(429, "TooManyRequests")
    throttled.headers.append(("Retry-After", "0"))
    server = serve(failing_then_ok(5, throttled))
    transport, sleeps = connect(server.url)
    transport.random = lambda: 0.0
    transport.request("GET", "/api")
    assert len(server.seen) == 6
    assert sleeps == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6])


def test_503_retried_on_get_until_retries_run_out(
    serve: Callable[..., Server], connect: Any
) -> None:
    server = serve(lambda seen, handler: status_reply(503, "ServiceUnavailable"))
    transport, sleeps = connect(server.url, max_retries=2)
    with pytest.raises(ServiceUnavailable):
        transport.request("GET", "/api/v1/pods")
    assert len(server.seen) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_503_not_retried_on_writes(
    serve: Callable[..., Server], connect: Any, method: str
) -> None:
    server = serve(lambda seen, handler: status_reply(503, "ServiceUnavailable"))
    transport, sleeps = connect(server.url)
    with pytest.raises(ServiceUnavailable):
        transport.request(method, "/api/v1/namespaces/x", body=b"{}")
    assert len(server.seen) == 1
    assert sleeps == []


def test_501_not_retried(serve: Callable[..., Server], connect: Any) -> None:
    server = serve(lambda seen, handler: Reply(501, b"not implemented"))
    transport, sleeps = connect(server.url)
    with pytest.raises(ApiError) as caught:
        transport.request("GET", "/api")
    assert caught.value.status == 501
    assert len(server.seen) == 1 and sleeps == []


def test_429_exhausted_raises_too_many_requests(
    serve: Callable[..., Server], connect: Any
) -> None:
    server = serve(lambda seen, handler: status_reply(429, "TooManyRequests"))
    transport, sleeps = connect(server.url, max_retries=1)
    with pytest.raises(TooManyRequests):
        transport.request("DELETE", "/api/v1/namespaces/x")
    assert len(server.seen) == 2 and len(sleeps) == 1


def test_post_retried_when_the_connection_is_refused(
    serve: Callable[..., Server], connect: Any
) -> None:
    port = free_port()
    transport, _ = connect(f"http://127.0.0.1:{port}")
    servers: list[Server] = []

    def sleep(seconds: float, ctx: Any = None) -> None:
        if not servers:  # the API server comes up during the first pause
            servers.append(
                serve(lambda seen, handler: Reply(201, b'{"ok":1}'), port=port)
            )

    transport.sleep = sleep
    response = transport.request("POST", "/api/v1/namespaces", body=b'{"a":1}')
    assert response.status == 201
    assert [seen.body for seen in servers[0].seen] == [b'{"a":1}']


def test_connection_refused_exhausts_retries(connect: Any) -> None:
    port = free_port()
    transport, sleeps = connect(f"http://127.0.0.1:{port}", max_retries=3)
    with pytest.raises(ConnectionFailed) as caught:
        transport.request("GET", "/api")
    assert len(sleeps) == 3
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message
    assert "refused" in message.lower()


def dropping(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True  # no response at all: the connection just closes


def test_get_retried_after_a_dropped_connection(
    serve: Callable[..., Server], connect: Any
) -> None:
    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> Reply | None:
        if len(server.seen) == 1:
            dropping(seen, handler)
            return None
        return ok(seen, handler)

    server = serve(script)
    transport, sleeps = connect(server.url)
    assert transport.request("GET", "/api").status == 200
    assert len(server.seen) == 2 and len(sleeps) == 1


def test_post_not_retried_after_a_dropped_connection(
    serve: Callable[..., Server], connect: Any
) -> None:
    server = serve(dropping)
    transport, sleeps = connect(server.url)
    with pytest.raises(ConnectionFailed) as caught:
        transport.request("POST", "/api/v1/namespaces", body=b"{}")
    assert len(server.seen) == 1 and sleeps == []
    assert "POST /api/v1/namespaces" in str(caught.value)


def test_read_timeout(serve: Callable[..., Server], connect: Any) -> None:
    release = threading.Event()

    def slow(seen: Seen, handler: BaseHTTPRequestHandler) -> Reply:
        release.wait(5)
        return ok(seen, handler)

    server = serve(slow)
    transport, sleeps = connect(server.url)
    try:
        with pytest.raises(ResponseTimeout):
            transport.request("GET", "/api", timeout=(2.0, 0.2))
    finally:
        release.set()
    assert len(server.seen) == 1 and sleeps == []


# --- streaming -----------------------------------------------------------------------------


def write_chunk(handler: BaseHTTPRequestHandler, data: bytes) -> None:
    handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
    handler.wfile.flush()


def end_chunks(handler: BaseHTTPRequestHandler) -> None:
    handler.wfile.write(b"0\r\n\r\n")
    handler.wfile.flush()


def test_streamed_chunks_arrive_as_sent(
    serve: Callable[..., Server], connect: Any
) -> None:
    go_on = threading.Event()

    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        write_chunk(handler, b"one\n")
        go_on.wait(5)  # the second chunk only once the client saw the first
        write_chunk(handler, b"two\r\nthr")
        write_chunk(handler, b"ee\n")
        end_chunks(handler)

    server = serve(script)
    transport, _ = connect(server.url)
    with transport.request("GET", "/api/v1/pods", stream=True) as response:
        chunks = response.iter_chunks()
        started = time.monotonic()
        assert next(chunks) == b"one\n"
        assert time.monotonic() - started < 3
        go_on.set()
        assert list(chunks) == [b"two\r\nthr", b"ee\n"]


def test_iter_lines_on_a_close_delimited_stream(
    serve: Callable[..., Server], connect: Any
) -> None:
    go_on = threading.Event()

    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        # No Content-Length, no chunking: the body ends when the connection does.
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(b"first line\r\nsecond ")
        handler.wfile.flush()
        go_on.wait(5)
        handler.wfile.write(b"line\nlast without newline")
        handler.close_connection = True

    server = serve(script)
    transport, _ = connect(server.url)
    with transport.request("GET", "/api/v1/pods/p/log", stream=True) as response:
        lines = response.iter_lines()
        started = time.monotonic()
        assert next(lines) == b"first line"
        assert time.monotonic() - started < 3
        go_on.set()
        assert list(lines) == [b"second line", b"last without newline"]


def test_stream_error_status_raises(serve: Callable[..., Server], connect: Any) -> None:
    server = serve(lambda seen, handler: status_reply(403, "Forbidden", "no watch"))
    transport, _ = connect(server.url)
    with pytest.raises(ApiError) as caught:
        transport.request("GET", "/api/v1/pods", stream=True)
    assert caught.value.status == 403
    assert caught.value.message == "no watch"


def test_stream_content_reads_everything(
    serve: Callable[..., Server], connect: Any
) -> None:
    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for part in (b'{"items":', b"[1,2", b",3]}"):
            write_chunk(handler, part)
        end_chunks(handler)

    server = serve(script)
    transport, _ = connect(server.url)
    with transport.request("GET", "/api", stream=True) as response:
        assert response.json() == {"items": [1, 2, 3]}


# --- warnings, logs and secrets -------------------------------------------------------------


def test_parse_warnings() -> None:
    header = (
        '299 - "first, with a comma", 299 k8s "second \\"quoted\\"" '
        '"Wed, 21 Oct 2015 07:28:00 GMT", 199 - "not 299"'
    )
    assert parse_warnings(header) == ["first, with a comma", 'second "quoted"']
    assert parse_warnings(None) == []
    assert parse_warnings("garbage") == []


def test_warning_headers_are_surfaced(
    serve: Callable[..., Server], connect: Any, caplog: pytest.LogCaptureFixture
) -> None:
    headers = [
        ("Warning", '299 - "v1beta1 CronJob is deprecated, use batch/v1"'),
        ("Warning", '299 - "unknown field \\"spec.foo\\""'),
    ]
    server = serve(lambda seen, handler: Reply(200, b"{}", headers))
    transport, _ = connect(server.url)
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        transport.request("GET", "/apis/batch/v1beta1/cronjobs")
    server_warnings = [w for w in caught if issubclass(w.category, ServerWarning)]
    assert [str(w.message) for w in server_warnings] == [
        "v1beta1 CronJob is deprecated, use batch/v1",
        'unknown field "spec.foo"',
    ]
    assert {w.filename for w in server_warnings} == {__file__}  # the caller's line
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "server warning: v1beta1 CronJob is deprecated, use batch/v1" in logged
    assert 'server warning: unknown field "spec.foo"' in logged


def test_no_secret_in_logs_reprs_or_errors(
    serve: Callable[..., Server], connect: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def script(seen: Seen, handler: BaseHTTPRequestHandler) -> Reply | None:
        if seen.path == "/flaky" and len(server.seen) < 3:
            return status_reply(503, "ServiceUnavailable")
        if seen.path == "/denied":
            return status_reply(401, "Unauthorized", "Unauthorized")
        if seen.path == "/drop":
            dropping(seen, handler)
            return None
        return ok(seen, handler)

    caplog.set_level(logging.DEBUG)
    server = serve(script)
    proxy = f"http://user:{PROXY_PASSWORD}@127.0.0.1:{free_port()}"
    transport, _ = connect(
        server.url, auth=BearerToken(TOKEN), username="admin", password=PASSWORD
    )
    texts = [repr(transport), repr(transport.config)]
    response = transport.request("GET", "/flaky", params={"labelSelector": "a=b"})
    texts.append(repr(response))
    for path, error_class in (("/denied", Unauthorized), ("/drop", ConnectionFailed)):
        with pytest.raises(error_class) as caught:
            transport.request("POST", path, body=b"{}")
        texts.append(str(caught.value))
        texts.append("".join(traceback.format_exception(caught.value)))
    proxied, _ = connect(
        "http://kubernetes.invalid", auth=BearerToken(TOKEN), proxy_url=proxy
    )
    with pytest.raises(ConnectionFailed) as caught:
        proxied.request("GET", "/api")
    texts.append(str(caught.value))
    texts.append("".join(traceback.format_exception(caught.value)))
    texts.append(repr(proxied))
    texts.append(caplog.text)
    for text in texts:
        assert_no_secrets(text)
    # The debug log does say what happened.
    assert "GET /flaky -> 200" in caplog.text
    assert "GET /flaky -> 503; retry 1 of 5" in caplog.text


def test_debug_log_has_no_query_or_body(
    serve: Callable[..., Server], connect: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = serve(ok)
    transport, _ = connect(server.url)
    caplog.set_level(logging.DEBUG, logger="generator.runtime")
    transport.request("POST", "/api/v1/x", params={"q": "QUERY"}, body=b'"BODY"')
    ours = [r.getMessage() for r in caplog.records if r.name == "generator.runtime"]
    assert ours == ["POST /api/v1/x -> 200"]


# --- proxies ----------------------------------------------------------------------------------


def test_proxy_url_from_config(serve: Callable[..., Server], connect: Any) -> None:
    proxy = serve(ok)
    transport, _ = connect("http://kubernetes.invalid:6443", proxy_url=proxy.url)
    transport.request("GET", "/api/v1/pods", params={"limit": 1})
    assert proxy.seen[0].target == "http://kubernetes.invalid:6443/api/v1/pods?limit=1"


def test_proxy_from_environment(
    serve: Callable[..., Server], connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = serve(ok)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    transport, _ = connect("http://kubernetes.invalid:6443")
    transport.request("GET", "/api")
    assert proxy.seen[0].target == "http://kubernetes.invalid:6443/api"


# --- TLS ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    folder: Path
    ca: Path
    other_ca: Path

    def path(self, name: str) -> str:
        return str(self.folder / name)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("transport-pki")
    leaf = "basicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n"
    (folder / "ip.ext").write_text(leaf + "subjectAltName=IP:127.0.0.1\n")
    (folder / "k8s.ext").write_text(
        leaf + "subjectAltName=DNS:kubernetes,DNS:kubernetes.default.svc\n"
    )
    (folder / "client.ext").write_text(leaf + "extendedKeyUsage=clientAuth\n")
    key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    sign = "-CA ca.crt -CAkey ca.key -CAcreateserial -days 2"
    commands = [
        f"req -x509 {key} -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca",
        f"req -x509 {key} -keyout other.key -out other-ca.crt -days 2 -subj /CN=other",
        f"req {key} -keyout server.key -out server.csr -subj /CN=apiserver",
        f"x509 -req -in server.csr {sign} -out server-ip.crt -extfile ip.ext",
        f"x509 -req -in server.csr {sign} -out server-k8s.crt -extfile k8s.ext",
    ]
    for user in ("admin", "robot"):
        commands += [
            f"req {key} -keyout {user}.key -out {user}.csr -subj /CN={user}",
            f"x509 -req -in {user}.csr {sign} -out {user}.crt -extfile client.ext",
        ]
    for command in commands:
        done = subprocess.run(
            ["openssl", *command.split()], cwd=folder, capture_output=True, check=False
        )
        if done.returncode != 0:
            pytest.fail(f"openssl {command} failed: {done.stderr.decode()}")
    return Pki(folder, folder / "ca.crt", folder / "other-ca.crt")


def server_tls(
    pki: Pki, cert: str, require_client_cert: bool = False
) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.path(f"{cert}.crt"), pki.path("server.key"))
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(str(pki.ca))
    return context


def test_tls_verified_with_the_configured_ca(
    serve: Callable[..., Server], connect: Any, pki: Pki
) -> None:
    server = serve(ok, tls=server_tls(pki, "server-ip"))
    transport, _ = connect(server.url, ca_file=str(pki.ca))
    assert transport.request("GET", "/api").status == 200


def test_tls_with_the_wrong_ca_fails_without_retrying(
    serve: Callable[..., Server], connect: Any, pki: Pki
) -> None:
    server = serve(ok, tls=server_tls(pki, "server-ip"))
    transport, sleeps = connect(server.url, ca_file=str(pki.other_ca))
    with pytest.raises(ConnectionFailed) as caught:
        transport.request("GET", "/api")
    assert "certificate verify failed" in str(caught.value)
    assert server.url in str(caught.value)
    assert sleeps == [] and server.seen == []


def test_tls_verification_is_on_by_default(
    serve: Callable[..., Server],
    connect: Any,
    pki: Pki,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    server = serve(ok, tls=server_tls(pki, "server-ip"))
    transport, _ = connect(server.url)  # system roots only: the test CA is unknown
    with pytest.raises(ConnectionFailed, match="certificate verify failed"):
        transport.request("GET", "/api")


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_insecure_skips_verification(
    serve: Callable[..., Server], connect: Any, pki: Pki
) -> None:
    server = serve(ok, tls=server_tls(pki, "server-k8s"))
    transport, _ = connect(server.url, verify=False)
    assert transport.request("GET", "/api").status == 200


def test_tls_server_name_sets_sni_and_hostname_check(
    serve: Callable[..., Server], connect: Any, pki: Pki
) -> None:
    server = serve(ok, tls=server_tls(pki, "server-k8s"))
    plain, _ = connect(server.url, ca_file=str(pki.ca))
    with pytest.raises(ConnectionFailed, match="127.0.0.1"):
        plain.request("GET", "/api")  # the certificate is for "kubernetes" only
    named, _ = connect(server.url, ca_file=str(pki.ca), tls_server_name="kubernetes")
    assert named.request("GET", "/api").status == 200
    assert server.sni[-1] == "kubernetes"
    wrong, _ = connect(server.url, ca_file=str(pki.ca), tls_server_name="etcd")
    with pytest.raises(ConnectionFailed):
        wrong.request("GET", "/api")


def test_client_certificate_authentication(
    serve: Callable[..., Server], connect: Any, pki: Pki
) -> None:
    server = serve(ok, tls=server_tls(pki, "server-ip", require_client_cert=True))
    anonymous, _ = connect(server.url, ca_file=str(pki.ca), max_retries=0)
    with pytest.raises(ConnectionFailed):
        anonymous.request("GET", "/api")
    transport, _ = connect(
        server.url,
        ca_file=str(pki.ca),
        client_cert_file=pki.path("admin.crt"),
        client_key_file=pki.path("admin.key"),
    )
    assert transport.request("GET", "/api").status == 200
    assert server.seen[-1].peer_cn == "admin"


class RotatingCert(Authenticator):
    """Like an exec plugin whose credential moves from one certificate to another."""

    def __init__(self, pki: Pki) -> None:
        self.pki = pki
        self.user = "admin"

    def client_cert(self) -> tuple[str, str] | None:
        return self.pki.path(f"{self.user}.crt"), self.pki.path(f"{self.user}.key")


def test_client_certificate_is_taken_per_request(
    serve: Callable[..., Server], connect: Any, pki: Pki
) -> None:
    server = serve(ok, tls=server_tls(pki, "server-ip", require_client_cert=True))
    auth = RotatingCert(pki)
    transport, _ = connect(server.url, ca_file=str(pki.ca), auth=auth)
    transport.request("GET", "/api")
    auth.user = "robot"
    transport.request("GET", "/api")
    assert [seen.peer_cn for seen in server.seen] == ["admin", "robot"]


def test_bearer_token_over_tls(
    serve: Callable[..., Server], connect: Any, pki: Pki
) -> None:
    server = serve(ok, tls=server_tls(pki, "server-ip"))
    transport, _ = connect(server.url, ca_file=str(pki.ca), auth=BearerToken(TOKEN))
    transport.request("GET", "/api")
    assert server.seen[0].headers["authorization"] == f"Bearer {TOKEN}"

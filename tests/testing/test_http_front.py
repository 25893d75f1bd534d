"""The HTTP front of the test API server on the wire: many clients at once,
malformed requests answered with a metav1.Status (never a silent close), slow
clients timed out, exceptions answered 500, HEAD."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import CONFIGMAPS, configmap

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

MAX_BODY = 3 * 1024 * 1024  # kube-apiserver's MaxRequestBodyBytes


@pytest.fixture
def quick_server(generated: Path) -> Iterator[ApiServer]:
    """A server that gives up on silent clients after half a second."""
    from kubeclient.testing import ApiServer

    with ApiServer(read_timeout=0.5) as api:
        yield api


class Reply:
    def __init__(self, raw: bytes) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("utf-8").split("\r\n")
        self.status_line = lines[0]
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def status_body(self) -> dict[str, Any]:
        assert self.headers.get("content-type") == "application/json", self.headers
        body: dict[str, Any] = json.loads(self.body)
        assert body["kind"] == "Status" and body["apiVersion"] == "v1", body
        assert body["status"] == "Failure" and body["code"] == self.status, body
        assert body["reason"] and body["message"], body
        return body


def exchange(
    server: ApiServer,
    data: bytes,
    *,
    half_close: bool = False,
    timeout: float = 10.0,
) -> Reply:
    """Send raw bytes, read until the server closes; the server must answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking everything
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    assert raw, "the server closed the connection without an answer"
    return Reply(raw)


def auth(server: ApiServer) -> bytes:
    return f"Authorization: Bearer {server.token}\r\n".encode()


def closing_error(server: ApiServer, data: bytes, code: int, **kw: Any) -> str:
    reply = exchange(server, data, **kw)
    assert reply.status == code, (reply.status_line, reply.body[:300])
    assert reply.headers.get("connection") == "close", reply.headers
    body = reply.status_body()
    message: str = body["message"]
    return message


# --------------------------------------------------------------------------- many clients


def test_200_clients_each_creating_5_over_fresh_connections(server: ApiServer) -> None:
    clients, each = 200, 5
    start = threading.Barrier(clients, timeout=60)
    failures: list[str] = []
    created: list[str] = []
    lock = threading.Lock()

    def run(worker: int) -> None:
        try:
            start.wait()
        except threading.BrokenBarrierError:
            return
        for index in range(each):
            name = f"cm-{worker}-{index}"
            connection = http.client.HTTPConnection(
                "127.0.0.1", server.port, timeout=60
            )
            try:
                connection.request(
                    "POST",
                    CONFIGMAPS,
                    json.dumps(configmap(name, a="b")),
                    {
                        "Content-Type": "application/json",
                        "Authorization": f"Bearer {server.token}",
                    },
                )
                response = connection.getresponse()
                response.read()
                with lock:
                    if response.status == 201:
                        created.append(name)
                    else:
                        failures.append(f"{name}: {response.status}")
            except OSError as error:
                with lock:
                    failures.append(f"{name}: {error!r}")
            finally:
                connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 180
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0.1))
    assert not any(thread.is_alive() for thread in threads), "clients still running"
    assert not failures, f"{len(failures)} failed, e.g. {failures[:5]}"
    assert len(created) == clients * each
    items = server.store.objects(("", "configmaps"), "default")
    assert len(items) == clients * each


# --------------------------------------------------------------------------- plain http


def _self_review(server: ApiServer, token: str | None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    connection.request(
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        json.dumps(body),
        headers,
    )
    response = connection.getresponse()
    data = json.loads(response.read())
    connection.close()
    return response.status, data


def test_plain_http_serves_requests_without_credentials_as_system_unsecured(
    server: ApiServer,
) -> None:
    status, review = _self_review(server, None)
    assert status == 201
    assert review["status"]["userInfo"] == {
        "username": "system:unsecured",
        "groups": ["system:masters", "system:authenticated"],
    }
    server.add_token("t-jane", "jane", ["dev"])
    status, review = _self_review(server, "t-jane")  # a token presented is used
    assert status == 201
    assert review["status"]["userInfo"]["username"] == "jane"
    status, body = _self_review(server, "not-a-token")  # a bad one stays 401
    assert status == 401 and body["reason"] == "Unauthorized"


def test_tls_still_refuses_requests_without_credentials(
    tls_server: ApiServer,
) -> None:
    import ssl

    context = ssl.create_default_context(cafile=tls_server.ca_file)
    connection = http.client.HTTPSConnection(
        "127.0.0.1", tls_server.port, timeout=10, context=context
    )
    connection.request("GET", "/api/v1/namespaces")
    response = connection.getresponse()
    assert response.status == 401
    assert json.loads(response.read())["reason"] == "Unauthorized"
    connection.close()


def test_plain_http_kubeconfig_works_with_our_client(
    server: ApiServer, tmp_path: Path
) -> None:
    from kubeclient import ClientSet
    from kubeclient.config import load_kube_config

    config = load_kube_config(server.write_kubeconfig(tmp_path / "config"))
    namespaces = ClientSet(config).core_v1.namespaces().list()
    names = [n.to_dict()["metadata"]["name"] for n in namespaces.items or []]
    assert "kube-system" in names


def test_plain_http_kubeconfig_works_with_kubectl(
    server: ApiServer, tmp_path: Path
) -> None:
    import subprocess

    from .test_real_clients import KUBECTL_VERSIONS, kubectl_binary

    path = server.write_kubeconfig(tmp_path / "config")
    for version in KUBECTL_VERSIONS:
        done = subprocess.run(
            [str(kubectl_binary(version)), "--kubeconfig", str(path), "get", "ns"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"kubectl {version}: {done.stderr}"
        assert "kube-system" in done.stdout


def test_plain_http_kubeconfig_works_with_the_official_client(
    server: ApiServer, tmp_path: Path
) -> None:
    import importlib

    kubernetes: Any = importlib.import_module("kubernetes")  # typed loosely on purpose
    configuration = kubernetes.client.Configuration
    saved = configuration.get_default_copy()
    try:
        kubernetes.config.load_kube_config(
            config_file=str(server.write_kubeconfig(tmp_path / "config"))
        )
        names = [
            n.metadata.name
            for n in kubernetes.client.CoreV1Api().list_namespace().items
        ]
    finally:
        configuration.set_default(saved)
    assert "kube-system" in names


# --------------------------------------------------------------------------- malformed


def test_request_head_over_the_limit_is_431(server: ApiServer) -> None:
    target = "/api/v1/namespaces?labelSelector=" + "a" * ((1 << 20) + 5000)
    message = closing_error(
        server, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 431
    )
    assert "header" in message.lower()
    many = "".join(f"X-Filler-{i}: {'v' * 100}\r\n" for i in range(12_000))
    request = f"GET /version HTTP/1.1\r\n{many}\r\n".encode()
    assert len(request) > (1 << 20) + 4096
    closing_error(server, request, 431)
    long_line = f"GET /version HTTP/1.1\r\nX-Big: {'v' * ((1 << 20) + 5000)}\r\n\r\n"
    closing_error(server, long_line.encode(), 431)


def test_a_request_line_of_100_kb_is_served_as_by_go(server: ApiServer) -> None:
    """Go's net/http (kube-apiserver: 1 MiB of head) serves long URLs."""
    selector = ",".join(f"k{i}=v" for i in range(25_000))
    target = f"/api/v1/namespaces/default/configmaps?labelSelector={selector}"
    assert len(target) > 100_000
    reply = exchange(
        server,
        f"GET {target} HTTP/1.1\r\n".encode()
        + auth(server)
        + b"Connection: close\r\n\r\n",
    )
    assert reply.status == 200, reply.body[:300]


@pytest.mark.parametrize(
    "length",
    ["abc", "-1", "+5", "1 2", "0x10", "5, 6", "\u00b2"],
    ids=["text", "negative", "plus", "space", "hex", "different-duplicates", "sup2"],
)
def test_bad_content_length_is_400(server: ApiServer, length: str) -> None:
    request = (
        f"POST {CONFIGMAPS} HTTP/1.1\r\nContent-Type: application/json\r\n".encode()
        + auth(server)
        + f"Content-Length: {length}\r\n\r\n{{}}".encode("latin-1")
    )
    message = closing_error(server, request, 400)
    assert "content-length" in message.lower()


def test_duplicate_equal_content_lengths_are_accepted(server: ApiServer) -> None:
    body = json.dumps(configmap("dup")).encode()
    request = (
        f"POST {CONFIGMAPS} HTTP/1.1\r\nContent-Type: application/json\r\n".encode()
        + auth(server)
        + f"Content-Length: {len(body)}\r\nContent-Length: {len(body)}\r\n".encode()
        + b"Connection: close\r\n\r\n"
        + body
    )
    assert exchange(server, request).status == 201


@pytest.mark.parametrize(
    "chunks",
    [
        b"zz\r\n{}\r\n0\r\n\r\n",
        b"\r\n",
        b"-2\r\n{}\r\n0\r\n\r\n",
        b"2\r\n{}XX0\r\n\r\n",
    ],
    ids=["not-hex", "empty-size", "negative", "no-crlf-after-data"],
)
def test_bad_chunked_body_is_400(server: ApiServer, chunks: bytes) -> None:
    request = (
        f"POST {CONFIGMAPS} HTTP/1.1\r\nContent-Type: application/json\r\n".encode()
        + auth(server)
        + b"Transfer-Encoding: chunked\r\n\r\n"
        + chunks
    )
    message = closing_error(server, request, 400, half_close=True)
    assert "chunk" in message.lower()


def test_unsupported_transfer_encoding_is_501(server: ApiServer) -> None:
    request = (
        f"POST {CONFIGMAPS} HTTP/1.1\r\n".encode()
        + auth(server)
        + b"Transfer-Encoding: gzip\r\n\r\n"
    )
    closing_error(server, request, 501)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_truncated_body_is_400(server: ApiServer, chunked: bool) -> None:
    head = (
        f"POST {CONFIGMAPS} HTTP/1.1\r\nContent-Type: application/json\r\n".encode()
        + auth(server)
    )
    if chunked:
        request = head + b'Transfer-Encoding: chunked\r\n\r\n40\r\n{"kind"'
    else:
        request = head + b'Content-Length: 100\r\n\r\n{"kind"'
    message = closing_error(server, request, 400, half_close=True)
    assert "eof" in message.lower() or "truncated" in message.lower()


def test_body_over_3_mib_is_413(server: ApiServer) -> None:
    head = (
        f"POST {CONFIGMAPS} HTTP/1.1\r\nContent-Type: application/json\r\n".encode()
        + auth(server)
    )
    too_big = head + f"Content-Length: {MAX_BODY + 1}\r\n\r\n".encode()
    message = closing_error(server, too_big + b"x" * 65536, 413)
    assert message == f"Request entity too large: limit is {MAX_BODY}"
    chunk = b"x" * (1 << 20)
    chunked = head + b"Transfer-Encoding: chunked\r\n\r\n"
    chunked += b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4))
    closing_error(server, chunked, 413)
    body = json.dumps(configmap("big", a="x" * (MAX_BODY - 200))).encode()
    assert len(body) <= MAX_BODY
    fits = head + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    assert exchange(server, fits + body).status == 201


def test_expect_100_continue_is_refused_before_the_body(server: ApiServer) -> None:
    request = (
        f"POST {CONFIGMAPS} HTTP/1.1\r\n".encode()
        + auth(server)
        + f"Content-Length: {MAX_BODY + 1}\r\nExpect: 100-continue\r\n\r\n".encode()
    )
    reply = exchange(server, request)
    assert reply.status == 413  # no "100 Continue" first: the body is not wanted


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_expect_100_continue_then_the_body(server: ApiServer, chunked: bool) -> None:
    body = json.dumps(configmap(f"expect-{chunked}".lower())).encode()
    framing = (
        b"Transfer-Encoding: chunked\r\n"
        if chunked
        else f"Content-Length: {len(body)}\r\n".encode()
    )
    head = (
        f"POST {CONFIGMAPS} HTTP/1.1\r\nContent-Type: application/json\r\n".encode()
        + auth(server)
        + framing
        + b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head)
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if chunked else body)
        reply = Reply(sock.makefile("rb").read())
    assert reply.status == 201


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("GET /version HTTP/2.0", 505),
        ("GET /version HTTP/0.9", 505),
        ("GET /version HTTP/1.x", 400),
        ("GET /version FTP/1.1", 400),
        ("GET /version", 400),
        ("GET  /version HTTP/1.1 extra", 400),
        ("G(T /version HTTP/1.1", 400),
    ],
)
def test_malformed_request_lines(server: ApiServer, line: str, code: int) -> None:
    closing_error(server, f"{line}\r\nHost: x\r\n\r\n".encode(), code)


def test_malformed_header_lines_are_400(server: ApiServer) -> None:
    for header in ("NoColonHere", " Folded: value", "Bad Name: value", ": empty"):
        request = f"GET /version HTTP/1.1\r\nHost: x\r\n{header}\r\n\r\n".encode()
        closing_error(server, request, 400)


def test_request_cut_inside_the_head_is_400(server: ApiServer) -> None:
    closing_error(server, b"GET /version HTTP/1.1\r\nHost: x", 400, half_close=True)


# --------------------------------------------------------------------------- hardening


def test_a_silent_client_does_not_hold_a_thread(quick_server: ApiServer) -> None:
    with socket.create_connection(("127.0.0.1", quick_server.port), timeout=10) as sock:
        started = time.monotonic()
        assert sock.recv(1) == b""  # closed by the server, nothing was asked
        assert time.monotonic() - started < 5


def test_a_client_stalling_mid_request_gets_408(quick_server: ApiServer) -> None:
    for partial in (b"GET /version HTTP/1.1\r\nHost:", b"GET /vers"):
        started = time.monotonic()
        message = closing_error(quick_server, partial, 408)
        assert time.monotonic() - started < 5
        assert "timeout" in message.lower() or "time" in message.lower()
    body_missing = (
        f"POST {CONFIGMAPS} HTTP/1.1\r\n".encode()
        + auth(quick_server)
        + b"Content-Length: 10\r\n\r\n{"
    )
    closing_error(quick_server, body_missing, 408)


def test_a_head_trickled_byte_by_byte_is_cut_at_the_deadline(
    quick_server: ApiServer,
) -> None:
    """Slowloris: a byte now and then must not keep the head open past
    read_timeout (Go's ReadHeaderTimeout), though no single wait is that long."""
    stop = threading.Event()
    with socket.create_connection(("127.0.0.1", quick_server.port), timeout=10) as sock:
        sock.sendall(b"GET /version HTTP/1.1\r\nX-Slow: ")

        def trickle() -> None:
            while not stop.wait(0.1):
                try:
                    sock.sendall(b"x")
                except OSError:
                    return

        sender = threading.Thread(target=trickle)
        started = time.monotonic()
        sender.start()
        try:
            reply = Reply(sock.makefile("rb").read())
        finally:
            stop.set()
            sender.join(5)
    assert reply.status == 408
    assert time.monotonic() - started < 4
    reply.status_body()


def test_a_slow_body_is_not_cut_while_it_keeps_coming(
    quick_server: ApiServer,
) -> None:
    """For the body the timeout is for silence, not for the whole of it."""
    body = json.dumps(configmap("slow")).encode()
    head = (
        f"POST {CONFIGMAPS} HTTP/1.1\r\nContent-Type: application/json\r\n".encode()
        + auth(quick_server)
        + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
    )
    with socket.create_connection(("127.0.0.1", quick_server.port), timeout=10) as sock:
        sock.sendall(head)
        step = len(body) // 4 + 1
        for start in range(0, len(body), step):
            time.sleep(0.3)
            sock.sendall(body[start : start + step])
        reply = Reply(sock.makefile("rb").read())
    assert reply.status == 201


def test_an_exception_in_the_handler_is_a_500_status(
    server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(request: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(server._httpd, "core_handle", explode)
    reply = exchange(server, b"GET /version HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert reply.status == 500
    assert "boom" in reply.status_body()["message"]
    monkeypatch.undo()
    assert (
        exchange(server, b"GET /version HTTP/1.1\r\nConnection: close\r\n\r\n").status
        == 200
    )


def test_a_response_the_front_cannot_write_is_a_500_status(
    server: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubeclient.testing import ServerResponse

    def bad_header(request: Any) -> Any:
        return ServerResponse(200, {"content-type": "text/plain", 3: "x"}, b"ok")  # type: ignore[dict-item]

    monkeypatch.setattr(server._httpd, "core_handle", bad_header)
    reply = exchange(server, b"GET /version HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert reply.status == 500
    reply.status_body()


def test_a_stream_that_fails_ends_the_connection_not_the_server(
    server: ApiServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from kubeclient.testing import ServerResponse

    def stream() -> Iterator[bytes]:
        yield b'{"type":"ADDED"}\n'
        raise RuntimeError("stream broke")

    monkeypatch.setattr(
        server._httpd,
        "core_handle",
        lambda request: ServerResponse(
            200, {"content-type": "application/json"}, stream=stream()
        ),
    )
    with caplog.at_level("ERROR"):
        reply = exchange(server, b"GET /watch HTTP/1.1\r\n\r\n")
    assert reply.status == 200
    assert b"ADDED" in reply.body and not reply.body.endswith(b"0\r\n\r\n")
    assert any(
        "stream broke" in r.getMessage()
        or (r.exc_info and "stream broke" in str(r.exc_info[1]))
        for r in caplog.records
    )
    monkeypatch.undo()
    assert (
        exchange(server, b"GET /version HTTP/1.1\r\nConnection: close\r\n\r\n").status
        == 200
    )


def test_warnings_with_any_characters_reach_the_client(server: ApiServer) -> None:
    """Header values are UTF-8 as Go writes them: an unknown field named in
    Japanese gives a warning, not a dropped connection."""
    body = {**configmap("warned"), "\u65e5\u672c": 1}
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(
        "POST", CONFIGMAPS, json.dumps(body), {"Content-Type": "application/json"}
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 201
    warning = response.getheader("warning") or ""
    assert "\u65e5\u672c".encode().decode("latin-1") in warning


def test_head_answers_the_get_headers_without_a_body(server: ApiServer) -> None:
    for path in ("/version", "/healthz", "/api/v1/namespaces"):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", path)
        get = connection.getresponse()
        get_body = get.read()
        connection.request("HEAD", path)
        head = connection.getresponse()
        assert head.read() == b""
        assert head.status == get.status == 200
        assert head.getheader("content-length") == str(len(get_body))
        assert head.getheader("content-type") == get.getheader("content-type")
        connection.request("GET", "/version")  # keep-alive went on
        assert connection.getresponse().status == 200
        connection.close()


def test_cli_serve_without_tls_writes_a_kubeconfig_our_client_can_use(
    generated: Path, tmp_path: Path
) -> None:
    import os
    import signal
    import subprocess
    import sys

    from kubeclient import ClientSet
    from kubeclient.config import load_kube_config

    kubeconfig = tmp_path / "kubeconfig"
    env = {**os.environ, "PYTHONPATH": str(generated)}
    command = [sys.executable, "-m", "kubeclient.testing", "serve"]
    usage = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "system:unsecured" in usage
    proc = subprocess.Popen(
        [*command, "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        assert line[0] == "ready" and line[1].startswith("http://127.0.0.1:")
        clients = ClientSet(load_kube_config(kubeconfig))
        namespaces = clients.core_v1.namespaces().list()
        names = [n.to_dict()["metadata"]["name"] for n in namespaces.items or []]
        assert "default" in names
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()

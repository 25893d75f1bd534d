"""exec, attach, port-forward, cp and proxy: the client against the test API
server, over real sockets (WebSocket v5/v4 channels)."""

from __future__ import annotations

import http.server
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

if TYPE_CHECKING:
    from kubeclient import ClientSet
    from kubeclient.testing import ApiServer


def pod(name: str = "web", containers: tuple[str, ...] = ("app",)) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {
            "containers": [
                {
                    "name": c,
                    "image": "x",
                    "ports": [{"name": "http", "containerPort": 8080}],
                }
                for c in containers
            ]
        },
    }


@pytest.fixture
def server(generated: Path) -> Iterator[ApiServer]:
    from kubeclient.testing import ApiServer

    with ApiServer(objects=[pod(), pod("two", ("a", "b"))]) as api:
        yield api


@pytest.fixture
def clients(server: ApiServer) -> Iterator[ClientSet]:
    from kubeclient import ClientSet

    with ClientSet(server.config()) as clients:
        yield clients


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo() -> Iterator[tuple[str, int]]:
    """A TCP echo server on the loopback."""
    socketserver.ThreadingTCPServer.daemon_threads = True
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo) as target:
        threading.Thread(target=target.serve_forever, daemon=True).start()
        yield "127.0.0.1", target.server_address[1]
        target.shutdown()


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"hello from {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def web() -> Iterator[tuple[str, int]]:
    """An HTTP server on the loopback: answers 'hello from <path>'."""
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello) as target:
        threading.Thread(target=target.serve_forever, daemon=True).start()
        yield "127.0.0.1", target.server_address[1]
        target.shutdown()


# --------------------------------------------------------------------------- exec


def test_exec_collects_stdout_stderr_and_the_exit_code(clients: ClientSet) -> None:
    pods = clients.core_v1.pods("default")
    result = pods.exec("web", ["sh", "-c", "echo hi; echo oops >&2; exit 3"])
    assert (result.stdout, result.stderr, result.exit_code) == (b"hi\n", b"oops\n", 3)
    assert pods.exec("web", ["true"], container="app").exit_code == 0


def test_exec_sends_stdin_and_ends_it(clients: ClientSet) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB, binary
    result = clients.core_v1.pods("default").exec("web", ["cat"], stdin=data)
    assert result.stdout == data and result.exit_code == 0


def test_exec_of_an_unknown_command_is_127(clients: ClientSet) -> None:
    result = clients.core_v1.pods("default").exec("web", ["/bin/nope"])
    assert result.exit_code == 127 and b"not found" in result.stderr


def test_exec_failures_are_typed_errors(clients: ClientSet) -> None:
    from kubeclient.errors import BadRequest, NotFound

    pods = clients.core_v1.pods("default")
    with pytest.raises(NotFound):
        pods.exec("nope", ["true"])
    with pytest.raises(BadRequest, match="container x is not valid for pod web"):
        pods.exec("web", ["true"], container="x")
    with pytest.raises(BadRequest, match="a container name must be specified"):
        pods.exec("two", ["true"])


def test_exec_handler_registered_by_the_test(
    server: ApiServer, clients: ClientSet
) -> None:
    from kubeclient.testing.engine.streaming import ExecFailure, Process

    def handler(process: Process) -> int:
        assert process.stdin is None
        process.stdout.write(f"{process.container}: {' '.join(process.command)}")
        if process.command == ["fail"]:
            raise ExecFailure("the runtime cannot start it")
        return 7

    server.pod_runtime.on_exec("default", "two", "b", handler)
    pods = clients.core_v1.pods("default")
    result = pods.exec("two", ["run", "it"], container="b")
    assert (result.stdout, result.exit_code) == (b"b: run it", 7)
    from kubeclient.errors import InternalError

    with pytest.raises(InternalError, match="cannot start it"):
        pods.exec("two", ["fail"], container="b")
    # the other container still gets the emulation
    assert pods.exec("two", ["echo", "x"], container="a").stdout == b"x\n"


def test_exec_streams_big_output_into_a_file(clients: ClientSet) -> None:
    sink = _Counter()
    size = 20 * 1024 * 1024
    result = clients.core_v1.pods("default").exec(
        "web", ["head", "-c", str(size), "/dev/zero"], stdout=sink
    )
    assert sink.count == size and result.stdout == b"" and result.exit_code == 0
    assert sink.largest <= 1 << 20  # chunks as they come, never the whole


class _Counter:
    def __init__(self) -> None:
        self.count = 0
        self.largest = 0

    def write(self, data: bytes) -> int:
        self.count += len(data)
        self.largest = max(self.largest, len(data))
        return len(data)


def test_interactive_session(clients: ClientSet) -> None:
    pods = clients.core_v1.pods("default")
    with pods.stream_exec("web", ["cat"], stdin=True) as session:
        session.stdin.write(b"first ")
        assert session.stdout.read(6) == b"first "
        session.resize(80, 24)  # no terminal: the server takes and ignores it
        session.stdin.write(b"second")
        session.stdin.close()
        assert session.stdout.read() == b"second"
        assert session.wait(10) == 0
        assert session.exit_code == 0


def test_resize_reaches_the_handler(server: ApiServer, clients: ClientSet) -> None:
    from kubeclient.testing.engine.streaming import Process

    def handler(process: Process) -> int:
        assert process.tty and process.stdin is not None
        process.stdin.read()  # until the client closes stdin
        process.stdout.write(repr(process.resized))
        return 0

    server.pod_runtime.on_exec("default", "web", "*", handler)
    pods = clients.core_v1.pods("default")
    with pods.stream_exec("web", ["sh"], stdin=True, tty=True) as session:
        session.resize(100, 30)
        session.resize(120, 40)
        session.stdin.close()
        assert session.stdout.read() == b"[(100, 30), (120, 40)]"
        assert session.wait(10) == 0


def test_attach_echoes_stdin_by_default(clients: ClientSet) -> None:
    with clients.core_v1.pods("default").attach("web", stdin=True) as session:
        session.stdin.write(b"ping")
        session.stdin.close()
        assert session.stdout.read() == b"ping"
        assert session.wait(10) == 0


def test_attach_without_stdin_follows_the_log(
    server: ApiServer, clients: ClientSet
) -> None:
    server.core.logs.set(("default", "web", "app", False), "line 1\n")
    with clients.core_v1.pods("default").attach("web") as session:
        assert session.stdout.read(7) == b"line 1\n"
        server.core.logs.append(("default", "web", "app", False), "line 2\n")
        assert session.stdout.read(7) == b"line 2\n"


def test_a_dropped_connection_is_an_error_not_a_hang(
    server: ApiServer, clients: ClientSet
) -> None:
    from kubeclient.errors import StreamInterrupted
    from kubeclient.testing.engine.streaming import Process

    started = threading.Event()

    def handler(process: Process) -> int:
        process.stdout.write(b"partial")
        started.set()
        process.gone.wait(30)
        return 0

    server.pod_runtime.on_exec("default", "web", "app", handler)
    session = clients.core_v1.pods("default").stream_exec("web", ["wait"])
    assert started.wait(10)
    assert session.stdout.read(7) == b"partial"
    server._httpd.close_connections()  # the server side goes away mid-stream
    began = time.monotonic()
    with pytest.raises(StreamInterrupted):
        session.wait(10)
    with pytest.raises(StreamInterrupted):
        session.stdout.read()
    assert time.monotonic() - began < 5
    session.close()


def test_ctx_cancels_a_session_at_once(server: ApiServer, clients: ClientSet) -> None:
    from kubeclient.context import Context
    from kubeclient.errors import Cancelled

    ctx = Context()
    threading.Timer(0.3, ctx.cancel).start()
    began = time.monotonic()
    with pytest.raises(Cancelled):
        clients.core_v1.pods("default").exec("web", ["sleep", "30"], ctx=ctx)
    assert time.monotonic() - began < 5


def test_v4_server_fallback_without_close_signal(server: ApiServer) -> None:
    """A server that offers only v4: stdin ends by closing the connection, the
    exit code still comes from the error channel."""
    from kubeclient import ClientSet
    from kubeclient.streaming import channels

    with ClientSet(server.config()) as clients:
        pods = clients.core_v1.pods("default")
        from kubeclient.streaming.connect import open_websocket

        ws, protocol = open_websocket(
            clients.core_v1.rest_client,
            "/api/v1/namespaces/default/pods/web/exec",
            {"command": ["sh", "-c", "exit 4"], "stdout": True},
            [channels.V4],
        )
        assert protocol == channels.V4
        from kubeclient.streaming.session import run

        assert run(ws, protocol, "exit 4").exit_code == 4
        assert pods.exec("web", ["echo", "v5"]).stdout == b"v5\n"


# --------------------------------------------------------------------------- port-forward


def test_port_forward_relays_both_ways(
    server: ApiServer, clients: ClientSet, echo: tuple[str, int]
) -> None:
    server.pod_runtime.forward_port("default", "web", 9000, echo)
    pods = clients.core_v1.pods("default")
    with pods.port_forward("web", 9000) as forward:
        assert forward.local_port > 0
        for _ in range(2):  # each connection its own stream
            with forward.connect() as conn:
                payload = b"x" * 300_000
                conn.sendall(payload)
                got = b""
                while len(got) < len(payload):
                    got += conn.recv(65536)
                assert got == payload


def test_port_forward_to_a_port_nothing_listens_on(clients: ClientSet) -> None:
    with clients.core_v1.pods("default").port_forward("web", 9999) as forward:
        with forward.connect() as conn:
            conn.settimeout(10)
            assert conn.recv(10) == b""  # closed
        deadline = time.monotonic() + 5
        while not forward.errors and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "port 9999" in forward.errors[0]


def test_port_forward_of_an_unknown_pod(clients: ClientSet) -> None:
    with clients.core_v1.pods("default").port_forward("nope", 80) as forward:
        with forward.connect() as conn:
            conn.settimeout(10)
            assert conn.recv(10) == b""
        deadline = time.monotonic() + 5
        while not forward.errors and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "not found" in forward.errors[0]


# --------------------------------------------------------------------------- proxy


def test_pod_and_service_proxy(
    server: ApiServer, clients: ClientSet, web: tuple[str, int]
) -> None:
    from kubeclient.errors import ServiceUnavailable

    server.pod_runtime.forward_port("default", "web", 8080, web)
    core = clients.core_v1
    pods = core.pods("default")
    assert pods.proxy_get("web", "/healthz", port=8080).text() == "hello from /healthz"
    assert pods.proxy_get("web", "a/b", port="http", params={"q": "1"}).text() == (
        "hello from /a/b?q=1"
    )
    assert pods.proxy_post("web:8080", "/x", body=b"{}").text() == "hello from /x"
    with pytest.raises(ServiceUnavailable):
        pods.proxy_post("web", "/", port=9)  # a POST: not retried
    server.core.seed(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {
                "selector": {"app": "web"},
                "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
            },
        }
    )
    services = core.services("default")
    assert services.proxy_get("web", "/s", port="http").text() == "hello from /s"
    assert services.proxy_get("web", "/s2").text() == "hello from /s2"


# --------------------------------------------------------------------------- cp


def test_copy_to_and_from_pod(
    server: ApiServer, clients: ClientSet, tmp_path: Path
) -> None:
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_bytes(b"alpha")
    (source / "sub" / "b.bin").write_bytes(bytes(range(256)) * 1000)
    pods = clients.core_v1.pods("default")
    pods.copy_to_pod("web", "app", source, "/data/dir")
    files = server.pod_runtime.files("default", "web", "app")
    assert files["/data/dir/a.txt"] == b"alpha"
    assert pods.exec("web", ["cat", "/data/dir/sub/b.bin"]).stdout == (
        bytes(range(256)) * 1000
    )
    back = tmp_path / "back"
    pods.copy_from_pod("web", None, "/data/dir", back)
    assert (back / "a.txt").read_bytes() == b"alpha"
    assert (back / "sub" / "b.bin").read_bytes() == bytes(range(256)) * 1000
    one = tmp_path / "one.txt"
    pods.copy_from_pod("web", "app", "/data/dir/a.txt", one)
    assert one.read_bytes() == b"alpha"
    from kubeclient.streaming.copy import CopyFailed

    with pytest.raises(CopyFailed, match="No such file"):
        pods.copy_from_pod("web", "app", "/missing", tmp_path / "m")


def test_the_emulation_never_runs_host_commands(
    clients: ClientSet, tmp_path: Path
) -> None:
    marker = tmp_path / "touched"
    pods = clients.core_v1.pods("default")
    result = pods.exec("web", ["sh", "-c", f"touch {marker}; ls {tmp_path}"])
    assert not marker.exists()
    assert b"touch: not found" in result.stderr
    assert result.stdout == b"" and result.exit_code == 1  # ls: no such directory
    assert pods.exec("web", ["cat", "/etc/passwd"]).exit_code == 1


# --------------------------------------------------------------------------- bad input


def _upgrade(server: ApiServer, path: str, headers: str) -> socket.socket:
    """A raw upgraded connection; the 101 head read."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, head
        head += chunk
    assert head.startswith(b"HTTP/1.1 101 "), head
    return sock


WS_HEADERS = (
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
)


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (
            "/api/v1/namespaces/default/pods/web/exec?command=cat&stdin=1&stdout=1",
            WS_HEADERS + "Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n",
        ),
        (
            "/api/v1/namespaces/default/pods/web/portforward?ports=80",
            WS_HEADERS + "Sec-WebSocket-Protocol: v4.channel.k8s.io\r\n",
        ),
        (
            "/api/v1/namespaces/default/pods/web/exec?command=cat&stdin=1&stdout=1",
            "Upgrade: SPDY/3.1\r\nConnection: Upgrade\r\n"
            "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n",
        ),
        (
            "/api/v1/namespaces/default/pods/web/portforward",
            "Upgrade: SPDY/3.1\r\nConnection: Upgrade\r\n"
            "X-Stream-Protocol-Version: portforward.k8s.io\r\n",
        ),
    ],
)
def test_garbage_on_an_upgraded_connection_ends_it_only(
    server: ApiServer, clients: ClientSet, path: str, headers: str
) -> None:
    for garbage in (b"\xff" * 64, b"\x80\x03\x00\x01\x00\xff\xff\xff" + b"x" * 32):
        sock = _upgrade(server, path, headers)
        sock.sendall(garbage)
        sock.settimeout(10)
        try:
            while sock.recv(65536):
                pass  # whatever the server still says, then the end
        except (ConnectionResetError, TimeoutError) as error:
            assert isinstance(error, ConnectionResetError), "the server kept it open"
        sock.close()
    assert clients.core_v1.pods("default").exec("web", ["echo", "ok"]).stdout == b"ok\n"


def test_upgrade_errors_before_the_upgrade(server: ApiServer) -> None:
    import http.client
    import json

    def status(path: str, headers: str) -> dict[str, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        extra = dict(
            line.split(": ", 1) for line in headers.strip().split("\r\n") if line
        )
        connection.request("GET", path, headers=extra)
        answer = connection.getresponse()
        body: dict[str, Any] = json.loads(answer.read())
        connection.close()
        return body

    exec_path = "/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=1"
    refused = status(exec_path, WS_HEADERS + "Sec-WebSocket-Protocol: v1.nope\r\n")
    assert refused["code"] == 400 and "not supported" in refused["message"]
    none = status("/api/v1/namespaces/default/pods/web/exec?command=ls", WS_HEADERS)
    assert none["message"] == "you must specify at least 1 of stdin, stdout, stderr"
    spdy = status(
        exec_path,
        "Upgrade: SPDY/3.1\r\nConnection: Upgrade\r\nX-Stream-Protocol-Version: v9\r\n",
    )
    assert spdy["code"] == 403 and "no common stream protocol" in spdy["message"]


def test_the_spdy3_dictionary_is_the_specs() -> None:
    import zlib

    from kubeclient.testing.engine.streaming.spdy import DICTIONARY

    # the dictionary id SPDY/3 peers check (zlib's adler32 of it)
    assert (len(DICTIONARY), zlib.adler32(DICTIONARY)) == (1423, 0xE3C6A7C2)


def test_frames_that_came_with_the_handshake_are_read_first(generated: Path) -> None:
    """Regression: the first frames can arrive in the same read as the 101 head;
    they must be delivered without waiting for more bytes (which never come)."""
    from kubeclient.streaming.websocket import WebSocket
    from wsproto.connection import Connection, ConnectionType
    from wsproto.events import BytesMessage, CloseConnection

    server = Connection(ConnectionType.SERVER)
    frames = server.send(BytesMessage(data=b"\x01hello")) + server.send(
        CloseConnection(code=1000)
    )
    near, far = socket.socketpair()
    with near, far:
        near.settimeout(5)
        ws = WebSocket(near, client=True, buffered=frames)
        assert ws.receive() == b"\x01hello"
        assert ws.receive() is None


def test_ctx_ends_a_port_forward(
    server: ApiServer, clients: ClientSet, echo: tuple[str, int]
) -> None:
    from kubeclient.context import Context

    server.pod_runtime.forward_port("default", "web", 9000, echo)
    ctx = Context()
    forward = clients.core_v1.pods("default").port_forward("web", 9000, ctx=ctx)
    conn = forward.connect()
    conn.sendall(b"x")
    assert conn.recv(1) == b"x"
    ctx.cancel()
    conn.settimeout(10)
    assert conn.recv(1) == b""  # the forwarded connection is cut
    with pytest.raises(OSError):
        forward.connect(timeout=2)  # nothing listens any more
    conn.close()


# --------------------------------------------------------------------------- config


class _ConnectProxy(socketserver.BaseRequestHandler):
    """An HTTP CONNECT proxy that counts its tunnels."""

    tunnels: ClassVar[list[str]] = []

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        target = head.split(b" ")[1].decode()
        type(self).tunnels.append(target)
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pump(source: socket.socket, sink: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(
            target=pump, args=(upstream, self.request), daemon=True
        ).start()
        pump(self.request, upstream)


def test_exec_over_tls_with_the_configs_credentials_and_proxy(generated: Path) -> None:
    import dataclasses

    from kubeclient import ClientSet
    from kubeclient.errors import Unauthorized
    from kubeclient.testing import ApiServer

    socketserver.ThreadingTCPServer.daemon_threads = True
    with (
        ApiServer(tls=True, objects=[pod()]) as server,
        socketserver.ThreadingTCPServer(("127.0.0.1", 0), _ConnectProxy) as proxy,
    ):
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        config = server.config()  # TLS: the CA, a bearer token
        with ClientSet(config) as clients:
            pods = clients.core_v1.pods("default")
            assert pods.exec("web", ["echo", "tls"]).stdout == b"tls\n"
        from kubeclient.config.auth import BearerToken

        bad = dataclasses.replace(config, auth=BearerToken("wrong"))
        with ClientSet(bad) as clients, pytest.raises(Unauthorized):
            clients.core_v1.pods("default").exec("web", ["true"])
        through = dataclasses.replace(
            config, proxy_url=f"http://127.0.0.1:{proxy.server_address[1]}"
        )
        with ClientSet(through) as clients:
            pods = clients.core_v1.pods("default")
            assert pods.exec("web", ["echo", "proxied"]).stdout == b"proxied\n"
        assert f"127.0.0.1:{server.port}" in _ConnectProxy.tunnels
        proxy.shutdown()


def test_stdin_the_command_never_reads_does_not_hold_the_session(
    server: ApiServer, clients: ClientSet
) -> None:
    """Regression: a command that ends without reading a big stdin left the
    server's reader blocked on the full pipe for good (a connection and its
    thread leaked)."""
    result = clients.core_v1.pods("default").exec(
        "web", ["sh", "-c", "sleep 1; echo done"], stdin=bytes(32 * 1024 * 1024)
    )
    assert result.stdout == b"done\n" and result.exit_code == 0
    deadline = time.monotonic() + 8
    while server._httpd._connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not server._httpd._connections  # the session ended, its thread too

"""exec, attach, port-forward and proxy of the async client against the test
API server, over real sockets: the sync client's channels and frames, driven
with asyncio."""

from __future__ import annotations

import asyncio
import dataclasses
import socketserver
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from tests.testing.test_streaming import _ConnectProxy, _Counter, pod

if TYPE_CHECKING:
    from kubeclient.aio import AsyncClientSet
    from kubeclient.testing import ApiServer

pytest_plugins = ["tests.testing.test_streaming"]  # the echo and web fixtures

_T = TypeVar("_T")
Scenario = Callable[["AsyncClientSet"], Awaitable[_T]]


@pytest.fixture
def server(generated: Path) -> Iterator[ApiServer]:
    from kubeclient.testing import ApiServer

    with ApiServer(objects=[pod(), pod("two", ("a", "b"))]) as api:
        yield api


def run(server: ApiServer, scenario: Scenario[_T], **config: Any) -> _T:
    """``scenario`` with an AsyncClientSet on ``server``, in a loop of its own."""
    from kubeclient.aio import AsyncClientSet

    async def main() -> _T:
        settings = dataclasses.replace(server.config(), **config)
        async with AsyncClientSet(settings) as clients:
            return await asyncio.wait_for(scenario(clients), 60)

    return asyncio.run(main())


def wait_for_no_connections(server: ApiServer) -> bool:
    deadline = time.monotonic() + 8
    while server._httpd._connections and time.monotonic() < deadline:
        time.sleep(0.05)
    return not server._httpd._connections


# --------------------------------------------------------------------------- exec


def test_exec_collects_stdout_stderr_and_the_exit_code(server: ApiServer) -> None:
    async def scenario(clients: AsyncClientSet) -> None:
        pods = clients.core_v1.pods("default")
        result = await pods.exec("web", ["sh", "-c", "echo hi; echo oops >&2; exit 3"])
        assert (result.stdout, result.stderr, result.exit_code) == (
            b"hi\n",
            b"oops\n",
            3,
        )
        assert (await pods.exec("web", ["true"], container="app")).exit_code == 0
        data = bytes(range(256)) * 4096  # 1 MiB, binary
        result = await pods.exec("web", ["cat"], stdin=data)
        assert result.stdout == data and result.exit_code == 0

    run(server, scenario)


def test_exec_failures_are_typed_errors(server: ApiServer) -> None:
    from kubeclient.errors import BadRequest, NotFound

    async def scenario(clients: AsyncClientSet) -> None:
        pods = clients.core_v1.pods("default")
        with pytest.raises(NotFound):
            await pods.exec("nope", ["true"])
        with pytest.raises(BadRequest, match="container x is not valid for pod web"):
            await pods.exec("web", ["true"], container="x")

    run(server, scenario)


def test_exec_streams_big_output_into_a_sink(server: ApiServer) -> None:
    sink = _Counter()
    size = 20 * 1024 * 1024

    async def scenario(clients: AsyncClientSet) -> None:
        result = await clients.core_v1.pods("default").exec(
            "web", ["head", "-c", str(size), "/dev/zero"], stdout=sink
        )
        assert result.stdout == b"" and result.exit_code == 0

    run(server, scenario)
    assert sink.count == size and sink.largest <= 1 << 20


def test_a_session_not_read_holds_bounded_output(server: ApiServer) -> None:
    """The reader stops at a full queue: the server is stopped, not buffered."""

    async def scenario(clients: AsyncClientSet) -> int:
        pods = clients.core_v1.pods("default")
        command = ["head", "-c", str(200 * 1024 * 1024), "/dev/zero"]
        async with pods.stream_exec("web", command) as session:
            await asyncio.sleep(1)
            queued = session.stdout._chunks.qsize()
            assert session.exit_code is None  # stopped, not finished
            first = await session.stdout.read(10)
            assert first == bytes(10)
            return queued

    assert run(server, scenario) <= 64  # chunks: the queue's bound


def test_interactive_session_and_attach(server: ApiServer) -> None:
    async def scenario(clients: AsyncClientSet) -> None:
        pods = clients.core_v1.pods("default")
        async with pods.stream_exec("web", ["cat"], stdin=True) as session:
            await session.stdin.write(b"first ")
            assert await session.stdout.read(6) == b"first "
            await session.resize(80, 24)
            await session.stdin.write(b"second")
            await session.stdin.close()
            assert await session.stdout.read() == b"second"
            assert await session.wait(10) == 0
            assert session.exit_code == 0
        async with pods.attach("web", stdin=True) as session:
            await session.stdin.write(b"ping")
            await session.stdin.close()
            assert await session.stdout.read() == b"ping"
            assert await session.wait(10) == 0

    run(server, scenario)


def test_a_dropped_connection_is_an_error_not_a_hang(server: ApiServer) -> None:
    from kubeclient.errors import StreamInterrupted
    from kubeclient.testing.engine.streaming import Process

    started = threading.Event()

    def handler(process: Process) -> int:
        process.stdout.write(b"partial")
        started.set()
        process.gone.wait(30)
        return 0

    server.pod_runtime.on_exec("default", "web", "app", handler)

    async def scenario(clients: AsyncClientSet) -> None:
        pods = clients.core_v1.pods("default")
        async with pods.stream_exec("web", ["wait"]) as session:
            assert await session.stdout.read(7) == b"partial"
            server._httpd.close_connections()
            began = time.monotonic()
            with pytest.raises(StreamInterrupted):
                await session.wait(10)
            with pytest.raises(StreamInterrupted):
                await session.stdout.read()
            assert time.monotonic() - began < 5
        started.clear()
        task = asyncio.ensure_future(pods.exec("web", ["wait"]))
        await asyncio.to_thread(started.wait, 10)
        server._httpd.close_connections()
        with pytest.raises(StreamInterrupted):
            await asyncio.wait_for(task, 5)

    run(server, scenario)


def test_cancelling_the_task_closes_the_connection_at_once(server: ApiServer) -> None:
    async def scenario(clients: AsyncClientSet) -> None:
        pods = clients.core_v1.pods("default")
        task = asyncio.ensure_future(pods.exec("web", ["sleep", "30"]))
        await asyncio.sleep(0.5)
        assert server._httpd._connections  # the session runs
        began = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert time.monotonic() - began < 1

    run(server, scenario)
    assert wait_for_no_connections(server)  # the server saw the client leave


def test_ctx_cancels_a_session_at_once(server: ApiServer) -> None:
    from kubeclient.context import Context
    from kubeclient.errors import Cancelled

    async def scenario(clients: AsyncClientSet) -> None:
        ctx = Context()
        threading.Timer(0.3, ctx.cancel).start()
        began = time.monotonic()
        with pytest.raises(Cancelled):
            await clients.core_v1.pods("default").exec("web", ["sleep", "30"], ctx=ctx)
        assert time.monotonic() - began < 5

    run(server, scenario)


# --------------------------------------------------------------------------- port-forward


def test_port_forward_relays_both_ways(
    server: ApiServer, echo: tuple[str, int]
) -> None:
    server.pod_runtime.forward_port("default", "web", 9000, echo)

    async def scenario(clients: AsyncClientSet) -> None:
        pods = clients.core_v1.pods("default")
        async with pods.port_forward("web", 9000) as forward:
            assert forward.local_port > 0
            for _ in range(2):  # each connection its own stream
                reader, writer = await forward.connect()
                payload = b"x" * 300_000
                writer.write(payload)
                await writer.drain()
                assert await reader.readexactly(len(payload)) == payload
                writer.close()
        async with pods.port_forward("web", 9999) as forward:
            reader, writer = await forward.connect()
            assert await reader.read(10) == b""  # nothing listens: closed
            writer.close()
            for _ in range(100):
                if forward.errors:
                    break
                await asyncio.sleep(0.05)
            assert "port 9999" in forward.errors[0]

    run(server, scenario)


# --------------------------------------------------------------------------- proxy


def test_pod_service_and_node_proxy(server: ApiServer, web: tuple[str, int]) -> None:
    server.pod_runtime.forward_port("default", "web", 8080, web)
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

    async def scenario(clients: AsyncClientSet) -> None:
        core = clients.core_v1
        pods = core.pods("default")
        got = await pods.proxy_get("web", "/healthz", port=8080)
        assert got.text() == "hello from /healthz"
        got = await pods.proxy_post("web:8080", "/x", body=b"{}")
        assert got.text() == "hello from /x"
        got = await core.services("default").proxy_get("web", "/s", port="http")
        assert got.text() == "hello from /s"
        assert hasattr(core.nodes(), "proxy_get")

    run(server, scenario)


# --------------------------------------------------------------------------- config


def test_exec_over_tls_with_the_configs_credentials_and_proxy(generated: Path) -> None:
    from kubeclient.config.auth import BearerToken
    from kubeclient.errors import Unauthorized
    from kubeclient.testing import ApiServer

    socketserver.ThreadingTCPServer.daemon_threads = True
    with (
        ApiServer(tls=True, objects=[pod()]) as server,
        socketserver.ThreadingTCPServer(("127.0.0.1", 0), _ConnectProxy) as proxy,
    ):
        threading.Thread(target=proxy.serve_forever, daemon=True).start()

        async def echo(clients: AsyncClientSet) -> bytes:
            pods = clients.core_v1.pods("default")
            return (await pods.exec("web", ["echo", "tls"])).stdout

        assert run(server, echo) == b"tls\n"
        with pytest.raises(Unauthorized):
            run(server, echo, auth=BearerToken("wrong"))
        before = len(_ConnectProxy.tunnels)
        url = f"http://127.0.0.1:{proxy.server_address[1]}"
        assert run(server, echo, proxy_url=url) == b"tls\n"
        assert _ConnectProxy.tunnels[before:] == [f"127.0.0.1:{server.port}"]
        proxy.shutdown()


def test_the_streaming_base_leaves_the_pods_other_streams_alone(
    server: ApiServer,
) -> None:
    """Regression: the streaming base's connection helper was named ``_open``
    and so replaced the resource client's, which get_log streams through."""
    server.core.logs.set(("default", "web", "app", False), "line 1\n")

    async def scenario(clients: AsyncClientSet) -> tuple[str, str]:
        pods = clients.core_v1.pods("default")
        lines = pods.get_log("web", follow=True)
        line = await anext(aiter(lines))
        await lines.aclose()  # type: ignore[attr-defined]
        watch = pods.watch(timeout_seconds=5)
        event = await anext(aiter(watch))
        await watch.aclose()
        meta = event.object.metadata
        return line, meta.name if meta is not None and meta.name else ""

    line, name = run(server, scenario)
    assert line == "line 1" and name in ("web", "two")


def test_100_mb_of_output_stream_in_bounded_memory(server: ApiServer) -> None:
    import tracemalloc

    size = 100 * 1024 * 1024

    async def scenario(clients: AsyncClientSet) -> tuple[int, int, int]:
        pods = clients.core_v1.pods("default")
        command = ["head", "-c", str(size), "/dev/zero"]
        total = 0
        tracemalloc.start()  # the server's side is in this process too
        try:
            async with pods.stream_exec("web", command) as session:
                async for chunk in session.stdout:
                    total += len(chunk)
                code = await session.wait(30)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return total, code, peak

    total, code, peak = run(server, scenario)
    assert (total, code) == (size, 0)
    assert peak < 32 * 1024 * 1024, f"{peak} bytes at the peak"


def test_v4_server_fallback_without_close_signal(server: ApiServer) -> None:
    """Only v4 offered: stdin ends by closing the connection, the exit code
    still comes from the error channel."""
    from kubeclient.aio.streaming.connect import open_websocket
    from kubeclient.aio.streaming.session import run as run_exec
    from kubeclient.streaming import channels

    async def scenario(clients: AsyncClientSet) -> tuple[str, int]:
        ws, protocol = await open_websocket(
            clients.core_v1.rest_client,
            "/api/v1/namespaces/default/pods/web/exec",
            {"command": ["sh", "-c", "exit 4"], "stdout": True},
            [channels.V4],
        )
        return protocol, (await run_exec(ws, protocol, "exit 4")).exit_code

    assert run(server, scenario) == (channels.V4, 4)


def test_ctx_ends_a_port_forward(server: ApiServer, echo: tuple[str, int]) -> None:
    from kubeclient.context import Context

    server.pod_runtime.forward_port("default", "web", 9000, echo)

    async def scenario(clients: AsyncClientSet) -> None:
        ctx = Context()
        pods = clients.core_v1.pods("default")
        async with pods.port_forward("web", 9000, ctx=ctx) as forward:
            reader, writer = await forward.connect()
            writer.write(b"ping")
            assert await reader.readexactly(4) == b"ping"
            ctx.cancel()
            assert await asyncio.wait_for(reader.read(), 5) == b""  # cut
            writer.close()
            with pytest.raises(OSError):
                await forward.connect()  # no longer listening

    run(server, scenario)


class _RefusingProxy(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.recv(65536)
        self.request.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")


def test_a_proxy_refusing_the_tunnel_is_cannot_connect(server: ApiServer) -> None:
    from kubeclient.errors import CannotConnect

    socketserver.ThreadingTCPServer.daemon_threads = True
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _RefusingProxy) as proxy:
        threading.Thread(target=proxy.serve_forever, daemon=True).start()

        async def scenario(clients: AsyncClientSet) -> None:
            with pytest.raises(CannotConnect, match="answered 403 to CONNECT"):
                await clients.core_v1.pods("default").exec("web", ["true"])

        run(server, scenario, proxy_url=f"http://127.0.0.1:{proxy.server_address[1]}")
        proxy.shutdown()


def test_copy_to_and_from_pod(server: ApiServer, tmp_path: Path) -> None:
    from kubeclient.streaming.copy import CopyFailed

    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("alpha")
    (source / "sub" / "b.bin").write_bytes(bytes(range(256)) * 1000)
    back = tmp_path / "back"

    async def scenario(clients: AsyncClientSet) -> None:
        pods = clients.core_v1.pods("default")
        await pods.copy_to_pod("web", "app", source, "/data/src")
        await pods.copy_from_pod("web", "app", "/data/src", back)
        with pytest.raises(CopyFailed, match="exited with"):
            await pods.copy_from_pod("web", "app", "/no/such", tmp_path / "x")

    run(server, scenario)
    assert (back / "a.txt").read_text() == "alpha"
    assert (back / "sub" / "b.bin").read_bytes() == bytes(range(256)) * 1000

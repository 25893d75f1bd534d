"""exec and port-forward scenarios, each against the four clients: the sync and
the async ClientSet, over HTTP (the test API server) and on the fakes (the
engine's streaming handlers over an in-process socket pair)."""

from __future__ import annotations

import asyncio
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.testing.test_streaming import pod

from .conftest import KINDS, Api, run


@dataclass
class StreamingApi(Api):
    """An Api with its server's pod runtime and a way to drop its connections."""

    pod_runtime: Any = None
    drop: Callable[[], None] = lambda: None
    connections: Callable[[], int] = lambda: 0


@pytest.fixture(params=KINDS, ids=["-".join(k) for k in KINDS])
def api(request: pytest.FixtureRequest, generated: Path) -> Iterator[StreamingApi]:
    from kubeclient import ClientSet
    from kubeclient.aio import AsyncClientSet
    from kubeclient.aio.testing import fake_clientset as async_fake
    from kubeclient.testing import ApiServer, fake_clientset

    mode, where = request.param
    asynchronous = mode == "async"
    if where == "server":
        with ApiServer(objects=[pod()]) as server:
            cs = (AsyncClientSet if asynchronous else ClientSet)(server.config())
            httpd = server._httpd
            yield StreamingApi(
                cs,
                server.faults,
                asynchronous,
                where,
                server.pod_runtime,
                httpd.close_connections,
                lambda: len(httpd._connections),
            )
            if not asynchronous:
                cs.close()
        return
    fake = async_fake([pod()]) if asynchronous else fake_clientset([pod()])
    transport: Any = fake.transport
    upgrades = (transport.sync if asynchronous else transport).upgrades
    yield StreamingApi(
        fake,
        fake.core.faults,
        asynchronous,
        where,
        fake.core.pod_runtime,
        upgrades.close_connections,
        lambda: upgrades.connections,
    )


def pods(cs: Any) -> Any:
    return cs.core_v1.pods("default")


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65536):
            self.request.sendall(data)


@pytest.fixture
def echo() -> Iterator[tuple[str, int]]:
    socketserver.ThreadingTCPServer.daemon_threads = True
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo) as target:
        threading.Thread(target=target.serve_forever, daemon=True).start()
        yield "127.0.0.1", target.server_address[1]
        target.shutdown()


def test_exec_exit_code_output_and_stdin(api: StreamingApi) -> None:
    from kubeclient.errors import BadRequest, NotFound

    async def scenario(api: Api) -> None:
        command = ["sh", "-c", "echo hi; echo oops >&2; exit 3"]
        result = await api(lambda cs: pods(cs).exec("web", command))
        assert (result.stdout, result.stderr, result.exit_code) == (
            b"hi\n",
            b"oops\n",
            3,
        )
        data = bytes(range(256)) * 1024
        result = await api(lambda cs: pods(cs).exec("web", ["cat"], stdin=data))
        assert result.stdout == data and result.exit_code == 0
        with pytest.raises(NotFound):
            await api(lambda cs: pods(cs).exec("nope", ["true"]))
        with pytest.raises(BadRequest, match="container x is not valid"):
            await api(lambda cs: pods(cs).exec("web", ["true"], container="x"))

    run(api, scenario)


def _round_trip(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = conn.recv(65536)
            if not chunk:
                break
            got += chunk
        return got


def test_port_forward_round_trip(api: StreamingApi, echo: tuple[str, int]) -> None:
    api.pod_runtime.forward_port("default", "web", 9000, echo)
    payload = bytes(range(256)) * 1200

    async def scenario(api: Api) -> list[bytes]:
        forward = pods(api.cs).port_forward("web", 9000)
        got = []
        if api.asynchronous:
            async with forward:
                for _ in range(2):  # each connection its own stream
                    port = forward.local_port
                    got.append(await asyncio.to_thread(_round_trip, port, payload))
        else:
            with forward:
                for _ in range(2):
                    got.append(_round_trip(forward.local_port, payload))
        return got

    assert run(api, scenario) == [payload, payload]


def test_a_dropped_connection_is_an_error_not_a_hang(api: StreamingApi) -> None:
    from kubeclient.errors import StreamInterrupted
    from kubeclient.testing.engine.streaming import Process

    started = threading.Event()

    def handler(process: Process) -> int:
        process.stdout.write(b"partial")
        started.set()
        process.gone.wait(30)
        return 0

    api.pod_runtime.on_exec("default", "web", "app", handler)

    def drop_when_started() -> None:
        if started.wait(10):
            api.drop()

    threading.Thread(target=drop_when_started, daemon=True).start()

    async def scenario(api: Api) -> None:
        began = time.monotonic()
        with pytest.raises(StreamInterrupted):
            await api(lambda cs: pods(cs).exec("web", ["wait"]))
        assert time.monotonic() - began < 5

    run(api, scenario)
    assert started.is_set()


def test_cancelling_an_exec_ends_its_connection(api: StreamingApi) -> None:
    async def scenario(api: Api) -> float:
        return await api.cancelled_after(
            0.5, lambda cs, ctx: pods(cs).exec("web", ["sleep", "30"], ctx=ctx)
        )

    took = run(api, scenario)
    assert 0.5 <= took < 2.0
    deadline = time.monotonic() + 8
    while api.connections() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert api.connections() == 0  # the server saw the client leave


def test_the_fake_records_an_exec_and_copies_files(
    generated: Path, tmp_path: Path
) -> None:
    from kubeclient.testing import fake_clientset

    cs = fake_clientset([pod()])
    with cs:
        assert pods(cs).exec("web", ["echo", "x"]).stdout == b"x\n"
        (action,) = cs.actions
        assert (action.resource, action.subresource, action.name) == (
            "pods",
            "exec",
            "web",
        )
        source = tmp_path / "src.txt"
        source.write_bytes(b"payload")
        pods(cs).copy_to_pod("web", None, source, "/tmp/in.txt")
        pods(cs).copy_from_pod("web", None, "/tmp/in.txt", tmp_path / "back.txt")
        assert (tmp_path / "back.txt").read_bytes() == b"payload"


def test_a_transport_without_upgrades_is_a_clear_error(generated: Path) -> None:
    from kubeclient import ClientSet
    from kubeclient.aio import AsyncClientSet
    from kubeclient.aio.transport import AsyncMockTransport
    from kubeclient.streaming.inprocess import UnsupportedTransport
    from kubeclient.transport.mock import MockTransport, json_response

    def answer(request: Any) -> Any:
        return json_response(200, {})

    with (
        ClientSet(transport=MockTransport(answer)) as cs,
        pytest.raises(UnsupportedTransport, match="MockTransport can carry no"),
    ):
        pods(cs).exec("web", ["true"])

    async def main() -> None:
        cs = AsyncClientSet(transport=AsyncMockTransport(answer))
        with pytest.raises(UnsupportedTransport, match="AsyncMockTransport"):
            await pods(cs).exec("web", ["true"])
        await cs.close()

    asyncio.run(main())

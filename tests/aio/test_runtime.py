"""kubeclient.aio beyond the shared scenarios: credentials off the loop (exec
plugins as asyncio subprocesses, rotated token files), TLS, streamed logs, the
async dynamic and discovery clients."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.config.helpers import PLUGIN, runs


def namespace_answer(request: Any) -> Any:
    from kubeclient.transport.mock import json_response

    return json_response(
        200, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}
    )


def plugin_config(log: Path, mode: str = "token", timeout: float = 10) -> Any:
    from kubeclient.config import Config
    from kubeclient.config.exec_plugin import ExecPlugin

    plugin = ExecPlugin(
        sys.executable,
        [str(PLUGIN)],
        {"FAKE_PLUGIN_LOG": str(log), "FAKE_PLUGIN_MODE": mode},
        interactive_mode="Never",
        where="kc: users[name=u].user.exec",
        timeout=timeout,
    )
    return Config(host="https://127.0.0.1:1", auth=plugin)


def test_concurrent_requests_share_one_exec_plugin_run(
    generated: Path, tmp_path: Path
) -> None:
    from kubeclient.aio import AsyncClientSet
    from kubeclient.aio.transport import AsyncMockTransport

    log = tmp_path / "plugin.log"
    transport = AsyncMockTransport(namespace_answer)
    cs = AsyncClientSet(plugin_config(log), transport=transport)

    async def main() -> None:
        namespaces = cs.core_v1.namespaces()
        await asyncio.gather(*(namespaces.get("x") for _ in range(10)))

    asyncio.run(main())
    assert len(runs(log)) == 1
    sent = {r.header("authorization") for r in transport.requests}
    assert sent == {"Bearer plugin-token-1"}


def test_a_hanging_exec_plugin_times_out_without_blocking_the_loop(
    generated: Path, tmp_path: Path
) -> None:
    from kubeclient.aio import AsyncClientSet
    from kubeclient.aio.transport import AsyncMockTransport
    from kubeclient.config import ConfigError

    log = tmp_path / "plugin.log"
    cs = AsyncClientSet(
        plugin_config(log, "hang", timeout=1),
        transport=AsyncMockTransport(namespace_answer),
    )
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    async def main() -> None:
        ticker = asyncio.create_task(tick())
        try:
            with pytest.raises(ConfigError, match="did not finish within the timeout"):
                await cs.core_v1.namespaces().get("x")
        finally:
            ticker.cancel()

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < 4
    assert ticks >= 10  # the loop kept running while the plugin hung


def test_a_401_runs_the_plugin_again_and_resends_once(
    generated: Path, tmp_path: Path
) -> None:
    from kubeclient.aio import AsyncClientSet
    from kubeclient.aio.transport import AsyncMockTransport
    from kubeclient.transport.mock import json_response

    def answer(request: Any) -> Any:
        if request.header("authorization") == "Bearer plugin-token-1":
            return json_response(401, {"kind": "Status", "code": 401})
        return namespace_answer(request)

    log = tmp_path / "plugin.log"
    transport = AsyncMockTransport(answer)
    cs = AsyncClientSet(plugin_config(log), transport=transport)
    got = asyncio.run(cs.core_v1.namespaces().get("x"))
    assert got.metadata is not None and got.metadata.name == "x"
    assert len(runs(log)) == 2
    assert [r.header("authorization") for r in transport.requests] == [
        "Bearer plugin-token-1",
        "Bearer plugin-token-2",
    ]


def test_a_rotated_token_file_is_read_again(generated: Path, tmp_path: Path) -> None:
    from kubeclient.aio import AsyncClientSet
    from kubeclient.aio.transport import AsyncMockTransport
    from kubeclient.config import Config, TokenFile

    token = tmp_path / "token"
    token.write_text("first")
    transport = AsyncMockTransport(namespace_answer)
    config = Config(host="https://127.0.0.1:1", auth=TokenFile(str(token)))
    cs = AsyncClientSet(config, transport=transport)

    async def main() -> None:
        await cs.core_v1.namespaces().get("x")
        token.write_text("second-token")  # rotated: another size and mtime
        await cs.core_v1.namespaces().get("x")

    asyncio.run(main())
    assert [r.header("authorization") for r in transport.requests] == [
        "Bearer first",
        "Bearer second-token",
    ]


def test_tls_logs_dynamic_and_discovery_against_the_server(generated: Path) -> None:
    from kubeclient.aio import AsyncClientSet, AsyncDynamicClient
    from kubeclient.models.core_v1 import Container, Pod, PodSpec
    from kubeclient.models.meta_v1 import ObjectMeta
    from kubeclient.testing import ApiServer

    with ApiServer(tls=True) as server:

        async def main() -> None:
            async with AsyncClientSet(server.config()) as cs:
                pods = cs.core_v1.pods("default")
                spec = PodSpec(containers=[Container(name="c", image="x")])
                await pods.create(Pod(metadata=ObjectMeta(name="web"), spec=spec))
                server.set_pod_log("default", "web", "c", "one\ntwo\n")
                assert await pods.get_log("web") == "one\ntwo\n"
                lines = []
                async for line in pods.get_log("web", follow=True):
                    lines.append(line)
                    if len(lines) == 2:
                        server.append_pod_log("default", "web", "c", "three\n")
                    if len(lines) == 3:
                        break
                assert lines == ["one", "two", "three"]
                dyn = AsyncDynamicClient(rest_client=cs.rest_client)
                found = await dyn.resource_for_kind("Pod", api_version="v1")
                listed = await found.namespace("default").list()
                assert [p["metadata"]["name"] for p in listed["items"]] == ["web"]
                preferred = await cs.discovery.server_preferred_resources()
                assert any(r.group_version == "apps/v1" for r in preferred)
                version = await cs.discovery.server_version()
                assert version.git_version.startswith("v1.")

        asyncio.run(main())


def test_a_context_ends_an_async_request_or_watch_at_once(generated: Path) -> None:
    import threading

    from kubeclient import Context
    from kubeclient.aio import AsyncClientSet
    from kubeclient.errors import Cancelled, DeadlineExceeded
    from kubeclient.testing import ApiServer

    with ApiServer() as server:
        server.faults.delay(5.0, path=r"configmaps/slow", count=2)

        async def main() -> None:
            async with AsyncClientSet(server.config()) as cs:
                maps = cs.core_v1.config_maps("default")
                started = time.monotonic()
                with pytest.raises(DeadlineExceeded):
                    await maps.get("slow", ctx=Context(timeout=0.3))
                assert time.monotonic() - started < 2
                ctx = Context()
                threading.Timer(0.3, ctx.cancel).start()  # from another thread
                started = time.monotonic()
                with pytest.raises(Cancelled):
                    await maps.get("slow", ctx=ctx)
                assert time.monotonic() - started < 2
                ctx = Context()
                threading.Timer(0.3, ctx.cancel).start()
                started = time.monotonic()
                with pytest.raises(Cancelled):
                    async for _ in maps.watch(ctx=ctx):
                        pass
                assert time.monotonic() - started < 2

        asyncio.run(main())


def test_one_async_clientset_serves_one_loop_after_another(generated: Path) -> None:
    from kubeclient.aio import AsyncClientSet
    from kubeclient.testing import ApiServer

    with ApiServer() as server:
        cs = AsyncClientSet(server.config())
        namespaces = cs.core_v1.namespaces()
        first = asyncio.run(namespaces.get("default"))
        second = asyncio.run(namespaces.get("default"))  # a new loop, a new pool
        assert first.metadata is not None and second.metadata is not None
        assert first.metadata.uid == second.metadata.uid
        asyncio.run(cs.close())

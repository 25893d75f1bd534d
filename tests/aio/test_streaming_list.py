"""The async reflector's list: a streaming list (sendInitialEvents) where the
server serves one, going on watching on the same stream; paged lists for good
once a server refuses it; a 410 to a streaming list from a resourceVersion
relists with a consistent read. The decisions are the sync reflector's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest


class AsyncRecorder:
    """An async transport that remembers (method, path, query) of each request."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.config = inner.config
        self.sent: list[tuple[str, str, dict[str, str]]] = []

    async def send(self, request: Any) -> Any:
        self.sent.append((request.method, request.path, dict(request.query)))
        return await self.inner.send(request)

    async def close(self) -> None:
        await self.inner.close()

    def queries(self, path_part: str) -> list[dict[str, str]]:
        return [q for m, p, q in self.sent if m == "GET" and path_part in p]


async def until(check: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def cached(informer: Any) -> set[str]:
    return {o.metadata.name for o in informer.indexer.list()} - {"kube-root-ca.crt"}


def run_against(server: Any, main: Any) -> None:
    from kubeclient.aio import AsyncClientSet
    from kubeclient.aio.http import AiohttpTransport

    async def go() -> None:
        recorder = AsyncRecorder(AiohttpTransport(server.config()))
        async with AsyncClientSet(server.config(), transport=recorder) as cs:
            await asyncio.wait_for(main(cs, recorder), 30)

    asyncio.run(go())


@pytest.fixture
def kc(generated: Path) -> Any:
    import kubeclient

    return kubeclient


def seed(server: Any, names: list[str]) -> None:
    for name in names:
        server.seed(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": "default"},
            }
        )


def test_a_streaming_list_where_the_server_has_it(kc: Any) -> None:
    from kubeclient.aio.informers import SharedInformerFactory
    from kubeclient.testing import ApiServer

    async def main(cs: Any, recorder: AsyncRecorder) -> None:
        factory = SharedInformerFactory(cs)
        informer = factory.core_v1.config_maps()
        factory.start()
        assert await factory.wait_for_cache_sync(timeout=10)
        assert cached(informer) == {"s1", "s2"}
        first = recorder.queries("/configmaps")[0]
        assert first["watch"] == "true" and first["sendInitialEvents"] == "true"
        assert first["resourceVersionMatch"] == "NotOlderThan"
        assert first["allowWatchBookmarks"] == "true"
        assert "resourceVersion" not in first  # the first is a consistent read
        assert not any("limit" in q for q in recorder.queries("/configmaps"))
        assert (
            informer.reflector.lists == 1 and informer.reflector.use_watch_list is None
        )
        assert informer.last_sync_resource_version()
        # the informer goes on watching on the same stream
        await cs.core_v1.config_maps("default").create({"metadata": {"name": "s3"}})
        await until(lambda: "s3" in cached(informer))
        assert len(recorder.queries("/configmaps")) == 1
        await factory.shutdown()

    with ApiServer() as server:
        seed(server, ["s1", "s2"])
        run_against(server, main)


def test_a_server_refusing_streaming_lists_gets_paged_lists_for_good(
    kc: Any,
) -> None:
    from kubeclient.aio.informers import SharedInformerFactory
    from kubeclient.testing import ApiServer

    async def main(cs: Any, recorder: AsyncRecorder) -> None:
        factory = SharedInformerFactory(cs)
        informer = factory.core_v1.config_maps()
        informer.reflector.page_size = 2
        informer.reflector.watch_timeout = 1  # each watch ends in 1-2 s
        factory.start()
        assert await factory.wait_for_cache_sync(timeout=10)
        assert cached(informer) == {"p1", "p2", "p3"}
        queries = recorder.queries("/configmaps")
        assert queries[0].get("sendInitialEvents") == "true"  # tried, refused
        pages = [q for q in queries if "limit" in q]
        assert [q["limit"] for q in pages] == ["2", "2"]
        assert pages[0]["resourceVersion"] == "0"
        assert informer.reflector.use_watch_list is False
        # watches end and start again: never a streaming list again
        await until(
            lambda: len(recorder.queries("watch=")) >= 0
            and len(
                [q for q in recorder.queries("/configmaps") if q.get("watch") == "true"]
            )
            >= 3,
            timeout=10,
        )
        streaming = [
            q for q in recorder.queries("/configmaps") if "sendInitialEvents" in q
        ]
        assert len(streaming) == 1
        await factory.shutdown()

    with ApiServer(watch_list=False) as server:
        seed(server, ["p1", "p2", "p3"])
        run_against(server, main)


def test_streaming_lists_required_and_refused_back_off_without_paging(
    kc: Any,
) -> None:
    from kubeclient.aio.informers import SharedInformerFactory
    from kubeclient.testing import ApiServer

    async def main(cs: Any, recorder: AsyncRecorder) -> None:
        factory = SharedInformerFactory(cs, use_watch_list=True)
        informer = factory.core_v1.config_maps()
        factory.start()
        assert not await factory.wait_for_cache_sync(timeout=0.5)
        queries = recorder.queries("/configmaps")
        assert queries and all(q.get("sendInitialEvents") == "true" for q in queries)
        assert informer.reflector.use_watch_list is True
        await factory.shutdown()

    with ApiServer(watch_list=False) as server:
        run_against(server, main)


def test_a_410_to_a_streaming_list_relists_with_a_consistent_read(kc: Any) -> None:
    """A relist streams from the last resourceVersion; a 410 to that streams
    again with a consistent read (resourceVersion unset), not in pages."""
    from kubeclient.aio.informers import SharedInformerFactory
    from kubeclient.testing import ApiServer

    async def main(cs: Any, recorder: AsyncRecorder, faults: Any) -> None:
        factory = SharedInformerFactory(cs)
        informer = factory.core_v1.config_maps()
        # as after a first sync: the next list starts from what it had
        informer.reflector.last_sync_resource_version = "1"
        faults.error(410, path=r"sendInitialEvents=true")
        factory.start()
        assert await factory.wait_for_cache_sync(timeout=10)
        assert cached(informer) == {"c1"} and not faults.pending
        queries = recorder.queries("/configmaps")
        assert [q.get("resourceVersion") for q in queries] == ["1", None]
        assert all(q.get("sendInitialEvents") == "true" for q in queries)
        assert informer.reflector.lists == 1
        assert informer.reflector._version_unavailable is False
        await factory.shutdown()

    with ApiServer() as server:
        seed(server, ["c1"])
        run_against(server, lambda cs, rec: main(cs, rec, server.faults))

"""kubeclient.aio.informers: the shared informer on the loop, against the test
API server and the async fake: sync, handlers (plain and coroutine), updates and
deletes, a dropped watch and a 410 relist."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def config_map(name: str, value: str = "v") -> Any:
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta

    return ConfigMap(metadata=ObjectMeta(name=name), data={"k": value})


@pytest.fixture(params=["server", "fake"])
def setup(request: pytest.FixtureRequest, generated: Path) -> Iterator[Any]:
    from kubeclient.aio import AsyncClientSet
    from kubeclient.aio.testing import fake_clientset
    from kubeclient.testing import ApiServer

    if request.param == "server":
        with ApiServer() as server:
            yield lambda: AsyncClientSet(server.config()), server.faults
    else:
        fake = fake_clientset()
        yield lambda: fake, fake.core.faults


async def until(check: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_the_informer_caches_and_notifies_on_the_loop(setup: Any) -> None:
    from kubeclient.aio.informers import SharedInformerFactory
    from kubeclient.cache import DeletedFinalStateUnknown

    make, faults = setup
    seen: list[tuple[str, str]] = []

    def added(obj: Any) -> None:
        seen.append(("add", obj.metadata.name))

    async def updated(old: Any, new: Any) -> None:  # a coroutine handler
        await asyncio.sleep(0)
        seen.append(("update", new.metadata.name))

    def deleted(obj: Any) -> None:
        name = (
            obj.key if isinstance(obj, DeletedFinalStateUnknown) else obj.metadata.name
        )
        seen.append(("delete", name))

    async def main() -> None:
        cs = make()
        maps = cs.core_v1.config_maps("default")
        for name in ("a", "b"):
            await maps.create(config_map(name))
        factory = SharedInformerFactory(cs)
        informer = factory.informer_for(cs.core_v1.config_maps(""))
        assert factory.informer_for(cs.core_v1.config_maps("")) is informer
        informer.add_event_handler(on_add=added, on_update=updated, on_delete=deleted)
        informer.reflector.watch_timeout = 1  # the server ends each watch in 1-2 s
        faults.drop(path=r"watch=", after_events=1)  # the first watch breaks
        factory.start()
        assert await factory.wait_for_cache_sync(timeout=10)
        assert sorted(o.metadata.name for o in informer.indexer.list()) == ["a", "b"]
        await until(lambda: len(seen) == 2)
        await maps.create(config_map("c"))
        await maps.patch("a", {"data": {"k": "w"}})
        await maps.delete("b")
        await until(lambda: len(seen) == 5)
        assert not faults.pending  # the watch did break after "c"
        assert seen[2:] == [("add", "c"), ("update", "a"), ("delete", "b")]
        cached = informer.indexer.get("default", "a")
        assert cached is not None and cached.data == {"k": "w"}
        assert informer.reflector.lists == 1  # a dropped watch is watched again
        faults.error(410, path=r"watch=")  # the next watch: too old, so relist
        await until(lambda: not faults.pending)
        await maps.create(config_map("d"))
        await until(lambda: ("add", "d") in seen)
        assert informer.reflector.lists == 2
        await factory.shutdown()
        assert informer.stopped
        await cs.close()

    asyncio.run(main())

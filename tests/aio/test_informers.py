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


def name_of(obj: Any) -> str:
    assert obj.metadata is not None and obj.metadata.name is not None
    name: str = obj.metadata.name
    return name


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


def test_the_generated_factory_has_the_sync_factorys_typed_accessors(
    setup: Any,
) -> None:
    """``factory.apps_v1.deployments()``: a typed DeploymentInformer whose lister
    is the sync package's DeploymentLister, shared per resource, on the
    factory's namespace and selectors; ``informer_for`` still serves any client."""
    from kubeclient.aio.informers import AsyncSharedIndexInformer, SharedInformerFactory
    from kubeclient.aio.informers.apps_v1 import DeploymentInformer
    from kubeclient.informers.apps_v1 import DeploymentLister
    from kubeclient.informers.core_v1 import NamespaceLister
    from kubeclient.models.apps_v1 import Deployment, DeploymentSpec
    from kubeclient.models.core_v1 import Container, PodSpec, PodTemplateSpec
    from kubeclient.models.meta_v1 import LabelSelector, ObjectMeta

    make, _ = setup

    def deployment(name: str, namespace: str, team: str) -> Deployment:
        return Deployment(
            metadata=ObjectMeta(name=name, namespace=namespace, labels={"team": team}),
            spec=DeploymentSpec(
                selector=LabelSelector(match_labels={"app": name}),
                template=PodTemplateSpec(
                    metadata=ObjectMeta(labels={"app": name}),
                    spec=PodSpec(containers=[Container(name="c", image="nginx")]),
                ),
            ),
        )

    async def main() -> None:
        cs = make()
        await cs.core_v1.namespaces().create({"metadata": {"name": "apps"}})
        for name, ns, team in (
            ("web", "default", "a"),
            ("db", "apps", "a"),
            ("ui", "default", "b"),
        ):
            await cs.apps_v1.deployments(ns).create(deployment(name, ns, team))
        factory = SharedInformerFactory(cs, label_selector="team=a")
        deployments = factory.apps_v1.deployments()
        assert type(deployments) is DeploymentInformer
        assert isinstance(deployments, AsyncSharedIndexInformer)
        assert factory.apps_v1.deployments() is deployments  # shared
        assert isinstance(deployments.lister, DeploymentLister)
        namespaces = factory.core_v1.namespaces()  # cluster-scoped
        assert isinstance(namespaces.lister, NamespaceLister)
        generic = factory.informer_for(cs.core_v1.config_maps("default"))
        assert generic in factory.informers() and len(factory.informers()) == 3
        factory.start()
        assert await factory.wait_for_cache_sync(timeout=10)
        web = deployments.lister.deployments("default").get("web")
        assert isinstance(web, Deployment) and name_of(web) == "web"
        names = sorted(name_of(d) for d in deployments.lister.list())
        assert names == ["db", "web"]  # every namespace; team=a only
        assert namespaces.lister.list() == []  # the selector narrows them all
        await factory.shutdown()
        assert deployments.stopped
        namespaced = SharedInformerFactory(cs, namespace="apps")
        only = namespaced.apps_v1.deployments()
        namespaced.start()
        assert await namespaced.wait_for_cache_sync(timeout=10)
        assert [name_of(d) for d in only.lister.list()] == ["db"]
        await namespaced.shutdown()
        await cs.close()

    asyncio.run(main())

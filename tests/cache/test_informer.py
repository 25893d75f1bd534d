"""The shared informer against the test API server: sync, listers, handlers,
tombstones, resync, late handlers, streaming list and its fallback, 410
relists, faults, and stopping."""

from __future__ import annotations

import re
import threading
import time
from typing import Any
from urllib.parse import urlencode

import pytest

from .conftest import Seen, fast, informer_threads, name_of, wait_until


def configmap(name: str, namespace: str = "default", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
    }


def make(cs: Any, names: list[str], namespace: str = "default", **labels: str) -> None:
    for name in names:
        cs.core_v1.config_maps(namespace).create(configmap(name, namespace, **labels))


def informer(kc: Any, cs: Any, **options: Any) -> Any:
    from kubeclient.cache import SharedIndexInformer

    return fast(SharedIndexInformer(cs.core_v1.config_maps(""), **options))


def cached(inf: Any) -> set[str]:
    return {name_of(obj) for obj in inf.indexer.list()}


def server_names(cs: Any) -> set[str]:
    return {
        cm.metadata.name
        for cm in cs.core_v1.config_maps("").list_all()
        if cm.metadata.name != "kube-root-ca.crt"
    }


def test_sync_then_listers_answer_like_the_api(kc: Any, cs: Any, ctx: Any) -> None:
    make(cs, ["web-1", "web-2"], app="web")
    make(cs, ["db"], app="db")
    make(cs, ["other"], namespace="kube-system", app="web")
    inf = informer(kc, cs)
    inf.start(ctx)
    assert inf.wait_for_cache_sync(timeout=10)
    assert inf.has_synced()
    listed_rv = int(inf.last_sync_resource_version())
    assert listed_rv >= 4

    lister = inf.lister
    assert lister.namespace("default").get("db").data is None
    assert sorted(name_of(o) for o in lister.list(label_selector="app=web")) == [
        "other",
        "web-1",
        "web-2",
    ]
    assert sorted(
        name_of(o)
        for o in lister.namespace("default").list(label_selector="app in (web)")
    ) == ["web-1", "web-2"]
    assert [name_of(o) for o in inf.indexer.by_index("namespace", "kube-system")] == [
        "other"
    ]
    with pytest.raises(kc.errors.NotFound) as missing:
        lister.namespace("default").get("nope")
    assert missing.value.status == 404
    assert str(missing.value) == '404 NotFound: configmaps "nope" not found'
    with pytest.raises(ValueError, match="expected: '\\)'"):
        lister.list(label_selector="app in (web")  # a bad selector says why
    # the objects are the typed models of the client
    assert type(lister.namespace("default").get("db")).__name__ == "ConfigMap"


def test_handlers_see_every_change_in_order(kc: Any, cs: Any, ctx: Any) -> None:
    make(cs, ["a"])
    inf = informer(kc, cs)
    seen = Seen()
    inf.add_event_handler(**seen.handlers())
    inf.start(ctx)
    assert inf.wait_for_cache_sync(timeout=10)
    cms = cs.core_v1.config_maps("default")
    cms.create(configmap("b"))
    cms.patch("a", {"data": {"k": "1"}})
    cms.patch("a", {"data": {"k": "2"}})
    cms.delete("b")
    assert seen.wait_for(lambda e: sum(k == "delete" for k, _, _ in e) == 1)
    kinds = [
        (k, name_of(new if new is not None else old)) for k, old, new in seen.events
    ]
    assert kinds == [
        ("add", "a"),
        ("add", "b"),
        ("update", "a"),
        ("update", "a"),
        ("delete", "b"),
    ]
    # on_update gets the previous and the new state
    _, old, new = seen.events[3]
    assert old.data == {"k": "1"} and new.data == {"k": "2"}
    assert cached(inf) >= {"a"} and "b" not in cached(inf)


def test_a_slow_handler_stalls_neither_the_cache_nor_other_handlers(
    kc: Any, cs: Any, ctx: Any
) -> None:
    inf = informer(kc, cs)
    release = threading.Event()
    slow_seen: list[str] = []

    def slow(obj: Any) -> None:
        release.wait(10)
        slow_seen.append(name_of(obj))

    fast_seen = Seen()
    inf.add_event_handler(on_add=slow)
    inf.add_event_handler(**fast_seen.handlers())
    inf.start(ctx)
    assert inf.wait_for_cache_sync(timeout=10)
    names = [f"cm-{i}" for i in range(20)]
    make(cs, names)
    # the quick handler and the cache have everything while the slow one is stuck
    assert fast_seen.wait_for(lambda e: len(e) == 20)
    assert wait_until(lambda: set(names) <= cached(inf))
    assert slow_seen == []
    release.set()
    assert wait_until(lambda: len(slow_seen) == 20)
    assert slow_seen == names  # in order, nothing lost


def test_handler_added_late_gets_the_cache_first(kc: Any, cs: Any, ctx: Any) -> None:
    make(cs, ["x", "y"])
    inf = informer(kc, cs)
    inf.start(ctx)
    assert inf.wait_for_cache_sync(timeout=10)
    seen = Seen()
    registration = inf.add_event_handler(**seen.handlers())
    assert registration.wait_for_sync(10)
    assert set(seen.names("add")) >= {"x", "y"}
    cs.core_v1.config_maps("default").create(configmap("z"))
    assert seen.wait_for(lambda e: "z" in [name_of(n) for k, _, n in e if k == "add"])
    assert seen.names("add")[-1] == "z"
    # removed: it gets nothing more
    registration.remove()
    cs.core_v1.config_maps("default").create(configmap("after"))
    assert wait_until(lambda: "after" in cached(inf))
    time.sleep(0.1)
    assert "after" not in seen.names("add")


def test_resync_calls_on_update_with_the_same_object(
    kc: Any, cs: Any, ctx: Any
) -> None:
    make(cs, ["r"])
    inf = informer(kc, cs, resync_period=1.0)
    seen = Seen()
    inf.add_event_handler(**seen.handlers())
    quiet = Seen()
    inf.add_event_handler(**quiet.handlers(), resync_period=0)
    inf.start(ctx)
    assert seen.wait_for(lambda e: any(k == "update" for k, _, _ in e), timeout=5)
    _, old, new = next(e for e in seen.events if e[0] == "update")
    assert old is new and name_of(new) in {"r", "kube-root-ca.crt"}
    assert all(k == "add" for k, _, _ in quiet.events)


def test_relist_after_410_delivers_tombstones(kc: Any, ctx: Any) -> None:
    from kubeclient.cache import DeletedFinalStateUnknown
    from kubeclient.testing import ApiServer

    with ApiServer(history=16) as server:
        cs = kc.ClientSet(server.config())
        make(cs, ["keep", "gone-1", "gone-2"])
        inf = informer(kc, cs)
        seen = Seen()
        inf.add_event_handler(**seen.handlers())
        inf.reflector.watch_timeout = 1  # the server ends each watch after 1-2 s
        inf.start(ctx)
        assert inf.wait_for_cache_sync(timeout=10)
        lists = inf.reflector.lists
        # keep the watch down once it ends, while the history moves on
        server.faults.error(503, count=10_000, path=r"watch=")
        time.sleep(2.5)
        cms = cs.core_v1.config_maps("default")
        cms.delete("gone-1")
        cms.delete("gone-2")
        cms.create(configmap("new"))
        for i in range(40):  # push the deletes out of the kept history
            cms.patch("keep", {"data": {"i": str(i)}})
        assert inf.reflector.lists == lists and "gone-1" in cached(inf)
        server.faults.clear()
        assert wait_until(lambda: inf.reflector.lists > lists, timeout=10)
        assert seen.wait_for(
            lambda e: {"gone-1", "gone-2"}
            <= {name_of(o) for k, o, _ in e if k == "delete"}
        )
        tombstones = [o for k, o, _ in seen.events if k == "delete"]
        assert all(isinstance(t, DeletedFinalStateUnknown) for t in tombstones)
        assert {t.key for t in tombstones} == {"default/gone-1", "default/gone-2"}
        assert wait_until(
            lambda: cached(inf) - {"kube-root-ca.crt"} == server_names(cs)
        )
        assert inf.lister.namespace("default").get("keep").data == {"i": "39"}


def test_streaming_list_is_used_where_the_server_has_it(
    kc: Any, cs: Any, recorder: Any, ctx: Any
) -> None:
    make(cs, ["s1", "s2"])
    inf = informer(kc, cs)
    inf.start(ctx)
    assert inf.wait_for_cache_sync(timeout=10)
    assert {"s1", "s2"} <= cached(inf)
    first = recorder.queries("/configmaps")[0]
    assert first["watch"] == "true" and first["sendInitialEvents"] == "true"
    assert first["resourceVersionMatch"] == "NotOlderThan"
    assert first["allowWatchBookmarks"] == "true"
    assert not any("limit" in q for q in recorder.queries("/configmaps"))
    # the informer goes on watching on the same stream
    cs.core_v1.config_maps("default").create(configmap("s3"))
    assert wait_until(lambda: "s3" in cached(inf))
    assert len(recorder.queries("/configmaps")) == 1


def test_without_streaming_lists_it_lists_in_pages_from_rv_0(kc: Any, ctx: Any) -> None:
    from kubeclient.testing import ApiServer
    from kubeclient.transport.http import HTTPTransport

    from .conftest import Recorder

    with ApiServer(watch_list=False) as server:
        recorder = Recorder(HTTPTransport(server.config()))
        cs = kc.ClientSet(server.config(), transport=recorder)
        for i in range(1200):
            server.seed(configmap(f"p{i:04}"))
        inf = informer(kc, cs)
        inf.start(ctx)
        assert inf.wait_for_cache_sync(timeout=30)
        assert len(cached(inf) - {"kube-root-ca.crt"}) == 1200
        queries = recorder.queries("/configmaps")
        assert queries[0].get("sendInitialEvents") == "true"  # tried, refused (422)
        pages = [q for q in queries if "limit" in q]
        assert [q["limit"] for q in pages] == ["500", "500", "500"]
        assert pages[0]["resourceVersion"] == "0" and "continue" not in pages[0]
        assert all("continue" in q and "resourceVersion" not in q for q in pages[1:])
        assert inf.reflector.use_watch_list is False
        listed = inf.last_sync_resource_version()

        def plain_watches() -> list[dict[str, str]]:
            return [
                q
                for q in recorder.queries("/configmaps")
                if q.get("watch") == "true" and "sendInitialEvents" not in q
            ]

        assert wait_until(lambda: bool(plain_watches()))
        assert plain_watches()[0]["resourceVersion"] == listed  # from the list on
        # a later relist does not try the streaming list again
        cs.core_v1.config_maps("default").create(configmap("later"))
        assert wait_until(lambda: "later" in cached(inf))


@pytest.mark.parametrize("fault", ["drop", "429", "503"])
def test_faults_on_the_watch_lose_nothing(
    kc: Any, cs: Any, server: Any, ctx: Any, fault: str
) -> None:
    make(cs, ["f0"])
    inf = informer(kc, cs)
    seen = Seen()
    inf.add_event_handler(**seen.handlers())
    inf.start(ctx)
    assert inf.wait_for_cache_sync(timeout=10)
    if fault == "drop":
        server.faults.drop(count=3, path=r"watch=", after_events=1)
    else:
        server.faults.error(int(fault), count=3, path=r"watch=", retry_after=0)
    cms = cs.core_v1.config_maps("default")
    for i in range(1, 15):
        cms.create(configmap(f"f{i}"))
        if i % 3 == 0:
            cms.delete(f"f{i - 1}")
    assert wait_until(lambda: cached(inf) - {"kube-root-ca.crt"} == server_names(cs))
    # every add exactly once (watches resume from the last resourceVersion)
    added = [n for n in seen.names("add") if n != "kube-root-ca.crt"]
    assert sorted(added) == sorted(f"f{i}" for i in range(15))


def test_list_errors_back_off_and_recover(
    kc: Any, cs: Any, server: Any, ctx: Any
) -> None:
    make(cs, ["e1"])
    server.faults.error(500, count=2, path=r"/configmaps")
    server.faults.drop(count=1, path=r"/configmaps")
    inf = informer(kc, cs)
    inf.start(ctx)
    assert inf.wait_for_cache_sync(timeout=10)
    assert "e1" in cached(inf)


def test_cancel_stops_every_thread_within_a_second(kc: Any, cs: Any) -> None:
    before = set(informer_threads())
    ctx = kc.Context()
    inf = informer(kc, cs, resync_period=30)
    inf.add_event_handler(on_add=lambda obj: None)
    thread = inf.start(ctx)
    assert inf.wait_for_cache_sync(timeout=10)
    # a handler added while running gets its own thread too
    inf.add_event_handler(on_update=lambda old, new: None)
    assert len(set(informer_threads()) - before) == 4  # informer, resync, 2 handlers
    started = time.monotonic()
    ctx.cancel()
    thread.join(2)
    assert not thread.is_alive()
    assert time.monotonic() - started < 1.0
    assert set(informer_threads()) - before == set()
    with pytest.raises(RuntimeError):
        inf.add_event_handler(on_add=lambda obj: None)


def test_a_failing_handler_does_not_stop_delivery(
    kc: Any, cs: Any, ctx: Any, caplog: Any
) -> None:
    inf = informer(kc, cs)
    seen = Seen()

    def broken(obj: Any) -> None:
        raise RuntimeError("handler bug")

    inf.add_event_handler(on_add=broken)
    inf.add_event_handler(**seen.handlers())
    inf.start(ctx)
    assert inf.wait_for_cache_sync(timeout=10)
    make(cs, ["h1", "h2"])
    assert seen.wait_for(
        lambda e: {"h1", "h2"} <= {name_of(n) for _, _, n in e if n is not None}
    )
    # the broken handler's thread logs on its own time
    assert wait_until(lambda: "handler bug" in caplog.text)


def test_informer_runs_on_the_fake_clientset(kc: Any, ctx: Any) -> None:
    from kubeclient.testing import fake_clientset

    fake: Any = fake_clientset(
        [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "seeded", "namespace": "default"},
            }
        ]
    )
    inf = informer(kc, fake)
    seen = Seen()
    inf.add_event_handler(**seen.handlers())
    inf.start(ctx)
    assert inf.wait_for_cache_sync(timeout=10)
    fake.core_v1.config_maps("default").create(configmap("made"))
    fake.core_v1.config_maps("default").delete("seeded")
    assert seen.wait_for(lambda e: "seeded" in seen.names("delete"))
    assert inf.lister.namespace("default").get("made").metadata.name == "made"
    assert any(a.verb == "watch" for a in fake.actions)


def test_dynamic_informer_factory(kc: Any, cs: Any, server: Any, ctx: Any) -> None:
    from kubeclient.cache import DynamicSharedInformerFactory
    from kubeclient.dynamic import DynamicClient, GroupVersionResource

    make(cs, ["d1"], app="web")
    factory = DynamicSharedInformerFactory(
        DynamicClient(server.config()), namespace="default"
    )
    gvr = GroupVersionResource("", "v1", "configmaps")
    inf = factory.for_resource(gvr)
    assert factory.for_resource(gvr) is inf
    factory.start(ctx)
    assert factory.wait_for_cache_sync(timeout=10)
    obj = factory.lister_for(gvr).namespace("default").get("d1")
    assert isinstance(obj, dict) and obj["metadata"]["labels"] == {"app": "web"}
    ctx.cancel()
    factory.shutdown()
    assert all(not t.is_alive() for t in factory._threads.values())


def test_a_failing_index_function_skips_only_that_object(
    kc: Any, cs: Any, ctx: Any, caplog: Any
) -> None:
    def by_owner(obj: Any) -> list[str]:
        owner = obj.metadata.labels["owner"]  # KeyError without the label
        return [owner]

    make(cs, ["owned"], owner="me")
    make(cs, ["orphan"])
    inf = informer(kc, cs, indexers={"owner": by_owner})
    inf.start(ctx)
    assert inf.wait_for_cache_sync(timeout=10)
    assert "owned" in cached(inf) and "orphan" not in cached(inf)
    make(cs, ["later"], owner="me")
    make(cs, ["orphan-2"])
    assert wait_until(lambda: "later" in cached(inf))
    assert [
        name_of(o) for o in sorted(inf.indexer.by_index("owner", "me"), key=name_of)
    ] == [
        "later",
        "owned",
    ]
    assert "not caching default/orphan" in caplog.text


def test_429_on_a_watch_watches_again_without_relisting(
    kc: Any, cs: Any, server: Any, recorder: Any, ctx: Any
) -> None:
    inf = informer(kc, cs)
    inf.reflector.watch_timeout = 1
    inf.start(ctx)
    assert inf.wait_for_cache_sync(timeout=10)
    lists = inf.reflector.lists
    server.faults.error(429, count=8, path=r"watch=", retry_after=0)
    assert wait_until(lambda: not server.faults.pending, timeout=15)
    make(cs, ["after-429"])
    assert wait_until(lambda: "after-429" in cached(inf))
    assert inf.reflector.lists == lists


@pytest.mark.parametrize("field", ["uid", "namespace"])
def test_informers_on_n_shards_see_every_object_once(
    kc: Any, ctx: Any, field: Any
) -> None:
    from kubeclient.cache import SharedIndexInformer
    from kubeclient.sharding import Shard
    from kubeclient.testing import ApiServer

    with ApiServer(history=64) as server:
        cs = kc.ClientSet(server.config())
        namespaces = [f"team-{i}" for i in range(12)]
        for namespace in namespaces:
            for i in range(5):
                server.seed(configmap(f"cm-{i}", namespace))
        shards = Shard.split(3, field=field)
        informers = []
        seen: list[Seen] = []
        for shard in shards:
            inf = fast(
                SharedIndexInformer(
                    cs.core_v1.config_maps(""), params={"shardSelector": str(shard)}
                )
            )
            inf.reflector.watch_timeout = 1
            events = Seen()
            inf.add_event_handler(**events.handlers())
            inf.start(ctx)
            informers.append(inf)
            seen.append(events)
        assert all(inf.wait_for_cache_sync(timeout=10) for inf in informers)

        def keys(inf: Any) -> set[str]:
            return {k for k in inf.indexer.list_keys() if k.startswith("team-")}

        def partition_holds() -> bool:
            everything = {f"{ns}/cm-{i}" for ns in namespaces for i in range(5)}
            held = [keys(inf) for inf in informers]
            return (
                sum(len(h) for h in held) == len(everything)
                and set().union(*held) == everything
            )

        assert partition_holds()
        for inf, shard in zip(informers, shards, strict=True):
            assert all(
                shard.contains(kc.cache.keys.wire_of(o)) for o in inf.indexer.list()
            )

        # changes while the watches are down: each shard relists (410) its part.
        # Wait until every shard's watch has ended and been refused once: on a
        # loaded machine a fixed sleep let a watch live on and see the changes.
        refused = [
            server.faults.error(
                503,
                count=10_000,
                path="^(?=.*watch=)(?=.*"
                + re.escape(urlencode({"shardSelector": str(shard)}))
                + ")",
            )
            for shard in shards
        ]
        assert wait_until(lambda: all(f.fired for f in refused), timeout=30)
        lists = [inf.reflector.lists for inf in informers]
        for namespace in namespaces:
            cms = cs.core_v1.config_maps(namespace)
            cms.delete("cm-0")
            cms.create(configmap("cm-new", namespace))
            cms.patch("cm-1", {"data": {"v": "2"}})
        for i in range(80):
            cs.core_v1.config_maps("team-0").patch("cm-2", {"data": {"i": str(i)}})
        server.faults.clear()
        assert wait_until(  # the backoff may have grown while the watches failed
            lambda: all(
                inf.reflector.lists > n for inf, n in zip(informers, lists, strict=True)
            ),
            timeout=40,
        )

        def expected() -> set[str]:
            return {
                f"{ns}/{n}"
                for ns in namespaces
                for n in ("cm-1", "cm-2", "cm-3", "cm-4", "cm-new")
            }

        def settled() -> bool:
            held = [keys(inf) for inf in informers]
            return (
                sum(len(h) for h in held) == len(expected())
                and set().union(*held) == expected()
            )

        assert wait_until(settled, timeout=20)
        # every event exactly once across the shards: one add per object, one
        # delete per deleted object
        adds = [n for s in seen for n in s.names("add")]
        team_adds = [n for n in adds if n.startswith("cm-")]
        assert sorted(team_adds) == sorted(
            ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"] * 12 + ["cm-new"] * 12
        )
        deletes = [n for s in seen for n in s.names("delete")]
        assert sorted(deletes) == ["cm-0"] * 12
        # a live event after the relist reaches exactly one shard
        cs.core_v1.config_maps("team-3").create(configmap("late", "team-3"))
        assert wait_until(lambda: sum("late" in s.names("add") for s in seen) == 1)
        time.sleep(0.2)
        assert sum(s.names("add").count("late") for s in seen) == 1


def test_metadata_informer_caches_metadata_only(
    kc: Any, cs: Any, server: Any, ctx: Any
) -> None:
    from kubeclient.cache import MetadataSharedInformerFactory, strip_managed_fields
    from kubeclient.metadata import MetadataClient, PartialObjectMetadata
    from kubeclient.resources import GroupVersionResource

    cms = cs.core_v1.config_maps("default")
    cms.create({**configmap("big", app="web"), "data": {"blob": "x" * 10_000}})
    factory = MetadataSharedInformerFactory(
        MetadataClient(server.config()), transform=strip_managed_fields
    )
    gvr = GroupVersionResource("", "v1", "configmaps")
    inf = factory.for_resource(gvr)
    seen = Seen()
    inf.add_event_handler(**seen.handlers())
    factory.start(ctx)
    assert factory.wait_for_cache_sync(ctx, timeout=10)
    big = factory.lister_for(gvr).namespace("default").get("big")
    assert isinstance(big, PartialObjectMetadata)
    assert big.metadata is not None and big.metadata.labels == {"app": "web"}
    wire = big.to_dict(copy=False)
    assert "data" not in wire and "managedFields" not in wire["metadata"]
    assert wire["kind"] == "PartialObjectMetadata"
    cms.patch("big", {"metadata": {"labels": {"app": "db"}}})
    assert seen.wait_for(lambda e: any(k == "update" for k, _, _ in e))
    _, _, new = next(e for e in seen.events if e[0] == "update")
    assert new.metadata is not None
    assert isinstance(new, PartialObjectMetadata) and new.metadata.labels == {
        "app": "db"
    }
    assert [
        name_of(o) for o in factory.lister_for(gvr).list(label_selector="app=db")
    ] == ["big"]


def test_fake_clientset_under_faults_drops_429_and_410(kc: Any, ctx: Any) -> None:
    from kubeclient.cache import DeletedFinalStateUnknown
    from kubeclient.testing import fake_clientset

    fake: Any = fake_clientset([configmap("keep"), configmap("gone")])
    fake.core.store.history.capacity = 16
    inf = informer(kc, fake)
    inf.reflector.watch_timeout = 1
    seen = Seen()
    inf.add_event_handler(**seen.handlers())
    fake.core.faults.error(429, count=2, path=r"watch=", retry_after=0)
    fake.core.faults.drop(count=1, path=r"watch=", after_events=2)
    inf.start(ctx)
    assert inf.wait_for_cache_sync(timeout=10)
    cms = fake.core_v1.config_maps("default")
    cms.create(configmap("during-drops"))
    assert wait_until(lambda: "during-drops" in cached(inf))
    # a 410: the history moves on while the watch is kept down
    lists = inf.reflector.lists
    fake.core.faults.error(503, count=10_000, path=r"watch=")
    time.sleep(2.5)
    cms.delete("gone")
    for i in range(40):
        cms.patch("keep", {"data": {"i": str(i)}})
    fake.core.faults.clear()
    assert wait_until(lambda: inf.reflector.lists > lists)
    assert seen.wait_for(lambda e: "gone" in seen.names("delete"))
    tombstone = next(o for k, o, _ in seen.events if k == "delete")
    assert (
        isinstance(tombstone, DeletedFinalStateUnknown)
        and tombstone.key == "default/gone"
    )
    assert wait_until(lambda: cached(inf) - {"kube-root-ca.crt"} == server_names(fake))

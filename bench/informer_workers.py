"""The processes of bench/bench_informers.py: the seeded test API server and
one worker per measurement, each printing its figures as one JSON line.

    python bench/informer_workers.py _server KUBECONFIG PODS
    python bench/informer_workers.py _worker WHICH KUBECONFIG COUNT
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import random
import signal
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
CHURN_OBJECTS = 1_000
PAGE_SIZE = 500
METADATA_MODULE = "kubeclient.metadata"


# --------------------------------------------------------------------------- server


def _pods(count: int) -> list[dict[str, Any]]:
    """bench/podlist.py's pods, as a server stores them (managedFields aside:
    controllers drop them with a transform; the pods are about 8 KB of JSON)."""
    sys.path.insert(0, str(BENCH))
    from podlist import pod

    rng = random.Random(1)
    pods = []
    for i in range(count):
        body = pod(i, rng)
        body["metadata"].pop("managedFields", None)
        pods.append({"apiVersion": "v1", "kind": "Pod", **body})
    return pods


def serve(kubeconfig: str, count: int) -> None:
    """The test API server holding ``count`` pods; prints ``ready URL``.

    The pods go straight into its store (creating 10,000 through the API takes
    half a minute); their namespaces are created as fixtures."""
    from kubeclient.testing import ApiServer

    server = ApiServer()
    pods = _pods(count)
    for namespace in sorted({p["metadata"]["namespace"] for p in pods}):
        server.seed(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
        )
    for body in pods:
        server.store.put(("", "pods"), body)
    del pods
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    server.write_kubeconfig(kubeconfig)
    print(f"ready {server.url}", flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()


# --------------------------------------------------------------------------- workers


def _clientset(kubeconfig: str) -> Any:
    from kubeclient import ClientSet
    from kubeclient.config import load_kube_config

    return ClientSet(load_kube_config(kubeconfig))


def _sync(client: Any, use_watch_list: bool | None) -> tuple[float, float, Any]:
    """Seconds from the informer's start to its synced cache, the CPU seconds
    this process spent meanwhile (all threads), and the informer."""
    from kubeclient.cache import SharedIndexInformer
    from kubeclient.context import Context

    ctx = Context()
    informer = SharedIndexInformer(
        client, page_size=PAGE_SIZE, use_watch_list=use_watch_list
    )
    start, cpu = time.perf_counter(), time.process_time()
    thread = informer.start(ctx)
    if not informer.wait_for_cache_sync(timeout=300):
        raise RuntimeError(f"{informer!r} did not sync")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    ctx.cancel()
    thread.join(5)
    return seconds, cpu, informer


# Each first does the same on the namespaces (a few objects), untimed: lazy
# imports and first-use costs (~0.1 s, more for a watch) are not per pod.


def _sync_ours(kubeconfig: str, use_watch_list: bool | None) -> dict[str, float]:
    cs = _clientset(kubeconfig)
    _sync(cs.core_v1.namespaces(), use_watch_list)
    seconds, cpu, informer = _sync(cs.core_v1.pods(""), use_watch_list)
    return {"seconds": seconds, "cpu": cpu, "items": len(informer.indexer)}


def _list_ours(kubeconfig: str) -> dict[str, float]:
    cs = _clientset(kubeconfig)
    list(cs.core_v1.namespaces().list_all(page_size=PAGE_SIZE))
    pods = cs.core_v1.pods("")
    start, cpu = time.perf_counter(), time.process_time()
    items = list(pods.list_all(page_size=PAGE_SIZE))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "items": len(items)}


def _official_api(kubeconfig: str) -> Any:
    import kubernetes

    kubernetes.config.load_kube_config(kubeconfig)  # type: ignore[no-untyped-call]
    return kubernetes.client.CoreV1Api()


def _sync_official(kubeconfig: str, count: int) -> dict[str, float]:
    """The official SharedInformer: it has no has_synced(); it is synced once
    its initial list has fired ADDED for every pod (its cache is filled first)."""
    from kubernetes.informer import ADDED, SharedInformer

    api = _official_api(kubeconfig)
    synced = threading.Event()
    added = 0

    def on_added(obj: Any) -> None:
        nonlocal added
        added += 1
        if added >= count:
            synced.set()

    informer: Any = SharedInformer(  # type: ignore[no-untyped-call]
        api.list_pod_for_all_namespaces
    )
    informer.add_event_handler(ADDED, on_added)
    start = time.perf_counter()
    informer.start()
    if not synced.wait(600):
        raise RuntimeError("the official informer did not sync")
    seconds = time.perf_counter() - start
    items = len(informer.cache.list_keys())
    informer._stop_event.set()  # stop() joins a watch that blocks until an event
    return {"seconds": seconds, "items": items}


def _list_official(kubeconfig: str) -> dict[str, float]:
    api = _official_api(kubeconfig)
    start = time.perf_counter()
    items: list[Any] = []
    token: str | None = None
    while True:  # the official client's own paging, by hand
        page = api.list_pod_for_all_namespaces(limit=PAGE_SIZE, _continue=token)
        items.extend(page.items)
        token = page.metadata._continue
        if not token:
            break
    return {"seconds": time.perf_counter() - start, "items": len(items)}


def _traced_kib(build: Callable[[], Any]) -> tuple[float, Any]:
    """KiB that what ``build()`` returns keeps allocated (tracemalloc, after a
    full collection, transient buffers freed)."""
    gc.collect()
    tracemalloc.start()
    kept = build()
    gc.collect()
    current, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return current / 1024, kept


def _cache_kib(client: Any) -> dict[str, float]:
    """What the synced cache of ``client``'s objects holds (streaming list)."""
    list_ = getattr(client, "list", None)
    if list_ is not None:  # warm: lazy imports, codecs, the connection pool
        list_(limit=1)
    kib, indexer = _traced_kib(lambda: _sync(client, None)[2].indexer)
    return {"kib": kib, "items": len(indexer)}


def _memory_cache(kubeconfig: str) -> dict[str, float]:
    return _cache_kib(_clientset(kubeconfig).core_v1.pods(""))


def _memory_metadata(kubeconfig: str) -> dict[str, float]:
    """The expected interface: MetadataClient(config).resource(gvr), as the
    DynamicClient's, giving PartialObjectMetadata."""
    from kubeclient.config import load_kube_config
    from kubeclient.resources import GroupVersionResource

    # imported by name: not every package has it yet (bench_metadata checks)
    metadata = importlib.import_module(METADATA_MODULE)
    client = metadata.MetadataClient(load_kube_config(kubeconfig))
    return _cache_kib(
        client.resource(GroupVersionResource("", "v1", "pods")).namespace("")
    )


def _memory_json(kubeconfig: str) -> dict[str, float]:
    """json.loads of the same pods as one list (one GET, no pages): every item
    kept, the bytes not counted."""
    cs = _clientset(kubeconfig)
    body = cs.rest_client.get().abs_path("/api/v1/pods").do().raw()
    assert isinstance(body, bytes)

    from kubeclient._json import loads

    kib, kept = _traced_kib(lambda: json.loads(body)["items"])
    del kept
    # the runtime's own decoder (msgspec when installed), for comparison
    runtime_kib, kept = _traced_kib(lambda: loads(body)["items"])
    return {"kib": kib, "runtime_kib": runtime_kib, "items": len(kept)}


def _fake(history: int) -> Any:
    from kubeclient.testing import FakeClientSet
    from kubeclient.testing.engine.core import Core

    return FakeClientSet(Core(history=history))


def _config_map(name: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "data": {"n": value},
    }


def _throughput(count: int) -> dict[str, float]:
    """``count`` ConfigMaps created straight into the fake's store while it is
    locked (the watch cannot read meanwhile), then timed from the unlock to the
    last on_add: decoding, the cache, the queue, the handler's thread."""
    from kubeclient.cache import SharedIndexInformer
    from kubeclient.context import Context

    cs = _fake(history=count + 1_000)
    store = cs.core.store
    informer = SharedIndexInformer(cs.core_v1.config_maps(""))
    done = threading.Event()
    seen = 0

    def on_add(obj: Any) -> None:
        nonlocal seen
        seen += 1
        if seen >= count:
            done.set()

    informer.add_event_handler(on_add=on_add)
    ctx = Context()
    thread = informer.start(ctx)
    informer.wait_for_cache_sync(timeout=60)
    bodies = [_config_map(f"cm-{i}", "0") for i in range(count)]
    with store.lock:
        for body in bodies:
            store.put(("", "configmaps"), body)
        start, cpu = time.perf_counter(), time.process_time()
    if not done.wait(300):
        raise RuntimeError(f"{seen} of {count} events arrived")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    ctx.cancel()
    thread.join(5)
    return {"seconds": seconds, "cpu": cpu, "events": seen}


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def _client_held_kib(snapshot: tracemalloc.Snapshot) -> float:
    """KiB of a snapshot allocated in the package, its ``testing`` aside."""
    package = str(Path(importlib.import_module("kubeclient").__file__ or "").parent)
    held = snapshot.filter_traces(
        [
            tracemalloc.Filter(True, os.path.join(package, "*")),
            tracemalloc.Filter(False, os.path.join(package, "testing", "*")),
        ]
    )
    return sum(stat.size for stat in held.statistics("filename")) / 1024


def _churn(updates: int) -> dict[str, Any]:
    """``updates`` updates to CHURN_OBJECTS ConfigMaps, in rounds of one update
    each, the producer waiting for the handler to see a round before the next
    (so the watch never falls behind the server's history and relists). At 10%,
    50% and 100% of the updates, after a full collection, tracemalloc (exact,
    where RSS moves by pages) gives what has been allocated since just before
    the informer started and is still held: by the client (in the package but
    not in its ``testing``), and in all (the fake's server runs in this process:
    its history, of two rounds of events, replaces objects from before the
    start for a few rounds); and the RSS."""
    from kubeclient.cache import SharedIndexInformer
    from kubeclient.context import Context

    cs = _fake(history=2 * CHURN_OBJECTS)
    store = cs.core.store
    names = [f"cm-{i}" for i in range(CHURN_OBJECTS)]
    for name in names:
        store.put(("", "configmaps"), _config_map(name, "0"))
    informer = SharedIndexInformer(cs.core_v1.config_maps(""))
    seen = 0
    wanted = 0
    caught_up = threading.Event()

    def on_update(old: Any, new: Any) -> None:
        nonlocal seen
        seen += 1
        if seen >= wanted:
            caught_up.set()

    informer.add_event_handler(on_update=on_update)
    gc.collect()
    baseline = _rss_kib()
    tracemalloc.start()
    ctx = Context()
    thread = informer.start(ctx)
    informer.wait_for_cache_sync(timeout=60)
    marks = {updates // 10: "10%", updates // 2: "50%", updates: "100%"}
    traced: dict[str, float] = {}
    client: dict[str, float] = {}
    rss: dict[str, int] = {}
    done = 0
    start = time.perf_counter()
    while done < updates:
        batch = min(CHURN_OBJECTS, updates - done)
        wanted = done + batch
        caught_up.clear()
        for name in names[:batch]:
            done += 1
            store.put(("", "configmaps"), _config_map(name, str(done)))
        if seen < wanted and not caught_up.wait(60):
            raise RuntimeError(f"the handler saw {seen} of {wanted} updates")
        for mark in [m for m in marks if done >= m and marks[m] not in traced]:
            gc.collect()
            traced[marks[mark]] = tracemalloc.get_traced_memory()[0] / 1024
            client[marks[mark]] = _client_held_kib(tracemalloc.take_snapshot())
            rss[marks[mark]] = _rss_kib() - baseline
    seconds = time.perf_counter() - start
    tracemalloc.stop()
    items = len(informer.indexer)
    relists = informer.reflector.lists
    ctx.cancel()
    thread.join(5)
    return {
        "client_kib": client,
        "traced_kib": traced,
        "rss_kib": rss,
        "items": items,
        "updates": seen,
        "lists": relists,
        "seconds": seconds,
    }


def worker(which: str, kubeconfig: str, count: int) -> Any:
    if which == "sync-stream":
        return _sync_ours(kubeconfig, None)
    if which == "sync-paged":
        return _sync_ours(kubeconfig, False)
    if which == "list":
        return _list_ours(kubeconfig)
    if which == "sync-official":
        return _sync_official(kubeconfig, count)
    if which == "list-official":
        return _list_official(kubeconfig)
    if which == "memory-cache":
        return _memory_cache(kubeconfig)
    if which == "memory-metadata":
        return _memory_metadata(kubeconfig)
    if which == "memory-json":
        return _memory_json(kubeconfig)
    if which == "events":
        return _throughput(count)
    if which == "churn":
        return _churn(count)
    raise SystemExit(f"unknown worker {which!r}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "_server":
        serve(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] == "_worker":
        _, _, which_, kubeconfig_, count_ = sys.argv
        print(json.dumps(worker(which_, kubeconfig_, int(count_))), flush=True)
        os._exit(0)  # not freeing hundreds of MB of objects one by one at exit
    else:
        sys.exit(
            f"usage: {sys.argv[0]} _server KUBECONFIG PODS | _worker WHICH KUBECONFIG COUNT"
        )

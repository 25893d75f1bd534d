"""4 shards over 2, then 3 replicas (one Lease per shard): each replica holds at most
ceil(4/M) shards and runs informers for exactly those; every Foo is synced by one
replica at a time; a dead replica's shards move within lease duration + retry
period, and no Foo is left out."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from .conftest import FAST_LEASES, TAKEOVER_LIMIT, Running, SyncLog, foo, wait_until

SHARDS = 4
NAMESPACES = 12


def holders(kube: Any, lease_namespace: str) -> dict[int, str]:
    leases = kube.coordination_v1.leases(lease_namespace)
    found = {}
    for i in range(SHARDS):
        try:
            found[i] = (
                leases.get(f"sample-controller-shard-{i}").spec.holder_identity or ""
            )
        except Exception:
            found[i] = ""
    return found


def scaled(kube: Any, namespace: str, name: str, replicas: int) -> bool:
    return bool(kube.apps_v1.deployments(namespace).get(name).spec.replicas == replicas)


def synced_by_others(log: SyncLog, key: str, identity: str) -> set[str]:
    return log.who_synced(key) - {identity}


def settled(replicas: list[Running]) -> bool:
    """Every shard runs on exactly one replica, none holds more than its share."""
    held = [r.replica.running_shards() for r in replicas]
    cap = math.ceil(SHARDS / len(replicas))
    every = [s for shards in held for s in shards]
    return sorted(every) == list(range(SHARDS)) and all(len(h) <= cap for h in held)


def test_four_shards_over_two_then_three_replicas(
    start_replica: Callable[..., Running], kube: Any, sample: Any, server: Any
) -> None:
    from kubeclient.models.core_v1 import Namespace
    from kubeclient.models.meta_v1 import ObjectMeta
    from kubeclient.sharding import Shard

    from examples.sample_controller.controller import meta

    # FNV-1a spreads similar names unevenly: pick names until every shard has some
    shards = Shard.split(SHARDS, field="namespace")
    shard_of: dict[str, int] = {}
    per_shard = NAMESPACES // SHARDS
    for i in range(10_000):
        name = f"shard-test-{i}"
        (index,) = (
            s.index for s in shards if s.contains({"metadata": {"namespace": name}})
        )
        if list(shard_of.values()).count(index) < per_shard:
            shard_of[name] = index
        if len(shard_of) == NAMESPACES:
            break
    namespaces = sorted(shard_of)
    for name in namespaces:
        kube.core_v1.namespaces().create(Namespace(metadata=ObjectMeta(name=name)))

    log = SyncLog()
    options = dict(
        shards=SHARDS,
        shard_leases=True,
        lease_namespace="kube-system",
        release_on_exit=False,  # a stopped replica is a dead one
        resync_period=0,
        **FAST_LEASES,
    )
    replicas = [start_replica(name, log, **options) for name in ("r1", "r2")]
    wait_until(lambda: settled(replicas), what="2 shards each")
    assert [len(r.replica.running_shards()) for r in replicas] == [2, 2]

    foos = sample.samplecontroller_v1alpha1.foos
    keys = [f"{ns}/foo-{j}" for ns in namespaces for j in range(2)]
    for key in keys:
        ns, name = key.split("/")
        foos(ns).create(foo(name, replicas=1))
    for key in keys:
        ns, name = key.split("/")
        wait_until(partial(kube.apps_v1.deployments(ns).get, name))

    # each Foo synced only by the replica holding its namespace's shard
    for key in keys:
        (who,) = wait_until(partial(log.who_synced, key))
        running = next(r for r in replicas if r.replica.identity == who)
        assert shard_of[key.split("/")[0]] in running.replica.running_shards()
    # informers of exactly the held shards: no replica cached another's Foos
    for running in replicas:
        for shard in running.replica.running_shards():
            controller = running.replica._running[shard].controller
            cached = {
                f"{meta(f).namespace}/{meta(f).name}"
                for f in controller.foos.lister.list()
            }
            assert cached == {k for k in keys if shard_of[k.split("/")[0]] == shard}

    # a third replica: ceil(4/3) = 2, nobody needs to give anything up
    replicas.append(start_replica("r3", log, **options))
    time.sleep(4 * FAST_LEASES["retry_period"])
    assert settled(replicas)
    victim = max(replicas[:2], key=lambda r: len(r.replica.running_shards()))
    lost = victim.replica.running_shards()
    assert lost

    victim.stop()  # dies holding its Leases
    died = time.monotonic()
    survivors = [r for r in replicas if r is not victim]
    wait_until(lambda: settled(survivors), timeout=10, what="the shards to move")
    took = time.monotonic() - died
    assert took <= TAKEOVER_LIMIT, f"shards moved after {took:.2f}s"
    owner = holders(kube, "kube-system")
    assert victim.replica.identity not in owner.values()
    assert set(owner.values()) <= {r.replica.identity for r in survivors}

    # none left out: every Foo, the dead replica's included, still converges
    for key in keys:
        ns, name = key.split("/")
        foos(ns).patch(name, {"spec": {"replicas": 3}})
    for key in keys:
        ns, name = key.split("/")
        wait_until(partial(scaled, kube, ns, name, 3), what=f"{key} scaled")
    moved = [k for k in keys if shard_of[k.split("/")[0]] in lost]
    assert moved
    for key in moved:
        assert victim.replica.identity in log.who_synced(key)
        wait_until(partial(synced_by_others, log, key, victim.replica.identity))
    log.assert_one_at_a_time()

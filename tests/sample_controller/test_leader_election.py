"""Two sample-controller replicas with leader election (one Lease): only the leader
works; when it dies (stops renewing, Lease not given back) the other takes over
within lease duration + retry period."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

from .conftest import FAST_LEASES, TAKEOVER_LIMIT, Running, SyncLog, foo, wait_until


def leader(replicas: list[Running]) -> Any:
    leading = [
        r for r in replicas if r.replica.elector and r.replica.elector.is_leader()
    ]
    assert len(leading) <= 1, "two leaders"
    return leading[0] if leading else None


def test_only_the_leader_works_and_the_other_takes_over(
    start_replica: Callable[..., Running],
    kube: Any,
    sample: Any,
    namespace: str,
) -> None:
    log = SyncLog()
    options = dict(
        leader_elect=True,
        lease_namespace=namespace,
        release_on_exit=False,  # stopping one is a death: the Lease is not given back
        **FAST_LEASES,
    )
    replicas = [start_replica(name, log, **options) for name in ("alpha", "beta")]
    first = wait_until(lambda: leader(replicas), what="a leader")
    other = next(r for r in replicas if r is not first)
    foos = sample.samplecontroller_v1alpha1.foos(namespace)
    for i in range(5):
        foos.create(foo(f"before-{i}"))
    for i in range(5):
        wait_until(partial(kube.apps_v1.deployments(namespace).get, f"before-{i}"))
    lease = kube.coordination_v1.leases(namespace).get("sample-controller")
    assert lease.spec.holder_identity == first.replica.identity
    assert {s.identity for s in log.snapshot()} == {first.replica.identity}
    assert not other.replica.is_working() and leader(replicas) is first

    first.stop()  # dies: no more renewals
    died = time.monotonic()
    wait_until(lambda: leader(replicas) is other, timeout=10, what="the takeover")
    took = time.monotonic() - died
    assert took <= TAKEOVER_LIMIT, f"took over after {took:.2f}s"
    foos.create(foo("after"))
    wait_until(lambda: kube.apps_v1.deployments(namespace).get("after"))
    synced = wait_until(lambda: log.who_synced(f"{namespace}/after"))
    assert synced == {other.replica.identity}
    holder = kube.coordination_v1.leases(namespace).get("sample-controller")
    assert holder.spec.holder_identity == other.replica.identity
    log.assert_one_at_a_time()

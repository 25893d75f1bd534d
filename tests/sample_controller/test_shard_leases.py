"""The shard Lease manager on its own (examples/sample_controller/shards.py), against
the test API server: fair shares as replicas come, a partitioned replica stops its
shards before another may take them, a clean exit hands them over at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from .conftest import FAST_LEASES, TAKEOVER_LIMIT, wait_until

SHARDS = 4


class Partitionable:
    """A transport that can be cut off from the server."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cut = False

    def send(self, request: Any) -> Any:
        from kubeclient.errors import CannotConnect

        if self.cut:
            raise CannotConnect("partitioned (test)")
        return self.inner.send(request)

    def close(self) -> None:
        self.inner.close()


@dataclass
class Holdings:
    """Who held which shard when, from the managers' callbacks."""

    events: list[tuple[float, str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, who: str, what: str, shard: int) -> None:
        with self.lock:
            self.events.append((time.monotonic(), who, what, shard))

    def assert_never_two_holders(self) -> None:
        holder: dict[int, str] = {}
        with self.lock:
            events = sorted(self.events)
        for _, who, what, shard in events:
            if what == "acquired":
                assert (
                    shard not in holder
                ), f"shard {shard}: {who} while {holder[shard]}"
                holder[shard] = who
            else:
                assert holder.pop(shard) == who

    def when(self, who: str, what: str, shard: int) -> float:
        with self.lock:
            return next(
                t for t, w, x, s in self.events if (w, x, s) == (who, what, shard)
            )


@dataclass
class Member:
    manager: Any
    transport: Partitionable
    ctx: Any
    thread: threading.Thread


@pytest.fixture
def members(server: Any, namespace: str) -> Iterator[Any]:
    from kubeclient import ClientSet, Context
    from kubeclient.transport.http import HTTPTransport

    from examples.sample_controller.shards import ShardLeaseConfig, ShardLeaseManager

    holdings = Holdings()
    started: list[Member] = []
    config = ShardLeaseConfig(shards=SHARDS, namespace=namespace, **FAST_LEASES)

    def start(identity: str, release: bool = True) -> Member:
        transport = Partitionable(HTTPTransport(server.config()))
        manager = ShardLeaseManager(
            ClientSet(server.config(), transport=transport),
            identity,
            config,
            on_acquired=lambda i: holdings.note(identity, "acquired", i),
            on_lost=lambda i: holdings.note(identity, "lost", i),
            release_on_cancel=release,
        )
        ctx = Context()
        thread = threading.Thread(target=manager.run, args=(ctx,), daemon=True)
        thread.start()
        member = Member(manager, transport, ctx, thread)
        started.append(member)
        return member

    start.holdings = holdings  # type: ignore[attr-defined]
    yield start
    for member in started:
        member.ctx.cancel()
    for member in started:
        member.thread.join(10)
    holdings.assert_never_two_holders()


def shares(*members: Member) -> list[int]:
    return [len(m.manager.held()) for m in members]


def test_a_second_replica_gets_half(members: Any) -> None:
    first = members("one")
    wait_until(lambda: shares(first) == [4], what="all four to the first")
    second = members("two")
    wait_until(lambda: shares(first, second) == [2, 2], what="two each")
    assert first.manager.held().isdisjoint(second.manager.held())
    third = members("three")
    time.sleep(5 * FAST_LEASES["retry_period"])
    assert sorted(shares(first, second, third)) == [0, 2, 2]  # ceil(4/3) = 2


def test_a_partitioned_replica_stops_before_another_takes_over(members: Any) -> None:
    first, second = members("one"), members("two")
    wait_until(lambda: shares(first, second) == [2, 2], what="two each")
    cut = first.manager.held()
    first.transport.cut = True
    cut_at = time.monotonic()
    wait_until(lambda: shares(second) == [4], timeout=10, what="the other to take all")
    holdings = members.holdings
    for shard in cut:
        lost = holdings.when("one", "lost", shard)
        taken = holdings.when("two", "acquired", shard)
        # renew deadline from the last renewal, up to a round before the cut
        limit = FAST_LEASES["renew_deadline"] + FAST_LEASES["retry_period"] + 1.0
        assert lost - cut_at <= limit
        assert lost < taken  # stopped before it could be taken
        assert taken - cut_at <= TAKEOVER_LIMIT
    assert shares(first) == [0]
    first.transport.cut = False  # back: it rejoins and gets its share again
    wait_until(lambda: shares(first, second) == [2, 2], timeout=10, what="rebalanced")


def test_a_clean_exit_hands_the_shards_over_at_once(members: Any) -> None:
    first, second = members("one"), members("two")
    wait_until(lambda: shares(first, second) == [2, 2], what="two each")
    first.ctx.cancel()
    first.thread.join(10)
    left = time.monotonic()
    wait_until(lambda: shares(second) == [4], timeout=10, what="all to the other")
    # given back, not expired: well within a lease duration
    assert time.monotonic() - left < FAST_LEASES["lease_duration"]


def test_a_replica_with_another_shard_count_is_reported(
    members: Any, server: Any, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    from kubeclient import ClientSet, Context

    from examples.sample_controller.shards import ShardLeaseConfig, ShardLeaseManager

    first = members("one")
    wait_until(lambda: shares(first) == [4], what="all four")
    with ClientSet(server.config()) as kube:
        lease: Any = kube.coordination_v1.leases(namespace).get(
            "sample-controller-shard-0"
        )
        assert lease.metadata.annotations_ == {"samplecontroller.k8s.io/shards": "4"}
    other = ShardLeaseManager(
        ClientSet(server.config()),
        "eight",
        ShardLeaseConfig(shards=8, namespace=namespace, **FAST_LEASES),
        on_acquired=lambda i: None,
        on_lost=lambda i: None,
    )
    with caplog.at_level("ERROR", logger="examples.sample_controller.shards"):
        other.round(Context(timeout=5))
    assert "made by a replica with 4 shards, this one has 8" in caplog.text


def test_a_restarted_replica_takes_its_own_leases_back_at_once(members: Any) -> None:
    """Same identity (a pod's name) after a crash: its Leases are its own."""
    first = members("pod-0", release=False)
    wait_until(lambda: shares(first) == [4], what="all four")
    first.ctx.cancel()  # dies holding them
    first.thread.join(10)
    again = members("pod-0")
    started = time.monotonic()
    wait_until(lambda: shares(again) == [4], timeout=10, what="all four back")
    assert time.monotonic() - started < FAST_LEASES["lease_duration"]

"""Leader election in real time, with short durations, against the test API
server over HTTP and against the fake clientset: three candidates and exactly
one leader, takeover after the leader dies, a partitioned leader stepping down
before anyone takes over, release on cancel, and racing writes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from .conftest import Candidate, first_write_waits_at

L, D, R = 2.0, 1.0, 0.2  # lease, renew deadline, retry period (seconds)
J = 1.2  # client-go's JitterFactor
# a follower notices the last renewal up to one jittered retry late, then tries
# again up to one jittered retry after the lease expired; plus time for requests
TAKEOVER_BOUND = L + 2 * (1 + J) * R + 0.5


@dataclass
class Backend:
    make_transport: Callable[[], Any]
    store: Any
    made: list[Candidate] = field(default_factory=list)

    def candidate(self, kc: Any, identity: str, **options: Any) -> Candidate:
        options = {"lease": L, "renew": D, "retry": R, **options}
        self.made.append(Candidate(kc, self.make_transport(), identity, **options))
        return self.made[-1]

    def lease_spec(self) -> dict[str, Any]:
        lease = self.store.get(("coordination.k8s.io", "leases"), "kube-system", "ctl")
        return dict(lease["spec"]) if lease else {}


@pytest.fixture(params=["http", "fake"])
def backend(
    request: pytest.FixtureRequest, kc: Any, candidates: list[Candidate]
) -> Iterator[Backend]:
    if request.param == "http":
        from kubeclient.testing import ApiServer
        from kubeclient.transport.http import HTTPTransport

        with ApiServer() as server:
            yield Backend(
                lambda: HTTPTransport(server.config()), server.store, candidates
            )
            for candidate in candidates:  # stop them before the server goes
                candidate.ctx.cancel()
                candidate.thread.join(10)
    else:
        from kubeclient.testing import fake_clientset
        from kubeclient.testing.fake import FakeTransport

        core = fake_clientset().core
        yield Backend(lambda: FakeTransport(core), core.store, candidates)


class Sampler:
    """Counts, every millisecond or so, how many candidates believe they lead."""

    def __init__(self, group: list[Candidate]) -> None:
        self.group = group
        self.samples: list[tuple[float, tuple[str, ...]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler")

    def _run(self) -> None:
        while not self._stop.wait(0.001):
            leaders = tuple(c.identity for c in self.group if c.elector.is_leader())
            self.samples.append((time.monotonic(), leaders))

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def most_at_once(self) -> int:
        return max(len(leaders) for _, leaders in self.samples)

    def between(self, start: float, end: float) -> set[tuple[str, ...]]:
        return {leaders for at, leaders in self.samples if start <= at <= end}


def leader_of(group: list[Candidate], timeout: float = 10.0) -> Candidate:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        leading = [c for c in group if c.elector.is_leader()]
        if leading:
            assert len(leading) == 1, [c.identity for c in leading]
            return leading[0]
        time.sleep(0.005)
    raise AssertionError("nobody leads")


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def micro(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")


def test_three_candidates_one_leader_and_a_takeover_after_it_dies(
    kc: Any, backend: Backend
) -> None:
    group = [backend.candidate(kc, name) for name in ("a", "b", "c")]
    with Sampler(group) as sampler:
        for c in group:
            c.start()
        first = leader_of(group)
        settled = time.monotonic()
        time.sleep(4 * R)  # renewals go on: the same leader, and only it
        steady = sampler.between(settled, time.monotonic())
        assert steady == {(first.identity,)}
        assert backend.lease_spec()["holderIdentity"] == first.identity
        assert first.started and first.stopped == []

        last_renewal = micro(backend.lease_spec()["renewTime"])
        killed = time.monotonic()
        first.kill()  # stops renewing, releases nothing
        rest = [c for c in group if c is not first]
        second = leader_of(rest, timeout=3 * TAKEOVER_BOUND)
        took = time.monotonic() - killed
    assert took <= TAKEOVER_BOUND, f"takeover after {took:.3f}s"
    spec = backend.lease_spec()
    assert spec["holderIdentity"] == second.identity
    assert spec["leaseTransitions"] == 1
    # the follower waited a whole lease from the last renewal it could see
    waited = (micro(spec["acquireTime"]) - last_renewal).total_seconds()
    assert waited >= L, waited
    assert sampler.most_at_once() == 1
    assert first.stopped and not first.elector.is_leader()
    third = next(c for c in rest if c is not second)
    assert third.wait(lambda c: c.new_leaders == [first.identity, second.identity])
    assert third.started == []


def test_a_partitioned_leader_steps_down_before_another_acquires(
    kc: Any, backend: Backend
) -> None:
    group = [backend.candidate(kc, name) for name in ("a", "b", "c")]
    with Sampler(group) as sampler:
        for c in group:
            c.start()
        leader = leader_of(group)
        time.sleep(2 * R)
        cut = time.monotonic()
        leader.link.cut = True  # its requests fail; the others' do not
        assert leader.wait(lambda c: bool(c.stopped), timeout=D + 2)
        rest = [c for c in group if c is not leader]
        successor = leader_of(rest, timeout=3 * TAKEOVER_BOUND)
        assert successor.wait(lambda c: bool(c.started))
    stepped_down = leader.stopped[0]
    assert stepped_down - cut <= D + 0.5, stepped_down - cut
    assert leader.leader_ctx_done and leader.leader_ctx_done[0] <= stepped_down
    assert stepped_down < successor.started[0]
    assert sampler.most_at_once() == 1
    assert leader.link.failed > 0
    assert backend.lease_spec()["holderIdentity"] == successor.identity


def test_release_on_cancel_hands_over_immediately(kc: Any, backend: Backend) -> None:
    group = [backend.candidate(kc, name, release_on_cancel=True) for name in ("a", "b")]
    for c in group:
        c.start()
    leader = leader_of(group)
    time.sleep(2 * R)
    cancelled = time.monotonic()
    leader.kill()
    assert leader.stopped and leader.events[-2:] == ["ctx done", "stopped"]
    other = next(c for c in group if c is not leader)
    successor = leader_of([other], timeout=L)
    took = time.monotonic() - cancelled
    assert successor is other
    assert took < L / 2, f"handover after {took:.3f}s (a lease is {L}s)"
    spec = backend.lease_spec()
    assert spec["holderIdentity"] == other.identity and spec["leaseTransitions"] == 1


def test_candidates_racing_to_write_never_both_lead(kc: Any, backend: Backend) -> None:
    """Three candidates write the new Lease at the same instant (held at a
    barrier): one create wins, the others get 409; then the leader releases and
    the two others update the released Lease at the same instant: one wins."""
    group = [
        backend.candidate(kc, name, release_on_cancel=True) for name in ("a", "b", "c")
    ]
    together = threading.Barrier(3, timeout=10)
    for c in group:
        c.link.before_write = first_write_waits_at(together)
    with Sampler(group) as sampler:
        for c in group:
            c.start()
        first = leader_of(group)
        # the losers' answers (409) may still be on their way
        assert eventually(lambda: sum(c.link.conflicts for c in group) == 2)
        time.sleep(2 * R)

        rest = [c for c in group if c is not first]
        pair = threading.Barrier(2, timeout=10)
        for c in rest:
            c.link.before_write = first_write_waits_at(pair)
            c.link.conflicts = 0
        first.kill()  # releases
        second = leader_of(rest, timeout=L)
        time.sleep(4 * R)
        loser = next(c for c in rest if c is not second)
        assert not loser.elector.is_leader() and loser.started == []
        assert loser.link.conflicts == 1 and second.link.conflicts == 0
    assert sampler.most_at_once() == 1
    assert backend.lease_spec()["holderIdentity"] == second.identity


def test_a_renewal_stuck_in_the_network_loses_the_race(
    kc: Any, backend: Backend
) -> None:
    """The leader's renewal is held up (not failed) longer than the lease: it
    stops believing it leads at its renew deadline, a follower takes over, and
    the late renewal, carrying the old resourceVersion, is refused with 409."""
    group = [backend.candidate(kc, name) for name in ("a", "b")]
    with Sampler(group) as sampler:
        for c in group:
            c.start()
        leader = leader_of(group)
        let_go = threading.Event()
        leader.link.hold = let_go
        held = time.monotonic()
        other = next(c for c in group if c is not leader)
        assert other.wait(lambda c: bool(c.started), timeout=3 * TAKEOVER_BOUND)
        assert held + D - R <= time.monotonic()
        assert not leader.elector.is_leader()  # its renewal has not returned
        let_go.set()
        assert leader.wait(lambda c: bool(c.stopped), timeout=5)
    assert leader.link.conflicts >= 1  # the late write was refused
    assert sampler.most_at_once() == 1
    assert backend.lease_spec()["holderIdentity"] == other.identity

"""The elector's timing on a fake clock, over the fake clientset's in-process
server: the Lease it writes, expiry judged on the candidate's own clock, the
renew deadline, jitter bounds, takeover timing, release, and 409 races."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timezone
from typing import Any

import pytest

from .conftest import Candidate, first_write_waits_at, lease_of

L, D, R = 15.0, 10.0, 2.0  # client-go's defaults


@pytest.fixture
def core(kc: Any) -> Any:
    from kubeclient.testing import fake_clientset

    return fake_clientset().core


@pytest.fixture
def clock(kc: Any) -> Any:
    from kubeclient.leaderelection import FakeClock

    return FakeClock()


def format_micro_time(moment: Any) -> str:
    from kubeclient.leaderelection import format_micro_time as format_time

    return str(format_time(moment))


def candidate(
    kc: Any,
    core: Any,
    made: list[Candidate],
    identity: str,
    clock: Any,
    jitter: Any = lambda: 0.0,
    **options: Any,
) -> Candidate:
    from kubeclient.testing.fake import FakeTransport

    options = {"lease": L, "renew": D, "retry": R, **options}
    made.append(
        Candidate(
            kc, FakeTransport(core), identity, clock=clock, jitter=jitter, **options
        )
    )
    return made[-1]


def settle(*clocks: Any, sleepers: int | list[int] = 1) -> None:
    """Wait until the candidates sleep on their clocks (they are idle)."""
    counts = sleepers if isinstance(sleepers, list) else [sleepers] * len(clocks)
    for c, count in zip(clocks, counts, strict=True):
        assert c.wait_for_sleepers(count), f"{c}: not {count} sleepers"


def advance(clock: Any, until: float, sleepers: int) -> None:
    """Step from sleeper wake-up to wake-up up to ``until``, letting the woken
    candidates run (and fall asleep again) in between."""
    while True:
        settle(clock, sleepers=sleepers)
        wake = clock.next_wake()
        if wake is None or wake > until:
            clock.step(until - clock.now())
            settle(clock, sleepers=sleepers)
            return
        clock.step(wake - clock.now())


def test_acquire_writes_the_record_then_renews(
    kc: Any, core: Any, clock: Any, candidates: list[Candidate]
) -> None:
    a = candidate(kc, core, candidates, "a", clock).start()
    settle(clock)
    t0 = clock.now()
    assert a.elector.is_leader() and a.elector.get_leader() == "a"
    assert a.wait(lambda c: c.started == [t0] and c.new_leaders == ["a"])
    lease = lease_of(kc, core)
    stamp = format_micro_time(clock.wall())
    assert stamp.endswith(".000000Z") and len(stamp) == len(
        "2026-01-01T00:16:40.000000Z"
    )
    assert lease["spec"] == {
        "holderIdentity": "a",
        "leaseDurationSeconds": 15,
        "acquireTime": stamp,
        "renewTime": stamp,
        "leaseTransitions": 0,
    }
    version = lease["metadata"]["resourceVersion"]

    advance(clock, t0 + R, sleepers=1)  # one renewal, on the fast path (no GET)
    renewed = lease_of(kc, core)
    assert renewed["metadata"]["resourceVersion"] != version
    assert renewed["spec"]["acquireTime"] == stamp
    assert renewed["spec"]["renewTime"] == format_micro_time(clock.wall())
    assert renewed["spec"]["leaseTransitions"] == 0
    assert a.link.writes == ["POST", "PUT"]
    assert a.started == [t0] and a.stopped == []


def test_expiry_is_judged_on_the_candidates_own_clock(
    kc: Any, core: Any, candidates: list[Candidate]
) -> None:
    """a's clock says 2001, so the renewTime it writes is 25 years old: b still
    waits a full lease duration from when *it* saw the record change."""
    from kubeclient.leaderelection import FakeClock

    old = FakeClock(wall_start=datetime(2001, 1, 1, tzinfo=timezone.utc))
    new = FakeClock(start=50.0)
    a = candidate(kc, core, candidates, "a", old).start()
    settle(old)
    b = candidate(kc, core, candidates, "b", new).start()
    settle(new)
    seen = new.now()
    assert not b.elector.is_leader() and b.elector.get_leader() == "a"
    assert lease_of(kc, core)["spec"]["renewTime"].startswith("2001-")
    a.kill()  # stops renewing; no release
    advance(new, seen + L - 0.001, sleepers=1)
    assert not b.elector.is_leader() and b.started == []
    # b tries every 2 s: at seen + 14 the lease is still valid, at seen + 16 not
    advance(new, seen + L + 1, sleepers=1)
    assert b.elector.is_leader()
    assert b.wait(lambda c: c.started == [seen + L + 1] and c.new_leaders == ["a", "b"])
    assert b.started[0] - seen <= L + R  # the kill was at ``seen``
    spec = lease_of(kc, core)["spec"]
    assert spec["holderIdentity"] == "b" and spec["leaseTransitions"] == 1


def test_a_renewed_record_restarts_the_followers_wait(
    kc: Any, core: Any, clock: Any, candidates: list[Candidate]
) -> None:
    a = candidate(kc, core, candidates, "a", clock).start()
    settle(clock)
    t0 = clock.now()
    advance(clock, t0 + 1, sleepers=1)
    b = candidate(kc, core, candidates, "b", clock).start()  # tries at odd times
    advance(clock, t0 + 45.5, sleepers=2)
    assert a.elector.is_leader() and not b.elector.is_leader()
    assert b.started == [] and a.stopped == []
    kill = clock.now()
    a.kill()  # a renewed last at t0 + 44 (every 2 s), b saw it at t0 + 45
    advance(clock, t0 + 45 + L - 1, sleepers=1)
    assert not b.elector.is_leader()
    advance(clock, t0 + 45 + L + 1, sleepers=1)  # tries at +59 (valid), +61
    assert b.started == [t0 + 45 + L + 1]
    assert b.started[0] - kill <= L + R


def test_renew_deadline_steps_down_before_anyone_can_take_over(
    kc: Any, core: Any, clock: Any, candidates: list[Candidate]
) -> None:
    a = candidate(kc, core, candidates, "a", clock).start()
    settle(clock)
    t0 = clock.now()
    b = candidate(kc, core, candidates, "b", clock).start()
    settle(clock, sleepers=2)
    a.link.cut = True  # a's renewals fail from now on
    advance(clock, t0 + D - 0.001, sleepers=2)
    assert a.elector.is_leader() and a.stopped == []
    advance(clock, t0 + D, sleepers=1)  # a's run has ended: one sleeper left
    assert a.wait(lambda c: c.stopped == [t0 + D])
    assert a.leader_ctx_done == [t0 + D]
    assert a.events[-2:] == ["ctx done", "stopped"]
    assert not a.elector.is_leader() and a.link.failed >= 4
    a.thread.join(10)
    assert not a.thread.is_alive()
    advance(clock, t0 + L + 1, sleepers=1)
    assert b.started == [t0 + L + 1]  # b saw the record change last at t0
    assert b.started[0] - a.stopped[0] == L - D + 1


def test_a_leader_whose_renewal_hangs_stops_claiming_at_its_deadline(
    kc: Any, core: Any, clock: Any, candidates: list[Candidate]
) -> None:
    a = candidate(kc, core, candidates, "a", clock).start()
    settle(clock)
    t0 = clock.now()
    let_go = threading.Event()
    a.link.hold = let_go  # the renewal at t0 + R hangs in the network
    clock.step(R)
    assert wait_for(lambda: a.link.writes.count("PUT") == 1)
    clock.step(D - R - 0.001)
    assert a.elector.is_leader()
    clock.step(0.001)  # t0 + D: its thread is still stuck, yet it claims no more
    assert not a.elector.is_leader() and a.stopped == []
    let_go.set()
    assert a.wait(lambda c: c.stopped == [t0 + D])


@pytest.mark.parametrize("draws", [[0.0, 0.5, 0.999999], [0.25, 0.75, 0.1]])
def test_retries_are_jittered_by_up_to_1_2_times_the_period(
    kc: Any, core: Any, clock: Any, candidates: list[Candidate], draws: list[float]
) -> None:
    candidate(kc, core, candidates, "a", clock).start()
    settle(clock)
    sequence = iter(draws * 3)
    b = candidate(kc, core, candidates, "b", clock, jitter=lambda: next(sequence))
    tries: list[float] = []

    def note(request: Any) -> None:
        if request.method == "GET":
            tries.append(clock.now())

    b.link.observer = note
    b.start()
    advance(clock, clock.now() + 3 * 4.4, sleepers=2)
    gaps = [round(later - earlier, 6) for earlier, later in itertools.pairwise(tries)]
    assert gaps[:3] == [round(R * (1 + d * 1.2), 6) for d in draws]
    assert all(R <= gap < R * 2.2 for gap in gaps)


def test_random_jitter_stays_within_bounds(kc: Any, clock: Any) -> None:
    import random

    from kubeclient.leaderelection import (
        LeaderCallbacks,
        LeaderElectionConfig,
        LeaderElector,
    )

    class Lock:
        identity = "a"

        def describe(self) -> str:
            return "ns/x"

    config = LeaderElectionConfig(
        lock=Lock(),  # type: ignore[arg-type]
        callbacks=LeaderCallbacks(lambda ctx: None, lambda: None),
    )
    elector = LeaderElector(config, jitter=random.Random(7).random)
    waits = [elector._jittered(R) for _ in range(2000)]
    assert all(R <= w < R * (1 + 1.2) for w in waits)
    assert min(waits) < R * 1.05 and max(waits) > R * 2.1


def test_release_on_cancel_hands_over_at_once(
    kc: Any, core: Any, clock: Any, candidates: list[Candidate]
) -> None:
    a = candidate(kc, core, candidates, "a", clock, release_on_cancel=True).start()
    settle(clock)
    b = candidate(kc, core, candidates, "b", clock).start()
    advance(clock, clock.now() + 5, sleepers=2)
    released_at = clock.now()
    a.kill()
    assert a.stopped == [released_at] and a.events[-2:] == ["ctx done", "stopped"]
    spec = lease_of(kc, core)["spec"]
    assert spec["holderIdentity"] == "" and spec["leaseDurationSeconds"] == 1
    advance(clock, released_at + R, sleepers=1)
    assert b.elector.is_leader()
    assert b.started[0] - released_at <= R  # b's next try, not a lease later
    spec = lease_of(kc, core)["spec"]
    assert spec["holderIdentity"] == "b" and spec["leaseTransitions"] == 1
    assert b.wait(lambda c: c.new_leaders == ["a", "b"])  # nobody ("") unreported


def test_a_leader_that_lost_stands_again_as_a_follower(
    kc: Any, core: Any, clock: Any, candidates: list[Candidate]
) -> None:
    a = candidate(kc, core, candidates, "a", clock).start()
    settle(clock)
    t0 = clock.now()
    b = candidate(kc, core, candidates, "b", clock).start()
    settle(clock, sleepers=2)
    a.link.cut = True
    advance(clock, t0 + D - 0.001, sleepers=2)
    advance(clock, t0 + D, sleepers=1)
    a.thread.join(10)
    advance(clock, t0 + L + 1, sleepers=1)
    assert a.stopped == [t0 + D] and b.started == [t0 + L + 1]
    a.link.cut = False
    again = kc.Context()
    rerun = threading.Thread(target=a.elector.run, args=(again,), name="a again")
    rerun.start()
    try:
        advance(clock, clock.now() + 3 * L, sleepers=2)
        assert not a.elector.is_leader() and a.elector.get_leader() == "b"
        assert b.elector.is_leader() and a.started == [t0]
        assert a.wait(lambda c: c.new_leaders == ["a", "b"])
    finally:
        again.cancel()
        rerun.join(10)
    assert not rerun.is_alive() and a.stopped == [t0 + D]


def test_release_after_a_renewal_whose_answer_was_lost(
    kc: Any, core: Any, clock: Any, candidates: list[Candidate]
) -> None:
    """The last renewal was written but its answer lost, so the lock's copy of the
    Lease is behind: the release's 409 makes it re-read, and the Lease, still
    this candidate's, is released all the same."""
    a = candidate(kc, core, candidates, "a", clock, release_on_cancel=True).start()
    settle(clock)
    a.link.lose_next_write = True
    a.link.fail_gets = True  # and the slow path's read fails too
    advance(clock, clock.now() + R, sleepers=1)
    assert lease_of(kc, core)["spec"]["renewTime"] == format_micro_time(clock.wall())
    a.link.fail_gets = False
    a.kill()
    assert a.link.conflicts == 1
    assert lease_of(kc, core)["spec"]["holderIdentity"] == ""


def test_without_release_the_lease_stays_held(
    kc: Any, core: Any, clock: Any, candidates: list[Candidate]
) -> None:
    a = candidate(kc, core, candidates, "a", clock).start()
    settle(clock)
    a.kill()
    assert a.stopped == [clock.now()]
    assert lease_of(kc, core)["spec"]["holderIdentity"] == "a"


def test_two_candidates_racing_to_create_one_wins(
    kc: Any, core: Any, clock: Any, candidates: list[Candidate]
) -> None:
    both = threading.Barrier(2, timeout=10)
    a = candidate(kc, core, candidates, "a", clock)
    b = candidate(kc, core, candidates, "b", clock)
    for c in (a, b):  # both have read 404 and write at the same instant
        c.link.before_write = first_write_waits_at(both)
    a.start()
    b.start()
    settle(clock, sleepers=2)
    for c in (a, b):
        c.link.before_write = None
    assert [a.elector.is_leader(), b.elector.is_leader()].count(True) == 1
    holder = lease_of(kc, core)["spec"]["holderIdentity"]
    winner, loser = (a, b) if holder == "a" else (b, a)
    assert winner.elector.is_leader() and not loser.elector.is_leader()
    assert loser.link.writes == ["POST"] and loser.started == []
    advance(clock, clock.now() + 3 * L, sleepers=2)  # and it stays that way
    assert winner.elector.is_leader() and not loser.elector.is_leader()


def test_two_candidates_racing_for_a_released_lease_one_wins(
    kc: Any, core: Any, clock: Any, candidates: list[Candidate]
) -> None:
    first = candidate(kc, core, candidates, "first", clock, release_on_cancel=True)
    first.start()
    settle(clock)
    first.kill()
    both = threading.Barrier(2, timeout=10)
    a = candidate(kc, core, candidates, "a", clock)
    b = candidate(kc, core, candidates, "b", clock)
    for c in (a, b):
        c.link.before_write = first_write_waits_at(both)
    a.start()
    b.start()
    settle(clock, sleepers=2)
    for c in (a, b):
        c.link.before_write = None
    assert [a.elector.is_leader(), b.elector.is_leader()].count(True) == 1
    spec = lease_of(kc, core)["spec"]
    assert spec["holderIdentity"] in ("a", "b") and spec["leaseTransitions"] == 1


def test_a_conflicting_renewal_makes_the_leader_step_down_at_once(
    kc: Any, core: Any, clock: Any, candidates: list[Candidate]
) -> None:
    """b's clock runs fast (it thinks a's lease expired): b's takeover and a's
    renewal race; b's write lands first, a's gets 409 and a steps down on the
    spot, not a renew deadline later."""
    from kubeclient.leaderelection import FakeClock

    a = candidate(kc, core, candidates, "a", clock).start()
    settle(clock)
    fast = FakeClock()
    b = candidate(kc, core, candidates, "b", fast).start()
    settle(fast)
    a_may_write = threading.Event()
    a.link.hold = a_may_write  # a's next renewal waits at the door
    clock.step(R)  # a wakes and tries to renew (held)
    assert wait_for(lambda: a.link.writes.count("PUT") == 1)
    fast.step(L + R)  # b thinks the lease expired, takes it
    settle(fast)
    assert b.elector.is_leader()
    a_may_write.set()  # a's renewal, with the old resourceVersion: 409
    assert a.wait(lambda c: c.stopped == [clock.now()])
    assert not a.elector.is_leader() and a.elector.get_leader() == "b"
    assert lease_of(kc, core)["spec"]["holderIdentity"] == "b"


def wait_for(check: Any, timeout: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.005)
    return bool(check())

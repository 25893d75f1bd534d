"""kubeclient.aio.leaderelection on a fake clock over the async fake clientset
(and once against the test API server over HTTP): one of two candidates leads,
a leader whose renewals fail steps down at its renew deadline before the other
takes over, and cancelling a leader releases the Lease."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

L, D, R = 15.0, 10.0, 2.0  # client-go's defaults


class Link:
    """An async transport wrapper: ``cut`` fails this candidate's Lease requests
    as a network partition would; counts writes and failures."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.config = getattr(inner, "config", None)
        self.cut = False
        self.writes: list[str] = []
        self.failed = 0
        self.hold: asyncio.Event | None = None  # writes wait until it is set

    async def send(self, request: Any) -> Any:
        from kubeclient.errors import CannotConnect

        if "/leases" in request.path:
            if self.cut:
                self.failed += 1
                raise CannotConnect("injected partition: no route to the server")
            if request.method in ("PUT", "POST"):
                self.writes.append(request.method)
                if self.hold is not None:
                    await self.hold.wait()
                await asyncio.sleep(0)  # let a racing candidate's write interleave
        return await self.inner.send(request)

    async def close(self) -> None:
        await self.inner.close()


class Candidate:
    """One async elector on its own link, noting (clock) times of its callbacks."""

    def __init__(
        self, transport: Any, identity: str, clock: Any, **options: Any
    ) -> None:
        from kubeclient.aio.leaderelection import (
            LeaderCallbacks,
            LeaderElectionConfig,
            LeaderElector,
            LeaseLock,
        )
        from kubeclient.aio.rest import AsyncRESTClient
        from kubeclient.pipeline import RetryPolicy

        self.identity = identity
        self.link = Link(transport)
        rest = AsyncRESTClient(transport=self.link)
        rest.pipeline.retry = RetryPolicy(max_retries=1, backoff_base=0.01)
        self.lock = LeaseLock(
            rest, namespace="kube-system", name="ctl", identity=identity
        )
        self.started: list[float] = []
        self.work_cancelled: list[float] = []
        self.stopped: list[float] = []
        self.new_leaders: list[str] = []
        self.clock = clock

        async def lead() -> None:  # a coroutine: cancelled when leadership ends
            self.started.append(clock.now())
            try:
                await asyncio.sleep(3600)
            finally:
                self.work_cancelled.append(clock.now())

        def stopped() -> None:  # a plain function
            self.stopped.append(clock.now())

        async def new_leader(who: str) -> None:
            self.new_leaders.append(who)

        self.elector = LeaderElector(
            LeaderElectionConfig(
                lock=self.lock,
                callbacks=LeaderCallbacks(
                    on_started_leading=lead,
                    on_stopped_leading=stopped,
                    on_new_leader=new_leader,
                ),
                **{
                    "lease_duration": L,
                    "renew_deadline": D,
                    "retry_period": R,
                    "name": "ctl",
                    **options,
                },
            ),
            clock=clock,
            jitter=lambda: 0.0,
        )
        self.task: asyncio.Task[None] | None = None

    def start(self) -> Candidate:
        self.task = asyncio.get_running_loop().create_task(self.elector.run())
        return self

    async def cancel(self) -> None:
        assert self.task is not None
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task


async def settle(clock: Any, sleepers: int) -> None:
    assert await clock.wait_for_sleepers(sleepers), f"{clock}: not {sleepers} asleep"


async def advance(clock: Any, until: float, sleepers: int) -> None:
    """Step from wake-up to wake-up up to ``until``, letting the woken
    candidates run (and fall asleep again) in between."""
    while True:
        await settle(clock, sleepers)
        wake = clock.next_wake()
        if wake is None or wake > until:
            clock.step(until - clock.now())
            await settle(clock, sleepers)
            return
        clock.step(wake - clock.now())


def lease_of(cs: Any) -> Any:
    return cs.core.store.get(("coordination.k8s.io", "leases"), "kube-system", "ctl")


def run(main: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(main(), 30))


@pytest.fixture
def fake(generated: Path) -> Any:
    from kubeclient.aio.testing import fake_clientset

    return fake_clientset()


def test_two_electors_one_leads_then_renews(fake: Any) -> None:
    from kubeclient.aio.leaderelection import FakeClock, format_micro_time

    async def main() -> None:
        clock = FakeClock()
        a = Candidate(fake.transport, "a", clock).start()
        await settle(clock, 1)
        t0 = clock.now()
        b = Candidate(fake.transport, "b", clock).start()
        await settle(clock, 2)
        assert a.elector.is_leader() and not b.elector.is_leader()
        assert a.started == [t0] and b.started == []
        assert a.new_leaders == ["a"] and b.new_leaders == ["a"]
        assert b.elector.get_leader() == "a"
        stamp = format_micro_time(clock.wall())
        assert lease_of(fake)["spec"] == {
            "holderIdentity": "a",
            "leaseDurationSeconds": 15,
            "acquireTime": stamp,
            "renewTime": stamp,
            "leaseTransitions": 0,
        }
        await advance(clock, t0 + 3 * L, sleepers=2)  # a renews; b never gets in
        assert a.elector.is_leader() and b.started == [] and a.stopped == []
        spec = lease_of(fake)["spec"]
        assert spec["holderIdentity"] == "a" and spec["acquireTime"] == stamp
        assert spec["renewTime"] == format_micro_time(clock.wall() - _seconds(1))
        assert a.link.writes[:2] == ["POST", "PUT"] and b.link.writes == []
        await a.cancel()  # no release: b waits out the lease
        await b.cancel()

    run(main)


def _seconds(n: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=n)


def test_of_two_candidates_racing_for_a_new_lease_one_wins(fake: Any) -> None:
    from kubeclient.aio.leaderelection import FakeClock

    async def main() -> None:
        clock = FakeClock()
        a = Candidate(fake.transport, "a", clock)
        b = Candidate(fake.transport, "b", clock)
        a.start(), b.start()  # both read "no Lease" and create it at once
        await settle(clock, 2)
        leaders = [c for c in (a, b) if c.elector.is_leader()]
        assert len(leaders) == 1
        winner = leaders[0].identity
        assert a.link.writes[:1] == b.link.writes[:1] == ["POST"]  # both tried
        assert lease_of(fake)["spec"]["holderIdentity"] == winner
        await advance(clock, clock.now() + 2 * L, sleepers=2)
        # the loser's create failed (409); its next try read the winner's Lease
        assert a.elector.get_leader() == b.elector.get_leader() == winner
        assert [c.identity for c in (a, b) if c.started] == [winner]
        await a.cancel()
        await b.cancel()

    run(main)


def test_a_leader_whose_renewals_fail_steps_down_before_the_takeover(
    fake: Any,
) -> None:
    from kubeclient.aio.leaderelection import FakeClock

    async def main() -> None:
        clock = FakeClock()
        a = Candidate(fake.transport, "a", clock).start()
        await settle(clock, 1)
        t0 = clock.now()
        b = Candidate(fake.transport, "b", clock).start()
        await settle(clock, 2)
        a.link.cut = True  # a's renewals fail from now on
        await advance(clock, t0 + D - 0.001, sleepers=2)
        assert a.elector.is_leader() and a.stopped == []
        await advance(clock, t0 + D, sleepers=1)  # a's run has ended
        assert a.task is not None and a.task.done() and a.task.result() is None
        assert a.stopped == [t0 + D] and a.work_cancelled == [t0 + D]
        assert not a.elector.is_leader() and a.link.failed >= 4
        await advance(clock, t0 + L + 1, sleepers=1)
        assert b.started == [t0 + L + 1]  # b saw the record change last at t0
        assert b.elector.is_leader() and b.new_leaders == ["a", "b"]
        spec = lease_of(fake)["spec"]
        assert spec["holderIdentity"] == "b" and spec["leaseTransitions"] == 1
        await b.cancel()

    run(main)


def test_a_leader_whose_renewal_hangs_stops_claiming_at_its_deadline(
    fake: Any,
) -> None:
    from kubeclient.aio.leaderelection import FakeClock

    async def main() -> None:
        clock = FakeClock()
        a = Candidate(fake.transport, "a", clock).start()
        await settle(clock, 1)
        t0 = clock.now()
        let_go = asyncio.Event()
        a.link.hold = let_go  # the renewal at t0 + R hangs in the network
        clock.step(R)
        await _until(lambda: a.link.writes.count("PUT") == 1)
        clock.step(D - R - 0.001)
        assert a.elector.is_leader()
        clock.step(0.001)  # t0 + D: its renewal is still stuck, yet it claims no more
        assert not a.elector.is_leader() and a.stopped == []
        let_go.set()  # the late answer: too late, it steps down
        await _until(lambda: a.stopped == [t0 + D])
        assert a.task is not None
        await a.task
        assert a.work_cancelled == [t0 + D]

    run(main)


def test_cancelling_the_leader_releases_the_lease(fake: Any) -> None:
    from kubeclient.aio.leaderelection import FakeClock

    async def main() -> None:
        clock = FakeClock()
        a = Candidate(fake.transport, "a", clock, release_on_cancel=True).start()
        await settle(clock, 1)
        b = Candidate(fake.transport, "b", clock, release_on_cancel=True).start()
        await settle(clock, 2)
        t0 = clock.now()
        await a.cancel()
        # the leading task ended first, then the release, then on_stopped_leading
        assert a.work_cancelled == [t0] and a.stopped == [t0]
        spec = lease_of(fake)["spec"]
        assert spec["holderIdentity"] == "" and spec["leaseDurationSeconds"] == 1
        await advance(clock, t0 + R, sleepers=1)  # b's next try takes it
        assert b.started == [t0 + R] and b.elector.is_leader()
        assert lease_of(fake)["spec"]["leaseTransitions"] == 1
        await b.cancel()
        assert lease_of(fake)["spec"]["holderIdentity"] == ""

    run(main)


def test_a_failing_leader_callback_steps_down_and_releases(fake: Any) -> None:
    from kubeclient.aio.leaderelection import (
        FakeClock,
        LeaderCallbacks,
        LeaderElectionConfig,
        LeaderElector,
        LeaseLock,
    )

    async def main() -> None:
        stopped: list[str] = []

        async def lead() -> None:
            raise RuntimeError("the controller crashed")

        elector = LeaderElector(
            LeaderElectionConfig(
                lock=LeaseLock(fake, namespace="kube-system", name="ctl", identity="a"),
                callbacks=LeaderCallbacks(
                    on_started_leading=lead,
                    on_stopped_leading=lambda: stopped.append("a"),
                ),
                release_on_cancel=True,
            ),
            clock=FakeClock(),
        )
        await elector.run()  # returns: leadership ended
        assert stopped == ["a"] and not elector.is_leader()
        assert lease_of(fake)["spec"]["holderIdentity"] == ""

    run(main)


def test_the_config_is_checked_as_the_sync_one(fake: Any) -> None:
    from kubeclient.aio.leaderelection import (
        LeaderCallbacks,
        LeaderElectionConfig,
        LeaseLock,
    )

    lock = LeaseLock(fake, namespace="kube-system", name="ctl", identity="a")
    callbacks = LeaderCallbacks(on_started_leading=print, on_stopped_leading=print)
    with pytest.raises(ValueError, match="lease_duration .* greater than renew"):
        LeaderElectionConfig(lock=lock, callbacks=callbacks, lease_duration=5)
    with pytest.raises(ValueError, match=r"retry_period \* 1.2"):
        LeaderElectionConfig(lock=lock, callbacks=callbacks, retry_period=9)
    with pytest.raises(TypeError, match="LeaseLock needs an AsyncClientSet"):
        LeaseLock(object(), namespace="kube-system", name="ctl", identity="a")
    with pytest.raises(TypeError, match="must be LeaderCallbacks"):
        LeaderElectionConfig(lock=lock, callbacks=object())  # type: ignore[arg-type]


def test_over_http_against_the_test_server(generated: Path) -> None:
    """Real clock, short timings: one leads, it hands over on cancel."""
    from kubeclient.aio import AsyncClientSet
    from kubeclient.aio.leaderelection import RealClock
    from kubeclient.testing import ApiServer

    async def main(server: Any) -> None:
        async with AsyncClientSet(server.config()) as cs:
            clock = RealClock()
            opts = {"lease_duration": 2.0, "renew_deadline": 1.0, "retry_period": 0.2}
            a = Candidate(cs.rest_client.transport, "a", clock, release_on_cancel=True)
            b = Candidate(cs.rest_client.transport, "b", clock, release_on_cancel=True)
            for c in (a, b):
                c.elector = type(c.elector)(
                    type(c.elector.config)(**{**_fields(c.elector.config), **opts}),
                    clock=clock,
                    jitter=lambda: 0.0,
                )
            a.start()
            await _until(lambda: a.elector.is_leader())
            b.start()
            await asyncio.sleep(0.5)
            assert not b.elector.is_leader() and b.elector.get_leader() == "a"
            await a.cancel()
            await _until(lambda: b.elector.is_leader(), timeout=1.0)  # < lease
            await b.cancel()

    with ApiServer() as server:
        run(lambda: main(server))


def _fields(config: Any) -> dict[str, Any]:
    import dataclasses

    return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}


async def _until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)

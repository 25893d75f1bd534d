"""The parts: the record on a Lease spec, MicroTime, the config's checks, the
lock's arguments, failing callbacks and locks, and many electors in one process."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from .conftest import Candidate


def noop_callbacks(kc: Any) -> Any:
    from kubeclient.leaderelection import LeaderCallbacks

    return LeaderCallbacks(on_started_leading=lambda ctx: None, on_stopped_leading=noop)


def noop() -> None:
    pass


class MemoryLock:
    """A lock in memory whose reads can be made to fail one way or another."""

    identity = "me"

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.record: Any = None
        self.reads = 0

    def describe(self) -> str:
        return "memory/lock"

    def get(self, ctx: Any = None) -> Any:
        from kubeclient.errors import NotFound

        self.reads += 1
        if self.error is not None:
            raise self.error
        if self.record is None:
            raise NotFound(404, "NotFound", "not there")
        return self.record

    def create(self, record: Any, ctx: Any = None) -> None:
        self.record = record

    def update(self, record: Any, ctx: Any = None) -> None:
        self.record = record


# -- the record


def test_record_round_trips_through_a_lease_spec(kc: Any) -> None:
    from kubeclient.leaderelection import LeaderElectionRecord

    at = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=timezone.utc)
    record = LeaderElectionRecord("pod-a", 15, at, at + timedelta(seconds=2), 3)
    spec = record.to_lease_spec()
    assert spec == {
        "holderIdentity": "pod-a",
        "leaseDurationSeconds": 15,
        "leaseTransitions": 3,
        "acquireTime": "2026-03-04T05:06:07.890123Z",
        "renewTime": "2026-03-04T05:06:09.890123Z",
    }
    assert LeaderElectionRecord.from_lease_spec(spec) == record
    assert LeaderElectionRecord.from_lease_spec(None) == LeaderElectionRecord()
    assert LeaderElectionRecord.from_lease_spec({}) == LeaderElectionRecord()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-04T05:06:07Z", datetime(2026, 3, 4, 5, 6, 7)),
        ("2026-03-04T05:06:07.5Z", datetime(2026, 3, 4, 5, 6, 7, 500000)),
        ("2026-03-04T05:06:07.123456789Z", datetime(2026, 3, 4, 5, 6, 7, 123456)),
        ("2026-03-04T07:06:07.000001+02:00", datetime(2026, 3, 4, 5, 6, 7, 1)),
        ("2026-03-04t05:06:07-01:30", datetime(2026, 3, 4, 6, 36, 7)),
    ],
)
def test_times_in_any_rfc3339_form_are_read(
    kc: Any, text: str, expected: datetime
) -> None:
    from kubeclient.leaderelection import LeaderElectionRecord

    record = LeaderElectionRecord.from_lease_spec({"renewTime": text})
    assert record.renew_time == expected.replace(tzinfo=timezone.utc)


def test_micro_time_is_utc_with_six_digits(kc: Any) -> None:
    from kubeclient.leaderelection import format_micro_time

    plus_two = timezone(timedelta(hours=2))
    assert (
        format_micro_time(datetime(2026, 1, 1, 2, 0, 0, 5, tzinfo=plus_two))
        == "2026-01-01T00:00:00.000005Z"
    )
    assert format_micro_time(datetime(2026, 1, 1)) == "2026-01-01T00:00:00.000000Z"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope", "Lease ns/x: spec is a str, not an object"),
        ({"holderIdentity": 5}, "Lease ns/x: spec.holderIdentity must be a str, got 5"),
        (
            {"leaseDurationSeconds": "15"},
            "spec.leaseDurationSeconds must be a int, got '15'",
        ),
        ({"leaseTransitions": True}, "spec.leaseTransitions must be a int, got True"),
        ({"renewTime": 7}, "spec.renewTime must be an RFC 3339 time string, got 7"),
        ({"acquireTime": "yesterday"}, "spec.acquireTime is not an RFC 3339 time"),
        ({"acquireTime": "2026-13-01T00:00:00Z"}, "is not an RFC 3339 time"),
    ],
)
def test_a_bad_lease_spec_says_which_field(kc: Any, spec: Any, message: str) -> None:
    from kubeclient.leaderelection import LeaderElectionRecord, LeaseRecordError

    with pytest.raises(LeaseRecordError) as error:
        LeaderElectionRecord.from_lease_spec(spec, "Lease ns/x")
    assert message in str(error.value)


# -- the config


@pytest.mark.parametrize(
    ("timings", "message"),
    [
        ({"lease_duration": 10, "renew_deadline": 10}, "lease_duration (10) must be"),
        ({"renew_deadline": 2.4, "retry_period": 2}, "retry_period * 1.2 (2.4)"),
        ({"retry_period": 0}, "retry_period must be a number of seconds > 0, got 0"),
        ({"lease_duration": float("nan")}, "lease_duration must be a number"),
        ({"renew_deadline": True}, "renew_deadline must be a number"),
        ({"retry_period": "2"}, "retry_period must be a number"),
    ],
)
def test_config_checks_timings_as_client_go(
    kc: Any, timings: dict[str, Any], message: str
) -> None:
    from kubeclient.leaderelection import LeaderElectionConfig

    with pytest.raises(ValueError) as error:
        LeaderElectionConfig(lock=MemoryLock(), callbacks=noop_callbacks(kc), **timings)
    assert message in str(error.value)


def test_config_defaults_are_client_gos(kc: Any) -> None:
    from kubeclient.leaderelection import LeaderElectionConfig

    config = LeaderElectionConfig(lock=MemoryLock(), callbacks=noop_callbacks(kc))
    assert (config.lease_duration, config.renew_deadline, config.retry_period) == (
        15,
        10,
        2,
    )
    assert config.release_on_cancel is False
    assert config.lease_duration_seconds == 15
    odd = LeaderElectionConfig(
        lock=MemoryLock(),
        callbacks=noop_callbacks(kc),
        lease_duration=1.5,
        renew_deadline=1.2,
        retry_period=0.2,
    )
    assert odd.lease_duration_seconds == 2  # never shorter than configured


def test_callbacks_must_be_callable(kc: Any) -> None:
    from kubeclient.leaderelection import LeaderCallbacks

    with pytest.raises(TypeError, match="on_stopped_leading must be callable"):
        LeaderCallbacks(lambda ctx: None, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="on_new_leader must be callable or None"):
        LeaderCallbacks(lambda ctx: None, noop, "h")  # type: ignore[arg-type]


# -- the lock


def test_lease_lock_arguments(kc: Any) -> None:
    from kubeclient.leaderelection import LeaseLock
    from kubeclient.testing import fake_clientset

    cs = fake_clientset()
    with pytest.raises(ValueError, match="invalid LeaseLock name 'a/b'"):
        LeaseLock(cs, namespace="default", name="a/b", identity="x")
    with pytest.raises(ValueError, match="invalid LeaseLock namespace ''"):
        LeaseLock(cs, namespace="", name="a", identity="x")
    with pytest.raises(ValueError, match="needs an identity"):
        LeaseLock(cs, namespace="default", name="a", identity="")
    with pytest.raises(TypeError, match="a ClientSet, a DynamicClient, a RESTClient"):
        LeaseLock("https://x", namespace="default", name="a", identity="x")
    lock = LeaseLock(cs, namespace="default", name="a", identity="x")
    assert lock.describe() == "default/a" and lock.lease is None
    assert repr(lock) == "<LeaseLock default/a as 'x'>"
    with pytest.raises(kc.errors.NotFound):
        lock.get()
    from kubeclient.leaderelection import LeaderElectionRecord, LockNotRead

    with pytest.raises(LockNotRead, match="not read yet"):
        lock.update(LeaderElectionRecord("x"))


def test_lease_lock_on_a_config_and_a_dynamic_client(kc: Any) -> None:
    from kubeclient.dynamic import DynamicClient
    from kubeclient.leaderelection import LeaderElectionRecord, LeaseLock
    from kubeclient.testing import ApiServer

    with ApiServer() as server:
        own = LeaseLock(server.config(), namespace="default", name="l", identity="a")
        own.create(LeaderElectionRecord("a", 15))
        dynamic = DynamicClient(server.config())
        other = LeaseLock(dynamic, namespace="default", name="l", identity="b")
        assert other.get() == LeaderElectionRecord("a", 15)
        stale = other.lease
        own.update(LeaderElectionRecord("a", 16))
        with pytest.raises(kc.errors.Conflict):
            other.update(LeaderElectionRecord("b", 15))  # read before a's write
        assert other.lease == stale
        assert other.get().holder_identity == "a"
        own.close()
        dynamic.close()


# -- failures and many electors


def test_an_unreadable_lease_is_logged_and_retried(kc: Any, caplog: Any) -> None:
    from kubeclient.leaderelection import (
        FakeClock,
        LeaderElectionConfig,
        LeaderElector,
        LeaseRecordError,
    )

    lock = MemoryLock(LeaseRecordError("Lease memory/lock: spec.holderIdentity ..."))
    clock = FakeClock()
    elector = LeaderElector(
        LeaderElectionConfig(lock=lock, callbacks=noop_callbacks(kc)),
        clock=clock,
        jitter=lambda: 0.0,
    )
    ctx = kc.Context()
    thread = threading.Thread(target=elector.run, args=(ctx,))
    thread.start()
    try:
        for _ in range(3):
            assert clock.wait_for_sleepers(1)
            clock.step(2)
        assert clock.wait_for_sleepers(1)
        assert lock.reads == 4 and not elector.is_leader()
        assert (
            "cannot read the lease: Lease memory/lock: spec.holderIdentity"
            in caplog.text
        )
        with pytest.raises(RuntimeError, match="is already running"):
            elector.run(ctx)
    finally:
        ctx.cancel()
        thread.join(10)
    assert not thread.is_alive()
    with pytest.raises(TypeError, match="needs a Context, got NoneType"):
        elector.run(None)  # type: ignore[arg-type]


def test_a_failing_on_started_leading_steps_down_and_releases(
    kc: Any, caplog: Any
) -> None:
    from kubeclient.leaderelection import (
        FakeClock,
        LeaderCallbacks,
        LeaderElectionConfig,
        LeaderElector,
    )

    stopped = threading.Event()

    def lead(ctx: Any) -> None:
        raise KeyError("the controller broke")

    lock = MemoryLock()
    elector = LeaderElector(
        LeaderElectionConfig(
            lock=lock,
            callbacks=LeaderCallbacks(lead, stopped.set),
            release_on_cancel=True,
        ),
        clock=FakeClock(),
    )
    with kc.Context(timeout=10) as ctx:
        elector.run(ctx)  # returns: its work died
        assert not ctx.done
    assert stopped.is_set() and not elector.is_leader()
    assert lock.record.holder_identity == "" and lock.record.lease_duration_seconds == 1
    assert "on_started_leading failed; stepping down" in caplog.text


def test_many_electors_in_one_process_one_leader_per_lease(
    kc: Any, candidates: list[Candidate]
) -> None:
    """Two replicas, each standing for three shard Leases (an elector per Lease):
    every Lease gets exactly one leader; stopping everything leaves no thread."""
    from kubeclient.testing import fake_clientset
    from kubeclient.testing.fake import FakeTransport

    core = fake_clientset().core
    shards = [f"shard-{n}" for n in range(3)]
    for replica in ("r1", "r2"):
        for shard in shards:
            candidates.append(
                Candidate(
                    kc,
                    FakeTransport(core),
                    replica,
                    lease=2,
                    renew=1,
                    retry=0.2,
                    name=shard,
                    release_on_cancel=True,
                ).start()
            )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        leaders = {
            c.elector.config.name: [
                d.identity
                for d in candidates
                if d.elector.config.name == c.elector.config.name
                and d.elector.is_leader()
            ]
            for c in candidates
        }
        if all(len(who) == 1 for who in leaders.values()):
            break
        time.sleep(0.01)
    assert sorted(leaders) == shards
    assert all(len(who) == 1 for who in leaders.values()), leaders
    for shard, who in leaders.items():
        stored = core.store.get(("coordination.k8s.io", "leases"), "kube-system", shard)
        assert stored is not None
        assert stored["spec"]["holderIdentity"] == who[0]
    names = {t.name for t in threading.enumerate() if "leader-election" in t.name}
    assert f"leader-election shard-0 ({leaders['shard-0'][0]}): leading" in names

"""What the broadcaster writes: events.k8s.io/v1 Events with their fields and
series, or core/v1 Events with counts and combined messages where the server
has nothing else."""

from __future__ import annotations

import re
from typing import Any

from .conftest import START, FakeClock, configmap, core_events, events_v1, wait_until

MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def test_events_v1_fields(cs: Any) -> None:
    from kubeclient.record import EventBroadcaster

    obj = cs.core_v1.config_maps("default").create(configmap())  # a typed model
    broadcaster = EventBroadcaster(cs)
    recorder = broadcaster.new_recorder(
        component="sample-controller", reporting_instance="replica-0"
    )
    recorder.event(obj, "Normal", "Synced", "Foo synced successfully")
    recorder.eventf(
        obj, "Warning", "ErrResourceExists", "Resource %q already exists", "web"
    )
    events = wait_until(lambda: len(events_v1(cs)) == 2 and events_v1(cs))
    broadcaster.shutdown()
    by_reason = {e["reason"]: e for e in events}
    synced = by_reason["Synced"]
    assert synced["type"] == "Normal"
    assert synced["note"] == "Foo synced successfully"
    assert synced["action"] == "Synced"
    assert synced["reportingController"] == "sample-controller"
    assert synced["reportingInstance"] == "replica-0"
    assert MICRO_TIME.match(synced["eventTime"]), synced["eventTime"]
    assert "series" not in synced
    meta = obj.metadata
    assert synced["regarding"] == {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "namespace": "default",
        "name": "app-config",
        "uid": meta.uid,
        "resourceVersion": meta.resource_version,
    }
    name, _, stamp = synced["metadata"]["name"].partition(".")
    assert name == "app-config" and int(stamp, 16) > 0  # <name>.<hex unix nanos>
    assert by_reason["ErrResourceExists"]["note"] == 'Resource "web" already exists'
    assert by_reason["ErrResourceExists"]["type"] == "Warning"
    assert core_events(cs) == []  # events.k8s.io only, not both
    assert broadcaster.stats.written == 2


def test_wire_dict_of_a_cluster_scoped_object_lands_in_default(cs: Any) -> None:
    from kubeclient.record import EventBroadcaster

    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "uid": "u1"}}
    with EventBroadcaster(cs) as broadcaster:
        broadcaster.new_recorder(component="c").event(node, "Normal", "Up", "ready")
        (event,) = wait_until(lambda: events_v1(cs))
    assert event["metadata"]["namespace"] == "default"  # as client-go
    assert event["regarding"] == {
        "kind": "Node",
        "apiVersion": "v1",
        "name": "n1",
        "uid": "u1",
    }


def test_reporting_instance_defaults_to_the_host_name(cs: Any) -> None:
    import socket

    from kubeclient.record import EventBroadcaster

    with EventBroadcaster(cs) as broadcaster:
        recorder = broadcaster.new_recorder(component="c")
        recorder.event(configmap(), "Normal", "Synced", "ok")
        (event,) = wait_until(lambda: events_v1(cs))
    assert event["reportingInstance"] == socket.gethostname()


def test_repeats_become_one_event_with_a_series(cs: Any, clock: FakeClock) -> None:
    from kubeclient.record import EventBroadcaster

    broadcaster = EventBroadcaster(cs, clock=clock)
    recorder = broadcaster.new_recorder(component="c")
    for _ in range(5):
        recorder.event(configmap(), "Normal", "Synced", "ok")
        clock.advance(1)
    # the second one starts the series at once (count 2), as client-go
    wait_until(lambda: [e.get("series", {}).get("count") for e in events_v1(cs)] == [2])
    # the series ends after 6 minutes without a repeat: its final count is written
    clock.advance(7 * 60)
    (event,) = wait_until(
        lambda: [e for e in events_v1(cs) if e["series"]["count"] == 5]
    )
    assert event["series"]["lastObservedTime"] == "2026-05-28T20:26:44.000000Z"
    assert event["eventTime"] == "2026-05-28T20:26:40.000000Z"
    assert START == 1_780_000_000.0  # the times above are START and START + 4
    # a finished series is forgotten: the next repeat is a new event
    recorder.event(configmap(), "Normal", "Synced", "ok")
    wait_until(lambda: len(events_v1(cs)) == 2)
    broadcaster.shutdown()
    assert broadcaster.stats.failed == 0


def test_shutdown_writes_the_counts_not_written_yet(cs: Any) -> None:
    from kubeclient.record import EventBroadcaster

    broadcaster = EventBroadcaster(cs)
    recorder = broadcaster.new_recorder(component="c")
    for _ in range(4):
        recorder.event(configmap(), "Normal", "Synced", "ok")
    broadcaster.shutdown()
    (event,) = events_v1(cs)
    assert event["series"]["count"] == 4


def test_the_heartbeat_rewrites_live_series(cs: Any, clock: FakeClock) -> None:
    from kubeclient.record import EventBroadcaster

    broadcaster = EventBroadcaster(cs, clock=clock, spam_burst=100)
    recorder = broadcaster.new_recorder(component="c")
    for _ in range(3):
        recorder.event(configmap(), "Normal", "Synced", "ok")
    wait_until(lambda: [e.get("series", {}).get("count") for e in events_v1(cs)] == [2])
    for _ in range(30):  # repeats every minute keep the series alive past 30 min
        clock.advance(60)
        recorder.event(configmap(), "Normal", "Synced", "ok")
        wait_until(lambda: broadcaster.stats.queued == 0)
    # the 30-minute heartbeat wrote the count (32 or 33: the last repeat may
    # come after it); no series ended meanwhile
    wait_until(lambda: events_v1(cs)[0]["series"]["count"] >= 32)
    assert len(events_v1(cs)) == 1
    broadcaster.shutdown()
    assert events_v1(cs)[0]["series"]["count"] == 33


def test_different_messages_are_different_events(cs: Any) -> None:
    from kubeclient.record import EventBroadcaster

    with EventBroadcaster(cs) as broadcaster:
        recorder = broadcaster.new_recorder(component="c")
        recorder.event(configmap(), "Normal", "Synced", "one")
        recorder.event(configmap(), "Normal", "Synced", "two")
        recorder.event(configmap(), "Warning", "Synced", "two")
    assert sorted((e["type"], e["note"]) for e in events_v1(cs)) == [
        ("Normal", "one"),
        ("Normal", "two"),
        ("Warning", "two"),
    ]


def test_a_deleted_series_event_is_created_again(cs: Any) -> None:
    """A 404 on the series patch falls back to a create, as client-go."""
    from kubeclient.record import EventBroadcaster

    broadcaster = EventBroadcaster(cs)
    recorder = broadcaster.new_recorder(component="c")
    recorder.event(configmap(), "Normal", "Synced", "ok")
    (first,) = wait_until(lambda: events_v1(cs))
    name = first["metadata"]["name"]
    cs.rest_client.delete().abs_path(
        f"/apis/events.k8s.io/v1/namespaces/default/events/{name}"
    ).do()
    recorder.event(configmap(), "Normal", "Synced", "ok")
    (again,) = wait_until(lambda: events_v1(cs))
    broadcaster.shutdown()
    assert again["metadata"]["name"] == name
    assert again["series"]["count"] == 2
    assert broadcaster.stats.failed == 0


def test_core_v1_where_events_k8s_io_is_not_served(
    core_cs: Any, clock: FakeClock
) -> None:
    from kubeclient.record import EventBroadcaster

    obj = core_cs.core_v1.config_maps("default").create(configmap())
    broadcaster = EventBroadcaster(core_cs, clock=clock)
    recorder = broadcaster.new_recorder(component="sample-controller")
    for _ in range(3):
        recorder.event(obj, "Normal", "Synced", "Foo synced successfully")
        wait_until(lambda: broadcaster.stats.written == broadcaster.stats.recorded)
        clock.advance(60)
    broadcaster.shutdown()
    (event,) = core_events(core_cs)
    assert event["apiVersion"] == "v1"
    assert event["involvedObject"]["kind"] == "ConfigMap"
    assert event["involvedObject"]["name"] == "app-config"
    assert event["involvedObject"]["uid"] == obj.metadata.uid
    assert event["source"]["component"] == "sample-controller"
    assert event["reason"] == "Synced"
    assert event["message"] == "Foo synced successfully"
    assert event["type"] == "Normal"
    assert event["count"] == 3
    assert event["firstTimestamp"] == "2026-05-28T20:26:40Z"  # START
    assert event["lastTimestamp"] == "2026-05-28T20:28:40Z"  # START + 2 min
    assert event["metadata"]["name"].startswith("app-config.")


def test_core_v1_similar_events_are_combined(core_cs: Any) -> None:
    """Beyond 10 events differing only in their message within 10 minutes,
    client-go's aggregator writes one combined event and counts it."""
    from kubeclient.record import EventBroadcaster

    with EventBroadcaster(core_cs) as broadcaster:
        recorder = broadcaster.new_recorder(component="c")
        for i in range(12):
            recorder.event(configmap(), "Warning", "Failed", f"attempt {i}")
    events = core_events(core_cs)
    combined = [e for e in events if e["message"].startswith("(combined")]
    assert len(events) == 10  # 9 single events, then one combined
    (event,) = combined
    assert event["message"] == "(combined from similar events): attempt 11"
    assert event["count"] == 3

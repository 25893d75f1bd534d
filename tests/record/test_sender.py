"""The background sender never blocks or raises into the caller: a failing
server, a slow one, a full queue; retries of what is worth retrying, and a
prompt shutdown."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from .conftest import configmap, events_v1, wait_until


def _timed_events(recorder: Any, n: int) -> list[float]:
    """How long each of ``n`` event() calls took (distinct objects, so the spam
    filter and aggregation stay out of it)."""
    took = []
    for i in range(n):
        start = time.perf_counter()
        recorder.event(configmap(f"cm-{i}"), "Normal", "Synced", "ok")
        took.append(time.perf_counter() - start)
    return took


def test_a_failing_server_neither_blocks_nor_raises(server: Any, cs: Any) -> None:
    from kubeclient.record import EventBroadcaster

    server.faults.error(500, count=100_000)
    broadcaster = EventBroadcaster(cs, retry_delay=0.05, max_tries=3)
    recorder = broadcaster.new_recorder(component="c")
    took = _timed_events(recorder, 200)
    # a blocking event() would wait for the server (and its retries) each time;
    # the sender and the in-process server share the GIL, hence the p95
    assert sum(took) < 2.0, sum(took)
    assert sorted(took)[190] < 0.02, sorted(took)[190:]
    start = time.monotonic()
    broadcaster.shutdown(timeout=1.0)  # discovery is still retrying: cancelled
    assert time.monotonic() - start < 3.0
    assert not broadcaster._thread.is_alive()  # type: ignore[union-attr]
    stats = broadcaster.stats
    assert (stats.recorded, stats.written, stats.failed) == (200, 0, 200), stats
    server.faults.clear()
    assert events_v1(cs) == []


def test_failed_writes_are_given_up_after_max_tries(
    server: Any, cs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from kubeclient.record import EventBroadcaster

    server.faults.error(500, count=100_000, method="POST")
    broadcaster = EventBroadcaster(cs, retry_delay=0.05, max_tries=3)
    recorder = broadcaster.new_recorder(component="c")
    with caplog.at_level(logging.ERROR, logger="kubeclient.record"):
        _timed_events(recorder, 20)
        wait_until(lambda: broadcaster.stats.failed == 20)
    broadcaster.shutdown()
    posts = [p for m, p in server.requests if m == "POST" and "events" in p]
    assert len(posts) == 60  # 3 tries each (POST is not retried by the pipeline)
    assert any("not written after 3 tries" in r.message for r in caplog.records)


def test_a_slow_server_fills_the_queue_and_events_are_dropped_and_counted(
    server: Any, cs: Any
) -> None:
    from kubeclient.record import EventBroadcaster

    broadcaster = EventBroadcaster(cs, queue_size=5)
    recorder = broadcaster.new_recorder(component="c")
    recorder.event(configmap("first"), "Normal", "Synced", "ok")
    wait_until(lambda: events_v1(cs))  # discovery done, the sender idle
    server.faults.delay(30.0, count=100, method="POST")
    took = _timed_events(recorder, 50)
    assert sum(took) < 1.0, sum(took)  # the server holds every write 30 s
    stats = broadcaster.stats
    # one in flight (held by the server), 5 queued, the rest dropped
    assert stats.dropped_queue_full >= 50 - 6, stats
    assert stats.queued <= 5
    start = time.monotonic()
    broadcaster.shutdown(timeout=0.5)  # cancels the held request
    assert time.monotonic() - start < 3.0
    assert not broadcaster._thread.is_alive()  # type: ignore[union-attr]


def test_server_errors_are_retried_until_written(server: Any, cs: Any) -> None:
    from kubeclient.record import EventBroadcaster

    server.faults.error(503, count=3, method="POST", path="/events")
    with EventBroadcaster(cs, retry_delay=0.05) as broadcaster:
        recorder = broadcaster.new_recorder(component="c")
        recorder.event(configmap(), "Normal", "Synced", "ok")
        (event,) = wait_until(lambda: events_v1(cs))
    assert event["reason"] == "Synced"
    assert broadcaster.stats.written == 1 and broadcaster.stats.failed == 0


def test_a_failing_event_does_not_hold_up_the_next(server: Any, cs: Any) -> None:
    """A write waiting for its retry is set aside: later events go out first."""
    from kubeclient.record import EventBroadcaster

    with EventBroadcaster(cs, retry_delay=2.0) as broadcaster:
        recorder = broadcaster.new_recorder(component="c")
        recorder.event(configmap("warmup"), "Normal", "Synced", "ok")
        wait_until(lambda: events_v1(cs))
        server.faults.error(503, count=1, method="POST", path="/events")
        recorder.event(configmap("unlucky"), "Normal", "Synced", "ok")
        recorder.event(configmap("next"), "Normal", "Synced", "ok")
        wait_until(
            lambda: {e["regarding"]["name"] for e in events_v1(cs)}
            >= {"warmup", "next"}
        )
    # the retry went out at shutdown, at the latest
    names = {e["regarding"]["name"] for e in events_v1(cs)}
    assert names == {"warmup", "unlucky", "next"}


def test_a_refused_event_is_dropped_without_retry(
    server: Any, cs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from kubeclient.record import EventBroadcaster

    server.faults.error(403, count=1, method="POST", path="/events")
    with (
        caplog.at_level(logging.ERROR, logger="kubeclient.record"),
        EventBroadcaster(cs, retry_delay=0.01) as broadcaster,
    ):
        recorder = broadcaster.new_recorder(component="c")
        recorder.event(configmap(), "Normal", "Refused", "forbidden")
        recorder.event(configmap(), "Normal", "Synced", "ok")
        wait_until(lambda: events_v1(cs))
        wait_until(lambda: broadcaster.stats.failed == 1)
    posts = [p for m, p in server.requests if m == "POST" and "events" in p]
    assert len(posts) == 2  # the refused one was tried once
    assert any("refused (not retried)" in r.message for r in caplog.records)


def test_events_after_shutdown_are_dropped_quietly(cs: Any) -> None:
    from kubeclient.record import EventBroadcaster

    broadcaster = EventBroadcaster(cs)
    recorder = broadcaster.new_recorder(component="c")
    broadcaster.shutdown()
    recorder.event(configmap(), "Normal", "Synced", "ok")
    assert broadcaster.stats.failed == 1
    assert broadcaster._thread is None  # never started
    assert events_v1(cs) == []


def test_a_config_gets_its_own_connection(server: Any, cs: Any) -> None:
    from kubeclient.record import EventBroadcaster

    broadcaster = EventBroadcaster(server.config())
    broadcaster.start_recording_to_sink()
    broadcaster.new_recorder(component="c").event(configmap(), "Normal", "A", "b")
    wait_until(lambda: events_v1(cs))
    broadcaster.shutdown()


def test_what_the_broadcaster_cannot_use_is_refused_at_once() -> None:
    from kubeclient.record import EventBroadcaster

    with pytest.raises(TypeError, match="needs a Config, a RESTClient"):
        EventBroadcaster("https://example.com")
    with pytest.raises(ValueError, match="queue_size"):
        EventBroadcaster(object(), queue_size=0)


def test_on_the_fake_clientset(generated: Any) -> None:
    from kubeclient.record import EventBroadcaster
    from kubeclient.testing import fake_clientset

    cs = fake_clientset(objects=[configmap()])
    obj = cs.core_v1.config_maps("default").get("app-config")
    with EventBroadcaster(cs) as broadcaster:
        recorder = broadcaster.new_recorder(component="c")
        recorder.event(obj, "Normal", "Synced", "ok")
        recorder.event(obj, "Normal", "Synced", "ok")
    writes = [a for a in cs.actions if a.resource == "events"]
    assert [(a.verb, a.group) for a in writes] == [
        ("create", "events.k8s.io"),
        ("patch", "events.k8s.io"),
    ]
    assert writes[1].body == {
        "series": {
            "count": 2,
            "lastObservedTime": writes[1].body["series"]["lastObservedTime"],
        }
    }
    (event,) = events_v1(cs)
    assert obj.metadata is not None
    assert event["regarding"]["uid"] == obj.metadata.uid
    assert event["series"]["count"] == 2


def test_shutdown_ends_when_its_context_is_done(server: Any, cs: Any) -> None:
    from kubeclient.context import Context
    from kubeclient.record import EventBroadcaster

    broadcaster = EventBroadcaster(cs)
    recorder = broadcaster.new_recorder(component="c")
    recorder.event(configmap("first"), "Normal", "Synced", "ok")
    wait_until(lambda: events_v1(cs))
    server.faults.delay(30.0, count=10, method="POST")
    recorder.event(configmap("held"), "Normal", "Synced", "ok")
    start = time.monotonic()
    broadcaster.shutdown(timeout=60.0, ctx=Context(timeout=0.3))
    assert time.monotonic() - start < 3.0
    assert not broadcaster._thread.is_alive()  # type: ignore[union-attr]
    assert broadcaster.stats.failed == 1
    broadcaster.shutdown()  # a second time does nothing


def test_an_event_that_already_exists_is_not_retried(
    server: Any, cs: Any, clock: Any
) -> None:
    from kubeclient.record import EventBroadcaster

    name = f"app-config.{int(clock.now * 1e9):x}"
    cs.rest_client.post().abs_path(
        "/apis/events.k8s.io/v1/namespaces/default/events"
    ).body(
        {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": "default"},
            "eventTime": "2026-05-28T20:26:40.000000Z",
            "reportingController": "other",
            "reportingInstance": "other",
            "action": "A",
            "reason": "Other",
            "regarding": {"kind": "ConfigMap", "name": "app-config"},
            "type": "Normal",
        }
    ).do()
    with EventBroadcaster(cs, clock=clock, retry_delay=0.01) as broadcaster:
        recorder = broadcaster.new_recorder(component="c")
        recorder.event(configmap(), "Normal", "Synced", "ok")
        wait_until(lambda: broadcaster.stats.failed == 1)
    posts = [p for m, p in server.requests if m == "POST" and "events" in p]
    assert len(posts) == 2  # ours and the one above: no retry
    (event,) = events_v1(cs)
    assert event["reason"] == "Other"


def test_a_series_create_racing_its_first_event_patches_again(
    server: Any, cs: Any
) -> None:
    """client-go: a 404 on the series patch falls back to a create; a 409 on that
    create means the event exists after all, so the patch is retried."""
    from kubeclient.record import EventBroadcaster

    with EventBroadcaster(cs, retry_delay=0.01) as broadcaster:
        recorder = broadcaster.new_recorder(component="c")
        recorder.event(configmap(), "Normal", "Synced", "ok")
        wait_until(lambda: events_v1(cs))
        server.faults.error(404, count=1, method="PATCH")
        recorder.event(configmap(), "Normal", "Synced", "ok")
        wait_until(lambda: events_v1(cs)[0].get("series", {}).get("count") == 2)
    assert broadcaster.stats.failed == 0
    calls = [m for m, p in server.requests if "/events" in p and m != "GET"]
    assert calls == ["POST", "PATCH", "POST", "PATCH"]

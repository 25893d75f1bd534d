"""The recorder's side: the spam filter, Go formatting, bad input (logged,
never raised) and the FakeRecorder."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from .conftest import FakeClock, configmap, events_v1, wait_until


def test_the_spam_filter_drops_beyond_the_burst(cs: Any, clock: FakeClock) -> None:
    from kubeclient.record import EventBroadcaster

    broadcaster = EventBroadcaster(cs, clock=clock)
    recorder = broadcaster.new_recorder(component="c")
    for i in range(30):  # distinct reasons: 30 events, not one series
        recorder.event(configmap(), "Normal", f"Reason{i}", "ok")
    assert broadcaster.stats.dropped_spam == 5
    # another object has its own bucket
    recorder.event(configmap("other"), "Normal", "Reason0", "ok")
    # one token back after 5 minutes, no more
    clock.advance(300)
    recorder.event(configmap(), "Normal", "Late", "ok")
    recorder.event(configmap(), "Normal", "Later", "ok")
    assert broadcaster.stats.dropped_spam == 6
    broadcaster.shutdown()
    events = events_v1(cs)
    mine = [e for e in events if e["regarding"]["name"] == "app-config"]
    assert len(mine) == 26
    assert {e["reason"] for e in mine} >= {"Reason0", "Reason24", "Late"}
    assert not {e["reason"] for e in mine} & {"Reason25", "Reason29", "Later"}
    assert len(events) == 27


def test_the_spam_bucket_is_per_source(cs: Any, clock: FakeClock) -> None:
    from kubeclient.record import EventBroadcaster

    with EventBroadcaster(cs, clock=clock, spam_burst=2) as broadcaster:
        one = broadcaster.new_recorder(component="one")
        two = broadcaster.new_recorder(component="two")
        for i in range(3):
            one.event(configmap(), "Normal", f"R{i}", "ok")
            two.event(configmap(), "Normal", f"R{i}", "ok")
        assert broadcaster.stats.dropped_spam == 2


def test_token_bucket_refills_at_its_rate() -> None:
    from kubeclient.record.spam import SpamFilter

    clock = FakeClock()
    spam = SpamFilter(burst=25, qps=1 / 300, clock=clock)
    key = ("c", "host", "Pod", "default", "p", "uid", "v1")
    assert [spam.allow(key) for _ in range(26)] == [True] * 25 + [False]
    clock.advance(299)
    assert not spam.allow(key)
    clock.advance(1)
    assert spam.allow(key)
    assert not spam.allow(key)
    clock.advance(300 * 100)  # never more than the burst
    assert [spam.allow(key) for _ in range(26)] == [True] * 25 + [False]
    with pytest.raises(ValueError, match="burst must be >= 1"):
        SpamFilter(burst=0, clock=clock)


@pytest.mark.parametrize(
    ("fmt", "args", "expected"),
    [
        ("Resource %q already exists", ("web",), 'Resource "web" already exists'),
        ("%s has %d replicas (%v)", ("web", 3, True), "web has 3 replicas (true)"),
        ("100%% done", (), "100% done"),
        ("%q", ('say "hi"',), '"say \\"hi\\""'),
        ("%5s|%-3d|", ("ab", 7), "   ab|7  |"),
        ("%.2f%%", (12.345,), "12.35%"),
        ("%x", (255,), "ff"),
        ("%v", (None,), "<nil>"),
        ("%d", ("three",), "%!d(str=three)"),
        ("%s and %s", ("one",), "one and %!s(MISSING)"),
        ("plain", ("extra", 1), "plain%!(EXTRA str=extra, int=1)"),
        ("%z", (1,), "%!z(int=1)"),
    ],
)
def test_go_sprintf(fmt: str, args: tuple[Any, ...], expected: str) -> None:
    from kubeclient.record.goformat import go_sprintf

    assert go_sprintf(fmt, args) == expected


def test_bad_events_are_logged_not_raised(
    cs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from kubeclient.record import EventBroadcaster

    broadcaster = EventBroadcaster(cs)
    recorder = broadcaster.new_recorder(component="c")
    with caplog.at_level(logging.ERROR, logger="kubeclient.record"):
        recorder.event(configmap(), "Bogus", "Synced", "ok")
        recorder.event({"kind": "ConfigMap", "metadata": {}}, "Normal", "R", "m")
        recorder.event({"metadata": {"name": "x"}}, "Normal", "R", "m")
        recorder.event("not an object", "Normal", "R", "m")  # type: ignore[arg-type]
        recorder.eventf(configmap(), "Normal", "R", "%d", "x")  # formatted as Go does
    broadcaster.shutdown()
    messages = [r.getMessage() for r in caplog.records]
    assert any("unsupported event type 'Bogus'" in m for m in messages)
    assert any("the ConfigMap of an event needs metadata.name" in m for m in messages)
    assert any("needs a kind" in m for m in messages)
    assert any("not str" in m for m in messages)
    assert [e["note"] for e in events_v1(cs)] == ["%!d(str=x)"]
    assert broadcaster._thread is not None


def test_annotated_events_carry_their_annotations(cs: Any) -> None:
    from kubeclient.record import EventBroadcaster

    with EventBroadcaster(cs) as broadcaster:
        recorder = broadcaster.new_recorder(component="c")
        recorder.annotated_eventf(
            configmap(), {"team": "web"}, "Normal", "Scaled", "to %d", 3
        )
        (event,) = wait_until(lambda: events_v1(cs))
    assert event["metadata"]["annotations"] == {"team": "web"}
    assert event["note"] == "to 3"


def test_related_object_and_action(cs: Any) -> None:
    from kubeclient.record import EventBroadcaster

    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
    }
    with EventBroadcaster(cs) as broadcaster:
        recorder = broadcaster.new_recorder(component="c")
        recorder.event(
            configmap(), "Normal", "Mounted", "in p", action="Mount", related=pod
        )
        (event,) = wait_until(lambda: events_v1(cs))
    assert event["action"] == "Mount"
    assert event["related"] == {
        "kind": "Pod",
        "apiVersion": "v1",
        "namespace": "default",
        "name": "p",
    }


def test_fake_recorder(generated: Any) -> None:
    from kubeclient.record import FakeRecorder, Recorder

    recorder = FakeRecorder()
    as_used: Recorder = recorder  # what a controller is typed against (mypy)
    assert as_used is recorder
    recorder.event(configmap(), "Normal", "Synced", "Foo synced successfully")
    recorder.eventf(
        configmap(), "Warning", "ErrResourceExists", "Resource %q already exists", "web"
    )
    recorder.annotated_eventf(
        configmap(), {"b": "2", "a": "1"}, "Normal", "A", "n=%d", 1
    )
    assert recorder.events == [
        "Normal Synced Foo synced successfully",
        'Warning ErrResourceExists Resource "web" already exists',
        "Normal A n=1 map[a:1 b:2]",
    ]
    assert recorder.pop() == "Normal Synced Foo synced successfully"
    assert len(recorder.events) == 2
    recorder.clear()
    assert recorder.pop() is None

    with_object = FakeRecorder(include_object=True)
    with_object.event(configmap(), "Normal", "Synced", "ok")
    assert with_object.events == [
        "Normal Synced ok involvedObject{kind=ConfigMap,namespace=default,"
        "name=app-config,apiVersion=v1}"
    ]


def test_start_logging_logs_every_event(
    cs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from kubeclient.record import EventBroadcaster

    logger = logging.getLogger("app.events")
    with (
        caplog.at_level(logging.INFO, logger="app.events"),
        EventBroadcaster(cs) as broadcaster,
    ):
        broadcaster.start_logging(logger)
        recorder = broadcaster.new_recorder(component="c")
        recorder.event(configmap(), "Warning", "Failed", "it broke")
    (record,) = [r for r in caplog.records if r.name == "app.events"]
    assert record.getMessage() == (
        "Event occurred: object=default/app-config kind=ConfigMap apiVersion=v1 "
        "type=Warning reason=Failed message='it broke'"
    )


def test_the_recorder_is_a_recorder(cs: Any) -> None:
    from kubeclient.record import EventBroadcaster, Recorder

    with EventBroadcaster(cs) as broadcaster:
        recorder: Recorder = broadcaster.new_recorder(component="c")
        recorder.event(configmap(), "Normal", "Synced", "ok")
    assert [e["reason"] for e in events_v1(cs)] == ["Synced"]

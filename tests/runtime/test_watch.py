"""Tests for generator/runtime/watch.py: stream decoding and the resuming Watcher.

Watcher logic runs against scripted ``start``/``relist`` fakes; the end-to-end tests
run it over a real loopback HTTP server that drops the connection mid-watch.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from generator.runtime.config import Config
from generator.runtime.errors import (
    ApiError,
    ConnectionFailed,
    Expired,
    Forbidden,
    InternalError,
    ServiceUnavailable,
    StreamInterrupted,
    WatchDecodeError,
)
from generator.runtime.pipeline import Pipeline
from generator.runtime.transport.http import HTTPTransport
from generator.runtime.watch import (
    Watcher,
    WatchEvent,
    iter_watch_events,
    split_lines,
)

# --- building events --------------------------------------------------------------------


def obj(
    name: str, rv: str, uid: str | None = None, namespace: str = "default"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": uid or f"uid-{name}",
            "resourceVersion": rv,
        },
        "data": {"rv": rv},
    }


def line(kind: str, raw: dict[str, Any]) -> bytes:
    return json.dumps({"type": kind, "object": raw}).encode() + b"\n"


def bookmark(rv: str) -> bytes:
    return line("BOOKMARK", {"kind": "ConfigMap", "metadata": {"resourceVersion": rv}})


def expired_event(message: str = "too old resource version: 1 (20)") -> bytes:
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": "Expired",
        "code": 410,
    }
    return line("ERROR", status)


def name_of(raw: dict[str, Any]) -> str:
    return str(raw.get("metadata", {}).get("name", ""))


def seen(events: list[WatchEvent[Any]]) -> list[tuple[str, str, str]]:
    """(type, name, resourceVersion) of each event."""
    return [
        (e.type, name_of(e.raw), str(e.raw["metadata"].get("resourceVersion", "")))
        for e in events
    ]


class FakeStream:
    """A streaming response: chunks, then an error, an end, or a quiet wait."""

    def __init__(
        self,
        chunks: list[bytes],
        then: BaseException | None = None,
        hang: bool = False,
    ) -> None:
        self.chunks = chunks
        self.then = then
        self.hang = hang
        self.closed = threading.Event()

    def iter_chunks(self, size: int = 65536) -> Iterator[bytes]:
        yield from self.chunks
        if self.then is not None:
            raise self.then
        if self.hang:  # an open watch with nothing to say, until closed
            self.closed.wait(10)
            raise StreamInterrupted("closed while waiting")

    def close(self) -> None:
        self.closed.set()


# --- split_lines / iter_watch_events ------------------------------------------------------


def test_split_lines() -> None:
    chunks = [b"a", b"b\r", b"\nc\n\nd", b"e\r\n", b"", b"tail"]
    assert list(split_lines(chunks)) == [b"ab", b"c", b"", b"de", b"tail"]
    assert list(split_lines([b"x\n"])) == [b"x"]
    assert list(split_lines([])) == []


def test_events_spread_over_chunks_and_several_per_chunk() -> None:
    first = line("ADDED", obj("a", "1"))
    second = line("MODIFIED", obj("b\u00e9", "2")).replace(b"\n", b"\r\n")
    third = line("DELETED", obj("a", "3"))
    stream = first + second + b"\n" + third + bookmark("4")
    # One event over many chunks (cutting a UTF-8 sequence), then several in one.
    cut = len(first) + 20
    chunks = [stream[i : i + 7] for i in range(0, cut, 7)] + [stream[cut:]]
    events = list(iter_watch_events(FakeStream(chunks), name_of))
    assert [(e.type, e.object) for e in events] == [
        ("ADDED", "a"),
        ("MODIFIED", "b\u00e9"),
        ("DELETED", "a"),
        ("BOOKMARK", ""),
    ]
    assert events[1].raw == obj("b\u00e9", "2")


def test_large_event_over_many_small_chunks() -> None:
    big = obj("big", "9")
    big["data"] = {f"k{i}": "v" * 100 for i in range(10_000)}
    data = line("ADDED", big)
    chunks = [data[i : i + 1000] for i in range(0, len(data), 1000)]
    (event,) = iter_watch_events(FakeStream(chunks), lambda raw: raw)
    assert event.object == big


def test_error_event_raises_its_api_error() -> None:
    stream = FakeStream([line("ADDED", obj("a", "1")) + expired_event()])
    events = iter_watch_events(stream, name_of)
    assert next(events).object == "a"
    with pytest.raises(Expired) as caught:
        next(events)
    assert caught.value.status == 410
    assert "too old resource version" in caught.value.message
    assert stream.closed.is_set()


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (b'{"type": "ADDED", "object": {"kind": "Pod"}\n', "not JSON"),
        (b"[1, 2]\n", "not a JSON object"),
        (b'{"object": {}}\n', "no type"),
        (b'{"type": "ADDED", "object": "x"}\n', "no object"),
        (b"<html>proxy error</html>\n", "not JSON"),
    ],
)
def test_malformed_line_names_the_problem_and_an_excerpt(
    bad: bytes, problem: str
) -> None:
    stream = FakeStream([line("ADDED", obj("a", "1")), bad])
    events = iter_watch_events(stream, name_of)
    next(events)
    with pytest.raises(WatchDecodeError) as caught:
        next(events)
    message = str(caught.value)
    assert problem in message
    assert bad.strip().decode()[:20] in message


def test_malformed_excerpt_is_short() -> None:
    stream = FakeStream([b"x" * 10_000 + b"\n"])
    with pytest.raises(WatchDecodeError) as caught:
        list(iter_watch_events(stream, name_of))
    assert len(str(caught.value)) < 300


def test_last_line_without_newline() -> None:
    whole = line("ADDED", obj("a", "1")).rstrip(b"\n")
    assert [e.object for e in iter_watch_events(FakeStream([whole]), name_of)] == ["a"]
    cut = FakeStream([line("ADDED", obj("a", "1")), whole[:30]])
    events = iter_watch_events(cut, name_of)
    next(events)
    with pytest.raises(StreamInterrupted):
        next(events)


def test_stream_closed_when_the_caller_stops() -> None:
    stream = FakeStream([line("ADDED", obj("a", "1")), line("ADDED", obj("b", "2"))])
    events = iter_watch_events(stream, name_of)
    next(events)
    events.close()
    assert stream.closed.is_set()


# --- Watcher with scripted start / relist -----------------------------------------------------


class Script:
    """Scripted ``start`` (streams or errors, in order) and ``relist`` answers."""

    def __init__(
        self,
        streams: Sequence[FakeStream | BaseException],
        lists: Sequence[tuple[list[dict[str, Any]], str] | BaseException] = (),
    ) -> None:
        self.streams = list(streams)
        self.lists = list(lists)
        self.started: list[str | None] = []
        self.relists = 0
        self.sleeps: list[float] = []

    def start(self, resource_version: str | None) -> FakeStream:
        self.started.append(resource_version)
        if not self.streams:
            raise AssertionError("the watcher started more streams than scripted")
        stream = self.streams.pop(0)
        if isinstance(stream, BaseException):
            raise stream
        return stream

    def relist(self) -> tuple[list[dict[str, Any]], str]:
        self.relists += 1
        answer = self.lists.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def watcher(self, **options: Any) -> Watcher[dict[str, Any]]:
        return Watcher(
            start=self.start,
            relist=self.relist,
            decode=lambda raw: raw,
            sleep=self.sleep,
            **options,
        )


def take(watcher: Watcher[Any], count: int) -> list[WatchEvent[Any]]:
    return list(itertools.islice(watcher, count))


def test_initial_relist_without_resource_version() -> None:
    script = Script(
        [FakeStream([line("MODIFIED", obj("a", "11"))])],
        [([obj("a", "5"), obj("b", "7")], "10")],
    )
    watcher = script.watcher()
    events = take(watcher, 3)
    assert seen(events) == [
        ("ADDED", "a", "5"),
        ("ADDED", "b", "7"),
        ("MODIFIED", "a", "11"),
    ]
    assert script.started == ["10"]
    assert watcher.resource_version == "11"


def test_resume_after_dropped_streams_loses_and_repeats_nothing() -> None:
    server_events = [line("ADDED", obj(f"cm{i}", str(i))) for i in range(11, 18)]
    script = Script(
        [
            # connection reset after two events
            FakeStream(server_events[0:2], then=StreamInterrupted("reset by peer")),
            # the server ends the watch at its timeout
            FakeStream(server_events[2:4]),
            # a bookmark moves the version on, then the stream breaks
            FakeStream([server_events[4], bookmark("20")], then=ConnectionFailed("x")),
            FakeStream(server_events[5:7]),
        ]
    )
    watcher = script.watcher(resource_version="10")
    events = take(watcher, 8)
    assert [e.raw for e in events if e.type != "BOOKMARK"] == [
        json.loads(e)["object"] for e in server_events
    ]
    assert script.started == ["10", "12", "14", "20"]
    assert [e.type for e in events].count("BOOKMARK") == 1
    assert script.relists == 0


def test_reconnects_back_off_and_reset_after_progress() -> None:
    down = ConnectionFailed("refused")
    streams: list[FakeStream | BaseException] = [down] * 5
    streams += [
        FakeStream([line("ADDED", obj("a", "11"))]),
        FakeStream([]),
        FakeStream([line("ADDED", obj("b", "12"))]),
    ]
    script = Script(streams)
    watcher = script.watcher(resource_version="10", backoff_base=1.0, backoff_cap=6.0)
    assert seen(take(watcher, 2)) == [("ADDED", "a", "11"), ("ADDED", "b", "12")]
    failing, after = script.sleeps[:5], script.sleeps[5:]
    steps = [1.0, 2.0, 4.0, 6.0, 6.0]  # doubling, capped; jitter keeps >= half
    for delay, step in zip(failing, steps, strict=True):
        assert step / 2 <= delay <= step
    # After a stream delivered events the pause is short again; an empty one grows.
    assert 0.5 <= after[0] <= 1.0
    assert 0.5 <= after[1] <= 1.0


def test_relist_on_410_at_start_emits_the_difference() -> None:
    known = [obj("same", "1"), obj("changed", "2"), obj("gone", "3"), obj("re", "4")]
    listed = [
        obj("same", "1"),
        obj("changed", "8"),
        obj("new", "9"),
        obj("re", "6", uid="uid-re-2"),  # deleted and created again meanwhile
    ]
    script = Script(
        [
            FakeStream([line("ADDED", o) for o in known], then=StreamInterrupted("x")),
            Expired(410, "Expired", "too old resource version"),
            FakeStream([line("ADDED", obj("after", "21"))]),
        ],
        [(listed, "20")],
    )
    watcher = script.watcher(resource_version="0")
    events = take(watcher, 4 + 5 + 1)
    assert seen(events[4:]) == [
        ("MODIFIED", "changed", "8"),
        ("ADDED", "new", "9"),
        ("DELETED", "re", "4"),
        ("ADDED", "re", "6"),
        ("DELETED", "gone", "3"),
        ("ADDED", "after", "21"),
    ]
    # DELETED carries the stub kept for the key.
    assert events[8].raw == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "gone",
            "namespace": "default",
            "uid": "uid-gone",
            "resourceVersion": "3",
        },
    }
    assert script.started == ["0", "4", "20"]
    # One pause after the reset; the 410 relists at once.
    assert len(script.sleeps) == 1


def test_relist_on_expired_error_event() -> None:
    script = Script(
        [
            FakeStream([line("ADDED", obj("a", "11")), expired_event()]),
            FakeStream([line("ADDED", obj("c", "31"))]),
        ],
        [([obj("b", "25")], "30")],
    )
    watcher = script.watcher(resource_version="10")
    assert seen(take(watcher, 4)) == [
        ("ADDED", "a", "11"),
        ("ADDED", "b", "25"),
        ("DELETED", "a", "11"),
        ("ADDED", "c", "31"),
    ]
    assert script.started == ["10", "30"]
    assert script.relists == 1


def test_known_objects_seed_the_state() -> None:
    script = Script(
        [Expired(410, "Expired", "too old"), FakeStream([bookmark("41")])],
        [([obj("a", "1")], "40")],
    )
    watcher = script.watcher(resource_version="5", known=[obj("a", "1"), obj("b", "2")])
    assert seen(take(watcher, 2)) == [("DELETED", "b", "2"), ("BOOKMARK", "", "41")]
    assert watcher.resource_version == "41"


def test_version_too_large_relists() -> None:
    too_large = ApiError(
        504,
        "Timeout",
        "Too large resource version",
        details={"causes": [{"reason": "ResourceVersionTooLarge", "message": "x"}]},
    )
    script = Script(
        [too_large, FakeStream([line("ADDED", obj("b", "61"))])],
        [([obj("a", "55")], "60")],
    )
    watcher = script.watcher(resource_version="999")
    assert seen(take(watcher, 2)) == [("ADDED", "a", "55"), ("ADDED", "b", "61")]
    assert script.started == ["999", "60"]


def test_repeated_410_after_a_relist_waits() -> None:
    gone = Expired(410, "Expired", "too old")
    script = Script(
        [gone, gone, FakeStream([line("ADDED", obj("z", "9"))])],
        [([], "5"), ([], "6")],
    )
    watcher = script.watcher(resource_version="1", backoff_base=1.0)
    assert seen(take(watcher, 1)) == [("ADDED", "z", "9")]
    assert script.relists == 2
    assert len(script.sleeps) == 1  # the first 410 relists at once, the second waits


def test_stopping_during_a_relist_keeps_the_old_version() -> None:
    script = Script(
        [FakeStream([line("ADDED", obj("c", "11"))])],
        [
            ([obj("a", "1"), obj("b", "2")], "10"),
            ([obj("a", "1"), obj("b", "2")], "10"),
        ],
    )
    watcher = script.watcher()
    assert seen(take(watcher, 1)) == [("ADDED", "a", "1")]
    assert watcher.resource_version is None
    # The next iteration relists again and shows only what was not shown yet.
    assert seen(take(watcher, 2)) == [("ADDED", "b", "2"), ("ADDED", "c", "11")]


def test_transient_errors_retried_others_raised() -> None:
    script = Script(
        [
            ServiceUnavailable(503, "ServiceUnavailable", "etcd down"),
            FakeStream([line("ADDED", obj("a", "11"))]),
            Forbidden(403, "Forbidden", "no watch for you"),
        ]
    )
    watcher = script.watcher(resource_version="10")
    events = iter(watcher)
    assert next(events).raw == obj("a", "11")
    with pytest.raises(Forbidden):
        next(events)


def test_transient_error_event_reconnects_from_the_last_version() -> None:
    internal = line(
        "ERROR",
        {"kind": "Status", "code": 500, "reason": "InternalError", "message": "x"},
    )
    script = Script(
        [
            FakeStream([line("ADDED", obj("a", "11")), internal]),
            FakeStream([line("ADDED", obj("b", "12"))]),
        ]
    )
    assert seen(take(script.watcher(resource_version="10"), 2)) == [
        ("ADDED", "a", "11"),
        ("ADDED", "b", "12"),
    ]
    assert script.started == ["10", "11"]


def test_relist_failures_are_retried() -> None:
    script = Script(
        [FakeStream([line("ADDED", obj("b", "11"))])],
        [
            ConnectionFailed("refused"),
            InternalError(500, "InternalError", "boom"),
            ([obj("a", "5")], "10"),
        ],
    )
    assert seen(take(script.watcher(), 2)) == [
        ("ADDED", "a", "5"),
        ("ADDED", "b", "11"),
    ]
    assert script.relists == 3 and len(script.sleeps) == 2


def test_malformed_event_is_raised() -> None:
    script = Script([FakeStream([b"not json\n"])])
    with pytest.raises(WatchDecodeError):
        take(script.watcher(resource_version="1"), 1)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_timeout_bounds_retrying() -> None:
    clock = FakeClock()
    down = ConnectionFailed("refused")
    script = Script([down] * 100)
    watcher = Watcher(
        start=script.start,
        relist=script.relist,
        decode=lambda raw: raw,
        resource_version="1",
        timeout=30.0,
        sleep=clock.sleep,
        clock=clock,
    )
    assert list(watcher) == []
    assert clock.now == pytest.approx(30.0)
    assert 5 < len(script.started) < 20  # backing off, not busy-looping


def test_timeout_aborts_a_quiet_stream() -> None:
    stream = FakeStream([line("ADDED", obj("a", "11"))], hang=True)
    script = Script([stream])
    watcher = script.watcher(resource_version="10", timeout=0.3)
    started = time.monotonic()
    assert seen(list(watcher)) == [("ADDED", "a", "11")]
    assert time.monotonic() - started < 3
    assert stream.closed.is_set()


# --- end to end over a real HTTP server --------------------------------------------------------

PATH = "/api/v1/namespaces/default/configmaps"


class ApiServer:
    """Serves a list at RV 10 and watch streams over a fixed event history.

    ``plan`` says, per watch connection, how it ends: "drop" (mid-event, without
    the final chunk), "gone" (410 at start), "hang" (stay quiet until closed).
    """

    def __init__(self, history: list[bytes], plan: list[str]) -> None:
        self.history = history  # events for RV 11, 12, ...
        self.plan = plan
        self.watch_versions: list[str | None] = []
        self.lists = 0
        self.done = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                try:
                    owner.handle(self)
                except OSError:
                    pass  # the client went away

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(
            target=self.httpd.serve_forever, args=(0.02,), daemon=True
        ).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        query = parse_qs(urlsplit(handler.path).query)
        if query.get("watch") != ["true"]:
            self.lists += 1
            body = {
                "kind": "ConfigMapList",
                "metadata": {"resourceVersion": "10"},
                "items": [obj("listed", "10")],
            }
            return self.send(handler, 200, json.dumps(body).encode())
        version = query.get("resourceVersion", [None])[0]
        self.watch_versions.append(version)
        mode = self.plan.pop(0) if self.plan else "hang"
        if mode == "gone":
            status = {
                "kind": "Status",
                "code": 410,
                "reason": "Expired",
                "message": "x",
            }
            return self.send(handler, 410, json.dumps(status).encode())
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        start = int(version or 10) - 10
        events = self.history[start:]
        if mode == "drop":
            for event in events[:3]:
                self.chunk(handler, event)
            # A chunk that promises a whole event, half of it, and the line dies.
            handler.wfile.write(b"%x\r\n%s" % (len(events[3]), events[3][:25]))
            handler.close_connection = True
            return None
        for event in events:
            self.chunk(handler, event)
        self.done.wait(10)  # "hang": keep the watch open and quiet
        return None

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, code: int, body: bytes) -> None:
        handler.send_response(code)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    @staticmethod
    def chunk(handler: BaseHTTPRequestHandler, data: bytes) -> None:
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        handler.wfile.flush()

    def close(self) -> None:
        self.done.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def api_server() -> Iterator[Callable[[list[str]], ApiServer]]:
    servers: list[ApiServer] = []
    history = [line("ADDED", obj(f"cm{rv}", str(rv))) for rv in range(11, 18)]

    def make(plan: list[str]) -> ApiServer:
        server = ApiServer(history, plan)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def http_watcher(
    server: ApiServer, sleeps: list[float], **options: Any
) -> tuple[Watcher[dict[str, Any]], Pipeline]:
    config = Config(host=server.url)
    transport = Pipeline(HTTPTransport(config), config)

    def start(resource_version: str | None) -> Any:
        params = {
            "watch": True,
            "resourceVersion": resource_version,
            "allowWatchBookmarks": True,
        }
        return transport.request(
            "GET", PATH, params=params, stream=True, timeout=(5, None)
        )

    def relist() -> tuple[list[dict[str, Any]], str]:
        data = transport.request("GET", PATH).json()
        return data["items"], data["metadata"]["resourceVersion"]

    watcher = Watcher(
        start=start,
        relist=relist,
        decode=lambda raw: raw,
        sleep=sleeps.append,
        **options,
    )
    return watcher, transport


def test_end_to_end_resume_after_the_server_drops_the_connection(
    api_server: Callable[[list[str]], ApiServer],
) -> None:
    server = api_server(["gone", "drop", "hang"])
    sleeps: list[float] = []
    watcher, transport = http_watcher(server, sleeps, resource_version="3", timeout=20)
    with transport:
        events = take(watcher, 1 + 7)
    assert seen(events) == [("ADDED", "listed", "10")] + [
        ("ADDED", f"cm{rv}", str(rv)) for rv in range(11, 18)
    ]
    # 410 for "3" -> relist at 10 -> drop after 13 (mid-event 14) -> resume at 13
    assert server.watch_versions == ["3", "10", "13"]
    assert server.lists == 1
    assert len(sleeps) == 1  # one pause, before reconnecting after the drop


def test_end_to_end_timeout_ends_a_quiet_watch(
    api_server: Callable[[list[str]], ApiServer],
) -> None:
    server = api_server(["hang"])
    watcher, transport = http_watcher(server, [], resource_version="16", timeout=0.5)
    started = time.monotonic()
    with transport:
        events = list(watcher)
    assert seen(events) == [("ADDED", "cm17", "17")]
    assert 0.4 < time.monotonic() - started < 5
    assert server.watch_versions == ["16"]

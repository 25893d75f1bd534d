"""Context cancellation over the HTTP transport, against raw loopback sockets that
answer slowly or never: a cancel from another thread ends the call within a
second and closes its connection; deadlines do the same; backoffs wake up."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from generator.runtime.config import Config
from generator.runtime.context import Context
from generator.runtime.errors import Cancelled, DeadlineExceeded
from generator.runtime.pipeline import Pipeline
from generator.runtime.transport.http import HTTPTransport
from generator.runtime.watch import WatchStream, iter_watch_events

_STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)


class QuietServer:
    """Accepts connections; ``mode`` "silent" never answers, "stream" sends a
    chunked head and one event, then nothing. Records when each peer hung up."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed_by_client: list[float] = []
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)  # the request
            if self.mode == "stream":
                event = b'{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a"}}}\n'
                conn.sendall(_STREAM_HEAD + b"%x\r\n%s\r\n" % (len(event), event))
            conn.settimeout(30)
            try:
                while conn.recv(65536):
                    pass
            except OSError:
                pass
            self.closed_by_client.append(time.monotonic())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop = True
        self.listener.close()


@pytest.fixture
def quiet() -> Iterator[Any]:
    servers: list[QuietServer] = []

    def start(mode: str) -> QuietServer:
        server = QuietServer(mode)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def pipeline_to(url: str) -> Pipeline:
    config = Config(host=url, timeout=(5.0, 30.0))
    return Pipeline(HTTPTransport(config), config)


class Cancel:
    """Cancels ``ctx`` after ``seconds`` from a timer thread; ``since()`` is the
    time elapsed since the cancel (what must stay under a second)."""

    def __init__(self, ctx: Context, seconds: float) -> None:
        self.at: float | None = None

        def fire() -> None:
            self.at = time.monotonic()
            ctx.cancel()

        threading.Timer(seconds, fire).start()

    def since(self) -> float:
        assert self.at is not None, "the cancel did not happen"
        return time.monotonic() - self.at


def cancel_after(ctx: Context, seconds: float) -> Cancel:
    return Cancel(ctx, seconds)


def test_cancel_ends_a_request_waiting_for_its_answer(quiet: Any) -> None:
    server = quiet("silent")
    pipeline = pipeline_to(server.url)
    ctx = Context()
    cancel = cancel_after(ctx, 0.2)
    with pytest.raises(Cancelled) as raised:
        pipeline.request("GET", "/api/v1/pods", ctx=ctx)
    assert not isinstance(raised.value, DeadlineExceeded)
    assert cancel.since() < 1.0
    deadline = time.monotonic() + 2
    while not server.closed_by_client and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.closed_by_client, "the connection was not closed"


def test_a_deadline_ends_a_request_and_is_reported_as_such(quiet: Any) -> None:
    server = quiet("silent")
    pipeline = pipeline_to(server.url)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        pipeline.request("GET", "/api/v1/pods", ctx=Context(timeout=0.3))
    assert 0.25 < time.monotonic() - started < 1.3


def test_cancel_ends_a_quiet_stream_and_closes_it(quiet: Any) -> None:
    server = quiet("stream")
    pipeline = pipeline_to(server.url)
    ctx = Context()
    response = pipeline.request("GET", "/api/v1/pods", stream=True, ctx=ctx)
    events = iter_watch_events(response, lambda raw: raw)
    assert next(events).type == "ADDED"
    cancel = cancel_after(ctx, 0.2)
    with pytest.raises(Cancelled):
        next(events)
    assert cancel.since() < 1.0
    deadline = time.monotonic() + 2
    while not server.closed_by_client and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.closed_by_client


def test_a_watch_stream_closed_from_another_thread_ends(quiet: Any) -> None:
    """Regression: closing a watch generator while another thread iterated it
    raised "generator already executing"."""
    server = quiet("stream")
    pipeline = pipeline_to(server.url)

    def events(ctx: Context) -> Iterator[Any]:
        response = pipeline.request("GET", "/api/v1/pods", stream=True, ctx=ctx)
        return iter_watch_events(response, lambda raw: raw)

    stream: WatchStream[Any] = WatchStream(events)
    assert next(stream).type == "ADDED"
    errors: list[BaseException] = []
    closer = threading.Timer(0.2, lambda: _record(stream.close, errors))
    started = time.monotonic()
    closer.start()
    assert list(stream) == []  # ends, quietly
    closer.join()
    assert errors == []
    assert time.monotonic() - started < 1.2  # the close came 0.2 s in
    assert stream.closed
    stream.close()  # twice is fine


def test_the_callers_context_raises_through_a_watch_stream(quiet: Any) -> None:
    server = quiet("stream")
    pipeline = pipeline_to(server.url)
    ctx = Context()

    def events(inner: Context) -> Iterator[Any]:
        response = pipeline.request("GET", "/api/v1/pods", stream=True, ctx=inner)
        return iter_watch_events(response, lambda raw: raw)

    stream: WatchStream[Any] = WatchStream(events, ctx)
    next(stream)
    cancel_after(ctx, 0.1)
    with pytest.raises(Cancelled):
        next(stream)


def test_cancel_wakes_a_backoff(quiet: Any) -> None:
    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))
    port = refused.getsockname()[1]
    refused.close()  # nothing listens: every attempt is refused and backed off
    pipeline = pipeline_to(f"http://127.0.0.1:{port}")
    pipeline.random = lambda: 1.0
    ctx = Context()
    cancel = cancel_after(ctx, 0.3)
    with pytest.raises(Cancelled):
        pipeline.request("GET", "/api", ctx=ctx)
    assert cancel.since() < 1.0


def test_child_contexts_follow_their_parent() -> None:
    parent = Context()
    child = parent.child(timeout=60)
    grandchild = child.child()
    seen: list[str] = []
    grandchild.on_cancel(lambda: seen.append("grandchild"))
    parent.cancel()
    assert child.done and grandchild.done and seen == ["grandchild"]
    assert isinstance(grandchild.error(), Cancelled)
    short = Context(timeout=0.05)
    inherited = short.child(timeout=60)
    assert inherited.deadline == short.deadline
    assert inherited.wait(5)
    assert isinstance(inherited.error(), DeadlineExceeded)
    with Context() as scoped:
        pass
    assert scoped.done
    with pytest.raises(ValueError):
        Context(timeout=-1)


def _record(call: Any, errors: list[BaseException]) -> None:
    try:
        call()
    except BaseException as error:
        errors.append(error)


# --- no raw exception escapes -----------------------------------------------------------


class ScriptedServer:
    """Answers every request with the same raw bytes, then closes."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(self.reply)

    def close(self) -> None:
        self.listener.close()


def test_a_broken_chunked_stream_is_a_stream_interrupted() -> None:
    """Regression: a dropped watch surfaced "invalid literal for int() with base 16"."""
    from generator.runtime.errors import StreamInterrupted

    event = b'{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a"}}}\n'
    server = ScriptedServer(
        _STREAM_HEAD + b"%x\r\n%s\r\nzz-not-hex\r\n" % (len(event), event)
    )
    try:
        pipeline = pipeline_to(f"http://127.0.0.1:{server.port}")
        response = pipeline.request("GET", "/api/v1/pods", stream=True)
        events = iter_watch_events(response, lambda raw: raw)
        assert next(events).type == "ADDED"
        with pytest.raises(StreamInterrupted, match="broke while reading"):
            next(events)
    finally:
        server.close()


def test_a_deeply_nested_response_is_a_decode_error() -> None:
    """Regression: a deeply nested body raised RecursionError out of the client."""
    from generator.runtime.errors import ApiError, ResponseDecodeError

    deep = b"[" * 200_000 + b"]" * 200_000
    head = b"HTTP/1.1 %d OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    for status in (200, 500):
        server = ScriptedServer(head % (status, len(deep)) + deep)
        try:
            pipeline = pipeline_to(f"http://127.0.0.1:{server.port}")
            pipeline.retry = type(pipeline.retry)(max_retries=0)
            if status == 200:
                with pytest.raises(ResponseDecodeError, match="nested too deeply"):
                    pipeline.request("GET", "/api/v1/pods").json()
            else:
                with pytest.raises(ApiError) as raised:
                    pipeline.request("GET", "/api/v1/pods")
                assert raised.value.status == 500
        finally:
            server.close()
    response = iter_watch_events(
        _OneChunk(b'{"type":"ADDED","object":' + deep + b"}\n"), dict
    )
    from generator.runtime.errors import WatchDecodeError

    with pytest.raises(WatchDecodeError, match="nested too deeply"):
        next(response)


class _OneChunk:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def iter_chunks(self, size: int = 65536) -> Iterator[bytes]:
        yield self.data

    def close(self) -> None:
        pass


def test_a_missing_ca_file_is_a_config_error(tmp_path: Any) -> None:
    """Regression: Config(ca_file=<missing>) raised a raw OSError from requests."""
    from generator.runtime.config import ConfigError

    missing = tmp_path / "nope.crt"
    config = Config(host="https://127.0.0.1:1", ca_file=str(missing))
    pipeline = Pipeline(HTTPTransport(config), config)
    with pytest.raises(ConfigError, match="nope.crt"):
        pipeline.request("GET", "/api")

"""Fixtures for the informer tests: a test API server per test, a ClientSet on
it that records every request, and helpers to wait for what handlers see."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


class Recorder:
    """A transport that remembers (method, path, query dict) of each request."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.sent: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()

    def send(self, request: Any) -> Any:
        with self._lock:
            self.sent.append((request.method, request.path, dict(request.query)))
        return self.inner.send(request)

    def close(self) -> None:
        self.inner.close()

    def queries(self, path_part: str) -> list[dict[str, str]]:
        with self._lock:
            return [q for m, p, q in self.sent if m == "GET" and path_part in p]


class Seen:
    """What one handler was given, in order, thread-safe."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any, Any]] = []
        self._cond = threading.Condition()

    def handlers(self) -> dict[str, Any]:
        return {
            "on_add": lambda obj: self._note("add", None, obj),
            "on_update": lambda old, new: self._note("update", old, new),
            "on_delete": lambda obj: self._note("delete", obj, None),
        }

    def _note(self, kind: str, old: Any, new: Any) -> None:
        with self._cond:
            self.events.append((kind, old, new))
            self._cond.notify_all()

    def wait_for(
        self, check: Callable[[list[tuple[str, Any, Any]]], bool], timeout: float = 10.0
    ) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not check(self.events):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def names(self, kind: str) -> list[str]:
        with self._cond:
            return [
                name_of(new if new is not None else old)
                for k, old, new in self.events
                if k == kind
            ]


def name_of(obj: Any) -> str:
    from kubeclient.cache import DeletedFinalStateUnknown

    if isinstance(obj, DeletedFinalStateUnknown):
        obj = obj.obj
    if isinstance(obj, dict):
        return str(obj["metadata"]["name"])
    return str(obj.metadata.name)


def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


@pytest.fixture
def kc(generated: Path) -> Any:
    import kubeclient

    return kubeclient


@pytest.fixture
def server(kc: Any) -> Iterator[Any]:
    from kubeclient.testing import ApiServer

    with ApiServer() as api:
        yield api


@pytest.fixture
def recorder(server: Any) -> Recorder:
    from kubeclient.transport.http import HTTPTransport

    return Recorder(HTTPTransport(server.config()))


@pytest.fixture
def cs(kc: Any, server: Any, recorder: Recorder) -> Any:
    return kc.ClientSet(server.config(), transport=recorder)


@pytest.fixture
def ctx(kc: Any) -> Iterator[Any]:
    context = kc.Context()
    yield context
    context.cancel()


def fast(informer: Any) -> Any:
    """Back off in milliseconds, not seconds (faults would make tests slow)."""
    from kubeclient.cache import Backoff

    informer.reflector.backoff = Backoff(initial=0.01, cap=0.05)
    return informer


def informer_threads() -> list[threading.Thread]:
    return [
        t
        for t in threading.enumerate()
        if t.name.startswith(("informer ", "handler ", "resync "))
    ]

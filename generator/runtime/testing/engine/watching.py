"""Watch streams: one JSON event per line, as the cacher sends them.

A stream is a generator reading the store's history with its own cursor: no
queue, no registration, nothing to release but the generator itself. Events are
filtered per watcher as the cacher does: an object entering the selection is
ADDED, one leaving it DELETED (its previous state, at the event's version). A
stream ends once its resource is no longer served (a deleted CRD), after the
events up to that point.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..._model import dumps
from ..protocol.status import status_body
from ..semantics.basics import present
from ..semantics.resource import Resource
from ..semantics.selectors import Selection
from .store import Compacted, Event, Store, metadata

#: How often an idle stream yields b"", so the HTTP layer notices a gone client.
HEARTBEAT = 0.5
INITIAL_EVENTS_END = "k8s.io/initial-events-end"

Render = Callable[[dict[str, Any], bool], bytes]


@dataclass
class WatchSpec:
    resource: Resource
    namespace: str | None
    selection: Selection
    start_rv: int
    #: objects to announce as ADDED first (resourceVersion "" / "0", watch-list)
    initial: list[dict[str, Any]] | None = None
    #: watch-list: a BOOKMARK annotated initial-events-end after the initial events
    initial_end_bookmark: bool = False
    bookmarks: bool = False
    timeout: float = 1800.0
    bookmark_interval: float = 60.0
    #: object -> JSON for the event (Tables); None: the object as stored
    render: Render | None = None
    #: bookmarks go through ``render`` too (metadata-only watches, as the server)
    render_bookmarks: bool = False


def line(kind: str, obj_json: bytes) -> bytes:
    return b'{"type":"' + kind.encode() + b'","object":' + obj_json + b"}\n"


def error_line(code: int, reason: str, message: str) -> bytes:
    return line("ERROR", dumps(status_body(code, reason, message)))


def expired_line(error: Compacted) -> bytes:
    return error_line(410, "Expired", str(error))


class _Watch:
    def __init__(self, store: Store, spec: WatchSpec) -> None:
        self.store = store
        self.spec = spec
        self.key = spec.resource.storage_key
        self.api_version = spec.resource.info.api_version
        self.first = True  # Tables: column definitions go with the first event only

    def encode(
        self, kind: str, obj: dict[str, Any], event: Event | None = None
    ) -> bytes:
        render = self.spec.render
        if render is not None:
            data = render(present(self.spec.resource, obj), self.first)
        elif (
            event is not None
            and obj is event.obj
            and obj.get("apiVersion") == self.api_version
        ):
            data = event.object_json()
        else:
            data = dumps(present(self.spec.resource, obj))
        self.first = False
        return line(kind, data)

    def bookmark(self, rv: int, initial_end: bool = False) -> bytes:
        meta: dict[str, Any] = {"resourceVersion": str(rv), "creationTimestamp": None}
        if initial_end:
            meta["annotations"] = {INITIAL_EVENTS_END: "true"}
        info = self.spec.resource.info
        obj = {"kind": info.kind, "apiVersion": info.api_version, "metadata": meta}
        render = self.spec.render
        if render is not None and self.spec.render_bookmarks:
            return line("BOOKMARK", render(obj, False))
        return line("BOOKMARK", dumps(obj))

    def visible(self, obj: dict[str, Any] | None) -> bool:
        if obj is None:
            return False
        namespace = self.spec.namespace
        if namespace and metadata(obj).get("namespace") != namespace:
            return False
        return self.spec.selection.matches(obj)

    def translate(self, event: Event) -> bytes | None:
        """The event this watcher sees, if any (cacher.go's filtering)."""
        now_in = event.type != "DELETED" and self.visible(event.obj)
        was_in = self.visible(event.prev)
        if now_in:
            return self.encode("MODIFIED" if was_in else "ADDED", event.obj, event)
        if was_in:
            gone = event.obj
            if event.type != "DELETED":
                assert event.prev is not None
                meta = {**metadata(event.prev), "resourceVersion": str(event.rv)}
                gone = {**event.prev, "metadata": meta}
            return self.encode("DELETED", gone)
        return None

    def run(self) -> Iterator[bytes]:
        spec = self.spec
        for obj in spec.initial or ():
            if self.visible(obj):
                yield self.encode("ADDED", obj)
        cursor = spec.start_rv
        if spec.initial_end_bookmark and spec.bookmarks:
            yield self.bookmark(cursor, initial_end=True)
        deadline = time.monotonic() + spec.timeout
        next_bookmark = time.monotonic() + spec.bookmark_interval
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                if spec.bookmarks:
                    yield self.bookmark(cursor)
                return
            wait = min(left, HEARTBEAT, max(next_bookmark - time.monotonic(), 0))
            try:
                events = self.store.wait_events(cursor, wait)
            except Compacted:
                return  # fell behind the history: ended, as the cacher drops it
            if self.store.closed:
                return
            sent = False
            for event in events:
                cursor = event.rv
                if event.key == self.key:
                    data = self.translate(event)
                    if data is not None:
                        sent = True
                        yield data
            removed = spec.resource.removed_at
            if removed is not None and cursor >= removed:
                return  # no longer served (its CRD is gone): the watch ends
            if spec.bookmarks and time.monotonic() >= next_bookmark:
                next_bookmark = time.monotonic() + spec.bookmark_interval
                yield self.bookmark(cursor)
            elif not sent:
                yield b""  # heartbeat


def stream(store: Store, spec: WatchSpec) -> Iterator[bytes]:
    return _Watch(store, spec).run()

"""The storage engine: objects by resource, one global resourceVersion counter, and
a bounded event history (what etcd's revision log and the watch cache give a real
server).

* Every committed change takes the next resourceVersion and appends exactly one
  event, so event ``i`` of the history has resourceVersion ``first + i``.
* Stored dicts are never changed after commit (writers build new ones), so readers
  may hand them out without copying, and an event can keep a reference to both the
  new and the previous state.
* Lists at an older resourceVersion (pagination, ``resourceVersionMatch=Exact``)
  roll the current state back through the history; a version older than the
  history is "compacted" (410 Expired), as on a real server.
* Watchers read the history with a cursor; none has a queue, so a slow or idle
  watcher costs no memory, and one that falls behind the history is ended.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..._model import deepcopy_json, dumps

StorageKey = tuple[str, str]  # (group, plural)
ObjectKey = tuple[str, str]  # (namespace, name); namespace "" when cluster-scoped


def metadata(obj: Any) -> dict[str, Any]:
    """An object's metadata; {} when missing or malformed. Stored objects are read
    defensively: one malformed object (a fixture, a bug) must not break the
    lists, watches and collections of the others."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return meta if isinstance(meta, dict) else {}


def etcd_order(key: ObjectKey) -> str:
    """Where an object sorts in a list: etcd's key order, ``namespace/name``
    as a string (so ``team-a/x`` comes before ``team/x``: '-' < '/'), the
    order continue tokens resume in."""
    namespace, name = key
    return f"{namespace}/{name}" if namespace else name


_FIRST_KEYS = ("kind", "apiVersion", "metadata")


def go_order(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with TypeMeta and ObjectMeta's keys first (a new dict)."""
    ordered = {k: obj[k] for k in _FIRST_KEYS if k in obj}
    ordered.update(obj)
    return ordered


def object_key(obj: dict[str, Any]) -> ObjectKey:
    meta = metadata(obj)
    namespace, name = meta.get("namespace"), meta.get("name")
    return (
        namespace if isinstance(namespace, str) else str(namespace or ""),
        name if isinstance(name, str) else str(name or ""),
    )


@dataclass(eq=False)
class Event:
    rv: int
    key: StorageKey
    type: str  # ADDED, MODIFIED, DELETED
    obj: dict[str, Any]
    prev: dict[str, Any] | None
    _json: bytes | None = field(default=None, repr=False)

    def object_json(self) -> bytes:
        """The object's JSON, encoded once for every watcher."""
        raw = self._json
        if raw is None:
            raw = self._json = dumps(self.obj)
        return raw


class Compacted(Exception):
    """The requested resourceVersion is older than the kept history."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


class History:
    """Events in resourceVersion order; the oldest are dropped past ``capacity``."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._events: list[Event] = []
        self.compacted_rv = 0  # every event after this one is kept

    def append(self, event: Event) -> None:
        self._events.append(event)
        excess = len(self._events) - self.capacity
        if excess > self.capacity // 8:  # drop in chunks: amortised O(1)
            self.compacted_rv = self._events[excess - 1].rv
            del self._events[:excess]

    def since(self, rv: int, limit: int | None = None) -> list[Event]:
        """Events after ``rv`` (at most ``limit``); Compacted if some are gone."""
        if rv < self.compacted_rv:
            raise Compacted(rv, self.compacted_rv)
        if not self._events:
            return []
        start = rv - self._events[0].rv + 1
        stop = None if limit is None else start + limit
        return self._events[max(start, 0) : stop]


class Store:
    """Objects of every resource; all access under ``lock``."""

    def __init__(self, history: int = 10_000) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.rv = 0
        self.history = History(history)
        self.closed = False
        self._data: dict[StorageKey, dict[ObjectKey, dict[str, Any]]] = {}
        #: objects with ownerReferences: the garbage collector looks only at these
        self.owned: set[tuple[StorageKey, ObjectKey]] = set()

    # -- reads

    def get(self, key: StorageKey, namespace: str, name: str) -> dict[str, Any] | None:
        return self._data.get(key, {}).get((namespace, name))

    def objects(
        self, key: StorageKey, namespace: str | None = None
    ) -> list[dict[str, Any]]:
        """Current objects, in etcd key order (:func:`etcd_order`)."""
        with self.lock:
            data = self._data.get(key, {})
            keys = sorted(
                (k for k in data if namespace is None or k[0] == namespace),
                key=etcd_order,
            )
            return [data[k] for k in keys]

    def snapshot(
        self, key: StorageKey, rv: int, namespace: str | None = None
    ) -> list[dict[str, Any]]:
        """The objects as they were at resourceVersion ``rv`` (Compacted if too old)."""
        with self.lock:
            if rv >= self.rv:
                return self.objects(key, namespace)
            state = dict(self._data.get(key, {}))
            for event in reversed(self.history.since(rv)):
                if event.key != key:
                    continue
                okey = object_key(event.obj)
                if event.prev is None:
                    state.pop(okey, None)
                else:
                    state[okey] = event.prev
        keys = sorted(
            (k for k in state if namespace is None or k[0] == namespace),
            key=etcd_order,
        )
        return [state[k] for k in keys]

    def storage_keys(self) -> list[StorageKey]:
        with self.lock:
            return list(self._data)

    # -- writes (callers build a fresh dict; the store stamps its resourceVersion)

    def put(self, key: StorageKey, obj: dict[str, Any]) -> dict[str, Any]:
        """Create or replace ``obj``; returns it with its new resourceVersion
        (and kind, apiVersion, metadata first, as Go writes every object)."""
        if next(iter(obj), None) != "kind":
            obj = go_order(obj)
        with self.lock:
            okey = object_key(obj)
            bucket = self._data.setdefault(key, {})
            prev = bucket.get(okey)
            self.rv += 1
            if not isinstance(obj.get("metadata"), dict):
                obj["metadata"] = {}  # somewhere to keep the resourceVersion
            obj["metadata"]["resourceVersion"] = str(self.rv)
            bucket[okey] = obj
            if obj["metadata"].get("ownerReferences"):
                self.owned.add((key, okey))
            else:
                self.owned.discard((key, okey))
            kind = "ADDED" if prev is None else "MODIFIED"
            self.history.append(Event(self.rv, key, kind, obj, prev))
            self.changed.notify_all()
            return obj

    def remove(self, key: StorageKey, obj: dict[str, Any]) -> dict[str, Any] | None:
        """Delete the stored object; returns its last state stamped with the
        deletion's resourceVersion (what DELETED watch events carry)."""
        with self.lock:
            okey = object_key(obj)
            prev = self._data.get(key, {}).pop(okey, None)
            if prev is None:
                return None
            self.owned.discard((key, okey))
            self.rv += 1
            gone = {
                **prev,
                "metadata": {**metadata(prev), "resourceVersion": str(self.rv)},
            }
            self.history.append(Event(self.rv, key, "DELETED", gone, prev))
            self.changed.notify_all()
            return gone

    def wait_events(self, after: int, timeout: float, limit: int = 256) -> list[Event]:
        """Events after resourceVersion ``after``, waiting up to ``timeout`` for one."""
        with self.changed:
            if self.rv <= after and not self.closed and timeout > 0:
                self.changed.wait(timeout)
            return self.history.since(after, limit)

    def wait_for_rv(self, rv: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.rv >= rv, timeout)

    def close(self) -> None:
        """Wake every watcher so that streams end when the server stops."""
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    # -- conveniences for tests (no API semantics: raw storage access)

    def dump(self) -> Iterator[tuple[StorageKey, dict[str, Any]]]:
        """Every stored object (copies), for assertions in tests."""
        with self.lock:
            items = [
                (k, o) for k, bucket in self._data.items() for o in bucket.values()
            ]
        for key, obj in items:
            yield key, deepcopy_json(obj)

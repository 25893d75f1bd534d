"""core/v1 aggregation, as client-go's ``EventCorrelator``.

Two steps, each keyed as client-go keys them:

* the aggregator: events differing only in their message (same source, object,
  type and reason) seen more than 10 times within 10 minutes become one event
  whose message reads "(combined from similar events): <the latest message>";
* the logger: an event identical to one written before (same source, object,
  type, reason and message) is not written again but patched: ``count`` + 1,
  ``lastTimestamp`` and ``message``, keeping the first one's name and
  ``firstTimestamp``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .reference import UniqueNanos, event_name, wire_time
from .spam import LRU

__all__ = ["Correlated", "EventCorrelator"]

DEFAULT_AGGREGATE_MAX_EVENTS = 10
DEFAULT_AGGREGATE_INTERVAL = 600.0
COMBINED = "(combined from similar events): "


@dataclass(frozen=True)
class Correlated:
    """What to write: ``event`` (created when ``patch`` is None, else the
    existing event named in it patched with ``patch``)."""

    event: dict[str, Any]
    patch: dict[str, Any] | None


@dataclass
class _Aggregate:
    messages: set[str] = field(default_factory=set)
    last_seen: float = float("-inf")


@dataclass(frozen=True)
class _Observation:
    count: int
    first_timestamp: str
    name: str
    resource_version: str


def _text(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    return value if isinstance(value, str) else ""


def _aggregate_key(event: Mapping[str, Any]) -> tuple[str, ...]:
    source = event.get("source") or {}
    ref = event.get("involvedObject") or {}
    return (
        _text(source, "component"),
        _text(source, "host"),
        *(_text(ref, k) for k in ("kind", "namespace", "name", "uid", "apiVersion")),
        _text(event, "type"),
        _text(event, "reason"),
        _text(event, "reportingComponent"),
        _text(event, "reportingInstance"),
    )


def event_key(event: Mapping[str, Any]) -> tuple[str, ...]:
    """What makes two core/v1 events the same (client-go's ``getEventKey``)."""
    source = event.get("source") or {}
    ref = event.get("involvedObject") or {}
    fields = ("kind", "namespace", "name", "fieldPath", "uid", "apiVersion")
    return (
        _text(source, "component"),
        _text(source, "host"),
        *(_text(ref, k) for k in fields),
        _text(event, "type"),
        _text(event, "reason"),
        _text(event, "message"),
    )


class EventCorrelator:
    """Turns each new core/v1 event into a create or a patch; thread-safe."""

    def __init__(
        self,
        clock: Callable[[], float],
        nanos: UniqueNanos,
        *,
        max_events: int = DEFAULT_AGGREGATE_MAX_EVENTS,
        max_interval: float = DEFAULT_AGGREGATE_INTERVAL,
    ) -> None:
        self._clock = clock
        self._nanos = nanos
        self.max_events = max_events
        self.max_interval = max_interval
        self._lock = threading.Lock()
        self._aggregates: LRU[tuple[str, ...], _Aggregate] = LRU()
        self._observed: LRU[tuple[str, ...], _Observation] = LRU()

    def correlate(self, event: Mapping[str, Any]) -> Correlated:
        with self._lock:
            aggregated, key = self._aggregate(event)
            return self._observe(aggregated, key)

    def _aggregate(
        self, event: Mapping[str, Any]
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        now = self._clock()
        key = _aggregate_key(event)
        record = self._aggregates.get(key)
        if record is None or now - record.last_seen > self.max_interval:
            record = _Aggregate()
        record.messages.add(_text(event, "message"))
        record.last_seen = now
        self._aggregates.put(key, record)
        if len(record.messages) < self.max_events:
            return dict(event), event_key(event)
        record.messages.pop()  # do not grow beyond the threshold
        ref = dict(event.get("involvedObject") or {})
        stamp = wire_time(now)
        combined = {
            **{k: v for k, v in event.items() if k != "metadata"},
            "metadata": {
                "name": event_name(_text(ref, "name"), self._nanos(now)),
                "namespace": (event.get("metadata") or {}).get("namespace"),
            },
            "message": COMBINED + _text(event, "message"),
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
        }
        return combined, key

    def _observe(self, event: dict[str, Any], key: tuple[str, ...]) -> Correlated:
        last = self._observed.get(key)
        patch: dict[str, Any] | None = None
        if last is not None and last.count > 0:
            meta = dict(event.get("metadata") or {})
            meta["name"] = last.name
            if last.resource_version:
                meta["resourceVersion"] = last.resource_version
            event["metadata"] = meta
            event["firstTimestamp"] = last.first_timestamp
            event["count"] = last.count + 1
            patch = {
                "count": event["count"],
                "lastTimestamp": event.get("lastTimestamp"),
                "message": event.get("message"),
            }
        self._observed.put(key, self._observation_of(event))
        return Correlated(event, patch)

    def update_state(self, written: Mapping[str, Any]) -> None:
        """Remember the server's copy (name, resourceVersion, count) of a
        written event, so the next repeat patches it."""
        with self._lock:
            self._observed.put(event_key(written), self._observation_of(written))

    @staticmethod
    def _observation_of(event: Mapping[str, Any]) -> _Observation:
        meta = event.get("metadata") or {}
        count = event.get("count")
        return _Observation(
            count=count if isinstance(count, int) else 1,
            first_timestamp=_text(event, "firstTimestamp"),
            name=_text(meta, "name"),
            resource_version=_text(meta, "resourceVersion"),
        )

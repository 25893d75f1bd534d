"""events.k8s.io/v1 series, as client-go's ``tools/events`` broadcaster.

The first occurrence of an event is created. The second identical one (same
object, related object, action, reason, type, note and reporting controller)
turns it into a series: ``series: {count: 2, lastObservedTime}`` is patched
onto it at once. Later repeats only count in memory; the counts are written
by the heartbeat (every 30 minutes, for every live series), when the series
ends (6 minutes without a repeat) and at shutdown. A finished series is
forgotten, so the next repeat starts a new event.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .reference import micro_time
from .spam import LRU

__all__ = ["FINISH_AFTER", "REFRESH_EVERY", "SeriesCache", "series_patch"]

#: client-go's finishTime and refreshTime.
FINISH_AFTER = 6 * 60.0
REFRESH_EVERY = 30 * 60.0

Key = tuple[str, ...]


def _ref_key(ref: Any) -> tuple[str, ...]:
    ref = ref if isinstance(ref, Mapping) else {}
    fields = ("kind", "namespace", "name", "uid", "apiVersion", "fieldPath")
    return tuple(str(ref.get(k) or "") for k in fields)


def isomorphic_key(event: Mapping[str, Any]) -> Key:
    """client-go's ``getKey`` (action, reason, reporting controller, regarding,
    related), with the type and the note too, so that a series never carries
    a note other than its events'."""
    return (
        *(str(event.get(k) or "") for k in ("action", "reason", "type", "note")),
        str(event.get("reportingController") or ""),
        *_ref_key(event.get("regarding")),
        *_ref_key(event.get("related")),
    )


def series_patch(event: Mapping[str, Any]) -> dict[str, Any]:
    """The strategic merge patch of a series update (what client-go's
    ``createPatchBytesForSeries`` computes)."""
    return {"series": dict(event["series"])}


@dataclass
class _Entry:
    event: dict[str, Any]
    first_at: float
    count: int = 1
    last_observed: float = 0.0
    dirty: bool = False  # counted repeats not written yet

    def with_series(self) -> dict[str, Any]:
        event = copy.deepcopy(self.event)
        event["series"] = {
            "count": self.count,
            "lastObservedTime": micro_time(self.last_observed),
        }
        return event


class SeriesCache:
    """The isomorphic events seen lately; thread-safe."""

    def __init__(
        self, clock: Callable[[], float], *, finish_after: float = FINISH_AFTER
    ) -> None:
        self._clock = clock
        self.finish_after = finish_after
        self._lock = threading.Lock()
        self._entries: LRU[Key, _Entry] = LRU()

    def observe(
        self, event: Mapping[str, Any], at: float | None = None
    ) -> dict[str, Any] | None:
        """The event to write now (a new one, or its series' first patch), or
        None when the repeat is only counted; ``at``: when it happened."""
        key = isomorphic_key(event)
        now = self._clock() if at is None else at
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                fresh = copy.deepcopy(dict(event))
                self._entries.put(key, _Entry(fresh, first_at=now))
                return copy.deepcopy(fresh)
            entry.count += 1
            entry.last_observed = now
            if entry.count == 2:
                entry.dirty = False
                return entry.with_series()
            entry.dirty = True
            return None

    def refresh(self) -> list[dict[str, Any]]:
        """Every live series, to write (the heartbeat)."""
        with self._lock:
            entries = [e for _, e in self._entries.items() if e.count > 1]
            for entry in entries:
                entry.dirty = False
            return [e.with_series() for e in entries]

    def finish(self) -> list[dict[str, Any]]:
        """The series that ended (no repeat for ``finish_after``), with their
        final counts, to write; they and old single events are forgotten."""
        cutoff = self._clock() - self.finish_after
        ended: list[dict[str, Any]] = []
        with self._lock:
            for key, entry in self._entries.items():
                if entry.count > 1 and entry.last_observed < cutoff:
                    ended.append(entry.with_series())
                    self._entries.pop(key)
                elif entry.count == 1 and entry.first_at < cutoff:
                    self._entries.pop(key)
        return ended

    def pending(self) -> list[dict[str, Any]]:
        """The series with repeats not written yet (for a flush at shutdown)."""
        with self._lock:
            entries = [e for _, e in self._entries.items() if e.dirty]
            for entry in entries:
                entry.dirty = False
            return [e.with_series() for e in entries]

"""One recorded occurrence, and how it reads as a core/v1 or an events.k8s.io/v1
Event (client-go's ``record.makeEvent`` and ``events.recorder.makeEvent``)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .reference import event_name, micro_time, wire_time

__all__ = ["CORE", "EVENTS_V1", "Occurrence"]

#: The two APIs an event can be written to, as (group, version).
EVENTS_V1 = ("events.k8s.io", "v1")
CORE = ("", "v1")

#: events.k8s.io/v1 rejects a longer note (validation's NoteLengthLimit).
NOTE_LIMIT = 1024


@dataclass(frozen=True)
class Occurrence:
    """What a recorder was told, with when and by whom; API-neutral."""

    regarding: Mapping[str, str]  # an ObjectReference
    type: str
    reason: str
    message: str
    action: str
    component: str
    instance: str
    at: float  # unix seconds
    nanos: int  # unique in this process, for the event's name
    related: Mapping[str, str] | None = None
    annotations: Mapping[str, str] | None = None

    @property
    def namespace(self) -> str:
        """The event's namespace: its object's, or "default" for a
        cluster-scoped object (as client-go)."""
        return self.regarding.get("namespace") or "default"

    def _metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "name": event_name(self.regarding["name"], self.nanos),
            "namespace": self.namespace,
        }
        if self.annotations:
            meta["annotations"] = dict(self.annotations)
        return meta

    def core_event(self) -> dict[str, Any]:
        """A core/v1 Event, count 1."""
        now = wire_time(self.at)
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": self._metadata(),
            "involvedObject": dict(self.regarding),
            "reason": self.reason,
            "message": self.message,
            "type": self.type,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "source": {"component": self.component, "host": self.instance},
            "reportingComponent": self.component,
            "reportingInstance": self.instance,
        }

    def events_event(self) -> dict[str, Any]:
        """An events.k8s.io/v1 Event, without a series."""
        event: dict[str, Any] = {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": self._metadata(),
            "eventTime": micro_time(self.at),
            "reportingController": self.component,
            "reportingInstance": self.instance,
            "action": self.action,
            "reason": self.reason,
            "regarding": dict(self.regarding),
            "note": _truncated(self.message, NOTE_LIMIT),
            "type": self.type,
        }
        if self.related:
            event["related"] = dict(self.related)
        return event


def _truncated(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, on a character boundary."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", errors="ignore")


def deep_copy(event: Mapping[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(dict(event))

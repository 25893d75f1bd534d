"""What an event is about: the object reference, timestamps and the event name.

client-go takes a ``runtime.Object`` and asks the scheme for its kind
(``reference.GetReference``); here the object is a typed model or a wire dict
and its own ``apiVersion``/``kind`` (a typed model's class knows them when the
object does not) say what it is.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .._model import Model

__all__ = [
    "EVENT_TYPES",
    "InvalidEvent",
    "default_instance",
    "event_name",
    "micro_time",
    "object_reference",
    "UniqueNanos",
    "wire_time",
]

#: The event types the API server accepts (core/v1 EventTypeNormal, EventTypeWarning).
EVENT_TYPES = ("Normal", "Warning")

#: The reference fields copied from the object, in ObjectReference's wire names.
_META_FIELDS = ("namespace", "name", "uid", "resourceVersion")


class InvalidEvent(ValueError):
    """An event that cannot be recorded (no object name, an unknown type ...)."""


def object_reference(obj: Model | Mapping[str, Any]) -> dict[str, str]:
    """An ObjectReference (apiVersion, kind, namespace, name, uid,
    resourceVersion) for a typed model or a wire dict; fields it lacks are left
    out. An object without a kind or a name raises :class:`InvalidEvent`."""
    wire: Mapping[str, Any]
    if isinstance(obj, Model):
        wire = obj.to_dict(copy=False)
        kind = wire.get("kind") or type(obj)._kind_
        api_version = wire.get("apiVersion") or type(obj)._api_version_
    elif isinstance(obj, Mapping):
        wire = obj
        kind, api_version = wire.get("kind"), wire.get("apiVersion")
    else:
        raise InvalidEvent(
            f"an event needs a typed model or a wire dict, not {type(obj).__name__}"
        )
    meta = wire.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    if not isinstance(kind, str) or not kind:
        raise InvalidEvent("the object of an event needs a kind")
    if not isinstance(meta.get("name"), str) or not meta["name"]:
        raise InvalidEvent(f"the {kind} of an event needs metadata.name")
    ref = {"kind": kind}
    if isinstance(api_version, str) and api_version:
        ref["apiVersion"] = api_version
    for key in _META_FIELDS:
        value = meta.get(key)
        if isinstance(value, str) and value:
            ref[key] = value
    return ref


class UniqueNanos:
    """Unix nanoseconds for event names, each above the one before: two events
    on one object in the same clock tick (a float clock ticks every ~240 ns; a
    test's fake clock not at all) get two names. One per broadcaster."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def __call__(self, unix_seconds: float) -> int:
        nanos = int(unix_seconds * 1e9)
        with self._lock:
            nanos = max(nanos, self._last + 1)
            self._last = nanos
        return nanos


def event_name(object_name: str, nanos: int) -> str:
    """``<object name>.<hex unix nanoseconds>``, as client-go names events."""
    return f"{object_name}.{nanos:x}"


def wire_time(unix_seconds: float) -> str:
    """A metav1.Time: RFC 3339 in UTC, whole seconds."""
    moment = datetime.fromtimestamp(unix_seconds, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_time(unix_seconds: float) -> str:
    """A metav1.MicroTime: RFC 3339 in UTC with microseconds."""
    moment = datetime.fromtimestamp(unix_seconds, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_instance() -> str:
    """The reporting instance when none is given: the host name (client-go's
    ``os.Hostname()``)."""
    try:
        return socket.gethostname() or "unknown"
    except OSError:
        return "unknown"

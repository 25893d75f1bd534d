"""FakeRecorder for unit tests, as client-go's ``record.FakeRecorder``: every
event becomes the string ``"<type> <reason> <message>"`` (annotated ones end
with `` map[key:value ...]``, as Go prints the map), kept in ``events`` in order."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from .goformat import go_sprintf
from .recorder import Recordable
from .reference import object_reference

__all__ = ["FakeRecorder"]


class FakeRecorder:
    """Records events as strings; ``include_object`` appends the object as
    client-go's ``IncludeObject`` does (``involvedObject{kind=...,...}``)."""

    def __init__(self, *, include_object: bool = False) -> None:
        self.include_object = include_object
        self._lock = threading.Lock()
        self._events: list[str] = []

    @property
    def events(self) -> list[str]:
        """The events recorded so far, oldest first (a copy)."""
        with self._lock:
            return list(self._events)

    def pop(self) -> str | None:
        """The oldest event not popped yet, or None (client-go's channel read)."""
        with self._lock:
            return self._events.pop(0) if self._events else None

    def clear(self) -> None:
        with self._lock:
            self._events.clear()

    def event(
        self,
        obj: Recordable,
        type: str,
        reason: str,
        message: str,
        *,
        action: str | None = None,
        related: Recordable | None = None,
    ) -> None:
        self._add(obj, f"{type} {reason} {message}")

    def eventf(
        self, obj: Recordable, type: str, reason: str, fmt: str, *args: Any
    ) -> None:
        self._add(obj, f"{type} {reason} {go_sprintf(fmt, args)}")

    def annotated_eventf(
        self,
        obj: Recordable,
        annotations: Mapping[str, str],
        type: str,
        reason: str,
        fmt: str,
        *args: Any,
    ) -> None:
        pairs = " ".join(f"{k}:{v}" for k, v in sorted(annotations.items()))
        self._add(obj, f"{type} {reason} {go_sprintf(fmt, args)} map[{pairs}]")

    def _add(self, obj: Recordable, text: str) -> None:
        if self.include_object:
            text += " " + _describe(obj)
        with self._lock:
            self._events.append(text)


def _describe(obj: Recordable) -> str:
    try:
        ref = object_reference(obj)
    except ValueError:
        return "involvedObject{}"
    fields = ("kind", "namespace", "name", "apiVersion")
    inner = ",".join(f"{k}={ref.get(k, '')}" for k in fields)
    return f"involvedObject{{{inner}}}"

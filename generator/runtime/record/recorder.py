"""EventRecorder: what a controller calls (client-go's ``record.EventRecorder``:
``Event``, ``Eventf``, ``AnnotatedEventf``). Every call returns at once and
never raises: a bad event is logged and dropped, as client-go does."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from .._model import Model
from .goformat import go_sprintf
from .reference import EVENT_TYPES, InvalidEvent, UniqueNanos, object_reference
from .wire import Occurrence

__all__ = ["EventRecorder", "Recordable", "Recorder"]

_log = logging.getLogger(__name__)

#: what an event can be about: a typed model or a wire dict
Recordable = Model | Mapping[str, Any]


class Recorder(Protocol):
    """What controllers call: EventRecorder, or FakeRecorder in unit tests
    (client-go's ``record.EventRecorder`` interface)."""

    def event(
        self,
        obj: Recordable,
        type: str,
        reason: str,
        message: str,
        *,
        action: str | None = None,
        related: Recordable | None = None,
    ) -> None: ...

    def eventf(
        self, obj: Recordable, type: str, reason: str, fmt: str, *args: Any
    ) -> None: ...

    def annotated_eventf(
        self,
        obj: Recordable,
        annotations: Mapping[str, str],
        type: str,
        reason: str,
        fmt: str,
        *args: Any,
    ) -> None: ...


class EventRecorder:
    """Records events about objects for one component; thread-safe."""

    def __init__(
        self,
        submit: Callable[[Occurrence], None],
        component: str,
        instance: str,
        clock: Callable[[], float],
        nanos: UniqueNanos,
    ) -> None:
        self._submit = submit
        self._nanos = nanos
        self.component = component
        self.instance = instance
        self._clock = clock

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
        """Record that ``reason`` happened to ``obj``; ``type`` is "Normal" or
        "Warning". ``action`` (events.k8s.io's, default: the reason) and
        ``related`` (a second object involved) are optional."""
        self._record(obj, None, type, reason, message, action, related)

    def eventf(
        self, obj: Recordable, type: str, reason: str, fmt: str, *args: Any
    ) -> None:
        """``event`` with a Go format (``%s``, ``%q``, ``%v``, ``%d`` ...)."""
        self._record(obj, None, type, reason, go_sprintf(fmt, args), None, None)

    def annotated_eventf(
        self,
        obj: Recordable,
        annotations: Mapping[str, str],
        type: str,
        reason: str,
        fmt: str,
        *args: Any,
    ) -> None:
        """``eventf`` with annotations on the Event written."""
        message = go_sprintf(fmt, args)
        self._record(obj, annotations, type, reason, message, None, None)

    def _record(
        self,
        obj: Recordable,
        annotations: Mapping[str, str] | None,
        type: str,
        reason: str,
        message: str,
        action: str | None,
        related: Recordable | None,
    ) -> None:
        try:
            occurrence = self._occurrence(
                obj, annotations, type, reason, message, action, related
            )
        except InvalidEvent as error:
            _log.error("event %r not recorded: %s", reason, error)
            return
        except Exception:  # never into the controller
            _log.exception("event %r not recorded", reason)
            return
        try:
            self._submit(occurrence)
        except Exception:
            _log.exception("event %r not recorded", reason)

    def _occurrence(
        self,
        obj: Recordable,
        annotations: Mapping[str, str] | None,
        type: str,
        reason: str,
        message: str,
        action: str | None,
        related: Recordable | None,
    ) -> Occurrence:
        if type not in EVENT_TYPES:
            raise InvalidEvent(
                f"unsupported event type {type!r} (expected Normal or Warning)"
            )
        if not isinstance(reason, str) or not isinstance(message, str):
            raise InvalidEvent("the reason and the message of an event are strings")
        at = self._clock()
        return Occurrence(
            regarding=object_reference(obj),
            type=type,
            reason=reason,
            message=message,
            action=action or reason,
            component=self.component,
            instance=self.instance,
            at=at,
            nanos=self._nanos(at),
            related=object_reference(related) if related is not None else None,
            annotations=(
                {str(k): str(v) for k, v in annotations.items()}
                if annotations
                else None
            ),
        )

    def __repr__(self) -> str:
        return f"<EventRecorder {self.component}@{self.instance}>"

"""Delivering notifications to event handlers (client-go's sharedProcessor and
processorListener).

Each handler has its own unbounded queue and its own thread: a slow handler
delays only itself, never the reflector or the other handlers, and each handler
sees its notifications in the order the cache changed.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["EventHandler", "Registration"]

_log = logging.getLogger(__package__ or "kubeclient")

T = TypeVar("T")

ADD, UPDATE, DELETE, SYNCED = "add", "update", "delete", "synced"


@dataclass(frozen=True)
class EventHandler(Generic[T]):
    """Callbacks: ``on_add(obj)``, ``on_update(old, new)``, ``on_delete(obj)``
    (``obj`` may be a :class:`~.keys.DeletedFinalStateUnknown`). Any may be None."""

    on_add: Callable[[T], object] | None = None
    on_update: Callable[[T, T], object] | None = None
    on_delete: Callable[[Any], object] | None = None


class Registration(Generic[T]):
    """One handler added to an informer: its own queue and delivery thread.

    ``has_synced()`` is true once the handler has been given every object of the
    informer's first list (or, for a handler added later, of the cache's contents).
    """

    def __init__(
        self, handler: EventHandler[T], resync_period: float, name: str
    ) -> None:
        self.handler = handler
        self.resync_period = resync_period
        self._name = name
        self._queue: deque[tuple[str, Any, Any]] = deque()
        self._ready = threading.Condition(threading.Lock())
        self._stopped = False
        self._synced = threading.Event()
        self._thread: threading.Thread | None = None
        self._removed = False
        self._remove: Callable[[Registration[T]], None] | None = None
        #: monotonic time of the next resync for this handler (0: not scheduled)
        self.next_resync = 0.0

    def __repr__(self) -> str:
        return f"<Registration {self._name} pending={len(self._queue)}>"

    def has_synced(self) -> bool:
        return self._synced.is_set()

    def wait_for_sync(self, timeout: float | None = None) -> bool:
        return self._synced.wait(timeout)

    def remove(self) -> None:
        """Stop delivering to this handler (RemoveEventHandler)."""
        if self._remove is not None and not self._removed:
            self._removed = True
            self._remove(self)
        self.stop()

    @property
    def pending(self) -> int:
        """Notifications queued and not yet delivered."""
        return len(self._queue)

    # -- the informer's side

    def push(self, kind: str, old: Any, new: Any) -> None:
        with self._ready:
            self._queue.append((kind, old, new))
            self._ready.notify()

    def push_many(self, notes: list[tuple[str, Any, Any]]) -> None:
        if notes:
            with self._ready:
                self._queue.extend(notes)
                self._ready.notify()

    def start(self) -> None:
        thread = threading.Thread(
            target=self._run, name=f"handler {self._name}", daemon=True
        )
        self._thread = thread
        thread.start()

    def stop(self) -> None:
        with self._ready:
            self._stopped = True
            self._queue.clear()
            self._ready.notify()

    def join(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        ready, queue = self._ready, self._queue
        while True:
            with ready:
                while not queue and not self._stopped:
                    ready.wait()
                if self._stopped:
                    return
                batch = list(queue)
                queue.clear()
            for kind, old, new in batch:
                if self._stopped:
                    return
                self._deliver(kind, old, new)

    def _deliver(self, kind: str, old: Any, new: Any) -> None:
        handler = self.handler
        try:
            if kind == ADD:
                if handler.on_add is not None:
                    handler.on_add(new)
            elif kind == UPDATE:
                if handler.on_update is not None:
                    handler.on_update(old, new)
            elif kind == DELETE:
                if handler.on_delete is not None:
                    handler.on_delete(old)
            elif kind == SYNCED:
                self._synced.set()
        except Exception:  # a handler's bug must not stop the informer
            _log.exception("event handler of %s failed on %s", self._name, kind)

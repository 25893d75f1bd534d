"""The plain work queue, as client-go's ``workqueue.Typed``: fair, stingy, shared by
many producers and consumers.

* Fair: items come out in the order they went in (FIFO).
* Stingy: an item added several times before a worker gets it is handed out
  once; an item added while a worker holds it is handed out again once that
  worker calls :meth:`Queue.done`, never to two workers at a time.

Two sets keep those promises: *dirty* (items that need processing) and
*processing* (items a worker holds). An item is in the FIFO only if it is dirty
and not being processed.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

from .clock import Clock, RealClock
from .metrics import MetricsProvider, QueueMetrics, resolve_provider

__all__ = ["UNFINISHED_WORK_UPDATE_PERIOD", "Queue"]

T = TypeVar("T", bound=Hashable)

#: seconds between two updates of the unfinished-work metrics (client-go's 500 ms)
UNFINISHED_WORK_UPDATE_PERIOD = 0.5


def unhashable(item: object) -> TypeError:
    return TypeError(
        f"workqueue items must be hashable (a key such as 'namespace/name'), "
        f"got {type(item).__name__}: {item!r:.80}"
    )


class Queue(Generic[T]):
    """A work queue: :meth:`add` items, and workers :meth:`get` one, process it,
    then call :meth:`done` with it.

    ``name`` labels the queue's metrics (an unnamed queue reports none);
    ``metrics_provider`` overrides the one :func:`set_provider` installed;
    ``clock`` is what the metrics measure time with (a :class:`FakeClock` in
    tests). Every method is thread-safe."""

    def __init__(
        self,
        name: str = "",
        *,
        clock: Clock | None = None,
        metrics_provider: MetricsProvider | None = None,
    ) -> None:
        self.name = name
        self.clock: Clock = clock if clock is not None else RealClock()
        self._lock = threading.Lock()
        # Workers blocked in get(), and shut_down_with_drain() callers: two
        # conditions on the one lock, so that a done() meant for the drainer
        # never wakes a worker instead.
        self._item_ready = threading.Condition(self._lock)
        self._drained = threading.Condition(self._lock)
        self._fifo: deque[T] = deque()
        self._dirty: set[T] = set()
        self._processing: set[T] = set()
        self._getters = 0  # threads waiting in get(): notify only when there are some
        self._drainers = 0
        self._shutting_down = False
        self._drain = False
        provider = resolve_provider(name, metrics_provider)
        self._metrics = (
            QueueMetrics(name, provider, self.clock) if provider is not None else None
        )
        self._metrics_wake = threading.Condition(threading.Lock())
        self._metrics_stopped = False
        self._metrics_thread: threading.Thread | None = None
        if self._metrics is not None:
            self._metrics_thread = threading.Thread(
                target=self._update_unfinished_work_loop,
                name=f"workqueue-{name}-metrics",
                daemon=True,
            )
            self._metrics_thread.start()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} len={len(self)}>"

    def add(self, item: T) -> None:
        """Mark ``item`` as needing processing (ignored once shutting down)."""
        with self._lock:
            if self._shutting_down:
                return
            try:
                if item in self._dirty:
                    return
            except TypeError:
                raise unhashable(item) from None
            if self._metrics is not None:
                self._metrics.add(item)
            self._dirty.add(item)
            if item in self._processing:
                return  # done() queues it again
            self._fifo.append(item)
            if self._getters:
                self._item_ready.notify()

    def __len__(self) -> int:
        """How many items wait to be handed out (for information only: never
        gate an add() or get() on it, it may change at once)."""
        with self._lock:
            return len(self._fifo)

    def get(self, timeout: float | None = None) -> tuple[T | None, bool]:
        """Block until an item can be processed; return ``(item, False)``.

        Returns ``(None, True)`` once the queue is shutting down and no item is
        left waiting: the worker should then stop. With ``timeout`` (seconds of
        real time, whatever the queue's clock), returns ``(None, False)`` when no
        item came within it. Call :meth:`done` with every item returned."""
        if timeout is not None and not timeout >= 0:  # also NaN
            raise ValueError(f"get(timeout={timeout!r}): seconds must be >= 0")
        with self._lock:
            if not self._fifo and not self._shutting_down:
                self._wait_for_item(timeout)
            if not self._fifo:
                return None, self._shutting_down
            item = self._fifo.popleft()
            if self._metrics is not None:
                self._metrics.get(item)
            self._processing.add(item)
            self._dirty.discard(item)
            return item, False

    def _wait_for_item(self, timeout: float | None) -> None:
        """Wait (holding the lock) for an item or shutdown, at most ``timeout``."""
        self._getters += 1
        try:
            if timeout is None:
                while not self._fifo and not self._shutting_down:
                    self._item_ready.wait()
                return
            deadline = time.monotonic() + timeout
            while not self._fifo and not self._shutting_down:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._item_ready.wait(remaining)
        finally:
            self._getters -= 1

    def done(self, item: T) -> None:
        """Mark ``item`` as processed; if it was added again meanwhile, queue it
        once more. An item no worker holds is ignored (client-go would queue a
        second copy of it)."""
        with self._lock:
            try:
                if item not in self._processing:
                    return
            except TypeError:
                raise unhashable(item) from None
            if self._metrics is not None:
                self._metrics.done(item)
            self._processing.remove(item)
            if item in self._dirty:
                self._fifo.append(item)
                if self._getters:
                    self._item_ready.notify()
            if not self._processing and self._drainers:
                self._drained.notify_all()

    def shut_down(self) -> None:
        """Ignore new items from now on; workers get the items still waiting,
        then ``(None, True)``. Also ends a :meth:`shut_down_with_drain` wait."""
        with self._lock:
            self._drain = False
            self._shutting_down = True
            self._item_ready.notify_all()
            self._drained.notify_all()
        self._stop_metrics()

    def shut_down_with_drain(self) -> None:
        """As :meth:`shut_down`, then wait until every item a worker holds is
        :meth:`done` (so workers must call it). A :meth:`shut_down` from another
        thread ends the wait early."""
        with self._lock:
            self._drain = True
            self._shutting_down = True
            self._item_ready.notify_all()
        self._stop_metrics()
        with self._lock:
            self._drainers += 1
            try:
                while self._processing and self._drain:
                    self._drained.wait()
            finally:
                self._drainers -= 1

    def shutting_down(self) -> bool:
        """Whether :meth:`shut_down` (or the drain variant) was called."""
        with self._lock:
            return self._shutting_down

    # ----------------------------------------------------------- unfinished work

    def _update_unfinished_work_loop(self) -> None:
        assert self._metrics is not None
        while True:
            with self._metrics_wake:
                deadline = self.clock.now() + UNFINISHED_WORK_UPDATE_PERIOD
                while not self._metrics_stopped and self.clock.now() < deadline:
                    self.clock.wait_until(self._metrics_wake, deadline)
                if self._metrics_stopped:
                    return
            with self._lock:
                if self._shutting_down:
                    return
                self._metrics.update_unfinished_work()

    def _stop_metrics(self) -> None:
        thread = self._metrics_thread
        if thread is None:
            return
        with self._metrics_wake:
            self._metrics_stopped = True
            self._metrics_wake.notify_all()
        if thread is not threading.current_thread():
            thread.join()

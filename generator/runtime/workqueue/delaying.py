"""The delaying queue, as client-go's ``TypedDelayingInterface``: a work queue that
can also add an item once a delay has passed (``add_after``).

Items waiting for their time sit in a heap ordered by ready time. ONE thread per
queue (started by the first delayed add) sleeps on a condition until the earliest
ready time, or until an item earlier than that arrives, then moves the items
that are due into the queue. It never polls: with nothing waiting it sleeps until
notified. Its waits go through the queue's clock, so a :class:`FakeClock` wakes it.
"""

from __future__ import annotations

import heapq
import math
import threading
from collections.abc import Hashable
from typing import TypeVar

from .clock import Clock
from .metrics import MetricsProvider, resolve_provider
from .queue import Queue, unhashable

__all__ = ["DelayingQueue"]

T = TypeVar("T", bound=Hashable)


class DelayingQueue(Queue[T]):
    """A :class:`Queue` with :meth:`add_after`. Arguments as :class:`Queue`'s."""

    def __init__(
        self,
        name: str = "",
        *,
        clock: Clock | None = None,
        metrics_provider: MetricsProvider | None = None,
    ) -> None:
        super().__init__(name, clock=clock, metrics_provider=metrics_provider)
        provider = resolve_provider(name, metrics_provider)
        self._retries = provider.new_retries_metric(name) if provider else None
        self._waiting_lock = threading.Lock()
        self._waiting_changed = threading.Condition(self._waiting_lock)
        # (ready at, sequence, item); an entry is current only while _ready_at
        # holds its time for its item: moving an item earlier pushes a new entry
        # and leaves the old one to be skipped when it comes up.
        self._heap: list[tuple[float, int, T]] = []
        self._ready_at: dict[T, float] = {}
        self._sequence = 0
        self._stopped = False
        self._waiter: threading.Thread | None = None

    def add_after(self, item: T, seconds: float) -> None:
        """Add ``item`` once ``seconds`` have passed on the queue's clock (at once
        when ``seconds <= 0``). An item already waiting keeps the earlier of its
        two ready times. Ignored once shutting down."""
        if self.shutting_down():
            return
        if math.isnan(seconds):
            raise ValueError(f"add_after({item!r:.80}): seconds is NaN")
        if self._retries is not None:
            self._retries.inc()
        if seconds <= 0:
            self.add(item)
            return
        ready_at = self.clock.now() + seconds
        with self._waiting_lock:
            if self._stopped:
                return
            try:
                current = self._ready_at.get(item)
            except TypeError:
                raise unhashable(item) from None
            if current is not None and current <= ready_at:
                return
            earliest = self._heap[0][0] if self._heap else math.inf
            self._ready_at[item] = ready_at
            self._sequence += 1
            heapq.heappush(self._heap, (ready_at, self._sequence, item))
            if self._waiter is None:
                self._waiter = threading.Thread(
                    target=self._waiting_loop,
                    name=f"workqueue-{self.name}-delaying",
                    daemon=True,
                )
                self._waiter.start()
            elif ready_at < earliest:
                self._waiting_changed.notify()

    def waiting(self) -> int:
        """How many items wait for their delay to pass (for information only)."""
        with self._waiting_lock:
            return len(self._ready_at)

    def _waiting_loop(self) -> None:
        while True:
            with self._waiting_lock:
                due = self._wait_for_due_items()
                if due is None:
                    return
            # Outside the heap's lock: add() takes the queue's lock.
            for item in due:
                self.add(item)

    def _wait_for_due_items(self) -> list[T] | None:
        """The items whose time has come, once there are some (holding the heap's
        lock); ``None`` once the queue shuts down."""
        heap, ready_at = self._heap, self._ready_at
        while not self._stopped:
            now = self.clock.now()
            due: list[T] = []
            while heap and heap[0][0] <= now:
                when, _, item = heapq.heappop(heap)
                if ready_at.get(item) == when:
                    del ready_at[item]
                    due.append(item)
            if due:
                return due
            self.clock.wait_until(self._waiting_changed, heap[0][0] if heap else None)
        return None

    def shut_down(self) -> None:
        super().shut_down()
        self._stop_waiting()

    def shut_down_with_drain(self) -> None:
        self._stop_waiting()
        super().shut_down_with_drain()

    def _stop_waiting(self) -> None:
        """End the waiting thread (items still waiting are dropped, as a shut-down
        queue would ignore them) and join it."""
        with self._waiting_lock:
            self._stopped = True
            self._heap.clear()
            self._ready_at.clear()
            self._waiting_changed.notify_all()
            waiter = self._waiter
        if waiter is not None and waiter is not threading.current_thread():
            waiter.join()

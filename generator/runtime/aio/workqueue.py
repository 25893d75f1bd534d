"""Async work queues: client-go's workqueue on the event loop, no threads.

The queue's semantics are the sync :class:`~..workqueue.Queue`'s, run on one
(its dirty and processing sets: an item added while being processed is queued
once more after :meth:`done`, never handed to two workers at once); waiting is
awaited, and delays are the loop's timers. The rate limiters are the sync ones
(``workqueue.default_controller_rate_limiter()`` ...)::

    queue = AsyncRateLimitingQueue(default_controller_rate_limiter())
    queue.add("default/web")

    async def worker() -> None:
        while True:
            key, shutdown = await queue.get()
            if shutdown:
                return
            try:
                await reconcile(key)
                queue.forget(key)
            except Exception:
                queue.add_rate_limited(key)
            finally:
                queue.done(key)

Metrics: a named queue reports to the workqueue's metrics provider
(``workqueue.set_provider`` or ``metrics_provider=``), the sync queue's hooks and
bookkeeping (depth, adds, latency, work duration, retries); the unfinished-work
gauges are updated every 0.5 s by a task of the loop instead of a thread.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Hashable
from typing import Generic, TypeVar

from ..workqueue import Queue
from ..workqueue.clock import Clock
from ..workqueue.metrics import MetricsProvider, QueueMetrics, resolve_provider
from ..workqueue.queue import UNFINISHED_WORK_UPDATE_PERIOD
from ..workqueue.rate_limiters import RateLimiter

__all__ = ["AsyncDelayingQueue", "AsyncQueue", "AsyncRateLimitingQueue"]

T = TypeVar("T", bound=Hashable)


class AsyncQueue(Generic[T]):
    """:class:`~..workqueue.Queue` for asyncio: ``await get()``. ``name``,
    ``clock`` and ``metrics_provider`` as the sync queue's (an unnamed queue
    reports no metrics)."""

    def __init__(
        self,
        name: str = "",
        *,
        clock: Clock | None = None,
        metrics_provider: MetricsProvider | None = None,
    ) -> None:
        self.name = name
        # made unnamed (no metrics thread); its hooks are given the metrics here
        self._queue: Queue[T] = Queue(clock=clock)
        self.clock = self._queue.clock
        provider = resolve_provider(name, metrics_provider)
        self._provider = provider
        if provider is not None:
            self._queue._metrics = QueueMetrics(name, provider, self.clock)
        self._updater: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} len={len(self)}>"

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, item: T) -> None:
        self._queue.add(item)
        self._start_updater()
        self._changed.set()

    def _start_updater(self) -> None:
        """The unfinished-work gauges' updater, once a loop runs (the sync
        queue's thread, as a task)."""
        metrics = self._queue._metrics
        if metrics is None or self._updater is not None:
            return
        if self._queue.shutting_down():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # added before the loop runs: started by get()
            return
        self._updater = loop.create_task(self._update_unfinished_work(metrics))

    async def _update_unfinished_work(self, metrics: QueueMetrics) -> None:
        while True:
            await asyncio.sleep(UNFINISHED_WORK_UPDATE_PERIOD)
            with self._queue._lock:
                metrics.update_unfinished_work()

    async def get(self, timeout: float | None = None) -> tuple[T | None, bool]:
        """An item to process, ``(item, False)``; ``(None, True)`` once shutting
        down with nothing left; ``(None, False)`` after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        self._start_updater()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            item, shutdown = self._queue.get(timeout=0)
            if item is not None or shutdown:
                return item, shutdown
            self._changed.clear()
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return None, False
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                return None, False

    def done(self, item: T) -> None:
        self._queue.done(item)
        self._changed.set()

    def shut_down(self) -> None:
        self._queue.shut_down()
        if self._updater is not None:
            self._updater.cancel()
        self._changed.set()

    async def shut_down_with_drain(self) -> None:
        """Shut down, then wait until every item handed out is :meth:`done`."""
        self.shut_down()
        while self._queue._processing:
            self._changed.clear()
            await self._changed.wait()

    def shutting_down(self) -> bool:
        return self._queue.shutting_down()


class AsyncDelayingQueue(AsyncQueue[T]):
    """An :class:`AsyncQueue` with :meth:`add_after` (a timer of the loop).
    Arguments as :class:`AsyncQueue`'s; each ``add_after`` counts a retry."""

    def __init__(
        self,
        name: str = "",
        *,
        clock: Clock | None = None,
        metrics_provider: MetricsProvider | None = None,
    ) -> None:
        super().__init__(name, clock=clock, metrics_provider=metrics_provider)
        provider = self._provider
        self._retries = provider.new_retries_metric(name) if provider else None
        self._timers: dict[T, asyncio.TimerHandle] = {}

    def add_after(self, item: T, seconds: float) -> None:
        """Add ``item`` after ``seconds`` (at once when <= 0); an item already
        waiting keeps the earlier of its two times. Ignored once shutting down."""
        if self.shutting_down():
            return
        if math.isnan(seconds):
            raise ValueError(f"add_after({item!r:.80}): seconds is NaN")
        if self._retries is not None:
            self._retries.inc()
        if seconds <= 0:
            self.add(item)
            return
        loop = asyncio.get_running_loop()
        when = loop.time() + seconds
        current = self._timers.get(item)
        if current is not None:
            if current.when() <= when:
                return
            current.cancel()
        self._timers[item] = loop.call_at(when, self._due, item)

    def waiting(self) -> int:
        return len(self._timers)

    def _due(self, item: T) -> None:
        self._timers.pop(item, None)
        self.add(item)

    def shut_down(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        super().shut_down()


class AsyncRateLimitingQueue(AsyncDelayingQueue[T]):
    """An :class:`AsyncDelayingQueue` whose retries wait as ``rate_limiter`` says."""

    def __init__(
        self,
        rate_limiter: RateLimiter[T],
        name: str = "",
        *,
        clock: Clock | None = None,
        metrics_provider: MetricsProvider | None = None,
    ) -> None:
        super().__init__(name, clock=clock, metrics_provider=metrics_provider)
        self.rate_limiter = rate_limiter

    def add_rate_limited(self, item: T) -> None:
        self.add_after(item, self.rate_limiter.when(item))

    def forget(self, item: T) -> None:
        self.rate_limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return self.rate_limiter.num_requeues(item)

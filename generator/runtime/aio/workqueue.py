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

Metrics are not reported (the sync queue's metrics run on a thread).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Hashable
from typing import Generic, TypeVar

from ..workqueue import Queue
from ..workqueue.rate_limiters import RateLimiter

__all__ = ["AsyncDelayingQueue", "AsyncQueue", "AsyncRateLimitingQueue"]

T = TypeVar("T", bound=Hashable)


class AsyncQueue(Generic[T]):
    """:class:`~..workqueue.Queue` for asyncio: ``await get()``."""

    def __init__(self) -> None:
        self._queue: Queue[T] = Queue()  # unnamed: no metrics thread
        self._changed = asyncio.Event()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} len={len(self)}>"

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, item: T) -> None:
        self._queue.add(item)
        self._changed.set()

    async def get(self, timeout: float | None = None) -> tuple[T | None, bool]:
        """An item to process, ``(item, False)``; ``(None, True)`` once shutting
        down with nothing left; ``(None, False)`` after ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
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
    """An :class:`AsyncQueue` with :meth:`add_after` (a timer of the loop)."""

    def __init__(self) -> None:
        super().__init__()
        self._timers: dict[T, asyncio.TimerHandle] = {}

    def add_after(self, item: T, seconds: float) -> None:
        """Add ``item`` after ``seconds`` (at once when <= 0); an item already
        waiting keeps the earlier of its two times. Ignored once shutting down."""
        if self.shutting_down():
            return
        if math.isnan(seconds):
            raise ValueError(f"add_after({item!r:.80}): seconds is NaN")
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

    def __init__(self, rate_limiter: RateLimiter[T]) -> None:
        super().__init__()
        self.rate_limiter = rate_limiter

    def add_rate_limited(self, item: T) -> None:
        self.add_after(item, self.rate_limiter.when(item))

    def forget(self, item: T) -> None:
        self.rate_limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return self.rate_limiter.num_requeues(item)

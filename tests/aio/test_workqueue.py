"""kubeclient.aio.workqueue: the sync queue's semantics, awaited."""

from __future__ import annotations

import asyncio
import time

from generator.runtime.aio.workqueue import (
    AsyncDelayingQueue,
    AsyncQueue,
    AsyncRateLimitingQueue,
)
from generator.runtime.workqueue import ItemExponentialFailureRateLimiter


def test_an_item_is_never_processed_twice_at_once() -> None:
    async def main() -> None:
        queue: AsyncQueue[str] = AsyncQueue()
        queue.add("a")
        queue.add("a")  # deduplicated
        item, shutdown = await queue.get()
        assert (item, shutdown, len(queue)) == ("a", False, 0)
        queue.add("a")  # added while processed: queued again after done()
        assert await queue.get(timeout=0.05) == (None, False)
        queue.done("a")
        assert await queue.get(timeout=1) == ("a", False)
        queue.done("a")

    asyncio.run(main())


def test_a_waiting_worker_wakes_on_add_and_on_shutdown() -> None:
    async def main() -> None:
        queue: AsyncQueue[str] = AsyncQueue()
        getter = asyncio.create_task(queue.get())
        await asyncio.sleep(0.05)
        queue.add("x")
        assert await getter == ("x", False)
        waiting = asyncio.create_task(queue.get())
        await asyncio.sleep(0.05)
        draining = asyncio.create_task(queue.shut_down_with_drain())
        assert await waiting == (None, True)
        await asyncio.sleep(0.05)
        assert not draining.done()  # "x" is still being processed
        queue.done("x")
        await asyncio.wait_for(draining, 1)
        queue.add("y")  # ignored once shutting down
        assert await queue.get() == (None, True)

    asyncio.run(main())


def test_delays_keep_the_earlier_time_and_rate_limits_grow() -> None:
    async def main() -> None:
        queue: AsyncDelayingQueue[str] = AsyncDelayingQueue()
        started = time.monotonic()
        queue.add_after("a", 5.0)
        queue.add_after("a", 0.1)  # earlier: wins
        queue.add_after("a", 3.0)  # later: ignored
        assert queue.waiting() == 1
        assert await queue.get(timeout=2) == ("a", False)
        assert 0.05 < time.monotonic() - started < 1.0
        limited: AsyncRateLimitingQueue[str] = AsyncRateLimitingQueue(
            ItemExponentialFailureRateLimiter(0.05, 10.0)
        )
        for _ in range(3):
            limited.add_rate_limited("b")
            item, _ = await limited.get(timeout=2)
            assert item == "b"
            limited.done("b")
        assert limited.num_requeues("b") == 3
        limited.forget("b")
        assert limited.num_requeues("b") == 0
        limited.add_after("c", 10)
        limited.shut_down()
        assert limited.waiting() == 0

    asyncio.run(main())


def test_a_named_queue_reports_the_sync_queues_metrics() -> None:
    """Depth, adds, latency and work duration through the sync hooks, retries
    per add_after, and the unfinished-work gauges from a task of the loop."""
    from generator.runtime.aio.workqueue import AsyncRateLimitingQueue
    from generator.runtime.workqueue import (
        FakeClock,
        ItemExponentialFailureRateLimiter,
    )

    from ..workqueue.recording import RecordingProvider

    provider = RecordingProvider()
    clock = FakeClock()

    async def main() -> None:
        queue: AsyncRateLimitingQueue[str] = AsyncRateLimitingQueue(
            ItemExponentialFailureRateLimiter(0.001, 0.01),
            "foos",
            clock=clock,
            metrics_provider=provider,
        )
        depth, adds = provider.of("depth", "foos"), provider.of("adds", "foos")
        queue.add("a")
        queue.add("a")  # not counted: already waiting
        queue.add("b")
        assert (depth.value, adds.value) == (2, 2)
        clock.step(3.0)
        assert await queue.get() == ("a", False)
        assert depth.value == 1 and provider.of("latency", "foos").observed == [3.0]
        clock.step(1.5)  # "a" held 1.5 s: the updater reports it
        unfinished = provider.of("unfinished", "foos")
        while not unfinished.sets:
            await asyncio.sleep(0.05)
        assert unfinished.sets[-1] == 1.5
        assert provider.of("longest_running", "foos").sets[-1] == 1.5
        queue.done("a")
        assert provider.of("work_duration", "foos").observed == [1.5]
        queue.add_rate_limited("a")
        assert provider.of("retries", "foos").value == 1
        queue.shut_down()
        assert queue._updater is not None
        await asyncio.sleep(0)
        assert queue._updater.cancelled() or queue._updater.done()

    asyncio.run(asyncio.wait_for(main(), 10))


def test_an_unnamed_queue_reports_nothing() -> None:
    from generator.runtime.aio.workqueue import AsyncQueue

    from ..workqueue.recording import RecordingProvider

    provider = RecordingProvider()

    async def main() -> None:
        queue: AsyncQueue[str] = AsyncQueue(metrics_provider=provider)
        queue.add("a")
        assert await queue.get() == ("a", False)
        assert provider.metrics == {} and queue._updater is None

    asyncio.run(main())

"""Many workers on one queue: every item processed, never by two workers at once,
nothing lost when items come back while they are processed or after a retry."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from generator.runtime.workqueue import (
    ItemExponentialFailureRateLimiter,
    Queue,
    RateLimitingQueue,
)

WORKERS = 8
ITEMS = 100_000


class Workers:
    """WORKERS threads getting from ``queue``, watching for overlaps."""

    def __init__(self, queue: Queue[int], work: Callable[[int, int], None]) -> None:
        self.queue = queue
        self.work = work
        self.lock = threading.Lock()
        self.active: set[int] = set()
        self.processed: Counter[int] = Counter()
        self.overlaps: list[int] = []
        self.all_done = threading.Condition(self.lock)
        self.threads = [threading.Thread(target=self.run) for _ in range(WORKERS)]

    def run(self) -> None:
        while True:
            item, shutdown = self.queue.get()
            if shutdown:
                return
            assert item is not None
            with self.lock:
                if item in self.active:
                    self.overlaps.append(item)
                self.active.add(item)
                self.processed[item] += 1
                count = self.processed[item]
            self.work(item, count)
            with self.lock:
                self.active.discard(item)
                self.all_done.notify_all()
            self.queue.done(item)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def wait_for(self, total: int, timeout: float = 120.0) -> bool:
        with self.lock:
            return self.all_done.wait_for(
                lambda: sum(self.processed.values()) >= total, timeout
            )

    def stop(self) -> None:
        self.queue.shut_down_with_drain()
        for thread in self.threads:
            thread.join(30)
            assert not thread.is_alive()


def produce(queue: Queue[int], items: range, producers: int = 2) -> None:
    def add_all(share: range) -> None:
        for item in share:
            queue.add(item)

    threads = [
        threading.Thread(target=add_all, args=(items[i::producers],))
        for i in range(producers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_eight_workers_process_every_item_once_and_requeues_once_more() -> None:
    queue: Queue[int] = Queue(name="concurrency")

    def work(item: int, count: int) -> None:
        if item % 10 == 0 and count == 1:
            queue.add(item)  # changed while processed: must be processed again
            queue.add(item)  # ... once

    workers = Workers(queue, work)
    workers.start()
    produce(queue, range(ITEMS))
    expected = ITEMS + ITEMS // 10
    assert workers.wait_for(expected)
    workers.stop()
    assert workers.overlaps == []
    assert sum(workers.processed.values()) == expected
    for item in range(ITEMS):
        assert workers.processed[item] == (2 if item % 10 == 0 else 1), item
    assert len(queue) == 0


def test_eight_workers_with_rate_limited_retries_lose_nothing() -> None:
    # real clock, retries due within 1 ms to 4 ms: what counts is that none is lost
    limiter: ItemExponentialFailureRateLimiter[int] = ItemExponentialFailureRateLimiter(
        0.001, 0.004
    )
    queue: RateLimitingQueue[int] = RateLimitingQueue(limiter, name="retries")
    failures = 3

    def work(item: int, count: int) -> None:
        if item % 100 == 0 and count <= failures:
            queue.add_rate_limited(item)
        elif item % 100 == 0:
            queue.forget(item)

    workers = Workers(queue, work)
    workers.start()
    produce(queue, range(ITEMS))
    expected = ITEMS + (ITEMS // 100) * failures
    assert workers.wait_for(expected)
    workers.stop()
    assert workers.overlaps == []
    assert sum(workers.processed.values()) == expected
    for item in range(0, ITEMS, 100):
        assert workers.processed[item] == failures + 1
        assert queue.num_requeues(item) == 0

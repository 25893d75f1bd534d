"""The spam filter: a token bucket per event source and object (client-go's
``EventSourceObjectSpamFilter``: burst 25, one more token every 5 minutes).

The buckets live in an LRU of 4096 entries, as client-go's, so a controller
touching millions of objects keeps a bounded memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LRU", "SpamFilter", "TokenBucket"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: client-go's maxLruCacheEntries, for the spam filter, aggregator and logger.
LRU_SIZE = 4096
DEFAULT_SPAM_BURST = 25
DEFAULT_SPAM_QPS = 1.0 / 300.0


class LRU(Generic[K, V]):
    """A least-recently-used map of at most ``size`` entries (not thread-safe:
    its owner holds a lock)."""

    def __init__(self, size: int = LRU_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def pop(self, key: K) -> None:
        self._items.pop(key, None)

    def items(self) -> list[tuple[K, V]]:
        return list(self._items.items())

    def __len__(self) -> int:
        return len(self._items)


class TokenBucket:
    """A passive token bucket: ``try_accept()`` takes a token if there is one
    (client-go's ``NewTokenBucketPassiveRateLimiterWithClock``)."""

    def __init__(self, qps: float, burst: int, clock: Callable[[], float]) -> None:
        self.qps = qps
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()

    def try_accept(self) -> bool:
        now = self._clock()
        elapsed = max(0.0, now - self._last)
        self._last = now
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.qps)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class SpamFilter:
    """Drops an event when its source and object have used up their bucket;
    ``allow(key)`` is False for an event to drop."""

    def __init__(
        self,
        *,
        burst: int = DEFAULT_SPAM_BURST,
        qps: float = DEFAULT_SPAM_QPS,
        clock: Callable[[], float],
    ) -> None:
        if burst < 1 or qps < 0:
            raise ValueError(
                f"spam filter: burst must be >= 1 and qps >= 0 (got {burst}, {qps})"
            )
        self.burst = burst
        self.qps = qps
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: LRU[tuple[str, ...], TokenBucket] = LRU()

    def allow(self, key: tuple[str, ...]) -> bool:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = TokenBucket(self.qps, self.burst, self._clock)
            self._buckets.put(key, bucket)
            return bucket.try_accept()

"""Rate limiters, as client-go's ``workqueue/default_rate_limiters.go``: they say how
long an item should wait before it is retried.

* :class:`ItemExponentialFailureRateLimiter`: per item, ``base * 2**failures``,
  capped;
* :class:`BucketRateLimiter`: one token bucket for all items, as
  ``golang.org/x/time/rate`` (each call reserves a token and waits for it);
* :class:`ItemFastSlowRateLimiter`: per item, a short delay for the first
  attempts, then a long one;
* :class:`MaxOfRateLimiter`: the longest delay of several limiters.

:func:`default_controller_rate_limiter` is client-go's
``DefaultControllerRateLimiter``: per-item exponential from 5 ms to 1000 s, and
overall 10 retries per second with bursts of 100.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Hashable
from typing import Generic, Protocol, TypeVar

from .clock import Clock, RealClock

__all__ = [
    "BucketRateLimiter",
    "ItemExponentialFailureRateLimiter",
    "ItemFastSlowRateLimiter",
    "MaxOfRateLimiter",
    "RateLimiter",
    "default_controller_rate_limiter",
]

T = TypeVar("T", bound=Hashable)
T_contra = TypeVar("T_contra", bound=Hashable, contravariant=True)

# 2**exponent stays a finite float up to 1023; past that every delay is the cap
_MAX_EXPONENT = 1000


class RateLimiter(Protocol[T_contra]):
    """What a :class:`RateLimitingQueue` asks before it retries an item."""

    def when(self, item: T_contra) -> float:
        """Seconds ``item`` should wait before its next attempt (counts a failure)."""
        ...

    def forget(self, item: T_contra) -> None:
        """Stop tracking ``item`` (it succeeded, or is given up on)."""
        ...

    def num_requeues(self, item: T_contra) -> int:
        """How many failures of ``item`` are being tracked."""
        ...


def _check_delay(owner: str, name: str, value: float) -> float:
    if not value >= 0:  # also rejects NaN
        raise ValueError(
            f"{owner}: {name} must be a number of seconds >= 0, got {value!r}"
        )
    return float(value)


class _FailureCounts(Generic[T]):
    """Failures per item, under a lock (limiters are shared by many workers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[T, int] = {}

    def bump(self, item: T) -> int:
        """Count one more failure of ``item``; returns how many it had before."""
        with self._lock:
            before = self._failures.get(item, 0)
            self._failures[item] = before + 1
            return before

    def count(self, item: T) -> int:
        with self._lock:
            return self._failures.get(item, 0)

    def forget(self, item: T) -> None:
        with self._lock:
            self._failures.pop(item, None)


class ItemExponentialFailureRateLimiter(Generic[T]):
    """``base * 2**failures`` seconds for an item, at most ``cap``; the count of an
    item goes back to zero when it is forgotten."""

    def __init__(self, base: float = 0.005, cap: float = 1000.0) -> None:
        owner = type(self).__name__
        self.base = _check_delay(owner, "base", base)
        self.cap = _check_delay(owner, "cap", cap)
        self._failures: _FailureCounts[T] = _FailureCounts()

    def when(self, item: T) -> float:
        exponent = self._failures.bump(item)
        if exponent > _MAX_EXPONENT:
            return self.cap
        return min(self.cap, self.base * 2.0**exponent)

    def num_requeues(self, item: T) -> int:
        return self._failures.count(item)

    def forget(self, item: T) -> None:
        self._failures.forget(item)


class ItemFastSlowRateLimiter(Generic[T]):
    """``fast_delay`` for an item's first ``max_fast_attempts`` failures, then
    ``slow_delay``."""

    def __init__(
        self, fast_delay: float, slow_delay: float, max_fast_attempts: int
    ) -> None:
        owner = type(self).__name__
        self.fast_delay = _check_delay(owner, "fast_delay", fast_delay)
        self.slow_delay = _check_delay(owner, "slow_delay", slow_delay)
        if max_fast_attempts < 0:
            raise ValueError(
                f"{owner}: max_fast_attempts must be >= 0, got {max_fast_attempts!r}"
            )
        self.max_fast_attempts = max_fast_attempts
        self._failures: _FailureCounts[T] = _FailureCounts()

    def when(self, item: T) -> float:
        failures = self._failures.bump(item) + 1
        return (
            self.fast_delay if failures <= self.max_fast_attempts else self.slow_delay
        )

    def num_requeues(self, item: T) -> int:
        return self._failures.count(item)

    def forget(self, item: T) -> None:
        self._failures.forget(item)


class BucketRateLimiter(Generic[T]):
    """One token bucket for every item: ``qps`` tokens a second, holding at most
    ``burst``, full at the start.

    As ``golang.org/x/time/rate``'s ``Limiter.Reserve``: each :meth:`when` takes
    a token, going into debt when there is none, and returns how long until the
    token it reserved exists. So 150 calls at once on a full bucket of 100 at 10
    qps return 0 a hundred times, then 0.1, 0.2, ... 5.0 seconds. It counts no
    failures (``num_requeues`` is 0, ``forget`` does nothing)."""

    def __init__(
        self, qps: float = 10.0, burst: int = 100, *, clock: Clock | None = None
    ) -> None:
        owner = type(self).__name__
        if not qps > 0:
            raise ValueError(
                f"{owner}: qps must be > 0 (math.inf: no limit), got {qps!r}"
            )
        if burst < 1:
            raise ValueError(f"{owner}: burst must be >= 1, got {burst!r}")
        self.qps = float(qps)
        self.burst = burst
        self._clock: Clock = clock if clock is not None else RealClock()
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._last = self._clock.now()

    def when(self, item: T) -> float:
        if math.isinf(self.qps):
            return 0.0
        with self._lock:
            now = self._clock.now()
            elapsed = max(0.0, now - self._last)
            tokens = min(float(self.burst), self._tokens + elapsed * self.qps) - 1.0
            self._tokens = tokens
            self._last = now
            return -tokens / self.qps if tokens < 0 else 0.0

    def num_requeues(self, item: T) -> int:
        return 0

    def forget(self, item: T) -> None:
        pass


class MaxOfRateLimiter(Generic[T]):
    """The longest delay any of ``limiters`` gives (each of them counts the
    failure); ``num_requeues`` is the largest count; ``forget`` forgets in all."""

    def __init__(self, *limiters: RateLimiter[T]) -> None:
        if not limiters:
            raise ValueError("MaxOfRateLimiter: give it at least one limiter")
        self.limiters = limiters

    def when(self, item: T) -> float:
        # every limiter is asked (each counts the failure), not only up to the max
        return max([limiter.when(item) for limiter in self.limiters])

    def num_requeues(self, item: T) -> int:
        return max(limiter.num_requeues(item) for limiter in self.limiters)

    def forget(self, item: T) -> None:
        for limiter in self.limiters:
            limiter.forget(item)


def default_controller_rate_limiter(
    *, clock: Clock | None = None
) -> MaxOfRateLimiter[Hashable]:
    """client-go's ``DefaultControllerRateLimiter``: the max of a per-item
    exponential backoff (5 ms doubling up to 1000 s) and an overall token bucket
    (10 qps, burst 100) that only bounds the speed of retries across all items."""
    return MaxOfRateLimiter(
        ItemExponentialFailureRateLimiter(0.005, 1000.0),
        BucketRateLimiter(10.0, 100, clock=clock),
    )

"""The rate-limiting queue, as client-go's ``TypedRateLimitingInterface``: a delaying
queue that asks a :class:`RateLimiter` how long an item should wait before each
retry. What a controller uses::

    queue: RateLimitingQueue[str] = RateLimitingQueue(
        default_controller_rate_limiter(), name="foos"
    )
    ...
    try:
        reconcile(key)
    except Exception:
        queue.add_rate_limited(key)  # retry later, backing off
    else:
        queue.forget(key)  # success: reset its backoff
    finally:
        queue.done(key)
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TypeVar

from .clock import Clock
from .delaying import DelayingQueue
from .metrics import MetricsProvider
from .rate_limiters import RateLimiter

__all__ = ["RateLimitingQueue"]

T = TypeVar("T", bound=Hashable)


class RateLimitingQueue(DelayingQueue[T]):
    """A :class:`DelayingQueue` whose retries wait as ``rate_limiter`` says.

    Call :meth:`forget` when an item succeeds (or is given up on), or its
    failures stay counted forever."""

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
        """Add ``item`` after the delay the rate limiter gives it (a failure)."""
        self.add_after(item, self.rate_limiter.when(item))

    def forget(self, item: T) -> None:
        """Stop counting the failures of ``item``. Only the rate limiter forgets:
        :meth:`done` is still due."""
        self.rate_limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        """How many times ``item`` was rate-limited since it was last forgotten."""
        return self.rate_limiter.num_requeues(item)

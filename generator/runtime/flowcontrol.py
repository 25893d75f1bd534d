"""Client-side rate limiting: client-go's ``util/flowcontrol`` token bucket.

Off unless asked for, as client-go is against servers with API Priority and
Fairness (which throttles on the server, answering 429 that the pipeline
retries). Ask for it in the :class:`~.config.Config`::

    config = load_kube_config()
    config.qps, config.burst = 20.0, 40     # before building the ClientSet
    cs = ClientSet(config)                   # every client of cs shares one bucket

Each ClientSet (each pipeline) built from the Config gets a bucket of its own,
as each client-go clientset does unless its rest.Config carries a RateLimiter.

Every request attempt (retries included, watches included) takes a token; a
request that finds the bucket empty waits for the next one, and that wait
follows the request's :class:`~.context.Context`: cancelled, it raises
:class:`~.errors.Cancelled`; a wait that would outlast the deadline raises
:class:`~.errors.DeadlineExceeded` at once, without waiting. A wait above one
second is logged as a warning (client-go's "Waited for ... due to client-side
throttling" message), at most once a second.

The bucket can be shared by clients built separately::

    bucket = TokenBucketRateLimiter(qps=20, burst=40)
    cs.rest_client.pipeline.rate_limiter = bucket
    dynamic.rest_client.pipeline.rate_limiter = bucket
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from .errors import DeadlineExceeded

if TYPE_CHECKING:
    from .context import Context

__all__ = [
    "DEFAULT_BURST",
    "RateLimiter",
    "TokenBucketRateLimiter",
    "check_rate_limits",
]

#: client-go's rest.DefaultBurst, used when only ``qps`` is given
DEFAULT_BURST = 10


def check_rate_limits(qps: object, burst: object) -> None:
    """Raise ValueError naming the setting if ``qps``/``burst`` are unusable."""
    if qps is not None and (
        isinstance(qps, bool)
        or not isinstance(qps, (int, float))
        or not math.isfinite(qps)
        or qps <= 0
    ):
        raise ValueError(
            f"qps must be a number of requests per second above 0, got {qps!r}"
        )
    if burst is not None:
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst must be an integer of at least 1, got {burst!r}")
        if qps is None:
            raise ValueError("burst needs qps: set both, or neither (no rate limit)")


class RateLimiter(Protocol):
    """What the pipeline asks of a rate limiter before each request attempt."""

    def wait(
        self, ctx: Context | None, sleep: Callable[[float, Context | None], None]
    ) -> float:
        """Block (with ``sleep``) until the request may go; return the seconds
        waited. Raises :class:`~.errors.Cancelled` when ``ctx`` ends the wait."""
        ...


class TokenBucketRateLimiter:
    """``qps`` tokens a second, at most ``burst`` saved up; thread-safe.

    As golang.org/x/time/rate behind client-go's NewTokenBucketRateLimiter: the
    bucket starts full, a taken token may leave it negative (a reservation), and
    the taker waits until the refill has paid it back, so waiters are served in
    the order they came.
    """

    def __init__(
        self,
        qps: float,
        burst: int = DEFAULT_BURST,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_rate_limits(qps, burst)
        self.qps = float(qps)
        self.burst = burst
        #: seconds, monotonic; tests replace it (with the pipeline's ``sleep``)
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._last = clock()

    def _refill(self, now: float) -> None:
        elapsed = max(now - self._last, 0.0)
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.qps)
        self._last = now

    def reserve(self) -> float:
        """Take a token now; the seconds until it is really there (0: at once)."""
        with self._lock:
            self._refill(self.clock())
            self._tokens -= 1.0
            return max(-self._tokens / self.qps, 0.0)

    def cancel(self) -> None:
        """Give back the token of a reservation that was not used."""
        with self._lock:
            self._refill(self.clock())
            self._tokens = min(float(self.burst), self._tokens + 1.0)

    def try_accept(self) -> bool:
        """Take a token if one is there now (never waits)."""
        with self._lock:
            self._refill(self.clock())
            if self._tokens < 1.0:
                return False
            self._tokens -= 1.0
            return True

    def wait(
        self, ctx: Context | None, sleep: Callable[[float, Context | None], None]
    ) -> float:
        started = self.clock()
        if ctx is not None:
            ctx.check()
        delay = self.reserve()
        if delay <= 0:
            return 0.0
        remaining = ctx.remaining() if ctx is not None else None
        if remaining is not None and remaining < delay:
            self.cancel()  # as rate.Limiter.Wait: fail now, keep the token
            raise DeadlineExceeded(
                f"client-side rate limit: waiting {delay:.3f}s for a token would "
                "exceed the context deadline"
            )
        try:
            sleep(delay, ctx)
            if ctx is not None:
                ctx.check()
        except BaseException:
            self.cancel()
            raise
        return max(self.clock() - started, 0.0)

    def __repr__(self) -> str:
        return f"TokenBucketRateLimiter(qps={self.qps:g}, burst={self.burst})"

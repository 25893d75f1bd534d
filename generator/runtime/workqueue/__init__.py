"""Work queues for controllers, as client-go's ``util/workqueue``.

An informer's handlers add object keys; worker threads take keys out one at a
time and reconcile them. The queue is *fair* (first in, first out) and *stingy*:
a key added many times before a worker takes it is handed out once, and a key
added while a worker holds it is handed out again only after that worker calls
``done`` -- never to two workers at once::

    from kubeclient.cache import meta_namespace_key
    from kubeclient.workqueue import RateLimitingQueue, default_controller_rate_limiter

    queue: RateLimitingQueue[str] = RateLimitingQueue(
        default_controller_rate_limiter(), name="foos"
    )
    informer.add_event_handler(on_add=lambda foo: queue.add(meta_namespace_key(foo)))

    def worker() -> None:
        while True:
            key, shutdown = queue.get()  # blocks; get(timeout=s) -> (None, False) on timeout
            if shutdown or key is None:
                return
            try:
                reconcile(key)
            except Exception:
                queue.add_rate_limited(key)  # retry, backing off per key and overall
            else:
                queue.forget(key)  # reset the key's backoff
            finally:
                queue.done(key)

    ...
    queue.shut_down_with_drain()  # stop taking keys, wait for the ones in flight

:class:`Queue` is the plain queue, :class:`DelayingQueue` adds ``add_after``,
:class:`RateLimitingQueue` adds ``add_rate_limited`` / ``forget`` /
``num_requeues``. Rate limiters are in :mod:`.rate_limiters`, metrics hooks in
:mod:`.metrics` (a Prometheus adapter in :mod:`.prometheus`, needing
``prometheus_client``). Give a queue (and a :class:`BucketRateLimiter`)
``clock=FakeClock()`` to test timing without sleeping: ``FakeClock.step`` wakes
the delaying queue. ``get(timeout=)`` alone counts real seconds.
"""

from .clock import Clock, FakeClock, RealClock
from .delaying import DelayingQueue
from .metrics import (
    CounterMetric,
    GaugeMetric,
    HistogramMetric,
    MetricsProvider,
    NoopMetricsProvider,
    SettableGaugeMetric,
    get_provider,
    set_provider,
)
from .queue import Queue
from .rate_limiters import (
    BucketRateLimiter,
    ItemExponentialFailureRateLimiter,
    ItemFastSlowRateLimiter,
    MaxOfRateLimiter,
    RateLimiter,
    default_controller_rate_limiter,
)
from .rate_limiting import RateLimitingQueue

__all__ = [
    "BucketRateLimiter",
    "Clock",
    "CounterMetric",
    "DelayingQueue",
    "FakeClock",
    "GaugeMetric",
    "HistogramMetric",
    "ItemExponentialFailureRateLimiter",
    "ItemFastSlowRateLimiter",
    "MaxOfRateLimiter",
    "MetricsProvider",
    "NoopMetricsProvider",
    "Queue",
    "RateLimiter",
    "RateLimitingQueue",
    "RealClock",
    "SettableGaugeMetric",
    "default_controller_rate_limiter",
    "get_provider",
    "set_provider",
]

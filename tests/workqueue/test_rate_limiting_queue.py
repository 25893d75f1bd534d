"""The rate-limiting queue: retries wait as its rate limiter says, on a fake clock."""

from __future__ import annotations

from generator.runtime.workqueue import (
    DelayingQueue,
    FakeClock,
    ItemExponentialFailureRateLimiter,
    Queue,
    RateLimitingQueue,
    default_controller_rate_limiter,
)

from .recording import eventually


def test_the_issues_surface() -> None:
    clock = FakeClock()
    q: RateLimitingQueue[str] = RateLimitingQueue(
        default_controller_rate_limiter(clock=clock), name="foos", clock=clock
    )
    assert isinstance(q, DelayingQueue) and isinstance(q, Queue)
    q.add("default/a")
    key, shutdown = q.get()
    assert (key, shutdown) == ("default/a", False)
    q.add_rate_limited("default/a")  # failed: retry in 5 ms
    q.done("default/a")
    assert q.num_requeues("default/a") == 1
    assert len(q) == 0
    clock.step(0.005)
    assert q.get(timeout=10) == ("default/a", False)
    q.forget("default/a")
    q.done("default/a")
    assert q.num_requeues("default/a") == 0
    q.add_after("default/b", 2.0)
    clock.step(2.0)
    assert q.get(timeout=10) == ("default/b", False)
    q.done("default/b")
    q.shut_down()
    assert q.get() == (None, True)


def test_retries_back_off_exponentially_per_item() -> None:
    clock = FakeClock()
    limiter: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter(
        1.0, 60.0
    )
    q: RateLimitingQueue[str] = RateLimitingQueue(limiter, clock=clock)
    for attempt, delay in enumerate([1.0, 2.0, 4.0, 8.0], start=1):
        q.add_rate_limited("a")
        assert q.num_requeues("a") == attempt
        clock.step(delay - 0.5)
        assert q.get(timeout=0.02) == (None, False)  # not yet
        clock.step(0.5)
        assert q.get(timeout=10) == ("a", False)
        q.done("a")
    q.forget("a")
    q.add_rate_limited("a")
    clock.step(1.0)
    assert q.get(timeout=10) == ("a", False)
    q.shut_down()


def test_a_rate_limited_item_already_waiting_keeps_its_earlier_time() -> None:
    clock = FakeClock()
    limiter: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter(
        1.0, 60.0
    )
    q: RateLimitingQueue[str] = RateLimitingQueue(limiter, clock=clock)
    q.add_rate_limited("a")  # ready at 1
    q.add_rate_limited("a")  # would be 2: keeps 1
    assert q.waiting() == 1
    clock.step(1.0)
    assert eventually(lambda: len(q) == 1)
    assert q.get(timeout=10) == ("a", False)
    q.shut_down()

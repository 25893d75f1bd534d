"""The rate limiters, as client-go's default_rate_limiters.go, on a fake clock."""

from __future__ import annotations

import math

import pytest

from generator.runtime.workqueue import (
    BucketRateLimiter,
    FakeClock,
    ItemExponentialFailureRateLimiter,
    ItemFastSlowRateLimiter,
    MaxOfRateLimiter,
    RateLimiter,
    default_controller_rate_limiter,
)


def test_exponential_doubles_per_failure_of_each_item_up_to_the_cap() -> None:
    limiter: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter(
        0.001, 1.0
    )
    delays = [limiter.when("a") for _ in range(12)]
    assert delays[:4] == [0.001, 0.002, 0.004, 0.008]
    assert delays[9] == pytest.approx(0.512)
    assert delays[10:] == [1.0, 1.0]  # 1.024 capped
    assert limiter.num_requeues("a") == 12
    assert limiter.when("b") == 0.001  # items count apart
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0
    assert limiter.when("a") == 0.001


def test_exponential_defaults_are_client_gos_and_never_overflow() -> None:
    limiter: ItemExponentialFailureRateLimiter[str] = (
        ItemExponentialFailureRateLimiter()
    )
    assert (limiter.base, limiter.cap) == (0.005, 1000.0)
    delays = [limiter.when("a") for _ in range(3000)]
    assert delays[0] == 0.005
    assert delays[-1] == 1000.0
    assert max(delays) == 1000.0


def test_bucket_serves_the_burst_at_once_then_one_token_per_interval() -> None:
    clock = FakeClock()
    limiter: BucketRateLimiter[str] = BucketRateLimiter(10, 100, clock=clock)
    assert [limiter.when(f"item{i}") for i in range(100)] == [0.0] * 100
    # reservations: each call owes one more token (0.1 s at 10 qps)
    assert limiter.when("x") == pytest.approx(0.1)
    assert limiter.when("x") == pytest.approx(0.2)
    assert limiter.when("y") == pytest.approx(0.3)
    clock.step(1.0)  # 10 tokens: pays the 3 owed, 7 left
    assert [limiter.when("z") for _ in range(7)] == [0.0] * 7
    assert limiter.when("z") == pytest.approx(0.1)
    clock.step(1000.0)  # refills to the burst, no more
    assert [limiter.when("w") for _ in range(100)] == [0.0] * 100
    assert limiter.when("w") == pytest.approx(0.1)
    assert limiter.num_requeues("w") == 0
    limiter.forget("w")  # counts nothing, forgets nothing
    assert limiter.when("w") == pytest.approx(0.2)


def test_bucket_without_a_limit_never_delays() -> None:
    limiter: BucketRateLimiter[str] = BucketRateLimiter(math.inf, 1, clock=FakeClock())
    assert [limiter.when("a") for _ in range(1000)] == [0.0] * 1000


def test_fast_slow_switches_after_the_fast_attempts() -> None:
    limiter: ItemFastSlowRateLimiter[str] = ItemFastSlowRateLimiter(0.01, 5.0, 3)
    assert [limiter.when("a") for _ in range(5)] == [0.01, 0.01, 0.01, 5.0, 5.0]
    assert limiter.num_requeues("a") == 5
    assert limiter.when("b") == 0.01
    limiter.forget("a")
    assert limiter.when("a") == 0.01


def test_max_of_takes_the_longest_delay_and_asks_every_limiter() -> None:
    clock = FakeClock()
    fast_slow: ItemFastSlowRateLimiter[str] = ItemFastSlowRateLimiter(0.5, 2.0, 1)
    exponential: ItemExponentialFailureRateLimiter[str] = (
        ItemExponentialFailureRateLimiter(0.1, 100)
    )
    limiter = MaxOfRateLimiter(fast_slow, exponential)
    assert limiter.when("a") == 0.5  # fast 0.5 > exponential 0.1
    assert limiter.when("a") == 2.0  # slow 2.0 > 0.2
    assert [limiter.when("a") for _ in range(3)] == [2.0, 2.0, 2.0]  # 0.4 .. 1.6
    assert limiter.when("a") == pytest.approx(3.2)  # exponential wins now
    assert fast_slow.num_requeues("a") == exponential.num_requeues("a") == 6
    assert limiter.num_requeues("a") == 6
    limiter.forget("a")
    assert fast_slow.num_requeues("a") == exponential.num_requeues("a") == 0
    bucket: BucketRateLimiter[str] = BucketRateLimiter(1, 1, clock=clock)
    assert MaxOfRateLimiter(bucket).num_requeues("a") == 0


def test_default_controller_rate_limiter_is_client_gos() -> None:
    clock = FakeClock()
    limiter = default_controller_rate_limiter(clock=clock)
    exponential, bucket = limiter.limiters
    assert isinstance(exponential, ItemExponentialFailureRateLimiter)
    assert (exponential.base, exponential.cap) == (0.005, 1000.0)
    assert isinstance(bucket, BucketRateLimiter)
    assert (bucket.qps, bucket.burst) == (10.0, 100)
    # per item: exponential; all items together: 10 qps once the burst of 100 is used
    assert [limiter.when("a") for _ in range(3)] == [0.005, 0.01, 0.02]
    assert [limiter.when(f"k{i}") for i in range(97)] == [0.005] * 97
    assert limiter.when("fresh") == pytest.approx(0.1)
    assert limiter.num_requeues("a") == 3


def test_limiters_satisfy_the_protocol() -> None:
    limiters: list[RateLimiter[str]] = [
        ItemExponentialFailureRateLimiter(),
        BucketRateLimiter(clock=FakeClock()),
        ItemFastSlowRateLimiter(0.1, 1, 1),
        default_controller_rate_limiter(),
    ]
    for limiter in limiters:
        assert limiter.when("a") >= 0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ItemExponentialFailureRateLimiter(-1, 10), "base must be"),
        (lambda: ItemExponentialFailureRateLimiter(0.1, math.nan), "cap must be"),
        (lambda: ItemFastSlowRateLimiter(0.1, -2, 1), "slow_delay must be"),
        (lambda: ItemFastSlowRateLimiter(0.1, 2, -1), "max_fast_attempts must be"),
        (lambda: BucketRateLimiter(0, 10), "qps must be > 0"),
        (lambda: BucketRateLimiter(10, 0), "burst must be >= 1"),
        (lambda: MaxOfRateLimiter(), "at least one limiter"),
    ],
)
def test_bad_settings_are_refused_by_name(make: object, message: str) -> None:
    assert callable(make)
    with pytest.raises(ValueError, match=message):
        make()

"""Tests for generator/runtime/retry.py: client-go's util/retry, with a fake sleep."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from generator.runtime.context import Context
from generator.runtime.errors import (
    AlreadyExists,
    Cancelled,
    Conflict,
    NotFound,
    ServiceUnavailable,
    is_service_unavailable,
)
from generator.runtime.retry import (
    DEFAULT_BACKOFF,
    DEFAULT_RETRY,
    Backoff,
    on_error,
    retry_on_conflict,
)


def conflict() -> Conflict:
    return Conflict(409, "Conflict", "the object has been modified")


def failing(errors: list[Exception], result: str = "done") -> Callable[[], str]:
    """Raises the given errors in turn, then returns ``result``; counts calls."""
    remaining = list(errors)

    def fn() -> str:
        fn.calls += 1  # type: ignore[attr-defined]
        if remaining:
            raise remaining.pop(0)
        return result

    fn.calls = 0  # type: ignore[attr-defined]
    return fn


def calls(fn: Callable[[], str]) -> int:
    return int(fn.calls)  # type: ignore[attr-defined]


def test_defaults_are_client_gos() -> None:
    retry = Backoff(duration=0.010, factor=1.0, jitter=0.1, steps=5)
    backoff = Backoff(duration=0.010, factor=5.0, jitter=0.1, steps=4)
    assert (retry, backoff) == (DEFAULT_RETRY, DEFAULT_BACKOFF)
    assert DEFAULT_RETRY.tries == 5
    assert DEFAULT_BACKOFF.pauses(lambda: 0.0) == pytest.approx([0.01, 0.05, 0.25])


def test_returns_the_result_after_conflicts() -> None:
    slept: list[float] = []
    fn = failing([conflict(), conflict()], "updated")
    assert retry_on_conflict(fn, sleep=slept.append, random=lambda: 0.5) == "updated"
    assert calls(fn) == 3
    # 10 ms each, plus half of the 10 % jitter
    assert slept == pytest.approx([0.0105, 0.0105])


def test_the_last_conflict_is_raised_as_is_when_tries_run_out() -> None:
    errors: list[Exception] = [conflict() for _ in range(6)]
    slept: list[float] = []
    fn = failing(list(errors))
    with pytest.raises(Conflict) as caught:
        retry_on_conflict(fn, sleep=slept.append)
    assert caught.value is errors[4]  # the fifth and last try's error
    assert calls(fn) == 5
    assert len(slept) == 4  # no pause after the last try


def test_other_errors_are_not_retried() -> None:
    gone = NotFound(404, "NotFound", 'deployments.apps "web" not found')
    fn = failing([gone])
    with pytest.raises(NotFound) as caught:
        retry_on_conflict(fn, sleep=lambda s: None)
    assert caught.value is gone and calls(fn) == 1


def test_already_exists_is_not_a_conflict_to_retry() -> None:
    # apierrors.IsConflict is false for AlreadyExists: a retry cannot help a create
    fn = failing([AlreadyExists(409, "AlreadyExists", "exists")])
    with pytest.raises(AlreadyExists):
        retry_on_conflict(fn, sleep=lambda s: None)
    assert calls(fn) == 1


def test_on_error_with_a_predicate_and_growing_pauses() -> None:
    slept: list[float] = []
    unavailable = ServiceUnavailable(503, "ServiceUnavailable", "try later")
    fn = failing([unavailable, unavailable, unavailable], "created")
    result = on_error(
        DEFAULT_BACKOFF,
        is_service_unavailable,
        fn,
        sleep=slept.append,
        random=lambda: 0.0,
    )
    assert result == "created"
    assert slept == pytest.approx([0.01, 0.05, 0.25])


def test_jitter_stays_within_its_fraction() -> None:
    backoff = Backoff(duration=1.0, factor=2.0, jitter=0.5, steps=4)
    assert backoff.pauses(lambda: 0.0) == [1.0, 2.0, 4.0]
    assert backoff.pauses(lambda: 0.999) == pytest.approx([1.4995, 2.999, 5.998])


def test_the_cap_ends_the_tries_as_in_go() -> None:
    # Backoff.Step zeroes Steps once the next duration passes the cap:
    # wait.ExponentialBackoff then stops after two tries here
    backoff = Backoff(duration=1.0, factor=2.0, steps=10, cap=3.0)
    assert backoff.pauses() == [1.0]
    assert backoff.tries == 2
    fn = failing([conflict() for _ in range(5)])
    with pytest.raises(Conflict):
        retry_on_conflict(fn, backoff, sleep=lambda s: None)
    assert calls(fn) == 2


def test_factor_zero_keeps_the_duration() -> None:
    assert Backoff(duration=0.5, factor=0.0, steps=4).pauses() == [0.5, 0.5, 0.5]


def test_one_step_means_one_try_and_no_pause() -> None:
    fn = failing([conflict()])
    slept: list[float] = []
    with pytest.raises(Conflict):
        retry_on_conflict(fn, Backoff(duration=1.0, steps=1), sleep=slept.append)
    assert calls(fn) == 1 and slept == []


def test_no_steps_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no try"):
        retry_on_conflict(lambda: 1, Backoff(duration=1.0, steps=0))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duration", -1.0),
        ("factor", float("nan")),
        ("jitter", "0.1"),
        ("cap", float("inf")),
        ("steps", 2.5),
    ],
)
def test_bad_backoff_values_name_the_field(field: str, value: object) -> None:
    values: dict[str, object] = {"duration": 1.0, field: value}
    with pytest.raises(ValueError, match=f"Backoff.{field}"):
        Backoff(**values)  # type: ignore[arg-type]


def test_a_cancelled_context_ends_the_pause_at_once() -> None:
    ctx = Context()
    fn = failing([conflict() for _ in range(10)])
    timer = threading.Timer(0.05, ctx.cancel)
    timer.start()
    try:
        with pytest.raises(Cancelled):
            # 30 s pauses: only the cancellation can end this quickly
            retry_on_conflict(fn, Backoff(duration=30.0, steps=5), ctx=ctx)
    finally:
        timer.cancel()
    assert calls(fn) == 1


def test_a_done_context_stops_before_the_next_try() -> None:
    ctx = Context()

    def fn() -> str:
        ctx.cancel()
        raise conflict()

    with pytest.raises(Cancelled):
        retry_on_conflict(fn, ctx=ctx, sleep=lambda s: None)

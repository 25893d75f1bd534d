"""Tests for generator/runtime/wait.py without a server: poll_until on a fake clock,
and kubectl wait's condition test (the watch-based wait_for is tested against the
test API server in tests/testing/test_wait.py)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from generator.runtime.context import Context
from generator.runtime.errors import Cancelled, DeadlineExceeded, WaitTimeout
from generator.runtime.wait import condition_met, poll_until


class FakeTime:
    def __init__(self) -> None:
        self.now = 50.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def counting(results: list[Any]) -> Any:
    answers = iter(results)

    def condition() -> Any:
        condition.calls += 1  # type: ignore[attr-defined]
        return next(answers)

    condition.calls = 0  # type: ignore[attr-defined]
    return condition


# --- poll_until -------------------------------------------------------------------------


def test_returns_the_first_truthy_result() -> None:
    time = FakeTime()
    condition = counting([None, 0, {"ready": True}])
    result = poll_until(condition, 2.0, sleep=time.sleep, clock=time.clock)
    assert result == {"ready": True}
    assert time.slept == [2.0, 2.0]


def test_not_immediate_waits_an_interval_first() -> None:
    time = FakeTime()
    poll_until(
        counting([True]), 1.5, immediate=False, sleep=time.sleep, clock=time.clock
    )
    assert time.slept == [1.5]


def test_timeout_checks_a_last_time_at_the_deadline_then_raises() -> None:
    time = FakeTime()
    condition = counting([False] * 10)
    with pytest.raises(WaitTimeout, match="timed out after 5s") as caught:
        poll_until(condition, 2.0, timeout=5.0, sleep=time.sleep, clock=time.clock)
    assert isinstance(caught.value, DeadlineExceeded)
    assert time.slept == [2.0, 2.0, 1.0]  # the last pause ends at the deadline
    assert condition.calls == 4  # at 0, 2, 4 and 5 s


def test_an_exception_from_the_condition_aborts() -> None:
    time = FakeTime()

    def condition() -> bool:
        raise RuntimeError("the check broke")

    with pytest.raises(RuntimeError, match="broke"):
        poll_until(condition, 1.0, timeout=10, sleep=time.sleep, clock=time.clock)
    assert time.slept == []


def test_a_cancelled_context_ends_the_wait_with_its_own_error() -> None:
    ctx = Context()
    timer = threading.Timer(0.05, ctx.cancel)
    timer.start()
    try:
        with pytest.raises(Cancelled) as caught:
            poll_until(lambda: False, 30.0, ctx=ctx)  # only ctx can end this soon
    finally:
        timer.cancel()
    assert not isinstance(caught.value, WaitTimeout)


@pytest.mark.parametrize(
    ("interval", "timeout", "message"),
    [
        (0, None, "interval must be"),
        (-1.0, None, "interval must be"),
        (float("nan"), None, "interval must be"),
        (1.0, -2.0, "timeout must be"),
        (1.0, "10", "timeout must be"),
    ],
)
def test_bad_intervals_and_timeouts(interval: Any, timeout: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        poll_until(lambda: True, interval, timeout)


# --- kubectl's condition test ---------------------------------------------------------


def deployment(
    conditions: list[dict[str, Any]],
    generation: int | None = 2,
    observed: int | None = 2,
) -> dict[str, Any]:
    obj: dict[str, Any] = {"metadata": {"name": "web"}, "status": {}}
    if generation is not None:
        obj["metadata"]["generation"] = generation
    if observed is not None:
        obj["status"]["observedGeneration"] = observed
    obj["status"]["conditions"] = conditions
    return obj


AVAILABLE = {"type": "Available", "status": "True"}


def test_condition_true() -> None:
    assert condition_met(deployment([AVAILABLE]), "Available")
    assert not condition_met(deployment([AVAILABLE]), "Progressing")
    assert not condition_met(deployment([AVAILABLE]), "Available", "False")


def test_names_and_statuses_compare_without_case() -> None:
    assert condition_met(deployment([AVAILABLE]), "available")
    assert condition_met(deployment([AVAILABLE]), "AVAILABLE", "true")


def test_an_old_observed_generation_is_not_met() -> None:
    # kubectl: the controller has not seen the latest spec yet
    assert not condition_met(deployment([AVAILABLE], generation=3), "Available")
    # the condition's own observedGeneration wins over the status'
    own = {**AVAILABLE, "observedGeneration": 3}
    assert condition_met(deployment([own], generation=3), "Available")
    # nothing to compare with: the status decides
    assert condition_met(deployment([AVAILABLE], observed=None), "Available")
    assert condition_met(deployment([AVAILABLE], generation=None), "Available")


def test_the_first_condition_of_the_type_decides() -> None:
    twice = [{"type": "Ready", "status": "False"}, {"type": "Ready", "status": "True"}]
    assert not condition_met(deployment(twice), "Ready")
    assert condition_met(deployment(twice), "Ready", "False")


@pytest.mark.parametrize(
    "obj",
    [
        {},
        {"status": None},
        {"status": {"conditions": "Available"}},
        {"status": {"conditions": [None, 3, {"type": 1}, {"type": "Available"}]}},
        {"status": {"conditions": [{"type": "Available", "status": True}]}},
    ],
)
def test_odd_statuses_are_simply_not_met(obj: dict[str, Any]) -> None:
    assert not condition_met(obj, "Available")

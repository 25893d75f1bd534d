"""The pipeline's retry decisions as a sans-IO state machine (pipeline.Attempts),
which the sync Pipeline and kubeclient.aio's AsyncPipeline both run."""

from __future__ import annotations

from generator.runtime.errors import CannotConnect, ConnectionFailed, TLSFailed
from generator.runtime.pipeline import (
    FINISH,
    RAISE,
    REFRESH,
    RESEND,
    Attempts,
    RetryPolicy,
    Wait,
)
from generator.runtime.request import Request

POLICY = RetryPolicy(max_retries=2, backoff_base=1.0, backoff_cap=8.0)


def attempts(method: str = "GET", *, can_refresh: bool = True) -> Attempts:
    return Attempts(
        POLICY, Request(method, "/api/v1/pods"), lambda: 0.0, can_refresh=can_refresh
    )


def test_429_waits_for_the_backoff_or_retry_after_then_finishes() -> None:
    state = attempts("POST")
    first = state.answered(429, {})
    assert isinstance(first, Wait) and first.seconds == 0.5  # half the step, no jitter
    second = state.answered(429, {"Retry-After": "3"})
    assert isinstance(second, Wait) and second.seconds == 3.0
    assert state.answered(429, {}) is FINISH  # max_retries used up
    assert state.retries == 2


def test_5xx_is_retried_only_for_safe_methods() -> None:
    assert isinstance(attempts("GET").answered(503, {}), Wait)
    assert attempts("POST").answered(503, {}) is FINISH
    assert attempts("GET").answered(501, {}) is FINISH
    assert attempts("GET").answered(200, {}) is FINISH


def test_a_401_asks_once_for_new_credentials() -> None:
    state = attempts()
    assert state.answered(401, {}) is REFRESH
    assert state.refreshed(True, 401, {}) is RESEND
    assert state.answered(401, {}) is FINISH  # refreshed once already
    unchanged = attempts()
    assert unchanged.answered(401, {}) is REFRESH
    assert unchanged.refreshed(False, 401, {}) is FINISH
    assert attempts(can_refresh=False).answered(401, {}) is FINISH


def test_connection_failures() -> None:
    post = attempts("POST")
    assert isinstance(post.failed(CannotConnect("refused")), Wait)  # nothing sent
    assert post.failed(ConnectionFailed("reset")) is RAISE  # a write may have happened
    assert attempts().failed(TLSFailed("bad certificate")) is RAISE
    get = attempts()
    assert isinstance(get.failed(ConnectionFailed("reset")), Wait)
    assert isinstance(get.failed(ConnectionFailed("reset")), Wait)
    assert get.failed(ConnectionFailed("reset")) is RAISE

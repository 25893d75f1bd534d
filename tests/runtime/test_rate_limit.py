"""Client-side rate limiting (generator/runtime/flowcontrol.py, applied in the pipeline):
client-go's token bucket, on a fake clock, then on the fake clientset and over HTTP."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from generator.runtime.config import Config
from generator.runtime.context import Context
from generator.runtime.errors import Cancelled, DeadlineExceeded
from generator.runtime.flowcontrol import TokenBucketRateLimiter
from generator.runtime.pipeline import Pipeline
from generator.runtime.request import Request
from generator.runtime.response import Response
from generator.runtime.transport.mock import MockTransport, json_response

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer


class FakeClock:
    """Time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float, ctx: Context | None = None) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def ok(request: Request) -> Response:
    return json_response(200, {"kind": "ConfigMap", "apiVersion": "v1"})


def limited_pipeline(
    qps: float, burst: int, handler: Any = ok
) -> tuple[Pipeline, FakeClock, MockTransport]:
    clock = FakeClock()
    transport = MockTransport(handler)
    pipeline = Pipeline(
        transport,
        Config(host="https://k8s.example:6443", qps=qps, burst=burst),
    )
    made = pipeline.rate_limiter
    assert isinstance(made, TokenBucketRateLimiter)
    assert (made.qps, made.burst) == (qps, burst)
    # the same bucket on the fake clock
    pipeline.rate_limiter = TokenBucketRateLimiter(qps, burst, clock=clock)
    pipeline.sleep = clock.sleep
    return pipeline, clock, transport


# --- the bucket --------------------------------------------------------------------------


def test_the_bucket_starts_full_then_pays_out_qps() -> None:
    clock = FakeClock()
    bucket = TokenBucketRateLimiter(qps=10, burst=3, clock=clock)
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    # reservations queue up: the 4th waits 0.1 s, the 5th 0.2 s
    assert bucket.reserve() == pytest.approx(0.1)
    assert bucket.reserve() == pytest.approx(0.2)
    clock.now += 10.0  # a long pause refills only up to the burst
    assert [bucket.try_accept() for _ in range(4)] == [True, True, True, False]


def test_a_cancelled_reservation_gives_its_token_back() -> None:
    clock = FakeClock()
    bucket = TokenBucketRateLimiter(qps=1, burst=1, clock=clock)
    assert bucket.reserve() == 0.0
    assert bucket.reserve() == pytest.approx(1.0)
    bucket.cancel()
    assert bucket.reserve() == pytest.approx(1.0)  # not 2.0


def test_off_by_default() -> None:
    assert Pipeline(MockTransport(ok), Config(host="https://x")).rate_limiter is None
    assert Pipeline(MockTransport(ok)).rate_limiter is None


def test_burst_defaults_to_client_gos_10() -> None:
    pipeline = Pipeline(MockTransport(ok), Config(host="https://x", qps=5))
    assert isinstance(pipeline.rate_limiter, TokenBucketRateLimiter)
    assert (pipeline.rate_limiter.qps, pipeline.rate_limiter.burst) == (5.0, 10)


@pytest.mark.parametrize(
    ("qps", "burst", "message"),
    [
        (0, None, "qps must be"),
        (-1.0, 5, "qps must be"),
        (float("nan"), 5, "qps must be"),
        ("10", 5, "qps must be"),
        (True, 5, "qps must be"),
        (10.0, 0, "burst must be"),
        (10.0, 2.5, "burst must be"),
        (None, 5, "burst needs qps"),
    ],
)
def test_bad_limits_are_clear_errors(qps: Any, burst: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Config(host="https://x", qps=qps, burst=burst)


# --- in the pipeline ---------------------------------------------------------------------


def test_each_request_takes_a_token() -> None:
    pipeline, clock, transport = limited_pipeline(qps=10, burst=2)
    for _ in range(5):
        pipeline.request("GET", "/api/v1/namespaces/default/configmaps/a")
    assert len(transport.requests) == 5
    assert clock.slept == [0.1, 0.1, 0.1]


def test_every_retry_attempt_takes_a_token_too() -> None:
    answers = iter([429, 429, 200])

    def handler(request: Request) -> Response:
        status = next(answers)
        if status == 429:
            return json_response(429, {"kind": "Status"}, {"Retry-After": "0"})
        return ok(request)

    pipeline, clock, transport = limited_pipeline(qps=1, burst=1, handler=handler)
    pipeline.random = lambda: 0.0
    pipeline.request("GET", "/api/v1/pods")
    assert len(transport.requests) == 3
    # backoffs of 0.1 s (half the 0.2 s step) and 0.2 s; the bucket then still
    # owes the rest of each 1 s token
    assert clock.slept == [0.1, 0.9, 0.2, 0.8]


def test_a_wait_past_the_deadline_fails_at_once_without_taking_the_token() -> None:
    pipeline, clock, transport = limited_pipeline(qps=0.5, burst=1)
    pipeline.request("GET", "/api/v1/pods")
    with pytest.raises(DeadlineExceeded, match="rate limit"):
        pipeline.request("GET", "/api/v1/pods", ctx=Context(timeout=1.0))
    assert clock.slept == [] and len(transport.requests) == 1
    pipeline.request("GET", "/api/v1/pods")  # the token was given back: 2 s, not 4
    assert clock.slept == [2.0]


def test_cancelling_the_context_ends_the_wait() -> None:
    transport = MockTransport(ok)
    pipeline = Pipeline(transport, Config(host="https://x", qps=0.01, burst=1))
    pipeline.request("GET", "/api/v1/pods")
    ctx = Context()
    timer = threading.Timer(0.05, ctx.cancel)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(Cancelled):
            pipeline.request("GET", "/api/v1/pods", ctx=ctx)  # would wait 100 s
    finally:
        timer.cancel()
    assert time.monotonic() - started < 5
    assert len(transport.requests) == 1


def test_a_long_wait_is_logged_as_client_go_does(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pipeline, _, _ = limited_pipeline(qps=0.5, burst=1)
    with caplog.at_level(logging.DEBUG):
        pipeline.request("GET", "/api/v1/pods")
        pipeline.request("GET", "/api/v1/namespaces/default/pods")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "Waited for 2.000s due to client-side throttling, not priority and "
        "fairness, request: GET:https://k8s.example:6443/api/v1/namespaces/default/pods"
    ]


def test_a_short_wait_is_only_debug(caplog: pytest.LogCaptureFixture) -> None:
    pipeline, _, _ = limited_pipeline(qps=5, burst=1)
    with caplog.at_level(logging.DEBUG):
        pipeline.request("GET", "/api/v1/pods")
        pipeline.request("GET", "/api/v1/pods")
    throttled = [r for r in caplog.records if "throttling" in r.getMessage()]
    assert [r.levelno for r in throttled] == [logging.DEBUG]


def test_a_shared_bucket_limits_pipelines_together() -> None:
    clock = FakeClock()
    bucket = TokenBucketRateLimiter(qps=2, burst=1, clock=clock)
    first = Pipeline(MockTransport(ok), rate_limiter=bucket)
    second = Pipeline(MockTransport(ok), rate_limiter=bucket)
    first.sleep = second.sleep = clock.sleep
    first.request("GET", "/api/v1/pods")
    second.request("GET", "/api/v1/pods")
    first.request("GET", "/api/v1/pods")
    assert clock.slept == [0.5, 0.5]


# --- on the fake clientset and over HTTP -------------------------------------------------


def test_the_fake_clientset_is_limited_like_any_transport(generated: Path) -> None:
    from kubeclient import ClientSet
    from kubeclient.config import Config as KubeConfig
    from kubeclient.flowcontrol import TokenBucketRateLimiter as Bucket
    from kubeclient.models.core_v1 import ConfigMap
    from kubeclient.models.meta_v1 import ObjectMeta
    from kubeclient.testing import fake_clientset
    from kubeclient.testing.fake import FakeTransport

    core = fake_clientset().core
    cs = ClientSet(
        KubeConfig(host="https://fake", qps=4, burst=2), transport=FakeTransport(core)
    )
    clock = FakeClock()
    pipeline = cs.rest_client.pipeline
    assert isinstance(pipeline.rate_limiter, Bucket)
    pipeline.rate_limiter = Bucket(qps=4, burst=2, clock=clock)
    pipeline.sleep = lambda seconds, ctx: clock.sleep(seconds)
    configmaps = cs.core_v1.config_maps("default")
    for name in ("a", "b", "c"):
        configmaps.create(ConfigMap(metadata=ObjectMeta(name=name), data={"k": name}))
    listed = configmaps.list().items or ()
    assert [cm.metadata.name for cm in listed if cm.metadata] == ["a", "b", "c"]
    assert clock.slept == [0.25, 0.25]  # 4 requests, burst 2, every client shares


def test_over_http_the_limit_holds_in_real_time(generated: Path) -> None:
    from kubeclient import ClientSet
    from kubeclient.testing import ApiServer

    server: ApiServer
    with ApiServer() as server:
        config = server.config()
        config.qps, config.burst = 20.0, 1
        with ClientSet(config) as cs:
            started = time.monotonic()
            for _ in range(6):
                cs.core_v1.namespaces().get("default")
            elapsed = time.monotonic() - started
    assert elapsed >= 0.24  # 5 waits of 50 ms after the first token

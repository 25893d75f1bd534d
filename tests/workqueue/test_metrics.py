"""Metrics hooks, as client-go's MetricsProvider, measured on a fake clock; and the
Prometheus adapter on a fresh registry."""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Iterator

import pytest

from generator.runtime.workqueue import (
    DelayingQueue,
    FakeClock,
    ItemFastSlowRateLimiter,
    NoopMetricsProvider,
    Queue,
    RateLimitingQueue,
    get_provider,
    set_provider,
)

from .recording import RecordingProvider, eventually


@pytest.fixture
def provider() -> RecordingProvider:
    return RecordingProvider()


def test_depth_adds_latency_and_work_duration(provider: RecordingProvider) -> None:
    clock = FakeClock()
    queue: Queue[str] = Queue("foos", clock=clock, metrics_provider=provider)
    depth, adds = provider.of("depth", "foos"), provider.of("adds", "foos")
    queue.add("a")
    queue.add("a")  # not counted: already waiting
    queue.add("b")
    assert (depth.value, adds.value) == (2, 2)
    clock.step(3.0)
    queue.get()
    assert depth.value == 1
    assert provider.of("latency", "foos").observed == [3.0]
    clock.step(0.25)
    queue.done("a")
    assert provider.of("work_duration", "foos").observed == [0.25]
    queue.get()
    queue.add("b")  # while processed: counted again, latency from now
    clock.step(1.0)
    queue.done("b")
    queue.get()
    assert provider.of("latency", "foos").observed == [3.0, 3.25, 1.0]
    assert (depth.value, adds.value) == (0, 3)
    queue.shut_down()


def test_unfinished_work_and_longest_running_processor(
    provider: RecordingProvider,
) -> None:
    clock = FakeClock()
    queue: Queue[str] = Queue("slow", clock=clock, metrics_provider=provider)
    unfinished = provider.of("unfinished", "slow")
    longest = provider.of("longest_running", "slow")
    queue.add("a")
    queue.add("b")
    queue.get()
    assert eventually(clock.has_waiters)  # the updater sleeps toward 0.5
    clock.step(1.0)  # "a" held 1 s
    assert eventually(lambda: unfinished.sets == [1.0])
    assert longest.sets == [1.0]
    queue.get()
    assert eventually(clock.has_waiters)  # sleeping toward 1.5 now
    clock.step(0.5)  # "a" 1.5 s, "b" 0.5 s
    assert eventually(lambda: unfinished.sets == [1.0, 2.0])
    assert longest.sets == [1.0, 1.5]
    queue.shut_down()
    assert [t for t in _threads() if t == "workqueue-slow-metrics"] == []


def _threads() -> list[str]:
    return [t.name for t in threading.enumerate()]


def test_retries_count_every_add_after(provider: RecordingProvider) -> None:
    clock = FakeClock()
    limiter: ItemFastSlowRateLimiter[str] = ItemFastSlowRateLimiter(0.1, 1, 1)
    queue: RateLimitingQueue[str] = RateLimitingQueue(
        limiter, "retried", clock=clock, metrics_provider=provider
    )
    queue.add_after("a", 0)
    queue.add_after("b", 5)
    queue.add_rate_limited("c")
    assert provider.of("retries", "retried").value == 3
    queue.shut_down()
    queue.add_after("d", 1)  # ignored, not counted
    assert provider.of("retries", "retried").value == 3


def test_an_unnamed_queue_reports_nothing(provider: RecordingProvider) -> None:
    queue: DelayingQueue[str] = DelayingQueue(metrics_provider=provider)
    queue.add("a")
    queue.add_after("b", 1)
    queue.shut_down()
    assert provider.metrics == {}


@pytest.fixture
def global_provider(provider: RecordingProvider) -> Iterator[RecordingProvider]:
    previous = set_provider(provider)
    try:
        yield provider
    finally:
        set_provider(previous)


def test_set_provider_reaches_queues_made_afterwards(
    global_provider: RecordingProvider,
) -> None:
    assert get_provider() is global_provider
    queue: Queue[str] = Queue("global")
    queue.add("a")
    assert global_provider.of("adds", "global").value == 1
    other = RecordingProvider()
    own: Queue[str] = Queue("own", metrics_provider=other)  # per queue wins
    own.add("a")
    assert other.of("adds", "own").value == 1
    assert ("adds", "own") not in global_provider.metrics
    queue.shut_down()
    own.shut_down()


def test_the_default_provider_measures_nothing() -> None:
    assert isinstance(get_provider(), NoopMetricsProvider)
    queue: Queue[str] = Queue("quiet")
    assert queue._metrics is None  # no bookkeeping on the hot path
    assert "workqueue-quiet-metrics" not in _threads()


# --------------------------------------------------------------------- prometheus


def test_prometheus_adapter_with_client_go_names() -> None:
    from prometheus_client import CollectorRegistry

    from generator.runtime.workqueue.prometheus import PrometheusMetricsProvider

    registry = CollectorRegistry()
    provider = PrometheusMetricsProvider(registry)
    clock = FakeClock()
    limiter: ItemFastSlowRateLimiter[str] = ItemFastSlowRateLimiter(1, 1, 1)
    queue: RateLimitingQueue[str] = RateLimitingQueue(
        limiter, "foos", clock=clock, metrics_provider=provider
    )
    labels = {"name": "foos"}

    def sample(name: str) -> float | None:
        return registry.get_sample_value(name, labels)

    queue.add("a")
    queue.add("b")
    assert sample("workqueue_depth") == 2
    assert sample("workqueue_adds_total") == 2
    clock.step(2.0)
    queue.get()
    assert sample("workqueue_depth") == 1
    assert sample("workqueue_queue_duration_seconds_count") == 1
    assert sample("workqueue_queue_duration_seconds_sum") == 2.0
    assert (
        registry.get_sample_value(
            "workqueue_queue_duration_seconds_bucket", {"name": "foos", "le": "1.0"}
        )
        == 0
    )
    assert eventually(clock.has_waiters)
    clock.step(0.5)
    assert eventually(lambda: sample("workqueue_unfinished_work_seconds") == 0.5)
    assert sample("workqueue_longest_running_processor_seconds") == 0.5
    queue.done("a")
    assert sample("workqueue_work_duration_seconds_sum") == 0.5
    queue.add_rate_limited("a")
    assert sample("workqueue_retries_total") == 1
    # a second provider on the same registry shares its metrics (no clash)
    again = PrometheusMetricsProvider(registry)
    other: Queue[str] = Queue("bars", metrics_provider=again)
    other.add("x")
    assert registry.get_sample_value("workqueue_adds_total", {"name": "bars"}) == 1
    queue.shut_down()
    other.shut_down()


def test_prometheus_adapter_without_prometheus_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    monkeypatch.delitem(
        sys.modules, "generator.runtime.workqueue.prometheus", raising=False
    )
    with pytest.raises(ImportError, match="pip install prometheus_client"):
        importlib.import_module("generator.runtime.workqueue.prometheus")

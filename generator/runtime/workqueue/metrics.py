"""Metrics hooks of the queues, as client-go's ``workqueue.MetricsProvider``.

A provider makes, for one queue name, the seven metrics client-go reports: depth,
adds, queue latency, work duration, unfinished work seconds, longest running
processor seconds and retries. Nothing is measured by default (a no-op provider);
:func:`set_provider` installs one for every queue created afterwards, and a queue's
``metrics_provider=`` overrides it. A queue without a name reports nothing, as in
client-go. :mod:`.prometheus` is a ready-made provider.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Protocol

from .clock import Clock

__all__ = [
    "CounterMetric",
    "GaugeMetric",
    "HistogramMetric",
    "MetricsProvider",
    "NoopMetricsProvider",
    "SettableGaugeMetric",
    "get_provider",
    "set_provider",
]


class GaugeMetric(Protocol):
    """A value that goes up and down (the queue's depth)."""

    def inc(self) -> None: ...

    def dec(self) -> None: ...


class SettableGaugeMetric(Protocol):
    """A value set outright (unfinished work, longest running processor)."""

    def set(self, value: float) -> None: ...


class CounterMetric(Protocol):
    """A value that only goes up (adds, retries)."""

    def inc(self) -> None: ...


class HistogramMetric(Protocol):
    """Observations of a duration in seconds (queue latency, work duration)."""

    def observe(self, value: float) -> None: ...


class MetricsProvider(Protocol):
    """Makes the metrics of the queue called ``name`` (called once per queue)."""

    def new_depth_metric(self, name: str) -> GaugeMetric: ...

    def new_adds_metric(self, name: str) -> CounterMetric: ...

    def new_latency_metric(self, name: str) -> HistogramMetric: ...

    def new_work_duration_metric(self, name: str) -> HistogramMetric: ...

    def new_unfinished_work_seconds_metric(self, name: str) -> SettableGaugeMetric: ...

    def new_longest_running_processor_seconds_metric(
        self, name: str
    ) -> SettableGaugeMetric: ...

    def new_retries_metric(self, name: str) -> CounterMetric: ...


class _NoopMetric:
    __slots__ = ()

    def inc(self) -> None:
        pass

    def dec(self) -> None:
        pass

    def set(self, value: float) -> None:
        pass

    def observe(self, value: float) -> None:
        pass


_NOOP_METRIC = _NoopMetric()


class NoopMetricsProvider:
    """Measures nothing: the default. Queues skip all bookkeeping under it."""

    def new_depth_metric(self, name: str) -> GaugeMetric:
        return _NOOP_METRIC

    def new_adds_metric(self, name: str) -> CounterMetric:
        return _NOOP_METRIC

    def new_latency_metric(self, name: str) -> HistogramMetric:
        return _NOOP_METRIC

    def new_work_duration_metric(self, name: str) -> HistogramMetric:
        return _NOOP_METRIC

    def new_unfinished_work_seconds_metric(self, name: str) -> SettableGaugeMetric:
        return _NOOP_METRIC

    def new_longest_running_processor_seconds_metric(
        self, name: str
    ) -> SettableGaugeMetric:
        return _NOOP_METRIC

    def new_retries_metric(self, name: str) -> CounterMetric:
        return _NOOP_METRIC


_provider_lock = threading.Lock()
_global_provider: MetricsProvider = NoopMetricsProvider()


def set_provider(provider: MetricsProvider) -> MetricsProvider:
    """Report the metrics of every queue created from now on to ``provider``;
    returns the provider it replaces.

    Unlike client-go's ``SetProvider`` (first call wins), every call counts, so
    that a test can install a provider and put the previous one back."""
    global _global_provider
    with _provider_lock:
        previous, _global_provider = _global_provider, provider
    return previous


def get_provider() -> MetricsProvider:
    """The provider queues created now report to."""
    with _provider_lock:
        return _global_provider


def resolve_provider(
    name: str, provider: MetricsProvider | None
) -> MetricsProvider | None:
    """The provider a queue named ``name`` reports to; ``None`` when it reports
    nothing (no name, or the no-op provider), so the queue skips all bookkeeping."""
    chosen = provider if provider is not None else get_provider()
    if not name or isinstance(chosen, NoopMetricsProvider):
        return None
    return chosen


class QueueMetrics:
    """The bookkeeping of one queue's metrics; the queue calls it under its lock."""

    __slots__ = (
        "_add_times",
        "_adds",
        "_clock",
        "_depth",
        "_latency",
        "_longest_running",
        "_processing_since",
        "_unfinished",
        "_work_duration",
    )

    def __init__(self, name: str, provider: MetricsProvider, clock: Clock) -> None:
        self._clock = clock
        self._depth = provider.new_depth_metric(name)
        self._adds = provider.new_adds_metric(name)
        self._latency = provider.new_latency_metric(name)
        self._work_duration = provider.new_work_duration_metric(name)
        self._unfinished = provider.new_unfinished_work_seconds_metric(name)
        self._longest_running = provider.new_longest_running_processor_seconds_metric(
            name
        )
        self._add_times: dict[Hashable, float] = {}
        self._processing_since: dict[Hashable, float] = {}

    def add(self, item: Hashable) -> None:
        self._adds.inc()
        self._depth.inc()
        if item not in self._add_times:
            self._add_times[item] = self._clock.now()

    def get(self, item: Hashable) -> None:
        now = self._clock.now()
        self._depth.dec()
        self._processing_since[item] = now
        added = self._add_times.pop(item, None)
        if added is not None:
            self._latency.observe(now - added)

    def done(self, item: Hashable) -> None:
        started = self._processing_since.pop(item, None)
        if started is not None:
            self._work_duration.observe(self._clock.now() - started)

    def update_unfinished_work(self) -> None:
        now = self._clock.now()
        total = 0.0
        oldest = 0.0
        for started in self._processing_since.values():
            age = now - started
            total += age
            if age > oldest:
                oldest = age
        self._unfinished.set(total)
        self._longest_running.set(oldest)

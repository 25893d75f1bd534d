"""A :class:`MetricsProvider` reporting to Prometheus through ``prometheus_client``,
with client-go's metric names (``k8s.io/component-base/metrics/prometheus/workqueue``)
and one label, ``name``, the queue's name::

    from kubeclient.workqueue import set_provider
    from kubeclient.workqueue.prometheus import PrometheusMetricsProvider

    set_provider(PrometheusMetricsProvider())  # before the queues are made

``prometheus_client`` is not a dependency of this package: ``pip install
prometheus_client`` to use this module.
"""

from __future__ import annotations

import threading
import weakref

try:
    from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
except ImportError as error:  # pragma: no cover - exercised by a test with it hidden
    raise ImportError(
        "kubeclient.workqueue.prometheus needs prometheus_client, which is not "
        "installed: pip install prometheus_client"
    ) from error

from .metrics import CounterMetric, GaugeMetric, HistogramMetric, SettableGaugeMetric

__all__ = ["PrometheusMetricsProvider"]

#: 1 us to 1000 s, as client-go's ExponentialBuckets(10e-7, 10, 10)
DURATION_BUCKETS = tuple(10.0**exponent for exponent in range(-6, 4))


class _Families:
    """The seven metric families, registered once in one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["name"]
        self.depth = Gauge(
            "workqueue_depth",
            "Current depth of workqueue",
            labels,
            registry=registry,
        )
        self.adds = Counter(
            "workqueue_adds_total",
            "Total number of adds handled by workqueue",
            labels,
            registry=registry,
        )
        self.latency = Histogram(
            "workqueue_queue_duration_seconds",
            "How long in seconds an item stays in workqueue before being requested.",
            labels,
            registry=registry,
            buckets=DURATION_BUCKETS,
        )
        self.work_duration = Histogram(
            "workqueue_work_duration_seconds",
            "How long in seconds processing an item from workqueue takes.",
            labels,
            registry=registry,
            buckets=DURATION_BUCKETS,
        )
        self.unfinished = Gauge(
            "workqueue_unfinished_work_seconds",
            "How many seconds of work has done that is in progress and hasn't been "
            "observed by work_duration. Large values indicate stuck threads. One can "
            "deduce the number of stuck threads by observing the rate at which this "
            "increases.",
            labels,
            registry=registry,
        )
        self.longest_running = Gauge(
            "workqueue_longest_running_processor_seconds",
            "How many seconds has the longest running processor for workqueue been "
            "running.",
            labels,
            registry=registry,
        )
        self.retries = Counter(
            "workqueue_retries_total",
            "Total number of retries handled by workqueue",
            labels,
            registry=registry,
        )


# Registering a family twice in one registry fails: every provider on a registry
# shares that registry's families.
_families_lock = threading.Lock()
_families: weakref.WeakKeyDictionary[CollectorRegistry, _Families] = (
    weakref.WeakKeyDictionary()
)


def _families_of(registry: CollectorRegistry) -> _Families:
    with _families_lock:
        families = _families.get(registry)
        if families is None:
            families = _families[registry] = _Families(registry)
        return families


class PrometheusMetricsProvider:
    """Workqueue metrics in ``registry`` (default: prometheus_client's global
    ``REGISTRY``). Several providers on one registry share its metrics."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else REGISTRY
        self._families = _families_of(self.registry)

    def new_depth_metric(self, name: str) -> GaugeMetric:
        return self._families.depth.labels(name=name)

    def new_adds_metric(self, name: str) -> CounterMetric:
        return self._families.adds.labels(name=name)

    def new_latency_metric(self, name: str) -> HistogramMetric:
        return self._families.latency.labels(name=name)

    def new_work_duration_metric(self, name: str) -> HistogramMetric:
        return self._families.work_duration.labels(name=name)

    def new_unfinished_work_seconds_metric(self, name: str) -> SettableGaugeMetric:
        return self._families.unfinished.labels(name=name)

    def new_longest_running_processor_seconds_metric(
        self, name: str
    ) -> SettableGaugeMetric:
        return self._families.longest_running.labels(name=name)

    def new_retries_metric(self, name: str) -> CounterMetric:
        return self._families.retries.labels(name=name)

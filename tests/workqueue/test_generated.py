"""The workqueue ships in the generated package as ``kubeclient.workqueue``."""

from __future__ import annotations

import importlib
from pathlib import Path


def test_the_generated_package_has_the_workqueue(generated: Path) -> None:
    workqueue = importlib.import_module("kubeclient.workqueue")
    queue = workqueue.RateLimitingQueue(
        workqueue.default_controller_rate_limiter(), name="foos"
    )
    queue.add("default/a")
    assert queue.get() == ("default/a", False)
    queue.add_rate_limited("default/a")
    queue.done("default/a")
    assert queue.num_requeues("default/a") == 1
    queue.shut_down()
    prometheus = importlib.import_module("kubeclient.workqueue.prometheus")
    assert prometheus.PrometheusMetricsProvider.__module__ == prometheus.__name__

"""Test doubles for the workqueue tests: a metrics provider that records every
value, and a bounded wait for something another thread does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Whether ``check()`` became true within ``timeout`` seconds of real time (a
    bound for a broken queue, never a wait a working one depends on)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


@dataclass
class Recorded:
    """Every call made on one metric."""

    value: float = 0.0
    observed: list[float] = field(default_factory=list)
    sets: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def inc(self) -> None:
        with self._lock:
            self.value += 1

    def dec(self) -> None:
        with self._lock:
            self.value -= 1

    def set(self, value: float) -> None:
        with self._lock:
            self.value = value
            self.sets.append(value)

    def observe(self, value: float) -> None:
        with self._lock:
            self.observed.append(value)


class RecordingProvider:
    """A MetricsProvider whose metrics are :class:`Recorded`, by (kind, queue name)."""

    def __init__(self) -> None:
        self.metrics: dict[tuple[str, str], Recorded] = {}

    def of(self, kind: str, name: str) -> Recorded:
        return self.metrics.setdefault((kind, name), Recorded())

    def new_depth_metric(self, name: str) -> Recorded:
        return self.of("depth", name)

    def new_adds_metric(self, name: str) -> Recorded:
        return self.of("adds", name)

    def new_latency_metric(self, name: str) -> Recorded:
        return self.of("latency", name)

    def new_work_duration_metric(self, name: str) -> Recorded:
        return self.of("work_duration", name)

    def new_unfinished_work_seconds_metric(self, name: str) -> Recorded:
        return self.of("unfinished", name)

    def new_longest_running_processor_seconds_metric(self, name: str) -> Recorded:
        return self.of("longest_running", name)

    def new_retries_metric(self, name: str) -> Recorded:
        return self.of("retries", name)

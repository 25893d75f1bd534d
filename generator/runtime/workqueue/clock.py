"""The queues' sense of time, as ``k8s.io/utils/clock``: the real monotonic clock,
and a fake one that tests move by hand.

A queue never sleeps on its own: every timed wait goes through
:meth:`Clock.wait_until`, so a :class:`FakeClock` can wake a delaying queue's
waiting thread the moment :meth:`FakeClock.step` makes an item ready, and a test
needs no real sleep to see time pass.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "RealClock"]

#: the longest single timed wait: past it the waiter wakes and waits again (a
#: condition cannot wait 1e12 s, nor for ever with a timeout)
LONGEST_WAIT = 3600.0


@runtime_checkable
class Clock(Protocol):
    """Seconds on a monotonic scale, and waits measured on that scale."""

    def now(self) -> float:
        """The current time in seconds (only differences are meaningful)."""
        ...

    def wait_until(
        self, condition: threading.Condition, deadline: float | None
    ) -> None:
        """Wait on ``condition`` (held by the caller) until it is notified or this
        clock reaches ``deadline`` (``None``: only a notification ends the wait).

        May return early, as :meth:`threading.Condition.wait` may: callers check
        their state again after every wait."""
        ...


class RealClock:
    """:func:`time.monotonic`: what every queue uses unless given a clock."""

    __slots__ = ()

    def now(self) -> float:
        return time.monotonic()

    def wait_until(
        self, condition: threading.Condition, deadline: float | None
    ) -> None:
        if deadline is None:
            condition.wait()
            return
        remaining = deadline - time.monotonic()
        if remaining > 0:
            condition.wait(min(remaining, LONGEST_WAIT))


class FakeClock:
    """A clock that only moves when told to, as client-go's ``clock/testing.FakeClock``.

    :meth:`step` wakes everything waiting on this clock (delaying queues, the
    unfinished-work metrics), which then see the new time."""

    def __init__(self, start: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._now = float(start)
        # condition -> how many threads wait on it through this clock
        self._waiting: dict[threading.Condition, int] = {}

    def now(self) -> float:
        with self._lock:
            return self._now

    def step(self, seconds: float) -> None:
        """Move time forward by ``seconds`` and wake every waiter."""
        if not seconds >= 0:
            raise ValueError(f"FakeClock.step: seconds must be >= 0, got {seconds!r}")
        with self._lock:
            self._now += seconds
            waiting = list(self._waiting)
        # Outside our lock: a waiter holds its condition while it calls into us.
        for condition in waiting:
            with condition:
                condition.notify_all()

    def has_waiters(self) -> bool:
        """Whether some thread is blocked in :meth:`wait_until` right now."""
        with self._lock:
            return bool(self._waiting)

    def wait_until(
        self, condition: threading.Condition, deadline: float | None
    ) -> None:
        with self._lock:
            if deadline is not None and self._now >= deadline:
                return
            self._waiting[condition] = self._waiting.get(condition, 0) + 1
        # The caller holds ``condition`` from its own time check until wait()
        # releases it, and step() notifies under ``condition``: a step between
        # the check and the wait is not lost.
        try:
            condition.wait()
        finally:
            with self._lock:
                left = self._waiting[condition] - 1
                if left:
                    self._waiting[condition] = left
                else:
                    del self._waiting[condition]

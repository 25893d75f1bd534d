"""The clocks of leader election: the real one, and a fake one tests drive.

Leader election only reads time through a :class:`Clock`: ``now()`` (seconds on a
monotonic scale: expiry, deadlines), ``wall()`` (the UTC time written into the
Lease's acquireTime and renewTime) and ``sleep(ctx, seconds)``. A
:class:`FakeClock` stands still until the test calls :meth:`FakeClock.step`, so
a 15 s lease expires in microseconds and a test asserts exact timings.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol

from ..context import Context

__all__ = ["Clock", "FakeClock", "RealClock"]


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale (only differences mean anything)."""
        ...

    def wall(self) -> datetime:
        """The time of day, in UTC."""
        ...

    def sleep(self, ctx: Context, seconds: float) -> bool:
        """Wait ``seconds`` or until ``ctx`` is done; True if it is done."""
        ...


class RealClock:
    """``time.monotonic``, ``datetime.now(UTC)`` and ``ctx.wait``."""

    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, ctx: Context, seconds: float) -> bool:
        return ctx.wait(seconds)

    def __repr__(self) -> str:
        return "<RealClock>"


_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


class FakeClock:
    """A clock that moves only when told (``step``); sleepers wake when their time
    comes, or at once when their context is cancelled. Thread-safe.

    ``wait_for_sleepers(n)`` blocks until ``n`` threads sleep on the clock, so a
    test steps time only once the code under test is idle.
    """

    def __init__(self, start: float = 1000.0, wall_start: datetime = _EPOCH) -> None:
        self._now = start
        self._start = start
        self._wall_start = wall_start
        self._cond = threading.Condition()
        self._sleepers: dict[object, float] = {}

    def now(self) -> float:
        with self._cond:
            return self._now

    def wall(self) -> datetime:
        with self._cond:
            return self._wall_start + timedelta(seconds=self._now - self._start)

    def step(self, seconds: float) -> None:
        """Move time forward ``seconds`` and wake whoever's time has come."""
        if not seconds >= 0:  # also refuses NaN
            raise ValueError(f"a clock only moves forward: step({seconds!r})")
        with self._cond:
            self._now += seconds
            self._cond.notify_all()

    def sleep(self, ctx: Context, seconds: float) -> bool:
        wake = ctx.on_cancel(self._wake)
        token = object()
        try:
            with self._cond:
                until = self._now + max(seconds, 0.0)
                self._sleepers[token] = until
                self._cond.notify_all()
                try:
                    while self._now < until and not ctx.done:
                        self._cond.wait()
                finally:
                    del self._sleepers[token]
                    self._cond.notify_all()
        finally:
            wake()
        return ctx.done

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _waiting(self) -> int:
        """Sleepers whose time has not come (a woken one still counted as asleep
        until it runs would let a test step time under its feet)."""
        return sum(1 for until in self._sleepers.values() if until > self._now)

    @property
    def sleepers(self) -> int:
        """How many threads sleep on the clock, their time not come yet."""
        with self._cond:
            return self._waiting()

    def wait_for_sleepers(self, count: int, timeout: float = 10.0) -> bool:
        """Block (real time, up to ``timeout``) until ``count`` threads sleep on
        this clock with their time not come yet (so, after a ``step``, only once
        the threads it woke are asleep again); False if they did not in time."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._waiting() < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def next_wake(self) -> float | None:
        """The earliest time a sleeper waits for (None if nobody sleeps)."""
        with self._cond:
            due = [until for until in self._sleepers.values() if until > self._now]
            return min(due) if due else None

    def __repr__(self) -> str:
        return f"<FakeClock at {self.now() - self._start:.3f}s, {self.sleepers} asleep>"

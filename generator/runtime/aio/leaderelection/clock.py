"""The clocks of async leader election: the loop's, and a fake one tests drive.

As the sync :mod:`...leaderelection.clock`: ``now()`` (monotonic seconds),
``wall()`` (UTC, written into the Lease) and ``await sleep(seconds)``. A
:class:`FakeClock` stands still until the test calls :meth:`FakeClock.step`.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol

__all__ = ["AsyncClock", "FakeClock", "RealClock"]


class AsyncClock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale (only differences mean anything)."""
        ...

    def wall(self) -> datetime:
        """The time of day, in UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (cancelling the task ends the wait)."""
        ...


class RealClock:
    """``time.monotonic``, ``datetime.now(UTC)`` and ``asyncio.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> datetime:
        return datetime.now(timezone.utc)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))

    def __repr__(self) -> str:
        return "<RealClock>"


_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)


class FakeClock:
    """A clock that moves only when told (``step``); sleepers wake when their time
    comes. Used from one event loop.

    ``await wait_for_sleepers(n)`` returns once ``n`` tasks sleep on the clock
    with their time not come, so a test steps time only when the electors idle.
    """

    def __init__(self, start: float = 1000.0, wall_start: datetime = _EPOCH) -> None:
        self._now = start
        self._start = start
        self._wall_start = wall_start
        self._sleepers: dict[asyncio.Future[None], float] = {}

    def now(self) -> float:
        return self._now

    def wall(self) -> datetime:
        return self._wall_start + timedelta(seconds=self._now - self._start)

    def step(self, seconds: float) -> None:
        """Move time forward ``seconds`` and wake whoever's time has come."""
        if not seconds >= 0:  # also refuses NaN
            raise ValueError(f"a clock only moves forward: step({seconds!r})")
        self._now += seconds
        for waiter, until in list(self._sleepers.items()):
            if until <= self._now and not waiter.done():
                waiter.set_result(None)

    async def sleep(self, seconds: float) -> None:
        until = self._now + max(seconds, 0.0)
        if until <= self._now:
            await asyncio.sleep(0)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers[waiter] = until
        try:
            await waiter
        finally:
            del self._sleepers[waiter]

    @property
    def sleepers(self) -> int:
        """How many tasks sleep on the clock, their time not come yet."""
        return sum(1 for until in self._sleepers.values() if until > self._now)

    async def wait_for_sleepers(self, count: int, timeout: float = 10.0) -> bool:
        """Wait (real time, up to ``timeout``) until ``count`` tasks sleep on
        this clock with their time not come yet; False if they did not."""
        deadline = time.monotonic() + timeout
        while self.sleepers < count:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.001)
        # let the tasks woken by the last step settle into their sleeps
        for _ in range(3):
            await asyncio.sleep(0)
        return self.sleepers >= count

    def next_wake(self) -> float | None:
        """The earliest time a sleeper waits for (None if nobody sleeps)."""
        due = [until for until in self._sleepers.values() if until > self._now]
        return min(due) if due else None

    def __repr__(self) -> str:
        return f"<FakeClock at {self._now - self._start:.3f}s, {self.sleepers} asleep>"

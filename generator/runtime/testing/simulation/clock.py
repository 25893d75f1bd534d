"""The simulated clock: simulated seconds run ``scale`` times faster than real
ones, so a test does not wait 10 s for what takes 10 s on a cluster."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


class SimClock:
    def __init__(self, scale: float = 1.0) -> None:
        if not scale > 0:
            raise ValueError(f"time_scale must be > 0, not {scale!r}")
        self.scale = float(scale)
        self._start = time.monotonic()
        self._wall_start = datetime.now(timezone.utc)

    def now(self) -> float:
        """Simulated seconds since the simulation started."""
        return (time.monotonic() - self._start) * self.scale

    def real_seconds(self, simulated: float) -> float:
        """How long ``simulated`` seconds take in real time."""
        return max(simulated, 0.0) / self.scale

    def simulated_since(self, wall: datetime) -> float:
        """Simulated seconds since a real moment (a timestamp the server wrote)."""
        return (datetime.now(timezone.utc) - wall).total_seconds() * self.scale

    def datetime(self) -> datetime:
        """The simulated wall clock (what CronJob schedules run on)."""
        return self._wall_start + timedelta(seconds=self.now())

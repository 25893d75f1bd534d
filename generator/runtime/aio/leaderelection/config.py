"""What an async leader elector is told: the sync config's fields, timings and
checks (client-go's ``NewLeaderElector``), with callbacks that may be coroutines."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ...leaderelection.config import (
    DEFAULT_LEASE_DURATION,
    DEFAULT_RENEW_DEADLINE,
    DEFAULT_RETRY_PERIOD,
    check_config,
)
from .lock import AsyncResourceLock

__all__ = ["LeaderCallbacks", "LeaderElectionConfig"]


@dataclass(frozen=True)
class LeaderCallbacks:
    """Called by the elector on its loop; each may be a plain function or a
    coroutine function, and none runs inside a renewal:

    ``on_started_leading()``: once the lock is taken, as a task of its own; the
    task is cancelled when leadership ends, whatever the reason (the asyncio
    form of the sync callback's cancelled context). If it raises, the elector
    steps down (and releases, with ``release_on_cancel``); if it returns, the
    elector keeps leading until cancelled or the lease is lost, as client-go.
    ``on_stopped_leading()``: awaited by ``run`` once leadership has ended (the
    leading task finished and, with ``release_on_cancel``, the lock released).
    Not called when ``run`` ends without ever having led.
    ``on_new_leader(identity)``: when the observed holder changes, this
    elector's own identity included (in order, by a notifier task).
    """

    on_started_leading: Callable[[], Awaitable[None] | None]
    on_stopped_leading: Callable[[], Awaitable[None] | None]
    on_new_leader: Callable[[str], Awaitable[None] | None] | None = None

    def __post_init__(self) -> None:
        for what in ("on_started_leading", "on_stopped_leading"):
            if not callable(getattr(self, what)):
                raise TypeError(f"LeaderCallbacks.{what} must be callable")
        if self.on_new_leader is not None and not callable(self.on_new_leader):
            raise TypeError("LeaderCallbacks.on_new_leader must be callable or None")


@dataclass(frozen=True)
class LeaderElectionConfig:
    """The lock (an async :class:`~.lock.LeaseLock`), the timings (seconds) and
    the callbacks of one async elector; the same fields, defaults and checks as
    the sync :class:`...leaderelection.LeaderElectionConfig`
    (lease_duration > renew_deadline > 1.2 * retry_period > 0).

    ``release_on_cancel``: when ``run``'s task is cancelled, the leader writes a
    record with no holder (after its leading task has ended), so others take
    over at once instead of after the lease duration.
    """

    lock: AsyncResourceLock
    callbacks: LeaderCallbacks
    lease_duration: float = DEFAULT_LEASE_DURATION
    renew_deadline: float = DEFAULT_RENEW_DEADLINE
    retry_period: float = DEFAULT_RETRY_PERIOD
    release_on_cancel: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        check_config(self, LeaderCallbacks)

    @property
    def lease_duration_seconds(self) -> int:
        """The duration the Lease records: whole seconds, rounded up."""
        return math.ceil(self.lease_duration)

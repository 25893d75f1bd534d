"""What a leader elector is told: its lock, its timings and its callbacks
(client-go's ``LeaderElectionConfig`` and ``LeaderCallbacks``), checked as
client-go's ``NewLeaderElector`` checks them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..context import Context
    from .lock import ResourceLock

__all__ = [
    "DEFAULT_LEASE_DURATION",
    "DEFAULT_RENEW_DEADLINE",
    "DEFAULT_RETRY_PERIOD",
    "JITTER_FACTOR",
    "LeaderCallbacks",
    "LeaderElectionConfig",
    "check_config",
]

#: how much longer than ``retry_period`` a candidate may wait between tries
#: (each wait is ``retry_period * (1 + random() * JITTER_FACTOR)``)
JITTER_FACTOR = 1.2
DEFAULT_LEASE_DURATION = 15.0
DEFAULT_RENEW_DEADLINE = 10.0
DEFAULT_RETRY_PERIOD = 2.0


@dataclass(frozen=True)
class LeaderCallbacks:
    """Called by the elector; a slow callback cannot cost the lease (none runs on
    the renewing thread while it renews):

    ``on_started_leading(ctx)``: on a thread of its own once the lock is taken;
    ``ctx`` is cancelled when leadership ends, whatever the reason. If it
    raises, the elector steps down (and releases, with ``release_on_cancel``).
    ``on_stopped_leading()``: on ``run``'s thread, once leadership has ended
    (after ``ctx`` above is cancelled and, with ``release_on_cancel``, the lock
    released). Unlike client-go, not called when ``run`` ends without ever
    having led.
    ``on_new_leader(identity)``: when the observed holder changes, this
    elector's own identity included (in order, on a notifier thread; a lock
    nobody holds is not reported).
    """

    on_started_leading: Callable[[Context], None]
    on_stopped_leading: Callable[[], None]
    on_new_leader: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        for what in ("on_started_leading", "on_stopped_leading"):
            if not callable(getattr(self, what)):
                raise TypeError(f"LeaderCallbacks.{what} must be callable")
        if self.on_new_leader is not None and not callable(self.on_new_leader):
            raise TypeError("LeaderCallbacks.on_new_leader must be callable or None")


@dataclass(frozen=True)
class LeaderElectionConfig:
    """The lock, the timings (seconds) and the callbacks of one elector.

    ``lease_duration``: how long candidates wait, from the last change of the
    record they observed (on their own clock), before they take the lock over.
    ``renew_deadline``: how long the leader keeps trying to renew, from its last
    successful renewal, before it gives up leading. ``retry_period``: the wait
    between tries. Checked as client-go does: lease_duration > renew_deadline >
    JITTER_FACTOR * retry_period > 0. The Lease records the duration in whole
    seconds, rounded up (a record shorter than configured could let another
    candidate in before this leader's renew deadline).

    ``release_on_cancel``: when ``run``'s context is cancelled, the leader writes
    a record with no holder, so others take over at once instead of after the
    lease duration. Only safe when the leader's work has stopped by then: the
    elector cancels ``on_started_leading``'s context and waits (up to
    ``renew_deadline``) for it to return first. ``name``: for logs and thread
    names.
    """

    lock: ResourceLock
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


def check_config(config: Any, callbacks_type: type) -> None:
    """client-go's NewLeaderElector checks, shared by the sync and async configs."""
    for what in ("lease_duration", "renew_deadline", "retry_period"):
        value = getattr(config, what)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
            or value <= 0
        ):
            raise ValueError(
                f"LeaderElectionConfig.{what} must be a number of seconds > 0, "
                f"got {value!r}"
            )
    if config.lease_duration <= config.renew_deadline:
        raise ValueError(
            f"LeaderElectionConfig: lease_duration ({config.lease_duration}) must be "
            f"greater than renew_deadline ({config.renew_deadline})"
        )
    if config.renew_deadline <= JITTER_FACTOR * config.retry_period:
        raise ValueError(
            f"LeaderElectionConfig: renew_deadline ({config.renew_deadline}) must be "
            f"greater than retry_period * {JITTER_FACTOR} "
            f"({JITTER_FACTOR * config.retry_period:g})"
        )
    if not isinstance(config.callbacks, callbacks_type):
        raise TypeError(
            f"LeaderElectionConfig.callbacks must be {callbacks_type.__name__}, got "
            f"{type(config.callbacks).__name__}"
        )
    identity = getattr(config.lock, "identity", None)
    if not isinstance(identity, str) or not identity:
        raise ValueError("LeaderElectionConfig.lock has no identity")
    if not isinstance(config.name, str):
        raise TypeError(f"LeaderElectionConfig.name must be a str: {config.name!r}")

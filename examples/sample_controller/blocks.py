"""The client-go building blocks the controller is made of, in one place."""

from ._interim import (
    EventBroadcaster,
    EventRecorder,
    LeaderCallbacks,
    LeaderElectionConfig,
    LeaderElector,
    LeaseLock,
    RateLimitingQueue,
    default_controller_rate_limiter,
    retry_on_conflict,
)

__all__ = [
    "EventBroadcaster",
    "EventRecorder",
    "LeaderCallbacks",
    "LeaderElectionConfig",
    "LeaderElector",
    "LeaseLock",
    "RateLimitingQueue",
    "default_controller_rate_limiter",
    "retry_on_conflict",
]

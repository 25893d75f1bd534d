"""The client-go building blocks the controller is made of, in one place."""

from ._interim import (
    EventBroadcaster,
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
    "LeaderCallbacks",
    "LeaderElectionConfig",
    "LeaderElector",
    "LeaseLock",
    "RateLimitingQueue",
    "default_controller_rate_limiter",
    "retry_on_conflict",
]

"""The client-go building blocks the controller is made of, in one place."""

from kubeclient.retry import retry_on_conflict

from ._interim import (
    EventBroadcaster,
    LeaderCallbacks,
    LeaderElectionConfig,
    LeaderElector,
    LeaseLock,
    RateLimitingQueue,
    default_controller_rate_limiter,
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

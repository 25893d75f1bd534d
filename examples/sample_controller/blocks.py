"""The client-go building blocks the controller is made of, in one place."""

from kubeclient.leaderelection import (
    LeaderCallbacks,
    LeaderElectionConfig,
    LeaderElector,
    LeaseLock,
)
from kubeclient.record import EventBroadcaster, Recorder
from kubeclient.retry import retry_on_conflict
from kubeclient.workqueue import RateLimitingQueue, default_controller_rate_limiter

__all__ = [
    "EventBroadcaster",
    "LeaderCallbacks",
    "LeaderElectionConfig",
    "LeaderElector",
    "LeaseLock",
    "Recorder",
    "RateLimitingQueue",
    "default_controller_rate_limiter",
    "retry_on_conflict",
]

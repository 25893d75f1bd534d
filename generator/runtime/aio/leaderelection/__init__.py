"""Leader election on the event loop: the sync :mod:`...leaderelection`'s
elector (same config, timings, Lease record and safety rules) as asyncio
tasks, no threads::

    from kubeclient.aio.leaderelection import (
        LeaderCallbacks, LeaderElectionConfig, LeaderElector, LeaseLock,
    )

    async def lead() -> None:          # a task, cancelled when leadership ends
        await run_controller()

    lock = LeaseLock(cs, namespace="kube-system", name="my-controller",
                     identity=socket.gethostname())         # cs: an AsyncClientSet
    elector = LeaderElector(LeaderElectionConfig(
        lock=lock, lease_duration=15, renew_deadline=10, retry_period=2,
        callbacks=LeaderCallbacks(on_started_leading=lead,
                                  on_stopped_leading=lambda: log.info("stopped"),
                                  on_new_leader=lambda who: log.info("leader: %s", who)),
        release_on_cancel=True, name="my-controller"))
    task = asyncio.create_task(elector.run())   # returns when the lease is lost
    ...
    task.cancel()                               # steps down, releases the Lease

Callbacks may be plain functions or coroutine functions. Tests drive time with
a :class:`FakeClock` (``LeaderElector(config, clock=FakeClock())``).
"""

from ...leaderelection.config import (
    DEFAULT_LEASE_DURATION,
    DEFAULT_RENEW_DEADLINE,
    DEFAULT_RETRY_PERIOD,
    JITTER_FACTOR,
)
from ...leaderelection.lock import LEASES, LockNotRead
from ...leaderelection.record import (
    LeaderElectionRecord,
    LeaseRecordError,
    format_micro_time,
)
from .clock import AsyncClock, FakeClock, RealClock
from .config import LeaderCallbacks, LeaderElectionConfig
from .elector import LeaderElector
from .lock import AsyncResourceLock, LeaseLock

__all__ = [
    "DEFAULT_LEASE_DURATION",
    "DEFAULT_RENEW_DEADLINE",
    "DEFAULT_RETRY_PERIOD",
    "JITTER_FACTOR",
    "LEASES",
    "AsyncClock",
    "AsyncResourceLock",
    "FakeClock",
    "LeaderCallbacks",
    "LeaderElectionConfig",
    "LeaderElectionRecord",
    "LeaderElector",
    "LeaseLock",
    "LeaseRecordError",
    "LockNotRead",
    "RealClock",
    "format_micro_time",
]

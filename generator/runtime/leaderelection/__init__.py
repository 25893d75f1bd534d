"""Leader election on a coordination.k8s.io/v1 Lease, as client-go's
``tools/leaderelection``: of the replicas of a controller, one leads at a time.

::

    from kubeclient.leaderelection import (
        LeaderCallbacks, LeaderElectionConfig, LeaderElector, LeaseLock,
    )

    def lead(ctx):                  # on a thread of its own, while leading
        run_controller(ctx)         # stop when ctx is cancelled: leadership ended

    lock = LeaseLock(clientset, namespace="kube-system", name="my-controller",
                     identity=socket.gethostname())
    elector = LeaderElector(LeaderElectionConfig(
        lock=lock, lease_duration=15, renew_deadline=10, retry_period=2,
        callbacks=LeaderCallbacks(on_started_leading=lead,
                                  on_stopped_leading=lambda: log.info("stopped"),
                                  on_new_leader=lambda who: log.info("leader: %s", who)),
        release_on_cancel=True, name="my-controller"))
    elector.run(ctx)                # blocks until ctx is done or the lease is lost

``run`` tries to take the Lease every ``retry_period`` (jittered), then renews
it; a leader that cannot renew for ``renew_deadline`` stops leading (its
``on_started_leading`` context is cancelled, then ``on_stopped_leading`` is
called) before any other candidate may take over, ``lease_duration`` after it
last saw the Lease change. Writes carry the resourceVersion read, so of two
racing candidates one gets a 409 Conflict and stays a follower. With
``release_on_cancel``, cancelling ``ctx`` hands the Lease over at once.
``elector.is_leader()`` and ``elector.get_leader()`` say who leads.

Each elector owns its lock, threads and state: one process may run many (one
per shard Lease, say), each ``run`` on a thread of its own. Tests drive time
with a :class:`FakeClock` (``LeaderElector(config, clock=FakeClock())``).
"""

from .clock import Clock, FakeClock, RealClock
from .config import (
    DEFAULT_LEASE_DURATION,
    DEFAULT_RENEW_DEADLINE,
    DEFAULT_RETRY_PERIOD,
    JITTER_FACTOR,
    LeaderCallbacks,
    LeaderElectionConfig,
)
from .elector import LeaderElector
from .lock import LEASES, LeaseLock, LockNotRead, ResourceLock
from .record import LeaderElectionRecord, LeaseRecordError, format_micro_time

__all__ = [
    "DEFAULT_LEASE_DURATION",
    "DEFAULT_RENEW_DEADLINE",
    "DEFAULT_RETRY_PERIOD",
    "JITTER_FACTOR",
    "LEASES",
    "Clock",
    "FakeClock",
    "LeaderCallbacks",
    "LeaderElectionConfig",
    "LeaderElectionRecord",
    "LeaderElector",
    "LeaseLock",
    "LeaseRecordError",
    "LockNotRead",
    "RealClock",
    "ResourceLock",
    "format_micro_time",
]

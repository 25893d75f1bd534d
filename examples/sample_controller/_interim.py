"""Stand-ins for kubeclient.workqueue, .leaderelection, .record and .retry until they
land on main (same names and calls); blocks.py is the only importer."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from kubeclient import ClientSet, Context
from kubeclient.errors import Conflict, NotFound
from kubeclient.models.coordination_v1 import Lease, LeaseSpec
from kubeclient.models.meta_v1 import ObjectMeta

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- leader election


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class LeaseLock:
    client: ClientSet
    namespace: str
    name: str
    identity: str


@dataclass
class LeaderCallbacks:
    on_started_leading: Callable[[Context], None]
    on_stopped_leading: Callable[[], None]
    on_new_leader: Callable[[str], None] | None = None


@dataclass
class LeaderElectionConfig:
    lock: LeaseLock
    callbacks: LeaderCallbacks
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    release_on_cancel: bool = False
    name: str = ""


@dataclass
class LeaderElector:
    config: LeaderElectionConfig
    _leading: bool = False
    _observed: tuple[str, float] = ("", 0.0)
    _seen: str | None = field(default=None)

    def is_leader(self) -> bool:
        return self._leading

    def _try(self) -> bool:
        lock = self.config.lock
        leases = lock.client.coordination_v1.leases(lock.namespace)
        now = time.monotonic()
        try:
            lease = leases.get(lock.name)
        except NotFound:
            lease = Lease(
                metadata=ObjectMeta(name=lock.name),
                spec=LeaseSpec(
                    holder_identity=lock.identity,
                    lease_duration_seconds=int(self.config.lease_duration),
                    acquire_time=_now(),
                    renew_time=_now(),
                ),
            )
            try:
                leases.create(lease)
            except Conflict:
                return False
            return True
        spec = lease.spec = lease.spec or LeaseSpec()
        version = (lease.metadata.resource_version if lease.metadata else "") or ""
        if version != self._observed[0]:
            self._observed = (version, now)
        holder = spec.holder_identity or ""
        if holder != self._seen and holder and self.config.callbacks.on_new_leader:
            self._seen = holder
            self.config.callbacks.on_new_leader(holder)
        expired = self._observed[1] + self.config.lease_duration < now
        if holder and holder != lock.identity and not expired:
            return False
        if holder != lock.identity:
            spec.acquire_time = _now()
            spec.lease_transitions = (spec.lease_transitions or 0) + 1
        spec.holder_identity = lock.identity
        spec.lease_duration_seconds = int(self.config.lease_duration)
        spec.renew_time = _now()
        try:
            leases.update(lease)
        except Conflict:
            return False
        return True

    def _attempt(self) -> bool:
        try:
            return self._try()
        except Exception as err:  # a failed round is retried, as client-go
            log.warning("leader election: %s", err)
            return False

    def run(self, ctx: Context) -> None:
        while not ctx.done and not self._attempt():
            ctx.wait(self.config.retry_period)
        if ctx.done:
            return
        self._leading = True
        lead = ctx.child()
        threading.Thread(
            target=self.config.callbacks.on_started_leading, args=(lead,), daemon=True
        ).start()
        renewed = time.monotonic()
        while not ctx.done:
            ctx.wait(self.config.retry_period)
            if ctx.done:
                break
            if self._attempt():
                renewed = time.monotonic()
            elif time.monotonic() - renewed > self.config.renew_deadline:
                break
        self._leading = False
        lead.cancel()
        self.config.callbacks.on_stopped_leading()
        if ctx.done and self.config.release_on_cancel:
            self._release()

    def _release(self) -> None:
        lock = self.config.lock
        leases = lock.client.coordination_v1.leases(lock.namespace)
        try:
            lease = leases.get(lock.name)
            if lease.spec is not None and lease.spec.holder_identity == lock.identity:
                lease.spec.holder_identity = ""
                lease.spec.lease_duration_seconds = 1
                leases.update(lease)
        except Exception as err:
            log.warning("leader election: release: %s", err)

"""Stand-ins for kubeclient.workqueue, .leaderelection, .record and .retry until they
land on main (same names and calls); blocks.py is the only importer."""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from kubeclient import ClientSet, Context
from kubeclient.errors import Conflict, NotFound
from kubeclient.models.coordination_v1 import Lease, LeaseSpec
from kubeclient.models.meta_v1 import ObjectMeta

log = logging.getLogger(__name__)


class ItemExponentialFailureRateLimiter:
    def __init__(self, base: float = 0.005, cap: float = 1000.0) -> None:
        self.base, self.cap = base, cap
        self._failures: dict[Hashable, int] = {}
        self._lock = threading.Lock()

    def when(self, item: Hashable) -> float:
        with self._lock:
            n = self._failures.get(item, 0)
            self._failures[item] = n + 1
        return float(min(self.base * 2**n, self.cap))

    def forget(self, item: Hashable) -> None:
        with self._lock:
            self._failures.pop(item, None)

    def num_requeues(self, item: Hashable) -> int:
        with self._lock:
            return self._failures.get(item, 0)


def default_controller_rate_limiter() -> ItemExponentialFailureRateLimiter:
    return ItemExponentialFailureRateLimiter()


class RateLimitingQueue:
    def __init__(
        self, limiter: ItemExponentialFailureRateLimiter, name: str = ""
    ) -> None:
        self.limiter, self.name = limiter, name
        self._cond = threading.Condition()
        self._queue: list[Hashable] = []
        self._dirty: set[Hashable] = set()
        self._processing: set[Hashable] = set()
        self._waiting: list[tuple[float, int, Hashable]] = []
        self._seq = 0
        self._shutting_down = False
        threading.Thread(
            target=self._wait_loop, daemon=True, name=f"queue {name}"
        ).start()

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)

    def add(self, item: Hashable) -> None:
        with self._cond:
            if self._shutting_down or item in self._dirty:
                return
            self._dirty.add(item)
            if item not in self._processing:
                self._queue.append(item)
                self._cond.notify_all()

    def get(self) -> tuple[Any, bool]:
        with self._cond:
            while not self._queue and not self._shutting_down:
                self._cond.wait()
            if not self._queue:
                return None, True
            item = self._queue.pop(0)
            self._processing.add(item)
            self._dirty.discard(item)
            return item, False

    def done(self, item: Hashable) -> None:
        with self._cond:
            self._processing.discard(item)
            if item in self._dirty:
                self._queue.append(item)
            self._cond.notify_all()

    def add_after(self, item: Hashable, seconds: float) -> None:
        if seconds <= 0:
            self.add(item)
            return
        with self._cond:
            self._seq += 1
            heapq.heappush(self._waiting, (time.monotonic() + seconds, self._seq, item))
            self._cond.notify_all()

    def add_rate_limited(self, item: Hashable) -> None:
        self.add_after(item, self.limiter.when(item))

    def forget(self, item: Hashable) -> None:
        self.limiter.forget(item)

    def num_requeues(self, item: Hashable) -> int:
        return self.limiter.num_requeues(item)

    def shut_down(self) -> None:
        with self._cond:
            self._shutting_down = True
            self._cond.notify_all()

    def shut_down_with_drain(self) -> None:
        with self._cond:
            self._shutting_down = True
            self._cond.notify_all()
            while self._processing:
                self._cond.wait()

    def _wait_loop(self) -> None:
        with self._cond:
            while not self._shutting_down:
                now = time.monotonic()
                ready = []
                while self._waiting and self._waiting[0][0] <= now:
                    ready.append(heapq.heappop(self._waiting)[2])
                for item in ready:
                    if item not in self._dirty:
                        self._dirty.add(item)
                        if item not in self._processing:
                            self._queue.append(item)
                if ready:
                    self._cond.notify_all()
                wait = self._waiting[0][0] - now if self._waiting else None
                self._cond.wait(wait)


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
            lease = Lease(metadata=ObjectMeta(name=lock.name), spec=LeaseSpec())
            lease.spec.holder_identity = lock.identity
            lease.spec.lease_duration_seconds = int(self.config.lease_duration)
            lease.spec.acquire_time = lease.spec.renew_time = _now()
            try:
                leases.create(lease)
            except Conflict:
                return False
            return True
        spec = lease.spec
        version = lease.metadata.resource_version or ""
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
            if lease.spec.holder_identity == lock.identity:
                lease.spec.holder_identity = ""
                lease.spec.lease_duration_seconds = 1
                leases.update(lease)
        except Exception as err:
            log.warning("leader election: release: %s", err)

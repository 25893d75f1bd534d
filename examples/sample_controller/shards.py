"""N shards over M replicas, with one coordination.k8s.io/v1 Lease per shard.

Design. Every replica runs one loop, every ``retry_period`` seconds:

1. One list of this controller's Leases (a label selector): the shard Leases
   ``<name>-shard-<i>`` and the membership Leases ``<name>-member-<identity>``, one
   per live replica, each renewed by its replica on every round.
2. A Lease is *expired* when its resourceVersion has not changed for
   ``lease_duration`` seconds of this replica's own clock since it last saw it
   change (client-go's leader election does the same: no trust in other
   machines' clocks). A Lease seen for the first time counts from then.
3. M is the number of unexpired membership Leases (this replica's included), and
   each replica holds at most ``ceil(N / M)`` shards: one with more releases the
   extra ones (workers stopped first, then the Lease emptied so another takes
   it at once); one with fewer takes free or expired shard Leases.
4. Every write is an update at the resourceVersion just listed (or a create):
   of two replicas racing for a Lease one gets 409 Conflict, so a shard never
   has two holders. A replica that cannot renew a shard for ``renew_deadline``
   (< ``lease_duration``) stops its workers before anyone may take it over.

Every replica must run with the same N (a Lease records its maker's N; another
N is logged as an error): replicas with different N would cut different shards.

Why one loop rather than N leader electors: the cap needs one consistent view of
all the Leases, one list per round costs less than N gets, and a replica that
has watched the Leases all along takes a dead replica's shards within
``lease_duration + retry_period`` of its last renewal (a fresh elector would
first wait a whole ``lease_duration`` from its own first look).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from kubeclient import ClientSet, Context
from kubeclient.errors import (
    AlreadyExists,
    ApiError,
    Cancelled,
    Conflict,
    ConnectionFailed,
    NotFound,
)
from kubeclient.models.coordination_v1 import Lease, LeaseSpec
from kubeclient.models.meta_v1 import ObjectMeta

__all__ = ["ShardLeaseConfig", "ShardLeaseManager", "member_lease_name"]

log = logging.getLogger(__name__)

GROUP_LABEL = "samplecontroller.k8s.io/lease-group"
ROLE_LABEL = "samplecontroller.k8s.io/lease-role"
#: The N of the replica that wrote a Lease: all replicas must run with the same N
SHARDS_ANNOTATION = "samplecontroller.k8s.io/shards"


@dataclass(frozen=True)
class ShardLeaseConfig:
    shards: int
    namespace: str = "default"
    name: str = "sample-controller"
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0

    def __post_init__(self) -> None:
        if self.shards < 1:
            raise ValueError(f"shards must be at least 1, not {self.shards}")
        if not 0 < self.retry_period < self.renew_deadline < self.lease_duration:
            raise ValueError(
                "need 0 < retry_period < renew_deadline < lease_duration, not "
                f"{self.retry_period}, {self.renew_deadline}, {self.lease_duration}"
            )

    def shard_lease_name(self, index: int) -> str:
        return f"{self.name}-shard-{index}"


def member_lease_name(name: str, identity: str) -> str:
    """A DNS-subdomain name for a replica's membership Lease."""
    safe = re.sub(r"[^a-z0-9-]+", "-", identity.lower()).strip("-") or "replica"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:8]
    return f"{name}-member-{safe[:40]}-{digest}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _version(lease: Lease) -> str:
    return (lease.metadata.resource_version if lease.metadata else None) or ""


def _holder(lease: Lease) -> str:
    return (lease.spec.holder_identity if lease.spec else None) or ""


def _role(lease: Lease) -> str:
    labels = (lease.metadata.labels if lease.metadata else None) or {}
    return labels.get(ROLE_LABEL, "")


class ShardLeaseManager:
    """Holds at most ceil(N/M) shard Leases for ``identity``; calls ``on_acquired(i)``
    when it starts holding shard i and ``on_lost(i)`` when it stops (both from its
    own thread; ``on_lost`` must return only once shard i's work has stopped)."""

    def __init__(
        self,
        client: ClientSet,
        identity: str,
        config: ShardLeaseConfig,
        on_acquired: Callable[[int], None],
        on_lost: Callable[[int], None],
        *,
        release_on_cancel: bool = True,
    ) -> None:
        self.client = client
        self.identity = identity
        self.config = config
        self.on_acquired = on_acquired
        self.on_lost = on_lost
        self.release_on_cancel = release_on_cancel
        self.member_name = member_lease_name(config.name, identity)
        self._leases = client.coordination_v1.leases(config.namespace)
        # name -> (resourceVersion, when this replica saw it change)
        self._observed: dict[str, tuple[str, float]] = {}
        self._renewed: dict[int, float] = {}  # shard -> last successful renewal
        self._lock = threading.Lock()
        self._round_ctx: Context | None = None
        self._patience = (config.lease_duration - config.renew_deadline) / 2

    def held(self) -> frozenset[int]:
        with self._lock:
            return frozenset(self._renewed)

    # ------------------------------------------------------------------ loop

    def run(self, ctx: Context) -> None:
        """Take part until ctx is done; then stop every shard and (with
        ``release_on_cancel``) give the Leases back for others to take at once."""
        try:
            while not ctx.done:
                # a round that cannot reach the server gives up in time for its
                # shards to stop before anyone else may take them
                try:
                    self.round(ctx.child(timeout=self._patience))
                except (ApiError, ConnectionFailed, Cancelled) as err:
                    log.warning("shard leases: %s", err)
                    self._drop_stale()
                ctx.wait(self.config.retry_period)
        finally:
            self._round_ctx = Context(timeout=self.config.renew_deadline)
            for shard in sorted(self.held()):
                self._lose(shard)
                if self.release_on_cancel:
                    self._release(self.config.shard_lease_name(shard))
            if self.release_on_cancel:
                try:
                    self._leases.delete(self.member_name, ctx=self._round_ctx)
                except (ApiError, ConnectionFailed, Cancelled) as err:
                    log.warning("shard leases: leaving: %s", err)

    def round(self, ctx: Context | None = None) -> None:
        """One round: observe, renew membership and shards, release or acquire
        (every request ends with ``ctx``)."""
        self._round_ctx = ctx
        now = time.monotonic()
        listed = self._leases.list(
            label_selector=f"{GROUP_LABEL}={self.config.name}", ctx=ctx
        )
        leases = {
            lease.metadata.name: lease
            for lease in listed.items or ()
            if lease.metadata is not None and lease.metadata.name
        }
        for name, lease in leases.items():
            version = _version(lease)
            if self._observed.get(name, ("", 0.0))[0] != version:
                self._observed[name] = (version, now)
                self._check_shard_count(lease)
        for name in set(self._observed) - set(leases):
            del self._observed[name]

        self._renew_membership(leases.get(self.member_name))
        members = {
            name
            for name, lease in leases.items()
            if _role(lease) == "member" and not self._expired(name, now)
        } | {self.member_name}
        cap = math.ceil(self.config.shards / len(members))

        for shard in sorted(self.held()):
            found = leases.get(self.config.shard_lease_name(shard))
            if found is None or _holder(found) != self.identity:
                log.warning("shard %d: lease taken over", shard)
                self._lose(shard)
        held = sorted(self.held())
        for shard in held[cap:]:  # more than a fair share: give the extra back
            log.info("shard %d: releasing (%d held, at most %d)", shard, len(held), cap)
            self._lose(shard)
            self._release(self.config.shard_lease_name(shard), leases)
        for shard in held[:cap]:
            lease = leases[self.config.shard_lease_name(shard)]
            if self._write(lease, self._renewed_spec(lease)):
                with self._lock:
                    self._renewed[shard] = time.monotonic()
        self._drop_stale()

        # free shards, starting at a place of this replica's own, so that
        # replicas starting together try different Leases first
        start = int(hashlib.sha256(self.identity.encode()).hexdigest(), 16)
        order = [(start + i) % self.config.shards for i in range(self.config.shards)]
        for shard in order:
            if len(self.held()) >= cap:
                break
            if shard in self.held():
                continue
            name = self.config.shard_lease_name(shard)
            found = leases.get(name)
            if found is None:
                acquired = self._create(name, "shard")
            elif _holder(found) in ("", self.identity) or self._expired(name, now):
                # free, expired, or this identity's from before a restart
                acquired = self._write(found, self._acquired_spec(found))
            else:
                acquired = False
            if acquired:
                log.info("shard %d: acquired", shard)
                with self._lock:
                    self._renewed[shard] = time.monotonic()
                self.on_acquired(shard)

    # ------------------------------------------------------------------ helpers

    def _check_shard_count(self, lease: Lease) -> None:
        annotations = (lease.metadata.annotations_ if lease.metadata else None) or {}
        theirs = annotations.get(SHARDS_ANNOTATION)
        if theirs is not None and theirs != str(self.config.shards):
            log.error(
                "lease %s was made by a replica with %s shards, this one has %d: "
                "run every replica with the same --shards (their shards overlap)",
                lease.metadata and lease.metadata.name,
                theirs,
                self.config.shards,
            )

    def _expired(self, name: str, now: float) -> bool:
        seen = self._observed.get(name)
        return seen is None or seen[1] + self.config.lease_duration < now

    def _drop_stale(self) -> None:
        """Stop shards not renewed for renew_deadline: before anyone may take them."""
        now = time.monotonic()
        for shard in sorted(self.held()):
            with self._lock:
                renewed = self._renewed[shard]
            if now - renewed > self.config.renew_deadline:
                log.warning(
                    "shard %d: not renewed for %.1fs, stopping", shard, now - renewed
                )
                self._lose(shard)

    def _lose(self, shard: int) -> None:
        with self._lock:
            if self._renewed.pop(shard, None) is None:
                return
        self.on_lost(shard)

    def _renew_membership(self, lease: Lease | None) -> None:
        if lease is None:
            self._create(self.member_name, "member")
        else:
            self._write(lease, self._renewed_spec(lease))

    def _spec(self) -> LeaseSpec:
        return LeaseSpec(
            holder_identity=self.identity,
            lease_duration_seconds=max(1, round(self.config.lease_duration)),
            acquire_time=_now(),
            renew_time=_now(),
            lease_transitions=0,
        )

    def _renewed_spec(self, lease: Lease) -> LeaseSpec:
        spec = LeaseSpec.from_dict(lease.spec.to_dict()) if lease.spec else self._spec()
        spec.renew_time = _now()
        return spec

    def _acquired_spec(self, lease: Lease) -> LeaseSpec:
        spec = self._spec()
        spec.lease_transitions = (
            (lease.spec.lease_transitions if lease.spec else 0) or 0
        ) + 1
        return spec

    def _create(self, name: str, role: str) -> bool:
        lease = Lease(
            metadata=ObjectMeta(
                name=name,
                namespace=self.config.namespace,
                labels={GROUP_LABEL: self.config.name, ROLE_LABEL: role},
                annotations_={SHARDS_ANNOTATION: str(self.config.shards)},
            ),
            spec=self._spec(),
        )
        try:
            self._leases.create(lease, ctx=self._round_ctx)
        except AlreadyExists:
            return False  # another replica was first
        return True

    def _write(self, lease: Lease, spec: LeaseSpec) -> bool:
        """Update at the version listed: False on a conflict (someone else wrote)."""
        changed = Lease(metadata=lease.metadata, spec=spec)
        try:
            self._leases.update(changed, ctx=self._round_ctx)
        except (Conflict, NotFound):
            return False
        except (ApiError, ConnectionFailed, Cancelled) as err:
            log.warning("lease %s: %s", lease.metadata and lease.metadata.name, err)
            return False
        return True

    def _release(self, name: str, leases: dict[str, Lease] | None = None) -> None:
        """Empty the holder, so the next replica's round takes the shard."""
        # its own time: stopping the shard's workers may have used the round's
        self._round_ctx = Context(timeout=self._patience)
        try:
            lease = (leases or {}).get(name) or self._leases.get(
                name, ctx=self._round_ctx
            )
            for _ in range(3):
                if lease.spec is None or lease.spec.holder_identity != self.identity:
                    return
                spec = LeaseSpec.from_dict(lease.spec.to_dict())
                spec.holder_identity = ""
                spec.lease_duration_seconds = 1
                if self._write(lease, spec):
                    return
                lease = self._leases.get(name, ctx=self._round_ctx)
        except (ApiError, ConnectionFailed, Cancelled) as err:
            log.warning("lease %s: release: %s", name, err)

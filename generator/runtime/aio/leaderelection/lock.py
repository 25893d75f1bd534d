"""The lock of async leader election: a coordination.k8s.io/v1 Lease written
through the async dynamic client, with the resourceVersion read (as the sync
:class:`...leaderelection.LeaseLock`: of two racing writers, one gets 409)."""

from __future__ import annotations

import copy
from typing import Any, Protocol

from ...config import Config
from ...leaderelection.lock import LEASES, LockNotRead
from ...leaderelection.record import LeaderElectionRecord
from ...paths import segment
from ..dynamic import AsyncDynamicResourceClient
from ..rest import AsyncRESTClient

__all__ = ["AsyncResourceLock", "LeaseLock"]


class AsyncResourceLock(Protocol):
    """What the async elector needs of a lock."""

    @property
    def identity(self) -> str: ...

    def describe(self) -> str: ...

    async def get(self) -> LeaderElectionRecord:
        """The record stored now; raises NotFound when the lock does not exist."""
        ...

    async def create(self, record: LeaderElectionRecord) -> None: ...

    async def update(self, record: LeaderElectionRecord) -> None:
        """Write over the object read last; Conflict if it changed since."""
        ...


def async_rest_client_of(client_or_config: object) -> tuple[AsyncRESTClient, bool]:
    """The AsyncRESTClient of an AsyncClientSet, AsyncDynamicClient,
    AsyncRESTClient or Config, and whether it was made here (to close here)."""
    if isinstance(client_or_config, AsyncRESTClient):
        return client_or_config, False
    if isinstance(client_or_config, Config):
        return AsyncRESTClient(client_or_config), True
    rest = getattr(client_or_config, "rest_client", None)
    if isinstance(rest, AsyncRESTClient):
        return rest, False
    raise TypeError(
        "the async LeaseLock needs an AsyncClientSet, an AsyncDynamicClient, an "
        f"AsyncRESTClient or a Config, got {type(client_or_config).__name__}"
    )


class LeaseLock:
    """A Lease as the lock, through the async dynamic client (wire dicts)::

    lock = LeaseLock(cs, namespace="kube-system", name="my-controller",
                     identity="pod-a")

    No lock guards the remembered Lease: one elector uses it, on one loop.
    """

    def __init__(
        self,
        client_or_config: object,
        *,
        namespace: str,
        name: str,
        identity: str,
    ) -> None:
        for what, value in (("namespace", namespace), ("name", name)):
            segment(value, f"LeaseLock {what}")  # what a URL path can carry
        if not isinstance(identity, str) or not identity:
            raise ValueError(f"LeaseLock needs an identity, got {identity!r}")
        self._rest, self._owned = async_rest_client_of(client_or_config)
        self._client = AsyncDynamicResourceClient(self._rest, LEASES, namespace)
        self.namespace = namespace
        self.name = name
        self._identity = identity
        self._lease: dict[str, Any] | None = None  # the Lease read or written last

    @property
    def identity(self) -> str:
        return self._identity

    def describe(self) -> str:
        """``namespace/name``, as client-go's ``Describe``."""
        return f"{self.namespace}/{self.name}"

    @property
    def lease(self) -> dict[str, Any] | None:
        """A copy of the Lease read or written last (None before the first)."""
        return copy.deepcopy(self._lease)

    async def get(self) -> LeaderElectionRecord:
        lease = dict(await self._client.get(self.name))
        record = LeaderElectionRecord.from_lease_spec(
            lease.get("spec"), f"Lease {self.describe()}"
        )
        self._lease = lease
        return record

    async def create(self, record: LeaderElectionRecord) -> None:
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": record.to_lease_spec(),
        }
        self._lease = dict(await self._client.create(body))

    async def update(self, record: LeaderElectionRecord) -> None:
        if self._lease is None:
            raise LockNotRead(
                f"Lease {self.describe()}: not read yet; get or create it first"
            )
        # the resourceVersion read stays in metadata: optimistic concurrency
        body = {**self._lease, "spec": record.to_lease_spec()}
        self._lease = dict(await self._client.update(body))

    async def close(self) -> None:
        """Close the connection if this lock made it (from a Config)."""
        if self._owned:
            await self._rest.close()

    def __repr__(self) -> str:
        return f"<LeaseLock {self.describe()} as {self._identity!r}>"

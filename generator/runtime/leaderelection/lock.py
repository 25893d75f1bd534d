"""The lock leader election takes: a coordination.k8s.io/v1 Lease (client-go's
``resourcelock.LeaseLock``).

The lock remembers the Lease it read or wrote last, and updates with that
object's resourceVersion: when another candidate wrote in between, the update
is a 409 Conflict and the write is lost, which is what keeps two candidates
from both taking the lock.
"""

from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING, Any, Protocol

from ..config import Config
from ..dynamic import DynamicResourceClient
from ..paths import segment
from ..resources import ResourceInfo
from ..rest import RESTClient
from .record import LeaderElectionRecord

if TYPE_CHECKING:
    from ..context import Context

__all__ = ["LEASES", "LeaseLock", "LockNotRead", "ResourceLock"]

#: coordination.k8s.io/v1 leases, as the dynamic client needs them
LEASES = ResourceInfo(
    group="coordination.k8s.io",
    version="v1",
    plural="leases",
    kind="Lease",
    namespaced=True,
    verbs=("create", "delete", "deletecollection", "get", "list", "patch", "update"),
    list_kind="LeaseList",
    singular="lease",
)


class LockNotRead(RuntimeError):
    """An update before the lock was read or created (nothing to write over)."""


class ResourceLock(Protocol):
    """What the elector needs of a lock (client-go's ``resourcelock.Interface``)."""

    @property
    def identity(self) -> str: ...

    def describe(self) -> str: ...

    def get(self, ctx: Context | None = None) -> LeaderElectionRecord:
        """The record stored now; raises NotFound when the lock does not exist."""
        ...

    def create(
        self, record: LeaderElectionRecord, ctx: Context | None = None
    ) -> None: ...

    def update(self, record: LeaderElectionRecord, ctx: Context | None = None) -> None:
        """Write over the object read last; Conflict if it changed since."""
        ...


def rest_client_of(client_or_config: object) -> tuple[RESTClient, bool]:
    """The RESTClient of a ClientSet, DynamicClient, RESTClient or Config, and
    whether it was made here (and is to be closed here)."""
    if isinstance(client_or_config, RESTClient):
        return client_or_config, False
    if isinstance(client_or_config, Config):
        return RESTClient(client_or_config), True
    rest = getattr(client_or_config, "rest_client", None)
    if isinstance(rest, RESTClient):
        return rest, False
    raise TypeError(
        "LeaseLock needs a ClientSet, a DynamicClient, a RESTClient or a Config, "
        f"got {type(client_or_config).__name__}"
    )


class LeaseLock:
    """A Lease as the lock, written through the dynamic client (wire dicts)::

    lock = LeaseLock(clientset, namespace="kube-system", name="my-controller",
                     identity="pod-a")

    ``client_or_config``: a ClientSet (also the fake one), a DynamicClient, a
    RESTClient or a Config (a connection made for this lock; ``close()`` it).
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
        self._rest, self._owned = rest_client_of(client_or_config)
        self._client = DynamicResourceClient(self._rest, LEASES, namespace)
        self.namespace = namespace
        self.name = name
        self._identity = identity
        self._lock = threading.Lock()
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
        with self._lock:
            return copy.deepcopy(self._lease)

    def get(self, ctx: Context | None = None) -> LeaderElectionRecord:
        lease = dict(self._client.get(self.name, ctx=ctx))
        record = LeaderElectionRecord.from_lease_spec(
            lease.get("spec"), f"Lease {self.describe()}"
        )
        with self._lock:
            self._lease = lease
        return record

    def create(self, record: LeaderElectionRecord, ctx: Context | None = None) -> None:
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": record.to_lease_spec(),
        }
        created = dict(self._client.create(body, ctx=ctx))
        with self._lock:
            self._lease = created

    def update(self, record: LeaderElectionRecord, ctx: Context | None = None) -> None:
        with self._lock:
            if self._lease is None:
                raise LockNotRead(
                    f"Lease {self.describe()}: not read yet; get or create it first"
                )
            # the resourceVersion read stays in metadata: optimistic concurrency
            body = {**self._lease, "spec": record.to_lease_spec()}
        updated = dict(self._client.update(body, ctx=ctx))
        with self._lock:
            self._lease = updated

    def close(self) -> None:
        """Close the connection if this lock made it (from a Config)."""
        if self._owned:
            self._rest.close()

    def __repr__(self) -> str:
        return f"<LeaseLock {self.describe()} as {self._identity!r}>"

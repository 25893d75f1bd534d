"""Informer factories: one shared informer per resource, started together
(client-go's informers.SharedInformerFactory and dynamicinformer).

The generated ``informers.SharedInformerFactory`` adds one typed accessor per
group-version (``factory.apps_v1.deployments()``) to :class:`InformerFactory`.
:class:`DynamicSharedInformerFactory` does the same for any
GroupVersionResource, with plain dicts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..context import Context
from .informer import SharedIndexInformer, Transform, _wait_synced
from .lister import GenericLister

if TYPE_CHECKING:
    from .._model import Model
    from ..dynamic import DynamicClient
    from ..metadata_base import MetadataClientBase
    from ..resource import ResourceClient
    from ..resources import GroupVersionResource
    from ..rest import ParamValue, RESTClient
    from ..sharding import Shard
    from ..unstructured import Unstructured

__all__ = [
    "DynamicSharedInformerFactory",
    "GenericInformer",
    "InformerFactory",
    "MetadataSharedInformerFactory",
    "TypedInformerFactory",
]

InformerT = TypeVar("InformerT", bound=SharedIndexInformer[Any])
T = TypeVar("T")
P = TypeVar("P", bound="Model")

_JOIN_SECONDS = 1.0


class InformerFactory:
    """Shared informers with common options; ``start(ctx)`` runs those not
    running yet, each on its own thread, until ``ctx`` is done.

    ``namespace=None`` watches all namespaces; ``label_selector``,
    ``field_selector`` and ``shard`` narrow every list and watch (``shard``: a
    :class:`~..sharding.Shard` or its selector text, for the server's
    ``shardSelector``). ``resync_period`` (seconds, 0 = never) is the handlers'
    default resync.
    """

    def __init__(
        self,
        *,
        resync_period: float = 0.0,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        shard: Shard | str | None = None,
        transform: Transform | None = None,
        use_watch_list: bool | None = None,
    ) -> None:
        self.resync_period = resync_period
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.shard = shard
        self.transform = transform
        self.use_watch_list = use_watch_list
        self._lock = threading.Lock()
        self._informers: dict[object, SharedIndexInformer[Any]] = {}
        self._threads: dict[object, threading.Thread] = {}
        self._ctx: Context | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {len(self._informers)} informers>"

    @property
    def params(self) -> dict[str, ParamValue]:
        """The list/watch query parameters every informer of this factory uses."""
        shard = None if self.shard is None else str(self.shard)
        return {
            "labelSelector": self.label_selector or None,
            "fieldSelector": self.field_selector or None,
            "shardSelector": shard or None,
        }

    def informer_for_client(
        self,
        key: object,
        client: Callable[[], ResourceClient[T, Any]],
        make: Callable[..., InformerT],
    ) -> InformerT:
        """The shared informer under ``key``, made once from ``client()``."""
        with self._lock:
            informer = self._informers.get(key)
            if informer is None:
                informer = make(
                    client(),
                    resync_period=self.resync_period,
                    params=self.params,
                    use_watch_list=self.use_watch_list,
                    transform=self.transform,
                )
                self._informers[key] = informer
            return informer  # type: ignore[return-value]

    def _gvr_informer(
        self,
        flavour: str,
        resource_of: Callable[[GroupVersionResource], Any],
        gvr: GroupVersionResource,
    ) -> GenericInformer[Any]:
        """The informer of a resource known by GVR (dynamic or metadata-only),
        on the factory's namespace when the resource is namespaced."""
        namespace = self.namespace

        def client() -> Any:
            resource = resource_of(gvr)
            if resource.resource.namespaced:
                return resource.namespace(namespace or "")
            return resource

        key = (flavour, gvr.group, gvr.version, gvr.resource)
        return self.informer_for_client(key, client, GenericInformer)

    def informers(self) -> list[SharedIndexInformer[Any]]:
        with self._lock:
            return list(self._informers.values())

    def start(self, ctx: Context) -> None:
        """Start every informer not started yet (call again for ones made later)."""
        with self._lock:
            self._ctx = ctx
            for key, informer in self._informers.items():
                if key not in self._threads and not informer.started:
                    self._threads[key] = informer.start(ctx)

    def wait_for_cache_sync(
        self, ctx: Context | None = None, timeout: float | None = None
    ) -> bool:
        """True once every started informer has synced; False on timeout or when
        ``ctx`` ends first."""
        with self._lock:
            started = [self._informers[key] for key in self._threads]
        return _wait_synced(started, ctx if ctx is not None else self._ctx, timeout)

    def shutdown(self, timeout: float = _JOIN_SECONDS) -> None:
        """Wait for the informers' threads to end (after their ctx is cancelled)."""
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)


class TypedInformerFactory(InformerFactory):
    """Base of the generated factory: informers of typed clients of a ClientSet."""

    def __init__(self, clientset: Any, **options: Any) -> None:
        super().__init__(**options)
        self.clientset = clientset
        self.rest_client: RESTClient = clientset.rest_client

    def typed_informer(
        self, informer_class: type[InformerT], client_class: Any
    ) -> InformerT:
        """The informer of ``client_class`` (a generated typed client class)."""
        namespaced = client_class._info_.namespaced
        rest = self.rest_client
        namespace = self.namespace or ""

        def client() -> Any:
            if namespaced:
                return client_class(rest, namespace)
            return client_class(rest)

        return self.informer_for_client(informer_class, client, informer_class)


class GenericInformer(SharedIndexInformer[T]):
    """An informer of a resource known at run time, with a generic lister."""

    @property
    def lister(self) -> GenericLister[T]:
        return self._typed_lister(GenericLister)


class DynamicSharedInformerFactory(InformerFactory):
    """Informers for any GroupVersionResource, over a DynamicClient::

    factory = DynamicSharedInformerFactory(DynamicClient(config))
    crontabs = factory.for_resource(GroupVersionResource("stable.example.com", "v1", "crontabs"))
    factory.start(ctx)
    """

    def __init__(self, client: DynamicClient, **options: Any) -> None:
        super().__init__(**options)
        self.client = client

    def for_resource(self, gvr: GroupVersionResource) -> GenericInformer[Unstructured]:
        return self._gvr_informer("dynamic", self.client.resource, gvr)

    def lister_for(self, gvr: GroupVersionResource) -> GenericLister[Unstructured]:
        return self.for_resource(gvr).lister


class MetadataSharedInformerFactory(InformerFactory, Generic[P]):
    """Metadata-only informers (client-go's metadatainformer): the cache holds
    PartialObjectMetadata (names, labels, owners ...), a fraction of the full
    objects' memory::

    factory = MetadataSharedInformerFactory(MetadataClient(config))
    pods = factory.for_resource(GroupVersionResource("", "v1", "pods"))
    """

    def __init__(self, client: MetadataClientBase[P, Any], **options: Any) -> None:
        super().__init__(**options)
        self.client = client

    def for_resource(self, gvr: GroupVersionResource) -> GenericInformer[P]:
        return self._gvr_informer("metadata", self.client.resource, gvr)

    def lister_for(self, gvr: GroupVersionResource) -> GenericLister[P]:
        return self.for_resource(gvr).lister

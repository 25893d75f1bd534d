"""Caching for controllers, as client-go's ``tools/cache``: reflector, indexed
store, shared informers, listers and informer factories.

Typed informers for every resource come generated, in the package's
``informers`` module (``SharedInformerFactory(cs).apps_v1.deployments()``);
this package holds the machinery they run on, and the informers of resources
known only at run time (:class:`DynamicSharedInformerFactory`).

Cached objects are shared by every handler and lister: never mutate them;
change a :func:`deep_copy` of one.
"""

from .factory import (
    DynamicSharedInformerFactory,
    GenericInformer,
    InformerFactory,
    MetadataSharedInformerFactory,
    TypedInformerFactory,
)
from .informer import SharedIndexInformer, Transform, strip_managed_fields
from .keys import (
    NAMESPACE_INDEX,
    DeletedFinalStateUnknown,
    meta_namespace_key,
    namespace_index,
    split_key,
)
from .lister import (
    ClusterLister,
    GenericLister,
    Lister,
    NamespacedLister,
    NamespaceLister,
)
from .processor import EventHandler, Registration
from .reflector import Backoff, Reflector
from .store import Indexer, IndexerError, IndexFunc, deep_copy

__all__ = [
    "NAMESPACE_INDEX",
    "Backoff",
    "ClusterLister",
    "DeletedFinalStateUnknown",
    "DynamicSharedInformerFactory",
    "EventHandler",
    "GenericInformer",
    "GenericLister",
    "IndexFunc",
    "Indexer",
    "IndexerError",
    "InformerFactory",
    "Lister",
    "MetadataSharedInformerFactory",
    "NamespaceLister",
    "NamespacedLister",
    "Reflector",
    "Registration",
    "SharedIndexInformer",
    "Transform",
    "TypedInformerFactory",
    "deep_copy",
    "meta_namespace_key",
    "namespace_index",
    "split_key",
    "strip_managed_fields",
]

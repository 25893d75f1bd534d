"""Listers: read an informer's cache as the API would answer (client-go's listers).

``get`` raises :class:`~..errors.NotFound` with the API's message; ``list`` takes
a label selector in the query-string form. They answer from memory: no request.
The objects are the cache's own: never mutate them (``deep_copy`` first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

from ..errors import NotFound
from ..labels import parse_labels
from .keys import wire_of

if TYPE_CHECKING:
    from ..resources import ResourceInfo
    from .store import Indexer

__all__ = [
    "ClusterLister",
    "GenericLister",
    "Lister",
    "NamespaceLister",
    "NamespacedLister",
]

T = TypeVar("T")


def _select(objects: list[T], label_selector: str | None) -> list[T]:
    if not label_selector:
        return objects
    selector = parse_labels(label_selector)
    return [obj for obj in objects if selector.matches(wire_of(obj))]


def _not_found(resource: ResourceInfo, name: str) -> NotFound:
    what = f"{resource.plural}.{resource.group}" if resource.group else resource.plural
    return NotFound(
        404,
        "NotFound",
        f'{what} "{name}" not found',
        details={"name": name, "group": resource.group, "kind": resource.plural},
    )


class Lister(Generic[T]):
    """What every lister has: ``list()`` across the whole cache."""

    def __init__(self, indexer: Indexer[T], resource: ResourceInfo) -> None:
        self._indexer = indexer
        self._resource = resource

    def __repr__(self) -> str:
        info = self._resource
        return f"<{type(self).__name__} {info.api_version} {info.plural}>"

    def list(self, label_selector: str | None = None) -> list[T]:
        """Every cached object (in every namespace) matching the label selector."""
        return _select(self._indexer.list(), label_selector)


class NamespaceLister(Generic[T]):
    """The cached objects of one namespace."""

    def __init__(
        self, indexer: Indexer[T], resource: ResourceInfo, namespace: str
    ) -> None:
        self._indexer = indexer
        self._resource = resource
        self.namespace = namespace

    def __repr__(self) -> str:
        info = self._resource
        return f"<{type(self).__name__} {info.plural} in {self.namespace!r}>"

    def list(self, label_selector: str | None = None) -> list[T]:
        return _select(self._indexer.namespaced(self.namespace), label_selector)

    def get(self, name: str) -> T:
        obj = self._indexer.get(self.namespace, name)
        if obj is None:
            raise _not_found(self._resource, name)
        return obj


class NamespacedLister(Lister[T]):
    """A namespaced resource's lister: ``list()`` across namespaces, and
    ``namespace(ns)`` for one."""

    def namespace(self, namespace: str) -> NamespaceLister[T]:
        return NamespaceLister(self._indexer, self._resource, namespace)


class ClusterLister(Lister[T]):
    """A cluster-scoped resource's lister."""

    def get(self, name: str) -> T:
        obj = self._indexer.get("", name)
        if obj is None:
            raise _not_found(self._resource, name)
        return obj


class GenericLister(NamespacedLister[T], ClusterLister[T]):
    """The lister of a resource known at run time (dynamic and metadata informers):
    ``get(name)`` for cluster-scoped resources, ``namespace(ns).get(name)`` else."""

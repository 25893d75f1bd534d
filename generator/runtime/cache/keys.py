"""Object keys, the namespace index and the tombstone of a missed delete.

A key is ``namespace/name`` for namespaced objects and ``name`` for cluster-scoped
ones (client-go's MetaNamespaceKeyFunc). Keys come from the wire dict, so a typed
model is never decoded to find where it goes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .._model import Model

__all__ = [
    "NAMESPACE_INDEX",
    "DeletedFinalStateUnknown",
    "meta_namespace_key",
    "namespace_index",
    "split_key",
    "wire_of",
]

T = TypeVar("T")

#: The index every factory informer has: objects by namespace.
NAMESPACE_INDEX = "namespace"


def wire_of(obj: object) -> Mapping[str, Any]:
    """The wire dict behind a cached object (typed model or plain dict); not a copy."""
    if isinstance(obj, Model):
        return obj.to_dict(copy=False)
    if isinstance(obj, Mapping):
        return obj
    raise TypeError(f"not a Kubernetes object: {type(obj).__name__}")


def _metadata(wire: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = wire.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def meta_namespace_key(obj: object) -> str:
    """``namespace/name``, or ``name`` for a cluster-scoped object."""
    if isinstance(obj, DeletedFinalStateUnknown):
        return obj.key
    meta = _metadata(wire_of(obj))
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise KeyError("object has no metadata.name: it cannot be cached")
    namespace = meta.get("namespace")
    return f"{namespace}/{name}" if isinstance(namespace, str) and namespace else name


def split_key(key: str) -> tuple[str, str]:
    """(namespace, name); namespace "" for a cluster-scoped key."""
    namespace, _, name = key.rpartition("/")
    return namespace, name


def namespace_index(obj: object) -> list[str]:
    """client-go's MetaNamespaceIndexFunc."""
    namespace = _metadata(wire_of(obj)).get("namespace")
    return [namespace] if isinstance(namespace, str) else [""]


@dataclass(frozen=True)
class DeletedFinalStateUnknown(Generic[T]):
    """What ``on_delete`` gets when the informer missed the delete (the watch was
    down and a relist no longer found the object): ``obj`` is the last state the
    cache held, which may be stale."""

    key: str
    obj: T

"""The namespace controller: a namespace being deleted (Terminating) has its
content deleted, every namespaced object, in the background; once nothing is
left its ``kubernetes`` finalizer goes, then the namespace. The conditions it
reports on the namespace (NamespaceContentRemaining ...) are not written."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..engine.store import Event, metadata
from ..protocol.status import ApiError
from ..semantics.basics import DeleteOptions, Write
from ..semantics.resource import Resource
from .controller import Controller
from .podutil import name_of, namespace_of

MANAGER = "namespace-controller"
_NS = ("", "namespaces")


class Namespaces(Controller):
    name = MANAGER

    def delete(
        self, resource: Resource, old: dict[str, Any], options: Any, write: Write
    ) -> tuple[dict[str, Any], bool]:
        """DELETE of a namespace: the registry marks it Terminating; the rest
        is this controller's, asynchronously."""
        return self.api.objects._delete_namespace(resource, old, write, empty=False)

    def start(self) -> None:
        for ns in self.api.store.objects(_NS):
            if metadata(ns).get("deletionTimestamp"):
                self.enqueue(name_of(ns))

    def observe(self, event: Event) -> None:
        meta = metadata(event.obj)
        if (
            event.key == _NS
            and event.type != "DELETED"
            and meta.get("deletionTimestamp")
        ):
            self.enqueue(name_of(event.obj))

    def sync(self, key: Hashable) -> None:
        assert isinstance(key, str)
        objects = self.api.objects
        ns = self.api.store.get(_NS, "", key)
        if ns is None or not metadata(ns).get("deletionTimestamp"):
            return
        for storage_key in self.api.store.storage_keys():
            resource = objects._resource_for_storage(storage_key)
            if resource is None or not resource.info.namespaced:
                continue
            for obj in self.api.store.objects(storage_key, key):
                if metadata(obj).get("deletionTimestamp"):
                    continue
                try:
                    objects.delete(
                        resource,
                        namespace_of(obj),
                        name_of(obj),
                        DeleteOptions(propagation="Background"),
                        Write(manager=MANAGER),
                    )
                except ApiError:
                    continue
        # the last deletion in it finishes it (the registry's part); an empty
        # one finishes here
        objects._finish_namespace(self.api.store.get(_NS, "", key))
        if self.api.store.get(_NS, "", key) is not None:
            self.after(5.0, key)  # finalizers hold some: look again, as it requeues

"""Foreground cascading deletion as the garbage collector does it: the owner
gets the ``foregroundDeletion`` finalizer (and stays, deletionTimestamp set),
its dependents are deleted (in the foreground too when they block their
owner's deletion), and once no dependent with ``blockOwnerDeletion`` is left
the finalizer goes and so does the owner. Background and Orphan are the plain
server's (immediate)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..engine.store import Event, metadata
from ..protocol.status import ApiError
from ..semantics.basics import DeleteOptions, Write, copy_obj, now
from ..semantics.resource import Resource
from .controller import Controller
from .podutil import as_list, name_of, namespace_of, uid_of

MANAGER = "generic-garbage-collector"
FINALIZER = "foregroundDeletion"


class GarbageCollector(Controller):
    name = MANAGER

    def __init__(self, loop: Any) -> None:
        super().__init__(loop)
        #: uid of an owner being deleted in the foreground -> its place
        self._owners: dict[str, tuple[tuple[str, str], str, str]] = {}

    def foreground(
        self, resource: Resource, old: dict[str, Any], write: Write
    ) -> dict[str, Any]:
        """DELETE with propagationPolicy=Foreground (the registry's part)."""
        meta = old["metadata"]
        finalizers = list(meta.get("finalizers") or ())
        if meta.get("deletionTimestamp") and FINALIZER in finalizers:
            return old
        new = copy_obj(old)
        if FINALIZER not in finalizers:
            finalizers.append(FINALIZER)
        new["metadata"]["finalizers"] = finalizers
        new["metadata"].setdefault("deletionTimestamp", now())
        new["metadata"].setdefault("deletionGracePeriodSeconds", 0)
        return self.api.store.put(resource.storage_key, new)

    def start(self) -> None:
        for key in self.api.store.storage_keys():
            for obj in self.api.store.objects(key):
                self._note(key, obj)

    def _note(self, key: tuple[str, str], obj: dict[str, Any]) -> None:
        meta = metadata(obj)
        if meta.get("deletionTimestamp") and FINALIZER in as_list(
            meta.get("finalizers")
        ):
            place = (key, namespace_of(obj), name_of(obj))
            self._owners[uid_of(obj)] = place
            self.enqueue(place)

    def observe(self, event: Event) -> None:
        if event.type != "DELETED":
            self._note(event.key, event.obj)
        if not self._owners:
            return
        for ref in as_list(metadata(event.obj).get("ownerReferences")):
            if isinstance(ref, dict):
                place = self._owners.get(str(ref.get("uid") or ""))
                if place is not None:
                    self.enqueue(place)

    def sync(self, key: Hashable) -> None:
        assert isinstance(key, tuple)
        storage_key, namespace, name = key
        objects = self.api.objects
        owner = self.api.store.get(storage_key, namespace, name)
        if owner is None or FINALIZER not in as_list(metadata(owner).get("finalizers")):
            if owner is None:
                self._owners = {u: p for u, p in self._owners.items() if p != key}
            return
        uid = uid_of(owner)
        blocking = 0
        for resource, dependent in list(objects._dependents(owner)):
            refs = [
                r
                for r in as_list(metadata(dependent).get("ownerReferences"))
                if isinstance(r, dict) and r.get("uid") == uid
            ]
            blocks = any(r.get("blockOwnerDeletion") for r in refs)
            if blocks:
                blocking += 1
            if metadata(dependent).get("deletionTimestamp"):
                continue
            try:
                objects.delete(
                    resource,
                    namespace_of(dependent),
                    name_of(dependent),
                    DeleteOptions(propagation="Foreground" if blocks else "Background"),
                    Write(manager=MANAGER),
                )
            except ApiError:
                continue
        if blocking:
            return
        owner_resource = objects._resource_for_storage(storage_key)
        if owner_resource is None:
            return
        new = copy_obj(owner)
        new["metadata"]["finalizers"] = [
            f for f in as_list(new["metadata"].get("finalizers")) if f != FINALIZER
        ]
        if not new["metadata"]["finalizers"]:
            del new["metadata"]["finalizers"]
        try:
            objects.commit_update(owner_resource, owner, new, Write(manager=MANAGER))
        except ApiError:
            return
        self._owners.pop(uid, None)

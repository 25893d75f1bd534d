"""The garbage collector, as kube-controller-manager's runs it:

* Background: the server removes the owner at once; the collector then
  deletes, asynchronously, every dependent none of whose owners is left
  (ownerReferences followed by kind, name and uid, across kinds: Deployment ->
  ReplicaSets -> Pods), and drops the dangling references of a dependent that
  still has a live owner;
* Orphan: the owner gets the ``orphan`` finalizer (and stays, deletionTimestamp
  set); the collector removes the references to it from its dependents, then
  the finalizer, and the owner goes;
* Foreground: the owner gets the ``foregroundDeletion`` finalizer; its
  dependents are deleted (in the foreground too when they block their owner's
  deletion), and once no dependent with ``blockOwnerDeletion`` is left the
  finalizer goes and so does the owner.

Like the real one it writes no Events."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..engine.cascading import live_owner
from ..engine.store import Event, metadata
from ..protocol.status import ApiError
from ..semantics.basics import DeleteOptions, Write, copy_obj, now
from ..semantics.resource import Resource
from .controller import Controller
from .podutil import as_list, name_of, namespace_of, uid_of

MANAGER = "generic-garbage-collector"
FINALIZER = "foregroundDeletion"
ORPHAN = "orphan"

Place = tuple[tuple[str, str], str, str]  # storage key, namespace, name


def _refs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The object's ownerReferences that name an owner (a uid)."""
    return [
        ref
        for ref in as_list(metadata(obj).get("ownerReferences"))
        if isinstance(ref, dict) and ref.get("uid")
    ]


class GarbageCollector(Controller):
    name = MANAGER

    def __init__(self, loop: Any) -> None:
        super().__init__(loop)
        #: uid of an owner held by a finalizer of ours -> its place
        self._owners: dict[str, Place] = {}
        #: owner uid -> places of the objects that referenced it (may be stale:
        #: a sync looks again)
        self._dependents: dict[str, set[Place]] = {}

    # ------------------------------------------------------------------ DELETE

    def foreground(
        self, resource: Resource, old: dict[str, Any], write: Write
    ) -> dict[str, Any]:
        """DELETE with propagationPolicy=Foreground (the registry's part)."""
        return self._hold(resource, old, FINALIZER)

    def orphan(
        self, resource: Resource, old: dict[str, Any], write: Write
    ) -> dict[str, Any]:
        """DELETE with propagationPolicy=Orphan (the registry's part)."""
        return self._hold(resource, old, ORPHAN)

    def _hold(
        self, resource: Resource, old: dict[str, Any], finalizer: str
    ) -> dict[str, Any]:
        meta = old["metadata"]
        finalizers = list(meta.get("finalizers") or ())
        if meta.get("deletionTimestamp") and finalizer in finalizers:
            return old
        new = copy_obj(old)
        if finalizer not in finalizers:
            finalizers.append(finalizer)
        new["metadata"]["finalizers"] = finalizers
        new["metadata"].setdefault("deletionTimestamp", now())
        new["metadata"].setdefault("deletionGracePeriodSeconds", 0)
        return self.api.store.put(resource.storage_key, new)

    # ------------------------------------------------------------------ events

    def start(self) -> None:
        for key in self.api.store.storage_keys():
            for obj in self.api.store.objects(key):
                self._note(key, obj)

    def _note(
        self,
        key: tuple[str, str],
        obj: dict[str, Any],
        prev: dict[str, Any] | None = None,
    ) -> None:
        meta = metadata(obj)
        place = (key, namespace_of(obj), name_of(obj))
        finalizers = as_list(meta.get("finalizers"))
        if meta.get("deletionTimestamp") and (
            FINALIZER in finalizers or ORPHAN in finalizers
        ):
            self._owners[uid_of(obj)] = place
            self.enqueue(("owner", place))
        refs = _refs(obj)
        if prev is not None and _refs(prev) == refs:
            return  # its owners are what they were (a status update ...)
        for ref in refs:
            self._dependents.setdefault(str(ref["uid"]), set()).add(place)
        if refs:
            self.enqueue(("dependent", place))

    def observe(self, event: Event) -> None:
        if event.type != "DELETED":
            self._note(event.key, event.obj, event.prev)
            return
        uid = uid_of(event.obj)
        for place in self._dependents.pop(uid, set()):
            self.enqueue(("dependent", place))
        gone = (event.key, namespace_of(event.obj), name_of(event.obj))
        for ref in _refs(event.obj):  # a dependent gone: its owner may finish
            self._dependents.get(str(ref["uid"]), set()).discard(gone)
            owner = self._owners.get(str(ref["uid"]))
            if owner is not None:
                self.enqueue(("owner", owner))

    def sync(self, key: Hashable) -> None:
        assert isinstance(key, tuple)
        what, place = key
        if what == "owner":
            self._sync_owner(place)
        else:
            self._sync_dependent(place)

    # ------------------------------------------------------------------ dependents

    def _owner_of(
        self, dependent: dict[str, Any], ref: dict[str, Any]
    ) -> dict[str, Any] | None:
        return live_owner(self.api.core.registry, self.api.store, dependent, ref)

    def _sync_dependent(self, place: Place) -> None:
        storage_key, namespace, name = place
        dependent = self.api.store.get(storage_key, namespace, name)
        if dependent is None or metadata(dependent).get("deletionTimestamp"):
            return
        refs = _refs(dependent)
        if not refs:
            return
        solid, dangling, waiting = [], [], []
        for ref in refs:
            owner = self._owner_of(dependent, ref)
            if owner is None:
                dangling.append(ref)
            elif owner is not dependent and FINALIZER in as_list(
                metadata(owner).get("finalizers")
            ):
                waiting.append(ref)
            else:
                solid.append(ref)
        resource = self.api.objects._resource_for_storage(storage_key)
        if resource is None:
            return
        if solid:
            if dangling or waiting:  # kept: only the dead references go
                gone = {ref["uid"] for ref in (*dangling, *waiting)}
                self._set_refs(resource, dependent, lambda r: r.get("uid") not in gone)
            return
        if waiting:
            return  # the foreground owner's sync deletes it
        finalizers = as_list(metadata(dependent).get("finalizers"))
        policy = "Background"
        if ORPHAN in finalizers:
            policy = "Orphan"
        elif FINALIZER in finalizers:
            policy = "Foreground"
        try:
            self.api.objects.delete(
                resource,
                namespace,
                name,
                DeleteOptions(propagation=policy, uid=uid_of(dependent)),
                Write(manager=MANAGER),
            )
        except ApiError:
            return

    def _set_refs(
        self, resource: Resource, obj: dict[str, Any], keep: Any
    ) -> dict[str, Any] | None:
        new = copy_obj(obj)
        refs = [
            r
            for r in as_list(new["metadata"].get("ownerReferences"))
            if not isinstance(r, dict) or keep(r)
        ]
        if refs:
            new["metadata"]["ownerReferences"] = refs
        else:
            new["metadata"].pop("ownerReferences", None)
        try:
            return self.api.objects.commit_update(
                resource, obj, new, Write(manager=MANAGER)
            )
        except ApiError:
            return None

    # ------------------------------------------------------------------ owners

    def _sync_owner(self, place: Place) -> None:
        storage_key, namespace, name = place
        owner = self.api.store.get(storage_key, namespace, name)
        finalizers = as_list(metadata(owner).get("finalizers")) if owner else []
        if owner is None or not (FINALIZER in finalizers or ORPHAN in finalizers):
            self._owners = {u: p for u, p in self._owners.items() if p != place}
            return
        uid = uid_of(owner)
        if ORPHAN in finalizers:
            if not self._orphan(owner):
                return
            finalizer = ORPHAN
        else:
            if self._delete_dependents(owner):
                return  # blocked: synced again as its dependents go
            finalizer = FINALIZER
        owner_resource = self.api.objects._resource_for_storage(storage_key)
        if owner_resource is None:
            return
        new = copy_obj(owner)
        left = [f for f in finalizers if f != finalizer]
        new["metadata"]["finalizers"] = left
        if not left:
            del new["metadata"]["finalizers"]
        try:
            self.api.objects.commit_update(
                owner_resource, owner, new, Write(manager=MANAGER)
            )
        except ApiError:
            return
        if FINALIZER in left:
            self.enqueue(("owner", place))  # orphaned first, then the foreground
        else:
            self._owners.pop(uid, None)

    def _orphan(self, owner: dict[str, Any]) -> bool:
        """Remove the references to ``owner`` from its dependents; True when done."""
        uid = uid_of(owner)
        done = True
        for resource, dependent in list(self.api.objects._dependents(owner)):
            kept = self._set_refs(resource, dependent, lambda r: r.get("uid") != uid)
            done = done and kept is not None
        return done

    def _delete_dependents(self, owner: dict[str, Any]) -> int:
        """Foreground: delete the dependents; how many still block the owner."""
        uid = uid_of(owner)
        blocking = 0
        objects = self.api.objects
        for resource, dependent in list(objects._dependents(owner)):
            refs = [r for r in _refs(dependent) if r.get("uid") == uid]
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
        return blocking

"""How the simulated controllers read and write: straight on the engine (no
HTTP), through the same object machinery as requests (validation, defaulting,
resourceVersions, watch events, managedFields), and the Events they record."""

from __future__ import annotations

import itertools
import logging
import time
from typing import TYPE_CHECKING, Any

from ..protocol.status import ApiError
from ..semantics.basics import DeleteOptions, Write, copy_obj, now
from ..semantics.merging import merge_subresource
from ..semantics.resource import Resource
from .podutil import as_dict, name_of, namespace_of, uid_of

if TYPE_CHECKING:
    from ..engine.core import Core

log = logging.getLogger(__name__)

#: (group, version, plural) of what the controllers read and write
PODS = ("", "v1", "pods")
NODES = ("", "v1", "nodes")
EVENTS = ("", "v1", "events")
LEASES = ("coordination.k8s.io", "v1", "leases")
REPLICASETS = ("apps", "v1", "replicasets")
DEPLOYMENTS = ("apps", "v1", "deployments")
STATEFULSETS = ("apps", "v1", "statefulsets")
DAEMONSETS = ("apps", "v1", "daemonsets")
JOBS = ("batch", "v1", "jobs")
CRONJOBS = ("batch", "v1", "cronjobs")
SERVICES = ("", "v1", "services")
ENDPOINTS = ("", "v1", "endpoints")
ENDPOINTSLICES = ("discovery.k8s.io", "v1", "endpointslices")


class Api:
    """Reads and writes of the simulated controllers; a write the server refuses
    (a conflict, a namespace being deleted ...) is logged and returns None: the
    controller tries again on its next sync, as a real one would."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.store = core.store
        self.objects = core.objects
        self._resources: dict[tuple[str, str, str], Resource | None] = {}
        self._event_ids = itertools.count(int(time.time() * 1e6))

    def resource(self, gvr: tuple[str, str, str]) -> Resource | None:
        try:
            return self._resources[gvr]
        except KeyError:
            found = self._resources[gvr] = self.core.registry.get(*gvr)
            return found

    # ------------------------------------------------------------------ reads

    def get(self, gvr: tuple[str, str, str], namespace: str, name: str) -> Any:
        resource = self.resource(gvr)
        if resource is None:
            return None
        return self.store.get(resource.storage_key, namespace, name)

    def list(
        self, gvr: tuple[str, str, str], namespace: str | None = None
    ) -> list[dict[str, Any]]:
        resource = self.resource(gvr)
        if resource is None:
            return []
        return self.store.objects(resource.storage_key, namespace)

    # ------------------------------------------------------------------ writes

    def create(
        self, gvr: tuple[str, str, str], obj: dict[str, Any], manager: str
    ) -> dict[str, Any] | None:
        resource = self.resource(gvr)
        if resource is None:
            return None
        try:
            return self.objects.create(
                resource, namespace_of(obj), obj, Write(manager=manager)
            )
        except ApiError as error:
            log.debug("simulation: create %s refused: %s", gvr, error)
            return None

    def update(
        self,
        gvr: tuple[str, str, str],
        old: dict[str, Any],
        new: dict[str, Any],
        manager: str,
        subresource: str = "",
    ) -> dict[str, Any] | None:
        """Store ``new`` (a fresh dict) over ``old``; ``subresource="status"``
        changes the status only."""
        resource = self.resource(gvr)
        if resource is None:
            return None
        try:
            with self.store.lock:
                current = self.store.get(
                    resource.storage_key, namespace_of(old), name_of(old)
                )
                if current is None or uid_of(current) != uid_of(old):
                    return None
                if current is not old:  # changed meanwhile: rebase on it
                    new = {**new, "metadata": {**new["metadata"]}}
                    new["metadata"]["resourceVersion"] = current["metadata"][
                        "resourceVersion"
                    ]
                merged = (
                    new  # the whole pod, as the binding handler stores it
                    if subresource == "binding"
                    else merge_subresource(resource, subresource, current, new)
                )
                return self.objects.commit_update(
                    resource, current, merged, Write(manager=manager), subresource
                )
        except ApiError as error:
            log.debug("simulation: update %s refused: %s", gvr, error)
            return None

    def update_status(
        self,
        gvr: tuple[str, str, str],
        old: dict[str, Any],
        status: dict[str, Any],
        manager: str,
    ) -> dict[str, Any] | None:
        if old.get("status") == status:
            return old
        new = copy_obj(old)
        new["status"] = status
        return self.update(gvr, old, new, manager, "status")

    def delete(
        self,
        gvr: tuple[str, str, str],
        namespace: str,
        name: str,
        *,
        grace_period: int | None = None,
        propagation: str | None = None,
        uid: str | None = None,
        manager: str = "",
    ) -> bool:
        resource = self.resource(gvr)
        if resource is None:
            return False
        try:
            self.objects.delete(
                resource,
                namespace,
                name,
                DeleteOptions(
                    propagation=propagation, grace_period=grace_period, uid=uid
                ),
                Write(manager=manager),
            )
            return True
        except ApiError as error:
            log.debug("simulation: delete %s %s/%s: %s", gvr, namespace, name, error)
            return False

    # ------------------------------------------------------------------ events

    def event(
        self,
        obj: dict[str, Any],
        kind: str,
        api_version: str,
        type_: str,
        reason: str,
        message: str,
        component: str,
        host: str = "",
        field_path: str = "",
    ) -> None:
        """A core/v1 Event about ``obj``, as client-go's event recorder writes it
        (one per occurrence: not aggregated)."""
        namespace = namespace_of(obj) or "default"
        stamp = now()
        meta = as_dict(obj.get("metadata"))
        involved: dict[str, Any] = {
            "kind": kind,
            "name": name_of(obj),
            "uid": uid_of(obj),
            "apiVersion": api_version,
            "resourceVersion": str(meta.get("resourceVersion") or ""),
        }
        if namespace_of(obj):
            involved["namespace"] = namespace_of(obj)
        if field_path:  # a container's: spec.containers{name}
            involved["fieldPath"] = field_path
        source: dict[str, Any] = {"component": component}
        if host:
            source["host"] = host
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{name_of(obj)}.{next(self._event_ids):x}",
                "namespace": namespace,
            },
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host or component,
        }
        event.pop("eventTime")
        self.create(EVENTS, event, component)

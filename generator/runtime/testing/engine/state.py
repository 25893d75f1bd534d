"""The state of a test API server (:class:`ServerState`): its parts, wired
together, and seeding of fixture objects. Request handling is in ``core``."""

from __future__ import annotations

from collections import deque
from typing import Any

from ..._api import RESOURCES
from ..._model import Model
from ...machinery.schema import use_openapi_structs
from ...resources import ResourceInfo
from ..authz.authorization import Authorization
from ..semantics.basics import Write
from ..semantics.defaulting import SchemaDefaults
from ..semantics.resource import Resource
from ..semantics.typecheck import TypeChecks
from .auth import Auth
from .crds import CustomResources
from .discovery import OpenAPI
from .faults import Faults
from .logs import PodLogs
from .objects import INITIAL_NAMESPACES, Objects
from .registry import Registry
from .store import Store, object_key
from .streaming.runtime import PodRuntime


class ServerState:
    """Everything a server holds: the served resources, storage, the object
    machinery (validation, defaulting, garbage collection ...), pod logs,
    credentials, fault injection, the OpenAPI documents, the CRD controllers,
    and the settings its answers depend on. Handlers reach it as ``call.core``;
    :class:`~.core.Core` adds the routing of requests on top."""

    def __init__(
        self,
        *,
        resources: tuple[ResourceInfo, ...] = RESOURCES,
        kubernetes_version: str = "v0.0.0",
        anonymous: bool = False,
        unsecured: bool = False,
        history: int = 10_000,
        bookmark_interval: float = 60.0,
        aggregated_discovery: bool = True,
        watch_list: bool = True,
        authorization: str = "AlwaysAllow",
    ) -> None:
        self.registry = Registry(resources)
        self.store = Store(history)
        self.objects = Objects(self.registry, self.store)
        self.logs = PodLogs()
        #: what runs in pods: exec/attach handlers, port targets (engine/streaming)
        self.pod_runtime = PodRuntime()
        self.auth = Auth(anonymous, unsecured)
        self.faults = Faults()
        self.openapi = OpenAPI()
        self.objects.types = TypeChecks(self.openapi.component_schemas)
        use_openapi_structs(self.openapi.component_schemas)  # pointer vs value
        self.objects.schema_defaults = SchemaDefaults(self.openapi.component_schemas)
        self.custom_resources = CustomResources(
            self.objects, self.store, self.registry, self.openapi
        )
        #: False: serve only the per-group discovery endpoints (a server < 1.26)
        self.aggregated_discovery = aggregated_discovery
        #: False: the WatchList feature is off (streaming lists are refused)
        self.watch_list = watch_list
        #: (method, path) of the latest requests handled, oldest first
        self.requests: deque[tuple[str, str]] = deque(maxlen=10_000)
        self.kubernetes_version = kubernetes_version
        self.bookmark_interval = bookmark_interval
        self.server_address = "127.0.0.1:6443"
        self.objects.on_delete.append(self._forget_logs)
        for name in INITIAL_NAMESPACES:
            self.seed(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            )
        #: who may do what: "AlwaysAllow" (every authenticated request) or "RBAC"
        self.authorization = Authorization(self, authorization)

    def _forget_logs(self, resource: Resource, obj: dict[str, Any]) -> None:
        if resource.storage_key == ("", "pods"):
            self.logs.pod_gone(*object_key(obj))

    # ------------------------------------------------------------------ seeding

    def seed(self, obj: Model | dict[str, Any]) -> dict[str, Any]:
        """Store an object as a test fixture: through create (validation, uid,
        managedFields), keeping its status, creating its namespace if needed."""
        data = obj.to_dict() if isinstance(obj, Model) else dict(obj)
        resource = self.registry.by_kind(
            str(data.get("apiVersion")), str(data.get("kind"))
        )
        if resource is None:
            raise ValueError(
                f"no resource serves apiVersion {data.get('apiVersion')!r}, "
                f"kind {data.get('kind')!r}"
            )
        meta = data.setdefault("metadata", {})
        namespace = ""
        if resource.info.namespaced:
            namespace = meta.setdefault("namespace", "default")
            if self.store.get(("", "namespaces"), "", namespace) is None:
                self.seed(
                    {
                        "apiVersion": "v1",
                        "kind": "Namespace",
                        "metadata": {"name": namespace},
                    }
                )
        status = data.get("status")
        created = self.objects.create(resource, namespace, data, Write(manager="seed"))
        if status is not None and created.get("status") != status:
            new = {**created, "status": status}
            created = self.objects.commit_update(
                resource, created, new, Write(manager="seed"), "status"
            )
        return created

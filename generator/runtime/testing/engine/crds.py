"""CustomResourceDefinitions: what the apiextensions-apiserver and its controllers
do once a CRD is stored, done synchronously inside the request.

* The naming controller accepts the names (NamesAccepted, or a *Conflict reason
  when another CRD of the group holds them), the establishing controller then
  sets Established: two status writes right after the create, as on a real
  server (the POST answers the CRD as created; a GET after it shows it
  Established).
* Every served version is served from then on (registry: CRUD, watch, discovery;
  /openapi/v3/apis/<group>/<version> from ``crd.crd_documents``), with the
  accepted names, scope and the status/scale subresources the version declares;
  an update of the CRD updates what is served.
* DELETE adds the customresourcecleanup finalizer (Terminating condition); the
  finalizer controller then deletes every custom resource (watchers get DELETED
  events, then their watches end), removes its finalizer, and the CRD goes.
  Custom resources held by their own finalizers keep the CRD Terminating until
  the last one is gone; creates are refused meanwhile (405).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...machinery.crd import META_SCHEMAS, CRDError, crd_documents
from ...resources import GroupVersionKind, ResourceInfo, SubresourceInfo
from ..semantics.basics import DeleteOptions, Write, copy_obj, now
from ..semantics.crd_validation import established
from ..semantics.resource import Resource, ScalePaths
from ..semantics.tables import custom_layout
from .discovery import OpenAPI
from .objects import Objects
from .registry import Registry
from .store import Store

CRDS = ("apiextensions.k8s.io", "customresourcedefinitions")
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
#: as the CRD handler lists them in discovery
VERBS = (
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "create",
    "update",
    "watch",
)
_SUBRESOURCE_VERBS = ("get", "patch", "update")
_SCALE = GroupVersionKind("autoscaling", "v1", "Scale")
_CONTROLLER = Write(manager="kube-apiserver")


def _condition(kind: str, status: str, reason: str, message: str) -> dict[str, Any]:
    return {"type": kind, "status": status, "reason": reason, "message": message}


def find_condition(crd: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for cond in (crd.get("status") or {}).get("conditions") or ():
        if isinstance(cond, dict) and cond.get("type") == kind:
            return cond
    return None


def _is_true(crd: dict[str, Any], kind: str) -> bool:
    cond = find_condition(crd, kind)
    return cond is not None and cond.get("status") == "True"


def set_condition(status: dict[str, Any], new: dict[str, Any]) -> None:
    """apihelpers.SetCRDCondition: lastTransitionTime moves only with status."""
    conditions = status.setdefault("conditions", [])
    for cond in conditions:
        if cond.get("type") == new["type"]:
            if cond.get("status") != new["status"] or not cond.get(
                "lastTransitionTime"
            ):
                cond["lastTransitionTime"] = now()
            cond.update(
                status=new["status"], reason=new["reason"], message=new["message"]
            )
            return
    conditions.append(
        {
            "type": new["type"],
            "status": new["status"],
            "lastTransitionTime": now(),
            "reason": new["reason"],
            "message": new["message"],
        }
    )


def _names(names: dict[str, Any]) -> dict[str, Any]:
    """CustomResourceDefinitionNames as the server writes them."""
    out: dict[str, Any] = {"plural": names.get("plural") or ""}
    if names.get("singular"):
        out["singular"] = names["singular"]
    if names.get("shortNames"):
        out["shortNames"] = list(names["shortNames"])
    out["kind"] = names.get("kind") or ""
    if names.get("listKind"):
        out["listKind"] = names["listKind"]
    if names.get("categories"):
        out["categories"] = list(names["categories"])
    return out


class CustomResources:
    """Serves the custom resources of the stored CRDs; hooked into Objects."""

    def __init__(
        self, objects: Objects, store: Store, registry: Registry, openapi: OpenAPI
    ) -> None:
        self.objects = objects
        self.store = store
        self.registry = registry
        self.openapi = openapi
        self._finalizing: set[str] = set()
        self.objects.on_write.append(self._written)
        self.objects.on_delete.append(self._deleted)
        self.objects.deleters[CRDS] = self._delete

    @property
    def _crd_resource(self) -> Resource:
        resource = self.registry.get(
            "apiextensions.k8s.io", "v1", "customresourcedefinitions"
        )
        assert resource is not None
        return resource

    def _write_status(self, crd: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        return self.objects.commit_update(
            self._crd_resource, crd, new, _CONTROLLER, "status"
        )

    # ------------------------------------------------------------------ controllers

    def _written(self, resource: Resource, obj: dict[str, Any]) -> None:
        if resource.storage_key != CRDS:
            return
        if self._accept_names(obj) or self._establish(obj):
            return  # that status write reconciled the CRD again
        self._serve(obj)

    def _accept_names(self, crd: dict[str, Any]) -> bool:
        """The naming controller: accepted names and the NamesAccepted condition."""
        spec_names = _names((crd.get("spec") or {}).get("names") or {})
        status = crd.get("status") or {}
        accepted = _names(status.get("acceptedNames") or {})
        if spec_names == accepted:
            return False
        group = (crd.get("spec") or {}).get("group")
        resources, kinds = self._names_in_use(group)
        new_names = dict(accepted)
        cond = _condition("NamesAccepted", "True", "NoConflicts", "no conflicts found")

        def claim(key: str, used: set[str], reason: str) -> None:
            wanted = spec_names.get(key)
            if wanted is not None and wanted != accepted.get(key) and wanted in used:
                cond.update(
                    status="False",
                    reason=reason,
                    message=f'"{wanted}" is already in use',
                )
            elif wanted is not None:
                new_names[key] = wanted

        claim("plural", resources, "PluralConflict")
        claim("singular", resources, "SingularConflict")
        own = set(accepted.get("shortNames") or ())
        taken = [
            f'"{name}" is already in use'
            for name in spec_names.get("shortNames") or ()
            if name not in own and name in resources
        ]
        if taken:
            cond.update(
                status="False",
                reason="ShortNamesConflict",
                message=taken[0] if len(taken) == 1 else "[" + ", ".join(taken) + "]",
            )
        elif spec_names.get("shortNames") != accepted.get("shortNames"):
            new_names["shortNames"] = spec_names.get("shortNames")
        claim("kind", kinds, "KindConflict")
        claim("listKind", kinds, "ListKindConflict")
        new_names["categories"] = spec_names.get("categories")
        new_names = _names(new_names)
        old_cond = find_condition(crd, "NamesAccepted")
        if (
            new_names == accepted
            and old_cond is not None
            and all(old_cond.get(k) == cond[k] for k in ("status", "reason", "message"))
        ):
            return False
        new = copy_obj(crd)
        new_status = new.setdefault("status", {})
        new_status["acceptedNames"] = new_names
        set_condition(new_status, cond)
        established_cond = find_condition(crd, "Established")
        if established_cond is None or established_cond.get("status") != "True":
            if cond["status"] == "True":
                set_condition(
                    new_status,
                    _condition(
                        "Established",
                        "False",
                        "Installing",
                        "the initial names have been accepted",
                    ),
                )
            else:
                set_condition(
                    new_status,
                    _condition(
                        "Established",
                        "False",
                        "NotAccepted",
                        "not all names are accepted",
                    ),
                )
        self._write_status(crd, new)
        return True

    def _names_in_use(self, group: Any) -> tuple[set[str], set[str]]:
        resources: set[str] = set()
        kinds: set[str] = set()
        for other in self.store.objects(CRDS):
            if (other.get("spec") or {}).get("group") != group:
                continue
            names = (other.get("status") or {}).get("acceptedNames") or {}
            resources.update(
                n for n in (names.get("plural"), names.get("singular")) if n
            )
            resources.update(names.get("shortNames") or ())
            kinds.update(n for n in (names.get("kind"), names.get("listKind")) if n)
        return resources, kinds

    def _establish(self, crd: dict[str, Any]) -> bool:
        """The establishing controller: Established once the names are accepted."""
        if _is_true(crd, "Established") or not _is_true(crd, "NamesAccepted"):
            return False
        new = copy_obj(crd)
        set_condition(
            new.setdefault("status", {}),
            _condition(
                "Established",
                "True",
                "InitialNamesAccepted",
                "the initial names have been accepted",
            ),
        )
        self._write_status(crd, new)
        return True

    # ------------------------------------------------------------------ serving

    def _serve(self, crd: dict[str, Any]) -> None:
        name = crd["metadata"]["name"]
        resources = list(self._resources(crd))
        self.registry.sync_owned(name, resources, self.store.rv)
        self._publish()

    def _resources(self, crd: dict[str, Any]) -> Iterator[Resource]:
        if not (_is_true(crd, "Established") or _is_true(crd, "NamesAccepted")):
            return
        spec = crd.get("spec") or {}
        names = (crd.get("status") or {}).get("acceptedNames") or {}
        terminating = _is_true(crd, "Terminating")
        for version in spec.get("versions") or ():
            if not version.get("served"):
                continue
            subresources = version.get("subresources") or {}
            subs: list[SubresourceInfo] = []
            own = GroupVersionKind(spec["group"], version["name"], names["kind"])
            if "status" in subresources:
                subs.append(SubresourceInfo("status", _SUBRESOURCE_VERBS, own))
            scale = subresources.get("scale")
            paths = None
            if isinstance(scale, dict):
                subs.append(SubresourceInfo("scale", _SUBRESOURCE_VERBS, _SCALE))
                paths = ScalePaths(
                    scale.get("specReplicasPath") or ".spec.replicas",
                    scale.get("statusReplicasPath") or ".status.replicas",
                    scale.get("labelSelectorPath") or None,
                )
            info = ResourceInfo(
                group=spec["group"],
                version=version["name"],
                plural=names["plural"],
                kind=names["kind"],
                namespaced=spec.get("scope") == "Namespaced",
                verbs=VERBS,
                list_kind=names.get("listKind") or f"{names['kind']}List",
                subresources=tuple(subs),
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                singular=names.get("singular") or names["kind"].lower(),
            )
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            yield Resource(
                info,
                schema=schema,
                custom=True,
                scale=paths,
                terminating=terminating,
                printer=custom_layout(version.get("additionalPrinterColumns") or []),
            )

    def _publish(self) -> None:
        """/openapi/v3 documents of every served CRD version, one per group-version
        (CRDs sharing a group-version share its document)."""
        known = self.openapi.known_schemas(list(META_SCHEMAS))
        documents: dict[str, dict[str, Any]] = {}
        for crd in self.store.objects(CRDS):
            if not self.registry.owned(crd["metadata"]["name"]):
                continue
            try:
                served = crd_documents(crd, known)
            except CRDError:
                continue
            group = crd["spec"]["group"]
            for version, document in served:
                path = f"apis/{group}/{version}"
                merged = documents.get(path)
                if merged is None:
                    documents[path] = document
                else:
                    merged["paths"].update(document["paths"])
                    schemas = merged["components"]["schemas"]
                    schemas.update(document["components"]["schemas"])
                    merged["components"]["schemas"] = dict(sorted(schemas.items()))
        self.openapi.set_custom(documents)

    # ------------------------------------------------------------------ deletion

    def _delete(
        self,
        resource: Resource,
        old: dict[str, Any],
        options: DeleteOptions,
        write: Write,
    ) -> tuple[dict[str, Any], bool]:
        """DELETE of a CRD: mark it, add the cleanup finalizer; then clean up."""
        if old["metadata"].get("deletionTimestamp"):
            return old, False
        new = copy_obj(old)
        meta = new["metadata"]
        meta["deletionTimestamp"] = now()
        finalizers = meta.setdefault("finalizers", [])
        if CLEANUP_FINALIZER not in finalizers:
            finalizers.append(CLEANUP_FINALIZER)
        set_condition(
            new.setdefault("status", {}),
            _condition(
                "Terminating",
                "True",
                "InstanceDeletionPending",
                "CustomResourceDefinition marked for deletion; CustomResource "
                "deletion will begin soon",
            ),
        )
        if write.dry_run:
            return new, False
        marked = self.store.put(CRDS, new)
        self._finalize(meta["name"])
        return marked, False

    def _finalize(self, name: str) -> None:
        """The CRD finalizer controller: delete every instance, then let go."""
        crd = self.store.get(CRDS, "", name)
        if crd is None or not crd["metadata"].get("deletionTimestamp"):
            return
        if CLEANUP_FINALIZER not in (crd["metadata"].get("finalizers") or ()):
            return
        new = copy_obj(crd)
        set_condition(
            new.setdefault("status", {}),
            _condition(
                "Terminating",
                "True",
                "InstanceDeletionInProgress",
                "CustomResource deletion is in progress",
            ),
        )
        crd = self._write_status(crd, new)
        if established(crd):
            if self._delete_instances(crd):
                return  # some are held by finalizers: finished when the last goes
            done = _condition(
                "Terminating",
                "False",
                "InstanceDeletionCompleted",
                "removed all instances",
            )
        else:
            done = _condition(
                "Terminating",
                "False",
                "NeverEstablished",
                "resource was never established",
            )
        new = copy_obj(crd)
        set_condition(new.setdefault("status", {}), done)
        new["metadata"]["finalizers"] = [
            f for f in new["metadata"]["finalizers"] if f != CLEANUP_FINALIZER
        ]
        if not new["metadata"]["finalizers"]:
            del new["metadata"]["finalizers"]
        self._write_status(crd, new)

    def _storage_key(self, crd: dict[str, Any]) -> tuple[str, str]:
        names = (crd.get("status") or {}).get("acceptedNames") or {}
        return (crd["spec"]["group"], names.get("plural") or "")

    def _delete_instances(self, crd: dict[str, Any]) -> int:
        """Delete every custom resource of the CRD; how many are left."""
        key = self._storage_key(crd)
        versions = self.registry.storage_versions(key)
        if not versions:
            return 0
        name = crd["metadata"]["name"]
        self._finalizing.add(name)
        try:
            for obj in self.store.objects(key):
                meta = obj["metadata"]
                if meta.get("deletionTimestamp"):
                    continue
                self.objects.delete(
                    versions[0],
                    meta.get("namespace") or "",
                    meta["name"],
                    DeleteOptions(propagation="Background"),
                    Write(manager="kube-apiserver"),
                )
        finally:
            self._finalizing.discard(name)
        return len(self.store.objects(key))

    def _deleted(self, resource: Resource, obj: dict[str, Any]) -> None:
        if resource.storage_key == CRDS:
            self.registry.sync_owned(obj["metadata"]["name"], [], self.store.rv)
            self._publish()
            # its names are free now: the other CRDs of its group are reconsidered
            group = (obj.get("spec") or {}).get("group")
            for other in self.store.objects(CRDS):
                if (other.get("spec") or {}).get("group") == group and not _is_true(
                    other, "NamesAccepted"
                ):
                    self._written(resource, other)
        elif resource.owner and resource.owner not in self._finalizing:
            crd = self.store.get(CRDS, "", resource.owner)
            if (
                crd is not None
                and crd["metadata"].get("deletionTimestamp")
                and not self.store.objects(resource.storage_key)
            ):
                self._finalize(resource.owner)

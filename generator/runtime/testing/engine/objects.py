"""Object semantics: what the generic registry, the strategies, the field manager,
the garbage collector and the namespace controller do to an object on its way into
and out of storage.

Every public method takes the whole request's intent (a :class:`Write`), works on
fresh dicts (stored ones are never changed), and runs under the store's lock, so a
read-modify-write is atomic.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

from ...machinery.managedfields import record_update
from ..protocol.status import (
    MODIFIED,
    ApiError,
    Cause,
    already_exists,
    bad_request,
    conflict,
    forbidden,
    invalid,
    not_found,
)
from ..semantics.basics import (
    DeleteOptions,
    Write,
    copy_obj,
    meta_of,
    now,
    present,
    spec_of,
    suffix,
)
from ..semantics.defaulting import DEFAULTS, SchemaDefaults
from ..semantics.merging import apply_config, apply_patch, merge_subresource, run_apply
from ..semantics.resource import Resource
from ..semantics.schemas import apply_defaults, prune
from ..semantics.typecheck import (
    Problem,
    TypeChecks,
    apply_error,
    check_type_meta,
    decode_error,
    find_problem,
    patch_error,
)
from ..semantics.validation import generate_name_problems, unknown_fields, validate
from .allocators import ServiceAllocator
from .cascading import deletion_policy as _policy
from .cascading import live_owner
from .registry import Registry
from .store import Store, metadata, object_key

#: Namespaces that exist from the start (and the ones that may not be deleted).
INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
_UNDELETABLE_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})
_NS = ("", "namespaces")
_SYSTEM_META = (
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
)
#: (resource, stored object, options, write) -> (object, deleted now)
Deleter = Callable[
    [Resource, dict[str, Any], DeleteOptions, Write], tuple[dict[str, Any], bool]
]
_GENERATE_ATTEMPTS = 8


class Objects:
    def __init__(self, registry: Registry, store: Store) -> None:
        self.registry = registry
        self.store = store
        self.lock = store.lock
        #: called with (resource, deleted object) after every real deletion
        self.on_delete: list[Callable[[Resource, dict[str, Any]], None]] = []
        #: called with (resource, old or None, new) before a create or update is
        #: stored, dry-run included; raises ApiError to refuse it (RBAC escalation)
        self.admission: list[
            Callable[[Resource, dict[str, Any] | None, dict[str, Any]], None]
        ] = []
        #: called with (resource, stored object) after every stored create/update
        self.on_write: list[Callable[[Resource, dict[str, Any]], None]] = []
        #: storage key -> what DELETE does instead (CRDs: the cleanup finalizer)
        self.deleters: dict[tuple[str, str], Deleter] = {}
        #: what Foreground deletion does instead of deleting the dependents at once
        #: (the simulation: the foregroundDeletion finalizer and its collector)
        self.foreground: (
            Callable[[Resource, dict[str, Any], Write], dict[str, Any]] | None
        ) = None
        self.orphan: Callable[[Resource, dict[str, Any], Write], dict[str, Any]] | None
        self.orphan = None  # the same for Orphan (the simulation: "orphan" finalizer)
        #: False: Background deletion leaves dependents to a collector (simulation's)
        self.cascade_now = True
        #: JSON type checks of bodies (set by the core; None: not checked)
        self.types: TypeChecks | None = None
        #: the OpenAPI documents' property defaults (set by the core)
        self.schema_defaults: SchemaDefaults | None = None
        self.services = ServiceAllocator(store)  # ClusterIPs, node ports
        self.admission.append(self.services.admit)

    def _allocate_ip(self) -> str:
        return self.services.next_ip()

    # ------------------------------------------------------------------ reads

    def read(self, resource: Resource, namespace: str, name: str) -> dict[str, Any]:
        obj = self.store.get(resource.storage_key, namespace, name)
        if obj is None:
            raise not_found(resource.info, name)
        return obj

    # ------------------------------------------------------------------ create

    def create(
        self,
        resource: Resource,
        namespace: str,
        body: dict[str, Any],
        write: Write,
        *,
        applied: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """POST (or apply of an absent object when ``applied`` computes managedFields)."""
        obj = body
        self.check_type(resource, obj)
        meta = meta_of(obj)
        self._place(resource, meta, namespace)
        self.check_fields(resource, obj, write)
        if not meta.get("name") and meta.get("generateName"):
            self._check_generate_name(resource, meta)
        for key in (*_SYSTEM_META, "resourceVersion", "selfLink"):
            if key == "resourceVersion" and meta.get(key):
                raise ApiError(
                    500,
                    "",
                    "resourceVersion should not be set on objects to be created",
                )
            meta.pop(key, None)
        with self.lock:
            self._require_namespace(resource, meta)
            self._prepare_create(resource, obj)
            for attempt in range(_GENERATE_ATTEMPTS):
                if meta.get("generateName") and (attempt or not meta.get("name")):
                    meta["name"] = meta["generateName"] + suffix()
                validate(resource, obj)
                if self.store.get(resource.storage_key, *_okey(meta)) is None:
                    break
                if not meta.get("generateName"):
                    raise already_exists(resource.info, meta["name"])
            else:
                raise already_exists(resource.info, meta["name"])
            for admit in self.admission:
                admit(resource, None, obj)
            obj = applied(obj) if applied else self._record(None, obj, resource, write)
            if write.dry_run:
                return obj
            stored = self.store.put(resource.storage_key, obj)
            self._after_create(resource, stored)
            self._written(resource, stored)
            return stored

    def check_type(
        self, resource: Resource, obj: Any, *, patched: bool = False
    ) -> None:
        """The body's apiVersion/kind must be the URL's (or absent: defaulted),
        and its fields of the schema's JSON types (``patched``: the result of a
        patch, whose type errors the patch handler words)."""
        if not isinstance(obj, dict):
            raise bad_request(
                f"the object provided is unrecognized (must be of type {resource.info.kind})"
            )
        check_type_meta(resource.info.kind, obj)
        api_version = obj.get("apiVersion") or resource.info.api_version
        kind = obj.get("kind") or resource.info.kind
        obj["apiVersion"], obj["kind"] = api_version, kind
        version = str(api_version).rpartition("/")[2]
        if kind != resource.info.kind:
            raise bad_request(
                f"the object provided is unrecognized (must be of type "
                f"{resource.info.kind}): kind {kind!r} does not match"
            )
        group = str(api_version).rpartition("/")[0]
        if api_version != resource.info.api_version:
            if group == resource.info.group and self._serves(group, str(api_version)):
                obj["apiVersion"] = resource.info.api_version  # converted, as it were
            else:
                raise bad_request(
                    f"the API version in the data ({api_version}) does not match the "
                    f"expected API version ({resource.info.api_version})"
                )
        problem = self.type_problem(resource, obj)
        if problem is not None:
            if patched:
                raise patch_error(obj, problem)
            raise decode_error(resource.info.kind, version, problem)

    def type_problem(
        self, resource: Resource, obj: dict[str, Any], *, normalize: bool = True
    ) -> Problem | None:
        """What decoding ``obj`` as the real server does reports: the whole body
        into a built-in kind's Go struct; a custom resource's metadata into
        ObjectMeta (the rest is its schema's business: 422 from validation).
        ``normalize``: nulls made what decoding makes of them (see find_problem)."""
        types = self.types
        if types is None:
            return None
        if resource.custom:
            meta = obj.get("metadata")
            node = types.object_meta() if meta is not None else None
            if node is None:
                return None
            return find_problem(node, meta, normalize=normalize)
        info = resource.info
        node = types.kind(info.group, info.version, info.kind)
        return find_problem(node, obj, normalize=normalize) if node else None

    def check_body(
        self, api_version: str, kind: str, body: Any, *, patched: bool = False
    ) -> None:
        """A subresource's own body (Scale, Eviction, Binding) decodes into its Go
        struct, or the request is refused as for an object's body."""
        if not isinstance(body, dict) or self.types is None:
            return
        check_type_meta(kind, body)
        group, _, version = api_version.rpartition("/")
        node = self.types.kind(group, version, kind)
        problem = find_problem(node, body, normalize=True) if node else None
        if problem is not None:
            if patched:
                raise patch_error(body, problem)
            raise decode_error(kind, version, problem)

    def _serves(self, group: str, api_version: str) -> bool:
        version = api_version.rpartition("/")[2]
        return version in self.registry.versions(group)

    def check_fields(
        self, resource: Resource, obj: dict[str, Any], write: Write
    ) -> None:
        """fieldValidation: unknown fields are an error, a warning, or ignored
        (custom resources: pruned, as their structural schema says)."""
        if resource.custom:
            unknown = prune(obj, resource.schema) if resource.schema else []
        elif write.field_validation == "Ignore":
            return
        else:
            unknown = unknown_fields(obj, resource.model)
        if not unknown or write.field_validation == "Ignore":
            return
        if write.field_validation == "Strict":
            texts = [f'unknown field "{path}"' for path in unknown]
            info = resource.info
            raise bad_request(
                f'{info.kind} in version "{info.version}" cannot be handled as a '
                f"{info.kind}: strict decoding error: " + ", ".join(texts)
            )
        for path in unknown:
            write.warnings.add(f'unknown field "{path}"')

    def _place(self, resource: Resource, meta: dict[str, Any], namespace: str) -> None:
        if not resource.info.namespaced:
            meta.pop("namespace", None)
            return
        given = meta.get("namespace")
        if given and given != namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace "
                "sent on the request"
            )
        meta["namespace"] = namespace

    def _check_generate_name(self, resource: Resource, meta: dict[str, Any]) -> None:
        problems = generate_name_problems(str(meta["generateName"]), resource)
        if problems:
            raise invalid(
                resource.info.kind,
                resource.info.group,
                "",
                [
                    Cause(
                        "metadata.generateName",
                        f'Invalid value: "{meta["generateName"]}": {p}',
                    )
                    for p in problems
                ],
            )

    def _require_namespace(self, resource: Resource, meta: dict[str, Any]) -> None:
        if not resource.info.namespaced:
            return
        namespace = meta["namespace"]
        ns = self.store.get(_NS, "", namespace)
        if ns is None:
            ns_res = self.registry.get("", "v1", "namespaces")
            assert ns_res is not None
            raise not_found(ns_res.info, namespace)
        if (ns.get("status") or {}).get("phase") == "Terminating":
            error = forbidden(
                resource.info,
                str(meta.get("name") or meta.get("generateName") or ""),
                f"unable to create new content in namespace {namespace} because it "
                "is being terminated",
            )
            assert error.details is not None
            error.details["causes"] = [
                {
                    "reason": "NamespaceTerminating",
                    "message": f"namespace {namespace} is being terminated",
                    "field": "metadata.namespace",
                }
            ]
            raise error

    def _prepare_create(self, resource: Resource, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now()
        if resource.tracks_generation:
            meta["generation"] = 1
        if resource.has("status") and not resource.keeps_status_on_create:
            obj.pop("status", None)
        self._default(resource, obj, None)

    def _default(
        self, resource: Resource, obj: dict[str, Any], old: dict[str, Any] | None
    ) -> None:
        if resource.custom:
            if resource.schema is not None:
                apply_defaults(obj, resource.schema)
            return
        if self.schema_defaults is not None:
            info = resource.info
            self.schema_defaults.apply(info.group, info.version, info.kind, obj)
        default = DEFAULTS.get(resource.storage_key)
        if default is not None:
            default(obj, old, self._allocate_ip)

    def _written(self, resource: Resource, stored: dict[str, Any]) -> None:
        for listener in self.on_write:
            listener(resource, stored)

    def _after_create(self, resource: Resource, obj: dict[str, Any]) -> None:
        """Controllers' immediate reactions: a new namespace gets its default
        ServiceAccount."""
        if resource.storage_key == _NS:
            self.ensure_default_service_account(obj["metadata"]["name"])

    def ensure_default_service_account(self, namespace: str) -> None:
        if self.store.get(("", "serviceaccounts"), namespace, "default") is None:
            sa = {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": {
                    "name": "default",
                    "namespace": namespace,
                    "uid": str(uuid.uuid4()),
                    "creationTimestamp": now(),
                },
            }
            self.store.put(("", "serviceaccounts"), sa)

    def _record(
        self,
        old: dict[str, Any] | None,
        new: dict[str, Any],
        resource: Resource,
        write: Write,
        subresource: str = "",
    ) -> dict[str, Any]:
        return record_update(
            old, new, write.manager, resource.field_schema, subresource=subresource
        )

    # ------------------------------------------------------------------ update

    def update(
        self,
        resource: Resource,
        namespace: str,
        name: str,
        body: dict[str, Any],
        write: Write,
        subresource: str = "",
    ) -> dict[str, Any]:
        """PUT of the object or of a subresource that carries the whole object."""
        self.check_type(resource, body)
        meta = meta_of(body)
        self._check_identity(resource, meta, namespace, name)
        self.check_fields(resource, body, write)
        with self.lock:
            old = self.read(resource, namespace, name)
            self.check_version(resource, old, meta.get("resourceVersion"), subresource)
            new = merge_subresource(resource, subresource, old, body)
            result = self.commit_update(resource, old, new, write, subresource)
            if subresource == "finalize" and not write.dry_run:
                self._finish_namespace(self.store.get(_NS, "", name))
            return result

    def _check_identity(
        self, resource: Resource, meta: dict[str, Any], namespace: str, name: str
    ) -> None:
        if meta.get("name") != name:
            raise bad_request(
                f"the name of the object ({meta.get('name') or ''}) does not match the "
                f"name on the URL ({name})"
            )
        self._place(resource, meta, namespace)

    def check_version(
        self, resource: Resource, old: dict[str, Any], rv: Any, subresource: str = ""
    ) -> None:
        """An update naming a resourceVersion must name the current one."""
        if rv and str(rv) != old["metadata"]["resourceVersion"]:
            raise conflict(
                resource.info, old["metadata"]["name"], MODIFIED, subresource
            )

    def commit_update(
        self,
        resource: Resource,
        old: dict[str, Any],
        new: dict[str, Any],
        write: Write,
        subresource: str = "",
        *,
        managed: bool = True,
    ) -> dict[str, Any]:
        """Settle system metadata, generation, validation, managedFields and
        finalizers, then store ``new`` (unless nothing changed, or dry-run)."""
        meta = meta_of(new)
        old_meta = old["metadata"]
        for key in _SYSTEM_META:
            if key in old_meta:
                meta[key] = old_meta[key]
            else:
                meta.pop(key, None)
        meta["name"], meta["resourceVersion"] = (
            old_meta["name"],
            old_meta["resourceVersion"],
        )
        meta.pop("selfLink", None)
        if resource.info.namespaced:
            meta["namespace"] = old_meta["namespace"]
        self._check_finalizers(resource, old, new)
        self._default(resource, new, old)
        if resource.tracks_generation and spec_of(old) != spec_of(new):
            meta["generation"] = int(old_meta.get("generation") or 0) + 1
        validate(resource, new, old)
        for admit in self.admission:
            admit(resource, old, new)
        if managed:
            new = self._record(old, new, resource, write, subresource)
        if new == old:
            return old  # etcd writes nothing: same resourceVersion, no event
        if write.dry_run:
            return new
        if (
            new["metadata"].get("deletionTimestamp")
            and not new["metadata"].get("finalizers")
            and not old_meta.get("deletionGracePeriodSeconds")  # not while graceful
        ):
            gone = self.store.remove(resource.storage_key, new)
            assert gone is not None
            self._deleted(resource, gone)
            return gone
        stored = self.store.put(resource.storage_key, new)
        self._written(resource, stored)
        return stored

    def _check_finalizers(
        self, resource: Resource, old: dict[str, Any], new: dict[str, Any]
    ) -> None:
        if not old["metadata"].get("deletionTimestamp"):
            return
        before = set(old["metadata"].get("finalizers") or ())
        added = [f for f in new["metadata"].get("finalizers") or () if f not in before]
        if added:
            listed = ", ".join(f'"{f}"' for f in added)
            raise invalid(
                resource.info.kind,
                resource.info.group,
                old["metadata"]["name"],
                [
                    Cause(
                        "metadata.finalizers",
                        "Forbidden: no new finalizers can be added if the object is "
                        f"being deleted, found new finalizers []string{{{listed}}}",
                        "FieldValueForbidden",
                    )
                ],
            )

    # ------------------------------------------------------------------ patch

    def patch(
        self,
        resource: Resource,
        namespace: str,
        name: str,
        patch_type: str,
        body: Any,
        write: Write,
        subresource: str = "",
    ) -> tuple[dict[str, Any], bool]:
        """PATCH; returns (object, created) — apply creates an absent object."""
        with self.lock:
            old = self.store.get(resource.storage_key, namespace, name)
            if old is None:
                if patch_type != "apply" or subresource:
                    raise not_found(resource.info, name)
                return self._apply_create(resource, namespace, name, body, write), True
            current = present(resource, old)
            if patch_type == "apply":
                return (
                    self._apply(resource, old, current, body, write, subresource),
                    False,
                )
            patched = apply_patch(resource.model, patch_type, current, body)
            if not isinstance(patched, dict):
                raise bad_request("the patched object is not a JSON object")
            self.check_type(resource, patched, patched=True)
            pmeta = meta_of(patched)
            if pmeta.get("name", name) != name:
                raise bad_request(
                    f"the name of the object ({pmeta.get('name')}) does not match the "
                    f"name on the URL ({name})"
                )
            pmeta["name"] = name
            self.check_version(resource, old, pmeta.get("resourceVersion"), subresource)
            self.check_fields(resource, patched, write)
            new = merge_subresource(resource, subresource, old, patched)
            return self.commit_update(resource, old, new, write, subresource), False

    def _apply(
        self,
        resource: Resource,
        old: dict[str, Any],
        current: dict[str, Any],
        config: Any,
        write: Write,
        subresource: str,
    ) -> dict[str, Any]:
        config = apply_config(resource, config, subresource)
        self._check_apply_types(resource, config, old["metadata"])
        self._check_apply_identity(resource, config, old["metadata"]["name"], old)
        self.check_fields(resource, config, write)
        merged = run_apply(resource, current, config, write, subresource)
        new = merge_subresource(resource, subresource, old, merged)
        if subresource or resource.has("status"):
            # what the strategy resets is owned by nobody: keep the apply's record
            entries = merged["metadata"].get("managedFields")
            new["metadata"].pop("managedFields", None)
            if entries:  # an apply owning nothing leaves no entry, not a null
                new["metadata"]["managedFields"] = entries
        return self.commit_update(resource, old, new, write, subresource, managed=False)

    def _apply_create(
        self, resource: Resource, namespace: str, name: str, config: Any, write: Write
    ) -> dict[str, Any]:
        config = apply_config(resource, config, "")
        self._check_apply_types(
            resource, config, {"namespace": namespace, "name": name}
        )
        self._check_apply_identity(resource, config, name, None)
        meta = meta_of(config)
        meta["name"] = name
        # nothing to be a precondition on: the object is created (kubernetes#106745)
        meta.pop("resourceVersion", None)
        self._place(resource, meta, namespace)

        # Ownership comes from the configuration as sent: the defaults create()
        # fills in belong to nobody (the field manager defaults after the merge),
        # so the next identical apply does not prune them.
        sent = copy_obj(config)

        def applied(obj: dict[str, Any]) -> dict[str, Any]:
            owned = run_apply(resource, None, sent, write, "")
            entries = owned["metadata"].get("managedFields")
            obj["metadata"].pop("managedFields", None)
            if entries:
                obj["metadata"]["managedFields"] = entries
            return obj

        return self.create(resource, namespace, config, write, applied=applied)

    def _check_apply_types(
        self, resource: Resource, config: dict[str, Any], where: dict[str, Any]
    ) -> None:
        """What the field manager refuses before merging: managedFields in the
        configuration (400), values the schema cannot type (a plain error: 500)."""
        meta = config.get("metadata")
        if isinstance(meta, dict) and meta.get("managedFields") is not None:
            raise bad_request("metadata.managedFields must be nil")
        problem = self.type_problem(resource, config, normalize=False)
        if problem is not None:
            info = resource.info
            if resource.custom and problem.parts is not None:  # metadata's path
                value, path, go_type = problem.parts
                path = f"metadata.{path}" if path else "metadata"
                problem = Problem(problem.message, (value, path, go_type))
            raise apply_error(
                str(where.get("namespace") or ""),
                str(where.get("name") or ""),
                info.api_version,
                info.kind,
                problem,
            )

    def _check_apply_identity(
        self,
        resource: Resource,
        config: dict[str, Any],
        name: str,
        old: dict[str, Any] | None,
    ) -> None:
        meta = meta_of(config)
        if meta.get("name") and meta["name"] != name:
            raise bad_request(
                f"the name of the object ({meta['name']}) does not match the name on "
                f"the URL ({name})"
            )
        if old is not None:
            self.check_version(resource, old, meta.get("resourceVersion"))

    # ------------------------------------------------------------------ delete

    def delete(
        self,
        resource: Resource,
        namespace: str,
        name: str,
        options: DeleteOptions,
        write: Write,
    ) -> tuple[dict[str, Any], bool]:
        """DELETE; returns (object, deleted now) — False while finalizers hold it."""
        _policy(options)  # invalid options are refused before anything else
        with self.lock:
            old = self.read(resource, namespace, name)
            self._check_preconditions(resource, old, options)
            deleter = self.deleters.get(resource.storage_key)
            if deleter is not None:
                return deleter(resource, old, options, write)
            if resource.storage_key == _NS:
                return self._delete_namespace(resource, old, write)
            return self.delete_now(resource, old, options, write)

    def delete_now(
        self,
        resource: Resource,
        old: dict[str, Any],
        options: DeleteOptions,
        write: Write,
    ) -> tuple[dict[str, Any], bool]:
        """What DELETE does without a deleter: cascade, then remove the object
        (or mark it deleting while finalizers hold it)."""
        policy = _policy(options)
        with self.lock:
            if (
                policy == "Foreground"
                and self.foreground is not None
                and not write.dry_run
            ):
                return self.foreground(resource, old, write), False
            if policy == "Orphan" and self.orphan is not None and not write.dry_run:
                return self.orphan(resource, old, write), False
            if policy == "Orphan" and not write.dry_run:
                self._orphan_dependents(old)
            if policy == "Foreground" and not write.dry_run:
                self._delete_dependents(old, "Foreground")
            finalizers = old["metadata"].get("finalizers")
            if finalizers:
                return self._mark_deleting(resource, old, options, write), False
            if write.dry_run:
                return old, True
            gone = self.store.remove(resource.storage_key, old)
            assert gone is not None
            self._deleted(resource, gone, policy)
            return gone, True

    def _check_preconditions(
        self, resource: Resource, old: dict[str, Any], options: DeleteOptions
    ) -> None:
        meta = old["metadata"]
        for what, wanted, actual in (
            ("UID", options.uid, meta.get("uid")),
            ("ResourceVersion", options.resource_version, meta.get("resourceVersion")),
        ):
            if wanted and wanted != actual:
                raise conflict(
                    resource.info,
                    meta["name"],
                    f"Precondition failed: {what} in precondition: {wanted}, {what} in "
                    f"object meta: {actual}",
                )

    def _mark_deleting(
        self,
        resource: Resource,
        old: dict[str, Any],
        options: DeleteOptions,
        write: Write,
    ) -> dict[str, Any]:
        if old["metadata"].get("deletionTimestamp"):
            return old
        new = copy_obj(old)
        new["metadata"]["deletionTimestamp"] = now()
        new["metadata"]["deletionGracePeriodSeconds"] = 0
        if write.dry_run:
            return new
        return self.store.put(resource.storage_key, new)

    def _deleted(
        self, resource: Resource, gone: dict[str, Any], policy: str = "Background"
    ) -> None:
        """After a deletion: garbage-collect dependents, let a terminating
        namespace finish, tell the listeners (pod logs)."""
        if policy != "Orphan" and self.cascade_now:
            self._delete_dependents(gone, "Background")
        for listener in self.on_delete:
            listener(resource, gone)
        namespace = gone["metadata"].get("namespace")
        if namespace:
            ns = self.store.get(_NS, "", namespace)
            if ns is not None and ns["metadata"].get("deletionTimestamp"):
                self._finish_namespace(ns)

    def delete_collection(
        self,
        resource: Resource,
        namespace: str | None,
        matches: Callable[[dict[str, Any]], bool],
        options: DeleteOptions,
        write: Write,
    ) -> list[dict[str, Any]]:
        out = []
        with self.lock:
            for obj in self.store.objects(resource.storage_key, namespace):
                if matches(obj):
                    gone, _ = self.delete(resource, *object_key(obj), options, write)
                    out.append(gone)
        return out

    # ------------------------------------------------------------ garbage collector

    def _dependents(
        self, owner: dict[str, Any]
    ) -> Iterator[tuple[Resource, dict[str, Any]]]:
        uid = owner["metadata"].get("uid")
        if not uid:
            return  # no uid (a malformed fixture): it owns nothing
        for key, okey in sorted(self.store.owned):
            resource = self._resource_for_storage(key)
            obj = self.store.get(key, *okey)
            if resource is None or obj is None:
                continue
            refs = metadata(obj).get("ownerReferences")
            if isinstance(refs, list) and any(
                isinstance(ref, dict) and ref.get("uid") == uid for ref in refs
            ):
                yield resource, obj

    def _resource_for_storage(self, key: tuple[str, str]) -> Resource | None:
        versions = self.registry.storage_versions(key)
        return versions[0] if versions else None

    def _delete_dependents(self, owner: dict[str, Any], policy: str) -> None:
        """Delete the dependents none of whose other owners is alive (the others
        lose the reference), as a garbage collector does."""
        uid = owner["metadata"].get("uid")
        for resource, listed in list(self._dependents(owner)):
            obj = self.store.get(resource.storage_key, *object_key(listed))
            if obj is None:  # gone meanwhile (an earlier cascade)
                continue
            refs = metadata(obj).get("ownerReferences") or ()
            if any(
                isinstance(r, dict)
                and r.get("uid") not in (None, uid)
                and live_owner(self.registry, self.store, obj, r) is not None
                for r in refs
            ):
                self._drop_owner(resource, obj, uid)
                continue
            self.delete(
                resource,
                *object_key(obj),
                DeleteOptions(propagation=policy),
                Write(manager="garbage-collector"),
            )

    def _orphan_dependents(self, owner: dict[str, Any]) -> None:
        for resource, obj in list(self._dependents(owner)):
            self._drop_owner(resource, obj, owner["metadata"].get("uid"))

    def _drop_owner(self, resource: Resource, obj: dict[str, Any], uid: Any) -> None:
        new = copy_obj(obj)
        refs = [
            r
            for r in new["metadata"]["ownerReferences"]
            if not isinstance(r, dict) or r.get("uid") != uid
        ]
        new["metadata"]["ownerReferences"] = refs
        if not refs:
            del new["metadata"]["ownerReferences"]
        self.commit_update(resource, obj, new, Write(manager="garbage-collector"))

    # ------------------------------------------------------------------ namespaces

    def _delete_namespace(
        self, resource: Resource, old: dict[str, Any], write: Write, empty: bool = True
    ) -> tuple[dict[str, Any], bool]:
        """Terminating; ``empty``: content deleted now (else by the simulation's)."""
        name = old["metadata"]["name"]
        if name in _UNDELETABLE_NAMESPACES:
            raise forbidden(resource.info, name, "this namespace may not be deleted")
        if old["metadata"].get("deletionTimestamp"):
            return old, False
        new = copy_obj(old)
        new["metadata"]["deletionTimestamp"] = now()
        new["metadata"]["deletionGracePeriodSeconds"] = 0
        new.setdefault("status", {})["phase"] = "Terminating"
        if write.dry_run:
            return new, False
        terminating = self.store.put(_NS, new)
        if empty:
            self._empty_namespace(name)
            self._finish_namespace(self.store.get(_NS, "", name))
        return terminating, False

    def _empty_namespace(self, namespace: str) -> None:
        """What the namespace controller does: delete everything in it."""
        for key in self.store.storage_keys():
            resource = self._resource_for_storage(key)
            if resource is None or not resource.info.namespaced:
                continue
            for obj in self.store.objects(key, namespace):
                if metadata(obj).get("deletionTimestamp"):
                    continue
                self.delete(
                    resource,
                    namespace,
                    object_key(obj)[1],
                    DeleteOptions(propagation="Background"),
                    Write(manager="namespace-controller"),
                )

    def _finish_namespace(self, ns: dict[str, Any] | None) -> None:
        """Once empty, the namespace's "kubernetes" finalizer goes, then it does."""
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        name = ns["metadata"]["name"]
        for key in self.store.storage_keys():
            resource = self._resource_for_storage(key)
            if (
                resource is not None
                and resource.info.namespaced
                and self.store.objects(key, name)
            ):
                return
        if (ns.get("spec") or {}).get("finalizers"):
            new = copy_obj(ns)
            del new["spec"]["finalizers"]
            ns = self.store.put(_NS, new)
        if not ns["metadata"].get("finalizers"):
            gone = self.store.remove(_NS, ns)
            ns_res = self.registry.get("", "v1", "namespaces")
            if gone is not None and ns_res is not None:
                for listener in self.on_delete:
                    listener(ns_res, gone)


def _okey(meta: dict[str, Any]) -> tuple[str, str]:
    return (meta.get("namespace") or "", meta.get("name") or "")

"""The intermediate representation: what the model room builds and the render room reads.

Small frozen dataclasses, no templating. ``to_json`` dumps it (``python -m generator ir``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Scalar kinds a TypeRef can have; "array", "map" and "ref" are the composite ones.
SCALAR_KINDS = (
    "string",
    "integer",
    "number",
    "boolean",
    "byte",
    "date-time",
    "micro-time",
    "int-or-string",
    "quantity",
    "object",  # free-form JSON object (FieldsV1, RawExtension, preserve-unknown-fields)
    "any",  # any JSON value
)


@dataclass(frozen=True)
class TypeRef:
    kind: str  # one of SCALAR_KINDS, "array", "map" or "ref"
    format: str | None = None  # int32, int64, double ... as in the spec
    items: TypeRef | None = None  # element type of array / map
    ref: str | None = None  # schema id, for kind == "ref"

    def refs(self) -> list[str]:
        if self.ref is not None:
            return [self.ref]
        return self.items.refs() if self.items is not None else []


@dataclass(frozen=True)
class Field:
    name: str  # Python attribute, snake_case and escaped
    wire: str  # exact JSON name
    type: TypeRef
    required: bool = False
    description: str = ""
    default: Any = None
    enum: tuple[Any, ...] = ()
    list_type: str | None = None  # x-kubernetes-list-type: atomic | set | map
    map_keys: tuple[str, ...] = ()  # x-kubernetes-list-map-keys
    map_type: str | None = None  # x-kubernetes-map-type: atomic | granular
    patch_strategy: str | None = None  # x-kubernetes-patch-strategy
    patch_merge_key: str | None = None  # x-kubernetes-patch-merge-key
    preserve_unknown_fields: bool = False
    embedded_resource: bool = False
    nullable: bool = False


@dataclass(frozen=True)
class GroupVersionKind:
    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass(frozen=True)
class Schema:
    """A model class: one object schema of the spec (or a nested inline one)."""

    id: str  # spec name, e.g. io.k8s.api.core.v1.Pod
    module: str  # python module, e.g. core_v1
    name: str  # python class name, e.g. Pod
    description: str
    fields: tuple[Field, ...]
    gvks: tuple[GroupVersionKind, ...] = ()
    preserve_unknown_fields: bool = False
    list_item: str | None = None  # for a *List kind: schema id of its items
    map_type: str | None = None  # x-kubernetes-map-type on the type (atomic structs)

    @property
    def gvk(self) -> GroupVersionKind | None:
        """The one GVK a constructor fills in (None for shared meta types)."""
        return self.gvks[0] if len(self.gvks) == 1 else None


@dataclass(frozen=True)
class Parameter:
    name: str  # wire name
    py_name: str
    location: str  # path | query | header
    type: TypeRef
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Operation:
    id: str  # operationId
    method: str  # get, post, put, patch, delete
    path: str
    action: str  # x-kubernetes-action
    verb: str  # get list watch create update patch delete deletecollection connect
    subresource: str | None
    all_namespaces: bool  # the cluster-wide list/watch of a namespaced resource
    deprecated_watch: bool  # the old /watch/ paths
    parameters: tuple[Parameter, ...]
    body: TypeRef | None
    body_required: bool
    body_content_types: tuple[str, ...]
    response: TypeRef | None
    response_content_types: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class Subresource:
    name: str  # status, scale, log, exec ...
    kind: GroupVersionKind | None
    verbs: tuple[str, ...]
    operations: tuple[Operation, ...]
    streaming: bool  # exec/attach/portforward/proxy: not plain request/response


@dataclass(frozen=True)
class Resource:
    plural: str
    kind: GroupVersionKind | None  # None for action-only resources (e.g. bindings)
    schema: str | None  # schema id of the kind
    list_schema: str | None  # schema id of the list kind
    namespaced: bool
    verbs: tuple[str, ...]
    operations: tuple[Operation, ...]
    subresources: tuple[Subresource, ...]
    short_names: tuple[str, ...] = ()  # from discovery knowledge (generator.known)
    categories: tuple[str, ...] = ()
    singular: str = ""


@dataclass(frozen=True)
class GroupVersion:
    group: str
    version: str
    module: str  # python module / ClientSet attribute (core_v1, apps_v1)
    resources: tuple[Resource, ...]
    kinds: tuple[str, ...]  # schema ids with a GVK in this group-version

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def path_prefix(self) -> str:
        return (
            f"/apis/{self.group}/{self.version}"
            if self.group
            else f"/api/{self.version}"
        )


@dataclass(frozen=True)
class Group:
    name: str
    versions: tuple[GroupVersion, ...]  # highest priority first
    preferred_version: str


@dataclass(frozen=True)
class Module:
    """A python module of models: the schemas of one Go package."""

    name: str
    group: str | None
    version: str | None
    schemas: tuple[str, ...]  # ids, in output order


@dataclass(frozen=True)
class Universe:
    kubernetes_version: str | None
    groups: tuple[Group, ...]
    modules: tuple[Module, ...]
    schemas: dict[str, Schema]  # id -> schema, sorted by id
    #: the spec as a cluster serves it at /openapi/v3/<path> (for the test API server);
    #: not part of the model proper, so not dumped
    served: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: what the generator made the best of (printed by the CLI)
    warnings: tuple[str, ...] = ()
    #: a generated package whose runtime and meta types this one uses (CRDs alone)
    base_package: str | None = None
    #: schema id -> "module.Class" in the base package, for types defined there
    external: dict[str, str] = field(default_factory=dict)

    def group_versions(self) -> list[GroupVersion]:
        return [gv for group in self.groups for gv in group.versions]

    def to_json(self) -> dict[str, Any]:
        def convert(value: Any) -> Any:
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                return {
                    f.name: convert(getattr(value, f.name))
                    for f in dataclasses.fields(value)
                }
            if isinstance(value, dict):
                return {k: convert(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [convert(v) for v in value]
            return value

        return {
            "kubernetesVersion": self.kubernetes_version,
            "groups": convert(self.groups),
            "modules": convert(self.modules),
            "schemas": convert(self.schemas),
            "warnings": list(self.warnings),
            "basePackage": self.base_package,
            "external": convert(self.external),
        }

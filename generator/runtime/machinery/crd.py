"""CustomResourceDefinitions -> the OpenAPI v3 documents a cluster would serve for them.

Shared by the generator (room 1, load: CRD manifests as input) and the test API
server (which serves a custom resource once its CRD is created). A CRD manifest (apiextensions.k8s.io/v1) becomes one
document per served version, as kube-apiserver's CRD OpenAPI builder publishes
at /openapi/v3/apis/<group>/<version>: the kind and its list under
``<reversed group>.<version>.<Kind>`` with ``x-kubernetes-group-version-kind``,
the resource's paths and operations (no strategic merge patch: custom resources
do not support it), and the status/scale subresources the CRD declares. From
then on a CRD is generated exactly like a built-in kind.

Meta types (ObjectMeta, ListMeta, Status, DeleteOptions, autoscaling/v1 Scale)
are taken from the other input documents when they are there (generation into the
same package as the built-in API). Without them the schemas are marked
``x-kubeclient-external`` and refer to a base package's models (generation of a
separate package with ``--base-package``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from .openapi import closure, json_pointer

CRD_API_VERSION = "apiextensions.k8s.io/v1"
META = "io.k8s.apimachinery.pkg.apis.meta.v1"
SCALE = "io.k8s.api.autoscaling.v1.Scale"
#: Schemas every CRD document refers to, and where a base package keeps them.
META_SCHEMAS = {
    f"{META}.ObjectMeta": "meta_v1.ObjectMeta",
    f"{META}.ListMeta": "meta_v1.ListMeta",
    f"{META}.Status": "meta_v1.Status",
    f"{META}.DeleteOptions": "meta_v1.DeleteOptions",
    f"{META}.Patch": None,
    SCALE: "autoscaling_v1.Scale",
}
EXTERNAL = "x-kubeclient-external"

_ALLOWED_TYPES = {"object", "array", "string", "integer", "number", "boolean"}


class CRDError(ValueError):
    """A CRD this cannot serve: ``pointer`` is the JSON pointer of the problem."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(f"{pointer}: {message}" if pointer else message)
        self.pointer = pointer
        self.message = message


def is_crd(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and document.get("kind") == "CustomResourceDefinition"
    )


def schema_id(group: str, version: str, kind: str) -> str:
    """``stable.example.com``/v1/CronTab -> ``com.example.stable.v1.CronTab``."""
    return ".".join([*reversed(group.split(".")), version, kind])


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


# --------------------------------------------------------------------------- checks


def _require(value: Any, kind: type, where: list[object], what: str) -> Any:
    if not isinstance(value, kind):
        raise CRDError(json_pointer(where), f"{what} must be a {kind.__name__}")
    return value


def check_structural(schema: Any, where: list[object]) -> None:
    """A structural schema (as the API server requires since apiextensions v1):
    every node has a type, unless it is int-or-string or preserves unknown fields."""
    if not isinstance(schema, dict):
        raise CRDError(json_pointer(where), "a schema must be an object")
    node_type = schema.get("type")
    free = schema.get("x-kubernetes-int-or-string") or schema.get(
        "x-kubernetes-preserve-unknown-fields"
    )
    if node_type is None and not free:
        raise CRDError(
            json_pointer(where),
            "not a structural schema: 'type' is missing (CRDs need a type on every "
            "node, or x-kubernetes-int-or-string / x-kubernetes-preserve-unknown-fields)",
        )
    if node_type is not None and node_type not in _ALLOWED_TYPES:
        raise CRDError(json_pointer([*where, "type"]), f"unknown type {node_type!r}")
    for key in ("$ref", "definitions", "dependencies", "id", "$schema"):
        if key in schema:
            raise CRDError(
                json_pointer([*where, key]),
                f"{key!r} is not allowed in a CRD schema",
            )
    for name, prop in (schema.get("properties") or {}).items():
        check_structural(prop, [*where, "properties", name])
    items = schema.get("items")
    if items is not None:
        check_structural(items, [*where, "items"])
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        check_structural(extra, [*where, "additionalProperties"])


# --------------------------------------------------------------------------- schemas


def _kind_schema(
    group: str, version: str, kind: str, body: dict[str, Any]
) -> dict[str, Any]:
    schema = copy.deepcopy(body)
    own = schema.get("properties") or {}
    properties: dict[str, Any] = {}
    properties["apiVersion"] = {
        "type": "string",
        "description": "APIVersion defines the versioned schema of this representation of an object.",
    }
    properties["kind"] = {
        "type": "string",
        "description": "Kind is a string value representing the REST resource this object represents.",
    }
    properties["metadata"] = {
        "allOf": [_ref(f"{META}.ObjectMeta")],
        "description": "Standard object's metadata.",
    }
    properties.update((k, v) for k, v in own.items() if k not in properties)
    schema["properties"] = properties
    schema["type"] = "object"
    schema["x-kubernetes-group-version-kind"] = [
        {"group": group, "kind": kind, "version": version}
    ]
    return schema


def _list_schema(
    group: str, version: str, kind: str, list_kind: str, item: str
) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"{list_kind} is a list of {kind}",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"allOf": [_ref(f"{META}.ListMeta")]},
            "items": {"type": "array", "items": _ref(item)},
        },
        "x-kubernetes-group-version-kind": [
            {"group": group, "kind": list_kind, "version": version}
        ],
    }


# --------------------------------------------------------------------------- paths


def _param(
    name: str, kind: str, description: str, location: str = "query"
) -> dict[str, Any]:
    param: dict[str, Any] = {
        "name": name,
        "in": location,
        "description": description,
        "schema": {"type": kind, "uniqueItems": True},
    }
    if location == "path":
        param["required"] = True
    return param


_LIST_PARAMS = [
    _param(
        "allowWatchBookmarks",
        "boolean",
        'allowWatchBookmarks requests watch events with type "BOOKMARK".',
    ),
    _param(
        "continue",
        "string",
        "The continue option should be set when retrieving more results from the server.",
    ),
    _param(
        "fieldSelector",
        "string",
        "A selector to restrict the list of returned objects by their fields.",
    ),
    _param(
        "labelSelector",
        "string",
        "A selector to restrict the list of returned objects by their labels.",
    ),
    _param(
        "limit",
        "integer",
        "limit is a maximum number of responses to return for a list call.",
    ),
    _param(
        "resourceVersion",
        "string",
        "resourceVersion sets a constraint on what resource versions a request may be served from.",
    ),
    _param(
        "resourceVersionMatch",
        "string",
        "resourceVersionMatch determines how resourceVersion is applied to list calls.",
    ),
    _param(
        "sendInitialEvents",
        "boolean",
        "`sendInitialEvents=true` may be set together with `watch=true`.",
    ),
    _param("timeoutSeconds", "integer", "Timeout for the list/watch call."),
    _param(
        "watch",
        "boolean",
        "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.",
    ),
]
_WRITE_PARAMS = [
    _param(
        "dryRun",
        "string",
        "When present, indicates that modifications should not be persisted.",
    ),
    _param(
        "fieldManager",
        "string",
        "fieldManager is a name associated with the actor or entity that is making these changes.",
    ),
    _param(
        "fieldValidation",
        "string",
        "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields.",
    ),
]
_DELETE_PARAMS = [
    _param(
        "dryRun",
        "string",
        "When present, indicates that modifications should not be persisted.",
    ),
    _param(
        "gracePeriodSeconds",
        "integer",
        "The duration in seconds before the object should be deleted.",
    ),
    _param(
        "propagationPolicy",
        "string",
        "Whether and how garbage collection will be performed.",
    ),
]
_PRETTY = _param("pretty", "string", "If 'true', then the output is pretty printed.")
_PATCH_TYPES = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
)


def _content(schema: str) -> dict[str, Any]:
    return {
        "application/json": {"schema": _ref(schema)},
        "application/yaml": {"schema": _ref(schema)},
    }


def _operation(
    action: str,
    op_id: str,
    gvk: dict[str, str],
    response: str | None,
    params: Iterable[dict[str, Any]],
    body: str | None = None,
    patch: bool = False,
    description: str = "",
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": op_id,
        "description": description,
        "parameters": [_PRETTY, *params],
        "responses": {
            "200": {
                "description": "OK",
                **({"content": _content(response)} if response else {}),
            },
            "401": {"description": "Unauthorized"},
        },
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
    }
    if body is not None:
        operation["requestBody"] = {
            "content": {"*/*": {"schema": _ref(body)}},
            "required": True,
        }
    if patch:
        operation["requestBody"] = {
            "content": {t: {"schema": _ref(f"{META}.Patch")} for t in _PATCH_TYPES},
            "required": True,
        }
        operation["parameters"].append(
            _param("force", "boolean", 'Force is going to "force" Apply requests.')
        )
    return operation


def _paths(
    group: str,
    version: str,
    names: dict[str, Any],
    namespaced: bool,
    kind_id: str,
    list_id: str,
    subresources: dict[str, Any],
) -> dict[str, Any]:
    kind, plural = names["kind"], names["plural"]
    gvk = {"group": group, "version": version, "kind": kind}
    op = f"{kind}{version.capitalize()}"
    prefix = f"/apis/{group}/{version}"
    scope = "/namespaces/{namespace}" if namespaced else ""
    shared = (
        [
            _param(
                "namespace",
                "string",
                "object name and auth scope, such as for teams and projects",
                "path",
            )
        ]
        if namespaced
        else []
    )
    name_param = [_param("name", "string", f"name of the {kind}", "path")]
    status = f"{META}.Status"
    collection = {
        "parameters": shared,
        "get": _operation(
            "list",
            f"list{op}",
            gvk,
            list_id,
            _LIST_PARAMS,
            description=f"list objects of kind {kind}",
        ),
        "post": _operation(
            "post",
            f"create{op}",
            gvk,
            kind_id,
            _WRITE_PARAMS,
            body=kind_id,
            description=f"create a {kind}",
        ),
        "delete": _operation(
            "deletecollection",
            f"deletecollection{op}",
            gvk,
            status,
            [*_DELETE_PARAMS, *_LIST_PARAMS[:5]],
            description=f"delete collection of {kind}",
        ),
    }
    item = {
        "parameters": [*name_param, *shared],
        "get": _operation(
            "get",
            f"read{op}",
            gvk,
            kind_id,
            [],
            description=f"read the specified {kind}",
        ),
        "put": _operation(
            "put",
            f"replace{op}",
            gvk,
            kind_id,
            _WRITE_PARAMS,
            body=kind_id,
            description=f"replace the specified {kind}",
        ),
        "patch": _operation(
            "patch",
            f"patch{op}",
            gvk,
            kind_id,
            _WRITE_PARAMS,
            patch=True,
            description=f"partially update the specified {kind}",
        ),
        "delete": _operation(
            "delete",
            f"delete{op}",
            gvk,
            status,
            _DELETE_PARAMS,
            description=f"delete a {kind}",
        ),
    }
    paths = {
        f"{prefix}{scope}/{plural}": collection,
        f"{prefix}{scope}/{plural}/{{name}}": item,
    }
    if namespaced:
        paths[f"{prefix}/{plural}"] = {
            "get": _operation(
                "list",
                f"list{op}ForAllNamespaces",
                gvk,
                list_id,
                _LIST_PARAMS,
                description=f"list objects of kind {kind}",
            )
        }
    for sub, target in (("status", kind_id), ("scale", SCALE)):
        if sub not in subresources:
            continue
        what = f"{sub} of the specified {kind}"
        sub_gvk = (
            gvk
            if sub == "status"
            else {"group": "autoscaling", "version": "v1", "kind": "Scale"}
        )
        paths[f"{prefix}{scope}/{plural}/{{name}}/{sub}"] = {
            "parameters": [*name_param, *shared],
            "get": _operation(
                "get",
                f"read{op}{sub.capitalize()}",
                sub_gvk,
                target,
                [],
                description=f"read {what}",
            ),
            "put": _operation(
                "put",
                f"replace{op}{sub.capitalize()}",
                sub_gvk,
                target,
                _WRITE_PARAMS,
                body=target,
                description=f"replace {what}",
            ),
            "patch": _operation(
                "patch",
                f"patch{op}{sub.capitalize()}",
                sub_gvk,
                target,
                _WRITE_PARAMS,
                patch=True,
                description=f"partially update {what}",
            ),
        }
    return paths


# --------------------------------------------------------------------------- documents


def crd_documents(
    crd: dict[str, Any], known: dict[str, dict[str, Any]]
) -> list[tuple[str, dict[str, Any]]]:
    """(version, OpenAPI document) for every served version of a CRD.

    ``known`` holds the schemas of the other inputs: the meta types are copied
    from it, or become external references when it lacks them.
    """
    if crd.get("apiVersion") != CRD_API_VERSION:
        raise CRDError(
            "/apiVersion",
            f"only {CRD_API_VERSION} CustomResourceDefinitions are supported, not {crd.get('apiVersion')!r}",
        )
    spec = _require(crd.get("spec"), dict, ["spec"], "spec")
    group = _require(spec.get("group"), str, ["spec", "group"], "spec.group")
    names = _require(spec.get("names"), dict, ["spec", "names"], "spec.names")
    for key in ("kind", "plural"):
        _require(names.get(key), str, ["spec", "names", key], f"spec.names.{key}")
    scope = spec.get("scope")
    if scope not in ("Namespaced", "Cluster"):
        raise CRDError(
            "/spec/scope", f"scope must be Namespaced or Cluster, not {scope!r}"
        )
    versions = _require(
        spec.get("versions"), list, ["spec", "versions"], "spec.versions"
    )
    documents = []
    for index, version in enumerate(versions):
        where: list[object] = ["spec", "versions", index]
        _require(version, dict, where, "a version")
        if not version.get("served", False):
            continue
        name = _require(version.get("name"), str, [*where, "name"], "the version name")
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        schema_where = [*where, "schema", "openAPIV3Schema"]
        if schema is None:
            raise CRDError(
                json_pointer(schema_where),
                "a served version needs a structural schema (openAPIV3Schema)",
            )
        check_structural(schema, schema_where)
        kind = names["kind"]
        list_kind = names.get("listKind") or f"{kind}List"
        kind_id = schema_id(group, name, kind)
        list_id = schema_id(group, name, list_kind)
        schemas = {
            kind_id: _kind_schema(group, name, kind, schema),
            list_id: _list_schema(group, name, kind, list_kind, kind_id),
        }
        for meta_id, external in META_SCHEMAS.items():
            if meta_id in known:
                schemas.update(closure([meta_id], known))
            else:
                schemas[meta_id] = (
                    {"type": "object", EXTERNAL: external}
                    if external
                    else {"type": "object"}
                )
        paths = _paths(
            group,
            name,
            names,
            scope == "Namespaced",
            kind_id,
            list_id,
            version.get("subresources") or {},
        )
        document = {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes CRD Swagger", "version": "v0.1.0"},
            "paths": paths,
            "components": {"schemas": dict(sorted(schemas.items()))},
        }
        documents.append((name, document))
    if not documents:
        raise CRDError("/spec/versions", "the CRD serves no version")
    return documents

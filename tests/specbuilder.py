"""Small OpenAPI v3 documents built in tests (hostile specs, invalid specs, CRD-like groups)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

META = "io.k8s.apimachinery.pkg.apis.meta.v1"


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def object_meta() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "ObjectMeta is metadata that all persisted resources must have.",
        "properties": {
            "name": {"type": "string"},
            "namespace": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "resourceVersion": {"type": "string"},
            "creationTimestamp": {"allOf": [ref(f"{META}.Time")]},
        },
    }


def base_schemas() -> dict[str, Any]:
    return {
        f"{META}.ObjectMeta": object_meta(),
        f"{META}.ListMeta": {
            "type": "object",
            "properties": {
                "continue": {"type": "string"},
                "resourceVersion": {"type": "string"},
            },
        },
        f"{META}.Time": {"type": "string", "format": "date-time"},
    }


def document(
    schemas: dict[str, Any],
    paths: dict[str, Any] | None = None,
    title: str = "Kubernetes",
) -> dict[str, Any]:
    return {
        "openapi": "3.0.0",
        "info": {"title": title, "version": "unversioned"},
        "paths": paths or {},
        "components": {"schemas": copy.deepcopy(schemas)},
    }


def kind_schema(
    group: str,
    version: str,
    kind: str,
    properties: dict[str, Any],
    description: str = "",
) -> dict[str, Any]:
    props = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"allOf": [ref(f"{META}.ObjectMeta")], "default": {}},
        **properties,
    }
    return {
        "type": "object",
        "description": description or f"{kind} is a test kind.",
        "properties": props,
        "x-kubernetes-group-version-kind": [
            {"group": group, "version": version, "kind": kind}
        ],
    }


def list_schema(group: str, version: str, kind: str, item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"allOf": [ref(f"{META}.ListMeta")], "default": {}},
            "items": {"type": "array", "items": ref(item)},
        },
        "required": ["items"],
        "x-kubernetes-group-version-kind": [
            {"group": group, "version": version, "kind": f"{kind}List"}
        ],
    }


def resource_paths(
    group: str,
    version: str,
    plural: str,
    kind: str,
    schema: str,
    namespaced: bool = True,
) -> dict[str, Any]:
    """get/list/create/update/patch/delete paths as the apiserver publishes them."""
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    scope = "/namespaces/{namespace}" if namespaced else ""
    gvk = {"group": group, "version": version, "kind": kind}

    def op(
        action: str, body: bool = False, response: str | None = schema
    ) -> dict[str, Any]:
        result: dict[str, Any] = {
            "operationId": f"{action}{kind}",
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
            "responses": {"200": {"description": "OK"}},
        }
        if response:
            result["responses"]["200"]["content"] = {
                "application/json": {"schema": ref(response)}
            }
        if body:
            result["requestBody"] = {
                "content": {"*/*": {"schema": ref(schema)}},
                "required": True,
            }
        return result

    name_param = {
        "name": "name",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    ns_param = {
        "name": "namespace",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
    }
    shared = [ns_param] if namespaced else []
    list_op = op("list", response=f"{schema}List")
    list_op["parameters"] = [
        {"name": "watch", "in": "query", "schema": {"type": "boolean"}},
        {"name": "continue", "in": "query", "schema": {"type": "string"}},
        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
    ]
    patch = op("patch")
    patch["requestBody"] = {
        "content": {
            t: {"schema": {"type": "object"}}
            for t in (
                "application/json-patch+json",
                "application/merge-patch+json",
                "application/apply-patch+yaml",
            )
        },
        "required": True,
    }
    return {
        f"{prefix}{scope}/{plural}": {
            "parameters": shared,
            "get": list_op,
            "post": op("post", body=True),
        },
        f"{prefix}{scope}/{plural}/{{name}}": {
            "parameters": [name_param, *shared],
            "get": op("get"),
            "put": op("put", body=True),
            "patch": patch,
            "delete": op("delete", response=None),
        },
    }


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False), encoding="utf-8")
    return path

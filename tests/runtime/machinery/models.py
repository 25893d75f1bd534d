"""The test schema of the machinery tests: apimachinery's strategicpatch MergeItem
type, a Widget with every list and map type of server-side apply, and helpers."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from generator.runtime._model import D, F, L, Lst, Map, Model, Obj, Opt
from generator.runtime.machinery.fieldpath import FieldPath, decode_fields_v1

T0 = "2024-05-01T10:00:00Z"
T1 = "2024-05-01T11:00:00Z"
T2 = "2024-05-01T12:00:00Z"


# --------------------------------------------------------------------------- test schema


class MergeItem(Model):
    """apimachinery's strategicpatch test type, field for field."""

    __slots__ = ()
    name: Opt[str] = F("name", default=None)
    value: Opt[str] = F("value", default=None)
    other: Opt[str] = F("other", default=None)
    merging_list: Lst[MergeItem] = F(
        "mergingList",
        L("MergeItem"),
        default=None,
        patch_strategy="merge",
        patch_merge_key="name",
    )
    non_merging_list: Lst[MergeItem] = F("nonMergingList", L("MergeItem"), default=None)
    merging_int_list: Opt[list[int]] = F(
        "mergingIntList", default=None, patch_strategy="merge"
    )
    non_merging_int_list: Opt[list[int]] = F("nonMergingIntList", default=None)
    simple_map: Opt[dict[str, str]] = F("simpleMap", default=None)
    replacing_item: Opt[dict[str, Any]] = F(
        "replacingItem", default=None, patch_strategy="replace"
    )
    retain_keys_map: Obj[RetainKeysItem] = F(
        "retainKeysMap", "RetainKeysItem", default=None, patch_strategy="retainKeys"
    )
    retain_keys_merging_list: Lst[MergeItem] = F(
        "retainKeysMergingList",
        L("MergeItem"),
        default=None,
        patch_strategy="merge,retainKeys",
        patch_merge_key="name",
    )
    replace_map: Obj[MergeItem] = F(
        "replaceMap", "MergeItem", default=None, patch_strategy="replace"
    )
    items_by_name: Map[MergeItem] = F("itemsByName", D("MergeItem"), default=None)


class RetainKeysItem(Model):
    __slots__ = ()
    name: Opt[str] = F("name", default=None)
    value: Opt[str] = F("value", default=None)
    other: Opt[str] = F("other", default=None)
    simple_map: Opt[dict[str, str]] = F("simpleMap", default=None)


class Port(Model):
    __slots__ = ()
    container_port: Opt[int] = F("containerPort", default=None)
    protocol: Opt[str] = F("protocol", default=None)
    name: Opt[str] = F("name", default=None)


class Selector(Model):
    """A struct with type-level ``x-kubernetes-map-type: atomic`` (LabelSelector)."""

    __slots__ = ()
    _map_type_: ClassVar[str] = "atomic"
    match_labels: Opt[dict[str, str]] = F("matchLabels", default=None)


class Container(Model):
    __slots__ = ()
    name: Opt[str] = F("name", default=None)
    image: Opt[str] = F("image", default=None)
    args: Opt[list[str]] = F("args", default=None, list_type="atomic")
    ports: Lst[Port] = F(
        "ports",
        L("Port"),
        default=None,
        list_type="map",
        map_keys=("containerPort", "protocol"),
        patch_strategy="merge",
        patch_merge_key="containerPort",
    )


class Spec(Model):
    __slots__ = ()
    replicas: Opt[int] = F("replicas", default=None)
    paused: Opt[bool] = F("paused", default=None)
    selector: Obj[Selector] = F("selector", "Selector", default=None)
    containers: Lst[Container] = F(
        "containers",
        L("Container"),
        default=None,
        list_type="map",
        map_keys=("name",),
        patch_strategy="merge",
        patch_merge_key="name",
    )
    hosts: Opt[list[str]] = F("hosts", default=None, list_type="set")
    tags: Opt[list[str]] = F("tags", default=None)
    node_selector: Opt[dict[str, str]] = F(
        "nodeSelector", default=None, map_type="atomic"
    )
    config: Opt[dict[str, Any]] = F("config", default=None)


class Meta(Model):
    __slots__ = ()
    name: Opt[str] = F("name", default=None)
    namespace: Opt[str] = F("namespace", default=None)
    uid: Opt[str] = F("uid", default=None)
    labels: Opt[dict[str, str]] = F("labels", default=None)
    annotations: Opt[dict[str, str]] = F("annotations", default=None)
    finalizers: Opt[list[str]] = F(
        "finalizers", default=None, list_type="set", patch_strategy="merge"
    )
    managed_fields: Opt[list[dict[str, Any]]] = F(
        "managedFields", default=None, list_type="atomic"
    )


class Widget(Model, api_version="example.com/v1", kind="Widget"):
    __slots__ = ()
    metadata: Obj[Meta] = F("metadata", "Meta", default=None)
    spec: Obj[Spec] = F("spec", "Spec", default=None)
    data: Opt[dict[str, str]] = F("data", default=None)


def widget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": spec,
    }


def entries(obj: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = obj["metadata"].get("managedFields", [])
    return found


def owned(
    obj: dict[str, Any], manager: str, operation: str = "Apply"
) -> set[FieldPath]:
    for entry in entries(obj):
        if entry["manager"] == manager and entry["operation"] == operation:
            return decode_fields_v1(entry["fieldsV1"])
    return set()


REPLICAS: FieldPath = ("f:spec", "f:replicas")


def live_pod() -> dict[str, Any]:
    """A Pod with two containers, env, tolerations, a volume and finalizers."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", "finalizers": ["example.com/a", "example.com/b"]},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "app:1",
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                },
                {"name": "sidecar", "image": "proxy:1"},
            ],
            "tolerations": [{"key": "gpu", "operator": "Exists"}],
            "volumes": [{"name": "data", "emptyDir": {}}],
        },
    }


def kube(generated: Path, module: str) -> ModuleType:
    """A machinery module of the generated package, which shares its _model copy."""
    return importlib.import_module(f"kubeclient.machinery.{module}")

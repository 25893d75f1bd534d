"""Field sets of typed values, as structured-merge-diff computes them."""

from __future__ import annotations

from pathlib import Path

from generator.runtime.machinery.fieldpath import (
    FieldPath,
    encode_fields_v1,
)
from generator.runtime.machinery.typed import field_set

from .models import (
    REPLICAS,
    Widget,
    kube,
    live_pod,
    widget,
)

# --------------------------------------------------------------------------- field sets


def test_field_set_follows_list_and_map_types() -> None:
    obj = widget(
        replicas=1,
        selector={"matchLabels": {"a": "b"}},
        containers=[
            {"name": "c", "image": "i", "args": ["x"], "ports": [{"containerPort": 80}]}
        ],
        hosts=["h1", "h2"],
        tags=["t"],
        nodeSelector={"disk": "ssd"},
        config={"deep": {"x": [1]}},
    )
    obj["metadata"]["labels"] = {"app": "w"}
    container: FieldPath = ("f:spec", "f:containers", 'k:{"name":"c"}')
    port: FieldPath = (*container, "f:ports", 'k:{"containerPort":80}')
    assert field_set(obj, Widget) == {
        ("f:apiVersion",),
        ("f:kind",),
        ("f:metadata", "f:name"),
        ("f:metadata", "f:labels", "f:app"),  # map entries, not the map
        REPLICAS,
        ("f:spec", "f:selector"),  # type-level atomic struct
        container,
        (*container, "f:name"),
        (*container, "f:image"),
        (*container, "f:args"),  # atomic list: one field
        port,
        (*port, "f:containerPort"),
        ("f:spec", "f:hosts", 'v:"h1"'),  # set: one field per value
        ("f:spec", "f:hosts", 'v:"h2"'),
        ("f:spec", "f:tags"),  # no list type, no strategy: atomic
        ("f:spec", "f:nodeSelector"),  # field-level atomic map
        ("f:spec", "f:config", "f:deep"),  # free-form JSON: granular maps,
        ("f:spec", "f:config", "f:deep", "f:x"),  # atomic lists
    }


def test_field_set_of_real_models(generated: Path) -> None:
    from kubeclient.models.core_v1 import ConfigMap, Pod

    kp = kube(generated, "typed")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    cm["data"] = {"k": "v"}
    fields = encode_fields_v1(kp.field_set(cm, ConfigMap) - _stripped())
    assert fields == {"f:data": {"f:k": {}}}
    pod = live_pod()
    pod["spec"]["containers"][1]["ports"] = [{"containerPort": 80, "protocol": "TCP"}]
    sidecar = encode_fields_v1(kp.field_set(pod, Pod))["f:spec"]["f:containers"][
        'k:{"name":"sidecar"}'
    ]
    assert sidecar == {
        ".": {},
        "f:image": {},
        "f:name": {},
        "f:ports": {
            'k:{"containerPort":80,"protocol":"TCP"}': {
                ".": {},
                "f:containerPort": {},
                "f:protocol": {},
            }
        },
    }
    assert kp.field_set(pod, Pod) >= {
        ("f:metadata", "f:finalizers", 'v:"example.com/a"'),
        ("f:spec", "f:tolerations"),
    }


def _stripped() -> set[FieldPath]:
    return {("f:apiVersion",), ("f:kind",), ("f:metadata", "f:name")}

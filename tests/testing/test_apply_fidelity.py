"""Server-side apply as kube-apiserver does it: defaults filled in after the merge
belong to nobody, so re-applying an unchanged configuration changes nothing;
managedFields of Update and Apply operations; dry-run applies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import CONFIGMAPS, DEPLOYMENTS, Client, configmap, deployment

NAMESPACES = "/api/v1/namespaces"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
WIDGETS = "/apis/example.com/v1/namespaces/default/widgets"

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "kind": "Widget"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "size": {"type": "integer", "default": 1},
                                    "color": {"type": "string"},
                                },
                            }
                        },
                    }
                },
            }
        ],
    },
}


def _apply(client: Client, path: str, config: dict[str, Any], **query: str) -> Any:
    params = "&".join(f"{k}={v}" for k, v in {"fieldManager": "ci", **query}.items())
    response = client.patch(f"{path}?{params}", json.dumps(config).encode(), "apply")
    assert response.status_code in (200, 201), response.text
    return response.json()


def _owned(obj: dict[str, Any], manager: str = "ci") -> dict[str, Any]:
    (entry,) = [e for e in obj["metadata"]["managedFields"] if e["manager"] == manager]
    assert entry["operation"] == "Apply"
    fields: dict[str, Any] = entry["fieldsV1"]
    return fields


@pytest.mark.parametrize(
    ("collection", "config", "defaulted"),
    [
        (DEPLOYMENTS, deployment("web"), ("spec", "strategy", "rollingUpdate")),
        (
            NAMESPACES,
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "team", "labels": {"team": "a"}},
            },
            ("spec", "finalizers"),
        ),
        (CRDS, WIDGET_CRD, ("spec", "conversion", "strategy")),
    ],
    ids=["deployment", "namespace", "crd"],
)
def test_reapplying_keeps_server_defaults(
    client: Client, collection: str, config: dict[str, Any], defaulted: tuple[str, ...]
) -> None:
    path = f"{collection}/{config['metadata']['name']}"
    created = _apply(client, path, config)
    value: Any = created
    for key in defaulted:
        value = value[key]
    # the applier owns what it sent, not what the server filled in
    owned: Any = _owned(created)
    assert "f:" + defaulted[-1] not in json.dumps(owned)
    live = client.get(path).json()
    again = _apply(client, path, config)
    again_value: Any = again
    for key in defaulted:
        again_value = again_value[key]
    assert again_value == value
    assert again["metadata"]["resourceVersion"] == live["metadata"]["resourceVersion"]
    assert again["metadata"].get("generation") == live["metadata"].get("generation")
    assert again == client.get(path).json()


def test_reapplying_a_custom_resource_keeps_schema_defaults(client: Client) -> None:
    _apply(client, CRDS + "/widgets.example.com", WIDGET_CRD)
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"color": "red"},
    }
    created = _apply(client, WIDGETS + "/w", widget)
    assert created["spec"] == {"color": "red", "size": 1}
    # spec is a field of the structural schema, not a map entry: no ".": {}
    assert _owned(created) == {"f:spec": {"f:color": {}}}
    again = _apply(client, WIDGETS + "/w", widget)
    assert again == created


def test_create_records_defaults_as_the_creator_update(client: Client) -> None:
    """A POST is an Update operation: its entry owns everything the object holds
    after defaulting, as kube-apiserver records it."""
    response = client.post(DEPLOYMENTS + "?fieldManager=maker", deployment("web"))
    (entry,) = response.json()["metadata"]["managedFields"]
    assert (entry["manager"], entry["operation"], entry["apiVersion"]) == (
        "maker",
        "Update",
        "apps/v1",
    )
    # strategy is a Go value struct (always there), rollingUpdate a pointer: it
    # appeared, so the entry owns it itself (".")
    strategy = entry["fieldsV1"]["f:spec"]["f:strategy"]
    assert strategy == {
        "f:rollingUpdate": {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}},
        "f:type": {},
    }


def test_dry_run_apply_changes_nothing(client: Client) -> None:
    dry = _apply(client, CONFIGMAPS + "/c", configmap("c", a="1"), dryRun="All")
    assert dry["data"] == {"a": "1"}
    assert _owned(dry) == {"f:data": {"f:a": {}}}
    assert client.get(CONFIGMAPS + "/c").status_code == 404
    created = _apply(client, CONFIGMAPS + "/c", configmap("c", a="1"))
    changed = _apply(client, CONFIGMAPS + "/c", configmap("c", a="2"), dryRun="All")
    assert changed["data"] == {"a": "2"}
    assert client.get(CONFIGMAPS + "/c").json() == created


def test_crd_applied_becomes_established(client: Client) -> None:
    _apply(client, CRDS + "/widgets.example.com", WIDGET_CRD)
    crd = client.get(CRDS + "/widgets.example.com").json()
    conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conditions["NamesAccepted"] == "True"
    assert conditions["Established"] == "True"


def test_an_apply_owning_nothing_leaves_no_entry(client: Client) -> None:
    """A bare Namespace: the applier owns no field, so no entry (and no null) is
    stored, and applying it again writes nothing."""
    bare = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bare"}}
    created = _apply(client, NAMESPACES + "/bare", bare)
    again = _apply(client, NAMESPACES + "/bare", bare)
    assert "managedFields" not in again["metadata"]
    assert (
        again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    )


LISTENERS_CRD: dict[str, Any] = {
    **WIDGET_CRD,
    "spec": {
        **WIDGET_CRD["spec"],
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "listeners": {
                                        "type": "array",
                                        "x-kubernetes-list-type": "map",
                                        "x-kubernetes-list-map-keys": ["name"],
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "name": {"type": "string"},
                                                "port": {"type": "integer"},
                                            },
                                        },
                                    },
                                    "selector": {
                                        "type": "object",
                                        "x-kubernetes-map-type": "atomic",
                                        "additionalProperties": {"type": "string"},
                                    },
                                    "tags": {
                                        "type": "array",
                                        "items": {"type": "string"},
                                    },
                                },
                            }
                        },
                    }
                },
            }
        ],
    },
}


def test_custom_resources_merge_by_their_structural_schema(client: Client) -> None:
    """x-kubernetes-list-type: map lists merge item by item between appliers,
    atomic maps and plain lists are owned whole, metadata is ObjectMeta."""
    _apply(client, CRDS + "/widgets.example.com", LISTENERS_CRD)

    def widget(listener: str, port: int, **spec: Any) -> dict[str, Any]:
        return {
            "apiVersion": "example.com/v1",
            "kind": "Widget",
            "metadata": {"name": "w", "labels": {listener: "1"}},
            "spec": {"listeners": [{"name": listener, "port": port}], **spec},
        }

    first = _apply(
        client, WIDGETS + "/w", widget("a", 1, tags=["x"], selector={"k": "v"})
    )
    assert _owned(first) == {
        "f:metadata": {"f:labels": {"f:a": {}}},
        "f:spec": {
            "f:listeners": {'k:{"name":"a"}': {".": {}, "f:name": {}, "f:port": {}}},
            "f:selector": {},
            "f:tags": {},
        },
    }
    both = client.patch(
        WIDGETS + "/w?fieldManager=other",
        json.dumps(widget("b", 2)).encode(),
        "apply",
    ).json()
    assert both["spec"]["listeners"] == [
        {"name": "a", "port": 1},
        {"name": "b", "port": 2},
    ]
    assert both["metadata"]["labels"] == {"a": "1", "b": "1"}


def test_list_map_keys_take_their_defaults(client: Client) -> None:
    """A port applied without protocol is keyed with the default "TCP", so the
    manager that spells it out applies the same item, not a second one."""
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "name": "http"}]},
    }
    first = _apply(client, "/api/v1/namespaces/default/services/web", service)
    ports = _owned(first)["f:spec"]["f:ports"]
    assert list(ports) == ['k:{"port":80,"protocol":"TCP"}']
    explicit = json.loads(json.dumps(service))
    explicit["spec"]["ports"][0]["protocol"] = "TCP"
    explicit["spec"]["ports"][0]["name"] = "http"
    both = client.patch(
        "/api/v1/namespaces/default/services/web?fieldManager=other",
        json.dumps(explicit).encode(),
        "apply",
    ).json()
    assert [p["port"] for p in both["spec"]["ports"]] == [80]

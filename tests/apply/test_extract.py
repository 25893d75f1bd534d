"""kubeclient.apply.extract: the fields a manager owns, as client-go's
Extract<Kind>; applying them back changes nothing on the server."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

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
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                },
            }
        ],
    },
}


def _deployment() -> dict[str, Any]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.27",
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "args": ["--a", "--b"],
                        }
                    ]
                },
            },
        },
    }


def _service() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [
                {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080},
                {"name": "dns", "port": 53, "protocol": "UDP"},
            ],
        },
    }


def _pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "annotations": {"team": "a"}},
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": "busybox:1.36",
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                },
                {"name": "side", "image": "busybox:1.36"},
            ],
            "volumes": [{"name": "data", "emptyDir": {}}],
            "tolerations": [{"key": "k", "operator": "Exists"}],
        },
    }


def _configmap() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "labels": {"a": "1"}},
        "data": {"mode": "fast", "level": "3"},
    }


def _typed_client(cs: Any, kind: str) -> Any:
    return {
        "Deployment": cs.apps_v1.deployments("default"),
        "Service": cs.core_v1.services("default"),
        "Pod": cs.core_v1.pods("default"),
        "ConfigMap": cs.core_v1.config_maps("default"),
    }[kind]


def _other_managers_change(client: Any, cls: Any, config: dict[str, Any]) -> None:
    """Other managers add fields of their own next to the applier's: one by an
    Update (a patch), one by an Apply."""
    name = config["metadata"]["name"]
    client.patch(name, {"metadata": {"annotations": {"u": "1"}}}, field_manager="upd")
    other = {
        "apiVersion": config["apiVersion"],
        "kind": config["kind"],
        "metadata": {"name": name, "labels": {"owner": "other"}},
    }
    client.apply(cls.from_dict(other), field_manager="other")


@pytest.mark.parametrize(
    "config",
    [_deployment(), _service(), _pod(), _configmap()],
    ids=["deployment", "service", "pod", "configmap"],
)
def test_extract_gives_back_what_was_applied(cs: Any, config: dict[str, Any]) -> None:
    from kubeclient.apply import extract
    from kubeclient.models import model_class

    cls = model_class(config["apiVersion"], config["kind"])
    assert cls is not None
    client = _typed_client(cs, config["kind"])
    client.apply(cls.from_dict(config), field_manager="my-app")
    _other_managers_change(client, cls, config)
    live = client.get(config["metadata"]["name"])

    mine = extract(live, field_manager="my-app")
    assert type(mine) is cls
    expected = copy.deepcopy(config)
    expected["metadata"]["namespace"] = "default"
    if config["kind"] == "Pod":
        # tolerations is an atomic list: the applier owns all of it, including the
        # not-ready/unreachable tolerations the server's admission appended
        tolerations = live.to_dict()["spec"]["tolerations"]
        assert tolerations[: len(config["spec"]["tolerations"])] == (
            config["spec"]["tolerations"]
        )
        expected["spec"]["tolerations"] = tolerations
    assert mine.to_dict() == expected
    # nobody else's fields, no server bookkeeping
    theirs = extract(live, field_manager="other").to_dict()
    assert theirs["metadata"] == {
        "name": config["metadata"]["name"],
        "namespace": "default",
        "labels": {"owner": "other"},
    }
    assert set(theirs) == {"apiVersion", "kind", "metadata"}
    # only Apply entries are extracted, as client-go does
    assert set(extract(live, field_manager="upd").to_dict()) == set(theirs)

    again = client.apply(mine, field_manager="my-app")
    assert again.metadata.resource_version == live.metadata.resource_version
    assert again.to_dict() == live.to_dict()


def test_extract_then_change_one_field(cs: Any) -> None:
    from kubeclient.apply import extract
    from kubeclient.models.apps_v1 import Deployment

    deployments = cs.apps_v1.deployments("default")
    deployments.apply(Deployment.from_dict(_deployment()), field_manager="my-app")
    deployments.patch("web", {"metadata": {"labels": {"owner": "other"}}})
    mine = extract(deployments.get("web"), field_manager="my-app")
    mine.spec.replicas = 5
    updated = deployments.apply(mine, field_manager="my-app")
    assert updated.spec.replicas == 5
    assert updated.metadata.labels == {"app": "web", "owner": "other"}
    assert updated.spec.strategy.rolling_update is not None  # defaults stay


def test_extract_of_a_custom_resource(cs: Any, server: Any) -> None:
    from kubeclient.apply import extract
    from kubeclient.dynamic import DynamicClient
    from kubeclient.unstructured import Unstructured

    dyn = DynamicClient(rest_client=cs.rest_client)
    crds = dyn.resource(("apiextensions.k8s.io", "v1", "customresourcedefinitions"))
    crds.apply(WIDGET_CRD, field_manager="setup")
    widgets = dyn.resource(("example.com", "v1", "widgets")).namespace("default")
    config = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "default", "labels": {"a": "1"}},
        "spec": {"size": 3, "ports": [{"port": 1}], "tags": {"x": "y"}},
    }
    widgets.apply(config, field_manager="my-app")
    widgets.patch("w", {"spec": {"color": "red"}}, field_manager="other")
    live = widgets.get("w")
    mine = extract(live, field_manager="my-app")
    assert isinstance(mine, Unstructured)
    assert mine == config
    again = widgets.apply(mine, field_manager="my-app")
    assert again["metadata"]["resourceVersion"] == live["metadata"]["resourceVersion"]
    assert extract(live, field_manager="nobody") == {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "default"},
    }


def test_a_model_instance_is_an_apply_configuration(cs: Any) -> None:
    """Every field is optional: a model holds only the fields set on it, and
    applying it owns exactly those."""
    from kubeclient.models.apps_v1 import Deployment, DeploymentSpec
    from kubeclient.models.meta_v1 import ObjectMeta

    deployments = cs.apps_v1.deployments("default")
    deployments.apply(Deployment.from_dict(_deployment()), field_manager="my-app")
    scaler = Deployment(
        metadata=ObjectMeta(name="web"), spec=DeploymentSpec(replicas=4)
    )
    assert scaler.to_dict() == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 4},
    }
    scaled = deployments.apply(scaler, field_manager="scaler", force=True)
    entry = next(e for e in scaled.metadata.managed_fields if e.manager == "scaler")
    assert entry.fields_v1 == {"f:spec": {"f:replicas": {}}}
    assert scaled.spec.template.spec.containers[0].image == "nginx:1.27"


def test_apply_refuses_an_object_read_from_the_server(cs: Any, server: Any) -> None:
    from kubeclient.models.core_v1 import ConfigMap

    config_maps = cs.core_v1.config_maps("default")
    live = config_maps.apply(ConfigMap.from_dict(_configmap()), field_manager="my-app")
    live.data["mode"] = "slow"
    with pytest.raises(ValueError, match=r"kubeclient\.apply\.extract\(") as err:
        config_maps.apply(live, field_manager="my-app")
    assert "managedFields" in str(err.value)
    assert config_maps.get("settings").data["mode"] == "fast"  # nothing was sent


def test_extract_rejects_broken_managed_fields() -> None:
    from kubeclient.apply import ExtractError, extract

    broken = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "c",
            "managedFields": [
                {"manager": "m", "operation": "Apply", "fieldsV1": {"x": {}}}
            ],
        },
    }
    with pytest.raises(ExtractError, match=r"managedFields\[0\]\.fieldsV1"):
        extract(broken, field_manager="m")
    with pytest.raises(ExtractError, match="not a list"):
        extract({"metadata": {"managedFields": {}}}, field_manager="m")


def test_extract_finds_list_items_by_their_owned_keys(generated: Path) -> None:
    """A custom resource's list-map (no schema on the client) and a key the
    server completed with a default (protocol) still find their items."""
    from kubeclient.apply import extract

    gateway = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {
            "name": "g",
            "managedFields": [
                {
                    "manager": "me",
                    "operation": "Apply",
                    "apiVersion": "gateway.networking.k8s.io/v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {
                        "f:spec": {
                            "f:listeners": {
                                'k:{"name":"b"}': {".": {}, "f:name": {}, "f:port": {}},
                            },
                            "f:tags": {'v:"x"': {}},
                            "f:order": {"i:1": {}},
                        }
                    },
                }
            ],
        },
        "spec": {
            "listeners": [
                {"name": "a", "port": 1},
                {"name": "b", "port": 2, "protocol": "HTTP"},
            ],
            "tags": ["x", "y"],
            "order": ["first", "second"],
        },
    }
    assert extract(gateway, field_manager="me")["spec"] == {
        "listeners": [{"name": "b", "port": 2}],
        "tags": ["x"],
        "order": ["second"],
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "managedFields": [
                {
                    "manager": "me",
                    "operation": "Apply",
                    "apiVersion": "v1",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {
                        "f:spec": {
                            "f:containers": {
                                'k:{"name":"c"}': {
                                    ".": {},
                                    "f:name": {},
                                    "f:ports": {
                                        'k:{"containerPort":80}': {
                                            ".": {},
                                            "f:containerPort": {},
                                        }
                                    },
                                }
                            }
                        }
                    },
                }
            ],
        },
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "i",
                    "ports": [
                        {"containerPort": 81, "protocol": "TCP"},
                        {"containerPort": 80, "protocol": "TCP"},
                    ],
                }
            ]
        },
    }
    assert extract(pod, field_manager="me")["spec"] == {
        "containers": [{"name": "c", "ports": [{"containerPort": 80}]}]
    }


def test_extract_status_as_client_go_extract_status(cs: Any) -> None:
    from kubeclient.apply import extract
    from kubeclient.models.apps_v1 import Deployment

    deployments = cs.apps_v1.deployments("default")
    deployments.apply(Deployment.from_dict(_deployment()), field_manager="my-app")
    status = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "status": {"observedGeneration": 1, "replicas": 2},
    }
    deployments.apply_status(Deployment.from_dict(status), field_manager="my-ctl")
    live = deployments.get("web")
    mine = extract(live, field_manager="my-ctl", subresource="status")
    assert mine.to_dict() == {
        **status,
        "metadata": {"name": "web", "namespace": "default"},
    }
    # the main resource's entry of the same manager is another one
    assert "status" not in extract(live, field_manager="my-app").to_dict()
    assert extract(live, field_manager="my-ctl").to_dict().keys() == {
        "apiVersion",
        "kind",
        "metadata",
    }
    again = deployments.apply_status(mine, field_manager="my-ctl")
    assert again.metadata.resource_version == live.metadata.resource_version

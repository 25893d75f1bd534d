"""The test API server's metadata-only answers (``Accept: ...;as=PartialObjectMetadata``)
and its output negotiation, as kube-apiserver's (handlers/response.go, negotiation)."""

from __future__ import annotations

import importlib
import json
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from .conftest import CONFIGMAPS, PODS, Client, configmap, pod, status_of

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

POM = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
POM_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
#: client-go's metadata client, protobuf first (not served here: JSON is chosen)
CLIENT_GO_GET = (
    "application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,"
    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"
)
CLIENT_GO_LIST = CLIENT_GO_GET.replace(
    "PartialObjectMetadata", "PartialObjectMetadataList"
)
ONLY_SERVED = (
    "only the following media types are accepted: application/json, application/yaml"
)


def _seed(client: Client, *names: str) -> None:
    for name in names:
        created = client.post(CONFIGMAPS, configmap(name, key="secret-value"))
        assert created.status_code == 201, created.text


def _get(client: Client, path: str, accept: str) -> Any:
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
def test_get_answers_the_object_metadata_only(client: Client, version: str) -> None:
    _seed(client, "app")
    full = _get(client, CONFIGMAPS + "/app", "application/json")
    accept = POM.replace("v=v1", f"v={version}")
    answer = client.get(CONFIGMAPS + "/app", headers={"Accept": accept})
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {
        "kind": "PartialObjectMetadata",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": full["metadata"],
    }
    assert full["metadata"]["managedFields"]  # kept, as the real server does
    assert "secret-value" not in answer.text


def test_client_go_headers_get_json_metadata(client: Client) -> None:
    _seed(client, "app")
    got = _get(client, CONFIGMAPS + "/app", CLIENT_GO_GET)
    assert (got["kind"], got["apiVersion"]) == (
        "PartialObjectMetadata",
        "meta.k8s.io/v1",
    )
    listed = _get(client, CONFIGMAPS, CLIENT_GO_LIST)
    assert listed["kind"] == "PartialObjectMetadataList"
    assert [i["metadata"]["name"] for i in listed["items"]] == ["app"]


def test_list_keeps_list_metadata_and_pages(client: Client) -> None:
    _seed(client, "a", "b", "c")
    full = _get(client, CONFIGMAPS + "?limit=2", "application/json")
    page = _get(client, CONFIGMAPS + "?limit=2", POM_LIST)
    assert page["kind"] == "PartialObjectMetadataList"
    assert page["apiVersion"] == "meta.k8s.io/v1"
    assert page["metadata"] == full["metadata"]  # resourceVersion, continue, count
    assert page["metadata"]["continue"] and page["metadata"]["remainingItemCount"] == 1
    assert page["items"] == [
        {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": item["metadata"],
        }
        for item in full["items"]
    ]
    token = page["metadata"]["continue"]
    rest = _get(client, f"{CONFIGMAPS}?limit=2&continue={token}", POM_LIST)
    assert [i["metadata"]["name"] for i in rest["items"]] == ["c"]
    assert "continue" not in rest["metadata"]


def test_an_empty_list_has_null_items_as_the_real_server(client: Client) -> None:
    # asPartialObjectMetadataList appends to a nil slice: nothing appended is null
    empty = _get(client, "/api/v1/namespaces/nothing-here/configmaps", POM_LIST)
    assert empty["items"] is None
    assert empty["metadata"]["resourceVersion"]


def test_yaml_metadata(client: Client) -> None:
    _seed(client, "app")
    accept = POM.replace("application/json", "application/yaml")
    answer = client.get(CONFIGMAPS + "/app", headers={"Accept": accept})
    assert answer.headers["content-type"] == "application/yaml"
    got = yaml.safe_load(answer.text)
    assert got["kind"] == "PartialObjectMetadata" and "data" not in got


@pytest.mark.parametrize(
    ("path", "accept", "message"),
    [
        (
            CONFIGMAPS,
            POM,
            "you requested PartialObjectMetadata, but the requested object is a list "
            "(*core.ConfigMapList)",
        ),
        (
            CONFIGMAPS + "/app",
            POM_LIST,
            "you requested PartialObjectMetadataList, but the requested object is "
            "not a list (*core.ConfigMap)",
        ),
        # a fallback does not help: the conversion was chosen, then failed
        (
            CONFIGMAPS,
            POM + ",application/json",
            "you requested PartialObjectMetadata, but the requested object is a list "
            "(*core.ConfigMapList)",
        ),
        # conversions the server does not have: the range is skipped, none is left
        (CONFIGMAPS + "/app", POM.replace("v=v1", "v=v2"), ONLY_SERVED),
        (CONFIGMAPS + "/app", POM.replace("meta.k8s.io", "example.com"), ONLY_SERVED),
        (
            CONFIGMAPS + "/app",
            "application/json;as=Pod;g=meta.k8s.io;v=v1",
            ONLY_SERVED,
        ),
        (
            CONFIGMAPS + "/app",
            'application/json;as="PartialObjectMetadata"',
            ONLY_SERVED,
        ),
        (CONFIGMAPS + "/app", "application/vnd.kubernetes.protobuf", ONLY_SERVED),
        (CONFIGMAPS + "/app", "text/html", ONLY_SERVED),
    ],
)
def test_not_acceptable(client: Client, path: str, accept: str, message: str) -> None:
    _seed(client, "app")
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 406, response.text
    status = status_of(response)
    assert (status["reason"], status["message"]) == ("NotAcceptable", message)


@pytest.mark.parametrize(
    ("accept", "kind"),
    [
        # a conversion the server does not have falls to the next range
        (POM.replace("v=v1", "v=v2") + ",application/json", "ConfigMap"),
        # higher q first, whatever the order
        ("application/json;q=0.5," + POM, "PartialObjectMetadata"),
        (POM + ";q=0.1,application/json", "ConfigMap"),
        ("application/json;q=0," + POM + ";q=0.2", "PartialObjectMetadata"),
        # q=0 is not refused (the server does not drop it), only last
        (POM + ";q=0", "PartialObjectMetadata"),
        # an unparsable q is 0
        (POM + ";q=high,application/json;q=0.1", "ConfigMap"),
        # wildcards: */* and application/* are JSON
        ("*/*;as=PartialObjectMetadata;g=meta.k8s.io;v=v1", "PartialObjectMetadata"),
        ("application/*", "ConfigMap"),
        # goautoneg's order puts a specific type before a wildcard of higher q
        (
            "*/*;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;q=0.5",
            "ConfigMap",
        ),
        ("*", "ConfigMap"),
        ("text/html,*/*;q=0.8", "ConfigMap"),
        # v1beta1 Table forms and discovery forms do not apply to objects
        (
            "application/json;as=APIGroupDiscoveryList;g=apidiscovery.k8s.io;v=v2,"
            "application/json",
            "ConfigMap",
        ),
        # an unknown stream schema or server version skips the range
        (POM + ";stream=other,application/json", "ConfigMap"),
        (POM + ";sv=v9,application/json", "ConfigMap"),
    ],
)
def test_negotiation_order_and_fallback(client: Client, accept: str, kind: str) -> None:
    _seed(client, "app")
    assert _get(client, CONFIGMAPS + "/app", accept)["kind"] == kind


def test_tables_still_served_where_they_were(client: Client) -> None:
    _seed(client, "app")
    table = "application/json;as=Table;v=v1;g=meta.k8s.io"
    assert _get(client, CONFIGMAPS, table)["kind"] == "Table"
    # a write answers the object when only a Table is asked (as before)
    created = client.post(CONFIGMAPS, configmap("b"), headers={"Accept": table})
    assert created.status_code == 201 and created.json()["kind"] == "ConfigMap"


def test_writes_answer_metadata_and_a_status_passes(client: Client) -> None:
    created = client.post(CONFIGMAPS, configmap("app", k="v"), headers={"Accept": POM})
    assert created.status_code == 201
    assert created.json()["kind"] == "PartialObjectMetadata"
    patched = client.patch(
        CONFIGMAPS + "/app",
        {"metadata": {"labels": {"a": "b"}}},
        headers={"Accept": POM},
    )
    assert patched.json()["metadata"]["labels"] == {"a": "b"}
    assert "data" not in patched.json()
    deleted = client.delete(CONFIGMAPS + "/app", headers={"Accept": POM})
    assert deleted.status_code == 200
    assert deleted.json()["kind"] == "Status"  # doTransformObject lets it through
    client.post(PODS, pod("web"))
    # pods answer the deleted object: its metadata
    deleted_pod = client.delete(PODS + "/web", headers={"Accept": POM}).json()
    assert deleted_pod["kind"] == "PartialObjectMetadata"
    assert deleted_pod["metadata"]["name"] == "web"


def test_delete_collection_answers_a_metadata_list(client: Client) -> None:
    _seed(client, "a", "b")
    gone = client.delete(CONFIGMAPS, headers={"Accept": POM_LIST}).json()
    assert gone["kind"] == "PartialObjectMetadataList"
    assert sorted(i["metadata"]["name"] for i in gone["items"]) == ["a", "b"]


def _events(
    client: Client, query: str, accept: str, count: int
) -> list[dict[str, Any]]:
    response = client.get(
        f"{CONFIGMAPS}?watch=true&{query}", headers={"Accept": accept}, stream=True
    )
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = []
    try:
        for line in response.iter_lines():
            if line:
                events.append(json.loads(line))
            if len(events) == count:
                break
    finally:
        response.close()
    return events


def test_watch_events_carry_metadata_bookmarks_included(client: Client) -> None:
    _seed(client, "a", "b")
    events = _events(
        client,
        "sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan",
        POM,
        3,
    )
    assert [e["type"] for e in events] == ["ADDED", "ADDED", "BOOKMARK"]
    for event in events:
        assert event["object"]["kind"] == "PartialObjectMetadata"
        assert event["object"]["apiVersion"] == "meta.k8s.io/v1"
    assert "data" not in events[0]["object"]
    bookmark = events[2]["object"]["metadata"]
    assert bookmark["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert bookmark["creationTimestamp"] is None and bookmark["resourceVersion"]


def test_watch_refuses_what_it_cannot_serve(client: Client) -> None:
    response = client.get(
        CONFIGMAPS + "?watch=true", headers={"Accept": POM.replace("v=v1", "v=v3")}
    )
    assert response.status_code == 406
    assert status_of(response)["message"] == ONLY_SERVED


def test_hostile_accept_headers_never_break_the_server(client: Client) -> None:
    from kubeclient.testing.protocol.wire import ServerRequest

    _seed(client, "app")
    rng = random.Random(20261201)
    atoms = [
        "application/json", "application/yaml", "*/*", "*", "/", "application/",
        ";", ",", "=", "q=", "q=nan", "q=1e999", "q=-1", "q=0x1p3", "q=1_0",
        "as=PartialObjectMetadata", "as=PartialObjectMetadataList", "as=Table",
        "g=meta.k8s.io", "v=v1", "v=v1beta1", "stream=watch", '"', " ", "\t",
        "\x00", "é", "a" * 300,
    ]  # fmt: skip
    headers = [
        "".join(rng.choice(atoms) for _ in range(rng.randint(1, 30)))
        for _ in range(300)
    ]
    headers += [",".join([POM] * 5000), ";" * 50000, "q=" + "9" * 40000]
    auth = {"authorization": f"Bearer {client.server.token}"}
    for accept in headers:
        for path, query in (
            (CONFIGMAPS, {}),
            (CONFIGMAPS + "/app", {}),
            (CONFIGMAPS, {"watch": ["1"], "timeoutSeconds": ["1"]}),
        ):
            response = client.server.handle(
                ServerRequest("GET", path, query, {**auth, "accept": accept})
            )
            assert response.status in (200, 406), (accept, response.body)
            if response.stream is not None:
                close = getattr(response.stream, "close", None)
                if close is not None:
                    close()
            elif "yaml" in response.headers["content-type"]:
                assert isinstance(yaml.safe_load(response.body), dict)
            else:
                assert isinstance(json.loads(response.body), dict)
    assert client.get(CONFIGMAPS + "/app").json()["data"] == {"key": "secret-value"}


def test_custom_resources_name_unstructured(client: Client) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
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
    assert client.post(
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd
    ).ok
    widgets = "/apis/example.com/v1/namespaces/default/widgets"
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
    }
    assert client.post(widgets, {**widget, "size": 3}).status_code == 201
    got = _get(client, widgets + "/w", POM)
    assert got["kind"] == "PartialObjectMetadata" and "size" not in got
    refused = client.get(widgets, headers={"Accept": POM})
    assert refused.status_code == 406
    assert status_of(refused)["message"].endswith("(*unstructured.UnstructuredList)")


def test_official_python_dynamic_client_gets_metadata(
    tls_server: ApiServer, tmp_path: Path
) -> None:
    """As the official client's own e2e test (test_node_apis_partial_object_metadata):
    its DynamicClient sends the Accept header given as a header parameter."""
    kubernetes: Any = importlib.import_module("kubernetes")  # typed loosely on purpose
    dynamic: Any = importlib.import_module("kubernetes.dynamic")

    path = tls_server.write_kubeconfig(tmp_path / "kubeconfig")
    api_client = kubernetes.config.new_client_from_config(str(path))
    body = configmap("official", key="secret-value")
    body["metadata"]["namespace"] = "default"
    tls_server.seed(body)
    configmaps = dynamic.DynamicClient(api_client).resources.get(
        api_version="v1", kind="ConfigMap"
    )
    for header in ("Accept", "aCcePt"):
        accept = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"
        listed = configmaps.get(namespace="default", header_params={header: accept})
        assert (listed.kind, listed.apiVersion) == (
            "PartialObjectMetadataList",
            "meta.k8s.io/v1",
        )
        assert [i.metadata.name for i in listed.items] == ["official"]
        assert listed.items[0].kind == "PartialObjectMetadata"
    one = configmaps.get(
        name="official",
        namespace="default",
        header_params={"Accept": POM},
    )
    assert one.kind == "PartialObjectMetadata" and one.metadata.uid
    assert "data" not in one.to_dict()

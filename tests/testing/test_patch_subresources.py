"""PATCH in its four forms, server-side apply, and the subresources."""

from __future__ import annotations

import json
import threading
import time
from typing import TYPE_CHECKING

from .conftest import (
    CONFIGMAPS,
    DEPLOYMENTS,
    PODS,
    Client,
    configmap,
    deployment,
    pod,
    status_of,
)

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer


def test_json_merge_and_strategic_patches(client: Client) -> None:
    client.post(DEPLOYMENTS, deployment("web"))
    merged = client.patch(
        DEPLOYMENTS + "/web", {"metadata": {"labels": {"a": "1"}}}, "merge"
    )
    assert merged.json()["metadata"]["labels"] == {"app": "web", "a": "1"}
    ops = [{"op": "replace", "path": "/spec/replicas", "value": 3}]
    assert (
        client.patch(DEPLOYMENTS + "/web", ops, "json").json()["spec"]["replicas"] == 3
    )
    sidecar = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "side", "image": "busybox"}]}}
        }
    }
    strategic = client.patch(DEPLOYMENTS + "/web", sidecar, "strategic").json()
    containers = strategic["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["side", "web"]  # merged by name
    failing = client.patch(
        DEPLOYMENTS + "/web",
        [{"op": "test", "path": "/spec/replicas", "value": 9}],
        "json",
    )
    assert failing.status_code == 422
    not_a_list = client.patch(DEPLOYMENTS + "/web", {"op": "add"}, "json")
    assert not_a_list.status_code == 400
    missing = client.patch(DEPLOYMENTS + "/nope", {"spec": {}}, "merge")
    assert missing.status_code == 404
    assert status_of(missing)["message"] == 'deployments.apps "nope" not found'


def test_patch_with_stale_resource_version_conflicts(client: Client) -> None:
    client.post(CONFIGMAPS, configmap("c"))
    response = client.patch(
        CONFIGMAPS + "/c", {"metadata": {"resourceVersion": "1"}, "data": {"a": "b"}}
    )
    assert response.status_code == 409
    assert status_of(response)["reason"] == "Conflict"


def test_unknown_patch_type_is_415(client: Client) -> None:
    client.post(CONFIGMAPS, configmap("c"))
    response = client.request(
        "PATCH", CONFIGMAPS + "/c", {"data": {}}, content_type="text/plain"
    )
    assert response.status_code == 415
    body = status_of(response)
    assert body["reason"] == "UnsupportedMediaType"
    assert "application/strategic-merge-patch+json" in body["message"]


def test_server_side_apply(client: Client) -> None:
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: '1'\n"
    created = client.patch(
        CONFIGMAPS + "/c?fieldManager=alice", config.encode(), "apply"
    )
    assert created.status_code == 201
    entry = created.json()["metadata"]["managedFields"][0]
    assert (entry["manager"], entry["operation"]) == ("alice", "Apply")
    assert entry["fieldsV1"] == {"f:data": {"f:a": {}}}
    again = client.patch(CONFIGMAPS + "/c?fieldManager=alice", config.encode(), "apply")
    assert again.status_code == 200
    other = config.replace("'1'", "'2'").encode()
    conflict = client.patch(CONFIGMAPS + "/c?fieldManager=bob", other, "apply")
    assert conflict.status_code == 409
    body = status_of(conflict)
    assert body["reason"] == "Conflict"
    assert (
        body["message"]
        == 'Apply failed with 1 conflict: conflict with "alice": .data.a'
    )
    assert body["details"]["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "alice"',
            "field": ".data.a",
        }
    ]
    forced = client.patch(CONFIGMAPS + "/c?fieldManager=bob&force=true", other, "apply")
    assert forced.status_code == 200 and forced.json()["data"] == {"a": "2"}
    nameless = client.patch(CONFIGMAPS + "/c", config.encode(), "apply")
    assert nameless.status_code == 422
    assert "fieldManager: Required value" in status_of(nameless)["message"]


def test_strategic_merge_on_custom_resources_is_415(
    server: ApiServer, client: Client
) -> None:
    from kubeclient.resources import ResourceInfo

    verbs = ("create", "delete", "get", "list", "patch", "update", "watch")
    server.register(
        ResourceInfo(
            "example.com",
            "v1",
            "widgets",
            "Widget",
            True,
            verbs,
            list_kind="WidgetList",
        )
    )
    path = "/apis/example.com/v1/namespaces/default/widgets"
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": 1},
    }
    assert client.post(path, widget).status_code == 201
    assert client.patch(path + "/w", {"spec": {"size": 2}}, "merge").json()["spec"] == {
        "size": 2
    }
    response = client.patch(path + "/w", {"spec": {"size": 3}}, "strategic")
    assert response.status_code == 415
    assert (
        "application/strategic-merge-patch+json" not in status_of(response)["message"]
    )
    listed = client.get("/apis/example.com/v1").json()
    assert [r["name"] for r in listed["resources"]] == ["widgets"]
    assert client.delete(path + "/w").json()["kind"] == "Widget"
    server.unregister("example.com", "v1", "widgets")
    assert client.get(path).status_code == 404


# --------------------------------------------------------------------------- logs


def test_pod_logs(server: ApiServer, client: Client) -> None:
    client.post(PODS, pod("web"))
    server.set_pod_log("default", "web", "main", "one\ntwo\nthree\n")
    logs = client.get(PODS + "/web/log")
    assert logs.status_code == 200 and logs.headers["Content-Type"] == "text/plain"
    assert logs.text == "one\ntwo\nthree\n"
    assert client.get(PODS + "/web/log", params={"tailLines": 1}).text == "three\n"
    assert client.get(PODS + "/web/log", params={"limitBytes": 5}).text == "one\nt"
    stamped = client.get(PODS + "/web/log", params={"timestamps": "true"}).text
    assert stamped.splitlines()[0].endswith("Z one")
    assert (
        client.get(PODS + "/web/log", params={"sinceSeconds": 60}).text.count("\n") == 3
    )
    previous = client.get(PODS + "/web/log", params={"previous": "true"})
    assert previous.status_code == 400
    server.set_pod_log("default", "web", "main", "before crash\n", previous=True)
    assert (
        client.get(PODS + "/web/log", params={"previous": "true"}).text
        == "before crash\n"
    )
    wrong = client.get(PODS + "/web/log", params={"container": "nope"})
    assert wrong.status_code == 400
    assert status_of(wrong)["message"] == "container nope is not valid for pod web"
    assert client.get(PODS + "/ghost/log").status_code == 404


def test_log_needs_a_container_name_when_there_are_several(client: Client) -> None:
    two = pod("two")
    two["spec"]["containers"].append({"name": "side", "image": "busybox"})
    client.post(PODS, two)
    response = client.get(PODS + "/two/log")
    assert response.status_code == 400
    assert status_of(response)["message"] == (
        "a container name must be specified for pod two, choose one of: [main side]"
    )


def test_follow_streams_until_the_pod_is_deleted(
    server: ApiServer, client: Client
) -> None:
    client.post(PODS, pod("web"))
    server.set_pod_log("default", "web", "main", "start\n")
    response = client.get(
        PODS + "/web/log", params={"follow": "true"}, stream=True, timeout=10
    )
    lines = response.iter_lines(chunk_size=None)
    assert next(lines) == b"start"

    def later() -> None:
        time.sleep(0.2)
        server.append_pod_log("default", "web", "main", "more\n")
        time.sleep(0.2)
        client.delete(PODS + "/web")

    threading.Thread(target=later).start()
    assert next(lines) == b"more"
    assert list(lines) == []  # ends when the pod goes


# --------------------------------------------------------------------------- pods


def test_eviction_binding_and_status_like_subresources(client: Client) -> None:
    client.post(PODS, pod("web"))
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "web"},
        "target": {"kind": "Node", "name": "n1"},
    }
    bound = client.post(PODS + "/web/binding", binding)
    assert bound.status_code == 201
    assert bound.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "code": 201,
    }
    assert client.get(PODS + "/web").json()["spec"]["nodeName"] == "n1"
    again = client.post(PODS + "/web/binding", binding)
    assert again.status_code == 409
    assert 'pod web is already assigned to node "n1"' in status_of(again)["message"]
    client.post(PODS, pod("other"))
    via_bindings = client.post(
        "/api/v1/namespaces/default/bindings", dict(binding, metadata={"name": "other"})
    )
    assert via_bindings.status_code == 201
    eph = {
        "spec": {
            "ephemeralContainers": [{"name": "debug", "image": "busybox"}],
            "nodeName": "x",
        }
    }
    patched = client.patch(PODS + "/web/ephemeralcontainers", eph, "strategic").json()
    assert patched["spec"]["ephemeralContainers"][0]["name"] == "debug"
    assert patched["spec"]["nodeName"] == "n1"  # only ephemeral containers change
    resize = {
        "spec": {
            "containers": [
                {"name": "main", "resources": {"limits": {"cpu": "1"}}, "image": "evil"}
            ]
        }
    }
    resized = client.patch(PODS + "/web/resize", resize, "strategic").json()["spec"][
        "containers"
    ][0]
    assert (
        resized["resources"] == {"limits": {"cpu": "1"}}
        and resized["image"] == "nginx:1.25"
    )
    eviction = {
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": {"name": "web"},
    }
    evicted = client.post(PODS + "/web/eviction", eviction)
    assert evicted.status_code == 201 and evicted.json()["status"] == "Success"
    assert client.get(PODS + "/web").status_code == 404
    assert client.post(PODS + "/web/eviction", eviction).status_code == 404


def test_streaming_subresources_answer_clear_errors(client: Client) -> None:
    client.post(PODS, pod("web"))
    for sub in ("exec", "attach", "portforward"):
        response = client.post(PODS + f"/web/{sub}", None)
        assert response.status_code == 400
        assert status_of(response)["message"] == "Upgrade request required"
    proxy = client.get(PODS + "/web/proxy/metrics")
    assert proxy.status_code == 503
    assert status_of(proxy)["reason"] == "ServiceUnavailable"


def test_service_account_token_authenticates(server: ApiServer, client: Client) -> None:
    request = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {"expirationSeconds": 3600},
    }
    response = client.post(
        "/api/v1/namespaces/default/serviceaccounts/default/token", request
    )
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "TokenRequest" and body["status"][
        "expirationTimestamp"
    ].endswith("Z")
    token = body["status"]["token"]
    review = Client(server, token=token).post(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    assert (
        review.json()["status"]["userInfo"]["username"]
        == "system:serviceaccount:default:default"
    )
    short = dict(request, spec={"expirationSeconds": 60})
    assert (
        client.post(
            "/api/v1/namespaces/default/serviceaccounts/default/token", short
        ).status_code
        == 422
    )
    access = client.post(
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}},
        },
    )
    assert access.status_code == 201 and access.json()["status"]["allowed"] is True


def test_namespace_finalize_and_csr_approval(client: Client) -> None:
    client.post("/api/v1/namespaces", {"metadata": {"name": "team"}})
    ns = client.get("/api/v1/namespaces/team").json()
    ns["spec"]["finalizers"] = []
    ns["metadata"]["labels"]["ignored"] = "yes"
    finalized = client.put("/api/v1/namespaces/team/finalize", ns).json()
    assert (
        "finalizers" not in finalized["spec"]
        and "ignored" not in finalized["metadata"]["labels"]
    )
    csr = {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": "req"},
        "spec": {
            "request": "LS0t",
            "signerName": "example.com/signer",
            "usages": ["client auth"],
        },
    }
    path = "/apis/certificates.k8s.io/v1/certificatesigningrequests/req"
    client.post("/apis/certificates.k8s.io/v1/certificatesigningrequests", csr)
    current = client.get(path).json()
    current["status"] = {
        "conditions": [{"type": "Approved", "status": "True", "reason": "Test"}]
    }
    approved = client.put(path + "/approval", current).json()
    assert approved["status"]["conditions"][0]["type"] == "Approved"


def test_scale_of_replication_controllers_uses_the_map_selector(client: Client) -> None:
    rc = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "rc"},
        "spec": {
            "replicas": 2,
            "selector": {"app": "rc"},
            "template": {
                "metadata": {"labels": {"app": "rc"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
    }
    client.post("/api/v1/namespaces/default/replicationcontrollers", rc)
    scale = client.get(
        "/api/v1/namespaces/default/replicationcontrollers/rc/scale"
    ).json()
    assert scale["status"]["selector"] == "app=rc" and scale["spec"]["replicas"] == 2


def test_subresource_without_that_subresource_is_404(client: Client) -> None:
    client.post(CONFIGMAPS, configmap("c"))
    assert client.get(CONFIGMAPS + "/c/status").status_code == 404
    assert json.loads(client.get(CONFIGMAPS + "/c/status").text)["reason"] == "NotFound"

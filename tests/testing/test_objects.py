"""Object semantics over raw HTTP: every case checks the status code and the
Status body as the real API server sends them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


def test_unauthenticated_is_401_with_the_real_status(
    server: ApiServer, tls_server: ApiServer
) -> None:
    """Over TLS without credentials, or anywhere with a bad token (plain http
    serves requests without credentials: see test_http_front)."""
    for api, token in ((tls_server, ""), (tls_server, "wrong"), (server, "wrong")):
        response = Client(api, token=token).get(PODS)
        assert response.status_code == 401
        assert response.json() == {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": "Unauthorized",
            "reason": "Unauthorized",
            "code": 401,
        }
    assert Client(tls_server, token="").get("/version").status_code == 200
    assert Client(tls_server, token="").get("/healthz").text == "ok"


def test_added_tokens_and_anonymous_mode(generated: Any) -> None:
    from kubeclient.testing import ApiServer

    with ApiServer(anonymous=True) as server:
        assert Client(server, token="").get(PODS).status_code == 200
        server.add_token("t-123", "jane", ["dev"])
        review = Client(server, token="t-123").post(
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        )
        assert review.status_code == 201
        assert review.json()["status"]["userInfo"] == {
            "username": "jane",
            "groups": ["dev", "system:authenticated"],
        }
        assert Client(server, token="bad").get(PODS).status_code == 401


def test_create_sets_system_metadata(client: Client) -> None:
    response = client.post(PODS, pod("web", app="web"))
    assert response.status_code == 201
    meta = response.json()["metadata"]
    assert meta["namespace"] == "default"
    assert len(meta["uid"]) == 36
    assert meta["creationTimestamp"].endswith("Z")
    assert int(meta["resourceVersion"]) > 0
    assert meta["generation"] == 1
    [entry] = meta["managedFields"]
    assert entry["manager"] == "python-requests"  # from the User-Agent
    assert entry["operation"] == "Update"
    assert "f:labels" in entry["fieldsV1"]["f:metadata"]
    assert response.json()["status"]["phase"] == "Pending"  # status is the server's


def test_resource_versions_come_from_one_counter(client: Client) -> None:
    first = client.post(CONFIGMAPS, configmap("a")).json()
    second = client.post(PODS, pod("b")).json()
    assert int(second["metadata"]["resourceVersion"]) > int(
        first["metadata"]["resourceVersion"]
    )
    assert isinstance(first["metadata"]["resourceVersion"], str)


def test_field_manager_query_wins_over_user_agent(client: Client) -> None:
    response = client.post(CONFIGMAPS + "?fieldManager=tester", configmap("c", a="1"))
    assert response.json()["metadata"]["managedFields"][0]["manager"] == "tester"


def test_already_exists(client: Client) -> None:
    assert client.post(PODS, pod("web")).status_code == 201
    response = client.post(PODS, pod("web"))
    assert response.status_code == 409
    body = status_of(response)
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'pods "web" already exists'
    assert body["details"] == {"name": "web", "kind": "pods"}


def test_not_found_names_group_and_resource(client: Client) -> None:
    response = client.get(DEPLOYMENTS + "/nope")
    assert response.status_code == 404
    body = status_of(response)
    assert body["reason"] == "NotFound"
    assert body["message"] == 'deployments.apps "nope" not found'
    assert body["details"] == {"name": "nope", "group": "apps", "kind": "deployments"}


def test_namespace_must_exist(client: Client) -> None:
    response = client.post("/api/v1/namespaces/ghost/pods", pod("web"))
    assert response.status_code == 404
    body = status_of(response)
    assert body["message"] == 'namespaces "ghost" not found'
    assert body["details"] == {"name": "ghost", "kind": "namespaces"}


def test_generate_name(client: Client) -> None:
    body = configmap("")
    body["metadata"] = {"generateName": "cfg-"}
    names = {client.post(CONFIGMAPS, body).json()["metadata"]["name"] for _ in range(5)}
    assert len(names) == 5
    assert all(n.startswith("cfg-") and len(n) == 9 for n in names)


def test_invalid_names_are_422_with_causes(client: Client) -> None:
    response = client.post(CONFIGMAPS, configmap("Bad_Name"))
    assert response.status_code == 422
    body = status_of(response)
    assert body["reason"] == "Invalid"
    assert body["message"].startswith(
        'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": '
        "a lowercase RFC 1123 subdomain must consist of"
    )
    [cause] = body["details"]["causes"]
    assert cause["reason"] == "FieldValueInvalid"
    assert cause["field"] == "metadata.name"
    assert (
        body["details"]["kind"] == "ConfigMap" and body["details"]["name"] == "Bad_Name"
    )
    # namespaces are DNS-1123 labels: no dots
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a.b"}}
    response = client.post("/api/v1/namespaces", ns)
    assert response.status_code == 422
    assert "RFC 1123 label" in status_of(response)["message"]
    missing = client.post(CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap"})
    assert missing.status_code == 422
    [cause] = status_of(missing)["details"]["causes"]
    assert cause == {
        "reason": "FieldValueRequired",
        "message": "Required value: name or generateName is required",
        "field": "metadata.name",
    }


def test_kind_specific_validation(client: Client) -> None:
    bad = pod("web")
    bad["spec"]["containers"] = []
    response = client.post(PODS, bad)
    assert response.status_code == 422
    assert status_of(response)["details"]["causes"][0]["field"] == "spec.containers"
    dep = deployment("web")
    dep["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    response = client.post(DEPLOYMENTS, dep)
    assert response.status_code == 422
    assert (
        "`selector` does not match template `labels`" in status_of(response)["message"]
    )


def test_malformed_bodies_are_400(client: Client) -> None:
    response = client.post(CONFIGMAPS, b"{not json")
    assert response.status_code == 400
    assert status_of(response)["reason"] == "BadRequest"
    wrong_kind = configmap("x")
    wrong_kind["kind"] = "Secret"
    response = client.post(CONFIGMAPS, wrong_kind)
    assert response.status_code == 400
    assert "must be of type ConfigMap" in status_of(response)["message"]
    wrong_version = configmap("x")
    wrong_version["apiVersion"] = "apps/v1"
    response = client.post(CONFIGMAPS, wrong_version)
    assert response.status_code == 400
    assert status_of(response)["message"] == (
        "the API version in the data (apps/v1) does not match the expected API "
        "version (v1)"
    )


def test_yaml_bodies(client: Client) -> None:
    text = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: b\n"
    response = client.post(CONFIGMAPS, text, content_type="application/yaml")
    assert response.status_code == 201
    assert response.json()["data"] == {"a": "b"}
    yaml_out = client.get(
        CONFIGMAPS + "/from-yaml", headers={"Accept": "application/yaml"}
    )
    assert yaml_out.headers["Content-Type"] == "application/yaml"
    assert b"name: from-yaml" in yaml_out.content


def test_update_conflicts_and_unconditional_updates(client: Client) -> None:
    created = client.post(CONFIGMAPS, configmap("c", a="1")).json()
    stale = dict(created, data={"a": "2"})
    assert client.put(CONFIGMAPS + "/c", stale).status_code == 200
    response = client.put(CONFIGMAPS + "/c", dict(created, data={"a": "3"}))
    assert response.status_code == 409
    body = status_of(response)
    assert body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on configmaps "c": the object has been '
        "modified; please apply your changes to the latest version and try again"
    )
    assert body["details"] == {"name": "c", "kind": "configmaps"}
    unconditional = configmap("c", a="4")
    response = client.put(CONFIGMAPS + "/c", unconditional)
    assert response.status_code == 200 and response.json()["data"] == {"a": "4"}


def test_update_name_mismatch_and_missing_object(client: Client) -> None:
    client.post(CONFIGMAPS, configmap("c"))
    response = client.put(CONFIGMAPS + "/c", configmap("d"))
    assert response.status_code == 400
    assert status_of(response)["message"] == (
        "the name of the object (d) does not match the name on the URL (c)"
    )
    response = client.put(CONFIGMAPS + "/zzz", configmap("zzz"))
    assert response.status_code == 404


def test_noop_update_keeps_the_resource_version(client: Client) -> None:
    created = client.post(CONFIGMAPS, configmap("c", a="1")).json()
    again = client.put(CONFIGMAPS + "/c", created).json()
    assert (
        again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    )


def test_generation_counts_spec_changes_only(client: Client) -> None:
    created = client.post(DEPLOYMENTS, deployment("web")).json()
    assert created["metadata"]["generation"] == 1
    labelled = client.patch(DEPLOYMENTS + "/web", {"metadata": {"labels": {"x": "y"}}})
    assert labelled.json()["metadata"]["generation"] == 1
    scaled = client.patch(DEPLOYMENTS + "/web", {"spec": {"replicas": 3}})
    assert scaled.json()["metadata"]["generation"] == 2


def test_status_is_a_separate_subresource(client: Client) -> None:
    client.post(DEPLOYMENTS, deployment("web"))
    main = client.patch(DEPLOYMENTS + "/web", {"status": {"replicas": 5}})
    assert main.status_code == 200 and "replicas" not in main.json().get("status", {})
    status = client.patch(
        DEPLOYMENTS + "/web/status",
        {"status": {"replicas": 5}, "spec": {"replicas": 9}},
    )
    assert status.status_code == 200
    assert status.json()["status"] == {"replicas": 5}
    assert status.json()["spec"]["replicas"] == 1  # spec is not the status's to change
    entry = status.json()["metadata"]["managedFields"][-1]
    assert entry["subresource"] == "status"
    got = client.get(DEPLOYMENTS + "/web/status").json()
    assert got["status"] == {"replicas": 5}
    full = client.get(DEPLOYMENTS + "/web").json()
    full["status"] = {"replicas": 1}
    assert client.put(DEPLOYMENTS + "/web", full).json()["status"] == {"replicas": 5}


def test_scale_subresource(client: Client) -> None:
    client.post(DEPLOYMENTS, deployment("web", replicas=2))
    scale = client.get(DEPLOYMENTS + "/web/scale").json()
    assert scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 2}
    assert scale["status"] == {"replicas": 0, "selector": "app=web"}
    scale["spec"]["replicas"] = 4
    assert client.put(DEPLOYMENTS + "/web/scale", scale).json()["spec"]["replicas"] == 4
    response = client.put(DEPLOYMENTS + "/web/scale", scale)  # stale resourceVersion
    assert response.status_code == 409
    assert status_of(response)["reason"] == "Conflict"
    patched = client.patch(DEPLOYMENTS + "/web/scale", {"spec": {"replicas": 6}})
    assert patched.json()["spec"]["replicas"] == 6
    assert client.get(DEPLOYMENTS + "/web").json()["spec"]["replicas"] == 6
    bad = client.patch(DEPLOYMENTS + "/web/scale", {"spec": {"replicas": -1}})
    assert bad.status_code == 422


def test_delete_returns_object_or_status_by_kind(client: Client) -> None:
    client.post(PODS, pod("web"))
    response = client.delete(PODS + "/web")
    assert response.status_code == 200 and response.json()["kind"] == "Pod"
    client.post(DEPLOYMENTS, deployment("web"))
    response = client.delete(DEPLOYMENTS + "/web")
    body = response.json()
    assert response.status_code == 200
    assert body["kind"] == "Status" and body["status"] == "Success"
    assert body["details"]["name"] == "web" and body["details"]["group"] == "apps"
    assert body["details"]["kind"] == "deployments" and body["details"]["uid"]
    response = client.delete(DEPLOYMENTS + "/web")
    assert response.status_code == 404


def test_finalizers_hold_deletion_until_removed(client: Client) -> None:
    cm = configmap("held")
    cm["metadata"]["finalizers"] = ["example.com/wait"]
    client.post(CONFIGMAPS, cm)
    response = client.delete(CONFIGMAPS + "/held")
    assert response.status_code == 200
    held = response.json()
    assert held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["deletionGracePeriodSeconds"] == 0
    assert client.get(CONFIGMAPS + "/held").status_code == 200
    more = client.patch(
        CONFIGMAPS + "/held",
        {"metadata": {"finalizers": ["example.com/wait", "example.com/new"]}},
    )
    assert more.status_code == 422
    assert "no new finalizers can be added" in status_of(more)["message"]
    released = client.patch(CONFIGMAPS + "/held", {"metadata": {"finalizers": None}})
    assert released.status_code == 200
    assert client.get(CONFIGMAPS + "/held").status_code == 404
    # orphanDependents=false on an object held by finalizers answers 202
    client.post(CONFIGMAPS, cm)
    accepted = client.delete(CONFIGMAPS + "/held", {"orphanDependents": False})
    assert accepted.status_code == 202


def test_delete_preconditions(client: Client) -> None:
    created = client.post(CONFIGMAPS, configmap("c")).json()
    response = client.delete(CONFIGMAPS + "/c", {"preconditions": {"uid": "other"}})
    assert response.status_code == 409
    assert (
        "Precondition failed: UID in precondition: other"
        in status_of(response)["message"]
    )
    uid = created["metadata"]["uid"]
    assert (
        client.delete(CONFIGMAPS + "/c", {"preconditions": {"uid": uid}}).status_code
        == 200
    )


def test_dry_run_persists_nothing(client: Client) -> None:
    response = client.post(CONFIGMAPS + "?dryRun=All", configmap("dry", a="1"))
    assert response.status_code == 201 and response.json()["data"] == {"a": "1"}
    assert client.get(CONFIGMAPS + "/dry").status_code == 404
    client.post(CONFIGMAPS, configmap("dry", a="1"))
    rv = client.get(CONFIGMAPS + "/dry").json()["metadata"]["resourceVersion"]
    patched = client.patch(CONFIGMAPS + "/dry?dryRun=All", {"data": {"a": "2"}})
    assert patched.json()["data"] == {"a": "2"}
    assert client.delete(CONFIGMAPS + "/dry?dryRun=All").status_code == 200
    after = client.get(CONFIGMAPS + "/dry").json()
    assert after["data"] == {"a": "1"} and after["metadata"]["resourceVersion"] == rv
    bad = client.post(CONFIGMAPS + "?dryRun=Some", configmap("x"))
    assert bad.status_code == 400


def _owned(name: str, owner: dict[str, Any]) -> dict[str, Any]:
    cm = configmap(name)
    cm["metadata"]["ownerReferences"] = [
        {
            "apiVersion": owner["apiVersion"],
            "kind": owner["kind"],
            "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"],
        }
    ]
    return cm


def test_garbage_collection_by_propagation_policy(client: Client) -> None:
    for policy, survives in (
        ("Background", False),
        ("Foreground", False),
        ("Orphan", True),
    ):
        owner = client.post(DEPLOYMENTS, deployment("owner")).json()
        client.post(CONFIGMAPS, _owned("dependent", owner))
        response = client.delete(DEPLOYMENTS + "/owner", {"propagationPolicy": policy})
        assert response.status_code == 200
        dependent = client.get(CONFIGMAPS + "/dependent")
        assert (dependent.status_code == 200) is survives, policy
        if survives:
            assert "ownerReferences" not in dependent.json()["metadata"]
            client.delete(CONFIGMAPS + "/dependent")
    bad = client.delete(DEPLOYMENTS + "/x", {"propagationPolicy": "Sideways"})
    assert bad.status_code == 422
    assert status_of(bad)["details"]["causes"][0]["reason"] == "FieldValueNotSupported"


def test_a_dependent_with_another_live_owner_is_kept(client: Client) -> None:
    # no collector deletes an object one of whose owners lives: the plain
    # server's immediate cascade drops only the reference to the deleted one
    first = client.post(DEPLOYMENTS, deployment("first")).json()
    second = client.post(DEPLOYMENTS, deployment("second")).json()
    both = _owned("both", first)
    both["metadata"]["ownerReferences"] += _owned("x", second)["metadata"][
        "ownerReferences"
    ]
    client.post(CONFIGMAPS, both)
    client.delete(DEPLOYMENTS + "/first")
    kept = client.get(CONFIGMAPS + "/both").json()
    assert [r["name"] for r in kept["metadata"]["ownerReferences"]] == ["second"]
    client.delete(DEPLOYMENTS + "/second")
    assert client.get(CONFIGMAPS + "/both").status_code == 404


def test_namespace_deletion_empties_it(client: Client) -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    created = client.post("/api/v1/namespaces", ns).json()
    assert created["status"] == {"phase": "Active"}
    assert created["spec"] == {"finalizers": ["kubernetes"]}
    assert (
        client.get("/api/v1/namespaces/team/serviceaccounts/default").status_code == 200
    )
    client.post("/api/v1/namespaces/team/configmaps", configmap("c"))
    response = client.delete("/api/v1/namespaces/team")
    assert response.status_code == 200
    assert response.json()["status"]["phase"] == "Terminating"
    assert client.get("/api/v1/namespaces/team").status_code == 404
    assert client.get("/api/v1/namespaces/team/configmaps/c").status_code == 404
    forbidden = client.delete("/api/v1/namespaces/default")
    assert forbidden.status_code == 403
    assert status_of(forbidden)["message"] == (
        'namespaces "default" is forbidden: this namespace may not be deleted'
    )


def test_terminating_namespace_refuses_new_content(client: Client) -> None:
    client.post("/api/v1/namespaces", {"metadata": {"name": "team"}})
    held = configmap("held")
    held["metadata"]["finalizers"] = ["example.com/x"]
    client.post("/api/v1/namespaces/team/configmaps", held)
    client.delete("/api/v1/namespaces/team")
    ns = client.get("/api/v1/namespaces/team").json()
    assert ns["status"]["phase"] == "Terminating"  # held by the configmap
    response = client.post("/api/v1/namespaces/team/configmaps", configmap("new"))
    assert response.status_code == 403
    body = status_of(response)
    assert body["details"]["causes"][0]["reason"] == "NamespaceTerminating"
    client.patch(
        "/api/v1/namespaces/team/configmaps/held", {"metadata": {"finalizers": None}}
    )
    assert client.get("/api/v1/namespaces/team").status_code == 404


def test_deletecollection_returns_the_deleted_list(client: Client) -> None:
    for name, tier in (("a", "web"), ("b", "web"), ("c", "db")):
        cm = configmap(name)
        cm["metadata"]["labels"] = {"tier": tier}
        client.post(CONFIGMAPS, cm)
    response = client.delete(CONFIGMAPS + "?labelSelector=tier%3Dweb")
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "ConfigMapList"
    assert [i["metadata"]["name"] for i in body["items"]] == ["a", "b"]
    left = client.get(CONFIGMAPS).json()["items"]
    assert [i["metadata"]["name"] for i in left] == ["c"]


def test_method_not_allowed_and_unknown_paths(client: Client) -> None:
    response = client.delete("/api/v1/namespaces")  # no deletecollection on namespaces
    assert response.status_code == 405
    assert status_of(response)["reason"] == "MethodNotAllowed"
    response = client.get("/api/v1/foos")
    assert response.status_code == 404
    assert (
        status_of(response)["message"]
        == "the server could not find the requested resource"
    )
    assert client.get("/nothing/here").status_code == 404


def test_strict_field_validation(client: Client) -> None:
    body = configmap("c")
    body["bogus"] = 1
    strict = client.post(CONFIGMAPS + "?fieldValidation=Strict", body)
    assert strict.status_code == 400
    assert status_of(strict)["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding '
        'error: unknown field "bogus"'
    )
    warned = client.post(CONFIGMAPS, body)
    assert warned.status_code == 201
    assert warned.headers["Warning"] == '299 - "unknown field \\"bogus\\""'


def test_objects_seeded_with_status(generated: Any) -> None:
    from kubeclient.models.core_v1 import Container, Pod, PodSpec, PodStatus
    from kubeclient.models.meta_v1 import ObjectMeta
    from kubeclient.testing import ApiServer

    running = Pod(
        metadata=ObjectMeta(name="seeded", namespace="fresh"),
        spec=PodSpec(containers=[Container(name="c", image="i")]),
        status=PodStatus(phase="Running"),
    )
    with ApiServer(objects=[running]) as server:
        got = Client(server).get("/api/v1/namespaces/fresh/pods/seeded").json()
        assert got["status"]["phase"] == "Running"
        assert Client(server).get("/api/v1/namespaces/fresh").status_code == 200


def test_in_process_handle(server: ApiServer) -> None:
    from kubeclient.testing import ServerRequest

    request = ServerRequest(
        "POST",
        CONFIGMAPS,
        headers={"authorization": f"Bearer {server.token}"},
        body=b'{"metadata":{"name":"direct"}}',
    )
    response = server.handle(request)
    assert response.status == 201 and response.stream is None
    assert b'"name":"direct"' in response.body
    got = server.handle(ServerRequest("GET", CONFIGMAPS + "/direct", user="me"))
    assert got.status == 200 and got.headers["content-type"] == "application/json"

"""The garbage collector and the namespace controller of a simulated cluster:
Background, Orphan and Foreground cascading as kube-controller-manager does
them (asynchronously, following ownerReferences by uid, across kinds)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..conftest import Client
from .conftest import eventually, labelled_deployment

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
REPLICASETS = "/apis/apps/v1/namespaces/default/replicasets"
PODS = "/api/v1/namespaces/default/pods"
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


def _items(sim: Client, path: str) -> list[dict[str, Any]]:
    response = sim.get(path)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _ref(owner: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        **more,
    }


def _configmap(name: str, *refs: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "ownerReferences": list(refs)},
    }


def _running(sim: Client, name: str, replicas: int) -> dict[str, Any]:
    sim.post(DEPLOYMENTS, labelled_deployment(name, replicas=replicas))
    eventually(
        lambda: sim.get(f"{DEPLOYMENTS}/{name}")
        .json()
        .get("status", {})
        .get("availableReplicas")
        == replicas
    )
    deployment: dict[str, Any] = sim.get(f"{DEPLOYMENTS}/{name}").json()
    return deployment


def test_background_deletion_removes_the_owner_first_then_the_dependents(
    sim_server: ApiServer, sim: Client
) -> None:
    _running(sim, "bg", 2)
    core = sim_server.core
    deployments = core.registry.get("apps", "v1", "deployments")
    assert deployments is not None
    from kubeclient.testing.semantics.basics import DeleteOptions, Write

    # the collector runs on the simulation's thread, which waits for the lock
    with core.store.lock:
        core.objects.delete(
            deployments, "default", "bg", DeleteOptions(), Write(manager="test")
        )
        assert core.store.get(deployments.storage_key, "default", "bg") is None
        assert len(core.store.objects(("apps", "replicasets"), "default")) == 1
        assert len(core.store.objects(("", "pods"), "default")) == 2
    # then the ReplicaSet, then its pods (gracefully: 30 s at 50x)
    eventually(lambda: not _items(sim, REPLICASETS))
    eventually(lambda: not _items(sim, PODS))


def test_a_dependent_with_a_live_owner_keeps_it(sim: Client) -> None:
    first = sim.post(CONFIGMAPS, _configmap("first")).json()
    second = sim.post(CONFIGMAPS, _configmap("second")).json()
    sim.post(CONFIGMAPS, _configmap("shared", _ref(first), _ref(second)))
    assert sim.delete(f"{CONFIGMAPS}/first").status_code == 200
    # the dangling reference goes, the object stays (its other owner lives)
    kept = eventually(
        lambda: (cm := sim.get(f"{CONFIGMAPS}/shared").json())["metadata"].get(
            "ownerReferences"
        )
        == [_ref(second)]
        and cm
    )
    assert kept["metadata"]["name"] == "shared"
    assert sim.delete(f"{CONFIGMAPS}/second").status_code == 200
    eventually(lambda: sim.get(f"{CONFIGMAPS}/shared").status_code == 404)


def test_a_dependent_whose_owner_never_existed_is_collected(sim: Client) -> None:
    ghost = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "ghost", "uid": "00000000-0000-0000-0000-00000000dead"},
    }
    sim.post(CONFIGMAPS, _configmap("haunted", _ref(ghost)))
    # an owner of an unknown kind is not "absent": the real collector keeps it
    unknown = {**ghost, "apiVersion": "example.com/v1", "kind": "Widget"}
    sim.post(CONFIGMAPS, _configmap("kept", _ref(unknown)))
    eventually(lambda: sim.get(f"{CONFIGMAPS}/haunted").status_code == 404)
    assert sim.get(f"{CONFIGMAPS}/kept").status_code == 200


def test_orphan_deletion_uses_the_orphan_finalizer(sim: Client) -> None:
    _running(sim, "orphan", 1)
    [rs] = _items(sim, REPLICASETS)
    response = sim.delete(
        f"{DEPLOYMENTS}/orphan",
        {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Orphan"},
    )
    assert response.status_code == 200
    marked = response.json()["metadata"]
    assert marked["finalizers"] == ["orphan"] and marked["deletionTimestamp"]
    eventually(lambda: sim.get(f"{DEPLOYMENTS}/orphan").status_code == 404)
    [kept] = _items(sim, REPLICASETS)
    assert kept["metadata"]["uid"] == rs["metadata"]["uid"]
    assert "ownerReferences" not in kept["metadata"]
    # its pods are still the ReplicaSet's
    [pod] = _items(sim, PODS)
    assert pod["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
    assert not pod["metadata"].get("deletionTimestamp")


def test_foreground_waits_only_for_blocking_dependents(sim: Client) -> None:
    owner = sim.post(CONFIGMAPS, _configmap("owner")).json()
    blocker = _configmap("blocker", _ref(owner, blockOwnerDeletion=True))
    blocker["metadata"]["finalizers"] = ["example.com/hold"]
    sim.post(CONFIGMAPS, blocker)
    sim.post(CONFIGMAPS, _configmap("loose", _ref(owner)))
    response = sim.delete(f"{CONFIGMAPS}/owner", {"propagationPolicy": "Foreground"})
    assert response.json()["metadata"]["finalizers"] == ["foregroundDeletion"]
    eventually(lambda: sim.get(f"{CONFIGMAPS}/loose").status_code == 404)
    # the blocking one is held by its finalizer: so is the owner
    held = sim.get(f"{CONFIGMAPS}/blocker").json()
    assert held["metadata"]["deletionTimestamp"]
    assert sim.get(f"{CONFIGMAPS}/owner").status_code == 200
    sim.patch(f"{CONFIGMAPS}/blocker", {"metadata": {"finalizers": None}})
    eventually(lambda: sim.get(f"{CONFIGMAPS}/owner").status_code == 404)


def test_namespace_deletion_by_the_namespace_controller(
    sim_server: ApiServer, sim: Client
) -> None:
    sim.post("/api/v1/namespaces", {"metadata": {"name": "team"}})
    cms = "/api/v1/namespaces/team/configmaps"
    sim.post(cms, {"metadata": {"name": "c"}})
    core = sim_server.core
    namespaces = core.registry.get("", "v1", "namespaces")
    assert namespaces is not None
    from kubeclient.testing.semantics.basics import DeleteOptions, Write

    with core.store.lock:  # the controller's part waits for the lock
        core.objects.delete(
            namespaces, "", "team", DeleteOptions(), Write(manager="test")
        )
        ns = core.store.get(("", "namespaces"), "", "team")
        assert ns is not None and ns["status"]["phase"] == "Terminating"
        assert core.store.get(("", "configmaps"), "team", "c") is not None
    eventually(lambda: sim.get("/api/v1/namespaces/team").status_code == 404)
    assert sim.get(f"{cms}/c").status_code == 404
    refused = sim.delete("/api/v1/namespaces/default")
    assert refused.status_code == 403

"""Deployments and ReplicaSets in a simulated cluster, through our ClientSet
and over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..conftest import Client
from .conftest import SCALE, eventually, labelled_deployment

DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
REPLICASETS = "/apis/apps/v1/namespaces/default/replicasets"
PODS = "/api/v1/namespaces/default/pods"
EVENTS = "/api/v1/namespaces/default/events"


def _get(sim: Client, path: str) -> dict[str, Any]:
    response = sim.get(path)
    return response.json() if response.status_code == 200 else {}


def _conditions(obj: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        c["type"]: (c["status"], c.get("reason", ""))
        for c in obj.get("status", {}).get("conditions", [])
    }


def test_deployment_becomes_available_through_the_fake_clientset(
    generated: Path,
) -> None:
    from kubeclient.testing import fake_clientset

    with fake_clientset(simulate=True, time_scale=SCALE) as made:
        cs: Any = made  # typed loosely: models built from dicts, optional fields
        deployments = cs.apps_v1.deployments("default")
        deployments.create(labelled_deployment("web", replicas=3))

        def available() -> Any:
            got = deployments.get("web")
            return got if (got.status.available_replicas or 0) == 3 else None

        got = eventually(available)
        assert got.status.ready_replicas == 3 and got.status.updated_replicas == 3
        assert got.status.observed_generation == 1
        conditions = {c.type: c.reason for c in got.status.conditions}
        assert conditions == {
            "Available": "MinimumReplicasAvailable",
            "Progressing": "NewReplicaSetAvailable",
        }
        assert got.metadata.annotations["deployment.kubernetes.io/revision"] == "1"
        pods = cs.core_v1.pods("default").list().items
        assert len(pods) == 3
        assert {p.status.phase for p in pods} == {"Running"}
        [rs] = cs.apps_v1.replica_sets("default").list().items
        assert rs.metadata.owner_references[0].name == "web"
        assert pods[0].metadata.owner_references[0].name == rs.metadata.name
        assert cs.simulation is not None and cs.simulation.errors == []


def test_rolling_update_keeps_within_max_unavailable(sim: Client) -> None:
    body = labelled_deployment(
        "roll",
        replicas=4,
        strategy={"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
    )
    sim.post(DEPLOYMENTS, body)
    eventually(
        lambda: _get(sim, f"{DEPLOYMENTS}/roll")
        .get("status", {})
        .get("availableReplicas")
        == 4
    )
    current = _get(sim, f"{DEPLOYMENTS}/roll")
    current["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    assert sim.put(f"{DEPLOYMENTS}/roll", current).status_code == 200
    lowest = 4
    highest = 0

    def done() -> bool:
        nonlocal lowest, highest
        status = _get(sim, f"{DEPLOYMENTS}/roll").get("status", {})
        lowest = min(lowest, status.get("availableReplicas", 0))
        pods = [
            p
            for p in _get(sim, PODS)["items"]
            if not p["metadata"].get("deletionTimestamp")
        ]
        highest = max(highest, len(pods))
        return bool(
            status.get("observedGeneration") == 2
            and status.get("updatedReplicas") == 4
            and status.get("availableReplicas") == 4
            and status.get("replicas") == 4
        )

    eventually(done)
    assert lowest >= 4  # maxUnavailable 0
    assert highest <= 5  # maxSurge 1
    sets = {
        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs
        for rs in _get(sim, REPLICASETS)["items"]
    }
    assert sets["1"]["spec"]["replicas"] == 0 and sets["2"]["spec"]["replicas"] == 4
    dep = _get(sim, f"{DEPLOYMENTS}/roll")
    assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    messages = [
        e["message"]
        for e in _get(sim, EVENTS)["items"]
        if e["reason"] == "ScalingReplicaSet"
    ]
    assert messages[0].startswith("Scaled up replica set roll-") and messages[
        0
    ].endswith("from 0 to 4")


def test_recreate_and_scaling(sim: Client) -> None:
    sim.post(
        DEPLOYMENTS,
        labelled_deployment("re", replicas=2, strategy={"type": "Recreate"}),
    )
    eventually(
        lambda: _get(sim, f"{DEPLOYMENTS}/re")
        .get("status", {})
        .get("availableReplicas")
        == 2
    )
    patch = {"spec": {"replicas": 5}}
    assert sim.patch(f"{DEPLOYMENTS}/re", patch).status_code == 200
    eventually(
        lambda: _get(sim, f"{DEPLOYMENTS}/re")
        .get("status", {})
        .get("availableReplicas")
        == 5
    )
    assert sim.patch(f"{DEPLOYMENTS}/re", {"spec": {"replicas": 1}}).status_code == 200
    eventually(
        lambda: len(_get(sim, PODS)["items"]) == 1
    )  # the surplus is deleted and goes after its grace period


def test_unavailable_deployment_reports_it(sim: Client) -> None:
    body = labelled_deployment("never", replicas=2)
    body["spec"]["template"]["metadata"]["annotations"] = {
        "simulation.kubeclient.dev/ready": "false"
    }
    sim.post(DEPLOYMENTS, body)
    dep = eventually(
        lambda: (d := _get(sim, f"{DEPLOYMENTS}/never"))
        .get("status", {})
        .get("replicas")
        == 2
        and d
    )
    assert _conditions(dep)["Available"] == ("False", "MinimumReplicasUnavailable")
    assert dep["status"]["unavailableReplicas"] == 2


def test_foreground_deletion_waits_for_the_dependents(sim: Client) -> None:
    sim.post(DEPLOYMENTS, labelled_deployment("fg", replicas=2))
    eventually(
        lambda: _get(sim, f"{DEPLOYMENTS}/fg")
        .get("status", {})
        .get("availableReplicas")
        == 2
    )
    response = sim.delete(
        f"{DEPLOYMENTS}/fg",
        {
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "propagationPolicy": "Foreground",
        },
    )
    assert response.status_code == 200
    marked = response.json()["metadata"]
    assert (
        marked["finalizers"] == ["foregroundDeletion"] and marked["deletionTimestamp"]
    )
    # still there while its ReplicaSet and pods go (their grace period: 0.6 s at 50x)
    assert sim.get(f"{DEPLOYMENTS}/fg").status_code == 200
    eventually(lambda: sim.get(f"{DEPLOYMENTS}/fg").status_code == 404)
    assert _get(sim, REPLICASETS)["items"] == []
    assert _get(sim, PODS)["items"] == []
